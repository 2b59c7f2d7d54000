/*
 * qemu-migration-tls.h: TLS on the migration stream (VIR_MIGRATE_TLS)
 *
 * Both QEMUs get a tls-creds-x509 object reading the files of
 * migrate_tls_x509_cert_dir (the destination as the TLS server, the source
 * as the client) and the migration parameter tls-creds naming it, before
 * migrate-incoming and migrate; the source also gets tls-hostname, the
 * name the destination's certificate must carry.  After the job the
 * parameters are reset and the object deleted.
 *
 * All functions but the check run with the driver lock and a job held.
 */
#pragma once

#include "daemon-conf.h"
#include "qemu-domain.h"
#include "cvg-json.h"

/* The credentials object's id in QEMU. */
#define CVG_MIGRATION_TLS_OBJECT "cvg-migrate-tls0"

/* Check that the certificate files @side (CVG_MIG_SIDE_SOURCE or _DEST)
 * needs are readable in @cfg's migrate_tls_x509_cert_dir.  A missing one
 * is OPERATION_INVALID naming it.  No lock needed. */
int cvg_migration_tls_check(const CvgDaemonConfig *cfg, unsigned int side);

/* object-add the credentials of @side on @dom's QEMU. */
int cvg_migration_tls_add_creds(CvgDriver *drv, CvgDomainObj *dom,
                                unsigned int side);

/* Add tls-creds to the migrate-set-parameters arguments @params and, on
 * the source, tls-hostname when the caller gave no tls.destination: the
 * host of @qemu_uri ("tcp:HOST:PORT"). */
void cvg_migration_tls_params(json_object *params, unsigned int side,
                              const char *qemu_uri);

/* Reset tls-creds and tls-hostname and delete the object.  Failures are
 * logged, never reported: the error the caller may hold is kept. */
void cvg_migration_tls_cleanup(CvgDriver *drv, CvgDomainObj *dom);

/* The host of a QEMU "tcp:HOST:PORT" URI, brackets of an IPv6 address
 * removed; NULL when @qemu_uri has none.  (g_free) */
char *cvg_migration_tls_uri_host(const char *qemu_uri);
