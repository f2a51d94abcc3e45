// SPDX-License-Identifier: Apache-2.0
/* CPUID as each vCPU sees it: hypervisor bit, APIC ID, topology. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/vmm/boot/cpuid.h"

static struct kvm_cpuid2 *fake_supported(void)
{
	static const struct kvm_cpuid_entry2 host[] = {
		{ .function = 1,
		  .eax = 0x00a00f11,
		  .ebx = 0x00000800,
		  .ecx = 0x7ed8320b,
		  .edx = 0x178bfbff },
		{ .function = 4, .index = 0, .eax = 0x00000121 },
		{ .function = 0xb, .index = 0 },
		{ .function = 0xb, .index = 1 },
		{ .function = 0xb, .index = 2 },
		{ .function = 0x80000008, .eax = 0x3030, .ecx = 0x7f },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + sizeof(host));

	c->nent = ARRAY_SIZE(host);
	memcpy(c->entries, host, sizeof(host));
	return c;
}

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, u32 fn, u32 idx)
{
	u32 i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	fail();
	return NULL;
}

static void test_leaf1(void **state)
{
	struct kvm_cpuid2 *c = fake_supported();

	(void)state;
	cpuid_setup(c, 3, 4);
	assert_true(leaf(c, 1, 0)->ecx & CPUID_HYPERVISOR_BIT);
	assert_int_equal(leaf(c, 1, 0)->ebx >> 24, 3);
	assert_int_equal((leaf(c, 1, 0)->ebx >> 16) & 0xff, 4);
	assert_true(leaf(c, 1, 0)->edx & (1u << 28));
	/* Brand/CLFLUSH bits of EBX[15:0] are kept. */
	assert_int_equal(leaf(c, 1, 0)->ebx & 0xffff, 0x0800);
	free(c);
}

static void test_topology(void **state)
{
	struct kvm_cpuid2 *c = fake_supported();

	(void)state;
	cpuid_setup(c, 5, 6);
	assert_int_equal(leaf(c, 0xb, 0)->ebx, 1);
	assert_int_equal((leaf(c, 0xb, 0)->ecx >> 8) & 0xff, 1);
	assert_int_equal(leaf(c, 0xb, 1)->ebx, 6);
	assert_int_equal(leaf(c, 0xb, 1)->eax, 3); /* 6 CPUs need 3 bits */
	assert_int_equal((leaf(c, 0xb, 1)->ecx >> 8) & 0xff, 2);
	assert_int_equal(leaf(c, 0xb, 1)->edx, 5);
	assert_int_equal(leaf(c, 0xb, 2)->ebx, 0);
	assert_int_equal(leaf(c, 4, 0)->eax >> 26, 5);
	assert_int_equal(leaf(c, 0x80000008, 0)->ecx & 0xff, 5);
	free(c);
}

static void test_single_cpu(void **state)
{
	struct kvm_cpuid2 *c = fake_supported();

	(void)state;
	cpuid_setup(c, 0, 1);
	assert_int_equal(leaf(c, 0xb, 1)->ebx, 1);
	assert_int_equal(leaf(c, 0xb, 1)->eax, 0);
	assert_int_equal(leaf(c, 4, 0)->eax >> 26, 0);
	assert_false(leaf(c, 1, 0)->edx & (1u << 28) &&
		     ((leaf(c, 1, 0)->ebx >> 16) & 0xff) != 1);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_single_cpu),
	};

	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
