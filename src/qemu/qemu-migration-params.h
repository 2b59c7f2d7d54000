/*
 * qemu-migration-params.h: the migration parameter and capability tables
 *
 * One table describes every migration typed parameter convergd knows:
 * its public name and type, unit, range, the QMP parameter it maps to and
 * which side applies it.  A second table maps API flags to QMP
 * capabilities.  Validation, the conversion to QMP arguments and the
 * documentation all loop over these tables: a new knob is a new row.
 */
#pragma once

#include "convergence-conf.h"
#include "cvg-json.h"
#include "cvg-typed-param.h"

#include <stdbool.h>

/* virDomainMigrateFlags (ABI values) */
typedef enum {
    CVG_MIGRATE_LIVE = 1 << 0,
    CVG_MIGRATE_PEER2PEER = 1 << 1,
    CVG_MIGRATE_TUNNELLED = 1 << 2,
    CVG_MIGRATE_PERSIST_DEST = 1 << 3,
    CVG_MIGRATE_UNDEFINE_SOURCE = 1 << 4,
    CVG_MIGRATE_PAUSED = 1 << 5,
    CVG_MIGRATE_NON_SHARED_DISK = 1 << 6,
    CVG_MIGRATE_NON_SHARED_INC = 1 << 7,
    CVG_MIGRATE_CHANGE_PROTECTION = 1 << 8,
    CVG_MIGRATE_UNSAFE = 1 << 9,
    CVG_MIGRATE_OFFLINE = 1 << 10,
    CVG_MIGRATE_COMPRESSED = 1 << 11,
    CVG_MIGRATE_ABORT_ON_ERROR = 1 << 12,
    CVG_MIGRATE_AUTO_CONVERGE = 1 << 13,
    CVG_MIGRATE_RDMA_PIN_ALL = 1 << 14,
    CVG_MIGRATE_POSTCOPY = 1 << 15,
    CVG_MIGRATE_TLS = 1 << 16,
    CVG_MIGRATE_PARALLEL = 1 << 17,
    CVG_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES = 1 << 18,
    CVG_MIGRATE_POSTCOPY_RESUME = 1 << 19,
    CVG_MIGRATE_ZEROCOPY = 1 << 20,
} CvgMigrateFlags;

/* The flags convergd honours; any other flag is refused with
 * ARGUMENT_UNSUPPORTED naming it. */
#define CVG_MIGRATE_SUPPORTED_FLAGS                                            \
    (CVG_MIGRATE_LIVE | CVG_MIGRATE_PEER2PEER | CVG_MIGRATE_PERSIST_DEST |     \
     CVG_MIGRATE_UNDEFINE_SOURCE | CVG_MIGRATE_CHANGE_PROTECTION |             \
     CVG_MIGRATE_UNSAFE | CVG_MIGRATE_ABORT_ON_ERROR |                         \
     CVG_MIGRATE_AUTO_CONVERGE | CVG_MIGRATE_TLS | CVG_MIGRATE_PAUSED |        \
     CVG_MIGRATE_POSTCOPY | CVG_MIGRATE_POSTCOPY_RESUME |                      \
     CVG_MIGRATE_COMPRESSED | CVG_MIGRATE_PARALLEL)

/* Well-known string parameters handled by the migration code itself. */
#define CVG_MIGRATE_PARAM_URI "migrate_uri"
#define CVG_MIGRATE_PARAM_DEST_NAME "destination_name"
#define CVG_MIGRATE_PARAM_DEST_XML "destination_xml"
#define CVG_MIGRATE_PARAM_PERSIST_XML "persistent_xml"
#define CVG_MIGRATE_PARAM_LISTEN_ADDRESS "listen_address"
#define CVG_MIGRATE_PARAM_BANDWIDTH "bandwidth"
#define CVG_MIGRATE_PARAM_AC_INITIAL "auto_converge.initial"
#define CVG_MIGRATE_PARAM_AC_INCREMENT "auto_converge.increment"
#define CVG_MIGRATE_PARAM_TLS_DESTINATION "tls.destination"
#define CVG_MIGRATE_PARAM_PARALLEL_CONNECTIONS "parallel.connections"
#define CVG_MIGRATE_PARAM_COMPRESSION "compression"
#define CVG_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE "compression.xbzrle.cache"
#define CVG_MIGRATE_PARAM_COMPRESSION_ZLIB_LEVEL "compression.zlib.level"
#define CVG_MIGRATE_PARAM_COMPRESSION_ZSTD_LEVEL "compression.zstd.level"

typedef enum {
    CVG_MIG_SIDE_SOURCE = 1 << 0,
    CVG_MIG_SIDE_DEST = 1 << 1,
    CVG_MIG_SIDE_BOTH = CVG_MIG_SIDE_SOURCE | CVG_MIG_SIDE_DEST,
} CvgMigrationSide;

/* How a parameter's value reaches QMP. */
typedef enum {
    CVG_MIG_APPLY_NONE,    /* used by the migration code, not sent to QEMU */
    CVG_MIG_APPLY_PARAM,   /* migrate-set-parameters */
    CVG_MIG_APPLY_REFUSED, /* a libvirt parameter convergd does not offer */
} CvgMigrationApply;

typedef struct {
    const char *name; /* typed-param name, e.g. "auto_converge.initial" */
    int type;         /* CvgTypedParamType */
    CvgMigrationApply apply;
    const char *qmp_name;         /* e.g. "cpu-throttle-initial" */
    unsigned long long min, max;  /* in the typed param's unit */
    unsigned long long qmp_scale; /* typed value * scale = QMP value */
    unsigned int side;            /* CvgMigrationSide */
    unsigned int requires_flag;   /* a CvgMigrateFlags bit, or 0 */
    bool repeatable;              /* may appear more than once */
    const char *unit;             /* for docs: "%", "MiB/s", "ms", ... */
    const char *doc;              /* one line for docs/migration.rst */
} CvgMigrationParamDef;

typedef struct {
    unsigned int flag;      /* CvgMigrateFlags */
    const char *capability; /* QMP capability name */
    unsigned int side;
} CvgMigrationCapDef;

/* A compression method, by libvirt's name.  It turns on a QMP capability
 * (xbzrle) or is the multifd-compression value (zlib, zstd); multifd
 * methods need VIR_MIGRATE_PARALLEL and the others refuse it. */
typedef struct {
    const char *name;       /* "xbzrle", "zlib", ... */
    const char *capability; /* QMP capability it turns on, or NULL */
    const char *multifd;    /* multifd-compression value, or NULL */
    const char *tune;       /* the compression.* parameter needing it */
    const char *removed;    /* why QEMU 10 cannot do it, or NULL */
} CvgMigrationCompressDef;

/* The tables (NULL-name terminated) */
extern const CvgMigrationParamDef cvg_migration_param_table[];
extern const CvgMigrationCapDef cvg_migration_cap_table[];
extern const CvgMigrationCompressDef cvg_migration_compress_table[];

/* The convergence setting @setting (convergence-conf.h) as a row of
 * cvg_migration_param_table would describe it: used by the migration code,
 * source side, needing VIR_MIGRATE_AUTO_CONVERGE when it tunes the
 * throttle.  Validation looks settings up this way; so do the docs. */
void
cvg_migration_param_def_from_setting(const CvgConvergenceSettingDef *setting,
                                     CvgMigrationParamDef *ret_def);

/* A validated parameter set, ready to apply. */
typedef struct {
    unsigned int flags;
    CvgTypedParamList *params; /* the caller's list (copy) */
    unsigned int compression;  /* bit i: cvg_migration_compress_table[i] */
} CvgMigrationParams;

void cvg_migration_params_free(CvgMigrationParams *mp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgMigrationParams, cvg_migration_params_free)

/*
 * Validate @params and @flags as the source (@side SOURCE) or destination
 * sees them, before anything reaches QEMU.  Errors name the parameter or
 * flag:
 *  - a flag outside CVG_MIGRATE_SUPPORTED_FLAGS: ARGUMENT_UNSUPPORTED
 *  - an unknown parameter, or a libvirt one convergd refuses:
 *    ARGUMENT_UNSUPPORTED
 *  - a wrong type: INVALID_ARG
 *  - a value out of range: INVALID_ARG
 *  - a repeated non-repeatable parameter: INVALID_ARG
 *  - a parameter that needs a flag given without it: INVALID_ARG
 *    (throttle parameters without VIR_MIGRATE_AUTO_CONVERGE)
 *  - compression methods libvirt refuses (unknown, twice, xbzrle with
 *    VIR_MIGRATE_PARALLEL, zlib/zstd without it, two multifd methods, a
 *    compression.* parameter without its method): INVALID_ARG, with
 *    libvirt's messages; "mt", which QEMU 10 lacks: ARGUMENT_UNSUPPORTED
 * Returns a new CvgMigrationParams, or NULL.
 */
CvgMigrationParams *
cvg_migration_params_validate(const CvgTypedParamList *params,
                              unsigned int flags, unsigned int side);

/* The migrate-set-capabilities "capabilities" array for @side: every
 * capability of the table, state true when its flag is set, the
 * compression methods' capabilities, plus "events" always on.  New
 * reference. */
json_object *cvg_migration_params_caps_json(const CvgMigrationParams *mp,
                                            unsigned int side);

/* The migrate-set-parameters arguments for @side: one member per parameter
 * given (scaled to QMP units); with VIR_MIGRATE_PARALLEL also
 * multifd-compression and multifd-channels, defaults included, so both
 * sides agree and a previous migration's values do not linger.  New
 * reference; an empty object when there is nothing to set. */
json_object *cvg_migration_params_qmp_json(const CvgMigrationParams *mp,
                                           unsigned int side);

/* The string parameter @name, or NULL. */
const char *cvg_migration_params_string(const CvgMigrationParams *mp,
                                        const char *name);
