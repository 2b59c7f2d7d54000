/*
 * domain-conf.c: domain definition objects, UUIDs and XML formatting
 *
 * Parsing lives in domain-parse.c.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"
#include "cvg-xml.h"

#include "cvg-enum.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const char *const lifecycle_action_names[] = {
    "destroy",        "restart",          "preserve",
    "rename-restart", "coredump-destroy", "coredump-restart",
};
G_STATIC_ASSERT(G_N_ELEMENTS(lifecycle_action_names) ==
                CVG_DOMAIN_LIFECYCLE_LAST);

static const char *const chr_type_names[] = {
    "pty",
    "file",
};
G_STATIC_ASSERT(G_N_ELEMENTS(chr_type_names) == CVG_CHR_TYPE_LAST);

const char *
cvg_domain_lifecycle_action_to_string(int action)
{
    return cvg_enum_to_string(lifecycle_action_names, CVG_DOMAIN_LIFECYCLE_LAST,
                              action);
}

int
cvg_domain_lifecycle_action_from_string(const char *str)
{
    return cvg_enum_from_string(lifecycle_action_names,
                                CVG_DOMAIN_LIFECYCLE_LAST, str);
}

const char *
cvg_chr_type_to_string(int type)
{
    return cvg_enum_to_string(chr_type_names, CVG_CHR_TYPE_LAST, type);
}

/* ---- UUIDs ---- */

void
cvg_uuid_format(const unsigned char uuid[CVG_UUID_LEN], char out[37])
{
    g_snprintf(out, 37,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
               "%02x%02x%02x%02x%02x%02x",
               uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6],
               uuid[7], uuid[8], uuid[9], uuid[10], uuid[11], uuid[12],
               uuid[13], uuid[14], uuid[15]);
}

int
cvg_uuid_parse(const char *str, unsigned char uuid[CVG_UUID_LEN])
{
    unsigned char buf[CVG_UUID_LEN];
    const char *cur = str;
    size_t i = 0;

    if (!str)
        return -1;
    while (g_ascii_isspace(*cur))
        cur++;
    /* Dashes may separate any two bytes, as libvirt accepts them. */
    while (i < CVG_UUID_LEN) {
        int hi;
        int lo;

        if (*cur == '-' && i > 0) {
            cur++;
            continue;
        }
        if ((hi = g_ascii_xdigit_value(cur[0])) < 0 ||
            (lo = g_ascii_xdigit_value(cur[1])) < 0)
            return -1;
        buf[i++] = (hi << 4) | lo;
        cur += 2;
    }
    while (g_ascii_isspace(*cur))
        cur++;
    if (*cur)
        return -1;
    memcpy(uuid, buf, CVG_UUID_LEN);
    return 0;
}

void
cvg_uuid_generate(unsigned char uuid[CVG_UUID_LEN])
{
    size_t got = 0;

    while (got < CVG_UUID_LEN) {
        ssize_t n = getrandom(uuid + got, CVG_UUID_LEN - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    /* Without the kernel's generator, GLib's is good enough for an id. */
    for (; got < CVG_UUID_LEN; got++)
        uuid[got] = g_random_int_range(0, 256);

    uuid[6] = (uuid[6] & 0x0f) | 0x40; /* version 4 */
    uuid[8] = (uuid[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

/* ---- Objects ---- */

void
cvg_domain_chr_free(CvgDomainChr *chr)
{
    if (!chr)
        return;
    g_free(chr->path);
    g_free(chr);
}

static void
chr_list_free(CvgDomainChr **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        cvg_domain_chr_free(list[i]);
    g_free(list);
}

void
cvg_domain_def_free(CvgDomainDef *def)
{
    if (!def)
        return;
    g_free(def->virt_type);
    g_free(def->name);
    g_free(def->title);
    g_free(def->description);
    g_free(def->metadata);
    g_free(def->os_type);
    g_free(def->os_arch);
    g_free(def->os_machine);
    g_free(def->os_kernel);
    g_free(def->os_initrd);
    g_free(def->os_cmdline);
    g_free(def->clock_offset);
    g_free(def->emulator);
    chr_list_free(def->serials, def->nserials);
    chr_list_free(def->consoles, def->nconsoles);
    for (size_t i = 0; i < def->ndisks; i++)
        cvg_domain_disk_free(def->disks[i]);
    g_free(def->disks);
    for (size_t i = 0; i < def->ncontrollers; i++)
        cvg_domain_controller_free(def->controllers[i]);
    g_free(def->controllers);
    for (size_t i = 0; i < def->nnets; i++)
        cvg_domain_net_free(def->nets[i]);
    g_free(def->nets);
    cvg_dx_misc_free(def);
    cvg_dx_cpu_free(def);
    g_free(def);
}

static CvgDomainChr **
chr_list_copy(CvgDomainChr *const *list, size_t n)
{
    CvgDomainChr **copy = n ? g_new0(CvgDomainChr *, n) : NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        copy[i] = g_new0(CvgDomainChr, 1);
        copy[i]->type = list[i]->type;
        copy[i]->path = g_strdup(list[i]->path);
        copy[i]->port = list[i]->port;
    }
    return copy;
}

CvgDomainDef *
cvg_domain_def_copy(const CvgDomainDef *def)
{
    CvgDomainDef *copy;

    if (!def)
        return NULL;
    copy = g_new0(CvgDomainDef, 1);
    /* Scalars first, then every pointer replaced by its own copy. */
    *copy = *def;
    copy->virt_type = g_strdup(def->virt_type);
    copy->name = g_strdup(def->name);
    copy->title = g_strdup(def->title);
    copy->description = g_strdup(def->description);
    copy->metadata = g_strdup(def->metadata);
    copy->os_type = g_strdup(def->os_type);
    copy->os_arch = g_strdup(def->os_arch);
    copy->os_machine = g_strdup(def->os_machine);
    copy->os_kernel = g_strdup(def->os_kernel);
    copy->os_initrd = g_strdup(def->os_initrd);
    copy->os_cmdline = g_strdup(def->os_cmdline);
    copy->clock_offset = g_strdup(def->clock_offset);
    copy->emulator = g_strdup(def->emulator);
    copy->serials = chr_list_copy(def->serials, def->nserials);
    copy->consoles = chr_list_copy(def->consoles, def->nconsoles);
    copy->disks = def->ndisks ? g_new0(CvgDomainDisk *, def->ndisks) : NULL;
    for (size_t i = 0; i < def->ndisks; i++)
        copy->disks[i] = cvg_dx_disk_copy(def->disks[i]);
    copy->controllers = def->ncontrollers
                            ? g_new0(CvgDomainController *, def->ncontrollers)
                            : NULL;
    for (size_t i = 0; i < def->ncontrollers; i++)
        copy->controllers[i] = cvg_dx_controller_copy(def->controllers[i]);
    copy->nets = def->nnets ? g_new0(CvgDomainNet *, def->nnets) : NULL;
    for (size_t i = 0; i < def->nnets; i++)
        copy->nets[i] = cvg_dx_net_copy(def->nets[i]);
    cvg_dx_misc_copy(copy, def);
    cvg_dx_cpu_copy(copy, def);
    return copy;
}

/* ---- Formatting ---- */

/*
 * Append @str escaped for XML.  In attribute values (single-quoted here)
 * quotes and whitespace other than space are escaped too, so that a parser
 * gives back the same string; a carriage return is escaped everywhere
 * because parsers turn a literal one into a newline.
 */
/* <name>text</name> on a line of its own at @indent spaces. */
static void
buf_element(GString *buf, int indent, const char *name, const char *text)
{
    g_string_append_printf(buf, "%*s<%s>", indent, "", name);
    cvg_xml_escape(buf, text, false);
    g_string_append_printf(buf, "</%s>\n", name);
}

/* The path a pty device shows in live XML.  A console that shows a serial
 * port is the same device, so it falls back to that port's path. */
static const char *
chr_live_path(const CvgDomainDef *def, const CvgDomainChr *chr, bool console)
{
    size_t i;

    if (chr->type != CVG_CHR_TYPE_PTY || chr->path || !console)
        return chr->path;
    for (i = 0; i < def->nserials; i++) {
        if (def->serials[i]->type == CVG_CHR_TYPE_PTY &&
            def->serials[i]->port == chr->port)
            return def->serials[i]->path;
    }
    return NULL;
}

static void
format_chr(GString *buf, const CvgDomainDef *def, const CvgDomainChr *chr,
           bool console, bool live)
{
    const char *elem = console ? "console" : "serial";
    const char *path = chr->path;

    if (chr->type == CVG_CHR_TYPE_PTY)
        path = live ? chr_live_path(def, chr, console) : NULL;

    g_string_append_printf(buf, "    <%s type='%s'", elem,
                           cvg_chr_type_to_string(chr->type));
    if (console && chr->type == CVG_CHR_TYPE_PTY && path) {
        g_string_append(buf, " tty='");
        cvg_xml_escape(buf, path, true);
        g_string_append_c(buf, '\'');
    }
    g_string_append(buf, ">\n");
    if (path) {
        g_string_append(buf, "      <source path='");
        cvg_xml_escape(buf, path, true);
        g_string_append(buf, "'/>\n");
    }
    if (console)
        g_string_append_printf(buf, "      <target type='serial' port='%d'/>\n",
                               chr->port);
    else
        g_string_append_printf(buf, "      <target port='%d'/>\n", chr->port);
    g_string_append_printf(buf, "    </%s>\n", elem);
}

static void
format_devices(GString *buf, const CvgDomainDef *def, bool live,
               unsigned int flags)
{
    size_t i;

    if (!def->emulator && !def->nserials && !def->nconsoles && !def->ndisks &&
        !def->ncontrollers && !def->nnets && !cvg_dx_has_misc(def)) {
        g_string_append(buf, "  <devices/>\n");
        return;
    }
    g_string_append(buf, "  <devices>\n");
    if (def->emulator)
        buf_element(buf, 4, "emulator", def->emulator);
    cvg_dx_format_disks(buf, def);
    cvg_dx_format_nets(buf, def, live);
    for (i = 0; i < def->nserials; i++)
        format_chr(buf, def, def->serials[i], false, live);
    for (i = 0; i < def->nconsoles; i++)
        format_chr(buf, def, def->consoles[i], true, live);
    cvg_dx_format_misc(buf, def, live, flags);
    g_string_append(buf, "  </devices>\n");
}

static void
format_os(GString *buf, const CvgDomainDef *def)
{
    g_string_append(buf, "  <os>\n    <type arch='");
    cvg_xml_escape(buf, def->os_arch ? def->os_arch : "x86_64", true);
    g_string_append_c(buf, '\'');
    if (def->os_machine) {
        g_string_append(buf, " machine='");
        cvg_xml_escape(buf, def->os_machine, true);
        g_string_append_c(buf, '\'');
    }
    g_string_append(buf, ">");
    cvg_xml_escape(buf, def->os_type ? def->os_type : "hvm", false);
    g_string_append(buf, "</type>\n");
    if (def->os_kernel)
        buf_element(buf, 4, "kernel", def->os_kernel);
    if (def->os_initrd)
        buf_element(buf, 4, "initrd", def->os_initrd);
    if (def->os_cmdline)
        buf_element(buf, 4, "cmdline", def->os_cmdline);
    cvg_dx_format_os_boot(buf, def);
    g_string_append(buf, "  </os>\n");
}

static void
format_lifecycle(GString *buf, const char *name, int action)
{
    const char *str = cvg_domain_lifecycle_action_to_string(action);

    buf_element(buf, 2, name, str ? str : "destroy");
}

char *
cvg_domain_def_format(const CvgDomainDef *def, int id, unsigned int flags)
{
    const unsigned int known = CVG_DOMAIN_XML_SECURE | CVG_DOMAIN_XML_INACTIVE |
                               CVG_DOMAIN_XML_UPDATE_CPU |
                               CVG_DOMAIN_XML_MIGRATABLE |
                               CVG_DOMAIN_XML_STATUS;
    g_autoptr(GString) buf = NULL;
    char uuid[37];
    bool live = id >= 0 && !(flags & CVG_DOMAIN_XML_INACTIVE);

    cvg_check_flags(flags, known, NULL);

    buf = g_string_new("<domain type='");
    cvg_xml_escape(buf, def->virt_type ? def->virt_type : "qemu", true);
    g_string_append_c(buf, '\'');
    if (live)
        g_string_append_printf(buf, " id='%d'", id);
    g_string_append(buf, ">\n");

    buf_element(buf, 2, "name", def->name ? def->name : "");
    cvg_uuid_format(def->uuid, uuid);
    buf_element(buf, 2, "uuid", uuid);
    if (def->title)
        buf_element(buf, 2, "title", def->title);
    if (def->description)
        buf_element(buf, 2, "description", def->description);
    /* Verbatim, as parsed: it is a serialized element already. */
    if (def->metadata)
        g_string_append_printf(buf, "  %s\n", def->metadata);

    g_string_append_printf(buf, "  <memory unit='KiB'>%llu</memory>\n",
                           def->memory_kib);
    g_string_append_printf(buf,
                           "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
                           def->current_memory_kib);
    g_string_append_printf(buf, "  <vcpu placement='static'>%u</vcpu>\n",
                           def->vcpus);
    format_os(buf, def);

    cvg_dx_format_features(buf, def);
    cvg_dx_format_cpu(buf, def);
    cvg_dx_format_clock(buf, def);
    format_lifecycle(buf, "on_poweroff", def->on_poweroff);
    format_lifecycle(buf, "on_reboot", def->on_reboot);
    format_lifecycle(buf, "on_crash", def->on_crash);
    cvg_dx_format_pm(buf, def);

    format_devices(buf, def, live, flags);
    g_string_append(buf, "</domain>\n");
    return g_string_free(g_steal_pointer(&buf), FALSE);
}
