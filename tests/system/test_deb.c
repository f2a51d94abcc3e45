// SPDX-License-Identifier: Apache-2.0
/*
 * The Debian packages (debian/, debian/deb.mk): `make deb` builds vessel,
 * vesseld and libvessel-dev from a git archive of HEAD (so what is
 * committed, not the working tree) and lintian finds no error in them;
 * each .deb holds its key files; the packaged vessel boots the packaged
 * probe; the packaged sysusers file makes a vessel user in the kvm group.
 * The build runs once for the group, about 15-20 s on two cores.
 * Skipped where dpkg-buildpackage, lintian or git are missing or the
 * tree is not a git checkout.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/textfile.h"
#include "../lib/vmproc.h"

#define BUILD_MS 600000
#define TOOL_MS 60000
#define GUEST_MS 60000
#define TEXT_MAX 65536
#define MAX_ARGV 16

struct deb_test {
	char dir[64]; /* $TMPDIR/vessel-deb-XXXXXX: make deb's BUILD */
	char debs[PATH_MAX]; /* dir/deb */
	bool tools; /* everything make deb runs is here */
	int make_code; /* make deb's exit code */
};

/* @name from PATH into @out, or false. */
static bool find_tool(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096], *save = NULL, *d;

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", d, name);
		if (!access(out, X_OK))
			return true;
	}
	return false;
}

static bool have_tools(void)
{
	static const char *const tools[] = {
		"make", "git", "dpkg-deb", "lintian", "dpkg-buildpackage", NULL
	};
	char path[PATH_MAX];

	for (const char *const *t = tools; *t; t++)
		if (!find_tool(*t, path, sizeof(path)))
			return false;
	return !access(".git", F_OK);
}

/*
 * Run @argv[0] (looked up in PATH) with its arguments; its exit code,
 * output in @p (the caller frees it).
 */
static int run(struct vmproc *p, const char *const argv[], int timeout_ms)
{
	char prog[PATH_MAX];
	const char *args[MAX_ARGV];
	int n = 0;

	if (!find_tool(argv[0], prog, sizeof(prog)))
		fail_msg("%s is not in PATH", argv[0]);
	args[n++] = prog;
	while (argv[n] && n < MAX_ARGV - 1) {
		args[n] = argv[n];
		n++;
	}
	args[n] = NULL;
	assert_int_equal(vmproc_start(p, args), 0);
	return vmproc_wait_exit(p, timeout_ms);
}

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct deb_test *t = calloc(1, sizeof(*t));
	char build[80];
	const char *argv[] = { "make", "--no-print-directory", build, "deb",
			       NULL };
	struct vmproc p;

	if (!t)
		return -1;
	*state = t;
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-deb-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->debs, sizeof(t->debs), "%s/deb", t->dir);
	t->tools = have_tools();
	if (!t->tools)
		return 0;
	/* `make test`'s own flags and variables (BUILD) are not this make's. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	snprintf(build, sizeof(build), "BUILD=%s", t->dir);
	t->make_code = run(&p, argv, BUILD_MS);
	if (t->make_code)
		vmproc_dump(&p);
	vmproc_free(&p);
	return 0;
}

static int group_teardown(void **state)
{
	struct deb_test *t = *state;
	char cmd[128];

	if (t->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", t->dir);
	}
	free(t);
	return 0;
}

/*
 * Skipped without the tools. make deb also fails on a lintian error, after
 * the packages are built: the tests but the lintian one look at the .debs
 * (and fail where one is missing).
 */
static struct deb_test *built(void **state)
{
	struct deb_test *t = *state;

	if (!t->tools)
		skip();
	return t;
}

/* The one .deb of package @name (name_VERSION_amd64.deb) into @out. */
static void deb_path(const struct deb_test *t, const char *name, char *out,
		     size_t size)
{
	char pattern[PATH_MAX + 64];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/%s_*_amd64.deb", t->debs, name);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	snprintf(out, size, "%s", g.gl_pathv[0]);
	globfree(&g);
}

static void test_deb_builds_three(void **state)
{
	struct deb_test *t = built(state);
	static const char *const names[] = { "vessel", "vesseld",
					     "libvessel-dev" };
	char deb[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		deb_path(t, names[i], deb, sizeof(deb));
}

/* `dpkg-deb -c` of @name lists every path of @files (./-relative). */
static void expect_files(const struct deb_test *t, const char *name,
			 const char *const files[])
{
	char deb[PATH_MAX], line[PATH_MAX + 8];
	const char *argv[] = { "dpkg-deb", "-c", deb, NULL };
	struct vmproc p;

	deb_path(t, name, deb, sizeof(deb));
	assert_int_equal(run(&p, argv, TOOL_MS), 0);
	for (const char *const *f = files; *f; f++) {
		/* The path ends the line, or is a link's "path -> target". */
		snprintf(line, sizeof(line), " ./%s\n", *f);
		if (!strstr(p.out, line)) {
			vmproc_dump(&p);
			fail_msg("%s lacks %s", name, *f);
		}
	}
	vmproc_free(&p);
}

static void test_deb_contents(void **state)
{
	struct deb_test *t = built(state);
	static const char *const vessel[] = {
		"usr/bin/vessel",
		"usr/libexec/vessel/vessel-guest",
		"usr/share/vessel/probe.elf",
		"usr/share/vessel/guest-linux/mkinitramfs",
		"usr/share/vessel/guest-linux/init.c",
		"usr/share/man/man1/vessel.1.gz",
		"usr/share/man/man1/vessel-guest.1.gz",
		"usr/share/man/man5/vessel.conf.5.gz",
		"usr/share/man/man7/vessel-lifecycle.7.gz",
		"usr/share/bash-completion/completions/vessel",
		"usr/share/doc/vessel/copyright",
		NULL
	};
	static const char *const vesseld[] = {
		"usr/sbin/vesseld",
		"usr/bin/vesselctl",
		"lib/systemd/system/vesseld.service",
		"lib/systemd/system/vessel@.service",
		"etc/vessel/guests/",
		"usr/lib/sysusers.d/vesseld.conf",
		"usr/share/man/man8/vesseld.8.gz",
		"usr/share/man/man1/vesselctl.1.gz",
		"usr/share/bash-completion/completions/vesselctl",
		NULL
	};
	static const char *const dev[] = {
		"usr/lib/x86_64-linux-gnu/libvessel.a",
		"usr/lib/x86_64-linux-gnu/pkgconfig/vessel.pc",
		"usr/include/vessel/shm.h", NULL
	};

	expect_files(t, "vessel", vessel);
	expect_files(t, "vesseld", vesseld);
	expect_files(t, "libvessel-dev", dev);
}

/* lintian's report holds no error, and make deb succeeded. */
static void test_deb_lintian_clean(void **state)
{
	struct deb_test *t = built(state);
	char path[PATH_MAX + 16], text[TEXT_MAX];

	snprintf(path, sizeof(path), "%s/lintian.txt", t->debs);
	textfile_read(path, text, sizeof(text));
	if (!strncmp(text, "E: ", 3) || strstr(text, "\nE: "))
		fail_msg("lintian:\n%s", text);
	assert_int_equal(t->make_code, 0);
}

/* `dpkg-deb -f` of @name's @field into @out (no newline). */
static void deb_field(const struct deb_test *t, const char *name,
		      const char *field, char *out, size_t size)
{
	char deb[PATH_MAX];
	const char *argv[] = { "dpkg-deb", "-f", deb, field, NULL };
	struct vmproc p;

	deb_path(t, name, deb, sizeof(deb));
	assert_int_equal(run(&p, argv, TOOL_MS), 0);
	snprintf(out, size, "%s", p.out);
	out[strcspn(out, "\n")] = '\0';
	vmproc_free(&p);
}

/* vesseld runs the vessel of its own version; its user needs systemd's
 * sysusers. */
static void test_deb_depends(void **state)
{
	struct deb_test *t = built(state);
	char version[128], depends[1024], want[160];

	deb_field(t, "vessel", "Version", version, sizeof(version));
	deb_field(t, "vesseld", "Depends", depends, sizeof(depends));
	snprintf(want, sizeof(want), "vessel (= %s)", version);
	if (!strstr(depends, want) || !strstr(depends, "systemd"))
		fail_msg("vesseld Depends: %s", depends);
}

/* @name's .deb unpacked (dpkg -x) into t->dir/@name. */
static void unpack(const struct deb_test *t, const char *name, char *root,
		   size_t size)
{
	char deb[PATH_MAX];
	const char *argv[] = { "dpkg-deb", "-x", deb, root, NULL };
	struct vmproc p;

	deb_path(t, name, deb, sizeof(deb));
	snprintf(root, size, "%s/%s", t->dir, name);
	assert_int_equal(run(&p, argv, TOOL_MS), 0);
	vmproc_free(&p);
}

/*
 * The packaged vessel boots the packaged probe to a poweroff (exit 0): the
 * probe keeps its PVH note through the package's stripping, and vessel
 * says the package's version.
 */
static void test_deb_vessel_boots_probe(void **state)
{
	struct deb_test *t = built(state);
	char root[PATH_MAX], vessel[PATH_MAX + 16], probe[PATH_MAX + 32],
		version[128];
	const char *boot[] = {
		vessel,	 "--kernel", probe, "--cmdline", "probe.test=poweroff",
		"--mem", "64M",	     NULL
	};
	const char *ask[] = { vessel, "--version", NULL };
	struct vmproc p;
	int code;

	if (access("/dev/kvm", R_OK | W_OK))
		skip();
	unpack(t, "vessel", root, sizeof(root));
	snprintf(vessel, sizeof(vessel), "%s/usr/bin/vessel", root);
	snprintf(probe, sizeof(probe), "%s/usr/share/vessel/probe.elf", root);
	assert_int_equal(vmproc_start(&p, ask), 0);
	assert_int_equal(vmproc_wait_exit(&p, TOOL_MS), 0);
	deb_field(t, "vessel", "Version", version, sizeof(version));
	if (!strstr(p.out, version))
		fail_msg("vessel --version: %s (package %s)", p.out, version);
	vmproc_free(&p);
	assert_int_equal(vmproc_start(&p, boot), 0);
	code = vmproc_wait_exit(&p, GUEST_MS);
	if (code || !vmproc_count(&p, "PROBE PASS poweroff-request"))
		vmproc_dump(&p);
	assert_int_equal(code, 0);
	vmproc_free(&p);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* @group's line in the group file @text lists @user among its members. */
static bool in_group(const char *text, const char *group, const char *user)
{
	char head[64], line[1024], *members, *save = NULL, *m;
	const char *at;

	snprintf(head, sizeof(head), "\n%s:", group);
	at = strstr(text, head);
	if (!at)
		return false;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at + 1, "\n"),
		 at + 1);
	members = strrchr(line, ':') + 1; /* name:x:gid:members */
	for (m = strtok_r(members, ",", &save); m;
	     m = strtok_r(NULL, ",", &save))
		if (!strcmp(m, user))
			return true;
	return false;
}

/*
 * What the vesseld package's postinst runs (systemd-sysusers vesseld.conf),
 * on a root of its own with nothing but root in it: a vessel system user
 * and group, the user in the kvm group (made here, as it would be on a host
 * without it).
 */
static void test_deb_sysusers(void **state)
{
	struct deb_test *t = built(state);
	char root[PATH_MAX], path[PATH_MAX + 32], opt[PATH_MAX + 16],
		text[TEXT_MAX];
	const char *argv[] = { "systemd-sysusers", opt, "vesseld.conf", NULL };
	static const char *const files[] = { "passwd", "group", "shadow",
					     "gshadow" };
	static const char *const contents[] = {
		"root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n",
		"root:*::0:::::\n", "root:*::\n"
	};
	struct vmproc p;

	if (!find_tool("systemd-sysusers", path, sizeof(path)))
		skip();
	unpack(t, "vesseld", root, sizeof(root));
	snprintf(path, sizeof(path), "%s/etc/vessel/guests/.", root);
	assert_int_equal(access(path, F_OK), 0);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/etc/%s", root, files[i]);
		write_text(path, contents[i]);
	}
	snprintf(opt, sizeof(opt), "--root=%s", root);
	if (run(&p, argv, TOOL_MS)) {
		vmproc_dump(&p);
		fail_msg("systemd-sysusers failed");
	}
	vmproc_free(&p);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	textfile_read(path, text, sizeof(text));
	if (!strstr(text, "\nvessel:x:") || !strstr(text, ":/usr/sbin/nologin"))
		fail_msg("passwd:\n%s", text);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	textfile_read(path, text, sizeof(text));
	if (!strstr(text, "\nvessel:x:") || !in_group(text, "kvm", "vessel"))
		fail_msg("group:\n%s", text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb_builds_three),
		cmocka_unit_test(test_deb_contents),
		cmocka_unit_test(test_deb_lintian_clean),
		cmocka_unit_test(test_deb_depends),
		cmocka_unit_test(test_deb_vessel_boots_probe),
		cmocka_unit_test(test_deb_sysusers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
