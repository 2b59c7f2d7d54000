/*
 * qemu-domain-list.h: the driver's domain list and the domains' files
 *
 * The list is reached only through these functions: lookups hand out
 * referenced domains, one add-or-replace admits a definition, and removal
 * wakes the domain's job waiters.  The files are the persistent config
 * (STATE/qemu/NAME.xml, NAME.autostart) and the status of a running guest
 * (STATE/run/NAME.xml, NAME.status).
 */
#pragma once

#include "qemu-driver-state.h"

/* Lookups (take the lock): a referenced domain, or NULL with NO_DOMAIN. */
CvgDomainObj *cvg_driver_lookup_name(CvgDriver *drv, const char *name);
CvgDomainObj *cvg_driver_lookup_uuid(CvgDriver *drv, const unsigned char *uuid);
CvgDomainObj *cvg_driver_lookup_id(CvgDriver *drv, int id);

/* All domains matching virConnectListAllDomainsFlags @flags (referenced;
 * takes the lock). */
GPtrArray *cvg_driver_list(CvgDriver *drv, unsigned int flags);
/* Every domain, referenced (lock held): walk it while the list changes. */
GPtrArray *cvg_driver_list_locked(CvgDriver *drv);

/* cvg_driver_add_or_replace() flags */
typedef enum {
    /* @def is to run now: an inactive domain's definition is kept as the
     * config for its next boot (otherwise @def becomes the config). */
    CVG_DRIVER_ADD_LIVE = 1 << 0,
    /* Refuse a domain that is active or busy with a job
     * (OPERATION_INVALID). */
    CVG_DRIVER_ADD_CHECK_LIVE = 1 << 1,
} CvgDriverAddFlags;

/*
 * Admit @def (consumed on success) into the list (lock held): a new domain
 * for a new name and uuid, or the domain of the same name and uuid with
 * @def as its live definition (CVG_DRIVER_ADD_LIVE) or its config.  A name
 * or uuid that another domain already uses fails with OPERATION_FAILED, as
 * in libvirt.  Returns the domain, referenced; *@ret_added says whether it
 * is new.  Undo a failed start with cvg_driver_add_undo().
 */
CvgDomainObj *cvg_driver_add_or_replace(CvgDriver *drv, CvgDomainDef **def,
                                        unsigned int flags, bool *ret_added);
/* Undo a CVG_DRIVER_ADD_LIVE admission whose start failed (lock held):
 * drop a new domain, or bring back an inactive one's config. */
void cvg_driver_add_undo(CvgDriver *drv, CvgDomainObj *dom, bool added);
/* Drop @dom from the list (lock held); its job waiters fail with
 * NO_DOMAIN. */
void cvg_driver_remove(CvgDriver *drv, CvgDomainObj *dom);

/* The guest has stopped (lock held): record state and reason, forget the
 * runtime state, drop a transient domain, queue the STOPPED event. */
void cvg_driver_domain_stopped(CvgDriver *drv, CvgDomainObj *dom, int reason,
                               int event_detail);

/* Files (lock held).  Errors are reported with WRITE_FAILED. */
int cvg_driver_save_config(CvgDriver *drv, CvgDomainObj *dom);
/* Remove the persistent config and autostart mark of domain @name. */
void cvg_driver_remove_config(CvgDriver *drv, const char *name);
int cvg_driver_save_autostart(CvgDriver *drv, CvgDomainObj *dom,
                              bool autostart);
int cvg_driver_save_status(CvgDriver *drv, CvgDomainObj *dom);
void cvg_driver_remove_status(CvgDriver *drv, CvgDomainObj *dom);
/* STATE/qemu/NAME SUFFIX and STATE/run/NAME SUFFIX (g_free them). */
char *cvg_driver_config_file(CvgDriver *drv, const char *name,
                             const char *suffix);
char *cvg_driver_run_file(CvgDriver *drv, const char *name, const char *suffix);
/* Write @text to @path atomically, mode 0600. */
int cvg_driver_write_file(const char *path, const char *text);
