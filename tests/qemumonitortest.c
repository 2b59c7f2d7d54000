/*
 * qemumonitortest.c: QMP connection against scripted peers and real QEMU
 *
 * Each table case plays tests/qemumonitordata/NAME.reply with the scripted
 * peer (see testutils-qmp.h), issues the commands listed in the table, and
 * compares what the client saw (open result, one line per command, then the
 * events and eof in arrival order) with NAME.out.
 */
#include "qemu-monitor.h"
#include "testutils.h"
#include "testutils-qmp.h"

#include "cvg-error.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_TIMEOUT_MS 5000

/* The context thread every monitor in this test reads on. */
static GMainContext *test_ctx;
static GMainLoop *test_loop;

static gpointer
loop_thread(gpointer opaque)
{
    g_main_context_push_thread_default(test_ctx);
    g_main_loop_run(test_loop);
    g_main_context_pop_thread_default(test_ctx);
    return NULL;
}

/* ---- what the callbacks saw ---- */

typedef struct {
    GMutex lock;
    GCond cond;
    GString *log; /* "event NAME [DATA]", "eof", ... lines */
    bool eof;
    bool closed;            /* closed from a callback */
    const char *close_on;   /* event whose callback closes the monitor */
    const char *command_on; /* event whose callback tries a command */
} TestRecorder;

static void
recorder_init(TestRecorder *rec)
{
    memset(rec, 0, sizeof(*rec));
    g_mutex_init(&rec->lock);
    g_cond_init(&rec->cond);
    rec->log = g_string_new(NULL);
}

static void
recorder_clear(TestRecorder *rec)
{
    g_string_free(rec->log, TRUE);
    g_mutex_clear(&rec->lock);
    g_cond_clear(&rec->cond);
}

static void
append_error(GString *out)
{
    const CvgError *err = cvg_error_last();

    if (err)
        g_string_append_printf(out, "error %d: %s\n", err->code, err->message);
    else
        g_string_append(out, "error without a reported error\n");
}

static void
test_event_cb(CvgQmp *mon, const char *name, json_object *data, void *opaque)
{
    TestRecorder *rec = opaque;
    bool close_now = rec->close_on && g_str_equal(name, rec->close_on);

    g_mutex_lock(&rec->lock);
    g_string_append_printf(rec->log, "event %s", name);
    if (data)
        g_string_append_printf(
            rec->log, " %s",
            json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
    g_string_append_c(rec->log, '\n');
    if (rec->command_on && g_str_equal(name, rec->command_on)) {
        if (cvg_qmp_command_simple(mon, "cont", TEST_TIMEOUT_MS) == 0) {
            g_string_append(rec->log, "command from callback: ok\n");
        } else {
            g_string_append(rec->log, "command from callback: ");
            append_error(rec->log);
        }
    }
    g_cond_broadcast(&rec->cond);
    g_mutex_unlock(&rec->lock);

    if (close_now) {
        cvg_qmp_close(mon);
        g_mutex_lock(&rec->lock);
        g_string_append(rec->log, "closed from callback\n");
        rec->closed = true;
        g_cond_broadcast(&rec->cond);
        g_mutex_unlock(&rec->lock);
    }
}

static void
test_eof_cb(CvgQmp *mon, void *opaque)
{
    TestRecorder *rec = opaque;

    g_mutex_lock(&rec->lock);
    g_string_append(rec->log, "eof\n");
    rec->eof = true;
    g_cond_broadcast(&rec->cond);
    g_mutex_unlock(&rec->lock);
}

static const CvgQmpCallbacks test_callbacks = {
    .event = test_event_cb,
    .eof = test_eof_cb,
};

/* Wait until the connection ended, was closed by a callback, or (when
 * @needle is given) the log contains @needle.  False after @timeout_ms. */
static bool
recorder_wait(TestRecorder *rec, const char *needle, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    bool found;

    g_mutex_lock(&rec->lock);
    for (;;) {
        found = needle ? strstr(rec->log->str, needle) != NULL
                       : rec->eof || rec->closed;
        if (found || !g_cond_wait_until(&rec->cond, &rec->lock, deadline))
            break;
    }
    found = needle ? strstr(rec->log->str, needle) != NULL
                   : rec->eof || rec->closed;
    g_mutex_unlock(&rec->lock);
    return found;
}

/* ---- table cases ---- */

typedef struct {
    const char *name;
    const char *args; /* JSON text or NULL */
    int timeout_ms;   /* 0: TEST_TIMEOUT_MS */
} TestCommand;

typedef struct {
    const char *name; /* qemumonitordata/NAME.{reply,out} */
    TestCommand cmds[4];
    int open_timeout_ms;  /* 0: TEST_TIMEOUT_MS */
    bool after_eof;       /* issue the commands after the eof */
    const char *close_on; /* see TestRecorder */
    const char *command_on;
} TestCase;

static const TestCase cases[] = {
    /* Edge cases first. */
    {"empty"},
    {"no-greeting", .open_timeout_ms = 300},
    {"invalid-greeting"},
    {"invalid-greeting-json"},
    {"garbage-in-handshake"},
    {"capabilities-error"},
    {"garbage-after-greeting"},
    {"not-object"},
    {"trailing-garbage"},
    {"message-too-long"},
    {"eof-while-waiting", {{"cont"}}},
    {"command-after-eof", {{"cont"}}, .after_eof = true},
    {"timeout", {{"query-status", NULL, 100}, {"query-status"}}},
    {"unknown-id", {{"query-status"}}},
    {"ignored-messages", {{"query-status"}}},
    {"error-reply", {{"cont"}}},
    {"error-reply-no-desc", {{"cont"}}},
    {"reply-split-across-writes", {{"query-status"}}},
    {"two-messages-in-one-write", {{"query-status"}}},
    {"event-stop"},
    {"event-migration-pass"},
    {"close-in-callback", {{"query-status"}}, .close_on = "STOP"},
    {"command-in-callback", .command_on = "STOP"},
    /* Ordinary conversations. */
    {"query-status", {{"query-status"}}},
    {"command-arguments",
     {{"migrate-set-parameters",
       "{\"cpu-throttle-initial\": 20, \"cpu-throttle-increment\": 10, "
       "\"max-bandwidth\": 33554432}"},
      {"migrate-set-capabilities",
       "{\"capabilities\": [{\"capability\": \"auto-converge\", "
       "\"state\": true}, {\"capability\": \"events\", "
       "\"state\": true}]}"}}},
};

/* Monitors opened on an fd are named after its number; hide it. */
static char *
normalize(const char *text)
{
    g_autoptr(GRegex) re = g_regex_new("'fd [0-9]+'", 0, 0, NULL);

    return g_regex_replace_literal(re, text, -1, 0, "'fd N'", 0, NULL);
}

static void
run_command(CvgQmp *mon, const TestCommand *cmd, GString *out)
{
    g_autoptr(json_object) args = NULL;
    g_autoptr(json_object) reply = NULL;

    if (cmd->args)
        args = json_tokener_parse(cmd->args);
    g_string_append_printf(out, "%s: ", cmd->name);
    if (cvg_qmp_command(mon, cmd->name, args, &reply,
                        cmd->timeout_ms ? cmd->timeout_ms : TEST_TIMEOUT_MS) <
        0) {
        append_error(out);
        return;
    }
    g_string_append_printf(
        out, "%s\n",
        reply ? json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN)
              : "null");
}

static int
test_monitor_case(const void *opaque)
{
    const TestCase *tc = opaque;
    g_autofree char *rel = g_strdup_printf("qemumonitordata/%s", tc->name);
    g_autofree char *base = cvg_test_srcpath(rel);
    g_autofree char *script = g_strdup_printf("%s.reply", base);
    g_autofree char *expected = g_strdup_printf("%s.out", base);
    g_autofree char *actual = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    CvgTestQmpPeer *peer;
    TestRecorder rec;
    CvgQmp *mon;
    int ret = 0;
    int fd;
    size_t i;

    if (!(peer = cvg_test_qmp_peer_start(script, &fd)))
        return -1;
    recorder_init(&rec);
    rec.close_on = tc->close_on;
    rec.command_on = tc->command_on;
    cvg_error_reset();

    mon = cvg_qmp_open_fd(fd, test_ctx, &test_callbacks, &rec,
                          tc->open_timeout_ms ? tc->open_timeout_ms
                                              : TEST_TIMEOUT_MS);
    g_string_append(out, "open: ");
    if (!mon) {
        append_error(out);
    } else {
        int major, minor, micro;

        cvg_qmp_get_version(mon, &major, &minor, &micro);
        g_string_append_printf(out, "QEMU %d.%d.%d\n", major, minor, micro);
        if (tc->after_eof && !recorder_wait(&rec, NULL, TEST_TIMEOUT_MS))
            g_string_append(out, "no eof before the commands\n");
        for (i = 0; i < G_N_ELEMENTS(tc->cmds) && tc->cmds[i].name; i++)
            run_command(mon, &tc->cmds[i], out);
        /* Every script ends by closing the connection. */
        recorder_wait(&rec, NULL, TEST_TIMEOUT_MS);
        if (!rec.closed)
            cvg_qmp_close(mon);
    }
    if (cvg_test_qmp_peer_finish(peer) < 0)
        ret = -1;

    /* No callback runs after close. */
    g_string_append(out, rec.log->str);
    actual = normalize(out->str);
    if (cvg_test_compare_file(expected, actual) < 0) {
        fprintf(stderr, "--- %s: client saw:\n%s", tc->name, actual);
        ret = -1;
    }
    recorder_clear(&rec);
    return ret;
}

/* ---- cases that need threads ---- */

typedef struct {
    CvgQmp *mon;
    int thread;
    int failures;
    char *error; /* last error message seen */
    int error_code;
} TestWorker;

static void
worker_set_error(TestWorker *w)
{
    const CvgError *err = cvg_error_last();

    g_free(w->error);
    w->error = g_strdup(err ? err->message : "(none)");
    w->error_code = err ? err->code : -1;
}

static gpointer
close_waiter_thread(gpointer opaque)
{
    TestWorker *w = opaque;

    if (cvg_qmp_command_simple(w->mon, "query-status", TEST_TIMEOUT_MS) == 0)
        w->failures++;
    else
        worker_set_error(w);
    return NULL;
}

/* A caller blocked in a command is woken by cvg_qmp_close() from another
 * thread; the peer sends TEST_READY once it has the command, so the close
 * comes while the caller waits. */
static int
test_close_while_waiting(const void *opaque)
{
    g_autofree char *script =
        cvg_test_srcpath("qemumonitordata/close-while-waiting.reply");
    TestWorker w = {0};
    CvgTestQmpPeer *peer;
    TestRecorder rec;
    GThread *thread;
    int ret = 0;
    int fd;

    if (!(peer = cvg_test_qmp_peer_start(script, &fd)))
        return -1;
    recorder_init(&rec);
    if (!(w.mon = cvg_qmp_open_fd(fd, test_ctx, &test_callbacks, &rec,
                                  TEST_TIMEOUT_MS))) {
        cvg_test_qmp_peer_finish(peer);
        recorder_clear(&rec);
        return -1;
    }
    thread = g_thread_new("waiter", close_waiter_thread, &w);
    if (!recorder_wait(&rec, "event TEST_READY", TEST_TIMEOUT_MS)) {
        fprintf(stderr, "no TEST_READY event\n");
        ret = -1;
    }
    cvg_qmp_close(w.mon);
    g_thread_join(thread);
    if (cvg_test_qmp_peer_finish(peer) < 0)
        ret = -1;
    if (w.failures || w.error_code != CVG_ERR_OPERATION_FAILED ||
        g_strcmp0(w.error, "operation failed: QEMU monitor was closed") != 0) {
        fprintf(stderr, "waiter got %d: %s\n", w.error_code, w.error);
        ret = -1;
    }
    if (strstr(rec.log->str, "eof")) {
        fprintf(stderr, "eof callback after close\n");
        ret = -1;
    }
    g_free(w.error);
    recorder_clear(&rec);
    return ret;
}

#define WORKERS 4
#define WORKER_COMMANDS 10

static gpointer
echo_worker_thread(gpointer opaque)
{
    TestWorker *w = opaque;
    int i;

    for (i = 0; i < WORKER_COMMANDS; i++) {
        g_autoptr(json_object) args = json_object_new_object();
        g_autoptr(json_object) reply = NULL;

        json_object_object_add(args, "thread", json_object_new_int(w->thread));
        json_object_object_add(args, "seq", json_object_new_int(i));
        if (cvg_qmp_command(w->mon, "cvg-test-echo", args, &reply,
                            TEST_TIMEOUT_MS) < 0) {
            worker_set_error(w);
            w->failures++;
        } else if (!json_object_equal(args, reply)) {
            w->failures++;
        }
    }
    return NULL;
}

/* Four threads share a monitor; the peer answers each round of four
 * commands in reverse order, so every reply overtakes others. */
static int
test_concurrent(const void *opaque)
{
    g_autofree char *script =
        cvg_test_srcpath("qemumonitordata/concurrent.reply");
    TestWorker w[WORKERS] = {{0}};
    GThread *threads[WORKERS];
    CvgTestQmpPeer *peer;
    TestRecorder rec;
    CvgQmp *mon;
    int ret = 0;
    int fd;
    int i;

    if (!(peer = cvg_test_qmp_peer_start(script, &fd)))
        return -1;
    recorder_init(&rec);
    if (!(mon = cvg_qmp_open_fd(fd, test_ctx, &test_callbacks, &rec,
                                TEST_TIMEOUT_MS))) {
        cvg_test_qmp_peer_finish(peer);
        recorder_clear(&rec);
        return -1;
    }
    for (i = 0; i < WORKERS; i++) {
        w[i].mon = mon;
        w[i].thread = i;
        threads[i] = g_thread_new("worker", echo_worker_thread, &w[i]);
    }
    for (i = 0; i < WORKERS; i++) {
        g_thread_join(threads[i]);
        if (w[i].failures) {
            fprintf(stderr, "worker %d: %d failures (%s)\n", i, w[i].failures,
                    w[i].error ? w[i].error : "wrong reply");
            ret = -1;
        }
        g_free(w[i].error);
    }
    recorder_wait(&rec, NULL, TEST_TIMEOUT_MS);
    cvg_qmp_close(mon);
    if (cvg_test_qmp_peer_finish(peer) < 0)
        ret = -1;
    recorder_clear(&rec);
    return ret;
}

/* ---- cvg_qmp_open() on a path ---- */

static int
test_open_missing_socket(const void *opaque)
{
    const char *path = "/nonexistent-cvg-dir/qmp.sock";
    gint64 start = g_get_monotonic_time();
    const CvgError *err;
    CvgQmp *mon;

    cvg_error_reset();
    if ((mon = cvg_qmp_open(path, test_ctx, &test_callbacks, NULL, 200))) {
        cvg_qmp_close(mon);
        return -1;
    }
    err = cvg_error_last();
    if (!err || err->code != CVG_ERR_OPERATION_FAILED ||
        g_strcmp0(err->message,
                  "operation failed: failed to connect to QEMU monitor "
                  "'/nonexistent-cvg-dir/qmp.sock': "
                  "No such file or directory") != 0) {
        fprintf(stderr, "got: %s\n", err ? err->message : "no error");
        return -1;
    }
    /* It kept retrying until the timeout. */
    if (g_get_monotonic_time() - start < 200 * 1000) {
        fprintf(stderr, "gave up before the timeout\n");
        return -1;
    }
    return 0;
}

/* ---- fuzz corpus: each seed must go through without a crash ---- */

static int
test_fuzz_corpus(const void *opaque)
{
    g_autofree char *dir = cvg_test_srcpath("fuzz/qmp-reply");
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;
    int n = 0;

    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return -1;
    }
    while ((ent = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, ent, NULL);
        g_autofree char *data = NULL;
        gsize len;

        if (!g_file_get_contents(path, &data, &len, NULL))
            return -1;
        cvg_qmp_feed_for_fuzzing(data, len);
        n++;
    }
    return n > 0 ? 0 : -1;
}

/* ---- real QEMU ---- */

static int
qemu_check_status(CvgQmp *mon, const char *expected)
{
    g_autoptr(json_object) reply = NULL;
    const char *status;

    if (cvg_qmp_command(mon, "query-status", NULL, &reply, TEST_TIMEOUT_MS) <
        0) {
        fprintf(stderr, "query-status: %s\n", cvg_error_last()->message);
        return -1;
    }
    status = cvg_json_get_string(reply, "status");
    if (g_strcmp0(status, expected) != 0) {
        fprintf(stderr, "status '%s', expected '%s'\n",
                status ? status : "(none)", expected);
        return -1;
    }
    return 0;
}

static int
qemu_smoke(CvgQmp *mon, TestRecorder *rec)
{
    const char *bad = "unable to execute QEMU command 'cvg-no-such-command'";
    int major = 0;

    cvg_qmp_get_version(mon, &major, NULL, NULL);
    if (major < 7) {
        fprintf(stderr, "QEMU major version %d\n", major);
        return -1;
    }
    /* -S: the guest has not started yet. */
    if (qemu_check_status(mon, "prelaunch") < 0)
        return -1;
    if (cvg_qmp_command_simple(mon, "cont", TEST_TIMEOUT_MS) < 0) {
        fprintf(stderr, "cont: %s\n", cvg_error_last()->message);
        return -1;
    }
    if (qemu_check_status(mon, "running") < 0)
        return -1;
    if (cvg_qmp_command_simple(mon, "cvg-no-such-command", TEST_TIMEOUT_MS) ==
            0 ||
        cvg_error_last()->code != CVG_ERR_INTERNAL_ERROR ||
        !strstr(cvg_error_last()->message, bad)) {
        fprintf(stderr, "unknown command did not fail as expected\n");
        return -1;
    }
    if (cvg_qmp_command_simple(mon, "quit", TEST_TIMEOUT_MS) < 0) {
        fprintf(stderr, "quit: %s\n", cvg_error_last()->message);
        return -1;
    }
    if (!recorder_wait(rec, NULL, 10000) || !rec->eof) {
        fprintf(stderr, "no eof after quit\n");
        return -1;
    }
    if (!strstr(rec->log->str, "event RESUME")) {
        fprintf(stderr, "no RESUME event after cont\n");
        return -1;
    }
    return 0;
}

static int
test_real_qemu(const void *opaque)
{
    const char *qemu = opaque;
    g_autofree char *dir = g_dir_make_tmp("cvg-qmp-XXXXXX", NULL);
    g_autofree char *path = NULL;
    g_autofree char *qmp_arg = NULL;
    g_autoptr(GError) error = NULL;
    TestRecorder rec;
    CvgQmp *mon;
    GPid pid;
    int ret = -1;
    int status;

    if (!qemu) {
        fprintf(stderr, "qemu-system-x86_64 not found in PATH\n");
        return -1;
    }
    if (!dir)
        return -1;
    path = g_build_filename(dir, "qmp.sock", NULL);
    qmp_arg = g_strdup_printf("unix:%s,server=on,wait=off", path);
    {
        const char *argv[] = {
            qemu,          "-machine", "pc",   "-accel", "tcg",  "-m",    "64",
            "-nodefaults", "-display", "none", "-S",     "-qmp", qmp_arg, NULL};

        if (!g_spawn_async(NULL, (char **)argv, NULL,
                           G_SPAWN_DO_NOT_REAP_CHILD |
                               G_SPAWN_STDOUT_TO_DEV_NULL,
                           NULL, NULL, &pid, &error)) {
            fprintf(stderr, "cannot start %s: %s\n", qemu, error->message);
            g_rmdir(dir);
            return -1;
        }
    }

    recorder_init(&rec);
    /* QEMU needs a moment to create the socket: open retries. */
    if ((mon = cvg_qmp_open(path, test_ctx, &test_callbacks, &rec, 30000))) {
        ret = qemu_smoke(mon, &rec);
        cvg_qmp_close(mon);
    } else {
        fprintf(stderr, "open: %s\n", cvg_error_last()->message);
    }

    /* Whatever happened, QEMU must not outlive the test. */
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    g_spawn_close_pid(pid);
    unlink(path);
    g_rmdir(dir);
    recorder_clear(&rec);
    return ret;
}

int
main(void)
{
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    GThread *thread;
    size_t i;

    test_ctx = g_main_context_new();
    test_loop = g_main_loop_new(test_ctx, FALSE);
    thread = g_thread_new("qmp-loop", loop_thread, NULL);
    /* A quit before the loop runs would be lost. */
    while (!g_main_loop_is_running(test_loop))
        g_usleep(1000);

    for (i = 0; i < G_N_ELEMENTS(cases); i++)
        cvg_test_run(cases[i].name, test_monitor_case, &cases[i]);
    cvg_test_run("close-while-waiting", test_close_while_waiting, NULL);
    cvg_test_run("concurrent", test_concurrent, NULL);
    cvg_test_run("open-missing-socket", test_open_missing_socket, NULL);
    cvg_test_run("fuzz-corpus", test_fuzz_corpus, NULL);
    /* The test command installs QEMU: without it this case fails. */
    cvg_test_run("real-qemu", test_real_qemu, qemu);

    g_main_loop_quit(test_loop);
    g_thread_join(thread);
    g_main_loop_unref(test_loop);
    g_main_context_unref(test_ctx);
    return cvg_test_finish();
}
