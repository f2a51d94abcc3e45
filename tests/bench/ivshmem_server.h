/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_BENCH_IVSHMEM_SERVER_H
#define VESSEL_BENCH_IVSHMEM_SERVER_H

/*
 * A small server for QEMU's ivshmem-doorbell, written from the protocol
 * in QEMU's docs/specs/ivshmem-spec.rst ("The ivshmem Client-Server
 * Protocol"), because Debian's QEMU ships no ivshmem-server. It is also a
 * peer itself, id 0: it owns eventfds the guests ring and can ring them,
 * which makes it the host program of the doorbell bench.
 */

#include <stddef.h>
#include <stdint.h>

#define IVS_SELF 0 /* the server's own peer id */
#define IVS_MAX_PEERS 16
#define IVS_MAX_VECTORS 4

struct ivs_server;

/*
 * Listen on unix socket @path (replaced if there), with a region of @size
 * bytes (a memfd) and @vectors eventfds per peer; a thread serves the
 * clients until ivs_server_stop(). 0 or -errno.
 */
int ivs_server_start(const char *path, size_t size, int vectors,
		     struct ivs_server **out);
/* Stop the thread, close every fd, unlink the socket. NULL is fine. */
void ivs_server_stop(struct ivs_server *s);
/* The region as the server maps it (shared with every client). */
void *ivs_server_data(struct ivs_server *s);
/* The server's own doorbell for @vector: readable when a peer rang it. */
int ivs_server_doorbell(const struct ivs_server *s, int vector);
/*
 * A dup() of client @peer's eventfd for @vector, the caller's to close:
 * writing 1 to it rings that peer. -ESRCH if @peer is not connected.
 */
int ivs_server_peer_fd(struct ivs_server *s, int peer, int vector);

#endif
