/*
 * qemu-process.h: starting, stopping and re-attaching QEMU processes
 */
#pragma once

#include "qemu-driver-state.h"
#include "qemu-monitor.h"
#include "cvg-json.h"

/*
 * What QEMU processes report to the layers above (the driver and the
 * migration code), which the process code does not know: the driver sets
 * its sink in CvgDriver.process_sink.  Every call runs with the driver lock
 * held, from whichever thread noticed (the QMP thread for events).
 */
struct _CvgProcessSink {
    /* QEMU is gone, on its own (@reason CRASHED or SHUTDOWN) or because we
     * stopped it: record the stop with @reason / @event_detail. */
    void (*stopped)(CvgDriver *drv, CvgDomainObj *dom, int reason,
                    int event_detail, void *opaque);
    /* The guest powered off while a reboot was pending: QEMU paused
     * instead of exiting and waits to be reset. */
    void (*reboot_shutdown)(CvgDriver *drv, CvgDomainObj *dom, void *opaque);
    /* QEMU's MIGRATION or MIGRATION_PASS event (@data may be NULL). */
    void (*migration_event)(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                            json_object *data, void *opaque);
    void *opaque;
};

/* What a domain's monitor does with QEMU's events and its going away
 * (exposed for tests that stand a scripted QEMU in for the real one). */
extern const CvgQmpCallbacks cvg_qemu_process_monitor_callbacks;

/* virDomainCreateFlags we honour */
#define CVG_START_PAUSED 1

/*
 * Start QEMU for @dom (driver lock and a MODIFY job held; the lock is dropped
 * while QEMU starts).  @incoming: NULL for a normal boot, or a migration
 * listen URI ("defer" keeps QEMU waiting for migrate-incoming).  On success
 * the domain is running (or paused with CVG_START_PAUSED, or waiting for
 * incoming migration), has an id, a monitor and a status file.  On failure
 * nothing is left running and the error names what went wrong, with the
 * tail of QEMU's log when QEMU itself failed.
 */
int cvg_qemu_process_start(CvgDriver *drv, CvgDomainObj *dom,
                           unsigned int flags, const char *incoming);

/*
 * Kill QEMU (lock and job held; the lock is dropped while waiting for the
 * process to go) and record the stop with @reason / @event_detail.
 */
void cvg_qemu_process_stop(CvgDriver *drv, CvgDomainObj *dom, int reason,
                           int event_detail);

/* Re-attach a guest found in the run directory (lock held).  -1 when QEMU is
 * gone or unreachable; the caller then records it as crashed. */
int cvg_qemu_process_reconnect(CvgDriver *drv, CvgDomainObj *dom);

/* Build QEMU's argument vector (exposed for tests). */
GStrv cvg_qemu_build_argv(const CvgDomainDef *def, const char *emulator,
                          bool kvm, const char *qmp_path, const char *incoming);

/* Run a QMP command on @dom's monitor, dropping the driver lock while
 * waiting (lock and a job held by the caller).  Fails with
 * OPERATION_INVALID when the domain has no monitor. */
int cvg_qemu_monitor_command(CvgDriver *drv, CvgDomainObj *dom, const char *cmd,
                             json_object *args, json_object **ret_reply);
