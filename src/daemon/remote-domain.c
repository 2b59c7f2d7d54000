/*
 * remote-domain.c: domain lifecycle and query procedures
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <string.h>

CvgDomainObj *
cvg_daemon_get_domain(const CvgWireDomain *wdom)
{
    /* The client's cached id and name may be stale; the uuid is not. */
    return cvg_driver_lookup_uuid(cvg_daemon->drv, wdom->uuid);
}

void
cvg_daemon_make_wire_domain(CvgDomainObj *dom, CvgWireDomain *ret_w)
{
    cvg_driver_identity(cvg_daemon->drv, dom, &ret_w->name, ret_w->uuid,
                        &ret_w->id);
}

/* A handler whose args are { dom, flags } and whose driver function takes
 * exactly those. */
#define DOM_FLAGS_HANDLER(fn, driver_fn)                                     \
    static int                                                               \
    fn(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)      \
    {                                                                        \
        CvgRemoteDomainFlagsArgs *args = a;                                  \
        GET_DOM(args);                                                       \
                                                                             \
        return driver_fn(DRV, dom, args->flags);                             \
    }

static int
list_all(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectListAllDomainsArgs *args = a;
    CvgRemoteConnectListAllDomainsRet *ret = r;
    g_autoptr(GPtrArray) list = cvg_driver_list(DRV, args->flags);

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
    ret->domains.len = list->len;
    ret->domains.val = g_new0(CvgWireDomain, list->len + 1);
    for (guint i = 0; i < list->len; i++)
        cvg_daemon_make_wire_domain(g_ptr_array_index(list, i),
                                    &ret->domains.val[i]);
    return 0;
}

static int
lookup_by_name(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
               void *r)
{
    CvgRemoteDomainLookupByNameArgs *args = a;
    CvgRemoteDomainLookupByNameRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_lookup_name(DRV, args->name);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
lookup_by_uuid(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
               void *r)
{
    CvgRemoteDomainLookupByUuidArgs *args = a;
    CvgRemoteDomainLookupByUuidRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_lookup_uuid(DRV, args->uuid);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
lookup_by_id(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainLookupByIdArgs *args = a;
    CvgRemoteDomainLookupByIdRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_lookup_id(DRV, args->id);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
define_xml(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainDefineXmlArgs *args = a;
    CvgRemoteDomainDefineXmlRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_define(DRV, args->xml, 0);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
define_xml_flags(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteDomainDefineXmlFlagsArgs *args = a;
    CvgRemoteDomainDefineXmlFlagsRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_define(DRV, args->xml,
                                                    args->flags);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
create_xml(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainCreateXmlArgs *args = a;
    CvgRemoteDomainCreateXmlRet *ret = r;
    g_autoptr(CvgDomainObj) dom = cvg_driver_create_xml(DRV, args->xml_desc,
                                                        args->flags);

    if (!dom)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
undefine(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainUndefineArgs *args = a;
    GET_DOM(args);

    return cvg_driver_undefine(DRV, dom, 0);
}

DOM_FLAGS_HANDLER(undefine_flags, cvg_driver_undefine)

static int
create(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainCreateArgs *args = a;
    GET_DOM(args);

    return cvg_driver_start(DRV, dom, 0);
}

static int
create_with_flags(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                  void *r)
{
    CvgRemoteDomainCreateWithFlagsArgs *args = a;
    CvgRemoteDomainCreateWithFlagsRet *ret = r;
    GET_DOM(args);

    if (cvg_driver_start(DRV, dom, args->flags) < 0)
        return -1;
    cvg_daemon_make_wire_domain(dom, &ret->dom);
    return 0;
}

static int
destroy(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainDestroyArgs *args = a;
    GET_DOM(args);

    return cvg_driver_destroy(DRV, dom, 0);
}

DOM_FLAGS_HANDLER(destroy_flags, cvg_driver_destroy)

static int
shutdown_dom(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainShutdownArgs *args = a;
    GET_DOM(args);

    return cvg_driver_shutdown(DRV, dom, 0);
}

DOM_FLAGS_HANDLER(shutdown_flags, cvg_driver_shutdown)

DOM_FLAGS_HANDLER(reboot_dom, cvg_driver_reboot)

DOM_FLAGS_HANDLER(reset_dom, cvg_driver_reset)

static int
suspend(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainSuspendArgs *args = a;
    GET_DOM(args);

    return cvg_driver_suspend(DRV, dom);
}

static int
resume(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainResumeArgs *args = a;
    GET_DOM(args);

    return cvg_driver_resume(DRV, dom);
}

static int
get_xml_desc(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetXmlDescArgs *args = a;
    CvgRemoteDomainGetXmlDescRet *ret = r;
    GET_DOM(args);

    return (ret->xml = cvg_driver_get_xml(DRV, dom, args->flags)) ? 0 : -1;
}

static int
get_info(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetInfoArgs *args = a;
    CvgRemoteDomainGetInfoRet *ret = r;
    CvgDomainInfo info;
    GET_DOM(args);

    if (cvg_driver_get_info(DRV, dom, &info) < 0)
        return -1;
    ret->state = info.state;
    ret->maxMem = info.max_mem_kib;
    ret->memory = info.memory_kib;
    ret->nrVirtCpu = info.nr_vcpus;
    ret->cpuTime = info.cpu_time_ns;
    return 0;
}

static int
get_state(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetStateArgs *args = a;
    CvgRemoteDomainGetStateRet *ret = r;
    GET_DOM(args);

    cvg_check_flags(args->flags, 0, -1);
    return cvg_driver_get_state(DRV, dom, &ret->state, &ret->reason);
}

static int
is_active(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainIsActiveArgs *args = a;
    CvgRemoteDomainIsActiveRet *ret = r;
    GET_DOM(args);

    ret->active = cvg_driver_is_active(DRV, dom);
    return 0;
}

static int
is_persistent(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainIsPersistentArgs *args = a;
    CvgRemoteDomainIsPersistentRet *ret = r;
    GET_DOM(args);

    ret->persistent = cvg_driver_is_persistent(DRV, dom);
    return 0;
}

static int
is_updated(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainIsUpdatedArgs *args = a;
    CvgRemoteDomainIsUpdatedRet *ret = r;
    GET_DOM(args);

    /* No live device changes exist, so the live config never diverges. */
    ret->updated = 0;
    return 0;
}

static int
get_autostart(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainGetAutostartArgs *args = a;
    CvgRemoteDomainGetAutostartRet *ret = r;
    GET_DOM(args);

    ret->autostart = cvg_driver_get_autostart(DRV, dom);
    return 0;
}

static int
set_autostart(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
              void *r)
{
    CvgRemoteDomainSetAutostartArgs *args = a;
    GET_DOM(args);

    return cvg_driver_set_autostart(DRV, dom, args->autostart != 0);
}

static int
get_os_type(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetOsTypeArgs *args = a;
    CvgRemoteDomainGetOsTypeRet *ret = r;
    GET_DOM(args);

    cvg_driver_lock(DRV);
    ret->type = g_strdup(dom->def->os_type);
    cvg_driver_unlock(DRV);
    return 0;
}

static int
has_managed_save(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteDomainHasManagedSaveImageArgs *args = a;
    CvgRemoteDomainHasManagedSaveImageRet *ret = r;
    GET_DOM(args);

    cvg_check_flags(args->flags, 0, -1);
    ret->result = 0;   /* convergd has no managed save */
    return 0;
}

static int
snapshot_num(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainSnapshotNumArgs *args = a;
    CvgRemoteDomainSnapshotNumRet *ret = r;
    GET_DOM(args);

    ret->num = 0;      /* convergd keeps no snapshots */
    return 0;
}

static int
get_security_label(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                   void *r)
{
    CvgRemoteDomainGetSecurityLabelArgs *args = a;
    CvgRemoteDomainGetSecurityLabelRet *ret = r;
    GET_DOM(args);

    cvg_wire_chars_set(&ret->label, NULL);
    ret->enforcing = 0;
    return 0;
}

static int
get_messages(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteDomainGetMessagesArgs *args = a;
    CvgRemoteDomainGetMessagesRet *ret = r;
    GET_DOM(args);

    /* VIR_DOMAIN_MESSAGE_DEPRECATION 1, TAINTING 2: there are neither. */
    cvg_check_flags(args->flags, 1 | 2, -1);
    ret->msgs.len = 0;
    ret->msgs.val = NULL;
    return 0;
}

const CvgRpcProcedure cvg_domain_procs[] = {
    CVG_PROC_AR(CVG_PROC_CONNECT_LIST_ALL_DOMAINS, list_all,
                ConnectListAllDomains, connect_list_all_domains, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_LOOKUP_BY_NAME, lookup_by_name,
                DomainLookupByName, domain_lookup_by_name, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_LOOKUP_BY_UUID, lookup_by_uuid,
                DomainLookupByUuid, domain_lookup_by_uuid, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_LOOKUP_BY_ID, lookup_by_id,
                DomainLookupById, domain_lookup_by_id, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_DEFINE_XML, define_xml, DomainDefineXml,
                domain_define_xml, RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_DEFINE_XML_FLAGS, define_xml_flags,
                DomainDefineXmlFlags, domain_define_xml_flags, RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_CREATE_XML, create_xml, DomainCreateXml,
                domain_create_xml, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_UNDEFINE, undefine, DomainUndefine,
               domain_undefine, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_UNDEFINE_FLAGS, undefine_flags,
               DomainUndefineFlags, domain_undefine_flags, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_CREATE, create, DomainCreate, domain_create,
               RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_CREATE_WITH_FLAGS, create_with_flags,
                DomainCreateWithFlags, domain_create_with_flags, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_DESTROY, destroy, DomainDestroy,
               domain_destroy, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_DESTROY_FLAGS, destroy_flags,
               DomainDestroyFlags, domain_destroy_flags, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_SHUTDOWN, shutdown_dom, DomainShutdown,
               domain_shutdown, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_SHUTDOWN_FLAGS, shutdown_flags,
               DomainShutdownFlags, domain_shutdown_flags, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_RESET, reset_dom, DomainReset, domain_reset,
               RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_REBOOT, reboot_dom, DomainReboot,
               domain_reboot, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_SUSPEND, suspend, DomainSuspend,
               domain_suspend, RW),
    CVG_PROC_A(CVG_PROC_DOMAIN_RESUME, resume, DomainResume, domain_resume,
               RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_XML_DESC, get_xml_desc, DomainGetXmlDesc,
                domain_get_xml_desc, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_INFO, get_info, DomainGetInfo,
                domain_get_info, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_STATE, get_state, DomainGetState,
                domain_get_state, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_IS_ACTIVE, is_active, DomainIsActive,
                domain_is_active, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_IS_PERSISTENT, is_persistent,
                DomainIsPersistent, domain_is_persistent, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_IS_UPDATED, is_updated, DomainIsUpdated,
                domain_is_updated, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_AUTOSTART, get_autostart,
                DomainGetAutostart, domain_get_autostart, RO_OK),
    CVG_PROC_A(CVG_PROC_DOMAIN_SET_AUTOSTART, set_autostart,
               DomainSetAutostart, domain_set_autostart, RW),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_OS_TYPE, get_os_type, DomainGetOsType,
                domain_get_os_type, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, has_managed_save,
                DomainHasManagedSaveImage, domain_has_managed_save_image,
                RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_SNAPSHOT_NUM, snapshot_num, DomainSnapshotNum,
                domain_snapshot_num, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_SECURITY_LABEL, get_security_label,
                DomainGetSecurityLabel, domain_get_security_label, RO_OK),
    CVG_PROC_AR(CVG_PROC_DOMAIN_GET_MESSAGES, get_messages, DomainGetMessages,
                domain_get_messages, RO_OK),
};
const size_t cvg_domain_nprocs = G_N_ELEMENTS(cvg_domain_procs);
