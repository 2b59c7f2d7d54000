/*
 * qemu-graphics.c: the display, the everyday devices and the machine-wide
 * settings on QEMU's command line, and the VNC ports and channel sockets a
 * guest holds while it runs
 *
 * Devices are -device JSON (QEMU 10); the VNC server is -vnc ADDR:DISPLAY
 * with DISPLAY = port - 5900.  Sound cards play into an "none" audiodev:
 * the guest sees its card, the host plays nothing.
 */
#include "qemu-graphics.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VNC_PORT_BASE 5900
#define PORT_COUNT 65536

/* The ports this daemon's guests hold (one bit each).  A port also has
 * to pass a bind test: another program may hold it. */
static GMutex ports_lock;
static guint8 ports_used[PORT_COUNT / 8];

static bool
port_reserved(unsigned int port)
{
    return ports_used[port / 8] & (1U << (port % 8));
}

static void
port_set(unsigned int port, bool used)
{
    if (used)
        ports_used[port / 8] |= 1U << (port % 8);
    else
        ports_used[port / 8] &= ~(1U << (port % 8));
}

/* Nobody listens on @port on any address of @family. */
static bool
bind_test(int family, unsigned int port)
{
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
                               .sin6_port = htons(port)};
    struct sockaddr *sa =
        family == AF_INET ? (struct sockaddr *)&in4 : (struct sockaddr *)&in6;
    socklen_t len = family == AF_INET ? sizeof(in4) : sizeof(in6);
    int one = 1;
    bool ok;
    int fd;

    if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return errno == EAFNOSUPPORT;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    ok = bind(fd, sa, len) == 0 || errno == EADDRNOTAVAIL;
    close(fd);
    return ok;
}

static bool
port_is_free(unsigned int port)
{
    return bind_test(AF_INET, port) && bind_test(AF_INET6, port);
}

static int
reserve_vnc_port(const CvgDaemonConfig *cfg, CvgDomainGraphics *gfx)
{
    unsigned int port;

    g_mutex_lock(&ports_lock);
    if (!gfx->autoport) {
        if (port_reserved(gfx->port)) {
            g_mutex_unlock(&ports_lock);
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("VNC port %d is used by another guest"),
                             gfx->port);
            return -1;
        }
        port_set(gfx->port, true);
        g_mutex_unlock(&ports_lock);
        return 0;
    }
    for (port = cfg->remote_display_port_min;
         port <= cfg->remote_display_port_max; port++) {
        if (port_reserved(port) || !port_is_free(port))
            continue;
        port_set(port, true);
        g_mutex_unlock(&ports_lock);
        gfx->port = port;
        return 0;
    }
    g_mutex_unlock(&ports_lock);
    cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                     _("Unable to find an unused port in range "
                       "'display' (%u-%u)"),
                     cfg->remote_display_port_min,
                     cfg->remote_display_port_max);
    return -1;
}

/* "-device help" and "-cpu help" of each emulator asked so far
 * ("PATH -device" -> output). */
static GMutex help_lock;
static GHashTable *help_cache;

/* The output of "@emulator @option help" (cached; "" when it fails).
 * The returned string lives as long as the process. */
static const char *
emulator_help(const char *emulator, const char *option)
{
    g_autofree char *key = g_strdup_printf("%s %s", emulator, option);
    const char *help;

    g_mutex_lock(&help_lock);
    if (!help_cache)
        help_cache =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!(help = g_hash_table_lookup(help_cache, key))) {
        const char *argv[] = {emulator, option, "help", NULL};
        char *out = NULL;

        if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                          NULL, NULL, &out, NULL, NULL, NULL))
            out = g_strdup("");
        g_hash_table_insert(help_cache, g_steal_pointer(&key), out);
        help = out;
    }
    g_mutex_unlock(&help_lock);
    return help;
}

bool
cvg_qemu_has_device(const char *emulator, const char *device)
{
    g_autofree char *quoted = g_strdup_printf("\"%s\"", device);
    const char *help = emulator_help(emulator, "-device");

    /* An emulator that lists nothing is not held against the XML: QEMU
     * itself reports what it lacks. */
    return !*help || strstr(help, quoted);
}

bool
cvg_qemu_has_cpu_model(const char *emulator, const char *model)
{
    const char *help = emulator_help(emulator, "-cpu");
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    size_t i;

    if (!*help)
        return true;
    /* "  NAME   description", after a heading line. */
    for (i = 0; lines[i]; i++) {
        g_auto(GStrv) words = NULL;

        g_strstrip(lines[i]);
        words = g_strsplit(lines[i], " ", 2);
        if (words[0] && strcmp(words[0], model) == 0)
            return true;
    }
    return false;
}

/* What the XML asks of the emulator, checked before it starts (QEMU's own
 * message names a device or option, not the XML): QEMU builds without the
 * SPICE modules have no QXL card, and a custom CPU model must be one QEMU
 * knows. */
static int
check_emulator_has(const char *emulator, const CvgDomainDef *def)
{
    size_t i;

    for (i = 0; i < def->nvideos; i++) {
        if (def->videos[i]->model == CVG_VIDEO_QXL &&
            !cvg_qemu_has_device(emulator, "qxl-vga")) {
            cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                             _("video model '%s' is not supported by emulator "
                               "'%s'"),
                             "qxl", emulator);
            return -1;
        }
    }
    if (def->cpu.mode == CVG_CPU_MODE_CUSTOM && def->cpu.model &&
        !cvg_qemu_has_cpu_model(emulator, def->cpu.model)) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("CPU model '%s' is not supported by emulator '%s'"),
                         def->cpu.model, emulator);
        return -1;
    }
    return 0;
}

/* Where cvg_qemu_graphics_prepare() puts the socket of @chan. */
static char *
channel_auto_path(const char *run_dir, const CvgDomainDef *def,
                  const CvgDomainChannel *chan)
{
    g_autofree char *base =
        g_strdup_printf("%s.%s", def->name, chan->target_name);

    return g_build_filename(run_dir, base, NULL);
}

int
cvg_qemu_graphics_prepare(const CvgDaemonConfig *cfg, const char *run_dir,
                          const char *emulator, CvgDomainDef *def)
{
    CvgDomainGraphics *gfx = cvg_domain_def_vnc(def);
    size_t i;

    if (check_emulator_has(emulator, def) < 0)
        return -1;
    if (gfx) {
        g_free(gfx->listen_live);
        gfx->listen_live =
            g_strdup(gfx->listen ? gfx->listen : cfg->vnc_listen);
        if (reserve_vnc_port(cfg, gfx) < 0)
            return -1;
    }
    /* A channel without a path gets a socket in the run directory. */
    for (i = 0; i < def->nchannels; i++) {
        CvgDomainChannel *chan = def->channels[i];

        if (chan->path && !chan->path_auto)
            continue;
        g_free(chan->path);
        chan->path = channel_auto_path(run_dir, def, chan);
        chan->path_auto = true;
    }
    return 0;
}

void
cvg_qemu_graphics_reattach(const CvgDaemonConfig *cfg, const char *run_dir,
                           CvgDomainDef *def)
{
    CvgDomainGraphics *gfx = cvg_domain_def_vnc(def);
    size_t i;

    /* The status XML says whether the listen address was the daemon's
     * vnc_listen (fromConfig); one written by an earlier daemon does not,
     * and an address equal to vnc_listen is taken as that. */
    if (gfx && gfx->listen && !gfx->listen_live) {
        gfx->listen_live = g_strdup(gfx->listen);
        if (g_strcmp0(gfx->listen, cfg->vnc_listen) == 0)
            g_clear_pointer(&gfx->listen, g_free);
    }

    /* The status XML does not say which socket the daemon made. */
    for (i = 0; i < def->nchannels; i++) {
        g_autofree char *path =
            channel_auto_path(run_dir, def, def->channels[i]);

        if (g_strcmp0(path, def->channels[i]->path) == 0)
            def->channels[i]->path_auto = true;
    }
    if (!gfx || gfx->port < VNC_PORT_BASE || gfx->port >= PORT_COUNT)
        return;
    g_mutex_lock(&ports_lock);
    port_set(gfx->port, true);
    g_mutex_unlock(&ports_lock);
}

void
cvg_qemu_graphics_release(CvgDomainDef *def)
{
    CvgDomainGraphics *gfx = cvg_domain_def_vnc(def);
    size_t i;

    if (gfx && gfx->port >= VNC_PORT_BASE && gfx->port < PORT_COUNT) {
        g_mutex_lock(&ports_lock);
        port_set(gfx->port, false);
        g_mutex_unlock(&ports_lock);
        if (gfx->autoport)
            gfx->port = -1;
    }
    if (gfx)
        g_clear_pointer(&gfx->listen_live, g_free);
    for (i = 0; i < def->nchannels; i++) {
        if (def->channels[i]->path_auto) {
            unlink(def->channels[i]->path);
            g_clear_pointer(&def->channels[i]->path, g_free);
            def->channels[i]->path_auto = false;
        }
    }
}

/* ---- the command line ---- */

static void
add_arg(GPtrArray *argv, const char *opt, char *value)
{
    g_ptr_array_add(argv, g_strdup(opt));
    g_ptr_array_add(argv, value);
}

static void
add_json(GPtrArray *argv, const char *opt, json_object *obj)
{
    add_arg(argv, opt,
            g_strdup(json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
}

/* -device {"driver": DRIVER, "id": ID, ...more}. */
static json_object *
device_new(const char *driver, const char *id)
{
    json_object *dev = json_object_new_object();

    json_object_object_add(dev, "driver", json_object_new_string(driver));
    json_object_object_add(dev, "id", json_object_new_string(id));
    return dev;
}

static void
add_video(GPtrArray *argv, const CvgDomainVideo *video, size_t idx)
{
    /* The first card, or the one marked primary, is the VGA-compatible
     * one; the others are plain PCI displays. */
    static const char *const primary[] = {
        "VGA", "cirrus-vga", "virtio-vga", "qxl-vga", "bochs-display", NULL};
    static const char *const secondary[] = {
        "VGA", "cirrus-vga", "virtio-gpu-pci", "qxl", "bochs-display", NULL};
    g_autoptr(json_object) dev = NULL;
    g_autofree char *id = g_strdup_printf("video%zu", idx);
    bool first = idx == 0 || video->primary;

    G_STATIC_ASSERT(G_N_ELEMENTS(primary) == CVG_VIDEO_LAST);
    G_STATIC_ASSERT(G_N_ELEMENTS(secondary) == CVG_VIDEO_LAST);
    if (video->model == CVG_VIDEO_NONE)
        return;
    dev =
        device_new(first ? primary[video->model] : secondary[video->model], id);
    /* libvirt's vram of a VGA card is its video memory, in KiB. */
    if (video->vram && video->model == CVG_VIDEO_VGA)
        json_object_object_add(dev, "vgamem_mb",
                               json_object_new_int(MAX(video->vram / 1024, 1)));
    if (video->heads > 1 &&
        (video->model == CVG_VIDEO_VIRTIO || video->model == CVG_VIDEO_QXL))
        json_object_object_add(dev, "max_outputs",
                               json_object_new_int(video->heads));
    add_json(argv, "-device", dev);
}

static void
add_input(GPtrArray *argv, const CvgDomainInput *input, size_t idx)
{
    static const char *const usb[] = {"usb-tablet", "usb-mouse", "usb-kbd"};
    static const char *const virtio[] = {
        "virtio-tablet-pci", "virtio-mouse-pci", "virtio-keyboard-pci"};
    g_autofree char *id = g_strdup_printf("input%zu", idx);
    g_autoptr(json_object) dev = NULL;

    G_STATIC_ASSERT(G_N_ELEMENTS(usb) == CVG_INPUT_LAST);
    G_STATIC_ASSERT(G_N_ELEMENTS(virtio) == CVG_INPUT_LAST);
    /* PS/2 mouse and keyboard are the PC machines' own (i8042). */
    if (input->bus == CVG_INPUT_BUS_PS2)
        return;
    dev = device_new(input->bus == CVG_INPUT_BUS_USB ? usb[input->type]
                                                     : virtio[input->type],
                     id);
    add_json(argv, "-device", dev);
}

#define AUDIODEV_ID "audio1"

static void
add_sound(GPtrArray *argv, const CvgDomainSound *sound, size_t idx)
{
    g_autofree char *id = g_strdup_printf("sound%zu", idx);
    g_autoptr(json_object) dev = NULL;

    if (sound->model == CVG_SOUND_AC97) {
        dev = device_new("AC97", id);
        json_object_object_add(dev, "audiodev",
                               json_object_new_string(AUDIODEV_ID));
        add_json(argv, "-device", dev);
        return;
    }
    dev = device_new(
        sound->model == CVG_SOUND_ICH9 ? "ich9-intel-hda" : "intel-hda", id);
    add_json(argv, "-device", dev);
    {
        g_autofree char *codec_id = g_strdup_printf("%s-codec0", id);
        g_autofree char *bus = g_strdup_printf("%s.0", id);
        g_autoptr(json_object) codec = device_new("hda-duplex", codec_id);

        json_object_object_add(codec, "bus", json_object_new_string(bus));
        json_object_object_add(codec, "cad", json_object_new_int(0));
        json_object_object_add(codec, "audiodev",
                               json_object_new_string(AUDIODEV_ID));
        add_json(argv, "-device", codec);
    }
}

static void
add_rng(GPtrArray *argv, const CvgDomainRng *rng, size_t idx)
{
    g_autofree char *obj_id = g_strdup_printf("objrng%zu", idx);
    g_autofree char *id = g_strdup_printf("rng%zu", idx);
    g_autoptr(json_object) obj = json_object_new_object();
    g_autoptr(json_object) dev = device_new("virtio-rng-pci", id);

    json_object_object_add(
        obj, "qom-type",
        json_object_new_string(rng->backend == CVG_RNG_BACKEND_BUILTIN
                                   ? "rng-builtin"
                                   : "rng-random"));
    json_object_object_add(obj, "id", json_object_new_string(obj_id));
    if (rng->backend == CVG_RNG_BACKEND_RANDOM)
        json_object_object_add(obj, "filename",
                               json_object_new_string(rng->source));
    add_json(argv, "-object", obj);
    json_object_object_add(dev, "rng", json_object_new_string(obj_id));
    if (rng->rate_bytes) {
        json_object_object_add(dev, "max-bytes",
                               json_object_new_int64(rng->rate_bytes));
        /* libvirt's default period: one second. */
        json_object_object_add(
            dev, "period",
            json_object_new_int64(rng->rate_period ? rng->rate_period : 1000));
    }
    add_json(argv, "-device", dev);
}

/* The virtio-serial address's @name, or @dflt. */
static long long
serial_addr(const CvgDomainChannel *chan, const char *name, long long dflt)
{
    size_t i;

    if (g_strcmp0(chan->address.type, "virtio-serial") != 0)
        return dflt;
    for (i = 0; chan->address.names[i]; i++) {
        if (strcmp(chan->address.names[i], name) == 0)
            return g_ascii_strtoll(chan->address.values[i], NULL, 0);
    }
    return dflt;
}

static void
add_channel(GPtrArray *argv, const CvgDomainChannel *chan, size_t idx)
{
    g_autofree char *chr_id = g_strdup_printf("charchannel%zu", idx);
    g_autofree char *id = g_strdup_printf("channel%zu", idx);
    g_autofree char *bus = g_strdup_printf("virtio-serial%lld.%lld",
                                           serial_addr(chan, "controller", 0),
                                           serial_addr(chan, "bus", 0));
    g_autoptr(json_object) dev = device_new("virtserialport", id);
    long long port = serial_addr(chan, "port", 0);

    /* The path has no ',' (the parser refuses it), so keyval is safe. */
    add_arg(argv, "-chardev",
            g_strdup_printf("socket,id=%s,path=%s,server=on,wait=off", chr_id,
                            chan->path ? chan->path : ""));
    json_object_object_add(dev, "bus", json_object_new_string(bus));
    if (port > 0)
        json_object_object_add(dev, "nr", json_object_new_int64(port));
    json_object_object_add(dev, "chardev", json_object_new_string(chr_id));
    json_object_object_add(dev, "name",
                           json_object_new_string(chan->target_name));
    add_json(argv, "-device", dev);
}

static void
add_vnc(GPtrArray *argv, const CvgDomainGraphics *gfx)
{
    const char *listen = gfx->listen_live ? gfx->listen_live : gfx->listen;
    bool v6 = listen && strchr(listen, ':');

    add_arg(argv, "-vnc",
            g_strdup_printf("%s%s%s:%d", v6 ? "[" : "", listen ? listen : "",
                            v6 ? "]" : "", gfx->port - VNC_PORT_BASE));
}

void
cvg_qemu_command_add_devices(GPtrArray *argv, const CvgDomainDef *def)
{
    size_t i;

    if (def->nsounds)
        add_arg(argv, "-audiodev", g_strdup("none,id=" AUDIODEV_ID));
    for (i = 0; i < def->nchannels; i++)
        add_channel(argv, def->channels[i], i);
    for (i = 0; i < def->ninputs; i++)
        add_input(argv, def->inputs[i], i);
    for (i = 0; i < def->ngraphics; i++)
        add_vnc(argv, def->graphics[i]);
    for (i = 0; i < def->nsounds; i++)
        add_sound(argv, def->sounds[i], i);
    for (i = 0; i < def->nvideos; i++)
        add_video(argv, def->videos[i], i);
    if (def->memballoon == CVG_BALLOON_VIRTIO) {
        g_autoptr(json_object) dev =
            device_new("virtio-balloon-pci", "balloon0");

        add_json(argv, "-device", dev);
    }
    for (i = 0; i < def->nrngs; i++)
        add_rng(argv, def->rngs[i], i);
}

/* ---- machine-wide settings ---- */

static const CvgDomainTimer *
find_timer(const CvgDomainDef *def, const char *name)
{
    size_t i;

    for (i = 0; i < def->ntimers; i++) {
        if (strcmp(def->timers[i]->name, name) == 0)
            return def->timers[i];
    }
    return NULL;
}

char *
cvg_qemu_machine_option(const CvgDomainDef *def)
{
    const CvgDomainTimer *hpet = find_timer(def, "hpet");
    GString *opt = g_string_new(def->os_machine ? def->os_machine : "pc");

    /* QEMU 10 removed -no-acpi: ACPI is a machine property now. */
    g_string_append_printf(opt, ",acpi=%s", def->feature_acpi ? "on" : "off");
    if (def->feature_vmport != CVG_TRISTATE_ABSENT)
        g_string_append_printf(opt, ",vmport=%s",
                               def->feature_vmport == CVG_TRISTATE_YES ? "on"
                                                                       : "off");
    if (hpet && hpet->present != CVG_TRISTATE_ABSENT)
        g_string_append_printf(
            opt, ",hpet=%s", hpet->present == CVG_TRISTATE_YES ? "on" : "off");
    return g_string_free(opt, FALSE);
}

char *
cvg_qemu_smp_option(const CvgDomainDef *def)
{
    const CvgDomainCpu *cpu = &def->cpu;

    if (!cpu->sockets)
        return g_strdup_printf("%u", def->vcpus);
    if (cpu->dies)
        return g_strdup_printf("%u,sockets=%u,dies=%u,cores=%u,threads=%u",
                               def->vcpus, cpu->sockets, cpu->dies, cpu->cores,
                               cpu->threads);
    return g_strdup_printf("%u,sockets=%u,cores=%u,threads=%u", def->vcpus,
                           cpu->sockets, cpu->cores, cpu->threads);
}

static char *
cpu_option(const CvgDomainDef *def, bool kvm)
{
    const CvgDomainCpu *cpu = &def->cpu;
    GString *opt;
    size_t i;

    switch (cpu->mode) {
    case CVG_CPU_MODE_HOST_PASSTHROUGH:
        opt = g_string_new("host");
        break;
    case CVG_CPU_MODE_HOST_MODEL:
        /* Under TCG the best "model of the host" QEMU offers is all it
         * can emulate; under KVM, the host's CPU. */
        opt = g_string_new(kvm ? "host" : "max");
        break;
    case CVG_CPU_MODE_MAXIMUM:
        opt = g_string_new("max");
        break;
    case CVG_CPU_MODE_CUSTOM:
        if (cpu->model) {
            opt = g_string_new(cpu->model);
            break;
        }
        return NULL;
    default:
        return NULL;
    }
    for (i = 0; i < cpu->nfeatures; i++)
        g_string_append_printf(opt, ",%s=%s", cpu->features[i].name,
                               cpu->features[i].enable ? "on" : "off");
    return g_string_free(opt, FALSE);
}

void
cvg_qemu_command_add_machine_extras(GPtrArray *argv, const CvgDomainDef *def,
                                    bool kvm)
{
    const CvgDomainTimer *rtc = find_timer(def, "rtc");
    const CvgDomainTimer *pit = find_timer(def, "pit");
    bool localtime = g_strcmp0(def->clock_offset, "localtime") == 0;
    bool slew = rtc && g_strcmp0(rtc->tickpolicy, "catchup") == 0;
    /* The PC machines' power management device; q35's is the LPC bridge. */
    const char *pm = def->os_machine && strstr(def->os_machine, "q35")
                         ? "ICH9-LPC"
                         : "PIIX4_PM";
    char *cpu = cpu_option(def, kvm);

    if (cpu)
        add_arg(argv, "-cpu", cpu);
    if (localtime || slew)
        add_arg(argv, "-rtc",
                g_strdup_printf("base=%s%s", localtime ? "localtime" : "utc",
                                slew ? ",driftfix=slew" : ""));
    /* Only KVM's in-kernel PIT has a lost-tick policy. */
    if (kvm && pit && g_strcmp0(pit->tickpolicy, "delay") == 0)
        add_arg(argv, "-global", g_strdup("kvm-pit.lost_tick_policy=delay"));
    if (def->pm_suspend_to_mem)
        add_arg(argv, "-global",
                g_strdup_printf("%s.disable_s3=%d", pm,
                                def->pm_suspend_to_mem == CVG_TRISTATE_NO));
    if (def->pm_suspend_to_disk)
        add_arg(argv, "-global",
                g_strdup_printf("%s.disable_s4=%d", pm,
                                def->pm_suspend_to_disk == CVG_TRISTATE_NO));
}
