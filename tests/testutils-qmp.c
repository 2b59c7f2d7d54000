/*
 * testutils-qmp.c: a scripted QMP peer standing in for QEMU
 */
#include "testutils-qmp.h"

#include "cvg-json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PEER_WAIT_MS 10000
#define PEER_CHUNK_PAUSE_US (10 * 1000)

static const char default_greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, "
    "\"major\": 10}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}";

typedef enum {
    STEP_GREETING,
    STEP_CMD,
    STEP_REPLY,
    STEP_EVENT,
    STEP_RAW,
    STEP_SLEEP,
    STEP_CHUNK,
    STEP_HOLD,
    STEP_FLUSH,
    STEP_ECHO,
    STEP_FLOOD,
    STEP_WAIT_CLOSE,
    STEP_CLOSE,
} StepKind;

typedef struct {
    StepKind kind;
    int lineno;
    char *name;        /* cmd */
    json_object *json; /* cmd arguments, reply, event */
    GString *bytes;    /* greeting (with CRLF), raw */
    long num;          /* sleep, chunk, echo, flood */
} Step;

struct _CvgTestQmpPeer {
    char *script;
    GPtrArray *steps;
    int fd;
    GThread *thread;
    GString *in;
    GString *held; /* non-NULL between hold and flush */
    size_t chunk;
    json_object *last_id;
    bool failed;
};

static void
step_free(gpointer opaque)
{
    Step *step = opaque;

    g_free(step->name);
    cvg_json_put(step->json);
    if (step->bytes)
        g_string_free(step->bytes, TRUE);
    g_free(step);
}

static void
json_free(gpointer obj)
{
    json_object_put(obj);
}

static void G_GNUC_PRINTF(3, 4)
    peer_fail(CvgTestQmpPeer *peer, int lineno, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s:%d: %s\n", peer->script, lineno, msg);
    peer->failed = true;
}

/* ---- script parsing ---- */

/* Parse one JSON value at the start of @text; what follows may only be
 * blanks or a comment.  Returns NULL if that is not so. */
static json_object *
parse_json_item(const char *text, size_t *ret_end)
{
    json_tokener *tok = json_tokener_new();
    json_object *obj = json_tokener_parse_ex(tok, text, (int)strlen(text));
    size_t end = json_tokener_get_parse_end(tok);

    json_tokener_free(tok);
    if (!obj)
        return NULL;
    if (ret_end)
        *ret_end = end;
    while (text[end] == ' ' || text[end] == '\t')
        end++;
    if (text[end] != '\0' && text[end] != '#') {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

/* \r \n \t \\ \xHH; returns NULL on a bad escape. */
static GString *
unescape(const char *text)
{
    GString *out = g_string_new(NULL);

    for (; *text; text++) {
        if (*text != '\\') {
            g_string_append_c(out, *text);
            continue;
        }
        text++;
        switch (*text) {
        case 'r':
            g_string_append_c(out, '\r');
            break;
        case 'n':
            g_string_append_c(out, '\n');
            break;
        case 't':
            g_string_append_c(out, '\t');
            break;
        case '\\':
            g_string_append_c(out, '\\');
            break;
        case 'x':
            if (g_ascii_isxdigit(text[1]) && g_ascii_isxdigit(text[2])) {
                g_string_append_c(out,
                                  (char)(g_ascii_xdigit_value(text[1]) * 16 +
                                         g_ascii_xdigit_value(text[2])));
                text += 2;
                break;
            }
            G_GNUC_FALLTHROUGH;
        default:
            g_string_free(out, TRUE);
            return NULL;
        }
    }
    return out;
}

static bool
parse_number(const char *text, long *ret)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || v < 0)
        return false;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0' && *end != '#')
        return false;
    *ret = v;
    return true;
}

static Step *
parse_step(const char *line, int lineno)
{
    g_autofree char *word = NULL;
    const char *rest;
    Step *step = g_new0(Step, 1);
    bool ok = true;

    step->lineno = lineno;
    rest = line + strcspn(line, " \t");
    word = g_strndup(line, rest - line);
    rest += strspn(rest, " \t");

    if (g_str_equal(word, "greeting")) {
        size_t end;
        json_object *obj;

        step->kind = STEP_GREETING;
        step->bytes = g_string_new(NULL);
        if (*rest) {
            /* Verbatim, but a trailing comment after JSON is dropped. */
            if ((obj = parse_json_item(rest, &end))) {
                g_string_append_len(step->bytes, rest, end);
                json_object_put(obj);
            } else {
                g_string_append(step->bytes, rest);
            }
            g_string_append(step->bytes, "\r\n");
        }
    } else if (g_str_equal(word, "cmd")) {
        const char *args = rest + strcspn(rest, " \t");

        step->kind = STEP_CMD;
        step->name = g_strndup(rest, args - rest);
        args += strspn(args, " \t");
        ok = *step->name != '\0';
        if (ok && *args && *args != '#')
            ok = (step->json = parse_json_item(args, NULL)) != NULL;
    } else if (g_str_equal(word, "reply") || g_str_equal(word, "event")) {
        step->kind = g_str_equal(word, "reply") ? STEP_REPLY : STEP_EVENT;
        step->json = parse_json_item(rest, NULL);
        ok = step->json && json_object_is_type(step->json, json_type_object);
    } else if (g_str_equal(word, "raw")) {
        step->kind = STEP_RAW;
        ok = (step->bytes = unescape(rest)) != NULL;
    } else if (g_str_equal(word, "sleep")) {
        step->kind = STEP_SLEEP;
        ok = parse_number(rest, &step->num);
    } else if (g_str_equal(word, "chunk")) {
        step->kind = STEP_CHUNK;
        ok = parse_number(rest, &step->num);
    } else if (g_str_equal(word, "echo")) {
        step->kind = STEP_ECHO;
        ok = parse_number(rest, &step->num) && step->num > 0;
    } else if (g_str_equal(word, "flood")) {
        step->kind = STEP_FLOOD;
        ok = parse_number(rest, &step->num);
    } else if (g_str_equal(word, "hold")) {
        step->kind = STEP_HOLD;
    } else if (g_str_equal(word, "flush")) {
        step->kind = STEP_FLUSH;
    } else if (g_str_equal(word, "wait-close")) {
        step->kind = STEP_WAIT_CLOSE;
    } else if (g_str_equal(word, "close")) {
        step->kind = STEP_CLOSE;
    } else {
        ok = false;
    }
    if (!ok) {
        step_free(step);
        return NULL;
    }
    return step;
}

static GPtrArray *
parse_script(const char *path)
{
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func(step_free);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    bool closed = false;
    size_t i;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        fprintf(stderr, "%s: cannot read QMP script\n", path);
        return NULL;
    }
    lines = g_strsplit(text, "\n", -1);
    for (i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        Step *step;

        if (*line == '\0' || *line == '#')
            continue;
        if (closed) {
            fprintf(stderr, "%s:%zu: item after 'close'\n", path, i + 1);
            return NULL;
        }
        if (!(step = parse_step(line, (int)i + 1))) {
            fprintf(stderr, "%s:%zu: invalid script item: %s\n", path, i + 1,
                    line);
            return NULL;
        }
        closed = step->kind == STEP_CLOSE;
        g_ptr_array_add(steps, step);
    }
    if (steps->len == 0 || ((Step *)steps->pdata[0])->kind != STEP_GREETING) {
        Step *step = g_new0(Step, 1);

        step->kind = STEP_GREETING;
        step->bytes = g_string_new(default_greeting);
        g_string_append(step->bytes, "\r\n");
        g_ptr_array_insert(steps, 0, step);
    }
    return g_steal_pointer(&steps);
}

/* ---- I/O ---- */

static int
peer_wait(CvgTestQmpPeer *peer, short events)
{
    struct pollfd pfd = {.fd = peer->fd, .events = events};
    int rc;

    do {
        rc = poll(&pfd, 1, PEER_WAIT_MS);
    } while (rc < 0 && errno == EINTR);
    return rc > 0 ? 0 : -1;
}

static int
peer_send_now(CvgTestQmpPeer *peer, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(peer->fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (peer_wait(peer, POLLOUT) < 0)
                return -1;
            continue;
        }
        if (n < 0)
            return -1;
        data += n;
        len -= n;
    }
    return 0;
}

/* Send now, or in chunks, or keep for the next flush. */
static int
peer_send(CvgTestQmpPeer *peer, const char *data, size_t len)
{
    if (peer->held) {
        g_string_append_len(peer->held, data, len);
        return 0;
    }
    while (peer->chunk > 0 && len > peer->chunk) {
        if (peer_send_now(peer, data, peer->chunk) < 0)
            return -1;
        data += peer->chunk;
        len -= peer->chunk;
        g_usleep(PEER_CHUNK_PAUSE_US);
    }
    return peer_send_now(peer, data, len);
}

static int
peer_send_json(CvgTestQmpPeer *peer, json_object *obj)
{
    g_autofree char *text =
        g_strdup_printf("%s\r\n", json_object_to_json_string_ext(
                                      obj, JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));

    return peer_send(peer, text, strlen(text));
}

/* Next line from the client: 1 with *ret_line, 0 on EOF, -1 on error or
 * after waiting too long. */
static int
peer_read_line(CvgTestQmpPeer *peer, char **ret_line)
{
    for (;;) {
        char buf[4096];
        char *nl = memchr(peer->in->str, '\n', peer->in->len);
        ssize_t n;

        if (nl) {
            *ret_line = g_strndup(peer->in->str, nl - peer->in->str);
            g_string_erase(peer->in, 0, nl - peer->in->str + 1);
            return 1;
        }
        if (peer_wait(peer, POLLIN) < 0)
            return -1;
        n = recv(peer->fd, buf, sizeof(buf), 0);
        if (n < 0 &&
            (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        /* ECONNRESET: the client closed with our output unread. */
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 0;
        if (n < 0)
            return -1;
        g_string_append_len(peer->in, buf, n);
    }
}

/* Receive one command.  Returns it (an object with a string "execute"), or
 * NULL after reporting what went wrong. */
static json_object *
peer_read_command(CvgTestQmpPeer *peer, const Step *step)
{
    g_autofree char *line = NULL;
    json_object *cmd;
    int rc = peer_read_line(peer, &line);

    if (rc <= 0) {
        peer_fail(peer, step->lineno, "%s while waiting for command '%s'",
                  rc == 0 ? "connection closed" : "no data",
                  step->name ? step->name : "*");
        return NULL;
    }
    cmd = json_tokener_parse(line);
    if (!cmd || !cvg_json_get_string(cmd, "execute")) {
        peer_fail(peer, step->lineno, "not a QMP command: %s", line);
        cvg_json_put(cmd);
        return NULL;
    }
    cvg_json_put(peer->last_id);
    peer->last_id = NULL;
    if (json_object_object_get_ex(cmd, "id", &peer->last_id))
        json_object_get(peer->last_id);
    return cmd;
}

static int
peer_expect_command(CvgTestQmpPeer *peer, const Step *step)
{
    g_autoptr(json_object) cmd = peer_read_command(peer, step);
    json_object *args = NULL;

    if (!cmd)
        return -1;
    json_object_object_get_ex(cmd, "arguments", &args);
    if (!g_str_equal(cvg_json_get_string(cmd, "execute"), step->name) ||
        (step->json && !json_object_equal(step->json, args))) {
        peer_fail(peer, step->lineno, "expected command '%s'%s%s, got %s",
                  step->name, step->json ? " with arguments " : "",
                  step->json ? json_object_to_json_string(step->json) : "",
                  json_object_to_json_string(cmd));
        return -1;
    }
    return 0;
}

static int
peer_reply(CvgTestQmpPeer *peer, const Step *step)
{
    g_autoptr(json_object) reply = NULL;

    if (json_object_deep_copy(step->json, &reply, NULL) < 0)
        return -1;
    if (!json_object_object_get_ex(reply, "id", NULL) && peer->last_id)
        json_object_object_add(reply, "id", json_object_get(peer->last_id));
    return peer_send_json(peer, reply);
}

static int
peer_echo(CvgTestQmpPeer *peer, const Step *step)
{
    g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func(json_free);
    g_autoptr(GString) out = g_string_new(NULL);
    long i;

    for (i = 0; i < step->num; i++) {
        json_object *cmd = peer_read_command(peer, step);

        if (!cmd)
            return -1;
        g_ptr_array_add(cmds, cmd);
    }
    for (i = step->num - 1; i >= 0; i--) {
        g_autoptr(json_object) reply = json_object_new_object();
        json_object *args = NULL;
        json_object *id = NULL;

        json_object_object_get_ex(cmds->pdata[i], "arguments", &args);
        json_object_object_get_ex(cmds->pdata[i], "id", &id);
        json_object_object_add(reply, "return",
                               args ? json_object_get(args)
                                    : json_object_new_object());
        if (id)
            json_object_object_add(reply, "id", json_object_get(id));
        g_string_append_printf(out, "%s\r\n",
                               json_object_to_json_string(reply));
    }
    if (peer_send(peer, out->str, out->len) < 0) {
        peer_fail(peer, step->lineno, "cannot send echo replies");
        return -1;
    }
    return 0;
}

static int
peer_flood(CvgTestQmpPeer *peer, const Step *step)
{
    g_autofree char *block = g_malloc(64 * 1024);
    long left = step->num;

    memset(block, 'x', 64 * 1024);
    while (left > 0) {
        size_t n = MIN(left, 64 * 1024);

        /* The client is expected to give up part way. */
        if (peer_send(peer, block, n) < 0)
            break;
        left -= n;
    }
    return 0;
}

static int
peer_wait_close(CvgTestQmpPeer *peer, const Step *step)
{
    g_autofree char *line = NULL;
    int rc = peer_read_line(peer, &line);

    if (rc == 0 && peer->in->len == 0)
        return 0;
    if (rc < 0)
        peer_fail(peer, step->lineno, "the other side did not close");
    else
        peer_fail(peer, step->lineno, "unexpected data: %s",
                  line ? line : peer->in->str);
    return -1;
}

static int
peer_run_step(CvgTestQmpPeer *peer, const Step *step)
{
    switch (step->kind) {
    case STEP_GREETING:
    case STEP_RAW:
        if (peer_send(peer, step->bytes->str, step->bytes->len) < 0)
            break;
        return 0;
    case STEP_CMD:
        return peer_expect_command(peer, step);
    case STEP_REPLY:
        if (peer_reply(peer, step) < 0)
            break;
        return 0;
    case STEP_EVENT:
        if (peer_send_json(peer, step->json) < 0)
            break;
        return 0;
    case STEP_SLEEP:
        g_usleep(step->num * 1000);
        return 0;
    case STEP_CHUNK:
        peer->chunk = step->num;
        return 0;
    case STEP_HOLD:
        if (!peer->held)
            peer->held = g_string_new(NULL);
        return 0;
    case STEP_FLUSH:
        if (peer->held) {
            g_autoptr(GString) held = g_steal_pointer(&peer->held);

            if (peer_send(peer, held->str, held->len) < 0)
                break;
        }
        return 0;
    case STEP_ECHO:
        return peer_echo(peer, step);
    case STEP_FLOOD:
        return peer_flood(peer, step);
    case STEP_WAIT_CLOSE:
        return peer_wait_close(peer, step);
    case STEP_CLOSE:
        return 0;
    }
    peer_fail(peer, step->lineno, "send failed: %s", g_strerror(errno));
    return -1;
}

static gpointer
peer_thread(gpointer opaque)
{
    CvgTestQmpPeer *peer = opaque;
    guint i;

    for (i = 0; i < peer->steps->len; i++) {
        if (peer_run_step(peer, peer->steps->pdata[i]) < 0)
            break;
    }
    if (peer->held && !peer->failed)
        peer_send_now(peer, peer->held->str, peer->held->len);
    shutdown(peer->fd, SHUT_RDWR);
    close(peer->fd);
    peer->fd = -1;
    return NULL;
}

CvgTestQmpPeer *
cvg_test_qmp_peer_start(const char *script_path, int *ret_fd)
{
    CvgTestQmpPeer *peer;
    GPtrArray *steps;
    int fds[2];

    if (!(steps = parse_script(script_path)))
        return NULL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        fprintf(stderr, "socketpair: %s\n", g_strerror(errno));
        g_ptr_array_unref(steps);
        return NULL;
    }
    /* Non-blocking, so that no wait for the client outlasts PEER_WAIT_MS. */
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    peer = g_new0(CvgTestQmpPeer, 1);
    peer->script = g_strdup(script_path);
    peer->steps = steps;
    peer->fd = fds[0];
    peer->in = g_string_new(NULL);
    peer->thread = g_thread_new("qmp-peer", peer_thread, peer);
    *ret_fd = fds[1];
    return peer;
}

int
cvg_test_qmp_peer_finish(CvgTestQmpPeer *peer)
{
    int ret;

    if (!peer)
        return -1;
    g_thread_join(peer->thread);
    ret = peer->failed ? -1 : 0;
    g_free(peer->script);
    g_ptr_array_unref(peer->steps);
    g_string_free(peer->in, TRUE);
    if (peer->held)
        g_string_free(peer->held, TRUE);
    cvg_json_put(peer->last_id);
    g_free(peer);
    return ret;
}
