/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_CONSOLE_H
#define VESSELD_CONSOLE_H

/*
 * A guest's serial console under vesseld. vessel runs with
 * `--serial unix:RUN/NAME/console.sock` and vesseld is its one client:
 * everything the guest writes is appended to RUN/NAME/console.log, which
 * is rotated by size (console.log.1 .. .N, the oldest dropped). vessel's
 * UART holds THR when its client does not read, so the guest would stall
 * behind a slow vesseld: the console is read whenever it is readable,
 * and nothing here ever waits on a user.
 *
 * One interactive client at a time (`vesselctl console NAME`, handed
 * over by the control socket) sees the output as well and types into
 * the guest. A user who reads too slowly loses output (a note says how
 * much; the log has it all), never the guest's time.
 */

#include <limits.h>
#include <sys/types.h>

#include "dloop.h"

#define CONSOLE_LOG_MAX_DEFAULT (1024 * 1024)
#define CONSOLE_LOG_KEEP_DEFAULT 3
#define CONSOLE_LOG_KEEP_MAX 99
/* How often a starting vessel's console socket is tried, and how long. */
#define CONSOLE_CONNECT_POLL_MS 1
#define CONSOLE_CONNECT_TIMEOUT_MS 30000
/* Output waiting for a slow interactive client; beyond it, skipped. */
#define CONSOLE_CLIENT_BUF (256 * 1024)
#define CONSOLE_SOCK_MAX 108

struct guest;

struct console {
	struct guest *g;
	char sock[CONSOLE_SOCK_MAX]; /* RUN/NAME/console.sock */
	char log[PATH_MAX]; /* RUN/NAME/console.log */
	int log_fd; /* -1: not open (opened at the first byte) */
	u64 log_size;
	bool log_failed; /* told once */

	struct dloop_watch vw; /* the vessel's console socket; fd -1: none */
	struct dloop_timer retry; /* trying to connect while it starts */
	u64 connect_until_ms;

	struct dloop_watch cw; /* the interactive client; fd -1: none */
	pid_t client_pid;
	u8 *out; /* output the client has not taken yet */
	size_t out_len;
	u64 skipped; /* output bytes the client missed since the last note */
	u8 in[4096]; /* the client's input the console has not taken */
	size_t in_len;
};

/* The log's size limit and the rotated files kept (vesseld's options). */
void console_set_log_limits(u64 max_bytes, unsigned int keep);

/* Set @c up for @g in @dir (RUN/NAME); -ENAMETOOLONG. */
int console_init(struct console *c, struct guest *g, const char *dir);

/* "unix:RUN/NAME/console.sock": vessel's --serial value. */
const char *console_serial_opt(const struct console *c, char *buf, size_t len);

/*
 * A vessel was started or adopted: connect to its console socket as soon
 * as it listens (tried every CONSOLE_CONNECT_POLL_MS while it starts).
 */
void console_connect(struct console *c);

/*
 * The vessel has ended: what it wrote before is in the socket, read it
 * into the log, then hang up. The interactive client stays attached.
 */
void console_vessel_gone(struct console *c);

/*
 * Take @fd (a control connection whose `console` request was answered)
 * as the interactive client. False with @err when one is attached
 * already (@fd is then not taken).
 */
bool console_can_attach(const struct console *c, char *err, size_t len);
void console_attach(struct console *c, int fd);

/* The guest is freed (vesseld exits, a reload removed it): close all. */
void console_release(struct console *c);

#endif
