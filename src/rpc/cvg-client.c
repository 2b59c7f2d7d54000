/*
 * cvg-client.c: a synchronous libvirt-protocol client
 */
#include "cvg-client.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct _CvgRpcConn {
    int fd;
    unsigned int serial;
    bool_t broken;
    char *uri;
};

char *
cvg_rpc_uri_socket_path(const char *uri, const char *default_socket)
{
    const char *q;
    const char *p;

    if (!g_str_has_prefix(uri, "qemu+unix://") &&
        !g_str_has_prefix(uri, "qemu://")) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("destination URI '%s' is not supported: convergd "
                           "reaches peers through qemu+unix:// sockets"),
                         uri);
        return NULL;
    }
    q = strchr(uri, '?');
    for (p = q; p; p = strchr(p + 1, '&')) {
        if (g_str_has_prefix(p + 1, "socket=")) {
            const char *v = p + 1 + strlen("socket=");
            size_t n = strcspn(v, "&");

            if (n == 0)
                break;
            return g_uri_unescape_segment(v, v + n, NULL);
        }
    }
    if (g_str_has_prefix(uri, "qemu://") &&
        !g_str_has_prefix(uri, "qemu:///")) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("destination URI '%s' names a remote host; "
                           "use qemu+unix:///system?socket=PATH"),
                         uri);
        return NULL;
    }
    return g_strdup(default_socket);
}

static int
write_all(CvgRpcConn *conn, const guint8 *buf, size_t len, gint64 deadline)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = send(conn->fd, buf + off, len - off, MSG_NOSIGNAL);

        if (n > 0) {
            off += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = conn->fd, .events = POLLOUT};
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
        struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
        int ms = (int)MAX(0, (deadline - g_get_monotonic_time()) / 1000);
        ssize_t n;

        if (poll(&pfd, 1, ms) == 0) {
            conn->broken = TRUE;
            cvg_error_report(CVG_ERR_OPERATION_TIMEOUT, _("no reply from '%s'"),
                             conn->uri);
            return -1;
        }
        n = recv(conn->fd, buf + off, len - off, 0);
        if (n > 0) {
            off += n;
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
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

CvgRpcConn *
cvg_rpc_conn_open(const char *uri, const char *default_socket, int timeout_ms)
{
    g_autofree char *path = cvg_rpc_uri_socket_path(uri, default_socket);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    CvgRpcConn *conn;
    CvgRemoteAuthListRet auth = {0};
    char *name = (char *)"qemu:///system";
    CvgRemoteConnectOpenArgs open_args = {.name = &name, .flags = 0};

    if (!path)
        return NULL;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("socket path '%s' too long"),
                         path);
        return NULL;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    conn = g_new0(CvgRpcConn, 1);
    conn->uri = g_strdup(uri);
    conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (conn->fd < 0 ||
        connect(conn->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot connect to destination '%s': %s"), uri,
                         g_strerror(errno));
        goto error;
    }
    if (cvg_rpc_conn_call(conn, CVG_PROC_AUTH_LIST, NULL, NULL,
                          (xdrproc_t)xdr_CvgRemoteAuthListRet, &auth,
                          timeout_ms) < 0)
        goto error;
    cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteAuthListRet, &auth);
    if (cvg_rpc_conn_call(conn, CVG_PROC_CONNECT_OPEN,
                          (xdrproc_t)xdr_CvgRemoteConnectOpenArgs, &open_args,
                          NULL, NULL, timeout_ms) < 0)
        goto error;
    return conn;

error:
    if (conn->fd >= 0)
        close(conn->fd);
    g_free(conn->uri);
    g_free(conn);
    return NULL;
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
    close(conn->fd);
    g_free(conn->uri);
    g_free(conn);
}
