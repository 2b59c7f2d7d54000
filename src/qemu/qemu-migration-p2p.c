/*
 * qemu-migration-p2p.c: peer-to-peer migration
 */
#include "qemu-migration-p2p.h"
#include "cvg-error.h"

/* The state of one peer-to-peer migration while it runs. */
typedef struct {
    const CvgPeerConnection *peer;
    void *conn;
    CvgTypedParamList *peer_params; /* what Prepare and Finish get */
    unsigned int peer_flags;
    char *dcookie; /* the destination's Prepare cookie */
    size_t dcookie_len;
    char *uri;       /* where the data goes */
    CvgError *first; /* the first error of the sequence */
    bool performed;
    bool finished;
} CvgP2PMigration;

static void
p2p_clear(CvgP2PMigration *m)
{
    if (m->conn)
        m->peer->close(m->conn);
    cvg_typed_params_free(m->peer_params);
    g_free(m->dcookie);
    g_free(m->uri);
    cvg_error_free(m->first);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CvgP2PMigration, p2p_clear)

/* Keep the first error of a sequence while clean-up steps report more. */
static void
keep_first_error(CvgP2PMigration *m)
{
    if (!m->first)
        m->first = cvg_error_copy_last();
}

/* The destination's own flags: protecting the source against changes and
 * auto-converge mean nothing there. */
#define P2P_SOURCE_ONLY_FLAGS                                                  \
    (CVG_MIGRATE_CHANGE_PROTECTION | CVG_MIGRATE_AUTO_CONVERGE)

static void
add_default_string(CvgTypedParamList *l, const char *field, const char *value)
{
    if (value && !cvg_typed_params_find(l, field))
        cvg_typed_params_add_string(l, field, value);
}

/* Connect and Prepare on the destination; the URI to send to is its
 * choice, else the caller's. */
static int
p2p_prepare(CvgP2PMigration *m, const char *dconnuri,
            const CvgTypedParamList *params, const char *bcookie, size_t blen,
            const char *name)
{
    const CvgTypedParam *mu;

    if (!(m->conn = m->peer->open(dconnuri, m->peer->opaque)))
        return -1;
    if (m->peer->prepare(m->conn, m->peer_params, bcookie, blen, m->peer_flags,
                         &m->dcookie, &m->dcookie_len, &m->uri) < 0)
        return -1;
    mu = cvg_typed_params_find(params, CVG_MIGRATE_PARAM_URI);
    if (!m->uri && mu && mu->type == CVG_TYPED_PARAM_STRING)
        m->uri = g_strdup(mu->value.s);
    add_default_string(m->peer_params, CVG_MIGRATE_PARAM_URI, m->uri);
    add_default_string(m->peer_params, CVG_MIGRATE_PARAM_DEST_NAME, name);
    return 0;
}

/* Send the data, then Finish on the destination, cancelled when the
 * transfer failed. */
static void
p2p_transfer(CvgP2PMigration *m, CvgDriver *drv, CvgDomainObj *dom,
             unsigned int flags)
{
    g_autofree char *pcookie = NULL;
    size_t plen = 0;

    if (cvg_migration_perform(drv, dom, m->uri, m->dcookie, m->dcookie_len,
                              flags, &pcookie, &plen) == 0)
        m->performed = true;
    else
        keep_first_error(m);

    if (m->peer->finish(m->conn, m->peer_params, pcookie, plen, m->peer_flags,
                        !m->performed) == 0)
        m->finished = true;
    else if (m->performed)
        keep_first_error(m);
}

int
cvg_migration_perform_p2p(CvgDriver *drv, CvgDomainObj *dom,
                          const CvgPeerConnection *peer, const char *dconnuri,
                          const CvgTypedParamList *params, unsigned int flags,
                          const void *owner)
{
    g_auto(CvgP2PMigration) m = {.peer = peer};
    g_autofree char *bcookie = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *name = NULL;
    size_t blen = 0;
    bool done;

    m.peer_flags = flags & ~P2P_SOURCE_ONLY_FLAGS;
    if (cvg_migration_begin(drv, dom, params, flags, owner, &bcookie, &blen,
                            &xml) < 0)
        return -1;
    cvg_driver_lock(drv);
    name = g_strdup(dom->def->name);
    /* As libvirt: a guest paused when its migration starts stays paused
     * on the destination. */
    if (dom->state == CVG_DOMAIN_PAUSED)
        m.peer_flags |= CVG_MIGRATE_PAUSED;
    cvg_driver_unlock(drv);

    m.peer_params = cvg_typed_params_copy(params);
    add_default_string(m.peer_params, CVG_MIGRATE_PARAM_DEST_XML, xml);
    if (p2p_prepare(&m, dconnuri, params, bcookie, blen, name) == 0)
        p2p_transfer(&m, drv, dom, flags);

    done = m.performed && m.finished;
    if (!done)
        keep_first_error(&m);
    if (cvg_migration_confirm(drv, dom, NULL, 0, flags, !done) < 0 && done)
        keep_first_error(&m);
    if (m.first) {
        cvg_error_set(m.first);
        return -1;
    }
    cvg_error_reset();
    return 0;
}
