// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld and a guest's `user` (src/vesseld/guestdir.c, config.c): the
 * guest's directory is made or taken over for the user its vessel will
 * run as (0700), given back to vesseld when the user goes away, and
 * refused when a symbolic link stands in its place; a guest file naming
 * an unknown user or group, or a group without a user, is a
 * configuration error that names the file and line; the quiesce hook
 * vesseld runs in a killed vessel's place runs as that user. Ownership
 * and ids need root: those checks are skipped otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vesseld/config.h"
#include "../../src/vesseld/guestdir.h"
#include "../../src/vesseld/spawn.h"

#define NOBODY 65534u

struct fx {
	char top[64]; /* mkdtemp */
	char dir[96]; /* top/g1: the guest's directory */
	char file[96]; /* top/g1.conf */
	struct conf conf;
	char err[512];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->top, sizeof(f->top), "/tmp/vesseld-guestdir-XXXXXX");
	if (!mkdtemp(f->top)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/g1", f->top);
	snprintf(f->file, sizeof(f->file), "%s/g1.conf", f->top);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	conf_free(&f->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* @text as the guest file, parsed into f->conf. */
static void guest_file(struct fx *f, const char *text)
{
	FILE *o = fopen(f->file, "w");

	assert_non_null(o);
	fputs(text, o);
	fclose(o);
	conf_free(&f->conf);
	memset(&f->conf, 0, sizeof(f->conf));
	assert_int_equal(
		conf_parse_file(&f->conf, f->file, f->err, sizeof(f->err)), 0);
}

static void expect_dir(const char *dir, unsigned int uid, unsigned int gid)
{
	struct stat st;

	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_made_for_the_user(void **state)
{
	struct fx *f = *state;

	if (geteuid())
		skip();
	guest_file(f, "kernel /k\nuser nobody\n");
	assert_int_equal(
		guestdir_prepare(f->dir, &f->conf, f->err, sizeof(f->err)), 0);
	expect_dir(f->dir, NOBODY, NOBODY);
	/* The user goes: the directory comes back to vesseld, mode fixed. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	guest_file(f, "kernel /k\n");
	assert_int_equal(
		guestdir_prepare(f->dir, &f->conf, f->err, sizeof(f->err)), 0);
	expect_dir(f->dir, 0, 0);
	/* A numeric user with a group that has no entry. */
	guest_file(f, "kernel /k\nuser 64999\ngroup 64998\n");
	assert_int_equal(
		guestdir_prepare(f->dir, &f->conf, f->err, sizeof(f->err)), 0);
	expect_dir(f->dir, 64999, 64998);
}

static void test_link_refused(void **state)
{
	struct fx *f = *state;
	char target[96];
	struct stat st;

	snprintf(target, sizeof(target), "%s/elsewhere", f->top);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(symlink(target, f->dir), 0);
	guest_file(f, "kernel /k\nuser nobody\n");
	/* O_DIRECTORY | O_NOFOLLOW on a link to a directory: ENOTDIR. */
	assert_int_equal(
		guestdir_prepare(f->dir, &f->conf, f->err, sizeof(f->err)),
		-ENOTDIR);
	assert_non_null(strstr(f->err, "not a directory (a symbolic link?)"));
	/* The link's target was not given away. */
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_unknown_user(void **state)
{
	struct fx *f = *state;

	guest_file(f, "kernel /k\nuser no-such-user-vessel\n");
	assert_int_equal(
		guestdir_prepare(f->dir, &f->conf, f->err, sizeof(f->err)),
		-ENOENT);
	assert_string_equal(f->err, "user no-such-user-vessel: no such user");
	assert_int_equal(access(f->dir, F_OK), -1); /* nothing made */
}

/* config_load_guest: the user and group checks name the line. */
static void expect_config_error(struct fx *f, const char *text,
				const char *want)
{
	struct config_guest g;
	FILE *o = fopen(f->file, "w");

	assert_non_null(o);
	fputs(text, o);
	fclose(o);
	assert_int_equal(
		config_load_guest(&g, f->file, "g1", f->err, sizeof(f->err)),
		-EBADMSG);
	if (!strstr(f->err, want))
		fail_msg("error \"%s\", expected \"%s\"", f->err, want);
}

static void test_config_checks(void **state)
{
	struct fx *f = *state;
	struct config_guest g;
	char want[160];

	snprintf(want, sizeof(want),
		 "%s:2: user no-such-user-vessel: no such user", f->file);
	expect_config_error(f, "kernel /k\nuser no-such-user-vessel\n", want);
	snprintf(want, sizeof(want),
		 "%s:2: group no-such-group-vessel: no such group", f->file);
	expect_config_error(
		f, "kernel /k\nuser nobody\ngroup no-such-group-vessel\n",
		want);
	snprintf(want, sizeof(want), "%s:2: group: only with `user`", f->file);
	expect_config_error(f, "kernel /k\ngroup nogroup\n", want);
	guest_file(f, "kernel /k\nuser nobody\ngroup nogroup\n");
	assert_int_equal(
		config_load_guest(&g, f->file, "g1", f->err, sizeof(f->err)),
		0);
	config_guest_free(&g);
}

/*
 * The quiesce hook vesseld runs for a killed vessel runs as the guest's
 * user, as vessel's own would: ids, groups and no_new_privs from inside.
 */
static void test_hook_as_the_user(void **state)
{
	struct fx *f = *state;
	const char *argv[] = {
		"/bin/sh", "-c",
		"id -u; id -G; grep NoNewPrivs /proc/self/status", NULL
	};
	char log[128], out[256] = "";
	struct spawn s = { argv, f->top, log, NULL };
	struct spawn_cred cred;
	int pidfd, status;
	bool has = true;
	FILE *in;
	pid_t pid;

	guest_file(f, "kernel /k\n");
	assert_int_equal(
		spawn_cred_of(&f->conf, &cred, &has, f->err, sizeof(f->err)),
		0);
	assert_false(has);
	guest_file(f, "kernel /k\nuser no-such-user-vessel\n");
	assert_int_equal(
		spawn_cred_of(&f->conf, &cred, &has, f->err, sizeof(f->err)),
		-ENOENT);
	if (geteuid())
		skip();
	guest_file(f, "kernel /k\nuser nobody\n");
	assert_int_equal(
		spawn_cred_of(&f->conf, &cred, &has, f->err, sizeof(f->err)),
		0);
	assert_true(has);
	snprintf(log, sizeof(log), "%s/hook.log", f->top);
	assert_int_equal(
		spawn_start_as(&s, &cred, &pid, &pidfd, f->err, sizeof(f->err)),
		0);
	close(pidfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	in = fopen(log, "re");
	assert_non_null(in);
	out[fread(out, 1, sizeof(out) - 1, in)] = '\0';
	fclose(in);
	assert_string_equal(out, "65534\n65534\nNoNewPrivs:\t1\n");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_made_for_the_user), T(test_link_refused),
		T(test_unknown_user),	   T(test_config_checks),
		T(test_hook_as_the_user),
	};
#undef T

	return cmocka_run_group_tests_name("vesseld_guestdir", tests, NULL,
					   NULL);
}
