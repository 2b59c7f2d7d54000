/*
 * domain-misc.c: <graphics>, <video>, <input>, <sound>, <memballoon>,
 * <rng> and <channel>
 *
 * The devices an everyday VM carries besides its disks and NICs.  Parsing,
 * the checks across them (and the controllers they need), formatting and
 * copying; the QEMU options are made in src/qemu/qemu-graphics.c and what
 * the elements mean is in docs/formatdomain.rst.
 */
#include "domain-conf.h"
#include "domain-parse-priv.h"

#include "cvg-enum.h"
#include "cvg-i18n.h"

#include <string.h>

/* VNC display N is TCP port 5900 + N. */
#define VNC_PORT_BASE 5900
#define VNC_PORT_MAX 65535

static const char *const video_model_names[] = {
    "vga", "cirrus", "virtio", "qxl", "bochs", "none",
};
G_STATIC_ASSERT(G_N_ELEMENTS(video_model_names) == CVG_VIDEO_LAST);

static const char *const input_type_names[] = {"tablet", "mouse", "keyboard"};
G_STATIC_ASSERT(G_N_ELEMENTS(input_type_names) == CVG_INPUT_LAST);

static const char *const input_bus_names[] = {"ps2", "usb", "virtio"};
G_STATIC_ASSERT(G_N_ELEMENTS(input_bus_names) == CVG_INPUT_BUS_LAST);

static const char *const sound_model_names[] = {"ich9", "ich6", "ac97"};
G_STATIC_ASSERT(G_N_ELEMENTS(sound_model_names) == CVG_SOUND_LAST);

static const char *const rng_backend_names[] = {"random", "builtin"};
G_STATIC_ASSERT(G_N_ELEMENTS(rng_backend_names) == CVG_RNG_BACKEND_LAST);

static const char *const balloon_names[] = {NULL, "virtio", "none"};
G_STATIC_ASSERT(G_N_ELEMENTS(balloon_names) == CVG_BALLOON_LAST);

#define LIST_ADD(list, n, item)                                                \
    do {                                                                       \
        (list) = g_renew(__typeof__(*(list)), (list), (n) + 1);                \
        (list)[(n)++] = g_steal_pointer(&(item));                              \
    } while (0)

const char *
cvg_video_model_to_string(int model)
{
    return cvg_enum_to_string(video_model_names, CVG_VIDEO_LAST, model);
}

const char *
cvg_input_type_to_string(int type)
{
    return cvg_enum_to_string(input_type_names, CVG_INPUT_LAST, type);
}

const char *
cvg_input_bus_to_string(int bus)
{
    return cvg_enum_to_string(input_bus_names, CVG_INPUT_BUS_LAST, bus);
}

const char *
cvg_sound_model_to_string(int model)
{
    return cvg_enum_to_string(sound_model_names, CVG_SOUND_LAST, model);
}

/* ---- objects ---- */

void
cvg_domain_graphics_free(CvgDomainGraphics *gfx)
{
    if (!gfx)
        return;
    g_free(gfx->listen);
    g_free(gfx->listen_live);
    g_free(gfx);
}

static void
video_free(CvgDomainVideo *video)
{
    cvg_dx_address_clear(&video->address);
    g_free(video);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainVideo, video_free)

static void
input_free(CvgDomainInput *input)
{
    cvg_dx_address_clear(&input->address);
    g_free(input);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainInput, input_free)

static void
sound_free(CvgDomainSound *sound)
{
    cvg_dx_address_clear(&sound->address);
    g_free(sound);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainSound, sound_free)

static void
rng_free(CvgDomainRng *rng)
{
    g_free(rng->source);
    cvg_dx_address_clear(&rng->address);
    g_free(rng);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainRng, rng_free)

static void
channel_free(CvgDomainChannel *chan)
{
    g_free(chan->path);
    g_free(chan->target_name);
    cvg_dx_address_clear(&chan->address);
    g_free(chan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainChannel, channel_free)

#define LIST_FREE(list, n, fn)                                                 \
    do {                                                                       \
        for (size_t i_ = 0; i_ < (n); i_++)                                    \
            fn((list)[i_]);                                                    \
        g_free(list);                                                          \
    } while (0)

void
cvg_dx_misc_free(CvgDomainDef *def)
{
    LIST_FREE(def->graphics, def->ngraphics, cvg_domain_graphics_free);
    LIST_FREE(def->videos, def->nvideos, video_free);
    LIST_FREE(def->inputs, def->ninputs, input_free);
    LIST_FREE(def->sounds, def->nsounds, sound_free);
    LIST_FREE(def->rngs, def->nrngs, rng_free);
    LIST_FREE(def->channels, def->nchannels, channel_free);
    cvg_dx_address_clear(&def->balloon_address);
}

/* Copy @n items of @list with a shallow copy each, then @fix. */
#define LIST_COPY(dst, src, n, type, fix)                                      \
    do {                                                                       \
        (dst) = (n) ? g_new0(type *, (n)) : NULL;                              \
        for (size_t i_ = 0; i_ < (n); i_++) {                                  \
            type *c_ = g_new0(type, 1);                                        \
            const type *s_ = (src)[i_];                                        \
            *c_ = *s_;                                                         \
            fix;                                                               \
            (dst)[i_] = c_;                                                    \
        }                                                                      \
    } while (0)

void
cvg_dx_misc_copy(CvgDomainDef *copy, const CvgDomainDef *def)
{
    LIST_COPY(copy->graphics, def->graphics, def->ngraphics, CvgDomainGraphics,
              {
                  c_->listen = g_strdup(s_->listen);
                  c_->listen_live = g_strdup(s_->listen_live);
              });
    LIST_COPY(copy->videos, def->videos, def->nvideos, CvgDomainVideo,
              cvg_dx_address_copy(&c_->address, &s_->address));
    LIST_COPY(copy->inputs, def->inputs, def->ninputs, CvgDomainInput,
              cvg_dx_address_copy(&c_->address, &s_->address));
    LIST_COPY(copy->sounds, def->sounds, def->nsounds, CvgDomainSound,
              cvg_dx_address_copy(&c_->address, &s_->address));
    LIST_COPY(copy->rngs, def->rngs, def->nrngs, CvgDomainRng, {
        c_->source = g_strdup(s_->source);
        cvg_dx_address_copy(&c_->address, &s_->address);
    });
    LIST_COPY(copy->channels, def->channels, def->nchannels, CvgDomainChannel, {
        c_->path = g_strdup(s_->path);
        c_->target_name = g_strdup(s_->target_name);
        cvg_dx_address_copy(&c_->address, &s_->address);
    });
    cvg_dx_address_copy(&copy->balloon_address, &def->balloon_address);
}

CvgDomainGraphics *
cvg_domain_def_vnc(const CvgDomainDef *def)
{
    return def->ngraphics ? def->graphics[0] : NULL;
}

/* ---- parsing helpers ---- */

/* An enum-valued attribute: -1 when absent (nothing reported), -2 with an
 * error (unsupported value) reported. */
static int
enum_attr(xmlNodePtr node, const char *attr, const char *const *names, int n)
{
    g_autofree char *value = cvg_xml_prop(node, attr);
    int v;

    if (!value)
        return -1;
    if ((v = cvg_enum_from_string(names, n, value)) < 0) {
        cvg_dx_report_unsupported_attr_value(value, attr, node);
        return -2;
    }
    return v;
}

/* A required enum-valued attribute. */
static int
enum_attr_required(xmlNodePtr node, const char *attr, const char *const *names,
                   int n)
{
    int v = enum_attr(node, attr, names, n);

    if (v == -1)
        cvg_dx_report_missing_attr(attr, node);
    return v < 0 ? -1 : v;
}

/* Children every device may have: <alias> (runtime, ignored) and
 * <address> (kept in @addr, may be NULL to refuse it).  1 when @cur was
 * one of them, 0 when not, -1 on error. */
static int
common_child(xmlNodePtr cur, CvgDeviceAddress *addr)
{
    static const char *const alias_attrs[] = {"name", NULL};

    if (cvg_dx_node_is(cur, "alias"))
        return cvg_dx_check_empty(cur, alias_attrs) < 0 ? -1 : 1;
    if (addr && cvg_dx_node_is(cur, "address"))
        return cvg_dx_parse_address(cur, addr) < 0 ? -1 : 1;
    return 0;
}

/* A device element whose only children are <alias> and <address>. */
static int
plain_device_children(xmlNodePtr node, CvgDeviceAddress *addr)
{
    xmlNodePtr cur;

    if (cvg_dx_check_container(node, NULL) < 0)
        return -1;
    for (cur = node->children; cur; cur = cur->next) {
        int rc;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if ((rc = common_child(cur, addr)) < 0)
            return -1;
        if (rc == 0)
            return cvg_dx_report_unsupported_element(cur);
    }
    return 0;
}

/* A listen address becomes part of a QEMU option: plain IPv4, IPv6 or a
 * host name. */
static bool
listen_is_valid(const char *addr)
{
    const char *p;

    if (!*addr)
        return false;
    for (p = addr; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(".:-_", *p))
            return false;
    }
    return true;
}

/* An unsigned attribute up to @max; *ret unchanged when absent. */
static int
uint_attr(xmlNodePtr node, const char *attr, unsigned long long max,
          unsigned long long *ret)
{
    g_autofree char *value = cvg_xml_prop(node, attr);
    unsigned long long v;

    if (!value)
        return 0;
    if (cvg_dx_parse_ull(value, &v) < 0 || v > max)
        return cvg_dx_report_invalid_attr(value, attr, node);
    *ret = v;
    return 0;
}

/* ---- <graphics> ---- */

/* fromConfig='1' (status XML only): @address was the daemon's vnc_listen,
 * the runtime address of a display whose XML names none; '0': it was
 * given.  Absent (a status XML of an earlier daemon): not known. */
static int
parse_graphics_listen_origin(xmlNodePtr node, CvgDomainGraphics *gfx,
                             char **address)
{
    g_autofree char *from_config = cvg_xml_prop(node, "fromConfig");

    if (!from_config)
        return 0;
    if (strcmp(from_config, "0") != 0 && strcmp(from_config, "1") != 0)
        return cvg_dx_report_invalid_attr(from_config, "fromConfig", node);
    g_free(gfx->listen_live);
    gfx->listen_live = g_strdup(*address);
    if (strcmp(from_config, "1") == 0)
        g_clear_pointer(address, g_free);
    return 0;
}

static int
parse_graphics_listen(xmlNodePtr node, CvgDomainGraphics *gfx, bool status)
{
    static const char *const attrs[] = {"type", "address", NULL};
    static const char *const status_attrs[] = {"type", "address", "fromConfig",
                                               NULL};
    g_autofree char *type = cvg_xml_prop(node, "type");
    g_autofree char *address = cvg_xml_prop(node, "address");

    if (cvg_dx_check_empty(node, status ? status_attrs : attrs) < 0)
        return -1;
    if (!type)
        return cvg_dx_report_missing_attr("type", node);
    if (strcmp(type, "address") != 0)
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    if (!address)
        return 0;
    if (!listen_is_valid(address))
        return cvg_dx_report_invalid_attr(address, "address", node);
    if (gfx->listen && strcmp(gfx->listen, address) != 0) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("graphics 'listen' attribute '%s' must match 'address' "
                     "attribute of first listen element (found '%s')"),
                   gfx->listen, address);
        return -1;
    }
    if (status && parse_graphics_listen_origin(node, gfx, &address) < 0)
        return -1;
    g_free(gfx->listen);
    gfx->listen = g_steal_pointer(&address);
    return 0;
}

static int
parse_graphics_port(xmlNodePtr node, CvgDomainGraphics *gfx, bool status)
{
    g_autofree char *port = cvg_xml_prop(node, "port");
    g_autofree char *autoport = cvg_xml_prop(node, "autoport");
    unsigned long long v = 0;

    gfx->port = -1;
    if (autoport && strcmp(autoport, "yes") != 0 && strcmp(autoport, "no") != 0)
        return cvg_dx_report_invalid_attr(autoport, "autoport", node);
    if (port && strcmp(port, "-1") != 0 &&
        (cvg_dx_parse_ull(port, &v) < 0 || v > VNC_PORT_MAX))
        return cvg_dx_report_invalid_attr(port, "port", node);
    /* As libvirt: port -1 (or none) means autoport, and autoport='yes'
     * makes a given port runtime data, kept only in the status XML. */
    gfx->autoport =
        !port || strcmp(port, "-1") == 0 || g_strcmp0(autoport, "yes") == 0;
    if (gfx->autoport) {
        if (status && port && v >= VNC_PORT_BASE)
            gfx->port = v;
        return 0;
    }
    if (v < VNC_PORT_BASE) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("VNC port %llu is below %d, where VNC displays start"), v,
                   VNC_PORT_BASE);
        return -1;
    }
    gfx->port = v;
    return 0;
}

static CvgDomainGraphics *
parse_graphics(xmlNodePtr node, bool status)
{
    static const char *const attrs[] = {"type", "port", "autoport", "listen",
                                        NULL};
    static const char *const repeatable[] = {"listen", NULL};
    g_autoptr(CvgDomainGraphics) gfx = g_new0(CvgDomainGraphics, 1);
    g_autofree char *type = cvg_xml_prop(node, "type");
    xmlNodePtr cur;
    bool first_listen = true;

    if (!type) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if (strcmp(type, "vnc") != 0) {
        cvg_dx_report_unsupported_attr_value(type, "type", node);
        return NULL;
    }
    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, repeatable) < 0 ||
        parse_graphics_port(node, gfx, status) < 0)
        return NULL;
    gfx->listen = cvg_xml_prop(node, "listen");
    if (gfx->listen && !listen_is_valid(gfx->listen)) {
        cvg_dx_report_invalid_attr(gfx->listen, "listen", node);
        return NULL;
    }
    for (cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        /* QEMU's VNC server listens on one address. */
        if (!cvg_dx_node_is(cur, "listen") || !first_listen) {
            cvg_dx_report_unsupported_element(cur);
            return NULL;
        }
        first_listen = false;
        if (parse_graphics_listen(cur, gfx, status) < 0)
            return NULL;
    }
    return g_steal_pointer(&gfx);
}

/* ---- <video> ---- */

static int
parse_video_model(xmlNodePtr node, CvgDomainVideo *video)
{
    static const char *const attrs[] = {"type",  "vram",    "ram", "vgamem",
                                        "heads", "primary", NULL};
    g_autofree char *primary = cvg_xml_prop(node, "primary");
    unsigned long long vram = 0, ram = 0, vgamem = 0, heads = 0;

    if (cvg_dx_check_empty(node, attrs) < 0 ||
        (video->model = enum_attr_required(node, "type", video_model_names,
                                           CVG_VIDEO_LAST)) < 0 ||
        uint_attr(node, "vram", G_MAXUINT32 / 1024, &vram) < 0 ||
        uint_attr(node, "ram", G_MAXUINT32 / 1024, &ram) < 0 ||
        uint_attr(node, "vgamem", G_MAXUINT32 / 1024, &vgamem) < 0 ||
        uint_attr(node, "heads", 16, &heads) < 0)
        return -1;
    if (primary && strcmp(primary, "yes") != 0 && strcmp(primary, "no") != 0)
        return cvg_dx_report_invalid_attr(primary, "primary", node);
    video->vram = vram;
    video->ram = ram;
    video->vgamem = vgamem;
    video->heads = heads;
    video->primary = g_strcmp0(primary, "yes") == 0;
    return 0;
}

static CvgDomainVideo *
parse_video(xmlNodePtr node)
{
    g_autoptr(CvgDomainVideo) video = g_new0(CvgDomainVideo, 1);
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, NULL) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    /* libvirt's default model for x86 guests. */
    video->model = CVG_VIDEO_VGA;
    for (cur = node->children; cur; cur = cur->next) {
        int rc;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "model")) {
            if (parse_video_model(cur, video) < 0)
                return NULL;
            continue;
        }
        if ((rc = common_child(cur, &video->address)) < 0)
            return NULL;
        if (rc == 0) {
            cvg_dx_report_unsupported_element(cur);
            return NULL;
        }
    }
    return g_steal_pointer(&video);
}

/* ---- <input>, <sound>, <memballoon> ---- */

static CvgDomainInput *
parse_input(xmlNodePtr node)
{
    static const char *const attrs[] = {"type", "bus", NULL};
    g_autoptr(CvgDomainInput) input = g_new0(CvgDomainInput, 1);
    int bus;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        (input->type = enum_attr_required(node, "type", input_type_names,
                                          CVG_INPUT_LAST)) < 0 ||
        (bus = enum_attr(node, "bus", input_bus_names, CVG_INPUT_BUS_LAST)) ==
            -2 ||
        plain_device_children(node, &input->address) < 0)
        return NULL;
    /* libvirt's defaults: a tablet is a USB device, the others PS/2. */
    if (bus < 0)
        bus = input->type == CVG_INPUT_TABLET ? CVG_INPUT_BUS_USB
                                              : CVG_INPUT_BUS_PS2;
    if (input->type == CVG_INPUT_TABLET && bus == CVG_INPUT_BUS_PS2) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("input type '%s' is not supported on bus '%s'"), "tablet",
                   "ps2");
        return NULL;
    }
    input->bus = bus;
    return g_steal_pointer(&input);
}

static CvgDomainSound *
parse_sound(xmlNodePtr node)
{
    static const char *const attrs[] = {"model", NULL};
    g_autoptr(CvgDomainSound) sound = g_new0(CvgDomainSound, 1);

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        (sound->model = enum_attr_required(node, "model", sound_model_names,
                                           CVG_SOUND_LAST)) < 0 ||
        plain_device_children(node, &sound->address) < 0)
        return NULL;
    return g_steal_pointer(&sound);
}

static int
parse_memballoon(xmlNodePtr node, CvgDomainDef *def)
{
    static const char *const attrs[] = {"model", "autodeflate",
                                        "freePageReporting", NULL};
    g_autofree char *deflate = cvg_xml_prop(node, "autodeflate");
    g_autofree char *report = cvg_xml_prop(node, "freePageReporting");
    int model;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        (model = enum_attr_required(node, "model", balloon_names,
                                    CVG_BALLOON_LAST)) < 0 ||
        plain_device_children(node, &def->balloon_address) < 0)
        return -1;
    /* Spelled-out defaults only: QEMU's balloon does neither unasked. */
    if (deflate && strcmp(deflate, "off") != 0)
        return cvg_dx_report_unsupported_attr_value(deflate, "autodeflate",
                                                    node);
    if (report && strcmp(report, "off") != 0)
        return cvg_dx_report_unsupported_attr_value(report, "freePageReporting",
                                                    node);
    if (def->memballoon != CVG_BALLOON_ABSENT) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("element '%s' appears more than once in element '%s'"),
                   "memballoon", "devices");
        return -1;
    }
    def->memballoon = model;
    return 0;
}

/* ---- <rng> ---- */

static int
parse_rng_backend(xmlNodePtr node, CvgDomainRng *rng)
{
    static const char *const attrs[] = {"model", NULL};
    g_autofree char *text = NULL;

    if ((rng->backend = enum_attr_required(node, "model", rng_backend_names,
                                           CVG_RNG_BACKEND_LAST)) < 0 ||
        cvg_dx_leaf_text(node, attrs, true, &text) < 0)
        return -1;
    if (rng->backend == CVG_RNG_BACKEND_BUILTIN) {
        if (*text)
            return cvg_dx_report_invalid_value(text, node);
        return 0;
    }
    /* libvirt's default source, and the only one that never blocks. */
    if (!*text) {
        rng->source = g_strdup("/dev/urandom");
        return 0;
    }
    if (cvg_dx_check_path(text, node) < 0)
        return -1;
    rng->source = g_steal_pointer(&text);
    return 0;
}

static int
parse_rng_rate(xmlNodePtr node, CvgDomainRng *rng)
{
    static const char *const attrs[] = {"bytes", "period", NULL};

    if (cvg_dx_check_empty(node, attrs) < 0 ||
        uint_attr(node, "bytes", G_MAXINT64, &rng->rate_bytes) < 0 ||
        uint_attr(node, "period", G_MAXUINT32, &rng->rate_period) < 0)
        return -1;
    if (!rng->rate_bytes)
        return cvg_dx_report_missing_attr("bytes", node);
    return 0;
}

static CvgDomainRng *
parse_rng(xmlNodePtr node)
{
    static const char *const attrs[] = {"model", NULL};
    g_autoptr(CvgDomainRng) rng = g_new0(CvgDomainRng, 1);
    g_autofree char *model = cvg_xml_prop(node, "model");
    xmlNodePtr cur;

    rng->backend = -1;
    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!model) {
        cvg_dx_report_missing_attr("model", node);
        return NULL;
    }
    if (strcmp(model, "virtio") != 0) {
        cvg_dx_report_unsupported_attr_value(model, "model", node);
        return NULL;
    }
    for (cur = node->children; cur; cur = cur->next) {
        int rc = 0;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "backend"))
            rc = parse_rng_backend(cur, rng) < 0 ? -1 : 1;
        else if (cvg_dx_node_is(cur, "rate"))
            rc = parse_rng_rate(cur, rng) < 0 ? -1 : 1;
        else
            rc = common_child(cur, &rng->address);
        if (rc < 0)
            return NULL;
        if (rc == 0) {
            cvg_dx_report_unsupported_element(cur);
            return NULL;
        }
    }
    if (rng->backend < 0) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required element '%s' in element '%s'"),
                   "backend", "rng");
        return NULL;
    }
    return g_steal_pointer(&rng);
}

/* ---- <channel> ---- */

static int
parse_channel_source(xmlNodePtr node, CvgDomainChannel *chan, bool status)
{
    static const char *const attrs[] = {"mode", "path", NULL};
    g_autofree char *mode = cvg_xml_prop(node, "mode");
    g_autofree char *path = cvg_xml_prop(node, "path");

    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    /* QEMU listens and the guest agent's client connects. */
    if (mode && strcmp(mode, "bind") != 0)
        return cvg_dx_report_unsupported_attr_value(mode, "mode", node);
    if (!path)
        return 0;
    if (cvg_dx_check_path(path, node) < 0)
        return -1;
    if (strchr(path, ',') && !status) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("channel path '%s' must not contain ','"), path);
        return -1;
    }
    chan->path = g_steal_pointer(&path);
    return 0;
}

static int
parse_channel_target(xmlNodePtr node, CvgDomainChannel *chan)
{
    static const char *const attrs[] = {"type", "name", "state", NULL};
    g_autofree char *type = cvg_xml_prop(node, "type");
    g_autofree char *name = cvg_xml_prop(node, "name");

    /* state= is runtime data (the agent connected or not): ignored. */
    if (cvg_dx_check_empty(node, attrs) < 0)
        return -1;
    if (!type)
        return cvg_dx_report_missing_attr("type", node);
    if (strcmp(type, "virtio") != 0)
        return cvg_dx_report_unsupported_attr_value(type, "type", node);
    if (!name)
        return cvg_dx_report_missing_attr("name", node);
    if (!cvg_dx_name_is_valid(name, 64))
        return cvg_dx_report_invalid_attr(name, "name", node);
    chan->target_name = g_steal_pointer(&name);
    return 0;
}

static CvgDomainChannel *
parse_channel(xmlNodePtr node, bool status)
{
    static const char *const attrs[] = {"type", NULL};
    g_autoptr(CvgDomainChannel) chan = g_new0(CvgDomainChannel, 1);
    g_autofree char *type = cvg_xml_prop(node, "type");
    xmlNodePtr cur;

    if (cvg_dx_check_attrs(node, attrs) < 0 ||
        cvg_dx_check_container(node, NULL) < 0)
        return NULL;
    if (!type) {
        cvg_dx_report_missing_attr("type", node);
        return NULL;
    }
    if (strcmp(type, "unix") != 0) {
        cvg_dx_report_unsupported_attr_value(type, "type", node);
        return NULL;
    }
    for (cur = node->children; cur; cur = cur->next) {
        int rc;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cvg_dx_node_is(cur, "source"))
            rc = parse_channel_source(cur, chan, status) < 0 ? -1 : 1;
        else if (cvg_dx_node_is(cur, "target"))
            rc = parse_channel_target(cur, chan) < 0 ? -1 : 1;
        else
            rc = common_child(cur, &chan->address);
        if (rc < 0)
            return NULL;
        if (rc == 0) {
            cvg_dx_report_unsupported_element(cur);
            return NULL;
        }
    }
    if (!chan->target_name) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("missing required element '%s' in element '%s'"), "target",
                   "channel");
        return NULL;
    }
    return g_steal_pointer(&chan);
}

int
cvg_dx_parse_misc_device(xmlNodePtr node, CvgDomainDef *def, bool status)
{
    if (cvg_dx_node_is(node, "graphics")) {
        g_autoptr(CvgDomainGraphics) gfx = parse_graphics(node, status);

        if (!gfx)
            return -1;
        LIST_ADD(def->graphics, def->ngraphics, gfx);
    } else if (cvg_dx_node_is(node, "video")) {
        g_autoptr(CvgDomainVideo) video = parse_video(node);

        if (!video)
            return -1;
        LIST_ADD(def->videos, def->nvideos, video);
    } else if (cvg_dx_node_is(node, "input")) {
        g_autoptr(CvgDomainInput) input = parse_input(node);

        if (!input)
            return -1;
        LIST_ADD(def->inputs, def->ninputs, input);
    } else if (cvg_dx_node_is(node, "sound")) {
        g_autoptr(CvgDomainSound) sound = parse_sound(node);

        if (!sound)
            return -1;
        LIST_ADD(def->sounds, def->nsounds, sound);
    } else if (cvg_dx_node_is(node, "rng")) {
        g_autoptr(CvgDomainRng) rng = parse_rng(node);

        if (!rng)
            return -1;
        LIST_ADD(def->rngs, def->nrngs, rng);
    } else if (cvg_dx_node_is(node, "channel")) {
        g_autoptr(CvgDomainChannel) chan = parse_channel(node, status);

        if (!chan)
            return -1;
        LIST_ADD(def->channels, def->nchannels, chan);
    } else if (cvg_dx_node_is(node, "memballoon")) {
        return parse_memballoon(node, def);
    } else {
        return cvg_dx_report_unsupported_element(node);
    }
    return 0;
}

/* ---- checks across devices ---- */

static int
check_channels(CvgDomainDef *def)
{
    size_t i;
    size_t j;

    for (i = 0; i < def->nchannels; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(def->channels[i]->target_name,
                       def->channels[j]->target_name) == 0) {
                conf_error(CVG_ERR_XML_ERROR,
                           _("virtio channel name '%s' is used more than "
                             "once"),
                           def->channels[i]->target_name);
                return -1;
            }
        }
    }
    /* Like libvirt: virtio channels need a virtio-serial controller. */
    if (def->nchannels &&
        !cvg_dx_find_controller(def, CVG_CONTROLLER_TYPE_VIRTIO_SERIAL, 0))
        cvg_dx_add_implicit_controller(def, CVG_CONTROLLER_TYPE_VIRTIO_SERIAL,
                                       0);
    return 0;
}

int
cvg_dx_check_misc(CvgDomainDef *def)
{
    size_t i;
    size_t nprimary = 0;

    if (def->ngraphics > 1) {
        conf_error(CVG_ERR_CONFIG_UNSUPPORTED,
                   _("only one element '%s' is supported"), "graphics");
        return -1;
    }
    /* Like libvirt: a display needs a video card. */
    if (def->ngraphics && !def->nvideos) {
        g_autoptr(CvgDomainVideo) video = g_new0(CvgDomainVideo, 1);

        video->model = CVG_VIDEO_VGA;
        LIST_ADD(def->videos, def->nvideos, video);
    }
    for (i = 0; i < def->nvideos; i++)
        nprimary += def->videos[i]->primary;
    if (nprimary > 1) {
        conf_error(CVG_ERR_XML_ERROR,
                   _("only one primary video device is supported"));
        return -1;
    }
    for (i = 0; i < def->ninputs; i++) {
        const CvgDomainController *usb;

        if (def->inputs[i]->bus != CVG_INPUT_BUS_USB)
            continue;
        if (!(usb = cvg_dx_find_controller(def, CVG_CONTROLLER_TYPE_USB, 0))) {
            cvg_dx_add_implicit_controller(def, CVG_CONTROLLER_TYPE_USB, 0);
        } else if (g_strcmp0(usb->model, "none") == 0) {
            conf_error(CVG_ERR_XML_ERROR,
                       _("USB input device '%s' needs a USB controller, but "
                         "the USB controller model is 'none'"),
                       input_type_names[def->inputs[i]->type]);
            return -1;
        }
    }
    return check_channels(def);
}

/* ---- formatting ---- */

static void
format_graphics(GString *buf, const CvgDomainGraphics *gfx, bool live,
                bool status)
{
    const char *listen =
        live && gfx->listen_live ? gfx->listen_live : gfx->listen;
    int port = gfx->autoport && !live ? -1 : gfx->port;

    g_string_append_printf(buf,
                           "    <graphics type='vnc' port='%d' autoport='%s'",
                           port, gfx->autoport ? "yes" : "no");
    if (listen)
        g_string_append_printf(buf, " listen='%s'", listen);
    g_string_append(buf, ">\n      <listen type='address'");
    if (listen)
        g_string_append_printf(buf, " address='%s'", listen);
    /* The live XML cannot tell the daemon's vnc_listen from the same
     * address given in the XML; the status XML says which it was. */
    if (live && status && gfx->listen_live)
        g_string_append_printf(buf, " fromConfig='%d'", gfx->listen ? 0 : 1);
    g_string_append(buf, "/>\n    </graphics>\n");
}

static void
format_video(GString *buf, const CvgDomainVideo *video)
{
    g_string_append_printf(buf, "    <video>\n      <model type='%s'",
                           video_model_names[video->model]);
    if (video->ram)
        g_string_append_printf(buf, " ram='%u'", video->ram);
    if (video->vram)
        g_string_append_printf(buf, " vram='%u'", video->vram);
    if (video->vgamem)
        g_string_append_printf(buf, " vgamem='%u'", video->vgamem);
    if (video->heads)
        g_string_append_printf(buf, " heads='%u'", video->heads);
    if (video->primary)
        g_string_append(buf, " primary='yes'");
    g_string_append(buf, "/>\n");
    cvg_dx_format_address(buf, 6, &video->address);
    g_string_append(buf, "    </video>\n");
}

/* <NAME ATTRS/> or, with an address, <NAME ATTRS>address</NAME>. */
static void
format_simple(GString *buf, const char *name, const char *attrs,
              const CvgDeviceAddress *addr)
{
    g_string_append_printf(buf, "    <%s %s", name, attrs);
    if (!addr->type) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n");
    cvg_dx_format_address(buf, 6, addr);
    g_string_append_printf(buf, "    </%s>\n", name);
}

static void
format_rng(GString *buf, const CvgDomainRng *rng)
{
    g_string_append(buf, "    <rng model='virtio'>\n");
    if (rng->rate_bytes) {
        g_string_append_printf(buf, "      <rate bytes='%llu'",
                               rng->rate_bytes);
        if (rng->rate_period)
            g_string_append_printf(buf, " period='%llu'", rng->rate_period);
        g_string_append(buf, "/>\n");
    }
    if (rng->backend == CVG_RNG_BACKEND_BUILTIN) {
        g_string_append(buf, "      <backend model='builtin'/>\n");
    } else {
        g_string_append(buf, "      <backend model='random'>");
        cvg_xml_escape(buf, rng->source, false);
        g_string_append(buf, "</backend>\n");
    }
    cvg_dx_format_address(buf, 6, &rng->address);
    g_string_append(buf, "    </rng>\n");
}

static void
format_channel(GString *buf, const CvgDomainChannel *chan, bool live)
{
    g_string_append(buf, "    <channel type='unix'>\n");
    g_string_append(buf, "      <source mode='bind'");
    if (chan->path && (live || !chan->path_auto)) {
        g_string_append(buf, " path='");
        cvg_xml_escape(buf, chan->path, true);
        g_string_append_c(buf, '\'');
    }
    g_string_append(buf, "/>\n");
    g_string_append_printf(buf, "      <target type='virtio' name='%s'/>\n",
                           chan->target_name);
    cvg_dx_format_address(buf, 6, &chan->address);
    g_string_append(buf, "    </channel>\n");
}

bool
cvg_dx_has_misc(const CvgDomainDef *def)
{
    return def->ngraphics || def->nvideos || def->ninputs || def->nsounds ||
           def->nrngs || def->nchannels ||
           def->memballoon != CVG_BALLOON_ABSENT;
}

/* libvirt's order: channels, inputs, graphics, sound, video, memballoon,
 * rng. */
void
cvg_dx_format_misc(GString *buf, const CvgDomainDef *def, bool live,
                   unsigned int flags)
{
    bool migratable = flags & CVG_DOMAIN_XML_MIGRATABLE;
    size_t i;

    /* A socket the daemon made is this host's: a migration's destination
     * makes its own. */
    for (i = 0; i < def->nchannels; i++)
        format_channel(buf, def->channels[i], live && !migratable);
    for (i = 0; i < def->ninputs; i++) {
        g_autofree char *attrs = g_strdup_printf(
            "type='%s' bus='%s'", input_type_names[def->inputs[i]->type],
            input_bus_names[def->inputs[i]->bus]);

        format_simple(buf, "input", attrs, &def->inputs[i]->address);
    }
    for (i = 0; i < def->ngraphics; i++)
        format_graphics(buf, def->graphics[i], live,
                        flags & CVG_DOMAIN_XML_STATUS);
    for (i = 0; i < def->nsounds; i++) {
        g_autofree char *attrs = g_strdup_printf(
            "model='%s'", sound_model_names[def->sounds[i]->model]);

        format_simple(buf, "sound", attrs, &def->sounds[i]->address);
    }
    for (i = 0; i < def->nvideos; i++)
        format_video(buf, def->videos[i]);
    if (def->memballoon != CVG_BALLOON_ABSENT) {
        g_autofree char *attrs =
            g_strdup_printf("model='%s'", balloon_names[def->memballoon]);

        format_simple(buf, "memballoon", attrs, &def->balloon_address);
    }
    for (i = 0; i < def->nrngs; i++)
        format_rng(buf, def->rngs[i]);
}
