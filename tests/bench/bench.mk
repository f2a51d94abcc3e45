# make bench: vessel against qemu-system-x86 (q35, microvm) on the probe
# guest; see tests/bench/bench.c (boot, S5, memory), tests/bench/stop.c
# (power button, power cut) and tests/bench/wdt.c (watchdog expiry) for
# what is measured and how. Included by the top Makefile, which provides
# BUILD, CC, CFLAGS, Q, say and the rule for $(BUILD)/vessel;
# guest/probe/probe.mk provides $(PROBE).
# Environment: BENCH_RUNS (default 10), BENCH_MEM_RUNS (3),
# BENCH_TIMEOUT (seconds per run, 30), QEMU (qemu-system-x86_64).

PROBE ?= $(BUILD)/probe.elf
BENCH_BIN := $(BUILD)/tests/bench/bench
BENCH_SRCS := tests/bench/bench.c tests/bench/stop.c tests/bench/wdt.c

$(BENCH_BIN): $(BENCH_SRCS) tests/bench/bench.h tests/bench/bench.mk
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(LDFLAGS) -o $@ \
		$(BENCH_SRCS) -ljson-c -lm

.PHONY: bench
bench: $(BUILD)/vessel $(PROBE) $(BENCH_BIN)
	$(Q)VESSEL=$(BUILD)/vessel PROBE=$(PROBE) $(BENCH_BIN)
