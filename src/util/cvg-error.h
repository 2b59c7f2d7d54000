/*
 * cvg-error.h: libvirt-compatible error reporting
 *
 * Every failure is reported once, by the function that detects it, with a
 * libvirt error number (virErrorNumber values, which are ABI) and a whole
 * translated message.  The last error is kept per thread; the RPC layer turns
 * it into the wire error struct.
 */
#pragma once

#include <glib.h>

/* virErrorNumber: the numbers are libvirt's public ABI. */
typedef enum {
    CVG_ERR_OK = 0,
    CVG_ERR_INTERNAL_ERROR = 1,
    CVG_ERR_NO_MEMORY = 2,
    CVG_ERR_NO_SUPPORT = 3,
    CVG_ERR_NO_CONNECT = 5,
    CVG_ERR_INVALID_CONN = 6,
    CVG_ERR_INVALID_DOMAIN = 7,
    CVG_ERR_INVALID_ARG = 8,
    CVG_ERR_OPERATION_FAILED = 9,
    CVG_ERR_XML_ERROR = 27,
    CVG_ERR_DOM_EXIST = 28,
    CVG_ERR_OPERATION_DENIED = 29,
    CVG_ERR_OPEN_FAILED = 30,
    CVG_ERR_READ_FAILED = 31,
    CVG_ERR_PARSE_FAILED = 32,
    CVG_ERR_CONF_SYNTAX = 33,
    CVG_ERR_WRITE_FAILED = 34,
    CVG_ERR_XML_DETAIL = 35,
    CVG_ERR_SYSTEM_ERROR = 38,
    CVG_ERR_RPC = 39,
    CVG_ERR_NO_DOMAIN = 42,
    CVG_ERR_NO_NETWORK = 43,
    CVG_ERR_AUTH_FAILED = 45,
    CVG_ERR_NO_STORAGE_POOL = 49,
    CVG_ERR_NO_STORAGE_VOL = 50,
    CVG_ERR_OPERATION_INVALID = 55,
    CVG_ERR_CONFIG_UNSUPPORTED = 67,
    CVG_ERR_OPERATION_TIMEOUT = 68,
    CVG_ERR_ARGUMENT_UNSUPPORTED = 74,
    CVG_ERR_OPERATION_ABORTED = 78,
    CVG_ERR_MIGRATE_UNSAFE = 81,
    CVG_ERR_OPERATION_UNSUPPORTED = 84,
} CvgErrorCode;

/* virErrorDomain: where an error comes from (ABI values). */
typedef enum {
    CVG_FROM_NONE = 0,
    CVG_FROM_DOM = 6,
    CVG_FROM_RPC = 7,
    CVG_FROM_QEMU = 10,
    CVG_FROM_REMOTE = 13,
    CVG_FROM_STORAGE = 18,
    CVG_FROM_DOMAIN = 20,
} CvgErrorDomain;

typedef struct {
    int code;      /* CvgErrorCode */
    int domain;    /* CvgErrorDomain */
    char *message; /* full text, as virsh prints it after "error: " */
    char *str1;    /* the message prefix format, as libvirtd sends */
    char *str2;    /* the detail text */
} CvgError;

void cvg_error_free(CvgError *err);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgError, cvg_error_free)

/*
 * Report an error in the current thread, replacing any earlier one.
 * @code: CvgErrorCode; the message is prefixed as libvirt does for that code
 * ("invalid argument: ...").  Logged at debug level.
 */
void cvg_error_report_full(int domain, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
#define cvg_error_report(code, ...)                                            \
    cvg_error_report_full(CVG_FROM_QEMU, code, __VA_ARGS__)

/* Report errno @errnum with a message: "<message>: <strerror>". */
void cvg_error_report_system(int errnum, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Set the thread's error to a copy of @err (e.g. one received from a peer). */
void cvg_error_set(const CvgError *err);

/* The thread's last error, or NULL.  Owned by the thread; do not free. */
const CvgError *cvg_error_last(void);

/* A copy of the thread's last error (never NULL: an internal error stands in
 * when nothing was reported). */
CvgError *cvg_error_copy_last(void);

/* Forget the thread's last error. */
void cvg_error_reset(void);

/* The prefix format libvirt uses for @code, e.g. "invalid argument: %s". */
const char *cvg_error_prefix(int code);

/* Refuse flags outside @supported as libvirt does (INVALID_ARG). */
#define cvg_check_flags(flags, supported, retval)                              \
    do {                                                                       \
        unsigned long long unknown_ =                                          \
            (flags) & ~(unsigned long long)(supported);                        \
        if (unknown_) {                                                        \
            cvg_error_report(CVG_ERR_INVALID_ARG,                              \
                             _("unsupported flags (0x%llx) in function %s"),   \
                             unknown_, __func__);                              \
            return retval;                                                     \
        }                                                                      \
    } while (0)
