/*
 * daemonconftest.c: the daemon's configuration keys and what they drive
 *
 * - the generated convergd.conf (CVG_GENERATED_CONF, built by
 *   docs/meson.build) lists exactly the keys the daemon reads, from both
 *   tables, and every one of them uncommented parses to the defaults;
 * - live keys are copied on reload, changed restart keys are named;
 * - the logging keys' syntax is checked when the file is parsed.
 */
#include "daemon-conf.h"

#include "cvg-error.h"
#include "testutils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
last_message(void)
{
    const CvgError *err = cvg_error_last();

    return err ? err->message : "no error reported";
}

static char *
generated_conf(void)
{
    const char *path = g_getenv("CVG_GENERATED_CONF");

    if (!path) {
        fprintf(stderr, "CVG_GENERATED_CONF is not set\n");
        return NULL;
    }
    return cvg_test_load_file(path);
}

static int
compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
compare_strv(const char *what, char **a, char **b)
{
    g_autofree char *ja = NULL, *jb = NULL;

    qsort(a, g_strv_length(a), sizeof(char *), compare_str);
    qsort(b, g_strv_length(b), sizeof(char *), compare_str);
    ja = g_strjoinv(" ", a);
    jb = g_strjoinv(" ", b);
    if (strcmp(ja, jb) != 0) {
        fprintf(stderr, "%s differ:\n  file:   %s\n  tables: %s\n", what, ja,
                jb);
        return -1;
    }
    return 0;
}

/* Every "#key = value" line of the generated file against the tables. */
static int
test_keys(const void *data G_GNUC_UNUSED)
{
    g_autofree char *text = generated_conf();
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) known = cvg_daemon_config_key_names();
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_auto(GStrv) found = NULL;

    if (!text)
        return -1;
    lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        const char *eq = strstr(lines[i], " = ");

        if (lines[i][0] == '#' && lines[i][1] != ' ' && eq) {
            g_autofree char *key = g_strndup(lines[i] + 1, eq - lines[i] - 1);

            g_strv_builder_add(b, key);
        }
    }
    found = g_strv_builder_end(b);
    return compare_strv("keys", found, known);
}

/* The file with every key uncommented is valid and changes nothing. */
static int
test_defaults(const void *data G_GNUC_UNUSED)
{
    g_autofree char *text = generated_conf();
    g_autoptr(GString) active = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;
    g_autoptr(CvgDaemonConfig) def = cvg_daemon_config_new();
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    g_auto(GStrv) changed = NULL;

    if (!text)
        return -1;
    lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        if (lines[i][0] == '#' && lines[i][1] != ' ' && lines[i][1])
            g_string_append_printf(active, "%s\n", lines[i] + 1);
    }
    /* Make the values differ first, so parsing must set every one. */
    g_free(cfg->log_level);
    cfg->log_level = g_strdup("debug");
    cfg->convergence.ceiling = 50;
    if (cvg_daemon_config_parse(cfg, "convergd.conf", active->str) < 0) {
        fprintf(stderr, "%s\n", last_message());
        return -1;
    }
    if ((changed = cvg_daemon_config_restart_changes(def, cfg))) {
        fprintf(stderr, "restart keys off their defaults: %s\n", changed[0]);
        return -1;
    }
    if (strcmp(cfg->log_level, def->log_level) != 0 ||
        memcmp(&cfg->convergence, &def->convergence,
               sizeof(cfg->convergence)) != 0) {
        fprintf(stderr, "live keys off their defaults\n");
        return -1;
    }
    return 0;
}

static int
test_reload(const void *data G_GNUC_UNUSED)
{
    g_autoptr(CvgDaemonConfig) cur = cvg_daemon_config_new();
    g_autoptr(CvgDaemonConfig) next = cvg_daemon_config_new();
    g_auto(GStrv) changed = NULL;
    const char *text = "socket = \"/tmp/other\"\n"
                       "log_level = \"debug\"\n"
                       "log_filters = \"1:qemu 3:rpc\"\n"
                       "keepalive_interval = 7\n"
                       "max_workers = 4\n"
                       "throttle_ceiling = 60\n";

    if (cvg_daemon_config_parse(next, "t.conf", text) < 0) {
        fprintf(stderr, "%s\n", last_message());
        return -1;
    }
    changed = cvg_daemon_config_restart_changes(cur, next);
    if (!changed || g_strv_length(changed) != 2 ||
        strcmp(changed[0], "socket") != 0 ||
        strcmp(changed[1], "max_workers") != 0) {
        fprintf(stderr, "wrong restart keys\n");
        return -1;
    }
    cvg_daemon_config_apply_live(cur, next);
    if (strcmp(cur->log_level, "debug") != 0 ||
        strcmp(cur->log_filters, "1:qemu 3:rpc") != 0 ||
        cur->keepalive_interval != 7 || cur->convergence.ceiling != 60 ||
        strcmp(cur->socket_path, "/run/convergd/convergd-sock") != 0 ||
        cur->max_workers != 16) {
        fprintf(stderr, "live keys not applied, or restart keys applied\n");
        return -1;
    }
    return 0;
}

static int
test_log_syntax(const void *data G_GNUC_UNUSED)
{
    static const char *const bad[] = {
        "log_level = \"verbose\"",
        "log_level = \"5\"",
        "log_filters = \"9:qemu\"",
        "log_filters = \"1:nosuch\"",
        "log_filters = \"qemu\"",
        "log_outputs = \"1:file:relative.log\"",
        "log_outputs = \"1:syslog:convergd\"",
        "log_outputs = \"stderr\"",
        "networks = [\"default\"]",
        "networks = [\":virbr0\"]",
        "networks = [\"default:\"]",
        "networks = [\"a:b:c\"]",
        "networks = [\"default:a-bridge-name-too-long\"]",
    };
    static const char *const good[] = {
        "log_level = \"1\"",
        "log_level = \"error\"",
        "log_filters = \"1:qemu  3:rpc 2:daemon 4:util 1:conf\"",
        "log_outputs = \"3:stderr 1:file:/var/log/x.log 2:journald\"",
        "readonly_socket = \"\"",
        "networks = [\"default:virbr0\", \"lab:cvgbr0\"]",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();

        if (cvg_daemon_config_parse(cfg, "t.conf", bad[i]) == 0) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            return -1;
        }
        if (cvg_error_last()->code != CVG_ERR_CONF_SYNTAX)
            return -1;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();

        if (cvg_daemon_config_parse(cfg, "t.conf", good[i]) < 0) {
            fprintf(stderr, "refused: %s: %s\n", good[i], last_message());
            return -1;
        }
    }
    return 0;
}

/* The VNC display keys: defaults, a range, and what is refused. */
static int
test_vnc_keys(const void *data G_GNUC_UNUSED)
{
    static const char *const bad[] = {
        "remote_display_port_min = 5000\n",
        "remote_display_port_min = 6000\nremote_display_port_max = 5999\n",
        "vnc_listen = \"1.2.3.4,to=99\"\n",
        "vnc_listen = \"\"\n",
    };
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    size_t i;

    if (strcmp(cfg->vnc_listen, "127.0.0.1") != 0 ||
        cfg->remote_display_port_min != 5900 ||
        cfg->remote_display_port_max != 65535)
        return -1;
    if (cvg_daemon_config_parse(cfg, "t.conf",
                                "vnc_listen = \"::1\"\n"
                                "remote_display_port_min = 5910\n"
                                "remote_display_port_max = 5920\n") < 0 ||
        strcmp(cfg->vnc_listen, "::1") != 0 ||
        cfg->remote_display_port_min != 5910) {
        fprintf(stderr, "valid VNC keys refused: %s\n", last_message());
        return -1;
    }
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(CvgDaemonConfig) c = cvg_daemon_config_new();

        if (cvg_daemon_config_parse(c, "t.conf", bad[i]) == 0 ||
            cvg_error_last()->code != CVG_ERR_CONF_SYNTAX) {
            fprintf(stderr, "accepted: %s", bad[i]);
            return -1;
        }
        cvg_error_reset();
    }
    return 0;
}

int
main(void)
{
    cvg_test_run("generated-keys", test_keys, NULL);
    cvg_test_run("generated-defaults", test_defaults, NULL);
    cvg_test_run("reload", test_reload, NULL);
    cvg_test_run("log-syntax", test_log_syntax, NULL);
    cvg_test_run("vnc-keys", test_vnc_keys, NULL);
    return cvg_test_finish();
}
