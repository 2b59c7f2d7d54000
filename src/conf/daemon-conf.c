/*
 * daemon-conf.c: convergd configuration file
 */
#include "daemon-conf.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    CONF_STRING,
    CONF_UINT,
    CONF_MODE,
} CvgConfType;

typedef struct {
    const char *key;
    CvgConfType type;
    size_t offset;
    unsigned int min, max; /* for CONF_UINT */
} CvgConfKey;

#define STR(k, f)                                                              \
    {                                                                          \
        k, CONF_STRING, G_STRUCT_OFFSET(CvgDaemonConfig, f), 0, 0              \
    }
#define UINT(k, f, lo, hi)                                                     \
    {                                                                          \
        k, CONF_UINT, G_STRUCT_OFFSET(CvgDaemonConfig, f), lo, hi              \
    }

static const CvgConfKey conf_keys[] = {
    STR("socket", socket_path),
    STR("readonly_socket", readonly_socket_path),
    {"socket_mode", CONF_MODE, G_STRUCT_OFFSET(CvgDaemonConfig, socket_mode), 0,
     0777},
    STR("state_dir", state_dir),
    STR("qemu_binary", qemu_binary),
    STR("accel", accel),
    UINT("max_workers", max_workers, 2, 256),
    UINT("max_clients", max_clients, 1, 100000),
    STR("log_level", log_level),
    STR("migration_address", migration_address),
    STR("migration_host", migration_host),
    UINT("migration_port_min", migration_port_min, 1, 65535),
    UINT("migration_port_max", migration_port_max, 1, 65535),
    UINT("keepalive_interval", keepalive_interval, 0, 3600),
    UINT("keepalive_count", keepalive_count, 0, 100),
    UINT("shutdown_timeout", shutdown_timeout, 1, 3600),
    UINT("idle_timeout", idle_timeout, 0, G_MAXINT),
    UINT("listen_libvirt_socket", listen_libvirt_socket, 0, 1),
    /* The convergence policy's keys come from
     * cvg_convergence_setting_table. */
};

CvgDaemonConfig *
cvg_daemon_config_new(void)
{
    CvgDaemonConfig *cfg = g_new0(CvgDaemonConfig, 1);

    cfg->socket_path = g_strdup("/run/convergd/convergd-sock");
    cfg->socket_mode = 0600;
    cfg->state_dir = g_strdup("/var/lib/convergd");
    cfg->qemu_binary = g_strdup("/usr/bin/qemu-system-x86_64");
    cfg->accel = g_strdup("auto");
    cfg->max_workers = 16;
    cfg->max_clients = 512;
    cfg->log_level = g_strdup("warning");
    cfg->migration_address = g_strdup("0.0.0.0");
    /* libvirt's default migration port range */
    cfg->migration_port_min = 49152;
    cfg->migration_port_max = 49215;
    cfg->keepalive_interval = 5;
    cfg->keepalive_count = 5;
    cfg->shutdown_timeout = 60;
    /* The table's defaults: libvirt's behaviour unless the operator opts
     * in, since existing QE suites assert QEMU's 20, 30, 40 ... ramp.
     * Every key counts as given: the daemon's values are the base that
     * metadata and typed parameters override. */
    cvg_convergence_settings_init(&cfg->convergence);
    cfg->convergence.given = (1U << CVG_CONV_SETTING_LAST) - 1;
    return cfg;
}

void
cvg_daemon_config_free(CvgDaemonConfig *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        if (conf_keys[i].type == CONF_STRING)
            g_free(G_STRUCT_MEMBER(char *, cfg, conf_keys[i].offset));
    }
    g_free(cfg);
}

static const CvgConfKey *
find_key(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        if (strcmp(conf_keys[i].key, key) == 0)
            return &conf_keys[i];
    }
    return NULL;
}

/* The text between the quotes of @value, or NULL (nothing reported). */
static char *
unquote(const char *value)
{
    size_t len = strlen(value);

    if (len < 2 || value[0] != '"' || value[len - 1] != '"' ||
        memchr(value + 1, '"', len - 2))
        return NULL;
    return g_strndup(value + 1, len - 2);
}

static int
parse_value(CvgDaemonConfig *cfg, const CvgConfKey *k, const char *filename,
            unsigned int lineno, const char *value)
{
    if (k->type == CONF_STRING) {
        char **field = &G_STRUCT_MEMBER(char *, cfg, k->offset);
        char *text = unquote(value);

        if (!text) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s:%u: value of '%s' must be a quoted string"),
                             filename, lineno, k->key);
            return -1;
        }
        g_free(*field);
        *field = text;
        return 0;
    } else {
        char *end = NULL;
        unsigned long long v;

        errno = 0;
        v = strtoull(value, &end, k->type == CONF_MODE ? 8 : 10);
        if (errno || !end || *end || value[0] == '-' || !value[0] ||
            v < k->min || v > k->max) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s:%u: invalid value '%s' for '%s'"), filename,
                             lineno, value, k->key);
            return -1;
        }
        G_STRUCT_MEMBER(unsigned int, cfg, k->offset) = (unsigned int)v;
        return 0;
    }
}

/* A key of cvg_convergence_setting_table: words are quoted strings,
 * numbers plain, as for the other keys. */
static int
parse_convergence(CvgDaemonConfig *cfg, const CvgConvergenceSettingDef *def,
                  const char *filename, unsigned int lineno, const char *value)
{
    g_autofree char *text = def->words ? unquote(value) : g_strdup(value);
    g_autofree char *expected = NULL;

    if (def->words && !text) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX,
                         _("%s:%u: value of '%s' must be a quoted string"),
                         filename, lineno, def->config_key);
        return -1;
    }
    if (cvg_convergence_setting_set_string(&cfg->convergence, def, text) == 0)
        return 0;
    expected = cvg_convergence_setting_expected(def);
    cvg_error_report(CVG_ERR_CONF_SYNTAX,
                     _("%s:%u: invalid value '%s' for '%s', expected %s"),
                     filename, lineno, value, def->config_key, expected);
    return -1;
}

int
cvg_daemon_config_parse(CvgDaemonConfig *cfg, const char *filename,
                        const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (unsigned int i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        char *eq;
        const CvgConfKey *k;
        const CvgConvergenceSettingDef *conv;

        if (!*line || *line == '#')
            continue;
        if (!(eq = strchr(line, '='))) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s:%u: expected 'key = value'"), filename,
                             i + 1);
            return -1;
        }
        *eq = '\0';
        g_strstrip(line);
        if ((conv = cvg_convergence_setting_by_key(line))) {
            if (parse_convergence(cfg, conv, filename, i + 1,
                                  g_strstrip(eq + 1)) < 0)
                return -1;
            continue;
        }
        if (!(k = find_key(line))) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX, _("%s:%u: unknown key '%s'"),
                             filename, i + 1, line);
            return -1;
        }
        if (parse_value(cfg, k, filename, i + 1, g_strstrip(eq + 1)) < 0)
            return -1;
    }
    if (cfg->migration_port_min > cfg->migration_port_max) {
        cvg_error_report(
            CVG_ERR_CONF_SYNTAX,
            _("%s: migration_port_min %u is above migration_port_max %u"),
            filename, cfg->migration_port_min, cfg->migration_port_max);
        return -1;
    }
    if (strcmp(cfg->accel, "auto") != 0 && strcmp(cfg->accel, "kvm") != 0 &&
        strcmp(cfg->accel, "tcg") != 0) {
        cvg_error_report(
            CVG_ERR_CONF_SYNTAX,
            _("%s: accel must be \"auto\", \"kvm\" or \"tcg\", not '%s'"),
            filename, cfg->accel);
        return -1;
    }
    return 0;
}

int
cvg_daemon_config_load(CvgDaemonConfig *cfg, const char *filename)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (!g_file_get_contents(filename, &text, NULL, &gerr)) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX, _("cannot read '%s': %s"),
                         filename, gerr->message);
        return -1;
    }
    return cvg_daemon_config_parse(cfg, filename, text);
}
