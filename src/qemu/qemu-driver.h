/*
 * qemu-driver.h: the domain driver: lifecycle and start-up
 *
 * The top of src/qemu: it creates the driver state (qemu-driver-state.h),
 * loads the domain list (qemu-domain-list.h), starts and stops QEMU
 * (qemu-process.h) and hears what QEMU reports through the process sink,
 * which it passes on to itself (reboots) and to the migration code.
 *
 * Every public function here is called from RPC worker threads, takes the
 * driver lock itself and returns with it released.  Errors are reported with
 * libvirt codes.  Domains are handed out referenced; drop them with
 * cvg_domain_obj_unref().
 */
#pragma once

#include "qemu-domain-job.h"
#include "qemu-domain-list.h"

/* Create the driver: make the state directories, load persistent domains,
 * re-attach running guests recorded in the run directory.  Takes @cfg. */
CvgDriver *cvg_driver_new(CvgDaemonConfig **cfg, CvgDriverEventFunc ev,
                          void *ev_opaque);

/* Stop the QMP thread and free everything.  Running guests keep running. */
void cvg_driver_free(CvgDriver *drv);

/* The domain's name/uuid/id as the RPC layer needs them, read under lock. */
void cvg_driver_identity(CvgDriver *drv, CvgDomainObj *dom, char **ret_name,
                         unsigned char *ret_uuid, int *ret_id);

CvgDomainObj *cvg_driver_define(CvgDriver *drv, const char *xml,
                                unsigned int flags);
int cvg_driver_undefine(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
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
int cvg_driver_suspend(CvgDriver *drv, CvgDomainObj *dom);
int cvg_driver_resume(CvgDriver *drv, CvgDomainObj *dom);
char *cvg_driver_get_xml(CvgDriver *drv, CvgDomainObj *dom, unsigned int flags);
/* The pty of the running @dom's console @dev_name ("console0", "serialN";
 * NULL: the console, else the first serial port), as libvirt finds it for
 * virDomainOpenConsole; NULL reported (not running, no such device, not a
 * pty).  Takes the lock. */
char *cvg_driver_console_path(CvgDriver *drv, CvgDomainObj *dom,
                              const char *dev_name);

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
int cvg_driver_set_autostart(CvgDriver *drv, CvgDomainObj *dom, bool autostart);
