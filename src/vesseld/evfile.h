/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_EVFILE_H
#define VESSELD_EVFILE_H

/*
 * vesseld's own events: one JSON object per line, appended to
 * RUN/vesseld.events, in the shape of vessel's (docs/events.md): "event",
 * "guest" when about one guest, "mono" (seconds since vesseld started),
 * "wall", then the event's fields. Listed in docs/vesseld.md.
 */

#include "../common/types.h"

struct json_object;

struct evfile {
	int fd; /* -1: events are only logged */
	u64 start_ms;
	/* Called with each line (its '\n' included), e.g. for subscribers. */
	void (*tap)(void *ctx, const char *line, size_t len);
	void *tap_ctx;
};

/* Open (append, create 0600) @path; 0 or -errno. */
int evfile_open(struct evfile *ev, const char *path);
void evfile_close(struct evfile *ev);

/*
 * Write event @type about @guest (NULL: vesseld itself) with @fields
 * (an object, NULL for none; its reference is taken).
 */
void evfile_emit(struct evfile *ev, const char *type, const char *guest,
		 struct json_object *fields);

/* A seconds value with microseconds, as vessel's "mono". */
struct json_object *evfile_seconds(double s);

#endif
