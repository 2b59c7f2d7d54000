/*
 * qemu-migration-job.c: job statistics, abort, tunables and recovery of
 * migration jobs
 */
#include "qemu-migration-priv.h"
#include "qemu-migration-tls.h"
#include "qemu-process.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <string.h>

/* --- job queries and tunables --- */

int
cvg_migration_get_job_stats(CvgDriver *drv, CvgDomainObj *dom,
                            unsigned int flags, int *ret_type,
                            CvgTypedParamList **ret_params)
{
    int rc = 0;

    cvg_check_flags(flags,
                    CVG_JOB_STATS_COMPLETED | CVG_JOB_STATS_KEEP_COMPLETED, -1);
    cvg_driver_lock(drv);
    if (flags & CVG_JOB_STATS_COMPLETED) {
        if (dom->completed_stats) {
            *ret_type = dom->completed_type;
            *ret_params = cvg_typed_params_copy(dom->completed_stats);
            if (!(flags & CVG_JOB_STATS_KEEP_COMPLETED))
                g_clear_pointer(&dom->completed_stats, cvg_typed_params_free);
        } else {
            *ret_type = CVG_JOB_TYPE_NONE;
            *ret_params = cvg_typed_params_new();
        }
        goto out;
    }
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        rc = -1;
        goto out;
    }
    if (dom->migration && dom->migration->in_postcopy)
        cvg_mig_postcopy_refresh(drv, dom, dom->migration);
    /* As libvirt: the job is unbounded from Begin until Confirm ends it,
     * with zeros until QEMU has something to say. */
    if (dom->migration) {
        *ret_type = CVG_JOB_TYPE_UNBOUNDED;
        *ret_params = cvg_mig_job_stats(dom->migration, false);
    } else {
        *ret_type = CVG_JOB_TYPE_NONE;
        *ret_params = cvg_typed_params_new();
    }
out:
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_migration_get_job_info(CvgDriver *drv, CvgDomainObj *dom,
                           CvgJobInfo *ret_info)
{
    int rc = 0;

    memset(ret_info, 0, sizeof(*ret_info));
    cvg_driver_lock(drv);
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        rc = -1;
    } else if (dom->migration) {
        const CvgMigrationSample *s = &dom->migration->sample;

        ret_info->type = CVG_JOB_TYPE_UNBOUNDED;
        ret_info->time_elapsed_ms = cvg_mig_job_elapsed_ms(dom->migration);
        ret_info->data_total = ret_info->mem_total = s->ram_total;
        ret_info->data_processed = ret_info->mem_processed = s->ram_transferred;
        ret_info->data_remaining = ret_info->mem_remaining = s->ram_remaining;
    }
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_migration_abort(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    int rc = -1;

    /* VIR_DOMAIN_ABORT_JOB_POSTCOPY */
    if (flags & 1) {
        cvg_check_flags(flags, 1, -1);
        return cvg_migration_pause_postcopy(drv, dom);
    }
    cvg_check_flags(flags, 0, -1);
    cvg_driver_lock(drv);
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
    } else if (!dom->migration) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("no job is active on the domain"));
    } else if (dom->async_job == CVG_ASYNC_MIGRATION_IN) {
        cvg_error_report(
            CVG_ERR_OPERATION_INVALID,
            _("cannot abort incoming migration; use virDomainDestroy instead"));
    } else if (dom->migration->in_postcopy) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("cannot abort migration in post-copy mode"));
    } else if (dom->migration->phase == CVG_MIG_PHASE_BEGIN) {
        /* Before the transfer starts (the destination is being prepared):
         * as libvirt, Perform then fails as cancelled by the client. */
        dom->migration->abort_requested = true;
        rc = 0;
    } else if (dom->migration->phase != CVG_MIG_PHASE_PERFORM) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("migration of domain '%s' is not transferring data"),
                         dom->def->name);
    } else {
        dom->migration->abort_requested = true;
        cvg_domain_job_wake(dom);
        rc = 0;
    }
    cvg_driver_unlock(drv);
    return rc;
}

/* Apply one migration parameter to a running QEMU right away (lock held). */
static int
set_live_param(CvgDriver *drv, CvgDomainObj *dom, const char *name,
               gint64 value)
{
    g_autoptr(json_object) args = json_object_new_object();
    int rc;

    if (!cvg_domain_obj_is_active(dom) || !dom->mon)
        return 0;
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MIGRATION_OP) < 0)
        return -1;
    json_object_object_add(args, name, json_object_new_int64(value));
    rc = cvg_qemu_monitor_command(drv, dom, "migrate-set-parameters", args,
                                  NULL);
    /* Have the running migration re-read QEMU's values at its next poll. */
    if (rc == 0 && dom->migration)
        dom->migration->have_qemu_params = false;
    cvg_domain_job_end(drv, dom);
    return rc;
}

/* A migration tunable: QEMU's parameter @name gets @qemu_value, and once
 * it took it (or there is no QEMU to tell) the domain keeps @value in
 * *@field and its status file. */
static int
set_tunable(CvgDriver *drv, CvgDomainObj *dom, const char *name,
            gint64 qemu_value, unsigned long long *field,
            unsigned long long value)
{
    int rc;

    cvg_driver_lock(drv);
    if ((rc = set_live_param(drv, dom, name, qemu_value)) == 0) {
        *field = value;
        cvg_driver_save_status(drv, dom);
    }
    cvg_driver_unlock(drv);
    return rc;
}

/* QEMU's limits: downtime-limit in ms up to 2000 s; max-bandwidth bytes/s
 * that must fit int64. */
#define MAX_DOWNTIME_MS 2000000ULL
#define MAX_SPEED_MIBS (G_MAXINT64 >> 20)

int
cvg_migration_set_max_downtime(CvgDriver *drv, CvgDomainObj *dom,
                               unsigned long long ms, unsigned int flags)
{
    cvg_check_flags(flags, 0, -1);
    if (ms > MAX_DOWNTIME_MS) {
        cvg_error_report(
            CVG_ERR_INVALID_ARG,
            _("migration downtime %llu ms is above the maximum of %llu ms"), ms,
            MAX_DOWNTIME_MS);
        return -1;
    }
    return set_tunable(drv, dom, "downtime-limit", (gint64)ms,
                       &dom->max_downtime_ms, ms);
}

int
cvg_migration_get_max_downtime(CvgDriver *drv, CvgDomainObj *dom,
                               unsigned int flags, unsigned long long *ret_ms)
{
    cvg_check_flags(flags, 0, -1);
    cvg_driver_lock(drv);
    *ret_ms = dom->max_downtime_ms;
    cvg_driver_unlock(drv);
    return 0;
}

int
cvg_migration_set_max_speed(CvgDriver *drv, CvgDomainObj *dom,
                            unsigned long long mibs, unsigned int flags)
{
    /* VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY (1): QEMU's post-copy limit */
    bool postcopy = flags & 1;

    cvg_check_flags(flags, 1, -1);
    if (mibs > MAX_SPEED_MIBS) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("bandwidth must be less than %llu"),
                         (unsigned long long)MAX_SPEED_MIBS + 1);
        return -1;
    }
    if (postcopy)
        return set_tunable(drv, dom, "max-postcopy-bandwidth",
                           (gint64)(mibs << 20), &dom->max_postcopy_speed_mibs,
                           mibs);
    return set_tunable(drv, dom, "max-bandwidth", (gint64)(mibs << 20),
                       &dom->max_speed_mibs, mibs);
}

int
cvg_migration_get_max_speed(CvgDriver *drv, CvgDomainObj *dom,
                            unsigned int flags, unsigned long long *ret_mibs)
{
    cvg_check_flags(flags, 1, -1);
    cvg_driver_lock(drv);
    *ret_mibs =
        (flags & 1) ? dom->max_postcopy_speed_mibs : dom->max_speed_mibs;
    cvg_driver_unlock(drv);
    return 0;
}

void
cvg_migration_owner_closed(CvgDriver *drv, const void *owner)
{
    g_autoptr(GPtrArray) all = NULL;

    cvg_driver_lock(drv);
    all = cvg_driver_list_locked(drv);
    for (guint i = 0; i < all->len; i++) {
        CvgDomainObj *dom = g_ptr_array_index(all, i);
        CvgMigrationJob *job = dom->migration;

        if (!dom->in_list || !job || job->owner != owner)
            continue;
        if (dom->async_job == CVG_ASYNC_MIGRATION_OUT &&
            (job->phase == CVG_MIG_PHASE_BEGIN ||
             job->phase == CVG_MIG_PHASE_PERFORM_DONE)) {
            g_message("client of the migration of '%s' went away: keeping the "
                      "guest here",
                      dom->def->name);
            cvg_mig_restore_source(drv, dom, job);
            cvg_mig_job_stop(dom);
        } else if (dom->async_job == CVG_ASYNC_MIGRATION_IN &&
                   job->phase == CVG_MIG_PHASE_PREPARED) {
            g_message("client of the incoming migration of '%s' went away: "
                      "discarding it",
                      dom->def->name);
            cvg_mig_discard_incoming(drv, dom);
        }
    }
    cvg_driver_unlock(drv);
}

/* A TLS migration the previous daemon left unfinished also left its
 * credentials in QEMU, and tls-creds naming them would make the next
 * migration a TLS one.  The flags are not in the status file: ask QEMU
 * (lock and job held). */
static void
recover_tls(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) params = NULL;
    const char *creds;

    if (!dom->mon ||
        cvg_qemu_monitor_command(drv, dom, "query-migrate-parameters", NULL,
                                 &params) < 0)
        return;
    creds = cvg_json_get_string(params, "tls-creds");
    if (creds && *creds)
        cvg_migration_tls_cleanup(drv, dom);
}

/* Cancels what is left of an outgoing migration the previous daemon ran;
 * returns QEMU's last migration status. */
static int
cancel_left_behind(CvgDriver *drv, CvgDomainObj *dom)
{
    int status = CVG_MIG_STATUS_NONE;

    for (int i = 0; i < 50 && dom->mon; i++) {
        g_autoptr(json_object) reply = NULL;
        CvgMigrationSample s = {0};

        if (cvg_qemu_monitor_command(drv, dom, "query-migrate", NULL, &reply) <
                0 ||
            cvg_migration_sample_parse(reply, &s) < 0)
            break;
        status = s.status;
        cvg_migration_sample_clear(&s);
        if (status != CVG_MIG_STATUS_SETUP && status != CVG_MIG_STATUS_ACTIVE &&
            status != CVG_MIG_STATUS_PRE_SWITCHOVER &&
            status != CVG_MIG_STATUS_DEVICE &&
            status != CVG_MIG_STATUS_CANCELLING)
            break;
        if (status != CVG_MIG_STATUS_CANCELLING &&
            cvg_qemu_monitor_command(drv, dom, "migrate_cancel", NULL, NULL) <
                0)
            break;
        cvg_driver_unlock(drv);
        g_usleep(100 * 1000);
        cvg_driver_lock(drv);
    }
    return status;
}

/* Takes @dom's job for a recovery at start-up.  False, and no job held,
 * when it cannot be taken or post-copy left the guest behind (then
 * cvg_mig_postcopy_left_behind has dealt with it). */
static bool
recovery_begin(CvgDriver *drv, CvgDomainObj *dom)
{
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MODIFY) < 0) {
        cvg_error_reset();
        return false;
    }
    if (cvg_mig_postcopy_left_behind(drv, dom)) {
        cvg_domain_job_end(drv, dom);
        return false;
    }
    return true;
}

/*
 * A migration the previous daemon left running is cancelled and the guest
 * resumed here.  One QEMU reports completed is not: the destination may
 * already run the guest (the previous daemon died between switchover and
 * Confirm), so resuming it here could run it twice.  It stays paused
 * (paused/migration) for the operator to resume or destroy, as after a
 * failed Confirm.
 */
void
cvg_migration_recover_outgoing(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) status = NULL;
    int mig;

    if (!recovery_begin(drv, dom))
        return;
    mig = cancel_left_behind(drv, dom);
    recover_tls(drv, dom);
    if (mig == CVG_MIG_STATUS_COMPLETED) {
        g_warning("'%s': its migration completed but was not confirmed; left "
                  "paused (it may be running on the destination)",
                  dom->def->name);
        if (dom->mon)
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED,
                                     CVG_PAUSED_MIGRATION);
    } else {
        if (dom->mon &&
            cvg_qemu_monitor_command(drv, dom, "query-status", NULL, &status) ==
                0 &&
            g_strcmp0(cvg_json_get_string(status, "status"), "running") != 0 &&
            cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) == 0)
            g_message("resumed '%s', whose migration the previous daemon left "
                      "unfinished",
                      dom->def->name);
        if (dom->mon)
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                     CVG_RUNNING_MIGRATION_CANCELED);
    }
    cvg_error_reset();
    cvg_domain_job_end(drv, dom);
}

void
cvg_migration_recover_incoming(CvgDriver *drv, CvgDomainObj *dom)
{
    if (!recovery_begin(drv, dom))
        return;
    cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_FAILED,
                          CVG_EVENT_STOPPED_FAILED);
    cvg_domain_job_end(drv, dom);
}

/* One pass over the migrations at shutdown (lock held): ask outgoing ones
 * to abort, discard one incoming one.  Whether any is still busy. */
static bool
shutdown_pass(CvgDriver *drv)
{
    g_autoptr(GPtrArray) all = cvg_driver_list_locked(drv);
    bool busy = false;

    for (guint i = 0; i < all->len; i++) {
        CvgDomainObj *dom = g_ptr_array_index(all, i);
        CvgMigrationJob *job = dom->migration;

        if (!job || !dom->in_list)
            continue;
        if (dom->async_job == CVG_ASYNC_MIGRATION_OUT &&
            job->phase == CVG_MIG_PHASE_PERFORM) {
            job->abort_requested = true;
            cvg_domain_job_wake(dom);
            busy = true;
        } else if (dom->async_job == CVG_ASYNC_MIGRATION_IN &&
                   dom->job == CVG_JOB_NONE &&
                   job->phase == CVG_MIG_PHASE_PREPARED) {
            /* Killing the incoming QEMU makes the source keep the
             * guest: its Perform or Finish fails. */
            cvg_mig_discard_incoming(drv, dom);
            return true;
        } else if (job->phase == CVG_MIG_PHASE_PERFORM ||
                   job->phase == CVG_MIG_PHASE_FINISH) {
            busy = true;
        }
    }
    return busy;
}

void
cvg_migration_shutdown(CvgDriver *drv, unsigned int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    cvg_driver_lock(drv);
    while (shutdown_pass(drv) && g_get_monotonic_time() <= deadline) {
        cvg_driver_unlock(drv);
        g_usleep(100 * 1000);
        cvg_driver_lock(drv);
    }
    cvg_driver_unlock(drv);
}
