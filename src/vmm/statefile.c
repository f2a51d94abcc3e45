// SPDX-License-Identifier: Apache-2.0
/*
 * The state record (docs/state.md): written when the guest starts, at
 * exit after the quiesce hook, and from a fatal signal's handler. The
 * last one is why the writing itself (statefile_commit) uses only
 * async-signal-safe calls on text prepared in advance. [s6
 * s6_svstatus_write.c: write a new file, then rename it over the old]
 */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/exitcode.h"
#include "../common/log.h"

#define STATEFILE_READ_MAX 4096
#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
/* One line, and paths as written ("/run/x", not "\/run\/x"). */
#define STATEFILE_JSON (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * The record a fatal signal replaces, from statefile_running() until the
 * exit record. Process-wide by nature: a signal handler reaches nothing
 * else (crash.c).
 */
static struct statefile *statefile_armed;

/* --- async-signal-safe text --- */

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* @n as exactly @width decimal digits (leading zeros). */
static char *put_digits(char *p, u64 n, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = '0' + n % 10;
		n /= 10;
	}
	return p + width;
}

static char *put_uint(char *p, u64 n)
{
	int width = 1;
	u64 t;

	for (t = n; t >= 10; t /= 10)
		width++;
	return put_digits(p, n, width);
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date, without gmtime_r
 * (not async-signal-safe). [H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms", civil_from_days]
 */
static void statefile_civil(s64 days, s64 *y, unsigned int *m, unsigned int *d)
{
	s64 z = days + 719468;
	s64 era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe =
		(doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (s64)yoe + era * 400 + (*m <= 2);
}

size_t statefile_format_wall(char buf[STATEFILE_WALL_LEN],
			     const struct timespec *ts)
{
	s64 days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400, y;
	unsigned int m, d;
	char *p = buf;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	statefile_civil(days, &y, &m, &d);
	/* Years outside 0..9999 are not this program's concern. */
	p = put_digits(p, y < 0 ? 0 : y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, secs / 3600, 2);
	*p++ = ':';
	p = put_digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	*p++ = '.';
	p = put_digits(p, ts->tv_nsec / 1000000, 3);
	p = put_str(p, "Z");
	*p = '\0';
	return p - buf;
}

/* The signals crash.c catches, and a few more a supervisor may meet. */
static const char *statefile_signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	case SIGABRT:
		return "SIGABRT";
	case SIGTRAP:
		return "SIGTRAP";
	case SIGSYS:
		return "SIGSYS";
	default:
		return NULL;
	}
}

size_t statefile_crash_suffix(char *buf, size_t len, int sig,
			      const struct timespec *ts)
{
	const char *name = statefile_signal_name(sig);
	char tmp[160], *p = tmp;
	size_t n, i;

	p = put_str(p, ",\"state\":\"crashed\",\"signal\":");
	p = put_uint(p, sig > 0 ? sig : 0);
	if (name) {
		p = put_str(p, ",\"signal_name\":\"");
		p = put_str(p, name);
		p = put_str(p, "\"");
	}
	p = put_str(p, ",\"ended\":\"");
	p += statefile_format_wall(p, ts);
	p = put_str(p, "\"}\n");
	n = p - tmp;
	if (n > len)
		return 0;
	for (i = 0; i < n; i++)
		buf[i] = tmp[i];
	return n;
}

/* --- writing: async-signal-safe --- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= w;
	}
	return 0;
}

/*
 * @a then @b into a fresh PATH.tmp (never through a link planted there),
 * fsync, rename over PATH, fsync the directory: a reader sees the old
 * record or the new one, whole, also after a host crash. 0 or -errno.
 */
static int statefile_commit(const struct statefile *sf, const char *a,
			    size_t alen, const char *b, size_t blen)
{
	int fd, ret;

	if (unlinkat(sf->dir_fd, sf->tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(sf->dir_fd, sf->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* 0600 whatever the umask: the record names sockets and pids. */
	ret = fchmod(fd, 0600) < 0 ? -errno : 0;
	ret = ret ? ret : write_all(fd, a, alen);
	ret = ret ? ret : write_all(fd, b, blen);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (!ret && renameat(sf->dir_fd, sf->tmp, sf->dir_fd, sf->base) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(sf->dir_fd, sf->tmp, 0);
		return ret;
	}
	return fsync(sf->dir_fd) < 0 ? -errno : 0;
}

void statefile_crash(int sig)
{
	struct statefile *sf =
		__atomic_load_n(&statefile_armed, __ATOMIC_SEQ_CST);
	int saved = errno;
	struct timespec ts;
	char tail[160];
	size_t n;

	/* Never wait: a writer interrupted here, or elsewhere, keeps it. */
	if (!sf || __atomic_exchange_n(&sf->busy, 1, __ATOMIC_SEQ_CST))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = statefile_crash_suffix(tail, sizeof(tail), sig, &ts);
	if (n)
		statefile_commit(sf, sf->crash_prefix, sf->crash_len, tail, n);
	/* busy stays set: the process is about to die of @sig. */
	errno = saved;
}

/* --- writing from the main thread --- */

static void statefile_write(struct statefile *sf, struct json_object *o,
			    const char *what)
{
	const char *s = json_object_to_json_string_ext(o, STATEFILE_JSON);
	int ret;

	/* Held only by a crash handler, in a process about to die. */
	if (__atomic_exchange_n(&sf->busy, 1, __ATOMIC_SEQ_CST))
		return;
	ret = statefile_commit(sf, s, strlen(s), "\n", 1);
	__atomic_store_n(&sf->busy, 0, __ATOMIC_SEQ_CST);
	if (ret)
		log_err("state %s: cannot write the %s record: %s", sf->shown,
			what, strerror(-ret));
}

/* A new record: the base fields, then "state". */
static struct json_object *statefile_record_new(struct statefile *sf,
						const char *state)
{
	struct json_object *o = json_object_new_object();

	json_object_object_foreach(sf->base_fields, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_object_add(o, "state", json_object_new_string(state));
	return o;
}

static struct json_object *statefile_now(void)
{
	char wall[STATEFILE_WALL_LEN];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	statefile_format_wall(wall, &ts);
	return json_object_new_string(wall);
}

void statefile_running(struct statefile *sf)
{
	struct json_object *o;
	const char *s;

	if (!sf->active)
		return;
	json_object_object_add(sf->base_fields, "started", statefile_now());
	s = json_object_to_json_string_ext(sf->base_fields, STATEFILE_JSON);
	/* What a crash record begins with: all but the closing brace. */
	sf->crash_len = strlen(s) - 1;
	sf->crash_prefix = strndup(s, sf->crash_len);
	o = statefile_record_new(sf, "running");
	statefile_write(sf, o, "running");
	json_object_put(o);
	if (sf->crash_prefix)
		__atomic_store_n(&statefile_armed, sf, __ATOMIC_SEQ_CST);
}

static void statefile_disarm(struct statefile *sf)
{
	struct statefile *expected = sf;

	__atomic_compare_exchange_n(&statefile_armed, &expected, NULL, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void statefile_exited(struct statefile *sf, int code, const char *stop_by)
{
	const struct exitcode_info *e = exitcode_find(code);
	struct json_object *o;

	if (!sf->active)
		return;
	o = statefile_record_new(sf, "exited");
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "reason",
			       json_object_new_string(e ? e->name : "unknown"));
	if (stop_by && *stop_by)
		json_object_object_add(o, "stop_by",
				       json_object_new_string(stop_by));
	json_object_object_add(o, "ended", statefile_now());
	statefile_write(sf, o, "exit");
	json_object_put(o);
	/* The guest's fate is recorded; a later crash of vessel's teardown
	 * shows in its wait status only. */
	statefile_disarm(sf);
}

static void statefile_free(struct statefile *sf)
{
	if (sf->dir_fd >= 0)
		close(sf->dir_fd);
	json_object_put(sf->base_fields);
	free(sf->crash_prefix);
	free(sf->base);
	free(sf->tmp);
	free(sf->shown);
	memset(sf, 0, sizeof(*sf));
}

void statefile_close(struct statefile *sf)
{
	if (!sf->active)
		return;
	statefile_disarm(sf);
	statefile_free(sf);
}

/* --- who wrote a record --- */

/* Fields 3 (state) and 22 (starttime) of a /proc/PID/stat line. */
static int statefile_parse_stat(const char *stat, char *state, u64 *start)
{
	const char *p = strrchr(stat, ')');
	char *end;
	int field;

	/* The comm (field 2) may hold spaces and ')': fields follow the last. */
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p += 2;
	*state = *p;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*start = strtoull(p, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	return 0;
}

int statefile_parse_start_time(const char *stat, u64 *start_time)
{
	char state;

	return statefile_parse_stat(stat, &state, start_time);
}

/* Read a small file into @buf (NUL-terminated); bytes read or -errno. */
static ssize_t statefile_slurp(int dir_fd, const char *path, int flags,
			       char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | flags);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

int statefile_start_time(pid_t pid, u64 *start_time)
{
	char path[32], stat[1024], state;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 ||
	    statefile_slurp(AT_FDCWD, path, 0, stat, sizeof(stat)) <= 0)
		return -ESRCH;
	if (statefile_parse_stat(stat, &state, start_time))
		return -EINVAL;
	/* A zombie has a stat line but is dead. */
	return state == 'Z' || state == 'X' ? -ESRCH : 0;
}

static void statefile_boot_id(char *buf, size_t size)
{
	if (statefile_slurp(AT_FDCWD, BOOT_ID_PATH, 0, buf, size) <= 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static bool json_get(struct json_object *o, const char *key, json_type type,
		     struct json_object **v)
{
	return json_object_object_get_ex(o, key, v) &&
	       json_object_is_type(*v, type);
}

int statefile_parse(const char *text, struct statefile_record *rec)
{
	struct json_object *o = json_tokener_parse(text), *v;
	int ret = -EBADMSG;

	memset(rec, 0, sizeof(*rec));
	rec->code = -1;
	if (!o || !json_object_is_type(o, json_type_object))
		goto out;
	if (!json_get(o, "version", json_type_int, &v) ||
	    json_object_get_int(v) != STATEFILE_VERSION)
		goto out;
	rec->version = STATEFILE_VERSION;
	if (!json_get(o, "pid", json_type_int, &v) ||
	    json_object_get_int64(v) <= 0)
		goto out;
	rec->pid = json_object_get_int64(v);
	if (!json_get(o, "start_time", json_type_int, &v))
		goto out;
	rec->start_time = json_object_get_uint64(v);
	if (!json_get(o, "state", json_type_string, &v))
		goto out;
	snprintf(rec->state, sizeof(rec->state), "%s",
		 json_object_get_string(v));
	if (json_get(o, "boot_id", json_type_string, &v))
		snprintf(rec->boot_id, sizeof(rec->boot_id), "%s",
			 json_object_get_string(v));
	if (json_get(o, "code", json_type_int, &v))
		rec->code = json_object_get_int(v);
	if (json_get(o, "signal", json_type_int, &v))
		rec->signal = json_object_get_int(v);
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

bool statefile_writer_alive(const struct statefile_record *rec)
{
	char boot[40];
	u64 start;

	statefile_boot_id(boot, sizeof(boot));
	/* Another boot's pids and start times mean nothing in this one. */
	if (rec->boot_id[0] && boot[0] && strcmp(rec->boot_id, boot))
		return false;
	return !statefile_start_time(rec->pid, &start) &&
	       start == rec->start_time;
}

/* --- checks before the guest starts --- */

/*
 * What is at PATH now: nothing, or a regular file holding no live
 * vessel's record. A link is refused: the record is vessel's own file,
 * and whoever planted a link meant it to be followed.
 */
static int statefile_check_existing(struct statefile *sf)
{
	struct statefile_record rec;
	char text[STATEFILE_READ_MAX];
	struct stat st;
	ssize_t n;

	if (fstatat(sf->dir_fd, sf->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		log_err_errno("state %s", sf->shown);
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		log_err("state %s: a symbolic link: refused (vessel replaces only a regular file of its own)",
			sf->shown);
		return -ELOOP;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("state %s: not a regular file", sf->shown);
		return -EINVAL;
	}
	n = statefile_slurp(sf->dir_fd, sf->base, O_NOFOLLOW | O_NONBLOCK, text,
			    sizeof(text));
	if (n > 0 && !statefile_parse(text, &rec) &&
	    !strcmp(rec.state, "running") && rec.pid != getpid() &&
	    statefile_writer_alive(&rec)) {
		log_err("state %s: vessel pid %d is running with this state file",
			sf->shown, (int)rec.pid);
		return -EBUSY;
	}
	return 0;
}

/* Can vessel create its PATH.tmp? Tried for real, as root is told by
 * nothing less (a read-only mount, an immutable directory, sysfs). */
static int statefile_check_dir(struct statefile *sf)
{
	int fd, ret;

	if (unlinkat(sf->dir_fd, sf->tmp, 0) < 0 && errno != ENOENT)
		goto err;
	fd = openat(sf->dir_fd, sf->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto err;
	close(fd);
	unlinkat(sf->dir_fd, sf->tmp, 0);
	return 0;
err:
	ret = -errno;
	log_err("state %s: cannot create files in its directory (%s): %s",
		sf->shown, sf->tmp, strerror(-ret));
	return ret;
}

int statefile_check_writable(struct statefile *sf)
{
	return sf->active ? statefile_check_dir(sf) : 0;
}

/* Split PATH into an open directory and a file name in it. */
static int statefile_locate(struct statefile *sf, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir;
	int ret = 0;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		log_err("state %s: names a directory, not a file", path);
		return -EISDIR;
	}
	if (strlen(base) + sizeof(".tmp") - 1 > NAME_MAX) {
		log_err("state %s: file name too long", path);
		return -ENAMETOOLONG;
	}
	dir = slash ? strndup(path, slash == path ? 1 : slash - path) :
		      strdup(".");
	sf->base = strdup(base);
	if (!dir || !sf->base || asprintf(&sf->tmp, "%s.tmp", base) < 0) {
		sf->tmp = NULL;
		free(dir);
		return -ENOMEM;
	}
	sf->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dir_fd < 0) {
		ret = -errno;
		log_err("state %s: directory %s: %s", path, dir,
			strerror(-ret));
	}
	free(dir);
	return ret;
}

/* A path a supervisor can use whatever its own working directory. */
static struct json_object *statefile_abs(const char *path, bool fd_ok)
{
	char cwd[PATH_MAX], *s;
	struct json_object *o;

	if (path[0] == '/' || (fd_ok && !strncmp(path, "fd:", 3)) ||
	    !getcwd(cwd, sizeof(cwd)) || asprintf(&s, "%s/%s", cwd, path) < 0)
		return json_object_new_string(path);
	o = json_object_new_string(s);
	free(s);
	return o;
}

/* version, pid, start_time, boot_id, name, control, events. */
static int statefile_base(struct statefile *sf, const struct conf *conf)
{
	struct json_object *o = json_object_new_object();
	const char *name = conf_get(conf, "name");
	const char *ctl = conf_get(conf, "control");
	const char *events = conf_get(conf, "events");
	char boot[40];
	u64 start;

	sf->base_fields = o;
	if (statefile_start_time(getpid(), &start)) {
		log_err("state %s: cannot read /proc/self/stat", sf->shown);
		return -EINVAL;
	}
	statefile_boot_id(boot, sizeof(boot));
	json_object_object_add(o, "version",
			       json_object_new_int(STATEFILE_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "start_time", json_object_new_uint64(start));
	if (boot[0])
		json_object_object_add(o, "boot_id",
				       json_object_new_string(boot));
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	if (ctl)
		json_object_object_add(o, "control", statefile_abs(ctl, false));
	if (events)
		json_object_object_add(o, "events",
				       statefile_abs(events, true));
	return 0;
}

int statefile_open(struct statefile *sf, const struct conf *conf)
{
	const char *path = conf_get(conf, "state");
	int ret;

	memset(sf, 0, sizeof(*sf));
	sf->dir_fd = -1;
	if (!path)
		return 0;
	sf->shown = strdup(path);
	ret = sf->shown ? statefile_locate(sf, path) : -ENOMEM;
	ret = ret ? ret : statefile_check_existing(sf);
	ret = ret ? ret : statefile_check_dir(sf);
	ret = ret ? ret : statefile_base(sf, conf);
	if (ret)
		statefile_free(sf);
	else
		sf->active = true;
	return ret;
}
