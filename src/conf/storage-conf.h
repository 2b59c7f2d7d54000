/*
 * storage-conf.h: storage pool and volume XML (docs/storage.rst)
 *
 * convergd knows one kind of pool, type='dir': a directory whose regular
 * files are the volumes.  It exists because virt-install manages every
 * disk path outside /dev through the storage API (it defines a dir pool for
 * the image's directory and looks the image up as a volume).
 */
#pragma once

#include "domain-conf.h"

#include <glib.h>

/* virStoragePoolState */
typedef enum {
    CVG_STORAGE_POOL_INACTIVE = 0,
    CVG_STORAGE_POOL_RUNNING = 2,
} CvgStoragePoolState;

/* virStorageVolType */
typedef enum {
    CVG_STORAGE_VOL_FILE = 0,
} CvgStorageVolType;

typedef struct {
    char *name;
    unsigned char uuid[CVG_UUID_LEN]; /* generated when absent */
    char *target_path;                /* absolute, no trailing '/' */
} CvgStoragePoolDef;

void cvg_storage_pool_def_free(CvgStoragePoolDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgStoragePoolDef, cvg_storage_pool_def_free)

/*
 * Parse pool XML (untrusted).  Returns the definition, or NULL with an
 * error: XML_DETAIL for malformed XML, XML_ERROR for a missing or invalid
 * name, UUID or target path, CONFIG_UNSUPPORTED for a pool type other
 * than 'dir' or an element convergd does not implement.
 */
CvgStoragePoolDef *cvg_storage_pool_def_parse(const char *xml);

/* The sizes of a running pool, for the XML and virStoragePoolGetInfo. */
typedef struct {
    unsigned long long capacity;
    unsigned long long allocation;
    unsigned long long available;
} CvgStoragePoolSizes;

/* Format @def; @sizes NULL for an inactive pool (zeros, as libvirt shows
 * them).  Caller frees. */
char *cvg_storage_pool_def_format(const CvgStoragePoolDef *def,
                                  const CvgStoragePoolSizes *sizes);

/* One volume as it was probed; every string owned. */
typedef struct {
    char *pool;                    /* the pool's name */
    char *name;                    /* the file name */
    char *path;                    /* also the key */
    int format;                    /* CvgDiskFormat */
    char *backing;                 /* qcow2 backing file, or NULL */
    unsigned long long capacity;   /* guest-visible bytes */
    unsigned long long allocation; /* bytes on disk (st_blocks) */
    unsigned long long physical;   /* file size */
} CvgStorageVolDef;

void cvg_storage_vol_def_free(CvgStorageVolDef *vol);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgStorageVolDef, cvg_storage_vol_def_free)

/* Format a volume's XML; caller frees. */
char *cvg_storage_vol_format(const CvgStorageVolDef *vol);

/* A copy of @def; caller frees. */
CvgStoragePoolDef *cvg_storage_pool_def_copy(const CvgStoragePoolDef *def);
