/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_EVENTS_H
#define VESSEL_EVENTS_H

/*
 * Lifecycle events as JSON lines (docs/events.md): to the `events` file or
 * fd, and to every control-socket subscriber. Each line carries the event
 * type, the guest's name, a monotonic timestamp (seconds since vessel
 * started) and a wall-clock one, plus the event's own fields.
 * Thread-safe: one write(2) per line and destination.
 */

#include <pthread.h>

#include "../common/types.h"

struct json_object;

#define EVENTS_MAX_SUBSCRIBERS 8

struct events {
	pthread_mutex_t lock;
	int fd; /* -1: no events file */
	bool own_fd;
	char *guest;
	u64 start_ns;
	int sub[EVENTS_MAX_SUBSCRIBERS]; /* -1 when free */
};

/*
 * @dest: NULL (no file), "fd:N", or a path (created 0600, appended to).
 * Returns 0 or -errno after logging.
 */
int events_open(struct events *ev, const char *dest, const char *guest);
void events_close(struct events *ev);

/*
 * Emit one event; takes ownership of @fields (a JSON object, or NULL).
 * Subscribers that cannot keep up (the write would block) are dropped.
 */
void events_emit(struct events *ev, const char *type,
		 struct json_object *fields);

/* A JSON number printed with microsecond precision ("12.345678"). */
struct json_object *events_seconds(double s);

/* Emit with one string field (both may be NULL). */
void events_emit_kv(struct events *ev, const char *type, const char *key,
		    const char *value);

/* Stream future events to @fd (made non-blocking); -ENOSPC when full. */
int events_subscribe(struct events *ev, int fd);
/* Stop streaming to @fd (the caller closes it). */
void events_unsubscribe(struct events *ev, int fd);

#endif
