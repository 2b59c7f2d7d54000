/*
 * qemu-domain-job.h: per-domain jobs
 *
 * One synchronous job runs per domain at a time (CvgJobKind); one
 * long-running async job (CvgAsyncJobKind: migration out or in) may run
 * beside it, and while it does only the kinds in its mask may start.  This
 * API alone writes a domain's job fields (job, async_job) and uses its job
 * condition; every change wakes the waiters.  All functions run with the
 * driver lock held; the waits drop it while they sleep.
 */
#pragma once

#include "qemu-domain.h"

/* Wait until @kind may run on @dom, then own it.  Fails with
 * OPERATION_TIMEOUT after 30 s, or NO_DOMAIN when the domain has left the
 * list.  CVG_JOB_ASYNC_NESTED is for the code running @dom's async job:
 * it waits for the synchronous job only. */
int cvg_domain_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind);
/* End the synchronous job begun by cvg_domain_job_begin(). */
void cvg_domain_job_end(CvgDriver *drv, CvgDomainObj *dom);

/* No job and no async job runs on @dom. */
bool cvg_domain_job_idle(const CvgDomainObj *dom);

/* Start async job @kind (CVG_ASYNC_MIGRATION_*) on @dom once its
 * synchronous job (if any) has ended; fails with OPERATION_INVALID when an
 * async job runs, OPERATION_TIMEOUT after 30 s. */
int cvg_domain_async_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind);
void cvg_domain_async_job_end(CvgDriver *drv, CvgDomainObj *dom);

/* Sleep until cvg_domain_job_wake() or the monotonic time @until (lock
 * dropped meanwhile).  For the async job's poll loop. */
void cvg_domain_job_wait(CvgDriver *drv, CvgDomainObj *dom, gint64 until);
/* Wake whoever waits on @dom's jobs: a job ended, the domain left the list,
 * an abort was asked or QEMU reported migration progress. */
void cvg_domain_job_wake(CvgDomainObj *dom);
