/*
 * qemu-graphics.h: the display, the everyday devices and the machine-wide
 * settings on QEMU's command line; VNC ports and channel sockets
 */
#pragma once

#include "daemon-conf.h"
#include "domain-conf.h"

#include <glib.h>
#include <stdbool.h>

/*
 * Before QEMU starts: give @def's VNC display its listen address (the
 * XML's or @cfg's vnc_listen) and port (autoport: the first in @cfg's
 * remote_display_port range that no guest of this daemon holds and that a
 * bind test finds free; a fixed port must not be another guest's), and each
 * channel without a path a socket in @run_dir.  Thread-safe.  Returns 0, or
 * -1 with an error (no port free, fixed port taken, a video card or a
 * custom CPU model that @emulator lacks: CONFIG_UNSUPPORTED).
 */
int cvg_qemu_graphics_prepare(const CvgDaemonConfig *cfg, const char *run_dir,
                              const char *emulator, CvgDomainDef *def);

/* When QEMU is gone: release what cvg_qemu_graphics_prepare() took and
 * forget the runtime data (autoport port, listen address, socket paths). */
void cvg_qemu_graphics_release(CvgDomainDef *def);

/* A running guest re-attached from its status XML holds its port again and
 * its channel sockets in @run_dir are known as the daemon's.  Its listen
 * address stays as the status XML recorded it (given, or the vnc_listen of
 * the daemon that started it); a status XML that does not say takes one
 * equal to @cfg's vnc_listen as the default. */
void cvg_qemu_graphics_reattach(const CvgDaemonConfig *cfg, const char *run_dir,
                                CvgDomainDef *def);

/* @emulator offers -device @device ("qxl-vga"); asked of it once, with
 * "-device help".  True when the emulator lists no devices at all. */
bool cvg_qemu_has_device(const char *emulator, const char *device);

/* @emulator knows -cpu @model (from "-cpu help", asked once).  True when
 * the emulator lists no models at all. */
bool cvg_qemu_has_cpu_model(const char *emulator, const char *model);

/*
 * Append -audiodev, -chardev/-device for channels, inputs, -vnc, sound,
 * video, balloon and rng (-object + -device) to @argv (strings owned by the
 * array's caller, as in cvg_qemu_build_argv()).
 */
void cvg_qemu_command_add_devices(GPtrArray *argv, const CvgDomainDef *def);

/* -cpu, -rtc and the -global settings of timers and <pm>; @kvm: the
 * accelerator is KVM (else TCG). */
void cvg_qemu_command_add_machine_extras(GPtrArray *argv,
                                         const CvgDomainDef *def, bool kvm);

/* The -machine value ("pc,acpi=on,vmport=off,hpet=off"); caller frees. */
char *cvg_qemu_machine_option(const CvgDomainDef *def);

/* The -smp value ("4,sockets=1,cores=2,threads=2"); caller frees. */
char *cvg_qemu_smp_option(const CvgDomainDef *def);
