/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_NOTIFY_H
#define VESSELD_NOTIFY_H

/*
 * sd_notify(3) without libsystemd: a Type=notify service tells systemd
 * its state ("READY=1", "STOPPING=1", "STATUS=...") in datagrams to the
 * unix socket named by NOTIFY_SOCKET, a path or, after '@', a name in the
 * abstract namespace. systemd takes the sender's pid from the kernel's
 * credentials and, with NotifyAccess=main, only believes the main process.
 * [systemd src/libsystemd/sd-daemon/sd-daemon.c; s6 s6-notifyoncheck]
 */

#include <sys/socket.h>
#include <sys/un.h>

struct notify {
	int fd; /* -1: not started by systemd, or no usable address */
	socklen_t addr_len;
	struct sockaddr_un addr;
};

/*
 * Read NOTIFY_SOCKET and remove it from the environment, so that the
 * guests' vessels and hooks, which are not the service, do not inherit it.
 * 0 (n->fd is -1 when the variable is not set), or -errno for an address
 * that cannot be used: -EINVAL (empty), -EAFNOSUPPORT (neither '/' nor
 * '@'), -ENAMETOOLONG; the variable is removed then too.
 */
int notify_open(struct notify *n);

/*
 * Send @state, newline-separated KEY=VALUE lines ("READY=1"). 0 when sent
 * or when not under systemd; -errno otherwise. Like sd_notify(), it may
 * block while systemd's queue is full.
 */
int notify_send(const struct notify *n, const char *state);

/*
 * "STATUS=" and the formatted text, one line (a newline in it becomes a
 * space, so that it cannot set another key); at most 255 bytes of text.
 */
int notify_status(const struct notify *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void notify_close(struct notify *n);

#endif
