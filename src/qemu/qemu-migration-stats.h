/*
 * qemu-migration-stats.h: query-migrate samples and libvirt job statistics
 */
#pragma once

#include "cvg-json.h"
#include "cvg-typed-param.h"

#include <stdbool.h>

/* virDomainJobType */
typedef enum {
    CVG_JOB_TYPE_NONE = 0,
    CVG_JOB_TYPE_BOUNDED = 1,
    CVG_JOB_TYPE_UNBOUNDED = 2,
    CVG_JOB_TYPE_COMPLETED = 3,
    CVG_JOB_TYPE_FAILED = 4,
    CVG_JOB_TYPE_CANCELLED = 5,
} CvgJobType;

/* virDomainJobOperation */
typedef enum {
    CVG_JOB_OP_UNKNOWN = 0,
    CVG_JOB_OP_MIGRATION_IN = 4,
    CVG_JOB_OP_MIGRATION_OUT = 5,
} CvgJobOperation;

/* QEMU's MigrationStatus values we distinguish. */
typedef enum {
    CVG_MIG_STATUS_NONE,
    CVG_MIG_STATUS_SETUP,
    CVG_MIG_STATUS_ACTIVE,
    CVG_MIG_STATUS_PRE_SWITCHOVER,
    CVG_MIG_STATUS_DEVICE,
    CVG_MIG_STATUS_POSTCOPY,
    CVG_MIG_STATUS_COMPLETED,
    CVG_MIG_STATUS_FAILED,
    CVG_MIG_STATUS_CANCELLING,
    CVG_MIG_STATUS_CANCELLED,
    CVG_MIG_STATUS_POSTCOPY_PAUSED,        /* post-copy lost its stream */
    CVG_MIG_STATUS_POSTCOPY_RECOVER,       /* resuming after postcopy-paused */
    CVG_MIG_STATUS_POSTCOPY_RECOVER_SETUP, /* QEMU 9.1+: the same, earlier */
    CVG_MIG_STATUS_OTHER,
    CVG_MIG_STATUS_LAST
} CvgMigrationStatus;

/* One query-migrate reply, in QEMU's units. */
typedef struct {
    int status;       /* CvgMigrationStatus */
    char *error_desc; /* "error-desc" when failed */
    bool has_ram;
    unsigned long long total_time_ms;
    unsigned long long setup_time_ms;
    unsigned long long expected_downtime_ms;
    unsigned long long downtime_ms; /* only once completed */
    bool has_downtime;
    int throttle_pct; /* cpu-throttle-percentage, 0 absent */
    unsigned long long ram_transferred;
    unsigned long long ram_remaining;
    unsigned long long ram_total;
    unsigned long long ram_duplicate; /* pages */
    unsigned long long ram_normal;    /* pages */
    unsigned long long ram_normal_bytes;
    unsigned long long ram_dirty_pages_rate; /* pages/s */
    double ram_mbps;                         /* megabits/s (10^6) */
    unsigned long long ram_dirty_sync_count;
    unsigned long long ram_postcopy_requests;
    unsigned long long ram_page_size;
    /* "xbzrle-cache", present while the xbzrle capability is on */
    bool has_xbzrle;
    unsigned long long xbzrle_cache_size; /* bytes */
    unsigned long long xbzrle_bytes;
    unsigned long long xbzrle_pages;
    unsigned long long xbzrle_cache_miss; /* pages */
    unsigned long long xbzrle_overflow;   /* pages */
} CvgMigrationSample;

/* MigrationStatus name -> enum (unknown names give OTHER). */
int cvg_migration_status_from_string(const char *s);
const char *cvg_migration_status_to_string(int status);

/*
 * Parse a query-migrate "return" object.  Fails (INTERNAL_ERROR naming the
 * member) when "status" is missing, or when an active migration lacks its
 * ram section's required members (transferred, remaining, total).
 */
int cvg_migration_sample_parse(json_object *reply,
                               CvgMigrationSample *ret_sample);
void cvg_migration_sample_clear(CvgMigrationSample *s);

/*
 * The virDomainGetJobStats parameters for @s, with libvirt's names, exact
 * types and order: operation, time_elapsed, downtime, setup_time,
 * data_total/processed/remaining, memory_total/processed/remaining,
 * memory_bps, memory_constant, memory_normal, memory_normal_bytes,
 * memory_dirty_rate, memory_iteration, memory_postcopy_requests,
 * memory_page_size, disk_total/processed/remaining (0, no disks),
 * compression_cache/_bytes/_pages/_cache_misses/_overflow only when QEMU
 * reported its xbzrle cache, and auto_converge_throttle (INT) only when
 * the throttle is non-zero.
 * @elapsed_ms is the job's own clock.  @completed selects "downtime" from
 * the measured downtime instead of the expected one.
 */
CvgTypedParamList *cvg_migration_stats_to_params(const CvgMigrationSample *s,
                                                 int operation,
                                                 unsigned long long elapsed_ms,
                                                 bool completed);
