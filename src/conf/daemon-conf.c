/*
 * daemon-conf.c: convergd configuration file
 */
#include "daemon-conf.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    CONF_STRING,
    CONF_OPTSTRING, /* a string where "" means none (NULL) */
    CONF_UINT,
    CONF_MODE,
    CONF_STRLIST, /* ["a", "b"] on one line: a char ** (GStrv) */
} CvgConfType;

typedef struct {
    const char *key;
    CvgConfType type;
    size_t offset;
    unsigned int min, max; /* for CONF_UINT */
    /* SIGHUP gives a running daemon the new value; otherwise a changed
     * value takes effect at the next start. */
    bool live;
    const char *doc; /* one line for convergd.conf and convergd.conf(5) */
} CvgConfKey;

#define FIELD(f) G_STRUCT_OFFSET(CvgDaemonConfig, f)
#define STR(k, f, live, doc)                                                   \
    {                                                                          \
        k, CONF_STRING, FIELD(f), 0, 0, live, doc                              \
    }
#define OPTSTR(k, f, live, doc)                                                \
    {                                                                          \
        k, CONF_OPTSTRING, FIELD(f), 0, 0, live, doc                           \
    }
#define UINT(k, f, lo, hi, live, doc)                                          \
    {                                                                          \
        k, CONF_UINT, FIELD(f), lo, hi, live, doc                              \
    }
#define STRLIST(k, f, live, doc)                                               \
    {                                                                          \
        k, CONF_STRLIST, FIELD(f), 0, 0, live, doc                             \
    }
#define LIVE true
#define RESTART false

static const CvgConfKey conf_keys[] = {
    STR("socket", socket_path, RESTART,
        "Read-write control socket (libvirt remote protocol)."),
    OPTSTR("readonly_socket", readonly_socket_path, RESTART,
           "Read-only socket, mode 0666; \"\" for none."),
    {"socket_mode", CONF_MODE, FIELD(socket_mode), 0, 0777, RESTART,
     "Mode of the read-write socket, octal."},
    STR("state_dir", state_dir, RESTART,
        "Directory for definitions, status files and guest logs."),
    STR("qemu_binary", qemu_binary, RESTART,
        "Emulator of guests whose XML names none."),
    STR("accel", accel, RESTART,
        "Reserved: domains choose TCG (type='qemu') or KVM (type='kvm'); "
        "\"auto\", \"kvm\" and \"tcg\" are accepted."),
    UINT("max_workers", max_workers, 2, 256, RESTART,
         "Worker threads that run client calls."),
    UINT("max_clients", max_clients, 1, 100000, RESTART,
         "Reserved upper bound on client connections."),
    STR("log_level", log_level, LIVE,
        "Default log threshold: 1..4 or debug, info, warning, error."),
    STR("log_filters", log_filters, LIVE,
        "Per-module thresholds, e.g. \"1:qemu 3:rpc\"; modules util, conf, "
        "rpc, qemu, daemon."),
    STR("log_outputs", log_outputs, LIVE,
        "Outputs, e.g. \"3:stderr 1:file:/var/log/convergd/convergd.log "
        "2:journald\"; \"\" is one at log_level."),
    STR("migration_address", migration_address, RESTART,
        "Address incoming migrations listen on."),
    OPTSTR("migration_host", migration_host, RESTART,
           "Host name put in migration URIs; \"\" for this host's name."),
    UINT("migration_port_min", migration_port_min, 1, 65535, RESTART,
         "Lowest port for incoming migrations."),
    UINT("migration_port_max", migration_port_max, 1, 65535, RESTART,
         "Highest port for incoming migrations."),
    UINT("keepalive_interval", keepalive_interval, 0, 3600, LIVE,
         "Seconds of client silence before a keepalive ping; 0 is off."),
    UINT("keepalive_count", keepalive_count, 0, 100, LIVE,
         "Unanswered pings before a client is dropped; 0 is off."),
    UINT("shutdown_timeout", shutdown_timeout, 1, 3600, LIVE,
         "Seconds a guest powering off gets when the daemon stops."),
    UINT("migration_stall_timeout", migration_stall_timeout, 0, 3600, LIVE,
         "Seconds an outgoing migration may send nothing before it is "
         "cancelled; 0 is never."),
    UINT("idle_timeout", idle_timeout, 0, G_MAXINT, RESTART,
         "Exit after this many seconds with no client, guest or job; 0 is "
         "never (--timeout)."),
    UINT("listen_libvirt_socket", listen_libvirt_socket, 0, 1, RESTART,
         "1: also serve /run/libvirt/libvirt-sock and -ro when no libvirt "
         "daemon owns them."),
    /* Network listeners, with libvirtd.conf's names and defaults. */
    UINT("listen_tls", listen_tls, 0, 1, RESTART,
         "1: with --listen, serve TLS (qemu+tls://) on tls_port."),
    UINT("listen_tcp", listen_tcp, 0, 1, RESTART,
         "1: with --listen, serve plain TCP (qemu+tcp://) on tcp_port."),
    STR("listen_addr", listen_addr, RESTART,
        "Address the TLS and TCP listeners bind; \"\" for all."),
    STR("tls_port", tls_port, RESTART, "TLS port (number or service name)."),
    STR("tcp_port", tcp_port, RESTART, "TCP port (number or service name)."),
    STR("auth_tls", auth_tls, RESTART,
        "Authentication on the TLS port after the certificate check: "
        "\"none\" or \"sasl\"."),
    STR("auth_tcp", auth_tcp, RESTART,
        "Authentication on the TCP port: \"sasl\" or \"none\" (insecure)."),
    STR("key_file", key_file, RESTART, "Server private key (TLS)."),
    STR("cert_file", cert_file, RESTART, "Server certificate (TLS)."),
    STR("ca_file", ca_file, RESTART,
        "CA certificate that client certificates must chain to."),
    STR("crl_file", crl_file, RESTART,
        "Certificate revocation list, used when the file exists."),
    UINT("tls_no_verify_certificate", tls_no_verify_certificate, 0, 1, RESTART,
         "1: do not check TLS clients' certificates (insecure)."),
    STRLIST("tls_allowed_dn_list", tls_allowed_dn_list, RESTART,
            "Client certificate DNs allowed, with * and ? wildcards; [] "
            "allows any the CA signed."),
    STR("tls_priority", tls_priority, RESTART, "GnuTLS priority string."),
    UINT("tls_handshake_timeout", tls_handshake_timeout, 1, 3600, RESTART,
         "Seconds a client gets to finish the TLS handshake."),
    UINT("max_anonymous_clients", max_anonymous_clients, 0, 100000, RESTART,
         "Clients connected but not yet authenticated at once; at the "
         "limit no more are accepted.  0 is no limit."),
    /* SASL (auth_tcp / auth_tls = "sasl") and the peer client's
     * credentials. */
    STR("sasl_conf_dir", sasl_conf_dir, RESTART,
        "Directory with the SASL service configuration libvirt.conf "
        "(mech_list, sasldb_path)."),
    STRLIST("sasl_allowed_username_list", sasl_allowed_username_list, RESTART,
            "SASL user names allowed, with * and ? wildcards; [] allows "
            "every user the SASL database knows."),
    STR("migrate_auth_file", migrate_auth_file, RESTART,
        "Credentials for peers that ask for SASL, in libvirt's auth.conf "
        "format."),
    /* TLS on the migration stream (VIR_MIGRATE_TLS), qemu.conf's names. */
    STR("migrate_tls_x509_cert_dir", migrate_tls_x509_cert_dir, RESTART,
        "Directory of ca-cert.pem, server-cert.pem, server-key.pem, "
        "client-cert.pem and client-key.pem for TLS migration streams."),
    UINT("migrate_tls_x509_verify", migrate_tls_x509_verify, 0, 1, RESTART,
         "1: the destination of a TLS migration requires and checks the "
         "source's client certificate."),
    /* VNC displays, qemu.conf's names and defaults. */
    STR("vnc_listen", vnc_listen, LIVE,
        "Address a VNC display listens on when its <graphics> names none."),
    UINT("remote_display_port_min", remote_display_port_min, 5900, 65535,
         RESTART, "Lowest port a VNC display with autoport takes."),
    UINT("remote_display_port_max", remote_display_port_max, 5900, 65535,
         RESTART, "Highest port a VNC display with autoport takes."),
    /* <interface type='network'>: no network driver, a table instead. */
    STRLIST("networks", networks, LIVE,
            "Networks for <interface type='network'>, as \"NAME:BRIDGE\" "
            "entries: a guest on network NAME gets a tap on the existing "
            "bridge BRIDGE.  [] (the default): every such guest is refused."),
    /* The convergence policy's keys come from
     * cvg_convergence_setting_table; all of them are live. */
};

#undef LIVE
#undef RESTART

static bool
is_string(const CvgConfKey *k)
{
    return k->type == CONF_STRING || k->type == CONF_OPTSTRING;
}

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
    cfg->log_filters = g_strdup("");
    cfg->log_outputs = g_strdup("");
    cfg->migration_address = g_strdup("0.0.0.0");
    /* libvirt's default migration port range */
    cfg->migration_port_min = 49152;
    cfg->migration_port_max = 49215;
    cfg->keepalive_interval = 5;
    cfg->keepalive_count = 5;
    cfg->shutdown_timeout = 60;
    /* As long as libvirt's keepalive (5 s x 5) takes to give up on a
     * silent peer. */
    cfg->migration_stall_timeout = 30;
    /* The table's defaults: libvirt's behaviour unless the operator opts
     * in, since existing QE suites assert QEMU's 20, 30, 40 ... ramp.
     * Every key counts as given: the daemon's values are the base that
     * metadata and typed parameters override. */
    cfg->listen_tls = 1;
    cfg->listen_tcp = 0;
    cfg->listen_addr = g_strdup("");
    cfg->tls_port = g_strdup("16514");
    cfg->tcp_port = g_strdup("16509");
    cfg->auth_tls = g_strdup("none");
    cfg->auth_tcp = g_strdup("sasl");
    cfg->key_file = g_strdup("/etc/pki/libvirt/private/serverkey.pem");
    cfg->cert_file = g_strdup("/etc/pki/libvirt/servercert.pem");
    cfg->ca_file = g_strdup("/etc/pki/CA/cacert.pem");
    cfg->crl_file = g_strdup("/etc/pki/CA/cacrl.pem");
    cfg->tls_allowed_dn_list = g_new0(char *, 1);
    cfg->tls_priority = g_strdup("NORMAL");
    cfg->tls_handshake_timeout = 10;
    cfg->max_anonymous_clients = 20;
    cfg->sasl_conf_dir = g_strdup("/etc/convergd/sasl2");
    cfg->sasl_allowed_username_list = g_new0(char *, 1);
    cfg->migrate_auth_file = g_strdup("/etc/convergd/auth.conf");
    cfg->networks = g_new0(char *, 1);
    cfg->migrate_tls_x509_cert_dir = g_strdup("/etc/pki/qemu");
    cfg->migrate_tls_x509_verify = 1;
    cfg->vnc_listen = g_strdup("127.0.0.1");
    cfg->remote_display_port_min = 5900;
    cfg->remote_display_port_max = 65535;
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
        if (is_string(&conf_keys[i]))
            g_free(G_STRUCT_MEMBER(char *, cfg, conf_keys[i].offset));
        else if (conf_keys[i].type == CONF_STRLIST)
            g_strfreev(G_STRUCT_MEMBER(char **, cfg, conf_keys[i].offset));
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

/* ["a", "b"] (the brackets and commas of libvirt's lists, on one line)
 * as a GStrv, or NULL (nothing reported). */
static char **
parse_list(const char *value)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    size_t len = strlen(value);
    const char *p;

    if (len < 2 || value[0] != '[' || value[len - 1] != ']')
        return NULL;
    p = value + 1;
    for (;;) {
        const char *end;

        while (g_ascii_isspace(*p))
            p++;
        if (*p == ']')
            break;
        if (*p != '"' || !(end = strchr(p + 1, '"')))
            return NULL;
        {
            g_autofree char *item = g_strndup(p + 1, end - p - 1);

            g_strv_builder_add(b, item);
        }
        p = end + 1;
        while (g_ascii_isspace(*p))
            p++;
        if (*p == ',')
            p++;
        else if (*p != ']')
            return NULL;
    }
    if (p != value + len - 1)
        return NULL;
    return g_strv_builder_end(b);
}

static int
parse_value(CvgDaemonConfig *cfg, const CvgConfKey *k, const char *filename,
            unsigned int lineno, const char *value)
{
    if (k->type == CONF_STRLIST) {
        char ***field = &G_STRUCT_MEMBER(char **, cfg, k->offset);
        char **list = parse_list(value);

        if (!list) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s:%u: value of '%s' must be a list of quoted "
                               "strings, [\"a\", \"b\"]"),
                             filename, lineno, k->key);
            return -1;
        }
        g_strfreev(*field);
        *field = list;
        return 0;
    }
    if (is_string(k)) {
        char **field = &G_STRUCT_MEMBER(char *, cfg, k->offset);
        char *text = unquote(value);

        if (!text) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s:%u: value of '%s' must be a quoted string"),
                             filename, lineno, k->key);
            return -1;
        }
        if (k->type == CONF_OPTSTRING && !*text)
            g_clear_pointer(&text, g_free);
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

static int
check_auth(const char *value, const char *key, const char *filename)
{
    if (strcmp(value, "none") == 0 || strcmp(value, "sasl") == 0)
        return 0;
    cvg_error_report(CVG_ERR_CONF_SYNTAX,
                     _("%s: %s must be \"none\" or \"sasl\", not '%s'"),
                     filename, key, value);
    return -1;
}

/* Rules between keys, and the logging keys' syntax. */
static int
check_values(const CvgDaemonConfig *cfg, const char *filename)
{
    if (cvg_log_check(cfg->log_level, cfg->log_filters, cfg->log_outputs) < 0) {
        g_autofree char *why = g_strdup(cvg_error_last()->message);

        cvg_error_report(CVG_ERR_CONF_SYNTAX, _("%s: %s"), filename, why);
        return -1;
    }
    if (cfg->migration_port_min > cfg->migration_port_max) {
        cvg_error_report(
            CVG_ERR_CONF_SYNTAX,
            _("%s: migration_port_min %u is above migration_port_max %u"),
            filename, cfg->migration_port_min, cfg->migration_port_max);
        return -1;
    }
    /* It becomes part of QEMU's -vnc option. */
    if (!*cfg->vnc_listen ||
        strspn(cfg->vnc_listen,
               "0123456789abcdefghijklmnopqrstuvwxyz"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZ.:-_") != strlen(cfg->vnc_listen)) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX,
                         _("%s: vnc_listen '%s' is not an address"), filename,
                         cfg->vnc_listen);
        return -1;
    }
    if (cfg->remote_display_port_min > cfg->remote_display_port_max) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX,
                         _("%s: remote_display_port_min %u is above "
                           "remote_display_port_max %u"),
                         filename, cfg->remote_display_port_min,
                         cfg->remote_display_port_max);
        return -1;
    }
    if (check_auth(cfg->auth_tls, "auth_tls", filename) < 0 ||
        check_auth(cfg->auth_tcp, "auth_tcp", filename) < 0)
        return -1;
    for (char **n = cfg->networks; n && *n; n++) {
        const char *colon = strchr(*n, ':');

        if (!colon || colon == *n || !colon[1] || strchr(colon + 1, ':') ||
            strlen(colon + 1) > 15 /* IFNAMSIZ - 1 */) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("%s: networks entry '%s' is not NAME:BRIDGE"),
                             filename, *n);
            return -1;
        }
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

const char *
cvg_daemon_config_network_bridge(const CvgDaemonConfig *cfg, const char *name)
{
    size_t len = strlen(name);

    for (char **n = cfg->networks; n && *n; n++) {
        if (strncmp(*n, name, len) == 0 && (*n)[len] == ':')
            return *n + len + 1;
    }
    return NULL;
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
    return check_values(cfg, filename);
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

static bool
key_equal(const CvgConfKey *k, const CvgDaemonConfig *a,
          const CvgDaemonConfig *b)
{
    if (is_string(k))
        return g_strcmp0(G_STRUCT_MEMBER(char *, a, k->offset),
                         G_STRUCT_MEMBER(char *, b, k->offset)) == 0;
    if (k->type == CONF_STRLIST)
        return g_strv_equal(
            (const char *const *)G_STRUCT_MEMBER(char **, a, k->offset),
            (const char *const *)G_STRUCT_MEMBER(char **, b, k->offset));
    return G_STRUCT_MEMBER(unsigned int, a, k->offset) ==
           G_STRUCT_MEMBER(unsigned int, b, k->offset);
}

char **
cvg_daemon_config_restart_changes(const CvgDaemonConfig *old,
                                  const CvgDaemonConfig *new)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        if (!conf_keys[i].live && !key_equal(&conf_keys[i], old, new))
            g_ptr_array_add(keys, g_strdup(conf_keys[i].key));
    }
    if (keys->len == 0)
        return NULL;
    g_ptr_array_add(keys, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
}

void
cvg_daemon_config_apply_live(CvgDaemonConfig *dst, const CvgDaemonConfig *src)
{
    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        const CvgConfKey *k = &conf_keys[i];

        if (!k->live)
            continue;
        if (is_string(k)) {
            char **field = &G_STRUCT_MEMBER(char *, dst, k->offset);

            g_free(*field);
            *field = g_strdup(G_STRUCT_MEMBER(char *, src, k->offset));
        } else if (k->type == CONF_STRLIST) {
            char ***field = &G_STRUCT_MEMBER(char **, dst, k->offset);

            g_strfreev(*field);
            *field = g_strdupv(G_STRUCT_MEMBER(char **, src, k->offset));
        } else {
            G_STRUCT_MEMBER(unsigned int, dst, k->offset) =
                G_STRUCT_MEMBER(unsigned int, src, k->offset);
        }
    }
    dst->convergence = src->convergence;
}

char **
cvg_daemon_config_key_names(void)
{
    GStrvBuilder *b = g_strv_builder_new();
    char **names;

    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++)
        g_strv_builder_add(b, conf_keys[i].key);
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++)
        g_strv_builder_add(b, cvg_convergence_setting_table[i].config_key);
    names = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return names;
}

/* @k's value in @cfg as the file writes it. */
static char *
format_value(const CvgConfKey *k, const CvgDaemonConfig *cfg)
{
    if (is_string(k)) {
        const char *v = G_STRUCT_MEMBER(char *, cfg, k->offset);

        return g_strdup_printf("\"%s\"", v ? v : "");
    }
    if (k->type == CONF_STRLIST) {
        char **v = G_STRUCT_MEMBER(char **, cfg, k->offset);
        GString *s = g_string_new("[");

        for (size_t i = 0; v && v[i]; i++)
            g_string_append_printf(s, "%s\"%s\"", i ? ", " : "", v[i]);
        g_string_append_c(s, ']');
        return g_string_free(s, FALSE);
    }
    if (k->type == CONF_MODE)
        return g_strdup_printf("0%o",
                               G_STRUCT_MEMBER(unsigned int, cfg, k->offset));
    return g_strdup_printf("%u", G_STRUCT_MEMBER(unsigned int, cfg, k->offset));
}

/* Convergence setting @def's default as the file writes it. */
static char *
format_convergence(const CvgConvergenceSettingDef *def,
                   const CvgDaemonConfig *cfg)
{
    g_autofree char *v = cvg_convergence_setting_format(&cfg->convergence, def);

    if (def->words)
        return g_strdup_printf("\"%s\"", v);
    return g_steal_pointer(&v);
}

/* Call @fn for every key: name, default as written, live, doc, unit. */
typedef void (*CvgConfKeyFunc)(GString *out, const char *key, const char *value,
                               bool live, const char *doc, const char *unit);

static char *
format_keys(const char *header, CvgConfKeyFunc fn)
{
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    GString *out = g_string_new(header);

    for (size_t i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        g_autofree char *v = format_value(&conf_keys[i], cfg);

        fn(out, conf_keys[i].key, v, conf_keys[i].live, conf_keys[i].doc, NULL);
    }
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *def = &cvg_convergence_setting_table[i];
        g_autofree char *v = format_convergence(def, cfg);

        fn(out, def->config_key, v, true, def->doc, def->unit);
    }
    return g_string_free(out, FALSE);
}

static void
sample_key(GString *out, const char *key, const char *value, bool live,
           const char *doc, const char *unit)
{
    g_string_append_printf(out, "\n# %s%s%s%s\n#%s = %s\n", doc,
                           unit ? " Unit: " : "", unit ? unit : "",
                           live ? "" : " (restart)", key, value);
}

char *
cvg_daemon_config_format_sample(void)
{
    return format_keys(
        "# convergd configuration file: \"key = value\" lines, strings in\n"
        "# double quotes.  Every key is shown commented out at its default;\n"
        "# see convergd.conf(5).  SIGHUP makes a running convergd read this\n"
        "# file again; keys marked (restart) take effect at the next start.\n"
        "# Generated at build time from the daemon's key tables.\n",
        sample_key);
}

static void
rst_key(GString *out, const char *key, const char *value, bool live,
        const char *doc, const char *unit)
{
    g_string_append_printf(out, "``%s`` (default ``%s``%s%s; %s)\n    %s\n\n",
                           key, value, unit ? ", unit " : "", unit ? unit : "",
                           live ? "reloaded on SIGHUP" : "needs a restart",
                           doc);
}

char *
cvg_daemon_config_format_rst(void)
{
    return format_keys("", rst_key);
}
