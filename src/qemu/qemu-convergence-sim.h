/*
 * qemu-convergence-sim.h: a simulator of QEMU pre-copy migration
 *
 * Models what matters for convergence (docs/convergence-sim.rst): RAM sent
 * at a capped bandwidth, one dirty-bitmap sync per pass over RAM (and at
 * most 5 s apart with auto-converge on QEMU >= 9.2), the trigger rule
 * (dirtied > threshold % of transferred in two sync periods, the "two
 * strikes") and QEMU's throttle steps (initial, then
 * +increment, capped by max-cpu-throttle, optional tailslow), the 10 ms
 * timeslice duty cycle of a throttled vCPU, and switchover once the
 * remaining set fits bandwidth x downtime limit.  The guest rewrites a hot
 * set in sequence, CPU-bound, so throttle t scales its write rate by (1-t).
 *
 * Post-copy (the policy's POSTCOPY action, when policy.postcopy allows
 * it): the guest stops for the switchover only, then what is left goes
 * across once at the link's rate while the guest runs on the destination.
 *
 * The convergence policy runs every 250 ms of simulated time on the
 * samples the simulator reports, exactly as the job engine runs it on
 * query-migrate, and its actions change the simulated QEMU's parameters.
 */
#pragma once

#include "qemu-convergence.h"

typedef struct {
    unsigned long long ram_bytes;     /* guest RAM */
    unsigned long long nonzero_bytes; /* non-hot data sent once (kernel...) */
    unsigned long long hot_bytes;     /* working set rewritten by the guest */
    double write_rate;                /* guest page writes, bytes/s, t=0 */
    double bandwidth;                 /* link, bytes/s */
    unsigned long long downtime_ms;   /* downtime limit */
    bool auto_converge;
    int initial, increment, max_throttle, threshold; /* QEMU's values */
    bool tailslow;
    bool periodic_sync;             /* QEMU >= 9.2 behaviour */
    bool tcg_sync_wait;             /* TCG: a sync waits for the vCPU
                                     * to finish its throttle sleep */
    unsigned long long max_time_ms; /* give up after this */
    bool use_policy;                /* run cvg_convergence_decide */
    CvgConvergenceConfig policy;
    unsigned long long iterate_ms; /* period of QEMU's iteration loop:
                                    * how often it compares the
                                    * remaining set with the threshold
                                    * (multiple of 10; 0 = 10) */
} CvgSimConfig;

/* Defaults: QEMU 10 with its default parameters, 500 ms downtime, and the
 * testbed guest (256 MiB, 32 MiB hot set written at 40 MiB/s) on a
 * 100 Mbit link; auto-converge off, as in QEMU. */
void cvg_sim_config_init(CvgSimConfig *cfg);

/* Turn auto-converge on and have @policy (CvgConvergencePolicy) drive it:
 * fills cfg->policy from the simulator's values (RAM, downtime, the
 * caller's initial/increment if set, ceiling = max_throttle, no
 * max-bandwidth, no deadline, no escalation) and sets use_policy. */
void cvg_sim_config_set_policy(CvgSimConfig *cfg, int policy);

typedef struct {
    bool converged;
    bool aborted;
    bool paused;
    bool postcopy;                  /* switched to post-copy */
    unsigned long long postcopy_ms; /* from the switch to the last page:
                                     * the guest runs degraded */
    unsigned long long total_ms;
    unsigned long long downtime_ms;
    int max_throttle;
    int final_throttle;
    unsigned long long transferred; /* bytes */
    unsigned int passes;            /* dirty syncs */
    double cpu_lost_ms;             /* integral of throttle dt; paused
                                     * time counts 100 % */
    GArray *trace;                  /* CvgConvergenceSample every 250 ms */
    unsigned int actions;           /* policy actions applied */
    unsigned int invalid_actions;   /* refused as QEMU would refuse them
                                     * (out of range, max-cpu-throttle
                                     * below cpu-throttle-initial,
                                     * unknown parameter) */
    unsigned long long final_downtime_limit_ms;
    char abort_reason[160]; /* the ABORT action's reason */
} CvgSimResult;

/* Run one migration.  Returns 0; @ret owns its trace (clear it). */
int cvg_convergence_simulate(const CvgSimConfig *cfg, CvgSimResult *ret);
void cvg_sim_result_clear(CvgSimResult *r);
