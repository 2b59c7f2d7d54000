/*
 * qemu-driver-state.h: the driver's shared state, its lock and its event
 * queue
 *
 * The lowest layer of the driver: everything above (the job API, the
 * domain list, the process, migration and the public driver API) reaches
 * the driver through this struct.  One lock (CvgDriver.lock) protects the
 * struct, the list and every field of every domain object.
 */
#pragma once

#include "daemon-conf.h"
#include "qemu-domain.h"

/* virDomainEventID values of the events the driver produces */
enum {
    CVG_EVENT_ID_LIFECYCLE = 0,
    CVG_EVENT_ID_REBOOT = 1,
    CVG_EVENT_ID_MIGRATION_ITERATION = 20,
    CVG_EVENT_ID_JOB_COMPLETED = 21,
};

typedef struct {
    int event_id; /* CVG_EVENT_ID_* */
    char *name;
    unsigned char uuid[16];
    int id;
    int event; /* lifecycle: CvgLifecycleEvent */
    int detail;
    int iteration;             /* migration iteration */
    CvgTypedParamList *params; /* job completed: the statistics */
} CvgDriverEvent;

/* Event sink: called without the driver lock held. */
typedef void (*CvgDriverEventFunc)(const CvgDriverEvent *ev, void *opaque);

/* What QEMU processes report to the layers above them (qemu-process.h). */
typedef struct _CvgProcessSink CvgProcessSink;

struct _CvgDriver {
    GMutex lock;
    CvgDaemonConfig *cfg; /* owned */
    char *config_dir;     /* STATE/qemu: persistent XML */
    char *run_dir;        /* STATE/run: status of running guests */
    char *log_dir;        /* STATE/log: one log per guest */
    GPtrArray *domains;   /* CvgDomainObj*, one ref each, in the order
                           * they were added; only qemu-domain-list.c
                           * touches it and the two indexes below */
    GHashTable *by_name;  /* name -> CvgDomainObj* of domains (borrowed) */
    GHashTable *by_uuid;  /* 16-byte uuid -> CvgDomainObj* (borrowed) */
    int next_id;
    char *hostname;
    unsigned char host_uuid[16];
    int kvm;               /* use KVM: 1, TCG: 0 */
    GMainContext *mon_ctx; /* QMP I/O runs here ... */
    GMainLoop *mon_loop;
    GThread *mon_thread; /* ... in this thread */
    CvgDriverEventFunc event_func;
    void *event_opaque;
    GPtrArray *pending_events;          /* queued under the lock, sent after */
    const CvgProcessSink *process_sink; /* set by cvg_driver_new() */
};

/* Allocate the state: lock, directories' names, empty list and queue.
 * Takes @cfg.  Nothing is created on disk. */
CvgDriver *cvg_driver_state_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev,
                                void *ev_opaque);
/* Free what cvg_driver_state_new() allocated (the list must be empty). */
void cvg_driver_state_free(CvgDriver *drv);

void cvg_driver_lock(CvgDriver *drv);
/* Drop the lock, then deliver the events queued while it was held. */
void cvg_driver_unlock(CvgDriver *drv);

/* Queue a lifecycle event (lock held); sent by cvg_driver_unlock(). */
void cvg_driver_queue_event(CvgDriver *drv, CvgDomainObj *dom, int event,
                            int detail);
/* Queue a MIGRATION_ITERATION or JOB_COMPLETED event (@params copied). */
void cvg_driver_queue_job_event(CvgDriver *drv, CvgDomainObj *dom, int event_id,
                                int iteration, const CvgTypedParamList *params);
/* Forget the events queued so far (lock held): nobody listens yet. */
void cvg_driver_drop_events(CvgDriver *drv);
