// SPDX-License-Identifier: Apache-2.0
/*
 * Start and stop levels from `after` lines, built on in-memory configs
 * (config_load's own tests cover reading them from files), and the cycle
 * report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/vesseld/config.h"

#define MAX_GUESTS 16

/* A config of @n guests named a, b, c, ... without files. */
struct graph {
	struct config cfg;
	struct config_guest g[MAX_GUESTS];
	struct config_ref refs[MAX_GUESTS][MAX_GUESTS];
	char origins[MAX_GUESTS][MAX_GUESTS][32];
	char dir[2];
};

static char err[1024];

static struct graph *graph_new(int n)
{
	struct graph *gr = calloc(1, sizeof(*gr));
	int i;

	assert_non_null(gr);
	for (i = 0; i < n; i++) {
		snprintf(gr->g[i].name, sizeof(gr->g[i].name), "%c", 'a' + i);
		gr->g[i].after = gr->refs[i];
	}
	gr->dir[0] = 'd';
	gr->cfg.dir = gr->dir;
	gr->cfg.guests = gr->g;
	gr->cfg.nr = n;
	return gr;
}

/* "x after y", as if from line @line of d/x.conf. */
static void after(struct graph *gr, char x, char y, int line)
{
	struct config_guest *g = &gr->g[x - 'a'];
	struct config_ref *r = &g->after[g->nr_after];
	char *origin = gr->origins[x - 'a'][g->nr_after];

	snprintf(r->name, sizeof(r->name), "%c", y);
	snprintf(origin, 32, "d/%c.conf:%d", x, line);
	r->origin = origin;
	r->index = y - 'a';
	g->nr_after++;
}

/* The names of one level, "a b c", for comparing. */
static const char *level_names(const struct graph *gr, const struct order *o,
			       int level, bool stop)
{
	static char buf[64];
	const int *first;
	int n = order_level(o, level, stop, &first), i;
	size_t at = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		at += snprintf(buf + at, sizeof(buf) - at, "%s%s", i ? " " : "",
			       gr->g[first[i]].name);
	return buf;
}

static void build_ok(struct graph *gr, struct order *o)
{
	err[0] = '\0';
	if (order_build(o, &gr->cfg, err, sizeof(err)))
		fail_msg("order_build: %s", err);
}

static void test_no_guests(void **state)
{
	struct graph *gr = graph_new(0);
	const int *first;
	struct order o;

	(void)state;
	build_ok(gr, &o);
	assert_int_equal(o.nr_start_levels, 0);
	assert_int_equal(o.nr_stop_levels, 0);
	assert_int_equal(order_level(&o, 0, false, &first), 0);
	order_free(&o);
	free(gr);
}

static void test_independent_guests(void **state)
{
	struct graph *gr = graph_new(3);
	struct order o;

	(void)state;
	build_ok(gr, &o);
	assert_int_equal(o.nr_start_levels, 1);
	assert_int_equal(o.nr_stop_levels, 1);
	assert_string_equal(level_names(gr, &o, 0, false), "a b c");
	assert_string_equal(level_names(gr, &o, 0, true), "a b c");
	assert_string_equal(level_names(gr, &o, 1, false), "");
	order_free(&o);
	free(gr);
}

/*
 * a after b after c, and d alone: d starts with c and stops with a, in
 * the first wave, not after b and c.
 */
static void test_chain(void **state)
{
	struct graph *gr = graph_new(4);
	struct order o;

	(void)state;
	after(gr, 'a', 'b', 1);
	after(gr, 'b', 'c', 1);
	build_ok(gr, &o);
	assert_int_equal(o.nr_start_levels, 3);
	assert_string_equal(level_names(gr, &o, 0, false), "c d");
	assert_string_equal(level_names(gr, &o, 1, false), "b");
	assert_string_equal(level_names(gr, &o, 2, false), "a");
	assert_int_equal(o.nr_stop_levels, 3);
	assert_string_equal(level_names(gr, &o, 0, true), "a d");
	assert_string_equal(level_names(gr, &o, 1, true), "b");
	assert_string_equal(level_names(gr, &o, 2, true), "c");
	assert_int_equal(o.start_seq[0], 2);
	assert_int_equal(o.start_seq[3], 0);
	assert_int_equal(o.stop_seq[0], 0);
	assert_int_equal(o.stop_seq[3], 2);
	order_free(&o);
	free(gr);
}

/*
 * A diamond and a longer side path: e after b and d, b after a, d after c
 * after a. e waits for the longest path (level 3); a stops last.
 */
static void test_diamond(void **state)
{
	struct graph *gr = graph_new(6);
	struct order o;
	int i;

	(void)state;
	after(gr, 'b', 'a', 1);
	after(gr, 'c', 'a', 1);
	after(gr, 'd', 'c', 1);
	after(gr, 'e', 'b', 1);
	after(gr, 'e', 'd', 2);
	build_ok(gr, &o);
	assert_string_equal(level_names(gr, &o, 0, false), "a f");
	assert_string_equal(level_names(gr, &o, 1, false), "b c");
	assert_string_equal(level_names(gr, &o, 2, false), "d");
	assert_string_equal(level_names(gr, &o, 3, false), "e");
	assert_string_equal(level_names(gr, &o, 0, true), "e f");
	assert_string_equal(level_names(gr, &o, 1, true), "b d");
	assert_string_equal(level_names(gr, &o, 2, true), "c");
	assert_string_equal(level_names(gr, &o, 3, true), "a");
	/* Every edge: started after, stopped before. */
	for (i = 0; i < gr->cfg.nr; i++) {
		int j;

		for (j = 0; j < gr->g[i].nr_after; j++) {
			int dep = gr->g[i].after[j].index;

			assert_true(o.start_level[i] > o.start_level[dep]);
			assert_true(o.stop_level[i] < o.stop_level[dep]);
		}
	}
	order_free(&o);
	free(gr);
}

static void expect_cycle(struct graph *gr, const char *const parts[])
{
	struct order o;
	int i;

	memset(&o, 0x5a, sizeof(o));
	err[0] = '\0';
	assert_int_equal(order_build(&o, &gr->cfg, err, sizeof(err)), -ELOOP);
	for (i = 0; parts[i]; i++)
		if (!strstr(err, parts[i]))
			fail_msg("'%s' lacks '%s'", err, parts[i]);
	assert_null(o.start_level);
	assert_int_equal(o.nr, 0);
}

static void test_cycles(void **state)
{
	struct graph *gr = graph_new(5);

	(void)state;
	/* a → b → c → d → b, and e after a: only b c d are the cycle. */
	after(gr, 'a', 'b', 3);
	after(gr, 'b', 'c', 4);
	after(gr, 'c', 'd', 5);
	after(gr, 'd', 'b', 6);
	after(gr, 'e', 'a', 7);
	expect_cycle(gr, (const char *const[]){
				 "after cycle: b after c (d/b.conf:4), "
				 "c after d (d/c.conf:5), "
				 "d after b (d/d.conf:6)",
				 NULL });
	assert_null(strstr(err, "a after"));
	assert_null(strstr(err, "e after"));
	free(gr);

	gr = graph_new(2);
	after(gr, 'a', 'b', 2);
	after(gr, 'b', 'a', 9);
	expect_cycle(gr,
		     (const char *const[]){ "a after b (d/a.conf:2)",
					    "b after a (d/b.conf:9)", NULL });
	free(gr);

	gr = graph_new(1);
	after(gr, 'a', 'a', 1);
	expect_cycle(gr, (const char *const[]){
				 "after cycle: a after a (d/a.conf:1)", NULL });
	free(gr);
}

/* The walk takes the first unfinished `after`; a finished one comes first. */
static void test_cycle_past_done_guests(void **state)
{
	struct graph *gr = graph_new(4);

	(void)state;
	after(gr, 'a', 'd', 1); /* d is finished: not part of the cycle */
	after(gr, 'a', 'b', 2);
	after(gr, 'b', 'd', 1);
	after(gr, 'b', 'c', 2);
	after(gr, 'c', 'a', 1);
	expect_cycle(gr,
		     (const char *const[]){
			     "a after b (d/a.conf:2), b after c (d/b.conf:2), "
			     "c after a (d/c.conf:1)",
			     NULL });
	assert_null(strstr(err, "after d"));
	free(gr);
}

/* A wide, deep graph: each guest i after i-1 and i-2. */
static void test_ladder(void **state)
{
	struct graph *gr = graph_new(MAX_GUESTS);
	struct order o;
	int i;

	(void)state;
	for (i = 1; i < MAX_GUESTS; i++) {
		after(gr, 'a' + i, 'a' + i - 1, 1);
		if (i >= 2)
			after(gr, 'a' + i, 'a' + i - 2, 2);
	}
	build_ok(gr, &o);
	assert_int_equal(o.nr_start_levels, MAX_GUESTS);
	assert_int_equal(o.nr_stop_levels, MAX_GUESTS);
	for (i = 0; i < MAX_GUESTS; i++) {
		assert_int_equal(o.start_level[i], i);
		assert_int_equal(o.stop_level[i], MAX_GUESTS - 1 - i);
	}
	order_free(&o);
	free(gr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_guests),
		cmocka_unit_test(test_independent_guests),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_cycle_past_done_guests),
		cmocka_unit_test(test_ladder),
	};

	return cmocka_run_group_tests_name("vesseld_order", tests, NULL, NULL);
}
