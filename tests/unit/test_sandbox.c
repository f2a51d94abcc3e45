// SPDX-License-Identifier: Apache-2.0
/*
 * The system-call allowlists (src/vmm/sandbox.c), loaded for real in
 * forked children: a call in a role's list runs; one outside it kills the
 * child with SIGSYS after a line on stderr naming the thread's role and
 * the call, and a seccomp-violation event; in log mode it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vmm/sandbox.h"

/* What a child does once its role's list is loaded. */
typedef void (*act_fn)(void);

struct outcome {
	int status; /* waitpid()'s */
	char err[1024]; /* its stderr */
	char events[1024]; /* its events fd */
};

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
}

static __attribute__((noreturn)) void child(enum sandbox_mode mode,
					    enum sandbox_role role, act_fn act,
					    int err_fd, int ev_fd)
{
	dup2(err_fd, STDERR_FILENO);
	prctl(PR_SET_NAME, "sbtest", 0, 0, 0);
	if (sandbox_arm(mode, ev_fd, "unit") || sandbox_enter(role))
		_exit(90);
	act();
	_exit(0);
}

/* Run @act in a child under @role's list in @mode. */
static void run_in(enum sandbox_mode mode, enum sandbox_role role, act_fn act,
		   struct outcome *o)
{
	int err[2], ev[2];
	pid_t pid;

	assert_int_equal(pipe(err), 0);
	assert_int_equal(pipe(ev), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(err[0]);
		close(ev[0]);
		child(mode, role, act, err[1], ev[1]);
	}
	close(err[1]);
	close(ev[1]);
	read_all(err[0], o->err, sizeof(o->err));
	read_all(ev[0], o->events, sizeof(o->events));
	close(err[0]);
	close(ev[0]);
	assert_int_equal(waitpid(pid, &o->status, 0), pid);
}

static void assert_ran(const struct outcome *o)
{
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status))
		print_message("status %#x, stderr: %s\n", o->status, o->err);
	assert_true(WIFEXITED(o->status));
	assert_int_equal(WEXITSTATUS(o->status), 0);
}

/* Killed by SIGSYS, and both reports name @role and @call. */
static void assert_violation(const struct outcome *o, enum sandbox_role role,
			     const char *call)
{
	char want[64];
	struct json_object *ev, *v;

	if (!WIFSIGNALED(o->status))
		print_message("status %#x, stderr: %s\n", o->status, o->err);
	assert_true(WIFSIGNALED(o->status));
	assert_int_equal(WTERMSIG(o->status), SIGSYS);
	snprintf(want, sizeof(want), "thread sbtest (%s)",
		 sandbox_role_name(role));
	assert_non_null(strstr(o->err, want));
	snprintf(want, sizeof(want), "(%s, arch x86_64)", call);
	assert_non_null(strstr(o->err, want));
	assert_non_null(strstr(o->err, "killed by SIGSYS"));
	ev = json_tokener_parse(o->events);
	assert_non_null(ev);
	assert_true(json_object_object_get_ex(ev, "event", &v));
	assert_string_equal(json_object_get_string(v), "seccomp-violation");
	assert_true(json_object_object_get_ex(ev, "syscall", &v));
	assert_string_equal(json_object_get_string(v), call);
	assert_true(json_object_object_get_ex(ev, "role", &v));
	assert_string_equal(json_object_get_string(v), sandbox_role_name(role));
	assert_true(json_object_object_get_ex(ev, "guest", &v));
	assert_string_equal(json_object_get_string(v), "unit");
	json_object_put(ev);
}

/* --- what the children do --- */

/* Calls every role makes: memory, time, a write, a lock-free futex wake. */
static void act_allowed(void)
{
	struct timespec ts;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int word = 0;

	if (p == MAP_FAILED || munmap(p, 4096))
		_exit(1);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) || getpid() <= 0)
		_exit(2);
	if (syscall(SYS_futex, &word, 1 /* FUTEX_WAKE */, 1, NULL) < 0)
		_exit(3);
	if (write(STDERR_FILENO, "ok\n", 3) != 3)
		_exit(4);
}

static void act_ptrace(void)
{
	ptrace(PTRACE_PEEKDATA, 1, NULL, NULL);
}

static void act_execve(void)
{
	execl("/bin/true", "true", (char *)NULL);
}

static void act_inet_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

static void act_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		_exit(1);
	close(fd);
}

static void act_fork(void)
{
	if (fork() == 0)
		_exit(0);
}

static void act_exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	     0);
}

/* An ioctl not in any list: creating a VM. */
static void act_kvm_create_vm(void)
{
	ioctl(-1, KVM_CREATE_VM, 0);
}

/* KVM_RUN is a vCPU's: on a bad fd it fails, but it is allowed. */
static void act_kvm_run(void)
{
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		_exit(1);
}

/* A disk thread writes only its image: no file is opened for writing. */
static void act_open_write(void)
{
	open("/tmp/vessel-sandbox-never", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

static void act_open_read(void)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		_exit(1);
	close(fd);
}

/* --- tests --- */

static void test_allowed_calls_run(void **state)
{
	struct outcome o;
	int r;

	(void)state;
	for (r = 0; r < SANDBOX_NR_ROLES; r++) {
		run_in(SANDBOX_ON, r, act_allowed, &o);
		assert_ran(&o);
		assert_string_equal(o.err, "ok\n");
	}
}

static void test_ptrace_and_execve_kill(void **state)
{
	struct outcome o;
	int r;

	(void)state;
	for (r = 0; r < SANDBOX_NR_ROLES; r++) {
		run_in(SANDBOX_ON, r, act_ptrace, &o);
		assert_violation(&o, r, "ptrace");
		run_in(SANDBOX_ON, r, act_execve, &o);
		assert_violation(&o, r, "execve");
		run_in(SANDBOX_ON, r, act_fork, &o);
		assert_violation(&o, r, "clone");
		run_in(SANDBOX_ON, r, act_exec_mapping, &o);
		assert_violation(&o, r, "mmap");
		run_in(SANDBOX_ON, r, act_inet_socket, &o);
		assert_violation(&o, r, "socket");
		run_in(SANDBOX_ON, r, act_kvm_create_vm, &o);
		assert_violation(&o, r, "ioctl");
	}
}

/* Unix sockets for shared-memory doorbells, but not in a disk thread. */
static void test_unix_sockets(void **state)
{
	struct outcome o;

	(void)state;
	run_in(SANDBOX_ON, SANDBOX_MAIN, act_unix_socket, &o);
	assert_ran(&o);
	run_in(SANDBOX_ON, SANDBOX_VCPU, act_unix_socket, &o);
	assert_ran(&o);
	run_in(SANDBOX_ON, SANDBOX_DISK, act_unix_socket, &o);
	assert_violation(&o, SANDBOX_DISK, "socket");
}

static void test_ioctl_by_request(void **state)
{
	struct outcome o;

	(void)state;
	run_in(SANDBOX_ON, SANDBOX_VCPU, act_kvm_run, &o);
	assert_ran(&o);
	run_in(SANDBOX_ON, SANDBOX_MAIN, act_kvm_run, &o);
	assert_violation(&o, SANDBOX_MAIN, "ioctl");
	run_in(SANDBOX_ON, SANDBOX_DISK, act_kvm_run, &o);
	assert_violation(&o, SANDBOX_DISK, "ioctl");
}

static void test_disk_opens_read_only(void **state)
{
	struct outcome o;

	(void)state;
	run_in(SANDBOX_ON, SANDBOX_DISK, act_open_read, &o);
	assert_ran(&o);
	run_in(SANDBOX_ON, SANDBOX_DISK, act_open_write, &o);
	assert_violation(&o, SANDBOX_DISK, "openat");
	assert_int_equal(access("/tmp/vessel-sandbox-never", F_OK), -1);
}

/* Log mode: the kernel logs the call and lets it run. */
static void test_log_mode_lets_it_run(void **state)
{
	struct outcome o;

	(void)state;
	run_in(SANDBOX_LOG, SANDBOX_VCPU, act_ptrace, &o);
	assert_ran(&o);
	run_in(SANDBOX_LOG, SANDBOX_DISK, act_inet_socket, &o);
	assert_ran(&o);
	assert_string_equal(o.events, "");
}

/* Off: no filter at all, and a warning. */
static void test_off_warns(void **state)
{
	struct outcome o;

	(void)state;
	run_in(SANDBOX_OFF, SANDBOX_DISK, act_fork, &o);
	assert_ran(&o);
	assert_non_null(strstr(o.err, "seccomp off"));
}

static void test_mode_parse(void **state)
{
	enum sandbox_mode m;

	(void)state;
	assert_int_equal(sandbox_mode_parse(NULL, &m), 0);
	assert_int_equal(m, SANDBOX_ON);
	assert_int_equal(sandbox_mode_parse("log", &m), 0);
	assert_int_equal(m, SANDBOX_LOG);
	assert_int_equal(sandbox_mode_parse("off", &m), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("yes", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_run),
		cmocka_unit_test(test_ptrace_and_execve_kill),
		cmocka_unit_test(test_unix_sockets),
		cmocka_unit_test(test_ioctl_by_request),
		cmocka_unit_test(test_disk_opens_read_only),
		cmocka_unit_test(test_log_mode_lets_it_run),
		cmocka_unit_test(test_off_warns),
		cmocka_unit_test(test_mode_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
