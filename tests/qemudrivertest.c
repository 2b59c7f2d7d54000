/*
 * qemudrivertest.c: guest power and reset calls against a scripted QEMU
 *
 * Each case NAME in tests/qemudriverdata/ runs driver calls on a running
 * domain (qemudriverdata/domain.xml) whose QEMU is the scripted QMP peer of
 * testutils-qmp.h behind the daemon's own monitor callbacks, so QEMU's
 * SHUTDOWN, STOP, RESET and RESUME events take the real paths.
 *
 *   NAME.calls  one call per line, run in order:
 *                 shutdown FLAGS | reboot FLAGS | reset FLAGS
 *                 suspend | resume
 *                 settle     wait (at most 10 s) until no reboot is pending
 *                            and no job runs: a fake reboot has finished
 *                 events N   wait (at most 10 s) until N events came: the
 *                            driver delivers events after dropping its
 *                            lock, so "settle" alone may see them late
 *                 powering-off  how many guests a stopping daemon waits
 *                            for (cvg_driver_count_powering_off)
 *                 stats STATS FLAGS  cvg_driver_get_domain_stats() of the
 *                            domain; its fields follow as "  FIELD TYPE"
 *                            lines (values vary: the pid is 0, so no
 *                            /proc figures appear)
 *   NAME.reply  the whole QMP conversation, from the handshake to
 *               "wait-close" (the test closes the monitor at the end, if
 *               the driver has not already)
 *   NAME.out    one line per call ("reboot: rc 0" or "reboot: error CODE:
 *               MESSAGE"), then the domain's state and reason, then the
 *               events in order.  CVG_TEST_REGENERATE=1 rewrites it.
 */
#include "qemu-domain-stats.h"
#include "qemu-process.h"

#include "cvg-error.h"
#include "testutils.h"
#include "testutils-driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATADIR "qemudriverdata"
#define SETTLE_US (10 * G_TIME_SPAN_SECOND)

static int
settle(CvgDriver *drv, CvgDomainObj *dom)
{
    gint64 deadline = g_get_monotonic_time() + SETTLE_US;

    for (;;) {
        bool busy;

        cvg_driver_lock(drv);
        busy = dom->fake_reboot || dom->job != CVG_JOB_NONE;
        cvg_driver_unlock(drv);
        if (!busy)
            return 0;
        if (g_get_monotonic_time() > deadline) {
            cvg_error_report(CVG_ERR_OPERATION_TIMEOUT,
                             "a reboot or a job is still running");
            return -1;
        }
        g_usleep(2000);
    }
}

static int
wait_events(CvgTestDriver *t, guint n)
{
    gint64 deadline = g_get_monotonic_time() + SETTLE_US;

    for (;;) {
        g_autofree char *events = cvg_test_driver_events(t);
        guint have = 0;

        for (const char *p = events; (p = strchr(p, '\n')); p++)
            have++;
        if (have >= n)
            return 0;
        if (g_get_monotonic_time() > deadline) {
            cvg_error_report(CVG_ERR_OPERATION_TIMEOUT, "%u of %u events", have,
                             n);
            return -1;
        }
        g_usleep(2000);
    }
}

static int
run_stats(CvgDriver *drv, CvgDomainObj *dom, const char *line,
          unsigned int stats, unsigned int flags, GString *out)
{
    g_autoptr(GPtrArray) recs = NULL;
    int rc = cvg_driver_get_domain_stats(drv, &dom, 1, stats, flags, &recs);

    cvg_test_append_result(out, line, rc);
    for (guint i = 0; rc == 0 && i < recs->len; i++) {
        const CvgDomainStatsRecord *rec = g_ptr_array_index(recs, i);

        for (size_t j = 0; j < rec->params->n; j++)
            g_string_append_printf(
                out, "  %s %s\n", rec->params->params[j].field,
                cvg_typed_param_type_name(rec->params->params[j].type));
    }
    return 0;
}

/* Run one line of NAME.calls; its result goes into @out. */
static int
run_call(CvgTestDriver *t, CvgDomainObj *dom, const char *line, GString *out)
{
    CvgDriver *drv = t->drv;
    g_auto(GStrv) w = g_strsplit(line, " ", -1);
    unsigned int flags = 0;
    int rc;

    if (!w[0])
        return 0;
    if (w[1])
        flags = (unsigned int)strtoul(w[1], NULL, 0);
    cvg_error_reset();
    if (strcmp(w[0], "shutdown") == 0)
        rc = cvg_driver_shutdown(drv, dom, flags);
    else if (strcmp(w[0], "reboot") == 0)
        rc = cvg_driver_reboot(drv, dom, flags);
    else if (strcmp(w[0], "reset") == 0)
        rc = cvg_driver_reset(drv, dom, flags);
    else if (strcmp(w[0], "suspend") == 0)
        rc = cvg_driver_suspend(drv, dom);
    else if (strcmp(w[0], "resume") == 0)
        rc = cvg_driver_resume(drv, dom);
    else if (strcmp(w[0], "settle") == 0)
        rc = settle(drv, dom);
    else if (strcmp(w[0], "events") == 0)
        rc = wait_events(t, flags);
    else if (strcmp(w[0], "stats") == 0)
        return run_stats(
            drv, dom, line, flags,
            w[1] && w[2] ? (unsigned int)strtoul(w[2], NULL, 0) : 0, out);
    else if (strcmp(w[0], "powering-off") == 0) {
        g_string_append_printf(out, "%s: %u\n", line,
                               cvg_driver_count_powering_off(drv));
        return 0;
    } else {
        fprintf(stderr, "unknown call '%s'\n", line);
        return -1;
    }
    cvg_test_append_result(out, line, rc);
    return 0;
}

static int
test_case(const void *data)
{
    const char *name = data;
    g_autofree char *calls_path = cvg_test_case_path(DATADIR, name, ".calls");
    g_autofree char *script = cvg_test_case_path(DATADIR, name, ".reply");
    g_autofree char *out_path = cvg_test_case_path(DATADIR, name, ".out");
    g_autofree char *xml_path = cvg_test_srcpath(DATADIR "/domain.xml");
    g_autofree char *calls = cvg_test_load_file(calls_path);
    g_auto(GStrv) lines = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    CvgTestQmpPeer *peer = NULL;
    CvgTestDriver *t;
    int ret = -1;

    if (!calls)
        return -1;
    if (!(t = cvg_test_driver_new("cvg-drvtest")))
        return -1;
    if (!(dom = cvg_test_driver_start_domain(
              t, xml_path, script, &cvg_qemu_process_monitor_callbacks, &peer)))
        goto cleanup;

    lines = g_strsplit(calls, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        if (run_call(t, dom, g_strstrip(lines[i]), out) < 0)
            goto cleanup;
    }

    if (cvg_test_driver_end_case(t, dom, &peer, name, out) == 0)
        ret = cvg_test_compare_file(out_path, out->str);

cleanup:
    cvg_test_driver_free(t);
    if (peer)
        cvg_test_qmp_peer_finish(peer);
    return ret;
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".calls");

    if (cases->len == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return EXIT_FAILURE;
    }
    for (size_t i = 0; i < cases->len; i++)
        cvg_test_run(g_ptr_array_index(cases, i), test_case,
                     g_ptr_array_index(cases, i));
    return cvg_test_finish();
}
