/*
 * qemu-migration-priv.h: what the migration phases share with each other
 * and with the job queries (qemu-migration*.c only)
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
/* Start @dom's migration job (lock held); NULL with an error. */
CvgMigrationJob *cvg_mig_job_start(CvgDriver *drv, CvgDomainObj *dom, int async,
                                   int operation, unsigned int flags,
                                   CvgMigrationParams **params,
                                   const void *owner);
/* A migration cookie for @dom, without statistics. */
char *cvg_mig_make_cookie(CvgDriver *drv, CvgDomainObj *dom, size_t *ret_len);
/* QMP @cmd ("migrate-incoming", "migrate-recover") with the first port of
 * the range that takes it (or @want_port); the URI the source is to use
 * (lock held). */
int cvg_mig_listen(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
                   const char *listen, unsigned int want_port,
                   const char *advertise, char **ret_uri);
/* Record the finished job's statistics for `domjobinfo --completed` and
 * announce them; takes @stats (lock held). */
void cvg_mig_job_record_completed(CvgDriver *drv, CvgDomainObj *dom, int type,
                                  CvgTypedParamList *stats);
/* OPERATION_INVALID unless @dom is running with a monitor. */
int cvg_mig_check_running(CvgDomainObj *dom);
/* QMP @cmd with @args, the reply dropped (lock held). */
int cvg_mig_apply_json(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
                       json_object *args);
/* The job is over on this side: take our TLS credentials out of QEMU
 * (lock held). */
void cvg_mig_tls_cleanup(CvgDriver *drv, CvgDomainObj *dom,
                         CvgMigrationJob *job);
/* @dom, or NULL with an error unless it has a migration job of kind
 * @async (lock held). */
CvgDomainObj *cvg_mig_find_job_domain(CvgDriver *drv, CvgDomainObj *dom,
                                      int async);
/* One query-migrate into the job's sample; sleep until the next poll. */
int cvg_mig_poll(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job);
void cvg_mig_poll_wait(CvgDriver *drv, CvgDomainObj *dom);

/*
 * qemu-migration-postcopy.c: post-copy migration (VIR_MIGRATE_POSTCOPY)
 *
 * Pre-copy moves memory while the guest runs on the source.  After QMP
 * migrate-start-postcopy, QEMU stops the source, the destination runs the
 * guest and fetches each page it touches from the source on demand while
 * the rest streams in the background.  From that moment neither side holds
 * the whole guest: the source must never run it again, and a stream lost
 * before the end leaves both sides in post-copy-failed until a recovery.
 *
 * Source: Perform returns once QEMU is in post-copy, Confirm waits for the
 * end.  Destination: Finish resumes the guest, then waits for the end.
 * Functions named cvg_mig_* run with the driver lock held; the
 * cvg_migration_* ones take it.
 */
/* Switch @dom's outgoing migration to post-copy (QMP
 * migrate-start-postcopy), for START_POST_COPY and for the convergence
 * policy alike; @who says which, for the log.  OPERATION_INVALID, with
 * libvirt's messages, without VIR_MIGRATE_POSTCOPY or once switched. */
int cvg_mig_postcopy_start(CvgDriver *drv, CvgDomainObj *dom, const char *who);

/* Perform's view of the job's status: 1 once the source switched to
 * post-copy (or, for a recovery, is back in post-copy), 0 to keep polling,
 * -1 with an error when a recovery failed. */
int cvg_mig_postcopy_check(CvgMigrationJob *job);

/* VIR_MIGRATE_POSTCOPY_RESUME on the source: Begin for a guest that
 * post-copy left in the post-copy-failed state (takes the lock). */
int cvg_mig_postcopy_begin(CvgDriver *drv, CvgDomainObj *dom,
                           CvgMigrationParams **mp, const void *owner,
                           char **ret_cookie, size_t *ret_cookie_len,
                           char **ret_xml);

/* VIR_MIGRATE_POSTCOPY_RESUME on the destination: the guest @name waiting
 * in post-copy-failed listens again (QMP migrate-recover); a new incoming
 * job.  Takes the lock; returns a reference. */
CvgDomainObj *cvg_mig_postcopy_prepare(CvgDriver *drv, const char *name,
                                       CvgMigrationParams **mp,
                                       const void *owner, const char *listen,
                                       unsigned int want_port,
                                       const char *advertise, char **ret_cookie,
                                       size_t *ret_cookie_len, char **ret_uri);

/* Whether QEMU's migration @status (CvgMigrationStatus) is one of the
 * post-copy ones: the switch has happened. */
bool cvg_mig_postcopy_status(int status);

/* The source QEMU switched to post-copy: paused/post-copy and the
 * SUSPENDED_POSTCOPY event. */
void cvg_mig_postcopy_source_switched(CvgDriver *drv, CvgDomainObj *dom,
                                      CvgMigrationJob *job);

/* Confirm on the source: wait for post-copy to complete.  -1 with an
 * error once it failed, the guest kept here in post-copy-failed. */
int cvg_mig_postcopy_source_wait(CvgDriver *drv, CvgDomainObj *dom,
                                 CvgMigrationJob *job);

/* Finish on the destination, after "cont": running/post-copy and the
 * RESUMED_POSTCOPY event, then wait for the last page.  -1 with an error
 * once it failed, the guest kept here in post-copy-failed. */
int cvg_mig_postcopy_dest_run(CvgDriver *drv, CvgDomainObj *dom,
                              CvgMigrationJob *job);

/* Post-copy failed on this side: the state and event libvirt gives
 * (running or paused, reason post-copy-failed). */
void cvg_mig_postcopy_failed(CvgDriver *drv, CvgDomainObj *dom);

/* Job statistics on the source while post-copy runs: Perform has returned
 * and nothing polls until Confirm, so read QEMU's figures now. */
void cvg_mig_postcopy_refresh(CvgDriver *drv, CvgDomainObj *dom,
                              CvgMigrationJob *job);

/* Daemon start-up: the previous daemon left @dom's migration in
 * post-copy (its status says post-copy, or QEMU does).  Neither cancelling
 * (source) nor killing (destination) is safe: keep the guest in
 * post-copy-failed for a recovery.  Lock and job held. */
bool cvg_mig_postcopy_left_behind(CvgDriver *drv, CvgDomainObj *dom);

/* convergd.phase ("precopy", "postcopy", "postcopy-paused") for the job
 * statistics. */
const char *cvg_mig_postcopy_phase(const CvgMigrationJob *job);

/* The domain's post-copy bandwidth (migrate-setspeed --postcopy) into the
 * source's migrate-set-parameters @params unless the call set one. */
void cvg_mig_postcopy_source_params(CvgDomainObj *dom,
                                    const CvgMigrationJob *job,
                                    json_object *params);
