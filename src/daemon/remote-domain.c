/*
 * remote-domain.c: domain lifecycle and query procedures
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <string.h>

CvgDomainObj *
cvg_daemon_get_domain(CvgDaemon *d, const CvgWireDomain *wdom)
{
    /* The client's cached id and name may be stale; the uuid is not. */
    return cvg_driver_lookup_uuid(d->drv, (const unsigned char *)wdom->uuid);
}

void
cvg_daemon_make_wire_domain(CvgDaemon *d, CvgDomainObj *dom,
                            CvgWireDomain *ret_w)
{
    cvg_driver_identity(d->drv, dom, &ret_w->name, (unsigned char *)ret_w->uuid,
                        &ret_w->id);
}

/* A handler whose args are { dom, flags } and whose driver function takes
 * exactly those. */
#define DOM_FLAGS_HANDLER(name, ArgsType, driver_fn)                           \
    int cvg_dispatch_##name(CvgDaemon *d, CvgRpcClient *client,                \
                            const ArgsType *args)                              \
    {                                                                          \
        GET_DOM(args);                                                         \
                                                                               \
        return driver_fn(d->drv, dom, args->flags);                            \
    }

/* A handler whose args are { dom } and whose driver function takes the
 * domain only, or the domain and flags 0. */
#define DOM_HANDLER(name, ArgsType, call)                                      \
    int cvg_dispatch_##name(CvgDaemon *d, CvgRpcClient *client,                \
                            const ArgsType *args)                              \
    {                                                                          \
        GET_DOM(args);                                                         \
                                                                               \
        return call;                                                           \
    }

/* A handler that finds or makes a domain and returns its identity. */
#define DOM_RET_HANDLER(name, Name, find)                                      \
    int cvg_dispatch_##name(CvgDaemon *d, CvgRpcClient *client,                \
                            const CvgRemote##Name##Args *args,                 \
                            CvgRemote##Name##Ret *ret)                         \
    {                                                                          \
        g_autoptr(CvgDomainObj) dom = find;                                    \
                                                                               \
        if (!dom)                                                              \
            return -1;                                                         \
        cvg_daemon_make_wire_domain(d, dom, &ret->dom);                        \
        return 0;                                                              \
    }

int
cvg_dispatch_connect_list_all_domains(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectListAllDomainsArgs *args,
    CvgRemoteConnectListAllDomainsRet *ret)
{
    g_autoptr(GPtrArray) list = cvg_driver_list(d->drv, args->flags);

    if (!list)
        return -1;
    if (list->len > CVG_RPC_DOMAIN_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("too many domains: %u for a limit of %d"),
                              list->len, CVG_RPC_DOMAIN_LIST_MAX);
        return -1;
    }
    ret->ret = list->len;
    if (!args->need_results)
        return 0;
    ret->domains.domains_len = list->len;
    ret->domains.domains_val = g_new0(CvgWireDomain, list->len + 1);
    for (guint i = 0; i < list->len; i++)
        cvg_daemon_make_wire_domain(d, g_ptr_array_index(list, i),
                                    &ret->domains.domains_val[i]);
    return 0;
}

DOM_RET_HANDLER(domain_lookup_by_name, DomainLookupByName,
                cvg_driver_lookup_name(d->drv, args->name))
DOM_RET_HANDLER(domain_lookup_by_uuid, DomainLookupByUuid,
                cvg_driver_lookup_uuid(d->drv,
                                       (const unsigned char *)args->uuid))
DOM_RET_HANDLER(domain_lookup_by_id, DomainLookupById,
                cvg_driver_lookup_id(d->drv, args->id))
DOM_RET_HANDLER(domain_define_xml, DomainDefineXml,
                cvg_driver_define(d->drv, args->xml, 0))
DOM_RET_HANDLER(domain_define_xml_flags, DomainDefineXmlFlags,
                cvg_driver_define(d->drv, args->xml, args->flags))
DOM_RET_HANDLER(domain_create_xml, DomainCreateXml,
                cvg_driver_create_xml(d->drv, args->xml_desc, args->flags))

DOM_HANDLER(domain_undefine, CvgRemoteDomainUndefineArgs,
            cvg_driver_undefine(d->drv, dom, 0))
DOM_FLAGS_HANDLER(domain_undefine_flags, CvgRemoteDomainUndefineFlagsArgs,
                  cvg_driver_undefine)
DOM_HANDLER(domain_create, CvgRemoteDomainCreateArgs,
            cvg_driver_start(d->drv, dom, 0))

int
cvg_dispatch_domain_create_with_flags(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainCreateWithFlagsArgs *args,
    CvgRemoteDomainCreateWithFlagsRet *ret)
{
    GET_DOM(args);

    if (cvg_driver_start(d->drv, dom, args->flags) < 0)
        return -1;
    cvg_daemon_make_wire_domain(d, dom, &ret->dom);
    return 0;
}

DOM_HANDLER(domain_destroy, CvgRemoteDomainDestroyArgs,
            cvg_driver_destroy(d->drv, dom, 0))
DOM_FLAGS_HANDLER(domain_destroy_flags, CvgRemoteDomainDestroyFlagsArgs,
                  cvg_driver_destroy)
DOM_HANDLER(domain_shutdown, CvgRemoteDomainShutdownArgs,
            cvg_driver_shutdown(d->drv, dom, 0))
DOM_FLAGS_HANDLER(domain_shutdown_flags, CvgRemoteDomainShutdownFlagsArgs,
                  cvg_driver_shutdown)
DOM_FLAGS_HANDLER(domain_reboot, CvgRemoteDomainRebootArgs, cvg_driver_reboot)
DOM_FLAGS_HANDLER(domain_reset, CvgRemoteDomainResetArgs, cvg_driver_reset)
DOM_HANDLER(domain_suspend, CvgRemoteDomainSuspendArgs,
            cvg_driver_suspend(d->drv, dom))
DOM_HANDLER(domain_resume, CvgRemoteDomainResumeArgs,
            cvg_driver_resume(d->drv, dom))
DOM_HANDLER(domain_set_autostart, CvgRemoteDomainSetAutostartArgs,
            cvg_driver_set_autostart(d->drv, dom, args->autostart != 0))

int
cvg_dispatch_domain_get_xml_desc(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteDomainGetXmlDescArgs *args,
                                 CvgRemoteDomainGetXmlDescRet *ret)
{
    GET_DOM(args);

    return (ret->xml = cvg_driver_get_xml(d->drv, dom, args->flags)) ? 0 : -1;
}

int
cvg_dispatch_domain_get_info(CvgDaemon *d, CvgRpcClient *client,
                             const CvgRemoteDomainGetInfoArgs *args,
                             CvgRemoteDomainGetInfoRet *ret)
{
    CvgDomainInfo info;
    GET_DOM(args);

    if (cvg_driver_get_info(d->drv, dom, &info) < 0)
        return -1;
    ret->state = info.state;
    ret->maxMem = info.max_mem_kib;
    ret->memory = info.memory_kib;
    ret->nrVirtCpu = info.nr_vcpus;
    ret->cpuTime = info.cpu_time_ns;
    return 0;
}

int
cvg_dispatch_domain_get_state(CvgDaemon *d, CvgRpcClient *client,
                              const CvgRemoteDomainGetStateArgs *args,
                              CvgRemoteDomainGetStateRet *ret)
{
    GET_DOM(args);

    cvg_check_flags(args->flags, 0, -1);
    return cvg_driver_get_state(d->drv, dom, &ret->state, &ret->reason);
}

int
cvg_dispatch_domain_is_active(CvgDaemon *d, CvgRpcClient *client,
                              const CvgRemoteDomainIsActiveArgs *args,
                              CvgRemoteDomainIsActiveRet *ret)
{
    GET_DOM(args);

    ret->active = cvg_driver_is_active(d->drv, dom);
    return 0;
}

int
cvg_dispatch_domain_is_persistent(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteDomainIsPersistentArgs *args,
                                  CvgRemoteDomainIsPersistentRet *ret)
{
    GET_DOM(args);

    ret->persistent = cvg_driver_is_persistent(d->drv, dom);
    return 0;
}

int
cvg_dispatch_domain_is_updated(CvgDaemon *d, CvgRpcClient *client,
                               const CvgRemoteDomainIsUpdatedArgs *args,
                               CvgRemoteDomainIsUpdatedRet *ret)
{
    GET_DOM(args);

    /* No live device changes exist, so the live config never diverges. */
    ret->updated = 0;
    return 0;
}

int
cvg_dispatch_domain_get_autostart(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteDomainGetAutostartArgs *args,
                                  CvgRemoteDomainGetAutostartRet *ret)
{
    GET_DOM(args);

    ret->autostart = cvg_driver_get_autostart(d->drv, dom);
    return 0;
}

int
cvg_dispatch_domain_get_os_type(CvgDaemon *d, CvgRpcClient *client,
                                const CvgRemoteDomainGetOsTypeArgs *args,
                                CvgRemoteDomainGetOsTypeRet *ret)
{
    GET_DOM(args);

    cvg_driver_lock(d->drv);
    ret->type = g_strdup(dom->def->os_type);
    cvg_driver_unlock(d->drv);
    return 0;
}

int
cvg_dispatch_domain_has_managed_save_image(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainHasManagedSaveImageArgs *args,
    CvgRemoteDomainHasManagedSaveImageRet *ret)
{
    GET_DOM(args);

    cvg_check_flags(args->flags, 0, -1);
    ret->result = 0; /* convergd has no managed save */
    return 0;
}

int
cvg_dispatch_domain_snapshot_num(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteDomainSnapshotNumArgs *args,
                                 CvgRemoteDomainSnapshotNumRet *ret)
{
    GET_DOM(args);

    ret->num = 0; /* convergd keeps no snapshots */
    return 0;
}

int
cvg_dispatch_domain_get_security_label(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteDomainGetSecurityLabelArgs *args,
    CvgRemoteDomainGetSecurityLabelRet *ret)
{
    GET_DOM(args);

    cvg_wire_chars_set(NULL, &ret->label.label_len, &ret->label.label_val);
    ret->enforcing = 0;
    return 0;
}

int
cvg_dispatch_domain_get_messages(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteDomainGetMessagesArgs *args,
                                 CvgRemoteDomainGetMessagesRet *ret)
{
    GET_DOM(args);

    /* VIR_DOMAIN_MESSAGE_DEPRECATION 1, TAINTING 2: there are neither. */
    cvg_check_flags(args->flags, 1 | 2, -1);
    ret->msgs.msgs_len = 0;
    ret->msgs.msgs_val = NULL;
    return 0;
}
