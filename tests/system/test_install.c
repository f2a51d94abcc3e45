// SPDX-License-Identifier: Apache-2.0
/*
 * make install and make uninstall (dist/install.mk, docs/install.md), on
 * the build tree the test was built in (no rebuild): `make install
 * DESTDIR=tmp PREFIX=/usr` puts exactly the expected files, with their
 * modes; the installed vessel boots the installed probe guest to its
 * poweroff; a program builds against the installed libvessel by its
 * vessel.pc; the installed vesseld, with an empty PATH and no --vessel,
 * finds the installed vessel and runs a guest; `make uninstall` leaves no
 * file behind but a guest file of the operator's; the default prefix
 * (/usr/local) keeps its configuration under /usr/local/etc.
 */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/evlog.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define MAKE_MS 300000
#define GUEST_MS 60000
#define MAX_ENTRIES 256

/* The programs (0755); everything else installed is 0644. */
static const char *const programs[] = {
	"usr/bin/vessel",
	"usr/bin/vesselctl",
	"usr/sbin/vesseld",
	"usr/libexec/vessel/vessel-guest",
};

static const char *const data_files[] = {
	"usr/share/vessel/probe.elf",
	"usr/lib/libvessel.a",
	"usr/include/vessel/shm.h",
	"usr/lib/pkgconfig/vessel.pc",
	"usr/lib/systemd/system/vessel@.service",
	"usr/lib/systemd/system/vesseld.service",
};

/* Installed once docs/man/man.mk and dist/bash-completion/ exist. */
static const char *const man_pages[] = {
	"usr/share/man/man1/vessel.1",
	"usr/share/man/man1/vesselctl.1",
	"usr/share/man/man1/vessel-guest.1",
	"usr/share/man/man5/vessel.conf.5",
	"usr/share/man/man7/vessel-lifecycle.7",
	"usr/share/man/man8/vesseld.8",
};

static const char *const completions[] = {
	"usr/share/bash-completion/completions/vessel",
	"usr/share/bash-completion/completions/vesselctl",
};

/* Sorted "path mode" lines: files, and empty directories as "path/". */
struct listing {
	char *entry[MAX_ENTRIES];
	int n;
};

struct install_test {
	char build[PATH_MAX]; /* the test's own build tree */
	char dir[64]; /* $TMPDIR/vessel-install-XXXXXX: the DESTDIR */
};

/* nftw has no user pointer: the walk in progress. */
static struct listing *walk_into;
static size_t walk_root_len;

static void listing_add(struct listing *l, const char *fmt, ...)
{
	va_list ap;

	assert_true(l->n < MAX_ENTRIES);
	va_start(ap, fmt);
	assert_true(vasprintf(&l->entry[l->n++], fmt, ap) > 0);
	va_end(ap);
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void listing_free(struct listing *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->entry[i]);
	l->n = 0;
}

static bool dir_empty(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s')\" ]", path);
	return system(cmd) == 0;
}

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	const char *rel = path + walk_root_len;
	unsigned int mode = st->st_mode & 07777;

	(void)ftw;
	if (!*rel)
		return 0;
	rel++; /* the slash */
	if (type == FTW_D) {
		/* Every directory install makes is 0755. */
		if (mode != 0755)
			listing_add(walk_into, "%s/ has mode %04o", rel, mode);
		if (dir_empty(path))
			listing_add(walk_into, "%s/", rel);
	} else {
		listing_add(walk_into, "%s %04o%s", rel, mode,
			    type == FTW_SL ? " link" : "");
	}
	return 0;
}

/* What lies under @root, sorted. */
static void list_tree(const char *root, struct listing *l)
{
	l->n = 0;
	walk_into = l;
	walk_root_len = strlen(root);
	assert_int_equal(nftw(root, walk_one, 16, FTW_PHYS), 0);
	qsort(l->entry, l->n, sizeof(l->entry[0]), cmp_entries);
}

/* The Linux test-guest builder's files, as in the tree, with their modes. */
static int guest_linux_one(const char *path, const struct stat *st, int type,
			   struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F)
		listing_add(walk_into, "usr/share/vessel/guest-linux/%s %s",
			    path + strlen("guest/linux/"),
			    st->st_mode & 0100 ? "0755" : "0644");
	return 0;
}

static void expected_tree(struct listing *l, bool with_man, bool with_comp)
{
	size_t i;

	l->n = 0;
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		listing_add(l, "%s 0755", programs[i]);
	for (i = 0; i < sizeof(data_files) / sizeof(data_files[0]); i++)
		listing_add(l, "%s 0644", data_files[i]);
	for (i = 0; with_man && i < sizeof(man_pages) / sizeof(man_pages[0]);
	     i++)
		listing_add(l, "%s 0644", man_pages[i]);
	for (i = 0;
	     with_comp && i < sizeof(completions) / sizeof(completions[0]); i++)
		listing_add(l, "%s 0644", completions[i]);
	listing_add(l, "etc/vessel/guests/");
	walk_into = l;
	assert_int_equal(nftw("guest/linux", guest_linux_one, 16, FTW_PHYS), 0);
	qsort(l->entry, l->n, sizeof(l->entry[0]), cmp_entries);
}

/* Both listings, line by line, where they differ. */
static bool listings_equal(const struct listing *got,
			   const struct listing *want)
{
	int i = 0, j = 0, c;
	bool same = true;

	while (i < got->n || j < want->n) {
		c = i == got->n	 ? 1 :
		    j == want->n ? -1 :
				   strcmp(got->entry[i], want->entry[j]);
		if (c < 0)
			fprintf(stderr, "  unexpected: %s\n", got->entry[i++]);
		else if (c > 0)
			fprintf(stderr, "  missing:    %s\n", want->entry[j++]);
		else
			i++, j++;
		same &= !c;
	}
	return same;
}

/* `make -s BUILD=... TARGET DESTDIR=... [more]`, make from PATH; its code. */
static int run_make(const struct install_test *t, const char *target,
		    const char *destdir, const char *more)
{
	char build[PATH_MAX + 8], dest[PATH_MAX + 16];
	const char *argv[] = { "/bin/sh", "-c",	  "exec make \"$@\"",
			       "make",	  "-s",	  "--no-print-directory",
			       build,	  target, dest,
			       more,	  NULL };
	struct vmproc p;
	int code;

	snprintf(build, sizeof(build), "BUILD=%s", t->build);
	snprintf(dest, sizeof(dest), "DESTDIR=%s", destdir);
	assert_int_equal(vmproc_start(&p, argv), 0);
	code = vmproc_wait_exit(&p, MAKE_MS);
	if (code)
		vmproc_dump(&p);
	vmproc_free(&p);
	return code;
}

static void path_in(const struct install_test *t, char *buf, size_t size,
		    const char *rel)
{
	snprintf(buf, size, "%s/%s", t->dir, rel);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	const char *build = getenv("VESSEL_BUILD");
	const char *vessel = getenv("VESSEL");
	struct install_test *t = calloc(1, sizeof(*t));
	char copy[PATH_MAX];

	if (!t)
		return -1;
	/* The build tree: said outright, else the one VESSEL lies in. */
	if (!build && vessel) {
		snprintf(copy, sizeof(copy), "%s", vessel);
		build = dirname(copy);
	}
	snprintf(t->build, sizeof(t->build), "%s", build ? build : "build");
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-install-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	/* A make of our own: not the jobserver or command-line variables
	 * of a make that may have started the tests. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MAKEOVERRIDES");
	/* install -d's parents get the umask's mode; the list checks 0755. */
	umask(022);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct install_test *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", t->dir);
	free(t);
	return 0;
}

/* The first test installs: the others use what it put. */
static void test_install_file_list(void **state)
{
	struct install_test *t = *state;
	struct listing got, want;
	bool same;

	assert_int_equal(run_make(t, "install", t->dir, "PREFIX=/usr"), 0);
	list_tree(t->dir, &got);
	expected_tree(&want, !access("docs/man/man.mk", F_OK),
		      !access("dist/bash-completion", F_OK));
	same = listings_equal(&got, &want);
	listing_free(&got);
	listing_free(&want);
	assert_true(same);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

/* The units and vessel.pc name the final paths, never DESTDIR. */
static void test_install_paths_inside(void **state)
{
	struct install_test *t = *state;
	char path[PATH_MAX], *s;

	path_in(t, path, sizeof(path),
		"usr/lib/systemd/system/vesseld.service");
	s = slurp(path);
	assert_non_null(
		strstr(s, "\nExecStart=/usr/sbin/vesseld --foreground\n"));
	assert_non_null(strstr(s, "\nExecReload=/usr/bin/vesselctl reload\n"));
	assert_null(strstr(s, t->dir));
	free(s);
	path_in(t, path, sizeof(path),
		"usr/lib/systemd/system/vessel@.service");
	s = slurp(path);
	assert_non_null(strstr(s, "\nExecStart=/usr/bin/vessel "
				  "@/etc/vessel/guests/%i.conf "));
	free(s);
	path_in(t, path, sizeof(path), "usr/lib/pkgconfig/vessel.pc");
	s = slurp(path);
	assert_non_null(strstr(s, "\nlibdir=/usr/lib\n"));
	assert_non_null(strstr(s, "\nincludedir=/usr/include\n"));
	assert_non_null(strstr(s, "\nCflags: -I${includedir}/vessel\n"));
	assert_non_null(strstr(s, "-lvessel"));
	assert_null(strstr(s, "@"));
	free(s);
}

/*
 * A host program built against the installed library alone, by what
 * pkg-config says of the installed vessel.pc (the sysroot is DESTDIR),
 * links the region code (and what it needs) and runs.
 */
static void test_installed_library_builds(void **state)
{
	static const char program[] =
		"#include <shm.h>\n"
		"#include <stdint.h>\n"
		"int main(void)\n"
		"{\n"
		"\tvolatile uintptr_t open = (uintptr_t)&shm_open_region;\n"
		"\n"
		"\treturn !open || shm_name_check(\"lifecycle\") ||\n"
		"\t       !shm_name_check(\"a/b\");\n"
		"}\n";
	struct install_test *t = *state;
	char src[PATH_MAX], cmd[4 * PATH_MAX];
	FILE *f;

	path_in(t, src, sizeof(src), "host.c");
	f = fopen(src, "w");
	assert_non_null(f);
	fputs(program, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && export PKG_CONFIG_SYSROOT_DIR=\"$PWD\" "
		 "PKG_CONFIG_LIBDIR=\"$PWD/usr/lib/pkgconfig\" && "
		 "cc -std=c17 -Wall -Wextra -Werror -o host host.c "
		 "$(pkg-config --cflags --libs vessel) && ./host && "
		 "rm host host.c",
		 t->dir);
	assert_int_equal(system(cmd), 0);
}

/* The installed vessel, on the installed probe guest, to its poweroff. */
static void test_installed_vessel_boots(void **state)
{
	struct install_test *t = *state;
	char vessel[PATH_MAX], probe[PATH_MAX];
	const char *argv[] = { vessel,		 "--kernel", probe, "--cmdline",
			       "probe.test=mem", "--mem",    "64M", NULL };
	struct vmproc p;
	int code;

	path_in(t, vessel, sizeof(vessel), "usr/bin/vessel");
	path_in(t, probe, sizeof(probe), "usr/share/vessel/probe.elf");
	assert_int_equal(vmproc_start(&p, argv), 0);
	code = vmproc_wait_exit(&p, GUEST_MS);
	if (code || !strstr(p.out, "PROBE PASS mem"))
		vmproc_dump(&p);
	assert_int_equal(code, 0);
	assert_non_null(strstr(p.out, "PROBE PASS mem"));
	vmproc_free(&p);
}

/*
 * The installed vesseld (usr/sbin) runs a guest with the installed
 * vessel (usr/bin): no --vessel, and no PATH to find one in.
 */
static void test_installed_vesseld_finds_vessel(void **state)
{
	struct install_test *t = *state;
	struct vdrun *r = vdrun_new("install", 0);
	char vesseld[PATH_MAX], probe[PATH_MAX], conf[VDRUN_PATH_LEN + 16];
	const char *argv[] = { vesseld, "--config-dir", NULL, "--run-dir",
			       NULL,	"--foreground", NULL };
	char *path = strdup(getenv("PATH") ? getenv("PATH") : "");
	FILE *f;
	int i;

	assert_non_null(r);
	argv[2] = r->conf;
	argv[4] = r->run;
	path_in(t, vesseld, sizeof(vesseld), "usr/sbin/vesseld");
	path_in(t, probe, sizeof(probe), "usr/share/vessel/probe.elf");
	snprintf(conf, sizeof(conf), "%s/g.conf", r->conf);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"kernel %s\ncmdline probe.test=poweroff\nmem 64M\n"
		"on-poweroff stop\n",
		probe);
	fclose(f);
	setenv("PATH", "/nonexistent", 1);
	i = vmproc_start(&r->d, argv);
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(i, 0);
	r->started = true;
	i = vdrun_wait_event(r, "down", "g", 1);
	assert_int_equal(evlog_int(&r->ev, i, "code", -1), 0);
	assert_int_equal(vdrun_stop(r), 0);
	vdrun_delete(r);
}

/* Nothing left but directories that were there before (usr/bin...). */
static void assert_no_files(const char *root)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . ! -type d | grep .",
		 root);
	assert_int_not_equal(system(cmd), 0);
}

static void test_uninstall_leaves_nothing(void **state)
{
	struct install_test *t = *state;
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(run_make(t, "uninstall", t->dir, "PREFIX=/usr"), 0);
	assert_no_files(t->dir);
	/* vessel's own directories went too. */
	path_in(t, path, sizeof(path), "etc/vessel");
	assert_int_equal(stat(path, &st), -1);
	path_in(t, path, sizeof(path), "usr/share/vessel");
	assert_int_equal(stat(path, &st), -1);
	path_in(t, path, sizeof(path), "usr/libexec/vessel");
	assert_int_equal(stat(path, &st), -1);
	path_in(t, path, sizeof(path), "usr/include/vessel");
	assert_int_equal(stat(path, &st), -1);
}

/* /usr/local's configuration is /usr/local/etc; a guest file stays. */
static void test_local_prefix_keeps_guest_files(void **state)
{
	struct install_test *t = *state;
	char dest[PATH_MAX], path[PATH_MAX + 64], *s;
	struct stat st;
	FILE *f;

	path_in(t, dest, sizeof(dest), "local");
	assert_int_equal(run_make(t, "install", dest, NULL), 0);
	snprintf(path, sizeof(path), "%s/usr/local/etc/vessel/guests", dest);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/etc", dest);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path),
		 "%s/usr/local/lib/systemd/system/vesseld.service", dest);
	s = slurp(path);
	assert_non_null(strstr(s, "\nExecStart=/usr/local/sbin/vesseld "
				  "--foreground --config-dir "
				  "/usr/local/etc/vessel/guests\n"));
	free(s);

	snprintf(path, sizeof(path), "%s/usr/local/etc/vessel/guests/g.conf",
		 dest);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("mem 64M\n", f);
	fclose(f);
	assert_int_equal(run_make(t, "uninstall", dest, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(unlink(path), 0);
	assert_no_files(dest);
}

int main(void)
{
	/* In order: the first installs what the next four use. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_file_list),
		cmocka_unit_test(test_install_paths_inside),
		cmocka_unit_test(test_installed_library_builds),
		cmocka_unit_test(test_installed_vessel_boots),
		cmocka_unit_test(test_installed_vesseld_finds_vessel),
		cmocka_unit_test(test_uninstall_leaves_nothing),
		cmocka_unit_test(test_local_prefix_keeps_guest_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
