/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CORPUS_REPLAY_H
#define VESSEL_CORPUS_REPLAY_H

/*
 * The libFuzzer harnesses (tests/fuzz/) as unit tests, so that `make test`
 * (and its ASan/UBSan builds) runs them without clang: every committed
 * seed, then a fixed number of seeded mutations of each (byte flips,
 * random bytes, truncations), through the harness's own entry point and
 * its own checks, which abort on a broken promise. Deterministic: the
 * same inputs every run. Run from the repository root, as the runner does.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_INPUT 65536

typedef int (*replay_fn)(const uint8_t *data, size_t size);

static uint64_t replay_next(uint64_t *s)
{
	/* xorshift64: fixed, fast, enough to spread mutations. */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void replay_mutate(uint8_t *buf, size_t *len, uint64_t *seed)
{
	int n = 1 + replay_next(seed) % 8, i;

	for (i = 0; i < n && *len; i++) {
		size_t at = replay_next(seed) % *len;

		switch (replay_next(seed) % 4) {
		case 0:
			buf[at] ^= 1u << (replay_next(seed) % 8);
			break;
		case 1:
			buf[at] = (uint8_t)replay_next(seed);
			break;
		case 2:
			buf[at] = at % 2 ? 0xff : 0;
			break;
		default:
			*len = at + 1; /* truncate */
		}
	}
}

static size_t replay_load(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	return n;
}

/*
 * Run @one on every file of @dir and @mutations mutations of each;
 * returns the number of seeds (0: the corpus is missing).
 */
static int corpus_replay(const char *dir, replay_fn one, int mutations)
{
	static uint8_t seed_buf[REPLAY_MAX_INPUT], buf[REPLAY_MAX_INPUT];
	char path[512];
	struct dirent *e;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	int seeds = 0, i;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len, n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = replay_load(path, seed_buf);
		if (!len)
			continue;
		seeds++;
		one(seed_buf, len);
		for (i = 0; i < mutations; i++) {
			n = len;
			memcpy(buf, seed_buf, len);
			replay_mutate(buf, &n, &rng);
			one(buf, n);
		}
	}
	closedir(d);
	return seeds;
}

#endif
