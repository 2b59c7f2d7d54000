/*
 * qemu-migration-compress.h: the XBZRLE compression cache of a running
 * guest (virDomainMigrateGetCompressionCache / SetCompressionCache,
 * `virsh migrate-compcache`)
 *
 * The size lives in QEMU only (migration parameter xbzrle-cache-size, QEMU
 * default 64 MiB): it is read from and written to the running QEMU, as
 * libvirt does, and may change while a migration runs.  The functions take
 * the driver lock and a job themselves.
 */
#pragma once

#include "qemu-domain.h"

/* QEMU's xbzrle-cache-size in bytes.  OPERATION_INVALID when @dom is not
 * running; INVALID_ARG for unknown @flags (none are defined). */
int cvg_migration_get_compression_cache(CvgDriver *drv, CvgDomainObj *dom,
                                        unsigned int flags,
                                        unsigned long long *ret_bytes);

/* Set xbzrle-cache-size to @bytes.  OPERATION_INVALID when @dom is not
 * running; INVALID_ARG for unknown @flags or a size QEMU cannot take (it
 * must be a power of two, at least a page; QEMU's own check decides). */
int cvg_migration_set_compression_cache(CvgDriver *drv, CvgDomainObj *dom,
                                        unsigned long long bytes,
                                        unsigned int flags);
