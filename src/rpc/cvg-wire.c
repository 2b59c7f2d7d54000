/*
 * cvg-wire.c: libvirt remote protocol framing and wire conversions
 */
#include "cvg-wire.h"
#include "cvg-i18n.h"

#include <string.h>

void
cvg_wire_chars_set(const char *s, u_int *ret_len, char **ret_val)
{
    if (!s || !*s) {
        *ret_len = 0;
        *ret_val = NULL;
        return;
    }
    *ret_len = (u_int)strlen(s) + 1;
    *ret_val = g_strdup(s);
}

CvgWireOptString
cvg_wire_opt_string_new(const char *s)
{
    char **cell;

    if (!s)
        return NULL;
    cell = g_new0(char *, 1);
    *cell = g_strdup(s);
    return cell;
}

int
cvg_wire_params_to_list(const CvgWireTypedParams *w, unsigned int max,
                        CvgTypedParamList **ret_list)
{
    g_autoptr(CvgTypedParamList) list = cvg_typed_params_new();

    if (w->CvgWireTypedParams_len > max) {
        cvg_error_report(CVG_ERR_RPC,
                         _("too many typed parameters: %u (limit %u)"),
                         w->CvgWireTypedParams_len, max);
        return -1;
    }

    for (u_int i = 0; i < w->CvgWireTypedParams_len; i++) {
        const CvgWireTypedParam *p = &w->CvgWireTypedParams_val[i];
        const char *field = p->field ? p->field : "";
        const __typeof__(p->value.CvgWireTypedParamValue_u) *v =
            &p->value.CvgWireTypedParamValue_u;
        int rc = -1;

        if (strlen(field) >= CVG_TYPED_PARAM_FIELD_LENGTH) {
            cvg_error_report(CVG_ERR_RPC,
                             _("typed parameter name '%.80s' too long"), field);
            return -1;
        }

        if (p->value.type <= 0 || p->value.type >= CVG_TYPED_PARAM_LAST) {
            cvg_error_report(CVG_ERR_RPC,
                             _("typed parameter '%s' has unknown type %d"),
                             field, p->value.type);
            return -1;
        }

        switch ((CvgTypedParamType)p->value.type) {
        case CVG_TYPED_PARAM_INT:
            rc = cvg_typed_params_add_int(list, field, v->i);
            break;
        case CVG_TYPED_PARAM_UINT:
            rc = cvg_typed_params_add_uint(list, field, v->ui);
            break;
        case CVG_TYPED_PARAM_LLONG:
            rc = cvg_typed_params_add_llong(list, field, v->l);
            break;
        case CVG_TYPED_PARAM_ULLONG:
            rc = cvg_typed_params_add_ullong(list, field, v->ul);
            break;
        case CVG_TYPED_PARAM_DOUBLE:
            rc = cvg_typed_params_add_double(list, field, v->d);
            break;
        case CVG_TYPED_PARAM_BOOLEAN:
            rc = cvg_typed_params_add_boolean(list, field, v->b != 0);
            break;
        case CVG_TYPED_PARAM_STRING:
            rc = cvg_typed_params_add_string(list, field, v->s);
            break;
        case CVG_TYPED_PARAM_LAST:
            break;
        }
        if (rc < 0)
            return -1;
    }

    *ret_list = g_steal_pointer(&list);
    return 0;
}

void
cvg_wire_params_from_list(const CvgTypedParamList *l, CvgWireTypedParams *ret_w)
{
    ret_w->CvgWireTypedParams_len = 0;
    ret_w->CvgWireTypedParams_val = NULL;
    if (!l || l->n == 0)
        return;

    ret_w->CvgWireTypedParams_val = g_new0(CvgWireTypedParam, l->n);
    ret_w->CvgWireTypedParams_len = (u_int)l->n;
    for (size_t i = 0; i < l->n; i++) {
        const CvgTypedParam *src = &l->params[i];
        CvgWireTypedParam *dst = &ret_w->CvgWireTypedParams_val[i];
        __typeof__(dst->value.CvgWireTypedParamValue_u) *v =
            &dst->value.CvgWireTypedParamValue_u;

        dst->field = g_strdup(src->field);
        dst->value.type = src->type;
        switch ((CvgTypedParamType)src->type) {
        case CVG_TYPED_PARAM_INT:
            v->i = src->value.i;
            break;
        case CVG_TYPED_PARAM_UINT:
            v->ui = src->value.ui;
            break;
        case CVG_TYPED_PARAM_LLONG:
            v->l = src->value.l;
            break;
        case CVG_TYPED_PARAM_ULLONG:
            v->ul = src->value.ul;
            break;
        case CVG_TYPED_PARAM_DOUBLE:
            v->d = src->value.d;
            break;
        case CVG_TYPED_PARAM_BOOLEAN:
            v->b = src->value.b;
            break;
        case CVG_TYPED_PARAM_STRING:
            v->s = g_strdup(src->value.s ? src->value.s : "");
            break;
        case CVG_TYPED_PARAM_LAST:
            break;
        }
    }
}

void
cvg_wire_error_from(const CvgError *err, CvgWireError *ret_w)
{
    memset(ret_w, 0, sizeof(*ret_w));
    ret_w->code = err ? err->code : CVG_ERR_INTERNAL_ERROR;
    ret_w->domain = err ? err->domain : CVG_FROM_QEMU;
    ret_w->message = cvg_wire_opt_string_new(err ? err->message : NULL);
    /* libvirtd always sends ERROR level and -1 for the unused ints. */
    ret_w->level = 2;
    ret_w->str1 = cvg_wire_opt_string_new(err ? err->str1 : NULL);
    ret_w->str2 = cvg_wire_opt_string_new(err ? err->str2 : NULL);
    ret_w->int1 = -1;
    ret_w->int2 = -1;
}

CvgError *
cvg_wire_error_to(const CvgWireError *w)
{
    CvgError *err = g_new0(CvgError, 1);

    err->code = w->code;
    err->domain = w->domain;
    if (w->message && *w->message)
        err->message = g_strdup(*w->message);
    else
        err->message = g_strdup(_("unknown error reported by the peer"));
    if (w->str1)
        err->str1 = g_strdup(*w->str1);
    if (w->str2)
        err->str2 = g_strdup(*w->str2);
    return err;
}

int
cvg_rpc_length_decode(const guint8 *buf, size_t *ret_len)
{
    guint32 len = ((guint32)buf[0] << 24) | ((guint32)buf[1] << 16) |
                  ((guint32)buf[2] << 8) | (guint32)buf[3];

    if (len < CVG_RPC_MESSAGE_MIN ||
        len > (guint32)CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD) {
        cvg_error_report(CVG_ERR_RPC, _("packet length %u out of range %d-%d"),
                         len, CVG_RPC_MESSAGE_MIN,
                         CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD);
        return -1;
    }
    *ret_len = len;
    return 0;
}

GByteArray *
cvg_rpc_message_encode(const CvgRpcHeader *hdr, xdrproc_t proc, void *body)
{
    CvgRpcHeader h = *hdr;
    u_long body_len = 0;
    u_int total;
    u_int pos;
    XDR xdrs;
    GByteArray *msg;
    bool_t ok;

    if (proc) {
        /* A sizing pass first: it fails (0) for bodies that cannot be
         * encoded, and tells us the size before allocating anything. */
        body_len = xdr_sizeof(proc, body);
    }
    if (body_len > (u_long)CVG_RPC_MESSAGE_MAX - CVG_RPC_HEADER_LEN) {
        cvg_error_report(
            CVG_ERR_RPC,
            _("message payload of %lu bytes exceeds the limit of %d bytes"),
            body_len, CVG_RPC_MESSAGE_MAX - CVG_RPC_HEADER_LEN);
        return NULL;
    }
    total = CVG_RPC_MESSAGE_MIN + (u_int)body_len;

    msg = g_byte_array_sized_new(total);
    g_byte_array_set_size(msg, total);
    xdrmem_create(&xdrs, (char *)msg->data, total, XDR_ENCODE);
    /* The length word counts itself. */
    ok = xdr_u_int(&xdrs, &total) && xdr_CvgRpcHeader(&xdrs, &h);
    /* Encoding for real also catches a failing body whose sizing pass
     * happened to return 0 (a void body legitimately does). */
    if (ok && proc)
        ok = proc(&xdrs, body);
    pos = xdr_getpos(&xdrs);
    xdr_destroy(&xdrs);
    if (!ok || pos != total) {
        g_byte_array_unref(msg);
        cvg_error_report(CVG_ERR_RPC, _("Unable to encode message payload"));
        return NULL;
    }
    return msg;
}

int
cvg_rpc_header_decode(const guint8 *buf, size_t len, CvgRpcHeader *ret_hdr)
{
    CvgRpcHeader h = {0};
    XDR xdrs;
    bool_t ok;

    if (len < CVG_RPC_HEADER_LEN) {
        cvg_error_report(CVG_ERR_RPC,
                         _("message header of %zu bytes is too short"), len);
        return -1;
    }
    xdrmem_create(&xdrs, (char *)buf, CVG_RPC_HEADER_LEN, XDR_DECODE);
    ok = xdr_CvgRpcHeader(&xdrs, &h);
    xdr_destroy(&xdrs);
    if (!ok) {
        cvg_error_report(CVG_ERR_RPC, _("Unable to decode message header"));
        return -1;
    }
    *ret_hdr = h;
    return 0;
}

int
cvg_rpc_payload_decode(const guint8 *payload, size_t len, xdrproc_t proc,
                       void *body)
{
    XDR xdrs;
    bool_t ok = FALSE;

    if (!proc) {
        /* A void body: nothing may follow the header. */
        if (len == 0)
            return 0;
        cvg_error_report(CVG_ERR_RPC, _("Unable to decode message payload"));
        return -1;
    }
    if (len <= CVG_RPC_MESSAGE_MAX) {
        xdrmem_create(&xdrs, (char *)payload, (u_int)len, XDR_DECODE);
        ok = proc(&xdrs, body);
        /* libvirt peers never send bytes after the struct: treat them as
         * a malformed message rather than silently dropping them. */
        if (ok && xdr_getpos(&xdrs) != len)
            ok = FALSE;
        xdr_destroy(&xdrs);
    }
    if (!ok) {
        xdr_free(proc, body);
        cvg_error_report(CVG_ERR_RPC, _("Unable to decode message payload"));
        return -1;
    }
    return 0;
}

void
cvg_rpc_payload_free(xdrproc_t proc, void *body)
{
    if (proc && body)
        xdr_free(proc, body);
}
