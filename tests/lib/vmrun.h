/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_VMRUN_H
#define VESSEL_TEST_VMRUN_H

/*
 * One probe run for the lifecycle tests: vessel with `--events` in a
 * private directory that also holds the test's control socket and
 * quiesce-hook output, its process (vmproc) and, after the exit, its
 * parsed events (evlog).
 */

#include <stddef.h>

#include "evlog.h"
#include "vmproc.h"

/* A unix socket path has 108 bytes: dir + "/ctl.sock" must fit. */
#define VMRUN_DIR_MAX 96
#define VMRUN_PATH_MAX 112
#define VMRUN_WAIT_MS 60000

struct vmrun {
	struct vmproc p;
	struct evlog ev;
	char dir[VMRUN_DIR_MAX]; /* $TMPDIR/vessel-test-XXXXXX */
	char events[VMRUN_PATH_MAX]; /* dir/events.jsonl */
	char ctl[VMRUN_PATH_MAX]; /* dir/ctl.sock (used if passed) */
	char hook[VMRUN_PATH_MAX]; /* dir/hook.out (used if passed) */
	int master; /* the pty's master for vmrun_start_tty, else -1 */
};

/* Make the directory and the paths; 0 or -errno. */
int vmrun_init(struct vmrun *r);

/*
 * Start vessel on @scenario with "--events r->events" and @extra
 * (NULL-terminated, may be NULL). vmrun_init() first.
 */
int vmrun_start(struct vmrun *r, const char *scenario,
		const char *const extra[]);

/* The same with stdin and stdout on a pty (vmproc_start_tty). */
int vmrun_start_tty(struct vmrun *r, const char *scenario,
		    const char *const extra[], int master);

/* Wait for the exit (VMRUN_WAIT_MS), then load the events; the code. */
int vmrun_wait(struct vmrun *r);

/*
 * vmrun_wait(), then check the events tell one well-formed story
 * (evlog_well_formed): the exit code, or VMRUN_BAD_EVENTS after dumping
 * what the run printed, so the caller's check of the code fails.
 */
#define VMRUN_BAD_EVENTS (-2)
int vmrun_finish(struct vmrun *r);

/* (Re)load the events written so far; 0 or -errno. */
int vmrun_load_events(struct vmrun *r);

/* Lines of r->hook, or -1 if there is no such file. @buf gets them. */
int vmrun_hook_lines(const struct vmrun *r, char *buf, size_t size);

/* Console, stderr and events, for a failing test's log. */
void vmrun_dump(const struct vmrun *r);

/* Stop the process if it runs (SIGQUIT), remove the directory. */
void vmrun_free(struct vmrun *r);

/*
 * cmocka fixtures: *@state becomes a new vmrun (vmrun_init'ed), freed by
 * the teardown even when an assertion ended the test.
 */
int vmrun_setup(void **state);
int vmrun_teardown(void **state);

#endif
