/*
 * migration-cookie.h: the cookie convergd daemons pass between migration
 * phases
 *
 * The cookie is opaque to clients (virsh just carries it from one call to
 * the next).  Ours is a small XML document:
 *
 *   <convergd-migration version='1'>
 *     <name>vm1</name>
 *     <uuid>...</uuid>
 *     <hostname>src</hostname>
 *     <hostuuid>...</hostuuid>
 *     <qemu version='10000002'/>
 *     <stats operation='5'>
 *       <param name='time_elapsed' type='ullong' value='17400'/> ...
 *     </stats>
 *   </convergd-migration>
 *
 * It arrives from a peer, so parsing is strict and bounded.
 */
#pragma once

#include "cvg-typed-param.h"

#include <glib.h>
#include <stdbool.h>

typedef struct {
    char *name;
    unsigned char uuid[16];
    bool has_uuid;
    char *hostname;
    unsigned char host_uuid[16];
    bool has_host_uuid;
    unsigned long long qemu_version;
    CvgTypedParamList *stats; /* completed job statistics, or NULL */
} CvgMigrationCookie;

void cvg_migration_cookie_free(CvgMigrationCookie *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgMigrationCookie, cvg_migration_cookie_free)

/* Serialise; the result includes a trailing NUL in *ret_len, as libvirt's
 * cookies do. */
char *cvg_migration_cookie_format(const CvgMigrationCookie *c, size_t *ret_len);

/* Parse @len bytes (a trailing NUL is allowed).  An empty cookie gives an
 * empty CvgMigrationCookie.  Bad input: NULL with INTERNAL_ERROR naming what
 * is wrong. */
CvgMigrationCookie *cvg_migration_cookie_parse(const char *data, size_t len);
