/*
 * domain-net.c: <interface>
 *
 * Parsing, checking and formatting of a domain's network interfaces.  The
 * taps and the QEMU options are made in src/qemu/qemu-command.c; what the
 * elements mean is in docs/formatdomain.rst.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"

#include "cvg-enum.h"
#include "cvg-i18n.h"

#include <string.h>

static const char *const net_type_names[] = {"user", "ethernet", "bridge",
                                             "network"};
G_STATIC_ASSERT(G_N_ELEMENTS(net_type_names) == CVG_NET_TYPE_LAST);

static const char *const net_models[] = {"virtio", "e1000", "e1000e", "rtl8139",
                                         NULL};

/* The prefix of the tap names the daemon makes up (as libvirt's "vnet"):
 * such a name is runtime data, never kept in the persistent XML. */
#define AUTO_IFNAME_PREFIX "vnet"
/* Linux interface names: IFNAMSIZ (16) with the NUL. */
#define MAX_IFNAME 15

const char *
cvg_net_type_to_string(int type)
{
    return cvg_enum_to_string(net_type_names, CVG_NET_TYPE_LAST, type);
}

void
cvg_mac_format(const unsigned char mac[CVG_MAC_LEN], char out[18])
{
    g_snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
               mac[3], mac[4], mac[5]);
}

void
cvg_domain_net_free(CvgDomainNet *net)
{
    if (!net)
        return;
    g_free(net->model);
    g_free(net->bridge);
    g_free(net->network);
    g_free(net->ifname);
    cvg_dx_address_clear(&net->address);
    g_free(net);
}

CvgDomainNet *
cvg_dx_net_copy(const CvgDomainNet *net)
{
    CvgDomainNet *copy = g_new0(CvgDomainNet, 1);

    *copy = *net;
    copy->model = g_strdup(net->model);
    copy->bridge = g_strdup(net->bridge);
    copy->network = g_strdup(net->network);
    copy->ifname = g_strdup(net->ifname);
    cvg_dx_address_copy(&copy->address, &net->address);
    return copy;
}

static int
mac_parse(const char *str, unsigned char mac[CVG_MAC_LEN])
{
    unsigned int b[CVG_MAC_LEN];
    char end;
    int i;

    if (strlen(str) != 17 ||
        sscanf(str, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &end) != CVG_MAC_LEN)
        return -1;
    for (i = 0; i < CVG_MAC_LEN; i++) {
        if (!g_ascii_isxdigit(str[i * 3]) || !g_ascii_isxdigit(str[i * 3 + 1]))
            return -1;
        mac[i] = b[i];
    }
    return 0;
}

CvgDomainNet *
cvg_domain_def_find_net(const CvgDomainDef *def, const char *name)
{
    unsigned char mac[CVG_MAC_LEN];
    bool is_mac = name && mac_parse(name, mac) == 0;
    size_t i;

    for (i = 0; name && i < def->nnets; i++) {
        if (g_strcmp0(def->nets[i]->ifname, name) == 0 ||
            (is_mac && memcmp(def->nets[i]->mac, mac, CVG_MAC_LEN) == 0))
            return def->nets[i];
    }
    return NULL;
}

static int
parse_mac(xmlNodePtr node, CvgDomainNet *net)
{
    static const char *const attrs[] = {"address", NULL};
    g_autofree char *addr = cvg_xml_prop(node, "address");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!addr)
        return cvg_dx_report_missing_attr("address", node);
    if (mac_parse(addr, net->mac) < 0)
        return cvg_dx_report_invalid_attr(addr, "address", node);
    if (net->mac[0] & 1) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("expected unicast mac address, found multicast '%s'"),
                   addr);
        return -1;
    }
    return 0;
}

/* <source network= [bridge=]>: the bridge is runtime data (the live XML
 * shows it), kept from the daemon's own status XML only. */
static int
parse_net_source_network(xmlNodePtr node, CvgDomainNet *net, bool status)
{
    static const char *const attrs[] = {"network", "bridge", NULL};
    g_autofree char *network = cvg_xml_prop(node, "network");
    g_autofree char *bridge = cvg_xml_prop(node, "bridge");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!network)
        return cvg_dx_report_missing_attr("network", node);
    if (!*network || strchr(network, ':'))
        return cvg_dx_report_invalid_attr(network, "network", node);
    net->network = g_steal_pointer(&network);
    if (status && bridge && cvg_dx_name_is_valid(bridge, MAX_IFNAME))
        net->bridge = g_steal_pointer(&bridge);
    return 0;
}

static int
parse_net_source(xmlNodePtr node, CvgDomainNet *net, bool status)
{
    static const char *const attrs[] = {"bridge", NULL};
    g_autofree char *bridge = NULL;

    if (net->type == CVG_NET_TYPE_NETWORK)
        return parse_net_source_network(node, net, status);
    if (cvg_dx_check_empty(node,
                           net->type == CVG_NET_TYPE_BRIDGE ? attrs : NULL) < 0)
        return -1;
    if (!(bridge = cvg_xml_prop(node, "bridge")))
        return 0;
    if (!cvg_dx_name_is_valid(bridge, MAX_IFNAME))
        return cvg_dx_report_invalid_attr(bridge, "bridge", node);
    net->bridge = g_steal_pointer(&bridge);
    return 0;
}

static int
parse_net_target(xmlNodePtr node, CvgDomainNet *net, bool status)
{
    static const char *const attrs[] = {"dev", NULL};
    g_autofree char *dev = cvg_xml_prop(node, "dev");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!dev)
        return cvg_dx_report_missing_attr("dev", node);
    if (!cvg_dx_name_is_valid(dev, MAX_IFNAME))
        return cvg_dx_report_invalid_attr(dev, "dev", node);
    /* A name the daemon made up is runtime data, as libvirt's vnetN. */
    if (g_str_has_prefix(dev, AUTO_IFNAME_PREFIX) && !status)
        return 0;
    net->ifname = g_steal_pointer(&dev);
    return 0;
}

static int
parse_net_model(xmlNodePtr node, CvgDomainNet *net)
{
    static const char *const attrs[] = {"type", NULL};
    g_autofree char *type = cvg_xml_prop(node, "type");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!type)
        return cvg_dx_report_missing_attr("type", node);
    if (!cvg_dx_str_in(type, net_models))
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    net->model = g_steal_pointer(&type);
    return 0;
}

static int
parse_net_child(xmlNodePtr cur, CvgDomainNet *net, bool status)
{
    static const char *const alias_attrs[] = {"name", NULL};
    static const char *const boot_attrs[] = {"order", NULL};

    if (cvg_dx_node_is(cur, "mac"))
        return parse_mac(cur, net);
    if (cvg_dx_node_is(cur, "source"))
        return parse_net_source(cur, net, status);
    if (cvg_dx_node_is(cur, "target") && net->type != CVG_NET_TYPE_USER)
        return parse_net_target(cur, net, status);
    if (cvg_dx_node_is(cur, "model"))
        return parse_net_model(cur, net);
    if (cvg_dx_node_is(cur, "boot")) {
        g_autofree char *order = cvg_xml_prop(cur, "order");
        unsigned long long v;

        if (cvg_dx_check_empty(cur, boot_attrs) < 0)
            return -1;
        if (!order)
            return cvg_dx_report_missing_attr("order", cur);
        if (cvg_dx_parse_ull(order, &v) < 0 || v < 1 || v > 9999)
            return cvg_dx_report_invalid_attr(order, "order", cur);
        net->boot_order = v;
        return 0;
    }
    if (cvg_dx_node_is(cur, "address"))
        return cvg_dx_parse_address(cur, &net->address);
    if (cvg_dx_node_is(cur, "alias"))
        return cvg_dx_check_empty(cur, alias_attrs);
    return cvg_dx_report_unsupported_element(cur);
}

/* libvirt's prefix for the MACs it makes up: QEMU's OUI 52:54:00. */
static void
mac_generate(unsigned char mac[CVG_MAC_LEN])
{
    mac[0] = 0x52;
    mac[1] = 0x54;
    mac[2] = 0x00;
    mac[3] = g_random_int_range(0, 256);
    mac[4] = g_random_int_range(0, 256);
    mac[5] = g_random_int_range(0, 256);
}

CvgDomainNet *
cvg_dx_parse_net(xmlNodePtr node, bool status)
{
    static const char *const attrs[] = {"type", NULL};
    g_autoptr(CvgDomainNet) net = g_new0(CvgDomainNet, 1);
    g_autofree char *type = cvg_xml_prop(node, "type");
    bool has_mac = false;
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!type) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if ((net->type = cvg_enum_from_string(net_type_names, CVG_NET_TYPE_LAST,
                                          type)) < 0) {
        cvg_dx_report_unsupported_attr_value(type, "type", node);
        return NULL;
    }
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "mac"))
            has_mac = true;
        if (parse_net_child(cur, net, status) < 0)
            return NULL;
    }
    if (net->type == CVG_NET_TYPE_BRIDGE && !net->bridge) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required attribute '%s' in element '%s'"),
                   "bridge", "source");
        return NULL;
    }
    if (net->type == CVG_NET_TYPE_NETWORK && !net->network) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required attribute '%s' in element '%s'"),
                   "network", "source");
        return NULL;
    }
    if (net->type == CVG_NET_TYPE_ETHERNET && !net->ifname) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("interface type 'ethernet' needs the name of an "
                     "existing tap in <target dev=>"));
        return NULL;
    }
    if (!has_mac)
        mac_generate(net->mac);
    return g_steal_pointer(&net);
}

int
cvg_dx_check_nets(CvgDomainDef *def)
{
    size_t i;
    size_t j;

    for (i = 0; i < def->nnets; i++) {
        const CvgDomainNet *a = def->nets[i];

        for (j = 0; j < i; j++) {
            const CvgDomainNet *b = def->nets[j];
            char mac[18];

            if (memcmp(a->mac, b->mac, CVG_MAC_LEN) == 0) {
                cvg_mac_format(a->mac, mac);
                conf_error(CVG_ERR_XML_ERROR,
                           _("mac address '%s' is used by two interfaces"),
                           mac);
                return -1;
            }
            if (a->ifname && g_strcmp0(a->ifname, b->ifname) == 0) {
                conf_error(CVG_ERR_XML_ERROR,
                           _("target '%s' duplicated for interface"),
                           a->ifname);
                return -1;
            }
        }
        for (j = 0; a->boot_order && j < def->ndisks; j++) {
            if (def->disks[j]->boot_order == a->boot_order) {
                conf_error(CVG_ERR_XML_ERROR,
                           _("boot order '%u' used for more than one device"),
                           a->boot_order);
                return -1;
            }
        }
        if (a->boot_order && def->nboot_devs) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("per-device boot elements cannot be used together "
                         "with os/boot elements"));
            return -1;
        }
    }
    return 0;
}

static void
format_net(GString *buf, const CvgDomainNet *net, bool live)
{
    char mac[18];

    cvg_mac_format(net->mac, mac);
    g_string_append_printf(buf, "    <interface type='%s'>\n",
                           net_type_names[net->type]);
    g_string_append_printf(buf, "      <mac address='%s'/>\n", mac);
    if (net->network) {
        g_string_append(buf, "      <source network='");
        cvg_xml_escape(buf, net->network, true);
        g_string_append_c(buf, '\'');
        if (live && net->bridge)
            g_string_append_printf(buf, " bridge='%s'", net->bridge);
        g_string_append(buf, "/>\n");
    } else if (net->bridge) {
        g_string_append_printf(buf, "      <source bridge='%s'/>\n",
                               net->bridge);
    }
    if (net->ifname &&
        (live || !g_str_has_prefix(net->ifname, AUTO_IFNAME_PREFIX)))
        g_string_append_printf(buf, "      <target dev='%s'/>\n", net->ifname);
    if (net->model)
        g_string_append_printf(buf, "      <model type='%s'/>\n", net->model);
    if (net->boot_order)
        g_string_append_printf(buf, "      <boot order='%u'/>\n",
                               net->boot_order);
    cvg_dx_format_address(buf, 6, &net->address);
    g_string_append(buf, "    </interface>\n");
}

void
cvg_dx_format_nets(GString *buf, const CvgDomainDef *def, bool live)
{
    size_t i;

    for (i = 0; i < def->nnets; i++)
        format_net(buf, def->nets[i], live);
}
