/*
 * daemon-peer.h: the destination of a peer-to-peer migration, reached with
 * the RPC client
 */
#pragma once

#include "qemu-migration-p2p.h"

/* Fill @ret_peer with the RPC client's implementation; qemu:///system
 * means @default_socket (kept by reference: it must outlive the
 * migration). */
void cvg_daemon_peer_init(CvgPeerConnection *ret_peer,
                          const char *default_socket);
