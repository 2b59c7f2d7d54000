/*
 * qemu-driver-state.c: the driver's shared state, its lock and its event
 * queue
 */
#include "qemu-driver-state.h"

#include <string.h>
#include <unistd.h>

/* A uuid's 16 bytes as a hash: they are random in generated uuids, but a
 * user may give any, so every byte counts. */
static guint
uuid_hash(gconstpointer key)
{
    const unsigned char *u = key;
    guint h = 5381;

    for (size_t i = 0; i < CVG_UUID_LEN; i++)
        h = h * 33 + u[i];
    return h;
}

static gboolean
uuid_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, CVG_UUID_LEN) == 0;
}

static void
queued_event_free(gpointer p)
{
    CvgDriverEvent *ev = p;

    g_free(ev->name);
    cvg_typed_params_free(ev->params);
    g_free(ev);
}

CvgDriver *
cvg_driver_state_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev,
                     void *ev_opaque)
{
    CvgDriver *drv = g_new0(CvgDriver, 1);
    char host[256] = "localhost";

    g_mutex_init(&drv->lock);
    drv->cfg = g_steal_pointer(cfg);
    drv->config_dir = g_build_filename(drv->cfg->state_dir, "qemu", NULL);
    drv->run_dir = g_build_filename(drv->cfg->state_dir, "run", NULL);
    drv->log_dir = g_build_filename(drv->cfg->state_dir, "log", NULL);
    drv->domains = g_ptr_array_new();
    /* Keys are copies: a domain's definition (and the name in it) is
     * replaced while the domain stays in the list. */
    drv->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    drv->by_uuid = g_hash_table_new_full(uuid_hash, uuid_equal, g_free, NULL);
    drv->pending_events = g_ptr_array_new_with_free_func(queued_event_free);
    drv->next_id = 1;
    drv->event_func = ev;
    drv->event_opaque = ev_opaque;
    if (gethostname(host, sizeof(host) - 1) < 0)
        g_strlcpy(host, "localhost", sizeof(host));
    drv->hostname = g_strdup(host);
    drv->kvm = access("/dev/kvm", R_OK | W_OK) == 0;
    return drv;
}

void
cvg_driver_state_free(CvgDriver *drv)
{
    if (!drv)
        return;
    g_ptr_array_unref(drv->domains);
    g_hash_table_unref(drv->by_name);
    g_hash_table_unref(drv->by_uuid);
    g_ptr_array_unref(drv->pending_events);
    cvg_daemon_config_free(drv->cfg);
    g_free(drv->config_dir);
    g_free(drv->run_dir);
    g_free(drv->log_dir);
    g_free(drv->hostname);
    g_mutex_clear(&drv->lock);
    g_free(drv);
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

void
cvg_driver_drop_events(CvgDriver *drv)
{
    g_ptr_array_set_size(drv->pending_events, 0);
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
cvg_driver_queue_event(CvgDriver *drv, CvgDomainObj *dom, int event, int detail)
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
