/*
 * domain-device.c: <disk>, <controller>, <address> and <os><boot>
 *
 * Parsing, checking and formatting of the storage part of a domain.  The
 * QEMU command line for it is built in src/qemu/qemu-command.c; what the
 * elements mean is in docs/formatdomain.rst.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"

#include "cvg-enum.h"
#include "cvg-i18n.h"

#include <string.h>

/* ---- enum tables: the XML names themselves ---- */

static const char *const disk_type_names[] = {"file", "block"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_type_names) == CVG_DISK_TYPE_LAST);
static const char *const disk_device_names[] = {"disk", "cdrom"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_device_names) == CVG_DISK_DEVICE_LAST);
static const char *const disk_bus_names[] = {"virtio", "sata", "scsi", "ide"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_bus_names) == CVG_DISK_BUS_LAST);
/* The target name prefix of each bus, as libvirt names disks. */
static const char *const disk_bus_prefixes[] = {"vd", "sd", "sd", "hd"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_bus_prefixes) == CVG_DISK_BUS_LAST);
static const char *const disk_format_names[] = {"raw", "qcow2"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_format_names) == CVG_DISK_FORMAT_LAST);
static const char *const disk_cache_names[] = {
    "default", "none", "writethrough", "writeback", "directsync", "unsafe",
};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_cache_names) == CVG_DISK_CACHE_LAST);
static const char *const disk_discard_names[] = {"default", "unmap", "ignore"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_discard_names) == CVG_DISK_DISCARD_LAST);
static const char *const disk_io_names[] = {"default", "threads", "native",
                                            "io_uring"};
G_STATIC_ASSERT(G_N_ELEMENTS(disk_io_names) == CVG_DISK_IO_LAST);
static const char *const controller_type_names[] = {
    "scsi", "sata", "ide", "pci", "usb", "virtio-serial",
};
G_STATIC_ASSERT(G_N_ELEMENTS(controller_type_names) ==
                CVG_CONTROLLER_TYPE_LAST);
static const char *const boot_dev_names[] = {"hd", "cdrom", "network", "fd"};
G_STATIC_ASSERT(G_N_ELEMENTS(boot_dev_names) == CVG_BOOT_DEV_LAST);

/* Models accepted per controller type (NULL: no model attribute). */
static const char *const scsi_models[] = {"virtio-scsi", NULL};
static const char *const pci_models[] = {"pci-root", "pcie-root",
                                         "pcie-root-port", NULL};
static const char *const usb_models[] = {
    "none",       "qemu-xhci",  "nec-xhci",   "piix3-uhci", "ich9-ehci1",
    "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", NULL,
};
static const char *const *const controller_models[] = {
    scsi_models, NULL, NULL, pci_models, usb_models, NULL,
};
G_STATIC_ASSERT(G_N_ELEMENTS(controller_models) == CVG_CONTROLLER_TYPE_LAST);

/* Attributes of each <address> type; all numbers but multifunction. */
static const char *const pci_addr_attrs[] = {
    "type", "domain", "bus", "slot", "function", "multifunction", NULL,
};
static const char *const drive_addr_attrs[] = {
    "type", "controller", "bus", "target", "unit", NULL,
};
static const char *const usb_addr_attrs[] = {"type", "bus", "port", NULL};
static const char *const vserial_addr_attrs[] = {
    "type", "controller", "bus", "port", NULL,
};

/* A drive address's numbers are small; QEMU's AHCI has six ports. */
#define MAX_DRIVE_ADDR 255
#define MAX_DISK_INDEX 701 /* "zz" */

#define ENUM_TO_STRING(fn, names, last)                                        \
    const char *fn(int value)                                                  \
    {                                                                          \
        return cvg_enum_to_string(names, last, value);                         \
    }

ENUM_TO_STRING(cvg_disk_type_to_string, disk_type_names, CVG_DISK_TYPE_LAST)
ENUM_TO_STRING(cvg_disk_device_to_string, disk_device_names,
               CVG_DISK_DEVICE_LAST)
ENUM_TO_STRING(cvg_disk_bus_to_string, disk_bus_names, CVG_DISK_BUS_LAST)
ENUM_TO_STRING(cvg_disk_format_to_string, disk_format_names,
               CVG_DISK_FORMAT_LAST)
ENUM_TO_STRING(cvg_controller_type_to_string, controller_type_names,
               CVG_CONTROLLER_TYPE_LAST)

const char *
cvg_disk_cache_to_string(int cache)
{
    return cache == CVG_DISK_CACHE_DEFAULT
               ? NULL
               : cvg_enum_to_string(disk_cache_names, CVG_DISK_CACHE_LAST,
                                    cache);
}

const char *
cvg_disk_discard_to_string(int discard)
{
    return discard == CVG_DISK_DISCARD_DEFAULT
               ? NULL
               : cvg_enum_to_string(disk_discard_names, CVG_DISK_DISCARD_LAST,
                                    discard);
}

const char *
cvg_disk_io_to_string(int io)
{
    return io == CVG_DISK_IO_DEFAULT
               ? NULL
               : cvg_enum_to_string(disk_io_names, CVG_DISK_IO_LAST, io);
}

/* ---- objects ---- */

void
cvg_dx_address_clear(CvgDeviceAddress *addr)
{
    g_clear_pointer(&addr->type, g_free);
    g_clear_pointer(&addr->names, g_strfreev);
    g_clear_pointer(&addr->values, g_strfreev);
}

void
cvg_dx_address_copy(CvgDeviceAddress *dst, const CvgDeviceAddress *src)
{
    dst->type = g_strdup(src->type);
    dst->names = g_strdupv(src->names);
    dst->values = g_strdupv(src->values);
}

void
cvg_domain_disk_free(CvgDomainDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->source);
    g_free(disk->target);
    g_free(disk->serial);
    cvg_dx_address_clear(&disk->address);
    g_free(disk);
}

void
cvg_domain_controller_free(CvgDomainController *ctrl)
{
    if (!ctrl)
        return;
    g_free(ctrl->model);
    cvg_dx_address_clear(&ctrl->address);
    g_free(ctrl);
}

CvgDomainDisk *
cvg_dx_disk_copy(const CvgDomainDisk *disk)
{
    CvgDomainDisk *copy = g_new0(CvgDomainDisk, 1);

    *copy = *disk;
    copy->source = g_strdup(disk->source);
    copy->target = g_strdup(disk->target);
    copy->serial = g_strdup(disk->serial);
    cvg_dx_address_copy(&copy->address, &disk->address);
    return copy;
}

CvgDomainController *
cvg_dx_controller_copy(const CvgDomainController *ctrl)
{
    CvgDomainController *copy = g_new0(CvgDomainController, 1);

    *copy = *ctrl;
    copy->model = g_strdup(ctrl->model);
    cvg_dx_address_copy(&copy->address, &ctrl->address);
    return copy;
}

CvgDomainDisk *
cvg_domain_def_find_disk(const CvgDomainDef *def, const char *target)
{
    size_t i;

    for (i = 0; target && i < def->ndisks; i++) {
        if (strcmp(def->disks[i]->target, target) == 0 ||
            g_strcmp0(def->disks[i]->source, target) == 0)
            return def->disks[i];
    }
    return NULL;
}

/* ---- parsing ---- */

/* An enum attribute of @node: *@ret_value keeps its default when absent. */
static int
parse_enum_attr(xmlNodePtr node, const char *attr, const char *const *names,
                int n, bool unsupported, int *ret_value)
{
    g_autofree char *value = cvg_xml_prop(node, attr);
    int v;

    if (!value)
        return 0;
    if ((v = cvg_enum_from_string(names, n, value)) < 0 ||
        strcmp(value, "default") == 0) {
        if (unsupported)
            return cvg_dx_report_unsupported_attr_value(value, attr, node);
        return cvg_dx_report_invalid_attr(value, attr, node);
    }
    *ret_value = v;
    return 0;
}

/* A number as libvirt writes them in addresses: decimal or 0x hex. */
static bool
address_number_is_valid(const char *str)
{
    const char *p = str;

    if (g_str_has_prefix(p, "0x") || g_str_has_prefix(p, "0X")) {
        p += 2;
        if (!*p || strlen(p) > 8)
            return false;
        for (; *p; p++) {
            if (!g_ascii_isxdigit(*p))
                return false;
        }
        return true;
    }
    return *p && strlen(p) <= 9 && strspn(p, "0123456789") == strlen(p);
}

static const char *const *
address_attrs_for(const char *type)
{
    if (strcmp(type, "pci") == 0)
        return pci_addr_attrs;
    if (strcmp(type, "drive") == 0)
        return drive_addr_attrs;
    if (strcmp(type, "usb") == 0)
        return usb_addr_attrs;
    if (strcmp(type, "virtio-serial") == 0)
        return vserial_addr_attrs;
    return NULL;
}

int
cvg_dx_parse_address(xmlNodePtr node, CvgDeviceAddress *addr)
{
    g_autofree char *type = cvg_xml_prop(node, "type");
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
    const char *const *attrs;
    xmlAttrPtr attr;

    if (!type)
        return cvg_dx_report_missing_attr("type", node);
    if (!(attrs = address_attrs_for(type)))
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    for (attr = node->properties; attr; attr = attr->next) {
        const char *name = (const char *)attr->name;
        g_autofree char *value = NULL;

        if (strcmp(name, "type") == 0)
            continue;
        value = cvg_xml_prop(node, name);
        if (strcmp(name, "multifunction") == 0
                ? strcmp(value, "on") != 0 && strcmp(value, "off") != 0
                : !address_number_is_valid(value))
            return cvg_dx_report_invalid_attr(value, name, node);
        g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_add(values, g_steal_pointer(&value));
    }
    g_ptr_array_add(names, NULL);
    g_ptr_array_add(values, NULL);
    cvg_dx_address_clear(addr);
    addr->type = g_steal_pointer(&type);
    addr->names = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
    addr->values = (char **)g_ptr_array_free(g_steal_pointer(&values), FALSE);
    return 0;
}

/* The value of number @name in @addr, or -1 when absent. */
static long long
address_get(const CvgDeviceAddress *addr, const char *name)
{
    size_t i;

    for (i = 0; addr->names && addr->names[i]; i++) {
        if (strcmp(addr->names[i], name) == 0)
            return g_ascii_strtoll(addr->values[i], NULL, 0);
    }
    return -1;
}

/* "vda" -> 0, "sdab" -> 27, as libvirt counts: -1 if not a disk name. */
static int
disk_name_index(const char *name, const char *prefix)
{
    const char *p;
    int idx = 0;

    if (!g_str_has_prefix(name, prefix) || !name[strlen(prefix)] ||
        strlen(name) > strlen(prefix) + 2)
        return -1;
    for (p = name + strlen(prefix); *p; p++) {
        if (*p < 'a' || *p > 'z')
            return -1;
        idx = idx * 26 + (*p - 'a' + 1);
    }
    return idx - 1;
}

static int
parse_disk_target(xmlNodePtr node, CvgDomainDisk *disk)
{
    static const char *const attrs[] = {"dev", "bus", "tray", NULL};
    g_autofree char *dev = cvg_xml_prop(node, "dev");
    g_autofree char *tray = cvg_xml_prop(node, "tray");
    int idx;

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!dev)
        return cvg_dx_report_missing_attr("dev", node);
    /* Without a bus the name says it, as with libvirt. */
    disk->bus = g_str_has_prefix(dev, "vd")   ? CVG_DISK_BUS_VIRTIO
                : g_str_has_prefix(dev, "hd") ? CVG_DISK_BUS_IDE
                                              : CVG_DISK_BUS_SCSI;
    if (parse_enum_attr(node, "bus", disk_bus_names, CVG_DISK_BUS_LAST, true,
                        &disk->bus) < 0)
        return -1;
    /* The tray is runtime state of a cdrom; a closed one is the default. */
    if (tray && strcmp(tray, "closed") != 0)
        return cvg_dx_report_unsupported_attr_value(tray, "tray", node);
    idx = disk_name_index(dev, disk_bus_prefixes[disk->bus]);
    if (idx < 0 || idx > MAX_DISK_INDEX) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("invalid disk target '%s' for bus '%s'"), dev,
                   disk_bus_names[disk->bus]);
        return -1;
    }
    disk->index = idx;
    disk->target = g_steal_pointer(&dev);
    return 0;
}

static int
parse_disk_driver(xmlNodePtr node, CvgDomainDisk *disk)
{
    static const char *const attrs[] = {"name",    "type", "cache",
                                        "discard", "io",   NULL};
    g_autofree char *name = cvg_xml_prop(node, "name");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (name && strcmp(name, "qemu") != 0)
        return cvg_dx_report_unsupported_attr_value(name, "name", node);
    if (parse_enum_attr(node, "type", disk_format_names, CVG_DISK_FORMAT_LAST,
                        true, &disk->format) < 0 ||
        parse_enum_attr(node, "cache", disk_cache_names, CVG_DISK_CACHE_LAST,
                        false, &disk->cache) < 0 ||
        parse_enum_attr(node, "discard", disk_discard_names,
                        CVG_DISK_DISCARD_LAST, false, &disk->discard) < 0 ||
        parse_enum_attr(node, "io", disk_io_names, CVG_DISK_IO_LAST, false,
                        &disk->io) < 0)
        return -1;
    return 0;
}

static int
parse_disk_source(xmlNodePtr node, CvgDomainDisk *disk)
{
    /* index is the live XML's number for the image in the chain. */
    static const char *const attrs[] = {"file", "dev", "index", NULL};
    const char *attr = disk->type == CVG_DISK_TYPE_FILE ? "file" : "dev";
    const char *other = disk->type == CVG_DISK_TYPE_FILE ? "dev" : "file";
    g_autofree char *other_value = cvg_xml_prop(node, other);
    g_autofree char *path = cvg_xml_prop(node, attr);

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (other_value) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("unsupported attribute '%s' in element '%s'"), other,
                   (const char *)node->name);
        return -1;
    }
    /* <source/> without a path is an empty cdrom drive. */
    if (!path)
        return 0;
    if (cvg_dx_check_path(path, node) < 0)
        return -1;
    disk->source = g_steal_pointer(&path);
    return 0;
}

/* A serial reaches the guest and a QEMU option: plain characters only. */
static int
parse_disk_serial(xmlNodePtr node, CvgDomainDisk *disk)
{
    g_autofree char *text = NULL;

    if (cvg_dx_leaf_text(node, NULL, true, &text) < 0)
        return -1;
    if (!*text || strlen(text) > 36 ||
        strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_+-.") != strlen(text))
        return cvg_dx_report_invalid_value(text, node);
    disk->serial = g_steal_pointer(&text);
    return 0;
}

static int
parse_boot_order(xmlNodePtr node, unsigned int *ret_order)
{
    static const char *const attrs[] = {"order", "loadparm", NULL};
    g_autofree char *order = cvg_xml_prop(node, "order");
    g_autofree char *loadparm = cvg_xml_prop(node, "loadparm");
    unsigned long long value;

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (loadparm)
        return cvg_dx_report_unsupported_attr_value(loadparm, "loadparm", node);
    if (!order)
        return cvg_dx_report_missing_attr("order", node);
    if (cvg_dx_parse_ull(order, &value) < 0 || value < 1 || value > 9999)
        return cvg_dx_report_invalid_attr(order, "order", node);
    *ret_order = value;
    return 0;
}

/* libvirt's live XML describes the probed chain in <backingStore>; the
 * chain is probed again at every start, so it is accepted and not kept. */
static int
parse_disk_child(xmlNodePtr cur, CvgDomainDisk *disk)
{
    static const char *const alias_attrs[] = {"name", NULL};

    if (cvg_dx_node_is(cur, "driver"))
        return parse_disk_driver(cur, disk);
    if (cvg_dx_node_is(cur, "source"))
        return parse_disk_source(cur, disk);
    if (cvg_dx_node_is(cur, "target"))
        return parse_disk_target(cur, disk);
    if (cvg_dx_node_is(cur, "readonly")) {
        disk->readonly = true;
        return cvg_dx_check_empty(cur, NULL);
    }
    if (cvg_dx_node_is(cur, "shareable")) {
        disk->shareable = true;
        return cvg_dx_check_empty(cur, NULL);
    }
    if (cvg_dx_node_is(cur, "serial"))
        return parse_disk_serial(cur, disk);
    if (cvg_dx_node_is(cur, "boot"))
        return parse_boot_order(cur, &disk->boot_order);
    if (cvg_dx_node_is(cur, "address"))
        return cvg_dx_parse_address(cur, &disk->address);
    if (cvg_dx_node_is(cur, "alias"))
        return cvg_dx_check_empty(cur, alias_attrs);
    if (cvg_dx_node_is(cur, "backingStore"))
        return 0;
    return cvg_dx_report_unsupported_element(cur);
}

static int
check_disk(xmlNodePtr node, const CvgDomainDisk *disk)
{
    if (!disk->target) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required element '%s' in element '%s'"), "target",
                   (const char *)node->name);
        return -1;
    }
    if (!disk->source && disk->device != CVG_DISK_DEVICE_CDROM) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("disk '%s' has no source; only a cdrom may be empty"),
                   disk->target);
        return -1;
    }
    if (disk->device == CVG_DISK_DEVICE_CDROM &&
        disk->bus == CVG_DISK_BUS_VIRTIO) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("disk '%s': a cdrom cannot be on bus 'virtio'"),
                   disk->target);
        return -1;
    }
    if (disk->address.type &&
        strcmp(disk->address.type,
               disk->bus == CVG_DISK_BUS_VIRTIO ? "pci" : "drive") != 0) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("disk '%s': address type '%s' does not fit bus '%s'"),
                   disk->target, disk->address.type, disk_bus_names[disk->bus]);
        return -1;
    }
    if (disk->address.type && strcmp(disk->address.type, "drive") == 0 &&
        (address_get(&disk->address, "controller") > MAX_DRIVE_ADDR ||
         address_get(&disk->address, "bus") > MAX_DRIVE_ADDR ||
         address_get(&disk->address, "target") > MAX_DRIVE_ADDR ||
         address_get(&disk->address, "unit") > MAX_DRIVE_ADDR)) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("disk '%s': drive address out of range"), disk->target);
        return -1;
    }
    return 0;
}

CvgDomainDisk *
cvg_dx_parse_disk(xmlNodePtr node)
{
    static const char *const attrs[] = {"type", "device", NULL};
    g_autoptr(CvgDomainDisk) disk = g_new0(CvgDomainDisk, 1);
    g_autofree char *type = cvg_xml_prop(node, "type");
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!type) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if (parse_enum_attr(node, "type", disk_type_names, CVG_DISK_TYPE_LAST, true,
                        &disk->type) < 0 ||
        parse_enum_attr(node, "device", disk_device_names, CVG_DISK_DEVICE_LAST,
                        true, &disk->device) < 0)
        return NULL;
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && parse_disk_child(cur, disk) < 0)
            return NULL;
    }
    if (check_disk(node, disk) < 0)
        return NULL;
    if (disk->device == CVG_DISK_DEVICE_CDROM)
        disk->readonly = true;
    return g_steal_pointer(&disk);
}

/* libvirt names the QEMU device of a PCI controller in <model name=>;
 * only the one the model implies is accepted. */
static int
parse_pci_model(xmlNodePtr node, const CvgDomainController *ctrl)
{
    static const char *const attrs[] = {"name", NULL};
    g_autofree char *name = cvg_xml_prop(node, "name");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!name)
        return cvg_dx_report_missing_attr("name", node);
    if (g_strcmp0(ctrl->model, "pcie-root-port") != 0 ||
        strcmp(name, "pcie-root-port") != 0)
        return cvg_dx_report_unsupported_attr_value(name, "name", node);
    return 0;
}

static int
parse_target_number(xmlNodePtr node, const char *attr, int max, int *ret)
{
    g_autofree char *value = cvg_xml_prop(node, attr);
    long long v;

    if (!value)
        return 0;
    if (!address_number_is_valid(value) ||
        (v = g_ascii_strtoll(value, NULL, 0)) > max)
        return cvg_dx_report_invalid_attr(value, attr, node);
    *ret = v;
    return 0;
}

static int
parse_pci_target(xmlNodePtr node, CvgDomainController *ctrl)
{
    static const char *const attrs[] = {"chassis", "port", NULL};

    if (cvg_dx_check_empty(node, attrs) < 0 ||
        parse_target_number(node, "chassis", 255, &ctrl->chassis) < 0 ||
        parse_target_number(node, "port", 255, &ctrl->port) < 0)
        return -1;
    return 0;
}

static int
parse_controller_child(xmlNodePtr cur, CvgDomainController *ctrl)
{
    static const char *const alias_attrs[] = {"name", NULL};
    static const char *const master_attrs[] = {"startport", NULL};

    if (cvg_dx_node_is(cur, "address"))
        return cvg_dx_parse_address(cur, &ctrl->address);
    if (cvg_dx_node_is(cur, "alias"))
        return cvg_dx_check_empty(cur, alias_attrs);
    if (cvg_dx_node_is(cur, "master") &&
        ctrl->type == CVG_CONTROLLER_TYPE_USB) {
        g_autofree char *port = cvg_xml_prop(cur, "startport");
        unsigned long long value;

        if (cvg_dx_check_empty(cur, master_attrs) < 0)
            return -1;
        if (!port)
            return cvg_dx_report_missing_attr("startport", cur);
        if (cvg_dx_parse_ull(port, &value) < 0 || value > 15)
            return cvg_dx_report_invalid_attr(port, "startport", cur);
        ctrl->master_startport = value;
        return 0;
    }
    if (cvg_dx_node_is(cur, "model") && ctrl->type == CVG_CONTROLLER_TYPE_PCI)
        return parse_pci_model(cur, ctrl);
    if (cvg_dx_node_is(cur, "target") && ctrl->type == CVG_CONTROLLER_TYPE_PCI)
        return parse_pci_target(cur, ctrl);
    return cvg_dx_report_unsupported_element(cur);
}

CvgDomainController *
cvg_dx_parse_controller(xmlNodePtr node)
{
    static const char *const attrs[] = {"type", "index", "model", "ports",
                                        NULL};
    g_autoptr(CvgDomainController) ctrl = g_new0(CvgDomainController, 1);
    g_autofree char *type = cvg_xml_prop(node, "type");
    g_autofree char *index = cvg_xml_prop(node, "index");
    g_autofree char *ports = cvg_xml_prop(node, "ports");
    unsigned long long value;
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!type) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if (parse_enum_attr(node, "type", controller_type_names,
                        CVG_CONTROLLER_TYPE_LAST, true, &ctrl->type) < 0)
        return NULL;
    if (index && (cvg_dx_parse_ull(index, &value) < 0 || value > 255)) {
        cvg_dx_report_invalid_attr(index, "index", node);
        return NULL;
    }
    ctrl->index = index ? value : 0;
    ctrl->ports = -1;
    if (ports) {
        if (cvg_dx_parse_ull(ports, &value) < 0 || value < 1 || value > 31) {
            cvg_dx_report_invalid_attr(ports, "ports", node);
            return NULL;
        }
        ctrl->ports = value;
    }
    ctrl->model = cvg_xml_prop(node, "model");
    if (ctrl->model &&
        !cvg_dx_str_in(ctrl->model, controller_models[ctrl->type])) {
        cvg_dx_report_unsupported_attr_value(ctrl->model, "model", node);
        return NULL;
    }
    ctrl->master_startport = -1;
    ctrl->chassis = -1;
    ctrl->port = -1;
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE &&
            parse_controller_child(cur, ctrl) < 0)
            return NULL;
    }
    return g_steal_pointer(&ctrl);
}

int
cvg_dx_parse_os_boot(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"dev", NULL};
    g_autofree char *dev = cvg_xml_prop(node, "dev");
    int value;

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!dev)
        return cvg_dx_report_missing_attr("dev", node);
    if ((value = cvg_enum_from_string(boot_dev_names, CVG_BOOT_DEV_LAST, dev)) <
        0)
        return cvg_dx_report_invalid_attr(dev, "dev", node);
    if (value == CVG_BOOT_DEV_FD)
        return cvg_dx_report_unsupported_attr_value(dev, "dev", node);
    if (def->nboot_devs >= CVG_MAX_BOOT_DEVS) {
        conf_error(CVG_ERR_XML_ERROR, _("too many elements '%s' in '%s'"),
                   "boot", "os");
        return -1;
    }
    def->boot_devs[def->nboot_devs++] = value;
    return 0;
}

/* ---- checks across devices ---- */

CvgDomainController *
cvg_dx_find_controller(const CvgDomainDef *def, int type, unsigned int index)
{
    size_t i;

    for (i = 0; i < def->ncontrollers; i++) {
        if (def->controllers[i]->type == type &&
            def->controllers[i]->index == index)
            return def->controllers[i];
    }
    return NULL;
}

/* The controller a disk on a SCSI or SATA bus hangs off. */
static unsigned int
disk_controller_index(const CvgDomainDisk *disk)
{
    long long c = address_get(&disk->address, "controller");

    return c < 0 ? 0 : (unsigned int)c;
}

void
cvg_dx_add_implicit_controller(CvgDomainDef *def, int type, unsigned int index)
{
    CvgDomainController *ctrl = g_new0(CvgDomainController, 1);

    ctrl->type = type;
    ctrl->index = index;
    ctrl->ports = -1;
    ctrl->master_startport = -1;
    ctrl->chassis = -1;
    ctrl->port = -1;
    if (type == CVG_CONTROLLER_TYPE_SCSI)
        ctrl->model = g_strdup("virtio-scsi");
    def->controllers =
        g_renew(CvgDomainController *, def->controllers, def->ncontrollers + 1);
    def->controllers[def->ncontrollers++] = ctrl;
}

static int
check_disk_pair(const CvgDomainDisk *a, const CvgDomainDisk *b)
{
    if (strcmp(a->target, b->target) == 0) {
        conf_error(CVG_ERR_XML_ERROR, _("target '%s' duplicated for disk"),
                   a->target);
        return -1;
    }
    if (a->boot_order && a->boot_order == b->boot_order) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("boot order '%u' used for more than "
                     "one device"),
                   a->boot_order);
        return -1;
    }
    return 0;
}

int
cvg_dx_check_disks(CvgDomainDef *def)
{
    size_t i;
    size_t j;

    for (i = 0; i < def->ncontrollers; i++) {
        for (j = 0; j < i; j++) {
            /* The ICH9 USB set shares one index: its companions name
             * their master with <master startport=>. */
            if (def->controllers[i]->type == def->controllers[j]->type &&
                def->controllers[i]->index == def->controllers[j]->index &&
                def->controllers[i]->master_startport < 0 &&
                def->controllers[j]->master_startport < 0) {
                conf_error(CVG_ERR_XML_ERROR,
                           _("controller '%s' index %u is defined more "
                             "than once"),
                           controller_type_names[def->controllers[i]->type],
                           def->controllers[i]->index);
                return -1;
            }
        }
    }
    for (i = 0; i < def->ndisks; i++) {
        const CvgDomainDisk *disk = def->disks[i];
        int type = disk->bus == CVG_DISK_BUS_SCSI   ? CVG_CONTROLLER_TYPE_SCSI
                   : disk->bus == CVG_DISK_BUS_SATA ? CVG_CONTROLLER_TYPE_SATA
                                                    : -1;

        for (j = 0; j < i; j++) {
            if (check_disk_pair(disk, def->disks[j]) < 0)
                return -1;
        }
        if (disk->boot_order && def->nboot_devs) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("per-device boot elements cannot be used together "
                         "with os/boot elements"));
            return -1;
        }
        /* Like libvirt, a disk's missing controller is added. */
        if (type >= 0 &&
            !cvg_dx_find_controller(def, type, disk_controller_index(disk)))
            cvg_dx_add_implicit_controller(def, type,
                                           disk_controller_index(disk));
    }
    return 0;
}

/* ---- formatting ---- */

void
cvg_dx_format_address(GString *buf, int indent, const CvgDeviceAddress *addr)
{
    size_t i;

    if (!addr->type)
        return;
    g_string_append_printf(buf, "%*s<address type='%s'", indent, "",
                           addr->type);
    for (i = 0; addr->names[i]; i++) {
        g_string_append_printf(buf, " %s='", addr->names[i]);
        cvg_xml_escape(buf, addr->values[i], true);
        g_string_append_c(buf, '\'');
    }
    g_string_append(buf, "/>\n");
}

static void
format_disk(GString *buf, const CvgDomainDisk *disk)
{
    const char *opt;

    g_string_append_printf(buf, "    <disk type='%s' device='%s'>\n",
                           disk_type_names[disk->type],
                           disk_device_names[disk->device]);
    g_string_append_printf(buf, "      <driver name='qemu' type='%s'",
                           disk_format_names[disk->format]);
    if ((opt = cvg_disk_cache_to_string(disk->cache)))
        g_string_append_printf(buf, " cache='%s'", opt);
    if ((opt = cvg_disk_discard_to_string(disk->discard)))
        g_string_append_printf(buf, " discard='%s'", opt);
    if ((opt = cvg_disk_io_to_string(disk->io)))
        g_string_append_printf(buf, " io='%s'", opt);
    g_string_append(buf, "/>\n");
    if (disk->source) {
        g_string_append_printf(buf, "      <source %s='",
                               disk->type == CVG_DISK_TYPE_FILE ? "file"
                                                                : "dev");
        cvg_xml_escape(buf, disk->source, true);
        g_string_append(buf, "'/>\n");
    }
    g_string_append_printf(buf, "      <target dev='%s' bus='%s'/>\n",
                           disk->target, disk_bus_names[disk->bus]);
    if (disk->boot_order)
        g_string_append_printf(buf, "      <boot order='%u'/>\n",
                               disk->boot_order);
    if (disk->readonly)
        g_string_append(buf, "      <readonly/>\n");
    if (disk->shareable)
        g_string_append(buf, "      <shareable/>\n");
    if (disk->serial)
        g_string_append_printf(buf, "      <serial>%s</serial>\n",
                               disk->serial);
    cvg_dx_format_address(buf, 6, &disk->address);
    g_string_append(buf, "    </disk>\n");
}

static void
format_controller(GString *buf, const CvgDomainController *ctrl)
{
    bool root_port = g_strcmp0(ctrl->model, "pcie-root-port") == 0;
    bool children =
        ctrl->address.type || ctrl->master_startport >= 0 || root_port;

    g_string_append_printf(buf, "    <controller type='%s' index='%u'",
                           controller_type_names[ctrl->type], ctrl->index);
    if (ctrl->model)
        g_string_append_printf(buf, " model='%s'", ctrl->model);
    if (ctrl->ports >= 0)
        g_string_append_printf(buf, " ports='%d'", ctrl->ports);
    if (!children) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n");
    if (ctrl->master_startport >= 0)
        g_string_append_printf(buf, "      <master startport='%d'/>\n",
                               ctrl->master_startport);
    if (root_port)
        g_string_append(buf, "      <model name='pcie-root-port'/>\n");
    if (ctrl->chassis >= 0 || ctrl->port >= 0) {
        g_string_append(buf, "      <target");
        if (ctrl->chassis >= 0)
            g_string_append_printf(buf, " chassis='%d'", ctrl->chassis);
        if (ctrl->port >= 0)
            g_string_append_printf(buf, " port='0x%x'", ctrl->port);
        g_string_append(buf, "/>\n");
    }
    cvg_dx_format_address(buf, 6, &ctrl->address);
    g_string_append(buf, "    </controller>\n");
}

void
cvg_dx_format_disks(GString *buf, const CvgDomainDef *def)
{
    size_t i;

    for (i = 0; i < def->ndisks; i++)
        format_disk(buf, def->disks[i]);
    for (i = 0; i < def->ncontrollers; i++)
        format_controller(buf, def->controllers[i]);
}

void
cvg_dx_format_os_boot(GString *buf, const CvgDomainDef *def)
{
    size_t i;

    for (i = 0; i < def->nboot_devs; i++)
        g_string_append_printf(buf, "    <boot dev='%s'/>\n",
                               boot_dev_names[def->boot_devs[i]]);
}
