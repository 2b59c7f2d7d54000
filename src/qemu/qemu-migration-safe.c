/*
 * qemu-migration-safe.c: disk cache modes and live migration
 */
#include "qemu-migration-safe.h"
#include "qemu-migration-params.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

static bool
disk_is_safe(const CvgDomainDisk *disk)
{
    if (!disk->source || disk->readonly || disk->shareable)
        return true;
    return disk->cache == CVG_DISK_CACHE_NONE ||
           disk->cache == CVG_DISK_CACHE_DIRECTSYNC;
}

int
cvg_migration_check_disks(const CvgDomainDef *def, unsigned int flags)
{
    if (flags & CVG_MIGRATE_UNSAFE)
        return 0;
    for (size_t i = 0; i < def->ndisks; i++) {
        const CvgDomainDisk *disk = def->disks[i];

        if (disk_is_safe(disk))
            continue;
        cvg_error_report(CVG_ERR_MIGRATE_UNSAFE,
                         _("Migration may lead to data corruption if disks "
                           "use cache other than none or directsync "
                           "(disk '%s' uses cache '%s')"),
                         disk->target,
                         disk->cache == CVG_DISK_CACHE_DEFAULT
                             ? "default"
                             : cvg_disk_cache_to_string(disk->cache));
        return -1;
    }
    return 0;
}
