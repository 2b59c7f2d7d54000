/*
 * remote-caps.c: host capabilities (CONNECT_GET_CAPABILITIES, 7) and
 * domain capabilities (CONNECT_GET_DOMAIN_CAPABILITIES, 342)
 *
 * What virt-install and virt-manager read before they write a domain: the
 * guest types and machine types (asked of the emulator once, with
 * "-machine help"), the CPU modes the accelerator can honour, and the
 * device models the domain XML parser accepts (docs/formatdomain.rst).
 */
#include "daemon.h"
#include "qemu-graphics.h"
#include "cvg-i18n.h"
#include "cvg-protocol.h"

#include <string.h>

#define MAX_VCPUS 255

/* One machine type QEMU offers: a versioned name, or an alias
 * ("pc", "q35") with the versioned name it stands for. */
typedef struct {
    char *name;
    char *canonical; /* NULL for a versioned name */
} CvgMachine;

static GOnce machines_once = G_ONCE_INIT;

/* The pc and q35 machine types of @emulator, from "-machine help";
 * the default one first.  Never NULL (empty when QEMU does not answer). */
static gpointer
machines_probe(gpointer data)
{
    const char *emulator = data;
    const char *argv[] = {emulator, "-machine", "help", NULL};
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(CvgMachine));
    size_t i;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, NULL, NULL))
        return list;
    lines = g_strsplit(out, "\n", -1);
    for (i = 0; lines[i]; i++) {
        g_auto(GStrv) words = g_strsplit_set(lines[i], " \t", 2);
        const char *alias;
        CvgMachine m = {0};

        if (!words[0] || !words[1] ||
            (!g_str_has_prefix(words[0], "pc") &&
             !g_str_has_prefix(words[0], "q35")))
            continue;
        m.name = g_strdup(words[0]);
        if ((alias = strstr(words[1], "(alias of "))) {
            m.canonical = g_strndup(alias + 10, strcspn(alias + 10, ")"));
        }
        if (strstr(words[1], "(default)"))
            g_array_prepend_val(list, m);
        else
            g_array_append_val(list, m);
    }
    return list;
}

static GArray *
machines(CvgDriver *drv)
{
    return g_once(&machines_once, machines_probe, drv->cfg->qemu_binary);
}

static void
format_machines(GString *buf, GArray *list, int indent)
{
    guint i;

    for (i = 0; i < list->len; i++) {
        const CvgMachine *m = &g_array_index(list, CvgMachine, i);

        g_string_append_printf(buf, "%*s<machine", indent, "");
        if (m->canonical)
            g_string_append_printf(buf, " canonical='%s'", m->canonical);
        g_string_append_printf(buf, " maxCpus='%d'>%s</machine>\n", MAX_VCPUS,
                               m->name);
    }
}

int
cvg_dispatch_connect_get_capabilities(CvgDaemon *d, CvgRpcClient *client,
                                      CvgRemoteConnectGetCapabilitiesRet *ret)
{
    CvgDriver *drv = d->drv;
    g_autoptr(GString) buf = g_string_new("<capabilities>\n");
    char uuid[37];

    (void)client;
    cvg_uuid_format(drv->host_uuid, uuid);
    g_string_append_printf(buf,
                           "  <host>\n"
                           "    <uuid>%s</uuid>\n"
                           "    <cpu>\n"
                           "      <arch>x86_64</arch>\n"
                           "    </cpu>\n"
                           "    <migration_features>\n"
                           "      <live/>\n"
                           "      <uri_transports>\n"
                           "        <uri_transport>tcp</uri_transport>\n"
                           "      </uri_transports>\n"
                           "    </migration_features>\n"
                           "  </host>\n"
                           "  <guest>\n"
                           "    <os_type>hvm</os_type>\n"
                           "    <arch name='x86_64'>\n"
                           "      <wordsize>64</wordsize>\n"
                           "      <emulator>%s</emulator>\n",
                           uuid, drv->cfg->qemu_binary);
    format_machines(buf, machines(drv), 6);
    g_string_append(buf, "      <domain type='qemu'/>\n");
    if (drv->kvm)
        g_string_append(buf, "      <domain type='kvm'/>\n");
    g_string_append(buf, "    </arch>\n"
                         "    <features>\n"
                         "      <acpi default='on' toggle='yes'/>\n"
                         "      <apic default='on' toggle='no'/>\n"
                         "      <pae/>\n"
                         "    </features>\n"
                         "  </guest>\n"
                         "</capabilities>\n");
    ret->capabilities = g_string_free(g_steal_pointer(&buf), FALSE);
    return 0;
}

/* ---- domain capabilities ---- */

/* <enum name=NAME> with @values (NULL-terminated). */
static void
format_enum(GString *buf, int indent, const char *name,
            const char *const *values)
{
    size_t i;

    g_string_append_printf(buf, "%*s<enum name='%s'>\n", indent, "", name);
    for (i = 0; values[i]; i++)
        g_string_append_printf(buf, "%*s  <value>%s</value>\n", indent, "",
                               values[i]);
    g_string_append_printf(buf, "%*s</enum>\n", indent, "");
}

static void
format_cpu_modes(GString *buf, bool kvm)
{
    static const char *const onoff[] = {"on", "off", NULL};
    /* Models every QEMU build has; <model> takes any QEMU knows. */
    static const char *const models[] = {"qemu64", "qemu32", "kvm64", "max",
                                         NULL};
    size_t i;

    g_string_append(buf, "  <cpu>\n");
    /* TCG cannot pass the host CPU through (docs/formatdomain.rst). */
    g_string_append_printf(buf,
                           "    <mode name='host-passthrough' "
                           "supported='%s'>\n",
                           kvm ? "yes" : "no");
    format_enum(buf, 6, "hostPassthroughMigratable", onoff);
    g_string_append(buf, "    </mode>\n"
                         "    <mode name='maximum' supported='yes'>\n");
    format_enum(buf, 6, "maximumMigratable", onoff);
    g_string_append(buf, "    </mode>\n"
                         "    <mode name='host-model' supported='yes'/>\n"
                         "    <mode name='custom' supported='yes'>\n");
    for (i = 0; models[i]; i++)
        g_string_append_printf(buf, "      <model usable='yes'>%s</model>\n",
                               models[i]);
    g_string_append(buf, "    </mode>\n  </cpu>\n");
}

/* One <NAME supported='yes'> device with its enums: @spec is
 * {enum name, value, value, NULL, enum name, ..., NULL, NULL}. */
static void
format_device(GString *buf, const char *name, const char *const *spec)
{
    g_string_append_printf(buf, "    <%s supported='yes'>\n", name);
    while (*spec) {
        format_enum(buf, 6, spec[0], spec + 1);
        while (*spec)
            spec++;
        spec++;
    }
    g_string_append_printf(buf, "    </%s>\n", name);
}

static void
format_devices(GString *buf, const char *emulator)
{
    static const char *const disk[] = {
        "diskDevice", "disk",   "cdrom", NULL, "bus", "ide",
        "scsi",       "virtio", "sata",  NULL, NULL,
    };
    static const char *const graphics[] = {"type", "vnc", NULL, NULL};
    static const char *const video[] = {
        "modelType", "vga", "cirrus", "virtio", "bochs", "none", NULL, NULL,
    };
    static const char *const video_qxl[] = {
        "modelType", "vga",  "cirrus", "virtio", "qxl",
        "bochs",     "none", NULL,     NULL,
    };
    static const char *const rng[] = {
        "model",  "virtio",  NULL, "backendModel",
        "random", "builtin", NULL, NULL,
    };
    static const char *const channel[] = {"type", "unix", NULL, NULL};
    static const char *const unsupported[] = {
        "hostdev", "filesystem", "tpm", "redirdev", NULL,
    };
    size_t i;

    g_string_append(buf, "  <devices>\n");
    format_device(buf, "disk", disk);
    format_device(buf, "graphics", graphics);
    format_device(buf, "video",
                  cvg_qemu_has_device(emulator, "qxl-vga") ? video_qxl : video);
    format_device(buf, "rng", rng);
    format_device(buf, "channel", channel);
    for (i = 0; unsupported[i]; i++)
        g_string_append_printf(buf, "    <%s supported='no'/>\n",
                               unsupported[i]);
    g_string_append(buf, "  </devices>\n");
}

/* Check the caller's choices against what this daemon runs; fill in the
 * ones left NULL. */
static int
domcaps_check(CvgDriver *drv,
              const CvgRemoteConnectGetDomainCapabilitiesArgs *args,
              const char **ret_virttype, const char **ret_machine)
{
    GArray *list = machines(drv);
    const char *virttype = args->virttype ? *args->virttype : NULL;
    const char *machine = args->machine ? *args->machine : NULL;

    if (args->emulatorbin &&
        strcmp(*args->emulatorbin, drv->cfg->qemu_binary) != 0) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("emulator '%s' does not match '%s'"),
                         *args->emulatorbin, drv->cfg->qemu_binary);
        return -1;
    }
    if (args->arch && strcmp(*args->arch, "x86_64") != 0) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("architecture '%s' is not supported"), *args->arch);
        return -1;
    }
    if (!virttype)
        virttype = drv->kvm ? "kvm" : "qemu";
    if (strcmp(virttype, "qemu") != 0 &&
        (strcmp(virttype, "kvm") != 0 || !drv->kvm)) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("virttype '%s' is not supported on this host"),
                         virttype);
        return -1;
    }
    if (!machine)
        machine = list->len ? g_array_index(list, CvgMachine, 0).name : "pc";
    *ret_virttype = virttype;
    *ret_machine = machine;
    return 0;
}

int
cvg_dispatch_connect_get_domain_capabilities(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectGetDomainCapabilitiesArgs *args,
    CvgRemoteConnectGetDomainCapabilitiesRet *ret)
{
    CvgDriver *drv = d->drv;
    g_autoptr(GString) buf = NULL;
    const char *virttype;
    const char *machine;

    (void)client;
    if (args->flags) {
        cvg_error_report(CVG_ERR_INVALID_ARG, _("unsupported flags (0x%x)"),
                         args->flags);
        return -1;
    }
    if (domcaps_check(drv, args, &virttype, &machine) < 0)
        return -1;
    buf = g_string_new("<domainCapabilities>\n");
    g_string_append_printf(buf,
                           "  <path>%s</path>\n"
                           "  <domain>%s</domain>\n"
                           "  <machine>%s</machine>\n"
                           "  <arch>x86_64</arch>\n"
                           "  <vcpu max='%d'/>\n"
                           "  <iothreads supported='no'/>\n"
                           "  <os supported='yes'>\n"
                           "    <enum name='firmware'/>\n"
                           "    <loader supported='no'/>\n"
                           "  </os>\n",
                           drv->cfg->qemu_binary, virttype, machine, MAX_VCPUS);
    format_cpu_modes(buf, strcmp(virttype, "kvm") == 0);
    format_devices(buf, drv->cfg->qemu_binary);
    g_string_append(buf, "  <features>\n"
                         "    <gic supported='no'/>\n"
                         "    <vmcoreinfo supported='no'/>\n"
                         "    <genid supported='no'/>\n"
                         "    <backingStoreInput supported='yes'/>\n"
                         "    <backup supported='no'/>\n"
                         "    <sev supported='no'/>\n"
                         "  </features>\n"
                         "</domainCapabilities>\n");
    ret->capabilities = g_string_free(g_steal_pointer(&buf), FALSE);
    return 0;
}
