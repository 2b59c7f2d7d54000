/*
 * qemu-block.h: per-disk statistics and sizes (virsh domblkstat,
 * domblkinfo)
 */
#pragma once

#include "qemu-driver-state.h"
#include "cvg-typed-param.h"

/* A disk's I/O counters as QEMU's query-blockstats counts them. */
typedef struct {
    long long rd_req, rd_bytes, wr_req, wr_bytes;
    long long flush_req;
    long long rd_time_ns, wr_time_ns, flush_time_ns;
} CvgBlockStats;

/*
 * The counters of @dom's disk @path (a target name like "vda" or the
 * source path), or with @path "" the sums over all disks.  Takes the
 * driver lock and a query job.  Fails with OPERATION_INVALID when the
 * domain is not running, INVALID_ARG for a disk it does not have.
 */
int cvg_driver_block_stats(CvgDriver *drv, CvgDomainObj *dom, const char *path,
                           CvgBlockStats *ret_stats);

/* @stats as virDomainBlockStatsFlags' typed parameters, in libvirt's order
 * and names (all LLONG); at most @max of them (0: all).  Never NULL. */
CvgTypedParamList *cvg_block_stats_to_params(const CvgBlockStats *stats,
                                             int max);

/* How many typed parameters cvg_block_stats_to_params() gives at most. */
int cvg_block_stats_nparams(void);

/*
 * virDomainGetBlockInfo for disk @path of @dom (running or not), read from
 * the image itself: capacity (the guest-visible size: the qcow2 header's,
 * or the file or device size for raw), allocation (the bytes the image
 * occupies on its host storage) and physical (the file or device size).
 * Fails with INVALID_ARG for a disk the domain does not have,
 * OPERATION_INVALID for an empty cdrom, SYSTEM_ERROR for an image that
 * cannot be read.
 */
int cvg_driver_block_info(CvgDriver *drv, CvgDomainObj *dom, const char *path,
                          unsigned long long *ret_allocation,
                          unsigned long long *ret_capacity,
                          unsigned long long *ret_physical);
