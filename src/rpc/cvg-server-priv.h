/*
 * cvg-server-priv.h: what cvg-stream.c uses of a server's client
 *
 * All of these take the client's output lock themselves.
 */
#pragma once

#include "cvg-server.h"
#include "cvg-stream.h"

/* Queue a whole frame for the client (any thread); -1 if it is gone. */
int cvg_rpc_client_queue_frame(CvgRpcClient *client, const GByteArray *frame);
/* Put @st in the client's stream list (a new reference) / take it out. */
void cvg_rpc_client_stream_add(CvgRpcClient *client, CvgRpcStream *st);
void cvg_rpc_client_stream_remove(CvgRpcClient *client, CvgRpcStream *st);
/* Stream data from the client waiting for a descriptor grew or shrank by
 * @delta bytes: past CVG_RPC_STREAM_BACKLOG_MAX the client's socket is not
 * read (main thread). */
void cvg_rpc_client_stream_backlog(CvgRpcClient *client, gssize delta);
