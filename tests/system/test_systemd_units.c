// SPDX-License-Identifier: Apache-2.0
/*
 * The shipped systemd units (dist/systemd): `systemd-analyze verify`
 * finds nothing to say about vesseld.service and vessel@.service (skipped
 * where the tool is missing); it does speak up about a misspelt key or a
 * bad value, so its silence means something; the stop contract (SIGTERM
 * only, never SIGKILL, vessel@ restarted on exit 32 alone); and the
 * template's ExecStart line runs a guest as written (a reboot ends it with
 * 32, which is what the unit restarts on, and leaves its state file).
 */
#include <errno.h>
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

#include "../lib/textfile.h"
#include "../lib/vmproc.h"

#define UNIT_DIR "dist/systemd"
#define UNIT_MAX 16384
#define VERIFY_MS 60000
#define GUEST_MS 60000
#define MAX_ARGV 16

struct units_test {
	char dir[64]; /* $TMPDIR/vessel-units-XXXXXX */
	char vessel[PATH_MAX], vesseld[PATH_MAX], vesselctl[PATH_MAX];
};

static const char *vesseld_path(void)
{
	const char *p = getenv("VESSELD");

	return p ? p : "build/vesseld";
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct units_test *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-units-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir) || !realpath(vessel_path(), t->vessel) ||
	    !realpath(vesseld_path(), t->vesseld) ||
	    !realpath(vesselctl_path(), t->vesselctl)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct units_test *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", t->dir);
	free(t);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Replace every @from in @buf by @to (in place, bounded by @size). */
static void replace_all(char *buf, size_t size, const char *from,
			const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);
	char *p = buf;

	while ((p = strstr(p, from))) {
		assert_true(strlen(buf) - flen + tlen < size);
		memmove(p + tlen, p + flen, strlen(p + flen) + 1);
		memcpy(p, to, tlen);
		p += tlen;
	}
}

/*
 * dist/systemd/@name with the installed programs' paths pointed at the
 * build (verify checks that ExecStart's program exists), then @from
 * replaced by @to (NULL: nothing more); written as t->dir/@name.
 */
static void unit_copy(struct units_test *t, const char *name, const char *from,
		      const char *to, char *out, size_t size)
{
	char text[UNIT_MAX], src[128], vesseld[PATH_MAX + 1],
		vessel[PATH_MAX + 1], vesselctl[PATH_MAX + 1];

	snprintf(src, sizeof(src), "%s/%s", UNIT_DIR, name);
	textfile_read(src, text, sizeof(text));
	snprintf(vesseld, sizeof(vesseld), "%s ", t->vesseld);
	snprintf(vessel, sizeof(vessel), "%s ", t->vessel);
	snprintf(vesselctl, sizeof(vesselctl), "%s ", t->vesselctl);
	replace_all(text, sizeof(text), "/usr/sbin/vesseld ", vesseld);
	replace_all(text, sizeof(text), "/usr/bin/vessel ", vessel);
	replace_all(text, sizeof(text), "/usr/bin/vesselctl ", vesselctl);
	if (from)
		replace_all(text, sizeof(text), from, to);
	snprintf(out, size, "%s/%s", t->dir, name);
	write_file(out, text);
}

/* systemd-analyze from PATH, or NULL. */
static const char *analyze_path(void)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");
	char dirs[4096], *save = NULL, *d;

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof(found), "%s/systemd-analyze", d);
		if (!access(found, X_OK))
			return found;
	}
	return NULL;
}

/* `systemd-analyze verify --man=no` on @units; its exit code, output in @p. */
static int verify(struct vmproc *p, const char *const units[])
{
	const char *argv[MAX_ARGV] = { analyze_path(), "verify", "--man=no" };
	int n = 3;

	while (*units && n < MAX_ARGV - 1)
		argv[n++] = *units++;
	argv[n] = NULL;
	assert_int_equal(vmproc_start(p, argv), 0);
	return vmproc_wait_exit(p, VERIFY_MS);
}

static void test_units_verify(void **state)
{
	struct units_test *t = *state;
	char daemon[128], tmpl[128];
	const char *units[] = { daemon, tmpl, NULL };
	struct vmproc p;
	int code;

	if (!analyze_path())
		skip();
	unit_copy(t, "vesseld.service", NULL, NULL, daemon, sizeof(daemon));
	unit_copy(t, "vessel@.service", NULL, NULL, tmpl, sizeof(tmpl));
	code = verify(&p, units);
	if (code || p.out[0] || p.err[0])
		vmproc_dump(&p);
	assert_int_equal(code, 0);
	/* verify warns about unknown keys and bad values but exits 0. */
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, "");
	vmproc_free(&p);
}

/* verify on vesseld.service with @from made @to must name the line. */
static void expect_complaint(struct units_test *t, const char *from,
			     const char *to, const char *said)
{
	char unit[128];
	const char *units[] = { unit, NULL };
	struct vmproc p;

	unit_copy(t, "vesseld.service", from, to, unit, sizeof(unit));
	verify(&p, units);
	if (!strstr(p.err, said))
		vmproc_dump(&p);
	assert_non_null(strstr(p.err, "vesseld.service:"));
	assert_non_null(strstr(p.err, said));
	vmproc_free(&p);
}

static void test_verify_sees_mistakes(void **state)
{
	struct units_test *t = *state;

	if (!analyze_path())
		skip();
	expect_complaint(t, "KillMode=process", "KillMode=proces", "proces");
	expect_complaint(t, "SendSIGKILL=no", "SendSIGKIL=no", "SendSIGKIL");
	expect_complaint(t, "ExecStart=", "ExecStart=/nonexistent/vesseld ",
			 "/nonexistent/vesseld");
}

/*
 * The value of @key in the [Service] section of dist/systemd/@unit (the
 * last assignment wins, as for systemd), or NULL.
 */
static const char *unit_value(const char *unit, const char *key, char *buf,
			      size_t size)
{
	char text[UNIT_MAX], path[128], *save = NULL, *l;
	bool service = false, found = false;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", UNIT_DIR, unit);
	textfile_read(path, text, sizeof(text));
	for (l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '[')
			service = !strcmp(l, "[Service]");
		else if (service && !strncmp(l, key, klen) && l[klen] == '=') {
			snprintf(buf, size, "%s", l + klen + 1);
			found = true;
		}
	}
	return found ? buf : NULL;
}

static void expect_key(const char *unit, const char *key, const char *want)
{
	char buf[256];
	const char *v = unit_value(unit, key, buf, sizeof(buf));

	if (!want) {
		if (v)
			fail_msg("%s: %s=%s, expected no such line", unit, key,
				 v);
		return;
	}
	if (!v || strcmp(v, want))
		fail_msg("%s: %s=%s, expected %s", unit, key, v ? v : "(none)",
			 want);
}

static void test_stop_contract(void **state)
{
	static const char *const units[] = { "vesseld.service",
					     "vessel@.service" };
	char text[UNIT_MAX], path[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++) {
		/* The first SIGTERM is the power button; SIGKILL never. */
		expect_key(units[i], "KillSignal", "SIGTERM");
		expect_key(units[i], "SendSIGKILL", "no");
		expect_key(units[i], "FinalKillSignal", NULL);
		expect_key(units[i], "TimeoutStopFailureMode", NULL);
		expect_key(units[i], "WatchdogSignal", NULL);
		snprintf(path, sizeof(path), "%s/%s", UNIT_DIR, units[i]);
		textfile_read(path, text, sizeof(text));
		assert_null(strstr(text, "=SIGKILL"));
	}
	expect_key("vesseld.service", "Type", "notify");
	expect_key("vesseld.service", "ExecStart",
		   "/usr/sbin/vesseld --foreground");
	/* systemd signals vesseld alone: it stops its guests itself. */
	expect_key("vesseld.service", "KillMode", "process");
	expect_key("vessel@.service", "KillMode", "mixed");
	expect_key("vessel@.service", "Restart", "no");
	expect_key("vessel@.service", "RestartForceExitStatus", "32");
}

/* vessel@.service's ExecStart for instance @name, in @t's directories. */
static void template_argv(struct units_test *t, const char *name, char *line,
			  size_t size, const char *argv[MAX_ARGV])
{
	char buf[512], conf[128], run[128], vessel[PATH_MAX + 1];
	char *save = NULL, *a;
	int n = 0;

	assert_non_null(
		unit_value("vessel@.service", "ExecStart", buf, sizeof(buf)));
	snprintf(line, size, "%s", buf);
	snprintf(conf, sizeof(conf), "%s/guests", t->dir);
	snprintf(run, sizeof(run), "%s/run", t->dir);
	snprintf(vessel, sizeof(vessel), "%s ", t->vessel);
	replace_all(line, size, "/usr/bin/vessel ", vessel);
	replace_all(line, size, "/etc/vessel/guests", conf);
	replace_all(line, size, "/run/vessel", run);
	replace_all(line, size, "%i", name);
	for (a = strtok_r(line, " ", &save); a && n < MAX_ARGV - 1;
	     a = strtok_r(NULL, " ", &save))
		argv[n++] = a;
	argv[n] = NULL;
}

static void test_template_runs_a_guest(void **state)
{
	struct units_test *t = *state;
	char line[1024], path[256], text[1024];
	const char *argv[MAX_ARGV];
	struct vmproc p;
	int code;

	snprintf(path, sizeof(path), "%s/guests", t->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/run", t->dir); /* RuntimeDirectory */
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/guests/web1.conf", t->dir);
	snprintf(text, sizeof(text),
		 "kernel %s\ncmdline probe.test=reboot-cf9\nmem 64M\n"
		 "on-reboot restart\nstop-timeout 10s\n",
		 probe_path());
	write_file(path, text);
	template_argv(t, "web1", line, sizeof(line), argv);
	assert_int_equal(vmproc_start(&p, argv), 0);
	code = vmproc_wait_exit(&p, GUEST_MS);
	if (code != 32)
		vmproc_dump(&p);
	/* The reboot: the one code vessel@.service restarts on. */
	assert_int_equal(code, 32);
	snprintf(path, sizeof(path), "%s/run/web1.state", t->dir);
	textfile_read(path, text, sizeof(text));
	assert_non_null(strstr(text, "\"state\":\"exited\""));
	assert_non_null(strstr(text, "\"code\":32"));
	vmproc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_units_verify, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_sees_mistakes,
						setup, teardown),
		cmocka_unit_test(test_stop_contract),
		cmocka_unit_test_setup_teardown(test_template_runs_a_guest,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("systemd_units", tests, NULL, NULL);
}
