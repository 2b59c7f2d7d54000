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

int
cvg_dispatch_auth_list(CvgDaemon *d, CvgRpcClient *client,
                       CvgRemoteAuthListRet *ret)
{
    /* What the client's listener asks for: REMOTE_AUTH_NONE (0) where the
     * socket permissions or the client certificate are the check, or
     * REMOTE_AUTH_SASL (1).  An authenticated client is told none is left,
     * as libvirt does. */
    ret->types.types_len = 1;
    ret->types.types_val = g_new0(int, 1);
    if (!cvg_rpc_client_is_authenticated(client))
        ret->types.types_val[0] = cvg_rpc_client_auth_type(client);
    return 0;
}

int
cvg_dispatch_connect_open(CvgDaemon *d, CvgRpcClient *client,
                          const CvgRemoteConnectOpenArgs *args)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);
    const char *name = args->name ? *args->name : NULL;

    /* VIR_CONNECT_RO = 1, VIR_CONNECT_NO_ALIASES = 2 */
    cvg_check_flags(args->flags, 1 | 2, -1);
    if (name && *name && !g_str_has_prefix(name, "qemu:")) {
        cvg_error_report_full(CVG_FROM_REMOTE, CVG_ERR_NO_CONNECT, "%s", name);
        return -1;
    }
    g_mutex_lock(&conn->lock);
    g_free(conn->uri);
    conn->uri = g_strdup(name && *name ? name : "qemu:///system");
    g_mutex_unlock(&conn->lock);
    cvg_rpc_client_set_opened(client, args->flags & 1);
    return 0;
}

/* CONNECT_CLOSE: the client closes the socket next. */
int
cvg_dispatch_connect_close(CvgDaemon *d, CvgRpcClient *client)
{
    return 0;
}

/* The close callback registration needs no state: we report connection
 * close by closing the socket, which the client notices itself. */
int
cvg_dispatch_connect_register_close_callback(CvgDaemon *d, CvgRpcClient *client)
{
    return 0;
}

int
cvg_dispatch_connect_unregister_close_callback(CvgDaemon *d,
                                               CvgRpcClient *client)
{
    return 0;
}

int
cvg_dispatch_connect_supports_feature(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectSupportsFeatureArgs *args,
    CvgRemoteConnectSupportsFeatureRet *ret)
{
    ret->supported = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(supported_features); i++) {
        if (supported_features[i] == args->feature)
            ret->supported = 1;
    }
    return 0;
}

int
cvg_dispatch_connect_get_type(CvgDaemon *d, CvgRpcClient *client,
                              CvgRemoteConnectGetTypeRet *ret)
{
    ret->type = g_strdup("QEMU");
    return 0;
}

int
cvg_dispatch_connect_get_version(CvgDaemon *d, CvgRpcClient *client,
                                 CvgRemoteConnectGetVersionRet *ret)
{
    if (!d->qemu_version) {
        cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                         _("cannot determine the version of '%s'"),
                         d->drv->cfg->qemu_binary);
        return -1;
    }
    ret->hv_ver = d->qemu_version;
    return 0;
}

int
cvg_dispatch_connect_get_lib_version(CvgDaemon *d, CvgRpcClient *client,
                                     CvgRemoteConnectGetLibVersionRet *ret)
{
    ret->lib_ver = CVG_COMPAT_LIB_VERSION;
    return 0;
}

int
cvg_dispatch_connect_get_hostname(CvgDaemon *d, CvgRpcClient *client,
                                  CvgRemoteConnectGetHostnameRet *ret)
{
    ret->hostname = g_strdup(d->drv->hostname);
    return 0;
}

int
cvg_dispatch_connect_get_uri(CvgDaemon *d, CvgRpcClient *client,
                             CvgRemoteConnectGetUriRet *ret)
{
    CvgConnection *conn = cvg_rpc_client_priv(client);

    g_mutex_lock(&conn->lock);
    ret->uri = g_strdup(conn->uri ? conn->uri : "qemu:///system");
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
cvg_dispatch_connect_is_secure(CvgDaemon *d, CvgRpcClient *client,
                               CvgRemoteConnectIsSecureRet *ret)
{
    /* A local UNIX socket cannot be snooped. */
    ret->secure = 1;
    return 0;
}

int
cvg_dispatch_node_get_security_model(CvgDaemon *d, CvgRpcClient *client,
                                     CvgRemoteNodeGetSecurityModelRet *ret)
{
    /* No security driver: empty model and doi, as libvirt's "none". */
    cvg_wire_chars_set(NULL, &ret->model.model_len, &ret->model.model_val);
    cvg_wire_chars_set(NULL, &ret->doi.doi_len, &ret->doi.doi_val);
    return 0;
}

int
cvg_dispatch_connect_num_of_domains(CvgDaemon *d, CvgRpcClient *client,
                                    CvgRemoteConnectNumOfDomainsRet *ret)
{
    g_autoptr(GPtrArray) list = cvg_driver_list(d->drv, 1);

    ret->num = list->len;
    return 0;
}

int
cvg_dispatch_connect_num_of_defined_domains(
    CvgDaemon *d, CvgRpcClient *client,
    CvgRemoteConnectNumOfDefinedDomainsRet *ret)
{
    g_autoptr(GPtrArray) list = cvg_driver_list(d->drv, 2);

    ret->num = list->len;
    return 0;
}

int
cvg_dispatch_connect_list_domains(CvgDaemon *d, CvgRpcClient *client,
                                  const CvgRemoteConnectListDomainsArgs *args,
                                  CvgRemoteConnectListDomainsRet *ret)
{
    g_autoptr(GPtrArray) list = NULL;
    u_int n;

    if (args->maxids < 0 || args->maxids > CVG_RPC_DOMAIN_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("maxids %d out of range"), args->maxids);
        return -1;
    }
    list = cvg_driver_list(d->drv, 1);
    n = MIN(list->len, (guint)args->maxids);
    ret->ids.ids_len = n;
    ret->ids.ids_val = g_new0(int, n + 1);
    for (u_int i = 0; i < n; i++) {
        g_autofree char *name = NULL;
        unsigned char uuid[16];

        cvg_driver_identity(d->drv, g_ptr_array_index(list, i), &name, uuid,
                            &ret->ids.ids_val[i]);
    }
    return 0;
}

int
cvg_dispatch_connect_list_defined_domains(
    CvgDaemon *d, CvgRpcClient *client,
    const CvgRemoteConnectListDefinedDomainsArgs *args,
    CvgRemoteConnectListDefinedDomainsRet *ret)
{
    g_autoptr(GPtrArray) list = NULL;
    u_int n;

    if (args->maxnames < 0 || args->maxnames > CVG_RPC_DOMAIN_LIST_MAX) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC,
                              _("maxnames %d out of range"), args->maxnames);
        return -1;
    }
    list = cvg_driver_list(d->drv, 2);
    n = MIN(list->len, (guint)args->maxnames);
    ret->names.names_len = n;
    ret->names.names_val = g_new0(char *, n + 1);
    for (u_int i = 0; i < n; i++) {
        unsigned char uuid[16];
        int id;

        cvg_driver_identity(d->drv, g_ptr_array_index(list, i),
                            &ret->names.names_val[i], uuid, &id);
    }
    return 0;
}
