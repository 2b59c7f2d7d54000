/*
 * testutils-driver.c: a real driver around a scripted QEMU
 */
#include "testutils-driver.h"

#include "cvg-error.h"
#include "testutils.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OPEN_TIMEOUT_MS 5000

static const char *
lifecycle_name(int event)
{
    static const char *const names[] = {
        "defined", "undefined", "started",  "suspended",
        "resumed", "stopped",   "shutdown",
    };

    return event >= 0 && event < (int)G_N_ELEMENTS(names) ? names[event]
                                                          : "unknown";
}

const char *
cvg_test_state_name(int state)
{
    static const char *const names[] = {
        "nostate",  "running", "blocked", "paused",
        "shutdown", "shutoff", "crashed", "pmsuspended",
    };

    return state >= 0 && state < (int)G_N_ELEMENTS(names) ? names[state]
                                                          : "unknown";
}

/* The driver's event sink: runs in whichever thread drops the lock. */
static void
event_sink(const CvgDriverEvent *ev, void *opaque)
{
    CvgTestEventLog *evlog = opaque;

    g_mutex_lock(&evlog->lock);
    switch (ev->event_id) {
    case CVG_EVENT_ID_LIFECYCLE:
        g_string_append_printf(evlog->log, "event lifecycle %s %d\n",
                               lifecycle_name(ev->event), ev->detail);
        break;
    case CVG_EVENT_ID_REBOOT:
        g_string_append(evlog->log, "event reboot\n");
        break;
    case CVG_EVENT_ID_MIGRATION_ITERATION:
        g_string_append_printf(evlog->log, "event migration-iteration %d\n",
                               ev->iteration);
        break;
    case CVG_EVENT_ID_JOB_COMPLETED:
        g_string_append_printf(evlog->log, "event job-completed\n");
        break;
    default:
        g_string_append_printf(evlog->log, "event id %d\n", ev->event_id);
        break;
    }
    g_mutex_unlock(&evlog->lock);
}

char *
cvg_test_driver_events(CvgTestDriver *t)
{
    char *s;

    g_mutex_lock(&t->events.lock);
    s = g_strdup(t->events.log->str);
    g_mutex_unlock(&t->events.lock);
    return s;
}

int
cvg_test_driver_end_case(CvgTestDriver *t, CvgDomainObj *dom,
                         CvgTestQmpPeer **peer, const char *name, GString *out)
{
    CvgDriver *drv = t->drv;
    g_autofree char *events = NULL;
    CvgQmp *mon;

    cvg_driver_lock(drv);
    g_string_append_printf(out, "state %s reason %d\n",
                           cvg_test_state_name(dom->state), dom->reason);
    mon = g_steal_pointer(&dom->mon);
    dom->stopping = true;
    cvg_driver_unlock(drv);
    if (mon)
        cvg_qmp_close(mon);
    if (cvg_test_qmp_peer_finish(g_steal_pointer(peer)) < 0) {
        fprintf(stderr, "%s: the conversation differs from the script\n", name);
        return -1;
    }
    events = cvg_test_driver_events(t);
    g_string_append(out, events);
    return 0;
}

void
cvg_test_append_result(GString *out, const char *what, int rc)
{
    const CvgError *err = cvg_error_last();

    if (rc == 0 && !err)
        g_string_append_printf(out, "%s: rc 0\n", what);
    else if (rc == 0)
        g_string_append_printf(out, "%s: rc 0 with error %d: %s\n", what,
                               err->code, err->message);
    else if (err)
        g_string_append_printf(out, "%s: error %d: %s\n", what, err->code,
                               err->message);
    else
        g_string_append_printf(out, "%s: rc %d without an error\n", what, rc);
}

static void
remove_tree(const char *path)
{
    if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
        g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *ent;

        while (dir && (ent = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, ent, NULL);

            remove_tree(child);
        }
    }
    if (g_remove(path) < 0)
        fprintf(stderr, "cannot remove %s: %s\n", path, g_strerror(errno));
}

CvgTestDriver *
cvg_test_driver_new(const char *prefix)
{
    g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", prefix);
    g_autoptr(CvgDaemonConfig) cfg = NULL;
    g_autoptr(GError) gerr = NULL;
    CvgTestDriver *t = g_new0(CvgTestDriver, 1);

    g_mutex_init(&t->events.lock);
    t->events.log = g_string_new(NULL);
    if (!(t->tmpdir = g_dir_make_tmp(tmpl, &gerr))) {
        fprintf(stderr, "%s\n", gerr->message);
        cvg_test_driver_free(t);
        return NULL;
    }
    cfg = cvg_daemon_config_new();
    g_free(cfg->state_dir);
    cfg->state_dir = g_strdup(t->tmpdir);
    if (!(t->drv = cvg_driver_new(&cfg, event_sink, &t->events))) {
        fprintf(stderr, "cannot create the driver: %s\n",
                cvg_error_last() ? cvg_error_last()->message : "?");
        cvg_test_driver_free(t);
        return NULL;
    }
    /* cvg_driver_free() quits the QMP loop with g_main_loop_quit(), which
     * g_main_loop_run() undoes if its thread has not started yet: the free
     * then waits forever for that thread.  A daemon's driver lives long
     * enough; a case that fails at once frees it within a millisecond, so
     * wait for the loop to run first. */
    while (!g_main_loop_is_running(t->drv->mon_loop))
        g_usleep(1000);
    return t;
}

void
cvg_test_driver_free(CvgTestDriver *t)
{
    if (!t)
        return;
    if (t->drv)
        cvg_driver_free(t->drv);
    if (t->tmpdir) {
        remove_tree(t->tmpdir);
        g_free(t->tmpdir);
    }
    g_string_free(t->events.log, TRUE);
    g_mutex_clear(&t->events.lock);
    g_free(t);
}

CvgDomainObj *
cvg_test_driver_start_domain(CvgTestDriver *t, const char *xml_path,
                             const char *script,
                             const CvgQmpCallbacks *callbacks,
                             CvgTestQmpPeer **ret_peer)
{
    CvgDriver *drv = t->drv;
    g_autofree char *xml = cvg_test_load_file(xml_path);
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    CvgTestQmpPeer *peer;
    CvgQmp *mon;
    int fd = -1;
    bool added;
    int rc;

    if (!xml)
        return NULL;
    if (!(def = cvg_domain_def_parse_string(xml, 0))) {
        fprintf(stderr, "%s: %s\n", xml_path, cvg_error_last()->message);
        return NULL;
    }
    cvg_driver_lock(drv);
    dom = cvg_driver_add_or_replace(drv, &def, CVG_DRIVER_ADD_LIVE, &added);
    if ((rc = dom ? 0 : -1) == 0) {
        /* Running as far as the driver can tell; pid 0 means there is no
         * process for a stop's kill to hit. */
        dom->id = drv->next_id++;
        dom->pid = 0;
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING, CVG_RUNNING_BOOTED);
    }
    cvg_driver_unlock(drv);
    if (rc < 0) {
        fprintf(stderr, "cannot add the domain: %s\n",
                cvg_error_last()->message);
        return NULL;
    }
    if (!(peer = cvg_test_qmp_peer_start(script, &fd)))
        return NULL;
    if (!(mon = cvg_qmp_open_fd(fd, drv->mon_ctx, callbacks, dom,
                                OPEN_TIMEOUT_MS))) {
        fprintf(stderr, "cannot open the monitor: %s\n",
                cvg_error_last()->message);
        cvg_test_qmp_peer_finish(peer);
        return NULL;
    }
    cvg_driver_lock(drv);
    dom->mon = mon;
    cvg_qmp_get_version(mon, &dom->qemu_major, &dom->qemu_minor,
                        &dom->qemu_micro);
    cvg_driver_unlock(drv);
    *ret_peer = peer;
    return g_steal_pointer(&dom);
}
