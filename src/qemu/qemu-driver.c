/*
 * qemu-driver.c: the domain driver: lifecycle and start-up
 */
#include "qemu-driver.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "qemu-migration.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cvg_driver_identity(CvgDriver *drv, CvgDomainObj *dom, char **ret_name,
                    unsigned char *ret_uuid, int *ret_id)
{
    cvg_driver_lock(drv);
    *ret_name = g_strdup(dom->def->name);
    memcpy(ret_uuid, dom->def->uuid, 16);
    *ret_id = dom->id;
    cvg_driver_unlock(drv);
}

/* --- lifecycle --- */

CvgDomainObj *
cvg_driver_define(CvgDriver *drv, const char *xml, unsigned int flags)
{
    g_autoptr(CvgDomainDef) def = NULL;
    CvgDomainObj *dom;
    bool added;

    /* VIR_DOMAIN_DEFINE_VALIDATE: parsing always validates. */
    cvg_check_flags(flags, 1, NULL);
    if (!(def = cvg_domain_def_parse_string(xml, 0)))
        return NULL;

    cvg_driver_lock(drv);
    if (!(dom = cvg_driver_add_or_replace(drv, &def, 0, &added)))
        goto error;
    if (cvg_driver_save_config(drv, dom) < 0) {
        if (added)
            cvg_driver_remove(drv, dom);
        cvg_domain_obj_unref(dom);
        goto error;
    }
    dom->persistent = true;
    cvg_driver_queue_event(drv, dom, CVG_EVENT_DEFINED,
                           added ? CVG_EVENT_DEFINED_ADDED
                                 : CVG_EVENT_DEFINED_UPDATED);
    cvg_driver_unlock(drv);
    return dom;

error:
    cvg_driver_unlock(drv);
    return NULL;
}

int
cvg_driver_undefine(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    /* managed save, snapshot/checkpoint metadata, nvram, TPM: convergd
     * keeps none of them, so these flags have nothing to act on. */
    cvg_check_flags(flags, 0x7f, -1);
    cvg_driver_lock(drv);
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0)
        goto error;
    if (!dom->persistent) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("cannot undefine transient domain"));
        cvg_domain_job_end(drv, dom);
        goto error;
    }
    cvg_driver_remove_config(drv, dom->def->name);
    dom->persistent = false;
    dom->autostart = false;
    g_clear_pointer(&dom->newdef, cvg_domain_def_free);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_UNDEFINED,
                           CVG_EVENT_UNDEFINED_REMOVED);
    cvg_domain_job_end(drv, dom);
    if (!cvg_domain_obj_is_active(dom))
        cvg_driver_remove(drv, dom);
    else
        cvg_driver_save_status(drv, dom);
    cvg_driver_unlock(drv);
    return 0;

error:
    cvg_driver_unlock(drv);
    return -1;
}

/* Start @dom with its live definition (lock and MODIFY job held). */
static int
start_locked(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    if (cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain is already running"));
        return -1;
    }
    if (cvg_qemu_process_start(drv, dom, flags, NULL) < 0)
        return -1;
    cvg_driver_queue_event(drv, dom, CVG_EVENT_STARTED,
                           CVG_EVENT_STARTED_BOOTED);
    if (flags & CVG_START_PAUSED)
        cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                               CVG_EVENT_SUSPENDED_PAUSED);
    return 0;
}

/* virDomainCreateFlags: PAUSED 1, AUTODESTROY 2, BYPASS_CACHE 4,
 * FORCE_BOOT 8, VALIDATE 16, RESET_NVRAM 32 */
#define START_FLAGS_OK (1 | 4 | 8 | 16 | 32)

int
cvg_driver_start(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    int rc = -1;

    cvg_check_flags(flags, START_FLAGS_OK | 2, -1);
    if (flags & 2) {
        cvg_error_report(
            CVG_ERR_ARGUMENT_UNSUPPORTED,
            _("flag VIR_DOMAIN_START_AUTODESTROY is not supported"));
        return -1;
    }
    cvg_driver_lock(drv);
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) == 0) {
        /* An inactive domain runs its config. */
        if (!cvg_domain_obj_is_active(dom) && dom->newdef) {
            cvg_domain_def_free(dom->def);
            dom->def = g_steal_pointer(&dom->newdef);
        }
        rc = start_locked(drv, dom, flags);
        cvg_domain_job_end(drv, dom);
    }
    cvg_driver_unlock(drv);
    return rc;
}

CvgDomainObj *
cvg_driver_create_xml(CvgDriver *drv, const char *xml, unsigned int flags)
{
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    bool added;
    int rc;

    cvg_check_flags(flags, START_FLAGS_OK | 2, NULL);
    if (flags & 2) {
        cvg_error_report(
            CVG_ERR_ARGUMENT_UNSUPPORTED,
            _("flag VIR_DOMAIN_START_AUTODESTROY is not supported"));
        return NULL;
    }
    if (!(def = cvg_domain_def_parse_string(xml, 0)))
        return NULL;
    cvg_driver_lock(drv);
    /* An inactive domain of the same name and uuid runs @def this once. */
    if (!(dom = cvg_driver_add_or_replace(
              drv, &def, CVG_DRIVER_ADD_LIVE | CVG_DRIVER_ADD_CHECK_LIVE,
              &added)) ||
        cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0) {
        cvg_driver_unlock(drv);
        return NULL;
    }
    rc = start_locked(drv, dom, flags);
    cvg_domain_job_end(drv, dom);
    if (rc < 0)
        cvg_driver_add_undo(drv, dom, added);
    cvg_driver_unlock(drv);
    return rc < 0 ? NULL : g_steal_pointer(&dom);
}

static int
check_active(CvgDomainObj *dom)
{
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        return -1;
    }
    return 0;
}

int
cvg_driver_destroy(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    int rc = -1;

    /* VIR_DOMAIN_DESTROY_GRACEFUL: we always try SIGTERM first. */
    cvg_check_flags(flags, 1, -1);
    cvg_driver_lock(drv);
    if (check_active(dom) < 0)
        goto out;
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_DESTROY) < 0)
        goto out;
    if (check_active(dom) == 0) {
        cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_DESTROYED,
                              CVG_EVENT_STOPPED_DESTROYED);
        rc = 0;
    }
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}

/* Run QMP @command, which changes nothing we track, on a running @dom
 * under a MODIFY job. */
static int
guest_command(CvgDriver *drv, CvgDomainObj *dom, const char *command)
{
    int rc = -1;

    cvg_driver_lock(drv);
    if (check_active(dom) < 0 ||
        cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0)
        goto out;
    if (check_active(dom) == 0)
        rc = cvg_qemu_monitor_command(drv, dom, command, NULL, NULL);
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}

/* QMP set-action: what QEMU does when the guest powers off (lock held). */
static int
set_shutdown_action(CvgDriver *drv, CvgDomainObj *dom, const char *action)
{
    json_object *args = json_object_new_object();
    int rc;

    json_object_object_add(args, "shutdown", json_object_new_string(action));
    rc = cvg_qemu_monitor_command(drv, dom, "set-action", args, NULL);
    json_object_put(args);
    return rc;
}

/* Press the ACPI power button.  For a @reboot, QEMU is first told to pause
 * instead of exiting when the guest powers off; the SHUTDOWN event then
 * resets and continues it (fake_reboot_start): libvirt's "fake
 * reboot".  A shutdown undoes a reboot still pending, as in libvirt.  A
 * guest that ignores the button keeps running, as with libvirt. */
static int
power_button(CvgDriver *drv, CvgDomainObj *dom, bool reboot)
{
    int rc = -1;

    cvg_driver_lock(drv);
    if (check_active(dom) < 0 ||
        cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0)
        goto out;
    if (check_active(dom) < 0)
        goto end;
    /* Only a reboot, or a shutdown undoing one, changes QEMU's action. */
    if ((reboot || dom->fake_reboot) &&
        set_shutdown_action(drv, dom, reboot ? "pause" : "poweroff") < 0)
        goto end;
    dom->fake_reboot = reboot;
    rc = cvg_qemu_monitor_command(drv, dom, "system_powerdown", NULL, NULL);
    /* The daemon gives it shutdown_timeout to finish when it stops. */
    dom->shutdown_requested = rc == 0 && !reboot;
    if (rc < 0 && reboot && !dom->got_shutdown) {
        dom->fake_reboot = false;
        if (dom->mon)
            (void)set_shutdown_action(drv, dom, "poweroff");
    }
end:
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_driver_shutdown(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    /* DEFAULT (0) and ACPI_POWER_BTN (1) both mean the ACPI power button;
     * there is no guest agent, initctl or paravirt channel. */
    cvg_check_flags(flags, 1, -1);
    return power_button(drv, dom, false);
}

int
cvg_driver_reboot(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    /* As shutdown: DEFAULT (0) and ACPI_POWER_BTN (1). */
    cvg_check_flags(flags, 1, -1);
    return power_button(drv, dom, true);
}

static gpointer
fake_reboot_thread(gpointer data)
{
    CvgDomainObj *dom = data;
    CvgDriver *drv = dom->driver;
    int rc = -1;

    cvg_driver_lock(drv);
    if (check_active(dom) == 0 &&
        cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) == 0) {
        if (check_active(dom) == 0 &&
            cvg_qemu_monitor_command(drv, dom, "system_reset", NULL, NULL) ==
                0 &&
            set_shutdown_action(drv, dom, "poweroff") == 0 &&
            cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) == 0) {
            dom->got_shutdown = false;
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                     CVG_RUNNING_BOOTED);
            cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                                   CVG_EVENT_RESUMED_UNPAUSED);
            cvg_driver_save_status(drv, dom);
            rc = 0;
        }
        /* A guest left powered off and paused would hang there: finish
         * the shutdown it asked for instead. */
        if (rc < 0 && cvg_domain_obj_is_active(dom)) {
            const CvgError *err = cvg_error_last();

            g_warning("reboot of '%s' failed: %s; shutting it off",
                      dom->def->name, err ? err->message : "?");
            cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_SHUTDOWN,
                                  CVG_EVENT_STOPPED_SHUTDOWN);
        }
        cvg_domain_job_end(drv, dom);
    }
    dom->fake_reboot = false;
    cvg_driver_unlock(drv);
    cvg_domain_obj_unref(dom);
    return NULL;
}

/* The guest powered off during a reboot: reset and continue it in a thread
 * of its own (lock held; QEMU paused on the power-off). */
static void
fake_reboot_start(CvgDomainObj *dom)
{
    cvg_domain_obj_ref(dom);
    g_thread_unref(g_thread_new("fake-reboot", fake_reboot_thread, dom));
}

unsigned int
cvg_driver_count_powering_off(CvgDriver *drv)
{
    g_autoptr(GPtrArray) list = NULL;
    unsigned int n = 0;

    cvg_driver_lock(drv);
    list = cvg_driver_list_locked(drv);
    for (guint i = 0; i < list->len; i++) {
        CvgDomainObj *dom = g_ptr_array_index(list, i);

        if (cvg_domain_obj_is_active(dom) && !dom->fake_reboot &&
            (dom->shutdown_requested || dom->got_shutdown))
            n++;
    }
    cvg_driver_unlock(drv);
    return n;
}

int
cvg_driver_reset(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    /* A hard reset: the guest's state stays running (or paused) and QEMU's
     * RESET event becomes the reboot event, as for a guest reboot. */
    cvg_check_flags(flags, 0, -1);
    return guest_command(drv, dom, "system_reset");
}

/* Run QMP @command on a running @dom under a @job job, then put @dom in
 * @state for @reason, queue lifecycle @event/@detail and save the status.
 * A domain already in @state is left alone (and that is success). */
static int
change_run_state(CvgDriver *drv, CvgDomainObj *dom, const char *command,
                 int job, int state, int reason, int event, int detail)
{
    int rc = -1;

    cvg_driver_lock(drv);
    if (check_active(dom) < 0 || cvg_domain_job_begin(drv, dom, job) < 0)
        goto out;
    if (check_active(dom) < 0)
        goto end;
    if (dom->state == state) {
        rc = 0;
        goto end;
    }
    /* As libvirt: a guest paused during its outgoing migration is paused
     * for the migration (and the destination runs it unless
     * VIR_MIGRATE_PAUSED). */
    if (state == CVG_DOMAIN_PAUSED &&
        dom->async_job == CVG_ASYNC_MIGRATION_OUT) {
        reason = CVG_PAUSED_MIGRATION;
        detail = CVG_EVENT_SUSPENDED_MIGRATED;
    }
    if (cvg_qemu_monitor_command(drv, dom, command, NULL, NULL) == 0 &&
        check_active(dom) == 0) {
        /* A guest that powered off meanwhile stays in shutdown: QEMU is
         * about to exit, or a reboot is about to reset it. */
        if (!dom->got_shutdown) {
            cvg_domain_obj_set_state(dom, state, reason);
            cvg_driver_queue_event(drv, dom, event, detail);
            cvg_driver_save_status(drv, dom);
        }
        rc = 0;
    }
end:
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_driver_suspend(CvgDriver *drv, CvgDomainObj *dom)
{
    return change_run_state(drv, dom, "stop", CVG_JOB_SUSPEND,
                            CVG_DOMAIN_PAUSED, CVG_PAUSED_USER,
                            CVG_EVENT_SUSPENDED, CVG_EVENT_SUSPENDED_PAUSED);
}

int
cvg_driver_resume(CvgDriver *drv, CvgDomainObj *dom)
{
    bool migrating, postcopy;

    /* libvirt's resume waits for the migration job and then times out;
     * answer at once instead.  (Resuming a source whose migration has
     * just completed would run the guest on both hosts.)  After the switch
     * to post-copy the destination runs the guest; the copy here is
     * incomplete and must never run again. */
    cvg_driver_lock(drv);
    migrating = dom->async_job != CVG_ASYNC_NONE;
    postcopy = dom->state == CVG_DOMAIN_PAUSED &&
               (dom->reason == CVG_PAUSED_POSTCOPY ||
                dom->reason == CVG_PAUSED_POSTCOPY_FAILED);
    cvg_driver_unlock(drv);
    if (postcopy) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' is the source of a post-copy "
                           "migration and cannot be resumed here"),
                         dom->def->name);
        return -1;
    }
    if (migrating) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' is being migrated: resume it once "
                           "the migration has ended"),
                         dom->def->name);
        return -1;
    }
    return change_run_state(drv, dom, "cont", CVG_JOB_MODIFY,
                            CVG_DOMAIN_RUNNING, CVG_RUNNING_UNPAUSED,
                            CVG_EVENT_RESUMED, CVG_EVENT_RESUMED_UNPAUSED);
}

char *
cvg_driver_get_xml(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    char *xml;

    cvg_check_flags(flags,
                    CVG_DOMAIN_XML_SECURE | CVG_DOMAIN_XML_INACTIVE |
                        CVG_DOMAIN_XML_UPDATE_CPU | CVG_DOMAIN_XML_MIGRATABLE,
                    NULL);
    cvg_driver_lock(drv);
    if (flags & CVG_DOMAIN_XML_INACTIVE)
        xml = cvg_domain_def_format(cvg_domain_obj_config(dom), -1, flags);
    else
        xml = cvg_domain_def_format(dom->def, dom->id, flags);
    cvg_driver_unlock(drv);
    return xml;
}

static unsigned long long
process_cpu_time_ns(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *text = NULL;
    unsigned long long utime = 0, stime = 0;
    const char *p;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    /* Fields after the command name, which may contain spaces. */
    if (!(p = strrchr(text, ')')))
        return 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return 0;
    return (utime + stime) * (1000000000ULL / sysconf(_SC_CLK_TCK));
}

int
cvg_driver_get_info(CvgDriver *drv, CvgDomainObj *dom, CvgDomainInfo *ret_info)
{
    pid_t pid;

    cvg_driver_lock(drv);
    ret_info->state = dom->state;
    ret_info->max_mem_kib = dom->def->memory_kib;
    ret_info->memory_kib = cvg_domain_obj_is_active(dom)
                               ? dom->def->current_memory_kib
                               : dom->def->current_memory_kib;
    ret_info->nr_vcpus = dom->def->vcpus;
    pid = cvg_domain_obj_is_active(dom) ? dom->pid : 0;
    cvg_driver_unlock(drv);
    ret_info->cpu_time_ns = process_cpu_time_ns(pid);
    return 0;
}

int
cvg_driver_get_state(CvgDriver *drv, CvgDomainObj *dom, int *ret_state,
                     int *ret_reason)
{
    cvg_driver_lock(drv);
    *ret_state = dom->state;
    *ret_reason = dom->reason;
    cvg_driver_unlock(drv);
    return 0;
}

bool
cvg_driver_is_active(CvgDriver *drv, CvgDomainObj *dom)
{
    bool active;

    cvg_driver_lock(drv);
    active = cvg_domain_obj_is_active(dom);
    cvg_driver_unlock(drv);
    return active;
}

bool
cvg_driver_is_persistent(CvgDriver *drv, CvgDomainObj *dom)
{
    bool persistent;

    cvg_driver_lock(drv);
    persistent = dom->persistent;
    cvg_driver_unlock(drv);
    return persistent;
}

int
cvg_driver_get_autostart(CvgDriver *drv, CvgDomainObj *dom)
{
    int autostart;

    cvg_driver_lock(drv);
    autostart = dom->autostart;
    cvg_driver_unlock(drv);
    return autostart;
}

int
cvg_driver_set_autostart(CvgDriver *drv, CvgDomainObj *dom, bool autostart)
{
    int rc = -1;

    cvg_driver_lock(drv);
    if (!dom->persistent) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("cannot set autostart for transient domain"));
    } else if ((rc = cvg_driver_save_autostart(drv, dom, autostart)) == 0) {
        dom->autostart = autostart;
    }
    cvg_driver_unlock(drv);
    return rc;
}

/* --- start-up --- */

static gboolean
quit_monitor_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static gpointer
monitor_thread(gpointer data)
{
    CvgDriver *drv = data;

    g_main_context_push_thread_default(drv->mon_ctx);
    g_main_loop_run(drv->mon_loop);
    g_main_context_pop_thread_default(drv->mon_ctx);
    return NULL;
}

static int
make_dir(const char *path)
{
    if (g_mkdir_with_parents(path, 0700) < 0) {
        cvg_error_report_system(errno, _("cannot create directory '%s'"), path);
        return -1;
    }
    return 0;
}

static void
load_host_uuid(CvgDriver *drv)
{
    g_autofree char *path =
        g_build_filename(drv->cfg->state_dir, "host-uuid", NULL);
    g_autofree char *text = NULL;
    char str[37];

    if (g_file_get_contents(path, &text, NULL, NULL) &&
        cvg_uuid_parse(g_strstrip(text), drv->host_uuid) == 0)
        return;
    cvg_uuid_generate(drv->host_uuid);
    cvg_uuid_format(drv->host_uuid, str);
    if (cvg_driver_write_file(path, str) < 0)
        cvg_error_reset();
}

static void
load_configs(CvgDriver *drv)
{
    g_autoptr(GDir) dir = g_dir_open(drv->config_dir, 0, NULL);
    const char *ent;

    while (dir && (ent = g_dir_read_name(dir))) {
        g_autofree char *path = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *autostart = NULL;
        g_autoptr(CvgDomainDef) def = NULL;
        g_autoptr(CvgDomainObj) dom = NULL;
        bool added;

        if (!g_str_has_suffix(ent, ".xml"))
            continue;
        path = g_build_filename(drv->config_dir, ent, NULL);
        if (!g_file_get_contents(path, &xml, NULL, NULL) ||
            !(def = cvg_domain_def_parse_string(xml, 0))) {
            g_warning("skipping unreadable domain config '%s': %s", path,
                      cvg_error_last() ? cvg_error_last()->message : "");
            continue;
        }
        if (!(dom = cvg_driver_add_or_replace(drv, &def, 0, &added))) {
            g_warning("skipping '%s': %s", path, cvg_error_last()->message);
            continue;
        }
        dom->persistent = true;
        autostart = cvg_driver_config_file(drv, dom->def->name, ".autostart");
        dom->autostart = g_file_test(autostart, G_FILE_TEST_EXISTS);
    }
    cvg_error_reset();
}

/* The definition in STATE/run/NAME.xml and the status in NAME.status
 * (into @kf); NULL, and both files gone, when they are unreadable. */
static CvgDomainDef *
read_status(CvgDriver *drv, const char *name, GKeyFile *kf)
{
    g_autofree char *xml_path = cvg_driver_run_file(drv, name, ".xml");
    g_autofree char *st_path = cvg_driver_run_file(drv, name, ".status");
    g_autofree char *xml = NULL;
    CvgDomainDef *def = NULL;

    if (!g_key_file_load_from_file(kf, st_path, 0, NULL) ||
        !g_file_get_contents(xml_path, &xml, NULL, NULL) ||
        !(def =
              cvg_domain_def_parse_string(xml, CVG_DOMAIN_DEF_PARSE_STATUS))) {
        g_warning("discarding unreadable status of '%s'", name);
        unlink(st_path);
        unlink(xml_path);
        return NULL;
    }
    return def;
}

/* Re-attach @dom, whose status @kf was found, to its QEMU (lock held);
 * finish or undo the migration the previous daemon left under way. */
static void
reattach(CvgDriver *drv, CvgDomainObj *dom, GKeyFile *kf)
{
    int async_job;

    dom->persistent = g_key_file_get_boolean(kf, "domain", "persistent", NULL);
    dom->pid = (pid_t)g_key_file_get_int64(kf, "domain", "pid", NULL);
    dom->id = g_key_file_get_integer(kf, "domain", "id", NULL);
    dom->state = g_key_file_get_integer(kf, "domain", "state", NULL);
    dom->reason = g_key_file_get_integer(kf, "domain", "reason", NULL);
    dom->max_downtime_ms =
        g_key_file_get_uint64(kf, "domain", "max_downtime_ms", NULL);
    dom->max_speed_mibs =
        g_key_file_get_uint64(kf, "domain", "max_speed_mibs", NULL);
    if (dom->id >= drv->next_id)
        drv->next_id = dom->id + 1;
    async_job = g_key_file_get_integer(kf, "domain", "async_job", NULL);
    if (cvg_qemu_process_reconnect(drv, dom) < 0) {
        g_message("guest '%s' died while the daemon was down", dom->def->name);
        cvg_error_reset();
        cvg_driver_domain_stopped(drv, dom, CVG_SHUTOFF_CRASHED,
                                  CVG_EVENT_STOPPED_CRASHED);
    } else if (async_job == CVG_ASYNC_MIGRATION_IN) {
        /* The incoming guest never got its Finish: the source kept it
         * (its Perform or Finish failed when we went away). */
        g_message(
            "discarding incoming migration of '%s' left by the previous daemon",
            dom->def->name);
        cvg_migration_recover_incoming(drv, dom);
    } else {
        if (async_job == CVG_ASYNC_MIGRATION_OUT)
            cvg_migration_recover_outgoing(drv, dom);
        g_message("re-attached running guest '%s' (pid %d)", dom->def->name,
                  (int)dom->pid);
        cvg_driver_save_status(drv, dom);
    }
}

/* Re-attach guests that were running when the daemon stopped. */
static void
load_running(CvgDriver *drv)
{
    g_autoptr(GDir) dir = g_dir_open(drv->run_dir, 0, NULL);
    const char *ent;

    while (dir && (ent = g_dir_read_name(dir))) {
        g_autofree char *name = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(CvgDomainDef) def = NULL;
        g_autoptr(CvgDomainObj) dom = NULL;
        bool added;

        if (!g_str_has_suffix(ent, ".status"))
            continue;
        name = g_strndup(ent, strlen(ent) - strlen(".status"));
        if (!(def = read_status(drv, name, kf)))
            continue;
        /* The config on disk, if any, is the next-boot definition. */
        if (!(dom = cvg_driver_add_or_replace(drv, &def, CVG_DRIVER_ADD_LIVE,
                                              &added))) {
            g_warning("skipping the status of '%s': %s", name,
                      cvg_error_last()->message);
            cvg_error_reset();
            continue;
        }
        reattach(drv, dom, kf);
    }
}

/* --- what QEMU processes report (lock held) --- */

static void
process_stopped(CvgDriver *drv, CvgDomainObj *dom, int reason, int detail,
                void *opaque G_GNUC_UNUSED)
{
    cvg_driver_domain_stopped(drv, dom, reason, detail);
}

static void
process_reboot_shutdown(CvgDriver *drv G_GNUC_UNUSED, CvgDomainObj *dom,
                        void *opaque G_GNUC_UNUSED)
{
    fake_reboot_start(dom);
}

static void
process_migration_event(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                        json_object *data, void *opaque G_GNUC_UNUSED)
{
    cvg_migration_handle_event(drv, dom, name, data);
}

static const CvgProcessSink process_sink = {
    .stopped = process_stopped,
    .reboot_shutdown = process_reboot_shutdown,
    .migration_event = process_migration_event,
    .opaque = NULL,
};

CvgDriver *
cvg_driver_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev, void *ev_opaque)
{
    CvgDriver *drv = cvg_driver_state_new(cfg, ev, ev_opaque);

    drv->process_sink = &process_sink;
    if (make_dir(drv->cfg->state_dir) < 0 || make_dir(drv->config_dir) < 0 ||
        make_dir(drv->run_dir) < 0 || make_dir(drv->log_dir) < 0) {
        cvg_driver_free(drv);
        return NULL;
    }
    load_host_uuid(drv);

    drv->mon_ctx = g_main_context_new();
    drv->mon_loop = g_main_loop_new(drv->mon_ctx, FALSE);
    drv->mon_thread = g_thread_new("qmp-io", monitor_thread, drv);

    cvg_driver_lock(drv);
    load_configs(drv);
    load_running(drv);
    /* Events from start-up have no listeners yet. */
    cvg_driver_drop_events(drv);
    cvg_driver_unlock(drv);
    return drv;
}

void
cvg_driver_free(CvgDriver *drv)
{
    g_autoptr(GPtrArray) all = NULL;

    if (!drv)
        return;
    all = cvg_driver_list_locked(drv);
    /* Detach from running guests without stopping them. */
    for (guint i = 0; i < all->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(all, i);

        if (d->mon) {
            d->stopping = true;
            cvg_qmp_close(d->mon);
            d->mon = NULL;
        }
    }
    if (drv->mon_loop) {
        /* Quit from inside the loop: a quit issued before the thread has
         * entered g_main_loop_run() would be lost. */
        GSource *quit = g_idle_source_new();

        g_source_set_callback(quit, quit_monitor_loop, drv->mon_loop, NULL);
        g_source_attach(quit, drv->mon_ctx);
        g_source_unref(quit);
        g_thread_join(drv->mon_thread);
        g_main_loop_unref(drv->mon_loop);
        g_main_context_unref(drv->mon_ctx);
    }
    for (guint i = 0; i < all->len; i++)
        cvg_driver_remove(drv, g_ptr_array_index(all, i));
    cvg_driver_state_free(drv);
}

/* The serial port @dev_name names ("console0": the console's, "serialN"),
 * or with NULL the console's, else the first serial port's.  @ret_alias:
 * its name for errors. */
static const CvgDomainChr *
find_console_chr(const CvgDomainDef *def, const char *dev_name,
                 char **ret_alias)
{
    unsigned int idx;
    char tail;
    int port = -1;

    if (!dev_name || strcmp(dev_name, "console0") == 0) {
        if (def->nconsoles)
            port = def->consoles[0]->port;
        else if (!dev_name && def->nserials)
            port = def->serials[0]->port;
    } else if (sscanf(dev_name, "serial%u%c", &idx, &tail) == 1 &&
               idx < def->nserials) {
        *ret_alias = g_strdup(dev_name);
        return def->serials[idx];
    }
    for (size_t i = 0; port >= 0 && i < def->nserials; i++) {
        if (def->serials[i]->port == port) {
            *ret_alias = g_strdup_printf("serial%zu", i);
            return def->serials[i];
        }
    }
    return NULL;
}

char *
cvg_driver_console_path(CvgDriver *drv, CvgDomainObj *dom, const char *dev_name)
{
    const CvgDomainChr *chr;
    g_autofree char *alias = NULL;
    char *path = NULL;

    cvg_driver_lock(drv);
    if (check_active(dom) < 0)
        goto out;
    if (!(chr = find_console_chr(dom->def, dev_name, &alias)))
        /* libvirt's code and words */
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("cannot find character device %s"),
                         dev_name ? dev_name : "<null>");
    else if (chr->type != CVG_CHR_TYPE_PTY || !chr->path)
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("character device %s is not using a PTY"), alias);
    else
        path = g_strdup(chr->path);
out:
    cvg_driver_unlock(drv);
    return path;
}
