/*
 * qemu-convergence-sim.c: a simulator of QEMU pre-copy migration
 *
 * A fluid, discrete-time model (10 ms steps) of QEMU's documented
 * behaviour (docs/convergence-sim.rst, "The model"); no QEMU code.  Amounts of
 * memory are byte counts, not bitmaps:
 *
 *  - The migration bitmap holds three kinds of unsent pages: zero pages
 *    (a 9-byte header on the wire), other non-zero pages (sent once, in
 *    the first pass) and pages of the hot set (4 KiB + an 8-byte header).
 *    The sender walks them in address order, so each kind drains in
 *    proportion to what is left.
 *  - The guest rewrites the hot set round-robin at write_rate x (1 - t)
 *    (t the throttle: a CPU-bound writer runs 10 ms, sleeps t/(1-t) x
 *    10 ms), so the distinct pages dirtied since the last sync are
 *    min(hot, bytes written since then).
 *  - A sync ORs them into the bitmap.  Unsent hot pages and dirtied ones
 *    are taken as independent (the guest's pages sit at unrelated
 *    physical addresses), so the union is U + D - U x D / hot and the
 *    pages newly set are D x (1 - U / hot): a page dirtied again before it
 *    was sent counts once.
 *  - QEMU's iteration loop (every iterate_ms) compares the remaining set
 *    with threshold_size = measured bandwidth x downtime-limit; when it is
 *    below, QEMU syncs (the "exact" pending size) and switches over if the
 *    synced set is still below.  That is where passes end: a pass is not
 *    "everything sent" but "less than threshold_size left".
 *  - Only a sync more than 1 s after the previous evaluated one evaluates
 *    the trigger (dirtied > threshold % of transferred in the period) and
 *    the dirty rate; two strikes step the throttle.
 *  - QEMU >= 9.2: with auto-converge on, a timer started with the
 *    migration ticks every 5 s and forces a sync if none happened since
 *    the previous tick (from the end of the first pass on, throttled or
 *    not).
 *  - Stop-and-copy sends the rest at the link's bandwidth (the final copy
 *    ignores max-bandwidth) plus 20 ms for device state and switchover.
 *  - Post-copy: after a final sync the guest stops for the same 20 ms,
 *    then runs on the destination while the rest goes across once at the
 *    link's rate (no page is sent twice; page requests only reorder).
 */
#include "qemu-convergence-sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

#define SIM_DT_MS 10                   /* simulation step */
#define SIM_WINDOW_MS 100              /* QEMU's BUFFER_DELAY: rates update */
#define SIM_SAMPLE_MS 250              /* the job engine's query-migrate poll */
#define SIM_SYNC_TIMER_MS 5000         /* CPU_THROTTLE_DIRTY_SYNC_TIMESLICE */
#define SIM_PERIOD_MIN_MS 1000         /* shorter sync periods: no evaluation */
#define SIM_SWITCHOVER_MS 20.0         /* device state, stop/start */
#define SIM_MAX_DOWNTIME_MS 2000000ULL /* QEMU's downtime-limit range */
#define SIM_PAGE 4096.0
#define SIM_PAGE_HEADER 8.0

typedef struct {
    const CvgSimConfig *cfg;
    unsigned long long t; /* ms */

    /* QEMU's parameters, as changed by migrate-set-parameters */
    int initial, increment, max_throttle, threshold;
    bool tailslow;
    unsigned long long downtime_ms;
    double rate_cap; /* bytes/s: link, or max-bandwidth */

    /* guest */
    double hot; /* hot set, at most RAM */
    bool paused;

    /* throttle */
    int throttle; /* 0: not active */
    int strikes;
    double stall_ms; /* sender waits for a sync (TCG) */

    /* migration bitmap (bytes) */
    double un_zero, un_other, un_hot;
    double written;           /* page writes since the last sync */
    unsigned long long syncs; /* dirty-sync-count */
    unsigned long long prev_tick_syncs;

    /* rates */
    unsigned long long t_period; /* time_last_bitmap_sync */
    double dirty_period;         /* bytes newly dirty in the period */
    double xfer_period_start;    /* transferred at its start */
    double dirty_rate;           /* bytes/s, last evaluated period */
    double transferred;
    double window_start;   /* transferred at the window start */
    double bw_measured;    /* bytes/s over the last window */
    double threshold_size; /* bytes */
} Sim;

void
cvg_sim_config_init(CvgSimConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_bytes = 256ULL << 20;
    cfg->nonzero_bytes = 40ULL << 20;
    cfg->hot_bytes = 32ULL << 20;
    cfg->write_rate = 40 * MiB;
    cfg->bandwidth = 11.9 * MiB;
    cfg->downtime_ms = 500;
    cfg->auto_converge = false;
    cfg->initial = 20;
    cfg->increment = 10;
    cfg->max_throttle = 99;
    cfg->threshold = 50;
    cfg->tailslow = false;
    cfg->periodic_sync = true;
    cfg->tcg_sync_wait = true;
    cfg->max_time_ms = 300000;
    cfg->use_policy = false;
    cfg->iterate_ms = 50;
}

void
cvg_sim_config_set_policy(CvgSimConfig *cfg, int policy)
{
    CvgConvergenceConfig *p = &cfg->policy;

    memset(p, 0, sizeof(*p));
    p->policy = policy;
    p->auto_converge = true;
    p->ram_bytes = cfg->ram_bytes;
    p->bandwidth_limit = 0;
    p->downtime_ms = cfg->downtime_ms;
    p->max_downtime_ms = cfg->downtime_ms;
    p->ceiling = cfg->max_throttle;
    p->initial = 0;
    p->increment = 0;
    p->deadline_ms = 0;
    p->escalation = CVG_ESCALATE_NONE;
    cfg->auto_converge = true;
    cfg->use_policy = true;
}

void
cvg_sim_result_clear(CvgSimResult *r)
{
    if (!r)
        return;
    if (r->trace)
        g_array_unref(r->trace);
    r->trace = NULL;
}

static double
sim_pending(const Sim *s)
{
    return s->un_zero + s->un_other + s->un_hot;
}

/* QEMU's cpu_throttle_set() keeps the value in 1..99. */
static void
sim_throttle_set(Sim *s, int pct)
{
    s->throttle = CLAMP(pct, 1, 99);
}

/* Two strikes: step the throttle (the facts' mig_throttle_guest_down). */
static void
sim_throttle_down(Sim *s, double dirty, double dirty_threshold)
{
    int inc = s->increment;

    if (s->throttle == 0) {
        sim_throttle_set(s, s->initial);
        return;
    }
    if (s->tailslow && dirty > 0) {
        /* the step that would bring dirtying down to the threshold, never
         * more than the increment */
        int cpu_now = 100 - s->throttle;
        int cpu_ideal = (int)(cpu_now * (dirty_threshold / dirty));

        inc = MIN(cpu_now - cpu_ideal, s->increment);
    }
    sim_throttle_set(s, MIN(s->throttle + inc, s->max_throttle));
}

static void
sim_sync(Sim *s)
{
    const double hot = s->hot;
    double dirty = MIN(hot, s->written);
    double fresh = hot > 0 ? dirty * (1.0 - s->un_hot / hot) : 0;
    double xfer;
    double dirty_threshold;

    s->syncs++;
    s->written = 0;
    /* Under TCG every sync waits until the vCPU has run a no-op work
     * item, which it does only once its throttle sleep (t / (1 - t) x
     * 10 ms) is over: on average the sender stands still for the rest of
     * a sleep it lands in, t x sleep / 2. */
    if (s->cfg->tcg_sync_wait && s->throttle > 0 && !s->paused) {
        double t = s->throttle / 100.0;

        s->stall_ms += t * (t / (1.0 - t) * 10.0) / 2.0;
    }
    s->un_hot += fresh;
    s->dirty_period += fresh;
    if (s->t <= s->t_period + SIM_PERIOD_MIN_MS)
        return;

    /* a strike when dirtying outpaced the threshold share of what was
     * sent; a period without one does not reset the count */
    xfer = s->transferred - s->xfer_period_start;
    dirty_threshold = xfer * s->threshold / 100.0;
    if (s->dirty_period > dirty_threshold && ++s->strikes >= 2) {
        s->strikes = 0;
        if (s->cfg->auto_converge)
            sim_throttle_down(s, s->dirty_period, dirty_threshold);
    }
    s->dirty_rate = s->dirty_period * 1000.0 / (double)(s->t - s->t_period);
    s->t_period = s->t;
    s->dirty_period = 0;
    s->xfer_period_start = s->transferred;
}

/* Bytes on the wire to send what is left: a page travels with an 8-byte
 * header; a zero page is a header and one byte. */
static double
sim_wire_cost(const Sim *s)
{
    return (s->un_other + s->un_hot) * (1.0 + SIM_PAGE_HEADER / SIM_PAGE) +
           s->un_zero * (SIM_PAGE_HEADER + 1) / SIM_PAGE;
}

/* One step: the guest writes, the sender sends. */
static void
sim_step(Sim *s, CvgSimResult *r)
{
    const double dt = SIM_DT_MS / 1000.0;
    double cost = sim_wire_cost(s);
    double budget = s->rate_cap * dt;

    if (s->paused) {
        r->cpu_lost_ms += SIM_DT_MS;
    } else {
        s->written += s->cfg->write_rate * (1.0 - s->throttle / 100.0) * dt;
        r->cpu_lost_ms += SIM_DT_MS * s->throttle / 100.0;
    }

    if (s->stall_ms > 0) {
        budget *= MAX(0.0, 1.0 - s->stall_ms / SIM_DT_MS);
        s->stall_ms = MAX(0.0, s->stall_ms - SIM_DT_MS);
    }
    /* The sender walks the bitmap in address order: every kind of page
     * drains in proportion to what is left of it. */
    if (cost <= budget) {
        s->transferred += cost;
        s->un_zero = s->un_other = s->un_hot = 0;
    } else if (budget > 0) {
        double keep = 1.0 - budget / cost;

        s->transferred += budget;
        s->un_zero *= keep;
        s->un_other *= keep;
        s->un_hot *= keep;
    }
}

static void
sim_switchover(Sim *s, CvgSimResult *r)
{
    double rest;
    double bw = s->cfg->bandwidth;

    sim_sync(s); /* the final sync with vCPUs stopped */
    rest = sim_wire_cost(s);
    r->converged = true;
    r->downtime_ms = (unsigned long long)llround(
        (bw > 0 ? rest / bw * 1000.0 : 0) + SIM_SWITCHOVER_MS);
    r->total_ms = s->t + r->downtime_ms;
    s->transferred += rest;
    s->un_zero = s->un_other = s->un_hot = 0;
}

/* migrate-start-postcopy: the switch, then the rest once (see the top). */
static void
sim_postcopy(Sim *s, CvgSimResult *r)
{
    double rest;
    double bw = s->cfg->bandwidth;

    sim_sync(s);
    rest = sim_wire_cost(s);
    r->converged = true;
    r->postcopy = true;
    r->downtime_ms = (unsigned long long)SIM_SWITCHOVER_MS;
    r->postcopy_ms =
        (unsigned long long)llround(bw > 0 ? rest / bw * 1000.0 : 0);
    r->total_ms = s->t + r->downtime_ms + r->postcopy_ms;
    s->transferred += rest;
    s->un_zero = s->un_other = s->un_hot = 0;
}

static void
sim_sample(const Sim *s, CvgConvergenceSample *smp)
{
    memset(smp, 0, sizeof(*smp));
    smp->t_ms = s->t;
    smp->remaining = (unsigned long long)llround(sim_pending(s));
    smp->transferred = (unsigned long long)llround(s->transferred);
    smp->dirty_rate = (unsigned long long)llround(s->dirty_rate);
    smp->bandwidth = (unsigned long long)llround(s->bw_measured);
    smp->iteration = s->syncs;
    smp->throttle = s->throttle;
    smp->active = true;
}

/* migrate-set-parameters {name: value}, refused as QEMU refuses it:
 * returns false for an unknown name or a value out of range. */
static bool
sim_set_param(Sim *s, const char *name, long long v)
{
    if (!name)
        return false;
    if (strcmp(name, "cpu-throttle-initial") == 0) {
        if (v < 1 || v > 99 || v > s->max_throttle)
            return false;
        s->initial = (int)v;
    } else if (strcmp(name, "cpu-throttle-increment") == 0) {
        if (v < 1 || v > 99)
            return false;
        s->increment = (int)v;
    } else if (strcmp(name, "max-cpu-throttle") == 0) {
        if (v < s->initial || v > 99)
            return false;
        s->max_throttle = (int)v;
    } else if (strcmp(name, "throttle-trigger-threshold") == 0) {
        if (v < 1 || v > 100)
            return false;
        s->threshold = (int)v;
    } else if (strcmp(name, "cpu-throttle-tailslow") == 0) {
        if (v != 0 && v != 1)
            return false;
        s->tailslow = v;
    } else if (strcmp(name, "downtime-limit") == 0) {
        if (v < 0 || (unsigned long long)v > SIM_MAX_DOWNTIME_MS)
            return false;
        s->downtime_ms = v;
    } else if (strcmp(name, "max-bandwidth") == 0) {
        /* bytes/s; 0 is no limit */
        if (v < 0)
            return false;
        s->rate_cap = v ? MIN(s->cfg->bandwidth, (double)v) : s->cfg->bandwidth;
    } else {
        return false;
    }
    return true;
}

/* Apply one decision; returns false when the run must end (ABORT). */
static bool
sim_apply(Sim *s, CvgSimResult *r, const CvgConvergenceAction *a)
{
    r->actions++;
    switch (a->kind) {
    case CVG_ACTION_SET_PARAM:
        if (!sim_set_param(s, a->param, a->value))
            r->invalid_actions++;
        break;
    case CVG_ACTION_SET_DOWNTIME:
        if (a->value < 0 || (unsigned long long)a->value > SIM_MAX_DOWNTIME_MS)
            r->invalid_actions++;
        else
            s->downtime_ms = a->value;
        break;
    case CVG_ACTION_PAUSE:
        s->paused = true;
        r->paused = true;
        break;
    case CVG_ACTION_ABORT:
        r->aborted = true;
        g_strlcpy(r->abort_reason, a->reason, sizeof(r->abort_reason));
        return false;
    case CVG_ACTION_POSTCOPY:
        /* QEMU refuses it without the postcopy-ram capability */
        if (!s->cfg->policy.postcopy || s->paused) {
            r->invalid_actions++;
            break;
        }
        sim_postcopy(s, r);
        return false;
    default:
        r->invalid_actions++;
        break;
    }
    return true;
}

/* The state at the setup sync (dirty-sync-count 1): every page dirty. */
static void
sim_init(Sim *s, const CvgSimConfig *cfg)
{
    double ram = (double)cfg->ram_bytes;
    double hot = MIN((double)cfg->hot_bytes, ram);
    double other = MIN((double)cfg->nonzero_bytes, ram - hot);

    s->cfg = cfg;
    s->initial = cfg->initial;
    s->increment = cfg->increment;
    s->max_throttle = cfg->max_throttle;
    s->threshold = cfg->threshold;
    s->tailslow = cfg->tailslow;
    s->downtime_ms = cfg->downtime_ms;
    s->rate_cap = cfg->bandwidth;
    s->hot = hot;
    s->un_hot = hot;
    s->un_other = other;
    s->un_zero = ram - hot - other;
    s->syncs = 1;
    s->prev_tick_syncs = 1;
}

/* Take a sample and, with the policy on, apply its decisions; false when
 * the run must end. */
static bool
sim_policy(Sim *s, CvgSimResult *r, CvgConvergenceState *st)
{
    CvgConvergenceSample smp;
    CvgConvergenceAction act[CVG_CONVERGENCE_MAX_ACTIONS];
    size_t n;

    sim_sample(s, &smp);
    g_array_append_val(r->trace, smp);
    if (!s->cfg->use_policy)
        return true;
    memset(act, 0, sizeof(act));
    n = cvg_convergence_decide(&s->cfg->policy, st,
                               (const CvgConvergenceSample *)r->trace->data,
                               r->trace->len, act);
    for (size_t i = 0; i < n && i < CVG_CONVERGENCE_MAX_ACTIONS; i++) {
        if (!sim_apply(s, r, &act[i]))
            return false;
    }
    return true;
}

/* One SIM_DT_MS step of the migration thread and its timers; false when
 * the run ends (switchover or abort). */
static bool
sim_tick(Sim *s, CvgSimResult *r, CvgConvergenceState *st,
         unsigned long long iterate)
{
    const CvgSimConfig *cfg = s->cfg;

    sim_step(s, r);
    s->t += SIM_DT_MS;
    r->max_throttle = MAX(r->max_throttle, s->throttle);

    if (s->t % SIM_WINDOW_MS == 0) {
        s->bw_measured =
            (s->transferred - s->window_start) * 1000.0 / SIM_WINDOW_MS;
        s->window_start = s->transferred;
        s->threshold_size = s->bw_measured * s->downtime_ms / 1000.0;
    }

    /* the migration thread is blocked while a sync waits */
    if (s->t % iterate == 0 && s->stall_ms <= 0) {
        double pending = sim_pending(s);

        /* below the threshold, the estimate is made exact by a sync;
         * an empty estimate completes even before the first window
         * has measured a bandwidth */
        if (pending < s->threshold_size) {
            sim_sync(s);
            pending = sim_pending(s);
        }
        if (pending == 0 || pending < s->threshold_size) {
            sim_switchover(s, r);
            return false;
        }
    }

    /* QEMU >= 9.2 starts this timer with the migration whenever
     * auto-converge is on; a tick syncs when no sync happened since the
     * tick before, from the end of the first pass on, throttled or
     * not. */
    if (cfg->periodic_sync && cfg->auto_converge &&
        s->t % SIM_SYNC_TIMER_MS == 0) {
        if (s->syncs > 1 && s->syncs == s->prev_tick_syncs)
            sim_sync(s);
        s->prev_tick_syncs = s->syncs;
    }

    if (s->t % SIM_SAMPLE_MS == 0)
        return sim_policy(s, r, st);
    return true;
}

int
cvg_convergence_simulate(const CvgSimConfig *cfg, CvgSimResult *ret)
{
    Sim s = {0};
    CvgConvergenceState st = {0};
    CvgSimResult r = {0};
    unsigned long long iterate = cfg->iterate_ms;

    if (iterate < SIM_DT_MS)
        iterate = SIM_DT_MS;
    iterate -= iterate % SIM_DT_MS;

    sim_init(&s, cfg);
    r.trace = g_array_new(FALSE, TRUE, sizeof(CvgConvergenceSample));

    while (s.t < cfg->max_time_ms) {
        if (!sim_tick(&s, &r, &st, iterate))
            break;
    }

    r.max_throttle = MAX(r.max_throttle, s.throttle);
    r.final_throttle = s.throttle;
    r.passes = (unsigned int)s.syncs;
    r.transferred = (unsigned long long)llround(s.transferred);
    r.final_downtime_limit_ms = s.downtime_ms;
    if (!r.converged)
        r.total_ms = s.t;
    *ret = r;
    return 0;
}
