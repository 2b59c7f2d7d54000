/*
 * cvg-stream.h: data streams over a client connection (virStream)
 *
 * A procedure that opens a stream (DOMAIN_OPEN_CONSOLE) ties a file
 * descriptor to the call being handled.  Once the call's OK reply is out,
 * what the descriptor reads goes to the client as STREAM messages with the
 * call's procedure and serial (status CONTINUE), and the data of the
 * client's STREAM messages is written to the descriptor.  The wire rules
 * are libvirt's:
 *   - the end of the descriptor's data is an empty STREAM message with
 *     status CONTINUE;
 *   - the client's finish (empty, status OK) and abort (status ERROR) are
 *     each confirmed with an empty STREAM message with status OK, and end
 *     the stream;
 *   - a read or write failure is a STREAM message with status ERROR and a
 *     remote_error body, and ends the stream.
 * Flow control: one data message is in flight to the client at a time (the
 * descriptor is read again once it is written out), and while more than
 * CVG_RPC_STREAM_BACKLOG_MAX bytes from the client wait for the descriptor,
 * the client's socket is not read.
 *
 * Everything but cvg_rpc_stream_open() and cvg_rpc_stream_terminate() runs
 * on the server's main thread.
 */
#pragma once

#include "cvg-server.h"

/* Bytes read from the descriptor per STREAM message. */
#define CVG_RPC_STREAM_CHUNK (64 * 1024)
/* Client data waiting for the descriptor before the client is paused. */
#define CVG_RPC_STREAM_BACKLOG_MAX (1024 * 1024)

typedef struct _CvgRpcStream CvgRpcStream;

/* Called once on the main thread when the stream has ended (any way). */
typedef void (*CvgRpcStreamEndFn)(CvgRpcStream *st, void *opaque);

/*
 * From a handler (worker thread): tie @fd (owned from now on, closed when
 * the stream ends; made non-blocking) to the call being handled.  If the
 * handler then fails, the stream never starts.  @end (may be NULL) is
 * called with @opaque when the stream ends.  Returns a reference for the
 * caller (cvg_rpc_stream_unref()).
 */
CvgRpcStream *cvg_rpc_stream_open(CvgRpcClient *client, int fd,
                                  CvgRpcStreamEndFn end, void *opaque);

/* Any thread: end the stream as if its descriptor had reached its end (the
 * client sees end of data), e.g. when another client takes the console
 * over.  Nothing happens if it has ended already. */
void cvg_rpc_stream_terminate(CvgRpcStream *st);

void cvg_rpc_stream_ref(CvgRpcStream *st);
void cvg_rpc_stream_unref(CvgRpcStream *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgRpcStream, cvg_rpc_stream_unref)

/* ---- for cvg-server.c ------------------------------------------------ */

/* job_run(), after the handler: start the stream the handler opened (its
 * reply was queued) or, if it failed, drop it.  No-op if it opened none. */
void cvg_rpc_stream_after_call(bool ok);
/* Around a handler: the call it handles (thread-local). */
void cvg_rpc_stream_set_call(CvgRpcClient *client, const CvgRpcHeader *hdr);
/* A STREAM message from the client for @st (main thread). */
void cvg_rpc_stream_incoming(CvgRpcStream *st, const CvgRpcHeader *hdr,
                             const guint8 *data, size_t len);
/* True if @st's procedure and serial are @hdr's. */
bool cvg_rpc_stream_matches(const CvgRpcStream *st, const CvgRpcHeader *hdr);
/* @frame has been written out (main thread, wlock held): if it was @st's
 * data in flight, read the descriptor again. */
void cvg_rpc_stream_frame_sent(CvgRpcStream *st, const GByteArray *frame);
/* The client is gone: end @st without telling it (main thread). */
void cvg_rpc_stream_client_gone(CvgRpcStream *st);
