/*
 * qemu-net.h: the taps of a guest's interfaces, and their statistics
 * (virsh domifstat)
 */
#pragma once

#include "qemu-driver-state.h"

/*
 * Open a tap for every ethernet, bridge and network interface of @def
 * (networks resolved by cvg_qemu_resolve_networks()), in order
 * (their descriptors go to QEMU as CVG_QEMU_FIRST_PASSED_FD + N).  A
 * bridge interface without <target dev> gets a new tap named vnetN by the
 * kernel, recorded in @def; its host side gets the guest MAC with fe as
 * first byte, is brought up and joins the bridge.  The taps are not
 * persistent: they go away with the last descriptor, so with QEMU.
 * Returns the descriptors (caller closes them after the spawn), or NULL
 * with OPERATION_FAILED / SYSTEM_ERROR naming the interface or bridge.
 */
GArray *cvg_qemu_open_taps(CvgDomainDef *def);

/*
 * Give every network interface of @def the bridge @cfg's networks table
 * names for its network (runtime data, replaced at every start, so the
 * destination of a migration uses its own table).  Returns 0, or -1 with
 * NO_NETWORK for a network the table does not have.
 */
int cvg_qemu_resolve_networks(const CvgDaemonConfig *cfg, CvgDomainDef *def);

/* Close the descriptors of cvg_qemu_open_taps() and free the array. */
void cvg_qemu_close_taps(GArray *fds);

/* A guest interface's counters, from the guest's side (the tap's rx is
 * the guest's tx). */
typedef struct {
    long long rx_bytes, rx_packets, rx_errs, rx_drop;
    long long tx_bytes, tx_packets, tx_errs, tx_drop;
} CvgNetStats;

/*
 * virDomainInterfaceStats for interface @name (tap name or MAC) of running
 * @dom.  INVALID_ARG for an unknown interface, OPERATION_INVALID when the
 * domain is not running, CONFIG_UNSUPPORTED for a user interface (no host
 * device to count on).
 */
int cvg_driver_net_stats(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                         CvgNetStats *ret_stats);
