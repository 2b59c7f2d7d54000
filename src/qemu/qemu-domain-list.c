/*
 * qemu-domain-list.c: the driver's domain list and the domains' files
 */
#include "qemu-domain-list.h"
#include "qemu-domain-job.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <string.h>
#include <unistd.h>

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

/* --- files --- */

char *
cvg_driver_config_file(CvgDriver *drv, const char *name, const char *suffix)
{
    g_autofree char *base = g_strdup_printf("%s%s", name, suffix);

    return g_build_filename(drv->config_dir, base, NULL);
}

char *
cvg_driver_run_file(CvgDriver *drv, const char *name, const char *suffix)
{
    g_autofree char *base = g_strdup_printf("%s%s", name, suffix);

    return g_build_filename(drv->run_dir, base, NULL);
}

int
cvg_driver_write_file(const char *path, const char *text)
{
    g_autoptr(GError) gerr = NULL;

    if (!g_file_set_contents_full(
            path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &gerr)) {
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
    g_autofree char *xml =
        cvg_domain_def_format(def, -1, CVG_DOMAIN_XML_INACTIVE);
    g_autofree char *path = cvg_driver_config_file(drv, def->name, ".xml");

    if (!xml)
        return -1;
    return cvg_driver_write_file(path, xml);
}

void
cvg_driver_remove_config(CvgDriver *drv, const char *name)
{
    g_autofree char *path = cvg_driver_config_file(drv, name, ".xml");
    g_autofree char *autostart =
        cvg_driver_config_file(drv, name, ".autostart");

    unlink(path);
    unlink(autostart);
}

int
cvg_driver_save_autostart(CvgDriver *drv, CvgDomainObj *dom, bool autostart)
{
    g_autofree char *path =
        cvg_driver_config_file(drv, dom->def->name, ".autostart");

    if (autostart)
        return cvg_driver_write_file(path, "");
    unlink(path);
    return 0;
}

int
cvg_driver_save_status(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autofree char *xml = NULL;
    g_autofree char *xml_path =
        cvg_driver_run_file(drv, dom->def->name, ".xml");
    g_autofree char *status_path =
        cvg_driver_run_file(drv, dom->def->name, ".status");
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *status = NULL;

    if (!cvg_domain_obj_is_active(dom))
        return 0;
    if (!(xml =
              cvg_domain_def_format(dom->def, dom->id, CVG_DOMAIN_XML_STATUS)))
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
    g_key_file_set_uint64(kf, "domain", "max_speed_mibs", dom->max_speed_mibs);
    status = g_key_file_to_data(kf, NULL, NULL);
    if (cvg_driver_write_file(xml_path, xml) < 0 ||
        cvg_driver_write_file(status_path, status) < 0)
        return -1;
    return 0;
}

void
cvg_driver_remove_status(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autofree char *xml_path =
        cvg_driver_run_file(drv, dom->def->name, ".xml");
    g_autofree char *status_path =
        cvg_driver_run_file(drv, dom->def->name, ".status");
    g_autofree char *qmp_path =
        cvg_driver_run_file(drv, dom->def->name, ".qmp");

    unlink(xml_path);
    unlink(status_path);
    /* QEMU leaves its monitor socket behind when it dies. */
    unlink(qmp_path);
}

/* --- the list --- */

static CvgDomainObj *
find_name(CvgDriver *drv, const char *name)
{
    return g_hash_table_lookup(drv->by_name, name);
}

static CvgDomainObj *
find_uuid(CvgDriver *drv, const unsigned char *uuid)
{
    return g_hash_table_lookup(drv->by_uuid, uuid);
}

/* The domain that @def names, NULL when none does; -1 when its name and
 * uuid belong to different domains (libvirt's two messages and code). */
static int
find_same(CvgDriver *drv, const CvgDomainDef *def, CvgDomainObj **ret_dom)
{
    CvgDomainObj *dom;
    char uuid[37];

    *ret_dom = NULL;
    if ((dom = find_uuid(drv, def->uuid))) {
        if (strcmp(dom->def->name, def->name) != 0) {
            cvg_uuid_format(dom->def->uuid, uuid);
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("domain '%s' is already defined with uuid %s"),
                             dom->def->name, uuid);
            return -1;
        }
    } else if ((dom = find_name(drv, def->name))) {
        cvg_uuid_format(dom->def->uuid, uuid);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("domain '%s' already exists with uuid %s"),
                         def->name, uuid);
        return -1;
    }
    *ret_dom = dom;
    return 0;
}

/* Give the existing @dom its new definition (as libvirt assigns one). */
static void
replace_def(CvgDomainObj *dom, CvgDomainDef **def, bool live)
{
    if (cvg_domain_obj_is_active(dom)) {
        cvg_domain_def_free(dom->newdef);
        dom->newdef = g_steal_pointer(def);
    } else if (live) {
        /* The config comes back when the guest stops. */
        if (!dom->newdef)
            dom->newdef = dom->def;
        else
            cvg_domain_def_free(dom->def);
        dom->def = g_steal_pointer(def);
    } else {
        cvg_domain_def_free(dom->def);
        dom->def = g_steal_pointer(def);
    }
}

CvgDomainObj *
cvg_driver_add_or_replace(CvgDriver *drv, CvgDomainDef **def,
                          unsigned int flags, bool *ret_added)
{
    CvgDomainObj *dom;

    if (find_same(drv, *def, &dom) < 0)
        return NULL;
    if (dom) {
        if ((flags & CVG_DRIVER_ADD_CHECK_LIVE) &&
            (cvg_domain_obj_is_active(dom) || !cvg_domain_job_idle(dom))) {
            cvg_error_report(CVG_ERR_OPERATION_INVALID,
                             _("domain '%s' is already active"),
                             dom->def->name);
            return NULL;
        }
        replace_def(dom, def, flags & CVG_DRIVER_ADD_LIVE);
        cvg_domain_obj_ref(dom);
        *ret_added = false;
        return dom;
    }
    dom = cvg_domain_obj_new(def);
    cvg_domain_obj_ref(dom);
    dom->driver = drv;
    dom->in_list = true;
    g_ptr_array_add(drv->domains, dom);
    g_hash_table_insert(drv->by_name, g_strdup(dom->def->name), dom);
    g_hash_table_insert(drv->by_uuid, g_memdup2(dom->def->uuid, CVG_UUID_LEN),
                        dom);
    *ret_added = true;
    return dom;
}

void
cvg_driver_add_undo(CvgDriver *drv, CvgDomainObj *dom, bool added)
{
    if (added) {
        cvg_driver_remove(drv, dom);
    } else if (dom->newdef && !cvg_domain_obj_is_active(dom)) {
        cvg_domain_def_free(dom->def);
        dom->def = g_steal_pointer(&dom->newdef);
    }
}

void
cvg_driver_remove(CvgDriver *drv, CvgDomainObj *dom)
{
    if (!dom->in_list)
        return;
    dom->in_list = false;
    cvg_domain_job_wake(dom);
    g_hash_table_remove(drv->by_name, dom->def->name);
    g_hash_table_remove(drv->by_uuid, dom->def->uuid);
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

    cvg_driver_lock(drv);
    if ((dom = find_uuid(drv, uuid)))
        cvg_domain_obj_ref(dom);
    cvg_driver_unlock(drv);
    if (dom)
        return dom;
    /* Formatted only here: every domain call looks its domain up. */
    cvg_uuid_format(uuid, str);
    return ref_or_error(NULL, "uuid", str);
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
        !((flags & LIST_ACTIVE && active) ||
          (flags & LIST_INACTIVE && !active)))
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

GPtrArray *
cvg_driver_list_locked(CvgDriver *drv)
{
    GPtrArray *list;

    list = g_ptr_array_new_with_free_func((GDestroyNotify)cvg_domain_obj_unref);
    for (guint i = 0; i < drv->domains->len; i++) {
        CvgDomainObj *d = g_ptr_array_index(drv->domains, i);

        cvg_domain_obj_ref(d);
        g_ptr_array_add(list, d);
    }
    return list;
}

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
