/*
 * fuzz-rpc.c: libFuzzer target for one whole libvirt RPC frame
 *
 * The input is one frame as read from a socket: length word, header,
 * payload.  After the length and header checks the payload is decoded with
 * the struct a peer could make us decode: call args (the server), reply
 * bodies and error structs (the p2p client), event message bodies.
 *
 * Whatever decodes must re-encode, and re-encoding must be stable: decoding
 * our own encoding and encoding again gives the same bytes.  (The first
 * re-encoding may differ from the input: padding content and bytes after an
 * embedded NUL are not kept.)
 *
 * Seeds live in tests/fuzz/rpc-message/; replay-main.c replays them under
 * meson test.
 */
#include "cvg-protocol.h"
#include "cvg-wire.h"
#include "cvg-error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoder for this frame's payload, from the table generated from
 * cvg-remote-protocol.x, or FALSE if we would not decode it at all. */
static gboolean
payload_proc(const CvgRpcHeader *hdr, xdrproc_t *ret_proc, size_t *ret_size)
{
    const CvgRemoteProcInfo *info;

    if (hdr->prog != CVG_RPC_PROGRAM_REMOTE ||
        hdr->vers != CVG_RPC_PROTOCOL_VERSION)
        return FALSE;
    if (hdr->type == CVG_RPC_REPLY && hdr->status == CVG_RPC_ERROR) {
        *ret_proc = (xdrproc_t)xdr_CvgWireError;
        *ret_size = sizeof(CvgWireError);
        return TRUE;
    }
    if (hdr->status != CVG_RPC_OK || !(info = cvg_remote_proc_info(hdr->proc)))
        return FALSE;

    switch (hdr->type) {
    case CVG_RPC_CALL:
        if (info->event)
            return FALSE;
        *ret_proc = info->args;
        *ret_size = info->args_size;
        return TRUE;
    case CVG_RPC_REPLY:
    case CVG_RPC_MESSAGE:
        /* A reply to a call, or an event message. */
        if (info->event != (hdr->type == CVG_RPC_MESSAGE))
            return FALSE;
        *ret_proc = info->ret;
        *ret_size = info->ret_size;
        return TRUE;
    default:
        return FALSE;
    }
}

/* Decode @payload into a fresh body and encode it again as a frame. */
static GByteArray *
reencode(const CvgRpcHeader *hdr, const guint8 *payload, size_t len,
         xdrproc_t proc, size_t size)
{
    g_autofree void *body = g_malloc0(size ? size : 1);
    GByteArray *out;

    if (cvg_rpc_payload_decode(payload, len, proc, body) < 0)
        return NULL;
    out = cvg_rpc_message_encode(hdr, proc, body);
    cvg_rpc_payload_free(proc, body);
    if (!out) {
        fprintf(stderr, "decoded %s payload failed to re-encode\n",
                cvg_remote_procedure_name(hdr->proc));
        abort();
    }
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GByteArray) first = NULL;
    g_autoptr(GByteArray) second = NULL;
    CvgRpcHeader hdr;
    size_t len;
    xdrproc_t proc;
    size_t body_size;

    if (size < CVG_RPC_LEN_WORD)
        return 0;
    if (cvg_rpc_length_decode(data, &len) < 0 || len != size)
        goto out;
    if (cvg_rpc_header_decode(data + CVG_RPC_LEN_WORD, size - CVG_RPC_LEN_WORD,
                              &hdr) < 0)
        goto out;
    if (!payload_proc(&hdr, &proc, &body_size))
        goto out;

    first = reencode(&hdr, data + CVG_RPC_MESSAGE_MIN,
                     size - CVG_RPC_MESSAGE_MIN, proc, body_size);
    if (!first)
        goto out;
    if (first->len > size) {
        fprintf(stderr, "re-encoding grew from %zu to %u bytes\n", size,
                first->len);
        abort();
    }
    second = reencode(&hdr, first->data + CVG_RPC_MESSAGE_MIN,
                      first->len - CVG_RPC_MESSAGE_MIN, proc, body_size);
    if (!second || second->len != first->len ||
        memcmp(second->data, first->data, first->len) != 0) {
        fprintf(stderr, "%s: our own encoding does not round-trip\n",
                cvg_remote_procedure_name(hdr.proc));
        abort();
    }

out:
    cvg_error_reset();
    return 0;
}
