/*
 * daemon-peer.c: the destination of a peer-to-peer migration, reached with
 * the RPC client
 *
 * All the wire knowledge of peer-to-peer migration is here: the migration
 * phases themselves are src/qemu/qemu-migration-p2p.c.
 */
#include "daemon-peer.h"
#include "cvg-client.h"
#include "cvg-protocol.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

/* Prepare starts QEMU on the destination; Finish waits for its stream. */
#define PEER_CALL_TIMEOUT_MS 120000
#define PEER_OPEN_TIMEOUT_MS 30000
/* VIR_DRV_FEATURE_MIGRATION_PARAMS */
#define FEATURE_MIGRATION_PARAMS 13

static void *
peer_open(const char *dconnuri, void *opaque)
{
    const char *default_socket = opaque;
    CvgRpcConn *conn;

    if (!(conn = cvg_rpc_conn_open(dconnuri, default_socket,
                                   PEER_OPEN_TIMEOUT_MS)))
        return NULL;
    if (cvg_rpc_conn_supports_feature(conn, FEATURE_MIGRATION_PARAMS) != 1) {
        if (!cvg_error_last())
            cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                             _("destination '%s' does not support migration "
                               "with parameters"),
                             dconnuri);
        cvg_rpc_conn_close(conn);
        return NULL;
    }
    return conn;
}

static int
peer_prepare(void *conn, const CvgTypedParamList *params, const char *cookie_in,
             size_t cookie_in_len, unsigned int flags, char **ret_cookie,
             size_t *ret_cookie_len, char **ret_uri)
{
    CvgRemoteDomainMigratePrepare3ParamsArgs args = {0};
    CvgRemoteDomainMigratePrepare3ParamsRet ret = {0};
    int rc;

    cvg_wire_params_from_list(params, &args.params);
    args.cookie_in.CvgWireOpaque_val = (char *)cookie_in;
    args.cookie_in.CvgWireOpaque_len = cookie_in_len;
    args.flags = flags;
    rc = cvg_rpc_conn_call(
        conn, CVG_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
        (xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsArgs, &args,
        (xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsRet, &ret,
        PEER_CALL_TIMEOUT_MS);
    xdr_free((xdrproc_t)xdr_CvgWireTypedParams, (char *)&args.params);
    if (rc < 0)
        return -1;
    *ret_uri = ret.uri_out && *ret.uri_out ? g_strdup(*ret.uri_out) : NULL;
    *ret_cookie = g_memdup2(ret.cookie_out.CvgWireOpaque_val,
                            ret.cookie_out.CvgWireOpaque_len);
    *ret_cookie_len = ret.cookie_out.CvgWireOpaque_len;
    xdr_free((xdrproc_t)xdr_CvgRemoteDomainMigratePrepare3ParamsRet,
             (char *)&ret);
    return 0;
}

static int
peer_finish(void *conn, const CvgTypedParamList *params, const char *cookie_in,
            size_t cookie_in_len, unsigned int flags, bool cancelled)
{
    CvgRemoteDomainMigrateFinish3ParamsArgs args = {0};
    CvgRemoteDomainMigrateFinish3ParamsRet ret = {0};
    int rc;

    cvg_wire_params_from_list(params, &args.params);
    args.cookie_in.CvgWireOpaque_val = (char *)cookie_in;
    args.cookie_in.CvgWireOpaque_len = cookie_in_len;
    args.flags = flags;
    args.cancelled = cancelled;
    rc = cvg_rpc_conn_call(
        conn, CVG_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS,
        (xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsArgs, &args,
        (xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsRet, &ret,
        PEER_CALL_TIMEOUT_MS);
    xdr_free((xdrproc_t)xdr_CvgWireTypedParams, (char *)&args.params);
    if (rc == 0)
        xdr_free((xdrproc_t)xdr_CvgRemoteDomainMigrateFinish3ParamsRet,
                 (char *)&ret);
    return rc;
}

static void
peer_close(void *conn)
{
    cvg_rpc_conn_close(conn);
}

void
cvg_daemon_peer_init(CvgPeerConnection *ret_peer, const char *default_socket)
{
    ret_peer->open = peer_open;
    ret_peer->prepare = peer_prepare;
    ret_peer->finish = peer_finish;
    ret_peer->close = peer_close;
    ret_peer->opaque = (void *)default_socket;
}
