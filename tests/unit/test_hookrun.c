// SPDX-License-Identifier: Apache-2.0
/*
 * The hook runner (src/vmm/hookrun.c): it runs the commands it was
 * started with, in a process group of their own, with VESSEL_* variables;
 * it reports their exit status and stops them on request; it refuses any
 * other command and any other variable (a vessel taken over by its guest
 * must not make it run code of its choosing).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vmm/hookrun.h"

#define WAIT_MS 10000

struct fixture {
	char dir[64];
	char out[128];
	/* Writes its variables to out (ps pads the group id to a width). */
	char write_cmd[256];
	const char *sleep_cmd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *cmds[3];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vessel-hookrun.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	snprintf(
		f->write_cmd, sizeof(f->write_cmd),
		"echo \"$VESSEL_NAME $VESSEL_PID $VESSEL_X $(ps -o pgid= $$ | tr -d ' ')\" > %s",
		f->out);
	f->sleep_cmd = "exec sleep 30";
	cmds[0] = f->write_cmd;
	cmds[1] = f->sleep_cmd;
	cmds[2] = NULL;
	*state = f;
	return hookrun_start(cmds);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hookrun_stop();
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_runs_with_variables(void **state)
{
	struct fixture *f = *state;
	const char *env[] = { "VESSEL_X=seven", NULL };
	char line[256], want[128];
	int fd, status;
	pid_t pid;
	FILE *o;

	assert_int_equal(hookrun_spawn(f->write_cmd, "g1", env, &pid, &fd), 0);
	assert_true(hookrun_wait(fd, WAIT_MS, &status));
	close(fd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	o = fopen(f->out, "r");
	assert_non_null(o);
	assert_non_null(fgets(line, sizeof(line), o));
	fclose(o);
	/* Its own process group: the hook's pid. */
	snprintf(want, sizeof(want), "g1 %d seven %d\n", (int)getpid(),
		 (int)pid);
	assert_string_equal(line, want);
}

static void test_kill_reaches_the_group(void **state)
{
	struct fixture *f = *state;
	int fd, status;
	pid_t pid;

	assert_int_equal(hookrun_spawn(f->sleep_cmd, NULL, NULL, &pid, &fd), 0);
	assert_false(hookrun_wait(fd, 100, &status)); /* still running */
	assert_int_equal(hookrun_status(fd, &status), -EAGAIN);
	assert_int_equal(hookrun_kill(pid, SIGTERM), 0);
	assert_true(hookrun_wait(fd, WAIT_MS, &status));
	close(fd);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

static void test_refuses_others(void **state)
{
	struct fixture *f = *state;
	const char *preload[] = { "LD_PRELOAD=/tmp/x.so", NULL };
	const char *bare[] = { "VESSEL_X", NULL };
	int fd;
	pid_t pid;

	assert_int_equal(hookrun_spawn("touch /tmp/vessel-hookrun-never", NULL,
				       NULL, &pid, &fd),
			 -EPERM);
	assert_int_equal(hookrun_spawn(f->write_cmd, NULL, preload, &pid, &fd),
			 -EPERM);
	assert_int_equal(hookrun_spawn(f->write_cmd, NULL, bare, &pid, &fd),
			 -EPERM);
	assert_int_equal(access(f->out, F_OK), -1);
}

/*
 * A runner the caller meant to start but that did not start (here: too
 * many commands) is not forked later by a spawn: by then the caller's
 * threads may run under allowlists without fork.
 */
static void test_failed_start_never_forks(void **state)
{
	struct fixture *f = *state;
	const char *five[] = { "a", "b", "c", "d", "e", NULL };
	int fd, status;
	pid_t pid;

	hookrun_stop();
	assert_int_equal(hookrun_start(five), -E2BIG);
	assert_int_equal(hookrun_spawn(f->write_cmd, NULL, NULL, &pid, &fd),
			 -ECHILD);
	hookrun_stop();
	/* Unmanaged again: a spawn starts one for its own command. */
	assert_int_equal(hookrun_spawn(f->write_cmd, "x", NULL, &pid, &fd), 0);
	assert_true(hookrun_wait(fd, WAIT_MS, &status));
	assert_int_equal(status, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_runs_with_variables, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kill_reaches_the_group,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_start_never_forks,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
