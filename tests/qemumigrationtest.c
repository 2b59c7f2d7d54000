/*
 * qemumigrationtest.c: migration parameter tables and query-migrate stats
 *
 * tests/qemumigrationdata/NAME.params is validated and mapped.  Its lines
 * are "flags 0xN", "side source|dest" (default source) or "FIELD TYPE
 * VALUE", TYPE as libvirt names it (int, uint, llong, ullong, double,
 * boolean, string; a string VALUE is the rest of the line); blank and '#'
 * lines are skipped.  With NAME.err validation must fail with that
 * "<code>: <message>" line; otherwise NAME.caps.json and NAME.qmp.json hold
 * the migrate-set-capabilities array and migrate-set-parameters arguments
 * for that side.
 *
 * tests/qemumigrationdata/NAME.reply is a query-migrate "return" object.
 * With NAME.err parsing must fail; otherwise NAME.stats holds "# status S"
 * (and "# error-desc D"), then one "FIELD TYPE VALUE" line per job stats
 * parameter, made with operation 5 (outgoing), a job clock of 12345 ms and
 * completed = (status is "completed").
 *
 * tests/qemumigrationdata/NAME.disks.xml is a domain whose disks are checked
 * for a live migration without VIR_MIGRATE_UNSAFE: with NAME.err the check
 * must fail with that line, otherwise pass; with VIR_MIGRATE_UNSAFE every
 * case passes.
 *
 * Then table checks: every row is consistent and its range edges validate;
 * docs/migration-params.rst.inc is what the tables produce
 * (CVG_TEST_REGENERATE=1 rewrites it too).
 */
#include "qemu-migration-params.h"
#include "qemu-migration-safe.h"
#include "qemu-migration-stats.h"

#include "cvg-error.h"
#include "testutils.h"
#include "testutils-params.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATADIR "qemumigrationdata"
#define JOB_CLOCK_MS 12345ULL

/* "side source" / "side dest" lines: *@opaque, a CvgMigrationSide. */
static bool
side_line(char **words, void *opaque)
{
    unsigned int *side = opaque;

    if (strcmp(words[0], "side") != 0 || !words[1] || words[2] ||
        (strcmp(words[1], "source") != 0 && strcmp(words[1], "dest") != 0))
        return false;
    *side = strcmp(words[1], "source") == 0 ? CVG_MIG_SIDE_SOURCE
                                            : CVG_MIG_SIDE_DEST;
    return true;
}

/* Read a .params file into @l, *@flags and *@side. */
static int
load_params(const char *path, CvgTypedParamList *l, unsigned int *flags,
            unsigned int *side)
{
    return cvg_test_params_load(path, l, flags, side_line, side);
}

static char *
json_text(json_object *obj)
{
    return g_strdup_printf(
        "%s\n", json_object_to_json_string_ext(
                    obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
}

/* Every string parameter given comes back from cvg_migration_params_string. */
static int
check_strings(const CvgMigrationParams *mp, const CvgTypedParamList *given)
{
    for (size_t i = 0; i < given->n; i++) {
        const CvgTypedParam *p = &given->params[i];
        const CvgTypedParam *first = cvg_typed_params_find(given, p->field);
        const char *s = cvg_migration_params_string(mp, p->field);

        if (p->type != CVG_TYPED_PARAM_STRING) {
            if (s) {
                fprintf(stderr, "'%s' is not a string\n", p->field);
                return -1;
            }
            continue;
        }
        if (g_strcmp0(s, first->value.s) != 0) {
            fprintf(stderr, "'%s' reads '%s'\n", p->field, s ? s : "(null)");
            return -1;
        }
    }
    return 0;
}

static int
test_params_case(const void *data)
{
    const char *name = data;
    g_autofree char *in_path = cvg_test_case_path(DATADIR, name, ".params");
    g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");
    g_autofree char *caps_path =
        cvg_test_case_path(DATADIR, name, ".caps.json");
    g_autofree char *qmp_path = cvg_test_case_path(DATADIR, name, ".qmp.json");
    g_autoptr(CvgTypedParamList) params = cvg_typed_params_new();
    g_autoptr(CvgMigrationParams) mp = NULL;
    g_autoptr(json_object) caps = NULL;
    g_autoptr(json_object) args = NULL;
    g_autofree char *caps_text = NULL;
    g_autofree char *args_text = NULL;
    g_autofree char *err = NULL;
    unsigned int flags = 0;
    unsigned int side = CVG_MIG_SIDE_SOURCE;

    if (load_params(in_path, params, &flags, &side) < 0)
        return -1;
    cvg_error_reset();
    mp = cvg_migration_params_validate(params, flags, side);

    if (g_file_test(err_path, G_FILE_TEST_EXISTS)) {
        if (mp) {
            fprintf(stderr, "%s: validation succeeded, expected an error\n",
                    name);
            return -1;
        }
        err = cvg_test_error_line();
        return cvg_test_compare_file(err_path, err);
    }
    if (!mp) {
        fprintf(stderr, "%s: validation failed: %s", name,
                cvg_test_error_line());
        return -1;
    }
    if (mp->flags != flags || mp->params == params ||
        mp->params->n != params->n) {
        fprintf(stderr, "%s: validated set is not a copy\n", name);
        return -1;
    }
    caps = cvg_migration_params_caps_json(mp, side);
    args = cvg_migration_params_qmp_json(mp, side);
    caps_text = json_text(caps);
    args_text = json_text(args);
    if (cvg_test_compare_file(caps_path, caps_text) < 0 ||
        cvg_test_compare_file(qmp_path, args_text) < 0)
        return -1;
    return check_strings(mp, params);
}

static char *
format_stats(const CvgMigrationSample *s, const CvgTypedParamList *l)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "# status %s\n",
                           cvg_migration_status_to_string(s->status));
    if (s->error_desc)
        g_string_append_printf(out, "# error-desc %s\n", s->error_desc);
    for (size_t i = 0; i < l->n; i++) {
        const CvgTypedParam *p = &l->params[i];

        g_string_append_printf(out, "%s %s ", p->field,
                               cvg_typed_param_type_name(p->type));
        switch (p->type) {
        case CVG_TYPED_PARAM_INT:
            g_string_append_printf(out, "%d\n", p->value.i);
            break;
        case CVG_TYPED_PARAM_ULLONG:
            g_string_append_printf(out, "%llu\n", p->value.ul);
            break;
        default:
            g_string_append(out, "<unexpected type>\n");
            break;
        }
    }
    return g_string_free(out, FALSE);
}

static int
test_stats_case(const void *data)
{
    const char *name = data;
    g_autofree char *in_path = cvg_test_case_path(DATADIR, name, ".reply");
    g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");
    g_autofree char *stats_path = cvg_test_case_path(DATADIR, name, ".stats");
    g_autofree char *text = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out = NULL;
    g_autoptr(json_object) reply = NULL;
    g_autoptr(CvgTypedParamList) params = NULL;
    CvgMigrationSample s = {0};
    bool completed;
    int rc;

    if (!(text = cvg_test_load_file(in_path)))
        return -1;
    if (!(reply = json_tokener_parse(text))) {
        fprintf(stderr, "%s: not JSON\n", in_path);
        return -1;
    }
    cvg_error_reset();
    /* Poison: the output must be written only on success. */
    s.status = -42;
    rc = cvg_migration_sample_parse(reply, &s);

    if (g_file_test(err_path, G_FILE_TEST_EXISTS)) {
        if (rc == 0) {
            fprintf(stderr, "%s: parse succeeded, expected an error\n", name);
            cvg_migration_sample_clear(&s);
            return -1;
        }
        if (s.status != -42) {
            fprintf(stderr, "%s: sample written on failure\n", name);
            return -1;
        }
        err = cvg_test_error_line();
        return cvg_test_compare_file(err_path, err);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: parse failed: %s", name, cvg_test_error_line());
        return -1;
    }
    completed = s.status == CVG_MIG_STATUS_COMPLETED;
    params = cvg_migration_stats_to_params(&s, CVG_JOB_OP_MIGRATION_OUT,
                                           JOB_CLOCK_MS, completed);
    out = format_stats(&s, params);
    cvg_migration_sample_clear(&s);
    return cvg_test_compare_file(stats_path, out);
}

/* One consistency check per column rule. */
static int
check_row(const CvgMigrationParamDef *d)
{
    bool numeric =
        d->type == CVG_TYPED_PARAM_INT || d->type == CVG_TYPED_PARAM_UINT ||
        d->type == CVG_TYPED_PARAM_LLONG || d->type == CVG_TYPED_PARAM_ULLONG;

    if (!*d->name || strlen(d->name) >= CVG_TYPED_PARAM_FIELD_LENGTH)
        return -1;
    if (d->type <= 0 || d->type >= CVG_TYPED_PARAM_LAST ||
        d->type == CVG_TYPED_PARAM_DOUBLE)
        return -1;
    if ((d->apply == CVG_MIG_APPLY_PARAM) != (d->qmp_name != NULL))
        return -1;
    if (d->repeatable && d->type != CVG_TYPED_PARAM_STRING)
        return -1;
    if (d->max && (!numeric || d->min > d->max))
        return -1;
    if (!d->max && d->min)
        return -1;
    if (d->qmp_scale == 0 ||
        (d->max && d->max > (unsigned long long)INT64_MAX / d->qmp_scale))
        return -1;
    if (d->type == CVG_TYPED_PARAM_INT && d->max > INT_MAX)
        return -1;
    if (d->type == CVG_TYPED_PARAM_UINT && d->max > UINT_MAX)
        return -1;
    if (!d->side || (d->side & ~(unsigned int)CVG_MIG_SIDE_BOTH))
        return -1;
    if (d->requires_flag & (d->requires_flag - 1))
        return -1;
    if (!d->doc || !*d->doc)
        return -1;
    return 0;
}

static int
test_table_rows(const void *data)
{
    const CvgMigrationParamDef *d;
    const CvgMigrationCapDef *c;

    for (d = cvg_migration_param_table; d->name; d++) {
        for (const CvgMigrationParamDef *e = d + 1; e->name; e++) {
            if (strcmp(d->name, e->name) == 0) {
                fprintf(stderr, "'%s' appears twice\n", d->name);
                return -1;
            }
        }
        if (check_row(d) < 0) {
            fprintf(stderr, "row '%s' is inconsistent\n", d->name);
            return -1;
        }
    }
    for (c = cvg_migration_cap_table; c->capability; c++) {
        if (!c->flag || (c->flag & (c->flag - 1)) || !c->side) {
            fprintf(stderr, "capability row '%s' is inconsistent\n",
                    c->capability);
            return -1;
        }
    }
    return 0;
}

static void
add_number(CvgTypedParamList *l, int type, const char *field,
           unsigned long long v, bool negative)
{
    switch (type) {
    case CVG_TYPED_PARAM_INT:
        cvg_typed_params_add_int(l, field, negative ? -(int)v : (int)v);
        break;
    case CVG_TYPED_PARAM_UINT:
        cvg_typed_params_add_uint(l, field, v);
        break;
    case CVG_TYPED_PARAM_LLONG:
        cvg_typed_params_add_llong(l, field,
                                   negative ? -(long long)v : (long long)v);
        break;
    default:
        cvg_typed_params_add_ullong(l, field, v);
        break;
    }
}

/* The flags that let @d be given (every supported one, but compression
 * only through the method @d tunes, which goes into @l), for the source. */
static unsigned int
flags_for(const CvgMigrationParamDef *d, CvgTypedParamList *l)
{
    unsigned int flags = CVG_MIGRATE_SUPPORTED_FLAGS & ~CVG_MIGRATE_COMPRESSED;

    for (const CvgMigrationCompressDef *m = cvg_migration_compress_table;
         m->name; m++) {
        if (g_strcmp0(m->tune, d->name) != 0)
            continue;
        cvg_typed_params_add_string(l, CVG_MIGRATE_PARAM_COMPRESSION, m->name);
        if (!m->multifd)
            flags &= ~CVG_MIGRATE_PARALLEL;
    }
    return flags;
}

/* Validate one numeric value of @d's type on the source with every
 * supported flag; 0 if accepted, or the error code. */
static int
try_value(const CvgMigrationParamDef *d, unsigned long long v, bool negative)
{
    g_autoptr(CvgTypedParamList) l = cvg_typed_params_new();
    g_autoptr(CvgMigrationParams) mp = NULL;
    unsigned int flags = flags_for(d, l);

    add_number(l, d->type, d->name, v, negative);
    cvg_error_reset();
    mp = cvg_migration_params_validate(l, flags, CVG_MIG_SIDE_SOURCE);
    return mp ? 0 : cvg_error_last()->code;
}

/* Range edges of a ranged row: min and max pass, one beyond fails with
 * INVALID_ARG, and the QMP value of max is max * scale. */
static int
check_ranges(const CvgMigrationParamDef *d)
{
    g_autoptr(CvgTypedParamList) l = cvg_typed_params_new();
    g_autoptr(CvgMigrationParams) mp = NULL;
    g_autoptr(json_object) args = NULL;
    unsigned int flags;
    json_object *v;

    if (d->apply == CVG_MIG_APPLY_REFUSED || !d->max)
        return 0;
    if (try_value(d, d->min, false) != 0 || try_value(d, d->max, false) != 0) {
        fprintf(stderr, "'%s': an edge is refused: %s", d->name,
                cvg_test_error_line());
        return -1;
    }
    if ((d->min > 0 &&
         try_value(d, d->min - 1, false) != CVG_ERR_INVALID_ARG) ||
        try_value(d, d->max + 1, false) != CVG_ERR_INVALID_ARG ||
        (d->type != CVG_TYPED_PARAM_ULLONG && d->type != CVG_TYPED_PARAM_UINT &&
         try_value(d, 1, true) != CVG_ERR_INVALID_ARG)) {
        fprintf(stderr, "'%s': out of range accepted\n", d->name);
        return -1;
    }
    if (d->apply != CVG_MIG_APPLY_PARAM)
        return 0;
    flags = flags_for(d, l);
    add_number(l, d->type, d->name, d->max, false);
    mp = cvg_migration_params_validate(l, flags, CVG_MIG_SIDE_SOURCE);
    args = cvg_migration_params_qmp_json(mp, CVG_MIG_SIDE_SOURCE);
    if (!json_object_object_get_ex(args, d->qmp_name, &v) ||
        json_object_get_uint64(v) != d->max * d->qmp_scale) {
        fprintf(stderr, "'%s': max maps to %s\n", d->name,
                json_object_to_json_string(args));
        return -1;
    }
    return 0;
}

/* Every ranged row, and the convergence settings as rows. */
static int
test_table_ranges(const void *data)
{
    for (const CvgMigrationParamDef *d = cvg_migration_param_table; d->name;
         d++) {
        if (check_ranges(d) < 0)
            return -1;
    }
    /* The convergence settings, validated as migration parameters */
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        CvgMigrationParamDef d;

        cvg_migration_param_def_from_setting(&cvg_convergence_setting_table[i],
                                             &d);
        if (check_ranges(&d) < 0)
            return -1;
    }
    return 0;
}

/* Source-only parameters never reach the destination's QEMU, and a
 * destination ignores the source's flag rules. */
static int
test_dest_side(const void *data)
{
    for (const CvgMigrationParamDef *d = cvg_migration_param_table; d->name;
         d++) {
        g_autoptr(CvgTypedParamList) l = cvg_typed_params_new();
        g_autoptr(CvgMigrationParams) mp = NULL;
        g_autoptr(json_object) args = NULL;
        unsigned int flags;

        if (d->apply != CVG_MIG_APPLY_PARAM || (d->side & CVG_MIG_SIDE_DEST))
            continue;
        /* The destination checks the compression rules too: give the
         * method, and VIR_MIGRATE_PARALLEL when it needs it. */
        flags = flags_for(d, l) & CVG_MIGRATE_PARALLEL;
        if (d->type == CVG_TYPED_PARAM_BOOLEAN)
            cvg_typed_params_add_boolean(l, d->name, true);
        else if (d->type == CVG_TYPED_PARAM_STRING)
            cvg_typed_params_add_string(l, d->name, "dest.example.org");
        else
            add_number(l, d->type, d->name, d->max, false);
        if (!(mp =
                  cvg_migration_params_validate(l, flags, CVG_MIG_SIDE_DEST))) {
            fprintf(stderr, "'%s' refused on the destination: %s", d->name,
                    cvg_test_error_line());
            return -1;
        }
        args = cvg_migration_params_qmp_json(mp, CVG_MIG_SIDE_DEST);
        if (json_object_object_get_ex(args, d->qmp_name, NULL)) {
            fprintf(stderr, "'%s' applied on the destination\n", d->name);
            return -1;
        }
    }
    return 0;
}

static int
test_null_params(const void *data)
{
    g_autoptr(CvgMigrationParams) mp = cvg_migration_params_validate(
        NULL, CVG_MIGRATE_LIVE, CVG_MIG_SIDE_SOURCE);

    if (!mp || !mp->params || mp->params->n != 0)
        return -1;
    if (cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_URI) ||
        cvg_migration_params_string(NULL, CVG_MIGRATE_PARAM_URI))
        return -1;
    cvg_migration_params_free(NULL);
    return 0;
}

static int
test_status_strings(const void *data)
{
    for (int i = 0; i < CVG_MIG_STATUS_LAST; i++) {
        if (cvg_migration_status_from_string(
                cvg_migration_status_to_string(i)) != i)
            return -1;
    }
    if (cvg_migration_status_from_string("postcopy-paused") !=
            CVG_MIG_STATUS_POSTCOPY_PAUSED ||
        cvg_migration_status_from_string("colo") != CVG_MIG_STATUS_OTHER ||
        cvg_migration_status_from_string(NULL) != CVG_MIG_STATUS_OTHER ||
        strcmp(cvg_migration_status_to_string(-1), "other") != 0 ||
        strcmp(cvg_migration_status_to_string(CVG_MIG_STATUS_LAST), "other") !=
            0)
        return -1;
    return 0;
}

/* "downtime" is the measured one only when asked for and known. */
static int
test_stats_downtime(const void *data)
{
    CvgMigrationSample s = {0};
    g_autoptr(CvgTypedParamList) running = NULL;
    g_autoptr(CvgTypedParamList) done = NULL;
    g_autoptr(CvgTypedParamList) unknown = NULL;
    unsigned long long v = 0;

    s.expected_downtime_ms = 300;
    s.downtime_ms = 17;
    s.has_downtime = true;
    running = cvg_migration_stats_to_params(&s, 5, 1, false);
    done = cvg_migration_stats_to_params(&s, 5, 1, true);
    s.has_downtime = false;
    unknown = cvg_migration_stats_to_params(&s, 5, 1, true);
    if (cvg_typed_params_get_ullong(running, "downtime", &v) != 1 || v != 300 ||
        cvg_typed_params_get_ullong(done, "downtime", &v) != 1 || v != 17 ||
        cvg_typed_params_get_ullong(unknown, "downtime", &v) != 1 || v != 300)
        return -1;
    cvg_migration_sample_clear(&s);
    cvg_migration_sample_clear(NULL);
    return 0;
}

/* --- docs/migration-params.rst.inc ------------------------------------ */

static const char *
side_name(unsigned int side)
{
    switch (side) {
    case CVG_MIG_SIDE_SOURCE:
        return "source";
    case CVG_MIG_SIDE_DEST:
        return "destination";
    default:
        return "both";
    }
}

/* Only the flags rows depend on; a new one needs a name here. */
static const char *
doc_flag_name(unsigned int flag)
{
    switch (flag) {
    case 0:
        return "";
    case CVG_MIGRATE_AUTO_CONVERGE:
        return "``VIR_MIGRATE_AUTO_CONVERGE``";
    case CVG_MIGRATE_POSTCOPY:
        return "``VIR_MIGRATE_POSTCOPY``";
    case CVG_MIGRATE_TLS:
        return "``VIR_MIGRATE_TLS``";
    case CVG_MIGRATE_PARALLEL:
        return "``VIR_MIGRATE_PARALLEL``";
    default:
        return "(unnamed flag)";
    }
}

static void
cell(GString *out, bool first, const char *text)
{
    g_string_append_printf(out, "   %s -%s%s\n", first ? "*" : " ",
                           *text ? " " : "", text);
}

/* One row of the parameters table. */
static void
doc_row(GString *out, const CvgMigrationParamDef *d)
{
    g_autofree char *name = g_strdup_printf("``%s``", d->name);
    g_autofree char *range =
        d->max ? g_strdup_printf("%llu..%llu", d->min, d->max) : g_strdup("");
    g_autofree char *qmp = NULL;
    g_autofree char *doc = NULL;

    switch (d->apply) {
    case CVG_MIG_APPLY_PARAM:
        qmp = d->qmp_scale == 1 ? g_strdup_printf("``%s``", d->qmp_name)
                                : g_strdup_printf("``%s`` (x %llu)",
                                                  d->qmp_name, d->qmp_scale);
        break;
    case CVG_MIG_APPLY_NONE:
        qmp = g_strdup("(used by convergd)");
        break;
    default:
        qmp = g_strdup("(refused)");
        break;
    }
    doc = g_strdup_printf(
        "%s%s%s",
        g_str_has_prefix(d->name, "convergd.") ? "convergd only. " : "", d->doc,
        d->repeatable ? " May be repeated." : "");
    cell(out, true, name);
    cell(out, false, cvg_typed_param_type_name(d->type));
    cell(out, false, d->unit ? d->unit : "");
    cell(out, false, range);
    cell(out, false, qmp);
    cell(out, false, side_name(d->side));
    cell(out, false, doc_flag_name(d->requires_flag));
    cell(out, false, doc);
}

static char *
format_doc(void)
{
    GString *out = g_string_new(NULL);

    g_string_append(
        out,
        ".. Generated from cvg_migration_param_table and "
        "cvg_migration_cap_table\n"
        "   (src/qemu/qemu-migration-params.c) by tests/qemumigrationtest.c;\n"
        "   refresh with CVG_TEST_REGENERATE=1 and review the diff.\n"
        "\n"
        ".. list-table:: Migration parameters\n"
        "   :header-rows: 1\n"
        "\n");
    cell(out, true, "Name");
    cell(out, false, "Type");
    cell(out, false, "Unit");
    cell(out, false, "Range");
    cell(out, false, "QMP parameter");
    cell(out, false, "Side");
    cell(out, false, "Needs flag");
    cell(out, false, "Description");
    for (const CvgMigrationParamDef *d = cvg_migration_param_table; d->name;
         d++)
        doc_row(out, d);
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        CvgMigrationParamDef d;

        cvg_migration_param_def_from_setting(&cvg_convergence_setting_table[i],
                                             &d);
        doc_row(out, &d);
    }

    g_string_append(
        out, "\n"
             ".. list-table:: Migration flags that set QEMU capabilities\n"
             "   :header-rows: 1\n"
             "\n");
    cell(out, true, "Flag");
    cell(out, false, "QMP capability");
    cell(out, false, "Side");
    cell(out, true, "(always)");
    cell(out, false, "``events``");
    cell(out, false, "both");
    for (const CvgMigrationCapDef *c = cvg_migration_cap_table; c->capability;
         c++) {
        g_autofree char *capname = g_strdup_printf("``%s``", c->capability);
        g_autofree char *flag = g_strdup_printf(
            "%s%s", doc_flag_name(c->flag),
            (c->flag & CVG_MIGRATE_SUPPORTED_FLAGS) ? "" : " (refused)");

        cell(out, true, flag);
        cell(out, false, capname);
        cell(out, false, side_name(c->side));
    }
    return g_string_free(out, FALSE);
}

static int
test_doc(const void *data)
{
    g_autofree char *path =
        cvg_test_srcpath("../docs/migration-params.rst.inc");
    g_autofree char *doc = format_doc();

    return cvg_test_compare_file(path, doc);
}

static int
test_disks_case(const void *data)
{
    const char *name = data;
    g_autofree char *xml_path = cvg_test_case_path(DATADIR, name, ".disks.xml");
    g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");
    g_autofree char *xml = NULL;
    g_autoptr(CvgDomainDef) def = NULL;
    int rc;

    if (!g_file_get_contents(xml_path, &xml, NULL, NULL) ||
        !(def = cvg_domain_def_parse_string(xml, 0))) {
        fprintf(stderr, "%s: cannot parse\n", xml_path);
        return -1;
    }
    if (cvg_migration_check_disks(def, CVG_MIGRATE_LIVE | CVG_MIGRATE_UNSAFE) <
        0) {
        fprintf(stderr, "%s: refused despite VIR_MIGRATE_UNSAFE\n", name);
        return -1;
    }
    cvg_error_reset();
    rc = cvg_migration_check_disks(def, CVG_MIGRATE_LIVE);
    if (g_file_test(err_path, G_FILE_TEST_EXISTS)) {
        g_autofree char *line = cvg_test_error_line();

        if (rc == 0) {
            fprintf(stderr, "%s: accepted, expected an error\n", name);
            return -1;
        }
        return cvg_test_compare_file(err_path, line);
    }
    if (rc < 0) {
        g_autofree char *line = cvg_test_error_line();

        fprintf(stderr, "%s: refused: %s", name, line);
        return -1;
    }
    return 0;
}

/* Run @suffix cases of the data dir, the ones expecting errors first. */
static int
run_cases(const char *suffix, int (*fn)(const void *data))
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, suffix);

    if (cases->len == 0) {
        fprintf(stderr, "no %s cases in %s\n", suffix, dir);
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cases->len; i++) {
            const char *name = g_ptr_array_index(cases, i);
            g_autofree char *err_path =
                cvg_test_case_path(DATADIR, name, ".err");
            bool fails = g_file_test(err_path, G_FILE_TEST_EXISTS);

            if (fails == (pass == 0))
                cvg_test_run(name, fn, name);
        }
    }
    return 0;
}

int
main(void)
{
    if (run_cases(".params", test_params_case) < 0 ||
        run_cases(".reply", test_stats_case) < 0 ||
        run_cases(".disks.xml", test_disks_case) < 0)
        return EXIT_FAILURE;

    cvg_test_run("table-rows", test_table_rows, NULL);
    cvg_test_run("table-ranges", test_table_ranges, NULL);
    cvg_test_run("table-dest-side", test_dest_side, NULL);
    cvg_test_run("null-params", test_null_params, NULL);
    cvg_test_run("status-strings", test_status_strings, NULL);
    cvg_test_run("stats-downtime", test_stats_downtime, NULL);
    cvg_test_run("doc-table", test_doc, NULL);
    return cvg_test_finish();
}
