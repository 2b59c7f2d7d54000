/*
 * daemon.h: the daemon's shared state and the RPC procedure tables
 */
#pragma once

#include "cvg-server.h"
#include "qemu-driver.h"

typedef struct {
    CvgDriver *drv;
    CvgRpcServer *srv;
    unsigned long long qemu_version;   /* major*1000000+minor*1000+micro */
    GMainLoop *loop;
    guint stop_wait;          /* after SIGTERM: polls guests powering off */
    gint64 stop_deadline;     /* monotonic, for stop_wait; 0 once over */
} CvgDaemon;

/* The one daemon instance; handlers reach the driver through it. */
extern CvgDaemon *cvg_daemon;

/* Per-connection state. */
typedef struct {
    GMutex lock;
    char *uri;                 /* name passed to CONNECT_OPEN */
    GArray *callbacks;         /* CvgEventCallback */
} CvgConnection;

void *cvg_connection_new(CvgRpcClient *client, void *opaque);
void cvg_connection_free(CvgRpcClient *client, void *priv, void *opaque);

/* Procedure tables, one per API area; each file defines its own. */
extern const CvgRpcProcedure cvg_connect_procs[];
extern const size_t cvg_connect_nprocs;
extern const CvgRpcProcedure cvg_domain_procs[];
extern const size_t cvg_domain_nprocs;
extern const CvgRpcProcedure cvg_event_procs[];
extern const size_t cvg_event_nprocs;
extern const CvgRpcProcedure cvg_job_procs[];
extern const size_t cvg_job_nprocs;
extern const CvgRpcProcedure cvg_migration_procs[];
extern const size_t cvg_migration_nprocs;

/* Events from the driver to registered clients. */
void cvg_daemon_emit_event(const CvgDriverEvent *ev, void *opaque);

/* Look up the domain a client names (by uuid, as libvirt does). */
CvgDomainObj *cvg_daemon_get_domain(const CvgWireDomain *wdom);

/* Fill @ret_w with @dom's identity (strings g_malloc'd, freed by xdr_free). */
void cvg_daemon_make_wire_domain(CvgDomainObj *dom, CvgWireDomain *ret_w);

/* The driver, and the referenced domain named by a handler's args (which
 * start with the domain); the handler returns -1 when it is unknown. */
#define DRV (cvg_daemon->drv)
#define GET_DOM(args)                                                        \
    g_autoptr(CvgDomainObj) dom = cvg_daemon_get_domain(&(args)->dom);       \
    if (!dom)                                                                \
        return -1

/* Table-building helpers: the protocol's structs and xdr functions follow
 * one naming scheme, CvgRemote<Name>Args / xdr_cvg_remote_<name>_args. */
#define CVG_PROC_AR(num, fn, Name, name, fl)                                 \
    { num, (xdrproc_t)xdr_cvg_remote_##name##_args,                          \
      sizeof(CvgRemote##Name##Args), (xdrproc_t)xdr_cvg_remote_##name##_ret, \
      sizeof(CvgRemote##Name##Ret), fn, fl, "vir" #Name }
#define CVG_PROC_A(num, fn, Name, name, fl)                                  \
    { num, (xdrproc_t)xdr_cvg_remote_##name##_args,                          \
      sizeof(CvgRemote##Name##Args), (xdrproc_t)xdr_cvg_void, 0, fn, fl,     \
      "vir" #Name }
#define CVG_PROC_R(num, fn, Name, name, fl)                                  \
    { num, (xdrproc_t)xdr_cvg_void, 0,                                       \
      (xdrproc_t)xdr_cvg_remote_##name##_ret,                                \
      sizeof(CvgRemote##Name##Ret), fn, fl, "vir" #Name }
#define CVG_PROC_V(num, fn, fl)                                              \
    { num, (xdrproc_t)xdr_cvg_void, 0, (xdrproc_t)xdr_cvg_void, 0, fn, fl,   \
      NULL }

/* Flags shorthand for the tables. */
#define RO_OK (CVG_RPC_PROC_NEEDS_OPEN | CVG_RPC_PROC_READONLY_OK)
#define RW (CVG_RPC_PROC_NEEDS_OPEN)
