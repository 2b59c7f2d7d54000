/*
 * cvg-server.h: libvirt-protocol RPC server over UNIX sockets
 *
 * The listening sockets and client reads run on the default GMainContext.
 * Each decoded CALL is handed to a worker thread pool, so a long call (a
 * migration) never blocks other calls on the same connection or on other
 * connections; replies are written by the worker under the client's write
 * lock and may leave out of order (clients match them by serial).
 */
#pragma once

#include "cvg-wire.h"
#include "cvg-error.h"

#include <stdbool.h>

typedef struct _CvgRpcServer CvgRpcServer;
typedef struct _CvgRpcClient CvgRpcClient;

/*
 * A procedure handler.  @opaque is the server's (cvg_rpc_server_new()),
 * @args the decoded argument struct (zeroed and decoded by the server),
 * @ret a zeroed result struct to fill.  Return 0 to send @ret, or -1 to
 * send the thread's last error.  The daemon's handlers are typed; the
 * table generated from cvg-remote-protocol.x wraps each in one of these.
 */
typedef int (*CvgRpcHandler)(void *opaque, CvgRpcClient *client,
                             const void *args, void *ret);

typedef struct {
    int proc;
    xdrproc_t args_proc; /* CVG_XDR_VOID for none */
    size_t args_size;
    xdrproc_t ret_proc; /* CVG_XDR_VOID for none */
    size_t ret_size;
    CvgRpcHandler handler;
    unsigned int flags; /* CvgRpcProcedureFlags */
    const char *api;    /* "virDomainCreate": named in refusals */
} CvgRpcProcedure;

typedef enum {
    CVG_RPC_PROC_NEEDS_OPEN = 1 << 0,    /* refused before CONNECT_OPEN */
    CVG_RPC_PROC_READONLY_OK = 1 << 1,   /* allowed on read-only connections */
    CVG_RPC_PROC_HIGH_PRIORITY = 1 << 2, /* never waits for a job (not used
                                          * for scheduling yet) */
} CvgRpcProcedureFlags;

typedef struct {
    /* A new connection was accepted; returns the per-client private data. */
    void *(*client_new)(CvgRpcClient *client, void *opaque);
    /* The connection is gone (EOF, error, shutdown); free private data. */
    void (*client_closed)(CvgRpcClient *client, void *priv, void *opaque);
} CvgRpcServerCallbacks;

/*
 * Create a server dispatching with @procs (sorted or not; @nprocs entries,
 * borrowed for the server's lifetime).  @max_workers bounds the thread pool.
 * @opaque is passed to every handler and callback.
 */
CvgRpcServer *cvg_rpc_server_new(const CvgRpcProcedure *procs, size_t nprocs,
                                 unsigned int max_workers,
                                 const CvgRpcServerCallbacks *cb, void *opaque);

/* Listen on a UNIX socket at @path (an existing stale socket is replaced),
 * chmod to @mode.  Clients accepted there are read-only if @readonly. */
int cvg_rpc_server_add_unix(CvgRpcServer *srv, const char *path,
                            unsigned int mode, bool readonly);

/* Serve @fd, a socket already bound and listening (inherited through
 * socket activation).  On success the server owns @fd and closes it in
 * cvg_rpc_server_free(), leaving the socket file to whoever bound it; on
 * failure the caller keeps it.  @desc names it in logs.  Clients accepted
 * there are read-only if @readonly. */
int cvg_rpc_server_add_fd(CvgRpcServer *srv, int fd, const char *desc,
                          bool readonly);

/* Ping clients that ping us (they run an event loop) after @interval
 * seconds of silence, and drop them after @count unanswered pings: their
 * calls end and the daemon cleans up what they left.  0 turns it off. */
void cvg_rpc_server_set_keepalive(CvgRpcServer *srv, unsigned int interval,
                                  unsigned int count);

/* Stop listening, close every client, wait for running calls; free. */
void cvg_rpc_server_free(CvgRpcServer *srv);

/* Number of connected clients. */
unsigned int cvg_rpc_server_nclients(CvgRpcServer *srv);

/* Apply @fn to every connected client (under the server lock: @fn must not
 * call back into the server except cvg_rpc_client_send*). */
void cvg_rpc_server_foreach_client(CvgRpcServer *srv,
                                   void (*fn)(CvgRpcClient *c, void *priv,
                                              void *data),
                                   void *data);

/* Per-client accessors. */
void *cvg_rpc_client_priv(CvgRpcClient *client);
bool cvg_rpc_client_is_readonly(CvgRpcClient *client);
/* A peer credential description ("pid=N uid=N") for logs. */
const char *cvg_rpc_client_describe(CvgRpcClient *client);

/* Send an asynchronous MESSAGE (event) of the REMOTE program. 0/-1. */
int cvg_rpc_client_send_event(CvgRpcClient *client, int proc,
                              xdrproc_t body_proc, void *body);

void cvg_rpc_client_ref(CvgRpcClient *client);
void cvg_rpc_client_unref(CvgRpcClient *client);

/* Mark the connection opened by CONNECT_OPEN (read-only if @readonly or if
 * it came in on a read-only socket). */
void cvg_rpc_client_set_opened(CvgRpcClient *client, bool readonly);
bool cvg_rpc_client_is_opened(CvgRpcClient *client);
