/*
 * convergd.c: daemon entry point
 */
#include "daemon.h"
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

static gboolean
on_signal(gpointer data)
{
    CvgDaemon *d = data;

    g_message("shutting down; running guests keep running");
    g_main_loop_quit(d->loop);
    return G_SOURCE_CONTINUE;
}

/* Ask the default emulator for its version once, for CONNECT_GET_VERSION. */
static unsigned long long
probe_qemu_version(const char *binary)
{
    const char *argv[] = { binary, "--version", NULL };
    g_autofree char *out = NULL;
    unsigned int major = 0, minor = 0, micro = 0;
    const char *p;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, NULL, NULL) || !out)
        return 0;
    if (!(p = strstr(out, "version ")) ||
        sscanf(p + 8, "%u.%u.%u", &major, &minor, &micro) < 2)
        return 0;
    return major * 1000000ULL + minor * 1000ULL + micro;
}

static CvgLogLevel
parse_level(const char *s)
{
    if (g_strcmp0(s, "debug") == 0)
        return CVG_LOG_DEBUG;
    if (g_strcmp0(s, "info") == 0)
        return CVG_LOG_INFO;
    if (g_strcmp0(s, "error") == 0)
        return CVG_LOG_ERROR;
    return CVG_LOG_WARNING;
}

int
main(int argc, char **argv)
{
    g_autofree char *opt_socket = NULL;
    g_autofree char *opt_ro_socket = NULL;
    g_autofree char *opt_state = NULL;
    g_autofree char *opt_config = NULL;
    g_autofree char *opt_level = NULL;
    gboolean opt_version = FALSE;
    GOptionEntry entries[] = {
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &opt_socket,
          N_("control socket (read-write, mode 0600 by default)"), N_("PATH") },
        { "readonly-socket", 'r', 0, G_OPTION_ARG_FILENAME, &opt_ro_socket,
          N_("read-only socket"), N_("PATH") },
        { "state-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_state,
          N_("directory for definitions, status and logs"), N_("DIR") },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
          N_("configuration file (key = value)"), N_("FILE") },
        { "log-level", 'l', 0, G_OPTION_ARG_STRING, &opt_level,
          N_("debug, info, warning or error"), N_("LEVEL") },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version,
          N_("print the version and exit"), NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) octx = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    g_autofree char *sockdir = NULL;
    CvgRpcServerCallbacks cb = {
        .client_new = cvg_connection_new,
        .client_closed = cvg_connection_free,
    };
    CvgDaemon d = { 0 };
    int ret = EXIT_FAILURE;

    setlocale(LC_ALL, "");
    octx = g_option_context_new(NULL);
    g_option_context_set_summary(octx,
        _("convergd: runs QEMU guests and live-migrates them, serving the "
          "libvirt remote protocol on a UNIX socket."));
    g_option_context_add_main_entries(octx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(octx, &argc, &argv, &gerr)) {
        fprintf(stderr, "convergd: %s\n", gerr->message);
        return EXIT_FAILURE;
    }
    if (opt_version) {
        printf("convergd %s\n", CVG_VERSION);
        return EXIT_SUCCESS;
    }
    if (opt_config && cvg_daemon_config_load(cfg, opt_config) < 0) {
        fprintf(stderr, "convergd: %s\n", cvg_error_last()->message);
        return EXIT_FAILURE;
    }
    if (opt_socket) {
        g_free(cfg->socket_path);
        cfg->socket_path = g_steal_pointer(&opt_socket);
    }
    if (opt_ro_socket) {
        g_free(cfg->readonly_socket_path);
        cfg->readonly_socket_path = g_steal_pointer(&opt_ro_socket);
    }
    if (opt_state) {
        g_free(cfg->state_dir);
        cfg->state_dir = g_steal_pointer(&opt_state);
    }
    if (opt_level) {
        g_free(cfg->log_level);
        cfg->log_level = g_steal_pointer(&opt_level);
    }
    cvg_log_init(parse_level(cfg->log_level));
    if (parse_level(cfg->log_level) == CVG_LOG_DEBUG)
        g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
    signal(SIGPIPE, SIG_IGN);

    sockdir = g_path_get_dirname(cfg->socket_path);
    if (g_mkdir_with_parents(sockdir, 0755) < 0) {
        g_critical("cannot create '%s': %s", sockdir, g_strerror(errno));
        return EXIT_FAILURE;
    }

    d.qemu_version = probe_qemu_version(cfg->qemu_binary);
    d.loop = g_main_loop_new(NULL, FALSE);
    if (!(d.drv = cvg_driver_new(&cfg, cvg_daemon_emit_event, &d))) {
        g_critical("%s", cvg_error_last()->message);
        goto out;
    }
    d.srv = cvg_rpc_server_new(cvg_daemon_procs, cvg_daemon_nprocs,
                               d.drv->cfg->max_workers, &cb, &d);
    if (cvg_rpc_server_add_unix(d.srv, d.drv->cfg->socket_path,
                                d.drv->cfg->socket_mode, false) < 0 ||
        (d.drv->cfg->readonly_socket_path &&
         cvg_rpc_server_add_unix(d.srv, d.drv->cfg->readonly_socket_path,
                                 0666, true) < 0)) {
        g_critical("%s", cvg_error_last()->message);
        goto out;
    }
    cvg_rpc_server_set_keepalive(d.srv, d.drv->cfg->keepalive_interval,
                                 d.drv->cfg->keepalive_count);
    g_unix_signal_add(SIGTERM, on_signal, &d);
    g_unix_signal_add(SIGINT, on_signal, &d);
    g_message("convergd %s listening on %s", CVG_VERSION,
              d.drv->cfg->socket_path);
    g_main_loop_run(d.loop);
    /* Migrations must not keep the daemon from stopping: outgoing ones are
     * aborted (the guest stays here), incoming ones discarded. */
    cvg_migration_shutdown(d.drv, 15000);
    ret = EXIT_SUCCESS;

 out:
    cvg_rpc_server_free(d.srv);
    cvg_driver_free(d.drv);
    g_main_loop_unref(d.loop);
    return ret;
}
