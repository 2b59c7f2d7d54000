/*
 * remote-migration.c: migration protocol v3 with parameters
 *
 * Client-driven migration arrives as five calls over two connections.  For
 * peer-to-peer migration (VIR_MIGRATE_PEER2PEER) the client sends one
 * Perform to the source daemon, which runs the whole sequence
 * (qemu-migration-p2p.h), reaching the destination through daemon-peer.h.
 */
#include "daemon.h"
#include "daemon-peer.h"
#include "qemu-migration.h"
#include "qemu-migration-compress.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <string.h>

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
    if (!(dom = cvg_migration_prepare(
              d->drv, params, args->cookie_in.CvgWireOpaque_val,
              args->cookie_in.CvgWireOpaque_len, args->flags, client, &cookie,
              &len, &uri)))
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
    if (!(dom = cvg_migration_finish(
              d->drv, params, args->cookie_in.CvgWireOpaque_val,
              args->cookie_in.CvgWireOpaque_len, args->flags,
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
    return cvg_migration_confirm(d->drv, dom, args->cookie_in.CvgWireOpaque_val,
                                 args->cookie_in.CvgWireOpaque_len, args->flags,
                                 args->cancelled != 0);
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
    CvgPeerConnection peer;

    if (!dom || params_from_wire(&args->params, &params) < 0)
        return -1;
    if (args->flags & CVG_MIGRATE_PEER2PEER) {
        if (!dconnuri || !*dconnuri) {
            cvg_error_report(
                CVG_ERR_INVALID_ARG,
                _("peer-to-peer migration needs a destination URI"));
            return -1;
        }
        cvg_daemon_peer_init(&peer, d->drv->cfg->socket_path);
        /* The client carries no cookie in p2p mode: it must get none. */
        if (cvg_migration_perform_p2p(d->drv, dom, &peer, dconnuri, params,
                                      args->flags, client) < 0)
            return -1;
        set_cookie(&ret->cookie_out, NULL, 0);
        return 0;
    }
    if (cvg_typed_params_get_string(params, CVG_MIGRATE_PARAM_URI, &uri) < 0)
        return -1;
    if (cvg_migration_perform(
            d->drv, dom, uri, args->cookie_in.CvgWireOpaque_val,
            args->cookie_in.CvgWireOpaque_len, args->flags, &cookie, &len) < 0)
        return -1;
    set_cookie(&ret->cookie_out, cookie, len);
    return 0;
}

int
cvg_dispatch_domain_migrate_get_compression_cache(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateGetCompressionCacheArgs *args,
    CvgRemoteDomainMigrateGetCompressionCacheRet *ret)
{
    unsigned long long v;
    GET_DOM(args);

    if (cvg_migration_get_compression_cache(d->drv, dom, args->flags, &v) < 0)
        return -1;
    ret->cacheSize = v;
    return 0;
}

int
cvg_dispatch_domain_migrate_set_compression_cache(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateSetCompressionCacheArgs *args)
{
    GET_DOM(args);

    return cvg_migration_set_compression_cache(d->drv, dom, args->cacheSize,
                                               args->flags);
}
