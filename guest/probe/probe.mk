# The probe guest: guest/probe/*.{c,S} -> $(BUILD)/probe.elf (PVH ELF).
#
# Included by the top-level Makefile, or standalone from the repository
# root:  make -f guest/probe/probe.mk [BUILD=build] [V=1]
# Every variable is PROBE_-prefixed; host CFLAGS never reach the guest.

BUILD ?= build

PROBE_MK := $(lastword $(MAKEFILE_LIST))
ifeq ($(PROBE_MK),$(firstword $(MAKEFILE_LIST)))
PROBE_STANDALONE := 1
endif
PROBE_SAVED_GOAL := $(.DEFAULT_GOAL)

PROBE_DIR := guest/probe
PROBE_OBJDIR := $(BUILD)/guest/probe
PROBE := $(BUILD)/probe.elf

PROBE_CC ?= gcc
PROBE_CFLAGS := -std=gnu17 -ffreestanding -nostdlib -fno-pic -fno-pie \
	-mcmodel=small -mgeneral-regs-only -mno-red-zone \
	-fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -fno-delete-null-pointer-checks \
	-O2 -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -Wundef -Wwrite-strings -MMD -MP
PROBE_ASFLAGS := -D__ASSEMBLER__ -Wa,--fatal-warnings
PROBE_LDFLAGS := -static -nostdlib -no-pie -Wl,-T,$(PROBE_DIR)/probe.ld \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none \
	-Wl,--fatal-warnings

PROBE_C_SRCS := $(sort $(wildcard $(PROBE_DIR)/*.c))
PROBE_S_SRCS := $(sort $(wildcard $(PROBE_DIR)/*.S))
PROBE_C_OBJS := $(PROBE_C_SRCS:$(PROBE_DIR)/%.c=$(PROBE_OBJDIR)/%.o)
PROBE_S_OBJS := $(PROBE_S_SRCS:$(PROBE_DIR)/%.S=$(PROBE_OBJDIR)/%.o)
PROBE_OBJS := $(PROBE_S_OBJS) $(PROBE_C_OBJS)

ifeq ($(V),1)
PROBE_Q :=
PROBE_SAY := @true
else
PROBE_Q := @
PROBE_SAY := @printf '  %-7s %s\n'
endif

.PHONY: probe probe-clean probe-format

probe: $(PROBE)

$(PROBE): $(PROBE_OBJS) $(PROBE_DIR)/probe.ld $(PROBE_MK)
	$(PROBE_SAY) LD $@
	$(PROBE_Q)$(PROBE_CC) $(PROBE_LDFLAGS) -o $@ $(PROBE_OBJS)

# Static pattern rules: explicit, so an includer's $(BUILD)/%.o rule for
# host code never builds a guest object.
$(PROBE_C_OBJS): $(PROBE_OBJDIR)/%.o: $(PROBE_DIR)/%.c $(PROBE_MK) | $(PROBE_OBJDIR)
	$(PROBE_SAY) CC $@
	$(PROBE_Q)$(PROBE_CC) $(PROBE_CFLAGS) -c -o $@ $<

$(PROBE_S_OBJS): $(PROBE_OBJDIR)/%.o: $(PROBE_DIR)/%.S $(PROBE_MK) | $(PROBE_OBJDIR)
	$(PROBE_SAY) AS $@
	$(PROBE_Q)$(PROBE_CC) $(PROBE_CFLAGS) $(PROBE_ASFLAGS) -c -o $@ $<

$(PROBE_OBJDIR):
	$(PROBE_Q)mkdir -p $@

probe-clean:
	rm -rf $(PROBE_OBJDIR) $(PROBE)

# clang-format check of the probe's C sources (.clang-format at the root).
probe-format:
	clang-format --dry-run --Werror $(PROBE_C_SRCS) $(wildcard $(PROBE_DIR)/*.h)

-include $(PROBE_OBJS:.o=.d)

# Standalone, build the probe by default; included, leave the includer's
# default goal alone.
ifdef PROBE_STANDALONE
.DEFAULT_GOAL := $(PROBE)
else
.DEFAULT_GOAL := $(PROBE_SAVED_GOAL)
endif
