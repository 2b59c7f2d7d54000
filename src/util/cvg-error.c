/*
 * cvg-error.c: libvirt-compatible error reporting
 */
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <string.h>

static GPrivate last_error = G_PRIVATE_INIT((GDestroyNotify)cvg_error_free);

void
cvg_error_free(CvgError *err)
{
    if (!err)
        return;
    g_free(err->message);
    g_free(err->str1);
    g_free(err->str2);
    g_free(err);
}

const char *
cvg_error_prefix(int code)
{
    /* These mirror the message forms libvirt clients print, so scripts that
     * match on them keep working. */
    switch ((CvgErrorCode)code) {
    case CVG_ERR_INTERNAL_ERROR:
        return _("internal error: %s");
    case CVG_ERR_NO_SUPPORT:
        return _("this function is not supported by the connection driver: %s");
    case CVG_ERR_INVALID_ARG:
        return _("invalid argument: %s");
    case CVG_ERR_OPERATION_FAILED:
        return _("operation failed: %s");
    case CVG_ERR_XML_ERROR:
        return _("XML error: %s");
    case CVG_ERR_DOM_EXIST:
        return _("operation failed: %s");
    case CVG_ERR_OPERATION_DENIED:
        return _("operation forbidden: %s");
    case CVG_ERR_XML_DETAIL:
        return _("XML error: %s");
    case CVG_ERR_CONF_SYNTAX:
        return _("configuration file syntax error: %s");
    case CVG_ERR_RPC:
        return _("RPC error: %s");
    case CVG_ERR_NO_DOMAIN:
        return _("Domain not found: %s");
    case CVG_ERR_NO_NETWORK:
        return _("Network not found: %s");
    case CVG_ERR_AUTH_FAILED:
        return _("authentication failed: %s");
    case CVG_ERR_NO_STORAGE_POOL:
        return _("Storage pool not found: %s");
    case CVG_ERR_NO_STORAGE_VOL:
        return _("Storage volume not found: %s");
    case CVG_ERR_OPERATION_INVALID:
        return _("Requested operation is not valid: %s");
    case CVG_ERR_CONFIG_UNSUPPORTED:
        return _("unsupported configuration: %s");
    case CVG_ERR_OPERATION_TIMEOUT:
        return _("Timed out during operation: %s");
    case CVG_ERR_ARGUMENT_UNSUPPORTED:
        return _("argument unsupported: %s");
    case CVG_ERR_OPERATION_ABORTED:
        return _("operation aborted: %s");
    case CVG_ERR_MIGRATE_UNSAFE:
        return _("Unsafe migration: %s");
    case CVG_ERR_OPERATION_UNSUPPORTED:
        return _("Operation not supported: %s");
    case CVG_ERR_NO_CONNECT:
        return _("no connection driver available for %s");
    case CVG_ERR_OPEN_FAILED:
        return _("cannot open %s");
    case CVG_ERR_READ_FAILED:
        return _("cannot read %s");
    case CVG_ERR_WRITE_FAILED:
        return _("cannot write %s");
    case CVG_ERR_PARSE_FAILED:
        return _("failed to parse %s");
    case CVG_ERR_OK:
    case CVG_ERR_NO_MEMORY:
    case CVG_ERR_INVALID_CONN:
    case CVG_ERR_INVALID_DOMAIN:
    case CVG_ERR_SYSTEM_ERROR:
        break;
    }
    return "%s";
}

static void
error_store(int domain, int code, char *detail)
{
    CvgError *err = g_new0(CvgError, 1);

    err->code = code;
    err->domain = domain;
    err->str1 = g_strdup(cvg_error_prefix(code));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    err->message = g_strdup_printf(err->str1, detail);
#pragma GCC diagnostic pop
    err->str2 = detail;
    g_debug("error %d: %s", code, err->message);
    g_private_replace(&last_error, err);
}

void
cvg_error_report_full(int domain, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_store(domain, code, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

void
cvg_error_report_system(int errnum, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_store(CVG_FROM_QEMU, CVG_ERR_SYSTEM_ERROR,
                g_strdup_printf("%s: %s", msg, g_strerror(errnum)));
}

void
cvg_error_set(const CvgError *src)
{
    CvgError *err = g_new0(CvgError, 1);

    err->code = src->code;
    err->domain = src->domain;
    err->message = g_strdup(src->message ? src->message : "");
    err->str1 = g_strdup(src->str1);
    err->str2 = g_strdup(src->str2);
    g_private_replace(&last_error, err);
}

const CvgError *
cvg_error_last(void)
{
    return g_private_get(&last_error);
}

CvgError *
cvg_error_copy_last(void)
{
    const CvgError *last = cvg_error_last();
    CvgError *err = g_new0(CvgError, 1);

    if (!last) {
        err->code = CVG_ERR_INTERNAL_ERROR;
        err->domain = CVG_FROM_QEMU;
        err->message = g_strdup(_("internal error: unexpected failure"));
        return err;
    }
    err->code = last->code;
    err->domain = last->domain;
    err->message = g_strdup(last->message);
    err->str1 = g_strdup(last->str1);
    err->str2 = g_strdup(last->str2);
    return err;
}

void
cvg_error_reset(void)
{
    g_private_replace(&last_error, NULL);
}
