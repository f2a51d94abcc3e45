/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_VMPROC_H
#define VESSEL_TEST_VMPROC_H

/*
 * System tests drive a real vessel process: spawn it with arguments,
 * collect its stdout (the guest console) and stderr, wait for console
 * markers and for its exit with generous timeouts, feed console input,
 * send signals. Never SIGKILL: a stuck vessel gets SIGQUIT (power cut).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vmproc {
	pid_t pid;
	int out_fd, err_fd, in_fd;
	char *out, *err; /* NUL-terminated, growing */
	size_t out_len, err_len;
	int status; /* exit code, or 128 + signal; -1 while running */
};

/* Paths from the environment (VESSEL, PROBE, VESSELCTL) or the build defaults. */
const char *vessel_path(void);
const char *probe_path(void);
const char *vesselctl_path(void);

/* Start @argv (argv[0] is the program). stdin is a pipe (vmproc_input). */
int vmproc_start(struct vmproc *p, const char *const argv[]);

/*
 * Start vessel on the probe guest with "probe.test=@scenario" and extra
 * options (NULL-terminated list, may be NULL).
 */
int vmproc_start_probe(struct vmproc *p, const char *scenario,
		       const char *const extra[]);

/*
 * As vmproc_start, but stdin and stdout are the slave of the pty whose
 * master is @master (from posix_openpt, granted and unlocked): the process
 * runs in a session of its own with that pty as its controlling terminal,
 * in the foreground, as in an interactive shell. p->out_fd and p->in_fd
 * are copies of @master; @master stays the caller's (tcgetattr() on it
 * reads the slave's mode, also after the exit).
 */
int vmproc_start_tty(struct vmproc *p, const char *const argv[], int master);

/* vmproc_start_probe on a pty (vmproc_start_tty). */
int vmproc_start_probe_tty(struct vmproc *p, const char *scenario,
			   const char *const extra[], int master);

/* Send @sig; 0, or -ESRCH once the process was reaped. */
int vmproc_kill(struct vmproc *p, int sig);

/*
 * Collect output for @ms; true if the process is still running then
 * (it is reaped if it exited).
 */
bool vmproc_alive_after(struct vmproc *p, int ms);

/* Read output until @needle shows on stdout; false on timeout or exit. */
bool vmproc_wait_output(struct vmproc *p, const char *needle, int timeout_ms);

/*
 * Wait for the process to exit; returns its exit code, 128 + signal, or
 * -1 on timeout (the process is then cut with SIGQUIT and reaped).
 */
int vmproc_wait_exit(struct vmproc *p, int timeout_ms);

/* Write console input. */
int vmproc_input(struct vmproc *p, const char *s);

/* Count lines of stdout containing @needle. */
int vmproc_count(const struct vmproc *p, const char *needle);

/* Print both streams (for a failing test's log). */
void vmproc_dump(const struct vmproc *p);

void vmproc_free(struct vmproc *p);

/* Run to completion: start_probe + wait_exit (timeout 60 s); returns the code. */
int vmproc_run_probe(struct vmproc *p, const char *scenario,
		     const char *const extra[]);

#endif
