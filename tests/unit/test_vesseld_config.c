// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's configuration directory: policy keys and their defaults,
 * vessel's own checks kept, every error naming its file (and line), names
 * across files, all-or-nothing loads; and conf.c's side: vessel accepts
 * the policy keys in a guest file and refuses them on its command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vesseld/config.h"

static char err[1024];

struct tdir {
	char path[64];
};

static int tdir_setup(void **state)
{
	struct tdir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	snprintf(d->path, sizeof(d->path), "/tmp/vesseld-unit-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int tdir_teardown(void **state)
{
	struct tdir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

/* Write DIR/@file with @text; returns the path (static). */
static const char *put(const struct tdir *d, const char *file, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->path, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void drop(const struct tdir *d, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", d->path, file);
	assert_int_equal(unlink(path), 0);
}

/* Load and expect @ret with "DIR/@where" and @msg in the error. */
static void expect_load_error(const struct tdir *d, int ret, const char *where,
			      const char *msg)
{
	struct config cfg;
	char want[512];

	memset(&cfg, 0x5a, sizeof(cfg));
	err[0] = '\0';
	snprintf(want, sizeof(want), "%s/%s", d->path, where);
	assert_int_equal(config_load(&cfg, d->path, err, sizeof(err)), ret);
	if (!strstr(err, want) || !strstr(err, msg))
		fail_msg("error '%s' lacks '%s' or '%s'", err, want, msg);
	/* Nothing half-built: the caller keeps its old configuration. */
	assert_null(cfg.guests);
	assert_int_equal(cfg.nr, 0);
	assert_null(cfg.dir);
}

static void load_ok(const struct tdir *d, struct config *cfg)
{
	err[0] = '\0';
	if (config_load(cfg, d->path, err, sizeof(err)))
		fail_msg("load failed: %s", err);
}

static void test_defaults(void **state)
{
	struct tdir *d = *state;
	const struct config_guest *g;
	struct config cfg;
	char path[256];

	put(d, "web1.conf", "kernel /boot/vmlinuz\nmem 512M\n");
	load_ok(d, &cfg);
	assert_int_equal(cfg.nr, 1);
	g = &cfg.guests[0];
	assert_string_equal(g->name, "web1");
	snprintf(path, sizeof(path), "%s/web1.conf", d->path);
	assert_string_equal(g->path, path);
	assert_int_equal(g->on[CONFIG_ON_POWEROFF], CONFIG_STOP);
	assert_int_equal(g->on[CONFIG_ON_REBOOT], CONFIG_RESTART);
	assert_int_equal(g->on[CONFIG_ON_CRASH], CONFIG_STOP);
	assert_int_equal(g->on[CONFIG_ON_WATCHDOG], CONFIG_STOP);
	assert_int_equal(g->on[CONFIG_ON_TERMINATED], CONFIG_STOP);
	assert_int_equal(g->backoff.delay_ms, 1000);
	assert_int_equal(g->backoff.factor, 2);
	assert_int_equal(g->backoff.max_delay_ms, 60000);
	assert_int_equal(g->backoff.quiet_ms, 60000);
	assert_int_equal(g->backoff.limit, 5);
	assert_int_equal(g->backoff.window_ms, 300000);
	assert_int_equal(g->stop_timeout_ms, 30000);
	assert_true(g->autostart);
	assert_int_equal(g->nr_after, 0);
	assert_int_equal(g->nr_shares, 0);
	assert_null(g->shutdown_hook);
	/* vessel's keys are all there, as vessel reads them. */
	assert_int_equal(conf_get_num(&g->conf, "mem", 0), 512ULL << 20);
	assert_string_equal(conf_get(&g->conf, "kernel"), "/boot/vmlinuz");
	config_free(&cfg);
}

static void test_every_policy_key(void **state)
{
	struct tdir *d = *state;
	const struct config_guest *g;
	struct config cfg;

	put(d, "db.conf", "kernel /k\n");
	put(d, "cache.conf", "kernel /k\n");
	put(d, "app.conf",
	    "name app\n"
	    "kernel /k\n"
	    "on-poweroff restart\n"
	    "on-reboot stop\n"
	    "on-crash restart\n"
	    "on-watchdog restart\n"
	    "on-terminated restart\n"
	    "restart-delay 250ms\n"
	    "restart-factor 3\n"
	    "restart-max-delay 2m\n"
	    "restart-quiet 10s\n"
	    "restart-limit 7\n"
	    "restart-window 1h\n"
	    "stop-timeout 45s\n"
	    "after db\n"
	    "after cache db   # twice is once\n"
	    "autostart no\n"
	    "shares-device-with db\n"
	    "on-guest-shutdown-hook \"/usr/lib/quiesce --all\"\n");
	load_ok(d, &cfg);
	assert_int_equal(cfg.nr, 3);
	/* Sorted by name. */
	assert_string_equal(cfg.guests[0].name, "app");
	assert_string_equal(cfg.guests[1].name, "cache");
	assert_string_equal(cfg.guests[2].name, "db");
	assert_int_equal(config_index(&cfg, "db"), 2);
	assert_int_equal(config_index(&cfg, "cache"), 1);
	assert_int_equal(config_index(&cfg, "app"), 0);
	assert_int_equal(config_index(&cfg, "nope"), -1);
	g = &cfg.guests[0];
	assert_int_equal(g->on[CONFIG_ON_POWEROFF], CONFIG_RESTART);
	assert_int_equal(g->on[CONFIG_ON_REBOOT], CONFIG_STOP);
	assert_int_equal(g->on[CONFIG_ON_CRASH], CONFIG_RESTART);
	assert_int_equal(g->on[CONFIG_ON_WATCHDOG], CONFIG_RESTART);
	assert_int_equal(g->on[CONFIG_ON_TERMINATED], CONFIG_RESTART);
	assert_int_equal(g->backoff.delay_ms, 250);
	assert_int_equal(g->backoff.factor, 3);
	assert_int_equal(g->backoff.max_delay_ms, 120000);
	assert_int_equal(g->backoff.quiet_ms, 10000);
	assert_int_equal(g->backoff.limit, 7);
	assert_int_equal(g->backoff.window_ms, 3600000);
	assert_int_equal(g->stop_timeout_ms, 45000);
	assert_false(g->autostart);
	assert_int_equal(g->nr_after, 2);
	assert_string_equal(g->after[0].name, "db");
	assert_int_equal(g->after[0].index, 2);
	assert_non_null(strstr(g->after[0].origin, "app.conf:15"));
	assert_string_equal(g->after[1].name, "cache");
	assert_int_equal(g->after[1].index, 1);
	assert_non_null(strstr(g->after[1].origin, "app.conf:16"));
	assert_int_equal(g->nr_shares, 1);
	assert_string_equal(g->shares[0].name, "db");
	assert_int_equal(g->shares[0].index, 2);
	assert_string_equal(g->shutdown_hook, "/usr/lib/quiesce --all");
	assert_int_equal(cfg.order.nr_start_levels, 2);
	config_free(&cfg);
}

/* vessel's own keys are checked exactly as `vessel @file` checks them. */
static void test_vessel_keys_checked(void **state)
{
	struct tdir *d = *state;

	put(d, "a.conf", "kernel /k\nmem 8M\n");
	expect_load_error(d, -EBADMSG, "a.conf:2", "mem: '8M' is out of range");
	put(d, "a.conf", "kernel /k\n\nmemory 1G\n");
	expect_load_error(d, -EBADMSG, "a.conf:3", "unknown option 'memory'");
	put(d, "a.conf", "kernel /k\nwatchdog model=ib700,action=boom\n");
	expect_load_error(d, -EBADMSG, "a.conf:2", "'action=boom'");
}

static void test_bad_policy_values(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "on-reboot again",
		  "on-reboot: 'again' is not one of restart|stop" },
		{ "on-crash", "on-crash: '' is not one of" },
		{ "on-poweroff Restart", "is not one of restart|stop" },
		{ "restart-delay soon",
		  "restart-delay: 'soon' is not a valid duration" },
		{ "restart-delay 2d", "not a valid duration" },
		{ "restart-factor 0", "restart-factor: '0' is out of range" },
		{ "restart-factor 17", "out of range" },
		{ "restart-factor 1.5", "not a valid number" },
		{ "restart-limit 0", "restart-limit: '0' is out of range" },
		{ "restart-limit 101", "out of range" },
		{ "restart-window 8d", "not a valid duration" },
		{ "restart-window 169h", "out of range" },
		{ "stop-timeout 0", "stop-timeout: '0' is out of range" },
		{ "autostart maybe",
		  "autostart: 'maybe' is not one of yes|no" },
		{ "after", "after needs NAME..." },
		{ "after bad!name", "after: 'bad!name' is not a guest name" },
		{ "after ok ..", "after: '..' is not a guest name" },
		{ "after aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not a guest name" },
		{ "shares-device-with a/b", "'a/b' is not a guest name" },
		{ "on-guest-shutdown-hook",
		  "on-guest-shutdown-hook needs a value" },
	};
	struct tdir *d = *state;
	char text[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "kernel /k\n# policy\n%s\n",
			 cases[i].line);
		put(d, "g.conf", text);
		expect_load_error(d, -EBADMSG, "g.conf:3", cases[i].msg);
	}
}

/* Names, kernel, delays: what one file gets wrong beyond a key's value. */
static void test_file_checks(void **state)
{
	struct tdir *d = *state;

	put(d, "web1.conf", "kernel /k\nname web2\n");
	expect_load_error(d, -EBADMSG, "web1.conf:2",
			  "name: 'web2' differs from the file's name 'web1'");
	put(d, "web1.conf", "mem 64M\n");
	expect_load_error(d, -EBADMSG, "web1.conf", "no 'kernel' line");
	put(d, "web1.conf", "kernel /k\nrestart-max-delay 500ms\n");
	expect_load_error(
		d, -EBADMSG, "web1.conf:2",
		"restart-max-delay 500ms is below restart-delay 1000ms");
	put(d, "web1.conf",
	    "kernel /k\nrestart-max-delay 5s\nrestart-delay 10s\n");
	expect_load_error(
		d, -EBADMSG, "web1.conf:2",
		"restart-max-delay 5000ms is below restart-delay 10000ms");
	put(d, "web1.conf", "kernel /k\nrestart-delay 90s\n");
	expect_load_error(
		d, -EBADMSG, "web1.conf:2",
		"restart-max-delay 60000ms is below restart-delay 90000ms");
	drop(d, "web1.conf");
}

static void test_file_names(void **state)
{
	static const char *const bad[] = {
		"my guest.conf", "a$b.conf", "..conf",
		"abcdefghijklmnopqrstuvwxyz012345.conf", /* 32 characters */
	};
	struct tdir *d = *state;
	struct config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put(d, bad[i], "kernel /k\n");
		expect_load_error(d, -EBADMSG, bad[i], "is not a guest name");
		drop(d, bad[i]);
	}
	/* 31 characters, dots, dashes and underscores are fine. */
	put(d, "abcdefghijklmnopqrstuvwxyz01234.conf", "kernel /k\n");
	put(d, "a.b_c-D.conf", "kernel /k\n");
	/* Not NAME.conf: ignored, as an editor's leftovers must be. */
	put(d, "README", "not a guest\n");
	put(d, "x.conf~", "junk\n");
	put(d, ".x.conf.swp", "junk\n");
	put(d, ".conf", "junk\n");
	load_ok(d, &cfg);
	assert_int_equal(cfg.nr, 2);
	assert_string_equal(cfg.guests[0].name, "a.b_c-D");
	assert_string_equal(cfg.guests[1].name,
			    "abcdefghijklmnopqrstuvwxyz01234");
	config_free(&cfg);
}

/* A relative directory becomes absolute: vessel may start elsewhere. */
static void test_relative_dir(void **state)
{
	struct tdir *d = *state;
	struct config cfg;
	char cwd[256], want[256];

	put(d, "a.conf", "kernel /k\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/tmp"), 0);
	err[0] = '\0';
	assert_int_equal(
		config_load(&cfg, d->path + strlen("/tmp/"), err, sizeof(err)),
		0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg.dir, d->path);
	snprintf(want, sizeof(want), "%s/a.conf", d->path);
	assert_string_equal(cfg.guests[0].path, want);
	config_free(&cfg);
}

static void test_directory_errors(void **state)
{
	struct tdir *d = *state;
	struct config cfg;
	char sub[256];

	/* An empty directory is a configuration with no guests. */
	load_ok(d, &cfg);
	assert_int_equal(cfg.nr, 0);
	assert_int_equal(cfg.order.nr_start_levels, 0);
	config_free(&cfg);
	assert_int_equal(
		config_load(&cfg, "/nonexistent/guests", err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "/nonexistent/guests"));
	snprintf(sub, sizeof(sub), "%s/dir.conf", d->path);
	assert_int_equal(mkdir(sub, 0700), 0);
	expect_load_error(d, -EBADMSG, "dir.conf", "not a regular file");
	assert_int_equal(rmdir(sub), 0);
}

static void test_unknown_names(void **state)
{
	struct tdir *d = *state;

	put(d, "a.conf", "kernel /k\n");
	put(d, "b.conf", "kernel /k\nafter a\nafter c\n");
	expect_load_error(d, -EBADMSG, "b.conf:3", "after: no guest 'c'");
	if (!strstr(err, "c.conf"))
		fail_msg("'%s' does not name the missing file", err);
	put(d, "b.conf", "kernel /k\nshares-device-with a z\n");
	expect_load_error(d, -EBADMSG, "b.conf:2",
			  "shares-device-with: no guest 'z'");
}

static void test_cycles(void **state)
{
	struct tdir *d = *state;

	put(d, "a.conf", "kernel /k\nafter c\n");
	put(d, "b.conf", "kernel /k\n\nafter a\n");
	put(d, "c.conf", "kernel /k\nafter b\n");
	put(d, "d.conf", "kernel /k\nafter a\n");
	expect_load_error(d, -ELOOP, "a.conf:2", "after cycle:");
	if (!strstr(err, "a after c") || !strstr(err, "c after b") ||
	    !strstr(err, "b after a") || !strstr(err, "b.conf:3") ||
	    !strstr(err, "c.conf:2") || strstr(err, "d after"))
		fail_msg("cycle not as expected: %s", err);
	put(d, "a.conf", "kernel /k\nafter a\n");
	expect_load_error(d, -ELOOP, "a.conf:2", "a after a");
}

/* A bad file leaves a loaded configuration as it was: reload keeps it. */
static void test_reload_all_or_nothing(void **state)
{
	struct tdir *d = *state;
	struct config old, bad;

	put(d, "a.conf", "kernel /k\n");
	put(d, "b.conf", "kernel /k\nafter a\n");
	load_ok(d, &old);
	put(d, "c.conf", "kernel /k\ncpus 0\n");
	memset(&bad, 0x5a, sizeof(bad));
	assert_int_equal(config_load(&bad, d->path, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "c.conf:2"));
	assert_null(bad.guests);
	assert_int_equal(old.nr, 2);
	assert_string_equal(old.guests[1].after[0].name, "a");
	assert_int_equal(old.order.start_level[1], 1);
	config_free(&old);
}

static void test_guest_equal(void **state)
{
	struct tdir *d = *state;
	struct config a, b;

	put(d, "g.conf", "kernel /k\nmem 64M\nafter h\n");
	put(d, "h.conf", "kernel /k\n");
	load_ok(d, &a);
	put(d, "g.conf",
	    "# now with comments\nkernel /k\n\nmem 64M  # same\n"
	    "after h\n");
	load_ok(d, &b);
	assert_true(config_guest_equal(&a.guests[0], &b.guests[0]));
	assert_true(config_guest_equal(&a.guests[1], &b.guests[1]));
	config_free(&b);
	put(d, "g.conf", "kernel /k\nmem 128M\nafter h\n");
	load_ok(d, &b);
	assert_false(config_guest_equal(&a.guests[0], &b.guests[0]));
	assert_false(config_guest_equal(&a.guests[0], &b.guests[1]));
	config_free(&b);
	config_free(&a);
}

static int conf_args(struct conf *c, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return conf_parse_args(c, argc, (char *const *)argv, err, sizeof(err));
}

/* vessel's parser: a guest file with policy keys parses; vessel reads none. */
static void test_vessel_accepts_policy_in_files(void **state)
{
	struct tdir *d = *state;
	const char *path = put(d, "p.conf",
			       "kernel /k\n"
			       "on-reboot restart\n"
			       "on-poweroff stop\n"
			       "restart-delay 2s\n"
			       "after q r\n"
			       "autostart no\n"
			       "shares-device-with q\n"
			       "on-guest-shutdown-hook true\n");
	char arg[300];
	const char *argv[] = { arg, "--mem", "128M", NULL };
	struct conf c;

	snprintf(arg, sizeof(arg), "@%s", path);
	if (conf_args(&c, argv))
		fail_msg("vessel refused policy keys: %s", err);
	assert_string_equal(conf_get(&c, "on-reboot"), "restart");
	assert_int_equal(conf_get_num(&c, "restart-delay", 0), 2000);
	assert_int_equal(conf_get_num(&c, "mem", 0), 128ULL << 20);
	conf_free(&c);
	/* A bad policy value is a bad file for vessel too: exit 65. */
	put(d, "p.conf", "kernel /k\non-reboot twice\n");
	assert_int_equal(conf_args(&c, argv), -EBADMSG);
	assert_non_null(strstr(err, "p.conf:2: on-reboot"));
	conf_free(&c);
}

/* vessel would not act on them, so its command line refuses them. */
static void test_vessel_refuses_policy_options(void **state)
{
	static const char *const keys[] = { "on-reboot", "after",
					    "restart-delay", "autostart" };
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		char opt[64];
		const char *argv[] = { opt, "x", NULL };

		snprintf(opt, sizeof(opt), "--%s", keys[i]);
		assert_int_equal(conf_args(&c, argv), -EINVAL);
		if (!strstr(err, "vesseld policy key") || !strstr(err, keys[i]))
			fail_msg("--%s: '%s'", keys[i], err);
		conf_free(&c);
	}
}

static void test_name_valid(void **state)
{
	(void)state;
	assert_true(conf_name_valid("a"));
	assert_true(conf_name_valid("web-1.prod_2"));
	assert_true(conf_name_valid("...")); /* odd, but not a path step */
	assert_true(conf_name_valid("abcdefghijklmnopqrstuvwxyz01234"));
	assert_false(conf_name_valid("abcdefghijklmnopqrstuvwxyz012345"));
	assert_false(conf_name_valid(""));
	assert_false(conf_name_valid("."));
	assert_false(conf_name_valid(".."));
	assert_false(conf_name_valid("a b"));
	assert_false(conf_name_valid("a/b"));
	assert_false(conf_name_valid("caf\xc3\xa9"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tdir_setup, tdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_every_policy_key),
		T(test_vessel_keys_checked),
		T(test_bad_policy_values),
		T(test_file_checks),
		T(test_file_names),
		T(test_relative_dir),
		T(test_directory_errors),
		T(test_unknown_names),
		T(test_cycles),
		T(test_reload_all_or_nothing),
		T(test_guest_equal),
		T(test_vessel_accepts_policy_in_files),
		T(test_vessel_refuses_policy_options),
		cmocka_unit_test(test_name_valid),
	};

	return cmocka_run_group_tests_name("vesseld_config", tests, NULL, NULL);
}
