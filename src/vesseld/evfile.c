// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's event file (evfile.h). One write(2) per line on an O_APPEND
 * file, so a reader never sees half a line and a crash loses at most
 * the line being written.
 */
#include "evfile.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "dloop.h"

int evfile_open(struct evfile *ev, const char *path)
{
	memset(ev, 0, sizeof(*ev));
	ev->start_ms = dloop_now_ms();
	/* Readable too: `events past` sends the file's lines (ctlsock.c). */
	ev->fd =
		open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	return ev->fd < 0 ? -errno : 0;
}

void evfile_close(struct evfile *ev)
{
	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
}

struct json_object *evfile_seconds(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6f", s);
	return json_object_new_double_s(s, buf);
}

/* "2026-11-23T09:41:07.123Z", as vessel writes it. */
static void evfile_wall(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static struct json_object *evfile_line(const struct evfile *ev,
				       const char *type, const char *guest,
				       struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	struct timespec ts;
	char wall[40];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	evfile_wall(wall, sizeof(wall));
	json_object_object_add(o, "event", json_object_new_string(type));
	if (guest)
		json_object_object_add(o, "guest",
				       json_object_new_string(guest));
	json_object_object_add(o, "mono",
			       evfile_seconds(ts.tv_sec + ts.tv_nsec / 1e9 -
					      ev->start_ms / 1e3));
	json_object_object_add(o, "wall", json_object_new_string(wall));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(fields);
	}
	return o;
}

void evfile_emit(struct evfile *ev, const char *type, const char *guest,
		 struct json_object *fields)
{
	struct json_object *o = evfile_line(ev, type, guest, fields);
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s\n", s);

	if (n >= (int)sizeof(line)) {
		log_warn_once("event '%s' too long for the event file", type);
		n = 0;
	}
	if (n && ev->fd >= 0 && write(ev->fd, line, n) != n)
		log_warn_once("event file: %s",
			      errno ? strerror(errno) : "short write");
	if (n && ev->tap)
		ev->tap(ev->tap_ctx, line, n);
	json_object_put(o);
}
