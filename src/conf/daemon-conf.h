/*
 * daemon-conf.h: convergd configuration (qemu.conf-like "key = value")
 *
 * One table in daemon-conf.c describes every key: type, range, whether a
 * running daemon can take a new value on SIGHUP ("live") or needs a
 * restart, and a line of documentation.  The installed convergd.conf
 * (every key commented out at its default) and the key list of
 * convergd.conf(5) are generated from it and from the convergence
 * settings table.  Command-line options override the file.
 */
#pragma once

#include "convergence-conf.h"

#include <glib.h>
#include <stdbool.h>

typedef struct {
    char *socket_path;          /* socket */
    char *readonly_socket_path; /* readonly_socket, NULL = none */
    unsigned int socket_mode;   /* socket_mode (octal), default 0600 */
    char *state_dir;            /* state_dir */
    char *qemu_binary;          /* qemu_binary: default emulator */
    char *accel;                /* accel: "auto", "kvm" or "tcg" */
    unsigned int max_workers;   /* max_workers */
    unsigned int max_clients;   /* max_clients */
    char *log_level;            /* log_level: debug, info, warning, error */
    char *log_filters;          /* log_filters: "LEVEL:MODULE ..." */
    char *log_outputs;          /* log_outputs: "LEVEL:OUTPUT ..." */
    char *migration_address;    /* migration_address */
    char *migration_host;       /* migration_host: advertised in URIs */
    unsigned int migration_port_min;
    unsigned int migration_port_max;
    unsigned int keepalive_interval; /* seconds, 0 = off */
    unsigned int keepalive_count;
    unsigned int shutdown_timeout; /* seconds a guest gets to power off */
    /* seconds an outgoing migration may send nothing before it is
     * cancelled (the link to the destination is gone); 0 = never */
    unsigned int migration_stall_timeout;
    unsigned int idle_timeout; /* exit after this many idle s, 0 = never */
    unsigned int listen_libvirt_socket; /* 1: serve /run/libvirt's sockets */
    /* network listeners (libvirtd.conf's keys), used with --listen */
    unsigned int listen_tls;
    unsigned int listen_tcp;
    char *listen_addr; /* "" = every address */
    char *tls_port;
    char *tcp_port;
    char *auth_tls; /* "none" or "sasl" */
    char *auth_tcp;
    char *key_file;
    char *cert_file;
    char *ca_file;
    char *crl_file; /* used when it exists */
    unsigned int tls_no_verify_certificate;
    char **tls_allowed_dn_list; /* GStrv, empty = any */
    char *tls_priority;
    unsigned int tls_handshake_timeout; /* seconds */
    unsigned int max_anonymous_clients;
    char *sasl_conf_dir;               /* holds libvirt.conf for SASL */
    char **sasl_allowed_username_list; /* GStrv, empty = any */
    char *migrate_auth_file;           /* peer credentials (auth.conf) */
    char **networks; /* GStrv of "NAME:BRIDGE" (checked at load) */
    /* TLS on the migration stream (qemu.conf's names): the directory of
     * ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem and
     * client-key.pem, and whether the destination checks the source's
     * client certificate */
    char *migrate_tls_x509_cert_dir;
    unsigned int migrate_tls_x509_verify;
    /* VNC displays (qemu.conf's names): the address a <graphics> without
     * one listens on, and the ports autoport takes from */
    char *vnc_listen;
    unsigned int remote_display_port_min;
    unsigned int remote_display_port_max;
    /* convergence policy defaults: the keys of
     * cvg_convergence_setting_table (convergence-conf.h), all given */
    CvgConvergenceSettings convergence;
} CvgDaemonConfig;

/* Defaults for everything. */
CvgDaemonConfig *cvg_daemon_config_new(void);
void cvg_daemon_config_free(CvgDaemonConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDaemonConfig, cvg_daemon_config_free)

/*
 * Parse @text (the contents of @filename, used in messages) into @cfg.
 * Unknown keys, wrong types and out-of-range values are CONF_SYNTAX errors
 * naming the line and key.
 */
int cvg_daemon_config_parse(CvgDaemonConfig *cfg, const char *filename,
                            const char *text);

/* Read and parse @filename. */
int cvg_daemon_config_load(CvgDaemonConfig *cfg, const char *filename);

/*
 * The keys whose values differ between @old and @new and that take effect
 * only at a restart, as a NULL-terminated vector (g_strfreev), or NULL
 * when there is none.
 */
char **cvg_daemon_config_restart_changes(const CvgDaemonConfig *old,
                                         const CvgDaemonConfig *new);

/*
 * Copy into @dst the value of every key @src that can change in a running
 * daemon (the convergence settings included).  The caller makes sure no
 * other thread reads those fields meanwhile.
 */
void cvg_daemon_config_apply_live(CvgDaemonConfig *dst,
                                  const CvgDaemonConfig *src);

/* The bridge of network @name in @cfg's networks table, or NULL. */
const char *cvg_daemon_config_network_bridge(const CvgDaemonConfig *cfg,
                                             const char *name);

/* Every key the configuration file accepts (g_strfreev). */
char **cvg_daemon_config_key_names(void);

/*
 * A configuration file with every key commented out at its default,
 * preceded by its line of documentation (g_free).
 */
char *cvg_daemon_config_format_sample(void);

/* The keys as a reStructuredText definition list, for convergd.conf(5)
 * (g_free). */
char *cvg_daemon_config_format_rst(void);
