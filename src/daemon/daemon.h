/*
 * daemon.h: the daemon's shared state and the RPC handlers
 */
#pragma once

#include "cvg-sasl.h"
#include "cvg-server.h"
#include "cvg-tls.h"
#include "qemu-driver.h"
#include "qemu-storage.h"

typedef struct {
    CvgDriver *drv;
    CvgRpcServer *srv;
    unsigned long long qemu_version; /* major*1000000+minor*1000+micro */
    GMainLoop *loop;
    guint stop_wait;      /* after SIGTERM: polls guests powering off */
    gint64 stop_deadline; /* monotonic, for stop_wait; 0 once over */
    int lock_fd;          /* holds STATE_DIR/convergd.lock (daemon-lock.h) */
    guint idle_tick;      /* idle exit and STATUS= (daemon-systemd.h) */
    gint64 busy_at;       /* monotonic: last time anything was going on */
    char *status;         /* the last STATUS= sent */
    bool libvirt_mkdir;   /* made /run/libvirt (daemon-listen.h) */
    bool listen_network;  /* --listen: listen_tls / listen_tcp apply */
    CvgTlsContext *tls;   /* the TLS listener's (daemon-listen.h) */
    CvgStorage *storage;  /* dir storage pools (remote-storage.c) */
} CvgDaemon;

/* The handlers' prototypes and the dispatch table, generated from
 * src/rpc/cvg-remote-protocol.x. */
#include "remote-dispatch.h"

/* Per-connection state. */
typedef struct {
    GMutex lock;
    char *uri;                  /* name passed to CONNECT_OPEN */
    GArray *callbacks;          /* CvgEventCallback */
    CvgSaslSession *sasl;       /* a SASL exchange under way (remote-auth.c) */
    unsigned int auth_failures; /* failed SASL attempts so far */
} CvgConnection;

/* Server callbacks; @opaque is the CvgDaemon. */
void *cvg_connection_new(CvgRpcClient *client, void *opaque);
void cvg_connection_free(CvgRpcClient *client, void *priv, void *opaque);

/* Events from the driver to registered clients. */
void cvg_daemon_emit_event(const CvgDriverEvent *ev, void *opaque);

/* Look up the domain a client names (by uuid, as libvirt does). */
CvgDomainObj *cvg_daemon_get_domain(CvgDaemon *d, const CvgWireDomain *wdom);

/* Fill @ret_w with @dom's identity (strings g_malloc'd, freed by xdr_free). */
void cvg_daemon_make_wire_domain(CvgDaemon *d, CvgDomainObj *dom,
                                 CvgWireDomain *ret_w);

/* The referenced domain named by a handler's args (which start with the
 * domain); the handler returns -1 when it is unknown. */
#define GET_DOM(args)                                                          \
    g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(d, &(args)->dom);      \
    if (!dom)                                                                  \
    return -1
