/*
 * qemu-migration-incoming.c: the destination's migration phases (Prepare,
 * Finish) and the incoming QEMU they start and wait for
 */
#include "qemu-migration-priv.h"
#include "qemu-migration-tls.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "migration-cookie.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long Finish waits for the incoming stream to complete once the
 * source says it has sent everything. */
#define FINISH_WAIT_MS 60000

/* --- destination --- */

/* Is @port free on @addr?  (The final bind is QEMU's; this only skips ports
 * we know are taken.) */
static bool
port_free(const char *addr, unsigned int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd;
    bool ok;
    int one = 1;

    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return true;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return true;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Parse a caller's migrate_uri "tcp://host:port" / "tcp:host:port". */
static int
parse_tcp_uri(const char *uri, char **ret_host, unsigned int *ret_port)
{
    g_autofree char *q = cvg_migration_uri_to_qemu(uri);
    const char *hp;
    const char *colon;
    unsigned int port = 0;

    if (!g_str_has_prefix(q, "tcp:"))
        goto bad;
    hp = q + 4;
    if (!(colon = strrchr(hp, ':'))) {
        *ret_host = g_strdup(hp);
        *ret_port = 0;
        return 0;
    }
    if (sscanf(colon + 1, "%u", &port) != 1 || port == 0 || port > 65535)
        goto bad;
    *ret_host = g_strndup(hp, colon - hp);
    *ret_port = port;
    return 0;
bad:
    cvg_error_report(CVG_ERR_INVALID_ARG,
                     _("migration URI '%s' is not of the form tcp://HOST:PORT"),
                     uri);
    return -1;
}

/* The destination's parameters (multifd channels and compression); with
 * VIR_MIGRATE_TLS the incoming QEMU is the TLS server (lock held). */
static int
incoming_params(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) params = cvg_migration_params_qmp_json(
        dom->migration->params, CVG_MIG_SIDE_DEST);

    if (dom->migration->flags & CVG_MIGRATE_TLS) {
        if (cvg_migration_tls_add_creds(drv, dom, CVG_MIG_SIDE_DEST) < 0)
            return -1;
        dom->migration->tls_object = true;
        cvg_migration_tls_params(params, CVG_MIG_SIDE_DEST, NULL);
    }
    if (json_object_object_length(params) == 0)
        return 0;
    return cvg_mig_apply_json(drv, dom, "migrate-set-parameters", params);
}

/* Start listening for the incoming stream (lock and MIGRATION_IN held). */
static int
start_incoming(CvgDriver *drv, CvgDomainObj *dom, const char *listen,
               unsigned int want_port, const char *advertise, char **ret_uri)
{
    g_autoptr(json_object) caps = NULL;

    caps = json_object_new_object();
    json_object_object_add(caps, "capabilities",
                           cvg_migration_params_caps_json(
                               dom->migration->params, CVG_MIG_SIDE_DEST));
    if (cvg_mig_apply_json(drv, dom, "migrate-set-capabilities", caps) < 0 ||
        incoming_params(drv, dom) < 0)
        return -1;
    return cvg_mig_listen(drv, dom, "migrate-incoming", listen, want_port,
                          advertise, ret_uri);
}

int
cvg_mig_listen(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
               const char *listen, unsigned int want_port,
               const char *advertise, char **ret_uri)
{
    CvgDaemonConfig *cfg = drv->cfg;
    unsigned int lo = want_port ? want_port : cfg->migration_port_min;
    unsigned int hi = want_port ? want_port : cfg->migration_port_max;

    for (unsigned int port = lo; port <= hi; port++) {
        g_autoptr(json_object) args = NULL;
        g_autofree char *quri = NULL;

        if (!want_port && !port_free(listen, port))
            continue;
        quri = g_strdup_printf("tcp:%s:%u", listen, port);
        args = json_object_new_object();
        json_object_object_add(args, "uri", json_object_new_string(quri));
        if (cvg_qemu_monitor_command(drv, dom, cmd, args, NULL) == 0) {
            *ret_uri = g_strdup_printf("tcp://%s:%u", advertise, port);
            return 0;
        }
        if (want_port || !dom->mon)
            return -1;
        g_debug("port %u refused, trying the next one", port);
    }
    cvg_error_report(CVG_ERR_OPERATION_FAILED,
                     _("no free migration port in %u-%u on '%s'"), lo, hi,
                     listen);
    return -1;
}

/* Check Prepare's input: the parameters (into *@ret_mp), the source's
 * cookie and the definition to run (*@ret_def, renamed as asked). */
static int
prepare_check(CvgDriver *drv, const CvgTypedParamList *params,
              const char *cookie_in, size_t cookie_in_len, unsigned int flags,
              CvgMigrationParams **ret_mp, CvgDomainDef **ret_def)
{
    g_autoptr(CvgMigrationParams) mp = NULL;
    g_autoptr(CvgMigrationCookie) peer = NULL;
    g_autoptr(CvgDomainDef) def = NULL;
    const char *dxml;
    const char *dname;

    if (!(mp = cvg_migration_params_validate(params, flags, CVG_MIG_SIDE_DEST)))
        return -1;
    /* Before anything starts here. */
    if ((flags & CVG_MIGRATE_TLS) &&
        cvg_migration_tls_check(drv->cfg, CVG_MIG_SIDE_DEST) < 0)
        return -1;
    if (!(peer = cvg_migration_cookie_parse(cookie_in, cookie_in_len)))
        return -1;
    if (!(dxml = cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_DEST_XML))) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("migration parameter '%s' is required by Prepare"),
                         CVG_MIGRATE_PARAM_DEST_XML);
        return -1;
    }
    if (!(def = cvg_domain_def_parse_string(dxml, 0)))
        return -1;
    if ((dname =
             cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_DEST_NAME))) {
        g_free(def->name);
        def->name = g_strdup(dname);
    }
    if (peer->has_host_uuid &&
        memcmp(peer->host_uuid, drv->host_uuid, 16) == 0) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("attempt to migrate guest to the same host"));
        return -1;
    }
    *ret_mp = g_steal_pointer(&mp);
    *ret_def = g_steal_pointer(&def);
    return 0;
}

/* Where the incoming stream arrives: the address QEMU listens on, the
 * port asked for (0: the first free one of the range) and the host name
 * the source is told. */
typedef struct {
    char *listen_host;
    unsigned int want_port;
    char *advertise;
} CvgIncomingAddr;

static void
incoming_addr_clear(CvgIncomingAddr *a)
{
    g_free(a->listen_host);
    g_free(a->advertise);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CvgIncomingAddr, incoming_addr_clear)

static int
incoming_addr(CvgDriver *drv, const CvgMigrationParams *mp,
              CvgIncomingAddr *ret_addr)
{
    const char *muri = cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_URI);
    const char *laddr =
        cvg_migration_params_string(mp, CVG_MIGRATE_PARAM_LISTEN_ADDRESS);

    if (muri) {
        if (parse_tcp_uri(muri, &ret_addr->listen_host, &ret_addr->want_port) <
            0)
            return -1;
    } else {
        ret_addr->listen_host = g_strdup(drv->cfg->migration_address);
    }
    if (laddr) {
        g_free(ret_addr->listen_host);
        ret_addr->listen_host = g_strdup(laddr);
    }
    ret_addr->advertise =
        g_strdup(drv->cfg->migration_host ? drv->cfg->migration_host
                 : (muri || laddr)        ? ret_addr->listen_host
                                          : drv->hostname);
    return 0;
}

/* Start the incoming QEMU for @dom under a new MIGRATION_IN job and make
 * it listen (lock held).  On failure no job and no QEMU are left. */
static int
prepare_incoming(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationParams **mp,
                 unsigned int flags, const void *owner,
                 const CvgIncomingAddr *addr, char **ret_uri)
{
    if (!cvg_mig_job_start(drv, dom, CVG_ASYNC_MIGRATION_IN,
                           CVG_JOB_OP_MIGRATION_IN, flags, mp, owner))
        return -1;
    dom->migration->phase = CVG_MIG_PHASE_PREPARED;
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_ASYNC_NESTED) < 0) {
        cvg_mig_job_stop(dom);
        return -1;
    }
    if (cvg_qemu_process_start(drv, dom, 0, "defer") < 0)
        goto error;
    if (start_incoming(drv, dom, addr->listen_host, addr->want_port,
                       addr->advertise, ret_uri) < 0) {
        cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_FAILED,
                              CVG_EVENT_STOPPED_FAILED);
        goto error;
    }
    cvg_domain_job_end(drv, dom);
    return 0;

error:
    cvg_domain_job_end(drv, dom);
    cvg_mig_job_stop(dom);
    return -1;
}

CvgDomainObj *
cvg_migration_prepare(CvgDriver *drv, const CvgTypedParamList *params,
                      const char *cookie_in, size_t cookie_in_len,
                      unsigned int flags, const void *owner, char **ret_cookie,
                      size_t *ret_cookie_len, char **ret_uri)
{
    g_autoptr(CvgMigrationParams) mp = NULL;
    g_autoptr(CvgDomainDef) def = NULL;
    g_auto(CvgIncomingAddr) addr = {0};
    g_autofree char *uri = NULL;
    CvgDomainObj *dom;
    bool added;

    if (prepare_check(drv, params, cookie_in, cookie_in_len, flags, &mp, &def) <
            0 ||
        incoming_addr(drv, mp, &addr) < 0)
        return NULL;
    if (flags & CVG_MIGRATE_POSTCOPY_RESUME)
        return cvg_mig_postcopy_prepare(
            drv, def->name, &mp, owner, addr.listen_host, addr.want_port,
            addr.advertise, ret_cookie, ret_cookie_len, ret_uri);

    cvg_driver_lock(drv);
    /* A persistent domain of the same name and uuid keeps its config for
     * the next boot. */
    if (!(dom = cvg_driver_add_or_replace(
              drv, &def, CVG_DRIVER_ADD_LIVE | CVG_DRIVER_ADD_CHECK_LIVE,
              &added)))
        goto error;
    if (prepare_incoming(drv, dom, &mp, flags, owner, &addr, &uri) < 0) {
        cvg_driver_add_undo(drv, dom, added);
        cvg_domain_obj_unref(dom);
        goto error;
    }
    cvg_driver_queue_event(drv, dom, CVG_EVENT_STARTED,
                           CVG_EVENT_STARTED_MIGRATED);
    cvg_driver_save_status(drv, dom);
    *ret_cookie = cvg_mig_make_cookie(drv, dom, ret_cookie_len);
    *ret_uri = g_steal_pointer(&uri);
    cvg_driver_unlock(drv);
    return dom;

error:
    cvg_driver_unlock(drv);
    return NULL;
}

/* Kill an incoming guest and forget it (lock held). */
void
cvg_mig_discard_incoming(CvgDriver *drv, CvgDomainObj *dom)
{
    /* A guest that ran here in post-copy is the only one left. */
    if (dom->migration && dom->migration->in_postcopy) {
        cvg_mig_postcopy_failed(drv, dom);
        cvg_mig_job_stop(dom);
        return;
    }
    cvg_mig_job_stop(dom);
    if (cvg_domain_obj_is_active(dom))
        cvg_qemu_process_stop(drv, dom, CVG_SHUTOFF_FAILED,
                              CVG_EVENT_STOPPED_FAILED);
    if (!dom->persistent)
        cvg_driver_remove(drv, dom);
}

/* Discard the incoming guest, keeping the error that made us (lock held).
 * Without one, the source cancelled the migration. */
static void
finish_discard(CvgDriver *drv, CvgDomainObj *dom, const char *name,
               bool keep_error)
{
    CvgError *saved = keep_error ? cvg_error_copy_last() : NULL;

    cvg_mig_discard_incoming(drv, dom);
    if (saved) {
        cvg_error_set(saved);
        cvg_error_free(saved);
    } else {
        cvg_error_report(
            CVG_ERR_OPERATION_FAILED,
            _("migration of domain '%s' was cancelled by the source"), name);
    }
}

/* Wait for the incoming stream to complete (lock held). */
static int
finish_wait(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
            const char *name)
{
    gint64 deadline = g_get_monotonic_time() + FINISH_WAIT_MS * 1000LL;

    for (;;) {
        if (cvg_mig_check_running(dom) < 0 || cvg_mig_poll(drv, dom, job) < 0)
            return -1;
        /* Once in post-copy (even a failed one) the guest lives here. */
        if (job->status == CVG_MIG_STATUS_COMPLETED ||
            cvg_mig_postcopy_status(job->status))
            return 0;
        if (job->status == CVG_MIG_STATUS_FAILED ||
            job->status == CVG_MIG_STATUS_CANCELLED) {
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("incoming migration of domain '%s' failed: %s"),
                             name,
                             job->sample.error_desc ? job->sample.error_desc
                                                    : _("stream ended early"));
            return -1;
        }
        if (g_get_monotonic_time() > deadline) {
            cvg_error_report(
                CVG_ERR_OPERATION_TIMEOUT,
                _("incoming migration of domain '%s' did not complete"), name);
            return -1;
        }
        cvg_mig_poll_wait(drv, dom);
    }
}

/* VIR_MIGRATE_PERSIST_DEST: the guest is defined here too (lock held). */
static void
finish_persist(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
               const char *name)
{
    const char *pxml =
        cvg_migration_params_string(job->params, CVG_MIGRATE_PARAM_PERSIST_XML);
    g_autoptr(CvgDomainDef) pdef = NULL;

    if (pxml && !(pdef = cvg_domain_def_parse_string(pxml, 0)))
        g_warning("ignoring invalid persistent XML for '%s'", name);
    cvg_domain_def_free(dom->newdef);
    dom->newdef = pdef ? g_steal_pointer(&pdef) : cvg_domain_def_copy(dom->def);
    dom->persistent = true;
    if (cvg_driver_save_config(drv, dom) < 0)
        g_warning("cannot save config of '%s'", name);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_DEFINED,
                           CVG_EVENT_DEFINED_ADDED);
}

/* The source's figures describe the migration; we keep them too. */
static void
finish_record_stats(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
                    const CvgMigrationCookie *peer)
{
    CvgTypedParamList *stats = peer->stats ? cvg_typed_params_copy(peer->stats)
                                           : cvg_mig_job_stats(job, true);

    for (size_t i = 0; i < stats->n; i++) {
        if (strcmp(stats->params[i].field, "operation") == 0 &&
            stats->params[i].type == CVG_TYPED_PARAM_INT)
            stats->params[i].value.i = CVG_JOB_OP_MIGRATION_IN;
    }
    cvg_mig_job_record_completed(drv, dom, CVG_JOB_TYPE_COMPLETED, stats);
}

/* The guest Finish names: DEST_NAME, else the cookie's. */
static const char *
finish_name(const CvgTypedParamList *params, const CvgMigrationCookie *peer)
{
    const CvgTypedParam *p;

    if ((p = cvg_typed_params_find(params, CVG_MIGRATE_PARAM_DEST_NAME)) &&
        p->type == CVG_TYPED_PARAM_STRING)
        return p->value.s;
    if (peer && peer->name)
        return peer->name;
    cvg_error_report(CVG_ERR_INVALID_ARG,
                     _("migration parameter '%s' is required by Finish"),
                     CVG_MIGRATE_PARAM_DEST_NAME);
    return NULL;
}

/* Run the arrived guest, or with VIR_MIGRATE_PAUSED leave it paused as
 * libvirt does: resumed/migrated, then suspended/paused, state paused/user
 * (lock held). */
static int
finish_resume(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags)
{
    if (!(flags & CVG_MIGRATE_PAUSED) &&
        cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) < 0)
        return -1;
    cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING, CVG_RUNNING_MIGRATED);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                           CVG_EVENT_RESUMED_MIGRATED);
    if (flags & CVG_MIGRATE_PAUSED) {
        cvg_domain_obj_set_state(dom, CVG_DOMAIN_PAUSED, CVG_PAUSED_USER);
        cvg_driver_queue_event(drv, dom, CVG_EVENT_SUSPENDED,
                               CVG_EVENT_SUSPENDED_PAUSED);
    }
    return 0;
}

/* The guest arrived in post-copy: run it, wait for the last page, then
 * report it migrated (lock held).  A failure keeps it for recovery. */
static int
finish_postcopy(CvgDriver *drv, CvgDomainObj *dom, CvgMigrationJob *job,
                const char *name)
{
    if (cvg_qemu_monitor_command(drv, dom, "cont", NULL, NULL) < 0) {
        finish_discard(drv, dom, name, true);
        return -1;
    }
    if (cvg_mig_postcopy_dest_run(drv, dom, job) < 0) {
        /* Neither side has the whole guest: keep this one for recovery. */
        cvg_mig_job_stop(dom);
        return -1;
    }
    cvg_domain_obj_set_state(dom, CVG_DOMAIN_RUNNING, CVG_RUNNING_MIGRATED);
    cvg_driver_queue_event(drv, dom, CVG_EVENT_RESUMED,
                           CVG_EVENT_RESUMED_MIGRATED);
    return 0;
}

CvgDomainObj *
cvg_migration_finish(CvgDriver *drv, const CvgTypedParamList *params,
                     const char *cookie_in, size_t cookie_in_len,
                     unsigned int flags, bool cancelled, char **ret_cookie,
                     size_t *ret_cookie_len)
{
    g_autoptr(CvgMigrationCookie) peer = NULL;
    g_autoptr(CvgDomainObj) dom = NULL;
    const char *name;
    CvgMigrationJob *job;

    peer = cvg_migration_cookie_parse(cookie_in, cookie_in_len);
    if (!(name = finish_name(params, peer)))
        return NULL;
    if (!(dom = cvg_driver_lookup_name(drv, name)))
        return NULL;

    cvg_driver_lock(drv);
    if (!cvg_mig_find_job_domain(drv, dom, CVG_ASYNC_MIGRATION_IN))
        goto error;
    job = dom->migration;
    if (!peer || cancelled) {
        finish_discard(drv, dom, name, !peer);
        goto error;
    }
    job->phase = CVG_MIG_PHASE_FINISH;
    if (finish_wait(drv, dom, job, name) < 0) {
        finish_discard(drv, dom, name, true);
        goto error;
    }
    cvg_mig_tls_cleanup(drv, dom, job);
    if (cvg_mig_postcopy_status(job->status)) {
        if (finish_postcopy(drv, dom, job, name) < 0)
            goto error;
    } else if (finish_resume(drv, dom, flags) < 0) {
        finish_discard(drv, dom, name, true);
        goto error;
    }
    if (flags & CVG_MIGRATE_PERSIST_DEST)
        finish_persist(drv, dom, job, name);
    finish_record_stats(drv, dom, job, peer);
    cvg_mig_job_stop(dom);
    cvg_driver_save_status(drv, dom);
    *ret_cookie = cvg_mig_make_cookie(drv, dom, ret_cookie_len);
    cvg_driver_unlock(drv);
    return g_steal_pointer(&dom);

error:
    cvg_driver_unlock(drv);
    return NULL;
}
