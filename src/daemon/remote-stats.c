/*
 * remote-stats.c: bulk domain statistics (virConnectGetAllDomainStats and
 * virDomainListGetStats, which share one procedure)
 */
#include "daemon.h"
#include "qemu-domain-stats.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

/* The domains a client names; those that are gone are skipped, as libvirt
 * skips them. */
static GPtrArray *
named_domains(CvgDaemon *d, const CvgRemoteConnectGetAllDomainStatsArgs *args)
{
    GPtrArray *doms =
        g_ptr_array_new_with_free_func((GDestroyNotify)cvg_domain_obj_unref);

    for (u_int i = 0; i < args->doms.doms_len; i++) {
        CvgDomainObj *dom = cvg_daemon_get_domain(d, &args->doms.doms_val[i]);

        if (dom)
            g_ptr_array_add(doms, dom);
        else
            cvg_error_reset();
    }
    return doms;
}

static int
record_to_wire(CvgDaemon *d, const CvgDomainStatsRecord *rec,
               CvgWireDomainStatsRecord *ret_w)
{
    CvgWireTypedParams params;

    if (rec->params->n > CVG_RPC_DOMAIN_STATS_PARAMS_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("too many domain statistics: %zu"),
                              rec->params->n);
        return -1;
    }
    cvg_daemon_make_wire_domain(d, rec->dom, &ret_w->dom);
    /* Same element type, a larger bound: move the array across. */
    cvg_wire_params_from_list(rec->params, &params);
    ret_w->params.CvgWireStatsParams_len = params.CvgWireTypedParams_len;
    ret_w->params.CvgWireStatsParams_val = params.CvgWireTypedParams_val;
    return 0;
}

int
cvg_dispatch_connect_get_all_domain_stats(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectGetAllDomainStatsArgs *args,
    CvgRemoteConnectGetAllDomainStatsRet *ret)
{
    g_autoptr(GPtrArray) doms = NULL;
    g_autoptr(GPtrArray) records = NULL;

    if (args->doms.doms_len > 0)
        doms = named_domains(d, args);
    if (cvg_driver_get_domain_stats(
            d->drv, doms ? (CvgDomainObj *const *)doms->pdata : NULL,
            doms ? doms->len : 0, args->stats, args->flags, &records) < 0)
        return -1;
    if (records->len > CVG_RPC_DOMAIN_STATS_RECORDS_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("too many domains: %u for a limit of %d"),
                              records->len, CVG_RPC_DOMAIN_STATS_RECORDS_MAX);
        return -1;
    }
    ret->records.records_len = records->len;
    ret->records.records_val =
        g_new0(CvgWireDomainStatsRecord, records->len + 1);
    for (guint i = 0; i < records->len; i++) {
        if (record_to_wire(d, g_ptr_array_index(records, i),
                           &ret->records.records_val[i]) < 0)
            return -1;
    }
    return 0;
}
