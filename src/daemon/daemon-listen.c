/*
 * daemon-listen.c: the sockets the daemon serves
 */
#include "daemon-listen.h"
#include "daemon-systemd.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* libvirt's default paths: clients use them for qemu:///system and for
 * qemu+ssh://HOST/system when no ?socket= is given. */
#define LIBVIRT_SOCK_DIR "/run/libvirt"
#define LIBVIRT_SOCK LIBVIRT_SOCK_DIR "/libvirt-sock"
#define LIBVIRT_SOCK_RO LIBVIRT_SOCK_DIR "/libvirt-sock-ro"

typedef struct {
    const char *fdname; /* FileDescriptorName= of its socket unit */
    const char *path;   /* NULL: served only when passed */
    unsigned int mode;
    bool readonly;
    bool libvirt; /* another daemon may own the path: look first */
} CvgEndpoint;

/* What @cfg asks to serve; returns how many entries of @ret. */
static size_t
endpoints(const CvgDaemonConfig *cfg, CvgEndpoint ret[4])
{
    size_t n = 0;

    ret[n++] = (CvgEndpoint){CVG_FDNAME_RW, cfg->socket_path, cfg->socket_mode,
                             false, false};
    ret[n++] = (CvgEndpoint){CVG_FDNAME_RO, cfg->readonly_socket_path, 0666,
                             true, false};
    if (cfg->listen_libvirt_socket) {
        ret[n++] = (CvgEndpoint){"libvirt-rw", LIBVIRT_SOCK, 0600, false, true};
        ret[n++] =
            (CvgEndpoint){"libvirt-ro", LIBVIRT_SOCK_RO, 0666, true, true};
    }
    return n;
}

/* Whether a daemon listens on the socket at @path: 1 yes (its pid in
 * *@ret_pid, 0 if unknown), 0 no (a stale file), -1 reported. */
static int
someone_listens(const char *path, int *ret_pid)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct ucred cred = {0};
    socklen_t len = sizeof(cred);
    int fd, rc;

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) <
        0) {
        cvg_error_report_system(errno, _("cannot create socket"));
        return -1;
    }
    rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    /* A full backlog (EAGAIN) is a listener too. */
    if (rc == 0 || errno == EAGAIN) {
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
            cred.pid = 0;
        close(fd);
        *ret_pid = cred.pid;
        return 1;
    }
    rc = errno;
    close(fd);
    if (rc == ECONNREFUSED || rc == ENOENT)
        return 0;
    cvg_error_report_system(rc, _("cannot connect to socket '%s'"), path);
    return -1;
}

/* Make @path (one of libvirt's) ours to bind, unless another daemon
 * serves it. */
static int
claim_libvirt_path(CvgDaemon *d, const char *path)
{
    struct stat st;
    int pid = 0;
    int rc;

    if (mkdir(LIBVIRT_SOCK_DIR, 0755) == 0)
        d->libvirt_mkdir = true;
    else if (errno != EEXIST) {
        cvg_error_report_system(errno, _("cannot create directory '%s'"),
                                LIBVIRT_SOCK_DIR);
        return -1;
    }
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("'%s' exists and is not a socket"), path);
        return -1;
    }
    if ((rc = someone_listens(path, &pid)) < 0)
        return -1;
    if (rc > 0) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("'%s' is served by another daemon (pid %d): stop "
                           "it, or set listen_libvirt_socket = 0"),
                         path, pid);
        return -1;
    }
    g_message("replacing the stale socket '%s'", path);
    return 0;
}

/* A passed socket named for one kind of endpoint is of the other kind. */
static int
wrong_kind(const CvgActivatedSocket *s, const char *want)
{
    cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                     _("socket %d ('%s') passed by the service manager is not "
                       "a %s socket"),
                     s->fd, s->name ? s->name : "unknown", want);
    return -1;
}

/* Serve the socket the service manager passed for @ep, if any: 1 done,
 * 0 none passed, -1 reported. */
static int
adopt(CvgDaemon *d, GPtrArray *passed, const CvgEndpoint *ep)
{
    g_autoptr(CvgActivatedSocket) s =
        cvg_daemon_activated_take(passed, ep->fdname, ep->path);
    g_autofree char *desc = NULL;

    if (!s)
        return 0;
    if (s->tcp)
        return wrong_kind(s, "UNIX");
    desc = s->path   ? g_strdup(s->path)
           : s->name ? g_strdup(s->name)
                     : g_strdup_printf("socket %d", s->fd);
    if (cvg_rpc_server_add_fd(
            d->srv, s->fd, desc,
            &(CvgRpcListenerOpts){.readonly = ep->readonly,
                                  .auth = CVG_RPC_AUTH_NONE}) < 0)
        return -1;
    s->fd = -1;
    g_message("serving %s (passed by the service manager)%s", desc,
              ep->readonly ? ", read-only" : "");
    return 1;
}

static int
auth_type(const char *value)
{
    return strcmp(value, "sasl") == 0 ? CVG_RPC_AUTH_SASL : CVG_RPC_AUTH_NONE;
}

/* The listener options of the TLS port: the handshake and its checks,
 * with the credentials read now (a missing file stops the daemon). */
static int
tls_opts(CvgDaemon *d, CvgRpcListenerOpts *opts)
{
    const CvgDaemonConfig *cfg = d->drv->cfg;
    CvgTlsConfig tc = {.ca_file = cfg->ca_file,
                       .cert_file = cfg->cert_file,
                       .key_file = cfg->key_file,
                       .crl_file = cfg->crl_file,
                       .priority = cfg->tls_priority,
                       .no_verify = cfg->tls_no_verify_certificate != 0,
                       .allowed_dn = cfg->tls_allowed_dn_list};

    if (!d->tls && !(d->tls = cvg_tls_context_new(&tc, true)))
        return -1;
    if (tc.no_verify)
        g_warning("tls_no_verify_certificate is set: any client that "
                  "reaches the TLS port is accepted");
    *opts =
        (CvgRpcListenerOpts){.auth = auth_type(cfg->auth_tls),
                             .handshake = &cvg_tls_server_handshake,
                             .handshake_opaque = d->tls,
                             .handshake_timeout = cfg->tls_handshake_timeout};
    return 0;
}

/* The TLS or TCP listener: the socket passed for @fdname, or with
 * --listen and @wanted one bound to listen_addr:@port. */
static int
listen_network(CvgDaemon *d, GPtrArray *passed, const char *fdname, bool wanted,
               const char *port, bool tls)
{
    const CvgDaemonConfig *cfg = d->drv->cfg;
    g_autoptr(CvgActivatedSocket) s =
        cvg_daemon_activated_take(passed, fdname, NULL);
    CvgRpcListenerOpts opts = {.auth = auth_type(cfg->auth_tcp)};

    if (!s && !(wanted && d->listen_network))
        return 0;
    if (s && !s->tcp)
        return wrong_kind(s, "TCP");
    if (tls && tls_opts(d, &opts) < 0)
        return -1;
    if (!tls && opts.auth == CVG_RPC_AUTH_NONE)
        g_warning("the TCP listener has auth_tcp = \"none\": anyone who "
                  "reaches port %s controls every guest",
                  cfg->tcp_port);
    if (s) {
        g_autofree char *desc = g_strdup(s->name ? s->name : fdname);

        if (cvg_rpc_server_add_fd(d->srv, s->fd, desc, &opts) < 0)
            return -1;
        s->fd = -1;
        g_message("serving %s (passed by the service manager)", desc);
        return 0;
    }
    if (cvg_rpc_server_add_tcp(d->srv, cfg->listen_addr, port, &opts) < 0)
        return -1;
    g_message("listening on %s:%s (%s, auth %s)",
              *cfg->listen_addr ? cfg->listen_addr : "*", port,
              tls ? "TLS" : "TCP", tls ? cfg->auth_tls : cfg->auth_tcp);
    return 0;
}

int
cvg_daemon_listen(CvgDaemon *d)
{
    g_autoptr(GPtrArray) passed = cvg_daemon_activated_sockets();
    CvgEndpoint eps[4];
    size_t n = endpoints(d->drv->cfg, eps);

    if (!passed)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int rc = adopt(d, passed, &eps[i]);

        if (rc < 0)
            return -1;
        if (rc > 0 || !eps[i].path)
            continue;
        if (eps[i].libvirt && claim_libvirt_path(d, eps[i].path) < 0)
            return -1;
        if (cvg_rpc_server_add_unix(d->srv, eps[i].path, eps[i].mode,
                                    eps[i].readonly) < 0)
            return -1;
        g_message("listening on %s%s", eps[i].path,
                  eps[i].readonly ? ", read-only" : "");
    }
    if (listen_network(d, passed, CVG_FDNAME_TLS, d->drv->cfg->listen_tls,
                       d->drv->cfg->tls_port, true) < 0 ||
        listen_network(d, passed, CVG_FDNAME_TCP, d->drv->cfg->listen_tcp,
                       d->drv->cfg->tcp_port, false) < 0)
        return -1;
    if (passed->len > 0) {
        CvgActivatedSocket *s = g_ptr_array_index(passed, 0);

        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("the service manager passed socket '%s' (%s), "
                           "which is none of the sockets convergd serves"),
                         s->name ? s->name : "unknown",
                         s->path ? s->path : "unnamed");
        return -1;
    }
    return 0;
}

void
cvg_daemon_listen_cleanup(CvgDaemon *d)
{
    /* After the server: its clients' sessions use the credentials. */
    g_clear_pointer(&d->tls, cvg_tls_context_free);
    if (d->libvirt_mkdir && rmdir(LIBVIRT_SOCK_DIR) == 0)
        d->libvirt_mkdir = false;
}
