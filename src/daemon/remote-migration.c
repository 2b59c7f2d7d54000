/*
 * remote-migration.c: migration protocol v3 with parameters
 *
 * Client-driven migration arrives as five calls over two connections.  For
 * peer-to-peer migration (VIR_MIGRATE_PEER2PEER) the client sends one
 * Perform to the source daemon, which then acts as a libvirt client of the
 * destination daemon: Prepare there, the data transfer here, Finish there
 * (cancelled on failure), Confirm here.
 */
#include "daemon.h"
#include "cvg-client.h"
#include "qemu-migration.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <string.h>

/* Prepare starts QEMU on the destination; Finish waits for its stream. */
#define PEER_CALL_TIMEOUT_MS 120000
#define FEATURE_MIGRATION_PARAMS 13

static int
params_from_wire(const CvgWireTypedParams *w, CvgTypedParamList **ret)
{
    return cvg_wire_params_to_list(w, CVG_RPC_PARAM_LIST_MAX, ret);
}

static void
set_cookie(CvgWireOpaque *o, char *data, size_t len)
{
    o->CvgWireOpaque_val = data;
    o->CvgWireOpaque_len = data ? len : 0;
}

int
cvg_dispatch_domain_migrate_begin3_params(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateBegin3ParamsArgs *args,
    CvgRemoteDomainMigrateBegin3ParamsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(d, &args->dom);
    char *cookie = NULL;
    size_t len = 0;

    if (!dom || params_from_wire(&args->params, &params) < 0)
        return -1;
    if (cvg_migration_begin(d->drv, dom, params, args->flags, client, &cookie,
                            &len, &ret->xml) < 0)
        return -1;
    set_cookie(&ret->cookie_out, cookie, len);
    return 0;
}

int
cvg_dispatch_domain_migrate_prepare3_params(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigratePrepare3ParamsArgs *args,
    CvgRemoteDomainMigratePrepare3ParamsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    char *cookie = NULL;
    size_t len = 0;
    char *uri = NULL;

    if (params_from_wire(&args->params, &params) < 0)
        return -1;
    if (!(dom = cvg_migration_prepare(d->drv, params,
                                      args->cookie_in.CvgWireOpaque_val,
                                      args->cookie_in.CvgWireOpaque_len,
                                      args->flags,
                                      client, &cookie, &len, &uri)))
        return -1;
    set_cookie(&ret->cookie_out, cookie, len);
    ret->uri_out = g_new0(char *, 1);
    *ret->uri_out = uri;
    return 0;
}

int
cvg_dispatch_domain_migrate_finish3_params(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateFinish3ParamsArgs *args,
    CvgRemoteDomainMigrateFinish3ParamsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    char *cookie = NULL;
    size_t len = 0;

    if (params_from_wire(&args->params, &params) < 0)
        return -1;
    if (!(dom = cvg_migration_finish(d->drv, params,
                                     args->cookie_in.CvgWireOpaque_val,
                                     args->cookie_in.CvgWireOpaque_len,
                                     args->flags,
                                     args->cancelled != 0, &cookie, &len)))
        return -1;
    cvg_daemon_make_wire_domain(d, dom, &ret->dom);
    set_cookie(&ret->cookie_out, cookie, len);
    return 0;
}

int
cvg_dispatch_domain_migrate_confirm3_params(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateConfirm3ParamsArgs *args)
{
    g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(d, &args->dom);

    if (!dom)
        return -1;
    return cvg_migration_confirm(d->drv, dom,
                                 args->cookie_in.CvgWireOpaque_val,
                                 args->cookie_in.CvgWireOpaque_len,
                                 args->flags,
                                 args->cancelled != 0);
}

/* Keep the first error of a sequence while clean-up steps report more. */
static void
keep_first_error(CvgError **first)
{
    if (!*first)
        *first = cvg_error_copy_last();
}

/* Prepare on the destination; returns its uri_out and cookie. */
static int
peer_prepare(CvgRpcConn *conn, const CvgTypedParamList *params,
             const char *cookie, size_t cookie_len, unsigned int flags,
             char **ret_uri, CvgWireOpaque *ret_cookie)
{
    CvgRemoteDomainMigratePrepare3ParamsArgs args = { 0 };
    CvgRemoteDomainMigratePrepare3ParamsRet ret = { 0 };
    int rc;

    cvg_wire_params_from_list(params, &args.params);
    args.cookie_in.CvgWireOpaque_val = (char *)cookie;
    args.cookie_in.CvgWireOpaque_len = cookie_len;
    args.flags = flags;
    rc = cvg_rpc_conn_call(conn, CVG_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
                           (xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsArgs,
                           &args,
                           (xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsRet,
                           &ret, PEER_CALL_TIMEOUT_MS);
    xdr_free((xdrproc_t)xdr_CvgWireTypedParams, (char *)&args.params);
    if (rc < 0)
        return -1;
    *ret_uri = ret.uri_out && *ret.uri_out ? g_strdup(*ret.uri_out) : NULL;
    *ret_cookie = ret.cookie_out;
    ret.cookie_out.CvgWireOpaque_val = NULL;
    ret.cookie_out.CvgWireOpaque_len = 0;
    xdr_free((xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsRet,
             (char *)&ret);
    return 0;
}

static int
peer_finish(CvgRpcConn *conn, const CvgTypedParamList *params,
            const char *cookie, size_t cookie_len, unsigned int flags,
            bool cancelled)
{
    CvgRemoteDomainMigrateFinish3ParamsArgs args = { 0 };
    CvgRemoteDomainMigrateFinish3ParamsRet ret = { 0 };
    int rc;

    cvg_wire_params_from_list(params, &args.params);
    args.cookie_in.CvgWireOpaque_val = (char *)cookie;
    args.cookie_in.CvgWireOpaque_len = cookie_len;
    args.flags = flags;
    args.cancelled = cancelled;
    rc = cvg_rpc_conn_call(conn, CVG_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS,
                           (xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsArgs,
                           &args,
                           (xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsRet,
                           &ret, PEER_CALL_TIMEOUT_MS);
    xdr_free((xdrproc_t)xdr_CvgWireTypedParams, (char *)&args.params);
    if (rc == 0)
        xdr_free((xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsRet,
                 (char *)&ret);
    return rc;
}

static int
perform_p2p(CvgDriver *drv, CvgRpcClient *client, CvgDomainObj *dom,
            const char *dconnuri, const CvgTypedParamList *params,
            unsigned int flags)
{
    g_autofree char *bcookie = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *pcookie = NULL;
    g_autoptr(CvgTypedParamList) peer_params = NULL;
    g_autofree char *name = NULL;
    CvgWireOpaque dcookie = { 0 };
    CvgRpcConn *conn = NULL;
    CvgError *first = NULL;
    size_t blen = 0, plen = 0;
    unsigned char uuid[16];
    unsigned int peer_flags = flags & ~(CVG_MIGRATE_CHANGE_PROTECTION |
                                        CVG_MIGRATE_AUTO_CONVERGE);
    bool performed = false;
    bool finished = false;
    int id;

    if (cvg_migration_begin(drv, dom, params, flags, client, &bcookie, &blen,
                            &xml) < 0)
        return -1;
    cvg_driver_identity(drv, dom, &name, uuid, &id);

    peer_params = cvg_typed_params_copy(params);
    if (!cvg_typed_params_find(peer_params, CVG_MIGRATE_PARAM_DEST_XML))
        cvg_typed_params_add_string(peer_params, CVG_MIGRATE_PARAM_DEST_XML,
                                    xml);
    if (!(conn = cvg_rpc_conn_open(dconnuri, drv->cfg->socket_path, 30000)))
        goto confirm;
    if (cvg_rpc_conn_supports_feature(conn, FEATURE_MIGRATION_PARAMS) != 1) {
        if (!cvg_error_last())
            cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                             _("destination '%s' does not support migration with parameters"),
                             dconnuri);
        goto confirm;
    }
    if (peer_prepare(conn, peer_params, bcookie, blen, peer_flags, &uri,
                     &dcookie) < 0)
        goto confirm;
    {
        const CvgTypedParam *mu = cvg_typed_params_find(params,
                                                        CVG_MIGRATE_PARAM_URI);

        if (!uri && mu && mu->type == CVG_TYPED_PARAM_STRING)
            uri = g_strdup(mu->value.s);
    }
    if (!cvg_typed_params_find(peer_params, CVG_MIGRATE_PARAM_URI) && uri)
        cvg_typed_params_add_string(peer_params, CVG_MIGRATE_PARAM_URI, uri);
    if (!cvg_typed_params_find(peer_params, CVG_MIGRATE_PARAM_DEST_NAME))
        cvg_typed_params_add_string(peer_params, CVG_MIGRATE_PARAM_DEST_NAME,
                                    name);

    if (cvg_migration_perform(drv, dom, uri, dcookie.CvgWireOpaque_val,
                              dcookie.CvgWireOpaque_len, flags,
                              &pcookie, &plen) == 0)
        performed = true;
    else
        keep_first_error(&first);

    if (peer_finish(conn, peer_params, pcookie, plen, peer_flags,
                    !performed) == 0)
        finished = true;
    else if (performed)
        keep_first_error(&first);

 confirm:
    if (!first && !(performed && finished))
        keep_first_error(&first);
    if (cvg_migration_confirm(drv, dom, NULL, 0, flags,
                              !(performed && finished)) < 0 &&
        performed && finished)
        keep_first_error(&first);
    xdr_free((xdrproc_t)xdr_CvgWireOpaque, (char *)&dcookie);
    cvg_rpc_conn_close(conn);
    if (first) {
        cvg_error_set(first);
        cvg_error_free(first);
        return -1;
    }
    cvg_error_reset();
    return 0;
}

int
cvg_dispatch_domain_migrate_perform3_params(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigratePerform3ParamsArgs *args,
    CvgRemoteDomainMigratePerform3ParamsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(d, &args->dom);
    const char *dconnuri = args->dconnuri ? *args->dconnuri : NULL;
    const char *uri = NULL;
    char *cookie = NULL;
    size_t len = 0;

    if (!dom || params_from_wire(&args->params, &params) < 0)
        return -1;
    if (args->flags & CVG_MIGRATE_PEER2PEER) {
        if (!dconnuri || !*dconnuri) {
            cvg_error_report(CVG_ERR_INVALID_ARG,
                             _("peer-to-peer migration needs a destination URI"));
            return -1;
        }
        /* The client carries no cookie in p2p mode: it must get none. */
        if (perform_p2p(d->drv, client, dom, dconnuri, params,
                        args->flags) < 0)
            return -1;
        set_cookie(&ret->cookie_out, NULL, 0);
        return 0;
    }
    if (cvg_typed_params_get_string(params, CVG_MIGRATE_PARAM_URI, &uri) < 0)
        return -1;
    if (cvg_migration_perform(d->drv, dom, uri,
                              args->cookie_in.CvgWireOpaque_val,
                              args->cookie_in.CvgWireOpaque_len, args->flags,
                              &cookie,
                              &len) < 0)
        return -1;
    set_cookie(&ret->cookie_out, cookie, len);
    return 0;
}
