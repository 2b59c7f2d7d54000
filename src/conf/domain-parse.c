/*
 * domain-parse.c: parse domain XML into a CvgDomainDef
 *
 * The parser walks the tree element by element.  Every element and
 * attribute it meets is either understood and kept, accepted as runtime-only
 * data that the daemon regenerates (root id, pty paths, aliases), accepted as
 * a spelled-out default (isa-serial, /machine) or refused: nothing is
 * dropped silently.  docs/formatdomain.rst is the user-facing description.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VCPUS 255
/* QEMU's x86 machines have four ISA serial ports. */
#define MAX_SERIAL_PORTS 4

static xmlDoc *
domain_xml_read(const char *xml)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *error = NULL;
    CvgXmlReadStatus status;

    doc = cvg_xml_read_untrusted(xml, strlen(xml), "domain_definition", &status,
                                 &error);
    switch (status) {
    case CVG_XML_READ_TOO_LARGE:
        conf_error(CVG_ERR_XML_ERROR, _("domain XML is too large"));
        return NULL;
    case CVG_XML_READ_NO_PARSER:
        conf_error(CVG_ERR_INTERNAL_ERROR,
                   _("cannot create an XML parser context"));
        return NULL;
    case CVG_XML_READ_DOCTYPE:
        conf_error(
            CVG_ERR_XML_ERROR,
            _("document type declarations are not allowed in domain XML"));
        return NULL;
    case CVG_XML_READ_MALFORMED:
    case CVG_XML_READ_OK:
        break;
    }
    /* Any error refuses the document, even one that leaves it well-formed
     * (an undeclared namespace prefix). */
    if (error) {
        conf_error(CVG_ERR_XML_DETAIL, _("(domain_definition):%s"), error);
        return NULL;
    }
    if (!doc) {
        conf_error(CVG_ERR_XML_DETAIL,
                   _("(domain_definition): failed to parse the document"));
        return NULL;
    }
    return g_steal_pointer(&doc);
}

/* The element's name as written, with its namespace prefix if any. */
static char *
node_display_name(xmlNodePtr node)
{
    if (node->ns && node->ns->prefix)
        return g_strdup_printf("%s:%s", node->ns->prefix, node->name);
    return g_strdup((const char *)node->name);
}

bool
cvg_dx_node_is(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && !node->ns &&
           xmlStrEqual(node->name, (const xmlChar *)name);
}

bool
cvg_dx_str_in(const char *str, const char *const *list)
{
    size_t i;

    for (i = 0; list && list[i]; i++) {
        if (strcmp(str, list[i]) == 0)
            return true;
    }
    return false;
}

int
cvg_dx_report_unsupported_element(xmlNodePtr node)
{
    g_autofree char *name = node_display_name(node);

    conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
               _("unsupported element '%s' in element '%s'"), name,
               (const char *)node->parent->name);
    return -1;
}

/* Refuse any attribute of @node not in the NULL-terminated @allowed. */
int
cvg_dx_check_attrs(xmlNodePtr node, const char *const *allowed)
{
    xmlAttrPtr attr;

    for (attr = node->properties; attr; attr = attr->next) {
        if (attr->ns || !cvg_dx_str_in((const char *)attr->name, allowed)) {
            g_autofree char *name = NULL;

            if (attr->ns && attr->ns->prefix)
                name = g_strdup_printf("%s:%s", attr->ns->prefix, attr->name);
            else
                name = g_strdup((const char *)attr->name);
            conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                       _("unsupported attribute '%s' in element '%s'"), name,
                       (const char *)node->name);
            return -1;
        }
    }
    return 0;
}

static bool
text_is_blank(const xmlChar *text)
{
    const char *p;

    for (p = (const char *)text; p && *p; p++) {
        if (!g_ascii_isspace(*p))
            return false;
    }
    return true;
}

/*
 * Check the children of container element @node: text between elements
 * must be blank, and an element not named in @repeatable may appear once.
 * Comments and processing instructions are ignored.  The caller refuses the
 * element names it does not know.
 */
int
cvg_dx_check_container(xmlNodePtr node, const char *const *repeatable)
{
    xmlNodePtr cur;
    xmlNodePtr prev;

    for (cur = node->children; cur; cur = cur->next) {
        switch (cur->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!text_is_blank(cur->content)) {
                g_autofree char *text = g_strdup((const char *)cur->content);

                conf_error(CVG_ERR_XML_ERROR,
                           _("unexpected text '%s' in element '%s'"),
                           g_strstrip(text), (const char *)node->name);
                return -1;
            }
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_ELEMENT_NODE:
            if (cur->ns || cvg_dx_str_in((const char *)cur->name, repeatable))
                break;
            for (prev = node->children; prev != cur; prev = prev->next) {
                if (cvg_dx_node_is(prev, (const char *)cur->name)) {
                    conf_error(CVG_ERR_XML_ERROR,
                               _("element '%s' appears more than once in "
                                 "element '%s'"),
                               (const char *)cur->name,
                               (const char *)node->name);
                    return -1;
                }
            }
            break;
        default:
            conf_error(CVG_ERR_XML_ERROR,
                       _("unexpected content in element '%s'"),
                       (const char *)node->name);
            return -1;
        }
    }
    return 0;
}

/*
 * The text of leaf element @node, whose attributes must be in @attrs.
 * With @trim, surrounding whitespace is removed (numbers, keywords).
 */
int
cvg_dx_leaf_text(xmlNodePtr node, const char *const *attrs, bool trim,
                 char **ret_text)
{
    xmlNodePtr cur;
    char *text;

    if (cvg_dx_check_attrs(node, attrs) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        switch (cur->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_ELEMENT_NODE:
            return cvg_dx_report_unsupported_element(cur);
        default:
            conf_error(CVG_ERR_XML_ERROR,
                       _("unexpected content in element '%s'"),
                       (const char *)node->name);
            return -1;
        }
    }
    text = cvg_xml_content(node);
    if (trim)
        g_strstrip(text);
    *ret_text = text;
    return 0;
}

/* An element that only states something by being there, like <acpi/>. */
int
cvg_dx_check_empty(xmlNodePtr node, const char *const *attrs)
{
    g_autofree char *text = NULL;

    if (cvg_dx_leaf_text(node, attrs, true, &text) < 0)
        return -1;
    if (*text) {
        conf_error(CVG_ERR_XML_ERROR, _("unexpected text '%s' in element '%s'"),
                   text, (const char *)node->name);
        return -1;
    }
    return 0;
}

int
cvg_dx_report_invalid_value(const char *value, xmlNodePtr node)
{
    conf_error(CVG_ERR_XML_ERROR, _("invalid value '%s' for element '%s'"),
               value, (const char *)node->name);
    return -1;
}

int
cvg_dx_report_invalid_attr(const char *value, const char *attr, xmlNodePtr node)
{
    conf_error(CVG_ERR_XML_ERROR,
               _("invalid value '%s' for attribute '%s' of element '%s'"),
               value, attr, (const char *)node->name);
    return -1;
}

int
cvg_dx_report_unsupported_attr_value(const char *value, const char *attr,
                                     xmlNodePtr node)
{
    conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
               _("unsupported value '%s' for attribute '%s' of element '%s'"),
               value, attr, (const char *)node->name);
    return -1;
}

int
cvg_dx_report_missing_attr(const char *attr, xmlNodePtr node)
{
    conf_error(CVG_ERR_XML_ERROR,
               _("missing required attribute '%s' in element '%s'"), attr,
               (const char *)node->name);
    return -1;
}

/* A decimal number without sign; -1 (nothing reported) if not one. */
int
cvg_dx_parse_ull(const char *str, unsigned long long *ret_value)
{
    const char *p;
    unsigned long long v;
    char *end = NULL;

    if (!*str)
        return -1;
    for (p = str; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return -1;
    }
    errno = 0;
    v = g_ascii_strtoull(str, &end, 10);
    if (errno != 0 || *end)
        return -1;
    *ret_value = v;
    return 0;
}

/* A path the daemon hands to QEMU: absolute, since QEMU's working
 * directory is not the client's. */
int
cvg_dx_check_path(const char *path, xmlNodePtr node)
{
    if (!g_path_is_absolute(path)) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("path '%s' in element '%s' is not absolute"), path,
                   (const char *)node->name);
        return -1;
    }
    return 0;
}

/*
 * Bytes per unit, as libvirt reads the 'unit' attribute: "b"/"bytes",
 * then k, M, G, T, P, E alone or with "iB" (powers of 1024) or with "B"
 * (powers of 1000), case-insensitively.  No unit means KiB.
 */
static int
memory_unit_scale(const char *unit, unsigned long long *ret_scale)
{
    static const char prefixes[] = "kmgtpe";
    const char *p;
    unsigned long long base;
    unsigned long long scale = 1;
    int i;

    if (!unit) {
        *ret_scale = 1024;
        return 0;
    }
    if (g_ascii_strcasecmp(unit, "b") == 0 ||
        g_ascii_strcasecmp(unit, "byte") == 0 ||
        g_ascii_strcasecmp(unit, "bytes") == 0) {
        *ret_scale = 1;
        return 0;
    }
    if (!*unit || !(p = strchr(prefixes, g_ascii_tolower(unit[0]))))
        return -1;
    if (!unit[1] || g_ascii_strcasecmp(unit + 1, "iB") == 0)
        base = 1024;
    else if (g_ascii_strcasecmp(unit + 1, "B") == 0)
        base = 1000;
    else
        return -1;
    for (i = 0; i <= p - prefixes; i++)
        scale *= base;
    *ret_scale = scale;
    return 0;
}

/* <memory> or <currentMemory>: a size in @unit, returned in KiB rounded up.
 * With @nonzero, zero is refused. */
static int
parse_memory(xmlNodePtr node, bool nonzero, unsigned long long *ret_kib)
{
    static const char *const attrs[] = {"unit", NULL};
    g_autofree char *text = NULL;
    g_autofree char *unit = NULL;
    unsigned long long value;
    unsigned long long scale;

    if (cvg_dx_leaf_text(node, attrs, true, &text) < 0)
        return -1;
    unit = cvg_xml_prop(node, "unit");
    if (memory_unit_scale(unit, &scale) < 0)
        return cvg_dx_report_invalid_attr(unit, "unit", node);
    if (!*text || strspn(text, "0123456789") != strlen(text) ||
        (nonzero && strspn(text, "0") == strlen(text)))
        return cvg_dx_report_invalid_value(text, node);
    /* QEMU sizes are 64-bit signed byte counts in places; stay below. */
    if (cvg_dx_parse_ull(text, &value) < 0 || value > G_MAXINT64 / scale) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("value '%s' of element '%s' is too large for unit '%s'"),
                   text, (const char *)node->name, unit ? unit : "KiB");
        return -1;
    }
    value *= scale;
    value = value / 1024 + (value % 1024 ? 1 : 0);
    /* Rounding up to KiB must not produce what we could not read back. */
    if (value > G_MAXINT64 / 1024) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("value '%s' of element '%s' is too large for unit '%s'"),
                   text, (const char *)node->name, unit ? unit : "KiB");
        return -1;
    }
    *ret_kib = value;
    return 0;
}

static int
parse_vcpu(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"placement", "current", NULL};
    g_autofree char *text = NULL;
    g_autofree char *placement = NULL;
    g_autofree char *current = NULL;
    unsigned long long value;

    if (cvg_dx_leaf_text(node, attrs, true, &text) < 0)
        return -1;
    if (cvg_dx_parse_ull(text, &value) < 0 || value < 1)
        return cvg_dx_report_invalid_value(text, node);
    if (value > MAX_VCPUS) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("vcpu count '%s' exceeds the maximum of %d"), text,
                   MAX_VCPUS);
        return -1;
    }
    placement = cvg_xml_prop(node, "placement");
    if (placement && strcmp(placement, "static") != 0)
        return cvg_dx_report_unsupported_attr_value(placement, "placement",
                                                    node);
    /* All vcpus are always online; current='N' is only the same fact. */
    current = cvg_xml_prop(node, "current");
    if (current) {
        unsigned long long cur;

        g_strstrip(current);
        if (cvg_dx_parse_ull(current, &cur) < 0)
            return cvg_dx_report_invalid_attr(current, "current", node);
        if (cur != value)
            return cvg_dx_report_unsupported_attr_value(current, "current",
                                                        node);
    }
    def->vcpus = value;
    return 0;
}

/* Machine types, CPU models, channel and tap names end up in QEMU options
 * and paths: keep them plain. */
bool
cvg_dx_name_is_valid(const char *name, size_t max)
{
    const char *p;

    if (!*name || (max && strlen(name) > max))
        return false;
    for (p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
            return false;
    }
    return true;
}

static int
parse_os_type(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"arch", "machine", NULL};
    g_autofree char *text = NULL;
    g_autofree char *arch = NULL;
    g_autofree char *machine = NULL;

    if (cvg_dx_leaf_text(node, attrs, true, &text) < 0)
        return -1;
    if (strcmp(text, "hvm") != 0) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("unsupported value '%s' for element '%s'"), text,
                   (const char *)node->name);
        return -1;
    }
    arch = cvg_xml_prop(node, "arch");
    if (arch && strcmp(arch, "x86_64") != 0)
        return cvg_dx_report_unsupported_attr_value(arch, "arch", node);
    machine = cvg_xml_prop(node, "machine");
    if (machine && !cvg_dx_name_is_valid(machine, 0))
        return cvg_dx_report_invalid_attr(machine, "machine", node);

    def->os_type = g_steal_pointer(&text);
    def->os_arch = g_strdup("x86_64");
    def->os_machine = g_steal_pointer(&machine);
    return 0;
}

static int
parse_os(xmlNodePtr node, CvgDomainDef *def)
{
    xmlNodePtr cur;

    static const char *const repeatable[] = {"boot", NULL};

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, repeatable) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        g_autofree char *text = NULL;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "type")) {
            if (parse_os_type(cur, def) < 0)
                return -1;
        } else if (cvg_dx_node_is(cur, "kernel") ||
                   cvg_dx_node_is(cur, "initrd")) {
            if (cvg_dx_leaf_text(cur, NULL, false, &text) < 0 ||
                cvg_dx_check_path(text, cur) < 0)
                return -1;
            if (cvg_dx_node_is(cur, "kernel"))
                def->os_kernel = g_steal_pointer(&text);
            else
                def->os_initrd = g_steal_pointer(&text);
        } else if (cvg_dx_node_is(cur, "boot")) {
            if (cvg_dx_parse_os_boot(cur, def) < 0)
                return -1;
        } else if (cvg_dx_node_is(cur, "cmdline")) {
            if (cvg_dx_leaf_text(cur, NULL, false, &text) < 0)
                return -1;
            /* An empty command line is no command line. */
            if (*text)
                def->os_cmdline = g_steal_pointer(&text);
        } else {
            return cvg_dx_report_unsupported_element(cur);
        }
    }
    if (!def->os_type) {
        conf_error(CVG_ERR_XML_ERROR, _("missing required element '%s'"),
                   "os/type");
        return -1;
    }
    if (def->nboot_devs && def->os_kernel) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("elements '%s' and '%s' cannot be used together"),
                   "os/boot", "os/kernel");
        return -1;
    }
    return 0;
}

static int
parse_lifecycle(xmlNodePtr node, int *ret_action)
{
    g_autofree char *text = NULL;
    int action;

    if (cvg_dx_leaf_text(node, NULL, true, &text) < 0)
        return -1;
    if ((action = cvg_domain_lifecycle_action_from_string(text)) < 0)
        return cvg_dx_report_invalid_value(text, node);
    /* A core dump is an answer to a crash only. */
    if ((action == CVG_DOMAIN_LIFECYCLE_COREDUMP_DESTROY ||
         action == CVG_DOMAIN_LIFECYCLE_COREDUMP_RESTART) &&
        !cvg_dx_node_is(node, "on_crash")) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("unsupported value '%s' for element '%s'"), text,
                   (const char *)node->name);
        return -1;
    }
    *ret_action = action;
    return 0;
}

/* libvirt prints <resource><partition>/machine</partition></resource>, the
 * default partition; that is accepted, any other placement is refused. */
static int
parse_resource(xmlNodePtr node)
{
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        g_autofree char *text = NULL;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!cvg_dx_node_is(cur, "partition"))
            return cvg_dx_report_unsupported_element(cur);
        if (cvg_dx_leaf_text(cur, NULL, true, &text) < 0)
            return -1;
        if (strcmp(text, "/machine") != 0) {
            conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                       _("unsupported value '%s' for element '%s'"), text,
                       (const char *)cur->name);
            return -1;
        }
    }
    return 0;
}

/*
 * Serialize <metadata> verbatim.  A copy in a document of its own is dumped
 * so that namespaces declared on ancestors (say on <domain>) are declared in
 * the text, which then stands alone.
 */
static int
parse_metadata(xmlNodePtr node, CvgDomainDef *def)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
    g_autoptr(xmlBuffer) buf = xmlBufferCreate();
    xmlNodePtr copy;

    /* The convergd settings in it are checked now, not when a migration
     * needs them. */
    if (cvg_convergence_settings_parse_metadata(node, &def->convergence) < 0)
        return -1;
    if (!doc || !buf || !(copy = xmlDocCopyNode(node, doc, 1))) {
        conf_error(CVG_ERR_INTERNAL_ERROR, _("cannot copy element '%s'"),
                   "metadata");
        return -1;
    }
    /* The copy declares on itself the namespaces it uses from outside
     * (xmlStaticCopyNode does that); xmlReconciliateNs would also hoist the
     * inner declarations, so it is not called. */
    xmlDocSetRootElement(doc, copy);
    if (xmlNodeDump(buf, doc, copy, 0, 0) < 0) {
        conf_error(CVG_ERR_INTERNAL_ERROR, _("cannot serialize element '%s'"),
                   "metadata");
        return -1;
    }
    def->metadata = g_strdup((const char *)xmlBufferContent(buf));
    return 0;
}

static int
parse_chr_port(xmlNodePtr node, int *ret_port)
{
    g_autofree char *port = cvg_xml_prop(node, "port");
    unsigned long long value;

    if (!port)
        return 0;
    g_strstrip(port);
    if (cvg_dx_parse_ull(port, &value) < 0 || value > G_MAXINT)
        return cvg_dx_report_invalid_attr(port, "port", node);
    if (value >= MAX_SERIAL_PORTS)
        return cvg_dx_report_unsupported_attr_value(port, "port", node);
    *ret_port = value;
    return 0;
}

/* <target> of a <serial>: port, and the x86 default type spelled out. */
static int
parse_serial_target(xmlNodePtr node, int *ret_port)
{
    static const char *const attrs[] = {"type", "port", NULL};
    static const char *const model_attrs[] = {"name", NULL};
    g_autofree char *type = cvg_xml_prop(node, "type");
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return -1;
    if (type && strcmp(type, "isa-serial") != 0)
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    for (cur = node->children; cur; cur = cur->next) {
        g_autofree char *name = NULL;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!cvg_dx_node_is(cur, "model"))
            return cvg_dx_report_unsupported_element(cur);
        if (cvg_dx_check_empty(cur, model_attrs) < 0)
            return -1;
        name = cvg_xml_prop(cur, "name");
        if (!name)
            return cvg_dx_report_missing_attr("name", cur);
        if (strcmp(name, "isa-serial") != 0)
            return cvg_dx_report_unsupported_attr_value(name, "name", cur);
    }
    return parse_chr_port(node, ret_port);
}

/* <target> of a <console>: only a serial port can be a console here. */
static int
parse_console_target(xmlNodePtr node, int *ret_port)
{
    static const char *const attrs[] = {"type", "port", NULL};
    g_autofree char *type = cvg_xml_prop(node, "type");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (type && strcmp(type, "serial") != 0)
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    return parse_chr_port(node, ret_port);
}

/*
 * <serial> or <console>.  *ret_port is -1 when no port was given.
 * The pty path, the console's tty attribute and the alias are runtime data
 * the daemon assigns; they are accepted and not kept, except that with
 * @status (the daemon's own status XML) the pty path is kept.
 */
static CvgDomainChr *
parse_chr(xmlNodePtr node, bool console, bool status, int *ret_port)
{
    static const char *const serial_attrs[] = {"type", NULL};
    static const char *const console_attrs[] = {"type", "tty", NULL};
    static const char *const source_attrs[] = {"path", NULL};
    static const char *const alias_attrs[] = {"name", NULL};
    g_autoptr(CvgDomainChr) chr = g_new0(CvgDomainChr, 1);
    g_autofree char *type = NULL;
    xmlNodePtr cur;
    int port = -1;

    if (cvg_dx_check_attrs(node, console ? console_attrs : serial_attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!(type = cvg_xml_prop(node, "type"))) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if (strcmp(type, "pty") == 0) {
        chr->type = CVG_CHR_TYPE_PTY;
    } else if (strcmp(type, "file") == 0) {
        chr->type = CVG_CHR_TYPE_FILE;
    } else {
        cvg_dx_report_unsupported_attr_value(type, "type", node);
        return NULL;
    }

    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "source")) {
            if (cvg_dx_check_empty(cur, source_attrs) < 0)
                return NULL;
            if (chr->type == CVG_CHR_TYPE_PTY && status) {
                g_free(chr->path);
                chr->path = cvg_xml_prop(cur, "path");
            } else if (chr->type == CVG_CHR_TYPE_FILE) {
                if (!(chr->path = cvg_xml_prop(cur, "path"))) {
                    cvg_dx_report_missing_attr("path", cur);
                    return NULL;
                }
                if (cvg_dx_check_path(chr->path, cur) < 0)
                    return NULL;
            }
        } else if (cvg_dx_node_is(cur, "target")) {
            if (console ? parse_console_target(cur, &port) < 0
                        : parse_serial_target(cur, &port) < 0)
                return NULL;
        } else if (cvg_dx_node_is(cur, "alias")) {
            if (cvg_dx_check_empty(cur, alias_attrs) < 0)
                return NULL;
        } else {
            cvg_dx_report_unsupported_element(cur);
            return NULL;
        }
    }
    if (chr->type == CVG_CHR_TYPE_FILE && !chr->path) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required element '%s' in element '%s'"), "source",
                   (const char *)node->name);
        return NULL;
    }
    *ret_port = port;
    return g_steal_pointer(&chr);
}

/* Append *@chr to the list, which takes it over. */
static void
chr_list_add(CvgDomainChr ***list, size_t *n, CvgDomainChr **chr)
{
    *list = g_renew(CvgDomainChr *, *list, *n + 1);
    (*list)[(*n)++] = g_steal_pointer(chr);
}

/* Ports, and the agreement between a console and the serial it shows. */
static int
check_chr_ports(CvgDomainDef *def)
{
    size_t i;
    size_t j;

    for (i = 0; i < def->nserials; i++) {
        for (j = 0; j < i; j++) {
            if (def->serials[i]->port == def->serials[j]->port) {
                conf_error(CVG_ERR_XML_ERROR,
                           _("serial port %d is defined more than once"),
                           def->serials[i]->port);
                return -1;
            }
        }
    }
    if (def->nconsoles > 1) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("only one element '%s' is supported"), "console");
        return -1;
    }
    /* A console shows a serial port.  Without <serial> elements it defines
     * that port itself; with them it must show one of them, the same way. */
    for (i = 0; i < def->nconsoles && def->nserials; i++) {
        const CvgDomainChr *con = def->consoles[i];
        const CvgDomainChr *ser = NULL;

        for (j = 0; j < def->nserials; j++) {
            if (def->serials[j]->port == con->port)
                ser = def->serials[j];
        }
        if (!ser) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("console shows serial port %d, which is not defined"),
                       con->port);
            return -1;
        }
        if (ser->type != con->type || (con->type == CVG_CHR_TYPE_FILE &&
                                       strcmp(ser->path, con->path) != 0)) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("console and serial port %d must have the same type "
                         "and source"),
                       con->port);
            return -1;
        }
    }
    return 0;
}

static int
parse_devices(xmlNodePtr node, CvgDomainDef *def, bool status)
{
    static const char *const repeatable[] = {
        "serial", "console", "disk",  "controller", "interface", "graphics",
        "video",  "input",   "sound", "rng",        "channel",   NULL,
    };
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, repeatable) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "emulator")) {
            g_autofree char *text = NULL;

            if (cvg_dx_leaf_text(cur, NULL, false, &text) < 0 ||
                cvg_dx_check_path(text, cur) < 0)
                return -1;
            def->emulator = g_steal_pointer(&text);
        } else if (cvg_dx_node_is(cur, "serial")) {
            g_autoptr(CvgDomainChr) chr = NULL;
            int port;
            size_t i;

            if (!(chr = parse_chr(cur, false, status, &port)))
                return -1;
            /* Like libvirt: a serial without a port takes the one after
             * the highest port so far. */
            if (port < 0) {
                for (i = 0; i < def->nserials; i++)
                    port = MAX(port, def->serials[i]->port);
                port++;
                if (port >= MAX_SERIAL_PORTS) {
                    conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                               _("no free serial port for element '%s'; at "
                                 "most %d are supported"),
                               "serial", MAX_SERIAL_PORTS);
                    return -1;
                }
            }
            chr->port = port;
            chr_list_add(&def->serials, &def->nserials, &chr);
        } else if (cvg_dx_node_is(cur, "console")) {
            g_autoptr(CvgDomainChr) chr = NULL;
            int port;

            if (!(chr = parse_chr(cur, true, status, &port)))
                return -1;
            chr->port = MAX(port, 0);
            chr_list_add(&def->consoles, &def->nconsoles, &chr);
        } else if (cvg_dx_node_is(cur, "disk")) {
            CvgDomainDisk *disk = cvg_dx_parse_disk(cur);

            if (!disk)
                return -1;
            def->disks = g_renew(CvgDomainDisk *, def->disks, def->ndisks + 1);
            def->disks[def->ndisks++] = disk;
        } else if (cvg_dx_node_is(cur, "controller")) {
            CvgDomainController *ctrl = cvg_dx_parse_controller(cur);

            if (!ctrl)
                return -1;
            def->controllers = g_renew(CvgDomainController *, def->controllers,
                                       def->ncontrollers + 1);
            def->controllers[def->ncontrollers++] = ctrl;
        } else if (cvg_dx_node_is(cur, "interface")) {
            CvgDomainNet *net = cvg_dx_parse_net(cur, status);

            if (!net)
                return -1;
            def->nets = g_renew(CvgDomainNet *, def->nets, def->nnets + 1);
            def->nets[def->nnets++] = net;
        } else if (cvg_dx_parse_misc_device(cur, def, status) < 0) {
            return -1;
        }
    }
    if (cvg_dx_check_disks(def) < 0 || cvg_dx_check_nets(def) < 0 ||
        cvg_dx_check_misc(def) < 0)
        return -1;
    return check_chr_ports(def);
}

static int
parse_name(xmlNodePtr node, CvgDomainDef *def)
{
    g_autofree char *text = NULL;

    if (cvg_dx_leaf_text(node, NULL, false, &text) < 0)
        return -1;
    if (!*text)
        return cvg_dx_report_invalid_value(text, node);
    if (strchr(text, '/')) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("domain name '%s' must not contain '/'"), text);
        return -1;
    }
    def->name = g_steal_pointer(&text);
    return 0;
}

static int
parse_domain_child(xmlNodePtr cur, CvgDomainDef *def, unsigned int flags,
                   bool *has_current)
{
    g_autofree char *text = NULL;

    if (cvg_dx_node_is(cur, "name"))
        return parse_name(cur, def);
    if (cvg_dx_node_is(cur, "uuid")) {
        if (cvg_dx_leaf_text(cur, NULL, true, &text) < 0)
            return -1;
        if (cvg_uuid_parse(text, def->uuid) < 0)
            return cvg_dx_report_invalid_value(text, cur);
        return 0;
    }
    if (cvg_dx_node_is(cur, "title")) {
        if (cvg_dx_leaf_text(cur, NULL, false, &text) < 0)
            return -1;
        if (strpbrk(text, "\r\n")) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("element '%s' must not contain newlines"), "title");
            return -1;
        }
        if (*text)
            def->title = g_steal_pointer(&text);
        return 0;
    }
    if (cvg_dx_node_is(cur, "description")) {
        if (cvg_dx_leaf_text(cur, NULL, false, &text) < 0)
            return -1;
        if (*text)
            def->description = g_steal_pointer(&text);
        return 0;
    }
    if (cvg_dx_node_is(cur, "metadata"))
        return parse_metadata(cur, def);
    if (cvg_dx_node_is(cur, "memory"))
        return parse_memory(cur, true, &def->memory_kib);
    if (cvg_dx_node_is(cur, "currentMemory")) {
        *has_current = true;
        return parse_memory(cur, false, &def->current_memory_kib);
    }
    if (cvg_dx_node_is(cur, "vcpu"))
        return parse_vcpu(cur, def);
    if (cvg_dx_node_is(cur, "os"))
        return parse_os(cur, def);
    if (cvg_dx_node_is(cur, "features"))
        return cvg_dx_parse_features(cur, def);
    if (cvg_dx_node_is(cur, "cpu"))
        return cvg_dx_parse_cpu(cur, def);
    if (cvg_dx_node_is(cur, "clock"))
        return cvg_dx_parse_clock(cur, def);
    if (cvg_dx_node_is(cur, "pm"))
        return cvg_dx_parse_pm(cur, def);
    if (cvg_dx_node_is(cur, "on_poweroff"))
        return parse_lifecycle(cur, &def->on_poweroff);
    if (cvg_dx_node_is(cur, "on_reboot"))
        return parse_lifecycle(cur, &def->on_reboot);
    if (cvg_dx_node_is(cur, "on_crash"))
        return parse_lifecycle(cur, &def->on_crash);
    if (cvg_dx_node_is(cur, "resource"))
        return parse_resource(cur);
    if (cvg_dx_node_is(cur, "devices"))
        return parse_devices(cur, def, !!(flags & CVG_DOMAIN_DEF_PARSE_STATUS));
    return cvg_dx_report_unsupported_element(cur);
}

static CvgDomainDef *
parse_domain(xmlNodePtr root, unsigned int flags)
{
    static const char *const attrs[] = {"type", "id", NULL};
    g_autoptr(CvgDomainDef) def = g_new0(CvgDomainDef, 1);
    bool has_uuid = false;
    bool has_current = false;
    xmlNodePtr cur;

    if (!cvg_dx_node_is(root, "domain")) {
        g_autofree char *name = node_display_name(root);

        conf_error(CVG_ERR_XML_ERROR,
                   _("unexpected root element '%s', expecting 'domain'"), name);
        return NULL;
    }
    /* id is the runtime id of a running domain: accepted, not kept. */
    if (cvg_dx_check_attrs(root, attrs) < 0 ||
        cvg_dx_check_container(root, NULL) < 0)
        return NULL;
    if (!(def->virt_type = cvg_xml_prop(root, "type"))) {
        cvg_dx_report_missing_attr("type", root);
        return NULL;
    }
    if (strcmp(def->virt_type, "qemu") != 0 &&
        strcmp(def->virt_type, "kvm") != 0) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("unsupported domain type '%s'"), def->virt_type);
        return NULL;
    }

    def->vcpus = 1;
    cvg_convergence_settings_init(&def->convergence);
    def->clock_offset = g_strdup("utc");
    def->on_poweroff = CVG_DOMAIN_LIFECYCLE_DESTROY;
    def->on_reboot = CVG_DOMAIN_LIFECYCLE_RESTART;
    def->on_crash = CVG_DOMAIN_LIFECYCLE_DESTROY;

    for (cur = root->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "uuid"))
            has_uuid = true;
        if (parse_domain_child(cur, def, flags, &has_current) < 0)
            return NULL;
    }

    if (!def->name) {
        conf_error(CVG_ERR_XML_ERROR, _("missing required element '%s'"),
                   "name");
        return NULL;
    }
    if (!def->memory_kib) {
        conf_error(CVG_ERR_XML_ERROR, _("missing required element '%s'"),
                   "memory");
        return NULL;
    }
    if (!def->os_type) {
        conf_error(CVG_ERR_XML_ERROR, _("missing required element '%s'"), "os");
        return NULL;
    }
    /* As libvirt: no (or zero) current memory means all of it, and more
     * than the maximum is clamped to it. */
    if (!has_current || def->current_memory_kib == 0 ||
        def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    if (cvg_dx_check_cpu(def) < 0)
        return NULL;
    if (!has_uuid)
        cvg_uuid_generate(def->uuid);
    return g_steal_pointer(&def);
}

CvgDomainDef *
cvg_domain_def_parse_string(const char *xml, unsigned int flags)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;

    cvg_check_flags(flags, CVG_DOMAIN_DEF_PARSE_STATUS, NULL);
    if (!(doc = domain_xml_read(xml ? xml : "")))
        return NULL;
    if (!(root = xmlDocGetRootElement(doc))) {
        conf_error(CVG_ERR_XML_ERROR, _("missing required element '%s'"),
                   "domain");
        return NULL;
    }
    return parse_domain(root, flags);
}
