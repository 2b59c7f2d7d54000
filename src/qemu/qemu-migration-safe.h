/*
 * qemu-migration-safe.h: is a live migration of this guest's storage safe?
 *
 * With shared storage both QEMUs open the same image.  The source's host
 * page cache may still hold writes the destination cannot see, so a
 * writable disk must bypass it: cache='none' or 'directsync'.  Any other
 * mode, the default (no cache=) included, is refused with MIGRATE_UNSAFE
 * unless the caller passed VIR_MIGRATE_UNSAFE.  Read-only disks (cdroms
 * included), empty drives and <shareable/> disks (whose cache mode the
 * guest's cluster software owns) are exempt.  Pure: no I/O, no lock.
 */
#pragma once

#include "domain-conf.h"

/* Check every disk of @def for a live migration with @flags
 * (CVG_MIGRATE_*).  Returns 0, or -1 with MIGRATE_UNSAFE reported naming
 * the first unsafe disk. */
int cvg_migration_check_disks(const CvgDomainDef *def, unsigned int flags);
