// SPDX-License-Identifier: Apache-2.0
/*
 * What the probe guest sees of the machine (CPUs, memory map, console
 * input), and how vessel refuses what it cannot boot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmproc.h"

static void expect_pass(struct vmproc *p, int code, const char *pass)
{
	if (p->status != code || !strstr(p->out, pass) ||
	    strstr(p->out, "PROBE FAIL"))
		vmproc_dump(p);
	assert_int_equal(p->status, code);
	assert_non_null(strstr(p->out, pass));
	assert_null(strstr(p->out, "PROBE FAIL"));
}

static void test_cpus_4(void **state)
{
	static const char *const extra[] = { "--cpus", "4", NULL };
	struct vmproc p;

	(void)state;
	vmproc_run_probe(&p, "cpus", extra);
	expect_pass(&p, 0, "PROBE PASS cpus: 4 in MADT, 4 online");
	vmproc_free(&p);
}

static void test_cpus_1(void **state)
{
	struct vmproc p;

	(void)state;
	vmproc_run_probe(&p, "cpus", NULL);
	expect_pass(&p, 0, "PROBE PASS cpus: 1 in MADT, 1 online");
	vmproc_free(&p);
}

/* 3 GiB: 2 GiB below the PCI hole, the last GiB from 4 GiB. */
static void test_mem_3g_hole(void **state)
{
	static const char *const extra[] = { "--mem", "3G", NULL };
	struct vmproc p;

	(void)state;
	vmproc_run_probe(&p, "mem", extra);
	expect_pass(&p, 0, "PROBE PASS mem");
	assert_non_null(strstr(
		p.out, "e820 0x0000000000100000-0x000000007fffffff type 1"));
	assert_non_null(strstr(
		p.out, "e820 0x0000000100000000-0x000000013fffffff type 1"));
	vmproc_free(&p);
}

static void test_mem_64m(void **state)
{
	struct vmproc p;

	(void)state;
	vmproc_run_probe(&p, "mem", NULL);
	expect_pass(&p, 0, "PROBE PASS mem");
	assert_non_null(strstr(
		p.out, "e820 0x0000000000100000-0x0000000003ffffff type 1"));
	assert_null(strstr(p.out, "e820 0x0000000100000000"));
	vmproc_free(&p);
}

static void test_echo_input(void **state)
{
	struct vmproc p;

	(void)state;
	assert_int_equal(vmproc_start_probe(&p, "echo", NULL), 0);
	if (!vmproc_wait_output(&p, "PROBE READY echo", 30000))
		vmproc_dump(&p);
	assert_int_equal(vmproc_input(&p, "hello vessel\n"), 0);
	vmproc_wait_exit(&p, 30000);
	expect_pass(&p, 0, "PROBE PASS echo: hello vessel");
	vmproc_free(&p);
}

/* Run vessel with @argv (after the program) and expect @code and @msg on stderr. */
static void expect_refusal(const char *const args[], int code, const char *msg)
{
	const char *argv[32] = { vessel_path() };
	struct vmproc p;
	int i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	assert_int_equal(vmproc_start(&p, argv), 0);
	vmproc_wait_exit(&p, 30000);
	if (p.status != code || !strstr(p.err, msg))
		vmproc_dump(&p);
	assert_int_equal(p.status, code);
	assert_non_null(strstr(p.err, msg));
	vmproc_free(&p);
}

static char *write_temp(const char *name, const void *data, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vessel-test-%d-%s", getpid(), name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void test_garbage_kernel(void **state)
{
	char junk[4096];
	char *path;

	(void)state;
	memset(junk, 0x5a, sizeof(junk));
	path = write_temp("garbage", junk, sizeof(junk));
	expect_refusal((const char *[]){ "--kernel", path, NULL }, 64, path);
	unlink(path);
}

static void test_truncated_probe(void **state)
{
	char buf[300];
	FILE *f = fopen(probe_path(), "r");
	char *path;
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	path = write_temp("truncated", buf, n);
	expect_refusal((const char *[]){ "--kernel", path, NULL }, 64, path);
	unlink(path);
}

static void test_missing_kernel(void **state)
{
	(void)state;
	expect_refusal(
		(const char *[]){ "--kernel", "/nonexistent/vmlinuz", NULL },
		64, "/nonexistent/vmlinuz");
	expect_refusal((const char *[]){ "--mem", "64M", NULL }, 64,
		       "no kernel");
}

static void test_bad_options(void **state)
{
	(void)state;
	expect_refusal((const char *[]){ "--mem", "12", NULL }, 64, "--mem");
	expect_refusal((const char *[]){ "--cpus", "0", NULL }, 64, "--cpus");
	expect_refusal((const char *[]){ "--frobnicate", "1", NULL }, 64,
		       "unknown option");
	expect_refusal((const char *[]){ "--serial", "tcp:1", NULL }, 64,
		       "serial");
}

static void test_bad_guest_file(void **state)
{
	static const char conf[] = "# guest\nmem 128M\ncpus 2\nmemory 1G\n";
	char arg[300], want[300];
	char *path;

	(void)state;
	path = write_temp("bad.conf", conf, sizeof(conf) - 1);
	snprintf(arg, sizeof(arg), "@%s", path);
	snprintf(want, sizeof(want), "%s:4: unknown option 'memory'", path);
	expect_refusal((const char *[]){ arg, NULL }, 65, want);
	unlink(path);
	expect_refusal((const char *[]){ "@/nonexistent.conf", NULL }, 65,
		       "/nonexistent.conf");
}

static void test_initrd_too_large(void **state)
{
	char *path, arg[300];
	FILE *f;

	(void)state;
	snprintf(arg, sizeof(arg), "/tmp/vessel-test-%d-big-initrd", getpid());
	path = arg;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 100 << 20), 0);
	fclose(f);
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--initrd",
					 path, "--mem", "32M", NULL },
		       64, path);
	unlink(path);
}

static void test_help_and_version(void **state)
{
	const char *argv[] = { vessel_path(), "--help", NULL };
	struct vmproc p;

	(void)state;
	assert_int_equal(vmproc_start(&p, argv), 0);
	assert_int_equal(vmproc_wait_exit(&p, 10000), 0);
	assert_non_null(strstr(p.out, "--mem"));
	assert_non_null(strstr(p.out, " 32  reboot"));
	assert_non_null(strstr(p.out, " 65  config"));
	vmproc_free(&p);
	argv[1] = "--version";
	assert_int_equal(vmproc_start(&p, argv), 0);
	assert_int_equal(vmproc_wait_exit(&p, 10000), 0);
	assert_non_null(strstr(p.out, "vessel "));
	vmproc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpus_1),
		cmocka_unit_test(test_cpus_4),
		cmocka_unit_test(test_mem_64m),
		cmocka_unit_test(test_mem_3g_hole),
		cmocka_unit_test(test_echo_input),
		cmocka_unit_test(test_garbage_kernel),
		cmocka_unit_test(test_truncated_probe),
		cmocka_unit_test(test_missing_kernel),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_bad_guest_file),
		cmocka_unit_test(test_initrd_too_large),
		cmocka_unit_test(test_help_and_version),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
