/*
 * cvg-transport.h: the byte stream under a libvirt-protocol connection
 *
 * A connection's bytes pass through a stack of layers: at the bottom the
 * socket (UNIX, TCP, or a socketpair to an ssh child), above it optionally
 * TLS, and above that optionally a SASL security layer.  The server and the
 * peer client read and write frames through the top of the stack and never
 * see which layers are there.
 *
 * Every layer follows the non-blocking socket conventions: recv/send return
 * the number of bytes taken or given, 0 on EOF (recv only), or -1 with errno
 * set (EAGAIN when the layer below would block).  A send that returned
 * EAGAIN must be repeated later with the same data (TLS and SASL keep an
 * encoded record between the two calls), which is what the server's output
 * queue and the client's write loop do.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct _CvgRpcTransport CvgRpcTransport;
typedef struct _CvgRpcLayer CvgRpcLayer;

typedef struct {
    const char *name; /* "tls", "sasl": in logs */
    /* Bytes for the layer above; read the layer below with
     * cvg_rpc_layer_recv(below, ...). */
    ssize_t (*recv)(void *data, CvgRpcLayer *below, void *buf, size_t len);
    /* Bytes from the layer above; write the layer below with
     * cvg_rpc_layer_send(below, ...). */
    ssize_t (*send)(void *data, CvgRpcLayer *below, const void *buf,
                    size_t len);
    /* Decoded bytes held that recv returns without reading the layer below
     * (a poll on the socket would not show them).  NULL: none. */
    size_t (*pending)(void *data);
    void (*free)(void *data);
} CvgRpcLayerOps;

/* A transport over the connected socket @fd (owned: closed on free);
 * @local for a UNIX socket or a socketpair.  Nothing is encrypted until a
 * layer says so. */
CvgRpcTransport *cvg_rpc_transport_new(int fd, bool local);
void cvg_rpc_transport_free(CvgRpcTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgRpcTransport, cvg_rpc_transport_free)

/* Put a layer on top (it gets @data, freed with ops->free).  @encrypting:
 * the layer protects what passes through it (TLS, a SASL layer with a
 * security strength > 0). */
void cvg_rpc_transport_push(CvgRpcTransport *t, const CvgRpcLayerOps *ops,
                            void *data, bool encrypting);

/* Through the whole stack. */
ssize_t cvg_rpc_transport_recv(CvgRpcTransport *t, void *buf, size_t len);
ssize_t cvg_rpc_transport_send(CvgRpcTransport *t, const void *buf, size_t len);
/* Bytes any layer holds already decoded. */
size_t cvg_rpc_transport_pending(CvgRpcTransport *t);

int cvg_rpc_transport_fd(CvgRpcTransport *t);
bool cvg_rpc_transport_is_encrypted(CvgRpcTransport *t);
bool cvg_rpc_transport_is_local(CvgRpcTransport *t);
/* Names of the layers, bottom first ("tcp+tls"). */
const char *cvg_rpc_transport_describe(CvgRpcTransport *t);

/* For layer implementations: read or write the layer below (the bottom
 * layer is the socket itself). */
ssize_t cvg_rpc_layer_recv(CvgRpcLayer *below, void *buf, size_t len);
ssize_t cvg_rpc_layer_send(CvgRpcLayer *below, const void *buf, size_t len);
/* The layer on top now: the one a layer pushed next sits on (TLS reads
 * and writes it during its handshake, before its own recv/send run). */
CvgRpcLayer *cvg_rpc_transport_top(CvgRpcTransport *t);
/* The socket under a layer (for poll and for GnuTLS' pull/push). */
int cvg_rpc_layer_fd(CvgRpcLayer *below);
