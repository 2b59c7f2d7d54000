/*
 * cvg-client.h: a synchronous libvirt-protocol client
 *
 * Used by the source daemon in peer-to-peer migration to talk to the
 * destination daemon.  One thread uses a connection at a time; keepalive
 * PINGs from the server are answered while waiting for a reply.
 */
#pragma once

#include "cvg-wire.h"

typedef struct _CvgRpcConn CvgRpcConn;

/*
 * Connect to @uri (qemu+unix:///system?socket=PATH, or qemu:///system for
 * the default socket @default_socket), authenticate (none) and open the
 * connection.  NULL with an error naming the URI on failure.
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

/* Extract the socket path from a qemu+unix URI (g_free it), or NULL with
 * ARGUMENT_UNSUPPORTED for transports other than UNIX sockets. */
char *cvg_rpc_uri_socket_path(const char *uri, const char *default_socket);
