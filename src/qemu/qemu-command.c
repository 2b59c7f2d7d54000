/*
 * qemu-command.c: the storage part of QEMU's command line, and the image
 * checks before QEMU starts
 *
 * QEMU 10's modern syntax: every image is a -blockdev protocol node
 * ("<target>-storage", driver file or host_device) under a format node
 * ("<target>-format", raw or qcow2), and the guest device (-device
 * virtio-blk-pci, scsi-hd, ide-hd, ide-cd, scsi-cd) takes the format node.
 * The options are written as JSON so that paths need no comma escaping.
 * A qcow2 image's backing chain is not named on the command line: QEMU
 * opens it from the image headers, which cvg_qemu_check_disk_images() has
 * read and checked first.
 */
#include "qemu-command.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* A chain longer than this is a loop or not worth running. */
#define MAX_CHAIN_DEPTH 64
/* AHCI (ich9-ahci) has six ports, PIIX IDE two buses of two units. */
#define AHCI_PORTS 6

/* How each <driver cache=> mode sets QEMU's three cache knobs: the
 * protocol node's cache.direct and cache.no-flush, the device's
 * write-cache. */
static const struct {
    bool direct, no_flush, write_cache;
} cache_modes[] = {
    [CVG_DISK_CACHE_DEFAULT] = {false, false, true},
    [CVG_DISK_CACHE_NONE] = {true, false, true},
    [CVG_DISK_CACHE_WRITETHROUGH] = {false, false, false},
    [CVG_DISK_CACHE_WRITEBACK] = {false, false, true},
    [CVG_DISK_CACHE_DIRECTSYNC] = {true, false, false},
    [CVG_DISK_CACHE_UNSAFE] = {false, true, true},
};
G_STATIC_ASSERT(G_N_ELEMENTS(cache_modes) == CVG_DISK_CACHE_LAST);

/* QEMU's names for <driver io=> ("aio" of the file driver). */
static const char *const aio_names[] = {NULL, "threads", "native", "io_uring"};
G_STATIC_ASSERT(G_N_ELEMENTS(aio_names) == CVG_DISK_IO_LAST);

static void
add_json(GPtrArray *argv, const char *opt, json_object *obj)
{
    g_ptr_array_add(argv, g_strdup(opt));
    g_ptr_array_add(argv, g_strdup(json_object_to_json_string_ext(
                              obj, JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE)));
}

static void
put_str(json_object *obj, const char *key, const char *value)
{
    json_object_object_add(obj, key, json_object_new_string(value));
}

static void
put_int(json_object *obj, const char *key, int64_t value)
{
    json_object_object_add(obj, key, json_object_new_int64(value));
}

static void
put_bool(json_object *obj, const char *key, bool value)
{
    json_object_object_add(obj, key, json_object_new_boolean(value));
}

char *
cvg_qemu_disk_node_name(const CvgDomainDisk *disk, bool format)
{
    return g_strdup_printf("%s-%s", disk->target,
                           format ? "format" : "storage");
}

static json_object *
cache_object(const CvgDomainDisk *disk)
{
    json_object *cache = json_object_new_object();

    put_bool(cache, "direct", cache_modes[disk->cache].direct);
    put_bool(cache, "no-flush", cache_modes[disk->cache].no_flush);
    return cache;
}

static void
add_blockdevs(GPtrArray *argv, const CvgDomainDisk *disk)
{
    g_autoptr(json_object) file = json_object_new_object();
    g_autoptr(json_object) fmt = json_object_new_object();
    g_autofree char *file_node = cvg_qemu_disk_node_name(disk, false);
    g_autofree char *fmt_node = cvg_qemu_disk_node_name(disk, true);
    const char *driver = "file";

    if (disk->type == CVG_DISK_TYPE_BLOCK)
        driver = disk->device == CVG_DISK_DEVICE_CDROM ? "host_cdrom"
                                                       : "host_device";
    put_str(file, "driver", driver);
    put_str(file, "filename", disk->source);
    put_str(file, "node-name", file_node);
    put_bool(file, "auto-read-only", true);
    if (disk->discard == CVG_DISK_DISCARD_UNMAP)
        put_str(file, "discard", "unmap");
    if (aio_names[disk->io])
        put_str(file, "aio", aio_names[disk->io]);
    json_object_object_add(file, "cache", cache_object(disk));
    add_json(argv, "-blockdev", file);

    put_str(fmt, "node-name", fmt_node);
    put_bool(fmt, "read-only", disk->readonly);
    if (disk->discard == CVG_DISK_DISCARD_UNMAP)
        put_str(fmt, "discard", "unmap");
    json_object_object_add(fmt, "cache", cache_object(disk));
    put_str(fmt, "driver", cvg_disk_format_to_string(disk->format));
    put_str(fmt, "file", file_node);
    add_json(argv, "-blockdev", fmt);
}

/* The drive address's @name, or @dflt when it has none. */
static long long
drive_addr(const CvgDomainDisk *disk, const char *name, long long dflt)
{
    size_t i;

    if (g_strcmp0(disk->address.type, "drive") != 0)
        return dflt;
    for (i = 0; disk->address.names[i]; i++) {
        if (strcmp(disk->address.names[i], name) == 0)
            return g_ascii_strtoll(disk->address.values[i], NULL, 0);
    }
    return dflt;
}

/* The -device driver, id and bus placement of @disk. */
static void
disk_device_place(json_object *dev, const CvgDomainDisk *disk)
{
    bool cd = disk->device == CVG_DISK_DEVICE_CDROM;
    long long ctrl = drive_addr(disk, "controller", 0);
    long long unit = drive_addr(disk, "unit", disk->index);
    g_autofree char *bus = NULL;
    g_autofree char *id = NULL;

    switch (disk->bus) {
    case CVG_DISK_BUS_VIRTIO:
        put_str(dev, "driver", "virtio-blk-pci");
        id = g_strdup_printf("virtio-disk%u", disk->index);
        break;
    case CVG_DISK_BUS_SATA:
        put_str(dev, "driver", cd ? "ide-cd" : "ide-hd");
        bus = g_strdup_printf("sata%lld.%lld", ctrl, unit);
        id = g_strdup_printf("sata%lld-0-%lld", ctrl, unit);
        break;
    case CVG_DISK_BUS_IDE:
        put_str(dev, "driver", cd ? "ide-cd" : "ide-hd");
        bus = g_strdup_printf("ide.%lld", drive_addr(disk, "bus", unit / 2));
        put_int(dev, "unit", drive_addr(disk, "unit", unit % 2));
        id = g_strdup_printf("ide0-%u", disk->index);
        break;
    default:
        put_str(dev, "driver", cd ? "scsi-cd" : "scsi-hd");
        bus = g_strdup_printf("scsi%lld.0", ctrl);
        put_int(dev, "channel", drive_addr(disk, "bus", 0));
        put_int(dev, "scsi-id", drive_addr(disk, "target", 0));
        put_int(dev, "lun", unit);
        id = g_strdup_printf("scsi%lld-0-0-%lld", ctrl, unit);
        break;
    }
    if (bus)
        put_str(dev, "bus", bus);
    put_str(dev, "id", id);
}

static void
add_disk_device(GPtrArray *argv, const CvgDomainDisk *disk)
{
    g_autoptr(json_object) dev = json_object_new_object();

    disk_device_place(dev, disk);
    if (disk->source) {
        g_autofree char *fmt_node = cvg_qemu_disk_node_name(disk, true);

        put_str(dev, "drive", fmt_node);
        if (disk->device == CVG_DISK_DEVICE_DISK)
            put_str(dev, "write-cache",
                    cache_modes[disk->cache].write_cache ? "on" : "off");
    }
    if (disk->shareable)
        put_bool(dev, "share-rw", true);
    if (disk->serial)
        put_str(dev, "serial", disk->serial);
    if (disk->boot_order)
        put_int(dev, "bootindex", disk->boot_order);
    add_json(argv, "-device", dev);
}

/* The QEMU device of a USB controller model (NULL: the QEMU default,
 * which is xHCI; "none": no device). */
static const char *
usb_device(const char *model)
{
    static const char *const map[][2] = {
        {"qemu-xhci", "qemu-xhci"},       {"nec-xhci", "nec-usb-xhci"},
        {"piix3-uhci", "piix3-usb-uhci"}, {"ich9-ehci1", "ich9-usb-ehci1"},
        {"ich9-uhci1", "ich9-usb-uhci1"}, {"ich9-uhci2", "ich9-usb-uhci2"},
        {"ich9-uhci3", "ich9-usb-uhci3"},
    };
    size_t i;

    if (!model)
        return "qemu-xhci";
    for (i = 0; i < G_N_ELEMENTS(map); i++) {
        if (strcmp(model, map[i][0]) == 0)
            return map[i][1];
    }
    return NULL;
}

static void
add_controller(GPtrArray *argv, const CvgDomainController *ctrl)
{
    g_autoptr(json_object) dev = json_object_new_object();
    g_autofree char *id = NULL;
    const char *driver = NULL;

    switch (ctrl->type) {
    case CVG_CONTROLLER_TYPE_SCSI:
        driver = "virtio-scsi-pci";
        id = g_strdup_printf("scsi%u", ctrl->index);
        break;
    case CVG_CONTROLLER_TYPE_SATA:
        driver = "ich9-ahci";
        id = g_strdup_printf("sata%u", ctrl->index);
        break;
    case CVG_CONTROLLER_TYPE_VIRTIO_SERIAL:
        driver = "virtio-serial-pci";
        id = g_strdup_printf("virtio-serial%u", ctrl->index);
        if (ctrl->ports > 0)
            put_int(dev, "max_ports", ctrl->ports);
        break;
    case CVG_CONTROLLER_TYPE_USB:
        if (!(driver = usb_device(ctrl->model)))
            return;
        if (ctrl->master_startport >= 0) {
            g_autofree char *master = g_strdup_printf("usb%u.0", ctrl->index);

            put_str(dev, "masterbus", master);
            put_int(dev, "firstport", ctrl->master_startport);
            id = g_strdup_printf("usb%u-%d", ctrl->index,
                                 ctrl->master_startport);
        } else {
            id = g_strdup_printf("usb%u", ctrl->index);
        }
        break;
    case CVG_CONTROLLER_TYPE_PCI:
        /* The roots are the machine's own bus. */
        if (g_strcmp0(ctrl->model, "pcie-root-port") != 0)
            return;
        driver = "pcie-root-port";
        id = g_strdup_printf("pci.%u", ctrl->index);
        put_int(dev, "chassis",
                ctrl->chassis >= 0 ? ctrl->chassis : (int)ctrl->index);
        if (ctrl->port >= 0)
            put_int(dev, "port", ctrl->port);
        break;
    default:
        /* IDE is the PC machine's built-in PIIX controller. */
        return;
    }
    put_str(dev, "driver", driver);
    put_str(dev, "id", id);
    add_json(argv, "-device", dev);
}

void
cvg_qemu_command_add_storage(GPtrArray *argv, const CvgDomainDef *def)
{
    static const char boot_letters[] = {'c', 'd', 'n', 'a'};
    size_t i;

    G_STATIC_ASSERT(G_N_ELEMENTS(boot_letters) == CVG_BOOT_DEV_LAST);
    if (def->nboot_devs) {
        g_autoptr(GString) order = g_string_new("order=");

        for (i = 0; i < def->nboot_devs; i++)
            g_string_append_c(order, boot_letters[def->boot_devs[i]]);
        g_ptr_array_add(argv, g_strdup("-boot"));
        g_ptr_array_add(argv, g_string_free(g_steal_pointer(&order), FALSE));
    }
    /* Controllers first: the disks name their buses. */
    for (i = 0; i < def->ncontrollers; i++)
        add_controller(argv, def->controllers[i]);
    for (i = 0; i < def->ndisks; i++) {
        if (def->disks[i]->source)
            add_blockdevs(argv, def->disks[i]);
        add_disk_device(argv, def->disks[i]);
    }
}

/* ---- network ---- */

/* The QEMU device of each <model type>; NULL (no model) is QEMU's own
 * default NIC for the PC machines. */
static const char *
net_device(const char *model)
{
    static const char *const map[][2] = {
        {"virtio", "virtio-net-pci"},
        {"e1000", "e1000"},
        {"e1000e", "e1000e"},
        {"rtl8139", "rtl8139"},
    };
    size_t i;

    for (i = 0; model && i < G_N_ELEMENTS(map); i++) {
        if (strcmp(model, map[i][0]) == 0)
            return map[i][1];
    }
    return "rtl8139";
}

void
cvg_qemu_command_add_nets(GPtrArray *argv, const CvgDomainDef *def)
{
    int next_fd = CVG_QEMU_FIRST_PASSED_FD;
    size_t i;

    for (i = 0; i < def->nnets; i++) {
        const CvgDomainNet *net = def->nets[i];
        g_autoptr(json_object) netdev = json_object_new_object();
        g_autoptr(json_object) dev = json_object_new_object();
        g_autofree char *id = g_strdup_printf("hostnet%zu", i);
        g_autofree char *dev_id = g_strdup_printf("net%zu", i);
        char mac[18];

        if (net->type == CVG_NET_TYPE_USER) {
            put_str(netdev, "type", "user");
        } else {
            g_autofree char *fd = g_strdup_printf("%d", next_fd++);

            put_str(netdev, "type", "tap");
            put_str(netdev, "fd", fd);
        }
        put_str(netdev, "id", id);
        add_json(argv, "-netdev", netdev);

        cvg_mac_format(net->mac, mac);
        put_str(dev, "driver", net_device(net->model));
        put_str(dev, "netdev", id);
        put_str(dev, "id", dev_id);
        put_str(dev, "mac", mac);
        /* The PXE option ROM only for a NIC that boots: it costs boot
         * time, and a QEMU installed without ipxe-qemu has none. */
        if (net->boot_order)
            put_int(dev, "bootindex", net->boot_order);
        else
            put_str(dev, "romfile", "");
        add_json(argv, "-device", dev);
    }
}

/* ---- images ---- */

static int
report_inaccessible(const char *path, const char *of, int errnum)
{
    if (of)
        cvg_error_report_system(errnum,
                                _("Cannot access backing file '%s' of storage "
                                  "file '%s' (as uid:%u, gid:%u)"),
                                path, of, (unsigned int)geteuid(),
                                (unsigned int)getegid());
    else
        cvg_error_report_system(errnum,
                                _("Cannot access storage file '%s' (as "
                                  "uid:%u, gid:%u)"),
                                path, (unsigned int)geteuid(),
                                (unsigned int)getegid());
    return -1;
}

/* Read up to @len bytes at @offset of the open image; the count read. */
static ssize_t
read_at(int fd, void *buf, size_t len, off_t offset)
{
    ssize_t n;

    do {
        n = pread(fd, buf, len, offset);
    } while (n < 0 && errno == EINTR);
    return n;
}

int
cvg_qemu_image_probe(const char *path, const char *of, int *ret_format,
                     char **ret_backing)
{
    g_autofree unsigned char *header = g_malloc(CVG_QCOW2_HEADER_PROBE);
    g_autofree char *backing = NULL;
    ssize_t n;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return report_inaccessible(path, of, errno);
    n = read_at(fd, header, CVG_QCOW2_HEADER_PROBE, 0);
    if (n < 0) {
        int errnum = errno;

        close(fd);
        return report_inaccessible(path, of, errnum);
    }
    if (cvg_qcow2_header_parse(header, n, ret_format, &backing) < 0) {
        close(fd);
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("storage file '%s' has a damaged qcow2 header"),
                         path);
        return -1;
    }
    close(fd);
    /* A relative backing name is relative to the image's directory. */
    if (backing && !g_path_is_absolute(backing)) {
        g_autofree char *dir = g_path_get_dirname(path);
        char *abs = g_build_filename(dir, backing, NULL);

        g_free(backing);
        backing = abs;
    }
    *ret_backing = g_steal_pointer(&backing);
    return 0;
}

static int
check_chain(const CvgDomainDisk *disk)
{
    g_autofree char *path = g_strdup(disk->source);
    g_autofree char *of = NULL;
    int depth;

    for (depth = 0; path; depth++) {
        g_autofree char *backing = NULL;
        int format;

        if (depth > MAX_CHAIN_DEPTH) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("backing chain of storage file '%s' is longer "
                               "than %d images"),
                             disk->source, MAX_CHAIN_DEPTH);
            return -1;
        }
        if (cvg_qemu_image_probe(path, of, &format, &backing) < 0)
            return -1;
        if (depth == 0 && disk->format == CVG_DISK_FORMAT_QCOW2 &&
            format != CVG_DISK_FORMAT_QCOW2) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("storage file '%s' is not a qcow2 image"),
                             disk->source);
            return -1;
        }
        /* A raw top image is never probed further: its contents are the
         * guest's, and may look like anything. */
        if (depth == 0 && disk->format == CVG_DISK_FORMAT_RAW)
            break;
        g_free(of);
        of = g_steal_pointer(&path);
        path = g_steal_pointer(&backing);
    }
    return 0;
}

int
cvg_qemu_check_disk_images(const CvgDomainDef *def)
{
    size_t i;

    for (i = 0; i < def->ndisks; i++) {
        if (def->disks[i]->source && check_chain(def->disks[i]) < 0)
            return -1;
    }
    return 0;
}

/* ---- the qcow2 header (pure) ---- */

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint64_t
be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int
cvg_qcow2_header_parse(const unsigned char *buf, size_t len, int *ret_format,
                       char **ret_backing)
{
    uint64_t offset;
    uint32_t size;
    uint32_t version;

    /* "QFI\xfb", then the version (2 or 3). */
    if (len < 4 || memcmp(buf, "QFI\xfb", 4) != 0) {
        *ret_format = CVG_DISK_FORMAT_RAW;
        *ret_backing = NULL;
        return 0;
    }
    if (len < 20)
        return -1;
    version = be32(buf + 4);
    offset = be64(buf + 8); /* backing_file_offset */
    size = be32(buf + 16);  /* backing_file_size, at most 1023 */
    if (version < 2 || version > 3 || size > 1023)
        return -1;
    if (offset && size) {
        if (offset > len || size > len - offset)
            return -1;
        if (memchr(buf + offset, '\0', size))
            return -1;
        *ret_backing = g_strndup((const char *)buf + offset, size);
    } else {
        *ret_backing = NULL;
    }
    *ret_format = CVG_DISK_FORMAT_QCOW2;
    return 0;
}

int
cvg_qcow2_header_size(const unsigned char *buf, size_t len,
                      unsigned long long *ret_size)
{
    if (len < CVG_QCOW2_SIZE_PROBE || memcmp(buf, "QFI\xfb", 4) != 0)
        return -1;
    *ret_size = be64(buf + 24); /* size, in bytes */
    return 0;
}
