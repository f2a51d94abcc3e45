# make test-linux, make demo-linux: vessel boots Debian's stock kernel
# (tests/linux/test_linux.c). Included by the top Makefile, which provides
# the rules for $(BUILD)/vessel-static, $(BUILD)/vessel-guest (the guest's
# lifecycle helper, guest/tools/tools.mk) and the objects of vesselctl,
# which is linked statically here for the outer VM. Alone, with programs
# built elsewhere:
#   make -f tests/linux/linux.mk VESSEL=build/linux/kvmcheck \
#	VESSEL_GUEST=build/vessel-guest VESSELCTL_STATIC=... \
#	VESSELD_STATIC=... test-linux
# Needs: busybox-static cpio libcmocka-dev e2fsprogs, and qemu-system-x86 where
# /dev/kvm has no VT-x/AMD-V behind it (the nested harness); xz-utils is
# optional (the generic kernel's vmlinux, ~2 s quicker per boot nested).

BUILD ?= build
LINUX_OUT := $(BUILD)/linux
ifneq ($(filter command line environment,$(origin VESSEL)),)
LINUX_VESSEL := $(VESSEL)
else
LINUX_VESSEL := $(BUILD)/vessel-static
endif
ifneq ($(filter command line environment,$(origin VESSEL_GUEST)),)
LINUX_VESSEL_GUEST := $(VESSEL_GUEST)
else
LINUX_VESSEL_GUEST := $(BUILD)/vessel-guest
endif
ifneq ($(filter command line environment,$(origin VESSELCTL_STATIC)),)
LINUX_VESSELCTL := $(VESSELCTL_STATIC)
else
LINUX_VESSELCTL := $(LINUX_OUT)/vesselctl
endif
ifneq ($(filter command line environment,$(origin VESSELD_STATIC)),)
LINUX_VESSELD := $(VESSELD_STATIC)
else
LINUX_VESSELD := $(LINUX_OUT)/vesseld
endif
LINUX_CFLAGS := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wundef \
	-Wwrite-strings
LINUX_BINS := $(LINUX_OUT)/init $(LINUX_OUT)/kvmcheck $(LINUX_OUT)/test_linux \
	$(LINUX_VESSEL_GUEST) $(LINUX_VESSELCTL) $(LINUX_VESSELD)
LINUX_RUN = VESSEL_STATIC=$(LINUX_VESSEL) VESSEL_GUEST=$(LINUX_VESSEL_GUEST) \
	VESSELCTL_STATIC=$(LINUX_VESSELCTL) VESSELD_STATIC=$(LINUX_VESSELD) \
	VESSEL_LINUX_VERBOSE=$(if $(filter 1,$(V)),1,0) $(LINUX_OUT)/test_linux
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

# vesselctl for the outer VM, which has no libraries (the lifecycle rows
# ask the guest through it): the objects of the top Makefile's vesselctl.
$(LINUX_OUT)/vesselctl: $(CTL_SRCS:%.c=$(BUILD)/%.o) \
		$(COMMON_SRCS:%.c=$(BUILD)/%.o) $(SHM_OBJS)
	@mkdir -p $(@D); printf '  %-7s %s\n' LD $@
	$(LINUX_Q)$(CC) -static -o $@ $^ -ljson-c -lpthread

# vesseld for the outer VM (the vesseld rows), linked as the top
# Makefile's vesseld.
$(LINUX_OUT)/vesseld: $(BUILD)/src/vesseld/main.o $(BUILD)/libvesseld.a \
		$(BUILD)/src/vmm/statefile.o \
		$(COMMON_SRCS:%.c=$(BUILD)/%.o) $(SHM_OBJS)
	@mkdir -p $(@D); printf '  %-7s %s\n' LD $@
	$(LINUX_Q)$(CC) -static -o $@ $^ -ljson-c -lpthread

$(LINUX_OUT)/test_linux: tests/linux/test_linux.c src/common/exitcode.c \
		src/common/exitcode.h
	$(LINUX_CC) -O2 -Isrc/common -DBUILD='"$(LINUX_OUT)"' -o $@ \
		tests/linux/test_linux.c src/common/exitcode.c -lcmocka

test-linux: $(LINUX_VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN)

demo-linux: $(LINUX_VESSEL) $(LINUX_BINS)
	$(LINUX_Q)$(LINUX_RUN) --demo

.PHONY: test-linux demo-linux
