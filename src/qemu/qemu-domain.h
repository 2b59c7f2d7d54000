/*
 * qemu-domain.h: domain objects
 *
 * The list is qemu-domain-list.h, the jobs qemu-domain-job.h.  One driver
 * lock (CvgDriver.lock) protects the list and every field of every
 * domain object.  Code that talks to QEMU must not hold it while waiting for
 * a monitor reply: it takes the domain's job first (so no other modifying
 * operation runs on that domain), drops the lock, talks to QEMU, and takes the
 * lock again to record the result.
 */
#pragma once

#include "domain-conf.h"
#include "cvg-typed-param.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct _CvgQmp CvgQmp;
typedef struct _CvgDriver CvgDriver;
typedef struct _CvgMigrationJob CvgMigrationJob;

/* virDomainState */
typedef enum {
    CVG_DOMAIN_NOSTATE = 0,
    CVG_DOMAIN_RUNNING = 1,
    CVG_DOMAIN_BLOCKED = 2,
    CVG_DOMAIN_PAUSED = 3,
    CVG_DOMAIN_SHUTDOWN = 4,
    CVG_DOMAIN_SHUTOFF = 5,
    CVG_DOMAIN_CRASHED = 6,
    CVG_DOMAIN_PMSUSPENDED = 7,
} CvgDomainState;

/* Reasons (virDomain*Reason), per state. */
enum {
    CVG_RUNNING_UNKNOWN = 0,
    CVG_RUNNING_BOOTED = 1,
    CVG_RUNNING_MIGRATED = 2,
    CVG_RUNNING_RESTORED = 3,
    CVG_RUNNING_FROM_SNAPSHOT = 4,
    CVG_RUNNING_UNPAUSED = 5,
    CVG_RUNNING_MIGRATION_CANCELED = 6,
    CVG_RUNNING_POSTCOPY = 10,
    CVG_RUNNING_POSTCOPY_FAILED = 11,
};
enum {
    CVG_PAUSED_UNKNOWN = 0,
    CVG_PAUSED_USER = 1,
    CVG_PAUSED_MIGRATION = 2,
    CVG_PAUSED_SHUTTING_DOWN = 8,
    CVG_PAUSED_STARTING_UP = 11,
    CVG_PAUSED_POSTCOPY = 12,
    CVG_PAUSED_POSTCOPY_FAILED = 13,
};
enum {
    CVG_SHUTDOWN_UNKNOWN = 0,
    CVG_SHUTDOWN_USER = 1,
};
enum {
    CVG_SHUTOFF_UNKNOWN = 0,
    CVG_SHUTOFF_SHUTDOWN = 1,
    CVG_SHUTOFF_DESTROYED = 2,
    CVG_SHUTOFF_CRASHED = 3,
    CVG_SHUTOFF_MIGRATED = 4,
    CVG_SHUTOFF_FAILED = 6,
};

/* virDomainEventType and the details we emit. */
typedef enum {
    CVG_EVENT_DEFINED = 0,
    CVG_EVENT_UNDEFINED = 1,
    CVG_EVENT_STARTED = 2,
    CVG_EVENT_SUSPENDED = 3,
    CVG_EVENT_RESUMED = 4,
    CVG_EVENT_STOPPED = 5,
    CVG_EVENT_SHUTDOWN = 6,
} CvgLifecycleEvent;
enum { CVG_EVENT_DEFINED_ADDED = 0, CVG_EVENT_DEFINED_UPDATED = 1 };
enum { CVG_EVENT_UNDEFINED_REMOVED = 0 };
enum { CVG_EVENT_STARTED_BOOTED = 0, CVG_EVENT_STARTED_MIGRATED = 1 };
enum {
    CVG_EVENT_SUSPENDED_PAUSED = 0,
    CVG_EVENT_SUSPENDED_MIGRATED = 1,
    CVG_EVENT_SUSPENDED_POSTCOPY = 7,
    CVG_EVENT_SUSPENDED_POSTCOPY_FAILED = 8,
};
enum {
    CVG_EVENT_RESUMED_UNPAUSED = 0,
    CVG_EVENT_RESUMED_MIGRATED = 1,
    CVG_EVENT_RESUMED_POSTCOPY = 3,
    CVG_EVENT_RESUMED_POSTCOPY_FAILED = 4,
};
enum {
    CVG_EVENT_SHUTDOWN_FINISHED = 0,
    CVG_EVENT_SHUTDOWN_GUEST = 1,
    CVG_EVENT_SHUTDOWN_HOST = 2,
};
enum {
    CVG_EVENT_STOPPED_SHUTDOWN = 0,
    CVG_EVENT_STOPPED_DESTROYED = 1,
    CVG_EVENT_STOPPED_CRASHED = 2,
    CVG_EVENT_STOPPED_MIGRATED = 3,
    CVG_EVENT_STOPPED_FAILED = 5,
};

/* Kinds of synchronous jobs; only one runs per domain at a time. */
typedef enum {
    CVG_JOB_NONE = 0,
    CVG_JOB_QUERY,        /* read-only monitor use, allowed beside async jobs */
    CVG_JOB_MODIFY,       /* start, stop, suspend, resume, define... */
    CVG_JOB_DESTROY,      /* may interrupt an async job */
    CVG_JOB_MIGRATION_OP, /* tunables and abort during a migration */
    CVG_JOB_ASYNC_NESTED, /* the async job's own monitor use */
    CVG_JOB_SUSPEND,      /* suspend, allowed beside an outgoing migration */
    CVG_JOB_LAST
} CvgJobKind;

/* Long-running (async) jobs. */
typedef enum {
    CVG_ASYNC_NONE = 0,
    CVG_ASYNC_MIGRATION_OUT,
    CVG_ASYNC_MIGRATION_IN,
    CVG_ASYNC_LAST
} CvgAsyncJobKind;

typedef struct {
    gint refs;
    CvgDriver *driver;    /* the driver this domain belongs to */
    bool in_list;         /* still in the driver's list */
    CvgDomainDef *def;    /* live definition (or the config if off) */
    CvgDomainDef *newdef; /* config to use at next start, if pending */
    bool persistent;
    bool autostart;
    bool removing; /* undefined while running: gone at stop */
    int state;     /* CvgDomainState */
    int reason;
    int id; /* -1 when inactive */
    pid_t pid;
    CvgQmp *mon;
    int qemu_major, qemu_minor, qemu_micro;
    bool stopping;           /* we asked QEMU to go away */
    bool got_shutdown;       /* QEMU reported the guest powered off */
    bool fake_reboot;        /* a reboot asked: the power-off resets */
    bool shutdown_requested; /* the power button was pressed for a
                              * shutdown; cleared when QEMU stops */
    bool pty_queried;
    unsigned long long cpu_time_ns_base;
    /* The job fields: read anywhere under the lock, written only by the
     * job API (qemu-domain-job.c), which wakes job_cond's waiters. */
    GCond job_cond;
    int job;                    /* CvgJobKind */
    int async_job;              /* CvgAsyncJobKind */
    CvgMigrationJob *migration; /* the async job's state, if any */
    unsigned long long max_downtime_ms;
    unsigned long long max_speed_mibs;
    unsigned long long max_postcopy_speed_mibs; /* 0: QEMU's default */
    int completed_type; /* virDomainJobType of the last job */
    CvgTypedParamList *completed_stats;
} CvgDomainObj;

CvgDomainObj *cvg_domain_obj_new(CvgDomainDef **def);
void cvg_domain_obj_ref(CvgDomainObj *dom);
void cvg_domain_obj_unref(CvgDomainObj *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainObj, cvg_domain_obj_unref)

static inline bool
cvg_domain_obj_is_active(const CvgDomainObj *dom)
{
    return dom->id >= 0;
}

/* The definition to show for INACTIVE requests and to save on disk. */
const CvgDomainDef *cvg_domain_obj_config(const CvgDomainObj *dom);

void cvg_domain_obj_set_state(CvgDomainObj *dom, int state, int reason);
