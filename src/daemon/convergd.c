/*
 * convergd.c: daemon entry point
 */
#include "daemon.h"
#include "cvg-client.h"
#include "daemon-listen.h"
#include "daemon-lock.h"
#include "daemon-systemd.h"
#include "qemu-migration.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-log.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often a stopping daemon looks at the guests powering off. */
#define STOP_POLL_MS 100

static gboolean
stop_wait_tick(gpointer data)
{
    CvgDaemon *d = data;

    if (d->stop_deadline && cvg_driver_count_powering_off(d->drv) > 0 &&
        g_get_monotonic_time() < d->stop_deadline)
        return G_SOURCE_CONTINUE;
    /* One more tick after the wait: the events of the last stop may still
     * be in the clients' write queues. */
    if (d->stop_deadline) {
        d->stop_deadline = 0;
        return G_SOURCE_CONTINUE;
    }
    d->stop_wait = 0;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

/*
 * Running guests keep running, but one that is powering off (virsh
 * shutdown, or it powered itself off) gets up to shutdown_timeout seconds
 * to finish while the loop still records its stop and events; otherwise
 * the next daemon would find it gone and call it crashed.  A second
 * signal stops at once.
 */
static gboolean
on_signal(gpointer data)
{
    CvgDaemon *d = data;
    unsigned int n = d->stop_wait ? 0 : cvg_driver_count_powering_off(d->drv);

    cvg_daemon_systemd_stopping(d);
    if (n == 0) {
        g_message("shutting down; running guests keep running");
        if (d->stop_wait)
            g_source_remove(d->stop_wait);
        d->stop_wait = 0;
        g_main_loop_quit(d->loop);
        return G_SOURCE_CONTINUE;
    }
    g_message("shutting down; waiting up to %u s for %u guest(s) powering "
              "off, running guests keep running",
              d->drv->cfg->shutdown_timeout, n);
    d->stop_deadline = g_get_monotonic_time() +
                       d->drv->cfg->shutdown_timeout * G_TIME_SPAN_SECOND;
    d->stop_wait = g_timeout_add(STOP_POLL_MS, stop_wait_tick, d);
    return G_SOURCE_CONTINUE;
}

/* Ask the default emulator for its version once, for CONNECT_GET_VERSION. */
static unsigned long long
probe_qemu_version(const char *binary)
{
    const char *argv[] = {binary, "--version", NULL};
    g_autofree char *out = NULL;
    unsigned int major = 0, minor = 0, micro = 0;
    const char *p;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, NULL, NULL) ||
        !out)
        return 0;
    if (!(p = strstr(out, "version ")) ||
        sscanf(p + 8, "%u.%u.%u", &major, &minor, &micro) < 2)
        return 0;
    return major * 1000000ULL + minor * 1000ULL + micro;
}

/* Command-line options; each one set overrides the configuration file. */
typedef struct {
    char *socket;
    char *ro_socket;
    char *state;
    char *config;
    char *level;
    gint timeout;
    gboolean listen;
    gboolean version;
} CvgOptions;

static void
options_clear(CvgOptions *o)
{
    g_free(o->socket);
    g_free(o->ro_socket);
    g_free(o->state);
    g_free(o->config);
    g_free(o->level);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CvgOptions, options_clear)

static void
override(char **field, const char *value)
{
    if (value) {
        g_free(*field);
        *field = g_strdup(value);
    }
}

/* The file to read: --config, else the default one when it exists. */
static const char *
config_path(const CvgOptions *o)
{
    if (o->config)
        return o->config;
    if (g_file_test(CVG_DEFAULT_CONFIG, G_FILE_TEST_EXISTS))
        return CVG_DEFAULT_CONFIG;
    return NULL;
}

/* Read the configuration file into @cfg and apply the command line's
 * overrides, at start and on SIGHUP. */
static int
load_config(const CvgOptions *o, CvgDaemonConfig *cfg)
{
    const char *path = config_path(o);

    if (path && cvg_daemon_config_load(cfg, path) < 0)
        return -1;
    override(&cfg->socket_path, o->socket);
    override(&cfg->readonly_socket_path, o->ro_socket);
    override(&cfg->state_dir, o->state);
    override(&cfg->log_level, o->level);
    if (o->timeout != G_MININT)
        cfg->idle_timeout = o->timeout;
    return 0;
}

/* Parse the command line and the configuration file into @cfg.  -1 to go
 * on, or the status to exit with. */
static int
parse_command_line(int *argc, char ***argv, CvgOptions *o, CvgDaemonConfig *cfg)
{
    GOptionEntry entries[] = {
        {"socket", 's', 0, G_OPTION_ARG_FILENAME, &o->socket,
         N_("control socket (read-write, mode 0600 by default)"), N_("PATH")},
        {"readonly-socket", 'r', 0, G_OPTION_ARG_FILENAME, &o->ro_socket,
         N_("read-only socket"), N_("PATH")},
        {"state-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->state,
         N_("directory for definitions, status and logs"), N_("DIR")},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
         N_("configuration file (default " CVG_DEFAULT_CONFIG
            " when it exists)"),
         N_("FILE")},
        {"log-level", 'l', 0, G_OPTION_ARG_STRING, &o->level,
         N_("debug, info, warning or error, or 1 to 4"), N_("LEVEL")},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout,
         N_("exit after SECS without clients, running guests or jobs"),
         N_("SECS")},
        {"listen", 0, 0, G_OPTION_ARG_NONE, &o->listen,
         N_("also listen on TCP: TLS (listen_tls) and plain TCP (listen_tcp)"),
         NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version,
         N_("print the version and exit"), NULL},
        {NULL}};
    g_autoptr(GOptionContext) octx = g_option_context_new(NULL);
    g_autoptr(GError) gerr = NULL;

    g_option_context_set_summary(
        octx,
        _("convergd: runs QEMU guests and live-migrates them, serving the "
          "libvirt remote protocol on a UNIX socket."));
    g_option_context_add_main_entries(octx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(octx, argc, argv, &gerr)) {
        fprintf(stderr, "convergd: %s\n", gerr->message);
        return EXIT_FAILURE;
    }
    if (o->version) {
        printf("convergd %s\n", CVG_VERSION);
        return EXIT_SUCCESS;
    }
    if (o->timeout != G_MININT && o->timeout < 0) {
        fprintf(stderr, "convergd: %s\n", _("--timeout must be 0 or more"));
        return EXIT_FAILURE;
    }
    if (o->level && cvg_log_level_parse(o->level) < 0) {
        fprintf(stderr, _("convergd: invalid log level '%s'\n"), o->level);
        return EXIT_FAILURE;
    }
    if (load_config(o, cfg) < 0) {
        fprintf(stderr, "convergd: %s\n", cvg_error_last()->message);
        return EXIT_FAILURE;
    }
    return -1;
}

/* Logging, signals and the socket's directory. */
static int
setup_process(const CvgDaemonConfig *cfg)
{
    g_autofree char *sockdir = NULL;

    if (cvg_log_configure(cfg->log_level, cfg->log_filters, cfg->log_outputs) <
        0) {
        fprintf(stderr, "convergd: %s\n", cvg_error_last()->message);
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);

    sockdir = g_path_get_dirname(cfg->socket_path);
    if (g_mkdir_with_parents(sockdir, 0755) < 0) {
        g_critical("cannot create '%s': %s", sockdir, g_strerror(errno));
        return -1;
    }
    return 0;
}

/* What SIGHUP needs: the daemon and the command line that overrides the
 * file. */
typedef struct {
    CvgDaemon *d;
    const CvgOptions *opts;
} CvgReload;

static void
reload_failed(const char *path)
{
    g_warning("cannot reload the configuration from '%s', keeping the "
              "current one: %s",
              path, cvg_error_last()->message);
    cvg_error_reset();
}

/*
 * SIGHUP: read the configuration file again.  Keys marked live in the
 * table (daemon-conf.c) take effect now; the others that changed are
 * named, since they need a restart.  A file that does not parse, or logs
 * that cannot be opened, change nothing.
 */
static gboolean
on_reload(gpointer data)
{
    CvgReload *r = data;
    CvgDaemon *d = r->d;
    CvgDaemonConfig *cur = d->drv->cfg;
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    const char *path = config_path(r->opts);
    g_auto(GStrv) restart = NULL;

    if (load_config(r->opts, cfg) < 0 ||
        cvg_log_configure(cfg->log_level, cfg->log_filters, cfg->log_outputs) <
            0) {
        reload_failed(path ? path : "(none)");
        return G_SOURCE_CONTINUE;
    }
    restart = cvg_daemon_config_restart_changes(cur, cfg);
    /* Migrations read the convergence defaults under the driver lock. */
    cvg_driver_lock(d->drv);
    cvg_daemon_config_apply_live(cur, cfg);
    cvg_driver_unlock(d->drv);
    cvg_rpc_server_set_keepalive(d->srv, cur->keepalive_interval,
                                 cur->keepalive_count);
    if (restart) {
        g_autofree char *keys = g_strjoinv(", ", restart);

        g_warning("configuration reloaded from '%s'; changed keys that need "
                  "a restart to take effect: %s",
                  path ? path : "(none)", keys);
    } else {
        g_message("configuration reloaded from '%s'", path ? path : "(none)");
    }
    return G_SOURCE_CONTINUE;
}

/* Listen on the sockets and serve until a signal says stop. */
static int
serve(CvgDaemon *d, const CvgOptions *opts)
{
    CvgReload reload = {d, opts};
    guint hup;
    CvgRpcServerCallbacks cb = {
        .client_new = cvg_connection_new,
        .client_closed = cvg_connection_free,
    };
    CvgDaemonConfig *cfg = d->drv->cfg;

    d->srv = cvg_rpc_server_new(cvg_daemon_procs, cvg_daemon_nprocs,
                                cfg->max_workers, &cb, d);
    d->listen_network = opts->listen;
    cvg_rpc_server_set_max_anonymous(d->srv, cfg->max_anonymous_clients);
    cvg_rpc_client_set_auth_file(cfg->migrate_auth_file);
    if (cvg_daemon_listen(d) < 0) {
        g_critical("%s", cvg_error_last()->message);
        return -1;
    }
    cvg_rpc_server_set_keepalive(d->srv, cfg->keepalive_interval,
                                 cfg->keepalive_count);
    g_unix_signal_add(SIGTERM, on_signal, d);
    g_unix_signal_add(SIGINT, on_signal, d);
    hup = g_unix_signal_add(SIGHUP, on_reload, &reload);
    g_message("convergd %s serving", CVG_VERSION);
    cvg_daemon_systemd_start(d);
    g_main_loop_run(d->loop);
    cvg_daemon_systemd_stopping(d);
    /* Migrations must not keep the daemon from stopping: outgoing ones are
     * aborted (the guest stays here), incoming ones discarded. */
    cvg_migration_shutdown(d->drv, 15000);
    g_source_remove(hup);
    return 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    g_auto(CvgOptions) opts = {.timeout = G_MININT};
    CvgDaemon d = {.lock_fd = -1};
    int ret;

    setlocale(LC_ALL, "");
    if ((ret = parse_command_line(&argc, &argv, &opts, cfg)) >= 0)
        return ret;
    if (setup_process(cfg) < 0)
        return EXIT_FAILURE;
    /* Before anything touches the state directory or the sockets. */
    if ((d.lock_fd = cvg_daemon_lock_state_dir(cfg->state_dir)) < 0) {
        g_critical("%s", cvg_error_last()->message);
        return EXIT_FAILURE;
    }

    d.qemu_version = probe_qemu_version(cfg->qemu_binary);
    d.loop = g_main_loop_new(NULL, FALSE);
    ret = EXIT_FAILURE;
    /* Pools first (they autostart here), as libvirt starts storage before
     * its guests. */
    if (!(d.storage = cvg_storage_new(cfg->state_dir)) ||
        !(d.drv = cvg_driver_new(&cfg, cvg_daemon_emit_event, &d)))
        g_critical("%s", cvg_error_last()->message);
    else if (serve(&d, &opts) == 0)
        ret = EXIT_SUCCESS;

    cvg_rpc_server_free(d.srv);
    cvg_daemon_listen_cleanup(&d);
    cvg_driver_free(d.drv);
    cvg_storage_free(d.storage);
    g_main_loop_unref(d.loop);
    g_free(d.status);
    close(d.lock_fd);
    return ret;
}
