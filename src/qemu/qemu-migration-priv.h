/*
 * qemu-migration-priv.h: what the migration phases share with the job
 * queries (qemu-migration.c and qemu-migration-job.c only)
 */
#pragma once

#include "qemu-migration.h"

/* Milliseconds since the job (or its Perform) started. */
unsigned long long cvg_mig_job_elapsed_ms(const CvgMigrationJob *job);
/* End @dom's migration job (lock held). */
void cvg_mig_job_stop(CvgDomainObj *dom);
/* The job statistics now; @completed picks the measured downtime. */
CvgTypedParamList *cvg_mig_job_stats(const CvgMigrationJob *job,
                                     bool completed);
/* Resume a source guest a failed migration left paused (lock held). */
void cvg_mig_restore_source(CvgDriver *drv, CvgDomainObj *dom,
                            CvgMigrationJob *job);
/* Kill an incoming guest and forget it (lock held). */
void cvg_mig_discard_incoming(CvgDriver *drv, CvgDomainObj *dom);
