// SPDX-License-Identifier: Apache-2.0
/*
 * Guest consoles under vesseld, with probe guests: the console log holds
 * every boot's output from its first line (vesseld reconnects to each new
 * vessel and reads what a vessel wrote before it ended); the log rotates
 * at --console-log-size, keeping --console-log-keep files, and what it
 * keeps is the guest's output byte for byte; `vesselctl console` sends a
 * line to the echo guest and gets its answer; Ctrl-] ends vesselctl with
 * exit 0 and the terminal as it was, while the guest runs on; a second
 * interactive client is refused while one is attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/evlog.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define WAIT_MS 30000
#define EXIT_MS 30000
#define CTRL_RBRACKET "\x1d"
#define LOG_SIZE 128
#define LOG_KEEP 3

static int setup(void **state)
{
	struct vdrun *t = vdrun_new("vdc", 0);

	*state = t;
	return t ? 0 : -1;
}

static int teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* `vesselctl --daemon SOCK console @name`, stdin a pipe (or @master's pty). */
static void console_start(struct vdrun *t, struct vmproc *c, const char *name,
			  int master)
{
	const char *argv[] = { vesselctl_path(), "--daemon", t->sock,
			       "console",	 name,	     NULL };

	if (master >= 0)
		assert_int_equal(vmproc_start_tty(c, argv, master), 0);
	else
		assert_int_equal(vmproc_start(c, argv), 0);
}

/* The guest's running pid from `vesselctl list --json`, or -1. */
static long long running_pid(struct vdrun *t, const char *name)
{
	const char *argv[] = { vesselctl_path(), "--daemon", t->sock,
			       "list",		 "--json",   NULL };
	char key[64], *p;
	struct vmproc c;
	long long pid = -1;

	assert_int_equal(vmproc_start(&c, argv), 0);
	assert_int_equal(vmproc_wait_exit(&c, WAIT_MS), 0);
	snprintf(key, sizeof(key),
		 "\"name\":\"%s\",\"state\":\"running\","
		 "\"pid\":",
		 name);
	p = strstr(c.out, key);
	if (p)
		pid = strtoll(p + strlen(key), NULL, 10);
	vmproc_free(&c);
	return pid;
}

/*
 * The log from each boot's first line to its last: a guest that reboots
 * (vessel exits 32, vesseld starts a new one) four times. vesseld
 * connects to each new vessel before its guest says anything, and reads
 * what an ending vessel still had for it.
 */
static void test_log_every_boot(void **state)
{
	struct vdrun *t = *state;
	size_t len;
	char *log;

	vdrun_guest_file(
		t, "loop", "reboot-cf9",
		"restart-delay 0\nrestart-limit 3\nrestart-window 1m\n");
	vdrun_start(t, NULL);
	vdrun_wait_event(t, "failed", "loop", 1);
	log = vdrun_slurp(t, "loop", "console.log", &len);
	assert_non_null(log);
	if (count(log, "PROBE BOOT") != 4 ||
	    count(log, "PROBE PASS reboot-request") != 4)
		fprintf(stderr, "console.log:\n%s\n", log);
	assert_int_equal(strncmp(log, "PROBE BOOT", 10), 0);
	assert_int_equal(count(log, "PROBE BOOT"), 4);
	assert_int_equal(count(log, "PROBE PASS reboot-request"), 4);
	free(log);
}

/*
 * --console-log-size 128 --console-log-keep 3 and a guest that writes
 * some 575 bytes: console.log.1 to .3 are 128 bytes each, console.log
 * holds the rest, there is no .4, and .3 .2 .1 console.log in a row are
 * the end of what the same guest writes under vessel alone.
 */
static void test_log_rotation(void **state)
{
	static const char *const opts[] = { "--console-log-size", "128",
					    "--console-log-keep", "3", NULL };
	static const char *const mem[] = { "--mem", "64M", NULL };
	struct vdrun *t = *state;
	char name[32], kept[4 * LOG_SIZE + 1] = "", *part;
	size_t len, total = 0;
	struct vmproc alone;
	int i;

	vdrun_guest_file(t, "m", "mem", "");
	vdrun_start(t, opts);
	vdrun_wait_event(t, "down", "m", 1);
	for (i = LOG_KEEP; i >= 0; i--) {
		snprintf(name, sizeof(name),
			 i ? "console.log.%d" : "console.log", i);
		part = vdrun_slurp(t, "m", name, &len);
		assert_non_null(part);
		printf("%s: %zu bytes\n", name, len);
		if (i)
			assert_int_equal(len, LOG_SIZE);
		else
			assert_true(len > 0 && len <= LOG_SIZE);
		memcpy(kept + total, part, len);
		total += len;
		free(part);
	}
	kept[total] = '\0';
	snprintf(name, sizeof(name), "console.log.%d", LOG_KEEP + 1);
	assert_null(vdrun_slurp(t, "m", name, &len));

	assert_int_equal(vmproc_run_probe(&alone, "mem", mem), 0);
	printf("the guest wrote %zu bytes; the logs keep %zu\n", alone.out_len,
	       total);
	assert_true(alone.out_len > total);
	assert_memory_equal(alone.out + alone.out_len - total, kept, total);
	assert_non_null(strstr(kept, "PROBE PASS poweroff-request"));
	vmproc_free(&alone);
}

/*
 * `vesselctl console` with a pipe for stdin: a line to the echo guest,
 * its answer back (and in the log), then Ctrl-]: exit 0.
 */
static void test_attach_echo(void **state)
{
	struct vdrun *t = *state;
	struct vmproc c;
	size_t len;
	char *log;

	vdrun_guest_file(t, "e", "echo", "");
	vdrun_start(t, NULL);
	vdrun_wait_console(t, "e", "PROBE READY echo");
	console_start(t, &c, "e", -1);
	vdrun_wait_event(t, "console-attached", "e", 1);
	assert_int_equal(vmproc_input(&c, "hello from vesselctl\n"), 0);
	if (!vmproc_wait_output(&c, "PROBE PASS echo: hello from vesselctl",
				WAIT_MS)) {
		vmproc_dump(&c);
		vdrun_dump(t);
		fail_msg("no echo through vesselctl console");
	}
	assert_int_equal(vmproc_input(&c, CTRL_RBRACKET), 0);
	assert_int_equal(vmproc_wait_exit(&c, EXIT_MS), 0);
	vmproc_free(&c);
	vdrun_wait_event(t, "console-detached", "e", 1);
	vdrun_wait_event(t, "down", "e", 1);
	log = vdrun_slurp(t, "e", "console.log", &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "PROBE PASS echo: hello from vesselctl"));
	assert_non_null(strstr(log, "PROBE PASS poweroff-request"));
	free(log);
}

/* A pty in the mode a shell leaves: cooked, echoing. */
static int pty_open(struct termios *cooked)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	assert_int_equal(tcgetattr(m, cooked), 0);
	cooked->c_lflag |= ICANON | ECHO | ISIG | IEXTEN;
	assert_int_equal(tcsetattr(m, TCSANOW, cooked), 0);
	assert_int_equal(tcgetattr(m, cooked), 0);
	return m;
}

static void wait_raw(int m)
{
	long end = vdrun_now_ms() + WAIT_MS;
	struct termios now;

	do {
		assert_int_equal(tcgetattr(m, &now), 0);
		if (!(now.c_lflag & (ICANON | ECHO | ISIG)))
			return;
		usleep(5000);
	} while (vdrun_now_ms() < end);
	fail_msg("the terminal never went raw");
}

/*
 * On a terminal: raw while attached; a second client is refused; Ctrl-]
 * detaches with exit 0 and the terminal as it was; the guest runs on
 * (same pid), and the console can be attached again.
 */
static void test_detach_guest_runs(void **state)
{
	struct vdrun *t = *state;
	struct termios before, after;
	struct vmproc c, second;
	long long pid;
	int m;

	vdrun_guest_file(t, "idle", "power-button-ignore", "");
	vdrun_start(t, NULL);
	vdrun_wait_console(t, "idle", "PROBE READY power-button-ignore");
	pid = running_pid(t, "idle");
	assert_true(pid > 0);

	m = pty_open(&before);
	console_start(t, &c, "idle", m);
	vdrun_wait_event(t, "console-attached", "idle", 1);
	wait_raw(m);

	console_start(t, &second, "idle", -1);
	assert_int_equal(vmproc_wait_exit(&second, EXIT_MS), 1);
	assert_non_null(strstr(second.err, "attached by another client"));
	vmproc_free(&second);

	assert_int_equal(vmproc_input(&c, CTRL_RBRACKET), 0);
	assert_int_equal(vmproc_wait_exit(&c, EXIT_MS), 0);
	vmproc_free(&c);
	assert_int_equal(tcgetattr(m, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(after.c_oflag, before.c_oflag);
	close(m);
	vdrun_wait_event(t, "console-detached", "idle", 1);
	assert_true(vmproc_alive_after(&t->d, 200));
	assert_int_equal(running_pid(t, "idle"), pid);

	console_start(t, &c, "idle", -1);
	vdrun_wait_event(t, "console-attached", "idle", 2);
	assert_int_equal(vmproc_input(&c, CTRL_RBRACKET), 0);
	assert_int_equal(vmproc_wait_exit(&c, EXIT_MS), 0);
	vmproc_free(&c);
	assert_int_equal(running_pid(t, "idle"), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_every_boot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_rotation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_guest_runs, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
