/*
 * cvg-client.h: a synchronous libvirt-protocol client
 *
 * Used by the source daemon in peer-to-peer migration to talk to the
 * destination daemon.  One thread uses a connection at a time; keepalive
 * PINGs from the server are answered while waiting for a reply.
 */
#pragma once

#include "cvg-wire.h"
#include "cvg-transport.h"

typedef struct _CvgRpcConn CvgRpcConn;

/* libvirt's defaults: ports and the system socket qemu+ssh reaches when
 * the URI names none. */
#define CVG_RPC_TLS_PORT "16514"
#define CVG_RPC_TCP_PORT "16509"
#define CVG_RPC_LIBVIRT_SOCKET "/run/libvirt/libvirt-sock"

/* A parsed qemu[+TRANSPORT]://[USER@]HOST[:PORT]/PATH?PARAMS URI. */
typedef struct {
    char *transport; /* "unix", "tcp", "tls" or "ssh" */
    char *user;
    char *host;         /* NULL for the local host */
    char *port;         /* NULL: the transport's default */
    char *path;         /* "/system" */
    char *socket;       /* ?socket=, or for unix the default socket */
    GHashTable *params; /* every query parameter, decoded; may be NULL */
} CvgRpcUri;

/* Parse @uri; unix transports without ?socket= get @default_socket.
 * qemu://HOST/ means TLS, as in libvirt.  NULL reported. */
CvgRpcUri *cvg_rpc_uri_parse(const char *uri, const char *default_socket);
void cvg_rpc_uri_free(CvgRpcUri *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgRpcUri, cvg_rpc_uri_free)
/* A query parameter (?no_verify=1, ?pkipath=DIR, ?keyfile=...) or NULL. */
const char *cvg_rpc_uri_param(const CvgRpcUri *u, const char *name);

/*
 * Connect to @uri: qemu+unix:///system?socket=PATH (or qemu:///system for
 * @default_socket), qemu+tcp://HOST[:PORT]/system, qemu+tls://...,
 * qemu+ssh://[USER@]HOST/system?socket=PATH&keyfile=...&no_verify=1
 * (ssh in batch mode running netcat on the host), authenticate as the
 * server asks and open the connection.  NULL with an error naming the URI
 * on failure.
 */
CvgRpcConn *cvg_rpc_conn_open(const char *uri, const char *default_socket,
                              int timeout_ms);

/* CONNECT_CLOSE (best effort) and free; NULL-safe. */
void cvg_rpc_conn_close(CvgRpcConn *conn);

/*
 * One call of the REMOTE program.  @args is encoded with @args_proc; on an
 * OK reply @ret (zeroed by the caller) is decoded with @ret_proc and must be
 * freed with xdr_free.  An ERROR reply becomes the thread's error (the
 * peer's code and message).  A timeout or broken connection reports
 * OPERATION_FAILED / OPERATION_TIMEOUT; the connection is unusable then.
 */
int cvg_rpc_conn_call(CvgRpcConn *conn, int proc, xdrproc_t args_proc,
                      void *args, xdrproc_t ret_proc, void *ret,
                      int timeout_ms);

/* CONNECT_SUPPORTS_FEATURE: 1, 0, or -1 on error. */
int cvg_rpc_conn_supports_feature(CvgRpcConn *conn, int feature);

/* Is the connection still up (no EOF or error seen)? */
bool_t cvg_rpc_conn_alive(CvgRpcConn *conn);

/* The connection's byte stream (for an authentication layer). */
CvgRpcTransport *cvg_rpc_conn_transport(CvgRpcConn *conn);

/* The auth.conf-format file SASL credentials for peers come from (the
 * daemon's migrate_auth_file); copied.  Default
 * CVG_RPC_DEFAULT_AUTH_FILE. */
#define CVG_RPC_DEFAULT_AUTH_FILE "/etc/convergd/auth.conf"
void cvg_rpc_client_set_auth_file(const char *path);
