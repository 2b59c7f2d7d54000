/*
 * domain-parse-priv.h: XML helpers shared by the domain XML parsers
 *
 * Private to src/conf/domain-*.c.  Every cvg_dx_report_* and checking
 * helper reports its error itself (from the "domain config" area) and
 * returns -1; the callers propagate.
 */
#pragma once

#include "domain-conf.h"

#include "cvg-error.h"
#include "cvg-xml.h"

#include <stdbool.h>

/* Errors about domain XML come from libvirt's "domain config" area. */
#define conf_error(code, ...)                                                  \
    cvg_error_report_full(CVG_FROM_DOMAIN, code, __VA_ARGS__)

/* @node is an element named @name without a namespace. */
bool cvg_dx_node_is(xmlNodePtr node, const char *name);

/* @str is in the NULL-terminated @list (which may be NULL). */
bool cvg_dx_str_in(const char *str, const char *const *list);

int cvg_dx_report_unsupported_element(xmlNodePtr node);
int cvg_dx_report_invalid_value(const char *value, xmlNodePtr node);
int cvg_dx_report_invalid_attr(const char *value, const char *attr,
                               xmlNodePtr node);
int cvg_dx_report_unsupported_attr_value(const char *value, const char *attr,
                                         xmlNodePtr node);
int cvg_dx_report_missing_attr(const char *attr, xmlNodePtr node);

/* Refuse any attribute of @node not in the NULL-terminated @allowed. */
int cvg_dx_check_attrs(xmlNodePtr node, const char *const *allowed);

/* Blank text only between children; elements not in @repeatable once. */
int cvg_dx_check_container(xmlNodePtr node, const char *const *repeatable);

/* The text of leaf element @node (attributes in @attrs); caller frees. */
int cvg_dx_leaf_text(xmlNodePtr node, const char *const *attrs, bool trim,
                     char **ret_text);

/* An element that states something by being there, like <readonly/>. */
int cvg_dx_check_empty(xmlNodePtr node, const char *const *attrs);

/* A decimal number without sign; -1 (nothing reported) if not one. */
int cvg_dx_parse_ull(const char *str, unsigned long long *ret_value);

/* A name that becomes part of a QEMU option or a path: letters, digits,
 * '.', '_' and '-', at most @max characters (0: no limit). */
bool cvg_dx_name_is_valid(const char *name, size_t max);

/* An absolute path, as QEMU's working directory is not the client's. */
int cvg_dx_check_path(const char *path, xmlNodePtr node);

/* ---- domain-device.c: disks, controllers, addresses ---- */

/* Parse a <disk> element; NULL with an error reported. */
CvgDomainDisk *cvg_dx_parse_disk(xmlNodePtr node);

/* Parse a <controller> element; NULL with an error reported. */
CvgDomainController *cvg_dx_parse_controller(xmlNodePtr node);

/* Parse an <os><boot dev=> element into the next slot of @def. */
int cvg_dx_parse_os_boot(xmlNodePtr node, CvgDomainDef *def);

/* Checks across disks, controllers and boot settings, after all of
 * <devices>; adds the controllers that disks need and lack (as libvirt
 * does, so the formatted XML shows them). */
int cvg_dx_check_disks(CvgDomainDef *def);

/* Append the disks and controllers of @def as <devices> children. */
void cvg_dx_format_disks(GString *buf, const CvgDomainDef *def);

/* Append the <boot dev=> elements of @def inside <os>. */
void cvg_dx_format_os_boot(GString *buf, const CvgDomainDef *def);

/* Deep copies; never NULL. */
CvgDomainDisk *cvg_dx_disk_copy(const CvgDomainDisk *disk);
CvgDomainController *cvg_dx_controller_copy(const CvgDomainController *ctrl);

/* The controller of @type and @index, or NULL; add one with the default
 * model (as libvirt adds the controllers devices need). */
CvgDomainController *cvg_dx_find_controller(const CvgDomainDef *def, int type,
                                            unsigned int index);
void cvg_dx_add_implicit_controller(CvgDomainDef *def, int type,
                                    unsigned int index);

/* <address>: parse into @addr (replacing it), format at @indent, free the
 * members, deep-copy. */
int cvg_dx_parse_address(xmlNodePtr node, CvgDeviceAddress *addr);
void cvg_dx_format_address(GString *buf, int indent,
                           const CvgDeviceAddress *addr);
void cvg_dx_address_clear(CvgDeviceAddress *addr);
void cvg_dx_address_copy(CvgDeviceAddress *dst, const CvgDeviceAddress *src);

/* ---- domain-net.c: <interface> ---- */

/* Parse an <interface>; @status keeps a generated tap name (vnetN). */
CvgDomainNet *cvg_dx_parse_net(xmlNodePtr node, bool status);

/* Append the interfaces of @def; @live shows generated tap names. */
void cvg_dx_format_nets(GString *buf, const CvgDomainDef *def, bool live);

/* Checks across interfaces (unique MACs and tap names, boot orders). */
int cvg_dx_check_nets(CvgDomainDef *def);

CvgDomainNet *cvg_dx_net_copy(const CvgDomainNet *net);

/* ---- domain-misc.c: graphics, video, input, sound, balloon, rng,
 * channel ---- */

/* Parse one of those <devices> children into @def; @status keeps runtime
 * data (the VNC port, a generated channel path). */
int cvg_dx_parse_misc_device(xmlNodePtr node, CvgDomainDef *def, bool status);

/* Checks across them after all of <devices>; adds what they need and lack
 * (a video card for a display, USB and virtio-serial controllers). */
int cvg_dx_check_misc(CvgDomainDef *def);

/* Any of them in @def (for the empty <devices/>). */
bool cvg_dx_has_misc(const CvgDomainDef *def);

/* Append them as <devices> children; @live shows runtime data, except
 * channel sockets the daemon made with CVG_DOMAIN_XML_MIGRATABLE in @flags;
 * CVG_DOMAIN_XML_STATUS marks a listen address that was vnc_listen. */
void cvg_dx_format_misc(GString *buf, const CvgDomainDef *def, bool live,
                        unsigned int flags);

/* Free the members of @def they own / deep-copy them into @copy (whose
 * scalars are @def's already). */
void cvg_dx_misc_free(CvgDomainDef *def);
void cvg_dx_misc_copy(CvgDomainDef *copy, const CvgDomainDef *def);

/* ---- domain-cpu.c: cpu, clock, pm, features ---- */

int cvg_dx_parse_cpu(xmlNodePtr node, CvgDomainDef *def);
int cvg_dx_parse_clock(xmlNodePtr node, CvgDomainDef *def);
int cvg_dx_parse_pm(xmlNodePtr node, CvgDomainDef *def);
int cvg_dx_parse_features(xmlNodePtr node, CvgDomainDef *def);
/* Checks between <cpu> and <vcpu> (the topology's product). */
int cvg_dx_check_cpu(const CvgDomainDef *def);

/* <features>, <cpu>, <clock> and <pm> at the top level, in that order. */
void cvg_dx_format_features(GString *buf, const CvgDomainDef *def);
void cvg_dx_format_cpu(GString *buf, const CvgDomainDef *def);
void cvg_dx_format_clock(GString *buf, const CvgDomainDef *def);
void cvg_dx_format_pm(GString *buf, const CvgDomainDef *def);

void cvg_dx_cpu_free(CvgDomainDef *def);
void cvg_dx_cpu_copy(CvgDomainDef *copy, const CvgDomainDef *def);
