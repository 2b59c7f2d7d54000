/*
 * storagetest.c: storage pool XML and the dir pool driver
 *
 * Each tests/storagedata/NAME.in.xml is parsed as pool XML.  With NAME.err
 * the parse must fail with that "<code>: <message>" line; with NAME.out.xml
 * the formatted (inactive) XML must equal it and parse back to itself.
 * The driver cases run in a temporary state directory with a pool over a
 * temporary directory holding a raw file and a qcow2 header.
 */
#include "qemu-storage.h"

#include "cvg-error.h"
#include "testutils.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DATADIR "storagedata"

static int
test_case(const void *data)
{
    const char *name = data;
    g_autofree char *in_path = cvg_test_case_path(DATADIR, name, ".in.xml");
    g_autofree char *out_path = cvg_test_case_path(DATADIR, name, ".out.xml");
    g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");
    g_autofree char *input = NULL;
    g_autoptr(CvgStoragePoolDef) def = NULL;
    g_autoptr(CvgStoragePoolDef) again = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *xml2 = NULL;
    g_autofree char *err = NULL;

    if (!(input = cvg_test_load_file(in_path)))
        return -1;
    cvg_error_reset();
    def = cvg_storage_pool_def_parse(input);
    if (g_file_test(err_path, G_FILE_TEST_EXISTS) ||
        (!def && !g_file_test(out_path, G_FILE_TEST_EXISTS))) {
        if (def) {
            fprintf(stderr, "%s: parse succeeded, expected an error\n", name);
            return -1;
        }
        err = cvg_test_error_line();
        return cvg_test_compare_file(err_path, err);
    }
    if (!def) {
        fprintf(stderr, "%s: parse failed: %s", name, cvg_test_error_line());
        return -1;
    }
    xml = cvg_storage_pool_def_format(def, NULL);
    if (cvg_test_compare_file(out_path, xml) < 0)
        return -1;
    if (!(again = cvg_storage_pool_def_parse(xml)))
        return -1;
    xml2 = cvg_storage_pool_def_format(again, NULL);
    if (strcmp(xml, xml2) != 0) {
        fprintf(stderr, "%s: format is not stable:\n%s", name, xml2);
        return -1;
    }
    return 0;
}

/* No <uuid>: a fresh one each time. */
static int
test_uuid_generated(const void *data)
{
    static const char xml[] =
        "<pool type='dir'><name>p</name><target><path>/srv</path></target>"
        "</pool>";
    g_autoptr(CvgStoragePoolDef) a = cvg_storage_pool_def_parse(xml);
    g_autoptr(CvgStoragePoolDef) b = cvg_storage_pool_def_parse(xml);

    (void)data;
    if (!a || !b || memcmp(a->uuid, b->uuid, CVG_UUID_LEN) == 0)
        return -1;
    return 0;
}

/* ---- the driver ---- */

typedef struct {
    char *state;  /* the daemon's state directory */
    char *images; /* the pool's target */
    char *xml;    /* its definition */
} Fixture;

static void
fixture_clear(Fixture *f)
{
    g_autofree char *cmd = NULL;

    if (f->state) {
        cmd = g_strdup_printf("rm -rf '%s' '%s'", f->state, f->images);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", f->state);
    }
    g_free(f->state);
    g_free(f->images);
    g_free(f->xml);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fixture, fixture_clear)

/* A qcow2 v3 header of a 1 GiB image without a backing file. */
static void
write_qcow2(const char *path)
{
    unsigned char hdr[104] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3};

    hdr[24 + 4] = 0x40; /* size = 0x40000000, big-endian at offset 24 */
    g_file_set_contents(path, (const char *)hdr, sizeof(hdr), NULL);
}

static int
fixture_init(Fixture *f)
{
    g_autofree char *raw = NULL;
    g_autofree char *qcow2 = NULL;
    g_autofree char *sub = NULL;

    f->state = g_dir_make_tmp("cvg-storagetest-XXXXXX", NULL);
    f->images = g_dir_make_tmp("cvg-images-XXXXXX", NULL);
    if (!f->state || !f->images)
        return -1;
    raw = g_build_filename(f->images, "disk.raw", NULL);
    qcow2 = g_build_filename(f->images, "vm.qcow2", NULL);
    sub = g_build_filename(f->images, "subdir", NULL);
    g_file_set_contents(raw, "0123456789", 10, NULL);
    write_qcow2(qcow2);
    g_mkdir(sub, 0700); /* not a volume */
    f->xml = g_strdup_printf("<pool type='dir'><name>images</name>"
                             "<target><path>%s</path></target></pool>",
                             f->images);
    return 0;
}

static int
expect_error(int code, const char *what)
{
    const CvgError *err = cvg_error_last();

    if (!err || err->code != code) {
        fprintf(stderr, "%s: expected error %d, got %s", what, code,
                cvg_test_error_line());
        return -1;
    }
    cvg_error_reset();
    return 0;
}

static int
check_volumes(CvgStorage *st, const Fixture *f, const unsigned char *uuid)
{
    g_autoptr(GPtrArray) names = cvg_storage_vol_list(st, uuid);
    g_autoptr(CvgStorageVolDef) raw = NULL;
    g_autoptr(CvgStorageVolDef) qcow2 = NULL;
    g_autofree char *path = g_build_filename(f->images, "vm.qcow2", NULL);
    g_autofree char *raw_path = g_build_filename(f->images, "disk.raw", NULL);

    if (!names || names->len != 2 || strcmp(names->pdata[0], "disk.raw") != 0 ||
        strcmp(names->pdata[1], "vm.qcow2") != 0)
        return -1;
    if (!(raw = cvg_storage_vol_get(st, "images", "disk.raw")) ||
        raw->format != CVG_DISK_FORMAT_RAW || raw->capacity != 10)
        return -1;
    if (!(qcow2 = cvg_storage_vol_get_path(st, path)) ||
        qcow2->format != CVG_DISK_FORMAT_QCOW2 ||
        qcow2->capacity != 1ULL << 30 || strcmp(qcow2->pool, "images") != 0 ||
        strcmp(qcow2->name, "vm.qcow2") != 0)
        return -1;
    if (cvg_storage_vol_get(st, "images", "subdir") ||
        expect_error(CVG_ERR_NO_STORAGE_VOL, "subdir") < 0)
        return -1;
    if (cvg_storage_vol_get_path(st, "/dev/null") ||
        expect_error(CVG_ERR_NO_STORAGE_VOL, "/dev/null") < 0)
        return -1;
    /* Removed behind the pool's back: gone before the next refresh too. */
    if (unlink(raw_path) < 0 || cvg_storage_vol_get(st, "images", "disk.raw") ||
        expect_error(CVG_ERR_NO_STORAGE_VOL, "removed") < 0)
        return -1;
    return 0;
}

/* Define, refuse duplicates, start, read volumes. */
static int
check_define_start(CvgStorage *st, Fixture *f, unsigned char uuid[16])
{
    g_autoptr(CvgStoragePoolDef) def = cvg_storage_pool_define(st, f->xml);
    g_autoptr(CvgStoragePoolDef) dup = NULL;
    g_autofree char *other = NULL;

    if (!def)
        return -1;
    memcpy(uuid, def->uuid, CVG_UUID_LEN);
    /* Same name, no uuid (so another one): refused. */
    if ((dup = cvg_storage_pool_define(st, f->xml)) ||
        expect_error(CVG_ERR_OPERATION_FAILED, "duplicate name") < 0)
        return -1;
    /* Another name on the same directory: refused. */
    other = g_strdup_printf("<pool type='dir'><name>other</name>"
                            "<target><path>%s/</path></target></pool>",
                            f->images);
    if ((dup = cvg_storage_pool_define(st, other)) ||
        expect_error(CVG_ERR_OPERATION_FAILED, "same target") < 0)
        return -1;
    if (cvg_storage_vol_list(st, uuid) ||
        expect_error(CVG_ERR_OPERATION_INVALID, "inactive vol list") < 0)
        return -1;
    if (cvg_storage_pool_start(st, uuid) < 0 ||
        cvg_storage_pool_is_active(st, uuid) != 1)
        return -1;
    if (cvg_storage_pool_start(st, uuid) == 0 ||
        expect_error(CVG_ERR_OPERATION_INVALID, "start twice") < 0)
        return -1;
    return check_volumes(st, f, uuid);
}

static int
test_driver(const void *data)
{
    g_auto(Fixture) f = {0};
    g_autoptr(CvgStorage) st = NULL;
    g_autoptr(GPtrArray) active = NULL;
    unsigned char uuid[16];
    int state = -1;
    CvgStoragePoolSizes sizes;

    (void)data;
    if (fixture_init(&f) < 0 || !(st = cvg_storage_new(f.state)))
        return -1;
    if (check_define_start(st, &f, uuid) < 0)
        return -1;
    if (cvg_storage_pool_get_info(st, uuid, &state, &sizes) < 0 ||
        state != CVG_STORAGE_POOL_RUNNING || sizes.capacity == 0)
        return -1;
    if (cvg_storage_pool_undefine(st, uuid) == 0 ||
        expect_error(CVG_ERR_OPERATION_INVALID, "undefine active") < 0)
        return -1;
    active = cvg_storage_pool_list(st, CVG_LIST_POOLS_INACTIVE);
    if (active->len != 0)
        return -1;
    if (cvg_storage_pool_set_autostart(st, uuid, true) < 0)
        return -1;

    /* A restart keeps the pool and starts it (autostart). */
    g_clear_pointer(&st, cvg_storage_free);
    if (!(st = cvg_storage_new(f.state)) ||
        cvg_storage_pool_is_active(st, uuid) != 1 ||
        cvg_storage_pool_get_autostart(st, uuid) != 1)
        return -1;
    if (cvg_storage_pool_destroy(st, uuid) < 0 ||
        cvg_storage_pool_set_autostart(st, uuid, false) < 0)
        return -1;
    g_clear_pointer(&st, cvg_storage_free);
    if (!(st = cvg_storage_new(f.state)) ||
        cvg_storage_pool_is_active(st, uuid) != 0)
        return -1;
    if (cvg_storage_pool_undefine(st, uuid) < 0 ||
        cvg_storage_pool_lookup_name(st, "images") ||
        expect_error(CVG_ERR_NO_STORAGE_POOL, "after undefine") < 0)
        return -1;
    return 0;
}

/* A pool whose directory is gone does not start. */
static int
test_missing_target(const void *data)
{
    g_auto(Fixture) f = {0};
    g_autoptr(CvgStorage) st = NULL;
    g_autoptr(CvgStoragePoolDef) def = NULL;
    g_autofree char *xml = NULL;

    (void)data;
    if (fixture_init(&f) < 0 || !(st = cvg_storage_new(f.state)))
        return -1;
    xml = g_strdup_printf("<pool type='dir'><name>gone</name>"
                          "<target><path>%s/nowhere</path></target></pool>",
                          f.images);
    if (!(def = cvg_storage_pool_define(st, xml)))
        return -1;
    if (cvg_storage_pool_start(st, def->uuid) == 0 ||
        expect_error(CVG_ERR_SYSTEM_ERROR, "missing target") < 0)
        return -1;
    return cvg_storage_pool_is_active(st, def->uuid) == 0 ? 0 : -1;
}

/* Redefining a running pool: the live pool keeps its directory; the new
 * definition is what --inactive XML shows and what the next start uses. */
static int
test_redefine_running(const void *data)
{
    g_auto(Fixture) f = {0};
    g_autoptr(CvgStorage) st = NULL;
    g_autoptr(CvgStoragePoolDef) def = NULL;
    g_autoptr(CvgStoragePoolDef) redef = NULL;
    g_autoptr(CvgStoragePoolDef) live = NULL;
    g_autoptr(CvgStorageVolDef) vol = NULL;
    g_autofree char *other = NULL;
    g_autofree char *xml2 = NULL;
    g_autofree char *live_xml = NULL;
    g_autofree char *inactive_xml = NULL;
    char uuid[37];

    (void)data;
    if (fixture_init(&f) < 0 || !(st = cvg_storage_new(f.state)) ||
        !(def = cvg_storage_pool_define(st, f.xml)) ||
        cvg_storage_pool_start(st, def->uuid) < 0)
        return -1;
    other = g_build_filename(f.images, "subdir", NULL);
    cvg_uuid_format(def->uuid, uuid);
    xml2 = g_strdup_printf("<pool type='dir'><name>images</name>"
                           "<uuid>%s</uuid><target><path>%s</path></target>"
                           "</pool>",
                           uuid, other);
    if (!(redef = cvg_storage_pool_define(st, xml2)) ||
        strcmp(redef->target_path, other) != 0)
        return -1;
    live = cvg_storage_pool_lookup_name(st, "images");
    live_xml = cvg_storage_pool_get_xml(st, def->uuid, false);
    inactive_xml = cvg_storage_pool_get_xml(st, def->uuid, true);
    if (!live || strcmp(live->target_path, f.images) != 0 || !live_xml ||
        !strstr(live_xml, f.images) || strstr(live_xml, "subdir") ||
        !inactive_xml || !strstr(inactive_xml, other))
        return -1;
    /* Still the old directory's volumes while it runs. */
    if (!(vol = cvg_storage_vol_get(st, "images", "vm.qcow2")))
        return -1;
    g_clear_pointer(&live, cvg_storage_pool_def_free);
    if (cvg_storage_pool_destroy(st, def->uuid) < 0 ||
        !(live = cvg_storage_pool_lookup_name(st, "images")) ||
        strcmp(live->target_path, other) != 0)
        return -1;
    /* A restart reads the same definition back. */
    g_clear_pointer(&live, cvg_storage_pool_def_free);
    g_clear_pointer(&st, cvg_storage_free);
    if (!(st = cvg_storage_new(f.state)) ||
        !(live = cvg_storage_pool_lookup_name(st, "images")) ||
        strcmp(live->target_path, other) != 0)
        return -1;
    return 0;
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".in.xml");

    for (guint i = 0; i < cases->len; i++)
        cvg_test_run(cases->pdata[i], test_case, cases->pdata[i]);
    cvg_test_run("uuid-generated", test_uuid_generated, NULL);
    cvg_test_run("driver", test_driver, NULL);
    cvg_test_run("missing-target", test_missing_target, NULL);
    cvg_test_run("redefine-running", test_redefine_running, NULL);
    return cvg_test_finish();
}
