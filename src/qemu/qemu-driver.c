/*
 * qemu-driver.c: the domain driver: list, persistence and lifecycle
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

#define JOB_WAIT_US (30 * G_TIME_SPAN_SECOND)

/* virConnectListAllDomainsFlags */
enum {
    LIST_ACTIVE = 1 << 0,
    LIST_INACTIVE = 1 << 1,
    LIST_PERSISTENT = 1 << 2,
    LIST_TRANSIENT = 1 << 3,
    LIST_RUNNING = 1 << 4,
    LIST_PAUSED = 1 << 5,
    LIST_SHUTOFF = 1 << 6,
    LIST_OTHER = 1 << 7,
    LIST_MANAGEDSAVE = 1 << 8,
    LIST_NO_MANAGEDSAVE = 1 << 9,
    LIST_AUTOSTART = 1 << 10,
    LIST_NO_AUTOSTART = 1 << 11,
    LIST_HAS_SNAPSHOT = 1 << 12,
    LIST_NO_SNAPSHOT = 1 << 13,
    LIST_HAS_CHECKPOINT = 1 << 14,
    LIST_NO_CHECKPOINT = 1 << 15,
};

static void
queued_event_free(gpointer p)
{
    CvgDriverEvent *ev = p;

    g_free(ev->name);
    cvg_typed_params_free(ev->params);
    g_free(ev);
}

void
cvg_driver_lock(CvgDriver *drv)
{
    g_mutex_lock(&drv->lock);
}

void
cvg_driver_unlock(CvgDriver *drv)
{
    g_autoptr(GPtrArray) events = NULL;

    if (drv->pending_events->len) {
        events = drv->pending_events;
        drv->pending_events = g_ptr_array_new_with_free_func(queued_event_free);
    }
    g_mutex_unlock(&drv->lock);
    if (!events || !drv->event_func)
        return;
    for (guint i = 0; i < events->len; i++) {
        drv->event_func(g_ptr_array_index(events, i), drv->event_opaque);
    }
}

static CvgDriverEvent *
queue_event(CvgDriver *drv, CvgDomainObj *dom, int event_id)
{
    CvgDriverEvent *ev = g_new0(CvgDriverEvent, 1);

    ev->event_id = event_id;
    ev->name = g_strdup(dom->def->name);
    memcpy(ev->uuid, dom->def->uuid, 16);
    ev->id = dom->id;
    g_ptr_array_add(drv->pending_events, ev);
    return ev;
}

void
cvg_driver_queue_event(CvgDriver *drv, CvgDomainObj *dom, int event,
                       int detail)
{
    CvgDriverEvent *ev = queue_event(drv, dom, CVG_EVENT_ID_LIFECYCLE);

    ev->event = event;
    ev->detail = detail;
}

void
cvg_driver_queue_job_event(CvgDriver *drv, CvgDomainObj *dom, int event_id,
                           int iteration, const CvgTypedParamList *params)
{
    CvgDriverEvent *ev = queue_event(drv, dom, event_id);

    ev->iteration = iteration;
    if (params)
        ev->params = cvg_typed_params_copy(params);
}

static bool
job_allowed(CvgDomainObj *dom, int kind)
{
    if (dom->job != CVG_JOB_NONE)
        return false;
    if (dom->async_job == CVG_ASYNC_NONE)
        return true;
    return kind == CVG_JOB_QUERY || kind == CVG_JOB_DESTROY ||
           kind == CVG_JOB_MIGRATION_OP;
}

int
cvg_domain_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind)
{
    gint64 deadline = g_get_monotonic_time() + JOB_WAIT_US;

    while (!job_allowed(dom, kind)) {
        if (!g_cond_wait_until(&dom->job_cond, &drv->lock, deadline)) {
            cvg_error_report(CVG_ERR_OPERATION_TIMEOUT,
                             _("cannot acquire state change lock for domain '%s'"),
                             dom->def->name);
            return -1;
        }
    }
    if (!dom->in_list) {
        cvg_error_report(CVG_ERR_NO_DOMAIN,
                         _("domain '%s' no longer exists"), dom->def->name);
        return -1;
    }
    dom->job = kind;
    return 0;
}

void
cvg_domain_job_end(CvgDriver *drv G_GNUC_UNUSED, CvgDomainObj *dom)
{
    dom->job = CVG_JOB_NONE;
    g_cond_broadcast(&dom->job_cond);
}

/* --- persistence --- */

static char *
config_file(CvgDriver *drv, const char *name, const char *suffix)
{
    g_autofree char *base = g_strdup_printf("%s%s", name, suffix);

    return g_build_filename(drv->config_dir, base, NULL);
}

static char *
run_file(CvgDriver *drv, const char *name, const char *suffix)
{
    g_autofree char *base = g_strdup_printf("%s%s", name, suffix);

    return g_build_filename(drv->run_dir, base, NULL);
}

static int
write_file(const char *path, const char *text)
{
    g_autoptr(GError) gerr = NULL;

    if (!g_file_set_contents_full(path, text, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  &gerr)) {
        cvg_error_report(CVG_ERR_WRITE_FAILED, _("'%s': %s"), path,
                         gerr->message);
        return -1;
    }
    return 0;
}

int
cvg_driver_save_config(CvgDriver *drv, CvgDomainObj *dom)
{
    const CvgDomainDef *def = cvg_domain_obj_config(dom);
    g_autofree char *xml = cvg_domain_def_format(def, -1,
                                                 CVG_DOMAIN_XML_INACTIVE);
    g_autofree char *path = config_file(drv, def->name, ".xml");

    if (!xml)
        return -1;
    return write_file(path, xml);
}

static void
remove_config(CvgDriver *drv, const char *name)
{
    g_autofree char *path = config_file(drv, name, ".xml");
    g_autofree char *autostart = config_file(drv, name, ".autostart");

    unlink(path);
    unlink(autostart);
}

int
cvg_driver_save_status(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autofree char *xml = NULL;
    g_autofree char *xml_path = run_file(drv, dom->def->name, ".xml");
    g_autofree char *status_path = run_file(drv, dom->def->name, ".status");
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *status = NULL;

    if (!cvg_domain_obj_is_active(dom))
        return 0;
    if (!(xml = cvg_domain_def_format(dom->def, dom->id, 0)))
        return -1;
    g_key_file_set_int64(kf, "domain", "pid", dom->pid);
    g_key_file_set_integer(kf, "domain", "id", dom->id);
    g_key_file_set_integer(kf, "domain", "state", dom->state);
    g_key_file_set_integer(kf, "domain", "reason", dom->reason);
    g_key_file_set_boolean(kf, "domain", "persistent", dom->persistent);
    /* A restarted daemon must know a migration was under way. */
    g_key_file_set_integer(kf, "domain", "async_job", dom->async_job);
    g_key_file_set_uint64(kf, "domain", "max_downtime_ms",
                          dom->max_downtime_ms);
    g_key_file_set_uint64(kf, "domain", "max_speed_mibs",
                          dom->max_speed_mibs);
    status = g_key_file_to_data(kf, NULL, NULL);
    if (write_file(xml_path, xml) < 0 || write_file(status_path, status) < 0)
        return -1;
    return 0;
}

void
cvg_driver_remove_status(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autofree char *xml_path = run_file(drv, dom->def->name, ".xml");
    g_autofree char *status_path = run_file(drv, dom->def->name, ".status");
    g_autofree char *qmp_path = run_file(drv, dom->def->name, ".qmp");

    unlink(xml_path);
    unlink(status_path);
    /* QEMU leaves its monitor socket behind when it dies. */
    unlink(qmp_path);
}

/* --- the list --- */

static CvgDomainObj *
find_name(CvgDriver *drv, const char *name)
{
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

        if (strcmp(d->def->name, name) == 0)
            return d;
    }
    return NULL;
}

static CvgDomainObj *
find_uuid(CvgDriver *drv, const unsigned char *uuid)
{
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

        if (memcmp(d->def->uuid, uuid, 16) == 0)
            return d;
    }
    return NULL;
}

int
cvg_driver_add(CvgDriver *drv, CvgDomainObj *dom)
{
    char uuid[37];

    cvg_uuid_format(dom->def->uuid, uuid);
    if (find_name(drv, dom->def->name)) {
        cvg_error_report(CVG_ERR_DOM_EXIST,
                         _("domain '%s' already exists"), dom->def->name);
        return -1;
    }
    if (find_uuid(drv, dom->def->uuid)) {
        cvg_error_report(CVG_ERR_DOM_EXIST,
                         _("domain with uuid '%s' already exists"), uuid);
        return -1;
    }
    cvg_domain_obj_ref(dom);
    dom->driver = drv;
    dom->in_list = true;
    g_ptr_array_add(drv->domains, dom);
    return 0;
}

void
cvg_driver_remove(CvgDriver *drv, CvgDomainObj *dom)
{
    if (!dom->in_list)
        return;
    dom->in_list = false;
    g_cond_broadcast(&dom->job_cond);
    g_ptr_array_remove(drv->domains, dom);
    cvg_domain_obj_unref(dom);
}

static CvgDomainObj *
ref_or_error(CvgDomainObj *dom, const char *what, const char *value)
{
    if (!dom) {
        cvg_error_report(CVG_ERR_NO_DOMAIN,
                         _("no domain with matching %s '%s'"), what, value);
        return NULL;
    }
    cvg_domain_obj_ref(dom);
    return dom;
}

CvgDomainObj *
cvg_driver_lookup_name(CvgDriver *drv, const char *name)
{
    CvgDomainObj *dom;

    cvg_driver_lock(drv);
    dom = ref_or_error(find_name(drv, name), "name", name);
    cvg_driver_unlock(drv);
    return dom;
}

CvgDomainObj *
cvg_driver_lookup_uuid(CvgDriver *drv, const unsigned char *uuid)
{
    CvgDomainObj *dom;
    char str[37];

    cvg_uuid_format(uuid, str);
    cvg_driver_lock(drv);
    dom = ref_or_error(find_uuid(drv, uuid), "uuid", str);
    cvg_driver_unlock(drv);
    return dom;
}

CvgDomainObj *
cvg_driver_lookup_id(CvgDriver *drv, int id)
{
    CvgDomainObj *dom = NULL;
    g_autofree char *str = g_strdup_printf("%d", id);

    cvg_driver_lock(drv);
    for (guint i = 0; i < drv->domains->len && id >= 0; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

        if (d->id == id)
            dom = d;
    }
    dom = ref_or_error(dom, "id", str);
    cvg_driver_unlock(drv);
    return dom;
}

static bool
list_match(CvgDomainObj *d, unsigned int flags)
{
    bool active = cvg_domain_obj_is_active(d);

    if ((flags & (LIST_ACTIVE | LIST_INACTIVE)) &&
        !((flags & LIST_ACTIVE && active) || (flags & LIST_INACTIVE && !active)))
        return false;
    if ((flags & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
        !((flags & LIST_PERSISTENT && d->persistent) ||
          (flags & LIST_TRANSIENT && !d->persistent)))
        return false;
    if (flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) {
        bool running = d->state == CVG_DOMAIN_RUNNING;
        bool paused = d->state == CVG_DOMAIN_PAUSED;
        bool shutoff = d->state == CVG_DOMAIN_SHUTOFF;
        bool other = !running && !paused && !shutoff;

        if (!((flags & LIST_RUNNING && running) ||
              (flags & LIST_PAUSED && paused) ||
              (flags & LIST_SHUTOFF && shutoff) ||
              (flags & LIST_OTHER && other)))
            return false;
    }
    /* There are never managed-save images, snapshots or checkpoints. */
    if ((flags & (LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE)) &&
        !(flags & LIST_NO_MANAGEDSAVE))
        return false;
    if ((flags & (LIST_HAS_SNAPSHOT | LIST_NO_SNAPSHOT)) &&
        !(flags & LIST_NO_SNAPSHOT))
        return false;
    if ((flags & (LIST_HAS_CHECKPOINT | LIST_NO_CHECKPOINT)) &&
        !(flags & LIST_NO_CHECKPOINT))
        return false;
    if ((flags & (LIST_AUTOSTART | LIST_NO_AUTOSTART)) &&
        !((flags & LIST_AUTOSTART && d->autostart) ||
          (flags & LIST_NO_AUTOSTART && !d->autostart)))
        return false;
    return true;
}

GPtrArray *
cvg_driver_list(CvgDriver *drv, unsigned int flags)
{
    GPtrArray *list;

    cvg_check_flags(flags, 0xffff, NULL);
    list = g_ptr_array_new_with_free_func((GDestroyNotify)cvg_domain_obj_unref);
    cvg_driver_lock(drv);
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

        if (list_match(d, flags)) {
            cvg_domain_obj_ref(d);
            g_ptr_array_add(list, d);
        }
    }
    cvg_driver_unlock(drv);
    return list;
}

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

void
cvg_driver_domain_stopped(CvgDriver *drv, CvgDomainObj *dom, int reason,
                          int event_detail)
{
    cvg_driver_remove_status(drv, dom);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_STOPPED, event_detail);
    cvg_domain_obj_set_state(dom, CVG_DOMAIN_SHUTOFF, reason);
    dom->id = -1;
    dom->pid = 0;
    dom->stopping = false;
    dom->shutdown_requested = false;
    if (dom->newdef) {
        cvg_domain_def_free(dom->def);
        dom->def = g_steal_pointer(&dom->newdef);
    } else {
        /* Runtime-only data (pty paths) goes with the process. */
        for (size_t i = 0; i < dom->def->nserials; i++) {
            if (dom->def->serials[i]->type == CVG_CHR_TYPE_PTY)
                g_clear_pointer(&dom->def->serials[i]->path, g_free);
        }
        for (size_t i = 0; i < dom->def->nconsoles; i++) {
            if (dom->def->consoles[i]->type == CVG_CHR_TYPE_PTY)
                g_clear_pointer(&dom->def->consoles[i]->path, g_free);
        }
    }
    if (!dom->persistent)
        cvg_driver_remove(drv, dom);
}

CvgDomainObj *
cvg_driver_define(CvgDriver *drv, const char *xml, unsigned int flags)
{
    g_autoptr(CvgDomainDef) def = NULL;
    CvgDomainObj *dom;
    char uuid[37];
    int detail = CVG_EVENT_DEFINED_ADDED;

    /* VIR_DOMAIN_DEFINE_VALIDATE: parsing always validates. */
    cvg_check_flags(flags, 1, NULL);
    if (!(def = cvg_domain_def_parse_string(xml, 0)))
        return NULL;
    cvg_uuid_format(def->uuid, uuid);

    cvg_driver_lock(drv);
    dom = find_name(drv, def->name);
    /* libvirt reports both clashes as OPERATION_FAILED. */
    if (dom && memcmp(dom->def->uuid, def->uuid, 16) != 0) {
        char other[37];

        cvg_uuid_format(dom->def->uuid, other);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("domain '%s' already exists with uuid %s"),
                         def->name, other);
        goto error;
    }
    if (!dom && (dom = find_uuid(drv, def->uuid))) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("domain '%s' is already defined with uuid %s"),
                         dom->def->name, uuid);
        goto error;
    }
    if (dom) {
        detail = CVG_EVENT_DEFINED_UPDATED;
        if (cvg_domain_obj_is_active(dom)) {
            cvg_domain_def_free(dom->newdef);
            dom->newdef = g_steal_pointer(&def);
        } else {
            cvg_domain_def_free(dom->def);
            dom->def = g_steal_pointer(&def);
        }
        cvg_domain_obj_ref(dom);
    } else {
        dom = cvg_domain_obj_new(&def);
        if (cvg_driver_add(drv, dom) < 0) {
            cvg_domain_obj_unref(dom);
            goto error;
        }
    }
    if (cvg_driver_save_config(drv, dom) < 0) {
        if (detail == CVG_EVENT_DEFINED_ADDED)
            cvg_driver_remove(drv, dom);
        cvg_domain_obj_unref(dom);
        goto error;
    }
    dom->persistent = true;
    cvg_driver_queue_event(drv, dom, CVG_EVENT_DEFINED, detail);
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
    remove_config(drv, dom->def->name);
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

/* Start @dom (lock and MODIFY job held). */
static int
start_locked(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    if (cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain is already running"));
        return -1;
    }
    if (dom->newdef) {
        cvg_domain_def_free(dom->def);
        dom->def = g_steal_pointer(&dom->newdef);
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
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("flag VIR_DOMAIN_START_AUTODESTROY is not supported"));
        return -1;
    }
    cvg_driver_lock(drv);
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) == 0) {
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
    int rc;

    cvg_check_flags(flags, START_FLAGS_OK | 2, NULL);
    if (flags & 2) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("flag VIR_DOMAIN_START_AUTODESTROY is not supported"));
        return NULL;
    }
    if (!(def = cvg_domain_def_parse_string(xml, 0)))
        return NULL;
    dom = cvg_domain_obj_new(&def);
    cvg_driver_lock(drv);
    if (cvg_driver_add(drv, dom) < 0) {
        cvg_driver_unlock(drv);
        return NULL;
    }
    dom->job = CVG_JOB_MODIFY;
    rc = start_locked(drv, dom, flags);
    cvg_domain_job_end(drv, dom);
    if (rc < 0)
        cvg_driver_remove(drv, dom);
    cvg_driver_unlock(drv);
    return rc < 0 ? NULL : g_steal_pointer(&dom);
}

static int
check_active(CvgDomainObj *dom)
{
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain is not running"));
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
 * resets and continues it (cvg_driver_fake_reboot_start): libvirt's "fake
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
            cvg_qemu_monitor_command(drv, dom, "system_reset", NULL,
                                     NULL) == 0 &&
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

void
cvg_driver_fake_reboot_start(CvgDomainObj *dom)
{
    cvg_domain_obj_ref(dom);
    g_thread_unref(g_thread_new("fake-reboot", fake_reboot_thread, dom));
}

unsigned int
cvg_driver_count_powering_off(CvgDriver *drv)
{
    unsigned int n = 0;

    cvg_driver_lock(drv);
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *dom = g_ptr_array_index(drv->domains, i);

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

/* Run QMP @command on a running @dom under a MODIFY job, then put @dom in
 * @state for @reason, queue lifecycle @event/@detail and save the status.
 * A domain already in @state is left alone (and that is success). */
static int
change_run_state(CvgDriver *drv, CvgDomainObj *dom, const char *command,
                 int state, int reason, int event, int detail)
{
    int rc = -1;

    cvg_driver_lock(drv);
    if (check_active(dom) < 0 ||
        cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0)
        goto out;
    if (check_active(dom) < 0)
        goto end;
    if (dom->state == state) {
        rc = 0;
        goto end;
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
    return change_run_state(drv, dom, "stop", CVG_DOMAIN_PAUSED,
                            CVG_PAUSED_USER, CVG_EVENT_SUSPENDED,
                            CVG_EVENT_SUSPENDED_PAUSED);
}

int
cvg_driver_resume(CvgDriver *drv, CvgDomainObj *dom)
{
    return change_run_state(drv, dom, "cont", CVG_DOMAIN_RUNNING,
                            CVG_RUNNING_UNPAUSED, CVG_EVENT_RESUMED,
                            CVG_EVENT_RESUMED_UNPAUSED);
}

char *
cvg_driver_get_xml(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    char *xml;

    cvg_check_flags(flags, CVG_DOMAIN_XML_SECURE | CVG_DOMAIN_XML_INACTIVE |
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
cvg_driver_get_info(CvgDriver *drv, CvgDomainObj *dom,
                    CvgDomainInfo *ret_info)
{
    pid_t pid;

    cvg_driver_lock(drv);
    ret_info->state = dom->state;
    ret_info->max_mem_kib = dom->def->memory_kib;
    ret_info->memory_kib = cvg_domain_obj_is_active(dom) ?
                           dom->def->current_memory_kib :
                           dom->def->current_memory_kib;
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
    g_autofree char *path = NULL;
    int rc = 0;

    cvg_driver_lock(drv);
    if (!dom->persistent) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("cannot set autostart for transient domain"));
        rc = -1;
        goto out;
    }
    path = config_file(drv, dom->def->name, ".autostart");
    if (autostart)
        rc = write_file(path, "");
    else
        unlink(path);
    if (rc == 0)
        dom->autostart = autostart;
 out:
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
        cvg_error_report_system(errno, _("cannot create directory '%s'"),
                                path);
        return -1;
    }
    return 0;
}

static void
load_host_uuid(CvgDriver *drv)
{
    g_autofree char *path = g_build_filename(drv->cfg->state_dir,
                                             "host-uuid", NULL);
    g_autofree char *text = NULL;
    char str[37];

    if (g_file_get_contents(path, &text, NULL, NULL) &&
        cvg_uuid_parse(g_strstrip(text), drv->host_uuid) == 0)
        return;
    cvg_uuid_generate(drv->host_uuid);
    cvg_uuid_format(drv->host_uuid, str);
    if (write_file(path, str) < 0)
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

        if (!g_str_has_suffix(ent, ".xml"))
            continue;
        path = g_build_filename(drv->config_dir, ent, NULL);
        if (!g_file_get_contents(path, &xml, NULL, NULL) ||
            !(def = cvg_domain_def_parse_string(xml, 0))) {
            g_warning("skipping unreadable domain config '%s': %s", path,
                      cvg_error_last() ? cvg_error_last()->message : "");
            continue;
        }
        dom = cvg_domain_obj_new(&def);
        dom->persistent = true;
        autostart = config_file(drv, dom->def->name, ".autostart");
        dom->autostart = g_file_test(autostart, G_FILE_TEST_EXISTS);
        if (cvg_driver_add(drv, dom) < 0)
            g_warning("skipping '%s': %s", path, cvg_error_last()->message);
    }
    cvg_error_reset();
}

/* Re-attach guests that were running when the daemon stopped. */
static void
load_running(CvgDriver *drv)
{
    g_autoptr(GDir) dir = g_dir_open(drv->run_dir, 0, NULL);
    const char *ent;

    while (dir && (ent = g_dir_read_name(dir))) {
        g_autofree char *name = NULL;
        g_autofree char *xml_path = NULL;
        g_autofree char *st_path = NULL;
        g_autofree char *xml = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(CvgDomainDef) def = NULL;
        CvgDomainObj *dom;
        bool persistent;
        int async_job;

        if (!g_str_has_suffix(ent, ".status"))
            continue;
        name = g_strndup(ent, strlen(ent) - strlen(".status"));
        xml_path = run_file(drv, name, ".xml");
        st_path = run_file(drv, name, ".status");
        if (!g_key_file_load_from_file(kf, st_path, 0, NULL) ||
            !g_file_get_contents(xml_path, &xml, NULL, NULL) ||
            !(def = cvg_domain_def_parse_string(xml,
                                                CVG_DOMAIN_DEF_PARSE_STATUS))) {
            g_warning("discarding unreadable status of '%s'", name);
            unlink(st_path);
            unlink(xml_path);
            continue;
        }
        persistent = g_key_file_get_boolean(kf, "domain", "persistent", NULL);
        if (!(dom = find_name(drv, def->name))) {
            dom = cvg_domain_obj_new(&def);
            if (cvg_driver_add(drv, dom) < 0) {
                cvg_domain_obj_unref(dom);
                continue;
            }
            cvg_domain_obj_unref(dom);
        } else {
            /* The config on disk is the next-boot definition. */
            dom->newdef = dom->def;
            dom->def = g_steal_pointer(&def);
        }
        dom->persistent = persistent;
        dom->pid = (pid_t)g_key_file_get_int64(kf, "domain", "pid", NULL);
        dom->id = g_key_file_get_integer(kf, "domain", "id", NULL);
        dom->state = g_key_file_get_integer(kf, "domain", "state", NULL);
        dom->reason = g_key_file_get_integer(kf, "domain", "reason", NULL);
        dom->max_downtime_ms = g_key_file_get_uint64(kf, "domain",
                                                     "max_downtime_ms", NULL);
        dom->max_speed_mibs = g_key_file_get_uint64(kf, "domain",
                                                    "max_speed_mibs", NULL);
        if (dom->id >= drv->next_id)
            drv->next_id = dom->id + 1;
        async_job = g_key_file_get_integer(kf, "domain", "async_job", NULL);
        if (cvg_qemu_process_reconnect(drv, dom) < 0) {
            g_message("guest '%s' died while the daemon was down",
                      dom->def->name);
            cvg_error_reset();
            cvg_driver_domain_stopped(drv, dom, CVG_SHUTOFF_CRASHED,
                                      CVG_EVENT_STOPPED_CRASHED);
        } else if (async_job == CVG_ASYNC_MIGRATION_IN) {
            /* The incoming guest never got its Finish: the source kept it
             * (its Perform or Finish failed when we went away). */
            g_message("discarding incoming migration of '%s' left by the previous daemon",
                      dom->def->name);
            cvg_migration_recover_incoming(drv, dom);
        } else {
            if (async_job == CVG_ASYNC_MIGRATION_OUT)
                cvg_migration_recover_outgoing(drv, dom);
            g_message("re-attached running guest '%s' (pid %d)",
                      dom->def->name, (int)dom->pid);
            cvg_driver_save_status(drv, dom);
        }
    }
}

CvgDriver *
cvg_driver_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev, void *ev_opaque)
{
    CvgDriver *drv = g_new0(CvgDriver, 1);
    char host[256] = "localhost";

    g_mutex_init(&drv->lock);
    drv->cfg = g_steal_pointer(cfg);
    drv->config_dir = g_build_filename(drv->cfg->state_dir, "qemu", NULL);
    drv->run_dir = g_build_filename(drv->cfg->state_dir, "run", NULL);
    drv->log_dir = g_build_filename(drv->cfg->state_dir, "log", NULL);
    drv->domains = g_ptr_array_new();
    drv->pending_events = g_ptr_array_new_with_free_func(queued_event_free);
    drv->next_id = 1;
    drv->event_func = ev;
    drv->event_opaque = ev_opaque;
    if (gethostname(host, sizeof(host) - 1) < 0)
        g_strlcpy(host, "localhost", sizeof(host));
    drv->hostname = g_strdup(host);
    drv->kvm = access("/dev/kvm", R_OK | W_OK) == 0;

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
    g_ptr_array_set_size(drv->pending_events, 0);
    cvg_driver_unlock(drv);
    return drv;
}

void
cvg_driver_free(CvgDriver *drv)
{
    if (!drv)
        return;
    /* Detach from running guests without stopping them. */
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

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
    while (drv->domains->len)
        cvg_driver_remove(drv, g_ptr_array_index(drv->domains, 0));
    g_ptr_array_unref(drv->domains);
    g_ptr_array_unref(drv->pending_events);
    cvg_daemon_config_free(drv->cfg);
    g_free(drv->config_dir);
    g_free(drv->run_dir);
    g_free(drv->log_dir);
    g_free(drv->hostname);
    g_mutex_clear(&drv->lock);
    g_free(drv);
}
