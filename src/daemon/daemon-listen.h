/*
 * daemon-listen.h: the sockets the daemon serves
 *
 * The read-write socket, the read-only one when configured, and with
 * listen_libvirt_socket libvirt's own /run/libvirt/libvirt-sock (0600)
 * and libvirt-sock-ro (0666).  Each is the socket the service manager
 * passed for it (daemon-systemd.h: matched by FileDescriptorName=, or by
 * path when unnamed), or else one bound here.
 */
#pragma once

#include "daemon.h"

/* FileDescriptorName= of the sockets in src/daemon/systemd/ */
#define CVG_FDNAME_RW "convergd-rw"
#define CVG_FDNAME_RO "convergd-ro"
#define CVG_FDNAME_TLS "convergd-tls"
#define CVG_FDNAME_TCP "convergd-tcp"

/*
 * Serve the sockets on @d->srv.  Refuses (reported) a passed socket that
 * matches none of them, and a libvirt path on which another daemon
 * listens; a stale socket file there is replaced.  The TLS and TCP
 * listeners are the sockets passed for them, or with @d->listen_network
 * the ones listen_tls / listen_tcp ask for.
 */
int cvg_daemon_listen(CvgDaemon *d);

/* After the server is freed (it removes the socket files it bound):
 * free the TLS credentials, remove /run/libvirt if this daemon created it
 * and it is empty. */
void cvg_daemon_listen_cleanup(CvgDaemon *d);
