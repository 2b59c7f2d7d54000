/*
 * qemu-block.c: per-disk statistics and sizes (virsh domblkstat,
 * domblkinfo)
 */
#include "qemu-block.h"
#include "qemu-command.h"
#include "qemu-domain-job.h"
#include "qemu-process.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libvirt's names for the counters, in the order it reports them. */
static const struct {
    const char *field;
    size_t offset;
} stats_fields[] = {
    {"wr_bytes", G_STRUCT_OFFSET(CvgBlockStats, wr_bytes)},
    {"wr_operations", G_STRUCT_OFFSET(CvgBlockStats, wr_req)},
    {"rd_bytes", G_STRUCT_OFFSET(CvgBlockStats, rd_bytes)},
    {"rd_operations", G_STRUCT_OFFSET(CvgBlockStats, rd_req)},
    {"flush_operations", G_STRUCT_OFFSET(CvgBlockStats, flush_req)},
    {"wr_total_times", G_STRUCT_OFFSET(CvgBlockStats, wr_time_ns)},
    {"rd_total_times", G_STRUCT_OFFSET(CvgBlockStats, rd_time_ns)},
    {"flush_total_times", G_STRUCT_OFFSET(CvgBlockStats, flush_time_ns)},
};

/* QEMU's query-blockstats names for the same counters. */
static const struct {
    const char *key;
    size_t offset;
} qmp_fields[] = {
    {"wr_bytes", G_STRUCT_OFFSET(CvgBlockStats, wr_bytes)},
    {"wr_operations", G_STRUCT_OFFSET(CvgBlockStats, wr_req)},
    {"rd_bytes", G_STRUCT_OFFSET(CvgBlockStats, rd_bytes)},
    {"rd_operations", G_STRUCT_OFFSET(CvgBlockStats, rd_req)},
    {"flush_operations", G_STRUCT_OFFSET(CvgBlockStats, flush_req)},
    {"wr_total_time_ns", G_STRUCT_OFFSET(CvgBlockStats, wr_time_ns)},
    {"rd_total_time_ns", G_STRUCT_OFFSET(CvgBlockStats, rd_time_ns)},
    {"flush_total_time_ns", G_STRUCT_OFFSET(CvgBlockStats, flush_time_ns)},
};

#define STAT(s, off) (*(long long *)((char *)(s) + (off)))

int
cvg_block_stats_nparams(void)
{
    return G_N_ELEMENTS(stats_fields);
}

CvgTypedParamList *
cvg_block_stats_to_params(const CvgBlockStats *stats, int max)
{
    CvgTypedParamList *l = cvg_typed_params_new();
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(stats_fields); i++) {
        if (max > 0 && (int)i >= max)
            break;
        cvg_typed_params_add_llong(
            l, stats_fields[i].field,
            STAT((CvgBlockStats *)stats, stats_fields[i].offset));
    }
    return l;
}

static CvgDomainDisk *
find_disk(CvgDomainObj *dom, const char *path)
{
    CvgDomainDisk *disk = cvg_domain_def_find_disk(dom->def, path);

    if (!disk)
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("invalid path '%s' not assigned to domain"), path);
    return disk;
}

/* Add the counters of the query-blockstats entry of @node to @sum. */
static bool
add_node_stats(json_object *reply, const char *node, CvgBlockStats *sum)
{
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        json_object *stats = cvg_json_get_object(e, "stats");

        if (g_strcmp0(cvg_json_get_string(e, "node-name"), node) != 0 || !stats)
            continue;
        for (size_t j = 0; j < G_N_ELEMENTS(qmp_fields); j++) {
            gint64 v = 0;

            cvg_json_get_int64(stats, qmp_fields[j].key, &v);
            STAT(sum, qmp_fields[j].offset) += v;
        }
        return true;
    }
    return false;
}

/* Sum the counters of @disk (or all disks) from @reply (lock held). */
static int
collect_stats(CvgDomainObj *dom, json_object *reply, const CvgDomainDisk *disk,
              CvgBlockStats *ret_stats)
{
    CvgBlockStats sum = {0};

    if (!json_object_is_type(reply, json_type_array)) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR, _("unexpected reply to '%s'"),
                         "query-blockstats");
        return -1;
    }
    for (size_t i = 0; i < dom->def->ndisks; i++) {
        const CvgDomainDisk *d = dom->def->disks[i];
        g_autofree char *node = NULL;

        if ((disk && d != disk) || !d->source)
            continue;
        node = cvg_qemu_disk_node_name(d, true);
        if (!add_node_stats(reply, node, &sum) && disk) {
            cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                             _("cannot find statistics for device '%s'"),
                             d->target);
            return -1;
        }
    }
    *ret_stats = sum;
    return 0;
}

int
cvg_driver_block_stats(CvgDriver *drv, CvgDomainObj *dom, const char *path,
                       CvgBlockStats *ret_stats)
{
    g_autoptr(json_object) reply = NULL;
    const CvgDomainDisk *disk = NULL;
    int rc = -1;

    cvg_driver_lock(drv);
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_QUERY) < 0)
        goto unlock;
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
        goto end;
    }
    if (*path && !(disk = find_disk(dom, path)))
        goto end;
    if (cvg_qemu_monitor_command(drv, dom, "query-blockstats", NULL, &reply) <
        0)
        goto end;
    rc = collect_stats(dom, reply, disk, ret_stats);
end:
    cvg_domain_job_end(drv, dom);
unlock:
    cvg_driver_unlock(drv);
    return rc;
}

/* The sizes of the open image @fd at @path. */
static int
image_sizes(int fd, const char *path, int format,
            unsigned long long *ret_allocation,
            unsigned long long *ret_capacity, unsigned long long *ret_physical)
{
    unsigned char header[CVG_QCOW2_SIZE_PROBE];
    struct stat st;
    off_t end;
    ssize_t n;

    if (fstat(fd, &st) < 0 || (end = lseek(fd, 0, SEEK_END)) < 0) {
        cvg_error_report_system(errno, _("cannot stat file '%s'"), path);
        return -1;
    }
    /* A block device's size is where it ends; st_size says 0. */
    *ret_physical = end;
    *ret_allocation = S_ISREG(st.st_mode)
                          ? (unsigned long long)st.st_blocks * 512
                          : (unsigned long long)end;
    *ret_capacity = end;
    if (format != CVG_DISK_FORMAT_QCOW2)
        return 0;
    n = pread(fd, header, sizeof(header), 0);
    if (n < 0 || cvg_qcow2_header_size(header, n, ret_capacity) < 0) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("cannot read the qcow2 header of '%s'"), path);
        return -1;
    }
    return 0;
}

int
cvg_driver_block_info(CvgDriver *drv, CvgDomainObj *dom, const char *path,
                      unsigned long long *ret_allocation,
                      unsigned long long *ret_capacity,
                      unsigned long long *ret_physical)
{
    g_autofree char *source = NULL;
    CvgDomainDisk *disk;
    int format = 0;
    int fd;
    int rc;

    cvg_driver_lock(drv);
    if ((disk = find_disk(dom, path))) {
        source = g_strdup(disk->source);
        format = disk->format;
        if (!source)
            cvg_error_report(CVG_ERR_OPERATION_INVALID,
                             _("disk '%s' does not currently have a source "
                               "assigned"),
                             disk->target);
    }
    cvg_driver_unlock(drv);
    if (!source)
        return -1;
    if ((fd = open(source, O_RDONLY | O_CLOEXEC)) < 0) {
        cvg_error_report_system(errno, _("cannot open file '%s'"), source);
        return -1;
    }
    rc = image_sizes(fd, source, format, ret_allocation, ret_capacity,
                     ret_physical);
    close(fd);
    return rc;
}
