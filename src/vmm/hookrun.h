/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_HOOKRUN_H
#define VESSEL_HOOKRUN_H

/*
 * The hook runner: a child process forked before vessel's threads load
 * their system-call allowlists (sandbox.h), which forbid fork and exec.
 * vessel asks it over a socket pair to run a hook (`quiesce-hook`,
 * `lifecycle-hook`): it forks, the child makes a process group of its
 * own, takes the variables given, sends stdout to stderr (vessel's stdout
 * is the guest's console) and execs `sh -c CMD`. The runner answers with
 * the pid and an exit descriptor, which turns readable when the hook
 * ends and then yields its wait status. The runner ends when vessel
 * closes its end (or dies); hooks still running are left alone.
 * Process-wide, like the process's signal handlers: one runner.
 */

#include <stdbool.h>
#include <sys/types.h>

/*
 * Fork the runner, if not yet running, for the commands @cmds
 * (NULL-terminated, at most 4): it runs those and no other. 0 or -errno.
 */
int hookrun_start(const char *const cmds[]);

/* Close vessel's end: the runner exits. Hooks still running stay. */
void hookrun_stop(void);

/*
 * Run `sh -c @cmd` with VESSEL_NAME (@name, "" when NULL), VESSEL_PID
 * (vessel's pid) and the "KEY=VALUE" strings of @env (NULL-terminated)
 * set. @cmd must be one the runner was started with (-EPERM). Without
 * hookrun_start() the runner is started here, for @cmd only; after it
 * (which may have failed: -ECHILD) never. *@pid: the hook's pid (and process
 * group); *@exit_fd: see above, the caller's to close. 0 or -errno.
 */
int hookrun_spawn(const char *cmd, const char *name, const char *const *env,
		  pid_t *pid, int *exit_fd);

/* Send @sig to hook @pid's process group while it runs. 0 or -errno. */
int hookrun_kill(pid_t pid, int sig);

/*
 * The wait status of the hook behind @exit_fd: 0 and *@status once it
 * ended, -EAGAIN while it runs (a non-blocking read), -EPIPE when the
 * runner went away without saying.
 */
int hookrun_status(int exit_fd, int *status);

/*
 * Wait up to @ms for the hook behind @exit_fd; true when it ended and
 * *@status holds its wait status.
 */
bool hookrun_wait(int exit_fd, int ms, int *status);

#endif
