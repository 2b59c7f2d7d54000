/*
 * remote-event.c: per-connection state and domain event callbacks
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "qemu-migration.h"
#include "cvg-i18n.h"

#include <string.h>

/* virDomainEventID values 0..26 exist in libvirt 9.0.  Clients such as
 * `virsh event --all` register every one of them; we accept them all and
 * deliver the ones convergd produces. */
#define EVENT_ID_LAST 27
/* Bound on registrations per connection: 27 ids x a few filters. */
#define MAX_CALLBACKS 1024

typedef struct {
    int callback_id;
    int event_id;
    bool filtered;
    unsigned char uuid[16];
} CvgEventCallback;

static gint next_callback_id = 1;

void *
cvg_connection_new(CvgRpcClient *client, void *opaque)
{
    CvgConnection *conn = g_new0(CvgConnection, 1);

    g_mutex_init(&conn->lock);
    conn->callbacks = g_array_new(FALSE, FALSE, sizeof(CvgEventCallback));
    return conn;
}

void
cvg_connection_free(CvgRpcClient *client, void *priv, void *opaque)
{
    CvgConnection *conn = priv;
    CvgDaemon *d = opaque;

    if (!conn)
        return;
    /* Migrations this client was driving must not wait for it forever. */
    if (d && d->drv)
        cvg_migration_owner_closed(d->drv, client);
    g_array_unref(conn->callbacks);
    cvg_sasl_session_free(conn->sasl);
    g_free(conn->uri);
    g_mutex_clear(&conn->lock);
    g_free(conn);
}

int
cvg_dispatch_connect_domain_event_callback_register_any(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectDomainEventCallbackRegisterAnyArgs *args,
    CvgRemoteConnectDomainEventCallbackRegisterAnyRet *ret)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);
    CvgEventCallback cb = {0};

    if (args->eventID < 0 || args->eventID >= EVENT_ID_LAST) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("unsupported event ID %d"),
                         args->eventID);
        return -1;
    }
    if (args->dom) {
        g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(d, args->dom);

        if (!dom)
            return -1;
        cb.filtered = true;
        memcpy(cb.uuid, args->dom->uuid, 16);
    }
    cb.event_id = args->eventID;
    cb.callback_id = g_atomic_int_add(&next_callback_id, 1);
    g_mutex_lock(&conn->lock);
    if (conn->callbacks->len >= MAX_CALLBACKS) {
        g_mutex_unlock(&conn->lock);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("too many event callbacks on this connection"));
        return -1;
    }
    g_array_append_val(conn->callbacks, cb);
    g_mutex_unlock(&conn->lock);
    ret->callbackID = cb.callback_id;
    return 0;
}

int
cvg_dispatch_connect_domain_event_callback_deregister_any(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectDomainEventCallbackDeregisterAnyArgs *args)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);

    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len; i++) {
        if (g_array_index(conn->callbacks, CvgEventCallback, i).callback_id ==
            args->callbackID) {
            g_array_remove_index(conn->callbacks, i);
            g_mutex_unlock(&conn->lock);
            return 0;
        }
    }
    g_mutex_unlock(&conn->lock);
    cvg_error_report(CVG_ERR_INVALID_ARG,
                     _("domain event callback %d not registered"),
                     args->callbackID);
    return -1;
}

static void
send_event(CvgRpcClient *client, void *priv, void *data)
{
    CvgConnection *conn = priv;
    const CvgDriverEvent *ev = data;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));

    if (!conn)
        return;
    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len; i++) {
        CvgEventCallback *cb =
            &g_array_index(conn->callbacks, CvgEventCallback, i);

        if (cb->event_id == ev->event_id &&
            (!cb->filtered || memcmp(cb->uuid, ev->uuid, 16) == 0))
            g_array_append_val(ids, cb->callback_id);
    }
    g_mutex_unlock(&conn->lock);
    for (guint i = 0; i < ids->len; i++) {
        CvgWireDomain wdom = {.name = ev->name, .id = ev->id};
        int cbid = g_array_index(ids, int, i);

        memcpy(wdom.uuid, ev->uuid, 16);
        if (ev->event_id == CVG_EVENT_ID_LIFECYCLE) {
            CvgRemoteDomainEventCallbackLifecycleMsg msg = {
                .callbackID = cbid,
                .dom = wdom,
                .event = ev->event,
                .detail = ev->detail,
            };

            cvg_rpc_client_send_event(
                client, CVG_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                (xdrproc_t)xdr_CvgRemoteDomainEventCallbackLifecycleMsg, &msg);
        } else if (ev->event_id == CVG_EVENT_ID_REBOOT) {
            CvgRemoteDomainEventCallbackRebootMsg msg = {
                .callbackID = cbid,
                .dom = wdom,
            };

            cvg_rpc_client_send_event(
                client, CVG_PROC_DOMAIN_EVENT_CALLBACK_REBOOT,
                (xdrproc_t)xdr_CvgRemoteDomainEventCallbackRebootMsg, &msg);
        } else if (ev->event_id == CVG_EVENT_ID_MIGRATION_ITERATION) {
            CvgRemoteDomainEventCallbackMigrationIterationMsg msg = {
                .callbackID = cbid,
                .dom = wdom,
                .iteration = ev->iteration,
            };

            xdrproc_t proc = (xdrproc_t)
                xdr_CvgRemoteDomainEventCallbackMigrationIterationMsg;

            cvg_rpc_client_send_event(
                client, CVG_PROC_DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION,
                proc, &msg);
        } else if (ev->event_id == CVG_EVENT_ID_JOB_COMPLETED) {
            CvgRemoteDomainEventCallbackJobCompletedMsg msg = {
                .callbackID = cbid,
                .dom = wdom,
            };

            xdrproc_t proc =
                (xdrproc_t)xdr_CvgRemoteDomainEventCallbackJobCompletedMsg;

            cvg_wire_params_from_list(ev->params, &msg.params);
            cvg_rpc_client_send_event(
                client, CVG_PROC_DOMAIN_EVENT_CALLBACK_JOB_COMPLETED, proc,
                &msg);
            xdr_free((xdrproc_t)xdr_CvgWireTypedParams, &msg.params);
        }
    }
}

void
cvg_daemon_emit_event(const CvgDriverEvent *ev, void *opaque)
{
    CvgDaemon *d = opaque;

    if (d->srv)
        cvg_rpc_server_foreach_client(d->srv, send_event, (void *)ev);
}
