/*
 * qemu-migration-compress.c: the XBZRLE compression cache of a running
 * guest
 */
#include "qemu-migration-compress.h"

#include "qemu-domain-job.h"
#include "qemu-driver-state.h"
#include "qemu-process.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <stdint.h>

#define XBZRLE_CACHE_PARAM "xbzrle-cache-size"

/* Begin a job of @kind on a running @dom (lock held). */
static int
begin_running(CvgDriver *drv, CvgDomainObj *dom, int kind)
{
    if (!cvg_domain_obj_is_active(dom) || !dom->mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        return -1;
    }
    return cvg_domain_job_begin(drv, dom, kind);
}

int
cvg_migration_get_compression_cache(CvgDriver *drv, CvgDomainObj *dom,
                                    unsigned int flags,
                                    unsigned long long *ret_bytes)
{
    g_autoptr(json_object) reply = NULL;
    guint64 v = 0;
    int rc = -1;

    cvg_check_flags(flags, 0, -1);
    cvg_driver_lock(drv);
    if (begin_running(drv, dom, CVG_JOB_QUERY) < 0)
        goto out;
    if (cvg_qemu_monitor_command(drv, dom, "query-migrate-parameters", NULL,
                                 &reply) == 0) {
        if (cvg_json_get_uint64(reply, XBZRLE_CACHE_PARAM, &v)) {
            *ret_bytes = v;
            rc = 0;
        } else {
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("query-migrate-parameters reply lacks '%s'"),
                             XBZRLE_CACHE_PARAM);
        }
    }
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_migration_set_compression_cache(CvgDriver *drv, CvgDomainObj *dom,
                                    unsigned long long bytes,
                                    unsigned int flags)
{
    g_autoptr(json_object) args = NULL;
    int rc = -1;

    cvg_check_flags(flags, 0, -1);
    /* QEMU's parameter is a uint64 it keeps as int64-sized memory */
    if (bytes > INT64_MAX) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("compression cache size %llu is too large"), bytes);
        return -1;
    }
    cvg_driver_lock(drv);
    /* A tunable: allowed while a migration runs, which then uses it */
    if (begin_running(drv, dom, CVG_JOB_MIGRATION_OP) < 0)
        goto out;
    args = json_object_new_object();
    json_object_object_add(args, XBZRLE_CACHE_PARAM,
                           json_object_new_uint64(bytes));
    rc = cvg_qemu_monitor_command(drv, dom, "migrate-set-parameters", args,
                                  NULL);
    cvg_domain_job_end(drv, dom);
out:
    cvg_driver_unlock(drv);
    return rc;
}
