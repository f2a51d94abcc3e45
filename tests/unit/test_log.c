// SPDX-License-Identifier: Apache-2.0
/*
 * log.h's bounds on what a guest can make vessel print: once per call
 * site, or the first LOG_LIMIT of a call site and a last word; and the
 * error count vm.c uses to add a line only where a device gave none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/common/log.h"

static void guest_moved_a_bar(int i)
{
	log_warn_limited("cannot map the region at %#x", i);
}

static void guest_did_it_again(void)
{
	log_warn_once("once");
}

/* Run @fn @n times with stderr in a file; the lines it printed. */
static int lines_of(void (*fn)(int), int n, char *out, size_t size)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO), lines = 0, i;
	size_t len;

	assert_non_null(f);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	for (i = 0; i < n; i++)
		fn(i);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	len = fread(out, 1, size - 1, f);
	out[len] = '\0';
	fclose(f);
	for (i = 0; out[i]; i++)
		lines += out[i] == '\n';
	return lines;
}

static void call_once(int i)
{
	(void)i;
	guest_did_it_again();
}

static void test_limited(void **state)
{
	static char out[8192];

	(void)state;
	assert_int_equal(lines_of(guest_moved_a_bar, 40, out, sizeof(out)),
			 LOG_LIMIT);
	assert_non_null(strstr(out, "at 0xf (and no more such warnings)\n"));
	assert_null(strstr(out, "at 0x10"));
	assert_int_equal(lines_of(call_once, 5, out, sizeof(out)), 1);
}

static void warn_then_err(int i)
{
	log_warn("warning %d", i);
	log_err("error %d", i);
}

static void test_error_count(void **state)
{
	static char out[256];
	unsigned int before = log_error_count();

	(void)state;
	assert_int_equal(lines_of(warn_then_err, 2, out, sizeof(out)), 4);
	assert_int_equal(log_error_count(), before + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limited),
		cmocka_unit_test(test_error_count),
	};

	log_init("vessel", NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
