// SPDX-License-Identifier: Apache-2.0
/*
 * `user` and `group` (src/common/userid.c) and the drop itself
 * (src/vmm/privdrop.c): ids parsed and looked up through the real user
 * database (root and nobody exist on every Debian), the plan for each
 * caller, and the drop carried out in a child process, whose ids,
 * capability sets, groups and no_new_privs are read back from the
 * kernel; a user made for the test (and removed) shows its supplementary
 * group kept, and a second thread makes the drop refuse. The drops need
 * root; as another user those tests are skipped.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/exitcode.h"
#include "../../src/common/userid.h"
#include "../../src/vmm/privdrop.h"
#include "../../src/vmm/vm.h"
#include "../lib/procstatus.h"

#define NOBODY 65534u
/* An id no Debian system hands out (below nobody, above the user range). */
#define UNUSED_ID "64999"

static void test_parse_num(void **state)
{
	unsigned int id = 7;

	(void)state;
	assert_int_equal(userid_parse_num("0", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(userid_parse_num("65534", &id), 0);
	assert_int_equal(id, 65534);
	assert_int_equal(userid_parse_num("4294967294", &id), 0);
	assert_int_equal(id, 4294967294u);
	/* (uid_t)-1 means "unchanged" to setresuid(): never an id. */
	assert_int_equal(userid_parse_num("4294967295", &id), -EINVAL);
	assert_int_equal(userid_parse_num("99999999999", &id), -EINVAL);
	assert_int_equal(userid_parse_num("", &id), -EINVAL);
	assert_int_equal(userid_parse_num("-1", &id), -EINVAL);
	assert_int_equal(userid_parse_num("+5", &id), -EINVAL);
	assert_int_equal(userid_parse_num(" 5", &id), -EINVAL);
	assert_int_equal(userid_parse_num("5x", &id), -EINVAL);
	assert_int_equal(userid_parse_num("0x10", &id), -EINVAL);
	assert_int_equal(id, 4294967294u); /* untouched by the failures */
}

static void test_resolve_names_and_numbers(void **state)
{
	struct userid u;
	char err[256];

	(void)state;
	assert_int_equal(userid_resolve(&u, "nobody", NULL, err, sizeof(err)),
			 0);
	assert_int_equal(u.uid, NOBODY);
	assert_int_equal(u.gid, NOBODY); /* nogroup, its primary group */
	assert_true(u.has_name);
	assert_string_equal(u.name, "nobody");
	/* A number with an entry is that entry, name and groups. */
	assert_int_equal(userid_resolve(&u, "65534", NULL, err, sizeof(err)),
			 0);
	assert_true(u.has_name);
	assert_string_equal(u.name, "nobody");
	assert_int_equal(userid_resolve(&u, "0", "nogroup", err, sizeof(err)),
			 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, NOBODY);
	assert_string_equal(u.name, "root");
	/* A gid needs no group entry; a uid without one needs `group`. */
	assert_int_equal(
		userid_resolve(&u, UNUSED_ID, UNUSED_ID, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 64999);
	assert_int_equal(u.gid, 64999);
	assert_false(u.has_name);
	assert_string_equal(u.name, UNUSED_ID);
}

static void test_resolve_refusals(void **state)
{
	struct userid u;
	char err[256];

	(void)state;
	assert_int_equal(userid_resolve(&u, "no-such-user-vessel", NULL, err,
					sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "user no-such-user-vessel: no such user");
	assert_int_equal(userid_resolve(&u, UNUSED_ID, NULL, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "needs `group` too"));
	assert_int_equal(userid_resolve(&u, "nobody", "no-such-group-vessel",
					err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "group no-such-group-vessel: no such group");
	assert_int_equal(userid_resolve(&u, "", NULL, err, sizeof(err)),
			 -ENOENT);
}

static void test_plan(void **state)
{
	struct userid nobody = { .uid = NOBODY, .gid = NOBODY };
	struct userid root = { .uid = 0, .gid = 0 };
	struct userid root_nogroup = { .uid = 0, .gid = NOBODY };
	enum privdrop_plan plan;
	char err[256] = "";

	(void)state;
	snprintf(nobody.name, sizeof(nobody.name), "nobody");
	assert_int_equal(privdrop_plan(0, 0, NULL, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan, PRIVDROP_CAPS);
	assert_int_equal(privdrop_plan(0, 0, &nobody, &plan, err, sizeof(err)),
			 0);
	assert_int_equal(plan, PRIVDROP_SWITCH);
	/* root as root: nothing to switch, only capabilities go. */
	assert_int_equal(privdrop_plan(0, 0, &root, &plan, err, sizeof(err)),
			 0);
	assert_int_equal(plan, PRIVDROP_CAPS);
	assert_int_equal(
		privdrop_plan(0, 0, &root_nogroup, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan, PRIVDROP_SWITCH);
	/* A user may name itself, and no one else. */
	assert_int_equal(
		privdrop_plan(NOBODY, NOBODY, &nobody, &plan, err, sizeof(err)),
		0);
	assert_int_equal(plan, PRIVDROP_CAPS);
	assert_string_equal(err, "");
	assert_int_equal(
		privdrop_plan(NOBODY, NOBODY, &root, &plan, err, sizeof(err)),
		-EPERM);
	assert_non_null(strstr(err, "only when started as root"));
	assert_int_equal(
		privdrop_plan(1000, NOBODY, &nobody, &plan, err, sizeof(err)),
		-EPERM);
	assert_int_equal(
		privdrop_plan(NOBODY, 1000, &nobody, &plan, err, sizeof(err)),
		-EPERM);
}

/* --- the drop, in a child --- */

/* "Name:\tvalue" of /proc/self/status, as text. */
static bool status_field(const char *name, char *out, size_t size)
{
	return proc_status_field("/proc/self/status", name, out, size);
}

/* Child exit codes: which check failed. */
enum {
	CHILD_OK,
	CHILD_INIT,
	CHILD_APPLY,
	CHILD_IDS,
	CHILD_CAPS,
	CHILD_NNP,
	CHILD_ROOT_BACK,
	CHILD_GROUPS,
	CHILD_PRE,
};

/* The bounding set only shrinks with CAP_SETPCAP: root's. */
static int child_caps_zero(bool bounding)
{
	static const char *const sets[] = { "CapInh", "CapPrm", "CapEff",
					    "CapAmb", "CapBnd" };
	char v[64];
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(*sets) - !bounding; i++)
		if (!status_field(sets[i], v, sizeof(v)) ||
		    strcmp(v, "0000000000000000"))
			return -1;
	return 0;
}

/*
 * privdrop_init + privdrop_apply with @argv's options (a VM with no state
 * file), then the checks; @uid:@gid are the ids expected after.
 */
static int child_drop(const char *const argv[], int argc, uid_t pre_uid,
		      uid_t uid, gid_t gid, const char *groups)
{
	struct conf conf = { 0 };
	struct privdrop pd;
	struct vm *vm = calloc(1, sizeof(*vm));
	char err[256], v[128], want[128];

	if (!vm ||
	    conf_parse_args(&conf, argc, (char *const *)argv, err, sizeof(err)))
		return CHILD_PRE;
	if (privdrop_init(&pd, &conf))
		return CHILD_INIT;
	if (privdrop_apply(&pd, vm))
		return CHILD_APPLY;
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", uid, uid, uid, uid);
	if (!status_field("Uid", v, sizeof(v)) || strcmp(v, want))
		return CHILD_IDS;
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", gid, gid, gid, gid);
	if (!status_field("Gid", v, sizeof(v)) || strcmp(v, want))
		return CHILD_IDS;
	if (groups &&
	    (!status_field("Groups", v, sizeof(v)) || strcmp(v, groups)))
		return CHILD_GROUPS;
	if (child_caps_zero(pre_uid == (uid_t)-1))
		return CHILD_CAPS;
	if (!status_field("NoNewPrivs", v, sizeof(v)) || strcmp(v, "1"))
		return CHILD_NNP;
	if (uid && (!setuid(0) || !seteuid(0)))
		return CHILD_ROOT_BACK;
	return CHILD_OK;
}

/* Run child_drop() in a child, after @pre_uid (if not -1) is taken. */
static int run_child(const char *const argv[], int argc, uid_t pre_uid,
		     uid_t uid, gid_t gid, const char *groups)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (pre_uid != (uid_t)-1 &&
		    (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		     setresuid(pre_uid, pre_uid, pre_uid)))
			_exit(CHILD_PRE);
		_exit(child_drop(argv, argc, pre_uid, uid, gid, groups));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void skip_unless_root(void)
{
	if (geteuid())
		skip();
}

static void test_root_to_nobody(void **state)
{
	const char *argv[] = { "--user", "nobody" };

	(void)state;
	skip_unless_root();
	assert_int_equal(run_child(argv, 2, -1, NOBODY, NOBODY, "65534"),
			 CHILD_OK);
}

/* `group` replaces the primary group; a gid needs no entry. */
static void test_root_to_uid_and_gid(void **state)
{
	const char *argv[] = { "--user", UNUSED_ID, "--group", "64998" };

	(void)state;
	skip_unless_root();
	/* No passwd entry: no supplementary groups at all. */
	assert_int_equal(run_child(argv, 4, -1, 64999, 64998, ""), CHILD_OK);
}

/* Root without `user` stays root, with no capability left. */
static void test_root_keeps_uid_loses_caps(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(run_child(NULL, 0, -1, 0, 0, NULL), CHILD_OK);
}

/* A user may name itself; naming root is refused at init. */
static void test_not_root(void **state)
{
	const char *self[] = { "--user", "nobody" };
	const char *root[] = { "--user", "root" };
	const char *unknown[] = { "--user", "no-such-user-vessel" };

	(void)state;
	skip_unless_root();
	assert_int_equal(run_child(self, 2, NOBODY, NOBODY, NOBODY, NULL),
			 CHILD_OK);
	assert_int_equal(run_child(root, 2, NOBODY, 0, 0, NULL), CHILD_INIT);
	assert_int_equal(run_child(unknown, 2, -1, 0, 0, NULL), CHILD_INIT);
}

/*
 * A user's supplementary groups come along (how group kvm reaches
 * /dev/kvm): a system user and group made for the test, removed after.
 */
#define SUP_USER "vessel-pd-test"
#define SUP_GROUP "vessel-pd-sup"

static void sup_remove(void)
{
	if (system("userdel " SUP_USER " 2>/dev/null; "
		   "groupdel " SUP_GROUP " 2>/dev/null; true"))
		return;
}

static void test_supplementary_groups(void **state)
{
	const char *argv[] = { "--user", SUP_USER };
	struct passwd *pw;
	struct group *g;
	char want[32];
	int ret;

	(void)state;
	skip_unless_root();
	sup_remove();
	if (system("groupadd -r " SUP_GROUP " && useradd -r -M -N -g nogroup "
		   "-G " SUP_GROUP " -s /usr/sbin/nologin " SUP_USER)) {
		sup_remove();
		skip(); /* no useradd here */
	}
	g = getgrnam(SUP_GROUP);
	pw = getpwnam(SUP_USER);
	if (!g || !pw) {
		sup_remove();
		fail_msg("%s or %s not found after adding them", SUP_USER,
			 SUP_GROUP);
	}
	/* The kernel lists groups sorted; a system gid is below nogroup's. */
	snprintf(want, sizeof(want), "%u 65534", (unsigned int)g->gr_gid);
	ret = run_child(argv, 2, -1, pw->pw_uid, NOBODY, want);
	sup_remove();
	assert_int_equal(ret, CHILD_OK);
}

/* Capabilities are per thread: a second thread means it is too late. */
static void *thread_wait(void *arg)
{
	pause();
	return arg;
}

static void test_refused_with_threads(void **state)
{
	const char *argv[] = { "--user", "nobody" };
	pthread_t t;
	int status;
	pid_t pid;

	(void)state;
	skip_unless_root();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (pthread_create(&t, NULL, thread_wait, NULL))
			_exit(CHILD_PRE);
		_exit(child_drop(argv, 2, -1, NOBODY, NOBODY, NULL));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_APPLY);
}

static void test_group_needs_user(void **state)
{
	const char *argv[] = { "--group", "nogroup" };

	(void)state;
	assert_int_equal(run_child(argv, 2, -1, 0, 0, NULL), CHILD_INIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_num),
		cmocka_unit_test(test_resolve_names_and_numbers),
		cmocka_unit_test(test_resolve_refusals),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_root_to_nobody),
		cmocka_unit_test(test_root_to_uid_and_gid),
		cmocka_unit_test(test_root_keeps_uid_loses_caps),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_group_needs_user),
		cmocka_unit_test(test_supplementary_groups),
		cmocka_unit_test(test_refused_with_threads),
	};

	return cmocka_run_group_tests_name("privdrop", tests, NULL, NULL);
}
