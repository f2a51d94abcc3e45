// SPDX-License-Identifier: Apache-2.0
/*
 * The restart back-off, as tables: a policy, then one row per exit (when,
 * how long the run was) and what the back-off must answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/vesseld/backoff.h"

#define S 1000ULL /* ms */
#define R BACKOFF_RESTART
#define F BACKOFF_FAILED
#define END                            \
	{                              \
		UINT64_MAX, 0, 0, 0, 0 \
	}

struct row {
	u64 exit_ms, run_ms;
	enum backoff_verdict verdict;
	u64 delay_ms;
	u32 in_window;
};

static void run_rows(const char *what, const struct backoff_policy *p,
		     struct backoff *b, const struct row *rows)
{
	int i;

	for (i = 0; rows[i].exit_ms != UINT64_MAX; i++) {
		const struct row *r = &rows[i];
		struct backoff_decision d =
			backoff_decide(b, p, r->exit_ms, r->run_ms);

		if (d.verdict != r->verdict ||
		    (d.verdict == R && d.delay_ms != r->delay_ms) ||
		    d.in_window != r->in_window)
			fail_msg(
				"%s row %d (exit %llu, run %llu): got %s %llu ms "
				"(%u in window), want %s %llu ms (%u)",
				what, i, (unsigned long long)r->exit_ms,
				(unsigned long long)r->run_ms,
				d.verdict == R ? "restart" : "failed",
				(unsigned long long)d.delay_ms, d.in_window,
				r->verdict == R ? "restart" : "failed",
				(unsigned long long)r->delay_ms, r->in_window);
	}
}

static void run_table(const char *what, const struct backoff_policy *p,
		      const struct row *rows)
{
	struct backoff b;

	backoff_reset(&b);
	run_rows(what, p, &b, rows);
}

/* The defaults on a guest that reboots 100 ms after each start. */
static void test_defaults_reboot_loop(void **state)
{
	static const struct row rows[] = {
		{ 100, 100, R, 1 * S, 0 },
		{ 1200, 100, R, 2 * S, 1 },
		{ 3300, 100, R, 4 * S, 2 },
		{ 7400, 100, R, 8 * S, 3 },
		{ 15500, 100, R, 16 * S, 4 },
		/* The sixth restart within 5 minutes: failed. */
		{ 31600, 100, F, 0, 5 },
		/* It stays failed: failures are not counted as restarts. */
		{ 31700, 100, F, 0, 5 },
		END,
	};

	(void)state;
	run_table("defaults", &backoff_defaults, rows);
}

static void test_cap(void **state)
{
	static const struct backoff_policy p = {
		.delay_ms = 1 * S,
		.factor = 2,
		.max_delay_ms = 5 * S,
		.quiet_ms = 60 * S,
		.limit = 5,
		.window_ms = 0,
	};
	static const struct row rows[] = {
		{ 1 * S, 0, R, 1 * S, 0 },
		{ 2 * S, 0, R, 2 * S, 0 },
		{ 3 * S, 0, R, 4 * S, 0 },
		{ 4 * S, 0, R, 5 * S, 0 },
		{ 5 * S, 0, R, 5 * S, 0 },
		{ 6 * S, 0, R, 5 * S, 0 },
		/* window 0: no limit, however many. */
		{ 7 * S, 0, R, 5 * S, 0 },
		{ 8 * S, 0, R, 5 * S, 0 },
		{ 9 * S, 0, R, 5 * S, 0 },
		{ 10 * S, 0, R, 5 * S, 0 },
		END,
	};

	(void)state;
	run_table("cap", &p, rows);
}

/* Only a run longer than restart-quiet resets the delay. */
static void test_quiet_run_resets(void **state)
{
	static const struct backoff_policy p = {
		.delay_ms = 1 * S,
		.factor = 3,
		.max_delay_ms = 60 * S,
		.quiet_ms = 60 * S,
		.limit = 100,
		.window_ms = 3600 * S,
	};
	static const struct row rows[] = {
		{ 10 * S, 1 * S, R, 1 * S, 0 },
		{ 20 * S, 1 * S, R, 3 * S, 1 },
		{ 30 * S, 1 * S, R, 9 * S, 2 },
		/* exactly the quiet time: not longer, no reset */
		{ 100 * S, 60 * S, R, 27 * S, 3 },
		{ 200 * S, 60 * S + 1, R, 1 * S, 4 },
		{ 210 * S, 5 * S, R, 3 * S, 5 },
		{ 300 * S, 61 * S, R, 1 * S, 6 },
		END,
	};

	(void)state;
	run_table("quiet", &p, rows);
}

/* The window slides: restarts older than it no longer count. */
static void test_window_slides(void **state)
{
	static const struct backoff_policy p = {
		.delay_ms = 0,
		.factor = 2,
		.max_delay_ms = 0,
		.quiet_ms = 60 * S,
		.limit = 2,
		.window_ms = 10 * S,
	};
	static const struct row rows[] = {
		{ 0, 0, R, 0, 0 },
		{ 1 * S, 0, R, 0, 1 },
		{ 2 * S, 0, F, 0, 2 },
		{ 9999, 0, F, 0, 2 },
		/* the restart at 0 is 10 s old: out of the window */
		{ 10 * S, 0, R, 0, 1 },
		{ 10999, 0, F, 0, 2 },
		/* 1 s left at 11 s */
		{ 11 * S, 0, R, 0, 1 },
		{ 30 * S, 0, R, 0, 0 },
		END,
	};

	(void)state;
	run_table("window", &p, rows);
}

/* Factor 1: the same delay every time; a limit of 1 allows one restart. */
static void test_factor_one_limit_one(void **state)
{
	static const struct backoff_policy p = {
		.delay_ms = 3 * S,
		.factor = 1,
		.max_delay_ms = 60 * S,
		.quiet_ms = 60 * S,
		.limit = 1,
		.window_ms = 60 * S,
	};
	static const struct row rows[] = {
		{ 100 * S, 1 * S, R, 3 * S, 0 },
		{ 110 * S, 1 * S, F, 0, 1 },
		{ 160 * S, 1 * S, R, 3 * S, 0 },
		{ 230 * S, 1 * S, R, 3 * S, 0 },
		END,
	};

	(void)state;
	run_table("factor 1", &p, rows);
}

/* An operator's start of a failed guest begins a fresh tally. */
static void test_reset(void **state)
{
	static const struct backoff_policy p = {
		.delay_ms = 1 * S,
		.factor = 2,
		.max_delay_ms = 60 * S,
		.quiet_ms = 60 * S,
		.limit = 2,
		.window_ms = 300 * S,
	};
	static const struct row before[] = {
		{ 1 * S, 0, R, 1 * S, 0 },
		{ 2 * S, 0, R, 2 * S, 1 },
		{ 3 * S, 0, F, 0, 2 },
		END,
	};
	static const struct row after[] = {
		{ 4 * S, 0, R, 1 * S, 0 },
		{ 5 * S, 0, R, 2 * S, 1 },
		END,
	};
	struct backoff b;

	(void)state;
	backoff_reset(&b);
	run_rows("before reset", &p, &b, before);
	backoff_reset(&b);
	assert_int_equal(b.step, 0);
	assert_int_equal(b.nr, 0);
	run_rows("after reset", &p, &b, after);
}

/* Huge values saturate at the cap instead of wrapping. */
static void test_saturation(void **state)
{
	struct backoff_policy p = {
		.delay_ms = UINT64_MAX / 3,
		.factor = 16,
		.max_delay_ms = UINT64_MAX - 1,
		.quiet_ms = UINT64_MAX,
		.limit = 5,
		.window_ms = 0,
	};
	struct backoff b;
	int i;

	(void)state;
	assert_int_equal(backoff_delay(&p, 0), UINT64_MAX / 3);
	assert_int_equal(backoff_delay(&p, 1), UINT64_MAX - 1);
	assert_int_equal(backoff_delay(&p, 4000000000U), UINT64_MAX - 1);
	p.delay_ms = 1;
	p.factor = 2;
	assert_int_equal(backoff_delay(&p, 63), 1ULL << 63);
	assert_int_equal(backoff_delay(&p, 64), UINT64_MAX - 1);
	p.max_delay_ms = 86400 * S;
	backoff_reset(&b);
	for (i = 0; i < 1000; i++) {
		struct backoff_decision d = backoff_decide(&b, &p, i, 0);

		assert_int_equal(d.verdict, R);
		assert_true(d.delay_ms <= 86400 * S);
		if (i >= 27)
			assert_int_equal(d.delay_ms, 86400 * S);
	}
	/* The tally keeps no more than the largest limit. */
	assert_true(b.nr <= BACKOFF_LIMIT_MAX);
	/* A hand-made factor 0 acts as 1, not as a division by zero. */
	p.factor = 0;
	p.delay_ms = 7;
	assert_int_equal(backoff_delay(&p, 10), 7);
}

/* restart-limit 100 in an hour: the 101st restart fails. */
static void test_largest_limit(void **state)
{
	struct backoff_policy p = backoff_defaults;
	struct backoff b;
	struct backoff_decision d;
	int i;

	(void)state;
	p.limit = BACKOFF_LIMIT_MAX;
	p.window_ms = 3600 * S;
	backoff_reset(&b);
	for (i = 0; i < BACKOFF_LIMIT_MAX; i++) {
		d = backoff_decide(&b, &p, i * S, 0);
		assert_int_equal(d.verdict, R);
		assert_int_equal(d.in_window, i);
	}
	d = backoff_decide(&b, &p, BACKOFF_LIMIT_MAX * S, 0);
	assert_int_equal(d.verdict, F);
	assert_int_equal(d.in_window, BACKOFF_LIMIT_MAX);
	/* A limit above what the tally keeps still fails, at the most kept. */
	p.limit = 1000;
	d = backoff_decide(&b, &p, BACKOFF_LIMIT_MAX * S, 0);
	assert_int_equal(d.verdict, F);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_reboot_loop),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_quiet_run_resets),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_factor_one_limit_one),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_largest_limit),
	};

	return cmocka_run_group_tests_name("vesseld_backoff", tests, NULL,
					   NULL);
}
