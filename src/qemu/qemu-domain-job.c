/*
 * qemu-domain-job.c: per-domain jobs
 */
#include "qemu-domain-job.h"
#include "qemu-driver-state.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#define JOB_WAIT_US (30 * G_TIME_SPAN_SECOND)

#define JOB_MASK(kind) (1u << (kind))

/* Which synchronous jobs may start while an async job runs.  Queries, a
 * destroy and the migration's own tunables and abort; as in libvirt, a
 * suspend may also run beside an outgoing migration (virsh migrate
 * --timeout, an orchestrator's timeout action). */
static const unsigned int async_job_mask[] = {
    [CVG_ASYNC_NONE] = ~0u & ~JOB_MASK(CVG_JOB_ASYNC_NESTED),
    [CVG_ASYNC_MIGRATION_OUT] =
        JOB_MASK(CVG_JOB_QUERY) | JOB_MASK(CVG_JOB_DESTROY) |
        JOB_MASK(CVG_JOB_MIGRATION_OP) | JOB_MASK(CVG_JOB_ASYNC_NESTED) |
        JOB_MASK(CVG_JOB_SUSPEND),
    [CVG_ASYNC_MIGRATION_IN] =
        JOB_MASK(CVG_JOB_QUERY) | JOB_MASK(CVG_JOB_DESTROY) |
        JOB_MASK(CVG_JOB_MIGRATION_OP) | JOB_MASK(CVG_JOB_ASYNC_NESTED),
};
G_STATIC_ASSERT(G_N_ELEMENTS(async_job_mask) == CVG_ASYNC_LAST);

static bool
job_allowed(const CvgDomainObj *dom, int kind)
{
    if (dom->job != CVG_JOB_NONE)
        return false;
    return (async_job_mask[dom->async_job] & JOB_MASK(kind)) != 0;
}

bool
cvg_domain_job_idle(const CvgDomainObj *dom)
{
    return dom->job == CVG_JOB_NONE && dom->async_job == CVG_ASYNC_NONE;
}

/* A synchronous job (a tunable set a moment before, a query) ends soon:
 * an async job waits for it, as libvirt does, rather than fail. */
static bool
no_sync_job(const CvgDomainObj *dom, int kind G_GNUC_UNUSED)
{
    return dom->async_job != CVG_ASYNC_NONE || dom->job == CVG_JOB_NONE;
}

/* Wait (drv->lock held, at most JOB_WAIT_US) until @ready(@dom, @kind);
 * then @dom must still be in the list. */
static int
wait_job_slot(CvgDriver *drv, CvgDomainObj *dom,
              bool (*ready)(const CvgDomainObj *, int), int kind)
{
    gint64 deadline = g_get_monotonic_time() + JOB_WAIT_US;

    while (!ready(dom, kind)) {
        if (!g_cond_wait_until(&dom->job_cond, &drv->lock, deadline)) {
            cvg_error_report(
                CVG_ERR_OPERATION_TIMEOUT,
                _("cannot acquire state change lock for domain '%s'"),
                dom->def->name);
            return -1;
        }
    }
    if (!dom->in_list) {
        cvg_error_report(CVG_ERR_NO_DOMAIN, _("domain '%s' no longer exists"),
                         dom->def->name);
        return -1;
    }
    return 0;
}

int
cvg_domain_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind)
{
    g_return_val_if_fail(kind > CVG_JOB_NONE && kind < CVG_JOB_LAST, -1);
    if (wait_job_slot(drv, dom, job_allowed, kind) < 0)
        return -1;
    dom->job = kind;
    g_cond_broadcast(&dom->job_cond);
    return 0;
}

void
cvg_domain_job_end(CvgDriver *drv G_GNUC_UNUSED, CvgDomainObj *dom)
{
    dom->job = CVG_JOB_NONE;
    g_cond_broadcast(&dom->job_cond);
}

int
cvg_domain_async_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind)
{
    g_return_val_if_fail(kind > CVG_ASYNC_NONE && kind < CVG_ASYNC_LAST, -1);
    if (wait_job_slot(drv, dom, no_sync_job, kind) < 0)
        return -1;
    if (!cvg_domain_job_idle(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' already has a job running"),
                         dom->def->name);
        return -1;
    }
    dom->async_job = kind;
    g_cond_broadcast(&dom->job_cond);
    return 0;
}

void
cvg_domain_async_job_end(CvgDriver *drv G_GNUC_UNUSED, CvgDomainObj *dom)
{
    dom->async_job = CVG_ASYNC_NONE;
    g_cond_broadcast(&dom->job_cond);
}

void
cvg_domain_job_wait(CvgDriver *drv, CvgDomainObj *dom, gint64 until)
{
    g_cond_wait_until(&dom->job_cond, &drv->lock, until);
}

void
cvg_domain_job_wake(CvgDomainObj *dom)
{
    g_cond_broadcast(&dom->job_cond);
}
