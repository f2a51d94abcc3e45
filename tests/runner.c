// SPDX-License-Identifier: Apache-2.0
/*
 * Runs cmocka test programs one after another, passes their output
 * through, and ends with the one summary line CI reads:
 * "N passed, N failed, N skipped". A program that crashes, times out or
 * fails without saying how many tests failed counts as one failure.
 * An argument --setenv=NAME=VALUE sets NAME for the programs after it.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tally {
	unsigned passed, failed, skipped;
};

static void tally_line(struct tally *t, const char *line)
{
	unsigned n;

	if (sscanf(line, "[  PASSED  ] %u test", &n) == 1)
		t->passed += n;
	else if (sscanf(line, "[  FAILED  ] %u test", &n) == 1)
		t->failed += n;
	else if (sscanf(line, "[  SKIPPED ] %u test", &n) == 1)
		t->skipped += n;
}

static pid_t spawn(const char *prog, FILE **out)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(prog, prog, (char *)NULL);
		perror(prog);
		_exit(127);
	}
	close(fds[1]);
	*out = fdopen(fds[0], "r");
	return pid;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Run one program with a deadline; returns its wait status. */
static int run_one(const char *prog, unsigned timeout, struct tally *t)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char *line = NULL;
	size_t cap = 0;
	FILE *out;
	int status = 0;
	pid_t pid = spawn(prog, &out);

	if (pid < 0 || !out)
		return -1;
	sigaction(SIGALRM, &sa, NULL);
	alarm(timeout);
	while (getline(&line, &cap, out) >= 0) {
		fputs(line, stdout);
		fflush(stdout);
		tally_line(t, line);
	}
	if (waitpid(pid, &status, 0) < 0) {
		printf("runner: %s timed out after %u s: killed\n", prog,
		       timeout);
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	alarm(0);
	free(line);
	fclose(out);
	return status;
}

int main(int argc, char *argv[])
{
	const char *tmo = getenv("RUNNER_TIMEOUT");
	unsigned timeout = tmo ? (unsigned)atoi(tmo) : 900;
	struct tally total = { 0 };
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		struct tally t = { 0 };
		int status;
		bool ok;

		/*
		 * --setenv=NAME=VALUE: for the programs after it, so that one
		 * run (and one summary) can test two builds of vessel.
		 */
		if (!strncmp(argv[i], "--setenv=", 9)) {
			char *eq = strchr(argv[i] + 9, '=');

			if (!eq || eq == argv[i] + 9) {
				fprintf(stderr, "runner: %s: not NAME=VALUE\n",
					argv[i]);
				return 2;
			}
			*eq = '\0';
			setenv(argv[i] + 9, eq + 1, 1);
			continue;
		}
		status = run_one(argv[i], timeout, &t);
		ok = status == 0;

		if (!ok && t.failed == 0) {
			printf("runner: %s exited abnormally (status 0x%x)\n",
			       argv[i], status);
			t.failed = 1;
		}
		if (ok && t.passed + t.failed + t.skipped == 0) {
			printf("runner: %s ran no test\n", argv[i]);
			t.failed = 1;
		}
		total.passed += t.passed;
		total.failed += t.failed;
		total.skipped += t.skipped;
	}
	printf("%u passed, %u failed, %u skipped\n", total.passed, total.failed,
	       total.skipped);
	return total.failed ? 1 : 0;
}
