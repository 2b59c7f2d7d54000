/*
 * qemu-process.c: starting, stopping and re-attaching QEMU processes
 */
#include "qemu-process.h"
#include "qemu-command.h"
#include "qemu-graphics.h"
#include "qemu-net.h"
#include "qemu-domain-job.h"
#include "qemu-domain-list.h"
#include "qemu-monitor.h"
#include "cvg-log.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* QEMU 10 under TCG creates its monitor socket well within this. */
#define MONITOR_OPEN_TIMEOUT_MS 15000
#define MONITOR_COMMAND_TIMEOUT_MS 30000
#define STOP_GRACE_MS 3000

static char *
qmp_path_for(CvgDriver *drv, const CvgDomainDef *def)
{
    g_autofree char *base = g_strdup_printf("%s.qmp", def->name);

    return g_build_filename(drv->run_dir, base, NULL);
}

static char *
log_path_for(CvgDriver *drv, const CvgDomainDef *def)
{
    g_autofree char *base = g_strdup_printf("%s.log", def->name);

    return g_build_filename(drv->log_dir, base, NULL);
}

/* QEMU option values escape ',' by doubling it. */
static char *
escape_commas(const char *s)
{
    GString *out = g_string_new(NULL);

    for (; *s; s++) {
        g_string_append_c(out, *s);
        if (*s == ',')
            g_string_append_c(out, ',');
    }
    return g_string_free(out, FALSE);
}

static void
add_chardev(GPtrArray *argv, const CvgDomainChr *chr, unsigned int idx)
{
    g_ptr_array_add(argv, g_strdup("-chardev"));
    if (chr->type == CVG_CHR_TYPE_FILE) {
        g_autofree char *path = escape_commas(chr->path);

        /* append=on: an incoming migration's QEMU must not truncate a log
         * that the source guest shares with it on the same host. */
        g_ptr_array_add(
            argv, g_strdup_printf("file,id=charserial%u,path=%s,append=on", idx,
                                  path));
    } else {
        g_ptr_array_add(argv, g_strdup_printf("pty,id=charserial%u", idx));
    }
    g_ptr_array_add(argv, g_strdup("-device"));
    g_ptr_array_add(
        argv,
        g_strdup_printf("isa-serial,chardev=charserial%u,id=serial%u,index=%d",
                        idx, idx, chr->port));
}

GStrv
cvg_qemu_build_argv(const CvgDomainDef *def, const char *emulator, bool kvm,
                    const char *qmp_path, const char *incoming)
{
    GPtrArray *argv = g_ptr_array_new();
    char uuid[37];
    g_autofree char *qmp = escape_commas(qmp_path);

    cvg_uuid_format(def->uuid, uuid);
    g_ptr_array_add(argv, g_strdup(emulator));
    g_ptr_array_add(argv, g_strdup("-name"));
    {
        g_autofree char *name = escape_commas(def->name);

        g_ptr_array_add(argv,
                        g_strdup_printf("guest=%s,debug-threads=on", name));
    }
    g_ptr_array_add(argv, g_strdup("-S"));
    g_ptr_array_add(argv, g_strdup("-no-user-config"));
    g_ptr_array_add(argv, g_strdup("-nodefaults"));
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, cvg_qemu_machine_option(def));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup(kvm ? "kvm" : "tcg"));
    g_ptr_array_add(argv, g_strdup("-m"));
    g_ptr_array_add(argv,
                    g_strdup_printf("%lluM", (def->memory_kib + 1023) / 1024));
    g_ptr_array_add(argv, g_strdup("-smp"));
    g_ptr_array_add(argv, cvg_qemu_smp_option(def));
    g_ptr_array_add(argv, g_strdup("-uuid"));
    g_ptr_array_add(argv, g_strdup(uuid));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    g_ptr_array_add(argv, g_strdup("-chardev"));
    g_ptr_array_add(
        argv, g_strdup_printf(
                  "socket,id=charmonitor,path=%s,server=on,wait=off", qmp));
    g_ptr_array_add(argv, g_strdup("-mon"));
    g_ptr_array_add(argv,
                    g_strdup("chardev=charmonitor,id=monitor,mode=control"));
    cvg_qemu_command_add_machine_extras(argv, def, kvm);
    if (def->on_reboot == CVG_DOMAIN_LIFECYCLE_DESTROY)
        g_ptr_array_add(argv, g_strdup("-no-reboot"));
    if (def->os_kernel) {
        g_ptr_array_add(argv, g_strdup("-kernel"));
        g_ptr_array_add(argv, g_strdup(def->os_kernel));
    }
    if (def->os_initrd) {
        g_ptr_array_add(argv, g_strdup("-initrd"));
        g_ptr_array_add(argv, g_strdup(def->os_initrd));
    }
    if (def->os_cmdline) {
        g_ptr_array_add(argv, g_strdup("-append"));
        g_ptr_array_add(argv, g_strdup(def->os_cmdline));
    }
    cvg_qemu_command_add_storage(argv, def);
    cvg_qemu_command_add_nets(argv, def);
    if (def->nserials > 0) {
        for (size_t i = 0; i < def->nserials; i++)
            add_chardev(argv, def->serials[i], i);
    } else if (def->nconsoles > 0) {
        /* A console of target type serial is serial port 0. */
        add_chardev(argv, def->consoles[0], 0);
    }
    cvg_qemu_command_add_devices(argv, def);
    if (incoming) {
        g_ptr_array_add(argv, g_strdup("-incoming"));
        g_ptr_array_add(argv, g_strdup(incoming));
    }
    g_ptr_array_add(argv, g_strdup("-msg"));
    g_ptr_array_add(argv, g_strdup("timestamp=on"));
    g_ptr_array_add(argv, NULL);
    return (GStrv)g_ptr_array_free(argv, FALSE);
}

static char *
log_tail(const char *path)
{
    g_autofree char *text = NULL;
    size_t len;
    const char *start;

    if (!g_file_get_contents(path, &text, &len, NULL) || len == 0)
        return g_strdup("");
    start = text + (len > 1024 ? len - 1024 : 0);
    return g_strstrip(g_strdup(start));
}

static bool
pid_alive(pid_t pid)
{
    int status;

    if (pid <= 0)
        return false;
    /* Reap it if it is our child and already gone. */
    if (waitpid(pid, &status, WNOHANG) == pid)
        return false;
    return kill(pid, 0) == 0 || errno == EPERM;
}

static void
child_exited(GPid pid, gint status G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
    g_debug("QEMU pid %d exited", (int)pid);
    g_spawn_close_pid(pid);
}

static void
child_setup(gpointer data G_GNUC_UNUSED)
{
    /* Own session: the guest outlives the daemon and its signals. */
    setsid();
}

/* --- the sink: what the layers above hear (lock held) --- */

static void
sink_stopped(CvgDriver *drv, CvgDomainObj *dom, int reason, int detail)
{
    const CvgProcessSink *sink = drv->process_sink;

    /* The VNC port and channel sockets go with the process. */
    cvg_qemu_graphics_release(dom->def);
    if (sink && sink->stopped)
        sink->stopped(drv, dom, reason, detail, sink->opaque);
    else
        cvg_driver_domain_stopped(drv, dom, reason, detail);
}

static void
sink_reboot_shutdown(CvgDriver *drv, CvgDomainObj *dom)
{
    const CvgProcessSink *sink = drv->process_sink;

    if (sink && sink->reboot_shutdown)
        sink->reboot_shutdown(drv, dom, sink->opaque);
}

static void
sink_migration_event(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                     json_object *data)
{
    const CvgProcessSink *sink = drv->process_sink;

    if (sink && sink->migration_event)
        sink->migration_event(drv, dom, name, data, sink->opaque);
}

/* --- monitor callbacks (run in the QMP thread) --- */

typedef struct {
    CvgDriver *drv;
    CvgDomainObj *dom;
    CvgQmp *mon;
} CvgEofWork;

static gboolean
monitor_eof_work(gpointer data)
{
    CvgEofWork *w = data;
    CvgDriver *drv = w->drv;
    CvgDomainObj *dom = w->dom;

    cvg_driver_lock(drv);
    if (dom->mon == w->mon && !dom->stopping) {
        int reason =
            dom->got_shutdown ? CVG_SHUTOFF_SHUTDOWN : CVG_SHUTOFF_CRASHED;
        int detail = dom->got_shutdown ? CVG_EVENT_STOPPED_SHUTDOWN
                                       : CVG_EVENT_STOPPED_CRASHED;
        CvgQmp *mon = dom->mon;

        cvg_log_domain(G_LOG_LEVEL_DEBUG, dom->def->name,
                       "QEMU of '%s' went away (%s)", dom->def->name,
                       dom->got_shutdown ? "shutdown" : "crashed");
        dom->mon = NULL;
        cvg_driver_unlock(drv);
        cvg_qmp_close(mon);
        cvg_driver_lock(drv);
        pid_alive(dom->pid);
        sink_stopped(drv, dom, reason, detail);
    }
    cvg_driver_unlock(drv);
    cvg_domain_obj_unref(dom);
    g_free(w);
    return G_SOURCE_REMOVE;
}

static void
monitor_eof(CvgQmp *mon, void *opaque)
{
    CvgDomainObj *dom = opaque;
    CvgEofWork *w = g_new0(CvgEofWork, 1);

    /* The monitor cannot be closed from its own callback: finish in the
     * main thread. */
    w->drv = dom->driver;
    w->dom = dom;
    w->mon = mon;
    cvg_domain_obj_ref(dom);
    g_main_context_invoke(NULL, monitor_eof_work, w);
}

static void
monitor_event(CvgQmp *mon G_GNUC_UNUSED, const char *name, json_object *data,
              void *opaque)
{
    CvgDomainObj *dom = opaque;
    CvgDriver *drv = dom->driver;

    cvg_driver_lock(drv);
    if (strcmp(name, "SHUTDOWN") == 0) {
        /* The guest powered off (or QEMU was told to quit): libvirt's
         * SHUTDOWN lifecycle event, once.  QEMU then exits, or, during a
         * reboot, pauses for us to reset it. */
        gboolean guest = FALSE;
        int detail = CVG_EVENT_SHUTDOWN_FINISHED;

        if (!dom->got_shutdown && !dom->stopping) {
            dom->got_shutdown = true;
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_SHUTDOWN,
                                     CVG_SHUTDOWN_UNKNOWN);
            if (data && cvg_json_get_bool(data, "guest", &guest))
                detail =
                    guest ? CVG_EVENT_SHUTDOWN_GUEST : CVG_EVENT_SHUTDOWN_HOST;
            cvg_driver_queue_event(drv, dom, CVG_EVENT_SHUTDOWN, detail);
            if (dom->fake_reboot)
                sink_reboot_shutdown(drv, dom);
        }
    } else if (strcmp(name, "STOP") == 0) {
        /* Pauses we ask for are recorded by the job that asked. */
        if (cvg_domain_job_idle(dom) && dom->state == CVG_DOMAIN_RUNNING) {
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED,
                                     CVG_PAUSED_UNKNOWN);
            cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                                   CVG_EVENT_SUSPENDED_PAUSED);
            cvg_driver_save_status(drv, dom);
        }
    } else if (strcmp(name, "RESET") == 0) {
        /* A guest reboot or system_reset: libvirt's reboot event.  The
         * run state does not change. */
        cvg_driver_queue_job_event(drv, dom, CVG_EVENT_ID_REBOOT, 0, NULL);
    } else if (strcmp(name, "MIGRATION") == 0 ||
               strcmp(name, "MIGRATION_PASS") == 0) {
        sink_migration_event(drv, dom, name, data);
    } else if (strcmp(name, "RESUME") == 0) {
        if (cvg_domain_job_idle(dom) && dom->state == CVG_DOMAIN_PAUSED) {
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                     CVG_RUNNING_UNPAUSED);
            cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                                   CVG_EVENT_RESUMED_UNPAUSED);
            cvg_driver_save_status(drv, dom);
        }
    }
    cvg_driver_unlock(drv);
}

const CvgQmpCallbacks cvg_qemu_process_monitor_callbacks = {
    .event = monitor_event,
    .eof = monitor_eof,
};

int
cvg_qemu_monitor_command(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
                         json_object *args, json_object **ret_reply)
{
    CvgQmp *mon = dom->mon;
    int rc;

    if (!mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' is not running"), dom->def->name);
        return -1;
    }
    /* The job we hold keeps dom->mon from being closed under us, except by
     * QEMU dying, which cvg_qmp_close() turns into an error here. */
    cvg_qmp_ref(mon);
    cvg_driver_unlock(drv);
    rc = cvg_qmp_command(mon, cmd, args, ret_reply, MONITOR_COMMAND_TIMEOUT_MS);
    cvg_qmp_unref(mon);
    cvg_driver_lock(drv);
    return rc;
}

/* Fill in runtime pty paths from query-chardev (lock and job held). */
static void
query_ptys(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) reply = NULL;
    CvgDomainChr **chrs =
        dom->def->nserials ? dom->def->serials : dom->def->consoles;
    size_t nchrs =
        dom->def->nserials ? dom->def->nserials : dom->def->nconsoles;

    if (cvg_qemu_monitor_command(drv, dom, "query-chardev", NULL, &reply) < 0 ||
        !json_object_is_type(reply, json_type_array)) {
        cvg_error_reset();
        return;
    }
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        const char *label = cvg_json_get_string(e, "label");
        const char *file = cvg_json_get_string(e, "filename");
        unsigned int idx;

        if (!label || !file || !g_str_has_prefix(file, "pty:") ||
            sscanf(label, "charserial%u", &idx) != 1 || idx >= nchrs)
            continue;
        g_free(chrs[idx]->path);
        chrs[idx]->path = g_strdup(file + 4);
    }
}

static void
kill_and_wait(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < STOP_GRACE_MS / 20 && pid_alive(pid); i++)
        g_usleep(20 * 1000);
    if (pid_alive(pid)) {
        kill(pid, SIGKILL);
        for (int i = 0; i < 250 && pid_alive(pid); i++)
            g_usleep(20 * 1000);
    }
}

/* Can @dom start here at all?  (Before anything is spawned.) */
static int
check_startable(CvgDriver *drv, CvgDomainObj *dom, const char *emulator,
                bool kvm)
{
    if (kvm && !drv->kvm) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("domain type 'kvm' needs /dev/kvm, which this "
                           "host does not have; use type 'qemu'"));
        return -1;
    }
    if (!g_file_test(emulator, G_FILE_TEST_IS_EXECUTABLE)) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("emulator '%s' is not an executable"), emulator);
        return -1;
    }
    if (dom->def->os_kernel &&
        !g_file_test(dom->def->os_kernel, G_FILE_TEST_EXISTS)) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("kernel '%s' does not exist"), dom->def->os_kernel);
        return -1;
    }
    if (dom->def->os_initrd &&
        !g_file_test(dom->def->os_initrd, G_FILE_TEST_EXISTS)) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("initrd '%s' does not exist"), dom->def->os_initrd);
        return -1;
    }
    return cvg_qemu_check_disk_images(dom->def);
}

/* Open the guest's log for appending and write the start-up header. */
static int
open_log(const char *logpath, const char *cmdline)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%F %T");
    g_autofree char *header = NULL;
    int logfd;

    if ((logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                      0600)) < 0) {
        cvg_error_report_system(errno, _("cannot open log file '%s'"), logpath);
        return -1;
    }
    header = g_strdup_printf("%s: starting up\n%s\n", stamp, cmdline);
    if (write(logfd, header, strlen(header)) < 0)
        g_debug("cannot write log header: %s", g_strerror(errno));
    return logfd;
}

/* Spawn QEMU for @dom, output to @logpath, its monitor at @qmp (lock held).
 * The child is reaped by a GLib child watch. */
static int
spawn_qemu(CvgDomainObj *dom, const char *emulator, bool kvm, const char *qmp,
           const char *logpath, const char *incoming)
{
    g_auto(GStrv) argv =
        cvg_qemu_build_argv(dom->def, emulator, kvm, qmp, incoming);
    g_autofree char *cmdline = g_strjoinv(" ", argv);
    g_autoptr(GError) gerr = NULL;
    g_autofree int *target_fds = NULL;
    GArray *taps;
    GPid pid = 0;
    int logfd;
    gboolean ok;

    unlink(qmp);
    if (!(taps = cvg_qemu_open_taps(dom->def)))
        return -1;
    target_fds = g_new0(int, taps->len + 1);
    for (guint i = 0; i < taps->len; i++)
        target_fds[i] = CVG_QEMU_FIRST_PASSED_FD + (int)i;
    if ((logfd = open_log(logpath, cmdline)) < 0) {
        cvg_qemu_close_taps(taps);
        return -1;
    }
    cvg_log_domain(G_LOG_LEVEL_DEBUG, dom->def->name, "starting '%s': %s",
                   dom->def->name, cmdline);
    ok = g_spawn_async_with_pipes_and_fds(
        NULL, (const char *const *)argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, child_setup,
        NULL, -1, logfd, logfd, (const int *)taps->data, target_fds, taps->len,
        &pid, NULL, NULL, NULL, &gerr);
    /* QEMU holds the taps now (or, failing, nobody: they vanish). */
    cvg_qemu_close_taps(taps);
    if (!ok) {
        close(logfd);
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("cannot start QEMU '%s': %s"), emulator,
                         gerr->message);
        return -1;
    }
    close(logfd);
    dom->pid = pid;
    dom->stopping = false;
    dom->got_shutdown = false;
    /* Reaps QEMU when it exits; GLib drops the source itself then. */
    g_child_watch_add(pid, child_exited, NULL);
    return 0;
}

/* Connect to the new QEMU's monitor (lock dropped meanwhile); kill it and
 * quote its log when it does not come up. */
static int
connect_monitor(CvgDriver *drv, CvgDomainObj *dom, const char *qmp,
                const char *logpath)
{
    pid_t pid = dom->pid;
    CvgQmp *mon;

    /* Connecting can take seconds: don't hold the lock meanwhile. */
    cvg_driver_unlock(drv);
    mon = cvg_qmp_open(qmp, drv->mon_ctx, &cvg_qemu_process_monitor_callbacks,
                       dom, MONITOR_OPEN_TIMEOUT_MS);
    cvg_driver_lock(drv);
    if (!mon) {
        g_autofree char *tail = NULL;

        kill_and_wait(pid);
        tail = log_tail(logpath);
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("QEMU for domain '%s' did not come up: %s"),
                         dom->def->name, tail);
        dom->pid = 0;
        return -1;
    }
    dom->mon = mon;
    cvg_qmp_get_version(mon, &dom->qemu_major, &dom->qemu_minor,
                        &dom->qemu_micro);
    dom->id = drv->next_id++;
    dom->cpu_time_ns_base = 0;
    return 0;
}

/* Let the guest run (or leave it paused as asked); QEMU is killed when it
 * refuses. */
static int
run_guest(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags,
          const char *incoming)
{
    pid_t pid = dom->pid;
    CvgQmp *mon;

    if (incoming) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_MIGRATION);
    } else if (flags & CVG_START_PAUSED) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_USER);
    } else {
        if (cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) < 0) {
            dom->stopping = true;
            mon = dom->mon;
            dom->mon = NULL;
            cvg_driver_unlock(drv);
            cvg_qmp_close(mon);
            kill_and_wait(pid);
            cvg_driver_lock(drv);
            dom->pid = 0;
            dom->id = -1;
            return -1;
        }
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING, CVG_RUNNING_BOOTED);
    }
    return 0;
}

int
cvg_qemu_process_start(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags,
                       const char *incoming)
{
    g_autofree char *qmp = qmp_path_for(drv, dom->def);
    g_autofree char *logpath = log_path_for(drv, dom->def);
    const char *emulator =
        dom->def->emulator ? dom->def->emulator : drv->cfg->qemu_binary;
    bool kvm = strcmp(dom->def->virt_type, "kvm") == 0;

    if (check_startable(drv, dom, emulator, kvm) < 0 ||
        cvg_qemu_resolve_networks(drv->cfg, dom->def) < 0 ||
        cvg_qemu_graphics_prepare(drv->cfg, drv->run_dir, emulator, dom->def) <
            0)
        return -1;
    if (spawn_qemu(dom, emulator, kvm, qmp, logpath, incoming) < 0 ||
        connect_monitor(drv, dom, qmp, logpath) < 0) {
        cvg_qemu_graphics_release(dom->def);
        return -1;
    }
    query_ptys(drv, dom);
    if (run_guest(drv, dom, flags, incoming) < 0) {
        cvg_qemu_graphics_release(dom->def);
        return -1;
    }
    cvg_driver_save_status(drv, dom);
    cvg_log_domain(G_LOG_LEVEL_INFO, dom->def->name,
                   "guest '%s' started (QEMU pid %d)", dom->def->name,
                   (int)dom->pid);
    return 0;
}

void
cvg_qemu_process_stop(CvgDriver *drv, CvgDomainObj *dom, int reason,
                      int event_detail)
{
    CvgQmp *mon = dom->mon;
    pid_t pid = dom->pid;
    g_autofree char *qmp = qmp_path_for(drv, dom->def);

    dom->stopping = true;
    dom->mon = NULL;
    cvg_driver_unlock(drv);
    cvg_qmp_close(mon);
    kill_and_wait(pid);
    cvg_driver_lock(drv);
    unlink(qmp);
    sink_stopped(drv, dom, reason, event_detail);
    cvg_log_domain(G_LOG_LEVEL_INFO, dom->def->name, "guest '%s' stopped",
                   dom->def->name);
}

int
cvg_qemu_process_reconnect(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autofree char *qmp = qmp_path_for(drv, dom->def);
    g_autoptr(json_object) status = NULL;
    const char *st;
    CvgQmp *mon;
    int rc;

    if (!pid_alive(dom->pid))
        return -1;
    cvg_qemu_graphics_reattach(drv->cfg, drv->run_dir, dom->def);
    cvg_driver_unlock(drv);
    mon = cvg_qmp_open(qmp, drv->mon_ctx, &cvg_qemu_process_monitor_callbacks,
                       dom, 3000);
    cvg_driver_lock(drv);
    if (!mon)
        return -1;
    dom->mon = mon;
    cvg_qmp_get_version(mon, &dom->qemu_major, &dom->qemu_minor,
                        &dom->qemu_micro);
    if ((rc = cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY)) == 0) {
        rc = cvg_qemu_monitor_command(drv, dom, "query-status", NULL, &status);
        cvg_domain_job_end(drv, dom);
    }
    if (rc < 0) {
        dom->mon = NULL;
        cvg_driver_unlock(drv);
        cvg_qmp_close(mon);
        cvg_driver_lock(drv);
        return -1;
    }
    st = cvg_json_get_string(status, "status");
    if (g_strcmp0(st, "running") == 0) {
        if (dom->state != CVG_DOMAIN_RUNNING)
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                     CVG_RUNNING_UNKNOWN);
    } else if (dom->state != CVG_DOMAIN_PAUSED) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_UNKNOWN);
    }
    return 0;
}
