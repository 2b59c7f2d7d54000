/*
 * remote-auth.c: SASL authentication (AUTH_SASL_INIT / START / STEP) and
 * the PolicyKit procedure no listener offers
 *
 * The exchange: INIT makes a session and lists the mechanisms, START
 * names one with the client's first token, STEP carries the rest until
 * SASL says complete.  Then the user must be in sasl_allowed_username_list,
 * the connection counts as authenticated, and a mechanism with a security
 * layer (SSF > 0) wraps every later byte in both directions.
 *
 * Every failure answers libvirt's AUTH_FAILED "authentication failed",
 * giving a prober nothing; the reason goes to the log.  After
 * AUTH_MAX_FAILURES the connection is closed behind the error.
 */
#include "daemon.h"
#include "cvg-i18n.h"

#include <string.h>

/* Failed SASL attempts a connection gets before it is closed. */
#define AUTH_MAX_FAILURES 3

/* End the exchange as failed: log @why (the thread's error if NULL). */
static int
auth_fail(CvgRpcClient *client, CvgConnection *conn, const char *why)
{
    const CvgError *err = cvg_error_last();

    g_warning("client %s: SASL authentication failed: %s",
              cvg_rpc_client_describe(client),
              why   ? why
              : err ? err->message
                    : "unknown");
    g_clear_pointer(&conn->sasl, cvg_sasl_session_free);
    if (++conn->auth_failures >= AUTH_MAX_FAILURES) {
        g_warning("client %s: %u failed authentication attempts, closing "
                  "the connection",
                  cvg_rpc_client_describe(client), conn->auth_failures);
        cvg_rpc_client_close_after_reply(client);
    }
    cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED, "%s",
                          _("authentication failed"));
    return -1;
}

/* May this client run a SASL exchange now? */
static bool
sasl_expected(CvgRpcClient *client)
{
    return cvg_rpc_client_auth_type(client) == CVG_RPC_AUTH_SASL &&
           !cvg_rpc_client_is_authenticated(client);
}

int
cvg_dispatch_auth_sasl_init(CvgDaemon *d, CvgRpcClient *client,
                            CvgRemoteAuthSaslInitRet *ret)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);
    CvgRpcTransport *tr = cvg_rpc_client_transport(client);
    g_autofree char *mechlist = NULL;
    int rc = -1;

    g_mutex_lock(&conn->lock);
    if (!sasl_expected(client) || conn->sasl) {
        rc = auth_fail(client, conn, "unexpected SASL init request");
        goto out;
    }
    if (cvg_sasl_server_init(d->drv->cfg->sasl_conf_dir) < 0 ||
        !(conn->sasl = cvg_sasl_server_new(
              cvg_rpc_transport_fd(tr), cvg_rpc_transport_is_encrypted(tr))) ||
        !(mechlist = cvg_sasl_server_mechlist(conn->sasl))) {
        rc = auth_fail(client, conn, NULL);
        goto out;
    }
    g_debug("client %s: SASL mechanisms %s", cvg_rpc_client_describe(client),
            mechlist);
    ret->mechlist = g_steal_pointer(&mechlist);
    rc = 0;
out:
    g_mutex_unlock(&conn->lock);
    return rc;
}

/* The exchange is complete: check who it is and how strong the layer is,
 * let the client in and put the layer on after this reply. */
static int
sasl_finish(CvgDaemon *d, CvgRpcClient *client, CvgConnection *conn)
{
    unsigned int ssf = 0;
    const char *user;

    if (cvg_sasl_session_ssf(conn->sasl, &ssf) < 0)
        return auth_fail(client, conn, NULL);
    user = cvg_sasl_session_username(conn->sasl);
    if (!user)
        return auth_fail(client, conn, "SASL gave no user name");
    if (!cvg_sasl_username_allowed(
            (const char *const *)d->drv->cfg->sasl_allowed_username_list,
            user)) {
        g_autofree char *why = g_strdup_printf(
            "user '%s' is not in sasl_allowed_username_list", user);

        return auth_fail(client, conn, why);
    }
    cvg_rpc_client_set_authenticated(client, user);
    g_debug("client %s: SASL security strength %u",
            cvg_rpc_client_describe(client), ssf);
    if (ssf > 0)
        cvg_rpc_client_push_layer_after_reply(
            client, &cvg_sasl_layer_ops, g_steal_pointer(&conn->sasl), true);
    else
        g_clear_pointer(&conn->sasl, cvg_sasl_session_free);
    return 0;
}

/* Fill the START / STEP answer from one SASL step (@rc as
 * cvg_sasl_server_step returns) and finish when complete. */
static int
sasl_answer(CvgDaemon *d, CvgRpcClient *client, CvgConnection *conn, int rc,
            char **out, size_t outlen, CvgRemoteAuthSaslStartRet *ret)
{
    if (rc < 0)
        return auth_fail(client, conn, NULL);
    if (rc == 1 && sasl_finish(d, client, conn) < 0)
        return -1;
    ret->complete = rc;
    ret->nil = *out == NULL;
    ret->data.data_len = outlen;
    ret->data.data_val = g_steal_pointer(out);
    return 0;
}

int
cvg_dispatch_auth_sasl_start(CvgDaemon *d, CvgRpcClient *client,
                             const CvgRemoteAuthSaslStartArgs *args,
                             CvgRemoteAuthSaslStartRet *ret)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);
    g_autofree char *out = NULL;
    size_t outlen = 0;
    int rc;

    g_mutex_lock(&conn->lock);
    if (!sasl_expected(client) || !conn->sasl) {
        rc = auth_fail(client, conn, "SASL start without init");
    } else {
        g_debug("client %s: SASL mechanism %s", cvg_rpc_client_describe(client),
                args->mech);
        rc = cvg_sasl_server_start(conn->sasl, args->mech,
                                   args->nil ? NULL : args->data.data_val,
                                   args->data.data_len, &out, &outlen);
        rc = sasl_answer(d, client, conn, rc, &out, outlen, ret);
    }
    g_mutex_unlock(&conn->lock);
    return rc;
}

int
cvg_dispatch_auth_sasl_step(CvgDaemon *d, CvgRpcClient *client,
                            const CvgRemoteAuthSaslStepArgs *args,
                            CvgRemoteAuthSaslStepRet *ret)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);
    g_autofree char *out = NULL;
    size_t outlen = 0;
    int rc;

    g_mutex_lock(&conn->lock);
    if (!sasl_expected(client) || !conn->sasl) {
        rc = auth_fail(client, conn, "SASL step without start");
    } else {
        rc = cvg_sasl_server_step(conn->sasl,
                                  args->nil ? NULL : args->data.data_val,
                                  args->data.data_len, &out, &outlen);
        rc = sasl_answer(d, client, conn, rc, &out, outlen, ret);
    }
    g_mutex_unlock(&conn->lock);
    return rc;
}

/* No listener offers PolicyKit (a local check libvirt makes on its UNIX
 * socket; convergd relies on the socket's permissions there), so this is
 * the unsupported-API answer. */
int
cvg_dispatch_auth_polkit(CvgDaemon *d, CvgRpcClient *client,
                         CvgRemoteAuthPolkitRet *ret)
{
    cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_NO_SUPPORT, "%s",
                          "virAuthPolkit");
    return -1;
}
