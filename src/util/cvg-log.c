/*
 * cvg-log.c: log filters and outputs (stderr, file, journald)
 */
#include "cvg-log.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
/* The fields say where the message comes from, not where it is sent. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

/* The modules a filter may name: one per layer's library, whose log
 * domain is "convergd.<module>". */
static const char *const modules[] = {"util", "conf", "rpc", "qemu", "daemon"};
#define DOMAIN_PREFIX "convergd."

typedef enum {
    OUTPUT_STDERR,
    OUTPUT_FILE,
    OUTPUT_JOURNALD,
} CvgLogOutputType;

typedef struct {
    CvgLogLevel level;
    CvgLogOutputType type;
    char *path;      /* file only */
    FILE *fp;        /* file only, once opened */
    bool no_journal; /* journald only: none runs, write to stderr */
} CvgLogOutput;

typedef struct {
    CvgLogLevel level;
    char *module;
} CvgLogFilter;

typedef struct {
    CvgLogLevel level;
    GArray *filters;    /* CvgLogFilter */
    GPtrArray *outputs; /* CvgLogOutput */
} CvgLogConfig;

/* The current configuration; writers hold the lock while they write, so
 * a reload never closes a file under them. */
static GRecMutex log_lock; /* recursive: a write that logs must not hang */
static CvgLogConfig *current;
static gboolean writer_installed;

static void
output_free(gpointer p)
{
    CvgLogOutput *o = p;

    if (o->fp)
        fclose(o->fp);
    g_free(o->path);
    g_free(o);
}

static void
filter_clear(gpointer p)
{
    g_free(((CvgLogFilter *)p)->module);
}

static void
log_config_free(CvgLogConfig *c)
{
    if (!c)
        return;
    g_array_unref(c->filters);
    g_ptr_array_unref(c->outputs);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgLogConfig, log_config_free)

static CvgLogConfig *
log_config_new(CvgLogLevel level)
{
    CvgLogConfig *c = g_new0(CvgLogConfig, 1);

    c->level = level;
    c->filters = g_array_new(FALSE, TRUE, sizeof(CvgLogFilter));
    g_array_set_clear_func(c->filters, filter_clear);
    c->outputs = g_ptr_array_new_with_free_func(output_free);
    return c;
}

int
cvg_log_level_parse(const char *s)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};

    if (!s)
        return -1;
    if (s[0] >= '1' && s[0] <= '4' && !s[1])
        return s[0] - '0';
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(s, names[i]) == 0)
            return (int)i + 1;
    }
    return -1;
}

/* "N:rest" of a filter or an output: the level and where rest starts. */
static const char *
split_level(const char *item, const char *what, CvgLogLevel *ret_level)
{
    if (item[0] < '1' || item[0] > '4' || item[1] != ':' || !item[2]) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX,
                         _("invalid %s '%s': expected LEVEL:NAME with LEVEL "
                           "1 (debug) to 4 (error)"),
                         what, item);
        return NULL;
    }
    *ret_level = item[0] - '0';
    return item + 2;
}

static gboolean
known_module(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(modules); i++) {
        if (strcmp(modules[i], name) == 0)
            return TRUE;
    }
    return FALSE;
}

static int
parse_filters(CvgLogConfig *c, const char *text)
{
    g_auto(GStrv) items = g_strsplit_set(text ? text : "", " \t", -1);

    for (size_t i = 0; items[i]; i++) {
        CvgLogFilter f = {0};
        const char *name;

        if (!*items[i])
            continue;
        if (!(name = split_level(items[i], "log filter", &f.level)))
            return -1;
        if (!known_module(name)) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("unknown module '%s' in log filter '%s': "
                               "modules are util, conf, rpc, qemu and "
                               "daemon"),
                             name, items[i]);
            return -1;
        }
        f.module = g_strdup(name);
        g_array_append_val(c->filters, f);
    }
    return 0;
}

static int
parse_outputs(CvgLogConfig *c, const char *text)
{
    g_auto(GStrv) items = g_strsplit_set(text ? text : "", " \t", -1);

    for (size_t i = 0; items[i]; i++) {
        CvgLogOutput *o;
        CvgLogLevel level;
        const char *dest;

        if (!*items[i])
            continue;
        if (!(dest = split_level(items[i], "log output", &level)))
            return -1;
        o = g_new0(CvgLogOutput, 1);
        o->level = level;
        g_ptr_array_add(c->outputs, o);
        if (strcmp(dest, "stderr") == 0) {
            o->type = OUTPUT_STDERR;
        } else if (strcmp(dest, "journald") == 0) {
            o->type = OUTPUT_JOURNALD;
        } else if (g_str_has_prefix(dest, "file:") && dest[5] == '/') {
            o->type = OUTPUT_FILE;
            o->path = g_strdup(dest + 5);
        } else {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("invalid log output '%s': expected "
                               "LEVEL:stderr, LEVEL:journald or "
                               "LEVEL:file:/ABSOLUTE/PATH"),
                             items[i]);
            return -1;
        }
    }
    return 0;
}

/* Is stderr the journal's stream (systemd sets JOURNAL_STREAM)? */
static gboolean
stderr_is_journal(void)
{
    const char *env = g_getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
        fstat(STDERR_FILENO, &st) < 0)
        return FALSE;
    return st.st_dev == dev && st.st_ino == ino;
}

static CvgLogConfig *
log_config_parse(const char *level, const char *filters, const char *outputs)
{
    int lv = level && *level ? cvg_log_level_parse(level) : CVG_LOG_WARNING;
    g_autoptr(CvgLogConfig) c = NULL;

    if (lv < 0) {
        cvg_error_report(CVG_ERR_CONF_SYNTAX,
                         _("invalid log level '%s': expected 1..4 or debug, "
                           "info, warning, error"),
                         level);
        return NULL;
    }
    c = log_config_new(lv);
    if (parse_filters(c, filters) < 0 || parse_outputs(c, outputs) < 0)
        return NULL;
    if (c->outputs->len == 0) {
        CvgLogOutput *o = g_new0(CvgLogOutput, 1);

        o->level = lv;
        o->type = stderr_is_journal() ? OUTPUT_JOURNALD : OUTPUT_STDERR;
        g_ptr_array_add(c->outputs, o);
    }
    return g_steal_pointer(&c);
}

int
cvg_log_check(const char *level, const char *filters, const char *outputs)
{
    g_autoptr(CvgLogConfig) c = log_config_parse(level, filters, outputs);

    return c ? 0 : -1;
}

/* libsystemd drops messages silently when no journal listens here. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Open the files; a journald output without a journal writes to stderr.
 * Returns whether one does, or -1. */
static int
open_outputs(CvgLogConfig *c)
{
    int no_journal = 0;

    for (guint i = 0; i < c->outputs->len; i++) {
        CvgLogOutput *o = c->outputs->pdata[i];
        g_autofree char *dir = NULL;

        if (o->type == OUTPUT_JOURNALD) {
            o->no_journal = !g_file_test(JOURNAL_SOCKET, G_FILE_TEST_EXISTS);
            no_journal |= o->no_journal;
        }
        if (o->type != OUTPUT_FILE)
            continue;
        dir = g_path_get_dirname(o->path);
        g_mkdir_with_parents(dir, 0755);
        if (!(o->fp = fopen(o->path, "ae"))) {
            cvg_error_report(CVG_ERR_CONF_SYNTAX,
                             _("cannot open log file '%s': %s"), o->path,
                             g_strerror(errno));
            return -1;
        }
        setvbuf(o->fp, NULL, _IOLBF, 0);
    }
    return no_journal;
}

/* --- writing --- */

typedef struct {
    const char *message;
    const char *domain; /* GLib log domain */
    const char *module; /* the domain without "convergd." */
    const char *file, *line, *func;
    const char *dom_name, *migration_id;
} CvgLogRecord;

static CvgLogLevel
level_of(GLogLevelFlags flags)
{
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return CVG_LOG_ERROR;
    if (flags & G_LOG_LEVEL_WARNING)
        return CVG_LOG_WARNING;
    if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return CVG_LOG_INFO;
    return CVG_LOG_DEBUG;
}

static int
syslog_priority(GLogLevelFlags flags)
{
    if (flags & G_LOG_LEVEL_ERROR)
        return LOG_CRIT;
    if (flags & G_LOG_LEVEL_CRITICAL)
        return LOG_ERR;
    if (flags & G_LOG_LEVEL_WARNING)
        return LOG_WARNING;
    if (flags & G_LOG_LEVEL_MESSAGE)
        return LOG_NOTICE;
    if (flags & G_LOG_LEVEL_INFO)
        return LOG_INFO;
    return LOG_DEBUG;
}

/* The threshold for @module: its filter's level, else the default. */
static CvgLogLevel
threshold(const CvgLogConfig *c, const char *module)
{
    for (guint i = c->filters->len; i-- > 0;) {
        const CvgLogFilter *f = &g_array_index(c->filters, CvgLogFilter, i);

        if (strcmp(f->module, module) == 0)
            return f->level;
    }
    return c->level;
}

static void
write_text(FILE *fp, CvgLogLevel level, const CvgLogRecord *r)
{
    static const char *const names[] = {"", "debug", "info", "warning",
                                        "error"};
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f");

    fprintf(fp, "%.23s %s: %s: %s\n", stamp, r->domain, names[level],
            r->message);
}

static void
write_journal(GLogLevelFlags flags, const CvgLogRecord *r)
{
    g_autofree char *prio =
        g_strdup_printf("PRIORITY=%d", syslog_priority(flags));
    g_autofree char *msg = g_strconcat("MESSAGE=", r->message, NULL);
    g_autofree char *mod = g_strconcat("CONVERGD_MODULE=", r->module, NULL);
    g_autofree char *file = NULL, *line = NULL, *func = NULL;
    g_autofree char *dom = NULL, *mig = NULL;
    struct iovec iov[9];
    int n = 0;

#define ADD(s) iov[n++] = (struct iovec){(s), strlen(s)}
    ADD(prio);
    ADD(msg);
    ADD(mod);
    ADD("SYSLOG_IDENTIFIER=convergd");
    /* __FILE__ as meson's build directory sees it: "../src/..." */
    if (r->file &&
        (file = g_strconcat(
             "CODE_FILE=", r->file + (g_str_has_prefix(r->file, "../") ? 3 : 0),
             NULL)))
        ADD(file);
    if (r->line && (line = g_strconcat("CODE_LINE=", r->line, NULL)))
        ADD(line);
    if (r->func && (func = g_strconcat("CODE_FUNC=", r->func, NULL)))
        ADD(func);
    if (r->dom_name && (dom = g_strconcat("DOMAIN_NAME=", r->dom_name, NULL)))
        ADD(dom);
    if (r->migration_id &&
        (mig = g_strconcat("MIGRATION_ID=", r->migration_id, NULL)))
        ADD(mig);
#undef ADD
    sd_journal_sendv(iov, n);
}

static void
dispatch(GLogLevelFlags flags, const CvgLogRecord *r)
{
    CvgLogLevel level = level_of(flags);

    g_rec_mutex_lock(&log_lock);
    if (current && level >= threshold(current, r->module)) {
        for (guint i = 0; i < current->outputs->len; i++) {
            CvgLogOutput *o = current->outputs->pdata[i];

            if (level < o->level)
                continue;
            if (o->type == OUTPUT_JOURNALD && !o->no_journal)
                write_journal(flags, r);
            else
                write_text(o->type == OUTPUT_FILE ? o->fp : stderr, level, r);
        }
    }
    g_rec_mutex_unlock(&log_lock);
}

static char *
field_value(const GLogField *f)
{
    if (f->length < 0)
        return g_strdup(f->value);
    return g_strndup(f->value, f->length);
}

static GLogWriterOutput
log_writer(GLogLevelFlags flags, const GLogField *fields, gsize n,
           gpointer opaque G_GNUC_UNUSED)
{
    static const char *const keys[] = {
        "MESSAGE",   "GLIB_DOMAIN", "CODE_FILE",   "CODE_LINE",
        "CODE_FUNC", "DOMAIN_NAME", "MIGRATION_ID"};
    char *v[G_N_ELEMENTS(keys)] = {NULL};
    CvgLogRecord r;

    for (gsize i = 0; i < n; i++) {
        for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
            if (!v[k] && strcmp(fields[i].key, keys[k]) == 0)
                v[k] = field_value(&fields[i]);
        }
    }
    r = (CvgLogRecord){
        .message = v[0] ? v[0] : "",
        .domain = v[1] ? v[1] : "convergd",
        .file = v[2],
        .line = v[3],
        .func = v[4],
        .dom_name = v[5],
        .migration_id = v[6],
    };
    r.module = g_str_has_prefix(r.domain, DOMAIN_PREFIX)
                   ? r.domain + strlen(DOMAIN_PREFIX)
                   : r.domain;
    dispatch(flags, &r);
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
        g_free(v[k]);
    return G_LOG_WRITER_HANDLED;
}

int
cvg_log_configure(const char *level, const char *filters, const char *outputs)
{
    g_autoptr(CvgLogConfig) c = log_config_parse(level, filters, outputs);
    CvgLogConfig *old;
    int no_journal;

    if (!c || (no_journal = open_outputs(c)) < 0)
        return -1;
    g_rec_mutex_lock(&log_lock);
    old = current;
    current = g_steal_pointer(&c);
    g_rec_mutex_unlock(&log_lock);
    log_config_free(old);
    if (!writer_installed) {
        writer_installed = TRUE;
        g_log_set_writer_func(log_writer, NULL, NULL);
    }
    if (no_journal)
        g_warning("no journal listens on %s: the journald log output writes "
                  "to stderr",
                  JOURNAL_SOCKET);
    return 0;
}

void
cvg_log_init(CvgLogLevel level)
{
    static const char *const names[] = {"", "debug", "info", "warning",
                                        "error"};

    cvg_log_configure(names[level], NULL, NULL);
}

void
cvg_log_context(const char *log_domain, GLogLevelFlags level, const char *file,
                const char *line, const char *func, const char *dom_name,
                const char *migration_id, const char *fmt, ...)
{
    g_autofree char *message = NULL;
    GLogField fields[7];
    gsize n = 0;
    va_list ap;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
#define ADD(k, v)                                                              \
    if (v)                                                                     \
    fields[n++] = (GLogField){(k), (v), -1}
    ADD("MESSAGE", message);
    ADD("GLIB_DOMAIN", log_domain);
    ADD("CODE_FILE", file);
    ADD("CODE_LINE", line);
    ADD("CODE_FUNC", func);
    ADD("DOMAIN_NAME", dom_name);
    ADD("MIGRATION_ID", migration_id);
#undef ADD
    g_log_structured_array(level, fields, n);
}
