// SPDX-License-Identifier: Apache-2.0
/*
 * Malformed guest files and command lines (docs/errors.md): every one is
 * refused with one line that names the file and line or the option, and
 * with the code main() turns into exit 64 (-EINVAL) or 65 (-EBADMSG).
 * The well-formed cases live in test_conf.c.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "../../src/common/conf.h"

#define ONE_MIB (1 << 20)

static char err[512];
static char conf_path[128];

static int parse(struct conf *c, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(err));
	return conf_parse_args(c, argc, (char *const *)argv, err, sizeof(err));
}

/* The message is one line, and it says @msg. */
static void expect_msg(const char *msg)
{
	assert_null(strchr(err, '\n'));
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
}

static const char *write_bytes(const void *data, size_t len)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/vessel-badinput-%d.conf",
		 getpid());
	fd = open(conf_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return conf_path;
}

/* Parse @path as "@path"; the result code. */
static int parse_file(struct conf *c, const char *path)
{
	char arg[300];
	const char *argv[] = { arg, NULL };

	snprintf(arg, sizeof(arg), "@%s", path);
	return parse(c, argv);
}

/* @len bytes of guest file: refused (65) with "FILE:@where" and @msg. */
static void expect_file_bytes(const void *data, size_t len, const char *where,
			      const char *msg)
{
	const char *path = write_bytes(data, len);
	char want[256];
	struct conf c;

	assert_int_equal(parse_file(&c, path), -EBADMSG);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	expect_msg(want);
	expect_msg(msg);
	conf_free(&c);
	unlink(path);
}

static void expect_file(const char *text, const char *where, const char *msg)
{
	expect_file_bytes(text, strlen(text), where, msg);
}

/* A command line refused (64) with @msg. */
static void expect_args(const char *const *argv, const char *msg)
{
	struct conf c;

	assert_int_equal(parse(&c, argv), -EINVAL);
	expect_msg(msg);
	conf_free(&c);
}

/* Sizes, numbers and durations: bad suffixes, overflow, signs, blanks. */
static void test_bad_numbers(void **state)
{
	static const char *const bad_sizes[] = {
		"64Q",	  "64MM",      "1.5G",
		"0x40M",  "64 M",      "99999999999G",
		"-1",	  "+64M",      "M",
		"",	  "16777216T", "18446744073709551616",
		"64Q\tM", "64M,",      "６４M",
	};
	char line[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		snprintf(line, sizeof(line), "mem %s\n", bad_sizes[i]);
		expect_file(line, "1: mem:", "is not a valid size");
	}
	expect_file("mem 8M\n", "1: mem: '8M'", "is out of range");
	expect_file("mem 65G\n", "1: mem: '65G'", "is out of range");
	/* 2^64 - 2^40 bytes: a valid u64, far out of range. */
	expect_file("mem 16777215T\n", "1: mem:", "is out of range");
	expect_file("cpus -1\n", "1: cpus: '-1'", "is not a valid number");
	expect_file("cpus 1e3\n", "1: cpus: '1e3'", "is not a valid number");
	expect_file("cpus 4K\n", "1: cpus: '4K'", "is not a valid number");
	expect_file("cpus 0\n", "1: cpus: '0'", "is out of range");
	expect_file("cpus 255\n", "1: cpus: '255'", "is out of range");
	expect_file("cpus 99999999999999999999999\n",
		    "1: cpus:", "is not a valid number");
	expect_file("power-button-timeout 5x\n",
		    "1: power-button-timeout:", "is not a valid duration");
	expect_file("power-button-timeout 0\n",
		    "1: power-button-timeout:", "is out of range");
	expect_file("power-button-timeout 99999999999999h\n",
		    "1: power-button-timeout:", "is not a valid duration");
	expect_file("stop-timeout -5s\n",
		    "1: stop-timeout:", "is not a valid duration");
}

/*
 * Every key of both tables, given nothing: refused, naming the key
 * (the CONF_CHOICE keys list their words).
 */
static void test_every_key_empty(void **state)
{
	const struct conf_key *tables[] = { conf_keys, conf_policy_keys };
	const struct conf_key *k;
	struct conf c = { 0 };
	char want[80];
	size_t t;

	(void)state;
	for (t = 0; t < 2; t++) {
		for (k = tables[t]; k->key; k++) {
			err[0] = '\0';
			assert_int_not_equal(conf_set(&c, k->key, "",
						      "x.conf:3", err,
						      sizeof(err)),
					     0);
			snprintf(want, sizeof(want), "x.conf:3: %s", k->key);
			expect_msg(want);
		}
	}
	assert_int_equal(c.nr, 0);
	conf_free(&c);
}

/* Device lists: sub-keys unknown, twice, empty, without a value. */
static void test_bad_lists(void **state)
{
	(void)state;
	expect_file("disk path=/a,path=/b\n",
		    "1: disk:", "path is given twice");
	expect_file("disk path=/a,readonly,readonly\n",
		    "1: disk:", "readonly is given twice");
	expect_file("disk path=/a,bogus=1\n", "1: disk: 'bogus=1'",
		    "is not key=value");
	expect_file("disk path=\n", "1: disk: 'path='", "path needs a value");
	expect_file("disk ,,\n", "1: disk: ''", "is not key=value");
	expect_file("disk =x\n", "1: disk: '=x'", "is not key=value");
	expect_file("disk path=/a,cache=never\n",
		    "1: disk:", "cache is one of writeback|writethrough");
	expect_file("shmem name=\n", "1: shmem: 'name='", "name needs a value");
	expect_file("shmem model=virtio\n", "1: shmem:", "model is one of");
	expect_file("watchdog model=ib700,model=i6300esb\n",
		    "1: watchdog:", "model is given twice");
	expect_file("after web 'db'\n", "1: after:", "is not a guest name");
	expect_file("after ../etc\n", "1: after:", "is not a guest name");
}

/*
 * A NUL would silently cut the line short ("mem 64M\0..." read as 64M);
 * other control bytes make an unknown key of terminal escapes.
 */
static void test_control_bytes(void **state)
{
	static const char nul[] = "cpus 2\nmem 64M\0garbage\n";
	static const char esc[] = "\x1b[2Jmem 64M\n";
	static const char del[] = "mem 64M\x7f\n";
	static const char ok[] = "mem 64M\r\ncpus\t2\r\n";
	unsigned char junk[512];
	struct conf c;
	size_t i;

	(void)state;
	expect_file_bytes(nul, sizeof(nul) - 1,
			  "2:", "control byte 0x00 at column 8");
	expect_file_bytes(esc, sizeof(esc) - 1,
			  "1:", "control byte 0x1b at column 1");
	expect_file_bytes(del, sizeof(del) - 1, "1:", "control byte 0x7f");
	/* Random bytes: refused on their first line, never parsed. */
	srand(8);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(rand() % 32);
	junk[0] = 1;
	expect_file_bytes(junk, sizeof(junk), "1:", "not a text file?");
	/* Tabs and CRLF line ends are text. */
	assert_int_equal(parse_file(&c, write_bytes(ok, sizeof(ok) - 1)), 0);
	assert_int_equal(conf_get_num(&c, "cpus", 0), 2);
	assert_int_equal(conf_get_num(&c, "mem", 0), 64 << 20);
	conf_free(&c);
	unlink(conf_path);
}

/* Non-ASCII bytes are not control bytes, but an unknown key shows '?'. */
static void test_unknown_key_shown(void **state)
{
	(void)state;
	expect_file("m\xc3\xa9m 64M\n", "1:", "unknown option 'm??m'");
	expect_args((const char *[]){ "--m\xffm", "1", NULL },
		    "unknown option '--m?m'");
	expect_args((const char *[]){ "k\x1b[31m", NULL },
		    "unexpected argument 'k?[31m'");
}

/* A 1 MiB line: refused in one short line, not echoed whole. */
static void test_long_lines(void **state)
{
	char *big = malloc(ONE_MIB + 16), *arg = malloc(ONE_MIB + 16);
	struct conf c;

	(void)state;
	assert_non_null(big);
	assert_non_null(arg);
	memset(big, 'x', ONE_MIB);
	strcpy(big + ONE_MIB, "\n");
	expect_file(big, "1:", "unknown option 'xxxx");
	assert_true(strlen(err) < 200);
	assert_non_null(strstr(err, "...'"));
	memcpy(big, "cmdline ", 8);
	expect_file(big, "1: cmdline:",
		    "value too long (1048568 bytes, at most 65535)");
	/* The same on the command line. */
	memcpy(arg, "--", 2);
	memset(arg + 2, 'k', ONE_MIB);
	arg[ONE_MIB + 2] = '\0';
	expect_args((const char *[]){ arg, "1", NULL }, "unknown option '--kk");
	assert_true(strlen(err) < 200);
	memset(arg, 'a', ONE_MIB);
	arg[ONE_MIB] = '\0';
	expect_args((const char *[]){ "--cmdline", arg, NULL },
		    "--cmdline: cmdline: value too long");
	/* The longest value a kernel command line may have is taken. */
	arg[65535] = '\0';
	assert_int_equal(parse(&c, (const char *[]){ "--cmdline", arg, NULL }),
			 0);
	assert_int_equal(strlen(conf_get(&c, "cmdline")), 65535);
	conf_free(&c);
	free(arg);
	free(big);
}

/* Files that are no guest file: missing, a directory, unreadable. */
static void test_not_a_file(void **state)
{
	char dir[] = "/tmp/vessel-badinput-XXXXXX";
	struct conf c;

	(void)state;
	assert_int_equal(parse_file(&c, "/nonexistent/g.conf"), -EBADMSG);
	expect_msg("/nonexistent/g.conf: No such file or directory");
	conf_free(&c);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(parse_file(&c, dir), -EBADMSG);
	expect_msg("is a directory, not a guest file");
	expect_msg(dir);
	conf_free(&c);
	rmdir(dir);
	/* An empty file and one of comments only set nothing. */
	assert_int_equal(parse_file(&c, write_bytes("", 0)), 0);
	assert_int_equal(c.nr, 0);
	conf_free(&c);
	assert_int_equal(parse_file(&c, write_bytes("# only\n  \n", 10)), 0);
	assert_int_equal(c.nr, 0);
	conf_free(&c);
	unlink(conf_path);
	expect_args((const char *[]){ "@", NULL },
		    "'@' needs a guest file name");
}

/*
 * Mode 000: root reads it anyway, so the check runs in a child that has
 * become nobody (65534) first.
 */
static void test_unreadable(void **state)
{
	const char *path = write_bytes("mem 64M\n", 8);
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(chmod(path, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct conf c;

		if (getuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		_exit(parse_file(&c, path) == -EBADMSG &&
				      strstr(err, "Permission denied") &&
				      strstr(err, path) ?
			      0 :
			      1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A FIFO is read as a stream: what comes through it is checked alike. */
static void test_fifo(void **state)
{
	char path[128];
	struct conf c;
	pid_t pid;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vessel-badinput-%d.fifo", getpid());
	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd = open(path, O_WRONLY);

		_exit(fd < 0 || write(fd, "cpus 2\nmemory 1G\n", 17) != 17);
	}
	assert_int_equal(parse_file(&c, path), -EBADMSG);
	expect_msg(":2: unknown option 'memory'");
	conf_free(&c);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	unlink(path);
}

/* '@' inside a file is no include: no nesting, so no loop either. */
static void test_no_nesting(void **state)
{
	char line[200];

	(void)state;
	snprintf(line, sizeof(line), "@/tmp/vessel-badinput-%d.conf\n",
		 getpid());
	expect_file(line, "1:", "unknown option '@/tmp/vessel-badinput-");
}

/* Options without values, stray words, empty strings. */
static void test_command_lines(void **state)
{
	(void)state;
	expect_args((const char *[]){ "--cpus", "2", "--mem", NULL },
		    "--mem needs a value");
	expect_args((const char *[]){ "--kernel", NULL },
		    "--kernel needs a value");
	expect_args((const char *[]){ "--mem=", NULL },
		    "--mem: mem: '' is not a valid size");
	expect_args((const char *[]){ "--name", "", NULL },
		    "--name: name needs a value");
	expect_args((const char *[]){ "--serial", "", NULL },
		    "--serial: serial: '' is not one of");
	expect_args((const char *[]){ "--disk", "", NULL },
		    "--disk: disk needs");
	expect_args((const char *[]){ "", NULL }, "unexpected argument ''");
	expect_args((const char *[]){ "--", NULL }, "unexpected argument '--'");
	expect_args((const char *[]){ "-", NULL }, "unexpected argument '-'");
	expect_args((const char *[]){ "-m", "64M", NULL },
		    "unexpected argument '-m'");
	expect_args((const char *[]){ "--=5", NULL }, "unknown option '--=5'");
	expect_args((const char *[]){ "--on-reboot", "stop", NULL },
		    "is a vesseld policy key");
	/* A file after a bad option is not read; a bad file is 65. */
	expect_args((const char *[]){ "--bogus", "@/nonexistent", NULL },
		    "unknown option '--bogus'");
}

/* A key given again, in any mix of files and options: the last wins. */
static void test_later_wins(void **state)
{
	const char *path = write_bytes("mem 128M\ncpus 2\nmem 96M\n", 24);
	char arg[160];
	struct conf c;

	(void)state;
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(parse(&c, (const char *[]){ arg, NULL }), 0);
	assert_int_equal(conf_get_num(&c, "mem", 0), 96 << 20);
	assert_string_equal(conf_find(&c, "mem")->origin,
			    strcat(strcpy(err, path), ":3"));
	conf_free(&c);
	assert_int_equal(
		parse(&c, (const char *[]){ arg, "--mem", "64M", NULL }), 0);
	assert_int_equal(conf_get_num(&c, "mem", 0), 64 << 20);
	assert_string_equal(conf_find(&c, "mem")->origin, "--mem");
	conf_free(&c);
	assert_int_equal(parse(&c, (const char *[]){ "--mem", "64M", "--cpus",
						     "3", arg, NULL }),
			 0);
	assert_int_equal(conf_get_num(&c, "mem", 0), 96 << 20);
	assert_int_equal(conf_get_num(&c, "cpus", 0), 2);
	conf_free(&c);
	assert_int_equal(parse(&c, (const char *[]){ "--cpus=1", "--cpus", "4",
						     "--cpus=3", NULL }),
			 0);
	assert_int_equal(conf_get_num(&c, "cpus", 0), 3);
	conf_free(&c);
	/* A bad later value does not fall back to the earlier one. */
	assert_int_equal(parse(&c, (const char *[]){ "--mem", "64M", "--mem",
						     "64Q", NULL }),
			 -EINVAL);
	conf_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_every_key_empty),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_unknown_key_shown),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_no_nesting),
		cmocka_unit_test(test_command_lines),
		cmocka_unit_test(test_later_wins),
	};

	return cmocka_run_group_tests_name("badinput", tests, NULL, NULL);
}
