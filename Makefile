# vessel — plain Makefile. `make V=1` shows the commands.
# SPDX-License-Identifier: Apache-2.0

BUILD ?= build
CC ?= gcc
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

WARNINGS := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
	    -Wformat=2 -Wundef -Wwrite-strings -Wno-format-nonliteral
CFLAGS ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE $(WARNINGS) -MMD -MP \
	  -DVESSEL_VERSION='"$(VERSION)"'
LDLIBS := -ljson-c -lpthread
# vessel's own: the seccomp allowlists (src/vmm/sandbox.c).
VMM_LDLIBS := -lseccomp

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

COMMON_SRCS := $(wildcard src/common/*.c)
VMM_SRCS := $(wildcard src/vmm/*.c src/vmm/boot/*.c src/vmm/boot/acpi/*.c \
			src/vmm/dev/*.c)
# Shared-memory regions: in vessel, vesselctl and libvessel.a for host programs.
SHM_SRCS := $(wildcard src/shm/*.c)
SHM_OBJS := $(SHM_SRCS:%.c=$(BUILD)/%.o)
# Everything but the program's entry and the real device environment is a
# library, so unit tests link exactly the modules they use plus fake_env.
LIB_SRCS := $(COMMON_SRCS) $(SHM_SRCS) \
	    $(filter-out src/vmm/main.c src/vmm/env.c,$(VMM_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
VMM_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o) $(VMM_SRCS:%.c=$(BUILD)/%.o) \
	    $(SHM_OBJS)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
SYSTEM_SRCS := $(wildcard tests/system/test_*.c)
SYSTEM_BINS := $(SYSTEM_SRCS:%.c=$(BUILD)/%)
TESTLIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/lib/*.c))

.PHONY: all deps demo test test-all test-unit test-system bench \
	check-headers format-check clean
all: $(BUILD)/vessel $(BUILD)/vesselctl $(BUILD)/vesseld $(BUILD)/libvessel.a

$(BUILD)/%.o: %.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/vessel: $(VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LDLIBS) $(LDLIBS)

# Statically linked, for the nested harness's outer VM.
$(BUILD)/vessel-static: $(VMM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -static -o $@ $^ $(VMM_LDLIBS) $(LDLIBS)

CTL_SRCS := $(wildcard src/ctl/*.c)
$(BUILD)/vesselctl: $(CTL_SRCS:%.c=$(BUILD)/%.o) $(COMMON_SRCS:%.c=$(BUILD)/%.o) \
		$(SHM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libvmm.a: $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The host programs' library: src/shm/shm.h and nothing but the shm code.
$(BUILD)/libvessel.a: $(SHM_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o \
		$(BUILD)/tests/unit/fake_env.o $(BUILD)/libvmm.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(VMM_LDLIBS) $(LDLIBS)

# vesseld's pure modules (config, order, back-off, policy) as a library the
# unit tests link; the daemon's main.c, when it comes, stays out of it.
VESSELD_SRCS := $(filter-out src/vesseld/main.c,$(wildcard src/vesseld/*.c))
$(BUILD)/libvesseld.a: $(VESSELD_SRCS:%.c=$(BUILD)/%.o)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The daemon: its main.c and the library above; vessel's state file
# reader (src/vmm/statefile.c) for re-adoption.
$(BUILD)/vesseld: $(BUILD)/src/vesseld/main.o $(BUILD)/libvesseld.a \
		$(BUILD)/src/vmm/statefile.o \
		$(COMMON_SRCS:%.c=$(BUILD)/%.o) $(SHM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The shorter stem wins over test_%: these link vesseld's library first.
$(BUILD)/tests/unit/test_vesseld_%: $(BUILD)/tests/unit/test_vesseld_%.o \
		$(BUILD)/libvesseld.a $(BUILD)/libvmm.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(VMM_LDLIBS) $(LDLIBS)

$(BUILD)/tests/system/test_%: $(BUILD)/tests/system/test_%.o \
		$(TESTLIB_OBJS) $(BUILD)/libvmm.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(VMM_LDLIBS) $(LDLIBS)

$(BUILD)/tests/runner: $(BUILD)/tests/runner.o
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^


include guest/probe/probe.mk
include guest/tools/tools.mk
-include tests/linux/linux.mk
-include tests/bench/bench.mk
# Extra prerequisites of the system tests (helper programs, preload shims).
SYSTEM_EXTRA :=
-include tests/system/system.mk

# Build dependencies from Debian, installed when missing (root only).
deps:
	$(Q)scripts/deps

# `make test` and `make demo` first install what is missing, then build
# with the tools in place (a second make, so nothing is built before).
test: deps
	$(Q)$(MAKE) --no-print-directory test-all

demo: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/vessel $(PROBE)
	$(Q)VESSEL=$(BUILD)/vessel PROBE=$(PROBE) scripts/demo

# The Linux tests (tests/linux/linux.mk) run inside the same runner, so the
# run ends with one summary line.
TEST_BINS := $(UNIT_BINS) $(SYSTEM_BINS) $(LINUX_OUT)/test_linux
test-all: $(TEST_BINS) $(BUILD)/vessel $(BUILD)/vesselctl $(BUILD)/vesseld \
		$(PROBE) $(BUILD)/tests/runner \
		$(LINUX_BINS) $(LINUX_VESSEL) $(SYSTEM_EXTRA) san-build \
		check-headers format-check
	$(Q)VESSEL=$(BUILD)/vessel VESSELCTL=$(BUILD)/vesselctl \
		VESSELD=$(BUILD)/vesseld PROBE=$(PROBE) $(SAN_ENV) \
		$(BUILD)/tests/runner $(UNIT_BINS) $(SAN_UNIT_BINS) \
		$(SYSTEM_BINS) $(LINUX_OUT)/test_linux \
		$(SAN_SYSTEM_ENV) $(SAN_SYSTEM_BINS)

# The unit tests again under ASan and UBSan, in a build tree of their own
# (a sub-make: the same rules, other flags); `make test` runs both sets.
SAN_BUILD := $(BUILD)/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_UNIT_BINS := $(UNIT_SRCS:%.c=$(SAN_BUILD)/%)
SAN_ENV := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The system tests whose input reaches vessel's parsers and device models
# (hostile guests, malformed rings, images, requests) also run against a
# sanitized vessel; leak checks off there (LeakSanitizer's ptrace is no call
# a thread's allowlist has, and vessel's exit frees by ending).
SAN_SYSTEM_BINS := $(addprefix $(BUILD)/tests/system/, \
	test_hostile test_blk test_badinput test_badinput_sock test_shmem)
SAN_SYSTEM_ENV := --setenv=VESSEL=$(SAN_BUILD)/vessel \
	--setenv=ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
.PHONY: san-build test-unit-san test-system-san
san-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) \
		CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
		$(SAN_UNIT_BINS) $(SAN_BUILD)/vessel

test-unit-san: san-build $(BUILD)/tests/runner
	$(Q)$(SAN_ENV) $(BUILD)/tests/runner $(SAN_UNIT_BINS)

test-system-san: san-build $(SAN_SYSTEM_BINS) $(BUILD)/vesselctl \
		$(BUILD)/vesseld $(PROBE) $(BUILD)/tests/runner $(SYSTEM_EXTRA)
	$(Q)VESSELCTL=$(BUILD)/vesselctl VESSELD=$(BUILD)/vesseld \
		PROBE=$(PROBE) $(SAN_ENV) $(BUILD)/tests/runner \
		$(SAN_SYSTEM_ENV) $(SAN_SYSTEM_BINS)

test-unit: $(UNIT_BINS) $(BUILD)/tests/runner
	$(Q)$(BUILD)/tests/runner $(UNIT_BINS)

test-system: $(SYSTEM_BINS) $(BUILD)/vessel $(BUILD)/vesselctl \
		$(BUILD)/vesseld $(PROBE) $(BUILD)/tests/runner $(SYSTEM_EXTRA)
	$(Q)VESSEL=$(BUILD)/vessel VESSELCTL=$(BUILD)/vesselctl \
		VESSELD=$(BUILD)/vesseld PROBE=$(PROBE) \
		$(BUILD)/tests/runner $(SYSTEM_BINS)

include tests/fuzz/fuzz.mk
# Man pages from scdoc sources, make install/uninstall, Debian packages.
-include docs/man/man.mk
-include dist/install.mk
-include debian/deb.mk

# Every header compiles on its own [jailhouse scripts/header_check].
check-headers:
	$(Q)for h in $$(find src -name '*.h'); do \
		echo "#include \"$$h\"" | $(CC) $(filter-out -MMD -MP,$(CFLAGS)) -I. -fsyntax-only \
			-x c - || { echo "check-headers: $$h"; exit 1; }; \
	done

# The code follows .clang-format (the Linux kernel's style).
format-check:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD)

# Keep objects make would treat as intermediate.
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
