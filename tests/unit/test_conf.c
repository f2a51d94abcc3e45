// SPDX-License-Identifier: Apache-2.0
/* Option parsing: every kind of bad input names where it came from. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/conf.h"

static char err[512];

static int parse(struct conf *c, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return conf_parse_args(c, argc, (char *const *)argv, err, sizeof(err));
}

static char *write_conf(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vessel-unit-%d.conf", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		int ret;
		u64 v;
	} cases[] = {
		{ "512M", 0, 512ULL << 20 },
		{ "1G", 0, 1ULL << 30 },
		{ "64K", 0, 64 << 10 },
		{ "3GiB", 0, 3ULL << 30 },
		{ "16777216", 0, 16 << 20 },
		{ "1g", 0, 1ULL << 30 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },
		{ "99999999999T", -EINVAL, 0 },
		{ "18446744073709551616", -EINVAL, 0 },
		{ " 1G", -EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u64 v = 0;

		assert_int_equal(conf_parse_size(cases[i].s, &v), cases[i].ret);
		if (!cases[i].ret)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_times(void **state)
{
	u64 ms;

	(void)state;
	assert_int_equal(conf_parse_time_ms("5s", &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(conf_parse_time_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(conf_parse_time_ms("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(conf_parse_time_ms("7", &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(conf_parse_time_ms("5 s", &ms), -EINVAL);
	assert_int_equal(conf_parse_time_ms("soon", &ms), -EINVAL);
}

static void test_args_and_later_wins(void **state)
{
	const char *argv[] = { "--mem",
			       "1G",
			       "--cpus=4",
			       "--mem",
			       "2G",
			       "--cmdline",
			       "console=ttyS0 quiet",
			       NULL };
	struct conf c;

	(void)state;
	assert_int_equal(parse(&c, argv), 0);
	assert_int_equal(conf_get_num(&c, "mem", 0), 2ULL << 30);
	assert_int_equal(conf_get_num(&c, "cpus", 0), 4);
	assert_string_equal(conf_get(&c, "cmdline"), "console=ttyS0 quiet");
	assert_null(conf_get(&c, "kernel"));
	assert_int_equal(conf_get_num(&c, "kernel", 7), 7);
	conf_free(&c);
}

static void expect_arg_error(const char *const *argv, const char *msg)
{
	struct conf c;

	assert_int_equal(parse(&c, argv), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
	conf_free(&c);
}

static void test_bad_args(void **state)
{
	(void)state;
	expect_arg_error((const char *[]){ "--mem", "8M", NULL },
			 "--mem: mem: '8M' is out of range");
	expect_arg_error((const char *[]){ "--mem", "65G", NULL },
			 "out of range");
	expect_arg_error((const char *[]){ "--mem", NULL },
			 "--mem needs a value");
	expect_arg_error((const char *[]){ "--cpus", "0", NULL },
			 "out of range");
	expect_arg_error((const char *[]){ "--cpus", "255", NULL },
			 "out of range");
	expect_arg_error((const char *[]){ "--cpus", "two", NULL },
			 "not a valid number");
	expect_arg_error((const char *[]){ "--bogus", "1", NULL },
			 "unknown option '--bogus'");
	expect_arg_error((const char *[]){ "kernel", NULL },
			 "unexpected argument 'kernel'");
	expect_arg_error((const char *[]){ "--serial", "tcp:x", NULL },
			 "'tcp:x' is not one of");
	expect_arg_error((const char *[]){ "--serial", "file:", NULL },
			 "is not one of");
	expect_arg_error((const char *[]){ "--kernel", "", NULL },
			 "kernel needs a value");
}

static void test_serial_choices(void **state)
{
	const char *ok[] = { "stdio", "none", "pty", "file:/tmp/x",
			     "unix:/run/c.sock" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *argv[] = { "--serial", ok[i], NULL };
		struct conf c;

		assert_int_equal(parse(&c, argv), 0);
		assert_string_equal(conf_get(&c, "serial"), ok[i]);
		conf_free(&c);
	}
}

struct list_case {
	const char *value;
	const char *err; /* NULL: accepted; else in the message */
};

/* Give option @opt each value of @cases; accepted or refused as they say. */
static void check_list_cases(const char *opt, const struct list_case *cases,
			     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *argv[] = { opt, cases[i].value, NULL };
		struct conf c;
		int ret = parse(&c, argv);

		if (!cases[i].err) {
			if (ret)
				fail_msg("'%s' rejected: %s", cases[i].value,
					 err);
		} else if (!ret || !strstr(err, cases[i].err)) {
			fail_msg("'%s': got %d '%s', want '%s'", cases[i].value,
				 ret, err, cases[i].err);
		}
		conf_free(&c);
	}
}

/* Device option lists: known keys, known words, each key once. */
static void test_device_lists(void **state)
{
	static const struct list_case cases[] = {
		{ "model=i6300esb", NULL },
		{ "action=reset", NULL },
		{ "model=ib700,action=none", NULL },
		{ "action=pause,model=i6300esb", NULL },
		{ "", "watchdog needs model=M,action=A" },
		{ "model=foo", "'model=foo': model is one of i6300esb|ib700" },
		{ "model=", "'model=': model is one of" },
		{ "action=explode", "action is one of terminate|reset" },
		{ "model", "model needs a value, one of i6300esb|ib700" },
		{ "timeout=5", "'timeout=5' is not key=value" },
		{ "model=ib700,model=ib700", "model is given twice" },
		{ "model=ib700,", NULL }, /* a trailing comma is harmless */
		{ ",model=ib700", "'' is not key=value" },
		{ "modelx=ib700", "'modelx=ib700' is not key=value" },
	};

	(void)state;
	check_list_cases("--watchdog", cases, sizeof(cases) / sizeof(cases[0]));
}

/* Flags: a bare "readonly" is readonly=on; a key without "on" needs a value. */
static void test_list_flags(void **state)
{
	static const struct list_case cases[] = {
		{ "path=a.img,readonly", NULL },
		{ "readonly,path=a.img", NULL },
		{ "path=a.img,readonly=off", NULL },
		{ "path=a.img,readonly,readonly", "readonly is given twice" },
		{ "path=a.img,readonly=on,readonly",
		  "readonly is given twice" },
		{ "path", "path needs a value, one of *" },
		{ "path=a.img,cache", "cache needs a value, one of writeback" },
		{ "path=a.img,readonly=yes", "readonly is one of on|off" },
		{ "path=a.img,bogus", "'bogus' is not key=value" },
	};
	char out[16];

	(void)state;
	check_list_cases("--disk", cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(
		conf_sub_get("path=a,readonly", "readonly", out, sizeof(out)),
		0);
	assert_string_equal(out, "on");
	assert_int_equal(
		conf_sub_get("readonly=off", "readonly", out, sizeof(out)), 0);
	assert_string_equal(out, "off");
	assert_int_equal(conf_sub_get("path=a", "readonly", out, sizeof(out)),
			 -ENOENT);
}

/* Repeatable keys: every value, in the order given. */
static void test_find_next(void **state)
{
	const char *argv[] = { "--disk", "path=a", "--mem", "64M",
			       "--disk", "path=b", NULL };
	const struct conf_value *v;
	struct conf c;

	(void)state;
	assert_int_equal(parse(&c, argv), 0);
	v = conf_find_next(&c, "disk", NULL);
	assert_non_null(v);
	assert_string_equal(v->value, "path=a");
	v = conf_find_next(&c, "disk", v);
	assert_non_null(v);
	assert_string_equal(v->value, "path=b");
	assert_null(conf_find_next(&c, "disk", v));
	assert_null(conf_find_next(&c, "shmem", NULL));
	conf_free(&c);
}

static void test_file(void **state)
{
	char *path = write_conf("# a guest\n"
				"name web1\n"
				"  mem 512M   # trailing comment\n"
				"\n"
				"cmdline \"console=ttyS0 root=/dev/vda\"\n"
				"cpus\t2\n");
	char arg[160];
	const char *argv[] = { arg, "--cpus", "3", NULL };
	struct conf c;

	(void)state;
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(parse(&c, argv), 0);
	assert_string_equal(conf_get(&c, "name"), "web1");
	assert_int_equal(conf_get_num(&c, "mem", 0), 512ULL << 20);
	assert_string_equal(conf_get(&c, "cmdline"),
			    "console=ttyS0 root=/dev/vda");
	assert_int_equal(conf_get_num(&c, "cpus", 0), 3);
	conf_free(&c);
	unlink(path);
}

static void expect_file_error(const char *text, const char *msg)
{
	char *path = write_conf(text), arg[160], want[256];
	const char *argv[] = { arg, NULL };
	struct conf c;

	snprintf(arg, sizeof(arg), "@%s", path);
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	assert_int_equal(parse(&c, argv), -EBADMSG);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	conf_free(&c);
	unlink(path);
}

static void test_bad_files(void **state)
{
	struct conf c;

	(void)state;
	expect_file_error("mem 64M\nmemory 1G\n", "2: unknown option 'memory'");
	expect_file_error("\n\n\nmem lots\n",
			  "4: mem: 'lots' is not a valid size");
	expect_file_error("cpus 300\n", "1: cpus: '300' is out of range");
	expect_file_error("kernel\n", "1: kernel needs a value");
	expect_file_error("serial telnet\n", "1: serial: 'telnet'");
	expect_file_error("\nwatchdog model=ib700,action=boom\n",
			  "2: watchdog: 'action=boom'");
	assert_int_equal(
		parse(&c, (const char *[]){ "@/nonexistent/g.conf", NULL }),
		-EBADMSG);
	assert_non_null(strstr(err, "/nonexistent/g.conf"));
	conf_free(&c);
}

static void test_sub_get(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(conf_sub_get("name=lifecycle,size=4K", "size", out,
				      sizeof(out)),
			 0);
	assert_string_equal(out, "4K");
	assert_int_equal(conf_sub_get("name=lifecycle,size=4K", "name", out,
				      sizeof(out)),
			 0);
	assert_string_equal(out, "lifecycle");
	assert_int_equal(conf_sub_get("names=x", "name", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(conf_sub_get("name=0123456789abcdefXYZ", "name", out,
				      sizeof(out)),
			 -E2BIG);
	assert_int_equal(conf_sub_get("", "name", out, sizeof(out)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_args_and_later_wins),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_serial_choices),
		cmocka_unit_test(test_device_lists),
		cmocka_unit_test(test_list_flags),
		cmocka_unit_test(test_find_next),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_sub_get),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
