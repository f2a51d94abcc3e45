# make bench: vessel against qemu-system-x86 (q35, microvm) on the probe
# guest; see tests/bench/bench.c (boot, S5, memory), tests/bench/stop.c
# (power button, power cut), tests/bench/wdt.c (watchdog expiry),
# tests/bench/doorbell.c (shared-memory doorbells; its QEMU side runs on
# tests/bench/ivshmem_server.c), tests/bench/density.c (vesseld with 20
# and 50 guests, its restart overhead) and tests/bench/blk.c (virtio-blk
# requests/s and MB/s) for what is measured and how. Included by
# the top Makefile, which provides BUILD, CC, CFLAGS, Q, say and the rules
# for $(BUILD)/vessel and $(BUILD)/libvessel.a; guest/probe/probe.mk
# provides $(PROBE).
# Environment: BENCH_RUNS (default 10), BENCH_MEM_RUNS (3),
# BENCH_TIMEOUT (seconds per run, 30), BENCH_DOORBELL_ROUNDS (10000),
# BENCH_ONLY=doorbell, density or blk (that part alone), QEMU
# (qemu-system-x86_64), BENCH_DENSITY (guests per size, 20,50),
# BENCH_DENSITY_RUNS (3), BENCH_IDLE (seconds idle, 3), BENCH_RESTARTS (50),
# BENCH_BLK_RUNS (runs per virtio-blk figure, 3), BENCH_BLK_COUNT (4 KiB
# requests per run, 2000), BENCH_BLK_DIR (where the image goes, /var/tmp).

PROBE ?= $(BUILD)/probe.elf
BENCH_BIN := $(BUILD)/tests/bench/bench
BENCH_SRCS := tests/bench/bench.c tests/bench/stop.c tests/bench/wdt.c \
	tests/bench/doorbell.c tests/bench/ivshmem_server.c \
	tests/bench/density.c tests/bench/blk.c
BENCH_HDRS := tests/bench/bench.h tests/bench/ivshmem_server.h src/shm/shm.h

$(BENCH_BIN): $(BENCH_SRCS) $(BENCH_HDRS) tests/bench/bench.mk \
		$(BUILD)/libvessel.a
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(LDFLAGS) -o $@ \
		$(BENCH_SRCS) $(BUILD)/libvessel.a -ljson-c -lpthread -lm

.PHONY: bench
bench: $(BUILD)/vessel $(BUILD)/vesseld $(BUILD)/vesselctl $(PROBE) \
		$(BENCH_BIN)
	$(Q)VESSEL=$(BUILD)/vessel VESSELD=$(BUILD)/vesseld \
		VESSELCTL=$(BUILD)/vesselctl PROBE=$(PROBE) $(BENCH_BIN)
