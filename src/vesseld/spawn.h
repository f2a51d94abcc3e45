/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_SPAWN_H
#define VESSELD_SPAWN_H

/*
 * Starting one vessel: fork, then exec in a session of its own (a ^C on
 * vesseld's terminal must not reach the guests: vesseld stops them in
 * order), with stdin from /dev/null and stdout and stderr appended to a
 * log file. The child is watched through a pidfd, which names exactly
 * this process even after its pid is reused.
 */

#include <sys/types.h>

#include "../common/conf.h"
#include "../common/types.h"

#define SPAWN_GROUPS_MAX 64

/* Who the child becomes before its exec (a guest's `user`). */
struct spawn_cred {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[SPAWN_GROUPS_MAX]; /* supplementary, looked up first */
};

struct spawn {
	const char *const
		*argv; /* argv[0]: a path, or a name looked up in PATH */
	const char *cwd; /* the child's working directory */
	const char *log; /* stdout and stderr, appended (created 0600) */
	char *const *env; /* NAME=VALUE added to its environment; NULL: none */
};

/*
 * The ids of @conf's `user` and `group` (userid.h) with the user's
 * supplementary groups, looked up here because the child may only make
 * async-signal-safe calls. 0 with *@has (false without `user`), or
 * -errno with one line in @err.
 */
int spawn_cred_of(const struct conf *conf, struct spawn_cred *c, bool *has,
		  char *err, size_t errlen);

/*
 * Start @s. Returns 0 with *@pid and *@pidfd (close-on-exec) set, or
 * -errno with @err saying which step failed (the exec itself included:
 * the child reports its errno before exiting).
 */
int spawn_start(const struct spawn *s, pid_t *pid, int *pidfd, char *err,
		size_t errlen);

/* spawn_start() as @cred (NULL: vesseld's own ids). */
int spawn_start_as(const struct spawn *s, const struct spawn_cred *cred,
		   pid_t *pid, int *pidfd, char *err, size_t errlen);

/* Send @sig through @pidfd; 0 or -errno (-ESRCH: it has exited). */
int spawn_signal(int pidfd, int sig);

#endif
