# make test-linux, make demo-linux: vessel boots Debian's stock kernel
# (tests/linux/test_linux.c). Included by the top Makefile, which provides
# the rule for $(BUILD)/vessel-static. Alone, with another vessel:
#   make -f tests/linux/linux.mk VESSEL=build/linux/kvmcheck test-linux
# Needs: busybox-static cpio libcmocka-dev, and qemu-system-x86 where
# /dev/kvm has no VT-x/AMD-V behind it (the nested harness); xz-utils is
# optional (the generic kernel's vmlinux, ~2 s quicker per boot nested).

BUILD ?= build
LINUX_OUT := $(BUILD)/linux
ifneq ($(filter command line environment,$(origin VESSEL)),)
LINUX_VESSEL := $(VESSEL)
else
LINUX_VESSEL := $(BUILD)/vessel-static
endif
LINUX_CFLAGS := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wundef \
	-Wwrite-strings
LINUX_BINS := $(LINUX_OUT)/init $(LINUX_OUT)/kvmcheck $(LINUX_OUT)/test_linux
LINUX_RUN = VESSEL_STATIC=$(LINUX_VESSEL) VESSEL_LINUX_VERBOSE=$(if $(filter 1,$(V)),1,0) \
	$(LINUX_OUT)/test_linux
ifeq ($(V),1)
LINUX_Q :=
else
LINUX_Q := @
endif
LINUX_CC = @mkdir -p $(@D); printf '  %-7s %s\n' CC $@; \
	$(if $(LINUX_Q),,set -x;) $(CC) $(LINUX_CFLAGS)

# The guest's /init and the preflight run in VMs without libraries.
$(LINUX_OUT)/init: guest/linux/init.c
	$(LINUX_CC) -static -Os -o $@ $<

$(LINUX_OUT)/kvmcheck: tests/linux/kvmcheck.c
	$(LINUX_CC) -static -Os -o $@ $<

$(LINUX_OUT)/test_linux: tests/linux/test_linux.c src/common/exitcode.c \
		src/common/exitcode.h
	$(LINUX_CC) -O2 -Isrc/common -DBUILD='"$(LINUX_OUT)"' -o $@ \
		tests/linux/test_linux.c src/common/exitcode.c -lcmocka

test-linux: $(LINUX_VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN)

demo-linux: $(LINUX_VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN) --demo

.PHONY: test-linux demo-linux
