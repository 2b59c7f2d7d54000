/*
 * qemu-migration-params.c: the migration parameter and capability tables
 *
 * Everything here is a loop over cvg_migration_param_table and
 * cvg_migration_cap_table; a new knob is a new row.  Nothing does I/O.
 */
#include "qemu-migration-params.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define AC CVG_MIGRATE_AUTO_CONVERGE
#define MiB (1024ULL * 1024ULL)

/*
 * Columns: name, type, apply, QMP name, min, max, scale, side,
 * requires_flag, repeatable, unit, doc.  max 0 means "no range check".
 *
 * Units are the typed parameter's; the QMP value is value * scale.  Ranges
 * are QEMU's (migration/options.c) unless noted, so a bad value fails here
 * with the parameter's public name instead of in migrate-set-parameters.
 */
const CvgMigrationParamDef cvg_migration_param_table[] = {
    /* libvirt's own tuning parameters */
    {CVG_MIGRATE_PARAM_AC_INITIAL, CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_PARAM,
     "cpu-throttle-initial", 1, 99, 1, CVG_MIG_SIDE_SOURCE, AC, false, "%",
     "Guest CPU throttle applied when auto-converge first steps in "
     "(QEMU default 20)."},
    {CVG_MIGRATE_PARAM_AC_INCREMENT, CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_PARAM,
     "cpu-throttle-increment", 1, 99, 1, CVG_MIG_SIDE_SOURCE, AC, false, "%",
     "Throttle added at each further step (QEMU default 10)."},
    /* libvirt documents 0 as "choose a suitable default" and clients such as
     * Nova always send it, so 0 is accepted and not applied (see
     * zero_means_default below).  The maximum is libvirt's "unlimited"
     * value, INT64_MAX / 1 MiB, so value * scale fits QEMU's int. */
    {CVG_MIGRATE_PARAM_BANDWIDTH, CVG_TYPED_PARAM_ULLONG, CVG_MIG_APPLY_PARAM,
     "max-bandwidth", 0, INT64_MAX / MiB, MiB, CVG_MIG_SIDE_SOURCE, 0, false,
     "MiB/s",
     "Maximum bandwidth of the migration stream. 0 counts as not given, "
     "as in libvirt; the maximum is libvirt's \"unlimited\"."},

    /* QEMU's max-postcopy-bandwidth (since 3.0); 0 is QEMU's "unlimited",
     * as libvirt treats it. */
    {"bandwidth.postcopy", CVG_TYPED_PARAM_ULLONG, CVG_MIG_APPLY_PARAM,
     "max-postcopy-bandwidth", 0, INT64_MAX / MiB, MiB, CVG_MIG_SIDE_SOURCE,
     CVG_MIGRATE_POSTCOPY, false, "MiB/s",
     "Bandwidth of the post-copy phase (with VIR_MIGRATE_POSTCOPY; 0: "
     "unlimited)."},

    /* Strings the migration code itself uses */
    {CVG_MIGRATE_PARAM_URI, CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_NONE, NULL, 0,
     0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "URI of the migration stream, e.g. tcp:host:port."},
    {CVG_MIGRATE_PARAM_DEST_NAME, CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_NONE,
     NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Name of the domain on the destination."},
    {CVG_MIGRATE_PARAM_DEST_XML, CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_NONE,
     NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Domain XML to run on the destination."},
    {CVG_MIGRATE_PARAM_PERSIST_XML, CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_NONE,
     NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Persistent domain XML to define on the destination "
     "(with VIR_MIGRATE_PERSIST_DEST)."},
    {CVG_MIGRATE_PARAM_LISTEN_ADDRESS, CVG_TYPED_PARAM_STRING,
     CVG_MIG_APPLY_NONE, NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Address the destination listens on for the migration stream."},

    /* The name the destination's certificate must carry; without it
     * qemu-migration-tls.c sends the host of the migration URI. */
    {CVG_MIGRATE_PARAM_TLS_DESTINATION, CVG_TYPED_PARAM_STRING,
     CVG_MIG_APPLY_PARAM, "tls-hostname", 0, 0, 1, CVG_MIG_SIDE_SOURCE,
     CVG_MIGRATE_TLS, false, NULL,
     "Host name the destination's TLS certificate must carry (with "
     "VIR_MIGRATE_TLS; default: the host of the migration URI)."},

    /* Parallel streams and compression.  The destination must agree on
     * the channels and the multifd compression before migrate-incoming,
     * so those rows apply on both sides.  Which compression method a
     * tuning row needs is in cvg_migration_compress_table below. */
    {CVG_MIGRATE_PARAM_PARALLEL_CONNECTIONS, CVG_TYPED_PARAM_INT,
     CVG_MIG_APPLY_PARAM, "multifd-channels", 1, 255, 1, CVG_MIG_SIDE_BOTH,
     CVG_MIGRATE_PARALLEL, false, NULL,
     "Number of parallel connections (QEMU multifd channels; QEMU default "
     "2) with VIR_MIGRATE_PARALLEL. With VIR_MIGRATE_TLS each one is a TLS "
     "session."},
    {CVG_MIGRATE_PARAM_COMPRESSION, CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_NONE,
     NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, true, NULL,
     "Compression method, repeatable: xbzrle (not with "
     "VIR_MIGRATE_PARALLEL), zlib or zstd (only with VIR_MIGRATE_PARALLEL, "
     "one of them). VIR_MIGRATE_COMPRESSED alone means xbzrle; mt is "
     "refused (QEMU 10 has no multithreaded compression)."},
    {CVG_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, CVG_TYPED_PARAM_ULLONG,
     CVG_MIG_APPLY_PARAM, "xbzrle-cache-size", 4096, INT64_MAX, 1,
     CVG_MIG_SIDE_SOURCE, 0, false, "bytes",
     "XBZRLE cache size, a power of two (QEMU default 64 MiB); needs the "
     "xbzrle method."},
    {CVG_MIGRATE_PARAM_COMPRESSION_ZLIB_LEVEL, CVG_TYPED_PARAM_INT,
     CVG_MIG_APPLY_PARAM, "multifd-zlib-level", 0, 9, 1, CVG_MIG_SIDE_SOURCE, 0,
     false, NULL,
     "zlib compression level (QEMU default 1); needs the zlib method."},
    {CVG_MIGRATE_PARAM_COMPRESSION_ZSTD_LEVEL, CVG_TYPED_PARAM_INT,
     CVG_MIG_APPLY_PARAM, "multifd-zstd-level", 0, 20, 1, CVG_MIG_SIDE_SOURCE,
     0, false, NULL,
     "zstd compression level (QEMU default 1); needs the zstd method."},

    /* convergd-only knobs (libvirt 9.0 has no typed parameter for them) */
    {"convergd.max_cpu_throttle", CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_PARAM,
     "max-cpu-throttle", 1, 99, 1, CVG_MIG_SIDE_SOURCE, AC, false, "%",
     "Highest throttle auto-converge may reach (QEMU default 99; QEMU also "
     "requires it to be at least the initial throttle)."},
    {"convergd.cpu_throttle_tailslow", CVG_TYPED_PARAM_BOOLEAN,
     CVG_MIG_APPLY_PARAM, "cpu-throttle-tailslow", 0, 0, 1, CVG_MIG_SIDE_SOURCE,
     AC, false, NULL,
     "Size later throttle steps by the measured dirty rate, capped by the "
     "increment (QEMU default false)."},
    {"convergd.throttle_trigger_threshold", CVG_TYPED_PARAM_INT,
     CVG_MIG_APPLY_PARAM, "throttle-trigger-threshold", 1, 100, 1,
     CVG_MIG_SIDE_SOURCE, AC, false, "%",
     "Throttle when the guest dirties more than this share of what was "
     "sent, in two sync periods (QEMU default 50)."},
    /* libvirt 9.0 sets the limit only with migrate-setmaxdowntime; this sets
     * it for one migration.  QEMU allows 0, which can never converge. */
    {"convergd.downtime", CVG_TYPED_PARAM_ULLONG, CVG_MIG_APPLY_PARAM,
     "downtime-limit", 1, 2000000, 1, CVG_MIG_SIDE_SOURCE, 0, false, "ms",
     "Maximum downtime of the final stop-and-copy (QEMU default 300)."},

    /* The convergence policy's settings (convergd.policy, ...) are rows of
     * cvg_convergence_setting_table (convergence-conf.h); param_def()
     * turns them into rows of this table. */

    /* libvirt parameters convergd refuses (types from libvirt-domain.h) */
    {"graphics_uri", CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_REFUSED, NULL, 0, 0,
     1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Graphics client reconnection URI (no graphics devices)."},
    {"migrate_disks", CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_REFUSED, NULL, 0, 0,
     1, CVG_MIG_SIDE_BOTH, 0, true, NULL,
     "Disks to copy (storage migration is not offered)."},
    {"migrate_disks_detect_zeroes", CVG_TYPED_PARAM_STRING,
     CVG_MIG_APPLY_REFUSED, NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, true, NULL,
     "Disks copied without zero blocks (storage migration is not offered)."},
    {"disks_port", CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_REFUSED, NULL, 0, 0, 1,
     CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "NBD port for storage migration (not offered)."},
    {"disks_uri", CVG_TYPED_PARAM_STRING, CVG_MIG_APPLY_REFUSED, NULL, 0, 0, 1,
     CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "NBD URI for storage migration (not offered)."},
    /* libvirt 9.0's multithreaded compression: QEMU 9.1 removed it (the
     * "compress" capability and its parameters), so QEMU 10 cannot. */
    {"compression.mt.level", CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_REFUSED, NULL,
     0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Multithreaded compression level (removed in QEMU 9.1)."},
    {"compression.mt.threads", CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_REFUSED, NULL,
     0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Compression threads (removed in QEMU 9.1)."},
    {"compression.mt.dthreads", CVG_TYPED_PARAM_INT, CVG_MIG_APPLY_REFUSED,
     NULL, 0, 0, 1, CVG_MIG_SIDE_BOTH, 0, false, NULL,
     "Decompression threads (removed in QEMU 9.1)."},

    {NULL, 0, 0, NULL, 0, 0, 0, 0, 0, false, NULL, NULL},
};

/* migrate-set-capabilities.  postcopy-ram is set on both sides: the
 * destination must have it before migrate-incoming.  VIR_MIGRATE_TLS
 * is no capability in QEMU: it is the tls-creds parameter naming a
 * credentials object, which qemu-migration-tls.c adds on both sides. */
const CvgMigrationCapDef cvg_migration_cap_table[] = {
    {CVG_MIGRATE_AUTO_CONVERGE, "auto-converge", CVG_MIG_SIDE_SOURCE},
    {CVG_MIGRATE_POSTCOPY, "postcopy-ram", CVG_MIG_SIDE_BOTH},
    {CVG_MIGRATE_PARALLEL, "multifd", CVG_MIG_SIDE_BOTH},
    {0, NULL, 0},
};

/* libvirt's compression methods.  "mt" was QEMU's "compress" capability,
 * which QEMU 9.1 removed. */
const CvgMigrationCompressDef cvg_migration_compress_table[] = {
    {"xbzrle", "xbzrle", NULL, CVG_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE,
     NULL},
    {"mt", NULL, NULL, NULL,
     N_("QEMU 9.1 removed multithreaded compression; use zstd or zlib "
        "with VIR_MIGRATE_PARALLEL")},
    {"zlib", NULL, "zlib", CVG_MIGRATE_PARAM_COMPRESSION_ZLIB_LEVEL, NULL},
    {"zstd", NULL, "zstd", CVG_MIGRATE_PARAM_COMPRESSION_ZSTD_LEVEL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* QEMU's multifd-channels default: sent when the caller gives none, so a
 * destination and a reused source QEMU agree. */
#define DEFAULT_MULTIFD_CHANNELS 2

/* Parameters whose value 0 means "not given", as libvirt documents. */
static const char *const zero_means_default[] = {
    CVG_MIGRATE_PARAM_BANDWIDTH,
    NULL,
};

/* Public names of the flags for error messages, and for flags that
 * parameters depend on, what the flag turns on. */
static const struct {
    unsigned int flag;
    const char *name;
    const char *feature;
} flag_names[] = {
    {CVG_MIGRATE_LIVE, "VIR_MIGRATE_LIVE", NULL},
    {CVG_MIGRATE_PEER2PEER, "VIR_MIGRATE_PEER2PEER", NULL},
    {CVG_MIGRATE_TUNNELLED, "VIR_MIGRATE_TUNNELLED", NULL},
    {CVG_MIGRATE_PERSIST_DEST, "VIR_MIGRATE_PERSIST_DEST", NULL},
    {CVG_MIGRATE_UNDEFINE_SOURCE, "VIR_MIGRATE_UNDEFINE_SOURCE", NULL},
    {CVG_MIGRATE_PAUSED, "VIR_MIGRATE_PAUSED", NULL},
    {CVG_MIGRATE_NON_SHARED_DISK, "VIR_MIGRATE_NON_SHARED_DISK", NULL},
    {CVG_MIGRATE_NON_SHARED_INC, "VIR_MIGRATE_NON_SHARED_INC", NULL},
    {CVG_MIGRATE_CHANGE_PROTECTION, "VIR_MIGRATE_CHANGE_PROTECTION", NULL},
    {CVG_MIGRATE_UNSAFE, "VIR_MIGRATE_UNSAFE", NULL},
    {CVG_MIGRATE_OFFLINE, "VIR_MIGRATE_OFFLINE", NULL},
    {CVG_MIGRATE_COMPRESSED, "VIR_MIGRATE_COMPRESSED", N_("compression")},
    {CVG_MIGRATE_ABORT_ON_ERROR, "VIR_MIGRATE_ABORT_ON_ERROR", NULL},
    {CVG_MIGRATE_AUTO_CONVERGE, "VIR_MIGRATE_AUTO_CONVERGE",
     N_("auto convergence")},
    {CVG_MIGRATE_RDMA_PIN_ALL, "VIR_MIGRATE_RDMA_PIN_ALL", NULL},
    {CVG_MIGRATE_POSTCOPY, "VIR_MIGRATE_POSTCOPY", N_("post-copy")},
    {CVG_MIGRATE_TLS, "VIR_MIGRATE_TLS", N_("TLS")},
    {CVG_MIGRATE_PARALLEL, "VIR_MIGRATE_PARALLEL", N_("parallel migration")},
    {CVG_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES,
     "VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES", NULL},
    {CVG_MIGRATE_POSTCOPY_RESUME, "VIR_MIGRATE_POSTCOPY_RESUME", NULL},
    {CVG_MIGRATE_ZEROCOPY, "VIR_MIGRATE_ZEROCOPY", N_("zero-copy")},
};

static int
flag_index(unsigned int flag)
{
    for (size_t i = 0; i < G_N_ELEMENTS(flag_names); i++) {
        if (flag_names[i].flag == flag)
            return i;
    }
    return -1;
}

void
cvg_migration_param_def_from_setting(const CvgConvergenceSettingDef *setting,
                                     CvgMigrationParamDef *ret_def)
{
    CvgMigrationParamDef def = {
        setting->param,
        setting->param_type,
        CVG_MIG_APPLY_NONE,
        NULL,
        setting->min,
        setting->max,
        1,
        CVG_MIG_SIDE_SOURCE,
        setting->needs_auto_converge ? AC : 0,
        false,
        setting->unit,
        setting->doc,
    };

    *ret_def = def;
}

/* The row of @name, from the table or made in @scratch from the
 * convergence settings table; NULL if neither has it. */
static const CvgMigrationParamDef *
param_def(const char *name, CvgMigrationParamDef *scratch)
{
    const CvgConvergenceSettingDef *setting;

    for (const CvgMigrationParamDef *d = cvg_migration_param_table; d->name;
         d++) {
        if (strcmp(d->name, name) == 0)
            return d;
    }
    if (!(setting = cvg_convergence_setting_by_param(name)))
        return NULL;
    cvg_migration_param_def_from_setting(setting, scratch);
    return scratch;
}

static bool
is_zero_default(const CvgMigrationParamDef *def)
{
    for (size_t i = 0; zero_means_default[i]; i++) {
        if (strcmp(zero_means_default[i], def->name) == 0)
            return true;
    }
    return false;
}

void
cvg_migration_params_free(CvgMigrationParams *mp)
{
    if (!mp)
        return;
    cvg_typed_params_free(mp->params);
    g_free(mp);
}

static int
check_flags(unsigned int flags)
{
    unsigned int unsupported =
        flags & ~(unsigned int)CVG_MIGRATE_SUPPORTED_FLAGS;
    unsigned int lowest;
    int idx;

    if (!unsupported)
        return 0;
    lowest = unsupported & -unsupported;
    if ((idx = flag_index(lowest)) < 0) {
        cvg_error_report(
            CVG_ERR_ARGUMENT_UNSUPPORTED,
            _("unknown migration flags (0x%x) are not supported by convergd"),
            unsupported);
        return -1;
    }
    cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                     _("migration flag %s (0x%x) is not supported by convergd"),
                     flag_names[idx].name, lowest);
    return -1;
}

/* The numeric value of @p as sign and magnitude; false for non-numbers. */
static bool
param_number(const CvgTypedParam *p, bool *negative,
             unsigned long long *magnitude)
{
    long long s;

    switch ((CvgTypedParamType)p->type) {
    case CVG_TYPED_PARAM_INT:
        s = p->value.i;
        break;
    case CVG_TYPED_PARAM_LLONG:
        s = p->value.l;
        break;
    case CVG_TYPED_PARAM_UINT:
        *negative = false;
        *magnitude = p->value.ui;
        return true;
    case CVG_TYPED_PARAM_ULLONG:
        *negative = false;
        *magnitude = p->value.ul;
        return true;
    case CVG_TYPED_PARAM_DOUBLE:
    case CVG_TYPED_PARAM_BOOLEAN:
    case CVG_TYPED_PARAM_STRING:
    case CVG_TYPED_PARAM_LAST:
    default:
        return false;
    }
    *negative = s < 0;
    /* -(LLONG_MIN) overflows; go through unsigned arithmetic. */
    *magnitude = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
    return true;
}

static char *
param_value_string(const CvgTypedParam *p)
{
    switch ((CvgTypedParamType)p->type) {
    case CVG_TYPED_PARAM_INT:
        return g_strdup_printf("%d", p->value.i);
    case CVG_TYPED_PARAM_UINT:
        return g_strdup_printf("%u", p->value.ui);
    case CVG_TYPED_PARAM_LLONG:
        return g_strdup_printf("%lld", p->value.l);
    case CVG_TYPED_PARAM_ULLONG:
        return g_strdup_printf("%llu", p->value.ul);
    case CVG_TYPED_PARAM_DOUBLE:
        return g_strdup_printf("%g", p->value.d);
    case CVG_TYPED_PARAM_BOOLEAN:
        return g_strdup(p->value.b ? "true" : "false");
    case CVG_TYPED_PARAM_STRING:
        return g_strdup(p->value.s);
    case CVG_TYPED_PARAM_LAST:
    default:
        return g_strdup("?");
    }
}

static int
check_range(const CvgMigrationParamDef *def, const CvgTypedParam *p)
{
    bool negative = false;
    unsigned long long v = 0;
    bool ok;
    g_autofree char *got = NULL;

    if (def->max == 0)
        return 0;
    if (p->type == CVG_TYPED_PARAM_DOUBLE) {
        ok = !isnan(p->value.d) && p->value.d >= (double)def->min &&
             p->value.d <= (double)def->max;
    } else if (param_number(p, &negative, &v)) {
        ok = !negative && v >= def->min && v <= def->max;
    } else {
        return 0;
    }
    if (ok)
        return 0;
    got = param_value_string(p);
    cvg_error_report(
        CVG_ERR_INVALID_ARG,
        _("migration parameter '%s' must be between %llu and %llu, got %s"),
        def->name, def->min, def->max, got);
    return -1;
}

static int
check_param(const CvgTypedParamList *params, size_t idx, unsigned int flags,
            unsigned int side)
{
    const CvgTypedParam *p = &params->params[idx];
    CvgMigrationParamDef scratch;
    const CvgMigrationParamDef *def = param_def(p->field, &scratch);
    const CvgConvergenceSettingDef *setting;

    if (!def) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("unsupported migration parameter '%s'"), p->field);
        return -1;
    }
    if (def->apply == CVG_MIG_APPLY_REFUSED) {
        cvg_error_report(
            CVG_ERR_ARGUMENT_UNSUPPORTED,
            _("migration parameter '%s' is not supported by convergd"),
            def->name);
        return -1;
    }
    if (p->type != def->type) {
        cvg_error_report(
            CVG_ERR_INVALID_ARG,
            _("invalid type '%s' for migration parameter '%s', expected '%s'"),
            cvg_typed_param_type_name(p->type), def->name,
            cvg_typed_param_type_name(def->type));
        return -1;
    }
    if (!def->repeatable) {
        for (size_t j = 0; j < idx; j++) {
            if (strcmp(params->params[j].field, p->field) == 0) {
                cvg_error_report(
                    CVG_ERR_INVALID_ARG,
                    _("migration parameter '%s' may be given only once"),
                    def->name);
                return -1;
            }
        }
    }
    if (check_range(def, p) < 0)
        return -1;
    /* A word setting's value is checked here too, before anything runs. */
    if ((setting = cvg_convergence_setting_by_param(def->name)) &&
        cvg_convergence_setting_check_typed(setting, p) < 0)
        return -1;

    /* The destination never sees the source's tuning flags (libvirt strips
     * VIR_MIGRATE_AUTO_CONVERGE from Prepare/Finish but still forwards the
     * auto_converge.* parameters), so flag rules are the source's only. */
    if ((side & CVG_MIG_SIDE_SOURCE) && def->requires_flag &&
        !(flags & def->requires_flag)) {
        int fi = flag_index(def->requires_flag);
        const char *fname = fi < 0 ? "?" : flag_names[fi].name;
        const char *feature = fi < 0 || !flag_names[fi].feature
                                  ? fname
                                  : _(flag_names[fi].feature);

        cvg_error_report(
            CVG_ERR_INVALID_ARG,
            _("migration parameter '%s' needs %s; turn %s on to tune it"),
            def->name, fname, feature);
        return -1;
    }
    return 0;
}

static int
compress_index(const char *name)
{
    for (int i = 0; cvg_migration_compress_table[i].name; i++) {
        if (strcmp(cvg_migration_compress_table[i].name, name) == 0)
            return i;
    }
    return -1;
}

/* Whether @methods holds a multifd method. */
static bool
has_multifd(unsigned int methods)
{
    for (int i = 0; cvg_migration_compress_table[i].name; i++) {
        if ((methods & (1U << i)) && cvg_migration_compress_table[i].multifd)
            return true;
    }
    return false;
}

/* One "compression" value added to *@methods, with libvirt's refusals. */
static int
check_compress_method(const char *name, unsigned int flags,
                      unsigned int *methods)
{
    bool parallel = flags & CVG_MIGRATE_PARALLEL;
    int i = compress_index(name);
    const CvgMigrationCompressDef *m;

    if (i < 0) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("Unsupported compression method '%s'"), name);
        return -1;
    }
    m = &cvg_migration_compress_table[i];
    if (m->removed) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("compression method '%s' is not supported: %s"),
                         name, _(m->removed));
        return -1;
    }
    if (*methods & (1U << i)) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("Compression method '%s' is specified twice"), name);
        return -1;
    }
    if (!m->multifd && parallel) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("Compression method '%s' isn't supported with "
                           "parallel migration"),
                         name);
        return -1;
    }
    if (m->multifd && !parallel) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("Compression method '%s' is only supported with "
                           "parallel migration"),
                         name);
        return -1;
    }
    if (m->multifd && has_multifd(*methods)) {
        cvg_error_report(CVG_ERR_INVALID_ARG, "%s",
                         _("Only one compression method could be specified "
                           "with parallel compression"));
        return -1;
    }
    *methods |= 1U << i;
    return 0;
}

/* The compression methods of @params and @flags (already type-checked),
 * as libvirt chooses them: VIR_MIGRATE_COMPRESSED alone means xbzrle. */
static int
check_compression(const CvgTypedParamList *params, unsigned int flags,
                  unsigned int *ret_methods)
{
    unsigned int methods = 0;

    for (size_t i = 0; params && i < params->n; i++) {
        const CvgTypedParam *p = &params->params[i];

        if (strcmp(p->field, CVG_MIGRATE_PARAM_COMPRESSION) == 0 &&
            check_compress_method(p->value.s, flags, &methods) < 0)
            return -1;
    }
    for (int i = 0; cvg_migration_compress_table[i].name; i++) {
        const CvgMigrationCompressDef *m = &cvg_migration_compress_table[i];

        if (m->tune && !(methods & (1U << i)) &&
            cvg_typed_params_find(params, m->tune)) {
            cvg_error_report(CVG_ERR_INVALID_ARG,
                             _("Turn %s compression on to tune it"), m->name);
            return -1;
        }
    }
    if (!methods && (flags & CVG_MIGRATE_COMPRESSED)) {
        if (flags & CVG_MIGRATE_PARALLEL) {
            cvg_error_report(CVG_ERR_INVALID_ARG, "%s",
                             _("No compression algorithm selected for "
                               "parallel migration"));
            return -1;
        }
        methods = 1U << compress_index("xbzrle");
    }
    *ret_methods = methods;
    return 0;
}

CvgMigrationParams *
cvg_migration_params_validate(const CvgTypedParamList *params,
                              unsigned int flags, unsigned int side)
{
    g_autoptr(CvgMigrationParams) mp = NULL;
    unsigned int compression = 0;

    g_return_val_if_fail(side & CVG_MIG_SIDE_BOTH, NULL);

    if (check_flags(flags) < 0)
        return NULL;
    for (size_t i = 0; params && i < params->n; i++) {
        if (check_param(params, i, flags, side) < 0)
            return NULL;
    }
    if (check_compression(params, flags, &compression) < 0)
        return NULL;

    mp = g_new0(CvgMigrationParams, 1);
    mp->flags = flags;
    mp->compression = compression;
    mp->params =
        params ? cvg_typed_params_copy(params) : cvg_typed_params_new();
    return g_steal_pointer(&mp);
}

json_object *
cvg_migration_params_caps_json(const CvgMigrationParams *mp, unsigned int side)
{
    json_object *caps = json_object_new_array();
    json_object *cap;

    /* MIGRATION and MIGRATION_PASS events drive the job on both sides. */
    cap = json_object_new_object();
    json_object_object_add(cap, "capability", json_object_new_string("events"));
    json_object_object_add(cap, "state", json_object_new_boolean(1));
    json_object_array_add(caps, cap);

    for (const CvgMigrationCapDef *c = cvg_migration_cap_table; c->capability;
         c++) {
        bool on = mp->flags & c->flag;

        if (!(c->side & side))
            continue;
        cap = json_object_new_object();
        json_object_object_add(cap, "capability",
                               json_object_new_string(c->capability));
        json_object_object_add(cap, "state", json_object_new_boolean(on));
        json_object_array_add(caps, cap);
    }
    /* Both sides, as libvirt does; the destination needs none of them. */
    for (int i = 0; cvg_migration_compress_table[i].name; i++) {
        const char *name = cvg_migration_compress_table[i].capability;

        if (!name)
            continue;
        cap = json_object_new_object();
        json_object_object_add(cap, "capability", json_object_new_string(name));
        json_object_object_add(
            cap, "state", json_object_new_boolean(mp->compression & (1U << i)));
        json_object_array_add(caps, cap);
    }
    return caps;
}

/* The QMP value of @p (already validated against @def), or NULL when the
 * value means "not given". */
static json_object *
param_qmp_value(const CvgMigrationParamDef *def, const CvgTypedParam *p)
{
    bool negative;
    unsigned long long v;

    switch ((CvgTypedParamType)p->type) {
    case CVG_TYPED_PARAM_BOOLEAN:
        return json_object_new_boolean(!!p->value.b);
    case CVG_TYPED_PARAM_STRING:
        return json_object_new_string(p->value.s);
    case CVG_TYPED_PARAM_DOUBLE:
        return json_object_new_double(p->value.d * (double)def->qmp_scale);
    case CVG_TYPED_PARAM_INT:
    case CVG_TYPED_PARAM_UINT:
    case CVG_TYPED_PARAM_LLONG:
    case CVG_TYPED_PARAM_ULLONG:
        if (!param_number(p, &negative, &v))
            return NULL;
        if (v == 0 && is_zero_default(def))
            return NULL;
        /* The table keeps max * scale within int64 (checked by the tests);
         * ranged values are never negative. */
        if (negative)
            return json_object_new_int64(-(int64_t)(v * def->qmp_scale));
        return json_object_new_uint64(v * def->qmp_scale);
    case CVG_TYPED_PARAM_LAST:
    default:
        return NULL;
    }
}

/* multifd-compression and multifd-channels with VIR_MIGRATE_PARALLEL:
 * both sides must agree, and QEMU keeps a previous migration's values. */
static void
add_multifd_defaults(const CvgMigrationParams *mp, json_object *args)
{
    const char *method = "none";

    for (int i = 0; cvg_migration_compress_table[i].name; i++) {
        if ((mp->compression & (1U << i)) &&
            cvg_migration_compress_table[i].multifd)
            method = cvg_migration_compress_table[i].multifd;
    }
    json_object_object_add(args, "multifd-compression",
                           json_object_new_string(method));
    if (!json_object_object_get_ex(args, "multifd-channels", NULL))
        json_object_object_add(args, "multifd-channels",
                               json_object_new_int(DEFAULT_MULTIFD_CHANNELS));
}

json_object *
cvg_migration_params_qmp_json(const CvgMigrationParams *mp, unsigned int side)
{
    json_object *args = json_object_new_object();

    /* Table order, so the arguments read the same whatever the caller's
     * order. */
    for (const CvgMigrationParamDef *d = cvg_migration_param_table; d->name;
         d++) {
        const CvgTypedParam *p;
        json_object *v;

        if (d->apply != CVG_MIG_APPLY_PARAM || !(d->side & side) ||
            !d->qmp_name)
            continue;
        if (!(p = cvg_typed_params_find(mp->params, d->name)))
            continue;
        if (!(v = param_qmp_value(d, p)))
            continue;
        g_debug("migration parameter %s -> %s", d->name, d->qmp_name);
        json_object_object_add(args, d->qmp_name, v);
    }
    if (mp->flags & CVG_MIGRATE_PARALLEL)
        add_multifd_defaults(mp, args);
    return args;
}

const char *
cvg_migration_params_string(const CvgMigrationParams *mp, const char *name)
{
    const CvgTypedParam *p;

    if (!mp || !(p = cvg_typed_params_find(mp->params, name)) ||
        p->type != CVG_TYPED_PARAM_STRING)
        return NULL;
    return p->value.s;
}
