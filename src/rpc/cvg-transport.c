/*
 * cvg-transport.c: the layered byte stream under a connection
 */
#include "cvg-transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

struct _CvgRpcLayer {
    const CvgRpcLayerOps *ops; /* NULL: the socket */
    void *data;
    CvgRpcLayer *below;
    int fd;
};

struct _CvgRpcTransport {
    CvgRpcLayer *top;
    int fd;
    bool local;
    bool encrypted;
    char *desc;
};

CvgRpcTransport *
cvg_rpc_transport_new(int fd, bool local)
{
    CvgRpcTransport *t = g_new0(CvgRpcTransport, 1);

    t->fd = fd;
    t->local = local;
    t->top = g_new0(CvgRpcLayer, 1);
    t->top->fd = fd;
    t->desc = g_strdup(local ? "unix" : "tcp");
    return t;
}

void
cvg_rpc_transport_free(CvgRpcTransport *t)
{
    if (!t)
        return;
    while (t->top) {
        CvgRpcLayer *l = t->top;

        t->top = l->below;
        if (l->ops && l->ops->free)
            l->ops->free(l->data);
        g_free(l);
    }
    if (t->fd >= 0)
        close(t->fd);
    g_free(t->desc);
    g_free(t);
}

void
cvg_rpc_transport_push(CvgRpcTransport *t, const CvgRpcLayerOps *ops,
                       void *data, bool encrypting)
{
    CvgRpcLayer *l = g_new0(CvgRpcLayer, 1);
    char *desc = g_strdup_printf("%s+%s", t->desc, ops->name);

    l->ops = ops;
    l->data = data;
    l->below = t->top;
    l->fd = t->fd;
    t->top = l;
    t->encrypted = t->encrypted || encrypting;
    g_free(t->desc);
    t->desc = desc;
}

ssize_t
cvg_rpc_layer_recv(CvgRpcLayer *l, void *buf, size_t len)
{
    ssize_t n;

    if (l->ops)
        return l->ops->recv(l->data, l->below, buf, len);
    do {
        n = recv(l->fd, buf, len, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EWOULDBLOCK)
        errno = EAGAIN;
    return n;
}

ssize_t
cvg_rpc_layer_send(CvgRpcLayer *l, const void *buf, size_t len)
{
    ssize_t n;

    if (l->ops)
        return l->ops->send(l->data, l->below, buf, len);
    do {
        n = send(l->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EWOULDBLOCK)
        errno = EAGAIN;
    return n;
}

CvgRpcLayer *
cvg_rpc_transport_top(CvgRpcTransport *t)
{
    return t->top;
}

int
cvg_rpc_layer_fd(CvgRpcLayer *l)
{
    return l->fd;
}

ssize_t
cvg_rpc_transport_recv(CvgRpcTransport *t, void *buf, size_t len)
{
    return cvg_rpc_layer_recv(t->top, buf, len);
}

ssize_t
cvg_rpc_transport_send(CvgRpcTransport *t, const void *buf, size_t len)
{
    return cvg_rpc_layer_send(t->top, buf, len);
}

size_t
cvg_rpc_transport_pending(CvgRpcTransport *t)
{
    size_t n = 0;

    for (CvgRpcLayer *l = t->top; l; l = l->below)
        if (l->ops && l->ops->pending)
            n += l->ops->pending(l->data);
    return n;
}

int
cvg_rpc_transport_fd(CvgRpcTransport *t)
{
    return t->fd;
}

bool
cvg_rpc_transport_is_encrypted(CvgRpcTransport *t)
{
    return t->encrypted;
}

bool
cvg_rpc_transport_is_local(CvgRpcTransport *t)
{
    return t->local;
}

const char *
cvg_rpc_transport_describe(CvgRpcTransport *t)
{
    return t->desc;
}
