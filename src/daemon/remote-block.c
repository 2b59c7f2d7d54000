/*
 * remote-block.c: per-device statistics: disks (virDomainBlockStats,
 * virDomainBlockStatsFlags, virDomainGetBlockInfo) and interfaces
 * (virDomainInterfaceStats)
 */
#include "daemon.h"
#include "qemu-block.h"
#include "qemu-net.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

/* virTypedParameterFlags: the client may take string parameters. */
#define TYPED_PARAM_STRING_OKAY (1 << 2)

int
cvg_dispatch_domain_block_stats(CvgDaemon *d, CvgRpcClient *client,
                                const CvgRemoteDomainBlockStatsArgs *args,
                                CvgRemoteDomainBlockStatsRet *ret)
{
    CvgBlockStats stats;
    GET_DOM(args);

    if (cvg_driver_block_stats(d->drv, dom, args->path, &stats) < 0)
        return -1;
    ret->rd_req = stats.rd_req;
    ret->rd_bytes = stats.rd_bytes;
    ret->wr_req = stats.wr_req;
    ret->wr_bytes = stats.wr_bytes;
    /* QEMU counts no errors: -1 is libvirt's "not available". */
    ret->errs = -1;
    return 0;
}

int
cvg_dispatch_domain_block_stats_flags(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainBlockStatsFlagsArgs *args,
    CvgRemoteDomainBlockStatsFlagsRet *ret)
{
    g_autoptr(CvgTypedParamList) params = NULL;
    CvgWireTypedParams wire;
    CvgBlockStats stats;
    GET_DOM(args);

    cvg_check_flags(args->flags, TYPED_PARAM_STRING_OKAY, -1);
    if (args->nparams < 0 || args->nparams > CVG_RPC_BLOCK_STATS_PARAMS_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("nparams too large"));
        return -1;
    }
    if (cvg_driver_block_stats(d->drv, dom, args->path, &stats) < 0)
        return -1;
    /* The first call asks how many there are. */
    if (args->nparams == 0) {
        ret->nparams = cvg_block_stats_nparams();
        return 0;
    }
    params = cvg_block_stats_to_params(&stats, args->nparams);
    /* Same element type, another bound: move the array across. */
    cvg_wire_params_from_list(params, &wire);
    ret->params.CvgWireBlockStatsParams_len = wire.CvgWireTypedParams_len;
    ret->params.CvgWireBlockStatsParams_val = wire.CvgWireTypedParams_val;
    ret->nparams = params->n;
    return 0;
}

int
cvg_dispatch_domain_get_block_info(CvgDaemon *d, CvgRpcClient *client,
                                   const CvgRemoteDomainGetBlockInfoArgs *args,
                                   CvgRemoteDomainGetBlockInfoRet *ret)
{
    unsigned long long allocation;
    unsigned long long capacity;
    unsigned long long physical;
    GET_DOM(args);

    cvg_check_flags(args->flags, 0, -1);
    if (cvg_driver_block_info(d->drv, dom, args->path, &allocation, &capacity,
                              &physical) < 0)
        return -1;
    ret->allocation = allocation;
    ret->capacity = capacity;
    ret->physical = physical;
    return 0;
}

int
cvg_dispatch_domain_interface_stats(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainInterfaceStatsArgs *args,
    CvgRemoteDomainInterfaceStatsRet *ret)
{
    CvgNetStats st;
    GET_DOM(args);

    if (cvg_driver_net_stats(d->drv, dom, args->path, &st) < 0)
        return -1;
    ret->rx_bytes = st.rx_bytes;
    ret->rx_packets = st.rx_packets;
    ret->rx_errs = st.rx_errs;
    ret->rx_drop = st.rx_drop;
    ret->tx_bytes = st.tx_bytes;
    ret->tx_packets = st.tx_packets;
    ret->tx_errs = st.tx_errs;
    ret->tx_drop = st.tx_drop;
    return 0;
}
