/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_FUZZ_H
#define VESSEL_FUZZ_H

/*
 * What every libFuzzer harness (tests/fuzz/fuzz_*.c) shares: the entry
 * point, a check that aborts (libFuzzer reports it as a crash, the unit
 * test's replay as a failure) and an input cursor.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/common/types.h"

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, read front to back; bytes past its end read as zero. */
struct fuzz_in {
	const u8 *p;
	size_t left;
};

static inline u64 fuzz_take(struct fuzz_in *in, unsigned bytes)
{
	u64 v = 0;
	unsigned i;

	for (i = 0; i < bytes && in->left; i++, in->left--)
		v |= (u64)*in->p++ << (8 * i);
	return v;
}

#endif
