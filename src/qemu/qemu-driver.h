/*
 * qemu-driver.h: the domain driver: list, persistence and lifecycle
 *
 * Every public function here is called from RPC worker threads, takes the
 * driver lock itself and returns with it released.  Errors are reported with
 * libvirt codes.  Domains are handed out referenced; drop them with
 * cvg_domain_obj_unref().
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
    int event_id;                /* CVG_EVENT_ID_* */
    char *name;
    unsigned char uuid[16];
    int id;
    int event;                   /* lifecycle: CvgLifecycleEvent */
    int detail;
    int iteration;               /* migration iteration */
    CvgTypedParamList *params;   /* job completed: the statistics */
} CvgDriverEvent;

/* Event sink: called without the driver lock held. */
typedef void (*CvgDriverEventFunc)(const CvgDriverEvent *ev, void *opaque);

struct _CvgDriver {
    GMutex lock;
    CvgDaemonConfig *cfg;        /* owned */
    char *config_dir;            /* STATE/qemu: persistent XML */
    char *run_dir;               /* STATE/run: status of running guests */
    char *log_dir;               /* STATE/log: one log per guest */
    GPtrArray *domains;          /* CvgDomainObj*, one ref each */
    int next_id;
    char *hostname;
    unsigned char host_uuid[16];
    int kvm;                     /* use KVM: 1, TCG: 0 */
    GMainContext *mon_ctx;       /* QMP I/O runs here ... */
    GMainLoop *mon_loop;
    GThread *mon_thread;         /* ... in this thread */
    CvgDriverEventFunc event_func;
    void *event_opaque;
    GPtrArray *pending_events;   /* queued under the lock, sent after */
};

/* Create the driver: make the state directories, load persistent domains,
 * re-attach running guests recorded in the run directory.  Takes @cfg. */
CvgDriver *cvg_driver_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev,
                          void *ev_opaque);

/* Stop the QMP thread and free everything.  Running guests keep running. */
void cvg_driver_free(CvgDriver *drv);

/* Lookups: a referenced domain, or NULL with NO_DOMAIN. */
CvgDomainObj *cvg_driver_lookup_name(CvgDriver *drv, const char *name);
CvgDomainObj *cvg_driver_lookup_uuid(CvgDriver *drv,
                                     const unsigned char *uuid);
CvgDomainObj *cvg_driver_lookup_id(CvgDriver *drv, int id);

/* All domains matching virConnectListAllDomainsFlags @flags (referenced). */
GPtrArray *cvg_driver_list(CvgDriver *drv, unsigned int flags);

/* The domain's name/uuid/id as the RPC layer needs them, read under lock. */
void cvg_driver_identity(CvgDriver *drv, CvgDomainObj *dom, char **ret_name,
                         unsigned char *ret_uuid, int *ret_id);

CvgDomainObj *cvg_driver_define(CvgDriver *drv, const char *xml,
                                unsigned int flags);
int cvg_driver_undefine(CvgDriver *drv, CvgDomainObj *dom,
                        unsigned int flags);
int cvg_driver_start(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
CvgDomainObj *cvg_driver_create_xml(CvgDriver *drv, const char *xml,
                                    unsigned int flags);
int cvg_driver_destroy(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
int cvg_driver_shutdown(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
int cvg_driver_reset(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
/*
 * How many running guests are powering off: the power button was pressed
 * for a shutdown (not a reboot) and QEMU still runs, or the guest has
 * powered off and QEMU is exiting.  The daemon waits for them, up to
 * shutdown_timeout, before it exits (docs/daemon.rst).  Takes the lock.
 */
unsigned int cvg_driver_count_powering_off(CvgDriver *drv);
int cvg_driver_reboot(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
/* The guest powered off during a reboot: reset and continue it in a thread
 * of its own (lock held; QEMU paused on the power-off). */
void cvg_driver_fake_reboot_start(CvgDomainObj *dom);
int cvg_driver_suspend(CvgDriver *drv, CvgDomainObj *dom);
int cvg_driver_resume(CvgDriver *drv, CvgDomainObj *dom);
char *cvg_driver_get_xml(CvgDriver *drv, CvgDomainObj *dom,
                         unsigned int flags);

typedef struct {
    int state;
    unsigned long long max_mem_kib;
    unsigned long long memory_kib;
    unsigned int nr_vcpus;
    unsigned long long cpu_time_ns;
} CvgDomainInfo;

int cvg_driver_get_info(CvgDriver *drv, CvgDomainObj *dom,
                        CvgDomainInfo *ret_info);
int cvg_driver_get_state(CvgDriver *drv, CvgDomainObj *dom, int *ret_state,
                         int *ret_reason);
bool cvg_driver_is_active(CvgDriver *drv, CvgDomainObj *dom);
bool cvg_driver_is_persistent(CvgDriver *drv, CvgDomainObj *dom);
int cvg_driver_get_autostart(CvgDriver *drv, CvgDomainObj *dom);
int cvg_driver_set_autostart(CvgDriver *drv, CvgDomainObj *dom,
                             bool autostart);

/* --- used by the process and migration code (lock held unless noted) --- */

/* Wait (lock held, dropped while waiting) until @kind may run on @dom, then
 * own it.  Fails with OPERATION_TIMEOUT after 30 s or OPERATION_INVALID
 * when the domain is gone. */
int cvg_domain_job_begin(CvgDriver *drv, CvgDomainObj *dom, int kind);
void cvg_domain_job_end(CvgDriver *drv, CvgDomainObj *dom);

/* Queue a lifecycle event; sent by cvg_driver_unlock(). */
void cvg_driver_queue_event(CvgDriver *drv, CvgDomainObj *dom, int event,
                            int detail);
/* Queue a MIGRATION_ITERATION or JOB_COMPLETED event (@params copied). */
void cvg_driver_queue_job_event(CvgDriver *drv, CvgDomainObj *dom,
                                int event_id, int iteration,
                                const CvgTypedParamList *params);
void cvg_driver_lock(CvgDriver *drv);
void cvg_driver_unlock(CvgDriver *drv);

/* Save @dom's persistent config / runtime status (lock held). */
int cvg_driver_save_config(CvgDriver *drv, CvgDomainObj *dom);
int cvg_driver_save_status(CvgDriver *drv, CvgDomainObj *dom);
void cvg_driver_remove_status(CvgDriver *drv, CvgDomainObj *dom);

/* Add @dom to the list (lock held); fails with DOM_EXIST on a name or uuid
 * clash. */
int cvg_driver_add(CvgDriver *drv, CvgDomainObj *dom);
/* Drop @dom from the list (lock held). */
void cvg_driver_remove(CvgDriver *drv, CvgDomainObj *dom);

/* The guest has stopped (lock held): record state and reason, forget the
 * runtime state, drop a transient domain, queue the STOPPED event. */
void cvg_driver_domain_stopped(CvgDriver *drv, CvgDomainObj *dom,
                               int reason, int event_detail);
