/*
 * cvg-tls.c: TLS (GnuTLS, x509) for the listener and the peer client
 */
#include "cvg-tls.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fnmatch.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* What a libvirt client reads after the handshake: 1 means "go on". */
#define TLS_STATUS_OK 1

struct _CvgTlsContext {
    gnutls_certificate_credentials_t creds;
    gnutls_priority_t priority;
    bool server;
    bool no_verify;
    char **allowed_dn;
};

/* One TLS session: the layer's data.  @below is the layer GnuTLS reads and
 * writes through (the socket, under everything else). */
typedef struct {
    gnutls_session_t session;
    CvgRpcLayer *below;
} CvgTlsSession;

/* The server's handshake state (borrowing the session from the layer). */
typedef struct {
    CvgTlsContext *ctx;
    CvgRpcClient *client;
    CvgTlsSession *sess;
    bool handshaken; /* now writing the status byte */
} CvgTlsHandshake;

static void
tls_debug_log(int level G_GNUC_UNUSED, const char *msg)
{
    g_debug("gnutls: %s", msg);
}

static void
tls_global_init(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        /* gnutls >= 3.3 initialises itself; the log hook is ours. */
        gnutls_global_set_log_function(tls_debug_log);
        g_once_init_leave(&done, 1);
    }
}

void
cvg_tls_context_free(CvgTlsContext *ctx)
{
    if (!ctx)
        return;
    if (ctx->creds)
        gnutls_certificate_free_credentials(ctx->creds);
    if (ctx->priority)
        gnutls_priority_deinit(ctx->priority);
    g_strfreev(ctx->allowed_dn);
    g_free(ctx);
}

/* @path must be a readable file: the error names it and what it is. */
static int
check_file(const char *path, const char *what)
{
    if (!path || !*path) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED, _("no %s file configured"),
                         what);
        return -1;
    }
    if (access(path, R_OK) < 0) {
        cvg_error_report_system(errno, _("cannot read %s '%s'"), what, path);
        return -1;
    }
    return 0;
}

static int
load_credentials(CvgTlsContext *ctx, const CvgTlsConfig *cfg)
{
    int rc;

    if (check_file(cfg->ca_file, _("CA certificate")) < 0 ||
        check_file(cfg->cert_file, _("certificate")) < 0 ||
        check_file(cfg->key_file, _("private key")) < 0)
        return -1;
    rc = gnutls_certificate_set_x509_trust_file(ctx->creds, cfg->ca_file,
                                                GNUTLS_X509_FMT_PEM);
    if (rc < 0 || (rc == 0 && !cfg->no_verify)) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR,
                         _("cannot load CA certificate '%s': %s"), cfg->ca_file,
                         rc < 0 ? gnutls_strerror(rc) : _("no certificate"));
        return -1;
    }
    if (cfg->crl_file && access(cfg->crl_file, F_OK) == 0 &&
        (rc = gnutls_certificate_set_x509_crl_file(ctx->creds, cfg->crl_file,
                                                   GNUTLS_X509_FMT_PEM)) < 0) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR, _("cannot load CRL '%s': %s"),
                         cfg->crl_file, gnutls_strerror(rc));
        return -1;
    }
    rc = gnutls_certificate_set_x509_key_file(
        ctx->creds, cfg->cert_file, cfg->key_file, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR,
                         _("cannot load certificate '%s' with key '%s': %s"),
                         cfg->cert_file, cfg->key_file, gnutls_strerror(rc));
        return -1;
    }
    return 0;
}

CvgTlsContext *
cvg_tls_context_new(const CvgTlsConfig *cfg, bool server)
{
    g_autoptr(CvgTlsContext) ctx = g_new0(CvgTlsContext, 1);
    const char *prio =
        cfg->priority && *cfg->priority ? cfg->priority : "NORMAL";
    const char *errpos = NULL;
    int rc;

    tls_global_init();
    ctx->server = server;
    ctx->no_verify = cfg->no_verify;
    ctx->allowed_dn = g_strdupv((char **)cfg->allowed_dn);
    if ((rc = gnutls_certificate_allocate_credentials(&ctx->creds)) < 0) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR,
                         _("cannot allocate TLS credentials: %s"),
                         gnutls_strerror(rc));
        return NULL;
    }
    if (load_credentials(ctx, cfg) < 0)
        return NULL;
    if ((rc = gnutls_priority_init(&ctx->priority, prio, &errpos)) < 0) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("invalid TLS priority string '%s' at '%s': %s"),
                         prio, errpos ? errpos : "", gnutls_strerror(rc));
        return NULL;
    }
    return g_steal_pointer(&ctx);
}

bool
cvg_tls_dn_allowed(const char *dn, char *const *patterns)
{
    if (!patterns || !patterns[0])
        return true;
    if (!dn)
        return false;
    for (size_t i = 0; patterns[i]; i++)
        if (fnmatch(patterns[i], dn, 0) == 0)
            return true;
    return false;
}

/* GnuTLS' transport functions: through the layer below. */
static ssize_t
tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    CvgTlsSession *s = ptr;
    ssize_t n = cvg_rpc_layer_recv(s->below, buf, len);

    if (n < 0)
        gnutls_transport_set_errno(s->session, errno);
    return n;
}

static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
    CvgTlsSession *s = ptr;
    ssize_t n = cvg_rpc_layer_send(s->below, buf, len);

    if (n < 0)
        gnutls_transport_set_errno(s->session, errno);
    return n;
}

/* A GnuTLS record error as errno: EAGAIN, EINTR, or EIO. */
static ssize_t
tls_errno(ssize_t rc)
{
    if (rc == GNUTLS_E_AGAIN)
        errno = EAGAIN;
    else if (rc == GNUTLS_E_INTERRUPTED)
        errno = EINTR;
    else {
        g_debug("TLS record error: %s", gnutls_strerror((int)rc));
        errno = EIO;
    }
    return -1;
}

static ssize_t
tls_layer_recv(void *data, CvgRpcLayer *below G_GNUC_UNUSED, void *buf,
               size_t len)
{
    CvgTlsSession *s = data;
    ssize_t rc = gnutls_record_recv(s->session, buf, len);

    /* libvirt clients close the socket without a TLS close_notify: that
     * is the end of the stream, not an error. */
    if (rc == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
    return rc >= 0 ? rc : tls_errno(rc);
}

/* A send that returned EAGAIN is repeated with the same data, as GnuTLS
 * asks (the record is kept encrypted in the session meanwhile). */
static ssize_t
tls_layer_send(void *data, CvgRpcLayer *below G_GNUC_UNUSED, const void *buf,
               size_t len)
{
    CvgTlsSession *s = data;
    ssize_t rc = gnutls_record_send(s->session, buf, len);

    return rc >= 0 ? rc : tls_errno(rc);
}

static size_t
tls_layer_pending(void *data)
{
    CvgTlsSession *s = data;

    return gnutls_record_check_pending(s->session);
}

static void
tls_layer_free(void *data)
{
    CvgTlsSession *s = data;

    gnutls_deinit(s->session);
    g_free(s);
}

static const CvgRpcLayerOps tls_layer_ops = {
    .name = "tls",
    .recv = tls_layer_recv,
    .send = tls_layer_send,
    .pending = tls_layer_pending,
    .free = tls_layer_free,
};

/* A session on top of @tr, pushed as its TLS layer; NULL reported. */
static CvgTlsSession *
session_push(CvgTlsContext *ctx, CvgRpcTransport *tr)
{
    CvgTlsSession *s = g_new0(CvgTlsSession, 1);
    unsigned int flags = ctx->server ? GNUTLS_SERVER : GNUTLS_CLIENT;
    int rc;

    if ((rc = gnutls_init(&s->session, flags | GNUTLS_NONBLOCK)) < 0 ||
        (rc = gnutls_priority_set(s->session, ctx->priority)) < 0 ||
        (rc = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE,
                                     ctx->creds)) < 0) {
        if (s->session)
            gnutls_deinit(s->session);
        g_free(s);
        cvg_error_report(CVG_ERR_SYSTEM_ERROR,
                         _("cannot start a TLS session: %s"),
                         gnutls_strerror(rc));
        return NULL;
    }
    if (ctx->server)
        gnutls_certificate_server_set_request(
            s->session,
            ctx->no_verify ? GNUTLS_CERT_REQUEST : GNUTLS_CERT_REQUIRE);
    /* GnuTLS writes a handshake flight message by message: without
     * TCP_NODELAY, Nagle holds each next one for the peer's delayed ACK
     * (40 ms a round trip).  Not a TCP socket (a socketpair): no matter. */
    (void)setsockopt(cvg_rpc_transport_fd(tr), IPPROTO_TCP, TCP_NODELAY,
                     &(int){1}, sizeof(int));
    s->below = cvg_rpc_transport_top(tr);
    gnutls_transport_set_ptr(s->session, s);
    gnutls_transport_set_pull_function(s->session, tls_pull);
    gnutls_transport_set_push_function(s->session, tls_push);
    cvg_rpc_transport_push(tr, &tls_layer_ops, s, true);
    return s;
}

/* Why a verification @status failed, for the log and the error. */
static const char *
status_reason(unsigned int status)
{
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
        return _("it is not signed by a known CA");
    if (status & GNUTLS_CERT_REVOKED)
        return _("it is revoked");
    if (status & GNUTLS_CERT_EXPIRED)
        return _("it has expired");
    if (status & GNUTLS_CERT_NOT_ACTIVATED)
        return _("it is not yet active");
    if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
        return _("it does not name the host");
    if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
        return _("it uses an insecure algorithm");
    if (status & GNUTLS_CERT_SIGNER_NOT_CA)
        return _("its signer is not a CA");
    if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
        return _("its extended key usage does not allow this use");
    return _("it is invalid");
}

/* The peer's certificate DN (GnuTLS' "C=..,O=..,CN=.." form); NULL if it
 * sent none. */
static char *
peer_dn(gnutls_session_t session)
{
    unsigned int n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
    gnutls_x509_crt_t crt = NULL;
    char *dn = NULL;
    size_t len = 0;

    if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0)
        return NULL;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
        gnutls_x509_crt_get_dn(crt, NULL, &len) ==
            GNUTLS_E_SHORT_MEMORY_BUFFER) {
        dn = g_malloc0(len + 1);
        if (gnutls_x509_crt_get_dn(crt, dn, &len) < 0)
            g_clear_pointer(&dn, g_free);
    }
    gnutls_x509_crt_deinit(crt);
    return dn;
}

/* Verify the peer's certificate: its chain, dates, revocation, its
 * extended key usage (a TLS client certificate for a server, a server one
 * for a client) and for a client that it names @hostname.  NULL when good,
 * else the reason. */
static const char *
verify_peer(gnutls_session_t session, bool server, const char *hostname)
{
    gnutls_typed_vdata_st data[2] = {
        {.type = GNUTLS_DT_KEY_PURPOSE_OID,
         .data = (unsigned char *)(server ? GNUTLS_KP_TLS_WWW_CLIENT
                                          : GNUTLS_KP_TLS_WWW_SERVER)},
        {.type = GNUTLS_DT_DNS_HOSTNAME, .data = (unsigned char *)hostname},
    };
    unsigned int status = 0;
    int rc;

    if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
        !gnutls_certificate_get_peers(session, &(unsigned int){0}))
        return _("no certificate was sent");
    rc = gnutls_certificate_verify_peers(session, data, hostname ? 2 : 1,
                                         &status);
    if (rc < 0)
        return gnutls_strerror(rc);
    return status ? status_reason(status) : NULL;
}

/* Server: the handshake is done; check the client.  0 accepted. */
static int
server_check_client(CvgTlsHandshake *hs)
{
    const char *desc = cvg_rpc_client_describe(hs->client);
    g_autofree char *dn = peer_dn(hs->sess->session);
    const char *why;

    if (!hs->ctx->no_verify) {
        if ((why = verify_peer(hs->sess->session, true, NULL))) {
            g_warning("client %s: refused: its certificate%s%s is not "
                      "trusted: %s",
                      desc, dn ? " " : "", dn ? dn : "", why);
            return -1;
        }
        if (!cvg_tls_dn_allowed(dn, hs->ctx->allowed_dn)) {
            g_warning("client %s: refused: DN '%s' is not in "
                      "tls_allowed_dn_list",
                      desc, dn ? dn : "");
            return -1;
        }
    }
    if (dn)
        cvg_rpc_client_set_identity(hs->client, dn);
    g_message("client %s: %s session, certificate DN '%s'", desc,
              gnutls_protocol_get_name(
                  gnutls_protocol_get_version(hs->sess->session)),
              dn ? dn : "(none)");
    return 0;
}

static void *
server_hs_start(void *opaque, CvgRpcClient *client)
{
    CvgTlsContext *ctx = opaque;
    CvgTlsHandshake *hs = g_new0(CvgTlsHandshake, 1);

    hs->ctx = ctx;
    hs->client = client;
    hs->sess = session_push(ctx, cvg_rpc_client_transport(client));
    if (!hs->sess) {
        g_warning("client %s: %s", cvg_rpc_client_describe(client),
                  cvg_error_last()->message);
        g_free(hs);
        return NULL;
    }
    return hs;
}

/* Which way GnuTLS waits. */
static int
want_direction(gnutls_session_t session, GIOCondition *want)
{
    *want = gnutls_record_get_direction(session) ? G_IO_OUT : G_IO_IN;
    return 0;
}

static int
server_hs_step(void *state, GIOCondition *want)
{
    CvgTlsHandshake *hs = state;
    gnutls_session_t session = hs->sess->session;
    static const char ok = TLS_STATUS_OK;
    int rc;

    if (!hs->handshaken) {
        rc = gnutls_handshake(session);
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
            return want_direction(session, want);
        if (rc < 0) {
            g_warning("client %s: refused: TLS handshake failed: %s",
                      cvg_rpc_client_describe(hs->client), gnutls_strerror(rc));
            return -1;
        }
        if (server_check_client(hs) < 0)
            return -1;
        hs->handshaken = true;
    }
    rc = gnutls_record_send(session, &ok, 1);
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
        return want_direction(session, want);
    if (rc < 0) {
        g_message("client %s: cannot send the TLS status: %s",
                  cvg_rpc_client_describe(hs->client), gnutls_strerror(rc));
        return -1;
    }
    return 1;
}

const CvgRpcHandshakeOps cvg_tls_server_handshake = {
    .start = server_hs_start,
    .step = server_hs_step,
    .free = g_free,
};

/* Client: wait until the socket is ready as GnuTLS wants, within
 * @deadline.  0, or -1 on timeout. */
static int
client_wait(gnutls_session_t session, int fd, gint64 deadline)
{
    struct pollfd pfd = {.fd = fd};
    int ms = (int)MAX(0, (deadline - g_get_monotonic_time()) / 1000);

    pfd.events = gnutls_record_get_direction(session) ? POLLOUT : POLLIN;
    return ms > 0 && poll(&pfd, 1, ms) > 0 ? 0 : -1;
}

static int
client_handshake(CvgTlsSession *s, int fd, const char *uri, gint64 deadline)
{
    int rc;

    while ((rc = gnutls_handshake(s->session)) < 0) {
        if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
            cvg_error_report(CVG_ERR_AUTH_FAILED,
                             _("TLS handshake with '%s' failed: %s"), uri,
                             gnutls_strerror(rc));
            return -1;
        }
        if (client_wait(s->session, fd, deadline) < 0) {
            cvg_error_report(CVG_ERR_OPERATION_TIMEOUT,
                             _("TLS handshake with '%s' timed out"), uri);
            return -1;
        }
    }
    return 0;
}

/* The status byte the server sends once it accepts us. */
static int
client_read_status(CvgTlsSession *s, int fd, const char *uri, gint64 deadline)
{
    unsigned char status = 0;
    ssize_t rc;

    while ((rc = gnutls_record_recv(s->session, &status, 1)) < 0 &&
           (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED))
        if (client_wait(s->session, fd, deadline) < 0)
            break;
    if (rc == 1 && status == TLS_STATUS_OK)
        return 0;
    if (rc == 1)
        cvg_error_report(CVG_ERR_RPC,
                         _("TLS check on the server side of '%s' failed "
                           "(status %u)"),
                         uri, status);
    else
        cvg_error_report(CVG_ERR_AUTH_FAILED,
                         _("'%s' refused our TLS certificate (the connection "
                           "ended before its status: %s)"),
                         uri,
                         rc < 0 ? gnutls_strerror((int)rc) : _("end of file"));
    return -1;
}

int
cvg_tls_client_start(CvgTlsContext *ctx, CvgRpcTransport *tr,
                     const char *hostname, const char *uri, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int fd = cvg_rpc_transport_fd(tr);
    CvgTlsSession *s = session_push(ctx, tr);
    const char *why;

    if (!s)
        return -1;
    /* SNI, when the host is a name (an address is not sent). */
    if (hostname && !g_hostname_is_ip_address(hostname))
        gnutls_server_name_set(s->session, GNUTLS_NAME_DNS, hostname,
                               strlen(hostname));
    if (client_handshake(s, fd, uri, deadline) < 0)
        return -1;
    if (!ctx->no_verify && (why = verify_peer(s->session, false, hostname))) {
        cvg_error_report(CVG_ERR_AUTH_FAILED,
                         _("the certificate of '%s' is not trusted: %s"), uri,
                         why);
        return -1;
    }
    return client_read_status(s, fd, uri, deadline);
}
