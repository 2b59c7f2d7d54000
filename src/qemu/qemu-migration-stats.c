/*
 * qemu-migration-stats.c: query-migrate samples and libvirt job statistics
 *
 * Reply shapes (QEMU 7.2 and 10.0): a QEMU that never migrated answers {}
 * (no "status"); "setup" carries nothing else; "active" carries
 * total-time, setup-time, expected-downtime and ram; "completed" carries
 * downtime instead of expected-downtime (and on the destination nothing
 * but the status); "failed" carries error-desc; "cancelled" carries no ram.
 * cpu-throttle-percentage is absent while the throttle is 0.
 */
#include "qemu-migration-stats.h"
#include "cvg-enum.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

#include <math.h>
#include <string.h>

/* QEMU's MigrationStatus names; OTHER stands for the ones we do not
 * distinguish (colo, wait-unplug, ...). */
static const char *const status_names[] = {
    "none",
    "setup",
    "active",
    "pre-switchover",
    "device",
    "postcopy-active",
    "completed",
    "failed",
    "cancelling",
    "cancelled",
    "postcopy-paused",
    "postcopy-recover",
    "postcopy-recover-setup",
    "other",
};
G_STATIC_ASSERT(G_N_ELEMENTS(status_names) == CVG_MIG_STATUS_LAST);

int
cvg_migration_status_from_string(const char *s)
{
    int status = cvg_enum_from_string(status_names, CVG_MIG_STATUS_OTHER, s);

    return status < 0 ? CVG_MIG_STATUS_OTHER : status;
}

const char *
cvg_migration_status_to_string(int status)
{
    const char *name =
        cvg_enum_to_string(status_names, CVG_MIG_STATUS_LAST, status);

    return name ? name : status_names[CVG_MIG_STATUS_OTHER];
}

/* The ram members, in QEMU's units; "required" ones must be present when
 * the section is. */
static const struct {
    const char *member;
    size_t offset;
    bool required;
} ram_members[] = {
    {"transferred", G_STRUCT_OFFSET(CvgMigrationSample, ram_transferred), true},
    {"remaining", G_STRUCT_OFFSET(CvgMigrationSample, ram_remaining), true},
    {"total", G_STRUCT_OFFSET(CvgMigrationSample, ram_total), true},
    {"duplicate", G_STRUCT_OFFSET(CvgMigrationSample, ram_duplicate), false},
    {"normal", G_STRUCT_OFFSET(CvgMigrationSample, ram_normal), false},
    {"normal-bytes", G_STRUCT_OFFSET(CvgMigrationSample, ram_normal_bytes),
     false},
    {"dirty-pages-rate",
     G_STRUCT_OFFSET(CvgMigrationSample, ram_dirty_pages_rate), false},
    {"dirty-sync-count",
     G_STRUCT_OFFSET(CvgMigrationSample, ram_dirty_sync_count), false},
    {"postcopy-requests",
     G_STRUCT_OFFSET(CvgMigrationSample, ram_postcopy_requests), false},
    {"page-size", G_STRUCT_OFFSET(CvgMigrationSample, ram_page_size), false},
};

/* "xbzrle-cache" (QEMU 10): cache-miss-rate and encoding-rate are left
 * out, libvirt reports neither. */
static const struct {
    const char *member;
    size_t offset;
} xbzrle_members[] = {
    {"cache-size", G_STRUCT_OFFSET(CvgMigrationSample, xbzrle_cache_size)},
    {"bytes", G_STRUCT_OFFSET(CvgMigrationSample, xbzrle_bytes)},
    {"pages", G_STRUCT_OFFSET(CvgMigrationSample, xbzrle_pages)},
    {"cache-miss", G_STRUCT_OFFSET(CvgMigrationSample, xbzrle_cache_miss)},
    {"overflow", G_STRUCT_OFFSET(CvgMigrationSample, xbzrle_overflow)},
};

static const struct {
    const char *member;
    size_t offset;
} top_members[] = {
    {"total-time", G_STRUCT_OFFSET(CvgMigrationSample, total_time_ms)},
    {"setup-time", G_STRUCT_OFFSET(CvgMigrationSample, setup_time_ms)},
    {"expected-downtime",
     G_STRUCT_OFFSET(CvgMigrationSample, expected_downtime_ms)},
};

#define SAMPLE_ULL(s, off) ((unsigned long long *)(void *)((char *)(s) + (off)))

static int
parse_ram(json_object *ram, CvgMigrationSample *s)
{
    json_object *mbps;

    for (size_t i = 0; i < G_N_ELEMENTS(ram_members); i++) {
        guint64 v;

        if (cvg_json_get_uint64(ram, ram_members[i].member, &v)) {
            *SAMPLE_ULL(s, ram_members[i].offset) = v;
        } else if (ram_members[i].required) {
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("query-migrate reply lacks 'ram.%s'"),
                             ram_members[i].member);
            return -1;
        }
    }
    /* Megabits (10^6) per second, a float; QEMU 7.2 and 10.0 alike. */
    if (json_object_object_get_ex(ram, "mbps", &mbps) &&
        (json_object_is_type(mbps, json_type_double) ||
         json_object_is_type(mbps, json_type_int))) {
        double d = json_object_get_double(mbps);

        s->ram_mbps = isfinite(d) && d > 0 ? d : 0;
    }
    s->has_ram = true;
    return 0;
}

static void
parse_xbzrle(json_object *xbzrle, CvgMigrationSample *s)
{
    for (size_t i = 0; i < G_N_ELEMENTS(xbzrle_members); i++) {
        guint64 v;

        if (cvg_json_get_uint64(xbzrle, xbzrle_members[i].member, &v))
            *SAMPLE_ULL(s, xbzrle_members[i].offset) = v;
    }
    s->has_xbzrle = true;
}

int
cvg_migration_sample_parse(json_object *reply, CvgMigrationSample *ret_sample)
{
    CvgMigrationSample s = {0};
    const char *status;
    const char *desc;
    json_object *ram;
    json_object *xbzrle;
    gint64 pct;
    guint64 v;

    if (!reply || !json_object_is_type(reply, json_type_object)) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR, "%s",
                         _("query-migrate reply is not an object"));
        return -1;
    }
    /* A QEMU that has never migrated answers {}: callers ask only once a
     * migration has started. */
    if (!(status = cvg_json_get_string(reply, "status"))) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("query-migrate reply lacks '%s'"), "status");
        return -1;
    }
    s.status = cvg_migration_status_from_string(status);

    for (size_t i = 0; i < G_N_ELEMENTS(top_members); i++) {
        if (cvg_json_get_uint64(reply, top_members[i].member, &v))
            *SAMPLE_ULL(&s, top_members[i].offset) = v;
    }
    if (cvg_json_get_uint64(reply, "downtime", &v)) {
        s.downtime_ms = v;
        s.has_downtime = true;
    }
    if (cvg_json_get_int64(reply, "cpu-throttle-percentage", &pct)) {
        if (pct < 0 || pct > 100) {
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("query-migrate reply has an invalid '%s': %lld"),
                             "cpu-throttle-percentage", (long long)pct);
            return -1;
        }
        s.throttle_pct = pct;
    }

    if ((ram = cvg_json_get_object(reply, "ram"))) {
        if (parse_ram(ram, &s) < 0)
            return -1;
    }
    if ((xbzrle = cvg_json_get_object(reply, "xbzrle-cache")))
        parse_xbzrle(xbzrle, &s);
    /* An incoming migration reports 'active' without a ram section: the
     * destination has no transfer counters.  Callers check has_ram. */

    if ((desc = cvg_json_get_string(reply, "error-desc")))
        s.error_desc = g_strdup(desc);

    *ret_sample = s;
    return 0;
}

void
cvg_migration_sample_clear(CvgMigrationSample *s)
{
    if (!s)
        return;
    g_free(s->error_desc);
    memset(s, 0, sizeof(*s));
}

/* Bytes per second from QEMU's megabits (10^6) per second, rounded. */
static unsigned long long
mbps_to_bps(double mbps)
{
    double bps = mbps * (1000.0 * 1000.0 / 8.0);

    if (!(bps > 0))
        return 0;
    if (bps >= 18446744073709551615.0)
        return G_MAXUINT64;
    return (unsigned long long)(bps + 0.5);
}

/* libvirt's compression_* statistics (all ULLONG), from the xbzrle cache. */
static int
add_compression(CvgTypedParamList *params, const CvgMigrationSample *s)
{
    const struct {
        const char *name;
        unsigned long long value;
    } fields[] = {
        {"compression_cache", s->xbzrle_cache_size},
        {"compression_bytes", s->xbzrle_bytes},
        {"compression_pages", s->xbzrle_pages},
        {"compression_cache_misses", s->xbzrle_cache_miss},
        {"compression_overflow", s->xbzrle_overflow},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (cvg_typed_params_add_ullong(params, fields[i].name,
                                        fields[i].value) < 0)
            return -1;
    }
    return 0;
}

CvgTypedParamList *
cvg_migration_stats_to_params(const CvgMigrationSample *s, int operation,
                              unsigned long long elapsed_ms, bool completed)
{
    g_autoptr(CvgTypedParamList) params = cvg_typed_params_new();
    unsigned long long downtime =
        completed && s->has_downtime ? s->downtime_ms : s->expected_downtime_ms;
    /* The order of libvirt's qemu driver; virsh prints its own order. */
    const struct {
        const char *name;
        unsigned long long value;
    } fields[] = {
        {"time_elapsed", elapsed_ms},
        {"downtime", downtime},
        {"setup_time", s->setup_time_ms},
        /* No disks are copied: data is memory. */
        {"data_total", s->ram_total},
        {"data_processed", s->ram_transferred},
        {"data_remaining", s->ram_remaining},
        {"memory_total", s->ram_total},
        {"memory_processed", s->ram_transferred},
        {"memory_remaining", s->ram_remaining},
        {"memory_bps", mbps_to_bps(s->ram_mbps)},
        {"memory_constant", s->ram_duplicate},
        {"memory_normal", s->ram_normal},
        {"memory_normal_bytes", s->ram_normal_bytes},
        {"memory_dirty_rate", s->ram_dirty_pages_rate}, /* pages/s */
        {"memory_iteration", s->ram_dirty_sync_count},
        {"memory_postcopy_requests", s->ram_postcopy_requests},
        {"memory_page_size", s->ram_page_size},
        {"disk_total", 0},
        {"disk_processed", 0},
        {"disk_remaining", 0},
    };

    /* operation and auto_converge_throttle are INT on the wire: virsh
     * fails on any other type. */
    if (cvg_typed_params_add_int(params, "operation", operation) < 0)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (cvg_typed_params_add_ullong(params, fields[i].name,
                                        fields[i].value) < 0)
            return NULL;
    }
    if (s->has_xbzrle && add_compression(params, s) < 0)
        return NULL;
    if (s->throttle_pct != 0 &&
        cvg_typed_params_add_int(params, "auto_converge_throttle",
                                 s->throttle_pct) < 0)
        return NULL;
    return g_steal_pointer(&params);
}
