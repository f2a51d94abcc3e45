// SPDX-License-Identifier: Apache-2.0
/*
 * `state PATH` end to end (docs/state.md): what a supervisor that is not
 * vessel's parent reads. While the guest runs: who vessel is (pid, start
 * time, boot id) and where its control socket and events are. After each
 * kind of exit: the code, its name and the mechanism. After a fatal
 * signal: which one. After SIGKILL, which vessel cannot see: "running"
 * with a dead pid. And what is refused before the guest starts. The file
 * is read here with json-c and /proc directly, not through statefile.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define READY_MS 30000
#define IGN "power-button-ignore"
#define IGN_READY "PROBE READY power-button-ignore"
#define ESB "watchdog probe.wdt=i6300esb probe.wdt.timeout=1"
#define EXTRA_MAX 16

struct run {
	struct vmrun r; /* first: vmrun_setup's fixture is this struct */
	char state[VMRUN_PATH_MAX + 16]; /* dir/guest.state */
	char tmp[VMRUN_PATH_MAX + 24]; /* dir/guest.state.tmp */
};

static int run_setup(void **state)
{
	struct run *t = calloc(1, sizeof(*t));
	struct rlimit no_core = { 0, 0 };

	/* The crash test's vessel dies of SIGSEGV: no core file in the tree. */
	setrlimit(RLIMIT_CORE, &no_core);
	if (!t || vmrun_init(&t->r))
		return -1;
	snprintf(t->state, sizeof(t->state), "%s/guest.state", t->r.dir);
	snprintf(t->tmp, sizeof(t->tmp), "%s.tmp", t->state);
	*state = t;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *t = *state;

	vmrun_free(&t->r);
	free(t);
	return 0;
}

/* --state, --name, --control, then @extra (NULL-terminated, may be NULL). */
static void start(struct run *t, const char *scenario, const char *state_path,
		  const char *const extra[])
{
	const char *argv[EXTRA_MAX] = { "--state", state_path,	"--name",
					"sf",	   "--control", t->r.ctl };
	int n = 6;

	while (extra && *extra && n < EXTRA_MAX - 1)
		argv[n++] = *extra++;
	argv[n] = NULL;
	assert_int_equal(vmrun_start(&t->r, scenario, argv), 0);
}

static void start_ready(struct run *t, const char *const extra[])
{
	start(t, IGN, t->state, extra);
	if (!vmproc_wait_output(&t->r.p, IGN_READY, READY_MS)) {
		vmproc_wait_exit(&t->r.p, 1000);
		vmrun_dump(&t->r);
		fail_msg("no '%s' from the probe", IGN_READY);
	}
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct json_object *load(struct run *t)
{
	char *text = slurp(t->state);
	struct json_object *o;

	if (!text) {
		vmrun_dump(&t->r);
		fail_msg("no state file %s", t->state);
	}
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object))
		fail_msg("state file is not a JSON object: %s", text);
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

static long long num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* Field 22 of /proc/PID/stat, read here independently of vessel. */
static long long proc_start_time(pid_t pid)
{
	char path[32], *p, *text;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = slurp(path);
	if (!text || !(p = strrchr(text, ')')))
		return -1;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The record while the guest waits at its marker, and vessel's identity. */
static void check_running(struct run *t, struct json_object *o)
{
	char boot[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	struct stat st;

	if (f) {
		assert_non_null(fgets(boot, sizeof(boot), f));
		boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	assert_int_equal(num(o, "version"), 1);
	assert_string_equal(str(o, "state"), "running");
	assert_int_equal(num(o, "pid"), t->r.p.pid);
	assert_int_equal(num(o, "start_time"), proc_start_time(t->r.p.pid));
	if (boot[0])
		assert_string_equal(str(o, "boot_id"), boot);
	assert_string_equal(str(o, "name"), "sf");
	assert_string_equal(str(o, "control"), t->r.ctl);
	assert_string_equal(str(o, "events"), t->r.events);
	assert_non_null(str(o, "started"));
	assert_null(str(o, "code"));
	assert_int_equal(stat(t->state, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists(t->tmp));
}

/*
 * The exit record: what the exit code and the events say, with the
 * running record's identity and start kept.
 */
static void check_exited(struct run *t, int code, const char *reason,
			 const char *stop_by)
{
	struct json_object *o = load(t);
	int i;

	assert_string_equal(str(o, "state"), "exited");
	assert_int_equal(num(o, "code"), code);
	assert_string_equal(str(o, "reason"), reason);
	assert_string_equal(str(o, "stop_by"), stop_by);
	assert_int_equal(num(o, "pid"), t->r.p.pid);
	assert_true(num(o, "start_time") > 0);
	assert_non_null(str(o, "started"));
	assert_non_null(str(o, "ended"));
	assert_true(strcmp(str(o, "ended"), str(o, "started")) >= 0);
	i = evlog_find(&t->r.ev, "exit", 0);
	assert_true(i >= 0);
	assert_int_equal(evlog_int(&t->r.ev, i, "code", -1), code);
	assert_false(exists(t->tmp));
	json_object_put(o);
}

static void expect_exit(struct run *t, int code)
{
	int got = vmrun_wait(&t->r);

	if (got != code)
		vmrun_dump(&t->r);
	assert_int_equal(got, code);
}

/*
 * Running at the marker; SIGQUIT then gives 3. The quiesce hook, which
 * runs before the exit record, still reads "running".
 */
static void test_running_then_power_cut(void **state)
{
	struct run *t = *state;
	char hook[VMRUN_PATH_MAX * 3];
	const char *extra[] = { "--quiesce-hook", hook, NULL };
	struct json_object *o;
	char started[64];

	snprintf(hook, sizeof(hook), "cat %s > %s", t->state, t->r.hook);
	start_ready(t, extra);
	o = load(t);
	check_running(t, o);
	snprintf(started, sizeof(started), "%s", str(o, "started"));
	json_object_put(o);

	assert_int_equal(vmproc_kill(&t->r.p, SIGQUIT), 0);
	expect_exit(t, 3);
	check_exited(t, 3, "power-cut", "SIGQUIT");
	o = load(t);
	assert_string_equal(str(o, "started"), started);
	json_object_put(o);
	assert_non_null(strstr(slurp(t->r.hook), "\"state\":\"running\""));
}

static void test_poweroff(void **state)
{
	struct run *t = *state;

	start(t, "poweroff", t->state, NULL);
	expect_exit(t, 0);
	check_exited(t, 0, "poweroff", "S5");
}

static void test_reboot(void **state)
{
	struct run *t = *state;

	start(t, "reboot-cf9", t->state, NULL);
	expect_exit(t, 32);
	check_exited(t, 32, "reboot", "cf9");
}

static void test_watchdog(void **state)
{
	static const char *const extra[] = { "--watchdog",
					     "model=i6300esb,action=terminate",
					     NULL };
	struct run *t = *state;

	start(t, ESB, t->state, extra);
	expect_exit(t, 4);
	check_exited(t, 4, "watchdog", "i6300esb");
}

/*
 * SIGKILL, which this test sends to play the host killing vessel: the
 * record says "running", and its pid is dead. That pair is how a
 * supervisor recognises a vessel that was killed.
 */
static void test_sigkill_leaves_running(void **state)
{
	struct run *t = *state;
	struct json_object *o;
	pid_t pid;

	start_ready(t, NULL);
	pid = t->r.p.pid;
	assert_int_equal(vmproc_kill(&t->r.p, SIGKILL), 0);
	expect_exit(t, 128 + SIGKILL);
	o = load(t);
	assert_string_equal(str(o, "state"), "running");
	assert_int_equal(num(o, "pid"), pid);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(proc_start_time(pid), -1);
	json_object_put(o);
}

/* A fatal signal (sent here, as a crash would raise it) is recorded. */
static void test_fatal_signal_recorded(void **state)
{
	struct run *t = *state;
	struct json_object *o;
	long long start_time;

	start_ready(t, NULL);
	o = load(t);
	start_time = num(o, "start_time");
	json_object_put(o);
	assert_int_equal(vmproc_kill(&t->r.p, SIGSEGV), 0);
	expect_exit(t, 128 + SIGSEGV);
	o = load(t);
	assert_string_equal(str(o, "state"), "crashed");
	assert_int_equal(num(o, "signal"), SIGSEGV);
	assert_string_equal(str(o, "signal_name"), "SIGSEGV");
	assert_int_equal(num(o, "pid"), t->r.p.pid);
	assert_int_equal(num(o, "start_time"), start_time);
	assert_non_null(str(o, "started"));
	assert_non_null(str(o, "ended"));
	assert_null(str(o, "code"));
	assert_false(exists(t->tmp));
	json_object_put(o);
}

/* The thread id of @pid's thread named @comm, or -1. */
static pid_t thread_named(pid_t pid, const char *comm)
{
	char path[320], name[32];
	struct dirent *de;
	pid_t tid = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && tid < 0 && (de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		if (f && fgets(name, sizeof(name), f) &&
		    !strncmp(name, comm, strlen(comm)))
			tid = atoi(de->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return tid;
}

/*
 * A fault on a vCPU thread (where device emulation runs) reaches the
 * crash handler too: the fault signals are not blocked there.
 */
static void test_vcpu_fault_recorded(void **state)
{
	struct run *t = *state;
	struct json_object *o;
	pid_t tid;

	start_ready(t, NULL);
	tid = thread_named(t->r.p.pid, "vcpu0");
	assert_true(tid > 0);
	assert_int_equal(syscall(SYS_tgkill, t->r.p.pid, tid, SIGSEGV), 0);
	expect_exit(t, 128 + SIGSEGV);
	o = load(t);
	assert_string_equal(str(o, "state"), "crashed");
	assert_int_equal(num(o, "signal"), SIGSEGV);
	json_object_put(o);
}

/* Refused before the guest starts: 64, no guest output, no events. */
static void expect_refused(struct run *t, const char *state_path)
{
	start(t, "poweroff", state_path, NULL);
	expect_exit(t, 64);
	if (strstr(t->r.p.out, "PROBE") || exists(t->r.events))
		vmrun_dump(&t->r);
	assert_null(strstr(t->r.p.out, "PROBE"));
	assert_false(exists(t->r.events));
	assert_non_null(strstr(t->r.p.err, state_path));
}

static void test_symlink_refused(void **state)
{
	struct run *t = *state;
	char target[VMRUN_PATH_MAX + 16];
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", t->r.dir);
	assert_int_equal(symlink(target, t->state), 0);
	expect_refused(t, t->state);
	assert_false(exists(target));
	assert_int_equal(lstat(t->state, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

/*
 * A directory vessel cannot create files in. As root, permissions stop
 * nothing, so the directory is sysfs, which refuses everyone.
 */
static void test_unwritable_dir_refused(void **state)
{
	struct run *t = *state;
	char dir[VMRUN_PATH_MAX + 16], path[VMRUN_PATH_MAX + 32];

	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "/sys/kernel/vessel-test-%d.state",
			 (int)getpid());
		expect_refused(t, path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/ro", t->r.dir);
	assert_int_equal(mkdir(dir, 0500), 0);
	snprintf(path, sizeof(path), "%s/guest.state", dir);
	expect_refused(t, path);
	rmdir(dir);
}

/* Another vessel on the poweroff scenario with the same state file. */
static int run_second(struct run *t, struct vmproc *second)
{
	const char *const extra[] = { "--state", t->state, "--events",
				      "/dev/null", NULL };
	int code;

	assert_int_equal(vmproc_start_probe(second, "poweroff", extra), 0);
	code = vmproc_wait_exit(second, 30000);
	if (code != 0 && code != 64)
		vmproc_dump(second);
	return code;
}

/*
 * A second vessel given the state file of one that runs is refused and
 * leaves its record alone; the next vessel after the exit replaces it.
 */
static void test_in_use_refused_then_replaced(void **state)
{
	struct run *t = *state;
	struct vmproc second;
	char before[4096];
	struct json_object *o;

	start_ready(t, NULL);
	snprintf(before, sizeof(before), "%s", slurp(t->state));
	assert_int_equal(run_second(t, &second), 64);
	assert_non_null(strstr(second.err, "is running with this state file"));
	assert_null(strstr(second.out, "PROBE"));
	vmproc_free(&second);
	assert_string_equal(slurp(t->state), before);

	assert_int_equal(vmproc_kill(&t->r.p, SIGQUIT), 0);
	expect_exit(t, 3);
	assert_int_equal(run_second(t, &second), 0);
	o = load(t);
	assert_string_equal(str(o, "state"), "exited");
	assert_int_equal(num(o, "pid"), second.pid);
	assert_int_not_equal(num(o, "pid"), t->r.p.pid);
	assert_int_equal(num(o, "code"), 0);
	json_object_put(o);
	vmproc_free(&second);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, run_setup, run_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_running_then_power_cut),
		T(test_poweroff),
		T(test_reboot),
		T(test_watchdog),
		T(test_sigkill_leaves_running),
		T(test_fatal_signal_recorded),
		T(test_vcpu_fault_recorded),
		T(test_symlink_refused),
		T(test_unwritable_dir_refused),
		T(test_in_use_refused_then_replaced),
	};

	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
