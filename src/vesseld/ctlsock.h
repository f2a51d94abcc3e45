/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_CTLSOCK_H
#define VESSELD_CTLSOCK_H

/*
 * vesseld's control socket, RUN/vesseld.sock (0600, or 0660 with
 * --socket-group; peers checked with SO_PEERCRED: root, vesseld's own
 * user, and the group's members). The line protocol of vessel's
 * control socket (src/common/proto.h): one request line, one JSON reply
 * line. Commands that take time (start, stop, restart, shutdown, and
 * those forwarded to a vessel) hold their connection until the outcome
 * is known; nothing blocks the loop. Commands: docs/vesseld.md.
 */

#include <sys/types.h>

struct ctlsock;
struct guest;
struct vd;

/* ctlsock_open's @group when only root and our user may connect. */
#define CTLSOCK_NO_GROUP ((gid_t)-1)

/*
 * Listen on @path, 0660 with @group (its members may connect), else 0600;
 * 0 or -errno (logged).
 */
int ctlsock_open(struct ctlsock **out, struct vd *vd, const char *path,
		 gid_t group);

/* Answer and close every connection, remove the socket file. */
void ctlsock_close(struct ctlsock *s);

/* @g changed state: answer the connections waiting on it. @s may be NULL. */
void ctlsock_guest_changed(struct ctlsock *s, struct guest *g);

/*
 * @g, removed by a reload, is about to be freed: answer (with an error)
 * every connection still holding it. @s may be NULL.
 */
void ctlsock_guest_gone(struct ctlsock *s, struct guest *g);

/* The host shutdown is over: answer `shutdown` requests. @s may be NULL. */
void ctlsock_shutdown_done(struct ctlsock *s);

#endif
