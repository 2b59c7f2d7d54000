/*
 * qemu-migration-tls.c: TLS credentials of a migration stream
 */
#include "qemu-migration-tls.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "qemu-migration-params.h"
#include "qemu-driver-state.h"
#include "qemu-process.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The files QEMU's tls-creds-x509 reads from its directory, by endpoint.
 * QEMU treats a client's certificate as optional; convergd asks for it,
 * since a destination that verifies peers (migrate_tls_x509_verify, the
 * default) refuses a source without one, and a missing file is clearer
 * here than as a failed handshake. */
static const struct {
    const char *file;
    unsigned int side; /* CvgMigrationSide */
} tls_files[] = {
    {"ca-cert.pem", CVG_MIG_SIDE_BOTH},
    {"server-cert.pem", CVG_MIG_SIDE_DEST},
    {"server-key.pem", CVG_MIG_SIDE_DEST},
    {"client-cert.pem", CVG_MIG_SIDE_SOURCE},
    {"client-key.pem", CVG_MIG_SIDE_SOURCE},
};

int
cvg_migration_tls_check(const CvgDaemonConfig *cfg, unsigned int side)
{
    const char *dir = cfg->migrate_tls_x509_cert_dir;

    for (size_t i = 0; i < G_N_ELEMENTS(tls_files); i++) {
        g_autofree char *path = NULL;

        if (!(tls_files[i].side & side))
            continue;
        path = g_build_filename(dir, tls_files[i].file, NULL);
        if (access(path, R_OK) == 0)
            continue;
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("TLS migration needs the certificate file '%s' "
                           "(migrate_tls_x509_cert_dir): %s"),
                         path, g_strerror(errno));
        return -1;
    }
    return 0;
}

int
cvg_migration_tls_add_creds(CvgDriver *drv, CvgDomainObj *dom,
                            unsigned int side)
{
    g_autoptr(json_object) args = json_object_new_object();
    bool server = side == CVG_MIG_SIDE_DEST;
    /* A client always checks the server's certificate; a server checks
     * its clients' as configured. */
    bool verify = !server || drv->cfg->migrate_tls_x509_verify;

    json_object_object_add(args, "qom-type",
                           json_object_new_string("tls-creds-x509"));
    json_object_object_add(args, "id",
                           json_object_new_string(CVG_MIGRATION_TLS_OBJECT));
    json_object_object_add(
        args, "endpoint", json_object_new_string(server ? "server" : "client"));
    json_object_object_add(
        args, "dir",
        json_object_new_string(drv->cfg->migrate_tls_x509_cert_dir));
    json_object_object_add(args, "verify-peer",
                           json_object_new_boolean(verify));
    return cvg_qemu_monitor_command(drv, dom, "object-add", args, NULL);
}

char *
cvg_migration_tls_uri_host(const char *qemu_uri)
{
    const char *hp;
    const char *end;

    if (!qemu_uri || !g_str_has_prefix(qemu_uri, "tcp:"))
        return NULL;
    hp = qemu_uri + strlen("tcp:");
    if (*hp == '[') {
        if (!(end = strchr(hp, ']')))
            return NULL;
        return g_strndup(hp + 1, end - hp - 1);
    }
    end = strrchr(hp, ':');
    if (end == hp)
        return NULL;
    return end ? g_strndup(hp, end - hp) : g_strdup(hp);
}

void
cvg_migration_tls_params(json_object *params, unsigned int side,
                         const char *qemu_uri)
{
    g_autofree char *host = NULL;

    json_object_object_add(params, "tls-creds",
                           json_object_new_string(CVG_MIGRATION_TLS_OBJECT));
    if (side != CVG_MIG_SIDE_SOURCE ||
        json_object_object_get_ex(params, "tls-hostname", NULL))
        return;
    if ((host = cvg_migration_tls_uri_host(qemu_uri)))
        json_object_object_add(params, "tls-hostname",
                               json_object_new_string(host));
}

void
cvg_migration_tls_cleanup(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) reset = json_object_new_object();
    g_autoptr(json_object) del = json_object_new_object();
    CvgError *saved = cvg_error_last() ? cvg_error_copy_last() : NULL;

    if (!dom->mon)
        goto out;
    json_object_object_add(reset, "tls-creds", json_object_new_string(""));
    json_object_object_add(reset, "tls-hostname", json_object_new_string(""));
    if (cvg_qemu_monitor_command(drv, dom, "migrate-set-parameters", reset,
                                 NULL) < 0)
        g_debug("cannot reset the TLS parameters of '%s': %s", dom->def->name,
                cvg_error_last() ? cvg_error_last()->message : "?");
    json_object_object_add(del, "id",
                           json_object_new_string(CVG_MIGRATION_TLS_OBJECT));
    if (dom->mon &&
        cvg_qemu_monitor_command(drv, dom, "object-del", del, NULL) < 0)
        g_warning("cannot delete the TLS credentials of '%s': %s",
                  dom->def->name,
                  cvg_error_last() ? cvg_error_last()->message : "?");
out:
    if (saved) {
        cvg_error_set(saved);
        cvg_error_free(saved);
    } else {
        cvg_error_reset();
    }
}
