/*
 * cvg-wire.c: libvirt remote protocol framing and base XDR types
 */
#include "cvg-wire.h"
#include "cvg-i18n.h"

#include <string.h>

/*
 * Bytes not yet read from a decode stream.  For an xdrmem stream (libtirpc,
 * like every Sun-derived implementation) x_handy counts exactly those, and
 * every decoder here runs on one.  Comparing counts with it before
 * allocating is what keeps a 4-byte "count = 0xFFFFFFFF" from costing
 * gigabytes.
 */
static u_int
wire_remaining(XDR *xdrs)
{
    return xdrs->x_handy;
}

/* Padded wire size of @len bytes of string or opaque data. */
static guint64
wire_padded(u_int len)
{
    return ((guint64)len + 3) & ~(guint64)3;
}

/* An optional-data flag: strictly 0 or 1.  libvirt only ever sends those,
 * so anything else is garbage rather than "present". */
static bool_t
wire_flag(XDR *xdrs, u_int *flag)
{
    if (!xdr_u_int(xdrs, flag))
        return FALSE;
    return *flag <= 1;
}

bool_t
xdr_cvg_void(XDR *xdrs, void *unused)
{
    return TRUE;
}

bool_t
xdr_cvg_header(XDR *xdrs, CvgRpcHeader *h)
{
    return xdr_u_int(xdrs, &h->prog) &&
           xdr_u_int(xdrs, &h->vers) &&
           xdr_int(xdrs, &h->proc) &&
           xdr_int(xdrs, &h->type) &&
           xdr_u_int(xdrs, &h->serial) &&
           xdr_int(xdrs, &h->status);
}

/* Length-prefixed bytes.  With @nul the data is a C string (length taken
 * from strlen on encode); the decoded buffer always gets an uncounted NUL. */
static bool_t
wire_bytes(XDR *xdrs, char **val, u_int *len, u_int max, bool_t nul)
{
    u_int n;
    char *buf;

    switch (xdrs->x_op) {
    case XDR_FREE:
        g_free(*val);
        *val = NULL;
        if (len)
            *len = 0;
        return TRUE;

    case XDR_ENCODE:
        if (nul) {
            size_t sl;

            if (!*val)
                return FALSE;
            sl = strlen(*val);
            if (sl > max)
                return FALSE;
            n = (u_int)sl;
        } else {
            n = *len;
            if (n > max || (n > 0 && !*val))
                return FALSE;
        }
        return xdr_u_int(xdrs, &n) && xdr_opaque(xdrs, *val, n);

    case XDR_DECODE:
        if (!xdr_u_int(xdrs, &n))
            return FALSE;
        if (n > max || wire_padded(n) > wire_remaining(xdrs))
            return FALSE;
        if (n == 0 && !nul) {
            *val = NULL;
            *len = 0;
            return TRUE;
        }
        buf = g_malloc(n + 1);
        if (!xdr_opaque(xdrs, buf, n)) {
            g_free(buf);
            return FALSE;
        }
        buf[n] = '\0';
        *val = buf;
        if (len)
            *len = n;
        return TRUE;
    }
    return FALSE;
}

bool_t
xdr_cvg_bounded_string(XDR *xdrs, char **s, u_int max)
{
    return wire_bytes(xdrs, s, NULL, max, TRUE);
}

bool_t
xdr_cvg_nonnull_string(XDR *xdrs, char **s)
{
    return wire_bytes(xdrs, s, NULL, CVG_RPC_STRING_MAX, TRUE);
}

/* Optional T: a 0/1 flag word, then T.  The cell is allocated before T is
 * decoded so that a failure half-way leaves it reachable for XDR_FREE. */
static bool_t
wire_optional(XDR *xdrs, void **ptr, size_t size,
              bool_t (*elem)(XDR *, void *))
{
    u_int flag;

    switch (xdrs->x_op) {
    case XDR_FREE:
        if (*ptr) {
            elem(xdrs, *ptr);
            g_free(*ptr);
            *ptr = NULL;
        }
        return TRUE;

    case XDR_ENCODE:
        flag = *ptr != NULL;
        if (!xdr_u_int(xdrs, &flag))
            return FALSE;
        return !flag || elem(xdrs, *ptr);

    case XDR_DECODE:
        if (!wire_flag(xdrs, &flag))
            return FALSE;
        if (!flag) {
            *ptr = NULL;
            return TRUE;
        }
        *ptr = g_malloc0(size);
        return elem(xdrs, *ptr);
    }
    return FALSE;
}

static bool_t
elem_nonnull_string(XDR *xdrs, void *p)
{
    return xdr_cvg_nonnull_string(xdrs, p);
}

bool_t
xdr_cvg_string(XDR *xdrs, char ***s)
{
    return wire_optional(xdrs, (void **)s, sizeof(char *),
                         elem_nonnull_string);
}

static bool_t
wire_uuid(XDR *xdrs, unsigned char *uuid)
{
    return xdr_opaque(xdrs, (char *)uuid, CVG_RPC_UUID_LEN);
}

bool_t
xdr_cvg_wire_domain(XDR *xdrs, CvgWireDomain *d)
{
    return xdr_cvg_nonnull_string(xdrs, &d->name) &&
           wire_uuid(xdrs, d->uuid) &&
           xdr_int(xdrs, &d->id);
}

static bool_t
elem_domain(XDR *xdrs, void *p)
{
    return xdr_cvg_wire_domain(xdrs, p);
}

bool_t
xdr_cvg_wire_domain_ptr(XDR *xdrs, CvgWireDomain **d)
{
    return wire_optional(xdrs, (void **)d, sizeof(CvgWireDomain),
                         elem_domain);
}

static bool_t
wire_network(XDR *xdrs, void *p)
{
    CvgWireNetwork *n = p;

    return xdr_cvg_nonnull_string(xdrs, &n->name) &&
           wire_uuid(xdrs, n->uuid);
}

bool_t
xdr_cvg_wire_opaque(XDR *xdrs, CvgWireOpaque *o)
{
    return wire_bytes(xdrs, &o->val, &o->len, CVG_RPC_COOKIE_MAX, FALSE);
}

/*
 * Variable array T x<max>.  @min_wire is the smallest encoding of one T:
 * a count that could not fit in the unread bytes fails before allocating.
 * The element count is stored before the elements are decoded (into zeroed
 * memory), so XDR_FREE after a failure releases exactly what was decoded.
 */
static bool_t
wire_array(XDR *xdrs, void **val, u_int *len, u_int max, size_t elsize,
           u_int min_wire, bool_t (*elem)(XDR *, void *))
{
    u_int count;
    char *base;

    switch (xdrs->x_op) {
    case XDR_FREE:
        if (*val) {
            base = *val;
            for (u_int i = 0; i < *len; i++)
                elem(xdrs, base + (size_t)i * elsize);
            g_free(*val);
            *val = NULL;
        }
        *len = 0;
        return TRUE;

    case XDR_ENCODE:
        count = *len;
        if (count > max || (count > 0 && !*val))
            return FALSE;
        if (!xdr_u_int(xdrs, &count))
            return FALSE;
        base = *val;
        for (u_int i = 0; i < count; i++) {
            if (!elem(xdrs, base + (size_t)i * elsize))
                return FALSE;
        }
        return TRUE;

    case XDR_DECODE:
        if (!xdr_u_int(xdrs, &count))
            return FALSE;
        if (count > max || (guint64)count * min_wire > wire_remaining(xdrs))
            return FALSE;
        *val = NULL;
        *len = 0;
        if (count == 0)
            return TRUE;
        base = g_malloc0_n(count, elsize);
        *val = base;
        *len = count;
        for (u_int i = 0; i < count; i++) {
            if (!elem(xdrs, base + (size_t)i * elsize))
                return FALSE;
        }
        return TRUE;
    }
    return FALSE;
}

static bool_t
elem_int(XDR *xdrs, void *p)
{
    return xdr_int(xdrs, p);
}

/* One char widened to a 4-byte int, as rpcgen does for char arrays. */
static bool_t
elem_char(XDR *xdrs, void *p)
{
    return xdr_char(xdrs, p);
}

bool_t
xdr_cvg_wire_ints(XDR *xdrs, CvgWireInts *a, u_int max)
{
    return wire_array(xdrs, (void **)&a->val, &a->len, max, sizeof(int), 4,
                      elem_int);
}

bool_t
xdr_cvg_wire_strings(XDR *xdrs, CvgWireStrings *a, u_int max)
{
    return wire_array(xdrs, (void **)&a->val, &a->len, max, sizeof(char *), 4,
                      elem_nonnull_string);
}

bool_t
xdr_cvg_wire_domains(XDR *xdrs, CvgWireDomains *a, u_int max)
{
    /* name length word + uuid + id */
    return wire_array(xdrs, (void **)&a->val, &a->len, max,
                      sizeof(CvgWireDomain), 4 + CVG_RPC_UUID_LEN + 4,
                      elem_domain);
}

bool_t
xdr_cvg_wire_chars(XDR *xdrs, CvgWireChars *a, u_int max)
{
    u_int count;

    if (xdrs->x_op != XDR_DECODE)
        return wire_array(xdrs, (void **)&a->val, &a->len, max, 1, 4,
                          elem_char);

    /* Decoded by hand to add the uncounted NUL that makes val a string. */
    if (!xdr_u_int(xdrs, &count))
        return FALSE;
    if (count > max || (guint64)count * 4 > wire_remaining(xdrs))
        return FALSE;
    a->val = g_malloc0((size_t)count + 1);
    a->len = count;
    for (u_int i = 0; i < count; i++) {
        if (!xdr_char(xdrs, &a->val[i]))
            return FALSE;
    }
    return TRUE;
}

void
cvg_wire_chars_set(CvgWireChars *ret_a, const char *s)
{
    if (!s || !*s) {
        ret_a->len = 0;
        ret_a->val = NULL;
        return;
    }
    ret_a->len = (u_int)strlen(s) + 1;
    ret_a->val = g_strdup(s);
}

/* Field names are bounded by the C side's 80-byte buffer (NUL included),
 * not by the generic string limit. */
#define WIRE_FIELD_MAX (CVG_TYPED_PARAM_FIELD_LENGTH - 1)

static bool_t
wire_typed_param(XDR *xdrs, void *ptr)
{
    CvgWireTypedParam *p = ptr;

    if (xdrs->x_op == XDR_FREE) {
        g_free(p->field);
        p->field = NULL;
        if (p->type == CVG_TYPED_PARAM_STRING) {
            g_free(p->value.s);
            p->value.s = NULL;
        }
        return TRUE;
    }

    if (!xdr_cvg_bounded_string(xdrs, &p->field, WIRE_FIELD_MAX) ||
        !xdr_int(xdrs, &p->type))
        return FALSE;

    switch ((CvgTypedParamType)p->type) {
    case CVG_TYPED_PARAM_INT:
        return xdr_int(xdrs, &p->value.i);
    case CVG_TYPED_PARAM_UINT:
        return xdr_u_int(xdrs, &p->value.ui);
    case CVG_TYPED_PARAM_LLONG:
        return xdr_hyper(xdrs, &p->value.l);
    case CVG_TYPED_PARAM_ULLONG:
        return xdr_u_hyper(xdrs, &p->value.ul);
    case CVG_TYPED_PARAM_DOUBLE:
        return xdr_double(xdrs, &p->value.d);
    case CVG_TYPED_PARAM_BOOLEAN:
        return xdr_int(xdrs, &p->value.b);
    case CVG_TYPED_PARAM_STRING:
        return xdr_cvg_nonnull_string(xdrs, &p->value.s);
    case CVG_TYPED_PARAM_LAST:
        break;
    }
    return FALSE;
}

bool_t
xdr_cvg_wire_typed_params(XDR *xdrs, CvgWireTypedParams *p)
{
    /* field length word + type + the smallest arm */
    return wire_array(xdrs, (void **)&p->val, &p->len, CVG_RPC_PARAM_LIST_MAX,
                      sizeof(CvgWireTypedParam), 12, wire_typed_param);
}

bool_t
xdr_cvg_wire_error(XDR *xdrs, CvgWireError *e)
{
    return xdr_int(xdrs, &e->code) &&
           xdr_int(xdrs, &e->domain) &&
           xdr_cvg_string(xdrs, &e->message) &&
           xdr_int(xdrs, &e->level) &&
           xdr_cvg_wire_domain_ptr(xdrs, &e->dom) &&
           xdr_cvg_string(xdrs, &e->str1) &&
           xdr_cvg_string(xdrs, &e->str2) &&
           xdr_cvg_string(xdrs, &e->str3) &&
           xdr_int(xdrs, &e->int1) &&
           xdr_int(xdrs, &e->int2) &&
           wire_optional(xdrs, (void **)&e->net, sizeof(CvgWireNetwork),
                         wire_network);
}

int
cvg_wire_params_to_list(const CvgWireTypedParams *w, unsigned int max,
                        CvgTypedParamList **ret_list)
{
    g_autoptr(CvgTypedParamList) list = cvg_typed_params_new();

    if (w->len > max) {
        cvg_error_report(CVG_ERR_RPC,
                         _("too many typed parameters: %u (limit %u)"),
                         w->len, max);
        return -1;
    }

    for (u_int i = 0; i < w->len; i++) {
        const CvgWireTypedParam *p = &w->val[i];
        const char *field = p->field ? p->field : "";
        int rc = -1;

        if (strlen(field) >= CVG_TYPED_PARAM_FIELD_LENGTH) {
            cvg_error_report(CVG_ERR_RPC,
                             _("typed parameter name '%.80s' too long"),
                             field);
            return -1;
        }

        if (p->type <= 0 || p->type >= CVG_TYPED_PARAM_LAST) {
            cvg_error_report(CVG_ERR_RPC,
                             _("typed parameter '%s' has unknown type %d"),
                             field, p->type);
            return -1;
        }

        switch ((CvgTypedParamType)p->type) {
        case CVG_TYPED_PARAM_INT:
            rc = cvg_typed_params_add_int(list, field, p->value.i);
            break;
        case CVG_TYPED_PARAM_UINT:
            rc = cvg_typed_params_add_uint(list, field, p->value.ui);
            break;
        case CVG_TYPED_PARAM_LLONG:
            rc = cvg_typed_params_add_llong(list, field, p->value.l);
            break;
        case CVG_TYPED_PARAM_ULLONG:
            rc = cvg_typed_params_add_ullong(list, field, p->value.ul);
            break;
        case CVG_TYPED_PARAM_DOUBLE:
            rc = cvg_typed_params_add_double(list, field, p->value.d);
            break;
        case CVG_TYPED_PARAM_BOOLEAN:
            rc = cvg_typed_params_add_boolean(list, field, p->value.b != 0);
            break;
        case CVG_TYPED_PARAM_STRING:
            rc = cvg_typed_params_add_string(list, field, p->value.s);
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
cvg_wire_params_from_list(const CvgTypedParamList *l,
                          CvgWireTypedParams *ret_w)
{
    ret_w->len = 0;
    ret_w->val = NULL;
    if (!l || l->n == 0)
        return;

    ret_w->val = g_new0(CvgWireTypedParam, l->n);
    ret_w->len = (u_int)l->n;
    for (size_t i = 0; i < l->n; i++) {
        const CvgTypedParam *src = &l->params[i];
        CvgWireTypedParam *dst = &ret_w->val[i];

        dst->field = g_strdup(src->field);
        dst->type = src->type;
        switch ((CvgTypedParamType)src->type) {
        case CVG_TYPED_PARAM_INT:
            dst->value.i = src->value.i;
            break;
        case CVG_TYPED_PARAM_UINT:
            dst->value.ui = src->value.ui;
            break;
        case CVG_TYPED_PARAM_LLONG:
            dst->value.l = src->value.l;
            break;
        case CVG_TYPED_PARAM_ULLONG:
            dst->value.ul = src->value.ul;
            break;
        case CVG_TYPED_PARAM_DOUBLE:
            dst->value.d = src->value.d;
            break;
        case CVG_TYPED_PARAM_BOOLEAN:
            dst->value.b = src->value.b;
            break;
        case CVG_TYPED_PARAM_STRING:
            dst->value.s = g_strdup(src->value.s ? src->value.s : "");
            break;
        case CVG_TYPED_PARAM_LAST:
            break;
        }
    }
}

static char **
wire_optional_string_new(const char *s)
{
    char **cell;

    if (!s)
        return NULL;
    cell = g_new0(char *, 1);
    *cell = g_strdup(s);
    return cell;
}

void
cvg_wire_error_from(const CvgError *err, CvgWireError *ret_w)
{
    memset(ret_w, 0, sizeof(*ret_w));
    ret_w->code = err ? err->code : CVG_ERR_INTERNAL_ERROR;
    ret_w->domain = err ? err->domain : CVG_FROM_QEMU;
    ret_w->message = wire_optional_string_new(err ? err->message : NULL);
    /* libvirtd always sends ERROR level and -1 for the unused ints. */
    ret_w->level = 2;
    ret_w->str1 = wire_optional_string_new(err ? err->str1 : NULL);
    ret_w->str2 = wire_optional_string_new(err ? err->str2 : NULL);
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
        cvg_error_report(CVG_ERR_RPC,
                         _("packet length %u out of range %d-%d"),
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
        cvg_error_report(CVG_ERR_RPC,
                         _("message payload of %lu bytes exceeds the limit of %d bytes"),
                         body_len, CVG_RPC_MESSAGE_MAX - CVG_RPC_HEADER_LEN);
        return NULL;
    }
    total = CVG_RPC_MESSAGE_MIN + (u_int)body_len;

    msg = g_byte_array_sized_new(total);
    g_byte_array_set_size(msg, total);
    xdrmem_create(&xdrs, (char *)msg->data, total, XDR_ENCODE);
    /* The length word counts itself. */
    ok = xdr_u_int(&xdrs, &total) && xdr_cvg_header(&xdrs, &h);
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
    CvgRpcHeader h = { 0 };
    XDR xdrs;
    bool_t ok;

    if (len < CVG_RPC_HEADER_LEN) {
        cvg_error_report(CVG_ERR_RPC,
                         _("message header of %zu bytes is too short"), len);
        return -1;
    }
    xdrmem_create(&xdrs, (char *)buf, CVG_RPC_HEADER_LEN, XDR_DECODE);
    ok = xdr_cvg_header(&xdrs, &h);
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
