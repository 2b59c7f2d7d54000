/*
 * qemu-convergence.h: the daemon-side convergence policy
 *
 * A pure function (no I/O): it reads the history of query-migrate samples
 * of one migration and returns actions for the job engine to apply to QEMU
 * (migration parameters, downtime changes, pausing the guest, switching to
 * post-copy, aborting).
 * Policies:
 *
 *   qemu      exactly libvirt's behaviour: the caller's parameters are
 *             passed through and QEMU ramps its throttle by itself
 *             (initial, +increment per two passes).
 *   adaptive  estimates the guest's write rate and the link's bandwidth,
 *             computes the throttle that makes each pass shrink the
 *             remaining set, and has QEMU land on it in one or two steps;
 *             never above the ceiling; lets the throttle go when the guest
 *             goes quiet; escalates (downtime steps, then pause or abort
 *             when allowed) when even the ceiling is not enough; with
 *             escalation "postcopy" and VIR_MIGRATE_POSTCOPY it switches
 *             to post-copy instead of throttling a guest that needs more
 *             than half its CPU taken (or more than the ceiling).
 *
 * It is tested with tables of samples and with the simulator in
 * qemu-convergence-sim.h.
 */
#pragma once

#include "convergence-conf.h"

#include <glib.h>
#include <stdbool.h>

/* CvgConvergencePolicy and CvgConvergenceEscalation, with their string
 * functions, are in convergence-conf.h with the settings table. */

typedef struct {
    int policy;                         /* CvgConvergencePolicy */
    bool auto_converge;                 /* VIR_MIGRATE_AUTO_CONVERGE given */
    unsigned long long ram_bytes;       /* guest RAM */
    unsigned long long bandwidth_limit; /* max-bandwidth, bytes/s; 0 = none */
    unsigned long long downtime_ms;     /* the caller's downtime limit */
    unsigned long long max_downtime_ms; /* escalation may raise it to this;
                                         * <= downtime_ms: never raise */
    int ceiling;                        /* highest throttle to use, 1..99 */
    int initial, increment;             /* caller's explicit values, 0 unset */
    unsigned long long deadline_ms;     /* escalate after this; 0 = never */
    int escalation;                     /* CvgConvergenceEscalation */
    /* Post-copy may be started: VIR_MIGRATE_POSTCOPY (so both QEMUs have
     * postcopy-ram), the guest runs, and the client has not asked for the
     * switch itself.  Without it escalation "postcopy" is "none". */
    bool postcopy;
} CvgConvergenceConfig;

/* One query-migrate sample, in plain units. */
typedef struct {
    unsigned long long t_ms;        /* since the migration started */
    unsigned long long remaining;   /* bytes */
    unsigned long long transferred; /* bytes */
    unsigned long long dirty_rate;  /* bytes/s (pages/s x page size) */
    unsigned long long bandwidth;   /* bytes/s measured (mbps) */
    unsigned long long iteration;   /* dirty-sync-count */
    int throttle;                   /* cpu-throttle-percentage */
    bool active;                    /* status active (sending RAM) */
} CvgConvergenceSample;

typedef enum {
    CVG_ACTION_SET_PARAM,    /* migrate-set-parameters {param: value} */
    CVG_ACTION_SET_DOWNTIME, /* downtime-limit, ms (value) */
    CVG_ACTION_PAUSE,        /* stop the guest's vCPUs */
    CVG_ACTION_ABORT,        /* migrate_cancel with reason */
    CVG_ACTION_POSTCOPY,     /* migrate-start-postcopy, as START_POST_COPY */
} CvgConvergenceActionKind;

typedef struct {
    int kind;          /* CvgConvergenceActionKind */
    const char *param; /* QMP parameter name for SET_PARAM */
    long long value;
    char reason[160]; /* why, for logs and the abort error */
} CvgConvergenceAction;

#define CVG_CONVERGENCE_MAX_ACTIONS 8

/* What the policy remembers between calls (zero-initialise it). */
typedef struct {
    int target; /* throttle the policy asked for */
    int set_initial, set_increment, set_max, set_threshold;
    unsigned long long cur_downtime_ms;
    unsigned long long last_sync_iteration;
    unsigned long long last_sync_remaining;
    unsigned long long last_sync_t_ms;
    unsigned long long best_remaining; /* smallest remaining at a sync */
    unsigned int stalled_syncs;        /* syncs without progress */
    unsigned int escalations;
    bool paused, aborted;
    bool postcopy;         /* asked for the switch to post-copy */
    bool betting;          /* the write rate is the first pass's prior */
    bool configured;       /* first-call parameters sent */
    double write_rate_est; /* bytes/s of guest writes at throttle 0 */
    double bandwidth_est;  /* bytes/s */
} CvgConvergenceState;

/* The lever the policy pulls next (convergd.next_lever). */
typedef enum {
    CVG_LEVER_NONE = 0, /* converges as it is, or nothing is left */
    CVG_LEVER_THROTTLE,
    CVG_LEVER_DOWNTIME,
    CVG_LEVER_POSTCOPY, /* next, or switched already */
    CVG_LEVER_PAUSE,
    CVG_LEVER_ABORT,
    CVG_LEVER_LAST
} CvgConvergenceLever;

/* "none", "throttle", "downtime", "postcopy", "pause", "abort" */
const char *cvg_convergence_lever_to_string(int lever);

/* The forecast, shown as convergd.* job statistics. */
typedef struct {
    int next_lever;            /* CvgConvergenceLever */
    int throttle_needed;       /* % to converge, 0..100 (100: never) */
    unsigned long long eta_ms; /* expected time to converge; 0 unknown */
    bool converges_without_escalation;
    bool known; /* enough samples to say anything */
} CvgConvergenceForecast;

/*
 * Decide.  @hist holds the samples so far (oldest first, @n >= 0; the last
 * one is current).  Writes at most CVG_CONVERGENCE_MAX_ACTIONS actions to
 * @out and returns how many; updates @st.  Pure: same inputs, same
 * outputs.
 */
size_t cvg_convergence_decide(const CvgConvergenceConfig *cfg,
                              CvgConvergenceState *st,
                              const CvgConvergenceSample *hist, size_t n,
                              CvgConvergenceAction *out);

/* The forecast for the current history. */
void cvg_convergence_forecast(const CvgConvergenceConfig *cfg,
                              const CvgConvergenceState *st,
                              const CvgConvergenceSample *hist, size_t n,
                              CvgConvergenceForecast *ret);

/* Guest CPU time lost to throttling so far: integral of throttle dt over
 * the samples, in ms (per vCPU). */
unsigned long long cvg_convergence_cpu_lost_ms(const CvgConvergenceSample *hist,
                                               size_t n);
