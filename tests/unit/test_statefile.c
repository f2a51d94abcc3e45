// SPDX-License-Identifier: Apache-2.0
/*
 * The state record (docs/state.md): its text, its fields at each stage,
 * the crash record made without json-c, how it is written (mode, no
 * temporary left, never through a planted link) and what is refused.
 * Real files in a private directory and real processes for the writer
 * checks; no KVM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vmm/statefile.h"

struct fx {
	char dir[64];
	char path[128]; /* dir/guest.state */
	char tmp[136]; /* dir/guest.state.tmp */
	struct conf conf;
	struct statefile sf;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vessel-unit-state-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/guest.state", f->dir);
	snprintf(f->tmp, sizeof(f->tmp), "%s.tmp", f->path);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char path[sizeof(f->dir) + 256];
	struct dirent *e;
	DIR *d;

	statefile_close(&f->sf);
	conf_free(&f->conf);
	d = opendir(f->dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void set(struct fx *f, const char *key, const char *value)
{
	char err[256];

	assert_int_equal(
		conf_set(&f->conf, key, value, "test", err, sizeof(err)), 0);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static struct json_object *load(const char *path)
{
	char *text = slurp(path);
	struct json_object *o;

	assert_non_null(text);
	/* One line, ending in a newline. */
	assert_non_null(strchr(text, '\n'));
	assert_string_equal(strchr(text, '\n'), "\n");
	o = json_tokener_parse(text);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

static long long num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* "2026-11-23T09:41:07.123Z" */
static void assert_wall(const char *s)
{
	struct tm tm = { 0 };
	char *end;

	assert_non_null(s);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(end);
	assert_true(end[0] == '.' && end[4] == 'Z' && !end[5]);
}

/* --- pure helpers --- */

static void check_wall(time_t t, long ns)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = ns };
	char got[STATEFILE_WALL_LEN], want[STATEFILE_WALL_LEN];
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want + n, sizeof(want) - n, ".%03ldZ", ns / 1000000);
	assert_int_equal(statefile_format_wall(got, &ts), strlen(want));
	assert_string_equal(got, want);
}

/* The hand-made calendar agrees with gmtime_r, leap days included. */
static void test_wall_matches_gmtime(void **state)
{
	static const time_t edges[] = {
		0,	    59,		86399,	      86400,	  951782400,
		951868799,  951868800,	1709164800,   4107456000, 4107542399,
		4107542400, 4102444800, 253402300799,
	};
	unsigned int i, seed = 12345;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_wall(edges[i], 999999999);
	for (i = 0; i < 50000; i++) {
		seed = seed * 1103515245 + 12345;
		check_wall(((time_t)seed << 3) % 253402300800LL,
			   (seed >> 3) % 1000000000);
	}
}

/* A /proc/PID/stat line whose comm is @comm and field 22 is 987654321. */
static void stat_line(char *buf, size_t size, const char *comm)
{
	int n = snprintf(buf, size, "4242 (%s) S", comm), field;

	for (field = 4; field <= 52; field++)
		n += snprintf(buf + n, size - n, " %d",
			      field == 22 ? 987654321 : field * 11);
	snprintf(buf + n, size - n, "\n");
}

static void test_start_time_parse(void **state)
{
	static const char *const comms[] = { "vessel", "a) b (c", "x y z)", ")",
					     "" };
	char line[1024];
	u64 t;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		stat_line(line, sizeof(line), comms[i]);
		t = 0;
		assert_int_equal(statefile_parse_start_time(line, &t), 0);
		assert_int_equal(t, 987654321);
	}
	assert_int_equal(statefile_parse_start_time("1 (x) S 1 2 3", &t),
			 -EINVAL);
	assert_int_equal(statefile_parse_start_time("no parenthesis", &t),
			 -EINVAL);
	stat_line(line, sizeof(line), "v");
	*strstr(line, " 987654321") = '\0';
	strcat(line, " -5 1 2");
	assert_int_equal(statefile_parse_start_time(line, &t), -EINVAL);
}

/* Our own start time, and a child's, which started later. */
static void test_start_time_of_processes(void **state)
{
	u64 mine, child_t;
	pid_t child;
	int status;

	(void)state;
	assert_int_equal(statefile_start_time(getpid(), &mine), 0);
	assert_true(mine > 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	assert_int_equal(statefile_start_time(child, &child_t), 0);
	assert_true(child_t >= mine);
	kill(child, SIGTERM);
	/* A zombie has a stat line, but is no writer any more. */
	usleep(100000);
	assert_int_equal(statefile_start_time(child, &child_t), -ESRCH);
	waitpid(child, &status, 0);
	assert_int_equal(statefile_start_time(child, &child_t), -ESRCH);
	assert_int_equal(statefile_start_time(0, &child_t), -ESRCH);
}

/* The crash record's tail completes any object's text into valid JSON. */
static void test_crash_suffix(void **state)
{
	struct timespec ts = { .tv_sec = 1795426867, .tv_nsec = 123456789 };
	char buf[256], small[40];
	struct json_object *o;
	size_t n;

	(void)state;
	n = snprintf(buf, sizeof(buf), "{\"version\":1,\"pid\":5");
	n += statefile_crash_suffix(buf + n, sizeof(buf) - n, SIGSEGV, &ts);
	buf[n] = '\0'; /* a suffix is bytes for write(2), not a C string */
	assert_string_equal(buf + n - 2, "}\n");
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_string_equal(str(o, "state"), "crashed");
	assert_int_equal(num(o, "signal"), SIGSEGV);
	assert_string_equal(str(o, "signal_name"), "SIGSEGV");
	assert_string_equal(str(o, "ended"), "2026-11-23T09:41:07.123Z");
	json_object_put(o);

	n = snprintf(buf, sizeof(buf), "{\"a\":0");
	n += statefile_crash_suffix(buf + n, sizeof(buf) - n, 63, &ts);
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_int_equal(num(o, "signal"), 63);
	assert_null(str(o, "signal_name"));
	json_object_put(o);

	assert_int_equal(
		statefile_crash_suffix(small, sizeof(small), SIGBUS, &ts), 0);
}

static void test_parse(void **state)
{
	struct statefile_record rec;

	(void)state;
	assert_int_equal(
		statefile_parse(
			"{\"version\":1,\"pid\":77,\"start_time\":12345678901,\"boot_id\":\"b\",\"state\":\"exited\",\"code\":32}",
			&rec),
		0);
	assert_int_equal(rec.pid, 77);
	assert_int_equal(rec.start_time, 12345678901ULL);
	assert_string_equal(rec.boot_id, "b");
	assert_string_equal(rec.state, "exited");
	assert_int_equal(rec.code, 32);
	assert_int_equal(rec.signal, 0);
	assert_int_equal(
		statefile_parse(
			"{\"version\":1,\"pid\":7,\"start_time\":1,\"state\":\"crashed\",\"signal\":11}",
			&rec),
		0);
	assert_int_equal(rec.code, -1);
	assert_int_equal(rec.signal, 11);
	assert_int_equal(statefile_parse("not json", &rec), -EBADMSG);
	assert_int_equal(statefile_parse("[1]", &rec), -EBADMSG);
	assert_int_equal(
		statefile_parse(
			"{\"version\":2,\"pid\":7,\"start_time\":1,\"state\":\"running\"}",
			&rec),
		-EBADMSG);
	assert_int_equal(
		statefile_parse(
			"{\"version\":1,\"pid\":\"7\",\"start_time\":1,\"state\":\"running\"}",
			&rec),
		-EBADMSG);
	assert_int_equal(
		statefile_parse(
			"{\"version\":1,\"pid\":7,\"state\":\"running\"}",
			&rec),
		-EBADMSG);
}

/* --- the records a run leaves --- */

static void test_no_state_option(void **state)
{
	struct fx *f = *state;

	set(f, "name", "g");
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
	assert_false(f->sf.active);
	statefile_running(&f->sf);
	statefile_crash(SIGSEGV);
	statefile_exited(&f->sf, 0, "S5");
	statefile_close(&f->sf);
}

/* The fields every record starts with, and our identity in them. */
static void check_base(struct json_object *o, const char *state_name)
{
	char boot[64] = "";
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "re");
	char cwd[256], want[320];
	u64 start;

	if (fp) {
		assert_non_null(fgets(boot, sizeof(boot), fp));
		boot[strcspn(boot, "\n")] = '\0';
		fclose(fp);
	}
	assert_int_equal(num(o, "version"), 1);
	assert_int_equal(num(o, "pid"), getpid());
	assert_int_equal(statefile_start_time(getpid(), &start), 0);
	assert_int_equal(num(o, "start_time"), (long long)start);
	if (boot[0])
		assert_string_equal(str(o, "boot_id"), boot);
	assert_string_equal(str(o, "name"), "web1");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/rel/ctl.sock", cwd);
	assert_string_equal(str(o, "control"), want);
	assert_string_equal(str(o, "events"), "fd:2");
	assert_string_equal(str(o, "state"), state_name);
}

static void open_full(struct fx *f)
{
	set(f, "state", f->path);
	set(f, "name", "web1");
	set(f, "control", "rel/ctl.sock");
	set(f, "events", "fd:2");
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
	assert_true(f->sf.active);
}

static void test_running_then_exited(void **state)
{
	struct fx *f = *state;
	struct statefile_record rec;
	struct json_object *o;
	char started[64];
	struct stat st;
	mode_t old = umask(0277); /* 0600 whatever the umask */

	open_full(f);
	/* Checked, but nothing written before the guest starts. */
	assert_false(exists(f->path));
	assert_false(exists(f->tmp));
	statefile_running(&f->sf);
	umask(old);
	o = load(f->path);
	check_base(o, "running");
	assert_wall(str(o, "started"));
	snprintf(started, sizeof(started), "%s", str(o, "started"));
	assert_null(str(o, "code"));
	json_object_put(o);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists(f->tmp));
	assert_int_equal(statefile_parse(slurp(f->path), &rec), 0);
	assert_string_equal(rec.state, "running");
	assert_true(statefile_writer_alive(&rec));

	statefile_exited(&f->sf, 32, "cf9");
	o = load(f->path);
	check_base(o, "exited");
	assert_string_equal(str(o, "started"), started);
	assert_int_equal(num(o, "code"), 32);
	assert_string_equal(str(o, "reason"), "reboot");
	assert_string_equal(str(o, "stop_by"), "cf9");
	assert_wall(str(o, "ended"));
	assert_true(strcmp(str(o, "ended"), started) >= 0);
	json_object_put(o);
	assert_false(exists(f->tmp));

	/* Disarmed: a crash after the exit record leaves it. */
	statefile_crash(SIGSEGV);
	assert_non_null(strstr(slurp(f->path), "\"exited\""));
	statefile_close(&f->sf);
	assert_true(exists(f->path));
}

/* A setup failure: no "started", no stop_by. */
static void test_exit_before_start(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	open_full(f);
	statefile_crash(SIGSEGV); /* not armed before the guest starts */
	assert_false(exists(f->path));
	statefile_exited(&f->sf, 64, NULL);
	o = load(f->path);
	check_base(o, "exited");
	assert_null(str(o, "started"));
	assert_null(str(o, "stop_by"));
	assert_int_equal(num(o, "code"), 64);
	assert_string_equal(str(o, "reason"), "usage");
	json_object_put(o);
}

/* The record a fatal signal's handler writes, and that it then holds. */
static void test_crash_record(void **state)
{
	struct fx *f = *state;
	struct json_object *o;
	char started[64];

	open_full(f);
	statefile_running(&f->sf);
	o = load(f->path);
	snprintf(started, sizeof(started), "%s", str(o, "started"));
	json_object_put(o);

	statefile_crash(SIGABRT);
	o = load(f->path);
	check_base(o, "crashed");
	assert_string_equal(str(o, "started"), started);
	assert_int_equal(num(o, "signal"), SIGABRT);
	assert_string_equal(str(o, "signal_name"), "SIGABRT");
	assert_wall(str(o, "ended"));
	json_object_put(o);
	assert_false(exists(f->tmp));

	/* The process is dying: nothing overwrites the crash record. */
	statefile_exited(&f->sf, 0, "S5");
	assert_non_null(strstr(slurp(f->path), "\"crashed\""));
}

/* A later run with the same PATH replaces a dead writer's record. */
static void test_overwrites_stale(void **state)
{
	struct fx *f = *state;
	FILE *fp = fopen(f->path, "we");
	struct json_object *o;

	assert_non_null(fp);
	fputs("{\"version\":1,\"pid\":999999999,\"start_time\":5,\"state\":\"running\"}\n",
	      fp);
	fclose(fp);
	open_full(f);
	statefile_running(&f->sf);
	o = load(f->path);
	check_base(o, "running");
	json_object_put(o);
}

/* --- refusals --- */

static void test_symlink_refused(void **state)
{
	struct fx *f = *state;
	char target[160];
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	set(f, "state", f->path);
	assert_int_equal(statefile_open(&f->sf, &f->conf), -ELOOP);
	assert_false(f->sf.active);
	assert_false(exists(target));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_false(exists(f->tmp));
}

/* Not a regular file: refused, and a FIFO is not opened for reading. */
static void test_fifo_and_dir_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkfifo(f->path, 0600), 0);
	set(f, "state", f->path);
	assert_int_equal(statefile_open(&f->sf, &f->conf), -EINVAL);
	unlink(f->path);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(statefile_open(&f->sf, &f->conf), -EINVAL);
	rmdir(f->path);
	set(f, "state", "/tmp/");
	assert_int_equal(statefile_open(&f->sf, &f->conf), -EISDIR);
	set(f, "state", "/tmp/..");
	assert_int_equal(statefile_open(&f->sf, &f->conf), -EISDIR);
}

/*
 * A link planted at PATH.tmp is removed, never written through, and the
 * record is a file of its own.
 */
static void test_tmp_link_not_followed(void **state)
{
	struct fx *f = *state;
	char victim[160];
	struct stat st;
	FILE *fp;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	fp = fopen(victim, "we");
	assert_non_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	assert_int_equal(symlink(victim, f->tmp), 0);
	open_full(f);
	statefile_running(&f->sf);
	assert_string_equal(slurp(victim), "precious\n");
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_false(exists(f->tmp));
}

/* No directory, or one nobody may create files in (root included). */
static void test_unwritable_dir(void **state)
{
	struct fx *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing/guest.state", f->dir);
	set(f, "state", path);
	assert_int_equal(statefile_open(&f->sf, &f->conf), -ENOENT);
	/* sysfs refuses new files to everyone, root too. */
	set(f, "state", "/sys/kernel/vessel-unit.state");
	assert_int_not_equal(statefile_open(&f->sf, &f->conf), 0);
	assert_false(f->sf.active);
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro", f->dir);
		assert_int_equal(mkdir(path, 0500), 0);
		strcat(path, "/guest.state");
		set(f, "state", path);
		assert_int_equal(statefile_open(&f->sf, &f->conf), -EACCES);
		*strrchr(path, '/') = '\0';
		rmdir(path);
	}
}

static void write_record(const char *path, pid_t pid, u64 start,
			 const char *boot, const char *state_name)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	fprintf(fp,
		"{\"version\":1,\"pid\":%d,\"start_time\":%llu,%s%s%s\"state\":\"%s\"}\n",
		(int)pid, (unsigned long long)start,
		boot ? "\"boot_id\":\"" : "", boot ? boot : "",
		boot ? "\"," : "", state_name);
	fclose(fp);
}

/*
 * A record whose writer still runs is refused; one whose writer is gone
 * (dead, pid reused, another boot) is not.
 */
static void test_live_writer_refused(void **state)
{
	struct fx *f = *state;
	struct statefile_record rec;
	u64 start;
	pid_t child;
	int status;

	child = fork();
	assert_true(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	assert_int_equal(statefile_start_time(child, &start), 0);
	set(f, "state", f->path);

	write_record(f->path, child, start, NULL, "running");
	assert_int_equal(statefile_open(&f->sf, &f->conf), -EBUSY);
	assert_int_equal(statefile_parse(slurp(f->path), &rec), 0);
	assert_true(statefile_writer_alive(&rec));

	write_record(f->path, child, start, NULL, "exited");
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
	statefile_close(&f->sf);

	/* The same pid with another start time: a reused pid. */
	write_record(f->path, child, start + 1, NULL, "running");
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
	statefile_close(&f->sf);

	/* Written in another boot. */
	write_record(f->path, child, start,
		     "00000000-0000-0000-0000-000000000000", "running");
	assert_int_equal(statefile_parse(slurp(f->path), &rec), 0);
	assert_false(statefile_writer_alive(&rec));
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
	statefile_close(&f->sf);

	kill(child, SIGTERM);
	waitpid(child, &status, 0);
	write_record(f->path, child, start, NULL, "running");
	assert_int_equal(statefile_parse(slurp(f->path), &rec), 0);
	assert_false(statefile_writer_alive(&rec));
	assert_int_equal(statefile_open(&f->sf, &f->conf), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wall_matches_gmtime),
		cmocka_unit_test(test_start_time_parse),
		cmocka_unit_test(test_start_time_of_processes),
		cmocka_unit_test(test_crash_suffix),
		cmocka_unit_test(test_parse),
		T(test_no_state_option),
		T(test_running_then_exited),
		T(test_exit_before_start),
		T(test_crash_record),
		T(test_overwrites_stale),
		T(test_symlink_refused),
		T(test_fifo_and_dir_refused),
		T(test_tmp_link_not_followed),
		T(test_unwritable_dir),
		T(test_live_writer_refused),
	};

	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
