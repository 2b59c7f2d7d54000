/*
 * convergenceconftest.c: the convergence settings table and what it drives
 *
 * - the table is consistent (unique names, defaults within their range);
 * - the daemon configuration keys, the domain's <convergd:migration>
 *   metadata and the convergd.* typed parameters set the same values, and
 *   merge in that order of precedence (each more specific one wins);
 * - docs/convergence-settings.rst.inc is what the table produces
 *   (CVG_TEST_REGENERATE=1 rewrites it; review the diff).
 * The metadata's error cases are tests/domainxmldata/
 * invalid-metadata-convergd-*; the typed parameters' are in
 * qemumigrationtest.
 */
#include "convergence-conf.h"
#include "daemon-conf.h"
#include "domain-conf.h"

#include "cvg-error.h"
#include "testutils.h"

#include <stdio.h>
#include <string.h>

#define ALL_GIVEN ((1U << CVG_CONV_SETTING_LAST) - 1)

static const char *
last_message(void)
{
    const CvgError *err = cvg_error_last();

    return err ? err->message : "no error reported";
}

static bool
unique(const char *a, const char *b)
{
    return strcmp(a, b) != 0;
}

static int
test_table(const void *data)
{
    CvgConvergenceSettings s;

    cvg_convergence_settings_init(&s);
    for (int i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *d = &cvg_convergence_setting_table[i];

        for (int j = i + 1; j < CVG_CONV_SETTING_LAST; j++) {
            const CvgConvergenceSettingDef *e =
                &cvg_convergence_setting_table[j];

            if (!unique(d->name, e->name) ||
                !unique(d->config_key, e->config_key) ||
                !unique(d->param, e->param) ||
                !unique(d->metadata_attr, e->metadata_attr)) {
                fprintf(stderr, "'%s' and '%s' share a name\n", d->name,
                        e->name);
                return -1;
            }
        }
        if (!g_str_has_prefix(d->param, "convergd.") || !d->doc ||
            (d->words && (d->param_type != CVG_TYPED_PARAM_STRING ||
                          (int)d->def >= d->nwords)) ||
            (!d->words &&
             (d->min > d->max || d->def < d->min || d->def > d->max))) {
            fprintf(stderr, "row '%s' is inconsistent\n", d->name);
            return -1;
        }
    }
    if (s.given != 0 || s.policy != CVG_POLICY_QEMU || s.ceiling != 99 ||
        s.max_downtime_ms != 0 || s.deadline_s != 0 ||
        s.escalation != CVG_ESCALATE_NONE) {
        fprintf(stderr, "defaults differ\n");
        return -1;
    }
    return 0;
}

/* Values as "policy=adaptive ceiling=90 ..." with a "*" on given ones. */
static char *
settings_line(const CvgConvergenceSettings *s)
{
    GString *out = g_string_new(NULL);

    for (int i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *d = &cvg_convergence_setting_table[i];
        g_autofree char *v = cvg_convergence_setting_format(s, d);

        g_string_append_printf(out, "%s%s=%s%s", i ? " " : "", d->name, v,
                               (s->given & (1U << i)) ? "*" : "");
    }
    return g_string_free(out, FALSE);
}

static int
expect_line(const CvgConvergenceSettings *s, const char *expected)
{
    g_autofree char *got = settings_line(s);

    if (strcmp(got, expected) != 0) {
        fprintf(stderr, "got      %s\nexpected %s\n", got, expected);
        return -1;
    }
    return 0;
}

static int
test_config(const void *data)
{
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    static const char *const bad[] = {
        "throttle_ceiling = 0\n",
        "throttle_ceiling = 100\n",
        "max_downtime = 2000001\n",
        "max_downtime = -1\n",
        "convergence_deadline = 86401\n",
        "convergence_policy = adaptive\n",
        "convergence_policy = \"fast\"\n",
        "escalation = \"kill\"\n",
        NULL,
    };

    if (expect_line(&cfg->convergence,
                    "policy=qemu* ceiling=99* max_downtime=0* deadline=0* "
                    "escalation=none*") < 0)
        return -1;
    if (cvg_daemon_config_parse(cfg, "t.conf",
                                "convergence_policy = \"adaptive\"\n"
                                "throttle_ceiling = 80\n"
                                "max_downtime = 0\n"
                                "max_downtime = 1500\n"
                                "convergence_deadline = 60\n"
                                "escalation = \"abort\"\n") < 0) {
        fprintf(stderr, "%s\n", last_message());
        return -1;
    }
    if (expect_line(&cfg->convergence,
                    "policy=adaptive* ceiling=80* max_downtime=1500* "
                    "deadline=60* escalation=abort*") < 0)
        return -1;
    for (size_t i = 0; bad[i]; i++) {
        g_autoptr(CvgDaemonConfig) c = cvg_daemon_config_new();
        const CvgError *err;

        cvg_error_reset();
        if (cvg_daemon_config_parse(c, "t.conf", bad[i]) == 0 ||
            !(err = cvg_error_last()) || err->code != CVG_ERR_CONF_SYNTAX ||
            !strstr(err->message, "t.conf:1:")) {
            fprintf(stderr, "accepted or unclear: %s", bad[i]);
            return -1;
        }
    }
    return 0;
}

static int
test_metadata_and_merge(const void *data)
{
    g_autofree char *path =
        cvg_test_srcpath("domainxmldata/metadata-convergd-zero.in.xml");
    g_autofree char *xml = cvg_test_load_file(path);
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    g_autoptr(CvgTypedParamList) params = cvg_typed_params_new();
    CvgConvergenceSettings s;

    if (!xml || !(def = cvg_domain_def_parse_string(xml, 0))) {
        fprintf(stderr, "parse: %s\n", last_message());
        return -1;
    }
    if (expect_line(&def->convergence,
                    "policy=qemu ceiling=1* max_downtime=0* deadline=0* "
                    "escalation=none") < 0)
        return -1;

    /* config < metadata < typed parameters */
    if (cvg_daemon_config_parse(cfg, "t.conf",
                                "convergence_policy = \"adaptive\"\n"
                                "max_downtime = 3000\n"
                                "convergence_deadline = 30\n") < 0)
        return -1;
    s = cfg->convergence;
    cvg_convergence_settings_merge(&s, &def->convergence);
    if (expect_line(&s, "policy=adaptive* ceiling=1* max_downtime=0* "
                        "deadline=0* escalation=none*") < 0)
        return -1;
    cvg_typed_params_add_int(params, "convergd.throttle_ceiling", 70);
    cvg_typed_params_add_string(params, "convergd.escalation", "pause");
    cvg_typed_params_add_ullong(params, "convergd.deadline", 0);
    if (cvg_convergence_settings_set_typed(&s, params) < 0 ||
        expect_line(&s, "policy=adaptive* ceiling=70* max_downtime=0* "
                        "deadline=0* escalation=pause*") < 0)
        return -1;

    /* A word the table does not know is refused, naming the parameter. */
    cvg_typed_params_add_string(params, "convergd.policy", "fast");
    cvg_error_reset();
    if (cvg_convergence_settings_set_typed(&s, params) == 0 ||
        cvg_error_last()->code != CVG_ERR_INVALID_ARG ||
        !strstr(last_message(), "'convergd.policy'")) {
        fprintf(stderr, "bad word: %s\n", last_message());
        return -1;
    }
    return 0;
}

/* --- docs/convergence-settings.rst.inc --------------------------------- */

static void
cell(GString *out, bool first, const char *text)
{
    g_string_append_printf(out, "   %s -%s%s\n", first ? "*" : " ",
                           *text ? " " : "", text);
}

static char *
format_doc(void)
{
    GString *out = g_string_new(NULL);
    CvgConvergenceSettings defaults;

    cvg_convergence_settings_init(&defaults);
    g_string_append(
        out,
        ".. Generated from cvg_convergence_setting_table\n"
        "   (src/conf/convergence-conf.c) by tests/convergenceconftest.c;\n"
        "   refresh with CVG_TEST_REGENERATE=1 and review the diff.\n"
        "\n"
        ".. list-table:: Convergence settings\n"
        "   :header-rows: 1\n"
        "\n");
    cell(out, true, "Configuration key");
    cell(out, false, "Typed parameter");
    cell(out, false, "Metadata attribute");
    cell(out, false, "Values");
    cell(out, false, "Unit");
    cell(out, false, "Default");
    cell(out, false, "Description");
    for (int i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *d = &cvg_convergence_setting_table[i];
        g_autofree char *key = g_strdup_printf("``%s``", d->config_key);
        g_autofree char *param = g_strdup_printf(
            "``%s`` (%s)", d->param, cvg_typed_param_type_name(d->param_type));
        g_autofree char *attr = g_strdup_printf("``%s``", d->metadata_attr);
        g_autofree char *values = cvg_convergence_setting_expected(d);
        g_autofree char *def = cvg_convergence_setting_format(&defaults, d);
        g_autofree char *def_cell =
            g_strdup_printf(d->words ? "``\"%s\"``" : "``%s``", def);
        g_autofree char *doc = g_strdup_printf(
            "%s%s", d->doc,
            d->needs_auto_converge ? " As a typed parameter it needs "
                                     "``VIR_MIGRATE_AUTO_CONVERGE``."
                                   : "");

        cell(out, true, key);
        cell(out, false, param);
        cell(out, false, attr);
        cell(out, false, values);
        cell(out, false, d->unit ? d->unit : "");
        cell(out, false, def_cell);
        cell(out, false, doc);
    }
    return g_string_free(out, FALSE);
}

static int
test_doc(const void *data)
{
    g_autofree char *path =
        cvg_test_srcpath("../docs/convergence-settings.rst.inc");
    g_autofree char *doc = format_doc();

    return cvg_test_compare_file(path, doc);
}

int
main(void)
{
    cvg_test_run("table", test_table, NULL);
    cvg_test_run("config", test_config, NULL);
    cvg_test_run("metadata-and-merge", test_metadata_and_merge, NULL);
    cvg_test_run("doc-table", test_doc, NULL);
    return cvg_test_finish();
}
