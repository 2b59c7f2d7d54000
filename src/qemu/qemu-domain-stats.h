/*
 * qemu-domain-stats.h: bulk domain statistics (virConnectGetAllDomainStats)
 *
 * Each domain gives one record: its typed parameters, grouped by the
 * VIR_DOMAIN_STATS_* bits asked for, with libvirt's field names and types
 * ("state.state", "cpu.time", "balloon.current", "vcpu.0.time", ...).
 * A running domain has every group; an inactive one only "state".
 */
#pragma once

#include "qemu-driver-state.h"

/* virDomainStatsTypes: the groups convergd serves. */
typedef enum {
    CVG_DOMAIN_STATS_STATE = 1 << 0,
    CVG_DOMAIN_STATS_CPU_TOTAL = 1 << 1,
    CVG_DOMAIN_STATS_BALLOON = 1 << 2,
    CVG_DOMAIN_STATS_VCPU = 1 << 3,
    CVG_DOMAIN_STATS_INTERFACE = 1 << 4,
    CVG_DOMAIN_STATS_BLOCK = 1 << 5,
} CvgDomainStatsGroup;

/* virConnectGetAllDomainStatsFlags.  The eight filter bits have the values
 * of the matching virConnectListAllDomainsFlags. */
typedef enum {
    CVG_DOMAIN_STATS_FILTERS = 0xff, /* ACTIVE ... OTHER */
    CVG_DOMAIN_STATS_NOWAIT = 1 << 29,
    CVG_DOMAIN_STATS_BACKING = 1 << 30,
    CVG_DOMAIN_STATS_ENFORCE = 1u << 31,
} CvgDomainStatsFlags;

typedef struct {
    CvgDomainObj *dom; /* referenced */
    CvgTypedParamList *params;
} CvgDomainStatsRecord;

void cvg_domain_stats_record_free(CvgDomainStatsRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainStatsRecord,
                              cvg_domain_stats_record_free)

/*
 * Gather the @stats groups (0: all groups) of the domains that match the
 * filter bits of @flags: every domain when @doms is NULL, else those of
 * the @ndoms in @doms (in that order).  Takes the driver lock; QMP queries
 * run under a QUERY job, so they work during a migration.  Unknown @stats
 * bits are ignored unless @flags has ENFORCE (then ARGUMENT_UNSUPPORTED);
 * unknown flags fail with INVALID_ARG.  *@ret_records is a new array of
 * CvgDomainStatsRecord (freed with the array).
 */
int cvg_driver_get_domain_stats(CvgDriver *drv, CvgDomainObj *const *doms,
                                size_t ndoms, unsigned int stats,
                                unsigned int flags, GPtrArray **ret_records);
