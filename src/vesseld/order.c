// SPDX-License-Identifier: Apache-2.0
/*
 * Levels from the `after` graph by Kahn's algorithm, once along the edges
 * (start) and once against them (stop). What Kahn leaves unvisited holds
 * a cycle; following unvisited `after` edges from any of it must come back
 * to a guest already on the path, and that loop is the one reported.
 */
#include "order.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Adjacency lists, compressed: node i's are to[off[i]] .. to[off[i + 1] - 1]. */
struct order_adj {
	int *off;
	int *to;
};

static void order_adj_free(struct order_adj *a)
{
	free(a->off);
	free(a->to);
}

/* The `after` edges (a after b: a → b) and their reverse. */
static int order_adj_build(const struct config *cfg, struct order_adj *deps,
			   struct order_adj *rdeps)
{
	int i, j, nr = cfg->nr, edges = 0, *fill;

	for (i = 0; i < nr; i++)
		edges += cfg->guests[i].nr_after;
	deps->off = calloc(nr + 1, sizeof(int));
	rdeps->off = calloc(nr + 2, sizeof(int));
	deps->to = calloc(edges + 1, sizeof(int));
	rdeps->to = calloc(edges + 1, sizeof(int));
	if (!deps->off || !rdeps->off || !deps->to || !rdeps->to)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const struct config_guest *g = &cfg->guests[i];

		deps->off[i + 1] = deps->off[i] + g->nr_after;
		for (j = 0; j < g->nr_after; j++) {
			deps->to[deps->off[i] + j] = g->after[j].index;
			rdeps->off[g->after[j].index + 2]++;
		}
	}
	/* Counting sort of the reversed edges; off[i + 1] is the fill point. */
	for (i = 0; i < nr; i++)
		rdeps->off[i + 2] += rdeps->off[i + 1];
	fill = rdeps->off + 1;
	for (i = 0; i < nr; i++)
		for (j = deps->off[i]; j < deps->off[i + 1]; j++)
			rdeps->to[fill[deps->to[j]]++] = i;
	return 0;
}

/*
 * Kahn's algorithm: a node is done once all of its @in nodes are, at one
 * level above the highest of them. Returns how many nodes are done; fewer
 * than @nr means a cycle, and @done tells which.
 */
static int order_kahn(int nr, const struct order_adj *in,
		      const struct order_adj *out, int *level, bool *done)
{
	int *pending = calloc(nr + 1, sizeof(int));
	int *queue = calloc(nr + 1, sizeof(int));
	int head = 0, tail = 0, i, j;

	if (!pending || !queue) {
		free(pending);
		free(queue);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		level[i] = 0;
		done[i] = false;
		pending[i] = in->off[i + 1] - in->off[i];
		if (!pending[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		int u = queue[head++];

		done[u] = true;
		for (j = out->off[u]; j < out->off[u + 1]; j++) {
			int v = out->to[j];

			level[v] = MAX(level[v], level[u] + 1);
			if (!--pending[v])
				queue[tail++] = v;
		}
	}
	free(pending);
	free(queue);
	return tail;
}

static const char *order_origin(const struct config_guest *g, int to)
{
	int i;

	for (i = 0; i < g->nr_after; i++)
		if (g->after[i].index == to)
			return g->after[i].origin;
	return g->path;
}

/* Print the cycle through the guests Kahn left undone into @err. */
static int order_cycle(const struct config *cfg, const struct order_adj *deps,
		       const bool *done, char *err, size_t errlen)
{
	int *step = calloc(cfg->nr + 1, sizeof(int));
	int u = 0, first, len = 0, i, j;
	size_t at;

	if (!step)
		return -ENOMEM;
	for (i = 0; i < cfg->nr; i++)
		step[i] = -1;
	while (done[u])
		u++;
	/* Every undone guest is after an undone guest: walk until one repeats. */
	while (step[u] < 0) {
		step[u] = len++;
		for (j = deps->off[u]; done[deps->to[j]]; j++)
			;
		u = deps->to[j];
	}
	first = u;
	at = snprintf(err, errlen, "after cycle:");
	do {
		const struct config_guest *g = &cfg->guests[u];

		/* The walk's own choice again: it leads round to @first. */
		for (j = deps->off[u]; done[deps->to[j]]; j++)
			;
		if (at < errlen)
			at += snprintf(err + at, errlen - at,
				       "%s %s after %s (%s)",
				       u == first ? "" : ",", g->name,
				       cfg->guests[deps->to[j]].name,
				       order_origin(g, deps->to[j]));
		u = deps->to[j];
	} while (u != first);
	free(step);
	return -ELOOP;
}

/* Indexes sorted by @level, stable, so names stay in order within one. */
static void order_seq(int nr, const int *level, int nr_levels, int *seq)
{
	int l, i, n = 0;

	for (l = 0; l < nr_levels; l++)
		for (i = 0; i < nr; i++)
			if (level[i] == l)
				seq[n++] = i;
}

static int order_levels(int nr, const int *level)
{
	int i, top = -1;

	for (i = 0; i < nr; i++)
		top = MAX(top, level[i]);
	return top + 1;
}

static int order_alloc(struct order *o, int nr)
{
	o->nr = nr;
	o->start_level = calloc(nr + 1, sizeof(int));
	o->stop_level = calloc(nr + 1, sizeof(int));
	o->start_seq = calloc(nr + 1, sizeof(int));
	o->stop_seq = calloc(nr + 1, sizeof(int));
	if (!o->start_level || !o->stop_level || !o->start_seq || !o->stop_seq)
		return -ENOMEM;
	return 0;
}

static int order_compute(struct order *o, const struct config *cfg,
			 const struct order_adj *deps,
			 const struct order_adj *rdeps, bool *done, char *err,
			 size_t errlen)
{
	int nr = cfg->nr, ret;

	ret = order_kahn(nr, deps, rdeps, o->start_level, done);
	if (ret >= 0 && ret < nr)
		return order_cycle(cfg, deps, done, err, errlen);
	if (ret >= 0)
		ret = order_kahn(nr, rdeps, deps, o->stop_level, done);
	if (ret < 0)
		return ret;
	o->nr_start_levels = order_levels(nr, o->start_level);
	o->nr_stop_levels = order_levels(nr, o->stop_level);
	order_seq(nr, o->start_level, o->nr_start_levels, o->start_seq);
	order_seq(nr, o->stop_level, o->nr_stop_levels, o->stop_seq);
	return 0;
}

int order_build(struct order *o, const struct config *cfg, char *err,
		size_t errlen)
{
	struct order_adj deps = { 0 }, rdeps = { 0 };
	bool *done = calloc(cfg->nr + 1, sizeof(bool));
	int ret;

	memset(o, 0, sizeof(*o));
	ret = done ? order_alloc(o, cfg->nr) : -ENOMEM;
	if (!ret)
		ret = order_adj_build(cfg, &deps, &rdeps);
	if (!ret)
		ret = order_compute(o, cfg, &deps, &rdeps, done, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", cfg->dir);
	if (ret)
		order_free(o);
	order_adj_free(&deps);
	order_adj_free(&rdeps);
	free(done);
	return ret;
}

int order_level(const struct order *o, int level, bool stop, const int **first)
{
	const int *seq = stop ? o->stop_seq : o->start_seq;
	const int *lv = stop ? o->stop_level : o->start_level;
	int i = 0, n = 0;

	while (i < o->nr && lv[seq[i]] < level)
		i++;
	*first = seq ? seq + i : NULL;
	while (i + n < o->nr && lv[seq[i + n]] == level)
		n++;
	return n;
}

void order_free(struct order *o)
{
	free(o->start_level);
	free(o->stop_level);
	free(o->start_seq);
	free(o->stop_seq);
	memset(o, 0, sizeof(*o));
}
