/*
 * remote-storage.c: the storage pool and volume procedures
 *
 * A thin layer over qemu-storage.h: the wire names a pool by name and UUID
 * (looked up by UUID, as libvirt does) and a volume by pool name, volume
 * name and key.  docs/storage.rst says what is served and why.
 */
#include "daemon.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

#include <string.h>

/* virStoragePoolDefineFlags: VALIDATE (the parser always validates). */
#define POOL_DEFINE_VALIDATE (1u << 0)
/* virStorageXMLFlags: INACTIVE (the sizes are then zero or measured
 * alike; the definition itself has no live-only part). */
#define POOL_XML_INACTIVE (1u << 0)

static CvgStorage *
storage(CvgDaemon *d)
{
    if (!d->storage)
        cvg_error_report_full(CVG_FROM_STORAGE, CVG_ERR_NO_SUPPORT,
                              _("storage pools are not available"));
    return d->storage;
}

#define GET_STORAGE()                                                          \
    CvgStorage *st = storage(d);                                               \
    (void)client;                                                              \
    if (!st)                                                                   \
    return -1

#define POOL_UUID(args) ((const unsigned char *)(args)->pool.uuid)

static void
make_wire_pool(const CvgStoragePoolDef *def, CvgWireStoragePool *ret_w)
{
    ret_w->name = g_strdup(def->name);
    memcpy(ret_w->uuid, def->uuid, CVG_UUID_LEN);
}

static void
make_wire_vol(const CvgStorageVolDef *vol, CvgWireStorageVol *ret_w)
{
    ret_w->pool = g_strdup(vol->pool);
    ret_w->name = g_strdup(vol->name);
    ret_w->key = g_strdup(vol->path);
}

/* Return @def (consumed) on the wire as a handler's result. */
static int
pool_ret(CvgStoragePoolDef *def, CvgWireStoragePool *ret_w)
{
    g_autoptr(CvgStoragePoolDef) owned = def;

    if (!owned)
        return -1;
    make_wire_pool(owned, ret_w);
    return 0;
}

static int
vol_ret(CvgStorageVolDef *vol, CvgWireStorageVol *ret_w)
{
    g_autoptr(CvgStorageVolDef) owned = vol;

    if (!owned)
        return -1;
    make_wire_vol(owned, ret_w);
    return 0;
}

/* ---- pools: the list ---- */

static int
count_pools(CvgDaemon *d, unsigned int flags, int *ret_num)
{
    g_autoptr(GPtrArray) pools = NULL;
    CvgStorage *st = storage(d);

    if (!st)
        return -1;
    pools = cvg_storage_pool_list(st, flags);
    *ret_num = pools->len;
    return 0;
}

static int
list_pool_names(CvgDaemon *d, unsigned int flags, int maxnames,
                CvgRemoteConnectListStoragePoolsRet *ret)
{
    g_autoptr(GPtrArray) pools = NULL;
    CvgStorage *st = storage(d);
    guint n;

    if (!st)
        return -1;
    if (maxnames < 0 || maxnames > CVG_RPC_STORAGE_POOL_LIST_MAX) {
        cvg_error_report(CVG_ERR_RPC, _("too many storage pools requested"));
        return -1;
    }
    pools = cvg_storage_pool_list(st, flags);
    n = MIN(pools->len, (guint)maxnames);
    ret->names.names_val = g_new0(CvgWireString, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        const CvgStoragePoolDef *def = pools->pdata[i];
        ret->names.names_val[i] = g_strdup(def->name);
    }
    ret->names.names_len = n;
    return 0;
}

int
cvg_dispatch_connect_num_of_storage_pools(
    CvgDaemon *d, CvgRpcClient *client,
    CvgRemoteConnectNumOfStoragePoolsRet *ret)
{
    (void)client;
    return count_pools(d, CVG_LIST_POOLS_ACTIVE, &ret->num);
}

int
cvg_dispatch_connect_num_of_defined_storage_pools(
    CvgDaemon *d, CvgRpcClient *client,
    CvgRemoteConnectNumOfDefinedStoragePoolsRet *ret)
{
    (void)client;
    return count_pools(d, CVG_LIST_POOLS_INACTIVE, &ret->num);
}

int
cvg_dispatch_connect_list_storage_pools(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectListStoragePoolsArgs *args,
    CvgRemoteConnectListStoragePoolsRet *ret)
{
    (void)client;
    return list_pool_names(d, CVG_LIST_POOLS_ACTIVE, args->maxnames, ret);
}

int
cvg_dispatch_connect_list_defined_storage_pools(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectListDefinedStoragePoolsArgs *args,
    CvgRemoteConnectListDefinedStoragePoolsRet *ret)
{
    (void)client;
    return list_pool_names(d, CVG_LIST_POOLS_INACTIVE, args->maxnames, ret);
}

int
cvg_dispatch_connect_list_all_storage_pools(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectListAllStoragePoolsArgs *args,
    CvgRemoteConnectListAllStoragePoolsRet *ret)
{
    g_autoptr(GPtrArray) pools = NULL;
    GET_STORAGE();

    pools = cvg_storage_pool_list(st, args->flags);
    ret->ret = pools->len;
    ret->pools.pools_len = 0;
    ret->pools.pools_val = NULL;
    if (!args->need_results)
        return 0;
    ret->pools.pools_val = g_new0(CvgWireStoragePool, MAX(pools->len, 1));
    for (guint i = 0; i < pools->len; i++)
        make_wire_pool(pools->pdata[i], &ret->pools.pools_val[i]);
    ret->pools.pools_len = pools->len;
    return 0;
}

/* ---- pools: one pool ---- */

int
cvg_dispatch_storage_pool_define_xml(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolDefineXmlArgs *args,
    CvgRemoteStoragePoolDefineXmlRet *ret)
{
    GET_STORAGE();
    cvg_check_flags(args->flags, POOL_DEFINE_VALIDATE, -1);
    return pool_ret(cvg_storage_pool_define(st, args->xml), &ret->pool);
}

int
cvg_dispatch_storage_pool_lookup_by_name(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolLookupByNameArgs *args,
    CvgRemoteStoragePoolLookupByNameRet *ret)
{
    GET_STORAGE();
    return pool_ret(cvg_storage_pool_lookup_name(st, args->name), &ret->pool);
}

int
cvg_dispatch_storage_pool_lookup_by_uuid(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolLookupByUuidArgs *args,
    CvgRemoteStoragePoolLookupByUuidRet *ret)
{
    GET_STORAGE();
    return pool_ret(
        cvg_storage_pool_lookup_uuid(st, (const unsigned char *)args->uuid),
        &ret->pool);
}

int
cvg_dispatch_storage_pool_lookup_by_volume(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolLookupByVolumeArgs *args,
    CvgRemoteStoragePoolLookupByVolumeRet *ret)
{
    GET_STORAGE();
    return pool_ret(cvg_storage_pool_lookup_name(st, args->vol.pool),
                    &ret->pool);
}

int
cvg_dispatch_storage_pool_create(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteStoragePoolCreateArgs *args)
{
    GET_STORAGE();
    cvg_check_flags(args->flags, 0, -1);
    return cvg_storage_pool_start(st, POOL_UUID(args));
}

int
cvg_dispatch_storage_pool_destroy(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteStoragePoolDestroyArgs *args)
{
    GET_STORAGE();
    return cvg_storage_pool_destroy(st, POOL_UUID(args));
}

int
cvg_dispatch_storage_pool_undefine(CvgDaemon *d, CvgRpcClient *client,
                                   const CvgRemoteStoragePoolUndefineArgs *args)
{
    GET_STORAGE();
    return cvg_storage_pool_undefine(st, POOL_UUID(args));
}

int
cvg_dispatch_storage_pool_refresh(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteStoragePoolRefreshArgs *args)
{
    GET_STORAGE();
    cvg_check_flags(args->flags, 0, -1);
    return cvg_storage_pool_refresh(st, POOL_UUID(args));
}

int
cvg_dispatch_storage_pool_get_info(CvgDaemon *d, CvgRpcClient *client,
                                   const CvgRemoteStoragePoolGetInfoArgs *args,
                                   CvgRemoteStoragePoolGetInfoRet *ret)
{
    CvgStoragePoolSizes sizes;
    int state;
    GET_STORAGE();

    if (cvg_storage_pool_get_info(st, POOL_UUID(args), &state, &sizes) < 0)
        return -1;
    ret->state = state;
    ret->capacity = sizes.capacity;
    ret->allocation = sizes.allocation;
    ret->available = sizes.available;
    return 0;
}

int
cvg_dispatch_storage_pool_get_xml_desc(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolGetXmlDescArgs *args,
    CvgRemoteStoragePoolGetXmlDescRet *ret)
{
    GET_STORAGE();
    cvg_check_flags(args->flags, POOL_XML_INACTIVE, -1);
    ret->xml = cvg_storage_pool_get_xml(st, POOL_UUID(args),
                                        args->flags & POOL_XML_INACTIVE);
    return ret->xml ? 0 : -1;
}

int
cvg_dispatch_storage_pool_get_autostart(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolGetAutostartArgs *args,
    CvgRemoteStoragePoolGetAutostartRet *ret)
{
    GET_STORAGE();
    ret->autostart = cvg_storage_pool_get_autostart(st, POOL_UUID(args));
    return ret->autostart < 0 ? -1 : 0;
}

int
cvg_dispatch_storage_pool_set_autostart(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolSetAutostartArgs *args)
{
    GET_STORAGE();
    return cvg_storage_pool_set_autostart(st, POOL_UUID(args),
                                          args->autostart != 0);
}

int
cvg_dispatch_storage_pool_is_active(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolIsActiveArgs *args,
    CvgRemoteStoragePoolIsActiveRet *ret)
{
    GET_STORAGE();
    ret->active = cvg_storage_pool_is_active(st, POOL_UUID(args));
    return ret->active < 0 ? -1 : 0;
}

/* Every pool is persistent: convergd serves no STORAGE_POOL_CREATE_XML. */
int
cvg_dispatch_storage_pool_is_persistent(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolIsPersistentArgs *args,
    CvgRemoteStoragePoolIsPersistentRet *ret)
{
    g_autoptr(CvgStoragePoolDef) def = NULL;
    GET_STORAGE();

    if (!(def = cvg_storage_pool_lookup_uuid(st, POOL_UUID(args))))
        return -1;
    ret->active = 1;
    return 0;
}

/* ---- volumes ---- */

int
cvg_dispatch_storage_pool_num_of_volumes(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolNumOfVolumesArgs *args,
    CvgRemoteStoragePoolNumOfVolumesRet *ret)
{
    g_autoptr(GPtrArray) names = NULL;
    GET_STORAGE();

    if (!(names = cvg_storage_vol_list(st, POOL_UUID(args))))
        return -1;
    ret->num = names->len;
    return 0;
}

int
cvg_dispatch_storage_pool_list_volumes(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolListVolumesArgs *args,
    CvgRemoteStoragePoolListVolumesRet *ret)
{
    g_autoptr(GPtrArray) names = NULL;
    guint n;
    GET_STORAGE();

    if (args->maxnames < 0 || args->maxnames > CVG_RPC_STORAGE_VOL_LIST_MAX) {
        cvg_error_report(CVG_ERR_RPC, _("too many storage volumes requested"));
        return -1;
    }
    if (!(names = cvg_storage_vol_list(st, POOL_UUID(args))))
        return -1;
    n = MIN(names->len, (guint)args->maxnames);
    ret->names.names_val = g_new0(CvgWireString, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        ret->names.names_val[i] = g_strdup(names->pdata[i]);
    ret->names.names_len = n;
    return 0;
}

int
cvg_dispatch_storage_pool_list_all_volumes(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStoragePoolListAllVolumesArgs *args,
    CvgRemoteStoragePoolListAllVolumesRet *ret)
{
    g_autoptr(CvgStoragePoolDef) def = NULL;
    g_autoptr(GPtrArray) names = NULL;
    GET_STORAGE();

    cvg_check_flags(args->flags, 0, -1);
    if (!(def = cvg_storage_pool_lookup_uuid(st, POOL_UUID(args))) ||
        !(names = cvg_storage_vol_list(st, POOL_UUID(args))))
        return -1;
    ret->ret = names->len;
    ret->vols.vols_len = 0;
    ret->vols.vols_val = NULL;
    if (!args->need_results)
        return 0;
    ret->vols.vols_val = g_new0(CvgWireStorageVol, MAX(names->len, 1));
    for (guint i = 0; i < names->len; i++) {
        CvgWireStorageVol *w = &ret->vols.vols_val[i];
        w->pool = g_strdup(def->name);
        w->name = g_strdup(names->pdata[i]);
        w->key = g_build_filename(def->target_path, names->pdata[i], NULL);
    }
    ret->vols.vols_len = names->len;
    return 0;
}

int
cvg_dispatch_storage_vol_lookup_by_name(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStorageVolLookupByNameArgs *args,
    CvgRemoteStorageVolLookupByNameRet *ret)
{
    GET_STORAGE();
    return vol_ret(cvg_storage_vol_get(st, args->pool.name, args->name),
                   &ret->vol);
}

/* The key of a dir pool's volume is its path. */
int
cvg_dispatch_storage_vol_lookup_by_key(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStorageVolLookupByKeyArgs *args,
    CvgRemoteStorageVolLookupByKeyRet *ret)
{
    GET_STORAGE();
    return vol_ret(cvg_storage_vol_get_path(st, args->key), &ret->vol);
}

/* A path in no running pool (a block device, say) is no volume: virt-install
 * then takes it as it is. */
int
cvg_dispatch_storage_vol_lookup_by_path(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStorageVolLookupByPathArgs *args,
    CvgRemoteStorageVolLookupByPathRet *ret)
{
    GET_STORAGE();
    return vol_ret(cvg_storage_vol_get_path(st, args->path), &ret->vol);
}

int
cvg_dispatch_storage_vol_get_info(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteStorageVolGetInfoArgs *args,
                                  CvgRemoteStorageVolGetInfoRet *ret)
{
    g_autoptr(CvgStorageVolDef) vol = NULL;
    GET_STORAGE();

    if (!(vol = cvg_storage_vol_get(st, args->vol.pool, args->vol.name)))
        return -1;
    ret->type = CVG_STORAGE_VOL_FILE;
    ret->capacity = vol->capacity;
    ret->allocation = vol->allocation;
    return 0;
}

int
cvg_dispatch_storage_vol_get_xml_desc(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteStorageVolGetXmlDescArgs *args,
    CvgRemoteStorageVolGetXmlDescRet *ret)
{
    g_autoptr(CvgStorageVolDef) vol = NULL;
    GET_STORAGE();

    cvg_check_flags(args->flags, 0, -1);
    if (!(vol = cvg_storage_vol_get(st, args->vol.pool, args->vol.name)))
        return -1;
    ret->xml = cvg_storage_vol_format(vol);
    return 0;
}

int
cvg_dispatch_storage_vol_get_path(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteStorageVolGetPathArgs *args,
                                  CvgRemoteStorageVolGetPathRet *ret)
{
    g_autoptr(CvgStorageVolDef) vol = NULL;
    GET_STORAGE();

    if (!(vol = cvg_storage_vol_get(st, args->vol.pool, args->vol.name)))
        return -1;
    ret->name = g_strdup(vol->path);
    return 0;
}
