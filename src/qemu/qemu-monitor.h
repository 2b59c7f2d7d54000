/*
 * qemu-monitor.h: QMP connection to one QEMU process
 *
 * Threads: the handshake (greeting, qmp_capabilities) runs synchronously in
 * the opening thread.  After that the socket is read by a GSource attached
 * to the GMainContext given at open time, which some other thread iterates;
 * events and end-of-connection are delivered from that thread.  Commands are
 * written by their callers, who then sleep until the context thread hands
 * them their reply.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "cvg-json.h"

typedef struct _CvgQmp CvgQmp;

/* A single QMP message longer than this (without its newline) is taken as
 * a broken peer. */
#define CVG_QMP_MAX_MESSAGE (16 * 1024 * 1024)

typedef struct {
    /* Called in the context thread for each QMP event.  @data is borrowed,
     * and NULL when the event carries no "data" object (STOP and RESUME
     * carry none). */
    void (*event)(CvgQmp *mon, const char *name, json_object *data,
                  void *opaque);
    /* Called once, in the context thread, when the connection ends: EOF,
     * read error, or a message that is not a JSON object or is too long.
     * Not called once cvg_qmp_close() has started. */
    void (*eof)(CvgQmp *mon, void *opaque);
} CvgQmpCallbacks;

/*
 * Connect to QEMU's QMP UNIX socket at @path.  While the socket does not
 * exist yet or refuses connections (QEMU still starting) retry until
 * @timeout_ms has passed; then read the greeting, send qmp_capabilities and
 * wait for its reply, all within the same @timeout_ms.
 * @ctx: the context whose thread reads the socket from then on (NULL: the
 * global default context); the monitor keeps a reference.
 * @cb: copied; either member may be NULL.  Callbacks may run before this
 * function has returned.
 * Returns the monitor, or NULL with an error reported (OPERATION_FAILED for
 * connect/read/write failures and timeouts, INTERNAL_ERROR for a bad
 * greeting or a refused handshake; the message names @path).
 */
CvgQmp *cvg_qmp_open(const char *path, GMainContext *ctx,
                     const CvgQmpCallbacks *cb, void *opaque, int timeout_ms);

/* As cvg_qmp_open() on an already connected stream socket @fd, which is
 * consumed (closed on failure too).  Messages name it "fd N". */
CvgQmp *cvg_qmp_open_fd(int fd, GMainContext *ctx, const CvgQmpCallbacks *cb,
                        void *opaque, int timeout_ms);

/*
 * Disconnect and free @mon.  NULL-safe.  Callers blocked in
 * cvg_qmp_command() on @mon wake up with "QEMU monitor was closed".  When
 * this returns no callback of @mon is running (unless it was called from
 * inside that callback, which is allowed) and none will run again: it waits
 * for a callback running in the context thread, so do not call it holding a
 * lock that the callbacks take.  May be called from any thread, but only
 * once, and no new cvg_qmp_command() may start on @mon once it has been
 * called (the caller must order that, e.g. under its own domain lock).
 */
void cvg_qmp_close(CvgQmp *mon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgQmp, cvg_qmp_close)

/* Keep @mon's memory alive across a cvg_qmp_close() from another thread:
 * a caller that read the pointer under its own lock takes a reference
 * before dropping that lock, so a racing close only makes its command fail
 * with "QEMU monitor was closed".  Unref never closes the connection. */
void cvg_qmp_ref(CvgQmp *mon);
void cvg_qmp_unref(CvgQmp *mon);

/* The QEMU version from the greeting.  Any pointer may be NULL. */
void cvg_qmp_get_version(CvgQmp *mon, int *major, int *minor, int *micro);

/*
 * Run the QMP command @cmd with @args (NULL for none; borrowed, and must not
 * be used by another thread during the call) and wait up to @timeout_ms
 * (negative: no limit) for its reply.  Thread-safe; must not be called from
 * the context's thread (callbacks included): that is reported as an
 * INTERNAL_ERROR rather than deadlocking.
 * Returns 0 and, if @ret_reply is not NULL, the reply's "return" member in
 * *@ret_reply (new reference).  Returns -1 with an error reported:
 *   INTERNAL_ERROR "unable to execute QEMU command '<cmd>': <error.desc>"
 *     when QEMU answers with an error;
 *   OPERATION_TIMEOUT when no reply came in time (a late reply is dropped);
 *   OPERATION_FAILED "QEMU monitor was closed" on EOF or cvg_qmp_close().
 */
int cvg_qmp_command(CvgQmp *mon, const char *cmd, json_object *args,
                    json_object **ret_reply, int timeout_ms);

/* cvg_qmp_command() without arguments, ignoring the returned value. */
int cvg_qmp_command_simple(CvgQmp *mon, const char *cmd, int timeout_ms);

/*
 * Run @len bytes of QEMU output through the same splitting, parsing and
 * dispatch as the socket reader, without a socket or callbacks; "QMP"
 * greetings are checked too.  The input is fed in two pieces to exercise
 * message reassembly.  Returns 0 if the reader would accept all of it, -1
 * if it would end the connection.  For fuzzers and their regression tests.
 */
int cvg_qmp_feed_for_fuzzing(const char *data, size_t len);
