/*
 * convergence-conf.c: the convergence policy's settings table
 *
 * Everything here is a loop over cvg_convergence_setting_table; a new
 * setting is a new row (and a field of CvgConvergenceSettings).
 */
#include "convergence-conf.h"

#include "cvg-enum.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-xml.h"

#include <errno.h>
#include <string.h>

static const char *const policy_names[] = {"qemu", "adaptive"};
G_STATIC_ASSERT(G_N_ELEMENTS(policy_names) == CVG_POLICY_LAST);
static const char *const escalation_names[] = {"none", "pause", "abort",
                                               "postcopy"};
G_STATIC_ASSERT(G_N_ELEMENTS(escalation_names) == CVG_ESCALATE_LAST);

const char *
cvg_convergence_policy_to_string(int policy)
{
    return cvg_enum_to_string(policy_names, CVG_POLICY_LAST, policy);
}

int
cvg_convergence_policy_from_string(const char *s)
{
    return cvg_enum_from_string(policy_names, CVG_POLICY_LAST, s);
}

const char *
cvg_convergence_escalation_to_string(int e)
{
    return cvg_enum_to_string(escalation_names, CVG_ESCALATE_LAST, e);
}

int
cvg_convergence_escalation_from_string(const char *s)
{
    return cvg_enum_from_string(escalation_names, CVG_ESCALATE_LAST, s);
}

#define OFF(f) G_STRUCT_OFFSET(CvgConvergenceSettings, f)

/*
 * One range per setting wherever it is given.  0 is a value of its own
 * for max_downtime ("never raise the downtime limit") and deadline ("no
 * deadline"), so a domain or a migration can turn off what the daemon's
 * configuration turns on.  2000000 ms is QEMU's own downtime-limit
 * maximum.
 */
const CvgConvergenceSettingDef
    cvg_convergence_setting_table[CVG_CONV_SETTING_LAST] = {
        [CVG_CONV_SETTING_POLICY] =
            {
                .name = "policy",
                .config_key = "convergence_policy",
                .param = "convergd.policy",
                .metadata_attr = "policy",
                .param_type = CVG_TYPED_PARAM_STRING,
                .words = policy_names,
                .nwords = CVG_POLICY_LAST,
                .def = CVG_POLICY_QEMU,
                .offset = OFF(policy),
                .doc = "Convergence policy: \"qemu\" (libvirt's behaviour, "
                       "QEMU ramps its own throttle) or \"adaptive\".",
            },
        /* QEMU's own max-cpu-throttle by default: the adaptive policy
         * never throttles harder than libvirt's auto-converge can. */
        [CVG_CONV_SETTING_CEILING] =
            {
                .name = "ceiling",
                .config_key = "throttle_ceiling",
                .param = "convergd.throttle_ceiling",
                .metadata_attr = "ceiling",
                .param_type = CVG_TYPED_PARAM_INT,
                .min = 1,
                .max = 99,
                .def = 99,
                .offset = OFF(ceiling),
                .unit = "%",
                .needs_auto_converge = true,
                .doc = "Highest throttle the adaptive policy uses before "
                       "escalating.",
            },
        [CVG_CONV_SETTING_MAX_DOWNTIME] =
            {
                .name = "max_downtime",
                .config_key = "max_downtime",
                .param = "convergd.max_downtime",
                .metadata_attr = "max-downtime",
                .param_type = CVG_TYPED_PARAM_ULLONG,
                .min = 0,
                .max = 2000000,
                .def = 0,
                .offset = OFF(max_downtime_ms),
                .unit = "ms",
                .doc =
                    "Escalation may raise the downtime limit step by step up "
                    "to this; 0 (or a value not above the limit) never "
                    "raises it.",
            },
        [CVG_CONV_SETTING_DEADLINE] =
            {
                .name = "deadline",
                .config_key = "convergence_deadline",
                .param = "convergd.deadline",
                .metadata_attr = "deadline",
                .param_type = CVG_TYPED_PARAM_ULLONG,
                .min = 0,
                .max = 86400,
                .def = 0,
                .offset = OFF(deadline_s),
                .unit = "s",
                .doc = "Escalate when the migration has not converged after "
                       "this long; 0 is no deadline.",
            },
        [CVG_CONV_SETTING_ESCALATION] =
            {
                .name = "escalation",
                .config_key = "escalation",
                .param = "convergd.escalation",
                .metadata_attr = "escalation",
                .param_type = CVG_TYPED_PARAM_STRING,
                .words = escalation_names,
                .nwords = CVG_ESCALATE_LAST,
                .def = CVG_ESCALATE_NONE,
                .offset = OFF(escalation),
                .doc = "Last resort once downtime steps are used up: \"none\", "
                       "\"pause\" (stop the guest so stop-and-copy finishes), "
                       "\"abort\", or \"postcopy\" (switch to post-copy, only "
                       "with VIR_MIGRATE_POSTCOPY; see Convergence policy).",
            },
};

#undef OFF

static CvgConvergenceSettingId
setting_id(const CvgConvergenceSettingDef *def)
{
    return (CvgConvergenceSettingId)(def - cvg_convergence_setting_table);
}

const CvgConvergenceSettingDef *
cvg_convergence_setting_by_key(const char *name)
{
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        if (strcmp(cvg_convergence_setting_table[i].config_key, name) == 0)
            return &cvg_convergence_setting_table[i];
    }
    return NULL;
}

const CvgConvergenceSettingDef *
cvg_convergence_setting_by_param(const char *name)
{
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        if (strcmp(cvg_convergence_setting_table[i].param, name) == 0)
            return &cvg_convergence_setting_table[i];
    }
    return NULL;
}

/* Store @v (already checked) as @def's value and mark it given. */
static void
store(CvgConvergenceSettings *s, const CvgConvergenceSettingDef *def,
      unsigned long long v)
{
    if (def->words)
        G_STRUCT_MEMBER(int, s, def->offset) = (int)v;
    else
        G_STRUCT_MEMBER(unsigned long long, s, def->offset) = v;
    s->given |= 1U << setting_id(def);
}

void
cvg_convergence_settings_init(CvgConvergenceSettings *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++)
        store(s, &cvg_convergence_setting_table[i],
              cvg_convergence_setting_table[i].def);
    s->given = 0;
}

/* @text as @def's value (enum index or number); false if it is none. */
static bool
parse_value(const CvgConvergenceSettingDef *def, const char *text,
            unsigned long long *ret)
{
    char *end = NULL;
    unsigned long long n;
    int w;

    if (def->words) {
        if ((w = cvg_enum_from_string(def->words, def->nwords, text)) < 0)
            return false;
        *ret = (unsigned long long)w;
        return true;
    }
    if (!g_ascii_isdigit(text[0]))
        return false;
    errno = 0;
    n = g_ascii_strtoull(text, &end, 10);
    if (errno || *end || n < def->min || n > def->max)
        return false;
    *ret = n;
    return true;
}

int
cvg_convergence_setting_set_string(CvgConvergenceSettings *s,
                                   const CvgConvergenceSettingDef *def,
                                   const char *text)
{
    unsigned long long v;

    if (!text || !parse_value(def, text, &v))
        return -1;
    store(s, def, v);
    return 0;
}

char *
cvg_convergence_setting_expected(const CvgConvergenceSettingDef *def)
{
    GString *out;

    if (!def->words)
        return g_strdup_printf("%llu..%llu", def->min, def->max);
    out = g_string_new(NULL);
    for (int i = 0; i < def->nwords; i++)
        g_string_append_printf(out, "%s\"%s\"", i ? ", " : "", def->words[i]);
    return g_string_free(out, FALSE);
}

char *
cvg_convergence_setting_format(const CvgConvergenceSettings *s,
                               const CvgConvergenceSettingDef *def)
{
    if (def->words)
        return g_strdup(cvg_enum_to_string(
            def->words, def->nwords, G_STRUCT_MEMBER(int, s, def->offset)));
    return g_strdup_printf("%llu",
                           G_STRUCT_MEMBER(unsigned long long, s, def->offset));
}

/* The value of @p for @def, or false when it does not fit. */
static bool
typed_value(const CvgConvergenceSettingDef *def, const CvgTypedParam *p,
            unsigned long long *ret)
{
    unsigned long long v;

    if (p->type != def->param_type)
        return false;
    switch ((CvgTypedParamType)p->type) {
    case CVG_TYPED_PARAM_STRING:
        return p->value.s && parse_value(def, p->value.s, ret);
    case CVG_TYPED_PARAM_INT:
        if (p->value.i < 0)
            return false;
        v = (unsigned long long)p->value.i;
        break;
    case CVG_TYPED_PARAM_ULLONG:
        v = p->value.ul;
        break;
    case CVG_TYPED_PARAM_UINT:
    case CVG_TYPED_PARAM_LLONG:
    case CVG_TYPED_PARAM_DOUBLE:
    case CVG_TYPED_PARAM_BOOLEAN:
    case CVG_TYPED_PARAM_LAST:
    default:
        return false; /* no setting has these types */
    }
    if (def->words || v < def->min || v > def->max)
        return false;
    *ret = v;
    return true;
}

int
cvg_convergence_setting_check_typed(const CvgConvergenceSettingDef *def,
                                    const CvgTypedParam *p)
{
    unsigned long long v;
    g_autofree char *expected = NULL;

    if (typed_value(def, p, &v))
        return 0;
    expected = cvg_convergence_setting_expected(def);
    if (p->type == CVG_TYPED_PARAM_STRING) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("invalid value '%s' for migration parameter '%s'"),
                         p->value.s ? p->value.s : "", def->param);
    } else {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("invalid value for migration parameter '%s', "
                           "expected %s %s"),
                         def->param, cvg_typed_param_type_name(def->param_type),
                         expected);
    }
    return -1;
}

int
cvg_convergence_settings_set_typed(CvgConvergenceSettings *s,
                                   const CvgTypedParamList *params)
{
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *def = &cvg_convergence_setting_table[i];
        const CvgTypedParam *p = cvg_typed_params_find(params, def->param);
        unsigned long long v;

        if (!p)
            continue;
        if (!typed_value(def, p, &v))
            return cvg_convergence_setting_check_typed(def, p);
        store(s, def, v);
    }
    return 0;
}

void
cvg_convergence_settings_merge(CvgConvergenceSettings *s,
                               const CvgConvergenceSettings *over)
{
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        const CvgConvergenceSettingDef *def = &cvg_convergence_setting_table[i];

        if (!(over->given & (1U << i)))
            continue;
        if (def->words)
            store(s, def,
                  (unsigned long long)G_STRUCT_MEMBER(int, over, def->offset));
        else
            store(s, def,
                  G_STRUCT_MEMBER(unsigned long long, over, def->offset));
    }
}

static const CvgConvergenceSettingDef *
setting_by_attr(const char *name)
{
    for (size_t i = 0; i < CVG_CONV_SETTING_LAST; i++) {
        if (strcmp(cvg_convergence_setting_table[i].metadata_attr, name) == 0)
            return &cvg_convergence_setting_table[i];
    }
    return NULL;
}

#define metadata_error(code, ...)                                              \
    cvg_error_report_full(CVG_FROM_DOMAIN, code, __VA_ARGS__)

/* One <convergd:migration> element. */
static int
parse_metadata_element(xmlNodePtr node, CvgConvergenceSettings *s)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        const CvgConvergenceSettingDef *def = setting_by_attr(name);
        g_autofree char *value = NULL;
        g_autofree char *expected = NULL;

        /* Attributes are unqualified, as in the documented example. */
        if (a->ns || !def) {
            metadata_error(CVG_ERR_CONFIG_UNSUPPORTED,
                           _("unsupported attribute '%s' in the convergd "
                             "migration metadata"),
                           name);
            return -1;
        }
        value = cvg_xml_prop(node, name);
        if (cvg_convergence_setting_set_string(s, def, value) == 0)
            continue;
        expected = cvg_convergence_setting_expected(def);
        metadata_error(CVG_ERR_XML_ERROR,
                       _("invalid value '%s' for attribute '%s' in the "
                         "convergd migration metadata, expected %s"),
                       value ? value : "", name, expected);
        return -1;
    }
    return 0;
}

int
cvg_convergence_settings_parse_metadata(xmlNodePtr metadata,
                                        CvgConvergenceSettings *s)
{
    for (xmlNodePtr n = metadata->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || !n->ns || !n->ns->href ||
            strcmp((const char *)n->ns->href, CVG_MIGRATION_METADATA_NS) != 0 ||
            strcmp((const char *)n->name, "migration") != 0)
            continue;
        if (parse_metadata_element(n, s) < 0)
            return -1;
    }
    return 0;
}
