/*
 * domain-conf.h: domain XML for direct-kernel-boot guests
 *
 * A CvgDomainDef is the parsed form of the libvirt <domain> XML subset that
 * convergd can run: a QEMU/KVM x86_64 guest booted from a kernel image, with
 * serial ports and a console.  Parsing refuses everything it cannot honour
 * instead of dropping it; docs/formatdomain.rst lists the accepted XML.
 */
#pragma once

#include "convergence-conf.h"

#include <glib.h>
#include <stdbool.h>

#define CVG_UUID_LEN 16

/* virDomainXMLFlags values */
typedef enum {
    CVG_DOMAIN_XML_SECURE = 1,     /* accepted; the XML holds no secrets */
    CVG_DOMAIN_XML_INACTIVE = 2,   /* omit runtime-only data */
    CVG_DOMAIN_XML_UPDATE_CPU = 4, /* accepted; there is no <cpu> to update */
    CVG_DOMAIN_XML_MIGRATABLE = 8, /* accepted; output is already portable */
    /* Not a client's flag: the daemon's own status XML, the live XML plus
     * what a restarted daemon must know (a listen address that was the
     * daemon's vnc_listen). */
    CVG_DOMAIN_XML_STATUS = 1 << 16,
} CvgDomainXmlFlags;

typedef enum {
    CVG_DOMAIN_LIFECYCLE_DESTROY,
    CVG_DOMAIN_LIFECYCLE_RESTART,
    CVG_DOMAIN_LIFECYCLE_PRESERVE,
    CVG_DOMAIN_LIFECYCLE_RENAME_RESTART,
    CVG_DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
    CVG_DOMAIN_LIFECYCLE_COREDUMP_RESTART,
    CVG_DOMAIN_LIFECYCLE_LAST
} CvgDomainLifecycleAction;

typedef enum {
    CVG_CHR_TYPE_PTY,
    CVG_CHR_TYPE_FILE,
    CVG_CHR_TYPE_LAST
} CvgChrType;

typedef struct {
    int type;   /* CvgChrType */
    char *path; /* FILE: the file (required, absolute);
                 * PTY: the pty path while running (runtime only,
                 * set by the daemon, may be NULL) */
    int port;   /* target port (ISA serial index 0..3), default 0 */
} CvgDomainChr;

/* <address type=...>: where a device sits on its bus.  Kept as written
 * (names and numbers checked) and formatted back; QEMU places the devices
 * itself, the same way for the same XML, so both ends of a migration agree.
 * Only a drive address's unit (and target) chooses where a disk goes. */
typedef struct {
    char *type;    /* "pci", "drive", "usb", "virtio-serial"; NULL: none */
    char **names;  /* attribute names in the order given (NULL-terminated) */
    char **values; /* their values, same order */
} CvgDeviceAddress;

typedef enum {
    CVG_DISK_TYPE_FILE,
    CVG_DISK_TYPE_BLOCK,
    CVG_DISK_TYPE_LAST
} CvgDiskType;

typedef enum {
    CVG_DISK_DEVICE_DISK,
    CVG_DISK_DEVICE_CDROM,
    CVG_DISK_DEVICE_LAST
} CvgDiskDevice;

typedef enum {
    CVG_DISK_BUS_VIRTIO,
    CVG_DISK_BUS_SATA,
    CVG_DISK_BUS_SCSI,
    CVG_DISK_BUS_IDE,
    CVG_DISK_BUS_LAST
} CvgDiskBus;

typedef enum {
    CVG_DISK_FORMAT_RAW,
    CVG_DISK_FORMAT_QCOW2,
    CVG_DISK_FORMAT_LAST
} CvgDiskFormat;

/* <driver cache=>; DEFAULT: not given (QEMU's writeback). */
typedef enum {
    CVG_DISK_CACHE_DEFAULT,
    CVG_DISK_CACHE_NONE,
    CVG_DISK_CACHE_WRITETHROUGH,
    CVG_DISK_CACHE_WRITEBACK,
    CVG_DISK_CACHE_DIRECTSYNC,
    CVG_DISK_CACHE_UNSAFE,
    CVG_DISK_CACHE_LAST
} CvgDiskCache;

/* <driver discard=>; DEFAULT: not given (QEMU ignores discards). */
typedef enum {
    CVG_DISK_DISCARD_DEFAULT,
    CVG_DISK_DISCARD_UNMAP,
    CVG_DISK_DISCARD_IGNORE,
    CVG_DISK_DISCARD_LAST
} CvgDiskDiscard;

/* <driver io=>; DEFAULT: not given (QEMU's threads). */
typedef enum {
    CVG_DISK_IO_DEFAULT,
    CVG_DISK_IO_THREADS,
    CVG_DISK_IO_NATIVE,
    CVG_DISK_IO_URING,
    CVG_DISK_IO_LAST
} CvgDiskIo;

typedef struct {
    int type;           /* CvgDiskType */
    int device;         /* CvgDiskDevice */
    int format;         /* CvgDiskFormat, default raw */
    int cache;          /* CvgDiskCache */
    int discard;        /* CvgDiskDiscard */
    int io;             /* CvgDiskIo */
    char *source;       /* absolute file or block device; NULL: empty cdrom */
    char *target;       /* "vda", "sdb", "hdc": unique, prefix matching @bus */
    int bus;            /* CvgDiskBus */
    unsigned int index; /* from @target: a=0, b=1, ..., z=25, aa=26 */
    bool readonly;      /* <readonly/>; always set for a cdrom */
    bool shareable;     /* <shareable/> */
    char *serial;       /* <serial>, printable without ',' or NULL */
    unsigned int boot_order; /* <boot order=>, 0 when absent */
    CvgDeviceAddress address;
} CvgDomainDisk;

typedef enum {
    CVG_CONTROLLER_TYPE_SCSI,
    CVG_CONTROLLER_TYPE_SATA,
    CVG_CONTROLLER_TYPE_IDE,
    CVG_CONTROLLER_TYPE_PCI,
    CVG_CONTROLLER_TYPE_USB,
    CVG_CONTROLLER_TYPE_VIRTIO_SERIAL,
    CVG_CONTROLLER_TYPE_LAST
} CvgControllerType;

typedef struct {
    int type;             /* CvgControllerType */
    unsigned int index;   /* unique per type */
    char *model;          /* as given or the default (see domain-device.c) */
    int ports;            /* <controller ports=>, -1 when absent */
    int master_startport; /* USB companion <master startport=>, -1 absent */
    int chassis;          /* pcie-root-port <target chassis=>, -1 absent */
    int port;             /* pcie-root-port <target port=>, -1 absent */
    CvgDeviceAddress address;
} CvgDomainController;

typedef enum {
    CVG_NET_TYPE_USER,
    CVG_NET_TYPE_ETHERNET,
    CVG_NET_TYPE_BRIDGE,
    CVG_NET_TYPE_NETWORK,
    CVG_NET_TYPE_LAST
} CvgNetType;

#define CVG_MAC_LEN 6

/* <interface type='user|ethernet|bridge|network'> */
typedef struct {
    int type;                       /* CvgNetType */
    unsigned char mac[CVG_MAC_LEN]; /* generated (52:54:00:...) if absent */
    char *model;   /* "virtio", "e1000", "e1000e", "rtl8139"; NULL: the
                    * QEMU default (rtl8139), not formatted */
    char *bridge;  /* BRIDGE: <source bridge=>, required.  NETWORK: the
                    * bridge the daemon's networks table gave (runtime) */
    char *network; /* NETWORK: <source network=>, required */
    char *ifname;  /* <target dev=>: the tap.  ETHERNET: required (an
                    * existing tap).  BRIDGE: a given name, or the
                    * daemon's vnetN while running (runtime only) */
    unsigned int boot_order;
    CvgDeviceAddress address;
} CvgDomainNet;

/* <graphics type='vnc'>: a VNC server on the guest's display. */
typedef struct {
    int port;          /* the TCP port; -1 with autoport until the guest runs,
                        * then the daemon's choice (runtime only) */
    bool autoport;     /* autoport='yes' (or port='-1') */
    char *listen;      /* address as given (listen= or <listen address=>), or
                        * NULL: the daemon's vnc_listen */
    char *listen_live; /* the address QEMU listens on (runtime only) */
} CvgDomainGraphics;

typedef enum {
    CVG_VIDEO_VGA,
    CVG_VIDEO_CIRRUS,
    CVG_VIDEO_VIRTIO,
    CVG_VIDEO_QXL,
    CVG_VIDEO_BOCHS,
    CVG_VIDEO_NONE,
    CVG_VIDEO_LAST
} CvgVideoModel;

typedef struct {
    int model;           /* CvgVideoModel */
    unsigned int vram;   /* KiB, 0: not given */
    unsigned int ram;    /* KiB (qxl), 0: not given */
    unsigned int vgamem; /* KiB (qxl), 0: not given */
    unsigned int heads;  /* 0: not given */
    bool primary;        /* primary='yes' */
    CvgDeviceAddress address;
} CvgDomainVideo;

typedef enum {
    CVG_INPUT_TABLET,
    CVG_INPUT_MOUSE,
    CVG_INPUT_KEYBOARD,
    CVG_INPUT_LAST
} CvgInputType;

typedef enum {
    CVG_INPUT_BUS_PS2,
    CVG_INPUT_BUS_USB,
    CVG_INPUT_BUS_VIRTIO,
    CVG_INPUT_BUS_LAST
} CvgInputBus;

typedef struct {
    int type; /* CvgInputType */
    int bus;  /* CvgInputBus */
    CvgDeviceAddress address;
} CvgDomainInput;

typedef enum {
    CVG_SOUND_ICH9,
    CVG_SOUND_ICH6,
    CVG_SOUND_AC97,
    CVG_SOUND_LAST
} CvgSoundModel;

typedef struct {
    int model; /* CvgSoundModel; QEMU gets audiodev none */
    CvgDeviceAddress address;
} CvgDomainSound;

typedef enum {
    CVG_RNG_BACKEND_RANDOM,
    CVG_RNG_BACKEND_BUILTIN,
    CVG_RNG_BACKEND_LAST
} CvgRngBackend;

/* <rng model='virtio'> */
typedef struct {
    int backend;  /* CvgRngBackend */
    char *source; /* RANDOM: the device, default /dev/urandom */
    unsigned long long rate_bytes;  /* <rate bytes=>, 0: none */
    unsigned long long rate_period; /* <rate period=> ms, 0: none */
    CvgDeviceAddress address;
} CvgDomainRng;

/* <channel type='unix'> with a virtio target (the guest agent's). */
typedef struct {
    char *path;        /* the socket; NULL until the daemon makes one up */
    bool path_auto;    /* @path was made up by the daemon (runtime only) */
    char *target_name; /* "org.qemu.guest_agent.0" */
    CvgDeviceAddress address;
} CvgDomainChannel;

typedef enum {
    CVG_BALLOON_ABSENT, /* no <memballoon>: no balloon */
    CVG_BALLOON_VIRTIO,
    CVG_BALLOON_NONE,
    CVG_BALLOON_LAST
} CvgBalloonModel;

/* An on/off attribute that may be absent. */
typedef enum {
    CVG_TRISTATE_ABSENT,
    CVG_TRISTATE_YES,
    CVG_TRISTATE_NO,
    CVG_TRISTATE_LAST
} CvgTristate;

typedef enum {
    CVG_CPU_MODE_NONE, /* no <cpu> or no mode: QEMU's default model */
    CVG_CPU_MODE_CUSTOM,
    CVG_CPU_MODE_HOST_MODEL,
    CVG_CPU_MODE_HOST_PASSTHROUGH,
    CVG_CPU_MODE_MAXIMUM,
    CVG_CPU_MODE_LAST
} CvgCpuMode;

/* <cpu><feature policy= name=> */
typedef struct {
    char *name;
    bool enable;  /* policy require/force: on; disable/forbid: off */
    char *policy; /* as given */
} CvgCpuFeature;

typedef struct {
    int mode;         /* CvgCpuMode */
    bool present;     /* a <cpu> element was given */
    char *match;      /* custom: "exact", "minimum", "strict" or NULL */
    char *check;      /* "none", "partial", "full" or NULL */
    char *migratable; /* "on", "off" or NULL */
    char *model;      /* custom: the QEMU CPU model */
    char *fallback;   /* <model fallback=>, NULL when absent */
    unsigned int sockets, dies, cores, threads; /* <topology>, 0: absent */
    CvgCpuFeature *features;
    size_t nfeatures;
} CvgDomainCpu;

/* <clock><timer name= tickpolicy= present=> */
typedef struct {
    char *name;       /* rtc, pit, hpet, kvmclock, tsc, hypervclock */
    char *tickpolicy; /* delay, catchup, merge, discard or NULL */
    int present;      /* CvgTristate */
} CvgDomainTimer;

/* <os><boot dev=> values, in QEMU's -boot order letters. */
typedef enum {
    CVG_BOOT_DEV_HD,
    CVG_BOOT_DEV_CDROM,
    CVG_BOOT_DEV_NETWORK,
    CVG_BOOT_DEV_FD,
    CVG_BOOT_DEV_LAST
} CvgBootDev;
#define CVG_MAX_BOOT_DEVS 4

typedef struct {
    char *virt_type;                  /* <domain type='qemu'|'kvm'> */
    char *name;                       /* non-empty, no '/' */
    unsigned char uuid[CVG_UUID_LEN]; /* generated when absent */
    char *title, *description;        /* NULL when absent or empty */
    char *metadata; /* the <metadata> element serialized verbatim
                     * (including the <metadata> tags), or NULL */
    CvgConvergenceSettings convergence;    /* the <convergd:migration>
                                            * metadata, validated; only
                                            * attributes given are marked */
    unsigned long long memory_kib;         /* <memory>, converted to KiB */
    unsigned long long current_memory_kib; /* <currentMemory>, defaults to
                                            * (and is clamped to) memory_kib */
    unsigned int vcpus;                    /* <vcpu>, 1..255, default 1 */
    char *os_type;                         /* "hvm" */
    char *os_arch;    /* "x86_64" (the default and only value) */
    char *os_machine; /* may be NULL -> QEMU default ("pc"); kept as given */
    char *os_kernel, *os_initrd, *os_cmdline; /* each may be NULL; no
                                               * kernel: firmware boots */
    int boot_devs[CVG_MAX_BOOT_DEVS];         /* <os><boot dev=>, CvgBootDev */
    size_t nboot_devs;                        /* 0: none given */
    bool feature_acpi, feature_apic, feature_pae;
    char *clock_offset;                   /* "utc" (default) or "localtime" */
    int on_poweroff, on_reboot, on_crash; /* CvgDomainLifecycleAction;
                                           * defaults destroy/restart/destroy */
    char *emulator; /* <devices><emulator>, may be NULL (daemon default) */
    CvgDomainChr **serials;
    size_t nserials;
    CvgDomainChr **consoles;
    size_t nconsoles; /* at most one, target 'serial' */
    CvgDomainDisk **disks;
    size_t ndisks;
    CvgDomainController **controllers;
    size_t ncontrollers;
    CvgDomainNet **nets;
    size_t nnets;
    int memballoon; /* CvgBalloonModel */
    CvgDeviceAddress balloon_address;
    CvgDomainGraphics **graphics; /* VNC only, at most one */
    size_t ngraphics;
    CvgDomainVideo **videos;
    size_t nvideos;
    CvgDomainInput **inputs;
    size_t ninputs;
    CvgDomainSound **sounds;
    size_t nsounds;
    CvgDomainRng **rngs;
    size_t nrngs;
    CvgDomainChannel **channels;
    size_t nchannels;
    CvgDomainCpu cpu;        /* <cpu>; mode NONE when absent */
    CvgDomainTimer **timers; /* <clock><timer> */
    size_t ntimers;
    int pm_suspend_to_mem; /* CvgTristate of <pm> */
    int pm_suspend_to_disk;
    int feature_vmport; /* CvgTristate of <vmport state=> */
} CvgDomainDef;

/* NULL-safe. */
void cvg_domain_chr_free(CvgDomainChr *chr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainChr, cvg_domain_chr_free)

/* NULL-safe. */
void cvg_domain_disk_free(CvgDomainDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainDisk, cvg_domain_disk_free)

/* NULL-safe. */
void cvg_domain_controller_free(CvgDomainController *ctrl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainController, cvg_domain_controller_free)

/* NULL-safe. */
void cvg_domain_net_free(CvgDomainNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainNet, cvg_domain_net_free)

/* NULL-safe. */
void cvg_domain_graphics_free(CvgDomainGraphics *gfx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainGraphics, cvg_domain_graphics_free)

/* The VNC server of @def, or NULL. */
CvgDomainGraphics *cvg_domain_def_vnc(const CvgDomainDef *def);

/* The interface whose tap is @name or whose MAC is @name, or NULL. */
CvgDomainNet *cvg_domain_def_find_net(const CvgDomainDef *def,
                                      const char *name);

/* "52:54:00:12:34:56" into @out (18 bytes). */
void cvg_mac_format(const unsigned char mac[CVG_MAC_LEN], char out[18]);

/* The disk with target @target ("vda") or source path @target, or NULL. */
CvgDomainDisk *cvg_domain_def_find_disk(const CvgDomainDef *def,
                                        const char *target);

/* NULL-safe. */
void cvg_domain_def_free(CvgDomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainDef, cvg_domain_def_free)

/* Flags of cvg_domain_def_parse_string(). */
typedef enum {
    /* The XML is the daemon's own live (status) XML: keep the pty paths.
     * Never for XML from clients or from a migration source. */
    CVG_DOMAIN_DEF_PARSE_STATUS = 1 << 0,
} CvgDomainDefParseFlags;

/*
 * Parse domain XML.  @flags: CvgDomainDefParseFlags, normally 0.
 * Runtime-only data in the input (the root id, pty paths, device aliases)
 * is accepted and ignored.
 * Returns a new definition (caller frees), or NULL with an error reported:
 * XML_DETAIL for XML that is not well-formed, XML_ERROR for missing or
 * invalid values, CONFIG_UNSUPPORTED for anything convergd cannot honour.
 */
CvgDomainDef *cvg_domain_def_parse_string(const char *xml, unsigned int flags);

/*
 * Format @def as XML ending in a newline (caller frees).  With @id >= 0 and
 * without CVG_DOMAIN_XML_INACTIVE the live XML is produced: id='N' on the
 * root and the pty paths.  A pty console without its own path shows the path
 * of the serial port it targets.  Returns NULL with INVALID_ARG for unknown
 * @flags.
 */
char *cvg_domain_def_format(const CvgDomainDef *def, int id,
                            unsigned int flags);

/* A deep copy including runtime data; never NULL for a non-NULL @def. */
CvgDomainDef *cvg_domain_def_copy(const CvgDomainDef *def);

/* Write the 36-character dashed lowercase form of @uuid and a NUL to @out. */
void cvg_uuid_format(const unsigned char uuid[CVG_UUID_LEN], char out[37]);

/*
 * Parse 32 hex digits, with or without dashes between digit pairs, with
 * optional surrounding whitespace.  Returns 0 and fills @uuid, or -1 (no
 * error reported, @uuid untouched).
 */
int cvg_uuid_parse(const char *str, unsigned char uuid[CVG_UUID_LEN]);

/* Fill @uuid with a random (version 4) UUID. */
void cvg_uuid_generate(unsigned char uuid[CVG_UUID_LEN]);

/* The XML name of a CvgDomainLifecycleAction, or NULL if out of range. */
const char *cvg_domain_lifecycle_action_to_string(int action);

/* The CvgDomainLifecycleAction named @str, or -1. */
int cvg_domain_lifecycle_action_from_string(const char *str);

/* The XML name of a CvgChrType ("pty", "file"), or NULL if out of range. */
const char *cvg_chr_type_to_string(int type);

/* XML names of the disk enums, or NULL if out of range (or DEFAULT). */
const char *cvg_disk_type_to_string(int type);
const char *cvg_disk_device_to_string(int device);
const char *cvg_disk_bus_to_string(int bus);
const char *cvg_disk_format_to_string(int format);
const char *cvg_disk_cache_to_string(int cache);
const char *cvg_disk_discard_to_string(int discard);
const char *cvg_disk_io_to_string(int io);
const char *cvg_controller_type_to_string(int type);
const char *cvg_net_type_to_string(int type);
const char *cvg_video_model_to_string(int model);
const char *cvg_input_type_to_string(int type);
const char *cvg_input_bus_to_string(int bus);
const char *cvg_sound_model_to_string(int model);
const char *cvg_cpu_mode_to_string(int mode);
