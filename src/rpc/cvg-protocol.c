/*
 * cvg-protocol.c: libvirt remote program procedures and their XDR bodies
 */
#include "cvg-protocol.h"

bool_t
xdr_cvg_remote_connect_open_args(XDR *xdrs, CvgRemoteConnectOpenArgs *a)
{
    return xdr_cvg_string(xdrs, &a->name) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_connect_get_type_ret(XDR *xdrs, CvgRemoteConnectGetTypeRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->type);
}

bool_t
xdr_cvg_remote_connect_get_version_ret(XDR *xdrs,
                                       CvgRemoteConnectGetVersionRet *a)
{
    return xdr_u_hyper(xdrs, &a->hv_ver);
}

bool_t
xdr_cvg_remote_connect_get_capabilities_ret(
    XDR *xdrs, CvgRemoteConnectGetCapabilitiesRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->capabilities);
}

bool_t
xdr_cvg_remote_domain_create_args(XDR *xdrs, CvgRemoteDomainCreateArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_create_xml_args(XDR *xdrs,
                                      CvgRemoteDomainCreateXmlArgs *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->xml_desc) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_create_xml_ret(XDR *xdrs, CvgRemoteDomainCreateXmlRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_define_xml_args(XDR *xdrs,
                                      CvgRemoteDomainDefineXmlArgs *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->xml);
}

bool_t
xdr_cvg_remote_domain_define_xml_ret(XDR *xdrs, CvgRemoteDomainDefineXmlRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_destroy_args(XDR *xdrs, CvgRemoteDomainDestroyArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_flags_args(XDR *xdrs, CvgRemoteDomainFlagsArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_get_xml_desc_ret(XDR *xdrs,
                                       CvgRemoteDomainGetXmlDescRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->xml);
}

bool_t
xdr_cvg_remote_domain_get_autostart_args(XDR *xdrs,
                                         CvgRemoteDomainGetAutostartArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_get_autostart_ret(XDR *xdrs,
                                        CvgRemoteDomainGetAutostartRet *a)
{
    return xdr_int(xdrs, &a->autostart);
}

bool_t
xdr_cvg_remote_domain_get_info_args(XDR *xdrs, CvgRemoteDomainGetInfoArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_get_info_ret(XDR *xdrs, CvgRemoteDomainGetInfoRet *a)
{
    return xdr_u_char(xdrs, &a->state) &&
           xdr_u_hyper(xdrs, &a->maxMem) &&
           xdr_u_hyper(xdrs, &a->memory) &&
           xdr_u_short(xdrs, &a->nrVirtCpu) &&
           xdr_u_hyper(xdrs, &a->cpuTime);
}

bool_t
xdr_cvg_remote_domain_get_os_type_args(XDR *xdrs,
                                       CvgRemoteDomainGetOsTypeArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_get_os_type_ret(XDR *xdrs, CvgRemoteDomainGetOsTypeRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->type);
}

bool_t
xdr_cvg_remote_connect_list_defined_domains_args(
    XDR *xdrs, CvgRemoteConnectListDefinedDomainsArgs *a)
{
    return xdr_int(xdrs, &a->maxnames);
}

bool_t
xdr_cvg_remote_connect_list_defined_domains_ret(
    XDR *xdrs, CvgRemoteConnectListDefinedDomainsRet *a)
{
    return xdr_cvg_wire_strings(xdrs, &a->names, CVG_RPC_DOMAIN_LIST_MAX);
}

bool_t
xdr_cvg_remote_domain_lookup_by_id_args(XDR *xdrs,
                                        CvgRemoteDomainLookupByIdArgs *a)
{
    return xdr_int(xdrs, &a->id);
}

bool_t
xdr_cvg_remote_domain_lookup_by_id_ret(XDR *xdrs,
                                       CvgRemoteDomainLookupByIdRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_lookup_by_name_args(XDR *xdrs,
                                          CvgRemoteDomainLookupByNameArgs *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->name);
}

bool_t
xdr_cvg_remote_domain_lookup_by_name_ret(XDR *xdrs,
                                         CvgRemoteDomainLookupByNameRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_lookup_by_uuid_args(XDR *xdrs,
                                          CvgRemoteDomainLookupByUuidArgs *a)
{
    return xdr_opaque(xdrs, (char *)a->uuid, CVG_RPC_UUID_LEN);
}

bool_t
xdr_cvg_remote_domain_lookup_by_uuid_ret(XDR *xdrs,
                                         CvgRemoteDomainLookupByUuidRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_connect_num_of_defined_domains_ret(
    XDR *xdrs, CvgRemoteConnectNumOfDefinedDomainsRet *a)
{
    return xdr_int(xdrs, &a->num);
}

bool_t
xdr_cvg_remote_domain_resume_args(XDR *xdrs, CvgRemoteDomainResumeArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_set_autostart_args(XDR *xdrs,
                                         CvgRemoteDomainSetAutostartArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_int(xdrs, &a->autostart);
}

bool_t
xdr_cvg_remote_domain_shutdown_args(XDR *xdrs, CvgRemoteDomainShutdownArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_suspend_args(XDR *xdrs, CvgRemoteDomainSuspendArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_undefine_args(XDR *xdrs, CvgRemoteDomainUndefineArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_connect_list_domains_args(XDR *xdrs,
                                         CvgRemoteConnectListDomainsArgs *a)
{
    return xdr_int(xdrs, &a->maxids);
}

bool_t
xdr_cvg_remote_connect_list_domains_ret(XDR *xdrs,
                                        CvgRemoteConnectListDomainsRet *a)
{
    return xdr_cvg_wire_ints(xdrs, &a->ids, CVG_RPC_DOMAIN_LIST_MAX);
}

bool_t
xdr_cvg_remote_connect_num_of_domains_ret(XDR *xdrs,
                                          CvgRemoteConnectNumOfDomainsRet *a)
{
    return xdr_int(xdrs, &a->num);
}

bool_t
xdr_cvg_remote_connect_get_hostname_ret(XDR *xdrs,
                                        CvgRemoteConnectGetHostnameRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->hostname);
}

bool_t
xdr_cvg_remote_connect_supports_feature_args(
    XDR *xdrs, CvgRemoteConnectSupportsFeatureArgs *a)
{
    return xdr_int(xdrs, &a->feature);
}

bool_t
xdr_cvg_remote_connect_supports_feature_ret(
    XDR *xdrs, CvgRemoteConnectSupportsFeatureRet *a)
{
    return xdr_int(xdrs, &a->supported);
}

bool_t
xdr_cvg_remote_auth_list_ret(XDR *xdrs, CvgRemoteAuthListRet *a)
{
    return xdr_cvg_wire_ints(xdrs, &a->types, CVG_RPC_AUTH_TYPE_LIST_MAX);
}

bool_t
xdr_cvg_remote_connect_get_uri_ret(XDR *xdrs, CvgRemoteConnectGetUriRet *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->uri);
}

bool_t
xdr_cvg_remote_domain_get_security_label_args(
    XDR *xdrs, CvgRemoteDomainGetSecurityLabelArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_get_security_label_ret(
    XDR *xdrs, CvgRemoteDomainGetSecurityLabelRet *a)
{
    return xdr_cvg_wire_chars(xdrs, &a->label, CVG_RPC_SECURITY_LABEL_MAX) &&
           xdr_int(xdrs, &a->enforcing);
}

bool_t
xdr_cvg_remote_node_get_security_model_ret(XDR *xdrs,
                                           CvgRemoteNodeGetSecurityModelRet *a)
{
    return xdr_cvg_wire_chars(xdrs, &a->model, CVG_RPC_SECURITY_MODEL_MAX) &&
           xdr_cvg_wire_chars(xdrs, &a->doi, CVG_RPC_SECURITY_DOI_MAX);
}

bool_t
xdr_cvg_remote_connect_is_secure_ret(XDR *xdrs, CvgRemoteConnectIsSecureRet *a)
{
    return xdr_int(xdrs, &a->secure);
}

bool_t
xdr_cvg_remote_domain_is_active_args(XDR *xdrs, CvgRemoteDomainIsActiveArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_is_active_ret(XDR *xdrs, CvgRemoteDomainIsActiveRet *a)
{
    return xdr_int(xdrs, &a->active);
}

bool_t
xdr_cvg_remote_domain_is_persistent_args(XDR *xdrs,
                                         CvgRemoteDomainIsPersistentArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_is_persistent_ret(XDR *xdrs,
                                        CvgRemoteDomainIsPersistentRet *a)
{
    return xdr_int(xdrs, &a->persistent);
}

bool_t
xdr_cvg_remote_connect_get_lib_version_ret(XDR *xdrs,
                                           CvgRemoteConnectGetLibVersionRet *a)
{
    return xdr_u_hyper(xdrs, &a->lib_ver);
}

bool_t
xdr_cvg_remote_domain_get_job_info_args(XDR *xdrs,
                                        CvgRemoteDomainGetJobInfoArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_get_job_info_ret(XDR *xdrs,
                                       CvgRemoteDomainGetJobInfoRet *a)
{
    return xdr_int(xdrs, &a->type) &&
           xdr_u_hyper(xdrs, &a->timeElapsed) &&
           xdr_u_hyper(xdrs, &a->timeRemaining) &&
           xdr_u_hyper(xdrs, &a->dataTotal) &&
           xdr_u_hyper(xdrs, &a->dataProcessed) &&
           xdr_u_hyper(xdrs, &a->dataRemaining) &&
           xdr_u_hyper(xdrs, &a->memTotal) &&
           xdr_u_hyper(xdrs, &a->memProcessed) &&
           xdr_u_hyper(xdrs, &a->memRemaining) &&
           xdr_u_hyper(xdrs, &a->fileTotal) &&
           xdr_u_hyper(xdrs, &a->fileProcessed) &&
           xdr_u_hyper(xdrs, &a->fileRemaining);
}

bool_t
xdr_cvg_remote_domain_abort_job_args(XDR *xdrs, CvgRemoteDomainAbortJobArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_migrate_set_max_downtime_args(
    XDR *xdrs, CvgRemoteDomainMigrateSetMaxDowntimeArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_u_hyper(xdrs, &a->downtime) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_connect_domain_event_register_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventRegisterAnyArgs *a)
{
    return xdr_int(xdrs, &a->eventID);
}

bool_t
xdr_cvg_remote_connect_domain_event_deregister_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventDeregisterAnyArgs *a)
{
    return xdr_int(xdrs, &a->eventID);
}

bool_t
xdr_cvg_remote_domain_has_managed_save_image_ret(
    XDR *xdrs, CvgRemoteDomainHasManagedSaveImageRet *a)
{
    return xdr_int(xdrs, &a->result);
}

bool_t
xdr_cvg_remote_domain_snapshot_num_ret(XDR *xdrs,
                                       CvgRemoteDomainSnapshotNumRet *a)
{
    return xdr_int(xdrs, &a->num);
}

bool_t
xdr_cvg_remote_domain_create_with_flags_ret(
    XDR *xdrs, CvgRemoteDomainCreateWithFlagsRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_is_updated_args(XDR *xdrs,
                                      CvgRemoteDomainIsUpdatedArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_is_updated_ret(XDR *xdrs, CvgRemoteDomainIsUpdatedRet *a)
{
    return xdr_int(xdrs, &a->updated);
}

bool_t
xdr_cvg_remote_domain_migrate_set_max_speed_args(
    XDR *xdrs, CvgRemoteDomainMigrateSetMaxSpeedArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_u_hyper(xdrs, &a->bandwidth) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_get_state_ret(XDR *xdrs, CvgRemoteDomainGetStateRet *a)
{
    return xdr_int(xdrs, &a->state) &&
           xdr_int(xdrs, &a->reason);
}

bool_t
xdr_cvg_remote_domain_migrate_get_max_speed_ret(
    XDR *xdrs, CvgRemoteDomainMigrateGetMaxSpeedRet *a)
{
    return xdr_u_hyper(xdrs, &a->bandwidth);
}

bool_t
xdr_cvg_remote_connect_list_all_domains_args(
    XDR *xdrs, CvgRemoteConnectListAllDomainsArgs *a)
{
    return xdr_int(xdrs, &a->need_results) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_connect_list_all_domains_ret(
    XDR *xdrs, CvgRemoteConnectListAllDomainsRet *a)
{
    return xdr_cvg_wire_domains(xdrs, &a->domains, CVG_RPC_DOMAIN_LIST_MAX) &&
           xdr_u_int(xdrs, &a->ret);
}

bool_t
xdr_cvg_remote_domain_get_job_stats_ret(XDR *xdrs,
                                        CvgRemoteDomainGetJobStatsRet *a)
{
    return xdr_int(xdrs, &a->type) &&
           xdr_cvg_wire_typed_params(xdrs, &a->params);
}

bool_t
xdr_cvg_remote_domain_migrate_begin3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateBegin3ParamsArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_cvg_wire_typed_params(xdrs, &a->params) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_migrate_begin3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigrateBegin3ParamsRet *a)
{
    return xdr_cvg_wire_opaque(xdrs, &a->cookie_out) &&
           xdr_cvg_nonnull_string(xdrs, &a->xml);
}

bool_t
xdr_cvg_remote_domain_migrate_prepare3_params_args(
    XDR *xdrs, CvgRemoteDomainMigratePrepare3ParamsArgs *a)
{
    return xdr_cvg_wire_typed_params(xdrs, &a->params) &&
           xdr_cvg_wire_opaque(xdrs, &a->cookie_in) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_migrate_prepare3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigratePrepare3ParamsRet *a)
{
    return xdr_cvg_wire_opaque(xdrs, &a->cookie_out) &&
           xdr_cvg_string(xdrs, &a->uri_out);
}

bool_t
xdr_cvg_remote_domain_migrate_perform3_params_args(
    XDR *xdrs, CvgRemoteDomainMigratePerform3ParamsArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_cvg_string(xdrs, &a->dconnuri) &&
           xdr_cvg_wire_typed_params(xdrs, &a->params) &&
           xdr_cvg_wire_opaque(xdrs, &a->cookie_in) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_migrate_perform3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigratePerform3ParamsRet *a)
{
    return xdr_cvg_wire_opaque(xdrs, &a->cookie_out);
}

bool_t
xdr_cvg_remote_domain_migrate_finish3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateFinish3ParamsArgs *a)
{
    return xdr_cvg_wire_typed_params(xdrs, &a->params) &&
           xdr_cvg_wire_opaque(xdrs, &a->cookie_in) &&
           xdr_u_int(xdrs, &a->flags) &&
           xdr_int(xdrs, &a->cancelled);
}

bool_t
xdr_cvg_remote_domain_migrate_finish3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigrateFinish3ParamsRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_cvg_wire_opaque(xdrs, &a->cookie_out);
}

bool_t
xdr_cvg_remote_domain_migrate_confirm3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateConfirm3ParamsArgs *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_cvg_wire_typed_params(xdrs, &a->params) &&
           xdr_cvg_wire_opaque(xdrs, &a->cookie_in) &&
           xdr_u_int(xdrs, &a->flags) &&
           xdr_int(xdrs, &a->cancelled);
}

bool_t
xdr_cvg_remote_connect_domain_event_callback_register_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackRegisterAnyArgs *a)
{
    return xdr_int(xdrs, &a->eventID) &&
           xdr_cvg_wire_domain_ptr(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_connect_domain_event_callback_register_any_ret(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackRegisterAnyRet *a)
{
    return xdr_int(xdrs, &a->callbackID);
}

bool_t
xdr_cvg_remote_connect_domain_event_callback_deregister_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackDeregisterAnyArgs *a)
{
    return xdr_int(xdrs, &a->callbackID);
}

bool_t
xdr_cvg_remote_domain_event_callback_lifecycle_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackLifecycleMsg *a)
{
    return xdr_int(xdrs, &a->callbackID) &&
           xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_int(xdrs, &a->event) &&
           xdr_int(xdrs, &a->detail);
}

bool_t
xdr_cvg_remote_domain_event_callback_reboot_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackRebootMsg *a)
{
    return xdr_int(xdrs, &a->callbackID) &&
           xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_define_xml_flags_args(
    XDR *xdrs, CvgRemoteDomainDefineXmlFlagsArgs *a)
{
    return xdr_cvg_nonnull_string(xdrs, &a->xml) &&
           xdr_u_int(xdrs, &a->flags);
}

bool_t
xdr_cvg_remote_domain_define_xml_flags_ret(XDR *xdrs,
                                           CvgRemoteDomainDefineXmlFlagsRet *a)
{
    return xdr_cvg_wire_domain(xdrs, &a->dom);
}

bool_t
xdr_cvg_remote_domain_event_callback_migration_iteration_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackMigrationIterationMsg *a)
{
    return xdr_int(xdrs, &a->callbackID) &&
           xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_int(xdrs, &a->iteration);
}

bool_t
xdr_cvg_remote_connect_event_connection_closed_msg(
    XDR *xdrs, CvgRemoteConnectEventConnectionClosedMsg *a)
{
    return xdr_int(xdrs, &a->reason);
}

bool_t
xdr_cvg_remote_domain_event_callback_job_completed_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackJobCompletedMsg *a)
{
    return xdr_int(xdrs, &a->callbackID) &&
           xdr_cvg_wire_domain(xdrs, &a->dom) &&
           xdr_cvg_wire_typed_params(xdrs, &a->params);
}

bool_t
xdr_cvg_remote_domain_migrate_get_max_downtime_ret(
    XDR *xdrs, CvgRemoteDomainMigrateGetMaxDowntimeRet *a)
{
    return xdr_u_hyper(xdrs, &a->downtime);
}

bool_t
xdr_cvg_remote_domain_get_messages_ret(XDR *xdrs,
                                       CvgRemoteDomainGetMessagesRet *a)
{
    return xdr_cvg_wire_strings(xdrs, &a->msgs, CVG_RPC_DOMAIN_MESSAGES_MAX);
}

typedef struct {
    const char *name;
    gboolean message;           /* an event: sent as MESSAGE, never called */
    xdrproc_t args;             /* NULL for a void body */
    size_t args_size;
    xdrproc_t ret;              /* the MESSAGE body for events */
    size_t ret_size;
} CvgRemoteProcInfo;

#define P_ARGS(s, C) (xdrproc_t)xdr_cvg_remote_##s##_args, sizeof(CvgRemote##C##Args)
#define P_RET(s, C) (xdrproc_t)xdr_cvg_remote_##s##_ret, sizeof(CvgRemote##C##Ret)
#define P_NONE NULL, 0

/* args and ret */
#define P_AR(N, s, C) [CVG_PROC_##N] = { #N, FALSE, P_ARGS(s, C), P_RET(s, C) }
/* args, void ret */
#define P_A(N, s, C) [CVG_PROC_##N] = { #N, FALSE, P_ARGS(s, C), P_NONE }
/* void args, ret */
#define P_R(N, s, C) [CVG_PROC_##N] = { #N, FALSE, P_NONE, P_RET(s, C) }
/* void both ways */
#define P_V(N) [CVG_PROC_##N] = { #N, FALSE, P_NONE, P_NONE }
/* event message */
#define P_M(N, s, C) \
    [CVG_PROC_##N] = { #N, TRUE, P_NONE, \
                       (xdrproc_t)xdr_cvg_remote_##s##_msg, \
                       sizeof(CvgRemote##C##Msg) }

/* Indexed by procedure number; the gaps are procedures we do not speak. */
static const CvgRemoteProcInfo procedures[] = {
    P_A(CONNECT_OPEN, connect_open, ConnectOpen),
    P_V(CONNECT_CLOSE),
    P_R(CONNECT_GET_TYPE, connect_get_type, ConnectGetType),
    P_R(CONNECT_GET_VERSION, connect_get_version, ConnectGetVersion),
    P_R(CONNECT_GET_CAPABILITIES,
        connect_get_capabilities, ConnectGetCapabilities),
    P_A(DOMAIN_CREATE, domain_create, DomainCreate),
    P_AR(DOMAIN_CREATE_XML, domain_create_xml, DomainCreateXml),
    P_AR(DOMAIN_DEFINE_XML, domain_define_xml, DomainDefineXml),
    P_A(DOMAIN_DESTROY, domain_destroy, DomainDestroy),
    P_AR(DOMAIN_GET_XML_DESC, domain_get_xml_desc, DomainGetXmlDesc),
    P_AR(DOMAIN_GET_AUTOSTART, domain_get_autostart, DomainGetAutostart),
    P_AR(DOMAIN_GET_INFO, domain_get_info, DomainGetInfo),
    P_AR(DOMAIN_GET_OS_TYPE, domain_get_os_type, DomainGetOsType),
    P_AR(CONNECT_LIST_DEFINED_DOMAINS,
        connect_list_defined_domains, ConnectListDefinedDomains),
    P_AR(DOMAIN_LOOKUP_BY_ID, domain_lookup_by_id, DomainLookupById),
    P_AR(DOMAIN_LOOKUP_BY_NAME, domain_lookup_by_name, DomainLookupByName),
    P_AR(DOMAIN_LOOKUP_BY_UUID, domain_lookup_by_uuid, DomainLookupByUuid),
    P_R(CONNECT_NUM_OF_DEFINED_DOMAINS,
        connect_num_of_defined_domains, ConnectNumOfDefinedDomains),
    P_A(DOMAIN_RESUME, domain_resume, DomainResume),
    P_A(DOMAIN_SET_AUTOSTART, domain_set_autostart, DomainSetAutostart),
    P_A(DOMAIN_SHUTDOWN, domain_shutdown, DomainShutdown),
    P_A(DOMAIN_SUSPEND, domain_suspend, DomainSuspend),
    P_A(DOMAIN_UNDEFINE, domain_undefine, DomainUndefine),
    P_AR(CONNECT_LIST_DOMAINS, connect_list_domains, ConnectListDomains),
    P_R(CONNECT_NUM_OF_DOMAINS, connect_num_of_domains, ConnectNumOfDomains),
    P_R(CONNECT_GET_HOSTNAME, connect_get_hostname, ConnectGetHostname),
    P_AR(CONNECT_SUPPORTS_FEATURE,
        connect_supports_feature, ConnectSupportsFeature),
    P_R(AUTH_LIST, auth_list, AuthList),
    P_R(CONNECT_GET_URI, connect_get_uri, ConnectGetUri),
    P_AR(DOMAIN_GET_SECURITY_LABEL,
        domain_get_security_label, DomainGetSecurityLabel),
    P_R(NODE_GET_SECURITY_MODEL, node_get_security_model, NodeGetSecurityModel),
    P_R(CONNECT_IS_SECURE, connect_is_secure, ConnectIsSecure),
    P_AR(DOMAIN_IS_ACTIVE, domain_is_active, DomainIsActive),
    P_AR(DOMAIN_IS_PERSISTENT, domain_is_persistent, DomainIsPersistent),
    P_R(CONNECT_GET_LIB_VERSION, connect_get_lib_version, ConnectGetLibVersion),
    P_AR(DOMAIN_GET_JOB_INFO, domain_get_job_info, DomainGetJobInfo),
    P_A(DOMAIN_ABORT_JOB, domain_abort_job, DomainAbortJob),
    P_A(DOMAIN_MIGRATE_SET_MAX_DOWNTIME,
        domain_migrate_set_max_downtime, DomainMigrateSetMaxDowntime),
    P_A(CONNECT_DOMAIN_EVENT_REGISTER_ANY,
        connect_domain_event_register_any, ConnectDomainEventRegisterAny),
    P_A(CONNECT_DOMAIN_EVENT_DEREGISTER_ANY,
        connect_domain_event_deregister_any, ConnectDomainEventDeregisterAny),
    P_AR(DOMAIN_HAS_MANAGED_SAVE_IMAGE,
        domain_has_managed_save_image, DomainHasManagedSaveImage),
    P_AR(DOMAIN_SNAPSHOT_NUM, domain_snapshot_num, DomainSnapshotNum),
    P_AR(DOMAIN_CREATE_WITH_FLAGS,
        domain_create_with_flags, DomainCreateWithFlags),
    P_AR(DOMAIN_IS_UPDATED, domain_is_updated, DomainIsUpdated),
    P_A(DOMAIN_MIGRATE_SET_MAX_SPEED,
        domain_migrate_set_max_speed, DomainMigrateSetMaxSpeed),
    P_AR(DOMAIN_GET_STATE, domain_get_state, DomainGetState),
    P_A(DOMAIN_UNDEFINE_FLAGS, domain_undefine_flags, DomainUndefineFlags),
    P_A(DOMAIN_DESTROY_FLAGS, domain_destroy_flags, DomainDestroyFlags),
    P_AR(DOMAIN_MIGRATE_GET_MAX_SPEED,
        domain_migrate_get_max_speed, DomainMigrateGetMaxSpeed),
    P_A(DOMAIN_REBOOT, domain_reboot, DomainReboot),
    P_A(DOMAIN_RESET, domain_reset, DomainReset),
    P_A(DOMAIN_SHUTDOWN_FLAGS, domain_shutdown_flags, DomainShutdownFlags),
    P_AR(CONNECT_LIST_ALL_DOMAINS,
        connect_list_all_domains, ConnectListAllDomains),
    P_AR(DOMAIN_GET_JOB_STATS, domain_get_job_stats, DomainGetJobStats),
    P_AR(DOMAIN_MIGRATE_BEGIN3_PARAMS,
        domain_migrate_begin3_params, DomainMigrateBegin3Params),
    P_AR(DOMAIN_MIGRATE_PREPARE3_PARAMS,
        domain_migrate_prepare3_params, DomainMigratePrepare3Params),
    P_AR(DOMAIN_MIGRATE_PERFORM3_PARAMS,
        domain_migrate_perform3_params, DomainMigratePerform3Params),
    P_AR(DOMAIN_MIGRATE_FINISH3_PARAMS,
        domain_migrate_finish3_params, DomainMigrateFinish3Params),
    P_A(DOMAIN_MIGRATE_CONFIRM3_PARAMS,
        domain_migrate_confirm3_params, DomainMigrateConfirm3Params),
    P_AR(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
        connect_domain_event_callback_register_any, ConnectDomainEventCallbackRegisterAny),
    P_A(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
        connect_domain_event_callback_deregister_any, ConnectDomainEventCallbackDeregisterAny),
    P_M(DOMAIN_EVENT_CALLBACK_LIFECYCLE,
        domain_event_callback_lifecycle, DomainEventCallbackLifecycle),
    P_M(DOMAIN_EVENT_CALLBACK_REBOOT,
        domain_event_callback_reboot, DomainEventCallbackReboot),
    P_AR(DOMAIN_DEFINE_XML_FLAGS,
        domain_define_xml_flags, DomainDefineXmlFlags),
    P_M(DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION,
        domain_event_callback_migration_iteration, DomainEventCallbackMigrationIteration),
    P_V(CONNECT_REGISTER_CLOSE_CALLBACK),
    P_V(CONNECT_UNREGISTER_CLOSE_CALLBACK),
    P_M(CONNECT_EVENT_CONNECTION_CLOSED,
        connect_event_connection_closed, ConnectEventConnectionClosed),
    P_M(DOMAIN_EVENT_CALLBACK_JOB_COMPLETED,
        domain_event_callback_job_completed, DomainEventCallbackJobCompleted),
    P_AR(DOMAIN_MIGRATE_GET_MAX_DOWNTIME,
        domain_migrate_get_max_downtime, DomainMigrateGetMaxDowntime),
    P_AR(DOMAIN_GET_MESSAGES, domain_get_messages, DomainGetMessages),
    P_A(DOMAIN_ABORT_JOB_FLAGS, domain_abort_job_flags, DomainAbortJobFlags),
};
G_STATIC_ASSERT(G_N_ELEMENTS(procedures) == CVG_PROC_LAST);

static const CvgRemoteProcInfo *
procedure_info(int proc)
{
    if (proc <= 0 || proc >= CVG_PROC_LAST || !procedures[proc].name)
        return NULL;
    return &procedures[proc];
}

const char *
cvg_remote_procedure_name(int proc)
{
    const CvgRemoteProcInfo *info = procedure_info(proc);

    return info ? info->name : "UNKNOWN";
}

gboolean
cvg_remote_procedure_args(int proc, xdrproc_t *ret_proc, size_t *ret_size)
{
    const CvgRemoteProcInfo *info = procedure_info(proc);

    if (!info || info->message)
        return FALSE;
    *ret_proc = info->args ? info->args : (xdrproc_t)xdr_cvg_void;
    *ret_size = info->args_size;
    return TRUE;
}

gboolean
cvg_remote_procedure_ret(int proc, xdrproc_t *ret_proc, size_t *ret_size)
{
    const CvgRemoteProcInfo *info = procedure_info(proc);

    if (!info)
        return FALSE;
    *ret_proc = info->ret ? info->ret : (xdrproc_t)xdr_cvg_void;
    *ret_size = info->ret_size;
    return TRUE;
}

gboolean
cvg_remote_procedure_is_message(int proc)
{
    const CvgRemoteProcInfo *info = procedure_info(proc);

    return info && info->message;
}
