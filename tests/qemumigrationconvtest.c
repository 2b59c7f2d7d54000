/*
 * qemumigrationconvtest.c: the source side of a migration, talking to a
 * scripted QEMU
 *
 * Each case NAME in tests/qemumigrationconvdata/ runs Begin, Perform to
 * "tcp:127.0.0.1:49152" and Confirm on a running domain
 * (qemumigrationconvdata/domain.xml) whose QEMU is the scripted QMP peer of
 * testutils-qmp.h, as client-driven migration calls them (each call starts
 * without a pending error).  Confirm is "cancelled" when Perform failed.
 *
 *   NAME.params  flags and typed parameters, as in tests/qemumigrationdata:
 *                "flags 0xN", "side source" (the only side here) and
 *                "FIELD TYPE VALUE" lines; plus test directives:
 *                  domjobabort        once domjobinfo shows data moving,
 *                                     call cvg_migration_abort from another
 *                                     thread (virsh domjobabort)
 *                  confirm cancelled  Confirm(cancelled) even after a
 *                                     successful Perform (the destination's
 *                                     Finish failed)
 *                  tls_cert_dir DIR   migrate_tls_x509_cert_dir, relative
 *                                     to the data dir (pki/ has the five
 *                                     files, empty: QEMU is scripted);
 *                                     "@DIR@" in NAME.reply and NAME.out
 *                                     stands for its absolute path
 *   NAME.reply   the whole QMP conversation the engine must hold, from the
 *                handshake to "wait-close": every migrate-set-* argument,
 *                migrate, the query-migrate polls and their scripted
 *                answers, query-status/cont when the guest is restored.
 *   NAME.out     one line per call ("begin: rc 0" or "perform: error CODE:
 *                MESSAGE"), the domain's state, the events in order, then
 *                the completed job ("completed: TYPE") and its statistics as
 *                "FIELD TYPE VALUE" lines.  Values that follow the wall
 *                clock (time_elapsed, convergd.cpu_lost) read "(varies)".
 *                CVG_TEST_REGENERATE=1 rewrites it; review the diff.
 *
 * The engine sleeps 250 ms between query-migrate polls (woken early by an
 * abort) and reads query-migrate-parameters at the first poll and every
 * fourth after: keep each conversation to a few polls.
 */
#include "qemu-migration.h"
#include "qemu-monitor.h"

#include "cvg-error.h"
#include "testutils.h"
#include "testutils-driver.h"
#include "testutils-params.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATADIR "qemumigrationconvdata"
#define MIGRATE_URI "tcp:127.0.0.1:49152"
/* How long the domjobabort thread waits for data to move. */
#define ABORT_WAIT_US (5 * G_TIME_SPAN_SECOND)

/* ---- .params (testutils-params.h lines, plus directives) ---- */

typedef struct {
    CvgTypedParamList *params;
    unsigned int flags;
    bool domjobabort;
    bool confirm_cancelled;
    char *tls_cert_dir;
} CaseSetup;

/* This test's own lines: the side (only the source), domjobabort and
 * "confirm cancelled". */
static bool
setup_line(char **words, void *opaque)
{
    CaseSetup *setup = opaque;

    if (strcmp(words[0], "side") == 0 && words[1] && !words[2] &&
        strcmp(words[1], "source") == 0) {
        /* the only side this test drives */
    } else if (strcmp(words[0], "domjobabort") == 0 && !words[1]) {
        setup->domjobabort = true;
    } else if (strcmp(words[0], "confirm") == 0 && words[1] && !words[2] &&
               strcmp(words[1], "cancelled") == 0) {
        setup->confirm_cancelled = true;
    } else if (strcmp(words[0], "tls_cert_dir") == 0 && words[1] && !words[2] &&
               !setup->tls_cert_dir) {
        g_autofree char *rel = g_build_filename(DATADIR, words[1], NULL);

        setup->tls_cert_dir = cvg_test_srcpath(rel);
    } else {
        return false;
    }
    return true;
}

static int
load_setup(const char *path, CaseSetup *setup)
{
    return cvg_test_params_load(path, setup->params, &setup->flags, setup_line,
                                setup);
}

/* @script with "@DIR@" replaced by @dir, as a file in @tmpdir; NULL with
 * a message on stderr. */
static char *
script_with_dir(const char *script, const char *dir, const char *tmpdir)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) parts = NULL;
    g_autofree char *joined = NULL;
    g_autofree char *path = g_build_filename(tmpdir, "script.reply", NULL);
    g_autoptr(GError) err = NULL;

    if (!g_file_get_contents(script, &text, NULL, &err) ||
        !(parts = g_strsplit(text, "@DIR@", -1)) ||
        !(joined = g_strjoinv(dir, parts)) ||
        !g_file_set_contents(path, joined, -1, &err)) {
        fprintf(stderr, "%s: %s\n", script, err ? err->message : "?");
        return NULL;
    }
    return g_steal_pointer(&path);
}

/* ---- what the driver reported ---- */

static const char *
job_type_name(int type)
{
    static const char *const names[] = {
        "none", "bounded", "unbounded", "completed", "failed", "cancelled",
    };

    return type >= 0 && type < (int)G_N_ELEMENTS(names) ? names[type]
                                                        : "unknown";
}

/* QEMU's migration events reach the job as qemu-process.c's monitor
 * callback passes them on; the rest do not matter here. */
static void
monitor_event(CvgQmp *mon G_GNUC_UNUSED, const char *name, json_object *data,
              void *opaque)
{
    CvgDomainObj *dom = opaque;
    CvgDriver *drv = dom->driver;

    if (strcmp(name, "MIGRATION") != 0 && strcmp(name, "MIGRATION_PASS") != 0)
        return;
    cvg_driver_lock(drv);
    cvg_migration_handle_event(drv, dom, name, data);
    cvg_driver_unlock(drv);
}

static const CvgQmpCallbacks monitor_callbacks = {
    .event = monitor_event,
    .eof = NULL,
};

static bool
varies(const char *field)
{
    return strcmp(field, "time_elapsed") == 0 ||
           strcmp(field, "convergd.cpu_lost") == 0;
}

static void
append_params(GString *out, const CvgTypedParamList *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const CvgTypedParam *p = &l->params[i];

        g_string_append_printf(out, "%s %s ", p->field,
                               cvg_typed_param_type_name(p->type));
        if (varies(p->field)) {
            g_string_append(out, "(varies)\n");
            continue;
        }
        switch (p->type) {
        case CVG_TYPED_PARAM_INT:
            g_string_append_printf(out, "%d\n", p->value.i);
            break;
        case CVG_TYPED_PARAM_UINT:
            g_string_append_printf(out, "%u\n", p->value.ui);
            break;
        case CVG_TYPED_PARAM_LLONG:
            g_string_append_printf(out, "%lld\n", p->value.l);
            break;
        case CVG_TYPED_PARAM_ULLONG:
            g_string_append_printf(out, "%llu\n", p->value.ul);
            break;
        case CVG_TYPED_PARAM_DOUBLE:
            g_string_append_printf(out, "%g\n", p->value.d);
            break;
        case CVG_TYPED_PARAM_BOOLEAN:
            g_string_append_printf(out, "%s\n", p->value.b ? "true" : "false");
            break;
        case CVG_TYPED_PARAM_STRING:
            g_string_append_printf(out, "%s\n", p->value.s);
            break;
        default:
            g_string_append(out, "<unexpected type>\n");
            break;
        }
    }
}

/* ---- domjobabort from another thread ---- */

typedef struct {
    CvgDriver *drv;
    CvgDomainObj *dom;
    GString *log; /* filled by the thread, read after join */
} AbortJob;

/* Wait until domjobinfo shows memory moving, then abort, as a client
 * watching `virsh domjobinfo` would. */
static gpointer
abort_thread(gpointer opaque)
{
    AbortJob *aj = opaque;
    gint64 deadline = g_get_monotonic_time() + ABORT_WAIT_US;
    CvgJobInfo info;

    for (;;) {
        if (cvg_migration_get_job_info(aj->drv, aj->dom, &info) == 0 &&
            info.type == CVG_JOB_TYPE_UNBOUNDED && info.data_total > 0)
            break;
        if (g_get_monotonic_time() > deadline) {
            g_string_append(aj->log, "domjobabort: no data ever moved\n");
            return NULL;
        }
        g_usleep(2 * 1000);
    }
    cvg_error_reset();
    cvg_test_append_result(aj->log, "domjobabort",
                           cvg_migration_abort(aj->drv, aj->dom, 0));
    return NULL;
}

/* ---- one case ---- */

/* Begin, Perform, Confirm; one line each into @out. */
static void
run_migration(CvgDriver *drv, CvgDomainObj *dom, const CaseSetup *setup,
              GString *out)
{
    g_autofree char *bcookie = NULL;
    g_autofree char *pcookie = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GString) abort_log = g_string_new(NULL);
    AbortJob aj = {drv, dom, abort_log};
    GThread *aborter = NULL;
    size_t blen = 0, plen = 0;
    bool cancelled;
    int rc;

    cvg_error_reset();
    rc = cvg_migration_begin(drv, dom, setup->params, setup->flags, out,
                             &bcookie, &blen, &xml);
    cvg_test_append_result(out, "begin", rc);
    if (rc < 0)
        return;

    if (setup->domjobabort)
        aborter = g_thread_new("domjobabort", abort_thread, &aj);
    cvg_error_reset();
    /* The destination's cookie is optional: none here. */
    rc = cvg_migration_perform(drv, dom, MIGRATE_URI, NULL, 0, setup->flags,
                               &pcookie, &plen);
    cvg_test_append_result(out, "perform", rc);
    if (aborter) {
        g_thread_join(aborter);
        g_string_append(out, abort_log->str);
    }

    cancelled = rc < 0 || setup->confirm_cancelled;
    cvg_error_reset();
    rc = cvg_migration_confirm(drv, dom, NULL, 0, setup->flags, cancelled);
    cvg_test_append_result(out, cancelled ? "confirm cancelled" : "confirm",
                           rc);
}

static int
test_case(const void *data)
{
    const char *name = data;
    g_autofree char *params_path = cvg_test_case_path(DATADIR, name, ".params");
    g_autofree char *script = cvg_test_case_path(DATADIR, name, ".reply");
    g_autofree char *out_path = cvg_test_case_path(DATADIR, name, ".out");
    g_autofree char *xml_path = cvg_test_srcpath(DATADIR "/domain.xml");
    g_autoptr(CvgTypedParamList) params = cvg_typed_params_new();
    g_autoptr(CvgTypedParamList) stats = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    CaseSetup setup = {.params = params};
    CvgTestQmpPeer *peer = NULL;
    CvgTestDriver *t = NULL;
    CvgDriver *drv;
    int stats_type = CVG_JOB_TYPE_NONE;
    int ret = -1;

    if (load_setup(params_path, &setup) < 0)
        goto cleanup;
    if (!(t = cvg_test_driver_new("cvg-migconv")))
        goto cleanup;
    drv = t->drv;
    if (setup.tls_cert_dir) {
        char *subst = script_with_dir(script, setup.tls_cert_dir, t->tmpdir);

        if (!subst)
            goto cleanup;
        g_free(script);
        script = subst;
        g_free(drv->cfg->migrate_tls_x509_cert_dir);
        drv->cfg->migrate_tls_x509_cert_dir =
            g_steal_pointer(&setup.tls_cert_dir);
    }
    if (!(dom = cvg_test_driver_start_domain(t, xml_path, script,
                                             &monitor_callbacks, &peer)))
        goto cleanup;

    run_migration(drv, dom, &setup, out);

    if (cvg_test_driver_end_case(t, dom, &peer, name, out) < 0)
        goto cleanup;
    cvg_error_reset();
    if (cvg_migration_get_job_stats(
            drv, dom, CVG_JOB_STATS_COMPLETED | CVG_JOB_STATS_KEEP_COMPLETED,
            &stats_type, &stats) < 0) {
        fprintf(stderr, "%s: no job stats: %s\n", name,
                cvg_error_last()->message);
        goto cleanup;
    }
    g_string_append_printf(out, "completed: %s\n", job_type_name(stats_type));
    append_params(out, stats);
    /* The same expectations in every checkout. */
    if (drv->cfg->migrate_tls_x509_cert_dir[0] == '/')
        g_string_replace(out, drv->cfg->migrate_tls_x509_cert_dir, "@DIR@", 0);
    ret = cvg_test_compare_file(out_path, out->str);

cleanup:
    g_free(setup.tls_cert_dir);
    /* Closes a monitor still open, which ends a script still playing. */
    if (t)
        cvg_test_driver_free(t);
    if (peer)
        cvg_test_qmp_peer_finish(peer);
    return ret;
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".params");

    if (cases->len == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return EXIT_FAILURE;
    }
    /* Edge cases first: those where a call fails. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cases->len; i++) {
            const char *name = g_ptr_array_index(cases, i);
            g_autofree char *out_path =
                cvg_test_case_path(DATADIR, name, ".out");
            g_autofree char *expected = NULL;
            bool fails;

            g_file_get_contents(out_path, &expected, NULL, NULL);
            fails = expected && strstr(expected, ": error ");
            if (fails == (pass == 0))
                cvg_test_run(name, test_case, name);
        }
    }
    return cvg_test_finish();
}
