// SPDX-License-Identifier: Apache-2.0
/*
 * The libFuzzer harnesses (tests/fuzz/) on their committed seeds and
 * 20,000 fixed mutations of each (corpus_replay.h), so that make test runs
 * them in every build without clang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

/* Each harness's entry point under a name of its own. */
int fuzz_virtq_one(const uint8_t *data, size_t size);
int fuzz_blk_req_one(const uint8_t *data, size_t size);

#define LLVMFuzzerTestOneInput fuzz_virtq_one
#include "../fuzz/fuzz_virtq.c"
#undef LLVMFuzzerTestOneInput
#undef HDR_BYTES
#define LLVMFuzzerTestOneInput fuzz_blk_req_one
#include "../fuzz/fuzz_virtio_blk_req.c"
#undef LLVMFuzzerTestOneInput
#include "corpus_replay.h"

#define MUTATIONS 20000

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

static void test_virtq_corpus(void **state)
{
	(void)state;
	replay("tests/fuzz/corpus/fuzz_virtq", fuzz_virtq_one);
}

static void test_virtio_blk_req_corpus(void **state)
{
	(void)state;
	replay("tests/fuzz/corpus/fuzz_virtio_blk_req", fuzz_blk_req_one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtq_corpus),
		cmocka_unit_test(test_virtio_blk_req_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
