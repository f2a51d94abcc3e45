# SPDX-License-Identifier: Apache-2.0
# System-test helpers built beside the tests: add them to SYSTEM_EXTRA.

# test_seccomp's LD_PRELOAD shim: a vCPU makes a forbidden call on demand.
SECCOMP_SHIM := $(BUILD)/tests/system/seccomp_shim.so
$(SECCOMP_SHIM): tests/system/seccomp_shim.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -fPIC -shared -o $@ $< -ldl
SYSTEM_EXTRA += $(SECCOMP_SHIM)
