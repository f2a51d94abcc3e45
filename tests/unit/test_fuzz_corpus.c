// SPDX-License-Identifier: Apache-2.0
/*
 * The libFuzzer harnesses (tests/fuzz/) on their committed seeds and
 * 20,000 fixed mutations of each (corpus_replay.h), so that make test runs
 * them in every build without clang. tests/fuzz/fuzz.mk compiles each
 * harness with gcc under the name fuzz_NAME_one and links them here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "corpus_replay.h"

#define MUTATIONS 20000

/* Each harness's entry point under a name of its own. */
#define HARNESSES(X)      \
	X(virtq)          \
	X(virtio_blk_req) \
	X(conf)           \
	X(control)

#define DECLARE(name) int fuzz_##name##_one(const uint8_t *data, size_t size);
HARNESSES(DECLARE)

static replay_fn harness;
static int calls;

static int counted(const uint8_t *data, size_t size)
{
	calls++;
	return harness(data, size);
}

static void replay(const char *dir, replay_fn one)
{
	int seeds;

	harness = one;
	calls = 0;
	seeds = corpus_replay(dir, counted, MUTATIONS);
	assert_true(seeds > 0);
	assert_int_equal(calls, seeds * (MUTATIONS + 1));
}

#define TEST(name)                                                          \
	static void test_##name##_corpus(void **state)                      \
	{                                                                   \
		(void)state;                                                \
		replay("tests/fuzz/corpus/fuzz_" #name, fuzz_##name##_one); \
	}
HARNESSES(TEST)

#define ENTRY(name) cmocka_unit_test(test_##name##_corpus),

int main(void)
{
	const struct CMUnitTest tests[] = { HARNESSES(ENTRY) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
