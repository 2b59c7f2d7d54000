/*
 * remote-connect.c: connection-level procedures
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <string.h>

/* VIR_DRV_FEATURE_* numbers (ABI) */
enum {
    FEATURE_MIGRATION_V1 = 1,
    FEATURE_REMOTE = 2,
    FEATURE_MIGRATION_V2 = 3,
    FEATURE_MIGRATION_P2P = 4,
    FEATURE_MIGRATION_DIRECT = 5,
    FEATURE_MIGRATION_V3 = 6,
    FEATURE_MIGRATE_CHANGE_PROTECTION = 7,
    FEATURE_FD_PASSING = 8,
    FEATURE_TYPED_PARAM_STRING = 9,
    FEATURE_PROGRAM_KEEPALIVE = 10,
    FEATURE_XML_MIGRATABLE = 11,
    FEATURE_MIGRATION_OFFLINE = 12,
    FEATURE_MIGRATION_PARAMS = 13,
    FEATURE_REMOTE_EVENT_CALLBACK = 14,
    FEATURE_REMOTE_CLOSE_CALLBACK = 15,
};

/* What this daemon answers 1 to; everything else (including the old
 * migration protocols and fd passing) is 0, never an error. */
static const int supported_features[] = {
    FEATURE_MIGRATION_P2P,
    FEATURE_MIGRATION_V3,
    FEATURE_MIGRATE_CHANGE_PROTECTION,
    FEATURE_TYPED_PARAM_STRING,
    FEATURE_PROGRAM_KEEPALIVE,
    FEATURE_XML_MIGRATABLE,
    FEATURE_MIGRATION_PARAMS,
    FEATURE_REMOTE_EVENT_CALLBACK,
    FEATURE_REMOTE_CLOSE_CALLBACK,
};

/* The library version we report: the libvirt release whose protocol and
 * behaviour we follow, so version checks in client scripts keep working. */
#define CVG_COMPAT_LIB_VERSION 9000000ULL

static int
auth_list(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteAuthListRet *ret = r;

    ret->types.len = 1;
    ret->types.val = g_new0(int, 1);
    ret->types.val[0] = 0;   /* REMOTE_AUTH_NONE: UNIX socket permissions */
    return 0;
}

static int
connect_open(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectOpenArgs *args = a;
    CvgConnection *conn = cvg_rpc_client_priv(client);
    const char *name = args->name ? *args->name : NULL;

    /* VIR_CONNECT_RO = 1, VIR_CONNECT_NO_ALIASES = 2 */
    cvg_check_flags(args->flags, 1 | 2, -1);
    if (name && *name && !g_str_has_prefix(name, "qemu:")) {
        cvg_error_report_full(CVG_FROM_REMOTE, CVG_ERR_NO_CONNECT,
                              "%s", name);
        return -1;
    }
    g_mutex_lock(&conn->lock);
    g_free(conn->uri);
    conn->uri = g_strdup(name && *name ? name : "qemu:///system");
    g_mutex_unlock(&conn->lock);
    cvg_rpc_client_set_opened(client, args->flags & 1);
    return 0;
}

static int
connect_noop(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    /* CONNECT_CLOSE: the client closes the socket next.  The close
     * callback registration needs no state: we report connection close by
     * closing the socket, which the client notices itself. */
    return 0;
}

static int
supports_feature(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteConnectSupportsFeatureArgs *args = a;
    CvgRemoteConnectSupportsFeatureRet *ret = r;

    ret->supported = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(supported_features); i++) {
        if (supported_features[i] == args->feature)
            ret->supported = 1;
    }
    return 0;
}

static int
get_type(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectGetTypeRet *ret = r;

    ret->type = g_strdup("QEMU");
    return 0;
}

static int
get_version(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectGetVersionRet *ret = r;

    if (!cvg_daemon->qemu_version) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("cannot determine the version of '%s'"),
                         cvg_daemon->drv->cfg->qemu_binary);
        return -1;
    }
    ret->hv_ver = cvg_daemon->qemu_version;
    return 0;
}

static int
get_lib_version(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                void *r)
{
    CvgRemoteConnectGetLibVersionRet *ret = r;

    ret->lib_ver = CVG_COMPAT_LIB_VERSION;
    return 0;
}

static int
get_hostname(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectGetHostnameRet *ret = r;

    ret->hostname = g_strdup(cvg_daemon->drv->hostname);
    return 0;
}

static int
get_uri(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectGetUriRet *ret = r;
    CvgConnection *conn = cvg_rpc_client_priv(client);

    g_mutex_lock(&conn->lock);
    ret->uri = g_strdup(conn->uri ? conn->uri : "qemu:///system");
    g_mutex_unlock(&conn->lock);
    return 0;
}

static int
is_secure(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectIsSecureRet *ret = r;

    /* A local UNIX socket cannot be snooped. */
    ret->secure = 1;
    return 0;
}

static int
security_model(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
               void *r)
{
    CvgRemoteNodeGetSecurityModelRet *ret = r;

    /* No security driver: empty model and doi, as libvirt's "none". */
    cvg_wire_chars_set(&ret->model, NULL);
    cvg_wire_chars_set(&ret->doi, NULL);
    return 0;
}

static int
num_of_domains(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
               void *r)
{
    CvgRemoteConnectNumOfDomainsRet *ret = r;
    g_autoptr(GPtrArray) list = cvg_driver_list(cvg_daemon->drv, 1);

    ret->num = list->len;
    return 0;
}

static int
num_of_defined_domains(CvgRpcClient *client, const CvgRpcHeader *hdr,
                       void *a, void *r)
{
    CvgRemoteConnectNumOfDefinedDomainsRet *ret = r;
    g_autoptr(GPtrArray) list = cvg_driver_list(cvg_daemon->drv, 2);

    ret->num = list->len;
    return 0;
}

static int
list_domains(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a, void *r)
{
    CvgRemoteConnectListDomainsArgs *args = a;
    CvgRemoteConnectListDomainsRet *ret = r;
    g_autoptr(GPtrArray) list = NULL;

    if (args->maxids < 0 || args->maxids > CVG_RPC_DOMAIN_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("maxids %d out of range"), args->maxids);
        return -1;
    }
    list = cvg_driver_list(cvg_daemon->drv, 1);
    ret->ids.len = MIN(list->len, (guint)args->maxids);
    ret->ids.val = g_new0(int, ret->ids.len + 1);
    for (u_int i = 0; i < ret->ids.len; i++) {
        g_autofree char *name = NULL;
        unsigned char uuid[16];

        cvg_driver_identity(cvg_daemon->drv, g_ptr_array_index(list, i),
                            &name, uuid, &ret->ids.val[i]);
    }
    return 0;
}

static int
list_defined_domains(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                     void *r)
{
    CvgRemoteConnectListDefinedDomainsArgs *args = a;
    CvgRemoteConnectListDefinedDomainsRet *ret = r;
    g_autoptr(GPtrArray) list = NULL;

    if (args->maxnames < 0 || args->maxnames > CVG_RPC_DOMAIN_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("maxnames %d out of range"), args->maxnames);
        return -1;
    }
    list = cvg_driver_list(cvg_daemon->drv, 2);
    ret->names.len = MIN(list->len, (guint)args->maxnames);
    ret->names.val = g_new0(char *, ret->names.len + 1);
    for (u_int i = 0; i < ret->names.len; i++) {
        unsigned char uuid[16];
        int id;

        cvg_driver_identity(cvg_daemon->drv, g_ptr_array_index(list, i),
                            &ret->names.val[i], uuid, &id);
    }
    return 0;
}

static int
get_capabilities(CvgRpcClient *client, const CvgRpcHeader *hdr, void *a,
                 void *r)
{
    CvgRemoteConnectGetCapabilitiesRet *ret = r;
    CvgDriver *drv = cvg_daemon->drv;
    char uuid[37];

    cvg_uuid_format(drv->host_uuid, uuid);
    ret->capabilities = g_strdup_printf(
        "<capabilities>\n"
        "  <host>\n"
        "    <uuid>%s</uuid>\n"
        "    <cpu>\n"
        "      <arch>x86_64</arch>\n"
        "    </cpu>\n"
        "    <migration_features>\n"
        "      <live/>\n"
        "      <uri_transports>\n"
        "        <uri_transport>tcp</uri_transport>\n"
        "      </uri_transports>\n"
        "    </migration_features>\n"
        "  </host>\n"
        "  <guest>\n"
        "    <os_type>hvm</os_type>\n"
        "    <arch name='x86_64'>\n"
        "      <wordsize>64</wordsize>\n"
        "      <emulator>%s</emulator>\n"
        "      <domain type='qemu'/>\n"
        "%s"
        "    </arch>\n"
        "  </guest>\n"
        "</capabilities>\n",
        uuid, drv->cfg->qemu_binary,
        drv->kvm ? "      <domain type='kvm'/>\n" : "");
    return 0;
}

const CvgRpcProcedure cvg_connect_procs[] = {
    CVG_PROC_R(CVG_PROC_AUTH_LIST, auth_list, AuthList, auth_list,
               CVG_RPC_PROC_READONLY_OK),
    CVG_PROC_A(CVG_PROC_CONNECT_OPEN, connect_open, ConnectOpen, connect_open,
               CVG_RPC_PROC_READONLY_OK),
    CVG_PROC_V(CVG_PROC_CONNECT_CLOSE, connect_noop, RO_OK),
    CVG_PROC_AR(CVG_PROC_CONNECT_SUPPORTS_FEATURE, supports_feature,
                ConnectSupportsFeature, connect_supports_feature,
                CVG_RPC_PROC_READONLY_OK),
    CVG_PROC_V(CVG_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, connect_noop, RO_OK),
    CVG_PROC_V(CVG_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, connect_noop,
               RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_TYPE, get_type, ConnectGetType,
               connect_get_type, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_VERSION, get_version, ConnectGetVersion,
               connect_get_version, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_LIB_VERSION, get_lib_version,
               ConnectGetLibVersion, connect_get_lib_version, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_HOSTNAME, get_hostname,
               ConnectGetHostname, connect_get_hostname, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_URI, get_uri, ConnectGetUri,
               connect_get_uri, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_IS_SECURE, is_secure, ConnectIsSecure,
               connect_is_secure, RO_OK),
    CVG_PROC_R(CVG_PROC_NODE_GET_SECURITY_MODEL, security_model,
               NodeGetSecurityModel, node_get_security_model, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_GET_CAPABILITIES, get_capabilities,
               ConnectGetCapabilities, connect_get_capabilities, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_NUM_OF_DOMAINS, num_of_domains,
               ConnectNumOfDomains, connect_num_of_domains, RO_OK),
    CVG_PROC_R(CVG_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, num_of_defined_domains,
               ConnectNumOfDefinedDomains, connect_num_of_defined_domains,
               RO_OK),
    CVG_PROC_AR(CVG_PROC_CONNECT_LIST_DOMAINS, list_domains,
                ConnectListDomains, connect_list_domains, RO_OK),
    CVG_PROC_AR(CVG_PROC_CONNECT_LIST_DEFINED_DOMAINS, list_defined_domains,
                ConnectListDefinedDomains, connect_list_defined_domains,
                RO_OK),
};
const size_t cvg_connect_nprocs = G_N_ELEMENTS(cvg_connect_procs);
