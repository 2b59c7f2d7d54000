/*
 * qemu-migration-postcopy.c: post-copy migration (VIR_MIGRATE_POSTCOPY)
 */
#include "qemu-migration-priv.h"
#include "qemu-process.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-log.h"

bool
cvg_mig_postcopy_status(int status)
{
    return status == CVG_MIG_STATUS_POSTCOPY ||
           status == CVG_MIG_STATUS_POSTCOPY_PAUSED ||
           status == CVG_MIG_STATUS_POSTCOPY_RECOVER ||
           status == CVG_MIG_STATUS_POSTCOPY_RECOVER_SETUP;
}

/* The outgoing migration of @dom while data moves, or NULL with libvirt's
 * error (lock held). */
static CvgMigrationJob *
outgoing_job(CvgDomainObj *dom)
{
    CvgMigrationJob *job = dom->migration;

    if (!cvg_domain_obj_is_active(dom) || !dom->mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        return NULL;
    }
    if (!job || dom->async_job != CVG_ASYNC_MIGRATION_OUT ||
        (job->phase != CVG_MIG_PHASE_PERFORM && !job->in_postcopy)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("post-copy can only be started while outgoing "
                           "migration is in progress"));
        return NULL;
    }
    return job;
}

/* One QMP command beside the running migration job (lock held). */
static int
job_command(CvgDriver *drv, CvgDomainObj *dom, const char *cmd)
{
    int rc;

    if (cvg_domain_job_begin(drv, dom, CVG_JOB_MIGRATION_OP) < 0)
        return -1;
    rc = cvg_qemu_monitor_command(drv, dom, cmd, NULL, NULL);
    cvg_domain_job_end(drv, dom);
    return rc;
}

int
cvg_mig_postcopy_start(CvgDriver *drv, CvgDomainObj *dom, const char *who)
{
    CvgMigrationJob *job;

    if (!(job = outgoing_job(dom)))
        return -1;
    if (!(job->flags & CVG_MIGRATE_POSTCOPY)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("switching to post-copy requires migration to be "
                           "started with VIR_MIGRATE_POSTCOPY flag"));
        return -1;
    }
    if (job->in_postcopy) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("post-copy already started"));
        return -1;
    }
    /* QEMU switches at its next iteration; Perform sees postcopy-active. */
    if (job_command(drv, dom, "migrate-start-postcopy") < 0)
        return -1;
    /* job_command() dropped the lock: the job may have ended meanwhile. */
    if (dom->migration == job)
        job->postcopy_requested = true;
    cvg_log_migration(G_LOG_LEVEL_INFO, dom->def->name, job->id,
                      "migration %s of '%s': switching to post-copy (%s)",
                      job->id, dom->def->name, who);
    return 0;
}

int
cvg_migration_start_postcopy(CvgDriver *drv, CvgDomainObj *dom,
                             unsigned int flags)
{
    int rc;

    cvg_check_flags(flags, 0, -1);
    cvg_driver_lock(drv);
    rc = cvg_mig_postcopy_start(drv, dom, "asked by the client");
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_migration_pause_postcopy(CvgDriver *drv, CvgDomainObj *dom)
{
    CvgMigrationJob *job = dom->migration;
    int rc = -1;

    cvg_driver_lock(drv);
    if (!cvg_domain_obj_is_active(dom) || !dom->mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
    } else if (!job || dom->async_job != CVG_ASYNC_MIGRATION_OUT ||
               job->status != CVG_MIG_STATUS_POSTCOPY) {
        cvg_error_report(
            CVG_ERR_OPERATION_INVALID,
            _("current job is not outgoing migration in post-copy mode"));
    } else {
        rc = job_command(drv, dom, "migrate-pause");
        cvg_domain_job_wake(dom);
    }
    cvg_driver_unlock(drv);
    return rc;
}

void
cvg_mig_postcopy_source_switched(CvgDriver *drv, CvgDomainObj *dom,
                                 CvgMigrationJob *job)
{
    cvg_log_migration(G_LOG_LEVEL_INFO, dom->def->name, job->id,
                      "migration %s of '%s' is in post-copy: the destination "
                      "runs the guest",
                      job->id, dom->def->name);
    cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_POSTCOPY);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                           CVG_EVENT_SUSPENDED_POSTCOPY);
    cvg_driver_save_status(drv, dom);
}

void
cvg_mig_postcopy_failed(CvgDriver *drv, CvgDomainObj *dom)
{
    if (dom->reason == CVG_PAUSED_POSTCOPY_FAILED &&
        dom->state == CVG_DOMAIN_PAUSED)
        return;
    if (dom->reason == CVG_RUNNING_POSTCOPY_FAILED &&
        dom->state == CVG_DOMAIN_RUNNING)
        return;
    g_warning("post-copy migration of '%s' failed: the guest stays here, "
              "incomplete, until a post-copy recovery",
              dom->def->name);
    if (dom->state == CVG_DOMAIN_RUNNING) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                 CVG_RUNNING_POSTCOPY_FAILED);
        cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                               CVG_EVENT_RESUMED_POSTCOPY_FAILED);
    } else {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED,
                                 CVG_PAUSED_POSTCOPY_FAILED);
        cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                               CVG_EVENT_SUSPENDED_POSTCOPY_FAILED);
    }
    cvg_driver_save_status(drv, dom);
}

/* Poll until post-copy completes (lock held).  @what names the side in the
 * error. */
static int
wait_postcopy(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
              const char *what)
{
    for (;;) {
        if (!cvg_domain_obj_is_active(dom) || !dom->mon) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("%s: domain '%s' stopped during post-copy"),
                             what, dom->def->name);
            return -1;
        }
        /* A destination whose main thread waits for a page that cannot
         * come no longer answers query-migrate: post-copy is broken. */
        if (cvg_mig_poll(drv, dom, job) < 0) {
            cvg_mig_postcopy_failed(drv, dom);
            return -1;
        }
        if (job->status == CVG_MIG_STATUS_COMPLETED)
            return 0;
        if (job->status != CVG_MIG_STATUS_POSTCOPY &&
            job->status != CVG_MIG_STATUS_POSTCOPY_RECOVER &&
            job->status != CVG_MIG_STATUS_POSTCOPY_RECOVER_SETUP)
            break;
        cvg_mig_poll_wait(drv, dom);
    }
    cvg_mig_postcopy_failed(drv, dom);
    cvg_error_report(CVG_ERR_OPERATION_FAILED,
                     _("%s: post-copy failed (QEMU status '%s'%s%s); the "
                       "guest of domain '%s' is kept in the post-copy-failed "
                       "state"),
                     what, cvg_migration_status_to_string(job->status),
                     job->sample.error_desc ? ": " : "",
                     job->sample.error_desc ? job->sample.error_desc : "",
                     dom->def->name);
    return -1;
}

int
cvg_mig_postcopy_source_wait(CvgDriver *drv, CvgDomainObj *dom,
                             CvgMigrationJob *job)
{
    return wait_postcopy(drv, dom, job, _("migration out job"));
}

int
cvg_mig_postcopy_dest_run(CvgDriver *drv, CvgDomainObj *dom,
                          CvgMigrationJob *job)
{
    job->in_postcopy = true;
    cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING, CVG_RUNNING_POSTCOPY);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                           CVG_EVENT_RESUMED_POSTCOPY);
    cvg_driver_save_status(drv, dom);
    return wait_postcopy(drv, dom, job, _("migration in job"));
}

void
cvg_mig_postcopy_refresh(CvgDriver *drv, CvgDomainObj *dom,
                         CvgMigrationJob *job)
{
    if (!job->in_postcopy || job->operation != CVG_JOB_OP_MIGRATION_OUT ||
        !dom->mon || job->status == CVG_MIG_STATUS_COMPLETED)
        return;
    if (cvg_mig_poll(drv, dom, job) < 0)
        cvg_error_reset();
}

const char *
cvg_mig_postcopy_phase(const CvgMigrationJob *job)
{
    if (!job->in_postcopy)
        return "precopy";
    if (job->status == CVG_MIG_STATUS_POSTCOPY_PAUSED)
        return "postcopy-paused";
    return "postcopy";
}

void
cvg_mig_postcopy_source_params(CvgDomainObj *dom, const CvgMigrationJob *job,
                               json_object *params)
{
    if (!(job->flags & CVG_MIGRATE_POSTCOPY) || !dom->max_postcopy_speed_mibs ||
        json_object_object_get_ex(params, "max-postcopy-bandwidth", NULL))
        return;
    json_object_object_add(
        params, "max-postcopy-bandwidth",
        json_object_new_int64((gint64)(dom->max_postcopy_speed_mibs << 20)));
}

/* A recovery whose QEMU still reports postcopy-paused this long after
 * "migrate resume" did not reach the destination. */
#define RECOVER_START_MS 10000

int
cvg_mig_postcopy_check(CvgMigrationJob *job)
{
    if (!(job->flags & CVG_MIGRATE_POSTCOPY_RESUME)) {
        if (!cvg_mig_postcopy_status(job->status))
            return 0;
        job->in_postcopy = true;
        return 1;
    }
    switch (job->status) {
    case CVG_MIG_STATUS_POSTCOPY:
        return 1;
    case CVG_MIG_STATUS_POSTCOPY_RECOVER:
    case CVG_MIG_STATUS_POSTCOPY_RECOVER_SETUP:
        job->recover_seen = true;
        return 0;
    case CVG_MIG_STATUS_POSTCOPY_PAUSED:
        if (!job->recover_seen &&
            cvg_mig_job_elapsed_ms(job) < RECOVER_START_MS)
            return 0;
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("post-copy recovery failed: %s"),
                         job->sample.error_desc ? job->sample.error_desc
                                                : _("the stream broke again"));
        return -1;
    default:
        return 0;
    }
}

/* Is @dom a guest that post-copy left in the post-copy-failed state, with
 * no job?  Reported as libvirt would otherwise (lock held). */
static int
check_failed_postcopy(CvgDomainObj *dom)
{
    if (!cvg_domain_obj_is_active(dom) || !dom->mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        return -1;
    }
    if (!cvg_domain_job_idle(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' already has a job running"),
                         dom->def->name);
        return -1;
    }
    if (dom->reason != (dom->state == CVG_DOMAIN_PAUSED
                            ? CVG_PAUSED_POSTCOPY_FAILED
                            : CVG_RUNNING_POSTCOPY_FAILED)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("migration of domain '%s' is not in a failed "
                           "post-copy phase; nothing to resume"),
                         dom->def->name);
        return -1;
    }
    return 0;
}

int
cvg_mig_postcopy_begin(CvgDriver *drv, CvgDomainObj *dom,
                       CvgMigrationParams **mp, const void *owner,
                       char **ret_cookie, size_t *ret_cookie_len,
                       char **ret_xml)
{
    unsigned int flags = (*mp)->flags;
    g_autofree char *xml = NULL;
    CvgMigrationJob *job;
    int rc = -1;

    if (!(flags & CVG_MIGRATE_POSTCOPY)) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("resuming failed post-copy migration requires "
                           "post-copy to be enabled"));
        return -1;
    }
    cvg_driver_lock(drv);
    if (check_failed_postcopy(dom) < 0 || dom->state != CVG_DOMAIN_PAUSED ||
        !(xml =
              cvg_domain_def_format(dom->def, -1, CVG_DOMAIN_XML_MIGRATABLE))) {
        if (!cvg_error_last())
            cvg_error_report(CVG_ERR_OPERATION_INVALID,
                             _("domain '%s' is not the source of a failed "
                               "post-copy migration"),
                             dom->def->name);
        goto out;
    }
    if (!(job = cvg_mig_job_start(drv, dom, CVG_ASYNC_MIGRATION_OUT,
                                  CVG_JOB_OP_MIGRATION_OUT, flags, mp, owner)))
        goto out;
    job->phase = CVG_MIG_PHASE_BEGIN;
    job->in_postcopy = true;
    job->status = CVG_MIG_STATUS_POSTCOPY_PAUSED;
    cvg_log_migration(G_LOG_LEVEL_INFO, dom->def->name, job->id,
                      "migration %s of '%s': resuming failed post-copy",
                      job->id, dom->def->name);
    *ret_cookie = cvg_mig_make_cookie(drv, dom, ret_cookie_len);
    *ret_xml = g_steal_pointer(&xml);
    rc = 0;
out:
    cvg_driver_unlock(drv);
    return rc;
}

/* The incoming side of a recovery listens again (lock held). */
static int
prepare_recover(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationParams **mp,
                const void *owner, const char *listen, unsigned int want_port,
                const char *advertise, char **ret_uri)
{
    CvgMigrationJob *job;
    int rc;

    if (check_failed_postcopy(dom) < 0)
        return -1;
    if (!(job = cvg_mig_job_start(drv, dom, CVG_ASYNC_MIGRATION_IN,
                                  CVG_JOB_OP_MIGRATION_IN, (*mp)->flags, mp,
                                  owner)))
        return -1;
    job->phase = CVG_MIG_PHASE_PREPARED;
    job->in_postcopy = true;
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_ASYNC_NESTED) < 0) {
        cvg_mig_job_stop(dom);
        return -1;
    }
    rc = cvg_mig_listen(drv, dom, "migrate-recover", listen, want_port,
                        advertise, ret_uri);
    cvg_domain_job_end(drv, dom);
    if (rc < 0)
        cvg_mig_job_stop(dom);
    return rc;
}

CvgDomainObj *
cvg_mig_postcopy_prepare(CvgDriver *drv, const char *name,
                         CvgMigrationParams **mp, const void *owner,
                         const char *listen, unsigned int want_port,
                         const char *advertise, char **ret_cookie,
                         size_t *ret_cookie_len, char **ret_uri)
{
    g_autoptr(CvgDomainObj) dom = NULL;
    g_autofree char *uri = NULL;
    CvgDomainObj *ret = NULL;

    if (!((*mp)->flags & CVG_MIGRATE_POSTCOPY)) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("resuming failed post-copy migration requires "
                           "post-copy to be enabled"));
        return NULL;
    }
    if (!(dom = cvg_driver_lookup_name(drv, name)))
        return NULL;
    cvg_driver_lock(drv);
    if (prepare_recover(drv, dom, mp, owner, listen, want_port, advertise,
                        &uri) == 0) {
        cvg_driver_save_status(drv, dom);
        *ret_cookie = cvg_mig_make_cookie(drv, dom, ret_cookie_len);
        *ret_uri = g_steal_pointer(&uri);
        ret = g_steal_pointer(&dom);
    }
    cvg_driver_unlock(drv);
    return ret;
}

bool
cvg_mig_postcopy_left_behind(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) reply = NULL;
    bool postcopy = (dom->state == CVG_DOMAIN_PAUSED &&
                     (dom->reason == CVG_PAUSED_POSTCOPY ||
                      dom->reason == CVG_PAUSED_POSTCOPY_FAILED)) ||
                    (dom->state == CVG_DOMAIN_RUNNING &&
                     (dom->reason == CVG_RUNNING_POSTCOPY ||
                      dom->reason == CVG_RUNNING_POSTCOPY_FAILED));

    if (!dom->mon)
        return false;
    if (!postcopy && cvg_qemu_monitor_command(drv, dom, "query-migrate", NULL,
                                              &reply) == 0) {
        const char *st = cvg_json_get_string(reply, "status");

        postcopy =
            cvg_mig_postcopy_status(cvg_migration_status_from_string(st));
    }
    cvg_error_reset();
    if (!postcopy)
        return false;
    g_warning("the previous daemon left '%s' in post-copy: keeping it for a "
              "post-copy recovery",
              dom->def->name);
    cvg_mig_postcopy_failed(drv, dom);
    return true;
}
