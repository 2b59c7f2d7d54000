/*
 * qemu-command.h: the storage part of QEMU's command line and the image
 * checks before QEMU starts
 */
#pragma once

#include "domain-conf.h"

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* How much of an image's start cvg_qemu_image_probe() reads: qemu-img
 * writes the backing name into the first cluster, right after the header. */
#define CVG_QCOW2_HEADER_PROBE 65536

/*
 * Append -boot, the controllers' -device options and each disk's -blockdev
 * pair and -device to @argv (strings owned by the array's caller, as in
 * cvg_qemu_build_argv()).
 */
void cvg_qemu_command_add_storage(GPtrArray *argv, const CvgDomainDef *def);

/* The first descriptor number QEMU gets taps on: interface N's tap (not
 * counting user interfaces) is passed as descriptor FIRST + N. */
#define CVG_QEMU_FIRST_PASSED_FD 3

/*
 * Append each interface's -netdev (user, or tap on a passed descriptor,
 * see CVG_QEMU_FIRST_PASSED_FD) and -device to @argv.
 */
void cvg_qemu_command_add_nets(GPtrArray *argv, const CvgDomainDef *def);

/* The QEMU node name of @disk's format node (@format) or protocol node
 * ("vda-format", "vda-storage"); caller frees. */
char *cvg_qemu_disk_node_name(const CvgDomainDisk *disk, bool format);

/*
 * Open and read every image of every disk of @def: the source, and for
 * qcow2 its backing chain as the image headers name it (the XML is not
 * trusted for that).  Fails with SYSTEM_ERROR "Cannot access storage file
 * ..." (or "... backing file ... of storage file ...") naming the first
 * image that cannot be opened or read, or OPERATION_FAILED for a damaged
 * header, a top image that is not the format the XML says or a chain that
 * does not end.
 */
int cvg_qemu_check_disk_images(const CvgDomainDef *def);

/*
 * Probe the image at @path: *ret_format is CVG_DISK_FORMAT_QCOW2 when it
 * starts with the qcow2 magic, else CVG_DISK_FORMAT_RAW; *ret_backing the
 * absolute backing file name or NULL.  @of: the image @path backs, for the
 * error message (NULL for a top image).  Returns 0, or -1 with an error.
 */
int cvg_qemu_image_probe(const char *path, const char *of, int *ret_format,
                         char **ret_backing);

/*
 * Parse the first @len bytes of an image (pure, for tests and fuzzing): 0
 * with the format and backing name (caller frees, NULL when none), -1 (no
 * error reported) for a qcow2 header that is damaged.
 */
int cvg_qcow2_header_parse(const unsigned char *buf, size_t len,
                           int *ret_format, char **ret_backing);

/* How much of a qcow2 image cvg_qcow2_header_size() needs. */
#define CVG_QCOW2_SIZE_PROBE 32

/* The guest-visible size in a qcow2 header (pure): 0, or -1 when @buf is
 * not a qcow2 header. */
int cvg_qcow2_header_size(const unsigned char *buf, size_t len,
                          unsigned long long *ret_size);
