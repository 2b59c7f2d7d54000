/*
 * qemu-migration.h: live migration phases and the migration job
 *
 * The phases follow libvirt's migration protocol v3 with parameters:
 * Begin, Perform and Confirm run on the source; Prepare and Finish on the
 * destination.  Client-driven migration calls them through five RPCs; in
 * peer-to-peer migration qemu-migration-p2p.h calls Begin/Perform/Confirm
 * here and Prepare/Finish on the destination through a peer connection.
 *
 * Each function takes and releases the driver lock itself.  Cookies are
 * migration-cookie.h documents, owned by the caller.
 */
#pragma once

#include "qemu-domain-job.h"
#include "qemu-domain-list.h"
#include "cvg-json.h"
#include "qemu-migration-params.h"
#include "qemu-migration-stats.h"
#include "qemu-convergence.h"

typedef enum {
    CVG_MIG_PHASE_NONE,
    CVG_MIG_PHASE_BEGIN,        /* source: Begin done, Perform next */
    CVG_MIG_PHASE_PERFORM,      /* source: data moving */
    CVG_MIG_PHASE_PERFORM_DONE, /* source: QEMU finished, Confirm next */
    CVG_MIG_PHASE_PREPARED,     /* destination: waiting for data */
    CVG_MIG_PHASE_FINISH,       /* destination: Finish running */
} CvgMigrationPhase;

struct _CvgMigrationJob {
    int phase;     /* CvgMigrationPhase */
    int operation; /* CVG_JOB_OP_MIGRATION_IN/OUT */
    unsigned int flags;
    CvgMigrationParams *params;
    const void *owner; /* the client connection driving it */
    gint64 start_us;   /* monotonic start of the job */
    bool have_sample;
    CvgMigrationSample sample; /* last sample of an active migration */
    int status;                /* CvgMigrationStatus last seen */
    bool abort_requested;
    bool cancel_sent;
    int iteration;  /* from MIGRATION_PASS events */
    int prev_state; /* source state before the migration */
    /* QEMU's migration parameters as query-migrate-parameters last reported
     * them (source side), shown as convergd.* job statistics. */
    bool have_qemu_params;
    unsigned long long qp_downtime_limit_ms;
    unsigned long long qp_max_bandwidth; /* bytes/s */
    int qp_throttle_initial, qp_throttle_increment, qp_max_throttle;
    unsigned int polls;
    /* The convergence policy's view of this migration (source side). */
    CvgConvergenceConfig conv;
    CvgConvergenceState conv_state;
    GArray *history;                 /* CvgConvergenceSample, the last ones */
    unsigned long long cpu_lost_ms;  /* integral of throttle dt, all polls */
    bool polled;                     /* query-migrate answered once */
    unsigned long long last_poll_ms; /* elapsed at the last query-migrate */
    int last_poll_throttle;          /* the throttle it reported */
    int max_throttle_seen;
    char *abort_reason; /* the policy cancelled: why */
    /* Stall detection: the bytes QEMU had sent when they last moved. */
    unsigned long long stall_bytes;
    gint64 stall_since_us;
    bool stalled;       /* cancelled because nothing was sent */
    bool policy_paused; /* the policy stopped the guest */
    char *dest_name;    /* destination: name of the guest */
    bool tls_object;    /* QEMU has our TLS credentials (VIR_MIGRATE_TLS) */
    /* QEMU switched to post-copy: the destination runs the guest, and the
     * source must never resume it (qemu-migration-priv.h). */
    bool in_postcopy;
    bool recover_seen;       /* a recovery got past postcopy-paused */
    bool postcopy_requested; /* migrate-start-postcopy sent (client or
                              * policy) */
    /* A random UUID naming this job in logs (MIGRATION_ID in the journal);
     * each side has its own. */
    char *id;
};

/* Source */
int cvg_migration_begin(CvgDriver *drv, CvgDomainObj *dom,
                        const CvgTypedParamList *params, unsigned int flags,
                        const void *owner, char **ret_cookie,
                        size_t *ret_cookie_len, char **ret_xml);
/* Run the data transfer to @uri (QEMU's "tcp:host:port" or libvirt's
 * "tcp://host:port").  Needs a Begin by the same @owner. */
int cvg_migration_perform(CvgDriver *drv, CvgDomainObj *dom, const char *uri,
                          const char *cookie_in, size_t cookie_in_len,
                          unsigned int flags, char **ret_cookie,
                          size_t *ret_cookie_len);
/* Kill the source guest (success) or resume it (@cancelled). */
int cvg_migration_confirm(CvgDriver *drv, CvgDomainObj *dom,
                          const char *cookie_in, size_t cookie_in_len,
                          unsigned int flags, bool cancelled);

/* Destination */
CvgDomainObj *cvg_migration_prepare(CvgDriver *drv,
                                    const CvgTypedParamList *params,
                                    const char *cookie_in, size_t cookie_in_len,
                                    unsigned int flags, const void *owner,
                                    char **ret_cookie, size_t *ret_cookie_len,
                                    char **ret_uri);
CvgDomainObj *cvg_migration_finish(CvgDriver *drv,
                                   const CvgTypedParamList *params,
                                   const char *cookie_in, size_t cookie_in_len,
                                   unsigned int flags, bool cancelled,
                                   char **ret_cookie, size_t *ret_cookie_len);

/* The migrate_uri to advertise for QEMU's "tcp:host:port": libvirt form. */
char *cvg_migration_uri_to_qemu(const char *uri);

/* Jobs */
typedef struct {
    int type; /* CvgJobType */
    unsigned long long time_elapsed_ms, time_remaining_ms;
    unsigned long long data_total, data_processed, data_remaining;
    unsigned long long mem_total, mem_processed, mem_remaining;
} CvgJobInfo;

/* virDomainGetJobStatsFlags */
#define CVG_JOB_STATS_COMPLETED 1
#define CVG_JOB_STATS_KEEP_COMPLETED 2

int cvg_migration_get_job_stats(CvgDriver *drv, CvgDomainObj *dom,
                                unsigned int flags, int *ret_type,
                                CvgTypedParamList **ret_params);
int cvg_migration_get_job_info(CvgDriver *drv, CvgDomainObj *dom,
                               CvgJobInfo *ret_info);
int cvg_migration_abort(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
int cvg_migration_set_max_downtime(CvgDriver *drv, CvgDomainObj *dom,
                                   unsigned long long ms, unsigned int flags);
int cvg_migration_get_max_downtime(CvgDriver *drv, CvgDomainObj *dom,
                                   unsigned int flags,
                                   unsigned long long *ret_ms);
int cvg_migration_set_max_speed(CvgDriver *drv, CvgDomainObj *dom,
                                unsigned long long mibs, unsigned int flags);
int cvg_migration_get_max_speed(CvgDriver *drv, CvgDomainObj *dom,
                                unsigned int flags,
                                unsigned long long *ret_mibs);

/* The client @owner went away: end the jobs it left half-way, leaving each
 * guest running exactly once (source resumed, incoming guest killed). */
void cvg_migration_owner_closed(CvgDriver *drv, const void *owner);

/* A QMP event for a domain with a migration job (lock held). */
void cvg_migration_handle_event(CvgDriver *drv, CvgDomainObj *dom,
                                const char *name, json_object *data);

void cvg_migration_job_free(CvgMigrationJob *job);

/* Post-copy (qemu-migration-postcopy.c) */
/* virDomainMigrateStartPostCopy: the outgoing migration of @dom, started
 * with VIR_MIGRATE_POSTCOPY, switches to post-copy (OPERATION_INVALID
 * otherwise, with libvirt's messages). */
int cvg_migration_start_postcopy(CvgDriver *drv, CvgDomainObj *dom,
                                 unsigned int flags);

/* virDomainAbortJobFlags(VIR_DOMAIN_ABORT_JOB_POSTCOPY): pause the
 * post-copy stream (QMP migrate-pause); both sides go post-copy-failed. */
int cvg_migration_pause_postcopy(CvgDriver *drv, CvgDomainObj *dom);

/* Daemon start-up found a guest whose status says a migration was under
 * way (lock held, guest re-attached).  Outgoing: cancel what QEMU may still
 * be sending and resume the guest here.  Incoming: kill it, since no
 * Finish will come. */
void cvg_migration_recover_outgoing(CvgDriver *drv, CvgDomainObj *dom);
void cvg_migration_recover_incoming(CvgDriver *drv, CvgDomainObj *dom);

/* The daemon is stopping: abort outgoing migrations (each guest stays on
 * this host) and kill incoming ones, waiting up to @timeout_ms for the
 * jobs to end.  Takes the lock itself. */
void cvg_migration_shutdown(CvgDriver *drv, unsigned int timeout_ms);
