/*
 * testutils-driver.h: a real driver whose domain's QEMU is a scripted QMP
 * peer (testutils-qmp.h), for unit tests of what the driver says to QEMU
 * and what it reports back
 *
 * The driver's state directory is a fresh temporary directory; the domain
 * is added as running with pid 0, so nothing the driver does can signal a
 * process.  Events are collected as text lines.
 */
#pragma once

#include "qemu-driver.h"
#include "qemu-monitor.h"
#include "testutils-qmp.h"

/* The driver's events as lines: "event lifecycle NAME DETAIL", "event
 * reboot", "event migration-iteration N", "event job-completed". */
typedef struct {
    GMutex lock;
    GString *log;
} CvgTestEventLog;

typedef struct {
    CvgDriver *drv;
    char *tmpdir;
    CvgTestEventLog events;
} CvgTestDriver;

/* A driver in a new temporary state directory (@prefix names it), its
 * monitor loop running.  NULL with a message on stderr. */
CvgTestDriver *cvg_test_driver_new(const char *prefix);

/* Free the driver (closing any monitor still open) and its directory. */
void cvg_test_driver_free(CvgTestDriver *t);

/* Add the domain of @xml_path as running, with the scripted peer playing
 * @script as its QEMU (returned in *@ret_peer) behind a monitor that calls
 * @callbacks.  NULL with a message on stderr. */
CvgDomainObj *cvg_test_driver_start_domain(CvgTestDriver *t,
                                           const char *xml_path,
                                           const char *script,
                                           const CvgQmpCallbacks *callbacks,
                                           CvgTestQmpPeer **ret_peer);

/* The events so far (g_free it). */
char *cvg_test_driver_events(CvgTestDriver *t);

/* End a case: append "state NAME reason N" to @out, close @dom's monitor
 * (unless the driver already did), wait for the peer in *@peer to finish
 * its script (it checks that nothing more was sent) and append the events.
 * -1 with a message on stderr when the conversation differed from the
 * script.  *@peer is consumed either way. */
int cvg_test_driver_end_case(CvgTestDriver *t, CvgDomainObj *dom,
                             CvgTestQmpPeer **peer, const char *name,
                             GString *out);

/* virDomainState as a word: "running", "paused", "shutoff"... */
const char *cvg_test_state_name(int state);

/* "@what: rc 0" or "@what: error CODE: MESSAGE" (and the odd mixes), a line
 * into @out, from @rc and the thread's last error. */
void cvg_test_append_result(GString *out, const char *what, int rc);
