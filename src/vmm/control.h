/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CONTROL_H
#define VESSEL_CONTROL_H

/*
 * The control socket of one vessel (`control PATH`): a unix stream socket,
 * mode 0600, whose peers must be root or vessel's own user (SO_PEERCRED).
 * Each request is one line; each reply one JSON line (src/common/proto.h).
 * The commands act through @ops on the main thread's event loop.
 */

#include "../common/types.h"

struct json_object;
struct loop;
struct control;

struct control_ops {
	/* Press the power button / terminate / cut the power; @by names the requester. */
	void (*power_button)(void *ctx, const char *by);
	void (*terminate)(void *ctx, const char *by);
	void (*power_cut)(void *ctx, const char *by);
	/* Pause / resume the guest: 0, -EALREADY, or -ESRCH (stopping). */
	int (*pause)(void *ctx, const char *by);
	int (*resume)(void *ctx, const char *by);
	/*
	 * Ask the guest to "poweroff"/"reboot", or tell it of a peer going
	 * down ("peer-shutting-down", @arg its name); lifecycle protocol.
	 */
	int (*request)(void *ctx, const char *what, const char *arg);
	/* A new JSON object describing the VM (the caller puts it). */
	struct json_object *(*status)(void *ctx);
	/* Stream events to @fd from now on; 0 or -errno. */
	int (*subscribe)(void *ctx, int fd);
	void (*unsubscribe)(void *ctx, int fd);
};

/*
 * Listen on @path (an existing socket file is replaced only if nothing
 * answers on it) and serve clients from @loop. Returns 0 or -errno after
 * logging.
 */
int control_open(struct control **out, const char *path, struct loop *loop,
		 const struct control_ops *ops, void *ctx);

/* Close every client and the socket, and unlink its path. */
void control_close(struct control *c);

#endif
