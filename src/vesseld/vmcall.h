/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_VMCALL_H
#define VESSELD_VMCALL_H

/*
 * One request to a vessel's control socket (src/common/proto.h), without
 * blocking vesseld's loop: the connect of a unix socket finishes at once,
 * the request fits the fresh socket's buffer, and the reply is read when
 * the loop says it is there, or given up after VMCALL_TIMEOUT_MS.
 */

#include "dloop.h"

#define VMCALL_TIMEOUT_MS 5000
#define VMCALL_REPLY_MAX 8192

struct proto_reply;
struct sockaddr_un;
struct vmcall;

/*
 * @rep is the parsed reply (freed after the call), or NULL with @err
 * saying why there is none.
 */
typedef void vmcall_done_fn(struct vmcall *c, struct proto_reply *rep,
			    const char *err);

struct vmcall {
	struct dloop *loop;
	struct dloop_watch w; /* w.fd -1: no call in flight */
	struct dloop_timer t;
	vmcall_done_fn *done;
	size_t len;
	char buf[VMCALL_REPLY_MAX];
};

/* A vmcall that is not in flight. */
void vmcall_init(struct vmcall *c, struct dloop *l);

/*
 * Send @cmd to the control socket @path; @done is called once, later,
 * from the loop. Returns 0, or -errno when the socket does not take the
 * request (then @done is not called).
 */
int vmcall_start(struct vmcall *c, const char *path, const char *cmd,
		 vmcall_done_fn *done);

/* The same with arguments (@argv NULL-terminated, or NULL). */
int vmcall_start_args(struct vmcall *c, const char *path, const char *cmd,
		      const char *const argv[], vmcall_done_fn *done);

/* Drop a call in flight without calling its done. */
void vmcall_cancel(struct vmcall *c);

/* Does something listen on @path? Connects and hangs up at once. */
bool vmcall_answers(const char *path);

/* A unix socket address for @path; -ENAMETOOLONG when it cannot hold it. */
int vmcall_addr(struct sockaddr_un *a, const char *path);

#endif
