/*
 * fuzz-preauth.c: libFuzzer target for everything a client can make the
 * daemon parse before it has authenticated
 *
 * The input is the start of a connection's byte stream on a SASL listener:
 * any number of frames.  Each goes through the steps the server takes
 * before a call may run (cvg-server.c client_take and client_dispatch):
 * the length word and its bounds, the header, keepalive and stream frames,
 * the type, program and version checks, the procedure lookup in the
 * daemon's generated table and the authentication gate.  Procedures the
 * gate refuses get the error reply encoded as the server sends it; the
 * ones it lets through (AUTH_LIST, AUTH_SASL_INIT / START / STEP,
 * AUTH_POLKIT) have their arguments decoded with their codec, and the
 * SASL tokens go into a real Cyrus SASL server session (DIGEST-MD5, SCRAM
 * and PLAIN parsers, against an empty user database), whose answers are
 * encoded as the handlers send them.
 *
 * The server functions themselves are static and need sockets, threads
 * and a main loop, so this mirrors their order of checks with the same
 * public building blocks (cvg-wire.h, cvg_daemon_procs, cvg-sasl.h).
 *
 * Seeds live in tests/fuzz/preauth/; replay-main.c replays them under
 * meson test.
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "cvg-sasl.h"
#include "cvg-error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One connection's SASL state. */
typedef struct {
    CvgSaslSession *sasl;
    unsigned int inits;
} Conn;

static char *sasl_dir;

static void
sasl_dir_remove(void)
{
    g_autofree char *conf = g_build_filename(sasl_dir, "libvirt.conf", NULL);

    remove(conf);
    remove(sasl_dir);
    g_free(sasl_dir);
}

/* The daemon's SASL configuration: an empty user database, every
 * mechanism whose parser a client can reach. */
static void
sasl_setup(void)
{
    g_autofree char *conf = NULL;
    g_autofree char *text = NULL;

    if (sasl_dir)
        return;
    if (!(sasl_dir = g_dir_make_tmp("cvg-fuzz-preauth-XXXXXX", NULL)))
        abort();
    atexit(sasl_dir_remove);
    conf = g_build_filename(sasl_dir, "libvirt.conf", NULL);
    text = g_strdup_printf("mech_list: digest-md5 scram-sha-256 plain\n"
                           "sasldb_path: %s/none.db\n",
                           sasl_dir);
    if (!g_file_set_contents(conf, text, -1, NULL) ||
        cvg_sasl_server_init(sasl_dir) < 0)
        abort();
}

/* Encode a reply frame as the server does; it must encode. */
static void
reply(const CvgRpcHeader *call, int status, xdrproc_t proc, void *body)
{
    CvgRpcHeader hdr = *call;
    g_autoptr(GByteArray) frame = NULL;

    hdr.type = CVG_RPC_REPLY;
    hdr.status = status;
    if (!(frame = cvg_rpc_message_encode(&hdr, proc, body))) {
        fprintf(stderr, "reply to procedure %d failed to encode\n", call->proc);
        abort();
    }
}

/* The refusal path: the thread's error as an error reply. */
static void
reply_error(const CvgRpcHeader *call)
{
    g_autoptr(CvgError) err = cvg_error_copy_last();
    CvgWireError werr;

    cvg_wire_error_from(err, &werr);
    reply(call, CVG_RPC_ERROR, (xdrproc_t)xdr_CvgWireError, &werr);
    xdr_free((xdrproc_t)xdr_CvgWireError, (char *)&werr);
}

static const CvgRpcProcedure *
lookup(int proc)
{
    for (size_t i = 0; i < cvg_daemon_nprocs; i++) {
        if (cvg_daemon_procs[i].proc == proc)
            return &cvg_daemon_procs[i];
    }
    return NULL;
}

/* What the SASL handlers do with decoded arguments. */
static int
sasl_call(Conn *c, int proc, const void *args, void *ret)
{
    CvgRemoteAuthSaslStartRet *r = ret;
    g_autofree char *out = NULL;
    size_t outlen = 0;
    int rc;

    if (proc == CVG_PROC_AUTH_SASL_INIT) {
        g_clear_pointer(&c->sasl, cvg_sasl_session_free);
        /* Alternately as on plain TCP and as over TLS, which allows the
         * mechanisms without a security layer. */
        if (!(c->sasl = cvg_sasl_server_new(-1, c->inits++ % 2)))
            return -1;
        ((CvgRemoteAuthSaslInitRet *)ret)->mechlist =
            cvg_sasl_server_mechlist(c->sasl);
        return ((CvgRemoteAuthSaslInitRet *)ret)->mechlist ? 0 : -1;
    }
    if (!c->sasl)
        return -1;
    if (proc == CVG_PROC_AUTH_SASL_START) {
        const CvgRemoteAuthSaslStartArgs *a = args;

        rc = cvg_sasl_server_start(c->sasl, a->mech,
                                   a->nil ? NULL : a->data.data_val,
                                   a->data.data_len, &out, &outlen);
    } else {
        const CvgRemoteAuthSaslStepArgs *a = args;

        rc = cvg_sasl_server_step(c->sasl, a->nil ? NULL : a->data.data_val,
                                  a->data.data_len, &out, &outlen);
    }
    if (rc < 0) {
        g_clear_pointer(&c->sasl, cvg_sasl_session_free);
        return -1;
    }
    r->complete = rc;
    r->nil = out == NULL;
    r->data.data_len = outlen;
    r->data.data_val = g_steal_pointer(&out);
    return 0;
}

/* A procedure the gate lets through: decode, run, encode the answer. */
static void
call_preauth(Conn *c, const CvgRpcHeader *hdr, const CvgRpcProcedure *p,
             const guint8 *payload, size_t len)
{
    g_autofree void *args = g_malloc0(p->args_size ? p->args_size : 1);
    g_autofree void *ret = g_malloc0(p->ret_size ? p->ret_size : 1);
    int rc = 0;

    if (cvg_rpc_payload_decode(payload, len, p->args_proc, args) < 0) {
        reply_error(hdr);
        return;
    }
    switch (p->proc) {
    case CVG_PROC_AUTH_LIST:
        ((CvgRemoteAuthListRet *)ret)->types.types_len = 1;
        ((CvgRemoteAuthListRet *)ret)->types.types_val = g_new0(int, 1);
        ((CvgRemoteAuthListRet *)ret)->types.types_val[0] = CVG_RPC_AUTH_SASL;
        break;
    case CVG_PROC_AUTH_SASL_INIT:
    case CVG_PROC_AUTH_SASL_START:
    case CVG_PROC_AUTH_SASL_STEP:
        rc = sasl_call(c, p->proc, args, ret);
        break;
    default:
        cvg_error_report(CVG_ERR_NO_SUPPORT, "%s", p->api);
        rc = -1;
    }
    if (rc < 0)
        reply_error(hdr);
    else
        reply(hdr, CVG_RPC_OK, p->ret_proc, ret);
    cvg_rpc_payload_free(p->args_proc, args);
    cvg_rpc_payload_free(p->ret_proc, ret);
}

/* One frame (length word included); false ends the connection. */
static bool
frame(Conn *c, const guint8 *buf, size_t len)
{
    CvgRpcHeader hdr;
    const CvgRpcProcedure *p;

    cvg_error_reset();
    if (cvg_rpc_header_decode(buf + CVG_RPC_LEN_WORD, len - CVG_RPC_LEN_WORD,
                              &hdr) < 0)
        return false;
    if (hdr.prog == CVG_RPC_PROGRAM_KEEPALIVE || hdr.type == CVG_RPC_STREAM)
        return true;
    if (hdr.type != CVG_RPC_CALL || hdr.status != CVG_RPC_OK ||
        hdr.prog != CVG_RPC_PROGRAM_REMOTE ||
        hdr.vers != CVG_RPC_PROTOCOL_VERSION) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC, "%s",
                              "unexpected message");
        reply_error(&hdr);
        return true;
    }
    if (!(p = lookup(hdr.proc))) {
        cvg_error_report(CVG_ERR_NO_SUPPORT, "procedure %d", hdr.proc);
        reply_error(&hdr);
        return true;
    }
    if (p->flags & CVG_RPC_PROC_NEEDS_AUTH) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_RPC, "%s",
                              "authentication required");
        reply_error(&hdr);
        return true;
    }
    call_preauth(c, &hdr, p, buf + CVG_RPC_MESSAGE_MIN,
                 len - CVG_RPC_MESSAGE_MIN);
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Conn c = {0};
    size_t off = 0;

    sasl_setup();
    /* Frames as the server splits the stream: a bad length word drops the
     * client; a frame cut short waits for bytes that never come. */
    while (size - off >= CVG_RPC_LEN_WORD) {
        size_t len;

        if (cvg_rpc_length_decode(data + off, &len) < 0 || size - off < len ||
            !frame(&c, data + off, len))
            break;
        off += len;
    }
    cvg_sasl_session_free(c.sasl);
    cvg_error_reset();
    return 0;
}
