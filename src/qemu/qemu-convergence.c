/*
 * qemu-convergence.c: the daemon-side convergence policy
 *
 * Pre-copy converges when every pass leaves less to send than the one
 * before: with the guest writing W bytes/s (at throttle 0) over a hot set
 * and the link carrying B bytes/s, a pass of length P leaves about
 * W (1 - t) P dirty bytes, and P itself is (what is left) / B.  So the
 * remaining set shrinks by a factor q = W (1 - t) / B per pass, and the
 * migration finishes once it fits B x downtime.  The adaptive policy picks
 * t so that the next pass leaves what fits (q = fit / remaining, kept
 * between MIN_SHRINK and MAX_SHRINK), and makes QEMU land on that throttle
 * at its next step instead of climbing 20, 30, 40 ... one step per two
 * passes.  A short high throttle costs the guest less CPU than a long low
 * one: the throttle is paid for every second the migration lasts.
 *
 * QEMU reports W only through its dirty-page rate, the number of distinct
 * pages dirtied per sync period: when the guest rewrites its whole hot set
 * within a period that figure saturates and underestimates W.  The policy
 * therefore treats a measurement as a lower bound, and raises its estimate
 * whenever a pass at the target throttle does not shrink the remaining set.
 */
#include "qemu-convergence.h"

#include "cvg-enum.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The per-pass shrink factor the adaptive policy aims for: enough for the
 * next pass to leave what fits the downtime limit, but at least this much
 * (a smaller factor would ask for throttles QEMU cannot tell apart)... */
#define MIN_SHRINK 0.05
/* ...and at most this much, so that a guest far from fitting still gets
 * there in a few passes. */
#define MAX_SHRINK 0.5
/* After the first pass the guest's write rate is unknown (QEMU's figure
 * saturates): assume it dirties what it dirtied in that pass this many
 * times over in the next one, that is, writes this many times faster than
 * the link. */
#define PRIOR_WRITE_FACTOR 3.0
/* QEMU's switchover threshold is the limit; keep a margin below it so the
 * real downtime (which includes device state) stays within the caller's
 * limit.  Measured here: 357-528 ms for a 500 ms limit without margin. */
#define DOWNTIME_MARGIN 0.8
/* A pass that does not shrink the remaining set below this fraction of the
 * previous one counts as no progress. */
#define STALL_FRACTION 0.95
/* A pass that left less than this fraction of the one before means the
 * guest has gone quiet: the throttle may come down. */
#define QUIET_FRACTION 0.25
/* Escalate after this many syncs without progress at the ceiling. */
#define STALL_SYNCS 3
/* Trigger threshold while the policy wants throttling: QEMU steps only
 * after two syncs whose dirtied bytes exceed this share of the bytes sent. */
#define EAGER_THRESHOLD 5
/* ...except in the pass after the first, while the throttle is a bet on an
 * unmeasured guest: QEMU then steps to it only if that pass dirtied more
 * than this share of what it sent.  A guest that writes slower than the
 * link (it dirties W / B of what is sent) goes through unthrottled and is
 * measured; one that does not keep up saturates (about 99 %) and gets the
 * bet at the same sync as with EAGER_THRESHOLD. */
#define BET_THRESHOLD 90
/* The same pass when post-copy is the next lever: no step at all, so the
 * policy decides on a measured pass. */
#define CALM_THRESHOLD 100
/* With post-copy as the lever the bet is a switch, which cannot be taken
 * back: when the hot set goes across in at most this long, the policy
 * measures one pass first (at most this much longer, no CPU lost). */
#define LEARN_PASS_MS 2500.0
/* A guest that writes slower than the link and whose remaining set fits
 * the downtime within this many unthrottled passes is left alone. */
#define SELF_CONVERGE_PASSES 4
/* A remaining set that goes across within this long is a short pass
 * (see keeps_up). */
#define KEEPS_UP_PASS_S 1.5
/* With escalation "postcopy": switch when the guest needs more than this
 * throttle to converge at all (it writes more than twice as fast as the
 * link).  Throttling such a guest costs it at least this share of its CPU
 * for a whole pass over the hot set and sends the hot set twice;
 * post-copy sends it once, with the guest slowed only while it fetches
 * pages it touches.  Below it, pre-copy (safer) is cheap enough. */
#define POSTCOPY_MIN_THROTTLE 50

static const char *const lever_names[] = {"none",     "throttle", "downtime",
                                          "postcopy", "pause",    "abort"};
G_STATIC_ASSERT(G_N_ELEMENTS(lever_names) == CVG_LEVER_LAST);

const char *
cvg_convergence_lever_to_string(int lever)
{
    return cvg_enum_to_string(lever_names, CVG_LEVER_LAST, lever);
}

/* Escalation "postcopy" can be carried out now. */
static bool
postcopy_usable(const CvgConvergenceConfig *cfg, const CvgConvergenceState *st)
{
    return cfg->escalation == CVG_ESCALATE_POSTCOPY && cfg->postcopy &&
           !st->postcopy && !st->paused && !st->aborted;
}

static CvgConvergenceAction *
push(CvgConvergenceAction *out, size_t *n, int kind, const char *param,
     long long value)
{
    CvgConvergenceAction *a;

    if (*n >= CVG_CONVERGENCE_MAX_ACTIONS)
        return NULL;
    a = &out[(*n)++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->param = param;
    a->value = value;
    return a;
}

static void
set_param(CvgConvergenceAction *out, size_t *n, const char *param,
          long long value, const char *why)
{
    CvgConvergenceAction *a = push(out, n, CVG_ACTION_SET_PARAM, param, value);

    if (a)
        g_strlcpy(a->reason, why, sizeof(a->reason));
}

/* Switch to post-copy; @fmt says why. */
static void G_GNUC_PRINTF(4, 5)
    switch_to_postcopy(CvgConvergenceState *st, CvgConvergenceAction *out,
                       size_t *n, const char *fmt, ...)
{
    CvgConvergenceAction *a = push(out, n, CVG_ACTION_POSTCOPY, NULL, 0);
    va_list ap;

    if (a) {
        va_start(ap, fmt);
        g_vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
        va_end(ap);
    }
    st->postcopy = true;
    st->escalations++;
}

/* The bandwidth to plan with, bytes/s: the measured one, smoothed, or the
 * configured cap until there is a measurement.  0 when neither is known. */
static double
bandwidth_of(const CvgConvergenceConfig *cfg, const CvgConvergenceSample *s,
             CvgConvergenceState *st)
{
    if (s->bandwidth > 0) {
        /* Smooth: QEMU's mbps jumps around between 100 ms windows. */
        st->bandwidth_est = st->bandwidth_est > 0
                                ? 0.7 * st->bandwidth_est + 0.3 * s->bandwidth
                                : s->bandwidth;
    }
    if (st->bandwidth_est > 0)
        return st->bandwidth_est;
    /* libvirt's "unlimited" (8 EiB/s) is no information at all. */
    if (cfg->bandwidth_limit > 0 && cfg->bandwidth_limit < (1ULL << 40))
        return (double)cfg->bandwidth_limit;
    return 0;
}

/* Throttle (percent) at which the next pass leaves what fits the downtime
 * limit: a pass of length R / B at throttle t leaves W (1 - t) R / B, so
 * t = 1 - q B / W with q = fit / R, kept within [MIN_SHRINK, MAX_SHRINK].
 *
 * Aiming for one pass rather than a gentle factor costs the guest less,
 * not more: the throttle is paid per second of migration, and a guest that
 * needs throttling at all spends (1 - q B / W) / (1 - q) of a pass's time
 * throttled, which grows with q. */
static int
throttle_for(double write_rate, double bandwidth, double remaining, double fit)
{
    double q = remaining > 0 ? fit / remaining : MAX_SHRINK;
    double t;

    if (write_rate <= 0 || bandwidth <= 0)
        return 0;
    q = CLAMP(q, MIN_SHRINK, MAX_SHRINK);
    t = 1.0 - q * bandwidth / write_rate;
    if (t <= 0)
        return 0;
    return (int)ceil(t * 100.0);
}

static int
clamp_throttle(const CvgConvergenceConfig *cfg, int t)
{
    int ceiling = cfg->ceiling > 0 && cfg->ceiling <= 99 ? cfg->ceiling : 99;

    if (t < 0)
        return 0;
    return MIN(t, ceiling);
}

static void
set_threshold(CvgConvergenceState *st, int threshold, CvgConvergenceAction *out,
              size_t *n)
{
    if (st->set_threshold == threshold)
        return;
    set_param(out, n, "throttle-trigger-threshold", threshold,
              threshold == EAGER_THRESHOLD ? "step at the next two syncs"
              : threshold == BET_THRESHOLD
                  ? "step only if the next pass does not shrink by 10%"
                  : "measure one unthrottled pass");
    st->set_threshold = threshold;
}

/* Move QEMU's throttle parameters so that its next step lands on @target
 * and goes no further (QEMU refuses max-cpu-throttle below
 * cpu-throttle-initial, so the order of the two matters). */
static void
steer(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
      const CvgConvergenceSample *cur, int target, CvgConvergenceAction *out,
      size_t *n)
{
    bool explicit_ramp = cfg->initial > 0 || cfg->increment > 0;
    char why[96];

    snprintf(why, sizeof(why), "throttle target %d%%", target);
    if (explicit_ramp) {
        /* The caller chose the ramp: keep it, only cap it. */
        if (st->set_max != target) {
            set_param(out, n, "max-cpu-throttle",
                      MAX(target, cfg->initial > 0 ? cfg->initial : 1), why);
            st->set_max = MAX(target, cfg->initial > 0 ? cfg->initial : 1);
        }
        return;
    }
    if (target <= 0)
        return;
    if (cur->throttle == 0) {
        /* Not throttling yet: the first step goes straight to the target. */
        if (st->set_initial != target) {
            if (target > st->set_max) {
                set_param(out, n, "max-cpu-throttle", target, why);
                set_param(out, n, "cpu-throttle-initial", target, why);
            } else {
                set_param(out, n, "cpu-throttle-initial", target, why);
                set_param(out, n, "max-cpu-throttle", target, why);
            }
            st->set_initial = target;
            st->set_max = target;
        }
    } else if (cur->throttle < target) {
        int inc = target - cur->throttle;

        if (st->set_max < target) {
            set_param(out, n, "max-cpu-throttle", target, why);
            st->set_max = target;
        }
        if (st->set_increment != inc) {
            set_param(out, n, "cpu-throttle-increment", inc, why);
            st->set_increment = inc;
        }
    } else if (cur->throttle > target) {
        /* The guest got quieter: the next step comes down to the target
         * (QEMU steps to MIN(current + increment, max)). */
        int initial =
            MIN(st->set_initial > 0 ? st->set_initial : target, target);

        snprintf(why, sizeof(why), "release throttle to %d%%", target);
        if (st->set_initial != initial) {
            set_param(out, n, "cpu-throttle-initial", MAX(initial, 1), why);
            st->set_initial = MAX(initial, 1);
        }
        if (st->set_max != target) {
            set_param(out, n, "max-cpu-throttle", MAX(target, 1), why);
            st->set_max = MAX(target, 1);
        }
    }
    set_threshold(st, st->betting ? BET_THRESHOLD : EAGER_THRESHOLD, out, n);
}

static void
escalate(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
         const char *cause, CvgConvergenceAction *out, size_t *n)
{
    CvgConvergenceAction *a;

    /* Post-copy finishes any migration: no downtime steps before it. */
    if (postcopy_usable(cfg, st)) {
        switch_to_postcopy(st, out, n, "%s: switching to post-copy", cause);
        return;
    }
    if (cfg->max_downtime_ms > st->cur_downtime_ms &&
        cfg->max_downtime_ms > cfg->downtime_ms) {
        unsigned long long next =
            MIN(cfg->max_downtime_ms,
                MAX(st->cur_downtime_ms * 2, st->cur_downtime_ms + 100));

        if ((a = push(out, n, CVG_ACTION_SET_DOWNTIME, "downtime-limit",
                      (long long)next)))
            snprintf(a->reason, sizeof(a->reason),
                     "%s: downtime limit %llu -> %llu ms", cause,
                     st->cur_downtime_ms, next);
        st->cur_downtime_ms = next;
        st->escalations++;
        st->stalled_syncs = 0;
        return;
    }
    if (cfg->escalation == CVG_ESCALATE_PAUSE && !st->paused) {
        if ((a = push(out, n, CVG_ACTION_PAUSE, NULL, 0)))
            snprintf(a->reason, sizeof(a->reason),
                     "%s: pausing the guest to finish", cause);
        st->paused = true;
        st->escalations++;
    } else if (cfg->escalation == CVG_ESCALATE_ABORT && !st->aborted) {
        if ((a = push(out, n, CVG_ACTION_ABORT, NULL, 0)))
            snprintf(a->reason, sizeof(a->reason),
                     "%s at %d%% throttle (ceiling %d%%)", cause, st->target,
                     cfg->ceiling);
        st->aborted = true;
        st->escalations++;
    }
}

/* The first call: the downtime limit with its margin and, with
 * auto-converge, the ceiling and an eager trigger threshold. */
static void
configure(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
          CvgConvergenceAction *out, size_t *n)
{
    st->configured = true;
    st->cur_downtime_ms = cfg->downtime_ms;
    st->set_initial = cfg->initial > 0 ? cfg->initial : 20;
    st->set_increment = cfg->increment > 0 ? cfg->increment : 10;
    st->set_max = 99;
    st->set_threshold = 50;
    if (cfg->downtime_ms > 0) {
        unsigned long long dt =
            MAX(1, (unsigned long long)(cfg->downtime_ms * DOWNTIME_MARGIN));
        CvgConvergenceAction *a = push(out, n, CVG_ACTION_SET_DOWNTIME,
                                       "downtime-limit", (long long)dt);

        if (a)
            snprintf(a->reason, sizeof(a->reason),
                     "aim below the %llu ms limit", cfg->downtime_ms);
        st->cur_downtime_ms = dt;
    }
    if (cfg->auto_converge) {
        int ceiling = clamp_throttle(cfg, 99);

        if (ceiling < st->set_initial) {
            /* Below QEMU's initial step (20 unless given): lower that
             * first, or QEMU refuses the ceiling. */
            set_param(out, n, "cpu-throttle-initial", ceiling,
                      "not above the ceiling");
            st->set_initial = ceiling;
        }
        set_param(out, n, "max-cpu-throttle", ceiling, "ceiling");
        st->set_max = ceiling;
        if (cfg->initial <= 0 && cfg->increment <= 0) {
            /* The first pass counts as a strike even when the guest
             * dirtied less than half of what was sent, so the first
             * step comes at the sync after it. */
            set_param(out, n, "throttle-trigger-threshold", EAGER_THRESHOLD,
                      "step at the next two syncs");
            st->set_threshold = EAGER_THRESHOLD;
        }
    }
}

/*
 * At a sync after the first pass: count stalls and update the estimate of
 * the guest's write rate from what the pass that ended (at
 * @pass_throttle) left.  True when the guest has gone quiet.
 */
static bool
measure_pass(CvgConvergenceState *st, const CvgConvergenceSample *cur,
             int pass_throttle, double bw, double fit)
{
    bool quiet = false;

    /* What this pass left, against the one before. */
    if (st->last_sync_iteration >= 2 &&
        cur->remaining > st->last_sync_remaining * STALL_FRACTION)
        st->stalled_syncs++;
    else
        st->stalled_syncs = 0;
    if (!st->best_remaining || cur->remaining < st->best_remaining)
        st->best_remaining = cur->remaining;
    st->betting = false;
    /* Sync 1 happens as the migration starts (all of RAM is dirty
     * then): the first measurement is the end of the first pass. */
    if (st->last_sync_iteration < 2) {
        /* After the first pass we know only that the guest dirtied
         * this much while all of RAM went across, and that figure is
         * usually saturated.  If it will not fit the downtime soon,
         * bet that the guest writes PRIOR_WRITE_FACTOR times faster
         * than the link: a throttle that is too high for one short
         * pass costs the guest less than more passes at one too low
         * (the next step only comes two syncs later), and it is
         * released as soon as a pass shows the guest keeps up. */
        if (cur->remaining > 2 * fit && bw > 0) {
            st->write_rate_est =
                MAX(st->write_rate_est, PRIOR_WRITE_FACTOR * bw);
            st->betting = true;
        }
    } else if (pass_throttle < 100 && bw > 0) {
        double q = (double)cur->remaining / st->last_sync_remaining;
        double keep = 1.0 - pass_throttle / 100.0;

        if (q < STALL_FRACTION) {
            /* Unsaturated: the shrink factor is W (1 - t) / B. */
            st->write_rate_est = q * bw / keep;
            quiet = q < QUIET_FRACTION;
        } else {
            /* Saturated: W (1 - t) >= B, and possibly much more. */
            st->write_rate_est =
                MAX(st->write_rate_est * 1.25, 1.3 * bw / keep);
        }
    }
    /* QEMU's own rate is a lower bound too. */
    if (cur->dirty_rate > 0 && pass_throttle < 100)
        st->write_rate_est =
            MAX(st->write_rate_est,
                cur->dirty_rate / (1.0 - pass_throttle / 100.0));
    return quiet;
}

/* Escalation: the ceiling is not enough, or time is up. */
static void
maybe_escalate(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
               const CvgConvergenceSample *cur, bool synced,
               CvgConvergenceAction *out, size_t *n)
{
    if (cfg->deadline_ms > 0 && cur->t_ms >= cfg->deadline_ms &&
        ((synced && st->stalled_syncs > 0) || postcopy_usable(cfg, st)))
        escalate(cfg, st, "deadline reached", out, n);
    else if (synced && st->stalled_syncs >= STALL_SYNCS &&
             (!cfg->auto_converge || cur->throttle >= clamp_throttle(cfg, 99) ||
              st->target >= clamp_throttle(cfg, 99)))
        escalate(cfg, st, "migration does not converge", out, n);
}

/* Post-copy beats throttling a guest that needs @need % to converge at
 * all: above POSTCOPY_MIN_THROTTLE, or above the ceiling. */
static bool
postcopy_wanted(const CvgConvergenceConfig *cfg, int need)
{
    return need > MIN(POSTCOPY_MIN_THROTTLE, clamp_throttle(cfg, 99));
}

/* The guest writes slower than the link and, unthrottled, its remaining
 * set fits the downtime within SELF_CONVERGE_PASSES passes. */
static bool
converges_alone(double write_rate, double bw, double remaining, double fit)
{
    double q = bw > 0 ? write_rate / bw : 1.0;

    if (q >= 1.0)
        return false;
    for (int i = 0; i < SELF_CONVERGE_PASSES && remaining > fit; i++)
        remaining *= q;
    return remaining <= fit;
}

/* QEMU itself measures the unthrottled guest dirtying slower than the
 * link, and the set left is the size of a short pass: a pass that did not
 * shrink is the noise of a guest close to its switchover (seen on the
 * testbed: 16 MiB written at 8 MiB/s over 11.5 MiB/s left 9.3, 9.0, 7.1,
 * 5.5 MB), not a need.  Give it STALL_SYNCS syncs before the first
 * throttle. */
static bool
keeps_up(const CvgConvergenceState *st, const CvgConvergenceSample *cur,
         double bw)
{
    return cur->dirty_rate > 0 && (double)cur->dirty_rate < bw &&
           (double)cur->remaining <= bw * KEEPS_UP_PASS_S &&
           st->stalled_syncs < STALL_SYNCS;
}

/* With post-copy as the lever: a measured pass (not the first) left more
 * than fits the switchover but no more than goes across in a short pass.
 * Post-copy sends it once, in at most KEEPS_UP_PASS_S, with a downtime of
 * the switch alone; more pre-copy passes on a guest this close to its
 * switchover wander around it (see keeps_up: 9.3, 9.0, 7.1, 5.5 MB for a
 * 4.6 MB fit) and each ends in a downtime near the limit. */
static bool
postcopy_tail(const CvgConvergenceConfig *cfg, const CvgConvergenceState *st,
              const CvgConvergenceSample *cur, double bw, double fit)
{
    return postcopy_usable(cfg, st) && !st->betting && cur->iteration >= 3 &&
           (double)cur->remaining > fit &&
           (double)cur->remaining <= bw * KEEPS_UP_PASS_S;
}

/* At a sync with an estimate: learn, leave alone, switch to post-copy or
 * throttle. */
static void
plan(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
     const CvgConvergenceSample *cur, bool quiet, double bw, double fit,
     CvgConvergenceAction *out, size_t *n)
{
    double w = st->write_rate_est;
    int need = w > bw ? (int)ceil((1.0 - bw / w) * 100.0) : 0;
    int want =
        clamp_throttle(cfg, throttle_for(w, bw, (double)cur->remaining, fit));

    if (postcopy_tail(cfg, st, cur, bw, fit)) {
        switch_to_postcopy(st, out, n,
                           "%.1f MiB left go across in %.1f s but not in the "
                           "%llu ms downtime: switching to post-copy",
                           cur->remaining / 1048576.0, cur->remaining / bw,
                           st->cur_downtime_ms);
        return;
    }
    /* Not throttled yet and no need: keep the bet threshold, so that QEMU
     * steps only if a pass stops shrinking. */
    if (!st->betting && cur->throttle == 0 &&
        (converges_alone(w, bw, (double)cur->remaining, fit) ||
         keeps_up(st, cur, bw))) {
        st->target = 0;
        set_threshold(st, BET_THRESHOLD, out, n);
        return;
    }
    if (postcopy_usable(cfg, st) && postcopy_wanted(cfg, need)) {
        if (st->betting && cur->remaining / bw * 1000.0 <= LEARN_PASS_MS) {
            /* a caller's explicit ramp keeps its threshold */
            if (cfg->initial <= 0 && cfg->increment <= 0)
                set_threshold(st, CALM_THRESHOLD, out, n);
            return;
        }
        switch_to_postcopy(st, out, n,
                           "the guest needs %d%% throttle to converge "
                           "(post-copy above %d%%, ceiling %d%%): switching "
                           "to post-copy",
                           need, POSTCOPY_MIN_THROTTLE,
                           clamp_throttle(cfg, 99));
        return;
    }
    /* Come down only when the guest has clearly gone quiet: a small
     * overshoot costs less than another slow pass. */
    if (want < st->target && !quiet)
        want = st->target;
    st->target = want;
    steer(cfg, st, cur, want, out, n);
}

size_t
cvg_convergence_decide(const CvgConvergenceConfig *cfg, CvgConvergenceState *st,
                       const CvgConvergenceSample *hist, size_t nhist,
                       CvgConvergenceAction *out)
{
    const CvgConvergenceSample *cur;
    size_t n = 0;
    bool synced;
    bool quiet = false;
    int pass_throttle;
    double bw;
    double fit;

    /* The qemu policy is libvirt's behaviour: QEMU alone decides. */
    if (cfg->policy != CVG_POLICY_ADAPTIVE || nhist == 0 || st->aborted)
        return 0;
    cur = &hist[nhist - 1];
    if (!st->configured)
        configure(cfg, st, out, &n);
    if (!cur->active)
        return n;

    bw = bandwidth_of(cfg, cur, st);
    /* what QEMU's switchover fits, bytes */
    fit = bw * (double)st->cur_downtime_ms / 1000.0;
    synced = cur->iteration != st->last_sync_iteration;
    /* QEMU steps the throttle at the sync itself: the pass that just ended
     * ran at the throttle of the sample before this one. */
    pass_throttle = nhist >= 2 ? hist[nhist - 2].throttle : cur->throttle;
    if (synced && cur->iteration >= 2)
        quiet = measure_pass(st, cur, pass_throttle, bw, fit);
    if (synced) {
        st->last_sync_iteration = cur->iteration;
        st->last_sync_remaining = cur->remaining;
        st->last_sync_t_ms = cur->t_ms;
    }

    /* After a switch there is nothing left to plan: QEMU sends the rest. */
    if (cfg->auto_converge && synced && cur->iteration >= 2 && bw > 0 &&
        !st->postcopy)
        plan(cfg, st, cur, quiet, bw, fit, out, &n);
    if (!st->postcopy)
        maybe_escalate(cfg, st, cur, synced, out, &n);
    return n;
}

/* The lever after the throttle: what escalate() does next. */
static int
escalation_lever(const CvgConvergenceConfig *cfg, const CvgConvergenceState *st)
{
    if (postcopy_usable(cfg, st))
        return CVG_LEVER_POSTCOPY;
    if (cfg->max_downtime_ms > st->cur_downtime_ms &&
        cfg->max_downtime_ms > cfg->downtime_ms)
        return CVG_LEVER_DOWNTIME;
    if (cfg->escalation == CVG_ESCALATE_PAUSE && !st->paused)
        return CVG_LEVER_PAUSE;
    if (cfg->escalation == CVG_ESCALATE_ABORT && !st->aborted)
        return CVG_LEVER_ABORT;
    return CVG_LEVER_NONE;
}

/* convergd.next_lever for a known forecast. */
static int
next_lever(const CvgConvergenceConfig *cfg, const CvgConvergenceState *st,
           const CvgConvergenceSample *cur, const CvgConvergenceForecast *fc)
{
    int ceiling = clamp_throttle(cfg, 99);
    int now = MAX(cur->throttle, st->target);

    if (st->postcopy)
        return CVG_LEVER_POSTCOPY;
    if (cfg->policy != CVG_POLICY_ADAPTIVE)
        return fc->throttle_needed > now && cfg->auto_converge
                   ? CVG_LEVER_THROTTLE
                   : CVG_LEVER_NONE;
    if (fc->throttle_needed <= now && fc->throttle_needed < 100)
        return CVG_LEVER_NONE;
    if (postcopy_usable(cfg, st) && postcopy_wanted(cfg, fc->throttle_needed))
        return CVG_LEVER_POSTCOPY;
    if (cfg->auto_converge && fc->throttle_needed < ceiling)
        return CVG_LEVER_THROTTLE;
    return escalation_lever(cfg, st);
}

void
cvg_convergence_forecast(const CvgConvergenceConfig *cfg,
                         const CvgConvergenceState *st,
                         const CvgConvergenceSample *hist, size_t n,
                         CvgConvergenceForecast *ret)
{
    const CvgConvergenceSample *cur;
    double bw;
    double q;
    double w;
    int ceiling = clamp_throttle(cfg, 99);

    memset(ret, 0, sizeof(*ret));
    if (n == 0)
        return;
    cur = &hist[n - 1];
    bw = st->bandwidth_est > 0                 ? st->bandwidth_est
         : cur->bandwidth > 0                  ? (double)cur->bandwidth
         : cfg->bandwidth_limit < (1ULL << 40) ? (double)cfg->bandwidth_limit
                                               : 0;
    w = st->write_rate_est > 0 ? st->write_rate_est
        : cur->throttle < 100  ? cur->dirty_rate / (1.0 - cur->throttle / 100.0)
                               : 0;
    if (bw <= 0 || cur->iteration < 2)
        return;
    ret->known = true;
    if (w <= 0) {
        ret->throttle_needed = 0;
        ret->converges_without_escalation = true;
        ret->eta_ms = (unsigned long long)(cur->remaining / bw * 1000.0);
        ret->next_lever = st->postcopy ? CVG_LEVER_POSTCOPY : CVG_LEVER_NONE;
        return;
    }
    /* Converging at all needs W (1 - t) < B. */
    ret->throttle_needed = (int)ceil(MAX(0.0, 1.0 - bw / w) * 100.0);
    if (ret->throttle_needed > 100)
        ret->throttle_needed = 100;
    ret->converges_without_escalation = cfg->auto_converge
                                            ? ret->throttle_needed < ceiling
                                            : ret->throttle_needed == 0;
    q = w * (1.0 - (double)MAX(cur->throttle, st->target) / 100.0) / bw;
    if (q < 1.0) {
        double fit =
            bw *
            (st->cur_downtime_ms ? st->cur_downtime_ms : cfg->downtime_ms) /
            1000.0;
        double rem = cur->remaining;
        double t = 0;

        /* Passes shrink geometrically; each takes (what is left) / B. */
        for (int i = 0; i < 100 && rem > fit; i++) {
            t += rem / bw;
            rem *= MAX(q, 0.01);
        }
        ret->eta_ms = (unsigned long long)(t * 1000.0);
    }
    ret->next_lever = next_lever(cfg, st, cur, ret);
}

unsigned long long
cvg_convergence_cpu_lost_ms(const CvgConvergenceSample *hist, size_t n)
{
    double lost = 0;

    for (size_t i = 1; i < n; i++) {
        double dt = (double)(hist[i].t_ms - hist[i - 1].t_ms);

        lost += dt * hist[i - 1].throttle / 100.0;
    }
    return (unsigned long long)lost;
}
