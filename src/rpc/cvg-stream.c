/*
 * cvg-stream.c: data streams over a client connection (virStream)
 */
#include "cvg-stream.h"
#include "cvg-server-priv.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

struct _CvgRpcStream {
    gint refs;
    CvgRpcClient *client; /* a reference */
    CvgRpcHeader hdr;     /* the opening call: its proc and serial */
    int fd;
    guint rwatch;      /* descriptor readable (one message in flight) */
    guint wwatch;      /* descriptor writable, while wq holds bytes */
    GByteArray *wq;    /* client data not yet written to fd */
    gpointer tx;       /* the data frame in flight (atomic) */
    bool active;       /* the opening call's reply is out */
    bool end_at_start; /* terminated before it started */
    bool ended;        /* fd closed; only the client's finish is left */
    bool gone;         /* out of the client's list */
    CvgRpcStreamEndFn end;
    void *end_opaque;
};

/* The call the current worker thread handles, and the stream it opened. */
static GPrivate current_client;
static GPrivate current_hdr = G_PRIVATE_INIT(g_free);
static GPrivate current_stream;

static gboolean stream_readable(int fd, GIOCondition cond, gpointer data);

void
cvg_rpc_stream_ref(CvgRpcStream *st)
{
    g_atomic_int_inc(&st->refs);
}

void
cvg_rpc_stream_unref(CvgRpcStream *st)
{
    if (!st || !g_atomic_int_dec_and_test(&st->refs))
        return;
    if (st->fd >= 0)
        close(st->fd);
    g_byte_array_unref(st->wq);
    cvg_rpc_client_unref(st->client);
    g_free(st);
}

bool
cvg_rpc_stream_matches(const CvgRpcStream *st, const CvgRpcHeader *hdr)
{
    return st->hdr.proc == hdr->proc && st->hdr.serial == hdr->serial &&
           st->hdr.prog == hdr->prog;
}

/* A STREAM frame with @status and raw @data (NULL: none). */
static GByteArray *
stream_frame(const CvgRpcStream *st, int status, const void *data, size_t len)
{
    CvgRpcHeader hdr = st->hdr;
    GByteArray *frame;
    guint32 be;

    hdr.type = CVG_RPC_STREAM;
    hdr.status = status;
    if (!(frame = cvg_rpc_message_encode(&hdr, CVG_XDR_VOID, NULL)))
        return NULL;
    if (len)
        g_byte_array_append(frame, data, len);
    be = GUINT32_TO_BE(frame->len);
    memcpy(frame->data, &be, sizeof(be));
    return frame;
}

static void
stream_send(CvgRpcStream *st, int status, const void *data, size_t len)
{
    g_autoptr(GByteArray) frame = stream_frame(st, status, data, len);

    if (frame)
        cvg_rpc_client_queue_frame(st->client, frame);
}

/* The end of the data: an empty CONTINUE message (an empty OK message is
 * the confirmation of the client's finish or abort). */
static void
send_eof(CvgRpcStream *st)
{
    stream_send(st, CVG_RPC_CONTINUE, NULL, 0);
}

/* A STREAM error message carrying the last reported error. */
static void
stream_send_error(CvgRpcStream *st)
{
    g_autoptr(CvgError) err = cvg_error_copy_last();
    CvgRpcHeader hdr = st->hdr;
    g_autoptr(GByteArray) frame = NULL;
    CvgWireError werr;

    hdr.type = CVG_RPC_STREAM;
    hdr.status = CVG_RPC_ERROR;
    cvg_wire_error_from(err, &werr);
    frame = cvg_rpc_message_encode(&hdr, (xdrproc_t)xdr_CvgWireError, &werr);
    xdr_free((xdrproc_t)xdr_CvgWireError, (char *)&werr);
    if (frame)
        cvg_rpc_client_queue_frame(st->client, frame);
}

static void
stop_watches(CvgRpcStream *st)
{
    if (st->rwatch) {
        g_source_remove(st->rwatch);
        st->rwatch = 0;
    }
    if (st->wwatch) {
        g_source_remove(st->wwatch);
        st->wwatch = 0;
    }
}

/* Close the descriptor and say so to whoever opened the stream; the
 * stream may stay in the client's list waiting for its finish. */
static void
stream_end(CvgRpcStream *st)
{
    if (st->ended)
        return;
    st->ended = true;
    stop_watches(st);
    if (st->wq->len) {
        cvg_rpc_client_stream_backlog(st->client, -(gssize)st->wq->len);
        g_byte_array_set_size(st->wq, 0);
    }
    if (st->fd >= 0) {
        close(st->fd);
        st->fd = -1;
    }
    if (st->end)
        st->end(st, st->end_opaque);
}

/* End the stream and take it out of the client's list. */
static void
stream_remove(CvgRpcStream *st)
{
    stream_end(st);
    if (!st->gone) {
        st->gone = true;
        cvg_rpc_client_stream_remove(st->client, st);
    }
}

static void
watch_read(CvgRpcStream *st)
{
    if (st->ended || st->rwatch || g_atomic_pointer_get(&st->tx))
        return;
    cvg_rpc_stream_ref(st);
    st->rwatch = g_unix_fd_add_full(
        G_PRIORITY_DEFAULT, st->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
        stream_readable, st, (GDestroyNotify)cvg_rpc_stream_unref);
}

static gboolean
stream_readable(int fd, GIOCondition cond G_GNUC_UNUSED, gpointer data)
{
    CvgRpcStream *st = data;
    g_autofree guint8 *buf = g_malloc(CVG_RPC_STREAM_CHUNK);
    ssize_t n = read(fd, buf, CVG_RPC_STREAM_CHUNK);
    g_autoptr(GByteArray) frame = NULL;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    st->rwatch = 0;
    /* A pty whose other side closed reads EIO: that is its end. */
    if (n == 0 || (n < 0 && errno == EIO)) {
        g_debug("stream serial=%u: end of data", st->hdr.serial);
        stream_end(st);
        send_eof(st);
        return G_SOURCE_REMOVE;
    }
    if (n < 0) {
        cvg_error_report_system(errno, _("cannot read stream data"));
        stream_send_error(st);
        stream_remove(st);
        return G_SOURCE_REMOVE;
    }
    if (!(frame = stream_frame(st, CVG_RPC_CONTINUE, buf, n)))
        return G_SOURCE_REMOVE;
    /* Read again only once this frame is out. */
    g_atomic_pointer_set(&st->tx, frame);
    if (cvg_rpc_client_queue_frame(st->client, frame) < 0)
        g_atomic_pointer_set(&st->tx, NULL);
    return G_SOURCE_REMOVE;
}

void
cvg_rpc_stream_frame_sent(CvgRpcStream *st, const GByteArray *frame)
{
    if (g_atomic_pointer_get(&st->tx) != frame)
        return;
    g_atomic_pointer_set(&st->tx, NULL);
    watch_read(st);
}

static gboolean stream_writable(int fd, GIOCondition cond, gpointer data);

/* Write what the client sent while the descriptor takes it. */
static void
flush_wq(CvgRpcStream *st)
{
    size_t done = 0;

    while (done < st->wq->len) {
        ssize_t n = write(st->fd, st->wq->data + done, st->wq->len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            cvg_error_report_system(errno, _("cannot write stream data"));
            stream_send_error(st);
            stream_remove(st);
            return;
        }
        done += n;
    }
    g_byte_array_remove_range(st->wq, 0, done);
    cvg_rpc_client_stream_backlog(st->client, -(gssize)done);
    if (st->wq->len && !st->wwatch) {
        cvg_rpc_stream_ref(st);
        st->wwatch = g_unix_fd_add_full(G_PRIORITY_DEFAULT, st->fd, G_IO_OUT,
                                        stream_writable, st,
                                        (GDestroyNotify)cvg_rpc_stream_unref);
    }
}

static gboolean
stream_writable(int fd G_GNUC_UNUSED, GIOCondition cond G_GNUC_UNUSED,
                gpointer data)
{
    CvgRpcStream *st = data;

    st->wwatch = 0;
    flush_wq(st);
    return G_SOURCE_REMOVE;
}

void
cvg_rpc_stream_incoming(CvgRpcStream *st, const CvgRpcHeader *hdr,
                        const guint8 *data, size_t len)
{
    if (hdr->status == CVG_RPC_CONTINUE) {
        /* Data after the end (ours) is dropped, as libvirt does. */
        if (st->ended || !len)
            return;
        g_byte_array_append(st->wq, data, len);
        cvg_rpc_client_stream_backlog(st->client, len);
        if (st->active && !st->wwatch)
            flush_wq(st);
        return;
    }
    if (hdr->status == CVG_RPC_OK) {
        /* Finish: what is queued goes first, as far as it can. */
        if (!st->ended && st->wq->len)
            flush_wq(st);
    } else if (hdr->status != CVG_RPC_ERROR) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("stream aborted with unexpected status %d"),
                              hdr->status);
        stream_send_error(st);
        stream_remove(st);
        return;
    } else {
        g_debug("stream serial=%u: aborted by the client", st->hdr.serial);
    }
    stream_remove(st);
    stream_send(st, CVG_RPC_OK, NULL, 0);
}

void
cvg_rpc_stream_client_gone(CvgRpcStream *st)
{
    st->gone = true;
    stream_end(st);
}

CvgRpcStream *
cvg_rpc_stream_open(CvgRpcClient *client, int fd, CvgRpcStreamEndFn end,
                    void *opaque)
{
    const CvgRpcHeader *hdr = g_private_get(&current_hdr);
    CvgRpcStream *st;

    g_return_val_if_fail(hdr && g_private_get(&current_client) == client &&
                             !g_private_get(&current_stream),
                         NULL);
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    st = g_new0(CvgRpcStream, 1);
    st->refs = 2; /* the caller's, and the pending start's */
    cvg_rpc_client_ref(client);
    st->client = client;
    st->hdr = *hdr;
    st->fd = fd;
    st->wq = g_byte_array_new();
    st->end = end;
    st->end_opaque = opaque;
    /* In the list at once: data the client sends right after our reply
     * waits in wq until the stream starts. */
    cvg_rpc_client_stream_add(client, st);
    g_private_set(&current_stream, st);
    return st;
}

void
cvg_rpc_stream_set_call(CvgRpcClient *client, const CvgRpcHeader *hdr)
{
    g_private_set(&current_client, client);
    g_private_replace(&current_hdr, hdr ? g_memdup2(hdr, sizeof(*hdr)) : NULL);
}

static gboolean
stream_start(gpointer data)
{
    CvgRpcStream *st = data;

    if (st->gone || st->ended)
        return G_SOURCE_REMOVE;
    st->active = true;
    if (st->end_at_start) {
        stream_end(st);
        send_eof(st);
        return G_SOURCE_REMOVE;
    }
    if (st->wq->len)
        flush_wq(st);
    watch_read(st);
    return G_SOURCE_REMOVE;
}

static gboolean
stream_drop(gpointer data)
{
    stream_remove(data);
    return G_SOURCE_REMOVE;
}

void
cvg_rpc_stream_after_call(bool ok)
{
    CvgRpcStream *st = g_private_get(&current_stream);

    if (!st)
        return;
    g_private_set(&current_stream, NULL);
    /* The pending start's reference goes with the callback. */
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT,
                               ok ? stream_start : stream_drop, st,
                               (GDestroyNotify)cvg_rpc_stream_unref);
}

static gboolean
stream_terminate_main(gpointer data)
{
    CvgRpcStream *st = data;

    if (st->ended || st->gone)
        return G_SOURCE_REMOVE;
    /* Not before the opening reply is out: the client would see the end
     * of a stream it does not know yet. */
    if (!st->active) {
        st->end_at_start = true;
        return G_SOURCE_REMOVE;
    }
    stream_end(st);
    send_eof(st);
    return G_SOURCE_REMOVE;
}

void
cvg_rpc_stream_terminate(CvgRpcStream *st)
{
    cvg_rpc_stream_ref(st);
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, stream_terminate_main,
                               st, (GDestroyNotify)cvg_rpc_stream_unref);
}
