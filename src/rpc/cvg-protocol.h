/*
 * cvg-protocol.h: libvirt remote program procedures and their XDR bodies
 *
 * Procedure numbers are exact for libvirt 9.0 (the shared reference's
 * procedure list).  Field order and types follow the reference section 4;
 * structs whose layout the reference does not give say so in their comment
 * ("field order per libvirt 9.0 wire").  Event message bodies are flattened
 * where libvirt nests a struct: nesting adds nothing on the wire.
 *
 * Members are named as on the wire.  CvgWireDomain is remote_nonnull_domain,
 * char * a nonnull string, char ** an optional string (NULL = absent).
 * Procedures whose args or ret are void have no struct: use xdr_cvg_void.
 * Free any of these with xdr_free() and its xdr_ procedure.
 */
#pragma once

#include "cvg-wire.h"

typedef enum {
    CVG_PROC_CONNECT_OPEN = 1,
    CVG_PROC_CONNECT_CLOSE = 2,
    CVG_PROC_CONNECT_GET_TYPE = 3,
    CVG_PROC_CONNECT_GET_VERSION = 4,
    CVG_PROC_CONNECT_GET_CAPABILITIES = 7,
    CVG_PROC_DOMAIN_CREATE = 9,
    CVG_PROC_DOMAIN_CREATE_XML = 10,
    CVG_PROC_DOMAIN_DEFINE_XML = 11,
    CVG_PROC_DOMAIN_DESTROY = 12,
    CVG_PROC_DOMAIN_GET_XML_DESC = 14,
    CVG_PROC_DOMAIN_GET_AUTOSTART = 15,
    CVG_PROC_DOMAIN_GET_INFO = 16,
    CVG_PROC_DOMAIN_GET_OS_TYPE = 19,
    CVG_PROC_CONNECT_LIST_DEFINED_DOMAINS = 21,
    CVG_PROC_DOMAIN_LOOKUP_BY_ID = 22,
    CVG_PROC_DOMAIN_LOOKUP_BY_NAME = 23,
    CVG_PROC_DOMAIN_LOOKUP_BY_UUID = 24,
    CVG_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS = 25,
    CVG_PROC_DOMAIN_REBOOT = 27,
    CVG_PROC_DOMAIN_RESUME = 28,
    CVG_PROC_DOMAIN_SET_AUTOSTART = 29,
    CVG_PROC_DOMAIN_SHUTDOWN = 33,
    CVG_PROC_DOMAIN_SUSPEND = 34,
    CVG_PROC_DOMAIN_UNDEFINE = 35,
    CVG_PROC_CONNECT_LIST_DOMAINS = 37,
    CVG_PROC_CONNECT_NUM_OF_DOMAINS = 51,
    CVG_PROC_CONNECT_GET_HOSTNAME = 59,
    CVG_PROC_CONNECT_SUPPORTS_FEATURE = 60,
    CVG_PROC_AUTH_LIST = 66,
    CVG_PROC_CONNECT_GET_URI = 110,
    CVG_PROC_DOMAIN_GET_SECURITY_LABEL = 121,
    CVG_PROC_NODE_GET_SECURITY_MODEL = 122,
    CVG_PROC_CONNECT_IS_SECURE = 149,
    CVG_PROC_DOMAIN_IS_ACTIVE = 150,
    CVG_PROC_DOMAIN_IS_PERSISTENT = 151,
    CVG_PROC_CONNECT_GET_LIB_VERSION = 157,
    CVG_PROC_DOMAIN_GET_JOB_INFO = 163,
    CVG_PROC_DOMAIN_ABORT_JOB = 164,
    CVG_PROC_DOMAIN_MIGRATE_SET_MAX_DOWNTIME = 166,
    CVG_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY = 167,
    CVG_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY = 168,
    CVG_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE = 183,
    CVG_PROC_DOMAIN_SNAPSHOT_NUM = 187,
    CVG_PROC_DOMAIN_CREATE_WITH_FLAGS = 196,
    CVG_PROC_DOMAIN_IS_UPDATED = 202,
    CVG_PROC_DOMAIN_MIGRATE_SET_MAX_SPEED = 207,
    CVG_PROC_DOMAIN_GET_STATE = 212,
    CVG_PROC_DOMAIN_UNDEFINE_FLAGS = 231,
    CVG_PROC_DOMAIN_DESTROY_FLAGS = 234,
    CVG_PROC_DOMAIN_MIGRATE_GET_MAX_SPEED = 242,
    CVG_PROC_DOMAIN_RESET = 245,
    CVG_PROC_DOMAIN_SHUTDOWN_FLAGS = 258,
    CVG_PROC_CONNECT_LIST_ALL_DOMAINS = 273,
    CVG_PROC_DOMAIN_GET_JOB_STATS = 298,
    CVG_PROC_DOMAIN_MIGRATE_BEGIN3_PARAMS = 302,
    CVG_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS = 303,
    CVG_PROC_DOMAIN_MIGRATE_PERFORM3_PARAMS = 305,
    CVG_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS = 306,
    CVG_PROC_DOMAIN_MIGRATE_CONFIRM3_PARAMS = 307,
    CVG_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY = 316,
    CVG_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY = 317,
    CVG_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE = 318,
    CVG_PROC_DOMAIN_EVENT_CALLBACK_REBOOT = 319,
    CVG_PROC_DOMAIN_DEFINE_XML_FLAGS = 350,
    CVG_PROC_DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION = 359,
    CVG_PROC_CONNECT_REGISTER_CLOSE_CALLBACK = 360,
    CVG_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK = 361,
    CVG_PROC_CONNECT_EVENT_CONNECTION_CLOSED = 362,
    CVG_PROC_DOMAIN_EVENT_CALLBACK_JOB_COMPLETED = 363,
    CVG_PROC_DOMAIN_MIGRATE_GET_MAX_DOWNTIME = 387,
    CVG_PROC_DOMAIN_GET_MESSAGES = 426,
    CVG_PROC_DOMAIN_ABORT_JOB_FLAGS = 442,
    CVG_PROC_LAST = 443,  /* one past the highest number defined here */
} CvgRemoteProcedure;

/* { dom, flags }: the args of procedures that take a domain and flags
 * only.  Such procedures name it through a typedef and a #define of their
 * xdr_ procedure, so the dispatch tables' token pasting finds them. */
typedef struct {
    CvgWireDomain dom;
    u_int flags;
} CvgRemoteDomainFlagsArgs;
bool_t xdr_cvg_remote_domain_flags_args(XDR *xdrs,
                                        CvgRemoteDomainFlagsArgs *a);

/* 1 CONNECT_OPEN args */
typedef struct {
    char **name;
    u_int flags;
} CvgRemoteConnectOpenArgs;
bool_t xdr_cvg_remote_connect_open_args(XDR *xdrs, CvgRemoteConnectOpenArgs *a);

/* 3 CONNECT_GET_TYPE ret */
typedef struct {
    char *type;
} CvgRemoteConnectGetTypeRet;
bool_t xdr_cvg_remote_connect_get_type_ret(XDR *xdrs,
                                           CvgRemoteConnectGetTypeRet *a);

/* 4 CONNECT_GET_VERSION ret */
typedef struct {
    u_quad_t hv_ver;
} CvgRemoteConnectGetVersionRet;
bool_t xdr_cvg_remote_connect_get_version_ret(XDR *xdrs,
                                              CvgRemoteConnectGetVersionRet *a);

/* 7 CONNECT_GET_CAPABILITIES ret; field order per libvirt 9.0 wire */
typedef struct {
    char *capabilities;
} CvgRemoteConnectGetCapabilitiesRet;
bool_t xdr_cvg_remote_connect_get_capabilities_ret(
    XDR *xdrs, CvgRemoteConnectGetCapabilitiesRet *a);

/* 9 DOMAIN_CREATE args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainCreateArgs;
bool_t xdr_cvg_remote_domain_create_args(XDR *xdrs,
                                         CvgRemoteDomainCreateArgs *a);

/* 10 DOMAIN_CREATE_XML args; field order per libvirt 9.0 wire */
typedef struct {
    char *xml_desc;
    u_int flags;
} CvgRemoteDomainCreateXmlArgs;
bool_t xdr_cvg_remote_domain_create_xml_args(XDR *xdrs,
                                             CvgRemoteDomainCreateXmlArgs *a);

/* 10 DOMAIN_CREATE_XML ret; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainCreateXmlRet;
bool_t xdr_cvg_remote_domain_create_xml_ret(XDR *xdrs,
                                            CvgRemoteDomainCreateXmlRet *a);

/* 11 DOMAIN_DEFINE_XML args */
typedef struct {
    char *xml;
} CvgRemoteDomainDefineXmlArgs;
bool_t xdr_cvg_remote_domain_define_xml_args(XDR *xdrs,
                                             CvgRemoteDomainDefineXmlArgs *a);

/* 11 DOMAIN_DEFINE_XML ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainDefineXmlRet;
bool_t xdr_cvg_remote_domain_define_xml_ret(XDR *xdrs,
                                            CvgRemoteDomainDefineXmlRet *a);

/* 12 DOMAIN_DESTROY args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainDestroyArgs;
bool_t xdr_cvg_remote_domain_destroy_args(XDR *xdrs,
                                          CvgRemoteDomainDestroyArgs *a);

/* 14 DOMAIN_GET_XML_DESC args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainGetXmlDescArgs;
#define xdr_cvg_remote_domain_get_xml_desc_args xdr_cvg_remote_domain_flags_args

/* 14 DOMAIN_GET_XML_DESC ret */
typedef struct {
    char *xml;
} CvgRemoteDomainGetXmlDescRet;
bool_t xdr_cvg_remote_domain_get_xml_desc_ret(XDR *xdrs,
                                              CvgRemoteDomainGetXmlDescRet *a);

/* 15 DOMAIN_GET_AUTOSTART args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainGetAutostartArgs;
bool_t xdr_cvg_remote_domain_get_autostart_args(
    XDR *xdrs, CvgRemoteDomainGetAutostartArgs *a);

/* 15 DOMAIN_GET_AUTOSTART ret */
typedef struct {
    int autostart;
} CvgRemoteDomainGetAutostartRet;
bool_t xdr_cvg_remote_domain_get_autostart_ret(
    XDR *xdrs, CvgRemoteDomainGetAutostartRet *a);

/* 16 DOMAIN_GET_INFO args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainGetInfoArgs;
bool_t xdr_cvg_remote_domain_get_info_args(XDR *xdrs,
                                           CvgRemoteDomainGetInfoArgs *a);

/* 16 DOMAIN_GET_INFO ret: the uchar and ushort each take 4 bytes on the
 * wire, so the reply is exactly 32 bytes.  Memory in KiB, cpuTime in ns. */
typedef struct {
    u_char state;
    u_quad_t maxMem;
    u_quad_t memory;
    u_short nrVirtCpu;
    u_quad_t cpuTime;
} CvgRemoteDomainGetInfoRet;
bool_t xdr_cvg_remote_domain_get_info_ret(XDR *xdrs,
                                          CvgRemoteDomainGetInfoRet *a);

/* 19 DOMAIN_GET_OS_TYPE args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainGetOsTypeArgs;
bool_t xdr_cvg_remote_domain_get_os_type_args(XDR *xdrs,
                                              CvgRemoteDomainGetOsTypeArgs *a);

/* 19 DOMAIN_GET_OS_TYPE ret */
typedef struct {
    char *type;
} CvgRemoteDomainGetOsTypeRet;
bool_t xdr_cvg_remote_domain_get_os_type_ret(XDR *xdrs,
                                             CvgRemoteDomainGetOsTypeRet *a);

/* 21 CONNECT_LIST_DEFINED_DOMAINS args; field order per libvirt 9.0 wire */
typedef struct {
    int maxnames;
} CvgRemoteConnectListDefinedDomainsArgs;
bool_t xdr_cvg_remote_connect_list_defined_domains_args(
    XDR *xdrs, CvgRemoteConnectListDefinedDomainsArgs *a);

/* 21 CONNECT_LIST_DEFINED_DOMAINS ret; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireStrings names;
} CvgRemoteConnectListDefinedDomainsRet;
bool_t xdr_cvg_remote_connect_list_defined_domains_ret(
    XDR *xdrs, CvgRemoteConnectListDefinedDomainsRet *a);

/* 22 DOMAIN_LOOKUP_BY_ID args */
typedef struct {
    int id;
} CvgRemoteDomainLookupByIdArgs;
bool_t xdr_cvg_remote_domain_lookup_by_id_args(
    XDR *xdrs, CvgRemoteDomainLookupByIdArgs *a);

/* 22 DOMAIN_LOOKUP_BY_ID ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainLookupByIdRet;
bool_t xdr_cvg_remote_domain_lookup_by_id_ret(XDR *xdrs,
                                              CvgRemoteDomainLookupByIdRet *a);

/* 23 DOMAIN_LOOKUP_BY_NAME args */
typedef struct {
    char *name;
} CvgRemoteDomainLookupByNameArgs;
bool_t xdr_cvg_remote_domain_lookup_by_name_args(
    XDR *xdrs, CvgRemoteDomainLookupByNameArgs *a);

/* 23 DOMAIN_LOOKUP_BY_NAME ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainLookupByNameRet;
bool_t xdr_cvg_remote_domain_lookup_by_name_ret(
    XDR *xdrs, CvgRemoteDomainLookupByNameRet *a);

/* 24 DOMAIN_LOOKUP_BY_UUID args */
typedef struct {
    unsigned char uuid[CVG_RPC_UUID_LEN];
} CvgRemoteDomainLookupByUuidArgs;
bool_t xdr_cvg_remote_domain_lookup_by_uuid_args(
    XDR *xdrs, CvgRemoteDomainLookupByUuidArgs *a);

/* 24 DOMAIN_LOOKUP_BY_UUID ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainLookupByUuidRet;
bool_t xdr_cvg_remote_domain_lookup_by_uuid_ret(
    XDR *xdrs, CvgRemoteDomainLookupByUuidRet *a);

/* 25 CONNECT_NUM_OF_DEFINED_DOMAINS ret; field order per libvirt 9.0 wire */
typedef struct {
    int num;
} CvgRemoteConnectNumOfDefinedDomainsRet;
bool_t xdr_cvg_remote_connect_num_of_defined_domains_ret(
    XDR *xdrs, CvgRemoteConnectNumOfDefinedDomainsRet *a);

/* 28 DOMAIN_RESUME args; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainResumeArgs;
bool_t xdr_cvg_remote_domain_resume_args(XDR *xdrs,
                                         CvgRemoteDomainResumeArgs *a);

/* 29 DOMAIN_SET_AUTOSTART args; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
    int autostart;
} CvgRemoteDomainSetAutostartArgs;
bool_t xdr_cvg_remote_domain_set_autostart_args(
    XDR *xdrs, CvgRemoteDomainSetAutostartArgs *a);

/* 33 DOMAIN_SHUTDOWN args; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainShutdownArgs;
bool_t xdr_cvg_remote_domain_shutdown_args(XDR *xdrs,
                                           CvgRemoteDomainShutdownArgs *a);

/* 34 DOMAIN_SUSPEND args; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainSuspendArgs;
bool_t xdr_cvg_remote_domain_suspend_args(XDR *xdrs,
                                          CvgRemoteDomainSuspendArgs *a);

/* 35 DOMAIN_UNDEFINE args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainUndefineArgs;
bool_t xdr_cvg_remote_domain_undefine_args(XDR *xdrs,
                                           CvgRemoteDomainUndefineArgs *a);

/* 37 CONNECT_LIST_DOMAINS args; field order per libvirt 9.0 wire */
typedef struct {
    int maxids;
} CvgRemoteConnectListDomainsArgs;
bool_t xdr_cvg_remote_connect_list_domains_args(
    XDR *xdrs, CvgRemoteConnectListDomainsArgs *a);

/* 37 CONNECT_LIST_DOMAINS ret; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireInts ids;
} CvgRemoteConnectListDomainsRet;
bool_t xdr_cvg_remote_connect_list_domains_ret(
    XDR *xdrs, CvgRemoteConnectListDomainsRet *a);

/* 51 CONNECT_NUM_OF_DOMAINS ret; field order per libvirt 9.0 wire */
typedef struct {
    int num;
} CvgRemoteConnectNumOfDomainsRet;
bool_t xdr_cvg_remote_connect_num_of_domains_ret(
    XDR *xdrs, CvgRemoteConnectNumOfDomainsRet *a);

/* 59 CONNECT_GET_HOSTNAME ret */
typedef struct {
    char *hostname;
} CvgRemoteConnectGetHostnameRet;
bool_t xdr_cvg_remote_connect_get_hostname_ret(
    XDR *xdrs, CvgRemoteConnectGetHostnameRet *a);

/* 60 CONNECT_SUPPORTS_FEATURE args */
typedef struct {
    int feature;
} CvgRemoteConnectSupportsFeatureArgs;
bool_t xdr_cvg_remote_connect_supports_feature_args(
    XDR *xdrs, CvgRemoteConnectSupportsFeatureArgs *a);

/* 60 CONNECT_SUPPORTS_FEATURE ret */
typedef struct {
    int supported;
} CvgRemoteConnectSupportsFeatureRet;
bool_t xdr_cvg_remote_connect_supports_feature_ret(
    XDR *xdrs, CvgRemoteConnectSupportsFeatureRet *a);

/* 66 AUTH_LIST ret: types<20>, 0 = REMOTE_AUTH_NONE */
typedef struct {
    CvgWireInts types;
} CvgRemoteAuthListRet;
bool_t xdr_cvg_remote_auth_list_ret(XDR *xdrs, CvgRemoteAuthListRet *a);

/* 110 CONNECT_GET_URI ret */
typedef struct {
    char *uri;
} CvgRemoteConnectGetUriRet;
bool_t xdr_cvg_remote_connect_get_uri_ret(XDR *xdrs,
                                          CvgRemoteConnectGetUriRet *a);

/* 121 DOMAIN_GET_SECURITY_LABEL args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainGetSecurityLabelArgs;
bool_t xdr_cvg_remote_domain_get_security_label_args(
    XDR *xdrs, CvgRemoteDomainGetSecurityLabelArgs *a);

/* 121 DOMAIN_GET_SECURITY_LABEL ret: label<4097> is a char array (4 bytes
 * per char, NUL counted); fill it with cvg_wire_chars_set(). */
typedef struct {
    CvgWireChars label;
    int enforcing;
} CvgRemoteDomainGetSecurityLabelRet;
bool_t xdr_cvg_remote_domain_get_security_label_ret(
    XDR *xdrs, CvgRemoteDomainGetSecurityLabelRet *a);

/* 122 NODE_GET_SECURITY_MODEL ret: model<257> and doi<257> are char arrays;
 * an empty model (count 0) tells virsh dominfo to skip 121. */
typedef struct {
    CvgWireChars model;
    CvgWireChars doi;
} CvgRemoteNodeGetSecurityModelRet;
bool_t xdr_cvg_remote_node_get_security_model_ret(
    XDR *xdrs, CvgRemoteNodeGetSecurityModelRet *a);

/* 149 CONNECT_IS_SECURE ret */
typedef struct {
    int secure;
} CvgRemoteConnectIsSecureRet;
bool_t xdr_cvg_remote_connect_is_secure_ret(XDR *xdrs,
                                            CvgRemoteConnectIsSecureRet *a);

/* 150 DOMAIN_IS_ACTIVE args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainIsActiveArgs;
bool_t xdr_cvg_remote_domain_is_active_args(XDR *xdrs,
                                            CvgRemoteDomainIsActiveArgs *a);

/* 150 DOMAIN_IS_ACTIVE ret */
typedef struct {
    int active;
} CvgRemoteDomainIsActiveRet;
bool_t xdr_cvg_remote_domain_is_active_ret(XDR *xdrs,
                                           CvgRemoteDomainIsActiveRet *a);

/* 151 DOMAIN_IS_PERSISTENT args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainIsPersistentArgs;
bool_t xdr_cvg_remote_domain_is_persistent_args(
    XDR *xdrs, CvgRemoteDomainIsPersistentArgs *a);

/* 151 DOMAIN_IS_PERSISTENT ret */
typedef struct {
    int persistent;
} CvgRemoteDomainIsPersistentRet;
bool_t xdr_cvg_remote_domain_is_persistent_ret(
    XDR *xdrs, CvgRemoteDomainIsPersistentRet *a);

/* 157 CONNECT_GET_LIB_VERSION ret */
typedef struct {
    u_quad_t lib_ver;
} CvgRemoteConnectGetLibVersionRet;
bool_t xdr_cvg_remote_connect_get_lib_version_ret(
    XDR *xdrs, CvgRemoteConnectGetLibVersionRet *a);

/* 163 DOMAIN_GET_JOB_INFO args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainGetJobInfoArgs;
bool_t xdr_cvg_remote_domain_get_job_info_args(
    XDR *xdrs, CvgRemoteDomainGetJobInfoArgs *a);

/* 163 DOMAIN_GET_JOB_INFO ret */
typedef struct {
    int type;
    u_quad_t timeElapsed;
    u_quad_t timeRemaining;
    u_quad_t dataTotal;
    u_quad_t dataProcessed;
    u_quad_t dataRemaining;
    u_quad_t memTotal;
    u_quad_t memProcessed;
    u_quad_t memRemaining;
    u_quad_t fileTotal;
    u_quad_t fileProcessed;
    u_quad_t fileRemaining;
} CvgRemoteDomainGetJobInfoRet;
bool_t xdr_cvg_remote_domain_get_job_info_ret(XDR *xdrs,
                                              CvgRemoteDomainGetJobInfoRet *a);

/* 164 DOMAIN_ABORT_JOB args */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainAbortJobArgs;
bool_t xdr_cvg_remote_domain_abort_job_args(XDR *xdrs,
                                            CvgRemoteDomainAbortJobArgs *a);

/* 166 DOMAIN_MIGRATE_SET_MAX_DOWNTIME args */
typedef struct {
    CvgWireDomain dom;
    u_quad_t downtime;
    u_int flags;
} CvgRemoteDomainMigrateSetMaxDowntimeArgs;
bool_t xdr_cvg_remote_domain_migrate_set_max_downtime_args(
    XDR *xdrs, CvgRemoteDomainMigrateSetMaxDowntimeArgs *a);

/* 167 CONNECT_DOMAIN_EVENT_REGISTER_ANY args (legacy, refuse it); field
 * order per libvirt 9.0 wire */
typedef struct {
    int eventID;
} CvgRemoteConnectDomainEventRegisterAnyArgs;
bool_t xdr_cvg_remote_connect_domain_event_register_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventRegisterAnyArgs *a);

/* 168 CONNECT_DOMAIN_EVENT_DEREGISTER_ANY args (legacy); field order per
 * libvirt 9.0 wire */
typedef struct {
    int eventID;
} CvgRemoteConnectDomainEventDeregisterAnyArgs;
bool_t xdr_cvg_remote_connect_domain_event_deregister_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventDeregisterAnyArgs *a);

/* 183 DOMAIN_HAS_MANAGED_SAVE_IMAGE args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainHasManagedSaveImageArgs;
#define xdr_cvg_remote_domain_has_managed_save_image_args xdr_cvg_remote_domain_flags_args

/* 183 DOMAIN_HAS_MANAGED_SAVE_IMAGE ret */
typedef struct {
    int result;
} CvgRemoteDomainHasManagedSaveImageRet;
bool_t xdr_cvg_remote_domain_has_managed_save_image_ret(
    XDR *xdrs, CvgRemoteDomainHasManagedSaveImageRet *a);

/* 187 DOMAIN_SNAPSHOT_NUM args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainSnapshotNumArgs;
#define xdr_cvg_remote_domain_snapshot_num_args xdr_cvg_remote_domain_flags_args

/* 187 DOMAIN_SNAPSHOT_NUM ret */
typedef struct {
    int num;
} CvgRemoteDomainSnapshotNumRet;
bool_t xdr_cvg_remote_domain_snapshot_num_ret(XDR *xdrs,
                                              CvgRemoteDomainSnapshotNumRet *a);

/* 196 DOMAIN_CREATE_WITH_FLAGS args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainCreateWithFlagsArgs;
#define xdr_cvg_remote_domain_create_with_flags_args xdr_cvg_remote_domain_flags_args

/* 196 DOMAIN_CREATE_WITH_FLAGS ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainCreateWithFlagsRet;
bool_t xdr_cvg_remote_domain_create_with_flags_ret(
    XDR *xdrs, CvgRemoteDomainCreateWithFlagsRet *a);

/* 202 DOMAIN_IS_UPDATED args; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainIsUpdatedArgs;
bool_t xdr_cvg_remote_domain_is_updated_args(XDR *xdrs,
                                             CvgRemoteDomainIsUpdatedArgs *a);

/* 202 DOMAIN_IS_UPDATED ret; field order per libvirt 9.0 wire */
typedef struct {
    int updated;
} CvgRemoteDomainIsUpdatedRet;
bool_t xdr_cvg_remote_domain_is_updated_ret(XDR *xdrs,
                                            CvgRemoteDomainIsUpdatedRet *a);

/* 207 DOMAIN_MIGRATE_SET_MAX_SPEED args */
typedef struct {
    CvgWireDomain dom;
    u_quad_t bandwidth;
    u_int flags;
} CvgRemoteDomainMigrateSetMaxSpeedArgs;
bool_t xdr_cvg_remote_domain_migrate_set_max_speed_args(
    XDR *xdrs, CvgRemoteDomainMigrateSetMaxSpeedArgs *a);

/* 212 DOMAIN_GET_STATE args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainGetStateArgs;
#define xdr_cvg_remote_domain_get_state_args xdr_cvg_remote_domain_flags_args

/* 212 DOMAIN_GET_STATE ret */
typedef struct {
    int state;
    int reason;
} CvgRemoteDomainGetStateRet;
bool_t xdr_cvg_remote_domain_get_state_ret(XDR *xdrs,
                                           CvgRemoteDomainGetStateRet *a);

/* 231 DOMAIN_UNDEFINE_FLAGS args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainUndefineFlagsArgs;
#define xdr_cvg_remote_domain_undefine_flags_args xdr_cvg_remote_domain_flags_args

/* 234 DOMAIN_DESTROY_FLAGS args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainDestroyFlagsArgs;
#define xdr_cvg_remote_domain_destroy_flags_args xdr_cvg_remote_domain_flags_args

/* 242 DOMAIN_MIGRATE_GET_MAX_SPEED args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainMigrateGetMaxSpeedArgs;
#define xdr_cvg_remote_domain_migrate_get_max_speed_args xdr_cvg_remote_domain_flags_args

/* 242 DOMAIN_MIGRATE_GET_MAX_SPEED ret */
typedef struct {
    u_quad_t bandwidth;
} CvgRemoteDomainMigrateGetMaxSpeedRet;
bool_t xdr_cvg_remote_domain_migrate_get_max_speed_ret(
    XDR *xdrs, CvgRemoteDomainMigrateGetMaxSpeedRet *a);

/* 258 DOMAIN_SHUTDOWN_FLAGS args; field order per libvirt 9.0 wire */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainShutdownFlagsArgs;
#define xdr_cvg_remote_domain_shutdown_flags_args xdr_cvg_remote_domain_flags_args

/* 27 DOMAIN_REBOOT args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainRebootArgs;
#define xdr_cvg_remote_domain_reboot_args xdr_cvg_remote_domain_flags_args

/* 245 DOMAIN_RESET args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainResetArgs;
#define xdr_cvg_remote_domain_reset_args xdr_cvg_remote_domain_flags_args

/* 273 CONNECT_LIST_ALL_DOMAINS args */
typedef struct {
    int need_results;
    u_int flags;
} CvgRemoteConnectListAllDomainsArgs;
bool_t xdr_cvg_remote_connect_list_all_domains_args(
    XDR *xdrs, CvgRemoteConnectListAllDomainsArgs *a);

/* 273 CONNECT_LIST_ALL_DOMAINS ret: ret is the count, also when
 * need_results = 0 and domains is empty */
typedef struct {
    CvgWireDomains domains;
    u_int ret;
} CvgRemoteConnectListAllDomainsRet;
bool_t xdr_cvg_remote_connect_list_all_domains_ret(
    XDR *xdrs, CvgRemoteConnectListAllDomainsRet *a);

/* 298 DOMAIN_GET_JOB_STATS args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainGetJobStatsArgs;
#define xdr_cvg_remote_domain_get_job_stats_args xdr_cvg_remote_domain_flags_args

/* 298 DOMAIN_GET_JOB_STATS ret */
typedef struct {
    int type;
    CvgWireTypedParams params;
} CvgRemoteDomainGetJobStatsRet;
bool_t xdr_cvg_remote_domain_get_job_stats_ret(
    XDR *xdrs, CvgRemoteDomainGetJobStatsRet *a);

/* 302 DOMAIN_MIGRATE_BEGIN3_PARAMS args; in the _PARAMS calls flags is a
 * 4-byte unsigned int (the older v3 calls use a hyper) */
typedef struct {
    CvgWireDomain dom;
    CvgWireTypedParams params;
    u_int flags;
} CvgRemoteDomainMigrateBegin3ParamsArgs;
bool_t xdr_cvg_remote_domain_migrate_begin3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateBegin3ParamsArgs *a);

/* 302 DOMAIN_MIGRATE_BEGIN3_PARAMS ret */
typedef struct {
    CvgWireOpaque cookie_out;
    char *xml;
} CvgRemoteDomainMigrateBegin3ParamsRet;
bool_t xdr_cvg_remote_domain_migrate_begin3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigrateBegin3ParamsRet *a);

/* 303 DOMAIN_MIGRATE_PREPARE3_PARAMS args */
typedef struct {
    CvgWireTypedParams params;
    CvgWireOpaque cookie_in;
    u_int flags;
} CvgRemoteDomainMigratePrepare3ParamsArgs;
bool_t xdr_cvg_remote_domain_migrate_prepare3_params_args(
    XDR *xdrs, CvgRemoteDomainMigratePrepare3ParamsArgs *a);

/* 303 DOMAIN_MIGRATE_PREPARE3_PARAMS ret */
typedef struct {
    CvgWireOpaque cookie_out;
    char **uri_out;
} CvgRemoteDomainMigratePrepare3ParamsRet;
bool_t xdr_cvg_remote_domain_migrate_prepare3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigratePrepare3ParamsRet *a);

/* 305 DOMAIN_MIGRATE_PERFORM3_PARAMS args: dconnuri is set only for p2p */
typedef struct {
    CvgWireDomain dom;
    char **dconnuri;
    CvgWireTypedParams params;
    CvgWireOpaque cookie_in;
    u_int flags;
} CvgRemoteDomainMigratePerform3ParamsArgs;
bool_t xdr_cvg_remote_domain_migrate_perform3_params_args(
    XDR *xdrs, CvgRemoteDomainMigratePerform3ParamsArgs *a);

/* 305 DOMAIN_MIGRATE_PERFORM3_PARAMS ret: in p2p mode cookie_out must be
 * empty, or virsh fails */
typedef struct {
    CvgWireOpaque cookie_out;
} CvgRemoteDomainMigratePerform3ParamsRet;
bool_t xdr_cvg_remote_domain_migrate_perform3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigratePerform3ParamsRet *a);

/* 306 DOMAIN_MIGRATE_FINISH3_PARAMS args */
typedef struct {
    CvgWireTypedParams params;
    CvgWireOpaque cookie_in;
    u_int flags;
    int cancelled;
} CvgRemoteDomainMigrateFinish3ParamsArgs;
bool_t xdr_cvg_remote_domain_migrate_finish3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateFinish3ParamsArgs *a);

/* 306 DOMAIN_MIGRATE_FINISH3_PARAMS ret */
typedef struct {
    CvgWireDomain dom;
    CvgWireOpaque cookie_out;
} CvgRemoteDomainMigrateFinish3ParamsRet;
bool_t xdr_cvg_remote_domain_migrate_finish3_params_ret(
    XDR *xdrs, CvgRemoteDomainMigrateFinish3ParamsRet *a);

/* 307 DOMAIN_MIGRATE_CONFIRM3_PARAMS args */
typedef struct {
    CvgWireDomain dom;
    CvgWireTypedParams params;
    CvgWireOpaque cookie_in;
    u_int flags;
    int cancelled;
} CvgRemoteDomainMigrateConfirm3ParamsArgs;
bool_t xdr_cvg_remote_domain_migrate_confirm3_params_args(
    XDR *xdrs, CvgRemoteDomainMigrateConfirm3ParamsArgs *a);

/* 316 CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY args: dom NULL = all
 * domains; eventID 0 LIFECYCLE, 20 MIGRATION_ITERATION, 21 JOB_COMPLETED */
typedef struct {
    int eventID;
    CvgWireDomain *dom;
} CvgRemoteConnectDomainEventCallbackRegisterAnyArgs;
bool_t xdr_cvg_remote_connect_domain_event_callback_register_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackRegisterAnyArgs *a);

/* 316 CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY ret */
typedef struct {
    int callbackID;
} CvgRemoteConnectDomainEventCallbackRegisterAnyRet;
bool_t xdr_cvg_remote_connect_domain_event_callback_register_any_ret(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackRegisterAnyRet *a);

/* 317 CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY args */
typedef struct {
    int callbackID;
} CvgRemoteConnectDomainEventCallbackDeregisterAnyArgs;
bool_t xdr_cvg_remote_connect_domain_event_callback_deregister_any_args(
    XDR *xdrs, CvgRemoteConnectDomainEventCallbackDeregisterAnyArgs *a);

/* 318 DOMAIN_EVENT_CALLBACK_LIFECYCLE msg: libvirt nests { dom, event,
 * detail } in a struct; flattened here, same bytes */
typedef struct {
    int callbackID;
    CvgWireDomain dom;
    int event;
    int detail;
} CvgRemoteDomainEventCallbackLifecycleMsg;
bool_t xdr_cvg_remote_domain_event_callback_lifecycle_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackLifecycleMsg *a);

/* 319 DOMAIN_EVENT_CALLBACK_REBOOT msg: callbackID, then libvirt's
 * { dom } struct, flattened */
typedef struct {
    int callbackID;
    CvgWireDomain dom;
} CvgRemoteDomainEventCallbackRebootMsg;
bool_t xdr_cvg_remote_domain_event_callback_reboot_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackRebootMsg *a);

/* 350 DOMAIN_DEFINE_XML_FLAGS args */
typedef struct {
    char *xml;
    u_int flags;
} CvgRemoteDomainDefineXmlFlagsArgs;
bool_t xdr_cvg_remote_domain_define_xml_flags_args(
    XDR *xdrs, CvgRemoteDomainDefineXmlFlagsArgs *a);

/* 350 DOMAIN_DEFINE_XML_FLAGS ret */
typedef struct {
    CvgWireDomain dom;
} CvgRemoteDomainDefineXmlFlagsRet;
bool_t xdr_cvg_remote_domain_define_xml_flags_ret(
    XDR *xdrs, CvgRemoteDomainDefineXmlFlagsRet *a);

/* 359 DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION msg */
typedef struct {
    int callbackID;
    CvgWireDomain dom;
    int iteration;
} CvgRemoteDomainEventCallbackMigrationIterationMsg;
bool_t xdr_cvg_remote_domain_event_callback_migration_iteration_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackMigrationIterationMsg *a);

/* 362 CONNECT_EVENT_CONNECTION_CLOSED msg */
typedef struct {
    int reason;
} CvgRemoteConnectEventConnectionClosedMsg;
bool_t xdr_cvg_remote_connect_event_connection_closed_msg(
    XDR *xdrs, CvgRemoteConnectEventConnectionClosedMsg *a);

/* 363 DOMAIN_EVENT_CALLBACK_JOB_COMPLETED msg */
typedef struct {
    int callbackID;
    CvgWireDomain dom;
    CvgWireTypedParams params;
} CvgRemoteDomainEventCallbackJobCompletedMsg;
bool_t xdr_cvg_remote_domain_event_callback_job_completed_msg(
    XDR *xdrs, CvgRemoteDomainEventCallbackJobCompletedMsg *a);

/* 387 DOMAIN_MIGRATE_GET_MAX_DOWNTIME args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainMigrateGetMaxDowntimeArgs;
#define xdr_cvg_remote_domain_migrate_get_max_downtime_args xdr_cvg_remote_domain_flags_args

/* 387 DOMAIN_MIGRATE_GET_MAX_DOWNTIME ret */
typedef struct {
    u_quad_t downtime;
} CvgRemoteDomainMigrateGetMaxDowntimeRet;
bool_t xdr_cvg_remote_domain_migrate_get_max_downtime_ret(
    XDR *xdrs, CvgRemoteDomainMigrateGetMaxDowntimeRet *a);

/* 426 DOMAIN_GET_MESSAGES args; field order per libvirt 9.0 wire */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainGetMessagesArgs;
#define xdr_cvg_remote_domain_get_messages_args xdr_cvg_remote_domain_flags_args

/* 426 DOMAIN_GET_MESSAGES ret; field order per libvirt 9.0 wire */
typedef struct {
    CvgWireStrings msgs;
} CvgRemoteDomainGetMessagesRet;
bool_t xdr_cvg_remote_domain_get_messages_ret(XDR *xdrs,
                                              CvgRemoteDomainGetMessagesRet *a);

/* 442 DOMAIN_ABORT_JOB_FLAGS args */
typedef CvgRemoteDomainFlagsArgs CvgRemoteDomainAbortJobFlagsArgs;
#define xdr_cvg_remote_domain_abort_job_flags_args xdr_cvg_remote_domain_flags_args

/* The procedure's name without prefix ("DOMAIN_GET_INFO"), or "UNKNOWN"
 * for one not defined here.  For logs. */
const char *cvg_remote_procedure_name(int proc);

/*
 * The decoder and struct size for a CALL of @proc: set *ret_proc and
 * *ret_size and return TRUE.  Void args give xdr_cvg_void and 0.  FALSE for
 * procedures not defined here and for event messages (never called).
 */
gboolean cvg_remote_procedure_args(int proc, xdrproc_t *ret_proc,
                                   size_t *ret_size);

/*
 * Likewise for the body of an OK REPLY to @proc (void ret gives
 * xdr_cvg_void and 0), or for an event message procedure, the body of the
 * MESSAGE.  FALSE for procedures not defined here.
 */
gboolean cvg_remote_procedure_ret(int proc, xdrproc_t *ret_proc,
                                  size_t *ret_size);

/* Whether @proc is an event message (sent with type MESSAGE). */
gboolean cvg_remote_procedure_is_message(int proc);
