// SPDX-License-Identifier: Apache-2.0
/*
 * The libFuzzer harnesses (tests/fuzz/) on their committed seeds and
 * fixed mutations of each (corpus_replay.h), so that make test runs
 * them in every build without clang. tests/fuzz/fuzz.mk compiles each
 * harness with gcc under the name fuzz_NAME_one and links them here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "corpus_replay.h"

/*
 * Each harness's entry point under a name of its own, and how many
 * mutations of each seed it gets: 20,000, fewer where one input opens
 * sockets, builds a whole machine, a kernel's RAM or a shared region, so
 * that the test takes seconds.
 */
#define HARNESSES(X)             \
	X(virtq, 20000)          \
	X(virtio_blk_req, 20000) \
	X(conf, 20000)           \
	X(control, 5000)         \
	X(devices, 1000)         \
	X(loader, 500)           \
	X(lifecycle, 500)

#define DECLARE(name, n) \
	int fuzz_##name##_one(const uint8_t *data, size_t size);
HARNESSES(DECLARE)

static replay_fn harness;
static int calls;

static int counted(const uint8_t *data, size_t size)
{
	calls++;
	return harness(data, size);
}

static void replay(const char *dir, replay_fn one, int mutations)
{
	int seeds;

	harness = one;
	calls = 0;
	seeds = corpus_replay(dir, counted, mutations);
	assert_true(seeds > 0);
	assert_int_equal(calls, seeds * (mutations + 1));
}

#define TEST(name, n)                                                          \
	static void test_##name##_corpus(void **state)                         \
	{                                                                      \
		(void)state;                                                   \
		replay("tests/fuzz/corpus/fuzz_" #name, fuzz_##name##_one, n); \
	}
HARNESSES(TEST)

#define ENTRY(name, n) cmocka_unit_test(test_##name##_corpus),

int main(void)
{
	const struct CMUnitTest tests[] = { HARNESSES(ENTRY) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
