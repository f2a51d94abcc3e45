// SPDX-License-Identifier: Apache-2.0
/*
 * The system-call allowlists (docs/security.md) on a real vessel: every
 * thread of a guest with disks, shared memory, a watchdog, a control
 * socket and a hook runs in seccomp filter mode with no_new_privs; a
 * forbidden call in a vCPU (made by tests/system/seccomp_shim.c after a
 * number of KVM_RUNs) kills vessel with SIGSYS and a message naming it,
 * and vesseld records the exit as seccomp; `seccomp log` lets the call
 * run, `seccomp off` loads nothing and warns.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/procstatus.h"
#include "../lib/vdrun.h"
#include "../lib/vmrun.h"

#define READY "PROBE READY power-button"
#define SHIM_AFTER "VESSEL_SHIM_PTRACE_AFTER"
#define VIOLATION                                                          \
	"seccomp: thread vcpu0 (vcpu) made system call 101 (ptrace, arch " \
	"x86_64), which is not in its allowlist: killed by SIGSYS"

/* The shim, built beside this test (tests/system/system.mk). */
static void shim_path(char *buf, size_t size)
{
	char self[PATH_MAX - 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	assert_true(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(buf, size, "%s/seccomp_shim.so", self);
	assert_int_equal(access(buf, R_OK), 0);
}

/* vessel (or vesseld and its vessels) started from now on get the shim. */
static void shim_on(const char *after)
{
	char shim[PATH_MAX];

	shim_path(shim, sizeof(shim));
	setenv("LD_PRELOAD", shim, 1);
	setenv(SHIM_AFTER, after, 1);
}

static void shim_off(void)
{
	unsetenv("LD_PRELOAD");
	unsetenv(SHIM_AFTER);
}

/*
 * Every thread of @pid: its Seccomp mode must be @mode (2: filter, 0:
 * none). Returns how many threads have a name starting with @prefix.
 */
static int check_threads(pid_t pid, const char *mode, const char *prefix)
{
	char dir[64], path[340], name[32], seccomp[16], nnp[16];
	struct dirent *de;
	int found = 0, n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%.63s/%.255s/status", dir,
			 de->d_name);
		proc_status_field(path, "Name", name, sizeof(name));
		proc_status_field(path, "Seccomp", seccomp, sizeof(seccomp));
		proc_status_field(path, "NoNewPrivs", nnp, sizeof(nnp));
		print_message("thread %s %s: Seccomp %s, NoNewPrivs %s\n",
			      de->d_name, name, seccomp, nnp);
		if (!name[0])
			continue; /* ended meanwhile */
		n++;
		assert_string_equal(seccomp, mode);
		if (!strcmp(mode, "2"))
			assert_string_equal(nnp, "1");
		found += !strncmp(name, prefix, strlen(prefix));
	}
	closedir(d);
	assert_true(n > 1);
	return found;
}

/* A 1 MiB disk image in the run's directory. */
static void make_image(const struct vmrun *r, const char *name, char *path,
		       size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", r->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(truncate(path, 1 << 20), 0);
}

/* The guest waits for its power button; a press ends it with 0. */
static void press_and_finish(struct vmrun *r)
{
	assert_int_equal(vmproc_kill(&r->p, SIGTERM), 0);
	if (vmrun_finish(r) != 0)
		vmrun_dump(r);
	assert_int_equal(r->p.status, 0);
}

static void test_every_thread_filtered(void **state)
{
	struct vmrun *r = *state;
	char d0[VMRUN_PATH_MAX + 16], d1[VMRUN_PATH_MAX + 16];
	char disk0[VMRUN_PATH_MAX + 32], disk1[VMRUN_PATH_MAX + 48];
	char shm[VMRUN_PATH_MAX], hook[VMRUN_PATH_MAX + 32], lines[256];
	const char *extra[] = { "--cpus",
				"2",
				"--disk",
				disk0,
				"--disk",
				disk1,
				"--shmem",
				"model=ivshmem,name=sandbox,size=64K",
				"--watchdog",
				"model=i6300esb,action=none",
				"--control",
				r->ctl,
				"--quiesce-hook",
				hook,
				NULL };
	struct vmproc c;
	const char *ctl[] = { vesselctl_path(), "--vm", r->ctl, "status",
			      NULL };

	snprintf(shm, sizeof(shm), "%s/shm", r->dir);
	assert_int_equal(mkdir(shm, 0700), 0);
	setenv("VESSEL_SHM_DIR", shm, 1);
	make_image(r, "d0.img", d0, sizeof(d0));
	make_image(r, "d1.img", d1, sizeof(d1));
	snprintf(disk0, sizeof(disk0), "path=%s", d0);
	snprintf(disk1, sizeof(disk1), "path=%s,iothreads=2", d1);
	snprintf(hook, sizeof(hook), "echo $VESSEL_REASON >> %s", r->hook);
	assert_int_equal(vmrun_start(r, "power-button", extra), 0);
	unsetenv("VESSEL_SHM_DIR");
	if (!vmproc_wait_output(&r->p, READY, VMRUN_WAIT_MS))
		vmrun_dump(r);
	assert_true(vmproc_alive_after(&r->p, 0));
	assert_int_equal(check_threads(r->p.pid, "2", "vcpu"), 2);
	assert_int_equal(check_threads(r->p.pid, "2", "vblk-"), 3);
	/* The main thread still serves the control socket. */
	assert_int_equal(vmproc_start(&c, ctl), 0);
	assert_int_equal(vmproc_wait_exit(&c, 20000), 0);
	assert_non_null(strstr(c.out, "state"));
	vmproc_free(&c);
	press_and_finish(r);
	assert_null(strstr(r->p.err, "seccomp"));
	/* The hook ran through the hook runner. */
	assert_int_equal(vmrun_hook_lines(r, lines, sizeof(lines)), 1);
	assert_string_equal(lines, "poweroff\n");
}

/* A forbidden call in a vCPU: SIGSYS, the message, the event. */
static void test_violation_kills(void **state)
{
	struct vmrun *r = *state;
	int i;

	shim_on("20");
	assert_int_equal(vmrun_start(r, "power-button", NULL), 0);
	shim_off();
	assert_int_equal(vmproc_wait_exit(&r->p, VMRUN_WAIT_MS), 128 + SIGSYS);
	if (!strstr(r->p.err, VIOLATION))
		vmrun_dump(r);
	assert_non_null(strstr(r->p.err, VIOLATION));
	assert_int_equal(vmrun_load_events(r), 0);
	i = evlog_find(&r->ev, "seccomp-violation", 0);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "syscall"), "ptrace");
	assert_string_equal(evlog_str(&r->ev, i, "role"), "vcpu");
	assert_string_equal(evlog_str(&r->ev, i, "thread"), "vcpu0");
	/* Nothing after: the process died at once. */
	assert_int_equal(evlog_find(&r->ev, "exit", 0), -1);
}

/* `seccomp log`: the call runs (the kernel logs it); the guest goes on. */
static void test_log_mode_runs_on(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--seccomp", "log", NULL };

	shim_on("20");
	assert_int_equal(vmrun_start(r, "power-button", extra), 0);
	shim_off();
	if (!vmproc_wait_output(&r->p, READY, VMRUN_WAIT_MS))
		vmrun_dump(r);
	assert_int_equal(check_threads(r->p.pid, "2", "vcpu"), 1);
	press_and_finish(r);
	assert_null(strstr(r->p.err, "killed by SIGSYS"));
}

/* `seccomp off`: no filter on any thread, and a warning. */
static void test_off_warns(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--seccomp", "off", NULL };

	shim_on("20");
	assert_int_equal(vmrun_start(r, "power-button", extra), 0);
	shim_off();
	if (!vmproc_wait_output(&r->p, READY, VMRUN_WAIT_MS))
		vmrun_dump(r);
	assert_int_equal(check_threads(r->p.pid, "0", "vcpu"), 1);
	press_and_finish(r);
	assert_non_null(strstr(r->p.err, "warning: seccomp off"));
}

/*
 * Under vesseld: the exit says signal SIGSYS, reason seccomp, and the
 * guest's quiesce hook, which vessel could not run, runs from vesseld.
 */
static void test_vesseld_records_seccomp(void **state)
{
	struct vdrun *t = vdrun_new("vdsc", 0);
	char hook_out[VDRUN_PATH_LEN + 16], *hook = NULL;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(t);
	snprintf(hook_out, sizeof(hook_out), "%s/hook.out", t->dir);
	vdrun_guest_file(t, "sc", "power-button",
			 "on-crash stop\n"
			 "quiesce-hook echo \"$VESSEL_REASON\" >> %s\n",
			 hook_out);
	shim_on("20");
	vdrun_start(t, NULL);
	shim_off();
	i = vdrun_wait_event(t, "exited", "sc", 1);
	assert_string_equal(evlog_str(&t->ev, i, "signal"), "SIGSYS");
	assert_string_equal(evlog_str(&t->ev, i, "reason"), "seccomp");
	vdrun_wait_event(t, "down", "sc", 1);
	vdrun_wait_event(t, "hook", "sc", 1);
	f = fopen(hook_out, "r");
	assert_non_null(f);
	hook = calloc(1, 64);
	assert_non_null(fgets(hook, 64, f));
	fclose(f);
	assert_string_equal(hook, "seccomp\n");
	free(hook);
	assert_int_equal(vdrun_stop(t), 0);
	vdrun_delete(t);
}

/*
 * Guest RAM (@size bytes, read-write) in /proc/@pid/maps: true when the
 * mappings right below and above it are inaccessible and 2 MiB at least.
 */
static bool ram_guarded(pid_t pid, unsigned long long size)
{
	unsigned long long lo[3] = { 0 }, hi[3] = { 0 }, a, b;
	char path[64], line[512], perm[3][8] = { "", "", "" }, p[8];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f) &&
	       sscanf(line, "%llx-%llx %7s", &a, &b, p) == 3) {
		memmove(&lo[0], &lo[1], 2 * sizeof(lo[0]));
		memmove(&hi[0], &hi[1], 2 * sizeof(hi[0]));
		memmove(perm[0], perm[1], 2 * sizeof(perm[0]));
		lo[2] = a, hi[2] = b;
		snprintf(perm[2], sizeof(perm[2]), "%s", p);
		/* The row after RAM is read before RAM is known to be found. */
		found = hi[1] - lo[1] == size && !strcmp(perm[1], "rw-p");
	}
	fclose(f);
	return found && !strcmp(perm[0], "---p") && hi[0] == lo[1] &&
	       hi[0] - lo[0] >= 2 << 20 && !strcmp(perm[2], "---p") &&
	       lo[2] == hi[1] && hi[2] - lo[2] >= 2 << 20;
}

/* A device model running past guest RAM faults instead of hitting ours. */
static void test_guest_ram_guarded(void **state)
{
	struct vmrun *r = *state;
	const char *extra[] = { "--mem", "50M", NULL };

	assert_int_equal(vmrun_start(r, "power-button", extra), 0);
	if (!vmproc_wait_output(&r->p, READY, VMRUN_WAIT_MS))
		vmrun_dump(r);
	assert_true(ram_guarded(r->p.pid, 50ULL << 20));
	press_and_finish(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_thread_filtered,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_violation_kills,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_log_mode_runs_on,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_off_warns, vmrun_setup,
						vmrun_teardown),
		cmocka_unit_test_setup_teardown(test_guest_ram_guarded,
						vmrun_setup, vmrun_teardown),
		cmocka_unit_test(test_vesseld_records_seccomp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
