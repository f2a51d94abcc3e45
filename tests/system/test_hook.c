// SPDX-License-Identifier: Apache-2.0
/*
 * The quiesce hook (docs/events.md "The quiesce hook"): on every way a
 * started guest ends, `quiesce-hook CMD` runs exactly once, after the
 * devices were quiesced and before the exit, with VESSEL_REASON and
 * VESSEL_EXIT_CODE naming that end; its failure or its hanging is
 * reported and never changes the exit code or blocks the exit.
 */
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define READY_MS 30000
#define CMD_MAX 512

/* How a path is provoked: a scenario, options, and signals after READY. */
struct path {
	const char *scenario;
	const char *ready; /* NULL: the guest ends by itself */
	int sig1, sig2; /* sent after ready (0: none) */
	const char *opt[4];
	const char *line; /* the hook's line: "REASON CODE" */
	int code;
};

/* A hook that appends "$VESSEL_REASON $VESSEL_EXIT_CODE" to r->hook. */
static void hook_cmd(const struct vmrun *r, char *cmd, size_t size)
{
	snprintf(cmd, size, "echo \"$VESSEL_REASON $VESSEL_EXIT_CODE\" >> '%s'",
		 r->hook);
}

static void run_path(struct vmrun *r, const struct path *t)
{
	const char *extra[12] = { "--quiesce-hook", NULL };
	char cmd[CMD_MAX];
	int i, n = 2;

	hook_cmd(r, cmd, sizeof(cmd));
	extra[1] = cmd;
	for (i = 0; i < 4 && t->opt[i]; i++)
		extra[n++] = t->opt[i];
	assert_int_equal(vmrun_start(r, t->scenario, extra), 0);
	if (t->ready && !vmproc_wait_output(&r->p, t->ready, READY_MS)) {
		vmproc_wait_exit(&r->p, 1000);
		vmrun_dump(r);
		fail_msg("no '%s'", t->ready);
	}
	if (t->sig1)
		assert_int_equal(vmproc_kill(&r->p, t->sig1), 0);
	if (t->sig2) {
		vmproc_alive_after(&r->p, 200);
		assert_int_equal(vmproc_kill(&r->p, t->sig2), 0);
	}
}

/* Exactly one hook line, the right one; one hook event, "ok", in place. */
static void expect_hook_once(void **state, const struct path *t)
{
	struct vmrun *r = *state;
	char lines[256], want[64];
	int got, nlines, h;

	run_path(r, t);
	got = vmrun_wait(r);
	nlines = vmrun_hook_lines(r, lines, sizeof(lines));
	snprintf(want, sizeof(want), "%s\n", t->line);
	h = evlog_find(&r->ev, "hook", 0);
	if (got != t->code || nlines != 1 || strcmp(lines, want) || h < 0)
		vmrun_dump(r);
	assert_int_equal(got, t->code);
	assert_int_equal(nlines, 1);
	assert_string_equal(lines, want);
	assert_int_equal(evlog_count(&r->ev, "hook"), 1);
	assert_string_equal(evlog_str(&r->ev, h, "result"), "ok");
	assert_int_equal(evlog_int(&r->ev, h, "status", -1), 0);
	/* After the devices are quiesced, before the exit. */
	assert_true(h > evlog_find(&r->ev, "quiesce-end", 0));
	assert_int_equal(h, r->ev.n - 2);
	assert_true(evlog_well_formed(&r->ev));
}

static void test_poweroff(void **state)
{
	static const struct path t = { "poweroff", .line = "poweroff 0" };

	expect_hook_once(state, &t);
}

static void test_reboot(void **state)
{
	static const struct path t = { "reboot-cf9", .line = "reboot 32",
				       .code = 32 };

	expect_hook_once(state, &t);
}

static void test_panic(void **state)
{
	static const struct path t = { "panic", .line = "panic 34",
				       .code = 34 };

	expect_hook_once(state, &t);
}

/* The power button, pressed by SIGTERM, ends in the guest's S5. */
static void test_power_button(void **state)
{
	static const struct path t = { "power-button",
				       "PROBE READY power-button", SIGTERM,
				       .line = "poweroff 0" };

	expect_hook_once(state, &t);
}

static void test_terminate(void **state)
{
	static const struct path t = { "power-button-ignore",
				       "PROBE READY power-button-ignore",
				       SIGHUP,
				       .opt = { "--sighup", "terminate" },
				       .line = "terminated 35",
				       .code = 35 };

	expect_hook_once(state, &t);
}

static void test_power_cut(void **state)
{
	static const struct path t = { "power-button-ignore",
				       "PROBE READY power-button-ignore",
				       SIGQUIT, .line = "power-cut 3",
				       .code = 3 };

	expect_hook_once(state, &t);
}

static void test_second_signal(void **state)
{
	static const struct path t = { "power-button-ignore",
				       "PROBE READY power-button-ignore",
				       SIGTERM,
				       SIGTERM,
				       .line = "terminated 35",
				       .code = 35 };

	expect_hook_once(state, &t);
}

static void test_power_button_timeout(void **state)
{
	static const struct path t = { "power-button-ignore",
				       "PROBE READY power-button-ignore",
				       SIGINT,
				       .opt = { "--power-button-timeout",
						"1s" },
				       .line = "terminated 35",
				       .code = 35 };

	expect_hook_once(state, &t);
}

static void test_no_power_button(void **state)
{
	static const struct path t = { "power-button",
				       "PROBE READY power-button",
				       SIGTERM,
				       .opt = { "--power-button", "none" },
				       .line = "terminated 35",
				       .code = 35 };

	expect_hook_once(state, &t);
}

/* The rest of the hook's environment: VESSEL_NAME and VESSEL_PID. */
static void test_environment(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--name", "db 1", "--quiesce-hook", NULL,
				NULL };
	char cmd[CMD_MAX], lines[256], want[64];

	snprintf(cmd, sizeof(cmd),
		 "echo \"$VESSEL_NAME:$VESSEL_PID\" >> '%s'; echo HOOK-OUT",
		 r->hook);
	extra[3] = cmd;
	assert_int_equal(vmrun_start(r, "poweroff", extra), 0);
	assert_int_equal(vmrun_wait(r), 0);
	assert_int_equal(vmrun_hook_lines(r, lines, sizeof(lines)), 1);
	snprintf(want, sizeof(want), "db 1:%d\n", (int)r->p.pid);
	assert_string_equal(lines, want);
	/* Its output goes to stderr: stdout is the guest's console. */
	if (!strstr(r->p.err, "HOOK-OUT") || strstr(r->p.out, "HOOK-OUT"))
		vmrun_dump(r);
	assert_non_null(strstr(r->p.err, "HOOK-OUT"));
	assert_null(strstr(r->p.out, "HOOK-OUT"));
}

/* A failing hook is reported and changes nothing else. */
static void test_failing_hook(void **state)
{
	static const char *const extra[] = { "--quiesce-hook", "exit 3", NULL };
	struct vmrun *r = *state;
	int got, h;

	assert_int_equal(vmrun_start(r, "reboot-cf9", extra), 0);
	got = vmrun_wait(r);
	h = evlog_find(&r->ev, "hook", 0);
	if (got != 32 || h < 0)
		vmrun_dump(r);
	assert_int_equal(got, 32);
	assert_true(h >= 0);
	assert_string_equal(evlog_str(&r->ev, h, "result"), "failed");
	assert_int_equal(evlog_int(&r->ev, h, "status", -1), 3);
	assert_int_equal(evlog_int(&r->ev, r->ev.n - 1, "code", -1), 32);
}

/*
 * A hook that outlives `quiesce-hook-timeout 1s` gets SIGTERM, which ends
 * a plain `sleep` (the hook must not inherit vessel's blocked signals),
 * and vessel exits anyway, within seconds, not after the hook's 30. Its
 * output goes elsewhere so that a hook left running cannot hold the
 * test's pipes.
 */
static void test_stuck_hook(void **state)
{
	static const char *const extra[] = { "--quiesce-hook",
					     "exec sleep 30 >/dev/null 2>&1",
					     "--quiesce-hook-timeout", "1s",
					     NULL };
	struct vmrun *r = *state;
	const char *result;
	int got, h;

	assert_int_equal(vmrun_start(r, "poweroff", extra), 0);
	got = vmproc_wait_exit(&r->p, 15000);
	vmrun_load_events(r);
	h = evlog_find(&r->ev, "hook", 0);
	result = evlog_str(&r->ev, h, "result");
	if (got != 0 || !result || strcmp(result, "timed out, terminated"))
		vmrun_dump(r);
	assert_int_equal(got, 0);
	assert_non_null(result);
	assert_string_equal(result, "timed out, terminated");
	assert_int_equal(evlog_int(&r->ev, r->ev.n - 1, "code", -1), 0);
}

/*
 * A hook starts as a command from a shell would: no signal blocked or
 * ignored (SigBlk and SigIgn of /proc/self/status are all zero).
 */
/*
 * The ignored-signal mask in a "SigIgn:\t<hex>" line, less glibc's own
 * signals 32 and 33, which nobody can set or clear (make, for one, hands
 * them down ignored).
 */
static unsigned long long sigign_of(const char *text)
{
	const char *p = strstr(text, "SigIgn:");

	assert_non_null(p);
	return strtoull(p + 7, NULL, 16) & ~(3ULL << 31);
}

/* This process's ignored signals, which vessel and its hook inherit. */
static unsigned long long own_sigign(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return sigign_of(buf);
}

static void test_hook_signals(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--quiesce-hook", NULL, NULL };
	char cmd[CMD_MAX], lines[256];

	snprintf(cmd, sizeof(cmd),
		 "exec grep -E '^Sig(Blk|Ign):' /proc/self/status >> '%s'",
		 r->hook);
	extra[1] = cmd;
	assert_int_equal(vmrun_start(r, "poweroff", extra), 0);
	assert_int_equal(vmrun_wait(r), 0);
	assert_int_equal(vmrun_hook_lines(r, lines, sizeof(lines)), 2);
	/* Nothing blocked, and nothing ignored beyond what was inherited. */
	assert_non_null(strstr(lines, "SigBlk:\t0000000000000000\n"));
	assert_int_equal(sigign_of(lines), own_sigign());
}

/* No hook, no hook event. */
static void test_no_hook(void **state)
{
	struct vmrun *r = *state;

	assert_int_equal(vmrun_start(r, "poweroff", NULL), 0);
	assert_int_equal(vmrun_wait(r), 0);
	assert_int_equal(evlog_count(&r->ev, "hook"), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, vmrun_setup, vmrun_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_poweroff),	 T(test_reboot),
		T(test_panic),		 T(test_power_button),
		T(test_terminate),	 T(test_power_cut),
		T(test_second_signal),	 T(test_power_button_timeout),
		T(test_no_power_button), T(test_environment),
		T(test_failing_hook),	 T(test_stuck_hook),
		T(test_hook_signals),	 T(test_no_hook),
	};

	return cmocka_run_group_tests_name("hook", tests, NULL, NULL);
}
