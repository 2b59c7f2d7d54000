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
    char *os_kernel, *os_initrd, *os_cmdline; /* kernel is required;
                                               * initrd, cmdline may be NULL */
    bool feature_acpi, feature_apic, feature_pae;
    char *clock_offset;                   /* "utc" (default) or "localtime" */
    int on_poweroff, on_reboot, on_crash; /* CvgDomainLifecycleAction;
                                           * defaults destroy/restart/destroy */
    char *emulator; /* <devices><emulator>, may be NULL (daemon default) */
    CvgDomainChr **serials;
    size_t nserials;
    CvgDomainChr **consoles;
    size_t nconsoles;     /* at most one, target 'serial' */
    bool memballoon_none; /* <memballoon model='none'/> was given; there is
                           * never a balloon either way */
} CvgDomainDef;

/* NULL-safe. */
void cvg_domain_chr_free(CvgDomainChr *chr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgDomainChr, cvg_domain_chr_free)

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
