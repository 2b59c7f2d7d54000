/*
 * tlstest.c: TLS contexts, DN matching, and the listener against the peer
 * client
 *
 * - tls_allowed_dn_list patterns against DNs as GnuTLS prints them;
 * - a context that cannot be made says which file and why;
 * - with certificates made by certtool (skipped when it is missing): a
 *   TLS listener of cvg-server and cvg_rpc_conn_open() over qemu+tls with
 *   ?pkipath: accepted, a wrong CA on either side, a DN outside the list,
 *   a host the certificate does not name, and ?no_verify=1.
 */
#include "cvg-client.h"
#include "cvg-error.h"
#include "cvg-protocol.h"
#include "cvg-server.h"
#include "cvg-tls.h"
#include "testutils.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *
last_message(void)
{
    const CvgError *err = cvg_error_last();

    return err ? err->message : "no error reported";
}

/* The last error has @code and its message contains @part. */
static int
expect_error(int code, const char *part)
{
    const CvgError *err = cvg_error_last();

    if (!err || err->code != code || !strstr(err->message, part)) {
        fprintf(stderr, "want error %d with '%s', got %d: %s\n", code, part,
                err ? err->code : 0, last_message());
        return -1;
    }
    return 0;
}

typedef struct {
    const char *dn;
    const char *patterns; /* ';'-separated, "" for an empty list */
    bool allowed;
} DnCase;

static const DnCase dn_cases[] = {
    {"C=GB,O=x,CN=y", NULL, true},
    {"C=GB,O=x,CN=y", "", true},
    {"C=GB,O=x,CN=y", "C=GB,O=x,CN=y", true},
    {"C=GB,O=x,CN=y", "C=GB,O=x,CN=*", true},
    {"C=GB,O=x,CN=y", "*CN=y", true},
    {"C=GB,O=x,CN=y", "C=GB,O=x,CN=z;C=GB,O=*,CN=y", true},
    {"C=GB,O=x,CN=y", "C=GB,O=x,CN=z", false},
    {"C=GB,O=x,CN=y", "C=GB,O=x", false},
    {"C=GB,O=x,CN=y", "c=gb,o=x,cn=y", false},
    {"C=GB,O=x,CN=yy", "C=GB,O=x,CN=?", false},
    {NULL, "*", false},
    {"", "C=GB*", false},
};

static int
test_dn(const void *data G_GNUC_UNUSED)
{
    for (size_t i = 0; i < G_N_ELEMENTS(dn_cases); i++) {
        const DnCase *c = &dn_cases[i];
        g_auto(GStrv) pats =
            c->patterns ? g_strsplit(c->patterns, ";", -1) : NULL;

        if (pats && !*c->patterns) {
            g_strfreev(pats);
            pats = g_new0(char *, 1);
        }
        if (cvg_tls_dn_allowed(c->dn, pats) != c->allowed) {
            fprintf(stderr, "DN '%s' with '%s': want %s\n",
                    c->dn ? c->dn : "(null)",
                    c->patterns ? c->patterns : "(null)",
                    c->allowed ? "allowed" : "refused");
            return -1;
        }
    }
    return 0;
}

static char *tmpdir;

static char *
tmp_file(const char *name, const char *content)
{
    char *path = g_build_filename(tmpdir, name, NULL);

    if (content)
        g_file_set_contents(path, content, -1, NULL);
    return path;
}

/* A context that cannot be made: the error names the missing file. */
static int
test_missing_files(const void *data G_GNUC_UNUSED)
{
    g_autofree char *missing = tmp_file("missing.pem", NULL);
    g_autofree char *junk = tmp_file("junk.pem", "not a certificate\n");
    CvgTlsConfig cases[] = {
        {.ca_file = missing, .cert_file = junk, .key_file = junk},
        {.ca_file = junk, .cert_file = missing, .key_file = junk},
        {.ca_file = junk, .cert_file = junk, .key_file = missing},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        cvg_error_reset();
        if (cvg_tls_context_new(&cases[i], i % 2 == 0)) {
            fprintf(stderr, "case %zu: a context without files\n", i);
            return -1;
        }
        if (expect_error(CVG_ERR_SYSTEM_ERROR, missing) < 0)
            return -1;
    }
    cvg_error_reset();
    if (cvg_tls_context_new(&(CvgTlsConfig){.cert_file = junk}, true) ||
        expect_error(CVG_ERR_CONFIG_UNSUPPORTED, "CA certificate") < 0)
        return -1;
    /* Present but not PEM. */
    cvg_error_reset();
    if (cvg_tls_context_new(&(CvgTlsConfig){.ca_file = junk,
                                            .cert_file = junk,
                                            .key_file = junk},
                            true) ||
        expect_error(CVG_ERR_SYSTEM_ERROR, junk) < 0)
        return -1;
    return 0;
}

/* ---- certificates made with certtool ---- */

static int
run_certtool(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("certtool %s", args);
    g_auto(GStrv) argv = NULL;
    int status = 0;

    if (!g_shell_parse_argv(cmd, NULL, &argv, NULL) ||
        !g_spawn_sync(tmpdir, argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                          G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        fprintf(stderr, "certtool %s failed\n", args);
        return -1;
    }
    return 0;
}

/* @name's key and certificate signed by @ca ("" for self-signed). */
static int
make_cert(const char *name, const char *ca, const char *tmpl)
{
    g_autofree char *info = g_strdup_printf("%s.info", name);
    g_autofree char *genkey =
        g_strdup_printf("--generate-privkey --outfile %skey.pem", name);
    g_autofree char *sign = NULL;

    g_free(tmp_file(info, tmpl));
    if (!*ca)
        sign = g_strdup_printf("--generate-self-signed --load-privkey "
                               "%skey.pem --template %s --outfile %scert.pem",
                               name, info, name);
    else
        sign = g_strdup_printf(
            "--generate-certificate --load-privkey %skey.pem "
            "--load-ca-certificate %scert.pem --load-ca-privkey %skey.pem "
            "--template %s --outfile %scert.pem",
            name, ca, ca, info, name);
    return run_certtool(genkey) < 0 || run_certtool(sign) < 0 ? -1 : 0;
}

/* A client pki directory @dir with @ca's certificate and @client's. */
static int
make_pkipath(const char *dir, const char *ca, const char *client)
{
    const char *names[][2] = {{"cacert.pem", ca},
                              {"clientcert.pem", client},
                              {"clientkey.pem", client}};
    g_autofree char *path = g_build_filename(tmpdir, dir, NULL);

    g_mkdir(path, 0700);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *src = g_strdup_printf(
            "%s/%s%s", tmpdir, names[i][1],
            strstr(names[i][0], "key") ? "key.pem" : "cert.pem");
        g_autofree char *dst = g_build_filename(path, names[i][0], NULL);
        g_autofree char *text = cvg_test_load_file(src);

        if (!text || !g_file_set_contents(dst, text, -1, NULL))
            return -1;
    }
    return 0;
}

static int
make_pki(void)
{
    if (make_cert("ca", "",
                  "cn = test CA\nca\ncert_signing_key\n"
                  "expiration_days = 2\n") < 0 ||
        make_cert("otherca", "",
                  "cn = other CA\nca\ncert_signing_key\n"
                  "expiration_days = 2\n") < 0 ||
        make_cert("server", "ca",
                  "organization = convergd test\ncn = localhost\n"
                  "dns_name = localhost\nip_address = 127.0.0.1\n"
                  "tls_www_server\nencryption_key\nsigning_key\n"
                  "expiration_days = 2\n") < 0 ||
        make_cert("client", "ca",
                  "country = GB\norganization = convergd test\n"
                  "cn = client1\ntls_www_client\nencryption_key\n"
                  "signing_key\nexpiration_days = 2\n") < 0 ||
        make_cert("foreigner", "otherca",
                  "country = GB\norganization = convergd test\n"
                  "cn = client2\ntls_www_client\nencryption_key\n"
                  "signing_key\nexpiration_days = 2\n") < 0 ||
        make_cert("stranger", "ca",
                  "country = FR\norganization = elsewhere\ncn = who\n"
                  "tls_www_client\nencryption_key\nsigning_key\n"
                  "expiration_days = 2\n") < 0)
        return -1;
    return make_pkipath("good", "ca", "client") < 0 ||
                   make_pkipath("wrongca", "otherca", "client") < 0 ||
                   make_pkipath("stranger", "ca", "stranger") < 0 ||
                   make_pkipath("foreigner", "ca", "foreigner") < 0 ||
                   make_pkipath("server", "ca", "server") < 0
               ? -1
               : 0;
}

/* ---- a server with the three procedures a connection needs ---- */

static int
h_open(void *o G_GNUC_UNUSED, CvgRpcClient *c, const void *a G_GNUC_UNUSED,
       void *r G_GNUC_UNUSED)
{
    cvg_rpc_client_set_opened(c, false);
    return 0;
}

static int
h_close(void *o G_GNUC_UNUSED, CvgRpcClient *c G_GNUC_UNUSED,
        const void *a G_GNUC_UNUSED, void *r G_GNUC_UNUSED)
{
    return 0;
}

static char *last_identity;

static int
h_auth_list(void *o G_GNUC_UNUSED, CvgRpcClient *c, const void *a G_GNUC_UNUSED,
            void *r)
{
    CvgRemoteAuthListRet *ret = r;

    g_free(last_identity);
    last_identity = g_strdup(cvg_rpc_client_identity(c));
    ret->types.types_len = 1;
    ret->types.types_val = g_new0(int, 1);
    return 0;
}

static const CvgRpcProcedure procs[] = {
    {CVG_PROC_CONNECT_OPEN, (xdrproc_t)xdr_CvgRemoteConnectOpenArgs,
     sizeof(CvgRemoteConnectOpenArgs), CVG_XDR_VOID, 0, h_open, 0,
     "virConnectOpen"},
    {CVG_PROC_CONNECT_CLOSE, CVG_XDR_VOID, 0, CVG_XDR_VOID, 0, h_close, 0,
     "virConnectClose"},
    {CVG_PROC_AUTH_LIST, CVG_XDR_VOID, 0, (xdrproc_t)xdr_CvgRemoteAuthListRet,
     sizeof(CvgRemoteAuthListRet), h_auth_list, 0, "virConnectAuthList"},
};

/* A listening socket on @addr, its port in *@ret_port. */
static int
listen_on(const char *addr, int *ret_port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("listen");
        return -1;
    }
    *ret_port = ntohs(sa.sin_port);
    return fd;
}

static GMainLoop *loop;
static int port1, port2; /* 127.0.0.1 and 127.0.0.2 */

static gpointer
loop_thread(gpointer data G_GNUC_UNUSED)
{
    g_main_loop_run(loop);
    return NULL;
}

/* Open @pki (a pkipath under tmpdir) at @host:@port with @extra params;
 * 0 when it opened. */
static int
try_open(const char *host, int port, const char *pki, const char *extra)
{
    g_autofree char *uri =
        g_strdup_printf("qemu+tls://%s:%d/system?pkipath=%s/%s%s", host, port,
                        tmpdir, pki, extra);
    CvgRpcConn *conn;

    cvg_error_reset();
    if (!(conn = cvg_rpc_conn_open(uri, NULL, 5000)))
        return -1;
    cvg_rpc_conn_close(conn);
    return 0;
}

static int
test_conn_good(const void *data G_GNUC_UNUSED)
{
    if (try_open("127.0.0.1", port1, "good", "") < 0) {
        fprintf(stderr, "good client: %s\n", last_message());
        return -1;
    }
    if (g_strcmp0(last_identity, "C=GB,O=convergd test,CN=client1") != 0) {
        fprintf(stderr, "identity '%s'\n", last_identity);
        return -1;
    }
    if (try_open("localhost", port1, "good", "") < 0) {
        fprintf(stderr, "good client by name: %s\n", last_message());
        return -1;
    }
    return 0;
}

static int
test_conn_refused(const void *data G_GNUC_UNUSED)
{
    /* We do not trust the server. */
    if (try_open("127.0.0.1", port1, "wrongca", "") == 0 ||
        expect_error(CVG_ERR_AUTH_FAILED, "not signed by a known CA") < 0)
        return -1;
    /* The server does not name 127.0.0.2. */
    if (try_open("127.0.0.2", port2, "good", "") == 0 ||
        expect_error(CVG_ERR_AUTH_FAILED, "does not name the host") < 0)
        return -1;
    /* The server does not accept our DN. */
    if (try_open("127.0.0.1", port1, "stranger", "") == 0 ||
        expect_error(CVG_ERR_AUTH_FAILED, "refused our TLS certificate") < 0)
        return -1;
    /* The server does not accept our CA (a plain handshake failure or the
     * missing status byte, depending on the TLS version). */
    if (try_open("127.0.0.1", port1, "foreigner", "") == 0 ||
        expect_error(CVG_ERR_AUTH_FAILED, "127.0.0.1") < 0)
        return -1;
    /* A server certificate is no client certificate. */
    if (try_open("127.0.0.1", port1, "server", "") == 0 ||
        expect_error(CVG_ERR_AUTH_FAILED, "refused our TLS certificate") < 0)
        return -1;
    /* Still serving. */
    return test_conn_good(NULL);
}

static int
test_conn_no_verify(const void *data G_GNUC_UNUSED)
{
    if (try_open("127.0.0.2", port2, "good", "&no_verify=1") < 0) {
        fprintf(stderr, "no_verify: %s\n", last_message());
        return -1;
    }
    return 0;
}

static int
test_bad_priority(const void *data)
{
    CvgTlsConfig tc = *(const CvgTlsConfig *)data;

    tc.priority = "NORMAL:not-a-keyword";
    cvg_error_reset();
    if (cvg_tls_context_new(&tc, true))
        return -1;
    return expect_error(CVG_ERR_CONFIG_UNSUPPORTED, "not-a-keyword");
}

static int
fail_make_pki(const void *data G_GNUC_UNUSED)
{
    return -1;
}

static void
run_pki_cases(void)
{
    g_autofree char *ca = g_build_filename(tmpdir, "cacert.pem", NULL);
    g_autofree char *cert = g_build_filename(tmpdir, "servercert.pem", NULL);
    g_autofree char *key = g_build_filename(tmpdir, "serverkey.pem", NULL);
    char *dns[] = {"C=GB,O=convergd test,CN=client*", NULL};
    CvgTlsConfig tc = {
        .ca_file = ca, .cert_file = cert, .key_file = key, .allowed_dn = dns};
    g_autoptr(CvgTlsContext) ctx = NULL;
    CvgRpcServer *srv;
    CvgRpcListenerOpts opts = {.handshake = &cvg_tls_server_handshake,
                               .handshake_timeout = 5};
    GThread *th;
    int fd1, fd2;

    cvg_test_run("bad-priority", test_bad_priority, &tc);
    if (!(ctx = cvg_tls_context_new(&tc, true))) {
        fprintf(stderr, "server context: %s\n", last_message());
        abort();
    }
    opts.handshake_opaque = ctx;
    srv = cvg_rpc_server_new(procs, G_N_ELEMENTS(procs), 2, NULL, NULL);
    if ((fd1 = listen_on("127.0.0.1", &port1)) < 0 ||
        (fd2 = listen_on("127.0.0.2", &port2)) < 0 ||
        cvg_rpc_server_add_fd(srv, fd1, "tls1", &opts) < 0 ||
        cvg_rpc_server_add_fd(srv, fd2, "tls2", &opts) < 0)
        abort();
    loop = g_main_loop_new(NULL, FALSE);
    th = g_thread_new("loop", loop_thread, NULL);
    cvg_test_run("conn-good", test_conn_good, NULL);
    cvg_test_run("conn-refused", test_conn_refused, NULL);
    cvg_test_run("conn-no-verify", test_conn_no_verify, NULL);
    g_main_loop_quit(loop);
    g_thread_join(th);
    cvg_rpc_server_free(srv);
    g_main_loop_unref(loop);
}

/* Remove @dir and what it holds (two levels: the pki directories). */
static void
rm_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            rm_tree(path);
        else
            unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    g_autofree char *certtool = g_find_program_in_path("certtool");

    tmpdir = g_dir_make_tmp("cvg-tlstest-XXXXXX", NULL);
    cvg_test_run("dn-match", test_dn, NULL);
    cvg_test_run("missing-files", test_missing_files, NULL);
    if (!certtool)
        fprintf(stderr, "certtool not found: TLS connections not tested\n");
    else if (make_pki() < 0)
        cvg_test_run("make-pki", fail_make_pki, NULL);
    else
        run_pki_cases();
    rm_tree(tmpdir);
    g_free(tmpdir);
    g_free(last_identity);
    return cvg_test_finish();
}
