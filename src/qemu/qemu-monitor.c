/*
 * qemu-monitor.c: QMP connection to one QEMU process
 *
 * Wire format: QEMU sends one JSON object per line (CRLF); we send one
 * command object per line with a unique string "id" that QEMU copies into
 * the reply.  Events carry no id.
 *
 * Lifetime and races
 * ------------------
 * A CvgQmp is reference counted: the opener holds one reference (dropped by
 * cvg_qmp_close()), the read GSource holds one (dropped by GLib once the
 * source is destroyed), each dispatch of the source holds one while it runs,
 * and every caller inside cvg_qmp_command() holds one while it waits.  So
 * whichever of close, a last dispatch or a woken waiter finishes last frees
 * the monitor, and the fd is closed only then: a dispatch still running
 * after close can never read from a recycled descriptor number.
 *
 * cvg_qmp_close() sets "closed" under the lock, wakes the waiters, waits for
 * a callback running in another thread to return, then destroys the source
 * (g_source_destroy() is thread-safe) and shuts the socket down.  Callbacks
 * are only started under the lock after checking "closed", so none starts
 * once close has set it; the reader also stops between two messages of one
 * read once it sees "closed".  Close from inside a callback skips the wait
 * (it would wait for itself); the dispatch's reference keeps the monitor
 * alive until that callback has returned.
 *
 * json-c reference counts are not atomic: a reply object is handed to its
 * waiter whole and never touched by the reading thread again.
 */
#include "qemu-monitor.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* QEMU's own JSON parser accepts nesting up to this depth; replies such as
 * query-block on a long backing chain nest deeply, so match it. */
#define QMP_MAX_DEPTH 1024

#define QMP_READ_CHUNK (64 * 1024)

/* Pause between connection attempts while QEMU creates its socket. */
#define QMP_CONNECT_RETRY_US (20 * 1000)

typedef struct {
    const char *id;
    json_object *reply; /* the whole reply message once it arrived */
} QmpPending;

struct _CvgQmp {
    gint refs;
    int fd;
    char *name; /* socket path or "fd N", for messages */
    GMainContext *ctx;
    CvgQmpCallbacks cb;
    void *opaque;
    int version[3];

    /* Input side: used by the opening thread during the handshake, then
     * only by the context thread. */
    GString *inbuf;
    size_t scanned; /* inbuf holds no newline before this */
    json_tokener *tok;

    GMutex write_lock; /* one command on the wire at a time */

    GMutex lock; /* protects the members below */
    GCond cond;  /* reply arrived, end, or callback done */
    GSource *source;
    GHashTable *pending; /* id -> QmpPending owned by its waiter */
    guint64 serial;
    bool ended;               /* the reader saw EOF or a broken peer */
    bool closed;              /* cvg_qmp_close() was called */
    GThread *callback_thread; /* the thread running a callback, if any */
};

static CvgQmp *
qmp_ref(CvgQmp *mon)
{
    g_atomic_int_inc(&mon->refs);
    return mon;
}

static void
qmp_unref(gpointer opaque)
{
    CvgQmp *mon = opaque;

    if (!g_atomic_int_dec_and_test(&mon->refs))
        return;
    if (mon->fd >= 0)
        close(mon->fd);
    g_free(mon->name);
    if (mon->ctx)
        g_main_context_unref(mon->ctx);
    g_string_free(mon->inbuf, TRUE);
    json_tokener_free(mon->tok);
    g_mutex_clear(&mon->write_lock);
    g_mutex_clear(&mon->lock);
    g_cond_clear(&mon->cond);
    g_hash_table_unref(mon->pending);
    g_free(mon);
}

static CvgQmp *
qmp_new(int fd, char *name, GMainContext *ctx, const CvgQmpCallbacks *cb,
        void *opaque)
{
    CvgQmp *mon = g_new0(CvgQmp, 1);

    mon->refs = 1;
    mon->fd = fd;
    mon->name = name;
    mon->ctx = ctx ? g_main_context_ref(ctx) : NULL;
    if (cb)
        mon->cb = *cb;
    mon->opaque = opaque;
    mon->inbuf = g_string_new(NULL);
    mon->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
    g_mutex_init(&mon->write_lock);
    g_mutex_init(&mon->lock);
    g_cond_init(&mon->cond);
    mon->pending = g_hash_table_new(g_str_hash, g_str_equal);
    return mon;
}

/* Monotonic deadline in microseconds for @timeout_ms; -1 for none. */
static gint64
qmp_deadline(int timeout_ms)
{
    if (timeout_ms < 0)
        return -1;
    return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

/* Wait until @fd is ready for @events.  Returns 1 when ready, 0 when
 * @deadline passed, -1 on a poll error (errno set). */
static int
qmp_poll(int fd, short events, gint64 deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};

    for (;;) {
        int ms = -1;
        int rc;

        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();

            if (left <= 0)
                return 0;
            ms = (int)MIN((left + 999) / 1000, INT_MAX);
        }
        rc = poll(&pfd, 1, ms);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static bool
qmp_is_closed(CvgQmp *mon)
{
    bool closed;

    g_mutex_lock(&mon->lock);
    closed = mon->closed;
    g_mutex_unlock(&mon->lock);
    return closed;
}

/* Callbacks run with the lock released but marked, so that close can wait
 * for them.  Returns false (and runs nothing) once the monitor is closed. */
static bool
qmp_callback_begin(CvgQmp *mon)
{
    bool ok;

    g_mutex_lock(&mon->lock);
    ok = !mon->closed;
    if (ok)
        mon->callback_thread = g_thread_self();
    g_mutex_unlock(&mon->lock);
    return ok;
}

static void
qmp_callback_end(CvgQmp *mon)
{
    g_mutex_lock(&mon->lock);
    mon->callback_thread = NULL;
    g_cond_broadcast(&mon->cond);
    g_mutex_unlock(&mon->lock);
}

static char *
qmp_format_command(const char *cmd, json_object *args, const char *id)
{
    g_autoptr(json_object) msg = json_object_new_object();

    json_object_object_add(msg, "execute", json_object_new_string(cmd));
    if (args)
        json_object_object_add(msg, "arguments", json_object_get(args));
    json_object_object_add(msg, "id", json_object_new_string(id));
    return g_strdup_printf(
        "%s\r\n",
        json_object_to_json_string_ext(
            msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Write all of @data before @deadline; the caller holds write_lock.  A
 * failed or timed out write may leave half a command on the wire, after
 * which QEMU would misread everything, so the socket is shut down: the
 * reader then sees EOF and every waiter learns the monitor is gone.
 * Returns 0, or -1 with *ret_errno set (ETIMEDOUT for the deadline); the
 * caller reports, since what to say depends on the phase.
 */
static int
qmp_write(CvgQmp *mon, const char *data, size_t len, gint64 deadline,
          int *ret_errno)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = send(mon->fd, data + done, len - done, MSG_NOSIGNAL);
        int err;

        if (n >= 0) {
            done += n;
            continue;
        }
        err = errno;
        if (err == EINTR)
            continue;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            int rc = qmp_poll(mon->fd, POLLOUT, deadline);

            if (rc > 0)
                continue;
            err = rc == 0 ? ETIMEDOUT : errno;
        }
        shutdown(mon->fd, SHUT_RDWR);
        *ret_errno = err;
        return -1;
    }
    return 0;
}

/* The peer went away (ECONNRESET: it closed with our data unread). */
static bool
qmp_errno_is_hangup(int err)
{
    return err == EPIPE || err == ECONNRESET;
}

/*
 * Parse one line (newline and trailing blanks already removed) that must
 * hold exactly one JSON object.  Returns it, or NULL (logged) for anything
 * else.
 */
static json_object *
qmp_parse_message(CvgQmp *mon, const char *line, size_t len)
{
    g_autoptr(json_object) obj = NULL;
    size_t end;

    /* QEMU escapes NUL inside strings; a raw one is garbage, and json-c
     * would stop at it. */
    if (memchr(line, '\0', len)) {
        g_debug("QMP %s: NUL byte in message", mon->name);
        return NULL;
    }
    json_tokener_reset(mon->tok);
    obj = json_tokener_parse_ex(mon->tok, line, (int)len);
    if (!obj) {
        enum json_tokener_error jerr = json_tokener_get_error(mon->tok);

        /* json_tokener_continue: the line ended inside a value. */
        g_debug("QMP %s: invalid JSON: %s", mon->name,
                jerr == json_tokener_continue ? "truncated"
                                              : json_tokener_error_desc(jerr));
        return NULL;
    }
    for (end = json_tokener_get_parse_end(mon->tok); end < len; end++) {
        if (!g_ascii_isspace(line[end])) {
            g_debug("QMP %s: trailing data after JSON message", mon->name);
            return NULL;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        g_debug("QMP %s: message is not a JSON object", mon->name);
        return NULL;
    }
    return g_steal_pointer(&obj);
}

/* Store the version from a greeting; -1 if @msg is not a valid one. */
static int
qmp_parse_greeting(json_object *msg, int version[3])
{
    static const char *const keys[] = {"major", "minor", "micro"};
    json_object *qemu;
    gint64 v[3];
    size_t i;

    qemu = cvg_json_get_object(
        cvg_json_get_object(cvg_json_get_object(msg, "QMP"), "version"),
        "qemu");
    for (i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (!cvg_json_get_int64(qemu, keys[i], &v[i]) || v[i] < 0 ||
            v[i] > INT_MAX)
            return -1;
    }
    for (i = 0; i < G_N_ELEMENTS(keys); i++)
        version[i] = (int)v[i];
    return 0;
}

static bool
qmp_is_reply(json_object *msg)
{
    return json_object_object_get_ex(msg, "return", NULL) ||
           json_object_object_get_ex(msg, "error", NULL);
}

/*
 * Handshake input: read one non-blank line, never reading past its newline
 * (whatever follows belongs to the GSource reader).  Returns 0 with
 * *ret_msg set to the parsed object, or NULL when the line is not a JSON
 * object; -1 with an error reported on EOF, read error, timeout or an
 * over-long line.
 */
static int
qmp_read_message_sync(CvgQmp *mon, gint64 deadline, json_object **ret_msg)
{
    GString *in = mon->inbuf;

    g_string_truncate(in, 0);
    for (;;) {
        char buf[4096];
        const char *nl;
        ssize_t n = recv(mon->fd, buf, sizeof(buf), MSG_PEEK);
        int err = errno;
        size_t take;
        int rc;

        if (n < 0 && err == EINTR)
            continue;
        if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
            if ((rc = qmp_poll(mon->fd, POLLIN, deadline)) > 0)
                continue;
            if (rc == 0) {
                cvg_error_report(CVG_ERR_OPERATION_FAILED,
                                 _("timed out waiting for QEMU monitor '%s'"),
                                 mon->name);
                return -1;
            }
            err = errno;
        }
        if (n == 0 || (n < 0 && qmp_errno_is_hangup(err))) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("QEMU monitor '%s' closed the connection during "
                               "the handshake"),
                             mon->name);
            return -1;
        }
        if (n < 0) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("cannot read from QEMU monitor '%s': %s"),
                             mon->name, g_strerror(err));
            return -1;
        }
        nl = memchr(buf, '\n', n);
        take = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
        n = recv(mon->fd, buf, take, 0);
        if (n != (ssize_t)take) {
            /* Peeked bytes of a stream socket are there to be read. */
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("cannot read from QEMU monitor '%s': %s"),
                             mon->name, g_strerror(n < 0 ? errno : EIO));
            return -1;
        }
        g_string_append_len(in, buf, take);
        if (in->len > CVG_QMP_MAX_MESSAGE) {
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("QEMU monitor '%s' sent an over-long message"),
                             mon->name);
            return -1;
        }
        if (nl) {
            size_t len = in->len;

            while (len > 0 && g_ascii_isspace(in->str[len - 1]))
                len--;
            if (len == 0) {
                g_string_truncate(in, 0);
                continue;
            }
            g_debug("QMP %s recv: %.*s", mon->name, (int)len, in->str);
            *ret_msg = qmp_parse_message(mon, in->str, len);
            g_string_truncate(in, 0);
            return 0;
        }
    }
}

/* Greeting, qmp_capabilities and its reply, in the opening thread. */
static int
qmp_handshake(CvgQmp *mon, gint64 deadline)
{
    g_autoptr(json_object) greeting = NULL;
    g_autofree char *id = NULL;
    g_autofree char *text = NULL;
    json_object *err;
    int err_no = 0;

    if (qmp_read_message_sync(mon, deadline, &greeting) < 0)
        return -1;
    if (!greeting || qmp_parse_greeting(greeting, mon->version) < 0) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("invalid greeting from QEMU monitor '%s'"),
                         mon->name);
        return -1;
    }

    id = g_strdup_printf("cvg-%" G_GUINT64_FORMAT, ++mon->serial);
    text = qmp_format_command("qmp_capabilities", NULL, id);
    g_debug("QMP %s send: %.*s", mon->name, (int)strlen(text) - 2, text);
    if (qmp_write(mon, text, strlen(text), deadline, &err_no) < 0) {
        if (err_no == ETIMEDOUT)
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("timed out waiting for QEMU monitor '%s'"),
                             mon->name);
        else if (qmp_errno_is_hangup(err_no))
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("QEMU monitor '%s' closed the connection during "
                               "the handshake"),
                             mon->name);
        else
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("cannot write to QEMU monitor '%s': %s"),
                             mon->name, g_strerror(err_no));
        return -1;
    }

    for (;;) {
        g_autoptr(json_object) msg = NULL;

        if (qmp_read_message_sync(mon, deadline, &msg) < 0)
            return -1;
        if (!msg) {
            cvg_error_report(
                CVG_ERR_INTERNAL_ERROR,
                _("invalid reply to qmp_capabilities from QEMU monitor '%s'"),
                mon->name);
            return -1;
        }
        /* QEMU sends no events before capabilities are negotiated; skip
         * anything that is not our reply. */
        if (!qmp_is_reply(msg) ||
            g_strcmp0(cvg_json_get_string(msg, "id"), id) != 0)
            continue;
        if (json_object_object_get_ex(msg, "error", &err)) {
            const char *desc = cvg_json_get_string(err, "desc");

            cvg_error_report(
                CVG_ERR_INTERNAL_ERROR,
                _("QEMU monitor '%s' refused qmp_capabilities: %s"), mon->name,
                desc ? desc : json_object_to_json_string(err));
            return -1;
        }
        return 0;
    }
}

/* The connection is over: wake the waiters, then tell the owner. */
static void
qmp_end(CvgQmp *mon)
{
    g_mutex_lock(&mon->lock);
    mon->ended = true;
    g_cond_broadcast(&mon->cond);
    g_mutex_unlock(&mon->lock);

    if (mon->cb.eof && qmp_callback_begin(mon)) {
        mon->cb.eof(mon, mon->opaque);
        qmp_callback_end(mon);
    }
}

/* Act on one incoming message (consumed).  Everything but an event or a
 * reply is logged and ignored. */
static void
qmp_dispatch(CvgQmp *mon, json_object *msg_in)
{
    g_autoptr(json_object) msg = msg_in;
    json_object *value;
    int version[3];

    if (json_object_object_get_ex(msg, "event", &value)) {
        const char *name = cvg_json_get_string(msg, "event");

        if (!name) {
            g_debug("QMP %s: event without a name ignored", mon->name);
            return;
        }
        if (mon->cb.event && qmp_callback_begin(mon)) {
            mon->cb.event(mon, name, cvg_json_get_object(msg, "data"),
                          mon->opaque);
            qmp_callback_end(mon);
        }
        return;
    }

    if (qmp_is_reply(msg)) {
        const char *id = cvg_json_get_string(msg, "id");
        QmpPending *pending = NULL;

        g_mutex_lock(&mon->lock);
        if (id && (pending = g_hash_table_lookup(mon->pending, id))) {
            g_hash_table_remove(mon->pending, id);
            pending->reply = g_steal_pointer(&msg);
            g_cond_broadcast(&mon->cond);
        }
        g_mutex_unlock(&mon->lock);
        if (!pending)
            g_debug("QMP %s: reply with unknown id '%s' ignored (late reply "
                    "to a timed out command?)",
                    mon->name, id ? id : "");
        return;
    }

    if (qmp_parse_greeting(msg, version) == 0)
        g_debug("QMP %s: repeated greeting (QEMU %d.%d.%d) ignored", mon->name,
                version[0], version[1], version[2]);
    else
        g_debug("QMP %s: unrecognised message ignored", mon->name);
}

/* One line without its newline.  Returns -1 if the peer is broken. */
static int
qmp_handle_line(CvgQmp *mon, const char *line, size_t len)
{
    json_object *msg;

    while (len > 0 && g_ascii_isspace(line[len - 1]))
        len--;
    if (len == 0)
        return 0;
    g_debug("QMP %s recv: %.*s", mon->name, (int)len, line);
    if (!(msg = qmp_parse_message(mon, line, len)))
        return -1;
    qmp_dispatch(mon, msg);
    return 0;
}

/*
 * Handle every complete line in inbuf and keep the rest.  Stops early once
 * the monitor is closed.  Returns -1 when the peer is broken: a line that is
 * not a JSON object, or a message longer than CVG_QMP_MAX_MESSAGE.
 */
static int
qmp_process_input(CvgQmp *mon)
{
    GString *in = mon->inbuf;
    size_t start = 0;
    int ret = 0;

    for (;;) {
        const char *nl =
            memchr(in->str + mon->scanned, '\n', in->len - mon->scanned);
        size_t len;

        if (!nl) {
            mon->scanned = in->len;
            break;
        }
        len = (size_t)(nl - in->str) - start;
        mon->scanned = (size_t)(nl - in->str) + 1;
        if (len > CVG_QMP_MAX_MESSAGE) {
            g_debug("QMP %s: message of %zu bytes is too long", mon->name, len);
            ret = -1;
            break;
        }
        ret = qmp_handle_line(mon, in->str + start, len);
        start = mon->scanned;
        if (ret < 0 || qmp_is_closed(mon))
            break;
    }
    g_string_erase(in, 0, start);
    mon->scanned -= start;
    if (ret == 0 && in->len > CVG_QMP_MAX_MESSAGE) {
        g_debug("QMP %s: unterminated message of over %zu bytes", mon->name,
                in->len);
        ret = -1;
    }
    return ret;
}

/*
 * Read what is there and handle it.  Returns false when the connection is
 * over (closed, EOF, error or a broken peer).
 */
static bool
qmp_read_input(CvgQmp *mon, int fd)
{
    GString *in = mon->inbuf;
    size_t old_len = in->len;
    ssize_t n;
    int err;

    if (qmp_is_closed(mon))
        return false;
    /* Read straight into the buffer's spare room. */
    g_string_set_size(in, old_len + QMP_READ_CHUNK);
    n = recv(fd, in->str + old_len, QMP_READ_CHUNK, 0);
    err = errno;
    g_string_set_size(in, old_len + MAX(n, 0));
    if (n < 0) {
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
            return true;
        /* ECONNRESET: QEMU exited with some of our input unread. */
        g_debug("QMP %s: %s", mon->name,
                qmp_errno_is_hangup(err) ? "connection closed"
                                         : g_strerror(err));
        qmp_end(mon);
        return false;
    }
    if (n == 0) {
        g_debug("QMP %s: end of file", mon->name);
        qmp_end(mon);
        return false;
    }
    if (qmp_process_input(mon) < 0) {
        qmp_end(mon);
        return false;
    }
    return true;
}

/* The GSource callback, in the context thread. */
static gboolean
qmp_io_cb(int fd, GIOCondition cond, gpointer opaque)
{
    /* Our own reference for the dispatch, rather than relying on the one
     * GLib holds on the callback data while dispatching: it also makes
     * the ordering visible to thread sanitizers. */
    CvgQmp *mon = qmp_ref(opaque);
    bool more = qmp_read_input(mon, fd);

    qmp_unref(mon);
    return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Handshake on @mon's fd, then start reading on its context.  Consumes the
 * caller's reference on failure. */
static CvgQmp *
qmp_start(CvgQmp *mon, gint64 deadline)
{
    GSource *source;
    int flags;

    if ((flags = fcntl(mon->fd, F_GETFL)) < 0 ||
        fcntl(mon->fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(mon->fd, F_SETFD, FD_CLOEXEC) < 0) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("cannot set up QEMU monitor '%s': %s"), mon->name,
                         g_strerror(errno));
        qmp_unref(mon);
        return NULL;
    }
    if (qmp_handshake(mon, deadline) < 0) {
        qmp_unref(mon);
        return NULL;
    }
    g_debug("QMP %s: connected to QEMU %d.%d.%d", mon->name, mon->version[0],
            mon->version[1], mon->version[2]);

    source = g_unix_fd_source_new(mon->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_static_name(source, "QEMU monitor");
    g_source_set_callback(source, G_SOURCE_FUNC(qmp_io_cb), qmp_ref(mon),
                          qmp_unref);
    g_mutex_lock(&mon->lock);
    mon->source = source;
    g_mutex_unlock(&mon->lock);
    g_source_attach(source, mon->ctx);
    return mon;
}

CvgQmp *
cvg_qmp_open_fd(int fd, GMainContext *ctx, const CvgQmpCallbacks *cb,
                void *opaque, int timeout_ms)
{
    gint64 deadline = qmp_deadline(timeout_ms);

    if (fd < 0) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("invalid QEMU monitor file descriptor %d"), fd);
        return NULL;
    }
    if (!ctx)
        ctx = g_main_context_default();
    return qmp_start(qmp_new(fd, g_strdup_printf("fd %d", fd), ctx, cb, opaque),
                     deadline);
}

/* Connect, retrying while QEMU has not created or is not yet listening on
 * the socket.  Returns the fd or -1 with an error reported. */
static int
qmp_connect(const char *path, gint64 deadline)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof(addr.sun_path)) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("QEMU monitor socket path '%s' is too long"), path);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int err;
        gint64 left;

        if (fd < 0) {
            err = errno;
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("failed to connect to QEMU monitor '%s': %s"),
                             path, g_strerror(err));
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
            return fd;
        err = errno;
        close(fd);
        left = deadline < 0 ? QMP_CONNECT_RETRY_US
                            : deadline - g_get_monotonic_time();
        if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN &&
             err != EINTR) ||
            left <= 0) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("failed to connect to QEMU monitor '%s': %s"),
                             path, g_strerror(err));
            return -1;
        }
        g_usleep(MIN(left, QMP_CONNECT_RETRY_US));
    }
}

CvgQmp *
cvg_qmp_open(const char *path, GMainContext *ctx, const CvgQmpCallbacks *cb,
             void *opaque, int timeout_ms)
{
    gint64 deadline = qmp_deadline(timeout_ms);
    int fd;

    if ((fd = qmp_connect(path, deadline)) < 0)
        return NULL;
    if (!ctx)
        ctx = g_main_context_default();
    return qmp_start(qmp_new(fd, g_strdup(path), ctx, cb, opaque), deadline);
}

void
cvg_qmp_ref(CvgQmp *mon)
{
    qmp_ref(mon);
}

void
cvg_qmp_unref(CvgQmp *mon)
{
    qmp_unref(mon);
}

void
cvg_qmp_close(CvgQmp *mon)
{
    GSource *source;

    if (!mon)
        return;

    g_mutex_lock(&mon->lock);
    mon->closed = true;
    g_cond_broadcast(&mon->cond);
    /* A callback running in the context thread must finish before our
     * caller frees what it uses; from inside a callback there is nothing
     * to wait for (and waiting would deadlock). */
    while (mon->callback_thread && mon->callback_thread != g_thread_self())
        g_cond_wait(&mon->cond, &mon->lock);
    source = g_steal_pointer(&mon->source);
    g_mutex_unlock(&mon->lock);

    /* Thread-safe; a dispatch in progress keeps its own reference. */
    if (source) {
        g_source_destroy(source);
        g_source_unref(source);
    }
    if (mon->fd >= 0)
        shutdown(mon->fd, SHUT_RDWR);
    qmp_unref(mon);
}

void
cvg_qmp_get_version(CvgQmp *mon, int *major, int *minor, int *micro)
{
    if (major)
        *major = mon->version[0];
    if (minor)
        *minor = mon->version[1];
    if (micro)
        *micro = mon->version[2];
}

/* Turn a reply into the command's result. */
static int
qmp_reply_result(const char *cmd, json_object *reply, json_object **ret_reply)
{
    json_object *value = NULL;

    if (json_object_object_get_ex(reply, "error", &value)) {
        const char *desc = cvg_json_get_string(value, "desc");

        if (desc)
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("unable to execute QEMU command '%s': %s"), cmd,
                             desc);
        else
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("unable to execute QEMU command '%s'"), cmd);
        return -1;
    }
    json_object_object_get_ex(reply, "return", &value);
    if (ret_reply)
        *ret_reply = json_object_get(value);
    return 0;
}

int
cvg_qmp_command(CvgQmp *mon, const char *cmd, json_object *args,
                json_object **ret_reply, int timeout_ms)
{
    gint64 deadline = qmp_deadline(timeout_ms);
    QmpPending pending = {NULL, NULL};
    g_autofree char *id = NULL;
    g_autofree char *text = NULL;
    g_autoptr(json_object) reply = NULL;
    bool timed_out = false;
    int err_no = 0;
    int ret = -1;
    int rc;

    /* Our reply could only be read by this very thread. */
    if (g_main_context_is_owner(mon->ctx)) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("QEMU command '%s' cannot be run from the QEMU "
                           "monitor's own thread"),
                         cmd);
        return -1;
    }

    qmp_ref(mon);
    g_mutex_lock(&mon->lock);
    if (mon->closed || mon->ended) {
        g_mutex_unlock(&mon->lock);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("QEMU monitor was closed"));
        goto cleanup;
    }
    id = g_strdup_printf("cvg-%" G_GUINT64_FORMAT, ++mon->serial);
    pending.id = id;
    /* Registered before sending, so the reply cannot overtake us. */
    g_hash_table_insert(mon->pending, id, &pending);
    g_mutex_unlock(&mon->lock);

    text = qmp_format_command(cmd, args, id);
    g_debug("QMP %s send: %.*s", mon->name, (int)strlen(text) - 2, text);
    g_mutex_lock(&mon->write_lock);
    rc = qmp_write(mon, text, strlen(text), deadline, &err_no);
    g_mutex_unlock(&mon->write_lock);

    g_mutex_lock(&mon->lock);
    while (rc == 0 && !pending.reply && !mon->closed && !mon->ended) {
        if (deadline < 0) {
            g_cond_wait(&mon->cond, &mon->lock);
        } else if (!g_cond_wait_until(&mon->cond, &mon->lock, deadline)) {
            timed_out = !pending.reply;
            break;
        }
    }
    /* Still there unless the reply arrived; a late reply then finds no
     * entry and is dropped by the reader. */
    g_hash_table_remove(mon->pending, id);
    reply = g_steal_pointer(&pending.reply);
    g_mutex_unlock(&mon->lock);

    if (rc < 0) {
        if (err_no == ETIMEDOUT)
            cvg_error_report(
                CVG_ERR_OPERATION_TIMEOUT,
                _("timed out sending command '%s' to QEMU monitor '%s'"), cmd,
                mon->name);
        else if (qmp_errno_is_hangup(err_no))
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("QEMU monitor was closed"));
        else
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("cannot write to QEMU monitor '%s': %s"),
                             mon->name, g_strerror(err_no));
    } else if (reply) {
        ret = qmp_reply_result(cmd, reply, ret_reply);
    } else if (timed_out) {
        cvg_error_report(CVG_ERR_OPERATION_TIMEOUT,
                         _("no reply from QEMU to command '%s' within %d ms"),
                         cmd, timeout_ms);
    } else {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("QEMU monitor was closed"));
    }

cleanup:
    qmp_unref(mon);
    return ret;
}

int
cvg_qmp_command_simple(CvgQmp *mon, const char *cmd, int timeout_ms)
{
    return cvg_qmp_command(mon, cmd, NULL, NULL, timeout_ms);
}

int
cvg_qmp_feed_for_fuzzing(const char *data, size_t len)
{
    CvgQmp *mon = qmp_new(-1, g_strdup("fuzz"), NULL, NULL, NULL);
    QmpPending pending = {"cvg-1", NULL};
    size_t half = len / 2;
    int ret;

    /* One command waiting, so that replies with id "cvg-1" take the
     * delivery path. */
    g_hash_table_insert(mon->pending, (gpointer)pending.id, &pending);
    g_string_append_len(mon->inbuf, data, half);
    ret = qmp_process_input(mon);
    if (ret == 0) {
        g_string_append_len(mon->inbuf, data + half, len - half);
        ret = qmp_process_input(mon);
    }
    g_hash_table_remove(mon->pending, pending.id);
    cvg_json_put(pending.reply);
    qmp_unref(mon);
    return ret;
}
