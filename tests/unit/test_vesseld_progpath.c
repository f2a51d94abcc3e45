// SPDX-License-Identifier: Apache-2.0
/*
 * Where vesseld finds vessel (src/vesseld/progpath.c), on real files in a
 * temporary tree: beside vesseld first (the build tree), else in the bin
 * directory beside an sbin one (an install), never a bin beside a
 * directory merely ending in "sbin", never a file that is not executable.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vesseld/progpath.h"

struct tree {
	char root[64]; /* $TMPDIR/vessel-progpath-XXXXXX */
	char buf[PATH_MAX];
};

/* root/@rel with @mode, its directories made. */
static void make_file(struct tree *t, const char *rel, mode_t mode)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* progpath_near for the exe root/@exe_rel: the answer relative to root. */
static const char *near(struct tree *t, const char *exe_rel)
{
	char exe[PATH_MAX];
	size_t len = strlen(t->root);
	const char *p;

	snprintf(exe, sizeof(exe), "%s/%s", t->root, exe_rel);
	p = progpath_near(exe, "vessel", t->buf, sizeof(t->buf));
	if (!p)
		return NULL;
	assert_ptr_equal(p, t->buf);
	assert_memory_equal(p, t->root, len);
	return p + len + 1;
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "%s/vessel-progpath-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", t->root);
	free(t);
	return 0;
}

static void test_beside_first(void **state)
{
	struct tree *t = *state;

	make_file(t, "build/vesseld", 0755);
	make_file(t, "build/vessel", 0755);
	assert_string_equal(near(t, "build/vesseld"), "build/vessel");
	make_file(t, "usr/sbin/vessel", 0755);
	make_file(t, "usr/bin/vessel", 0755);
	assert_string_equal(near(t, "usr/sbin/vesseld"), "usr/sbin/vessel");
}

static void test_sbin_to_bin(void **state)
{
	struct tree *t = *state;

	make_file(t, "usr/local/bin/vessel", 0755);
	assert_string_equal(near(t, "usr/local/sbin/vesseld"),
			    "usr/local/bin/vessel");
}

static void test_only_a_real_sbin(void **state)
{
	struct tree *t = *state;

	make_file(t, "opt/bin/vessel", 0755);
	make_file(t, "opt/xbin/vessel", 0755);
	assert_null(near(t, "opt/xsbin/vesseld"));
	assert_null(near(t, "opt/libexec/vesseld"));
}

static void test_not_executable(void **state)
{
	struct tree *t = *state;

	make_file(t, "srv/sbin/vessel", 0644);
	make_file(t, "srv/bin/vessel", 0644);
	assert_null(near(t, "srv/sbin/vesseld"));
	assert_null(progpath_near("vesseld", "vessel", t->buf, sizeof(t->buf)));
}

/* A path that does not fit is no answer, not a cut one. */
static void test_too_long(void **state)
{
	struct tree *t = *state;
	char small[16];
	char exe[PATH_MAX];

	make_file(t, "x/sbin/vessel", 0755);
	snprintf(exe, sizeof(exe), "%s/x/sbin/vesseld", t->root);
	assert_null(progpath_near(exe, "vessel", small, sizeof(small)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_beside_first),
		cmocka_unit_test(test_sbin_to_bin),
		cmocka_unit_test(test_only_a_real_sbin),
		cmocka_unit_test(test_not_executable),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
