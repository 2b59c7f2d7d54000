/*
 * cvg-client.c: a synchronous libvirt-protocol client
 */
#include "cvg-client.h"
#include "cvg-protocol.h"
#include "cvg-sasl.h"
#include "cvg-tls.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct _CvgRpcConn {
    CvgRpcTransport *tr;
    GPid ssh_pid;       /* qemu+ssh: the ssh child, 0 otherwise */
    CvgTlsContext *tls; /* qemu+tls: the credentials the session uses */
    unsigned int serial;
    bool_t broken;
    char *uri;
};

void
cvg_rpc_uri_free(CvgRpcUri *u)
{
    if (!u)
        return;
    g_free(u->transport);
    g_free(u->user);
    g_free(u->host);
    g_free(u->port);
    g_free(u->path);
    g_free(u->socket);
    if (u->params)
        g_hash_table_unref(u->params);
    g_free(u);
}

const char *
cvg_rpc_uri_param(const CvgRpcUri *u, const char *name)
{
    return u->params ? g_hash_table_lookup(u->params, name) : NULL;
}

static const char *const transports[] = {"unix", "tcp", "tls", "ssh", NULL};

static int
uri_transport(CvgRpcUri *u, const char *scheme, const char *uri)
{
    const char *plus = strchr(scheme, '+');

    if (!g_str_has_prefix(scheme, "qemu") ||
        (scheme[4] != '\0' && scheme[4] != '+')) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("destination URI '%s' is not a qemu:// URI"), uri);
        return -1;
    }
    /* qemu://HOST/system means TLS, qemu:///system the local socket. */
    u->transport = g_strdup(plus ? plus + 1 : u->host ? "tls" : "unix");
    if (!g_strv_contains(transports, u->transport)) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("transport '%s' of URI '%s' is not supported "
                           "(unix, tcp, tls, ssh)"),
                         u->transport, uri);
        return -1;
    }
    if (strcmp(u->transport, "unix") != 0 && !u->host) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("URI '%s' names no host for transport '%s'"), uri,
                         u->transport);
        return -1;
    }
    return 0;
}

CvgRpcUri *
cvg_rpc_uri_parse(const char *uri, const char *default_socket)
{
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GUri) gu = g_uri_parse(uri, G_URI_FLAGS_ENCODED_QUERY, &gerr);
    CvgRpcUri *u;
    const char *query;

    if (!gu) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("invalid URI '%s': %s"), uri,
                         gerr->message);
        return NULL;
    }
    u = g_new0(CvgRpcUri, 1);
    if (g_uri_get_host(gu) && *g_uri_get_host(gu))
        u->host = g_strdup(g_uri_get_host(gu));
    u->user = g_strdup(g_uri_get_user(gu));
    if (g_uri_get_port(gu) > 0)
        u->port = g_strdup_printf("%d", g_uri_get_port(gu));
    u->path = g_strdup(g_uri_get_path(gu));
    if (uri_transport(u, g_uri_get_scheme(gu), uri) < 0) {
        cvg_rpc_uri_free(u);
        return NULL;
    }
    query = g_uri_get_query(gu);
    if (query && !(u->params = g_uri_parse_params(query, -1, "&",
                                                  G_URI_PARAMS_NONE, &gerr))) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("invalid query in URI '%s': %s"), uri,
                         gerr->message);
        cvg_rpc_uri_free(u);
        return NULL;
    }
    u->socket = g_strdup(cvg_rpc_uri_param(u, "socket"));
    if ((!u->socket || !*u->socket) && !u->host) {
        g_free(u->socket);
        u->socket = g_strdup(default_socket);
    }
    return u;
}

/* The name CONNECT_OPEN gets: the URI without transport, host, user and
 * the parameters only the client reads (what libvirt sends). */
static char *
uri_open_name(const CvgRpcUri *u)
{
    return g_strdup_printf("qemu://%s", u->path && *u->path ? u->path : "/");
}

static int
write_all(CvgRpcConn *conn, const guint8 *buf, size_t len, gint64 deadline)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = cvg_rpc_transport_send(conn->tr, buf + off, len - off);

        if (n > 0) {
            off += n;
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = cvg_rpc_transport_fd(conn->tr),
                                 .events = POLLOUT | POLLIN};
            int ms = (int)MAX(0, (deadline - g_get_monotonic_time()) / 1000);

            if (ms > 0 && poll(&pfd, 1, ms) > 0)
                continue;
        }
        conn->broken = TRUE;
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot send to '%s': connection lost"), conn->uri);
        return -1;
    }
    return 0;
}

static int
read_exact(CvgRpcConn *conn, guint8 *buf, size_t len, gint64 deadline)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n;

        if (cvg_rpc_transport_pending(conn->tr) == 0) {
            struct pollfd pfd = {.fd = cvg_rpc_transport_fd(conn->tr),
                                 .events = POLLIN};
            int ms = (int)MAX(0, (deadline - g_get_monotonic_time()) / 1000);

            if (poll(&pfd, 1, ms) == 0) {
                conn->broken = TRUE;
                cvg_error_report(CVG_ERR_OPERATION_TIMEOUT,
                                 _("no reply from '%s'"), conn->uri);
                return -1;
            }
        }
        n = cvg_rpc_transport_recv(conn->tr, buf + off, len - off);
        if (n > 0) {
            off += n;
            continue;
        }
        if (n < 0 && errno == EAGAIN)
            continue;
        conn->broken = TRUE;
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("connection to '%s' closed"), conn->uri);
        return -1;
    }
    return 0;
}

/* Read one whole frame (bounded by the protocol maximum). */
static GByteArray *
read_frame(CvgRpcConn *conn, gint64 deadline)
{
    guint8 lenbuf[4];
    guint32 len;
    g_autoptr(GByteArray) frame = NULL;

    if (read_exact(conn, lenbuf, 4, deadline) < 0)
        return NULL;
    len = ((guint32)lenbuf[0] << 24) | ((guint32)lenbuf[1] << 16) |
          ((guint32)lenbuf[2] << 8) | lenbuf[3];
    if (len < CVG_RPC_MESSAGE_MIN ||
        len > CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD) {
        conn->broken = TRUE;
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("bad frame length %u from '%s'"), len,
                              conn->uri);
        return NULL;
    }
    frame = g_byte_array_sized_new(len);
    g_byte_array_set_size(frame, len);
    memcpy(frame->data, lenbuf, 4);
    if (read_exact(conn, frame->data + 4, len - 4, deadline) < 0)
        return NULL;
    return g_steal_pointer(&frame);
}

static int
send_message(CvgRpcConn *conn, const CvgRpcHeader *hdr, xdrproc_t proc,
             void *body, gint64 deadline)
{
    g_autoptr(GByteArray) frame = cvg_rpc_message_encode(hdr, proc, body);

    if (!frame)
        return -1;
    return write_all(conn, frame->data, frame->len, deadline);
}

int
cvg_rpc_conn_call(CvgRpcConn *conn, int proc, xdrproc_t args_proc, void *args,
                  xdrproc_t ret_proc, void *ret, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    CvgRpcHeader hdr = {
        .prog = CVG_RPC_PROGRAM_REMOTE,
        .vers = CVG_RPC_PROTOCOL_VERSION,
        .proc = proc,
        .type = CVG_RPC_CALL,
        .serial = conn->serial++,
        .status = CVG_RPC_OK,
    };

    if (conn->broken) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("connection to '%s' is broken"), conn->uri);
        return -1;
    }
    if (send_message(conn, &hdr, args_proc ? args_proc : CVG_XDR_VOID, args,
                     deadline) < 0)
        return -1;

    for (;;) {
        g_autoptr(GByteArray) frame = read_frame(conn, deadline);
        CvgRpcHeader rh;
        const guint8 *payload;
        size_t plen;

        if (!frame)
            return -1;
        if (cvg_rpc_header_decode(frame->data + 4, frame->len - 4, &rh) < 0) {
            conn->broken = TRUE;
            return -1;
        }
        payload = frame->data + CVG_RPC_MESSAGE_MIN;
        plen = frame->len - CVG_RPC_MESSAGE_MIN;
        if (rh.prog == CVG_RPC_PROGRAM_KEEPALIVE) {
            if (rh.proc == CVG_RPC_KEEPALIVE_PING) {
                CvgRpcHeader pong = rh;

                pong.proc = CVG_RPC_KEEPALIVE_PONG;
                if (send_message(conn, &pong, CVG_XDR_VOID, NULL, deadline) < 0)
                    return -1;
            }
            continue;
        }
        if (rh.type != CVG_RPC_REPLY || rh.serial != hdr.serial ||
            rh.prog != hdr.prog || rh.proc != hdr.proc)
            continue; /* events and stray replies are not ours */
        if (rh.status == CVG_RPC_ERROR) {
            CvgWireError werr = {0};
            g_autoptr(CvgError) err = NULL;

            if (cvg_rpc_payload_decode(payload, plen,
                                       (xdrproc_t)xdr_CvgWireError, &werr) < 0)
                return -1;
            err = cvg_wire_error_to(&werr);
            cvg_rpc_payload_free((xdrproc_t)xdr_CvgWireError, &werr);
            cvg_error_set(err);
            return -1;
        }
        return cvg_rpc_payload_decode(payload, plen,
                                      ret_proc ? ret_proc : CVG_XDR_VOID, ret);
    }
}

int
cvg_rpc_conn_supports_feature(CvgRpcConn *conn, int feature)
{
    CvgRemoteConnectSupportsFeatureArgs args = {.feature = feature};
    CvgRemoteConnectSupportsFeatureRet ret = {0};

    if (cvg_rpc_conn_call(
            conn, CVG_PROC_CONNECT_SUPPORTS_FEATURE,
            (xdrproc_t)xdr_CvgRemoteConnectSupportsFeatureArgs, &args,
            (xdrproc_t)xdr_CvgRemoteConnectSupportsFeatureRet, &ret, 30000) < 0)
        return -1;
    return ret.supported ? 1 : 0;
}

bool_t
cvg_rpc_conn_alive(CvgRpcConn *conn)
{
    return conn && !conn->broken;
}

/* A connected socket to @host:@port, or -1 reported. */
static int
connect_tcp(const char *host, const char *port, const char *uri, int timeout_ms)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    int err = 0;

    if (rc != 0) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot resolve '%s' of '%s': %s"), host, uri,
                         gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        socklen_t len = sizeof(err);

        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && poll(&pfd, 1, timeout_ms) > 0 &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
             err == 0)) {
            freeaddrinfo(res);
            return fd;
        }
        if (errno != EINPROGRESS)
            err = errno;
        else if (err == 0)
            err = ETIMEDOUT;
        close(fd);
    }
    freeaddrinfo(res);
    cvg_error_report(CVG_ERR_OPERATION_FAILED,
                     _("cannot connect to destination '%s': %s"), uri,
                     g_strerror(err ? err : ECONNREFUSED));
    return -1;
}

static int
connect_unix(const char *path, const char *uri)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("socket path '%s' too long"),
                         path);
        return -1;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;

        if (fd >= 0)
            close(fd);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot connect to destination '%s': %s"), uri,
                         g_strerror(err));
        return -1;
    }
    return fd;
}

/* The command ssh runs on the remote host: netcat to its socket. */
static char *
ssh_remote_command(const CvgRpcUri *u)
{
    const char *nc = cvg_rpc_uri_param(u, "netcat");
    const char *sock =
        u->socket && *u->socket ? u->socket : CVG_RPC_LIBVIRT_SOCKET;
    g_autofree char *qnc = g_shell_quote(nc ? nc : "nc");
    g_autofree char *qsock = g_shell_quote(sock);

    return g_strdup_printf("%s -U %s", qnc, qsock);
}

/* qemu+ssh: a socketpair whose other end is ssh's stdin and stdout. */
static int
connect_ssh(CvgRpcConn *conn, const CvgRpcUri *u)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) gerr = NULL;
    const char *keyfile = cvg_rpc_uri_param(u, "keyfile");
    const char *known = cvg_rpc_uri_param(u, "known_hosts");
    const char *nov = cvg_rpc_uri_param(u, "no_verify");
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        cvg_error_report_system(errno, _("cannot create socket pair"));
        return -1;
    }
    g_ptr_array_add(argv, g_strdup("ssh"));
    g_ptr_array_add(argv, g_strdup("-T"));
    g_ptr_array_add(argv, g_strdup("-e"));
    g_ptr_array_add(argv, g_strdup("none"));
    g_ptr_array_add(argv, g_strdup("-oBatchMode=yes"));
    if (nov && strcmp(nov, "0") != 0)
        g_ptr_array_add(argv, g_strdup("-oStrictHostKeyChecking=no"));
    if (known)
        g_ptr_array_add(argv,
                        g_strdup_printf("-oUserKnownHostsFile=%s", known));
    if (keyfile) {
        g_ptr_array_add(argv, g_strdup("-i"));
        g_ptr_array_add(argv, g_strdup(keyfile));
    }
    if (u->port) {
        g_ptr_array_add(argv, g_strdup("-p"));
        g_ptr_array_add(argv, g_strdup(u->port));
    }
    if (u->user) {
        g_ptr_array_add(argv, g_strdup("-l"));
        g_ptr_array_add(argv, g_strdup(u->user));
    }
    g_ptr_array_add(argv, g_strdup("--"));
    g_ptr_array_add(argv, g_strdup(u->host));
    g_ptr_array_add(argv, ssh_remote_command(u));
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &conn->ssh_pid, sv[1], sv[1], -1,
                                &gerr)) {
        close(sv[0]);
        close(sv[1]);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot run ssh for '%s': %s"), conn->uri,
                         gerr->message);
        return -1;
    }
    close(sv[1]);
    return sv[0];
}

/* The client certificates: ?pkipath=DIR or libvirt's system paths; the
 * server certificate checked unless ?no_verify=1. */
static int
conn_start_tls(CvgRpcConn *conn, const CvgRpcUri *u, int timeout_ms)
{
    const char *pki = cvg_rpc_uri_param(u, "pkipath");
    const char *nov = cvg_rpc_uri_param(u, "no_verify");
    g_autofree char *ca = pki ? g_build_filename(pki, "cacert.pem", NULL)
                              : g_strdup(CVG_TLS_CA_FILE);
    g_autofree char *cert = pki ? g_build_filename(pki, "clientcert.pem", NULL)
                                : g_strdup(CVG_TLS_CLIENT_CERT);
    g_autofree char *key = pki ? g_build_filename(pki, "clientkey.pem", NULL)
                               : g_strdup(CVG_TLS_CLIENT_KEY);
    CvgTlsConfig tc = {.ca_file = ca,
                       .cert_file = cert,
                       .key_file = key,
                       .no_verify = nov && strcmp(nov, "0") != 0};

    /* The session borrows the credentials: they live as long as conn. */
    if (!(conn->tls = cvg_tls_context_new(&tc, false)))
        return -1;
    return cvg_tls_client_start(conn->tls, conn->tr, u->host, conn->uri,
                                timeout_ms);
}

/* The transport @u names, connected; secured for TLS. */
static int
conn_connect(CvgRpcConn *conn, const CvgRpcUri *u, int timeout_ms)
{
    int fd;

    if (strcmp(u->transport, "unix") == 0)
        fd = connect_unix(u->socket, conn->uri);
    else if (strcmp(u->transport, "ssh") == 0)
        fd = connect_ssh(conn, u);
    else
        fd = connect_tcp(u->host,
                         u->port                            ? u->port
                         : strcmp(u->transport, "tls") == 0 ? CVG_RPC_TLS_PORT
                                                            : CVG_RPC_TCP_PORT,
                         conn->uri, timeout_ms);
    if (fd < 0)
        return -1;
    conn->tr = cvg_rpc_transport_new(fd, strcmp(u->transport, "unix") == 0 ||
                                             strcmp(u->transport, "ssh") == 0);
    if (strcmp(u->transport, "tls") == 0)
        return conn_start_tls(conn, u, timeout_ms);
    return 0;
}

static GMutex auth_file_lock;
static char *auth_file; /* NULL: CVG_RPC_DEFAULT_AUTH_FILE */

void
cvg_rpc_client_set_auth_file(const char *path)
{
    g_mutex_lock(&auth_file_lock);
    g_free(auth_file);
    auth_file = g_strdup(path);
    g_mutex_unlock(&auth_file_lock);
}

/* A SASL session for @u with the auth file's credentials. */
static CvgSaslSession *
conn_sasl_session(CvgRpcConn *conn, const CvgRpcUri *u)
{
    g_autofree char *path = NULL;
    g_autofree char *authname = NULL;
    g_autofree char *password = NULL;
    CvgSaslSession *s;

    g_mutex_lock(&auth_file_lock);
    path = g_strdup(auth_file ? auth_file : CVG_RPC_DEFAULT_AUTH_FILE);
    g_mutex_unlock(&auth_file_lock);
    if (cvg_sasl_auth_file_lookup(path, u->host, &authname, &password) < 0 ||
        cvg_sasl_client_init() < 0)
        return NULL;
    s = cvg_sasl_client_new(cvg_rpc_transport_fd(conn->tr), u->host,
                            cvg_rpc_transport_is_encrypted(conn->tr), authname,
                            password);
    if (password)
        memset(password, 0, strlen(password));
    return s;
}

/* One SASL round trip: START (with @mech) or STEP carrying @out; the
 * server's answer in @ret (freed by the caller). */
static int
conn_sasl_call(CvgRpcConn *conn, const char *mech, char *out, size_t outlen,
               CvgRemoteAuthSaslStartRet *ret, int timeout_ms)
{
    CvgRemoteAuthSaslStartArgs start = {.mech = (char *)mech};
    CvgRemoteAuthSaslStepArgs step = {0};

    start.nil = step.nil = out == NULL;
    start.data.data_val = step.data.data_val = out;
    start.data.data_len = step.data.data_len = outlen;
    if (mech)
        return cvg_rpc_conn_call(
            conn, CVG_PROC_AUTH_SASL_START,
            (xdrproc_t)xdr_CvgRemoteAuthSaslStartArgs, &start,
            (xdrproc_t)xdr_CvgRemoteAuthSaslStartRet, ret, timeout_ms);
    return cvg_rpc_conn_call(
        conn, CVG_PROC_AUTH_SASL_STEP, (xdrproc_t)xdr_CvgRemoteAuthSaslStepArgs,
        &step, (xdrproc_t)xdr_CvgRemoteAuthSaslStepRet, ret, timeout_ms);
}

/* The exchange after INIT, until both sides say complete. */
static int
conn_sasl_exchange(CvgRpcConn *conn, CvgSaslSession *s, const char *mechlist,
                   int timeout_ms)
{
    g_autofree char *mech = NULL;
    g_autofree char *out = NULL;
    size_t outlen = 0;
    int rc = cvg_sasl_client_start(s, mechlist, &mech, &out, &outlen);

    /* DIGEST-MD5 takes two round trips; anything past a few is a peer
     * leading us on. */
    for (int round = 0; rc >= 0 && round < 8; round++) {
        CvgRemoteAuthSaslStartRet ret = {0};
        bool server_done;

        if (conn_sasl_call(conn, round == 0 ? mech : NULL, out, outlen, &ret,
                           timeout_ms) < 0)
            return -1;
        g_clear_pointer(&out, g_free);
        server_done = ret.complete;
        if (!server_done || rc != 1)
            rc = cvg_sasl_client_step(s, ret.nil ? NULL : ret.data.data_val,
                                      ret.data.data_len, &out, &outlen);
        cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteAuthSaslStartRet, &ret);
        if (rc < 0)
            return -1;
        if (server_done)
            return 0;
    }
    if (rc >= 0)
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("SASL exchange with '%s' does not end"),
                              conn->uri);
    return -1;
}

/* SASL as the server asked: INIT, the exchange, then the security layer
 * when the mechanism brought one. */
static int
conn_sasl(CvgRpcConn *conn, const CvgRpcUri *u, int timeout_ms)
{
    g_autoptr(CvgSaslSession) s = conn_sasl_session(conn, u);
    CvgRemoteAuthSaslInitRet init = {0};
    unsigned int ssf = 0;
    int rc;

    if (!s)
        return -1;
    if (cvg_rpc_conn_call(conn, CVG_PROC_AUTH_SASL_INIT, NULL, NULL,
                          (xdrproc_t)xdr_CvgRemoteAuthSaslInitRet, &init,
                          timeout_ms) < 0)
        return -1;
    rc = conn_sasl_exchange(conn, s, init.mechlist, timeout_ms);
    cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteAuthSaslInitRet, &init);
    if (rc < 0 || cvg_sasl_session_ssf(s, &ssf) < 0)
        return -1;
    g_debug("authenticated to '%s' with SASL, security strength %u", conn->uri,
            ssf);
    if (ssf > 0)
        cvg_rpc_transport_push(conn->tr, &cvg_sasl_layer_ops,
                               g_steal_pointer(&s), true);
    return 0;
}

/* AUTH_LIST, and whatever it asks for: nothing, or SASL. */
static int
conn_authenticate(CvgRpcConn *conn, const CvgRpcUri *u, int timeout_ms)
{
    CvgRemoteAuthListRet auth = {0};
    bool none = false, sasl = false;

    if (cvg_rpc_conn_call(conn, CVG_PROC_AUTH_LIST, NULL, NULL,
                          (xdrproc_t)xdr_CvgRemoteAuthListRet, &auth,
                          timeout_ms) < 0)
        return -1;
    for (u_int i = 0; i < auth.types.types_len; i++) {
        none = none || auth.types.types_val[i] == 0;
        sasl = sasl || auth.types.types_val[i] == 1;
    }
    cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteAuthListRet, &auth);
    if (none || auth.types.types_len == 0)
        return 0;
    if (sasl)
        return conn_sasl(conn, u, timeout_ms);
    cvg_error_report(CVG_ERR_AUTH_FAILED,
                     _("'%s' asks for an authentication convergd cannot "
                       "give"),
                     conn->uri);
    return -1;
}

CvgRpcConn *
cvg_rpc_conn_open(const char *uri, const char *default_socket, int timeout_ms)
{
    g_autoptr(CvgRpcUri) u = cvg_rpc_uri_parse(uri, default_socket);
    CvgRpcConn *conn;
    g_autofree char *name = NULL;
    CvgRemoteConnectOpenArgs open_args = {.flags = 0};

    if (!u)
        return NULL;
    conn = g_new0(CvgRpcConn, 1);
    conn->uri = g_strdup(uri);
    if (conn_connect(conn, u, timeout_ms) < 0 ||
        conn_authenticate(conn, u, timeout_ms) < 0)
        goto error;
    name = uri_open_name(u);
    open_args.name = &name;
    if (cvg_rpc_conn_call(conn, CVG_PROC_CONNECT_OPEN,
                          (xdrproc_t)xdr_CvgRemoteConnectOpenArgs, &open_args,
                          NULL, NULL, timeout_ms) < 0)
        goto error;
    return conn;

error:
    conn->broken = TRUE;
    cvg_rpc_conn_close(conn);
    return NULL;
}

CvgRpcTransport *
cvg_rpc_conn_transport(CvgRpcConn *conn)
{
    return conn->tr;
}

void
cvg_rpc_conn_close(CvgRpcConn *conn)
{
    if (!conn)
        return;
    if (!conn->broken) {
        CvgError *saved = cvg_error_last() ? cvg_error_copy_last() : NULL;

        /* Closing is best effort and must not replace the real error. */
        cvg_rpc_conn_call(conn, CVG_PROC_CONNECT_CLOSE, NULL, NULL, NULL, NULL,
                          5000);
        if (saved) {
            cvg_error_set(saved);
            cvg_error_free(saved);
        } else {
            cvg_error_reset();
        }
    }
    cvg_rpc_transport_free(conn->tr);
    /* After the transport: its TLS session borrows these credentials. */
    cvg_tls_context_free(conn->tls);
    if (conn->ssh_pid > 0) {
        /* ssh ends when its stdin closes; make sure of it. */
        kill(conn->ssh_pid, SIGTERM);
        waitpid(conn->ssh_pid, NULL, 0);
        g_spawn_close_pid(conn->ssh_pid);
    }
    g_free(conn->uri);
    g_free(conn);
}
