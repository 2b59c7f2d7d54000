/*
 * qemucommandtest.c: the storage and network part of QEMU's command line,
 * and the qcow2 header probe
 *
 * Each tests/qemucommanddata/NAME.in.xml is parsed and its -machine, -smp,
 * machine-wide (cvg_qemu_command_add_machine_extras() under TCG), storage,
 * network and device options written one argument per line; they must
 * equal NAME.args.  The runtime data is what a start would give: VNC port
 * 5900 for autoport, listen 127.0.0.1, channel sockets in /run/convergd.
 * CVG_TEST_REGENERATE=1 rewrites the .args files.
 */
#include "qemu-command.h"
#include "qemu-graphics.h"

#include "cvg-error.h"
#include "testutils.h"

#include <stdio.h>
#include <string.h>

#define DATADIR "qemucommanddata"

/* The runtime data cvg_qemu_graphics_prepare() would fill in, without
 * touching the daemon's port table. */
static void
simulate_start(CvgDomainDef *def)
{
    CvgDomainGraphics *gfx = cvg_domain_def_vnc(def);
    size_t i;

    if (gfx) {
        if (gfx->autoport)
            gfx->port = 5900;
        gfx->listen_live = g_strdup(gfx->listen ? gfx->listen : "127.0.0.1");
    }
    for (i = 0; i < def->nchannels; i++) {
        if (!def->channels[i]->path)
            def->channels[i]->path =
                g_strdup_printf("/run/convergd/%s.%s", def->name,
                                def->channels[i]->target_name);
    }
}

static int
test_case(const void *data)
{
    const char *name = data;
    g_autofree char *in_path = cvg_test_case_path(DATADIR, name, ".in.xml");
    g_autofree char *args_path = cvg_test_case_path(DATADIR, name, ".args");
    g_autofree char *xml = cvg_test_load_file(in_path);
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) out = g_string_new(NULL);
    size_t i;

    if (!xml || !(def = cvg_domain_def_parse_string(xml, 0))) {
        fprintf(stderr, "%s: cannot parse\n", name);
        return -1;
    }
    simulate_start(def);
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, cvg_qemu_machine_option(def));
    g_ptr_array_add(argv, g_strdup("-smp"));
    g_ptr_array_add(argv, cvg_qemu_smp_option(def));
    cvg_qemu_command_add_machine_extras(argv, def,
                                        g_strcmp0(def->virt_type, "kvm") == 0);
    cvg_qemu_command_add_storage(argv, def);
    cvg_qemu_command_add_nets(argv, def);
    cvg_qemu_command_add_devices(argv, def);
    for (i = 0; i < argv->len; i++)
        g_string_append_printf(out, "%s\n", (char *)argv->pdata[i]);
    return cvg_test_compare_file(args_path, out->str);
}

/* A qcow2 v3 header with @backing at offset 0x100 (or none). */
static unsigned char *
make_header(const char *backing, size_t *ret_len)
{
    unsigned char *buf = g_malloc0(512);
    size_t blen = backing ? strlen(backing) : 0;

    memcpy(buf, "QFI\xfb", 4);
    buf[7] = 3;
    if (backing) {
        buf[14] = 0x01; /* offset 0x100 */
        buf[19] = blen;
        memcpy(buf + 0x100, backing, blen);
    }
    *ret_len = 512;
    return buf;
}

static int
test_qcow2_header(const void *data G_GNUC_UNUSED)
{
    size_t len;
    g_autofree unsigned char *plain = make_header(NULL, &len);
    g_autofree unsigned char *backed = make_header("base.qcow2", &len);
    g_autofree char *backing = NULL;
    int format = -1;

    if (cvg_qcow2_header_parse(plain, len, &format, &backing) < 0 ||
        format != CVG_DISK_FORMAT_QCOW2 || backing)
        return -1;
    if (cvg_qcow2_header_parse(backed, len, &format, &backing) < 0 ||
        g_strcmp0(backing, "base.qcow2") != 0)
        return -1;
    g_clear_pointer(&backing, g_free);
    /* Raw: anything without the magic, even nothing. */
    if (cvg_qcow2_header_parse((const unsigned char *)"", 0, &format,
                               &backing) < 0 ||
        format != CVG_DISK_FORMAT_RAW || backing)
        return -1;
    /* Damaged: truncated, name past the end, bad version. */
    if (cvg_qcow2_header_parse(backed, 0x100 + 4, &format, &backing) == 0 ||
        cvg_qcow2_header_parse(backed, 12, &format, &backing) == 0)
        return -1;
    backed[7] = 9;
    if (cvg_qcow2_header_parse(backed, len, &format, &backing) == 0)
        return -1;
    return 0;
}

static int
test_missing_image(const void *data G_GNUC_UNUSED)
{
    g_autofree char *xml =
        g_strdup("<domain type='qemu'><name>m</name><memory>1024</memory>"
                 "<os><type>hvm</type></os><devices><disk type='file'>"
                 "<source file='/nonexistent/convergd-test.img'/>"
                 "<target dev='vda'/></disk></devices></domain>");
    g_autoptr(CvgDomainDef) def = cvg_domain_def_parse_string(xml, 0);
    const CvgError *err;

    if (!def || cvg_qemu_check_disk_images(def) == 0)
        return -1;
    err = cvg_error_last();
    if (!err || err->code != CVG_ERR_SYSTEM_ERROR ||
        !strstr(err->message, "Cannot access storage file "
                              "'/nonexistent/convergd-test.img'")) {
        fprintf(stderr, "unexpected error: %s\n", err ? err->message : "");
        return -1;
    }
    cvg_error_reset();
    return 0;
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".in.xml");
    size_t i;

    if (cases->len == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return 1;
    }
    for (i = 0; i < cases->len; i++)
        cvg_test_run(g_ptr_array_index(cases, i), test_case,
                     g_ptr_array_index(cases, i));
    cvg_test_run("qcow2-header", test_qcow2_header, NULL);
    cvg_test_run("missing-image", test_missing_image, NULL);
    return cvg_test_finish();
}
