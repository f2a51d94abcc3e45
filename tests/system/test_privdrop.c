// SPDX-License-Identifier: Apache-2.0
/*
 * Least privilege, end to end (docs/security.md "Least privilege"):
 * vessel started as root with `user nobody` boots the probe guest with a
 * disk, a control socket, a lifecycle region and a state file, and every
 * one of its threads runs as nobody with no capability in any set and
 * no_new_privs, as the kernel reports in /proc, and non-dumpable (its
 * /proc files stay root's); the guest's region protocol, the disk, the
 * control socket and the state record all still work, and the files it
 * leaves are nobody's. Root without `user` holds
 * no capability either. An unknown user or group is exit 64 with one
 * line; a state directory nobody cannot write is refused before the
 * guest runs. Links planted at the state file, its temporary and the
 * event file are not followed (their targets keep their bytes), and
 * what vessel creates is 0600 (0700 for a directory) under umask 000.
 * Needs root (skipped otherwise) and the user nobody.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/procstatus.h"
#include "../lib/textfile.h"
#include "../lib/vdrun.h"
#include "../lib/vmrun.h"

#define NOBODY 65534u
#define READY_MS 60000
#define CTL_MS 20000
#define EXIT_POWEROFF 0
#define EXIT_USAGE 64
#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"
#define IMAGE_SIZE (1 << 20)
#define TARGET_TEXT "the link's target, unchanged\n"

struct pd_test {
	struct vmrun r;
	char shm[VMRUN_PATH_MAX]; /* VESSEL_SHM_DIR: dir/shm */
	char state[VMRUN_PATH_MAX]; /* dir/state.json */
	char disk[VMRUN_PATH_MAX]; /* dir/disk.img */
	char target[VMRUN_PATH_MAX]; /* dir/target: what links point at */
};

/* The files in @dir, removed; how many there were. */
static int empty_dir(const char *dir)
{
	char path[VMRUN_PATH_MAX + 256];
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int setup(void **state)
{
	struct pd_test *t;

	if (geteuid() != 0)
		return 0; /* each test skips */
	t = calloc(1, sizeof(*t));
	if (!t || vmrun_init(&t->r)) {
		free(t);
		return -1;
	}
	snprintf(t->shm, sizeof(t->shm), "%s/shm", t->r.dir);
	snprintf(t->state, sizeof(t->state), "%s/state.json", t->r.dir);
	snprintf(t->disk, sizeof(t->disk), "%s/disk.img", t->r.dir);
	snprintf(t->target, sizeof(t->target), "%s/target", t->r.dir);
	setenv("VESSEL_SHM_DIR", t->shm, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct pd_test *t = *state;

	if (!t)
		return 0;
	if (t->r.p.out)
		vmproc_free(&t->r.p);
	empty_dir(t->shm);
	rmdir(t->shm);
	vmrun_free(&t->r);
	unsetenv("VESSEL_SHM_DIR");
	umask(022);
	free(t);
	return 0;
}

static struct pd_test *test_state(void **state)
{
	if (geteuid() != 0 || !*state)
		skip();
	return *state;
}

/* The run directory as nobody's: where a `user nobody` vessel writes. */
static void give_dir_to_nobody(struct pd_test *t)
{
	assert_int_equal(chown(t->r.dir, NOBODY, NOBODY), 0);
}

static void make_image(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMAGE_SIZE), 0);
	close(fd);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void expect_line(struct vmrun *r, const char *line)
{
	if (!vmproc_wait_output(&r->p, line, READY_MS)) {
		vmproc_wait_exit(&r->p, 1000);
		vmrun_dump(r);
		fail_msg("no \"%s\" on the console", line);
	}
}

static void expect_field(const char *file, const char *name, const char *want)
{
	char v[128];

	if (!proc_status_field(file, name, v, sizeof(v)))
		fail_msg("%s: no %s", file, name);
	if (strcmp(v, want))
		fail_msg("%s: %s is \"%s\", expected \"%s\"", file, name, v,
			 want);
}

/*
 * Every thread of @pid: uid and gid @id (real, effective, saved, fs),
 * the groups @groups (NULL: not checked), no capability, no_new_privs.
 */
static int expect_threads(pid_t pid, unsigned int id, const char *groups)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff",
					    "CapBnd", "CapAmb" };
	char dir[64], file[64 + 256 + 8], ids[64];
	struct dirent *e;
	DIR *d;
	int n = 0;
	size_t i;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", id, id, id, id);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/status", dir, e->d_name);
		expect_field(file, "Uid", ids);
		expect_field(file, "Gid", ids);
		if (groups)
			expect_field(file, "Groups", groups);
		for (i = 0; i < sizeof(caps) / sizeof(*caps); i++)
			expect_field(file, caps[i], "0000000000000000");
		expect_field(file, "NoNewPrivs", "1");
		n++;
	}
	closedir(d);
	return n;
}

static void expect_owner_mode(const char *path, unsigned int uid,
			      unsigned int mode)
{
	struct stat st;

	if (lstat(path, &st))
		fail_msg("%s: %s", path, strerror(errno));
	if (st.st_uid != uid || (st.st_mode & 07777) != mode)
		fail_msg("%s: uid %u mode %04o, expected uid %u mode %04o",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 07777), uid, mode);
}

/* `vesselctl --vm @ctl status`: its exit code. */
static int ctl_status(const char *ctl)
{
	const char *argv[] = { vesselctl_path(), "--vm", ctl, "status", NULL };
	struct vmproc c;
	int code;

	assert_int_equal(vmproc_start(&c, argv), 0);
	code = vmproc_wait_exit(&c, CTL_MS);
	if (code)
		vmproc_dump(&c);
	vmproc_free(&c);
	return code;
}

/*
 * The whole guest as nobody: the lifecycle region's protocol (its files
 * made before the switch, the guest's own connection made after), the
 * control socket, the state record at start and at exit.
 */
static void test_guest_runs_as_nobody(void **state)
{
	struct pd_test *t = test_state(state);
	char disk[VMRUN_PATH_MAX + 16], text[1024], proc[64], events[8192];
	const char *extra[] = { "--user",  "nobody",  "--control", t->r.ctl,
				"--state", t->state,  "--disk",	   disk,
				"--shmem", LIFECYCLE, NULL };
	int threads;

	give_dir_to_nobody(t);
	make_image(t->disk);
	snprintf(disk, sizeof(disk), "path=%s", t->disk);
	assert_int_equal(
		vmrun_start(&t->r, "lifecycle probe.lc.on=button", extra), 0);
	expect_line(&t->r, "PROBE READY lifecycle");
	threads = expect_threads(t->r.p.pid, NOBODY, "65534");
	assert_true(threads >= 2); /* the main thread and the vCPU */
	/* Non-dumpable after the switch: nobody cannot read its memory. */
	snprintf(proc, sizeof(proc), "/proc/%d/mem", (int)t->r.p.pid);
	expect_owner_mode(proc, 0, 0600);
	textfile_read(t->state, text, sizeof(text));
	assert_non_null(strstr(text, "\"state\":\"running\""));
	expect_owner_mode(t->state, NOBODY, 0600);
	expect_owner_mode(t->shm, NOBODY, 0700);
	assert_int_equal(ctl_status(t->r.ctl), 0);
	assert_int_equal(vmproc_kill(&t->r.p, SIGTERM), 0);
	assert_int_equal(vmrun_finish(&t->r), EXIT_POWEROFF);
	/* The started event says who ran the guest. */
	textfile_read(t->r.events, events, sizeof(events));
	assert_non_null(strstr(events, "\"uid\":65534,\"gid\":65534"));
	assert_non_null(strstr(t->r.p.out, "PROBE PASS lifecycle: ack after"));
	assert_null(strstr(t->r.p.out, "PROBE FAIL"));
	assert_non_null(strstr(t->r.p.err, "running as user nobody"));
	/* Rewritten by nobody at the exit; the socket and region gone. */
	textfile_read(t->state, text, sizeof(text));
	assert_non_null(strstr(text, "\"state\":\"exited\""));
	assert_non_null(strstr(text, "\"code\":0"));
	expect_owner_mode(t->state, NOBODY, 0600);
	assert_int_equal(access(t->r.ctl, F_OK), -1);
	assert_int_equal(empty_dir(t->shm), 0);
}

/* The disk, opened as root, is written and read back as nobody. */
static void test_disk_as_nobody(void **state)
{
	struct pd_test *t = test_state(state);
	char disk[VMRUN_PATH_MAX + 16];
	const char *extra[] = { "--user", "nobody", "--disk", disk, NULL };

	make_image(t->disk);
	snprintf(disk, sizeof(disk), "path=%s,id=pd", t->disk);
	assert_int_equal(vmrun_start(&t->r,
				     "blk-write probe.sectors=64 probe.req=8 "
				     "probe.end=poweroff",
				     extra),
			 0);
	assert_int_equal(vmrun_finish(&t->r), EXIT_POWEROFF);
	assert_non_null(strstr(t->r.p.out, "PROBE PASS blk-verify"));
	assert_null(strstr(t->r.p.out, "PROBE FAIL"));
}

/* Root without `user`: uid 0 still, but no capability at all. */
static void test_root_keeps_no_capability(void **state)
{
	struct pd_test *t = test_state(state);

	assert_int_equal(vmrun_start(&t->r, "power-button", NULL), 0);
	expect_line(&t->r, "PROBE READY power-button");
	assert_true(expect_threads(t->r.p.pid, 0, NULL) >= 2);
	assert_int_equal(vmproc_kill(&t->r.p, SIGTERM), 0);
	assert_int_equal(vmrun_finish(&t->r), EXIT_POWEROFF);
}

/* Exit 64 before the guest, with @message; no console output. */
static void expect_refused(struct pd_test *t, const char *const extra[],
			   const char *message)
{
	int code;

	assert_int_equal(vmrun_start(&t->r, "poweroff", extra), 0);
	code = vmproc_wait_exit(&t->r.p, READY_MS);
	if (code != EXIT_USAGE || !strstr(t->r.p.err, message)) {
		vmproc_dump(&t->r.p);
		fail_msg("expected exit 64 and \"%s\", got %d", message, code);
	}
	assert_null(strstr(t->r.p.out, "PROBE BOOT"));
	vmproc_free(&t->r.p);
}

static void test_unknown_user_or_group(void **state)
{
	struct pd_test *t = test_state(state);
	const char *user[] = { "--user", "no-such-user-vessel", NULL };
	const char *group[] = { "--user", "nobody", "--group",
				"no-such-group-vessel", NULL };
	const char *alone[] = { "--group", "nogroup", NULL };

	expect_refused(
		t, user,
		"vessel: error: user no-such-user-vessel: no such user\n");
	expect_refused(
		t, group,
		"vessel: error: group no-such-group-vessel: no such group\n");
	expect_refused(t, alone, "group nogroup: only with `user`");
}

/* The state file's directory is root's 0700: nobody could not write
 * the exit record, so the guest does not start. */
static void test_state_dir_not_writable(void **state)
{
	struct pd_test *t = test_state(state);
	const char *extra[] = { "--user", "nobody", "--state", t->state, NULL };

	expect_refused(t, extra, "cannot create files in its directory");
}

/* A link at @path, to t->target, which must keep its bytes. */
static void plant_link(struct pd_test *t, const char *path)
{
	write_text(t->target, TARGET_TEXT);
	assert_int_equal(symlink(t->target, path), 0);
}

static void expect_target_unchanged(struct pd_test *t)
{
	char text[256];

	textfile_read(t->target, text, sizeof(text));
	assert_string_equal(text, TARGET_TEXT);
}

static void test_links_not_followed(void **state)
{
	struct pd_test *t = test_state(state);
	const char *with_state[] = { "--state", t->state, NULL };
	char tmp[VMRUN_PATH_MAX + 8];

	/* At the state file: refused. */
	plant_link(t, t->state);
	expect_refused(t, with_state, "a symbolic link: refused");
	expect_target_unchanged(t);
	unlink(t->state);
	/* At the event file: refused. */
	plant_link(t, t->r.events);
	expect_refused(t, NULL, "a symbolic link: refused");
	expect_target_unchanged(t);
	unlink(t->r.events);
	/* At the state file's temporary: removed, never written through. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->state);
	plant_link(t, tmp);
	assert_int_equal(vmrun_start(&t->r, "poweroff", with_state), 0);
	assert_int_equal(vmrun_finish(&t->r), EXIT_POWEROFF);
	expect_target_unchanged(t);
	expect_owner_mode(t->state, 0, 0600);
}

/*
 * Under umask 000 every file and socket vessel makes is 0600, its
 * region directory 0700, as nobody and as root.
 */
static void check_modes(struct pd_test *t, const char *user, unsigned int uid)
{
	char serial[VMRUN_PATH_MAX + 8], serial_opt[VMRUN_PATH_MAX + 16];
	char region[VMRUN_PATH_MAX + 32], sock[VMRUN_PATH_MAX + 32];
	const char *extra[] = { "--control", t->r.ctl,	 "--state", t->state,
				"--serial",  serial_opt, "--shmem", LIFECYCLE,
				"--user",    user,	 NULL };

	snprintf(serial, sizeof(serial), "%s/serial.out", t->r.dir);
	snprintf(serial_opt, sizeof(serial_opt), "file:%s", serial);
	umask(0);
	assert_int_equal(vmrun_start(&t->r, "power-button", extra), 0);
	umask(022);
	/* The console goes to the file: wait for vessel's socket instead. */
	if (!vmproc_alive_after(&t->r.p, 500)) {
		vmrun_dump(&t->r);
		fail_msg("vessel as %s ended", user);
	}
	for (int i = 0; i < 100 && ctl_status(t->r.ctl); i++)
		usleep(100000);
	expect_owner_mode(t->r.events, 0, 0600);
	expect_owner_mode(t->r.ctl, 0, 0600);
	expect_owner_mode(t->state, uid, 0600);
	expect_owner_mode(serial, 0, 0600);
	expect_owner_mode(t->shm, uid, 0700);
	snprintf(region, sizeof(region), "%s/lifecycle-%d.shm", t->shm,
		 (int)t->r.p.pid);
	snprintf(sock, sizeof(sock), "%s/lifecycle-%d.0.sock", t->shm,
		 (int)t->r.p.pid);
	expect_owner_mode(region, uid, 0600);
	expect_owner_mode(sock, uid, 0600);
	assert_int_equal(vmproc_kill(&t->r.p, SIGQUIT), 0);
	assert_int_equal(vmrun_finish(&t->r), 3);
}

static void test_modes_under_umask_000(void **state)
{
	struct pd_test *t = test_state(state);

	give_dir_to_nobody(t);
	check_modes(t, "nobody", NOBODY);
	unlink(t->r.events);
	unlink(t->state);
	assert_int_equal(empty_dir(t->shm), 0);
	assert_int_equal(rmdir(t->shm), 0);
	/* Root without capabilities writes only in its own directories. */
	assert_int_equal(chown(t->r.dir, 0, 0), 0);
	check_modes(t, "root", 0);
}

/*
 * Under vesseld: a guest file with `user nobody` runs its vessel as
 * nobody in a directory vesseld gave nobody (0700), and the guest stops
 * cleanly at vesseld's shutdown.
 */
static void test_vesseld_guest_user(void **state)
{
	char dir[VDRUN_PATH_LEN + 8], file[VDRUN_PATH_LEN + 32];
	struct vdrun *d;
	long long pid;
	int i;

	(void)test_state(state);
	d = vdrun_new("pd", VDRUN_SHM_DIR);
	assert_non_null(d);
	vdrun_guest_file(d, "g1", "power-button", "user nobody\n");
	vdrun_start(d, NULL);
	i = vdrun_wait_event(d, "up", "g1", 1);
	pid = evlog_int(&d->ev, i, "pid", -1);
	vdrun_wait_console(d, "g1", "PROBE READY power-button");
	assert_true(expect_threads((pid_t)pid, NOBODY, "65534") >= 2);
	snprintf(dir, sizeof(dir), "%s/g1", d->run);
	expect_owner_mode(dir, NOBODY, 0700);
	snprintf(file, sizeof(file), "%s/state.json", dir);
	expect_owner_mode(file, NOBODY, 0600);
	assert_int_equal(vdrun_stop(d), 0);
	i = vdrun_ev_nth(&d->ev, "exited", "g1", 1);
	assert_true(i >= 0);
	assert_int_equal(evlog_int(&d->ev, i, "code", -1), 0);
	vdrun_delete(d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_guest_runs_as_nobody),	  T(test_disk_as_nobody),
		T(test_root_keeps_no_capability), T(test_unknown_user_or_group),
		T(test_state_dir_not_writable),	  T(test_links_not_followed),
		T(test_modes_under_umask_000),	  T(test_vesseld_guest_user),
	};
#undef T

	return cmocka_run_group_tests_name("privdrop", tests, NULL, NULL);
}
