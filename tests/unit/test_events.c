// SPDX-License-Identifier: Apache-2.0
/* Event lines: one JSON object each, common fields, subscribers. */
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vmm/events.h"

/* Read one line from @fd and parse it. */
static struct json_object *read_event(int fd)
{
	char line[1024];
	size_t n = 0;

	while (n < sizeof(line) - 1 && read(fd, &line[n], 1) == 1 &&
	       line[n] != '\n')
		n++;
	assert_true(n > 0 && line[n] == '\n');
	line[n] = '\0';
	return json_tokener_parse(line);
}

static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_fd_dest_and_fields(void **state)
{
	struct events ev;
	struct json_object *o, *f;
	char dest[16];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	snprintf(dest, sizeof(dest), "fd:%d", p[1]);
	assert_int_equal(events_open(&ev, dest, "web1"), 0);
	f = json_object_new_object();
	json_object_object_add(f, "code", json_object_new_int(32));
	events_emit(&ev, "exit", f);
	events_emit_kv(&ev, "reboot-requested", "by", "cf9");
	events_emit_kv(&ev, "booted", NULL, NULL);

	o = read_event(p[0]);
	assert_string_equal(field(o, "event"), "exit");
	assert_string_equal(field(o, "guest"), "web1");
	assert_string_equal(field(o, "code"), "32");
	assert_non_null(field(o, "mono"));
	assert_int_equal(strlen(field(o, "wall")), 24); /* ...T..:..:..mmmZ */
	json_object_put(o);
	o = read_event(p[0]);
	assert_string_equal(field(o, "by"), "cf9");
	json_object_put(o);
	o = read_event(p[0]);
	assert_string_equal(field(o, "event"), "booted");
	assert_null(field(o, "by"));
	json_object_put(o);
	events_close(&ev);
	close(p[0]);
	close(p[1]);
}

static void test_file_dest(void **state)
{
	char path[64];
	struct events ev;
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vessel-events-%d", getpid());
	unlink(path);
	assert_int_equal(events_open(&ev, path, NULL), 0);
	events_emit_kv(&ev, "started", NULL, NULL);
	events_close(&ev);
	/* Appended, not truncated, by a second vessel. */
	assert_int_equal(events_open(&ev, path, NULL), 0);
	events_emit_kv(&ev, "exit", NULL, NULL);
	events_close(&ev);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	json_object_put(read_event(fd));
	json_object_put(read_event(fd));
	close(fd);
	unlink(path);
}

static void test_bad_dest(void **state)
{
	struct events ev;

	(void)state;
	assert_int_not_equal(events_open(&ev, "fd:99999", NULL), 0);
	events_close(&ev);
	assert_int_not_equal(events_open(&ev, "fd:x", NULL), 0);
	events_close(&ev);
	assert_int_not_equal(events_open(&ev, "/nonexistent/dir/ev", NULL), 0);
	events_close(&ev);
}

static void test_subscribers(void **state)
{
	struct events ev;
	struct json_object *o;
	int a[2], b[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* as vessel does */
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(events_open(&ev, NULL, NULL), 0);
	assert_int_equal(events_subscribe(&ev, a[1]), 0);
	assert_int_equal(events_subscribe(&ev, b[1]), 0);
	/* A reader that went away is dropped; the others still get events. */
	close(b[0]);
	events_emit_kv(&ev, "s5", "by", "S5");
	o = read_event(a[0]);
	assert_string_equal(field(o, "event"), "s5");
	json_object_put(o);
	events_unsubscribe(&ev, a[1]);
	events_emit_kv(&ev, "exit", NULL, NULL);
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	{
		char c;

		assert_int_equal(read(a[0], &c, 1), -1);
	}
	events_close(&ev);
	close(a[0]);
	close(a[1]);
	close(b[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_dest_and_fields),
		cmocka_unit_test(test_file_dest),
		cmocka_unit_test(test_bad_dest),
		cmocka_unit_test(test_subscribers),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
