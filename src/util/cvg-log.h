/*
 * cvg-log.h: logging with filters per module and several outputs
 *
 * Code logs with g_debug() / g_info() / g_message() / g_warning() (the tree
 * is built with G_LOG_USE_STRUCTURED, so every message carries its file,
 * line and function).  Each layer's library has its own log domain,
 * "convergd.<module>" with module one of util, conf, rpc, qemu, daemon.
 *
 * The daemon configures, with libvirt's syntax (docs/daemon.rst):
 *   level    the default threshold: 1..4 or debug, info, warning, error
 *   filters  "LEVEL:MODULE ...": a module's own threshold, e.g. "1:qemu"
 *   outputs  "LEVEL:stderr LEVEL:file:PATH LEVEL:journald ...": where
 *            messages that pass go, each output with its own threshold
 * A message passes when its level is at least its module's filter level,
 * or the default level when no filter names the module; it is then written
 * to every output whose level it reaches.
 *
 * Messages about a domain or a migration use cvg_log_domain() /
 * cvg_log_migration(), which add DOMAIN_NAME and MIGRATION_ID fields for
 * the journal.
 */
#pragma once

#include <glib.h>

typedef enum {
    CVG_LOG_DEBUG = 1,
    CVG_LOG_INFO = 2,
    CVG_LOG_WARNING = 3,
    CVG_LOG_ERROR = 4,
} CvgLogLevel;

/* "1".."4" or "debug", "info", "warning", "error"; -1 if neither. */
int cvg_log_level_parse(const char *s);

/*
 * Check the syntax of @level, @filters and @outputs (each may be NULL or
 * empty) without applying anything.  CONF_SYNTAX naming the bad item.
 */
int cvg_log_check(const char *level, const char *filters, const char *outputs);

/*
 * Apply a logging configuration, replacing the current one as a whole:
 * files are opened before anything changes, so on failure (reported) the
 * old configuration stays.  Empty @outputs means one output at @level:
 * journald when stderr is connected to the journal, stderr otherwise.
 * Thread-safe; the first call installs convergd's log writer.
 */
int cvg_log_configure(const char *level, const char *filters,
                      const char *outputs);

/* The stderr output at @level only (tools and tests). */
void cvg_log_init(CvgLogLevel level);

/*
 * Log about domain @dom_name (and migration @migration_id, may be NULL):
 * the journal gets them as DOMAIN_NAME and MIGRATION_ID.  The message
 * should still name the domain, for the text outputs.
 */
void cvg_log_context(const char *log_domain, GLogLevelFlags level,
                     const char *file, const char *line, const char *func,
                     const char *dom_name, const char *migration_id,
                     const char *fmt, ...) G_GNUC_PRINTF(8, 9);

#define cvg_log_domain(level, dom_name, ...)                                   \
    cvg_log_context(G_LOG_DOMAIN, level, __FILE__, G_STRINGIFY(__LINE__),      \
                    G_STRFUNC, dom_name, NULL, __VA_ARGS__)
#define cvg_log_migration(level, dom_name, migration_id, ...)                  \
    cvg_log_context(G_LOG_DOMAIN, level, __FILE__, G_STRINGIFY(__LINE__),      \
                    G_STRFUNC, dom_name, migration_id, __VA_ARGS__)
