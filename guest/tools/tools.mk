# vessel-guest: the static helper a Linux guest runs (docs/lifecycle.md).
# Included by the top-level Makefile. Built with its own flags, as the
# probe is: command-line CFLAGS (a sanitizer) must not reach a -static
# link of a program that runs inside the guest.

VG := $(BUILD)/vessel-guest
VG_OBJDIR := $(BUILD)/guest/tools
VG_C_SRCS := $(sort $(wildcard guest/tools/*.c))
VG_C_OBJS := $(VG_C_SRCS:guest/tools/%.c=$(VG_OBJDIR)/%.o)
VG_LIFECYCLE_OBJ := $(VG_OBJDIR)/lifecycle.o
# What the unit test links beside its own object (everything but main).
VG_LIB_OBJS := $(filter-out $(VG_OBJDIR)/vessel-guest.o,$(VG_C_OBJS))
VG_CFLAGS := -std=c17 -D_GNU_SOURCE -O2 $(WARNINGS) -MMD -MP

all: $(VG)

$(VG): $(VG_C_OBJS) $(VG_LIFECYCLE_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) -static -o $@ $^

$(VG_C_OBJS): $(VG_OBJDIR)/%.o: guest/tools/%.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(VG_CFLAGS) -c -o $@ $<

$(VG_LIFECYCLE_OBJ): src/common/lifecycle.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(VG_CFLAGS) -c -o $@ $<

# The unit test runs the real binary on a fake sysfs tree, and calls the
# parsers directly.
$(BUILD)/tests/unit/test_vessel_guest: $(VG_LIB_OBJS) | $(VG)
$(BUILD)/tests/unit/test_vessel_guest.o: \
	override CFLAGS += -DVESSEL_GUEST_BIN='"$(abspath $(VG))"'
