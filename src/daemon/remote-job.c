/*
 * remote-job.c: job statistics, abort and migration tunables
 */
#include "daemon.h"
#include "qemu-migration.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

static int
get_job_info(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetJobInfoArgs *args = a;
    CvgRemoteDomainGetJobInfoRet *ret = r;
    CvgJobInfo info;
    GET_DOM(args);

    if (cvg_migration_get_job_info(DRV, dom, &info) < 0)
        return -1;
    ret->type = info.type;
    ret->timeElapsed = info.time_elapsed_ms;
    ret->timeRemaining = info.time_remaining_ms;
    ret->dataTotal = info.data_total;
    ret->dataProcessed = info.data_processed;
    ret->dataRemaining = info.data_remaining;
    ret->memTotal = info.mem_total;
    ret->memProcessed = info.mem_processed;
    ret->memRemaining = info.mem_remaining;
    return 0;
}

static int
get_job_stats(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainGetJobStatsArgs *args = a;
    CvgRemoteDomainGetJobStatsRet *ret = r;
    g_autoptr(CvgTypedParamList) params = NULL;
    GET_DOM(args);

    if (cvg_migration_get_job_stats(DRV, dom, args->flags, &ret->type,
                                    &params) < 0)
        return -1;
    if (params->n > CVG_RPC_PARAM_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("too many job statistics: %zu"), params->n);
        return -1;
    }
    cvg_wire_params_from_list(params, &ret->params);
    return 0;
}

static int
abort_job(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainAbortJobArgs *args = a;
    GET_DOM(args);

    return cvg_migration_abort(DRV, dom, 0);
}

static int
abort_job_flags(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                void *r)
{
    CvgRemoteDomainAbortJobFlagsArgs *args = a;
    GET_DOM(args);

    return cvg_migration_abort(DRV, dom, args->flags);
}

static int
set_max_downtime(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteDomainMigrateSetMaxDowntimeArgs *args = a;
    GET_DOM(args);

    return cvg_migration_set_max_downtime(DRV, dom, args->downtime,
                                          args->flags);
}

static int
get_max_downtime(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteDomainMigrateGetMaxDowntimeArgs *args = a;
    CvgRemoteDomainMigrateGetMaxDowntimeRet *ret = r;
    unsigned long long v;
    GET_DOM(args);

    if (cvg_migration_get_max_downtime(DRV, dom, args->flags, &v) < 0)
        return -1;
    ret->downtime = v;
    return 0;
}

static int
set_max_speed(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainMigrateSetMaxSpeedArgs *args = a;
    GET_DOM(args);

    return cvg_migration_set_max_speed(DRV, dom, args->bandwidth,
                                       args->flags);
}

static int
get_max_speed(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainMigrateGetMaxSpeedArgs *args = a;
    CvgRemoteDomainMigrateGetMaxSpeedRet *ret = r;
    unsigned long long v;
    GET_DOM(args);

    if (cvg_migration_get_max_speed(DRV, dom, args->flags, &v) < 0)
        return -1;
    ret->bandwidth = v;
    return 0;
}

const CvgRpcProcedure cvg_job_procs[] = {
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_JOB_INFO, get_job_info, DomainGetJobInfo,
                domain_get_job_info, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_JOB_STATS, get_job_stats,
                DomainGetJobStats, domain_get_job_stats, RO_OK),
    CVG_PROC_A(CVG_PROC_DOMAIN_ABORT_JOB, abort_job, DomainAbortJob,
               domain_abort_job, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_ABORT_JOB_FLAGS, abort_job_flags,
               DomainAbortJobFlags, domain_abort_job_flags, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_MIGRATE_SET_MAX_DOWNTIME, set_max_downtime,
               DomainMigrateSetMaxDowntime, domain_migrate_set_max_downtime,
               RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_MIGRATE_GET_MAX_DOWNTIME, get_max_downtime,
                DomainMigrateGetMaxDowntime, domain_migrate_get_max_downtime,
                RO_OK),
    CVG_PROC_A(CVG_PROC_DOMAIN_MIGRATE_SET_MAX_SPEED, set_max_speed,
               DomainMigrateSetMaxSpeed, domain_migrate_set_max_speed, RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_MIGRATE_GET_MAX_SPEED, get_max_speed,
                DomainMigrateGetMaxSpeed, domain_migrate_get_max_speed,
                RO_OK),
};
const size_t cvg_job_nprocs = G_N_ELEMENTS(cvg_job_procs);
