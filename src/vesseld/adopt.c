// SPDX-License-Identifier: Apache-2.0
/*
 * Re-adoption (guest.h): vesseld may be restarted, even after SIGKILL,
 * while its guests run on (each vessel is in a session of its own and
 * nothing ties its life to vesseld's). Each vessel keeps a state file
 * (vessel --state, docs/state.md) naming its pid, the pid's start time
 * and boot id, and, at its end, its exit code or fatal signal. A live
 * writer is taken back with pidfd_open(); the start time is checked once
 * more after it, as docs/state.md says, since the pid could have been
 * reused in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../vmm/statefile.h"
#include "dloop.h"
#include "guest.h"

#define ADOPT_RECORD_MAX 4096

/* Read and parse @g's state file; 0, or -errno / -EBADMSG. */
static int adopt_read(const struct guest *g, struct statefile_record *rec)
{
	char buf[ADOPT_RECORD_MAX];
	ssize_t n, len = 0;
	int fd = open(g->state_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return statefile_parse(buf, rec);
}

/* An end whose code and signal nobody can know: a crash, by policy. */
static void adopt_unknown(struct policy_exit *e, const char *why)
{
	policy_exit_of(e, 0, SIGKILL);
	e->sig = 0;
	e->code = -1;
	snprintf(e->reason, sizeof(e->reason), "%s", why);
}

/* How a vessel that is gone ended, from its record. */
static void adopt_exit_of(const struct statefile_record *rec,
			  struct policy_exit *e)
{
	if (!strcmp(rec->state, "exited") && rec->code >= 0) {
		policy_exit_of(e, rec->code, 0);
	} else if (!strcmp(rec->state, "crashed") && rec->signal > 0) {
		policy_exit_of(e, 0, rec->signal);
	} else {
		/* "running" with its writer gone: killed with no record. */
		adopt_unknown(e, "killed (no exit record)");
	}
}

void guest_exit_from_record(struct guest *g, struct policy_exit *e)
{
	struct statefile_record rec;

	if (adopt_read(g, &rec)) {
		adopt_unknown(e, "ended (no readable state file)");
		return;
	}
	adopt_exit_of(&rec, e);
}

/* When process @pid started, on dloop_now_ms()'s clock (/proc/PID/stat). */
static u64 adopt_since_ms(u64 start_ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec boot;
	u64 now = dloop_now_ms(), up_ms;

	/* CLOCK_BOOTTIME is what /proc's start times count from. */
	if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot))
		return now;
	up_ms = (u64)boot.tv_sec * 1000 + boot.tv_nsec / 1000000;
	start_ticks = start_ticks * 1000 / hz;
	return up_ms > start_ticks && now > up_ms - start_ticks ?
		       now - (up_ms - start_ticks) :
		       now;
}

bool guest_adopt(struct guest *g)
{
	struct statefile_record rec;
	struct policy_exit e;
	u64 start;
	int pidfd;

	if (adopt_read(g, &rec))
		return false;
	if (statefile_writer_alive(&rec)) {
		pidfd = syscall(SYS_pidfd_open, rec.pid, 0);
		if (pidfd >= 0 && !statefile_start_time(rec.pid, &start) &&
		    start == rec.start_time) {
			guest_take(g, rec.pid, pidfd,
				   adopt_since_ms(rec.start_time));
			return g->adopted;
		}
		if (pidfd >= 0)
			close(pidfd);
		/* It ended between the two reads: its record is final now. */
		if (adopt_read(g, &rec))
			return false;
	}
	adopt_exit_of(&rec, &e);
	guest_note_exit(g, rec.pid, &e);
	unlink(g->state_file);
	return false;
}
