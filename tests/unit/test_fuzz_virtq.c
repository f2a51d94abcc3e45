// SPDX-License-Identifier: Apache-2.0
/*
 * The virtqueue libFuzzer harness (tests/fuzz/fuzz_virtq.c) on its
 * committed seeds and 20000 fixed mutations of each (corpus_replay.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define LLVMFuzzerTestOneInput fuzz_virtq_one
#include "../fuzz/fuzz_virtq.c"
#include "corpus_replay.h"

#define MUTATIONS 20000

static int calls;

static int counted(const uint8_t *data, size_t size)
{
	calls++;
	return fuzz_virtq_one(data, size);
}

static void test_corpus(void **state)
{
	int seeds;

	(void)state;
	seeds = corpus_replay("tests/fuzz/corpus/fuzz_virtq", counted,
			      MUTATIONS);
	assert_true(seeds > 0);
	assert_int_equal(calls, seeds * (MUTATIONS + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
