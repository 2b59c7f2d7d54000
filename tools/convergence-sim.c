/*
 * convergence-sim.c: run one simulated pre-copy migration from the shell
 *
 *   convergence-sim --ram MiB --hot MiB --rate MiB/s --bandwidth MiB/s
 *                   --downtime ms [--policy qemu|adaptive|off]
 *                   [--initial N --increment N] [--max-time s] [--trace]
 *
 * Prints the outcome; with --trace, a CSV of the samples the policy saw
 * (t_ms,remaining,throttle,dirty_rate,bandwidth,iteration; bytes and
 * bytes/s) on stdout and the outcome on stderr; with --samples, the
 * samples as a tests/qemuconvergencedata table.  Exit status: 0 if the
 * migration converged, 1 if not, 2 on a usage error.  See
 * docs/convergence-sim.rst.
 */
#include "qemu-convergence-sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

static void
print_trace(const CvgSimResult *r)
{
    printf("t_ms,remaining,throttle,dirty_rate,bandwidth,iteration\n");
    for (guint i = 0; i < r->trace->len; i++) {
        const CvgConvergenceSample *s =
            &g_array_index(r->trace, CvgConvergenceSample, i);

        printf("%llu,%llu,%d,%llu,%llu,%llu\n", s->t_ms, s->remaining,
               s->throttle, s->dirty_rate, s->bandwidth, s->iteration);
    }
}

static void
print_samples(const CvgSimConfig *cfg, const CvgSimResult *r)
{
    const CvgConvergenceConfig *p = &cfg->policy;

    printf("# convergence-sim: %.0f MiB RAM, %.0f MiB hot at %.1f MiB/s, "
           "%.1f MiB/s link\n",
           cfg->ram_bytes / MiB, cfg->hot_bytes / MiB, cfg->write_rate / MiB,
           cfg->bandwidth / MiB);
    printf("policy %s\n", cvg_convergence_policy_to_string(p->policy));
    printf("escalation %s\n",
           cvg_convergence_escalation_to_string(p->escalation));
    printf("auto_converge %d\nram %llu\nbandwidth_limit %llu\n"
           "downtime_ms %llu\nmax_downtime_ms %llu\nceiling %d\n"
           "initial %d\nincrement %d\ndeadline_ms %llu\npostcopy %d\n",
           p->auto_converge, p->ram_bytes, p->bandwidth_limit, p->downtime_ms,
           p->max_downtime_ms, p->ceiling, p->initial, p->increment,
           p->deadline_ms, p->postcopy);
    printf("# t_ms remaining transferred dirty_rate bandwidth iteration "
           "throttle active\n");
    for (guint i = 0; i < r->trace->len; i++) {
        const CvgConvergenceSample *s =
            &g_array_index(r->trace, CvgConvergenceSample, i);

        printf("%llu %llu %llu %llu %llu %llu %d %d\n", s->t_ms, s->remaining,
               s->transferred, s->dirty_rate, s->bandwidth, s->iteration,
               s->throttle, s->active);
    }
}

static void
print_result(FILE *f, const CvgSimResult *r)
{
    fprintf(f, "converged: %s\n", r->converged ? "yes" : "no");
    if (r->aborted)
        fprintf(f, "aborted: %s\n", r->abort_reason);
    if (r->paused)
        fprintf(f, "paused: yes\n");
    if (r->postcopy)
        fprintf(f, "post-copy: %.1f s (guest running on the destination)\n",
                r->postcopy_ms / 1000.0);
    fprintf(f, "total: %.1f s\n", r->total_ms / 1000.0);
    if (r->converged)
        fprintf(f, "downtime: %llu ms\n", r->downtime_ms);
    fprintf(f, "throttle: max %d %%, final %d %%\n", r->max_throttle,
            r->final_throttle);
    fprintf(f, "passes: %u\n", r->passes);
    fprintf(f, "transferred: %.1f MiB\n", r->transferred / MiB);
    fprintf(f, "cpu lost: %.1f s\n", r->cpu_lost_ms / 1000.0);
    if (r->actions)
        fprintf(f, "policy actions: %u (%u refused by QEMU)\n", r->actions,
                r->invalid_actions);
}

int
main(int argc, char **argv)
{
    double ram = 256, nonzero = 40, hot = 32, rate = 40, bandwidth = 11.9;
    double max_time = 300, deadline = 0;
    gint64 downtime = 500, max_downtime = 0, iterate = 50;
    int initial = 0, increment = 0, max_throttle = 99, threshold = 50;
    int ceiling = 0;
    gboolean tailslow = FALSE, qemu72 = FALSE, trace = FALSE, kvm = FALSE;
    gboolean samples = FALSE, postcopy = FALSE;
    g_autofree char *policy = NULL;
    g_autofree char *escalate = NULL;
    GOptionEntry entries[] = {
        {"ram", 0, 0, G_OPTION_ARG_DOUBLE, &ram, "guest RAM (256)", "MiB"},
        {"nonzero", 0, 0, G_OPTION_ARG_DOUBLE, &nonzero,
         "data besides the hot set, sent once (40)", "MiB"},
        {"hot", 0, 0, G_OPTION_ARG_DOUBLE, &hot,
         "hot set the guest rewrites (32)", "MiB"},
        {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
         "guest page writes at throttle 0 (40)", "MiB/s"},
        {"bandwidth", 0, 0, G_OPTION_ARG_DOUBLE, &bandwidth, "link (11.9)",
         "MiB/s"},
        {"downtime", 0, 0, G_OPTION_ARG_INT64, &downtime,
         "downtime limit (500)", "ms"},
        {"policy", 0, 0, G_OPTION_ARG_STRING, &policy,
         "qemu (default), adaptive, or off (no auto-converge)", "P"},
        {"initial", 0, 0, G_OPTION_ARG_INT, &initial,
         "cpu-throttle-initial given by the caller (20)", "N"},
        {"increment", 0, 0, G_OPTION_ARG_INT, &increment,
         "cpu-throttle-increment given by the caller (10)", "N"},
        {"max-throttle", 0, 0, G_OPTION_ARG_INT, &max_throttle,
         "max-cpu-throttle (99)", "N"},
        {"threshold", 0, 0, G_OPTION_ARG_INT, &threshold,
         "throttle-trigger-threshold (50)", "N"},
        {"tailslow", 0, 0, G_OPTION_ARG_NONE, &tailslow,
         "cpu-throttle-tailslow", NULL},
        {"qemu72", 0, 0, G_OPTION_ARG_NONE, &qemu72,
         "QEMU < 9.2: no 5 s sync timer", NULL},
        {"kvm", 0, 0, G_OPTION_ARG_NONE, &kvm,
         "KVM: syncs do not wait for the vCPU's throttle sleep (TCG's do)",
         NULL},
        {"iterate", 0, 0, G_OPTION_ARG_INT64, &iterate,
         "period of QEMU's iteration loop (50; 100 when max-bandwidth "
         "limits)",
         "ms"},
        {"ceiling", 0, 0, G_OPTION_ARG_INT, &ceiling,
         "adaptive: highest throttle (max-throttle)", "N"},
        {"max-downtime", 0, 0, G_OPTION_ARG_INT64, &max_downtime,
         "adaptive: escalation may raise the downtime to this", "ms"},
        {"deadline", 0, 0, G_OPTION_ARG_DOUBLE, &deadline,
         "adaptive: escalate after this", "s"},
        {"escalate", 0, 0, G_OPTION_ARG_STRING, &escalate,
         "adaptive: none (default), pause, abort or postcopy", "E"},
        {"postcopy", 0, 0, G_OPTION_ARG_NONE, &postcopy,
         "VIR_MIGRATE_POSTCOPY: the policy may switch to post-copy", NULL},
        {"max-time", 0, 0, G_OPTION_ARG_DOUBLE, &max_time,
         "give up after this (300)", "s"},
        {"trace", 0, 0, G_OPTION_ARG_NONE, &trace,
         "CSV of the samples on stdout, the outcome on stderr", NULL},
        {"samples", 0, 0, G_OPTION_ARG_NONE, &samples,
         "the samples as a qemuconvergencedata table", NULL},
        {NULL}};
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- simulate a pre-copy migration");
    g_autoptr(GError) err = NULL;
    CvgSimConfig cfg;
    CvgSimResult r;
    int pol = CVG_POLICY_QEMU;
    int esc = CVG_ESCALATE_NONE;
    bool off = false;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "convergence-sim: %s\n", err->message);
        return 2;
    }
    if (argc > 1) {
        fprintf(stderr, "convergence-sim: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    if (policy && strcmp(policy, "off") == 0) {
        off = true;
    } else if (policy &&
               (pol = cvg_convergence_policy_from_string(policy)) < 0) {
        fprintf(stderr,
                "convergence-sim: unknown policy '%s' "
                "(qemu, adaptive or off)\n",
                policy);
        return 2;
    }
    if (escalate &&
        (esc = cvg_convergence_escalation_from_string(escalate)) < 0) {
        fprintf(stderr,
                "convergence-sim: unknown escalation '%s' "
                "(none, pause, abort or postcopy)\n",
                escalate);
        return 2;
    }
    if (ram <= 0 || nonzero < 0 || hot < 0 || rate < 0 || bandwidth < 0 ||
        downtime < 0 || max_time <= 0 || iterate < 0 || deadline < 0 ||
        initial < 0 || initial > 99 || increment < 0 || increment > 99 ||
        max_throttle < 1 || max_throttle > 99 || threshold < 1 ||
        threshold > 100 || ceiling < 0 || ceiling > 99) {
        fprintf(stderr, "convergence-sim: a value is out of range "
                        "(see --help)\n");
        return 2;
    }

    cvg_sim_config_init(&cfg);
    cfg.ram_bytes = (unsigned long long)(ram * MiB);
    cfg.nonzero_bytes = (unsigned long long)(nonzero * MiB);
    cfg.hot_bytes = (unsigned long long)(hot * MiB);
    cfg.write_rate = rate * MiB;
    cfg.bandwidth = bandwidth * MiB;
    cfg.downtime_ms = downtime;
    cfg.max_throttle = max_throttle;
    cfg.threshold = threshold;
    cfg.tailslow = tailslow;
    cfg.periodic_sync = !qemu72;
    cfg.tcg_sync_wait = !kvm;
    cfg.iterate_ms = iterate;
    cfg.max_time_ms = (unsigned long long)(max_time * 1000);
    if (initial)
        cfg.initial = initial;
    if (increment)
        cfg.increment = increment;
    if (cfg.max_throttle < cfg.initial) {
        fprintf(stderr, "convergence-sim: --max-throttle below the initial "
                        "throttle (QEMU refuses it)\n");
        return 2;
    }
    if (!off) {
        cvg_sim_config_set_policy(&cfg, pol);
        cfg.policy.initial = initial;
        cfg.policy.increment = increment;
        if (ceiling)
            cfg.policy.ceiling = ceiling;
        if (max_downtime)
            cfg.policy.max_downtime_ms = max_downtime;
        cfg.policy.deadline_ms = (unsigned long long)(deadline * 1000);
        cfg.policy.escalation = esc;
        cfg.policy.postcopy = postcopy;
    }

    cvg_convergence_simulate(&cfg, &r);
    if (samples) {
        print_samples(&cfg, &r);
        print_result(stderr, &r);
    } else if (trace) {
        print_trace(&r);
        print_result(stderr, &r);
    } else {
        print_result(stdout, &r);
    }
    cvg_sim_result_clear(&r);
    return r.converged ? 0 : 1;
}
