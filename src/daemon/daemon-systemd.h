/*
 * daemon-systemd.h: the daemon and its service manager
 *
 * Socket activation (the sockets systemd, or systemd-socket-activate,
 * passes in LISTEN_FDS), readiness and status notifications (sd_notify;
 * nothing is sent when NOTIFY_SOCKET is unset) and the idle exit of
 * --timeout.  Everything here runs in the main thread.
 */
#pragma once

#include "daemon.h"

/* One listening socket passed by the service manager. */
typedef struct {
    int fd;
    char *name; /* FileDescriptorName=, NULL when none was given */
    char *path; /* the UNIX path it is bound to, NULL if unnamed */
    bool tcp;   /* a TCP socket (else UNIX) */
} CvgActivatedSocket;

/*
 * The sockets passed to this process, as a GPtrArray of CvgActivatedSocket
 * (empty when the daemon was not socket-activated).  The LISTEN_*
 * variables are removed so that QEMU does not see them.  Fails, reported,
 * when a passed descriptor is not a listening UNIX or TCP stream socket.
 */
GPtrArray *cvg_daemon_activated_sockets(void);

/* The socket of @sockets named @name, or else bound to @path (either may
 * be NULL), removed from @sockets and returned (free it with
 * cvg_activated_socket_free() after taking its fd); NULL if none. */
CvgActivatedSocket *cvg_daemon_activated_take(GPtrArray *sockets,
                                              const char *name,
                                              const char *path);
void cvg_activated_socket_free(CvgActivatedSocket *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgActivatedSocket, cvg_activated_socket_free)

/* The daemon serves: tell the service manager (READY=1 and STATUS=) and
 * start the watch that keeps STATUS= current and, with an idle_timeout,
 * quits @d's loop after that many seconds without a client, a running
 * guest or a job. */
void cvg_daemon_systemd_start(CvgDaemon *d);

/* The daemon is stopping (STOPPING=1); stops the watch. */
void cvg_daemon_systemd_stopping(CvgDaemon *d);
