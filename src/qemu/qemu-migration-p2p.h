/*
 * qemu-migration-p2p.h: peer-to-peer migration
 *
 * With VIR_MIGRATE_PEER2PEER the client sends one Perform to the source
 * daemon, which then drives the whole migration itself: Begin here,
 * Prepare on the destination, the data transfer here, Finish on the
 * destination (cancelled on failure), Confirm here.  The destination is
 * reached through a CvgPeerConnection, which the daemon implements with
 * its RPC client; this layer knows nothing of the wire.
 */
#pragma once

#include "qemu-migration.h"

/*
 * A connection to the destination daemon.  Each call reports its errors
 * (the destination's, as it sent them); strings are NUL-terminated,
 * cookies are bytes, and what is returned is the caller's to g_free.
 */
typedef struct {
    /* Connect to @dconnuri; NULL on failure, or when the destination
     * cannot migrate with typed parameters. */
    void *(*open)(const char *dconnuri, void *opaque);
    /* virDomainMigratePrepare3Params on the destination: its cookie and
     * the URI to send to (NULL when it chose none). */
    int (*prepare)(void *conn, const CvgTypedParamList *params,
                   const char *cookie_in, size_t cookie_in_len,
                   unsigned int flags, char **ret_cookie,
                   size_t *ret_cookie_len, char **ret_uri);
    /* virDomainMigrateFinish3Params on the destination. */
    int (*finish)(void *conn, const CvgTypedParamList *params,
                  const char *cookie_in, size_t cookie_in_len,
                  unsigned int flags, bool cancelled);
    /* Close and free @conn (NULL-safe). */
    void (*close)(void *conn);
    void *opaque; /* passed to open */
} CvgPeerConnection;

/*
 * Migrate @dom to the daemon at @dconnuri through @peer, for the client
 * @owner, with the caller's @params and @flags.  Whatever happens, the job
 * ends and the guest runs exactly once; on failure the first error of the
 * sequence is the one reported.  Takes the driver lock itself.
 */
int cvg_migration_perform_p2p(CvgDriver *drv, CvgDomainObj *dom,
                              const CvgPeerConnection *peer,
                              const char *dconnuri,
                              const CvgTypedParamList *params,
                              unsigned int flags, const void *owner);
