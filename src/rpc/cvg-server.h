/*
 * cvg-server.h: libvirt-protocol RPC server over UNIX and TCP sockets
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
#include "cvg-transport.h"

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
    CVG_RPC_PROC_NEEDS_AUTH = 1 << 3,    /* refused before authentication */
} CvgRpcProcedureFlags;

/* The wire's remote_auth_type values (AUTH_LIST answers one). */
typedef enum {
    CVG_RPC_AUTH_NONE = 0,
    CVG_RPC_AUTH_SASL = 1,
    CVG_RPC_AUTH_POLKIT = 2,
} CvgRpcAuthType;

/*
 * A handshake a listener runs on every new connection before any call is
 * read (TLS).  start() prepares it (it may push a layer on the client's
 * transport) and returns its state, or NULL to drop the client; step() is
 * called on the main thread whenever the socket is ready and returns 1 when
 * done, 0 to be called again when @want (G_IO_IN or G_IO_OUT) is ready, or
 * -1 to drop the client (having logged why).  free() ends the state.
 */
typedef struct {
    void *(*start)(void *opaque, CvgRpcClient *client);
    int (*step)(void *state, GIOCondition *want);
    void (*free)(void *state);
} CvgRpcHandshakeOps;

typedef struct {
    bool readonly; /* clients accepted here are read-only */
    int auth;      /* CvgRpcAuthType: what AUTH_LIST answers */
    const CvgRpcHandshakeOps *handshake; /* NULL: none */
    void *handshake_opaque;
    unsigned int handshake_timeout; /* seconds; 0: none */
} CvgRpcListenerOpts;

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
 * failure the caller keeps it.  @desc names it in logs. */
int cvg_rpc_server_add_fd(CvgRpcServer *srv, int fd, const char *desc,
                          const CvgRpcListenerOpts *opts);

/* Listen on TCP @port of @addr (NULL or "": every address; a host name
 * binds each address it resolves to). */
int cvg_rpc_server_add_tcp(CvgRpcServer *srv, const char *addr,
                           const char *port, const CvgRpcListenerOpts *opts);

/* At most @max clients may be connected and not yet authenticated (TLS
 * handshake or SASL pending); at the limit the server stops accepting until
 * one authenticates or leaves, as libvirt's max_anonymous_clients.  0: no
 * limit. */
void cvg_rpc_server_set_max_anonymous(CvgRpcServer *srv, unsigned int max);

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

/* The client's byte stream (for a handshake or an auth layer). */
CvgRpcTransport *cvg_rpc_client_transport(CvgRpcClient *client);
/* What the client's listener asks (CvgRpcAuthType). */
int cvg_rpc_client_auth_type(CvgRpcClient *client);
bool cvg_rpc_client_is_authenticated(CvgRpcClient *client);
/* Authentication succeeded: every procedure may be called now.
 * @identity (a SASL user name, a certificate DN) goes to logs. */
void cvg_rpc_client_set_authenticated(CvgRpcClient *client,
                                      const char *identity);
/* Who the client is, as far as known (TLS DN, SASL user); may be NULL. */
const char *cvg_rpc_client_identity(CvgRpcClient *client);
void cvg_rpc_client_set_identity(CvgRpcClient *client, const char *identity);
/* Put a layer (a SASL security layer) on the client's stream once the
 * reply to the call being handled now has been written: called by a
 * handler, it applies to everything after its own (OK) reply. */
void cvg_rpc_client_push_layer_after_reply(CvgRpcClient *client,
                                           const CvgRpcLayerOps *ops,
                                           void *data, bool encrypting);
/* Close the connection (after repeated authentication failures): its read
 * watch sees the end and removes it. */
void cvg_rpc_client_close(CvgRpcClient *client);
/* Close the connection once the reply to the call being handled now (OK
 * or error) has been written: the client reads why before the end. */
void cvg_rpc_client_close_after_reply(CvgRpcClient *client);

/* Send an asynchronous MESSAGE (event) of the REMOTE program. 0/-1. */
int cvg_rpc_client_send_event(CvgRpcClient *client, int proc,
                              xdrproc_t body_proc, void *body);

void cvg_rpc_client_ref(CvgRpcClient *client);
void cvg_rpc_client_unref(CvgRpcClient *client);

/* Mark the connection opened by CONNECT_OPEN (read-only if @readonly or if
 * it came in on a read-only socket). */
void cvg_rpc_client_set_opened(CvgRpcClient *client, bool readonly);
bool cvg_rpc_client_is_opened(CvgRpcClient *client);
