/*
 * cvg-wire.h: libvirt remote protocol framing and base XDR types
 *
 * Everything here follows the wire facts in the shared reference
 * (libvirt-rpc-wire.md sections 1-3): a 4-byte length word that counts
 * itself, a 24-byte header, then an XDR payload.  The numbers are libvirt's
 * public wire ABI.
 *
 * Decoding is meant for hostile input.  Every string, opaque and array is
 * bounded by its protocol limit, and a count is checked against the bytes
 * still unread before anything is allocated, so the largest allocation is
 * proportional to the message size.  The decoders assume an xdrmem stream
 * (the only kind this project creates): its unread byte count is what
 * bounds the allocations.
 *
 * All decoded memory comes from g_malloc; free a decoded (or encoded-from)
 * struct with xdr_free() and its xdr_ procedure.  Structs passed to a
 * decoder must be zeroed.
 */
#pragma once

#include <glib.h>
#include <rpc/types.h>
#include <rpc/xdr.h>

#include "cvg-error.h"
#include "cvg-typed-param.h"

#define CVG_RPC_PROGRAM_REMOTE     0x20008086
#define CVG_RPC_PROGRAM_KEEPALIVE  0x6b656570
#define CVG_RPC_PROTOCOL_VERSION   1

#define CVG_RPC_KEEPALIVE_PING 1
#define CVG_RPC_KEEPALIVE_PONG 2

#define CVG_RPC_MESSAGE_MAX        16777216  /* excludes the 4-byte length word */
#define CVG_RPC_LEN_WORD           4
#define CVG_RPC_HEADER_LEN         24
#define CVG_RPC_MESSAGE_MIN        (CVG_RPC_LEN_WORD + CVG_RPC_HEADER_LEN)  /* 28 */

#define CVG_RPC_STRING_MAX         4194304
#define CVG_RPC_DOMAIN_LIST_MAX    16384
#define CVG_RPC_AUTH_TYPE_LIST_MAX 20
#define CVG_RPC_PARAM_LIST_MAX     64   /* migrate params and job stats */
#define CVG_RPC_COOKIE_MAX         4194304
#define CVG_RPC_SECURITY_MODEL_MAX 257
#define CVG_RPC_SECURITY_DOI_MAX   257
#define CVG_RPC_SECURITY_LABEL_MAX 4097
#define CVG_RPC_DOMAIN_MESSAGES_MAX 2048

#define CVG_RPC_UUID_LEN           16

typedef enum {
    CVG_RPC_CALL = 0,
    CVG_RPC_REPLY = 1,
    CVG_RPC_MESSAGE = 2,
    CVG_RPC_STREAM = 3,
    CVG_RPC_CALL_WITH_FDS = 4,
    CVG_RPC_REPLY_WITH_FDS = 5,
    CVG_RPC_STREAM_HOLE = 6,
} CvgRpcType;

typedef enum {
    CVG_RPC_OK = 0,
    CVG_RPC_ERROR = 1,
    CVG_RPC_CONTINUE = 2,
} CvgRpcStatus;

typedef struct {
    unsigned int prog;
    unsigned int vers;
    int proc;
    int type;               /* CvgRpcType */
    unsigned int serial;
    int status;             /* CvgRpcStatus */
} CvgRpcHeader;

/* remote_nonnull_domain; id is -1 for an inactive domain. */
typedef struct {
    char *name;
    unsigned char uuid[CVG_RPC_UUID_LEN];
    int id;
} CvgWireDomain;

/* opaque<> (migration cookies).  On decode val holds len bytes plus a NUL
 * that is not counted, so XML cookies can be read as strings; len 0 gives
 * val NULL. */
typedef struct {
    u_int len;
    char *val;
} CvgWireOpaque;

/* remote_typed_param: type is a CvgTypedParamType and selects the arm. */
typedef struct {
    char *field;
    int type;
    union {
        int i;
        u_int ui;
        quad_t l;
        u_quad_t ul;
        double d;
        int b;
        char *s;
    } value;
} CvgWireTypedParam;

/* remote_typed_param params<64> */
typedef struct {
    u_int len;
    CvgWireTypedParam *val;
} CvgWireTypedParams;

/* remote_nonnull_network (only used inside remote_error) */
typedef struct {
    char *name;
    unsigned char uuid[CVG_RPC_UUID_LEN];
} CvgWireNetwork;

/* remote_error, 11 fields in wire order.  The char ** members are optional
 * strings (NULL = absent); dom and net are optional structs. */
typedef struct {
    int code;
    int domain;
    char **message;
    int level;
    CvgWireDomain *dom;
    char **str1;
    char **str2;
    char **str3;
    int int1;
    int int2;
    CvgWireNetwork *net;
} CvgWireError;

/* Variable arrays used by the per-procedure structs; their limit is given
 * by the caller of the bounded xdr_ helpers below. */
typedef struct {
    u_int len;
    int *val;
} CvgWireInts;

typedef struct {
    u_int len;
    char **val;              /* each a nonnull string */
} CvgWireStrings;

typedef struct {
    u_int len;
    CvgWireDomain *val;
} CvgWireDomains;

/* char x<N> (security model, doi, label): each char travels as a 4-byte
 * int.  The real daemon counts the trailing NUL, so len includes it; on
 * decode val also gets an uncounted NUL so it is always a C string. */
typedef struct {
    u_int len;
    char *val;
} CvgWireChars;

bool_t xdr_cvg_header(XDR *xdrs, CvgRpcHeader *h);
bool_t xdr_cvg_nonnull_string(XDR *xdrs, char **s);     /* max CVG_RPC_STRING_MAX */
bool_t xdr_cvg_string(XDR *xdrs, char ***s);            /* optional: u32 0/1 + string */
bool_t xdr_cvg_wire_domain(XDR *xdrs, CvgWireDomain *d);
bool_t xdr_cvg_wire_domain_ptr(XDR *xdrs, CvgWireDomain **d);  /* remote_domain */
bool_t xdr_cvg_wire_opaque(XDR *xdrs, CvgWireOpaque *o);       /* max CVG_RPC_COOKIE_MAX */
/* At most CVG_RPC_PARAM_LIST_MAX entries; field names of 80 bytes or more
 * and unknown type codes are rejected in both directions. */
bool_t xdr_cvg_wire_typed_params(XDR *xdrs, CvgWireTypedParams *p);
bool_t xdr_cvg_wire_error(XDR *xdrs, CvgWireError *e);
bool_t xdr_cvg_void(XDR *xdrs, void *unused);           /* encodes nothing */

/* Bounded building blocks (not xdrproc_t: they take the limit). */
bool_t xdr_cvg_bounded_string(XDR *xdrs, char **s, u_int max);
bool_t xdr_cvg_wire_ints(XDR *xdrs, CvgWireInts *a, u_int max);
bool_t xdr_cvg_wire_strings(XDR *xdrs, CvgWireStrings *a, u_int max);
bool_t xdr_cvg_wire_domains(XDR *xdrs, CvgWireDomains *a, u_int max);
bool_t xdr_cvg_wire_chars(XDR *xdrs, CvgWireChars *a, u_int max);

/* Fill @ret_a with a copy of @s including its NUL, as the real daemon sends
 * security models and labels; NULL or "" gives an empty array (count 0). */
void cvg_wire_chars_set(CvgWireChars *ret_a, const char *s);

/*
 * Conversions between the wire list and util's CvgTypedParamList (deep
 * copies).
 *
 * to_list: 0, or -1 with CVG_ERR_RPC on a field name of 80 bytes or more,
 * an unknown type, or more than @max entries.
 * from_list: @ret_w owns g_malloc'd copies; free them with
 * xdr_free((xdrproc_t)xdr_cvg_wire_typed_params, ret_w).  @l may be NULL.
 */
int cvg_wire_params_to_list(const CvgWireTypedParams *w, unsigned int max,
                            CvgTypedParamList **ret_list);
void cvg_wire_params_from_list(const CvgTypedParamList *l,
                               CvgWireTypedParams *ret_w);

/*
 * Build a wire error from @err: code, domain, message, str1 and str2 copied,
 * level 2 (ERROR), int1 = int2 = -1, dom/net/str3 absent.  Free with
 * xdr_free((xdrproc_t)xdr_cvg_wire_error, ret_w).
 */
void cvg_wire_error_from(const CvgError *err, CvgWireError *ret_w);

/* A CvgError from a received wire error (the p2p client side).  Never NULL;
 * an absent message becomes a generic one. */
CvgError *cvg_wire_error_to(const CvgWireError *w);

/*
 * Check a received length word (the first 4 bytes of a frame).  Sets
 * *ret_len to the whole frame length, length word included.  -1 with
 * CVG_ERR_RPC when it is below CVG_RPC_MESSAGE_MIN or above
 * CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD.
 */
int cvg_rpc_length_decode(const guint8 *buf, size_t *ret_len);

/*
 * Encode a whole message: length word + header + body.  @proc NULL (or
 * xdr_cvg_void) sends an empty payload.  Returns a new GByteArray, or NULL
 * with CVG_ERR_RPC if the body cannot be encoded or the message would
 * exceed CVG_RPC_MESSAGE_MAX + CVG_RPC_LEN_WORD bytes.
 */
GByteArray *cvg_rpc_message_encode(const CvgRpcHeader *hdr, xdrproc_t proc,
                                   void *body);

/* Decode the header from the 24 bytes at @buf (those after the length
 * word); @len may include the payload that follows.  0, or -1 with
 * CVG_ERR_RPC if @len < 24. */
int cvg_rpc_header_decode(const guint8 *buf, size_t len, CvgRpcHeader *ret_hdr);

/*
 * Decode @len bytes of payload into the zeroed @body with @proc (NULL
 * means a void body: @len must be 0).  Trailing bytes after the struct are
 * an error.  -1 with CVG_ERR_RPC "Unable to decode message payload" on
 * failure; partial allocations are freed and @body's pointers reset to NULL.
 */
int cvg_rpc_payload_decode(const guint8 *payload, size_t len, xdrproc_t proc,
                           void *body);

/* xdr_free wrapper; NULL @body is fine. */
void cvg_rpc_payload_free(xdrproc_t proc, void *body);
