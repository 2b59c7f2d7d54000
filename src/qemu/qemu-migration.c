/*
 * qemu-migration.c: the migration job and the source's phases (Begin,
 * Perform, Confirm); the destination's are in qemu-migration-incoming.c
 */
#include "qemu-migration-priv.h"
#include "qemu-migration-safe.h"
#include "qemu-migration-tls.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "migration-cookie.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-log.h"

#include <errno.h>
#include <string.h>

/* query-migrate is polled this often while data moves: often enough for
 * `migrate --verbose` and the convergence policy, cheap for QEMU. */
#define POLL_INTERVAL_MS 250

/* --- migrations QEMU is known to get wrong --- */

typedef struct {
    unsigned long long qemu_min; /* inclusive, major*1e6+minor*1e3+micro */
    unsigned long long qemu_max; /* inclusive */
    bool tcg_only;
    const char *reason;
} CvgUnsafeMigration;

static const CvgUnsafeMigration unsafe_table[] = {
    /* Measured here: every converged TCG migration with QEMU 7.2.x left the
     * destination with stale pages (tests/integration, docs/migration.rst);
     * QEMU 10.0 did not. */
    {7002000, 7002999, true,
     N_("QEMU 7.2 loses guest memory writes when migrating a TCG guest; "
        "the destination's memory would be corrupted")},
};

static int
check_unsafe(CvgDomainObj *dom, unsigned int flags)
{
    unsigned long long v = dom->qemu_major * 1000000ULL +
                           dom->qemu_minor * 1000ULL + dom->qemu_micro;
    bool tcg = strcmp(dom->def->virt_type, "kvm") != 0;

    if (flags & CVG_MIGRATE_UNSAFE)
        return 0;
    for (size_t i = 0; i < G_N_ELEMENTS(unsafe_table); i++) {
        const CvgUnsafeMigration *u = &unsafe_table[i];

        if (v >= u->qemu_min && v <= u->qemu_max && (!u->tcg_only || tcg)) {
            cvg_error_report(CVG_ERR_MIGRATE_UNSAFE, "%s", _(u->reason));
            return -1;
        }
    }
    return cvg_migration_check_disks(dom->def, flags);
}

/* --- job bookkeeping --- */

void
cvg_migration_job_free(CvgMigrationJob *job)
{
    if (!job)
        return;
    cvg_migration_params_free(job->params);
    cvg_migration_sample_clear(&job->sample);
    g_free(job->dest_name);
    g_free(job->abort_reason);
    g_free(job->id);
    if (job->history)
        g_array_unref(job->history);
    g_free(job);
}

unsigned long long
cvg_mig_job_elapsed_ms(const CvgMigrationJob *job)
{
    return (g_get_monotonic_time() - job->start_us) / 1000;
}

/* Begin @dom's async job @async with its migration state (lock held). */
static CvgMigrationJob *
job_start(CvgDriver *drv, CvgDomainObj *dom, int async, int operation,
          unsigned int flags, CvgMigrationParams **params, const void *owner)
{
    CvgMigrationJob *job = g_new0(CvgMigrationJob, 1);

    job->operation = operation;
    job->flags = flags;
    job->params = g_steal_pointer(params);
    job->owner = owner;
    job->start_us = g_get_monotonic_time();
    job->prev_state = dom->state;
    job->id = g_uuid_string_random();
    if (cvg_domain_async_job_begin(drv, dom, async) < 0) {
        cvg_migration_job_free(job);
        return NULL;
    }
    dom->migration = job;
    cvg_log_migration(G_LOG_LEVEL_INFO, dom->def->name, job->id,
                      "%s migration %s of '%s' started",
                      operation == CVG_JOB_OP_MIGRATION_OUT ? "outgoing"
                                                            : "incoming",
                      job->id, dom->def->name);
    return job;
}

void
cvg_mig_job_stop(CvgDomainObj *dom)
{
    if (dom->migration)
        cvg_log_migration(G_LOG_LEVEL_INFO, dom->def->name, dom->migration->id,
                          "migration %s of '%s' ended after %llu ms",
                          dom->migration->id, dom->def->name,
                          cvg_mig_job_elapsed_ms(dom->migration));
    cvg_migration_job_free(g_steal_pointer(&dom->migration));
    cvg_domain_async_job_end(dom->driver, dom);
}

/* Record the finished job's statistics for `domjobinfo --completed` and
 * announce them (lock held). */
void
cvg_mig_job_record_completed(CvgDriver *drv, CvgDomainObj *dom, int type,
                             CvgTypedParamList *stats)
{
    cvg_typed_params_free(dom->completed_stats);
    dom->completed_stats = stats;
    dom->completed_type = type;
    if (type == CVG_JOB_TYPE_COMPLETED && stats)
        cvg_driver_queue_job_event(drv, dom, CVG_EVENT_ID_JOB_COMPLETED, 0,
                                   stats);
}

CvgTypedParamList *
cvg_mig_job_stats(const CvgMigrationJob *job, bool completed)
{
    CvgMigrationSample empty = {.status = CVG_MIG_STATUS_SETUP};
    CvgTypedParamList *l;

    l = cvg_migration_stats_to_params(job->have_sample ? &job->sample : &empty,
                                      job->operation,
                                      cvg_mig_job_elapsed_ms(job), completed);
    /* convergd extras, after libvirt's own: virsh prints only what it
     * knows and ignores these. */
    if (job->operation == CVG_JOB_OP_MIGRATION_OUT && job->history) {
        CvgConvergenceForecast fc;

        cvg_typed_params_add_string(
            l, "convergd.policy",
            cvg_convergence_policy_to_string(job->conv.policy));
        cvg_typed_params_add_ullong(l, "convergd.cpu_lost", job->cpu_lost_ms);
        if (job->flags & CVG_MIGRATE_POSTCOPY)
            cvg_typed_params_add_string(l, "convergd.phase",
                                        cvg_mig_postcopy_phase(job));
        cvg_typed_params_add_int(l, "convergd.max_throttle",
                                 job->max_throttle_seen);
        cvg_convergence_forecast(&job->conv, &job->conv_state,
                                 (CvgConvergenceSample *)job->history->data,
                                 job->history->len, &fc);
        if (fc.known && !completed) {
            cvg_typed_params_add_int(l, "convergd.throttle_needed",
                                     fc.throttle_needed);
            cvg_typed_params_add_ullong(l, "convergd.converge_eta", fc.eta_ms);
            cvg_typed_params_add_boolean(l, "convergd.will_converge",
                                         fc.converges_without_escalation);
            cvg_typed_params_add_string(
                l, "convergd.next_lever",
                cvg_convergence_lever_to_string(fc.next_lever));
        }
    }
    if (job->have_qemu_params && !completed) {
        cvg_typed_params_add_ullong(l, "convergd.downtime_limit",
                                    job->qp_downtime_limit_ms);
        cvg_typed_params_add_ullong(l, "convergd.max_bandwidth",
                                    job->qp_max_bandwidth);
        cvg_typed_params_add_int(l, "convergd.cpu_throttle_initial",
                                 job->qp_throttle_initial);
        cvg_typed_params_add_int(l, "convergd.cpu_throttle_increment",
                                 job->qp_throttle_increment);
        cvg_typed_params_add_int(l, "convergd.max_cpu_throttle",
                                 job->qp_max_throttle);
    }
    return l;
}

/* Read back what QEMU applies (lock held). */
static int
poll_qemu_params(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    g_autoptr(json_object) reply = NULL;
    guint64 v;
    gint64 i;

    if (cvg_qemu_monitor_command(drv, dom, "query-migrate-parameters", NULL,
                                 &reply) < 0)
        return -1;
    if (cvg_json_get_uint64(reply, "downtime-limit", &v))
        job->qp_downtime_limit_ms = v;
    if (cvg_json_get_uint64(reply, "max-bandwidth", &v))
        job->qp_max_bandwidth = v;
    if (cvg_json_get_int64(reply, "cpu-throttle-initial", &i))
        job->qp_throttle_initial = (int)i;
    if (cvg_json_get_int64(reply, "cpu-throttle-increment", &i))
        job->qp_throttle_increment = (int)i;
    if (cvg_json_get_int64(reply, "max-cpu-throttle", &i))
        job->qp_max_throttle = (int)i;
    job->have_qemu_params = true;
    return 0;
}

void
cvg_migration_handle_event(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                           json_object *data)
{
    CvgMigrationJob *job = dom->migration;
    gint64 pass;

    if (!job)
        return;
    if (strcmp(name, "MIGRATION_PASS") == 0 &&
        cvg_json_get_int64(data, "pass", &pass)) {
        job->iteration = (int)pass;
        cvg_driver_queue_job_event(drv, dom, CVG_EVENT_ID_MIGRATION_ITERATION,
                                   job->iteration, NULL);
    } else if (strcmp(name, "MIGRATION") == 0) {
        /* Only wake the job: it acts on the status it polls itself, with
         * the statistics that go with it. */
        cvg_domain_job_wake(dom);
    }
}

/* --- helpers --- */

int
cvg_mig_check_running(CvgDomainObj *dom)
{
    if (!dom->in_list || !cvg_domain_obj_is_active(dom) || !dom->mon) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        return -1;
    }
    return 0;
}

static char *
make_cookie(CvgDriver *drv, CvgDomainObj *dom, const CvgTypedParamList *stats,
            size_t *ret_len)
{
    CvgMigrationCookie c = {
        .name = dom->def->name,
        .has_uuid = true,
        .hostname = drv->hostname,
        .has_host_uuid = true,
        .qemu_version = dom->qemu_major * 1000000ULL +
                        dom->qemu_minor * 1000ULL + dom->qemu_micro,
        .stats = (CvgTypedParamList *)stats,
    };

    memcpy(c.uuid, dom->def->uuid, 16);
    memcpy(c.host_uuid, drv->host_uuid, 16);
    return cvg_migration_cookie_format(&c, ret_len);
}

char *
cvg_migration_uri_to_qemu(const char *uri)
{
    /* libvirt speaks "tcp://host:port", QEMU "tcp:host:port" */
    if (g_str_has_prefix(uri, "tcp://"))
        return g_strdup_printf("tcp:%s", uri + strlen("tcp://"));
    return g_strdup(uri);
}

int
cvg_mig_apply_json(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
                   json_object *args)
{
    return cvg_qemu_monitor_command(drv, dom, cmd, args, NULL);
}

/* Set capabilities and parameters on the source before "migrate" to
 * @qemu_uri. */
static int
apply_source_params(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
                    const char *qemu_uri)
{
    g_autoptr(json_object) caps = json_object_new_object();
    g_autoptr(json_object) params = NULL;
    json_object *bw;

    json_object_object_add(
        caps, "capabilities",
        cvg_migration_params_caps_json(job->params, CVG_MIG_SIDE_SOURCE));
    if (cvg_mig_apply_json(drv, dom, "migrate-set-capabilities", caps) < 0)
        return -1;
    params = cvg_migration_params_qmp_json(job->params, CVG_MIG_SIDE_SOURCE);
    /* The domain's tunables unless the call overrides them. */
    if (!json_object_object_get_ex(params, "downtime-limit", NULL))
        json_object_object_add(params, "downtime-limit",
                               json_object_new_int64(dom->max_downtime_ms));
    if (!json_object_object_get_ex(params, "max-bandwidth", &bw))
        json_object_object_add(
            params, "max-bandwidth",
            json_object_new_int64((gint64)(dom->max_speed_mibs << 20)));
    cvg_mig_postcopy_source_params(dom, job, params);
    if (job->flags & CVG_MIGRATE_TLS) {
        if (cvg_migration_tls_add_creds(drv, dom, CVG_MIG_SIDE_SOURCE) < 0)
            return -1;
        job->tls_object = true;
        cvg_migration_tls_params(params, CVG_MIG_SIDE_SOURCE, qemu_uri);
    }
    return cvg_mig_apply_json(drv, dom, "migrate-set-parameters", params);
}

/* The job is over on this side: take our TLS credentials out of QEMU
 * (lock held). */
void
cvg_mig_tls_cleanup(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    if (!job || !job->tls_object)
        return;
    job->tls_object = false;
    cvg_migration_tls_cleanup(drv, dom);
}

/* The throttle QEMU reported at this poll: the highest one, and the guest
 * CPU lost (the previous poll's throttle over the time since).  Every poll
 * counts, not only the ones the policy sees: QEMU may step once more just
 * before completing. */
static void
note_throttle(CvgMigrationJob *job, int throttle)
{
    unsigned long long now = cvg_mig_job_elapsed_ms(job);

    job->max_throttle_seen = MAX(job->max_throttle_seen, throttle);
    if (job->polled && now > job->last_poll_ms)
        job->cpu_lost_ms += (now - job->last_poll_ms) *
                            (unsigned long long)job->last_poll_throttle / 100;
    job->polled = true;
    job->last_poll_ms = now;
    job->last_poll_throttle = throttle;
}

/* One query-migrate; updates the job's sample (lock held). */
static int
poll_migration(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    g_autoptr(json_object) reply = NULL;
    CvgMigrationSample s = {0};

    if (cvg_qemu_monitor_command(drv, dom, "query-migrate", NULL, &reply) < 0)
        return -1;
    if (cvg_migration_sample_parse(reply, &s) < 0)
        return -1;
    job->status = s.status;
    /* QEMU stops throttling at completion and drops the figure; the
     * completed statistics keep the throttle the guest ended at. */
    if (s.status == CVG_MIG_STATUS_COMPLETED && !s.throttle_pct)
        s.throttle_pct = job->sample.throttle_pct;
    note_throttle(job, s.throttle_pct);
    if (s.has_ram) {
        cvg_migration_sample_clear(&job->sample);
        job->sample = s;
        job->have_sample = true;
    } else {
        /* After migrate_cancel QEMU drops the ram section: keep the last
         * active sample, only note the new status. */
        if (s.status == CVG_MIG_STATUS_FAILED && s.error_desc) {
            g_free(job->sample.error_desc);
            job->sample.error_desc = g_steal_pointer(&s.error_desc);
        }
        job->sample.status = s.status;
        cvg_migration_sample_clear(&s);
    }
    return 0;
}

/* Sleep until the next poll, waking early for events or an abort. */
static void
poll_wait(CvgDriver *drv, CvgDomainObj *dom)
{
    gint64 until = g_get_monotonic_time() + POLL_INTERVAL_MS * 1000;

    cvg_domain_job_wait(drv, dom, until);
}

CvgMigrationJob *
cvg_mig_job_start(CvgDriver *drv, CvgDomainObj *dom, int async, int operation,
                  unsigned int flags, CvgMigrationParams **params,
                  const void *owner)
{
    return job_start(drv, dom, async, operation, flags, params, owner);
}

char *
cvg_mig_make_cookie(CvgDriver *drv, CvgDomainObj *dom, size_t *ret_len)
{
    return make_cookie(drv, dom, NULL, ret_len);
}

int
cvg_mig_poll(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    return poll_migration(drv, dom, job);
}

void
cvg_mig_poll_wait(CvgDriver *drv, CvgDomainObj *dom)
{
    poll_wait(drv, dom);
}

/* Resume a source guest that a failed migration left paused (lock held). */
void
cvg_mig_restore_source(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    g_autoptr(json_object) status = NULL;
    CvgError *saved;

    /* After the switch to post-copy the destination has run the guest:
     * resuming it here would run two diverging copies. */
    if (job && job->in_postcopy) {
        if (dom->mon)
            cvg_mig_postcopy_failed(drv, dom);
        return;
    }
    if (cvg_mig_check_running(dom) < 0) {
        cvg_error_reset();
        return;
    }
    saved = cvg_error_last() ? cvg_error_copy_last() : NULL;
    /* Only a guest that the migration paused changes state: one that never
     * stopped keeps its state and reason. */
    if (cvg_qemu_monitor_command(drv, dom, "query-status", NULL, &status) ==
            0 &&
        g_strcmp0(cvg_json_get_string(status, "status"), "running") != 0 &&
        job->prev_state == CVG_DOMAIN_RUNNING &&
        cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) == 0) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                 CVG_RUNNING_MIGRATION_CANCELED);
        cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                               CVG_EVENT_RESUMED_MIGRATED);
    } else if (dom->state == CVG_DOMAIN_PAUSED &&
               dom->reason == CVG_PAUSED_MIGRATION &&
               job->prev_state == CVG_DOMAIN_RUNNING && dom->mon) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING,
                                 CVG_RUNNING_MIGRATION_CANCELED);
    }
    cvg_driver_save_status(drv, dom);
    if (saved) {
        cvg_error_set(saved);
        cvg_error_free(saved);
    } else {
        cvg_error_reset();
    }
}

CvgDomainObj *
cvg_mig_find_job_domain(CvgDriver *drv, CvgDomainObj *dom, int async)
{
    if (!dom->migration || dom->async_job != async) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' has no migration job in this phase"),
                         dom->def->name);
        return NULL;
    }
    (void)drv;
    return dom;
}

/* --- convergence policy --- */

/* The policy looks at the latest samples only; keep a bounded window. */
#define HISTORY_MAX 512

/*
 * The policy settings for one migration (lock held): the daemon's
 * configuration, then the domain's <convergd:migration> metadata (checked
 * when the XML was parsed), then the caller's convergd.* parameters; see
 * convergence-conf.h.
 */
static int
build_convergence(CvgDriver *drv, CvgDomainObj *dom,
                  const CvgMigrationParams *mp, unsigned int flags,
                  CvgConvergenceConfig *conv)
{
    const CvgTypedParamList *p = mp->params;
    CvgConvergenceSettings set = drv->cfg->convergence;
    unsigned long long ull;
    int i;

    cvg_convergence_settings_merge(&set, &dom->def->convergence);
    if (cvg_convergence_settings_set_typed(&set, p) < 0)
        return -1;

    memset(conv, 0, sizeof(*conv));
    conv->policy = set.policy;
    conv->escalation = set.escalation;
    conv->ceiling = (int)set.ceiling;
    conv->max_downtime_ms = set.max_downtime_ms;
    conv->deadline_ms = set.deadline_s * 1000ULL;
    if (cvg_typed_params_get_int(p, CVG_MIGRATE_PARAM_AC_INITIAL, &i) > 0)
        conv->initial = i;
    if (cvg_typed_params_get_int(p, CVG_MIGRATE_PARAM_AC_INCREMENT, &i) > 0)
        conv->increment = i;
    conv->auto_converge = (flags & CVG_MIGRATE_AUTO_CONVERGE) != 0;
    /* postcopy-ram goes to both QEMUs with the flag; a paused guest has
     * nothing to gain from it */
    conv->postcopy =
        (flags & CVG_MIGRATE_POSTCOPY) != 0 && dom->state == CVG_DOMAIN_RUNNING;
    conv->ram_bytes = dom->def->memory_kib * 1024ULL;
    conv->downtime_ms = dom->max_downtime_ms;
    if (cvg_typed_params_get_ullong(p, "convergd.downtime", &ull) > 0)
        conv->downtime_ms = ull;
    /* The default speed is libvirt's "unlimited": no cap to plan with. */
    conv->bandwidth_limit =
        dom->max_speed_mibs < (1ULL << 20) ? dom->max_speed_mibs << 20 : 0;
    if (cvg_typed_params_get_ullong(p, CVG_MIGRATE_PARAM_BANDWIDTH, &ull) > 0 &&
        ull > 0)
        conv->bandwidth_limit = ull << 20;
    return 0;
}

/* The policy settings a migration runs with, at info. */
static void
log_convergence(CvgDomainObj *dom, const CvgMigrationJob *job)
{
    const CvgConvergenceConfig *c = &job->conv;

    cvg_log_migration(
        G_LOG_LEVEL_INFO, dom->def->name, job->id,
        "migration %s of '%s': convergence policy %s, throttle ceiling %d%%, "
        "max downtime %llu ms, deadline %llu ms, escalation %s",
        job->id, dom->def->name, cvg_convergence_policy_to_string(c->policy),
        c->ceiling, c->max_downtime_ms, c->deadline_ms,
        cvg_convergence_escalation_to_string(c->escalation));
}

/* What the policy decided, with its reason, at info. */
static void
log_action(CvgDomainObj *dom, const CvgMigrationJob *job,
           const CvgConvergenceAction *a)
{
    const char *name = dom->def->name;

    switch ((CvgConvergenceActionKind)a->kind) {
    case CVG_ACTION_SET_PARAM:
    case CVG_ACTION_SET_DOWNTIME:
        cvg_log_migration(G_LOG_LEVEL_INFO, name, job->id,
                          "migration %s of '%s': policy sets %s to %lld: %s",
                          job->id, name, a->param, (long long)a->value,
                          a->reason);
        break;
    case CVG_ACTION_PAUSE:
        cvg_log_migration(G_LOG_LEVEL_INFO, name, job->id,
                          "migration %s of '%s': policy pauses the guest so "
                          "the migration can finish: %s",
                          job->id, name, a->reason);
        break;
    case CVG_ACTION_ABORT:
        cvg_log_migration(G_LOG_LEVEL_INFO, name, job->id,
                          "migration %s of '%s': policy aborts: %s", job->id,
                          name, a->reason);
        break;
    case CVG_ACTION_POSTCOPY:
        cvg_log_migration(G_LOG_LEVEL_INFO, name, job->id,
                          "migration %s of '%s': policy switches to "
                          "post-copy: %s",
                          job->id, name, a->reason);
        break;
    }
}

/* Feed the latest sample to the policy and carry out what it decides
 * (lock held).  QEMU refusing one parameter is logged, not fatal. */
static int
run_policy(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    CvgConvergenceAction actions[CVG_CONVERGENCE_MAX_ACTIONS];
    CvgConvergenceSample cs = {0};
    const CvgMigrationSample *s = &job->sample;
    size_t n;

    if (!job->history || !job->have_sample)
        return 0;
    cs.t_ms = cvg_mig_job_elapsed_ms(job);
    cs.remaining = s->ram_remaining;
    cs.transferred = s->ram_transferred;
    cs.dirty_rate =
        s->ram_dirty_pages_rate * (s->ram_page_size ? s->ram_page_size : 4096);
    cs.bandwidth = (unsigned long long)(s->ram_mbps * 1000000.0 / 8.0);
    cs.iteration = s->ram_dirty_sync_count;
    cs.throttle = s->throttle_pct;
    cs.active = job->status == CVG_MIG_STATUS_ACTIVE;
    if (job->history->len >= HISTORY_MAX)
        g_array_remove_index(job->history, 0);
    g_array_append_val(job->history, cs);

    /* Not once the client asked for the switch or paused the guest. */
    if (job->postcopy_requested || dom->state != CVG_DOMAIN_RUNNING)
        job->conv.postcopy = false;
    g_debug("policy sample t=%llu rem=%llu it=%llu thr=%d bw=%llu dirty=%llu",
            cs.t_ms, cs.remaining, cs.iteration, cs.throttle, cs.bandwidth,
            cs.dirty_rate);
    n = cvg_convergence_decide(&job->conv, &job->conv_state,
                               (CvgConvergenceSample *)job->history->data,
                               job->history->len, actions);
    g_debug("policy state: n=%zu west=%.0f target=%d lsi=%llu lsr=%llu dt=%llu "
            "ac=%d pol=%d",
            n, job->conv_state.write_rate_est, job->conv_state.target,
            job->conv_state.last_sync_iteration,
            job->conv_state.last_sync_remaining,
            job->conv_state.cur_downtime_ms, job->conv.auto_converge,
            job->conv.policy);
    for (size_t i = 0; i < n && dom->mon; i++) {
        CvgConvergenceAction *a = &actions[i];
        g_autoptr(json_object) args = NULL;

        log_action(dom, job, a);
        switch ((CvgConvergenceActionKind)a->kind) {
        case CVG_ACTION_SET_PARAM:
        case CVG_ACTION_SET_DOWNTIME:
            args = json_object_new_object();
            json_object_object_add(args, a->param,
                                   json_object_new_int64(a->value));
            if (cvg_qemu_monitor_command(drv, dom, "migrate-set-parameters",
                                         args, NULL) < 0) {
                cvg_log_migration(G_LOG_LEVEL_WARNING, dom->def->name, job->id,
                                  "migration %s of '%s': %s", job->id,
                                  dom->def->name, cvg_error_last()->message);
                cvg_error_reset();
            }
            break;
        case CVG_ACTION_PAUSE:
            if (cvg_qemu_monitor_command(drv, dom, "stop", NULL, NULL) < 0)
                return -1;
            job->policy_paused = true;
            cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED,
                                     CVG_PAUSED_MIGRATION);
            cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                                   CVG_EVENT_SUSPENDED_MIGRATED);
            break;
        case CVG_ACTION_ABORT:
            g_free(job->abort_reason);
            job->abort_reason = g_strdup(a->reason);
            job->abort_requested = true;
            break;
        case CVG_ACTION_POSTCOPY:
            /* START_POST_COPY's own path; pre-copy goes on if refused */
            if (cvg_mig_postcopy_start(drv, dom, "convergence policy") < 0) {
                cvg_log_migration(G_LOG_LEVEL_WARNING, dom->def->name, job->id,
                                  "migration %s of '%s': %s", job->id,
                                  dom->def->name, cvg_error_last()->message);
                cvg_error_reset();
            }
            if (dom->migration != job)
                return 0;
            break;
        }
    }
    return 0;
}

/* --- source --- */

int
cvg_migration_begin(CvgDriver *drv, CvgDomainObj *dom,
                    const CvgTypedParamList *params, unsigned int flags,
                    const void *owner, char **ret_cookie,
                    size_t *ret_cookie_len, char **ret_xml)
{
    g_autoptr(CvgMigrationParams) mp = NULL;
    g_autofree char *xml = NULL;
    CvgConvergenceConfig conv;
    const char *dxml;
    int rc = -1;

    if (!(mp = cvg_migration_params_validate(params, flags,
                                             CVG_MIG_SIDE_SOURCE)))
        return -1;
    if (flags & CVG_MIGRATE_POSTCOPY_RESUME)
        return cvg_mig_postcopy_begin(drv, dom, &mp, owner, ret_cookie,
                                      ret_cookie_len, ret_xml);
    if (!(flags & CVG_MIGRATE_LIVE)) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("only live migration is supported: "
                           "pass VIR_MIGRATE_LIVE (virsh migrate --live)"));
        return -1;
    }
    cvg_driver_lock(drv);
    if (cvg_mig_check_running(dom) < 0)
        goto out;
    /* A synchronous job is waited for (cvg_domain_async_job_begin). */
    if (dom->async_job != CVG_ASYNC_NONE) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' already has a job running"),
                         dom->def->name);
        goto out;
    }
    if (dom->state != CVG_DOMAIN_RUNNING && dom->state != CVG_DOMAIN_PAUSED) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("domain '%s' is not running or paused"),
                         dom->def->name);
        goto out;
    }
    if (check_unsafe(dom, flags) < 0)
        goto out;
    if ((flags & CVG_MIGRATE_TLS) &&
        cvg_migration_tls_check(drv->cfg, CVG_MIG_SIDE_SOURCE) < 0)
        goto out;
    /* A caller-supplied destination XML must describe the same guest. */
    if ((dxml = cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_DEST_XML))) {
        g_autoptr(CvgDomainDef) def = cvg_domain_def_parse_string(dxml, 0);

        if (!def)
            goto out;
        if (memcmp(def->uuid, dom->def->uuid, 16) != 0) {
            cvg_error_report(
                CVG_ERR_INVALID_ARG,
                _("destination XML must keep the uuid of domain '%s'"),
                dom->def->name);
            goto out;
        }
        xml = g_strdup(dxml);
    } else if (!(xml = cvg_domain_def_format(dom->def, -1,
                                             CVG_DOMAIN_XML_MIGRATABLE))) {
        goto out;
    }
    if (build_convergence(drv, dom, mp, flags, &conv) < 0)
        goto out;
    if (!job_start(drv, dom, CVG_ASYNC_MIGRATION_OUT, CVG_JOB_OP_MIGRATION_OUT,
                   flags, &mp, owner))
        goto out;
    dom->migration->phase = CVG_MIG_PHASE_BEGIN;
    dom->migration->conv = conv;
    log_convergence(dom, dom->migration);
    dom->migration->history =
        g_array_new(FALSE, TRUE, sizeof(CvgConvergenceSample));
    *ret_cookie = make_cookie(drv, dom, NULL, ret_cookie_len);
    *ret_xml = g_steal_pointer(&xml);
    rc = 0;
out:
    cvg_driver_unlock(drv);
    return rc;
}

/* The URI Perform is to send to, in QEMU's form; NULL when it is unusable. */
static char *
perform_uri(const char *uri)
{
    if (!uri || !*uri) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("missing migration URI: the destination's Prepare "
                           "did not provide one"));
        return NULL;
    }
    if (!g_str_has_prefix(uri, "tcp:")) {
        cvg_error_report(
            CVG_ERR_ARGUMENT_UNSUPPORTED,
            _("migration URI '%s' is not supported; use tcp://HOST:PORT"), uri);
        return NULL;
    }
    return cvg_migration_uri_to_qemu(uri);
}

/* Set QEMU up and tell it to send to @qemu_uri (lock held). */
static int
perform_start(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
              unsigned int flags, const char *qemu_uri)
{
    g_autoptr(json_object) margs = json_object_new_object();

    if (job->abort_requested) {
        /* abortJob came while the destination was being prepared */
        job->status = CVG_MIG_STATUS_CANCELLED;
        cvg_error_report(CVG_ERR_OPERATION_ABORTED,
                         _("migration out job: canceled by client"));
        return -1;
    }
    job->phase = CVG_MIG_PHASE_PERFORM;
    job->flags = flags;
    job->start_us = g_get_monotonic_time();
    job->prev_state = dom->state;
    /* From here QEMU holds state of this job (the stream, TLS
     * credentials): a daemon that dies now leaves its successor a status
     * that says so (cvg_migration_recover_outgoing). */
    cvg_driver_save_status(drv, dom);
    /* A post-copy recovery keeps the capabilities and parameters QEMU has:
     * it refuses to change them while the migration is paused. */
    if (!(flags & CVG_MIGRATE_POSTCOPY_RESUME) &&
        apply_source_params(drv, dom, job, qemu_uri) < 0)
        return -1;
    json_object_object_add(margs, "uri", json_object_new_string(qemu_uri));
    if (flags & CVG_MIGRATE_POSTCOPY_RESUME)
        json_object_object_add(margs, "resume", json_object_new_boolean(true));
    g_debug("migrating '%s' to %s", dom->def->name, qemu_uri);
    return cvg_qemu_monitor_command(drv, dom, "migrate", margs, NULL);
}

/*
 * A link that goes away without a reset (a cable pulled, a peer powered
 * off) leaves QEMU's socket writes blocked for as long as TCP retries,
 * which is many minutes.  When an active migration has sent nothing for
 * migration_stall_timeout seconds, cancel it: the guest keeps running here
 * (lock held).
 */
static void
check_stall(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    unsigned int timeout = drv->cfg->migration_stall_timeout;
    gint64 now = g_get_monotonic_time();

    if (timeout == 0 || job->status != CVG_MIG_STATUS_ACTIVE ||
        !job->have_sample || job->abort_requested)
        return;
    if (job->stall_since_us == 0 ||
        job->sample.ram_transferred != job->stall_bytes) {
        job->stall_bytes = job->sample.ram_transferred;
        job->stall_since_us = now;
        return;
    }
    if (now - job->stall_since_us < (gint64)timeout * G_TIME_SPAN_SECOND)
        return;
    g_warning("migration of '%s' sent nothing for %u s: cancelling it",
              dom->def->name, timeout);
    job->stalled = true;
    job->abort_requested = true;
}

/* Why a poll ended the transfer, reported; 0 while it goes on. */
static int
perform_check_status(CvgDriver *drv, CvgMigrationJob *job)
{
    if (job->status == CVG_MIG_STATUS_CANCELLED) {
        if (job->stalled)
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("migration stalled: no data could be sent to "
                               "the destination for %u s"),
                             drv->cfg->migration_stall_timeout);
        else if (job->abort_reason)
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("migration did not converge: %s"),
                             job->abort_reason);
        else
            cvg_error_report(CVG_ERR_OPERATION_ABORTED,
                             _("migration out job: canceled by client"));
        return -1;
    }
    if (job->status == CVG_MIG_STATUS_FAILED) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED, _("migration out job: %s"),
                         job->sample.error_desc ? job->sample.error_desc
                                                : _("unexpectedly failed"));
        return -1;
    }
    return 0;
}

/* Poll QEMU until the transfer completes (0) or fails (-1), cancelling it
 * on an abort and running the convergence policy (lock held). */
static int
perform_wait(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job)
{
    int rc;

    for (;;) {
        if (cvg_mig_check_running(dom) < 0)
            return -1;
        if (job->abort_requested && !job->cancel_sent) {
            job->cancel_sent = true;
            if (cvg_qemu_monitor_command(drv, dom, "migrate_cancel", NULL,
                                         NULL) < 0)
                return -1;
        }
        if (poll_migration(drv, dom, job) < 0)
            return -1;
        check_stall(drv, dom, job);
        /* Once a second, and right after a tunable changed. */
        if ((job->polls++ % 4 == 0 || !job->have_qemu_params) &&
            job->status != CVG_MIG_STATUS_COMPLETED &&
            poll_qemu_params(drv, dom, job) < 0)
            return -1;
        if (job->status == CVG_MIG_STATUS_COMPLETED)
            return 0;
        /* The destination runs the guest now: Confirm waits for the end. */
        if ((rc = cvg_mig_postcopy_check(job)) != 0)
            return rc > 0 ? 0 : -1;
        if (job->status == CVG_MIG_STATUS_CANCELLED)
            return perform_check_status(drv, job);
        if (job->status == CVG_MIG_STATUS_ACTIVE &&
            run_policy(drv, dom, job) < 0)
            return -1;
        if (perform_check_status(drv, job) < 0)
            return -1;
        poll_wait(drv, dom);
    }
}

/* QEMU has stopped the guest and sent everything (lock held). */
static void
perform_done(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
             char **ret_cookie, size_t *ret_cookie_len)
{
    g_autoptr(CvgTypedParamList) stats = NULL;

    job->phase = CVG_MIG_PHASE_PERFORM_DONE;
    if (job->in_postcopy) {
        cvg_mig_postcopy_source_switched(drv, dom, job);
    } else if (dom->state != CVG_DOMAIN_PAUSED) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_MIGRATION);
        cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                               CVG_EVENT_SUSPENDED_MIGRATED);
    }
    stats = cvg_mig_job_stats(job, true);
    *ret_cookie = make_cookie(drv, dom, stats, ret_cookie_len);
    cvg_driver_save_status(drv, dom);
}

/* The source keeps the guest; Confirm(cancelled) ends the job, but the
 * guest runs again right away (lock held). */
static void
perform_failed(CvgDriver *drv, CvgDomainObj *dom)
{
    CvgMigrationJob *job = dom->migration;
    g_autoptr(CvgTypedParamList) stats = NULL;

    cvg_mig_restore_source(drv, dom, job);
    if (!job)
        return;
    stats = cvg_mig_job_stats(job, false);
    cvg_mig_job_record_completed(drv, dom,
                                 job->status == CVG_MIG_STATUS_CANCELLED
                                     ? CVG_JOB_TYPE_CANCELLED
                                     : CVG_JOB_TYPE_FAILED,
                                 g_steal_pointer(&stats));
    job->phase = CVG_MIG_PHASE_PERFORM_DONE;
    job->status = CVG_MIG_STATUS_FAILED;
}

int
cvg_migration_perform(CvgDriver *drv, CvgDomainObj *dom, const char *uri,
                      const char *cookie_in, size_t cookie_in_len,
                      unsigned int flags, char **ret_cookie,
                      size_t *ret_cookie_len)
{
    g_autoptr(CvgMigrationCookie) peer = NULL;
    g_autofree char *qemu_uri = NULL;
    CvgMigrationJob *job;
    int rc = -1;

    if (!(peer = cvg_migration_cookie_parse(cookie_in, cookie_in_len)))
        return -1;
    if (!(qemu_uri = perform_uri(uri)))
        return -1;

    cvg_driver_lock(drv);
    if (!cvg_mig_find_job_domain(drv, dom, CVG_ASYNC_MIGRATION_OUT))
        goto out;
    job = dom->migration;
    if (job->phase != CVG_MIG_PHASE_BEGIN) {
        cvg_error_report(
            CVG_ERR_OPERATION_INVALID,
            _("migration of domain '%s' is not waiting for Perform"),
            dom->def->name);
        goto out;
    }
    if (peer->has_host_uuid &&
        memcmp(peer->host_uuid, drv->host_uuid, 16) == 0) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("attempt to migrate guest to the same host"));
    } else if (cvg_mig_check_running(dom) == 0 &&
               perform_start(drv, dom, job, flags, qemu_uri) == 0 &&
               perform_wait(drv, dom, job) == 0) {
        cvg_mig_tls_cleanup(drv, dom, job);
        perform_done(drv, dom, job, ret_cookie, ret_cookie_len);
        rc = 0;
        goto out;
    }
    perform_failed(drv, dom);
    cvg_mig_tls_cleanup(drv, dom, dom->migration);
out:
    cvg_driver_unlock(drv);
    return rc;
}

int
cvg_migration_confirm(CvgDriver *drv, CvgDomainObj *dom, const char *cookie_in,
                      size_t cookie_in_len, unsigned int flags, bool cancelled)
{
    g_autoptr(CvgMigrationCookie) peer = NULL;
    CvgMigrationJob *job;
    bool incomplete;
    int rc = -1;

    /* The destination's cookie carries nothing we need, but it must be
     * well-formed: it is peer input. */
    if (!(peer = cvg_migration_cookie_parse(cookie_in, cookie_in_len)))
        return -1;
    cvg_driver_lock(drv);
    if (!cvg_mig_find_job_domain(drv, dom, CVG_ASYNC_MIGRATION_OUT))
        goto out;
    job = dom->migration;
    if (!cancelled && job->in_postcopy &&
        cvg_mig_postcopy_source_wait(drv, dom, job) < 0) {
        cvg_mig_job_record_completed(drv, dom, CVG_JOB_TYPE_FAILED,
                                     cvg_mig_job_stats(job, false));
        cvg_mig_job_stop(dom);
        goto out;
    }
    incomplete = !cancelled && job->status != CVG_MIG_STATUS_COMPLETED;
    if (incomplete)
        cancelled = true;
    if (cancelled) {
        cvg_mig_restore_source(drv, dom, job);
        if (job->status != CVG_MIG_STATUS_FAILED &&
            job->status != CVG_MIG_STATUS_CANCELLED) {
            g_autoptr(CvgTypedParamList) stats = cvg_mig_job_stats(job, false);

            cvg_mig_job_record_completed(drv, dom, CVG_JOB_TYPE_FAILED,
                                         g_steal_pointer(&stats));
        }
        cvg_mig_job_stop(dom);
        cvg_error_reset();
        if (incomplete) {
            /* The guest is back here, but the caller believed otherwise. */
            cvg_error_report(CVG_ERR_OPERATION_INVALID,
                             _("migration of domain '%s' did not complete"),
                             dom->def->name);
            goto out;
        }
        rc = 0;
        goto out;
    }
    {
        g_autoptr(CvgTypedParamList) stats = cvg_mig_job_stats(job, true);

        cvg_mig_job_record_completed(drv, dom, CVG_JOB_TYPE_COMPLETED,
                                     g_steal_pointer(&stats));
    }
    cvg_mig_job_stop(dom);
    if (dom->mon || cvg_domain_obj_is_active(dom))
        cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_MIGRATED,
                              CVG_EVENT_STOPPED_MIGRATED);
    if ((flags & CVG_MIGRATE_UNDEFINE_SOURCE) && dom->persistent) {
        cvg_driver_remove_config(drv, dom->def->name);
        dom->persistent = false;
        cvg_driver_queue_event(drv, dom, CVG_EVENT_UNDEFINED,
                               CVG_EVENT_UNDEFINED_REMOVED);
        cvg_driver_remove(drv, dom);
    }
    rc = 0;
out:
    cvg_driver_unlock(drv);
    return rc;
}
