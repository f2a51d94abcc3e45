/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_PROTO_H
#define VESSEL_PROTO_H

/*
 * The control protocol spoken by vessel's control socket, vesselctl and
 * vesseld: a request is one line of text, a command word and optional
 * arguments separated by blanks, at most PROTO_REQUEST_MAX bytes with its
 * newline; a reply is one JSON object on one line, {"ok":true, ...} or
 * {"ok":false,"error":"..."}. Pure functions, no global state; only
 * proto_read_line() does I/O (one recv).
 */

#include <stddef.h>
#include <sys/types.h>

#include "types.h"

struct json_object;

/* The longest request line, its '\n' included. */
#define PROTO_REQUEST_MAX 256
/* The most arguments after the command word. */
#define PROTO_ARGS_MAX 8

/* A parsed request; cmd and argv point into buf. */
struct proto_request {
	char buf[PROTO_REQUEST_MAX];
	const char *cmd;
	const char *argv[PROTO_ARGS_MAX + 1]; /* NULL-terminated */
	int argc;
};

/*
 * Parse the request line @line of @len bytes (the '\n' and a '\r' before
 * it may be included or not). Rejects: too long, NUL bytes, bytes that
 * are not UTF-8, control characters, an empty line, a command word that
 * is not [a-z0-9-], more than PROTO_ARGS_MAX arguments. Returns 0, or
 * -E2BIG/-EINVAL with *@why set to a static message for the error reply.
 */
int proto_parse_request(struct proto_request *req, const char *line, size_t len,
			const char **why);

/* A request line arriving over a stream socket, in pieces. */
struct proto_line {
	size_t len; /* bytes in buf */
	char buf[PROTO_REQUEST_MAX];
	unsigned long long since_ns; /* CLOCK_MONOTONIC: the connection came */
};

/*
 * A connection with no whole request PROTO_IDLE_NS after it came may lose
 * its slot to a new one when every slot is taken: a client that connects
 * and says nothing cannot lock the others out.
 */
#define PROTO_IDLE_NS 2000000000ULL

/* A new connection on @ln's slot: nothing read yet, the clock started. */
void proto_line_start(struct proto_line *ln);

/* Since when @ln waits for its request, if longer than PROTO_IDLE_NS; else 0. */
unsigned long long proto_line_idle_since(const struct proto_line *ln);

/*
 * One non-blocking read from @fd into @ln, the server's side of one
 * request per connection. Returns the length of the first line in
 * ln->buf, its '\n' included (bytes after it are ignored), or of all of
 * ln->buf when the peer closed after a last line without '\n'; 0 when
 * the line is not complete yet or nothing could be read; -EPIPE when the
 * peer closed or failed with nothing read; -E2BIG when
 * PROTO_REQUEST_MAX bytes came without a '\n', with *@why set to the
 * message for the error reply. On -EPIPE and -E2BIG drop the client.
 */
ssize_t proto_read_line(struct proto_line *ln, int fd, const char **why);

/*
 * Write "@cmd @argv...\n" and a NUL into @buf (PROTO_REQUEST_MAX + 1
 * bytes hold any request). The result is checked with
 * proto_parse_request(). Returns its length, or -E2BIG/-EINVAL.
 */
int proto_format_request(char *buf, size_t size, const char *cmd,
			 const char *const argv[]);

/*
 * The reply lines: malloc'd, '\n'-terminated, NULL only when out of
 * memory. proto_reply_ok() adds @key: @value when @key is not NULL and
 * takes ownership of @value. A reply holds no raw control characters.
 */
char *proto_reply_ok(const char *key, struct json_object *value);
char *proto_reply_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* A parsed reply (client side). */
struct proto_reply {
	struct json_object *obj; /* the whole reply; owned */
	bool ok;
	const char *error; /* when !ok: the message, inside obj */
};

/*
 * Parse one reply line (@len bytes, '\n' optional). Returns 0, or
 * -EPROTO when it is not one JSON object with a boolean "ok" (and, when
 * false, a string "error"). proto_reply_free() releases it.
 */
int proto_parse_reply(struct proto_reply *rep, const char *line, size_t len);
void proto_reply_free(struct proto_reply *rep);

#endif
