// SPDX-License-Identifier: Apache-2.0
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "loop.h"

static int events_open_dest(struct events *ev, const char *dest)
{
	char *end;
	long n;

	if (!strncmp(dest, "fd:", 3)) {
		n = strtol(dest + 3, &end, 10);
		if (*end || n < 0 || n > 1 << 20 || fcntl(n, F_GETFD) < 0) {
			log_err("events %s: not an open file descriptor", dest);
			return -EBADF;
		}
		ev->fd = n;
		return 0;
	}
	/* Never through a link planted where the file is to be (fd:N is
	 * the way to name another file). */
	ev->fd = open(dest,
		      O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		      0600);
	if (ev->fd < 0) {
		int ret = -errno;

		if (ret == -ELOOP)
			log_err("events %s: a symbolic link: refused", dest);
		else
			log_err_errno("events %s", dest);
		return ret;
	}
	ev->own_fd = true;
	return 0;
}

int events_open(struct events *ev, const char *dest, const char *guest)
{
	int i;

	memset(ev, 0, sizeof(*ev));
	pthread_mutex_init(&ev->lock, NULL);
	ev->fd = -1;
	ev->start_ns = loop_now_ns();
	ev->guest = guest ? strdup(guest) : NULL;
	for (i = 0; i < EVENTS_MAX_SUBSCRIBERS; i++)
		ev->sub[i] = -1;
	return dest ? events_open_dest(ev, dest) : 0;
}

void events_close(struct events *ev)
{
	if (ev->own_fd)
		close(ev->fd);
	free(ev->guest);
	pthread_mutex_destroy(&ev->lock);
	ev->fd = -1;
	ev->guest = NULL;
}

/* "2026-11-23T09:41:07.123Z" */
static void events_wall(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

struct json_object *events_seconds(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6f", s);
	return json_object_new_double_s(s, buf);
}

static struct json_object *events_line(struct events *ev, const char *type,
				       struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	char wall[40];

	events_wall(wall, sizeof(wall));
	json_object_object_add(o, "event", json_object_new_string(type));
	if (ev->guest)
		json_object_object_add(o, "guest",
				       json_object_new_string(ev->guest));
	json_object_object_add(
		o, "mono",
		events_seconds((loop_now_ns() - ev->start_ns) / 1e9));
	json_object_object_add(o, "wall", json_object_new_string(wall));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(fields);
	}
	return o;
}

static bool events_write(int fd, const char *s, size_t len)
{
	ssize_t n = write(fd, s, len);

	return n == (ssize_t)len;
}

void events_emit(struct events *ev, const char *type,
		 struct json_object *fields)
{
	struct json_object *o;
	const char *s;
	char *line;
	size_t len;
	int i;

	o = events_line(ev, type, fields);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	line = malloc(len + 2);
	if (line) {
		memcpy(line, s, len);
		line[len++] = '\n';
		pthread_mutex_lock(&ev->lock);
		if (ev->fd >= 0 && !events_write(ev->fd, line, len))
			log_warn_once("events: write failed");
		for (i = 0; i < EVENTS_MAX_SUBSCRIBERS; i++)
			if (ev->sub[i] >= 0 &&
			    !events_write(ev->sub[i], line, len)) {
				/*
				 * Its reader went away or fell behind: end its
				 * stream rather than leave it silent; the
				 * control socket then closes the connection.
				 */
				shutdown(ev->sub[i], SHUT_RDWR);
				ev->sub[i] = -1;
			}
		pthread_mutex_unlock(&ev->lock);
		free(line);
	}
	json_object_put(o);
}

void events_emit_kv(struct events *ev, const char *type, const char *key,
		    const char *value)
{
	struct json_object *f = NULL;

	if (key && value) {
		f = json_object_new_object();
		json_object_object_add(f, key, json_object_new_string(value));
	}
	events_emit(ev, type, f);
}

int events_subscribe(struct events *ev, int fd)
{
	int i, ret = -ENOSPC;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&ev->lock);
	for (i = 0; i < EVENTS_MAX_SUBSCRIBERS && ret; i++) {
		if (ev->sub[i] < 0) {
			ev->sub[i] = fd;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

void events_unsubscribe(struct events *ev, int fd)
{
	int i;

	pthread_mutex_lock(&ev->lock);
	for (i = 0; i < EVENTS_MAX_SUBSCRIBERS; i++)
		if (ev->sub[i] == fd)
			ev->sub[i] = -1;
	pthread_mutex_unlock(&ev->lock);
}
