/*
 * qemu-storage.c: the dir storage pool driver
 */
#include "qemu-storage.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "qemu-command.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define storage_error(code, ...)                                               \
    cvg_error_report_full(CVG_FROM_STORAGE, code, __VA_ARGS__)

/* As many volumes as one wire list carries (CVG_RPC_STORAGE_VOL_LIST_MAX);
 * a directory with more is refused at start/refresh rather than cut. */
#define VOLS_MAX 16384
/* As many pools as one wire list carries (CVG_RPC_STORAGE_POOL_LIST_MAX). */
#define POOLS_MAX 16384

typedef struct {
    CvgStoragePoolDef *def;
    /* A redefinition while running: the definition from the next start on
     * (and for an --inactive XML); NULL when def is the persistent one. */
    CvgStoragePoolDef *new_def;
    bool active;
    bool autostart;
    GPtrArray *vols; /* file names, sorted; NULL when inactive */
} PoolObj;

struct _CvgStorage {
    GMutex lock;
    char *dir;        /* STATE/storage */
    GPtrArray *pools; /* PoolObj */
};

static void
pool_obj_free(gpointer p)
{
    PoolObj *obj = p;

    cvg_storage_pool_def_free(obj->def);
    cvg_storage_pool_def_free(obj->new_def);
    if (obj->vols)
        g_ptr_array_unref(obj->vols);
    g_free(obj);
}

static PoolObj *
find_name(CvgStorage *st, const char *name)
{
    for (guint i = 0; i < st->pools->len; i++) {
        PoolObj *obj = st->pools->pdata[i];
        if (strcmp(obj->def->name, name) == 0)
            return obj;
    }
    return NULL;
}

static PoolObj *
find_uuid(CvgStorage *st, const unsigned char *uuid)
{
    for (guint i = 0; i < st->pools->len; i++) {
        PoolObj *obj = st->pools->pdata[i];
        if (memcmp(obj->def->uuid, uuid, CVG_UUID_LEN) == 0)
            return obj;
    }
    return NULL;
}

static PoolObj *
get_uuid(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj = find_uuid(st, uuid);
    char str[37];

    if (!obj) {
        cvg_uuid_format(uuid, str);
        storage_error(CVG_ERR_NO_STORAGE_POOL,
                      _("no storage pool with matching uuid '%s'"), str);
    }
    return obj;
}

static PoolObj *
get_active(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj = get_uuid(st, uuid);

    if (obj && !obj->active) {
        storage_error(CVG_ERR_OPERATION_INVALID,
                      _("storage pool '%s' is not active"), obj->def->name);
        return NULL;
    }
    return obj;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of @path, sorted. */
static GPtrArray *
scan_dir(const char *path)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) gerr = NULL;
    const char *name;

    if (!(dir = g_dir_open(path, 0, &gerr))) {
        storage_error(CVG_ERR_SYSTEM_ERROR, _("cannot open directory '%s': %s"),
                      path, gerr->message);
        return NULL;
    }
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *file = g_build_filename(path, name, NULL);
        struct stat sb;

        if (stat(file, &sb) < 0 || !S_ISREG(sb.st_mode))
            continue;
        if (names->len >= VOLS_MAX) {
            storage_error(CVG_ERR_OPERATION_FAILED,
                          _("directory '%s' holds more than %d files"), path,
                          VOLS_MAX);
            return NULL;
        }
        g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_names);
    return g_steal_pointer(&names);
}

static int
pool_scan(PoolObj *obj)
{
    GPtrArray *vols = scan_dir(obj->def->target_path);

    if (!vols)
        return -1;
    if (obj->vols)
        g_ptr_array_unref(obj->vols);
    obj->vols = vols;
    obj->active = true;
    return 0;
}

static char *
pool_file(CvgStorage *st, const char *name)
{
    g_autofree char *base = g_strdup_printf("%s.xml", name);

    return g_build_filename(st->dir, base, NULL);
}

/* Present when autostart is on, as a domain's qemu/NAME.autostart. */
static char *
autostart_file(CvgStorage *st, const char *name)
{
    g_autofree char *base = g_strdup_printf("%s.autostart", name);

    return g_build_filename(st->dir, base, NULL);
}

static int
save_def(CvgStorage *st, const CvgStoragePoolDef *def)
{
    g_autofree char *xml = cvg_storage_pool_def_format(def, NULL);
    g_autofree char *file = pool_file(st, def->name);
    g_autoptr(GError) gerr = NULL;

    if (!g_file_set_contents(file, xml, -1, &gerr)) {
        storage_error(CVG_ERR_OPERATION_FAILED,
                      _("cannot save storage pool '%s': %s"), def->name,
                      gerr->message);
        return -1;
    }
    return 0;
}

static void
load_one(CvgStorage *st, const char *file)
{
    g_autofree char *xml = NULL;
    g_autofree char *marker = NULL;
    g_autoptr(CvgStoragePoolDef) def = NULL;
    PoolObj *obj;

    if (!g_file_get_contents(file, &xml, NULL, NULL) ||
        !(def = cvg_storage_pool_def_parse(xml)) || find_name(st, def->name) ||
        find_uuid(st, def->uuid) || st->pools->len >= POOLS_MAX) {
        g_warning("skipping storage pool file '%s'", file);
        return;
    }
    obj = g_new0(PoolObj, 1);
    obj->def = g_steal_pointer(&def);
    marker = autostart_file(st, obj->def->name);
    obj->autostart = g_file_test(marker, G_FILE_TEST_EXISTS);
    g_ptr_array_add(st->pools, obj);
    if (obj->autostart && pool_scan(obj) < 0) {
        const CvgError *err = cvg_error_last();
        g_warning("cannot autostart storage pool '%s': %s", obj->def->name,
                  err ? err->message : "");
    }
}

CvgStorage *
cvg_storage_new(const char *state_dir)
{
    g_autoptr(CvgStorage) st = g_new0(CvgStorage, 1);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    g_mutex_init(&st->lock);
    st->pools = g_ptr_array_new_with_free_func(pool_obj_free);
    st->dir = g_build_filename(state_dir, "storage", NULL);
    if (g_mkdir_with_parents(st->dir, 0700) < 0) {
        cvg_error_report_system(errno, _("cannot create directory '%s'"),
                                st->dir);
        return NULL;
    }
    if ((dir = g_dir_open(st->dir, 0, NULL))) {
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *file = g_build_filename(st->dir, name, NULL);
            if (g_str_has_suffix(name, ".xml"))
                load_one(st, file);
        }
    }
    return g_steal_pointer(&st);
}

void
cvg_storage_free(CvgStorage *st)
{
    if (!st)
        return;
    if (st->pools)
        g_ptr_array_unref(st->pools);
    g_free(st->dir);
    g_mutex_clear(&st->lock);
    g_free(st);
}

/* @obj's directory, now or from its next start, is @path. */
static bool
pool_on_path(const PoolObj *obj, const char *path)
{
    return strcmp(obj->def->target_path, path) == 0 ||
           (obj->new_def && strcmp(obj->new_def->target_path, path) == 0);
}

/* Name and UUID both new, or both those of one pool (a redefinition); no
 * other pool on the same directory. */
static int
check_duplicate(CvgStorage *st, const CvgStoragePoolDef *def, PoolObj **ret_old)
{
    PoolObj *by_name = find_name(st, def->name);
    PoolObj *by_uuid = find_uuid(st, def->uuid);
    char uuid[37];

    if (by_name && by_name != by_uuid) {
        cvg_uuid_format(by_name->def->uuid, uuid);
        storage_error(CVG_ERR_OPERATION_FAILED,
                      _("pool '%s' is already defined with uuid %s"), def->name,
                      uuid);
        return -1;
    }
    cvg_uuid_format(def->uuid, uuid);
    if (by_uuid && by_uuid != by_name) {
        storage_error(CVG_ERR_OPERATION_FAILED,
                      _("pool '%s' already exists with uuid %s"),
                      by_uuid->def->name, uuid);
        return -1;
    }
    for (guint i = 0; i < st->pools->len; i++) {
        PoolObj *obj = st->pools->pdata[i];
        if (obj != by_name && pool_on_path(obj, def->target_path)) {
            storage_error(CVG_ERR_OPERATION_FAILED,
                          _("Storage source conflict with pool: '%s'"),
                          obj->def->name);
            return -1;
        }
    }
    *ret_old = by_name;
    return 0;
}

static CvgStoragePoolDef *
pool_define_locked(CvgStorage *st, const char *xml)
{
    g_autoptr(CvgStoragePoolDef) def = cvg_storage_pool_def_parse(xml);
    PoolObj *obj = NULL;

    if (!def || check_duplicate(st, def, &obj) < 0)
        return NULL;
    if (!obj && st->pools->len >= POOLS_MAX) {
        storage_error(CVG_ERR_OPERATION_FAILED,
                      _("too many storage pools (at most %d)"), POOLS_MAX);
        return NULL;
    }
    if (save_def(st, def) < 0)
        return NULL;
    if (!obj) {
        obj = g_new0(PoolObj, 1);
        g_ptr_array_add(st->pools, obj);
    }
    /* A running pool keeps the definition it was started with until it is
     * destroyed, as with libvirt; the new one is kept for then. */
    if (obj->active) {
        cvg_storage_pool_def_free(obj->new_def);
        obj->new_def = g_steal_pointer(&def);
        return cvg_storage_pool_def_copy(obj->new_def);
    }
    cvg_storage_pool_def_free(obj->def);
    obj->def = g_steal_pointer(&def);
    return cvg_storage_pool_def_copy(obj->def);
}

CvgStoragePoolDef *
cvg_storage_pool_define(CvgStorage *st, const char *xml)
{
    CvgStoragePoolDef *ret;

    g_mutex_lock(&st->lock);
    ret = pool_define_locked(st, xml);
    g_mutex_unlock(&st->lock);
    return ret;
}

CvgStoragePoolDef *
cvg_storage_pool_lookup_name(CvgStorage *st, const char *name)
{
    CvgStoragePoolDef *ret = NULL;
    PoolObj *obj;

    g_mutex_lock(&st->lock);
    if ((obj = find_name(st, name)))
        ret = cvg_storage_pool_def_copy(obj->def);
    else
        storage_error(CVG_ERR_NO_STORAGE_POOL,
                      _("no storage pool with matching name '%s'"), name);
    g_mutex_unlock(&st->lock);
    return ret;
}

CvgStoragePoolDef *
cvg_storage_pool_lookup_uuid(CvgStorage *st, const unsigned char *uuid)
{
    CvgStoragePoolDef *ret = NULL;
    PoolObj *obj;

    g_mutex_lock(&st->lock);
    if ((obj = get_uuid(st, uuid)))
        ret = cvg_storage_pool_def_copy(obj->def);
    g_mutex_unlock(&st->lock);
    return ret;
}

int
cvg_storage_pool_start(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if (!(obj = get_uuid(st, uuid)))
        goto out;
    if (obj->active) {
        storage_error(CVG_ERR_OPERATION_INVALID,
                      _("storage pool '%s' is already active"), obj->def->name);
        goto out;
    }
    rc = pool_scan(obj);
out:
    g_mutex_unlock(&st->lock);
    return rc;
}

int
cvg_storage_pool_refresh(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if ((obj = get_active(st, uuid)))
        rc = pool_scan(obj);
    g_mutex_unlock(&st->lock);
    return rc;
}

int
cvg_storage_pool_destroy(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if ((obj = get_active(st, uuid))) {
        obj->active = false;
        g_clear_pointer(&obj->vols, g_ptr_array_unref);
        if (obj->new_def) {
            cvg_storage_pool_def_free(obj->def);
            obj->def = g_steal_pointer(&obj->new_def);
        }
        rc = 0;
    }
    g_mutex_unlock(&st->lock);
    return rc;
}

int
cvg_storage_pool_undefine(CvgStorage *st, const unsigned char *uuid)
{
    g_autofree char *file = NULL;
    g_autofree char *marker = NULL;
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if (!(obj = get_uuid(st, uuid)))
        goto out;
    if (obj->active) {
        storage_error(CVG_ERR_OPERATION_INVALID,
                      _("storage pool '%s' is still active"), obj->def->name);
        goto out;
    }
    file = pool_file(st, obj->def->name);
    marker = autostart_file(st, obj->def->name);
    if ((unlink(file) < 0 && errno != ENOENT) ||
        (unlink(marker) < 0 && errno != ENOENT)) {
        cvg_error_report_system(errno,
                                _("cannot remove the files of "
                                  "storage pool '%s'"),
                                obj->def->name);
        goto out;
    }
    g_ptr_array_remove(st->pools, obj);
    rc = 0;
out:
    g_mutex_unlock(&st->lock);
    return rc;
}

static int
pool_sizes(PoolObj *obj, CvgStoragePoolSizes *ret_sizes)
{
    struct statvfs sv;

    if (statvfs(obj->def->target_path, &sv) < 0) {
        cvg_error_report_system(errno, _("cannot statvfs path '%s'"),
                                obj->def->target_path);
        return -1;
    }
    ret_sizes->capacity = (unsigned long long)sv.f_frsize * sv.f_blocks;
    ret_sizes->available = (unsigned long long)sv.f_frsize * sv.f_bavail;
    ret_sizes->allocation =
        (unsigned long long)sv.f_frsize * (sv.f_blocks - sv.f_bfree);
    return 0;
}

int
cvg_storage_pool_get_info(CvgStorage *st, const unsigned char *uuid,
                          int *ret_state, CvgStoragePoolSizes *ret_sizes)
{
    CvgStoragePoolSizes sizes = {0};
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if (!(obj = get_uuid(st, uuid)) ||
        (obj->active && pool_sizes(obj, &sizes) < 0))
        goto out;
    *ret_state =
        obj->active ? CVG_STORAGE_POOL_RUNNING : CVG_STORAGE_POOL_INACTIVE;
    *ret_sizes = sizes;
    rc = 0;
out:
    g_mutex_unlock(&st->lock);
    return rc;
}

char *
cvg_storage_pool_get_xml(CvgStorage *st, const unsigned char *uuid,
                         bool inactive)
{
    CvgStoragePoolSizes sizes = {0};
    char *ret = NULL;
    PoolObj *obj;

    g_mutex_lock(&st->lock);
    obj = get_uuid(st, uuid);
    if (obj && inactive && obj->new_def)
        ret = cvg_storage_pool_def_format(obj->new_def, NULL);
    else if (obj && (!obj->active || pool_sizes(obj, &sizes) == 0))
        ret =
            cvg_storage_pool_def_format(obj->def, obj->active ? &sizes : NULL);
    g_mutex_unlock(&st->lock);
    return ret;
}

int
cvg_storage_pool_get_autostart(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if ((obj = get_uuid(st, uuid)))
        rc = obj->autostart ? 1 : 0;
    g_mutex_unlock(&st->lock);
    return rc;
}

int
cvg_storage_pool_is_active(CvgStorage *st, const unsigned char *uuid)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if ((obj = get_uuid(st, uuid)))
        rc = obj->active ? 1 : 0;
    g_mutex_unlock(&st->lock);
    return rc;
}

static int
write_marker(CvgStorage *st, PoolObj *obj, bool autostart)
{
    g_autofree char *marker = autostart_file(st, obj->def->name);
    g_autoptr(GError) gerr = NULL;

    if (autostart) {
        if (!g_file_set_contents(marker, "", 0, &gerr)) {
            storage_error(CVG_ERR_OPERATION_FAILED,
                          _("cannot set autostart of storage pool '%s': %s"),
                          obj->def->name, gerr->message);
            return -1;
        }
    } else if (unlink(marker) < 0 && errno != ENOENT) {
        cvg_error_report_system(errno, _("cannot remove '%s'"), marker);
        return -1;
    }
    return 0;
}

int
cvg_storage_pool_set_autostart(CvgStorage *st, const unsigned char *uuid,
                               bool autostart)
{
    PoolObj *obj;
    int rc = -1;

    g_mutex_lock(&st->lock);
    if ((obj = get_uuid(st, uuid)) && write_marker(st, obj, autostart) == 0) {
        obj->autostart = autostart;
        rc = 0;
    }
    g_mutex_unlock(&st->lock);
    return rc;
}

/* Does @obj pass a filter pair (@yes, @no) that holds when neither or
 * both are set? */
static bool
pass(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    if (!(flags & (yes | no)) || (flags & (yes | no)) == (yes | no))
        return true;
    return (flags & yes) ? value : !value;
}

static gint
compare_defs(gconstpointer a, gconstpointer b)
{
    const CvgStoragePoolDef *x = *(CvgStoragePoolDef *const *)a;
    const CvgStoragePoolDef *y = *(CvgStoragePoolDef *const *)b;

    return strcmp(x->name, y->name);
}

GPtrArray *
cvg_storage_pool_list(CvgStorage *st, unsigned int flags)
{
    GPtrArray *ret = g_ptr_array_new_with_free_func(
        (GDestroyNotify)cvg_storage_pool_def_free);
    unsigned int types =
        flags & (CVG_LIST_POOLS_DIR | CVG_LIST_POOLS_OTHER_TYPES);

    /* Every pool is a persistent dir pool. */
    if ((types && !(types & CVG_LIST_POOLS_DIR)) ||
        !pass(flags, CVG_LIST_POOLS_PERSISTENT, CVG_LIST_POOLS_TRANSIENT, true))
        return ret;
    g_mutex_lock(&st->lock);
    for (guint i = 0; i < st->pools->len; i++) {
        PoolObj *obj = st->pools->pdata[i];
        if (pass(flags, CVG_LIST_POOLS_ACTIVE, CVG_LIST_POOLS_INACTIVE,
                 obj->active) &&
            pass(flags, CVG_LIST_POOLS_AUTOSTART, CVG_LIST_POOLS_NO_AUTOSTART,
                 obj->autostart))
            g_ptr_array_add(ret, cvg_storage_pool_def_copy(obj->def));
    }
    g_mutex_unlock(&st->lock);
    g_ptr_array_sort(ret, compare_defs);
    return ret;
}

GPtrArray *
cvg_storage_vol_list(CvgStorage *st, const unsigned char *uuid)
{
    GPtrArray *ret = NULL;
    PoolObj *obj;

    g_mutex_lock(&st->lock);
    if ((obj = get_active(st, uuid))) {
        ret = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < obj->vols->len; i++)
            g_ptr_array_add(ret, g_strdup(obj->vols->pdata[i]));
    }
    g_mutex_unlock(&st->lock);
    return ret;
}

/* Sizes and format of the file @vol->path, probed now. */
static int
vol_probe(CvgStorageVolDef *vol)
{
    unsigned char header[CVG_QCOW2_SIZE_PROBE];
    struct stat sb;
    ssize_t n;
    int fd;

    if (cvg_qemu_image_probe(vol->path, NULL, &vol->format, &vol->backing) < 0)
        return -1;
    if ((fd = open(vol->path, O_RDONLY | O_CLOEXEC)) < 0 ||
        fstat(fd, &sb) < 0) {
        cvg_error_report_system(errno, _("cannot stat file '%s'"), vol->path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    vol->physical = sb.st_size;
    vol->capacity = sb.st_size;
    vol->allocation = (unsigned long long)sb.st_blocks * 512;
    n = pread(fd, header, sizeof(header), 0);
    close(fd);
    if (vol->format == CVG_DISK_FORMAT_QCOW2 &&
        (n < 0 || cvg_qcow2_header_size(header, n, &vol->capacity) < 0)) {
        storage_error(CVG_ERR_INTERNAL_ERROR,
                      _("cannot read the qcow2 header of '%s'"), vol->path);
        return -1;
    }
    return 0;
}

static CvgStorageVolDef *
vol_get_locked(CvgStorage *st, PoolObj *obj, const char *name)
{
    g_autoptr(CvgStorageVolDef) vol = NULL;
    struct stat sb;

    if (!obj || !obj->active ||
        !g_ptr_array_find_with_equal_func(obj->vols, name, g_str_equal, NULL)) {
        storage_error(CVG_ERR_NO_STORAGE_VOL,
                      _("no storage vol with matching name '%s'"), name);
        return NULL;
    }
    vol = g_new0(CvgStorageVolDef, 1);
    vol->pool = g_strdup(obj->def->name);
    vol->name = g_strdup(name);
    vol->path = g_build_filename(obj->def->target_path, name, NULL);
    /* Removed since the last refresh: gone, as virtinst expects (it takes
     * NO_STORAGE_VOL, and nothing else, as "no such volume"). */
    if (stat(vol->path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        storage_error(CVG_ERR_NO_STORAGE_VOL,
                      _("no storage vol with matching name '%s'"), name);
        return NULL;
    }
    if (vol_probe(vol) < 0)
        return NULL;
    return g_steal_pointer(&vol);
}

CvgStorageVolDef *
cvg_storage_vol_get(CvgStorage *st, const char *pool, const char *name)
{
    CvgStorageVolDef *ret;

    g_mutex_lock(&st->lock);
    ret = vol_get_locked(st, find_name(st, pool), name);
    g_mutex_unlock(&st->lock);
    return ret;
}

CvgStorageVolDef *
cvg_storage_vol_get_path(CvgStorage *st, const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    CvgStorageVolDef *ret = NULL;

    g_mutex_lock(&st->lock);
    for (guint i = 0; i < st->pools->len && path[0] == '/'; i++) {
        PoolObj *obj = st->pools->pdata[i];
        if (obj->active && strcmp(obj->def->target_path, dir) == 0 &&
            g_ptr_array_find_with_equal_func(obj->vols, base, g_str_equal,
                                             NULL)) {
            ret = vol_get_locked(st, obj, base);
            goto out;
        }
    }
    storage_error(CVG_ERR_NO_STORAGE_VOL,
                  _("no storage vol with matching path '%s'"), path);
out:
    g_mutex_unlock(&st->lock);
    return ret;
}
