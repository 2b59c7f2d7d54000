/*
 * sasltest.c: cvg-sasl without a daemon
 *
 * - auth.conf lookup: every tests/sasldata/auth-NAME.conf is read for host
 *   127.0.0.1 and the result compared with auth-NAME.out;
 * - sasl_allowed_username_list matching;
 * - a whole DIGEST-MD5 exchange between a server and a client session
 *   against a sasldb made with saslpasswd2 (skipped without it), the
 *   wrong password, the SSF floor refusing SCRAM on plain TCP, and the
 *   security layer carrying 300 KB (many packets) both ways intact.
 */
#include "cvg-sasl.h"
#include "cvg-error.h"
#include "testutils.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DATADIR "sasldata"

static int
test_auth_file(const void *data)
{
    const char *name = data;
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autofree char *conf = cvg_test_case_path(DATADIR, name, ".conf");
    g_autofree char *out = cvg_test_case_path(DATADIR, name, ".out");
    g_autofree char *authname = NULL;
    g_autofree char *password = NULL;
    g_autoptr(GString) actual = g_string_new(NULL);

    if (cvg_sasl_auth_file_lookup(conf, "127.0.0.1", &authname, &password) <
        0) {
        g_string_append_printf(actual, "error %d: %s\n", cvg_error_last()->code,
                               cvg_error_last()->message);
        g_string_replace(actual, dir, "DATADIR", 0);
        /* GLib's own words (and quotes) depend on the locale. */
        if (strstr(actual->str, "': "))
            g_string_truncate(actual,
                              strstr(actual->str, "': ") - actual->str + 1);
    } else {
        g_string_append_printf(actual, "authname=%s\npassword=%s\n", authname,
                               password);
    }
    cvg_error_reset();
    return cvg_test_compare_file(out, actual->str);
}

static int
test_username_allowed(const void *data G_GNUC_UNUSED)
{
    const char *const none[] = {NULL};
    const char *const list[] = {"fred", "ali*", "ops-?", NULL};

    if (!cvg_sasl_username_allowed(NULL, "anyone") ||
        !cvg_sasl_username_allowed(none, "anyone") ||
        !cvg_sasl_username_allowed(list, "fred") ||
        !cvg_sasl_username_allowed(list, "alice") ||
        !cvg_sasl_username_allowed(list, "ops-1") ||
        cvg_sasl_username_allowed(list, "fredx") ||
        cvg_sasl_username_allowed(list, "ops-12") ||
        cvg_sasl_username_allowed(list, "") ||
        cvg_sasl_username_allowed(list, NULL))
        return -1;
    return 0;
}

/* Run the exchange to its end; 0 when both sides say complete. */
static int
exchange(CvgSaslSession *srv, CvgSaslSession *cli, const char *mechlist)
{
    g_autofree char *list =
        mechlist ? g_strdup(mechlist) : cvg_sasl_server_mechlist(srv);
    g_autofree char *mech = NULL;
    g_autofree char *cout = NULL;
    g_autofree char *sout = NULL;
    size_t coutlen = 0, soutlen = 0;
    int rc_c, rc_s;

    if (!list ||
        (rc_c = cvg_sasl_client_start(cli, list, &mech, &cout, &coutlen)) < 0 ||
        (rc_s = cvg_sasl_server_start(srv, mech, cout, coutlen, &sout,
                                      &soutlen)) < 0)
        return -1;
    for (int i = 0; i < 8; i++) {
        if (rc_c == 1 && rc_s == 1)
            return 0;
        g_clear_pointer(&cout, g_free);
        if ((rc_c = cvg_sasl_client_step(cli, sout, soutlen, &cout, &coutlen)) <
            0)
            return -1;
        if (rc_s == 1)
            return 0;
        g_clear_pointer(&sout, g_free);
        if ((rc_s = cvg_sasl_server_step(srv, cout, coutlen, &sout, &soutlen)) <
            0)
            return -1;
    }
    return -1;
}

/* The transports never block: wait as the server's main loop would. */
static void
wait_for(CvgRpcTransport *tr, short events)
{
    struct pollfd pfd = {.fd = cvg_rpc_transport_fd(tr), .events = events};

    poll(&pfd, 1, 5000);
}

typedef struct {
    CvgRpcTransport *tr;
    const guint8 *buf;
    size_t len;
} SendJob;

static gpointer
send_all(gpointer data)
{
    SendJob *job = data;

    for (size_t off = 0; off < job->len;) {
        ssize_t n =
            cvg_rpc_transport_send(job->tr, job->buf + off, job->len - off);

        if (n < 0 && errno == EAGAIN) {
            wait_for(job->tr, POLLOUT);
            continue;
        }
        if (n <= 0)
            return GINT_TO_POINTER(-1);
        off += n;
    }
    return GINT_TO_POINTER(0);
}

/* @len bytes from @from to @to through their layers, compared. */
static int
layer_carry(CvgRpcTransport *from, CvgRpcTransport *to, size_t len)
{
    g_autofree guint8 *sent = g_malloc(len);
    g_autofree guint8 *got = g_malloc(len);
    SendJob job = {from, sent, len};
    GThread *th;
    size_t off = 0;

    for (size_t i = 0; i < len; i++)
        sent[i] = (guint8)(i * 7 + i / 251);
    th = g_thread_new("send", send_all, &job);
    while (off < len) {
        ssize_t n = cvg_rpc_transport_recv(to, got + off, len - off);

        if (n < 0 && errno == EAGAIN) {
            wait_for(to, POLLIN);
            continue;
        }
        if (n <= 0)
            break;
        off += n;
    }
    if (GPOINTER_TO_INT(g_thread_join(th)) < 0 || off != len ||
        memcmp(sent, got, len) != 0) {
        fprintf(stderr, "layer carried %zu of %zu bytes\n", off, len);
        return -1;
    }
    return 0;
}

static const char *sasl_dir;

/* A session pair over a fresh socketpair; the transports own the fds. */
static int
session_pair(const char *password, CvgSaslSession **ret_srv,
             CvgSaslSession **ret_cli, CvgRpcTransport **ret_srv_tr,
             CvgRpcTransport **ret_cli_tr)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1;
    *ret_srv_tr = cvg_rpc_transport_new(sv[0], false);
    *ret_cli_tr = cvg_rpc_transport_new(sv[1], false);
    *ret_srv = cvg_sasl_server_new(sv[0], false);
    *ret_cli = cvg_sasl_client_new(sv[1], "localhost", false, "fred", password);
    return *ret_srv && *ret_cli ? 0 : -1;
}

static int
test_exchange(const void *data G_GNUC_UNUSED)
{
    g_autoptr(CvgSaslSession) srv = NULL;
    g_autoptr(CvgSaslSession) cli = NULL;
    g_autoptr(CvgRpcTransport) srv_tr = NULL;
    g_autoptr(CvgRpcTransport) cli_tr = NULL;
    unsigned int ssf_s = 0, ssf_c = 0;

    if (session_pair("secret123", &srv, &cli, &srv_tr, &cli_tr) < 0 ||
        exchange(srv, cli, NULL) < 0 || cvg_sasl_session_ssf(srv, &ssf_s) < 0 ||
        cvg_sasl_session_ssf(cli, &ssf_c) < 0) {
        fprintf(stderr, "%s\n", cvg_error_last()->message);
        return -1;
    }
    if (ssf_s < CVG_SASL_MIN_SSF_PLAIN || ssf_s != ssf_c ||
        g_strcmp0(cvg_sasl_session_username(srv), "fred") != 0)
        return -1;
    cvg_rpc_transport_push(srv_tr, &cvg_sasl_layer_ops, g_steal_pointer(&srv),
                           true);
    cvg_rpc_transport_push(cli_tr, &cvg_sasl_layer_ops, g_steal_pointer(&cli),
                           true);
    if (!cvg_rpc_transport_is_encrypted(srv_tr) ||
        strcmp(cvg_rpc_transport_describe(srv_tr), "tcp+sasl") != 0)
        return -1;
    return layer_carry(cli_tr, srv_tr, 300000) < 0 ||
                   layer_carry(srv_tr, cli_tr, 300000) < 0 ||
                   layer_carry(cli_tr, srv_tr, 1) < 0
               ? -1
               : 0;
}

static int
test_wrong_password(const void *data G_GNUC_UNUSED)
{
    g_autoptr(CvgSaslSession) srv = NULL;
    g_autoptr(CvgSaslSession) cli = NULL;
    g_autoptr(CvgRpcTransport) srv_tr = NULL;
    g_autoptr(CvgRpcTransport) cli_tr = NULL;

    if (session_pair("wrong", &srv, &cli, &srv_tr, &cli_tr) < 0 ||
        exchange(srv, cli, NULL) == 0)
        return -1;
    return cvg_error_last()->code == CVG_ERR_AUTH_FAILED ? 0 : -1;
}

/* Out of order: a step before the start (Cyrus SASL would dereference
 * the mechanism it does not have yet: found by fuzz-preauth), a second
 * start. */
static int
test_out_of_order(const void *data G_GNUC_UNUSED)
{
    g_autoptr(CvgSaslSession) srv = NULL;
    g_autoptr(CvgSaslSession) cli = NULL;
    g_autoptr(CvgRpcTransport) srv_tr = NULL;
    g_autoptr(CvgRpcTransport) cli_tr = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;
    size_t outlen = 0;

    if (session_pair("secret123", &srv, &cli, &srv_tr, &cli_tr) < 0 ||
        cvg_sasl_server_step(srv, "x", 1, &out, &outlen) >= 0 ||
        cvg_sasl_server_start(srv, "DIGEST-MD5", NULL, 0, &out, &outlen) != 0 ||
        cvg_sasl_server_start(srv, "DIGEST-MD5", NULL, 0, &out2, &outlen) >= 0)
        return -1;
    cvg_error_reset();
    return 0;
}

/* SCRAM brings no security layer: on plain TCP it is below the floor, on
 * either side. */
static int
test_weak_mechanism(const void *data G_GNUC_UNUSED)
{
    g_autoptr(CvgSaslSession) srv = NULL;
    g_autoptr(CvgSaslSession) cli = NULL;
    g_autoptr(CvgRpcTransport) srv_tr = NULL;
    g_autoptr(CvgRpcTransport) cli_tr = NULL;
    g_autofree char *list = NULL;
    g_autofree char *out = NULL;
    size_t outlen = 0;

    if (session_pair("secret123", &srv, &cli, &srv_tr, &cli_tr) < 0 ||
        !(list = cvg_sasl_server_mechlist(srv)))
        return -1;
    if (strstr(list, "SCRAM") || !strstr(list, "DIGEST-MD5")) {
        fprintf(stderr, "plain TCP offers %s\n", list);
        return -1;
    }
    if (exchange(srv, cli, "SCRAM-SHA-256") == 0 ||
        cvg_sasl_server_start(srv, "SCRAM-SHA-256", NULL, 0, &out, &outlen) >=
            0)
        return -1;
    cvg_error_reset();
    return 0;
}

/* A sasldb with fred / secret123 and the service's configuration, in a
 * fresh directory; NULL when saslpasswd2 is not installed. */
static char *
make_sasl_dir(void)
{
    g_autofree char *tool = g_find_program_in_path("saslpasswd2");
    g_autofree char *dir = g_dir_make_tmp("cvg-sasltest-XXXXXX", NULL);
    g_autofree char *db = NULL;
    g_autofree char *conf = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *text = NULL;

    if (!tool &&
        g_file_test("/usr/sbin/saslpasswd2", G_FILE_TEST_IS_EXECUTABLE))
        tool = g_strdup("/usr/sbin/saslpasswd2");
    if (!tool || !dir)
        return NULL;
    db = g_build_filename(dir, "passwd.db", NULL);
    conf = g_build_filename(dir, "libvirt.conf", NULL);
    cmd = g_strdup_printf("printf secret123 | %s -p -c -f %s -a libvirt fred",
                          tool, db);
    text = g_strdup_printf("mech_list: digest-md5 scram-sha-256\n"
                           "sasldb_path: %s\n",
                           db);
    if (system(cmd) != 0 || !g_file_set_contents(conf, text, -1, NULL))
        return NULL;
    return g_steal_pointer(&dir);
}

static void
remove_sasl_dir(const char *dir)
{
    g_autofree char *db = g_build_filename(dir, "passwd.db", NULL);
    g_autofree char *conf = g_build_filename(dir, "libvirt.conf", NULL);

    unlink(db);
    unlink(conf);
    rmdir(dir);
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".conf");
    g_autofree char *tmp = NULL;

    for (guint i = 0; i < cases->len; i++)
        cvg_test_run(cases->pdata[i], test_auth_file, cases->pdata[i]);
    cvg_test_run("username-allowed", test_username_allowed, NULL);
    if (!(tmp = make_sasl_dir())) {
        printf("skip exchange cases: saslpasswd2 (sasl2-bin) not installed\n");
        return cvg_test_finish();
    }
    sasl_dir = tmp;
    if (cvg_sasl_server_init(sasl_dir) < 0 || cvg_sasl_client_init() < 0) {
        fprintf(stderr, "%s\n", cvg_error_last()->message);
        remove_sasl_dir(tmp);
        return 1;
    }
    cvg_test_run("exchange-and-layer", test_exchange, NULL);
    cvg_test_run("wrong-password", test_wrong_password, NULL);
    cvg_test_run("weak-mechanism", test_weak_mechanism, NULL);
    cvg_test_run("out-of-order", test_out_of_order, NULL);
    remove_sasl_dir(tmp);
    return cvg_test_finish();
}
