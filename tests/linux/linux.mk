# make test-linux, make demo-linux: vessel boots Debian's stock kernel
# (tests/linux/test_linux.c). Included by the top Makefile, which provides
# $(VESSEL)'s rule; alone: make -f tests/linux/linux.mk VESSEL=... test-linux
# Needs: qemu-system-x86 (nested mode), busybox-static, cpio, libcmocka-dev.

VESSEL ?= build/vessel-static
LINUX_OUT := build/linux
LINUX_CFLAGS := -std=c17 -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -Wundef -Wwrite-strings
LINUX_Q := $(if $(filter 1,$(V)),,@)
LINUX_BINS := $(LINUX_OUT)/init $(LINUX_OUT)/kvmcheck $(LINUX_OUT)/test_linux
LINUX_RUN = VESSEL=$(VESSEL) VESSEL_LINUX_VERBOSE=$(if $(filter 1,$(V)),1,0) \
	$(LINUX_OUT)/test_linux

# The guest's /init and the preflight run in VMs without libraries.
$(LINUX_OUT)/init: guest/linux/init.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(LINUX_Q)$(CC) $(LINUX_CFLAGS) -static -Os -o $@ $<

$(LINUX_OUT)/kvmcheck: tests/linux/kvmcheck.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(LINUX_Q)$(CC) $(LINUX_CFLAGS) -static -Os -o $@ $<

$(LINUX_OUT)/test_linux: tests/linux/test_linux.c src/common/exitcode.c \
		src/common/exitcode.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(LINUX_Q)$(CC) $(LINUX_CFLAGS) -O2 -Isrc/common -o $@ \
		tests/linux/test_linux.c src/common/exitcode.c -lcmocka

test-linux: $(VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN)

demo-linux: $(VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN) --demo

.PHONY: test-linux demo-linux
