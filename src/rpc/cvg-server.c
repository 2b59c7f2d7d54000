/*
 * cvg-server.c: libvirt-protocol RPC server over UNIX and TCP sockets
 */
#include "cvg-server.h"
#include "cvg-server-priv.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* With this many calls in flight the daemon stops reading the client's
 * socket until half of them are answered (libvirt behaves the same way):
 * nothing is refused, a greedy client just waits. */
#define CLIENT_MAX_INFLIGHT 64
/* Replies queue per client and leave when its socket is writable, so a
 * client that does not read never blocks a thread.  Past this much queued
 * output the daemon stops reading its calls; past the hard limit (a client
 * that reads nothing while events pile up) it is dropped. */
#define CLIENT_OUTQ_PAUSE (4 * 1024 * 1024)
#define CLIENT_OUTQ_MAX (64 * 1024 * 1024)

typedef struct {
    int fd;
    guint watch;
    CvgRpcListenerOpts opts;
    bool local;     /* a UNIX socket */
    bool owns_path; /* bound here: unlink the path when done */
    char *path;     /* or a description of the socket */
} CvgRpcListener;

struct _CvgRpcServer {
    GMutex lock;
    GPtrArray *listeners; /* CvgRpcListener* */
    GPtrArray *clients;   /* CvgRpcClient*, one ref each */
    GHashTable *procs;    /* proc number -> const CvgRpcProcedure* */
    GThreadPool *pool;
    CvgRpcServerCallbacks cb;
    void *opaque;
    guint ka_timer;
    unsigned int ka_interval; /* seconds */
    unsigned int ka_count;
    unsigned int max_anonymous; /* unauthenticated clients at once */
    unsigned int nanonymous;
    bool accept_paused;
};

struct _CvgRpcClient {
    gint refs;
    CvgRpcServer *srv;
    int fd;
    CvgRpcTransport *tr;
    guint watch;
    bool from_readonly_socket;
    bool readonly;
    bool opened;
    bool closed;                  /* EOF seen or write failed */
    int auth;                     /* CvgRpcAuthType the listener asks for */
    bool authenticated;           /* auth done (or none needed) */
    bool anonymous;               /* counted in srv->nanonymous */
    char *identity;               /* who authenticated, for logs */
    const CvgRpcHandshakeOps *hs; /* while the handshake runs */
    void *hs_state;
    guint hs_timer;
    /* A layer to put on once @layer_after (a queued reply) is out. */
    const CvgRpcLayerOps *next_layer;
    void *next_layer_data;
    bool next_layer_encrypting;
    bool close_after_reply;  /* close once the current reply is out */
    GByteArray *close_after; /* ... which is this frame */
    GByteArray *layer_after;
    gint inflight;
    GMutex wlock; /* guards the output queue and watches */
    GQueue outq;  /* GByteArray frames waiting to be written */
    size_t outq_bytes;
    size_t out_off;   /* bytes of the head frame already written */
    guint wwatch;     /* write watch while outq is not empty */
    bool read_paused; /* reading stopped for back-pressure */
    GByteArray *rbuf;
    size_t rneed; /* bytes of the current frame, 0 = unknown */
    char *desc;
    void *priv;
    gint64 last_rx;        /* monotonic time of the last bytes read */
    GPtrArray *streams;    /* CvgRpcStream*, one ref each (wlock) */
    size_t stream_backlog; /* stream data waiting for descriptors */
    bool keepalive;        /* the client pings: it answers pings too */
};

typedef struct {
    CvgRpcClient *client;
    CvgRpcHeader hdr;
    const CvgRpcProcedure *proc;
    GByteArray *frame; /* whole frame incl. length word */
} CvgRpcJob;

void
cvg_rpc_client_ref(CvgRpcClient *client)
{
    g_atomic_int_inc(&client->refs);
}

void
cvg_rpc_client_unref(CvgRpcClient *client)
{
    if (!client || !g_atomic_int_dec_and_test(&client->refs))
        return;
    if (client->srv->cb.client_closed)
        client->srv->cb.client_closed(client, client->priv,
                                      client->srv->opaque);
    if (client->hs && client->hs->free)
        client->hs->free(client->hs_state);
    if (client->next_layer && client->next_layer->free)
        client->next_layer->free(client->next_layer_data);
    if (client->close_after)
        g_byte_array_unref(client->close_after);
    if (client->layer_after)
        g_byte_array_unref(client->layer_after);
    cvg_rpc_transport_free(client->tr);
    g_free(client->identity);
    g_queue_clear_full(&client->outq, (GDestroyNotify)g_byte_array_unref);
    g_mutex_clear(&client->wlock);
    g_byte_array_unref(client->rbuf);
    g_ptr_array_unref(client->streams);
    g_free(client->desc);
    g_free(client);
}

void *
cvg_rpc_client_priv(CvgRpcClient *client)
{
    return client->priv;
}

bool
cvg_rpc_client_is_readonly(CvgRpcClient *client)
{
    return client->readonly;
}

const char *
cvg_rpc_client_describe(CvgRpcClient *client)
{
    return client->desc;
}

void
cvg_rpc_client_set_opened(CvgRpcClient *client, bool readonly)
{
    client->readonly = readonly || client->from_readonly_socket;
    client->opened = true;
}

bool
cvg_rpc_client_is_opened(CvgRpcClient *client)
{
    return client->opened;
}

static gboolean client_readable(int fd, GIOCondition cond, gpointer data);

/* Stop the connection (wlock held): the main loop then sees EOF. */
static void
client_break(CvgRpcClient *client)
{
    client->closed = true;
    shutdown(client->fd, SHUT_RDWR);
}

static bool
client_should_pause(CvgRpcClient *client)
{
    return g_atomic_int_get(&client->inflight) >= CLIENT_MAX_INFLIGHT ||
           client->outq_bytes >= CLIENT_OUTQ_PAUSE ||
           client->stream_backlog >= CVG_RPC_STREAM_BACKLOG_MAX;
}

/* Main thread: start reading again once the client has caught up. */
static gboolean
client_resume_reading(gpointer data)
{
    CvgRpcClient *client = data;

    g_mutex_lock(&client->wlock);
    /* A broken client resumes too: its read watch then sees the EOF that
     * takes it out of the list. */
    if (client->read_paused &&
        (client->closed ||
         (g_atomic_int_get(&client->inflight) <= CLIENT_MAX_INFLIGHT / 2 &&
          client->outq_bytes < CLIENT_OUTQ_PAUSE / 2 &&
          client->stream_backlog < CVG_RPC_STREAM_BACKLOG_MAX / 2))) {
        client->read_paused = false;
        cvg_rpc_client_ref(client);
        client->watch = g_unix_fd_add_full(
            G_PRIORITY_DEFAULT, client->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
            client_readable, client, (GDestroyNotify)cvg_rpc_client_unref);
    }
    g_mutex_unlock(&client->wlock);
    return G_SOURCE_REMOVE;
}

static void
schedule_resume(CvgRpcClient *client)
{
    cvg_rpc_client_ref(client);
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, client_resume_reading,
                               client, (GDestroyNotify)cvg_rpc_client_unref);
}

/* A frame is fully written (wlock held): if it was the reply after which
 * a security layer starts (SASL), put the layer on now, before any later
 * byte. */
static void
frame_sent(CvgRpcClient *client, const GByteArray *frame)
{
    if (client->close_after && frame == client->close_after) {
        g_clear_pointer(&client->close_after, g_byte_array_unref);
        client_break(client);
        return;
    }
    for (guint i = 0; i < client->streams->len; i++)
        cvg_rpc_stream_frame_sent(g_ptr_array_index(client->streams, i), frame);
    if (!client->next_layer || frame != client->layer_after)
        return;
    cvg_rpc_transport_push(client->tr, client->next_layer,
                           client->next_layer_data,
                           client->next_layer_encrypting);
    g_debug("client %s: now over %s", client->desc,
            cvg_rpc_transport_describe(client->tr));
    client->next_layer = NULL;
    client->next_layer_data = NULL;
    g_byte_array_unref(client->layer_after);
    client->layer_after = NULL;
}

/* Main thread: write queued frames while the socket takes them. */
static gboolean
client_writable(int fd G_GNUC_UNUSED, GIOCondition cond G_GNUC_UNUSED,
                gpointer data)
{
    CvgRpcClient *client = data;
    gboolean again = G_SOURCE_CONTINUE;
    bool resume = false;

    g_mutex_lock(&client->wlock);
    while (!client->closed && !g_queue_is_empty(&client->outq)) {
        GByteArray *head = g_queue_peek_head(&client->outq);
        ssize_t n =
            cvg_rpc_transport_send(client->tr, head->data + client->out_off,
                                   head->len - client->out_off);

        if (n < 0 && errno == EAGAIN)
            goto out;
        if (n <= 0) {
            g_debug("client %s: send failed, dropping it", client->desc);
            client_break(client);
            break;
        }
        client->out_off += n;
        client->outq_bytes -= n;
        if (client->out_off == head->len) {
            g_queue_pop_head(&client->outq);
            frame_sent(client, head);
            g_byte_array_unref(head);
            client->out_off = 0;
        }
    }
    client->wwatch = 0;
    again = G_SOURCE_REMOVE;
out:
    resume =
        client->read_paused && (client->closed || !client_should_pause(client));
    g_mutex_unlock(&client->wlock);
    if (resume)
        client_resume_reading(client);
    return again;
}

/* Queue a whole frame for the client; any thread.  -1 if the client is
 * gone. */
static int
client_send(CvgRpcClient *client, const GByteArray *frame)
{
    int ret = 0;

    g_mutex_lock(&client->wlock);
    if (client->closed) {
        ret = -1;
    } else if (client->outq_bytes + frame->len > CLIENT_OUTQ_MAX) {
        g_debug("client %s: %zu bytes unread, dropping it", client->desc,
                client->outq_bytes);
        client_break(client);
        ret = -1;
    } else {
        size_t sent = 0;

        /* Fast path: nothing queued, so the frame may go out right away
         * without a trip through the main loop. */
        if (g_queue_is_empty(&client->outq)) {
            ssize_t n =
                cvg_rpc_transport_send(client->tr, frame->data, frame->len);

            if (n < 0 && errno != EAGAIN) {
                client_break(client);
                g_mutex_unlock(&client->wlock);
                return -1;
            }
            sent = n > 0 ? (size_t)n : 0;
            if (sent == frame->len) {
                frame_sent(client, frame);
                g_mutex_unlock(&client->wlock);
                return 0;
            }
            client->out_off = sent;
        }
        g_queue_push_tail(&client->outq, g_byte_array_ref((GByteArray *)frame));
        client->outq_bytes += frame->len - sent;
        if (!client->wwatch) {
            cvg_rpc_client_ref(client);
            client->wwatch = g_unix_fd_add_full(
                G_PRIORITY_DEFAULT, client->fd, G_IO_OUT, client_writable,
                client, (GDestroyNotify)cvg_rpc_client_unref);
        }
    }
    g_mutex_unlock(&client->wlock);
    return ret;
}

static void
send_reply(CvgRpcClient *client, const CvgRpcHeader *call, int status,
           xdrproc_t proc, void *body)
{
    CvgRpcHeader hdr = *call;
    g_autoptr(GByteArray) frame = NULL;

    hdr.type = CVG_RPC_REPLY;
    hdr.status = status;
    if (!(frame = cvg_rpc_message_encode(&hdr, proc, body))) {
        /* The reply does not fit a frame: say so instead. */
        g_autoptr(CvgError) err = cvg_error_copy_last();
        CvgWireError werr;

        cvg_wire_error_from(err, &werr);
        hdr.status = CVG_RPC_ERROR;
        frame =
            cvg_rpc_message_encode(&hdr, (xdrproc_t)xdr_CvgWireError, &werr);
        xdr_free((xdrproc_t)xdr_CvgWireError, (char *)&werr);
        if (!frame)
            return;
    }
    g_mutex_lock(&client->wlock);
    if (client->next_layer && !client->layer_after && hdr.status == CVG_RPC_OK)
        client->layer_after = g_byte_array_ref(frame);
    if (client->close_after_reply && !client->close_after)
        client->close_after = g_byte_array_ref(frame);
    g_mutex_unlock(&client->wlock);
    client_send(client, frame);
}

static void
send_error(CvgRpcClient *client, const CvgRpcHeader *call)
{
    g_autoptr(CvgError) err = cvg_error_copy_last();
    CvgWireError werr;

    cvg_wire_error_from(err, &werr);
    send_reply(client, call, CVG_RPC_ERROR, (xdrproc_t)xdr_CvgWireError, &werr);
    xdr_free((xdrproc_t)xdr_CvgWireError, (char *)&werr);
}

int
cvg_rpc_client_send_event(CvgRpcClient *client, int proc, xdrproc_t body_proc,
                          void *body)
{
    CvgRpcHeader hdr = {
        .prog = CVG_RPC_PROGRAM_REMOTE,
        .vers = CVG_RPC_PROTOCOL_VERSION,
        .proc = proc,
        .type = CVG_RPC_MESSAGE,
        .serial = 0,
        .status = CVG_RPC_OK,
    };
    g_autoptr(GByteArray) frame = cvg_rpc_message_encode(&hdr, body_proc, body);

    if (!frame)
        return -1;
    return client_send(client, frame);
}

/*
 * libvirt 9.0's client loses a wake-up: while one thread of a connection
 * waits for a long reply (a migration) and owns the socket, another
 * thread's call is written only when that thread's g_main_loop_quit() lands
 * inside its g_main_loop_run(); one that lands just before it is lost, and
 * the call then waits for the next frame the daemon sends, often the long
 * reply itself.  So while a call runs, the daemon sends the client a frame
 * every NUDGE_MS: a stream packet for procedure 0, which no stream of the
 * client can be (a stream carries the number of the call that opened it), so
 * the client drops it once it has woken up.
 */
#define NUDGE_MS 50

typedef struct {
    CvgRpcClient *client; /* one ref */
    GByteArray *frame;
} CvgRpcNudge;

static void
nudge_free(gpointer data)
{
    CvgRpcNudge *n = data;

    cvg_rpc_client_unref(n->client);
    g_byte_array_unref(n->frame);
    g_free(n);
}

static gboolean
nudge_tick(gpointer data)
{
    CvgRpcNudge *n = data;

    client_send(n->client, n->frame);
    return G_SOURCE_CONTINUE;
}

/* Nudge @client from the main loop until the source is destroyed. */
static GSource *
nudge_start(CvgRpcClient *client, const CvgRpcHeader *call)
{
    CvgRpcHeader hdr = *call;
    CvgRpcNudge *n;
    GSource *src;

    hdr.proc = 0;
    hdr.type = CVG_RPC_STREAM;
    hdr.status = CVG_RPC_CONTINUE;
    n = g_new0(CvgRpcNudge, 1);
    if (!(n->frame = cvg_rpc_message_encode(&hdr, CVG_XDR_VOID, NULL))) {
        g_free(n);
        return NULL;
    }
    cvg_rpc_client_ref(client);
    n->client = client;
    src = g_timeout_source_new(NUDGE_MS);
    g_source_set_callback(src, nudge_tick, n, nudge_free);
    g_source_attach(src, NULL);
    return src;
}

static void
nudge_stop(GSource *src)
{
    if (!src)
        return;
    g_source_destroy(src);
    g_source_unref(src);
}

static void
job_run(gpointer data, gpointer user_data G_GNUC_UNUSED)
{
    CvgRpcJob *job = data;
    CvgRpcClient *client = job->client;
    const CvgRpcProcedure *p = job->proc;
    g_autofree void *args = g_malloc0(p->args_size ? p->args_size : 1);
    g_autofree void *ret = g_malloc0(p->ret_size ? p->ret_size : 1);
    const guint8 *payload = job->frame->data + CVG_RPC_MESSAGE_MIN;
    size_t plen = job->frame->len - CVG_RPC_MESSAGE_MIN;

    cvg_error_reset();
    if (cvg_rpc_payload_decode(payload, plen, p->args_proc, args) < 0) {
        send_error(client, &job->hdr);
    } else {
        bool ok;

        GSource *nudge = nudge_start(client, &job->hdr);

        cvg_rpc_stream_set_call(client, &job->hdr);
        ok = p->handler(client->srv->opaque, client, args, ret) == 0;
        nudge_stop(nudge);
        if (!ok)
            send_error(client, &job->hdr);
        else
            send_reply(client, &job->hdr, CVG_RPC_OK, p->ret_proc, ret);
        /* A stream the handler opened starts after its reply. */
        cvg_rpc_stream_after_call(ok);
        cvg_rpc_stream_set_call(NULL, NULL);
        cvg_rpc_payload_free(p->ret_proc, ret);
        cvg_rpc_payload_free(p->args_proc, args);
    }
    cvg_error_reset();
    g_atomic_int_dec_and_test(&client->inflight);
    g_mutex_lock(&client->wlock);
    if (client->read_paused && (client->closed || !client_should_pause(client)))
        schedule_resume(client);
    g_mutex_unlock(&client->wlock);
    g_byte_array_unref(job->frame);
    cvg_rpc_client_unref(client);
    g_free(job);
}

static gboolean listener_readable(int fd, GIOCondition cond, gpointer data);

/* Watch every listener again (srv->lock held). */
static void
listeners_watch(CvgRpcServer *srv, bool on)
{
    for (guint i = 0; i < srv->listeners->len; i++) {
        CvgRpcListener *l = g_ptr_array_index(srv->listeners, i);

        if (on && !l->watch) {
            void **pair = g_new0(void *, 2);

            pair[0] = srv;
            pair[1] = l;
            l->watch = g_unix_fd_add_full(G_PRIORITY_DEFAULT, l->fd, G_IO_IN,
                                          listener_readable, pair, g_free);
        } else if (!on && l->watch) {
            g_source_remove(l->watch);
            l->watch = 0;
        }
    }
}

/* The client no longer counts as unauthenticated: accept again if the
 * limit had stopped it. */
static void
anonymous_release(CvgRpcClient *client)
{
    CvgRpcServer *srv = client->srv;

    g_mutex_lock(&srv->lock);
    if (client->anonymous) {
        client->anonymous = false;
        srv->nanonymous--;
        if (srv->accept_paused && srv->nanonymous < srv->max_anonymous) {
            g_message("accepting connections again");
            srv->accept_paused = false;
            listeners_watch(srv, true);
        }
    }
    g_mutex_unlock(&srv->lock);
}

static void
client_remove(CvgRpcClient *client)
{
    CvgRpcServer *srv = client->srv;
    GPtrArray *streams;

    g_mutex_lock(&client->wlock);
    if (client->watch) {
        g_source_remove(client->watch);
        client->watch = 0;
    }
    if (client->wwatch) {
        g_source_remove(client->wwatch);
        client->wwatch = 0;
    }
    if (client->hs_timer) {
        g_source_remove(client->hs_timer);
        client->hs_timer = 0;
    }
    client_break(client);
    streams = g_steal_pointer(&client->streams);
    client->streams = g_ptr_array_new();
    client->stream_backlog = 0;
    g_mutex_unlock(&client->wlock);
    /* The streams' references to the client go too. */
    for (guint i = 0; i < streams->len; i++)
        cvg_rpc_stream_client_gone(g_ptr_array_index(streams, i));
    g_ptr_array_set_free_func(streams, (GDestroyNotify)cvg_rpc_stream_unref);
    g_ptr_array_unref(streams);
    anonymous_release(client);
    g_debug("client %s: disconnected", client->desc);
    g_mutex_lock(&srv->lock);
    if (g_ptr_array_remove(srv->clients, client)) {
        g_mutex_unlock(&srv->lock);
        cvg_rpc_client_unref(client);
        return;
    }
    g_mutex_unlock(&srv->lock);
}

static bool
header_is_keepalive(CvgRpcClient *client, const CvgRpcHeader *hdr)
{
    if (hdr->prog != CVG_RPC_PROGRAM_KEEPALIVE)
        return false;
    if (hdr->type == CVG_RPC_MESSAGE && hdr->proc == CVG_RPC_KEEPALIVE_PING) {
        CvgRpcHeader pong = *hdr;
        g_autoptr(GByteArray) frame = NULL;

        /* A client that pings runs an event loop that answers our pings:
         * from now on silence means it is dead. */
        client->keepalive = true;
        pong.proc = CVG_RPC_KEEPALIVE_PONG;
        pong.serial = 0;
        pong.status = CVG_RPC_OK;
        frame = cvg_rpc_message_encode(&pong, CVG_XDR_VOID, NULL);
        if (frame)
            client_send(client, frame);
    }
    /* PONGs (we send no PINGs yet) and anything else are dropped. */
    return true;
}

/* A STREAM message: to its stream.  Data for no stream (one that ended)
 * is not acknowledged, so, like libvirt, drop it silently. */
static void
client_stream_incoming(CvgRpcClient *client, const CvgRpcHeader *hdr,
                       GByteArray *frame)
{
    CvgRpcStream *st = NULL;

    g_mutex_lock(&client->wlock);
    for (guint i = 0; i < client->streams->len && !st; i++) {
        if (cvg_rpc_stream_matches(g_ptr_array_index(client->streams, i), hdr))
            st = g_ptr_array_index(client->streams, i);
    }
    if (st)
        cvg_rpc_stream_ref(st);
    g_mutex_unlock(&client->wlock);
    if (!st) {
        g_debug("client %s: ignoring stream data serial=%u proc=%d",
                client->desc, hdr->serial, hdr->proc);
        return;
    }
    cvg_rpc_stream_incoming(st, hdr, frame->data + CVG_RPC_MESSAGE_MIN,
                            frame->len - CVG_RPC_MESSAGE_MIN);
    cvg_rpc_stream_unref(st);
}

/* Handle one complete frame; false means drop the client. */
static bool
client_dispatch(CvgRpcClient *client, GByteArray *frame)
{
    CvgRpcServer *srv = client->srv;
    CvgRpcHeader hdr;
    const CvgRpcProcedure *p;
    CvgRpcJob *job;

    cvg_error_reset();
    if (cvg_rpc_header_decode(frame->data + CVG_RPC_LEN_WORD,
                              frame->len - CVG_RPC_LEN_WORD, &hdr) < 0)
        return false;
    if (header_is_keepalive(client, &hdr))
        return true;
    if (hdr.type == CVG_RPC_STREAM) {
        client_stream_incoming(client, &hdr, frame);
        return true;
    }
    if (hdr.type != CVG_RPC_CALL) {
        /* A reply or an event from a client, or a type that does not
         * exist: answer with an RPC error, as libvirt does.  Fd passing
         * is not offered either (the fds would stay unread). */
        if (hdr.type == CVG_RPC_CALL_WITH_FDS)
            cvg_error_report_full(
                CVG_FROM_RPC, CVG_ERR_RPC,
                _("file descriptor passing is not supported"));
        else
            cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                                  _("Unexpected message type %u"), hdr.type);
        hdr.type = CVG_RPC_CALL;
        send_error(client, &hdr);
        return true;
    }
    if (hdr.status != CVG_RPC_OK) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("Unexpected message status %u"), hdr.status);
        hdr.status = CVG_RPC_OK;
        send_error(client, &hdr);
        return true;
    }
    if (hdr.prog != CVG_RPC_PROGRAM_REMOTE ||
        hdr.vers != CVG_RPC_PROTOCOL_VERSION) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("no such program 0x%x version %u"), hdr.prog,
                              hdr.vers);
        send_error(client, &hdr);
        return true;
    }
    p = g_hash_table_lookup(srv->procs, GINT_TO_POINTER(hdr.proc));
    if (!p) {
        cvg_error_report(CVG_ERR_NO_SUPPORT, _("procedure %d"), hdr.proc);
        send_error(client, &hdr);
        return true;
    }
    if ((p->flags & CVG_RPC_PROC_NEEDS_AUTH) && !client->authenticated) {
        g_message("client %s: procedure %d refused before authentication",
                  client->desc, hdr.proc);
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("authentication required"));
        send_error(client, &hdr);
        return true;
    }
    if ((p->flags & CVG_RPC_PROC_NEEDS_OPEN) && !client->opened) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("connection not open"));
        send_error(client, &hdr);
        return true;
    }
    if (client->readonly && !(p->flags & CVG_RPC_PROC_READONLY_OK)) {
        /* libvirt names the API function refused */
        cvg_error_report(CVG_ERR_OPERATION_DENIED,
                         _("read only access prevents %s"), p->api);
        send_error(client, &hdr);
        return true;
    }
    g_atomic_int_inc(&client->inflight);
    job = g_new0(CvgRpcJob, 1);
    job->client = client;
    job->hdr = hdr;
    job->proc = p;
    job->frame = g_byte_array_ref(frame);
    cvg_rpc_client_ref(client);
    g_thread_pool_push(srv->pool, job, NULL);
    return true;
}

/* Split @n bytes into frames and dispatch them; false means drop the
 * client. */
static bool
client_take(CvgRpcClient *client, const guint8 *buf, size_t n)
{
    for (size_t off = 0; off < n;) {
        size_t want = client->rneed ? client->rneed : CVG_RPC_LEN_WORD;
        size_t take = MIN(want - client->rbuf->len, n - off);

        g_byte_array_append(client->rbuf, buf + off, take);
        off += take;
        if (client->rbuf->len < want)
            break;
        if (!client->rneed) {
            guint32 len = ((guint32)client->rbuf->data[0] << 24) |
                          ((guint32)client->rbuf->data[1] << 16) |
                          ((guint32)client->rbuf->data[2] << 8) |
                          client->rbuf->data[3];
            /* The length word counts itself; the header must fit. */
            if (len < CVG_RPC_MESSAGE_MIN ||
                len > CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD) {
                g_debug("client %s: bad frame length %u", client->desc, len);
                return false;
            }
            client->rneed = len;
            continue;
        }
        {
            g_autoptr(GByteArray) frame = client->rbuf;

            client->rbuf = g_byte_array_new();
            client->rneed = 0;
            if (!client_dispatch(client, frame))
                return false;
        }
    }
    return true;
}

/*
 * Read the top of the stack under the write lock: a layer that starts after
 * a reply (SASL) is pushed under that lock right after the reply's last
 * byte is written, so a read either ends before the reply left (nothing
 * encoded can have come yet) or goes through the new layer.  Without the
 * lock, the peer's first encoded bytes could be read as plain ones.
 */
static ssize_t
client_recv(CvgRpcClient *client, void *buf, size_t len)
{
    ssize_t n;
    int err;

    g_mutex_lock(&client->wlock);
    n = cvg_rpc_transport_recv(client->tr, buf, len);
    err = errno;
    g_mutex_unlock(&client->wlock);
    errno = err;
    return n;
}

static size_t
client_pending(CvgRpcClient *client)
{
    size_t n;

    g_mutex_lock(&client->wlock);
    n = cvg_rpc_transport_pending(client->tr);
    g_mutex_unlock(&client->wlock);
    return n;
}

static gboolean
client_readable(int fd G_GNUC_UNUSED, GIOCondition cond G_GNUC_UNUSED,
                gpointer data)
{
    CvgRpcClient *client = data;
    guint8 buf[65536];

    /* A security layer may hold decoded bytes the socket no longer shows:
     * read until it has none left. */
    do {
        ssize_t n = client_recv(client, buf, sizeof(buf));

        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0 || !client_take(client, buf, n))
            goto drop;
        client->last_rx = g_get_monotonic_time();
    } while (client_pending(client) > 0 && !client_should_pause(client));
    g_mutex_lock(&client->wlock);
    if (client_should_pause(client) && !client->closed) {
        /* Back-pressure: the rest waits in the socket until the worker
         * threads and the client catch up. */
        client->read_paused = true;
        client->watch = 0;
        g_mutex_unlock(&client->wlock);
        return G_SOURCE_REMOVE;
    }
    g_mutex_unlock(&client->wlock);
    return G_SOURCE_CONTINUE;

drop:
    g_mutex_lock(&client->wlock);
    client->watch = 0;
    g_mutex_unlock(&client->wlock);
    client_remove(client);
    return G_SOURCE_REMOVE;
}

static char *
peer_describe(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
        ss.ss_family != AF_UNIX &&
        getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        return g_strdup_printf("fd=%d addr=%s;%s", fd, host, serv);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        return g_strdup_printf("fd=%d pid=%d uid=%u", fd, (int)cred.pid,
                               (unsigned)cred.uid);
    return g_strdup_printf("fd=%d", fd);
}

/* Start reading calls (the handshake, if any, is done). */
static void
client_start_reading(CvgRpcClient *client)
{
    if (client->auth == CVG_RPC_AUTH_NONE) {
        client->authenticated = true;
        anonymous_release(client);
    }
    g_mutex_lock(&client->wlock);
    if (!client->closed) {
        cvg_rpc_client_ref(client);
        client->watch = g_unix_fd_add_full(
            G_PRIORITY_DEFAULT, client->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
            client_readable, client, (GDestroyNotify)cvg_rpc_client_unref);
    }
    g_mutex_unlock(&client->wlock);
}

static gboolean
client_handshake_timeout(gpointer data)
{
    CvgRpcClient *client = data;

    g_message("client %s: handshake not done in time, dropping it",
              client->desc);
    g_mutex_lock(&client->wlock);
    client->hs_timer = 0;
    g_mutex_unlock(&client->wlock);
    client_remove(client);
    return G_SOURCE_REMOVE;
}

/* Main thread: one step of the listener's handshake (TLS). */
static gboolean
client_handshake_io(int fd G_GNUC_UNUSED, GIOCondition cond G_GNUC_UNUSED,
                    gpointer data)
{
    CvgRpcClient *client = data;
    GIOCondition want = G_IO_IN;
    int rc = client->hs->step(client->hs_state, &want);

    g_mutex_lock(&client->wlock);
    client->watch = 0;
    g_mutex_unlock(&client->wlock);
    if (rc < 0) {
        client_remove(client);
        return G_SOURCE_REMOVE;
    }
    if (rc == 0) {
        g_mutex_lock(&client->wlock);
        if (!client->closed) {
            cvg_rpc_client_ref(client);
            client->watch = g_unix_fd_add_full(
                G_PRIORITY_DEFAULT, client->fd, want | G_IO_HUP | G_IO_ERR,
                client_handshake_io, client,
                (GDestroyNotify)cvg_rpc_client_unref);
        }
        g_mutex_unlock(&client->wlock);
        return G_SOURCE_REMOVE;
    }
    g_mutex_lock(&client->wlock);
    if (client->hs_timer) {
        g_source_remove(client->hs_timer);
        client->hs_timer = 0;
    }
    if (client->hs->free)
        client->hs->free(client->hs_state);
    client->hs = NULL;
    client->hs_state = NULL;
    g_mutex_unlock(&client->wlock);
    g_debug("client %s: handshake done, over %s", client->desc,
            cvg_rpc_transport_describe(client->tr));
    client_start_reading(client);
    return G_SOURCE_REMOVE;
}

/* Count a new client as unauthenticated; stop accepting at the limit. */
static void
anonymous_add(CvgRpcServer *srv, CvgRpcClient *client)
{
    g_mutex_lock(&srv->lock);
    client->anonymous = true;
    srv->nanonymous++;
    if (srv->max_anonymous && srv->nanonymous >= srv->max_anonymous &&
        !srv->accept_paused) {
        g_message("%u clients not yet authenticated: accepting no more "
                  "until one is",
                  srv->nanonymous);
        srv->accept_paused = true;
        listeners_watch(srv, false);
    }
    g_mutex_unlock(&srv->lock);
}

static CvgRpcClient *
client_new(CvgRpcServer *srv, CvgRpcListener *l, int cfd)
{
    CvgRpcClient *client = g_new0(CvgRpcClient, 1);

    client->refs = 1;
    client->srv = srv;
    client->fd = cfd;
    client->tr = cvg_rpc_transport_new(cfd, l->local);
    client->from_readonly_socket = l->opts.readonly;
    client->readonly = l->opts.readonly;
    client->auth = l->opts.auth;
    client->rbuf = g_byte_array_new();
    client->desc = peer_describe(cfd);
    client->last_rx = g_get_monotonic_time();
    client->streams = g_ptr_array_new();
    g_mutex_init(&client->wlock);
    return client;
}

static gboolean
listener_readable(int fd, GIOCondition cond G_GNUC_UNUSED, gpointer data)
{
    CvgRpcServer *srv = ((void **)data)[0];
    CvgRpcListener *l = ((void **)data)[1];
    CvgRpcClient *client;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR)
            g_warning("accept on %s: %s", l->path, g_strerror(errno));
        return G_SOURCE_CONTINUE;
    }
    client = client_new(srv, l, cfd);
    if (srv->cb.client_new)
        client->priv = srv->cb.client_new(client, srv->opaque);
    g_mutex_lock(&srv->lock);
    g_ptr_array_add(srv->clients, client);
    g_mutex_unlock(&srv->lock);
    g_debug("client %s: connected on %s", client->desc, l->path);
    anonymous_add(srv, client);
    if (!l->opts.handshake) {
        client_start_reading(client);
        return G_SOURCE_CONTINUE;
    }
    client->hs = l->opts.handshake;
    client->hs_state = client->hs->start(l->opts.handshake_opaque, client);
    if (!client->hs_state) {
        client->hs = NULL;
        client_remove(client);
        return G_SOURCE_CONTINUE;
    }
    if (l->opts.handshake_timeout) {
        cvg_rpc_client_ref(client);
        client->hs_timer = g_timeout_add_seconds_full(
            G_PRIORITY_DEFAULT, l->opts.handshake_timeout,
            client_handshake_timeout, client,
            (GDestroyNotify)cvg_rpc_client_unref);
    }
    cvg_rpc_client_ref(client);
    client->watch = g_unix_fd_add_full(
        G_PRIORITY_DEFAULT, cfd, G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR,
        client_handshake_io, client, (GDestroyNotify)cvg_rpc_client_unref);
    return G_SOURCE_CONTINUE;
}

CvgRpcServer *
cvg_rpc_server_new(const CvgRpcProcedure *procs, size_t nprocs,
                   unsigned int max_workers, const CvgRpcServerCallbacks *cb,
                   void *opaque)
{
    CvgRpcServer *srv = g_new0(CvgRpcServer, 1);

    g_mutex_init(&srv->lock);
    srv->listeners = g_ptr_array_new();
    srv->clients = g_ptr_array_new();
    srv->procs = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (size_t i = 0; i < nprocs; i++)
        g_hash_table_insert(srv->procs, GINT_TO_POINTER(procs[i].proc),
                            (gpointer)&procs[i]);
    srv->pool = g_thread_pool_new(job_run, srv, max_workers, FALSE, NULL);
    if (cb)
        srv->cb = *cb;
    srv->opaque = opaque;
    return srv;
}

/* Serve the listening socket @fd (consumed) from the main loop. */
static void
add_listener(CvgRpcServer *srv, int fd, const char *path,
             const CvgRpcListenerOpts *opts, bool owns_path)
{
    CvgRpcListener *l = g_new0(CvgRpcListener, 1);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    l->fd = fd;
    l->opts = *opts;
    l->local = getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
               ss.ss_family == AF_UNIX;
    l->owns_path = owns_path;
    l->path = g_strdup(path);
    g_mutex_lock(&srv->lock);
    g_ptr_array_add(srv->listeners, l);
    if (!srv->accept_paused)
        listeners_watch(srv, true);
    g_mutex_unlock(&srv->lock);
}

int
cvg_rpc_server_add_unix(CvgRpcServer *srv, const char *path, unsigned int mode,
                        bool readonly)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    /* Bound and listening under a temporary name first, then renamed into
     * place: a client that sees the path can connect (no ECONNREFUSED
     * between bind() and listen()). */
    g_autofree char *tmp = g_strdup_printf("%s.%d", path, (int)getpid());
    int fd;

    if (strlen(tmp) >= sizeof(addr.sun_path)) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("socket path '%s' too long"),
                         path);
        return -1;
    }
    g_strlcpy(addr.sun_path, tmp, sizeof(addr.sun_path));
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) <
        0) {
        cvg_error_report_system(errno, _("cannot create socket"));
        return -1;
    }
    /* Never expose the socket with a wider mode, even for an instant. */
    {
        mode_t old = umask(0777 & ~mode);
        int rc;

        unlink(tmp);
        rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
        umask(old);
        if (rc < 0) {
            cvg_error_report_system(errno, _("cannot bind socket '%s'"), path);
            close(fd);
            return -1;
        }
    }
    if (chmod(tmp, mode) < 0 || listen(fd, 64) < 0 || rename(tmp, path) < 0) {
        cvg_error_report_system(errno, _("cannot listen on socket '%s'"), path);
        close(fd);
        unlink(tmp);
        return -1;
    }
    add_listener(
        srv, fd, path,
        &(CvgRpcListenerOpts){.readonly = readonly, .auth = CVG_RPC_AUTH_NONE},
        true);
    return 0;
}

int
cvg_rpc_server_add_fd(CvgRpcServer *srv, int fd, const char *desc,
                      const CvgRpcListenerOpts *opts)
{
    int flags = fcntl(fd, F_GETFL);

    /* Inherited sockets come blocking and without close-on-exec: QEMU must
     * not inherit them, and accept() must not block the loop. */
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        cvg_error_report_system(errno, _("cannot use inherited socket '%s'"),
                                desc);
        return -1;
    }
    add_listener(srv, fd, desc, opts, false);
    return 0;
}

/* Bind and listen on one address of a TCP listener; the fd or -1. */
static int
tcp_bind_one(const struct addrinfo *ai, const char *what)
{
    int one = 1;
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);

    if (fd < 0) {
        cvg_error_report_system(errno, _("cannot create socket for %s"), what);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* One socket per family, as libvirt binds them. */
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        cvg_error_report_system(errno, _("cannot listen on %s"), what);
        close(fd);
        return -1;
    }
    return fd;
}

int
cvg_rpc_server_add_tcp(CvgRpcServer *srv, const char *addr, const char *port,
                       const CvgRpcListenerOpts *opts)
{
    struct addrinfo hints = {
        .ai_flags = AI_PASSIVE | AI_ADDRCONFIG,
        .ai_socktype = SOCK_STREAM,
    };
    struct addrinfo *res = NULL;
    g_autofree char *what =
        g_strdup_printf("%s:%s", addr && *addr ? addr : "*", port);
    int rc = getaddrinfo(addr && *addr ? addr : NULL, port, &hints, &res);
    int nbound = 0;

    if (rc != 0) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR,
                         _("cannot resolve address %s: %s"), what,
                         gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = tcp_bind_one(ai, what);

        if (fd < 0) {
            /* A family the host lacks is no failure if another binds. */
            if (ai->ai_family == AF_INET6 && res->ai_next)
                continue;
            freeaddrinfo(res);
            return -1;
        }
        add_listener(srv, fd, what, opts, false);
        nbound++;
    }
    freeaddrinfo(res);
    if (nbound == 0) {
        cvg_error_report(CVG_ERR_SYSTEM_ERROR, _("cannot listen on %s"), what);
        return -1;
    }
    cvg_error_reset();
    return 0;
}

void
cvg_rpc_server_set_max_anonymous(CvgRpcServer *srv, unsigned int max)
{
    g_mutex_lock(&srv->lock);
    srv->max_anonymous = max;
    g_mutex_unlock(&srv->lock);
}

CvgRpcTransport *
cvg_rpc_client_transport(CvgRpcClient *client)
{
    return client->tr;
}

int
cvg_rpc_client_auth_type(CvgRpcClient *client)
{
    return client->auth;
}

bool
cvg_rpc_client_is_authenticated(CvgRpcClient *client)
{
    return client->authenticated;
}

void
cvg_rpc_client_set_authenticated(CvgRpcClient *client, const char *identity)
{
    cvg_rpc_client_set_identity(client, identity);
    client->authenticated = true;
    g_message("client %s: authenticated%s%s", client->desc,
              identity ? " as " : "", identity ? identity : "");
    anonymous_release(client);
}

const char *
cvg_rpc_client_identity(CvgRpcClient *client)
{
    return client->identity;
}

void
cvg_rpc_client_set_identity(CvgRpcClient *client, const char *identity)
{
    g_mutex_lock(&client->wlock);
    g_free(client->identity);
    client->identity = g_strdup(identity);
    g_mutex_unlock(&client->wlock);
}

void
cvg_rpc_client_push_layer_after_reply(CvgRpcClient *client,
                                      const CvgRpcLayerOps *ops, void *data,
                                      bool encrypting)
{
    g_mutex_lock(&client->wlock);
    client->next_layer = ops;
    client->next_layer_data = data;
    client->next_layer_encrypting = encrypting;
    g_mutex_unlock(&client->wlock);
}

void
cvg_rpc_client_close(CvgRpcClient *client)
{
    g_mutex_lock(&client->wlock);
    client_break(client);
    g_mutex_unlock(&client->wlock);
}

void
cvg_rpc_client_close_after_reply(CvgRpcClient *client)
{
    g_mutex_lock(&client->wlock);
    client->close_after_reply = true;
    g_mutex_unlock(&client->wlock);
}

unsigned int
cvg_rpc_server_nclients(CvgRpcServer *srv)
{
    unsigned int n;

    g_mutex_lock(&srv->lock);
    n = srv->clients->len;
    g_mutex_unlock(&srv->lock);
    return n;
}

void
cvg_rpc_server_foreach_client(CvgRpcServer *srv,
                              void (*fn)(CvgRpcClient *c, void *priv,
                                         void *data),
                              void *data)
{
    g_autoptr(GPtrArray) copy = g_ptr_array_new();

    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->clients->len; i++) {
        CvgRpcClient *c = g_ptr_array_index(srv->clients, i);

        cvg_rpc_client_ref(c);
        g_ptr_array_add(copy, c);
    }
    g_mutex_unlock(&srv->lock);
    for (guint i = 0; i < copy->len; i++) {
        CvgRpcClient *c = g_ptr_array_index(copy, i);

        fn(c, c->priv, data);
        cvg_rpc_client_unref(c);
    }
}

/* Main thread: ping idle keepalive clients, drop the ones that stay
 * silent for interval x (count + 1). */
static gboolean
keepalive_tick(gpointer data)
{
    CvgRpcServer *srv = data;
    gint64 now = g_get_monotonic_time();
    gint64 interval = (gint64)srv->ka_interval * G_TIME_SPAN_SECOND;
    g_autoptr(GPtrArray) dead = g_ptr_array_new();
    CvgRpcHeader ping = {
        .prog = CVG_RPC_PROGRAM_KEEPALIVE,
        .vers = CVG_RPC_PROTOCOL_VERSION,
        .proc = CVG_RPC_KEEPALIVE_PING,
        .type = CVG_RPC_MESSAGE,
    };
    g_autoptr(GByteArray) frame =
        cvg_rpc_message_encode(&ping, CVG_XDR_VOID, NULL);

    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->clients->len; i++) {
        CvgRpcClient *c = g_ptr_array_index(srv->clients, i);
        gint64 idle = now - c->last_rx;

        /* A client we stopped reading is not idle: we are. */
        if (!c->keepalive || c->read_paused || idle < interval)
            continue;
        if (idle >= interval * (srv->ka_count + 1)) {
            cvg_rpc_client_ref(c);
            g_ptr_array_add(dead, c);
        } else if (frame) {
            client_send(c, frame);
        }
    }
    g_mutex_unlock(&srv->lock);
    for (guint i = 0; i < dead->len; i++) {
        CvgRpcClient *c = g_ptr_array_index(dead, i);

        g_message("client %s: no keepalive answer, dropping it", c->desc);
        client_remove(c);
        cvg_rpc_client_unref(c);
    }
    return G_SOURCE_CONTINUE;
}

void
cvg_rpc_server_set_keepalive(CvgRpcServer *srv, unsigned int interval,
                             unsigned int count)
{
    if (srv->ka_timer)
        g_source_remove(srv->ka_timer);
    srv->ka_timer = 0;
    srv->ka_interval = interval;
    srv->ka_count = count;
    if (interval > 0 && count > 0)
        srv->ka_timer = g_timeout_add_seconds(interval, keepalive_tick, srv);
}

void
cvg_rpc_server_free(CvgRpcServer *srv)
{
    if (!srv)
        return;
    if (srv->ka_timer)
        g_source_remove(srv->ka_timer);
    for (guint i = 0; i < srv->listeners->len; i++) {
        CvgRpcListener *l = g_ptr_array_index(srv->listeners, i);

        if (l->watch)
            g_source_remove(l->watch);
        close(l->fd);
        if (l->owns_path)
            unlink(l->path);
        g_free(l->path);
        g_free(l);
    }
    while (srv->clients->len > 0)
        client_remove(g_ptr_array_index(srv->clients, 0));
    g_thread_pool_free(srv->pool, FALSE, TRUE);
    g_ptr_array_unref(srv->listeners);
    g_ptr_array_unref(srv->clients);
    g_hash_table_unref(srv->procs);
    g_mutex_clear(&srv->lock);
    g_free(srv);
}

int
cvg_rpc_client_queue_frame(CvgRpcClient *client, const GByteArray *frame)
{
    return client_send(client, frame);
}

void
cvg_rpc_client_stream_add(CvgRpcClient *client, CvgRpcStream *st)
{
    bool closed;

    g_mutex_lock(&client->wlock);
    closed = client->closed;
    if (!closed) {
        cvg_rpc_stream_ref(st);
        g_ptr_array_add(client->streams, st);
    }
    g_mutex_unlock(&client->wlock);
    /* Too late: the client is gone already. */
    if (closed)
        cvg_rpc_stream_client_gone(st);
}

void
cvg_rpc_client_stream_remove(CvgRpcClient *client, CvgRpcStream *st)
{
    bool found;

    g_mutex_lock(&client->wlock);
    found = g_ptr_array_remove(client->streams, st);
    g_mutex_unlock(&client->wlock);
    if (found)
        cvg_rpc_stream_unref(st);
}

void
cvg_rpc_client_stream_backlog(CvgRpcClient *client, gssize delta)
{
    bool resume;

    g_mutex_lock(&client->wlock);
    client->stream_backlog += delta;
    resume = client->read_paused && !client_should_pause(client);
    g_mutex_unlock(&client->wlock);
    if (resume)
        client_resume_reading(client);
}
