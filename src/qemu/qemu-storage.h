/*
 * qemu-storage.h: the dir storage pool driver (docs/storage.rst)
 *
 * Pools are defined persistently (STATE/storage/NAME.xml; an autostart
 * pool also has STATE/storage/NAME.autostart) and started at daemon start
 * when autostart is set.  The volumes of a running pool are the regular
 * files of its target directory as the last start or refresh found them;
 * their sizes and format are probed at each call.
 *
 * Threads: every function takes the driver's own lock; none blocks on a
 * domain.  Errors: reported once (storage error domain), -1 or NULL.
 * Pools are named by UUID, as the wire names them; volumes by pool name and
 * volume name.
 */
#pragma once

#include "storage-conf.h"

#include <stdbool.h>

typedef struct _CvgStorage CvgStorage;

/* Load the pools under @state_dir/storage and start the autostart ones
 * (a failure to start is logged, not fatal).  NULL with an error when the
 * directory cannot be made. */
CvgStorage *cvg_storage_new(const char *state_dir);
void cvg_storage_free(CvgStorage *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgStorage, cvg_storage_free)

/* Define (or redefine, same name and UUID) a pool; returns a copy of its
 * definition (caller frees). */
CvgStoragePoolDef *cvg_storage_pool_define(CvgStorage *st, const char *xml);

/* Copies of a pool's definition (caller frees), or NULL with
 * NO_STORAGE_POOL. */
CvgStoragePoolDef *cvg_storage_pool_lookup_name(CvgStorage *st,
                                                const char *name);
CvgStoragePoolDef *cvg_storage_pool_lookup_uuid(CvgStorage *st,
                                                const unsigned char *uuid);

int cvg_storage_pool_start(CvgStorage *st, const unsigned char *uuid);
int cvg_storage_pool_destroy(CvgStorage *st, const unsigned char *uuid);
int cvg_storage_pool_undefine(CvgStorage *st, const unsigned char *uuid);
int cvg_storage_pool_refresh(CvgStorage *st, const unsigned char *uuid);

/* *ret_state CvgStoragePoolState; sizes from statvfs when running. */
int cvg_storage_pool_get_info(CvgStorage *st, const unsigned char *uuid,
                              int *ret_state, CvgStoragePoolSizes *ret_sizes);
/* The live definition, or with @inactive the one the next start uses. */
char *cvg_storage_pool_get_xml(CvgStorage *st, const unsigned char *uuid,
                               bool inactive);
/* 1 or 0, -1 for an unknown pool. */
int cvg_storage_pool_get_autostart(CvgStorage *st, const unsigned char *uuid);
int cvg_storage_pool_set_autostart(CvgStorage *st, const unsigned char *uuid,
                                   bool autostart);
int cvg_storage_pool_is_active(CvgStorage *st, const unsigned char *uuid);

/* virConnectListAllStoragePoolsFlags */
#define CVG_LIST_POOLS_INACTIVE (1u << 0)
#define CVG_LIST_POOLS_ACTIVE (1u << 1)
#define CVG_LIST_POOLS_PERSISTENT (1u << 2)
#define CVG_LIST_POOLS_TRANSIENT (1u << 3)
#define CVG_LIST_POOLS_AUTOSTART (1u << 4)
#define CVG_LIST_POOLS_NO_AUTOSTART (1u << 5)
#define CVG_LIST_POOLS_DIR (1u << 6)
/* the other pool types (fs ... iscsi-direct, vstorage) */
#define CVG_LIST_POOLS_OTHER_TYPES (0x3fffu << 7)

/* The pools that pass @flags' filters, sorted by name: an array of
 * CvgStoragePoolDef copies (caller unrefs). */
GPtrArray *cvg_storage_pool_list(CvgStorage *st, unsigned int flags);

/* The volume names of a running pool, sorted (caller unrefs); NULL with
 * OPERATION_INVALID when it is not running. */
GPtrArray *cvg_storage_vol_list(CvgStorage *st, const unsigned char *uuid);

/* A volume probed now: by pool name and volume name, or by path (= key).
 * NULL with NO_STORAGE_VOL when no running pool holds it. */
CvgStorageVolDef *cvg_storage_vol_get(CvgStorage *st, const char *pool,
                                      const char *name);
CvgStorageVolDef *cvg_storage_vol_get_path(CvgStorage *st, const char *path);
