/*
 * domain-cpu.c: <cpu>, <clock> with its timers, <pm> and <features>
 *
 * The machine-wide settings of a domain besides memory and boot.  How QEMU
 * gets them (-cpu, -smp, -rtc, machine properties) is in
 * src/qemu/qemu-graphics.c; docs/formatdomain.rst describes them.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"

#include "cvg-enum.h"
#include "cvg-i18n.h"

#include <string.h>

static const char *const cpu_mode_names[] = {
    NULL, "custom", "host-model", "host-passthrough", "maximum",
};
G_STATIC_ASSERT(G_N_ELEMENTS(cpu_mode_names) == CVG_CPU_MODE_LAST);

static const char *const tristate_names[] = {NULL, "yes", "no"};
G_STATIC_ASSERT(G_N_ELEMENTS(tristate_names) == CVG_TRISTATE_LAST);

/* <vmport state='on|off'> */
static const char *const onoff_names[] = {NULL, "on", "off"};
G_STATIC_ASSERT(G_N_ELEMENTS(onoff_names) == CVG_TRISTATE_LAST);

static const char *const timer_names[] = {
    "rtc", "pit", "hpet", "kvmclock", "tsc", "hypervclock", NULL,
};
static const char *const tickpolicy_names[] = {
    "delay", "catchup", "merge", "discard", NULL,
};
static const char *const feature_policies[] = {
    "force", "require", "optional", "disable", "forbid", NULL,
};

const char *
cvg_cpu_mode_to_string(int mode)
{
    return cvg_enum_to_string(cpu_mode_names, CVG_CPU_MODE_LAST, mode);
}

void
cvg_dx_cpu_free(CvgDomainDef *def)
{
    CvgDomainCpu *cpu = &def->cpu;
    size_t i;

    g_free(cpu->match);
    g_free(cpu->check);
    g_free(cpu->migratable);
    g_free(cpu->model);
    g_free(cpu->fallback);
    for (i = 0; i < cpu->nfeatures; i++) {
        g_free(cpu->features[i].name);
        g_free(cpu->features[i].policy);
    }
    g_free(cpu->features);
    for (i = 0; i < def->ntimers; i++) {
        g_free(def->timers[i]->name);
        g_free(def->timers[i]->tickpolicy);
        g_free(def->timers[i]);
    }
    g_free(def->timers);
}

void
cvg_dx_cpu_copy(CvgDomainDef *copy, const CvgDomainDef *def)
{
    const CvgDomainCpu *cpu = &def->cpu;
    size_t i;

    copy->cpu.match = g_strdup(cpu->match);
    copy->cpu.check = g_strdup(cpu->check);
    copy->cpu.migratable = g_strdup(cpu->migratable);
    copy->cpu.model = g_strdup(cpu->model);
    copy->cpu.fallback = g_strdup(cpu->fallback);
    copy->cpu.features =
        cpu->nfeatures ? g_new0(CvgCpuFeature, cpu->nfeatures) : NULL;
    for (i = 0; i < cpu->nfeatures; i++) {
        copy->cpu.features[i].name = g_strdup(cpu->features[i].name);
        copy->cpu.features[i].policy = g_strdup(cpu->features[i].policy);
        copy->cpu.features[i].enable = cpu->features[i].enable;
    }
    copy->timers = def->ntimers ? g_new0(CvgDomainTimer *, def->ntimers) : NULL;
    for (i = 0; i < def->ntimers; i++) {
        copy->timers[i] = g_new0(CvgDomainTimer, 1);
        copy->timers[i]->name = g_strdup(def->timers[i]->name);
        copy->timers[i]->tickpolicy = g_strdup(def->timers[i]->tickpolicy);
        copy->timers[i]->present = def->timers[i]->present;
    }
}

/* An optional attribute from a fixed list: kept as given in *@ret. */
static int
keyword_attr(xmlNodePtr node, const char *attr, const char *const *allowed,
             char **ret)
{
    g_autofree char *value = cvg_xml_prop(node, attr);

    if (value && !cvg_dx_str_in(value, allowed))
        return cvg_dx_report_unsupported_attr_value(value, attr, node);
    g_free(*ret);
    *ret = g_steal_pointer(&value);
    return 0;
}

/* An optional attribute with @names (CvgTristate order). */
static int
tristate_attr(xmlNodePtr node, const char *attr, const char *const *names,
              int *ret)
{
    g_autofree char *value = cvg_xml_prop(node, attr);
    int v;

    *ret = CVG_TRISTATE_ABSENT;
    if (!value)
        return 0;
    if ((v = cvg_enum_from_string(names, CVG_TRISTATE_LAST, value)) < 0)
        return cvg_dx_report_invalid_attr(value, attr, node);
    *ret = v;
    return 0;
}

/* ---- <cpu> ---- */

static int
parse_cpu_model(xmlNodePtr node, CvgDomainCpu *cpu)
{
    static const char *const attrs[] = {"fallback", NULL};
    static const char *const fallbacks[] = {"allow", "forbid", NULL};
    g_autofree char *text = NULL;

    if (cvg_dx_leaf_text(node, attrs, true, &text) < 0 ||
        keyword_attr(node, "fallback", fallbacks, &cpu->fallback) < 0)
        return -1;
    if (!cvg_dx_name_is_valid(text, 64))
        return cvg_dx_report_invalid_value(text, node);
    cpu->model = g_steal_pointer(&text);
    return 0;
}

static int
parse_cpu_topology(xmlNodePtr node, CvgDomainCpu *cpu)
{
    static const char *const attrs[] = {"sockets", "dies", "cores", "threads",
                                        NULL};
    unsigned int *fields[] = {&cpu->sockets, &cpu->dies, &cpu->cores,
                              &cpu->threads};
    size_t i;

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    for (i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_autofree char *value = cvg_xml_prop(node, attrs[i]);
        unsigned long long v;

        if (!value) {
            /* dies may be left out; it is 1. */
            if (i == 1)
                continue;
            return cvg_dx_report_missing_attr(attrs[i], node);
        }
        if (cvg_dx_parse_ull(value, &v) < 0 || v < 1 || v > 255)
            return cvg_dx_report_invalid_attr(value, attrs[i], node);
        *fields[i] = v;
    }
    return 0;
}

static int
parse_cpu_feature(xmlNodePtr node, CvgDomainCpu *cpu)
{
    static const char *const attrs[] = {"policy", "name", NULL};
    g_autofree char *policy = cvg_xml_prop(node, "policy");
    g_autofree char *name = cvg_xml_prop(node, "name");
    CvgCpuFeature *f;

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!name)
        return cvg_dx_report_missing_attr("name", node);
    if (!cvg_dx_name_is_valid(name, 64))
        return cvg_dx_report_invalid_attr(name, "name", node);
    if (!policy)
        policy = g_strdup("require");
    if (!cvg_dx_str_in(policy, feature_policies))
        return cvg_dx_report_invalid_attr(policy, "policy", node);
    cpu->features = g_renew(CvgCpuFeature, cpu->features, cpu->nfeatures + 1);
    f = &cpu->features[cpu->nfeatures++];
    f->enable = strcmp(policy, "disable") != 0 && strcmp(policy, "forbid") != 0;
    f->name = g_steal_pointer(&name);
    f->policy = g_steal_pointer(&policy);
    return 0;
}

static int
parse_cpu_attrs(xmlNodePtr node, CvgDomainCpu *cpu)
{
    static const char *const attrs[] = {"mode", "match", "check", "migratable",
                                        NULL};
    static const char *const matches[] = {"minimum", "exact", "strict", NULL};
    static const char *const checks[] = {"none", "partial", "full", NULL};
    static const char *const onoff[] = {"on", "off", NULL};
    g_autofree char *mode = cvg_xml_prop(node, "mode");

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        keyword_attr(node, "match", matches, &cpu->match) < 0 ||
        keyword_attr(node, "check", checks, &cpu->check) < 0 ||
        keyword_attr(node, "migratable", onoff, &cpu->migratable) < 0)
        return -1;
    if (mode && ((cpu->mode = cvg_enum_from_string(
                      cpu_mode_names, CVG_CPU_MODE_LAST, mode)) <= 0))
        return cvg_dx_report_unsupported_attr_value(mode, "mode", node);
    return 0;
}

int
cvg_dx_parse_cpu(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const repeatable[] = {"feature", NULL};
    CvgDomainCpu *cpu = &def->cpu;
    xmlNodePtr cur;

    cpu->present = true;
    if (parse_cpu_attrs(node, cpu) < 0 ||
        cvg_dx_check_container(node, repeatable) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        int rc;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "model"))
            rc = parse_cpu_model(cur, cpu);
        else if (cvg_dx_node_is(cur, "topology"))
            rc = parse_cpu_topology(cur, cpu);
        else if (cvg_dx_node_is(cur, "feature"))
            rc = parse_cpu_feature(cur, cpu);
        else
            rc = cvg_dx_report_unsupported_element(cur);
        if (rc < 0)
            return -1;
    }
    /* As libvirt: a model without a mode is a custom CPU. */
    if (cpu->mode == CVG_CPU_MODE_NONE && cpu->model)
        cpu->mode = CVG_CPU_MODE_CUSTOM;
    if (cpu->mode == CVG_CPU_MODE_CUSTOM && !cpu->model &&
        (cpu->nfeatures || cpu->match)) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required element '%s' in element '%s'"), "model",
                   "cpu");
        return -1;
    }
    return 0;
}

int
cvg_dx_check_cpu(const CvgDomainDef *def)
{
    const CvgDomainCpu *cpu = &def->cpu;
    unsigned int dies = cpu->dies ? cpu->dies : 1;

    /* TCG cannot show the guest the host's own CPU; libvirt refuses it
     * the same way without KVM. */
    if (cpu->mode == CVG_CPU_MODE_HOST_PASSTHROUGH &&
        g_strcmp0(def->virt_type, "kvm") != 0) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("CPU mode '%s' for x86_64 qemu domain on x86_64 host is "
                     "not supported by hypervisor"),
                   "host-passthrough");
        return -1;
    }
    if (cpu->sockets &&
        (unsigned long long)cpu->sockets * dies * cpu->cores * cpu->threads !=
            def->vcpus) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("CPU topology doesn't match maximum vcpu count"));
        return -1;
    }
    return 0;
}

/* ---- <clock> ---- */

static int
parse_timer(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"name", "tickpolicy", "present", NULL};
    g_autofree char *name = cvg_xml_prop(node, "name");
    g_autofree char *tickpolicy = NULL;
    CvgDomainTimer *timer;
    int present;
    size_t i;

    if (cvg_dx_check_empty(node, attrs) < 0 ||
        keyword_attr(node, "tickpolicy", tickpolicy_names, &tickpolicy) < 0 ||
        tristate_attr(node, "present", tristate_names, &present) < 0)
        return -1;
    if (!name)
        return cvg_dx_report_missing_attr("name", node);
    if (!cvg_dx_str_in(name, timer_names))
        return cvg_dx_report_unsupported_attr_value(name, "name", node);
    /* QEMU can set a lost-tick policy for the RTC and the PIT only. */
    if (tickpolicy && strcmp(name, "rtc") != 0 && strcmp(name, "pit") != 0)
        return cvg_dx_report_unsupported_attr_value(tickpolicy, "tickpolicy",
                                                    node);
    if (strcmp(name, "hypervclock") == 0 && present == CVG_TRISTATE_YES) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("timer '%s' needs Hyper-V enlightenments, which are not "
                     "supported"),
                   name);
        return -1;
    }
    for (i = 0; i < def->ntimers; i++) {
        if (strcmp(def->timers[i]->name, name) == 0) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("timer '%s' is defined more than once"), name);
            return -1;
        }
    }
    timer = g_new0(CvgDomainTimer, 1);
    timer->name = g_steal_pointer(&name);
    timer->tickpolicy = g_steal_pointer(&tickpolicy);
    timer->present = present;
    def->timers = g_renew(CvgDomainTimer *, def->timers, def->ntimers + 1);
    def->timers[def->ntimers++] = timer;
    return 0;
}

int
cvg_dx_parse_clock(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"offset", NULL};
    static const char *const repeatable[] = {"timer", NULL};
    g_autofree char *offset = NULL;
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, repeatable) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!cvg_dx_node_is(cur, "timer"))
            return cvg_dx_report_unsupported_element(cur);
        if (parse_timer(cur, def) < 0)
            return -1;
    }
    offset = cvg_xml_prop(node, "offset");
    if (!offset)
        return 0;
    if (strcmp(offset, "utc") != 0 && strcmp(offset, "localtime") != 0)
        return cvg_dx_report_unsupported_attr_value(offset, "offset", node);
    g_free(def->clock_offset);
    def->clock_offset = g_steal_pointer(&offset);
    return 0;
}

/* ---- <pm> ---- */

int
cvg_dx_parse_pm(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"enabled", NULL};
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        int *field;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "suspend-to-mem"))
            field = &def->pm_suspend_to_mem;
        else if (cvg_dx_node_is(cur, "suspend-to-disk"))
            field = &def->pm_suspend_to_disk;
        else
            return cvg_dx_report_unsupported_element(cur);
        if (cvg_dx_check_empty(cur, attrs) < 0 ||
            tristate_attr(cur, "enabled", tristate_names, field) < 0)
            return -1;
        if (*field == CVG_TRISTATE_ABSENT)
            return cvg_dx_report_missing_attr("enabled", cur);
    }
    return 0;
}

/* ---- <features> ---- */

int
cvg_dx_parse_features(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const vmport_attrs[] = {"state", NULL};
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "vmport")) {
            if (cvg_dx_check_empty(cur, vmport_attrs) < 0 ||
                tristate_attr(cur, "state", onoff_names, &def->feature_vmport) <
                    0)
                return -1;
            if (def->feature_vmport == CVG_TRISTATE_ABSENT)
                return cvg_dx_report_missing_attr("state", cur);
            continue;
        }
        /* Hyper-V and KVM enlightenments (<hyperv>, <kvm>), <smm>,
         * <ioapic> and the rest are refused by name here. */
        if (cvg_dx_node_is(cur, "acpi"))
            def->feature_acpi = true;
        else if (cvg_dx_node_is(cur, "apic"))
            def->feature_apic = true;
        else if (cvg_dx_node_is(cur, "pae"))
            def->feature_pae = true;
        else
            return cvg_dx_report_unsupported_element(cur);
        if (cvg_dx_check_empty(cur, NULL) < 0)
            return -1;
    }
    return 0;
}

/* ---- formatting ---- */

void
cvg_dx_format_features(GString *buf, const CvgDomainDef *def)
{
    if (!def->feature_acpi && !def->feature_apic && !def->feature_pae &&
        def->feature_vmport == CVG_TRISTATE_ABSENT)
        return;
    g_string_append(buf, "  <features>\n");
    if (def->feature_acpi)
        g_string_append(buf, "    <acpi/>\n");
    if (def->feature_apic)
        g_string_append(buf, "    <apic/>\n");
    if (def->feature_pae)
        g_string_append(buf, "    <pae/>\n");
    if (def->feature_vmport != CVG_TRISTATE_ABSENT)
        g_string_append_printf(buf, "    <vmport state='%s'/>\n",
                               onoff_names[def->feature_vmport]);
    g_string_append(buf, "  </features>\n");
}

static void
format_cpu_attr(GString *buf, const char *name, const char *value)
{
    if (value)
        g_string_append_printf(buf, " %s='%s'", name, value);
}

void
cvg_dx_format_cpu(GString *buf, const CvgDomainDef *def)
{
    const CvgDomainCpu *cpu = &def->cpu;
    size_t i;

    if (!cpu->present)
        return;
    g_string_append(buf, "  <cpu");
    format_cpu_attr(buf, "mode", cpu_mode_names[cpu->mode]);
    format_cpu_attr(buf, "match", cpu->match);
    format_cpu_attr(buf, "check", cpu->check);
    format_cpu_attr(buf, "migratable", cpu->migratable);
    if (!cpu->model && !cpu->sockets && !cpu->nfeatures) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n");
    if (cpu->model) {
        g_string_append(buf, "    <model");
        format_cpu_attr(buf, "fallback", cpu->fallback);
        g_string_append_printf(buf, ">%s</model>\n", cpu->model);
    }
    if (cpu->sockets) {
        g_string_append_printf(buf, "    <topology sockets='%u'", cpu->sockets);
        if (cpu->dies)
            g_string_append_printf(buf, " dies='%u'", cpu->dies);
        g_string_append_printf(buf, " cores='%u' threads='%u'/>\n", cpu->cores,
                               cpu->threads);
    }
    for (i = 0; i < cpu->nfeatures; i++)
        g_string_append_printf(buf, "    <feature policy='%s' name='%s'/>\n",
                               cpu->features[i].policy, cpu->features[i].name);
    g_string_append(buf, "  </cpu>\n");
}

void
cvg_dx_format_clock(GString *buf, const CvgDomainDef *def)
{
    size_t i;

    g_string_append(buf, "  <clock offset='");
    cvg_xml_escape(buf, def->clock_offset ? def->clock_offset : "utc", true);
    if (!def->ntimers) {
        g_string_append(buf, "'/>\n");
        return;
    }
    g_string_append(buf, "'>\n");
    for (i = 0; i < def->ntimers; i++) {
        const CvgDomainTimer *t = def->timers[i];

        g_string_append_printf(buf, "    <timer name='%s'", t->name);
        format_cpu_attr(buf, "tickpolicy", t->tickpolicy);
        format_cpu_attr(buf, "present", tristate_names[t->present]);
        g_string_append(buf, "/>\n");
    }
    g_string_append(buf, "  </clock>\n");
}

void
cvg_dx_format_pm(GString *buf, const CvgDomainDef *def)
{
    if (!def->pm_suspend_to_mem && !def->pm_suspend_to_disk)
        return;
    g_string_append(buf, "  <pm>\n");
    if (def->pm_suspend_to_mem)
        g_string_append_printf(buf, "    <suspend-to-mem enabled='%s'/>\n",
                               tristate_names[def->pm_suspend_to_mem]);
    if (def->pm_suspend_to_disk)
        g_string_append_printf(buf, "    <suspend-to-disk enabled='%s'/>\n",
                               tristate_names[def->pm_suspend_to_disk]);
    g_string_append(buf, "  </pm>\n");
}
