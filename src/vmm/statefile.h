/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_STATEFILE_H
#define VESSEL_STATEFILE_H

/*
 * `state PATH`: a small JSON record of this vessel (docs/state.md) that a
 * supervisor which is not, or no longer, vessel's parent reads to re-adopt
 * a running guest (pid, its start time, the control socket) and to learn
 * how it ended (exit code, or the fatal signal that killed vessel). Each
 * write goes to PATH.tmp, is fsynced, renamed over PATH, and the directory
 * fsynced, so a reader sees a whole record, also after a host crash. The
 * file outlives vessel; the supervisor removes it.
 */

#include <sys/types.h>
#include <time.h>

#include "../common/conf.h"
#include "../common/types.h"

struct json_object;

#define STATEFILE_VERSION 1
#define STATEFILE_WALL_LEN 32 /* "2026-11-23T09:41:07.123Z" and a NUL */

struct statefile {
	bool active; /* `state` given and checked: records are written */
	int dir_fd; /* the record's directory, held for the whole run */
	char *base, *tmp; /* the record's name in it, and name + ".tmp" */
	char *shown; /* PATH as given, for messages */
	struct json_object *base_fields; /* version ... started, in order */
	char *crash_prefix; /* base_fields as text, without the final '}' */
	size_t crash_len;
	int busy; /* a record is being written (atomic; a crash never waits) */
};

/*
 * The writer's identity, as a reader checks it: pid, the process start
 * time (/proc/PID/stat field 22, clock ticks since boot) and the boot id,
 * which together tell a live vessel from a reused pid or an older boot.
 */
struct statefile_record {
	int version;
	pid_t pid;
	u64 start_time;
	char boot_id[40];
	char state[16]; /* "running", "exited", "crashed" */
	int code; /* "exited": the exit code, else -1 */
	int signal; /* "crashed": the fatal signal, else 0 */
};

/*
 * Check the `state` option of @conf, if any, before the guest starts: a
 * symbolic link or a non-regular file at PATH, a directory vessel cannot
 * create files in, or a record whose writer still runs, is refused. Zeroes
 * @sf first. 0 (also when no `state` is set) or -errno after logging.
 */
int statefile_open(struct statefile *sf, const struct conf *conf);

/*
 * Check again that PATH.tmp can be created, by whoever vessel runs as
 * now (after privdrop.h's switch). 0, or -errno after logging.
 */
int statefile_check_writable(struct statefile *sf);

/*
 * The guest starts: write {"state":"running"} and arm statefile_crash().
 * Main thread. A failed write is logged; the guest runs all the same.
 */
void statefile_running(struct statefile *sf);

/*
 * vessel exits with @code, stopped by @stop_by (the mechanism, or NULL
 * when the guest never started): write {"state":"exited"} and disarm
 * statefile_crash(). Main thread; once.
 */
void statefile_exited(struct statefile *sf, int code, const char *stop_by);

/* Disarm and free; the record stays on disk. A zeroed @sf is fine. */
void statefile_close(struct statefile *sf);

/*
 * From a fatal signal's handler: if a running record is armed and no
 * other write is under way, replace it with {"state":"crashed","signal":
 * @sig}. Async-signal-safe: openat, write, fsync, renameat and
 * clock_gettime on text prepared by statefile_running().
 */
void statefile_crash(int sig);

/*
 * Pure helpers, exposed for tests and for readers of the record.
 */

/* @ts as "2026-11-23T09:41:07.123Z" (UTC); async-signal-safe. Length. */
size_t statefile_format_wall(char buf[STATEFILE_WALL_LEN],
			     const struct timespec *ts);

/*
 * The end of a crash record: ,"state":"crashed","signal":N,... "ended"
 * and the closing brace and newline. Async-signal-safe. Its length, or 0
 * when @len is too small.
 */
size_t statefile_crash_suffix(char *buf, size_t len, int sig,
			      const struct timespec *ts);

/* Field 22 of a /proc/PID/stat line (the comm may hold ')'); 0 or -EINVAL. */
int statefile_parse_start_time(const char *stat, u64 *start_time);

/* The start time of process @pid; 0, -ESRCH or -EINVAL. */
int statefile_start_time(pid_t pid, u64 *start_time);

/* Parse a record's text; 0 or -EBADMSG (not a version 1 record). */
int statefile_parse(const char *text, struct statefile_record *rec);

/*
 * Is the process that wrote @rec still running: same boot, and @rec->pid
 * alive with the same start time?
 */
bool statefile_writer_alive(const struct statefile_record *rec);

#endif
