/*
 * remote-job.c: job statistics, abort and migration tunables
 */
#include "daemon.h"
#include "qemu-migration.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

int
cvg_dispatch_domain_get_job_info(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteDomainGetJobInfoArgs *args,
                                 CvgRemoteDomainGetJobInfoRet *ret)
{
    CvgJobInfo info;
    GET_DOM(args);

    if (cvg_migration_get_job_info(d->drv, dom, &info) < 0)
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

int
cvg_dispatch_domain_get_job_stats(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteDomainGetJobStatsArgs *args,
                                  CvgRemoteDomainGetJobStatsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    GET_DOM(args);

    if (cvg_migration_get_job_stats(d->drv, dom, args->flags, &ret->type,
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

int
cvg_dispatch_domain_abort_job(CvgDaemon *d, CvgRpcClient *client,
                              const CvgRemoteDomainAbortJobArgs *args)
{
    GET_DOM(args);

    return cvg_migration_abort(d->drv, dom, 0);
}

int
cvg_dispatch_domain_abort_job_flags(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainAbortJobFlagsArgs *args)
{
    GET_DOM(args);

    return cvg_migration_abort(d->drv, dom, args->flags);
}

int
cvg_dispatch_domain_migrate_set_max_downtime(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateSetMaxDowntimeArgs *args)
{
    GET_DOM(args);

    return cvg_migration_set_max_downtime(d->drv, dom, args->downtime,
                                          args->flags);
}

int
cvg_dispatch_domain_migrate_get_max_downtime(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateGetMaxDowntimeArgs *args,
    CvgRemoteDomainMigrateGetMaxDowntimeRet *ret)
{
    unsigned long long v;
    GET_DOM(args);

    if (cvg_migration_get_max_downtime(d->drv, dom, args->flags, &v) < 0)
        return -1;
    ret->downtime = v;
    return 0;
}

int
cvg_dispatch_domain_migrate_set_max_speed(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateSetMaxSpeedArgs *args)
{
    GET_DOM(args);

    return cvg_migration_set_max_speed(d->drv, dom, args->bandwidth,
                                       args->flags);
}

int
cvg_dispatch_domain_migrate_get_max_speed(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateGetMaxSpeedArgs *args,
    CvgRemoteDomainMigrateGetMaxSpeedRet *ret)
{
    unsigned long long v;
    GET_DOM(args);

    if (cvg_migration_get_max_speed(d->drv, dom, args->flags, &v) < 0)
        return -1;
    ret->bandwidth = v;
    return 0;
}

int
cvg_dispatch_domain_migrate_start_post_copy(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainMigrateStartPostCopyArgs *args)
{
    GET_DOM(args);

    return cvg_migration_start_postcopy(d->drv, dom, args->flags);
}
