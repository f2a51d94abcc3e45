# SPDX-License-Identifier: Apache-2.0
# libFuzzer harnesses over the guest-facing parsers (tests/fuzz/), built
# with clang under ASan and UBSan from the pure sources they test. Each runs
# FUZZ_SECONDS on a scratch copy of its committed seeds (never into them); a
# crash or a broken check fails the make, the input left in $(BUILD)/fuzz/.
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
FUZZ_SRCS := src/vmm/dev/virtq.c src/vmm/dev/virtio_blk_req.c src/vmm/gmem.c
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
.PHONY: fuzz fuzz-run fuzz-corpus
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-run

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h \
		$(FUZZ_SRCS) $(wildcard src/vmm/dev/virt*.h)
	$(call say,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -std=c17 -D_GNU_SOURCE $(WARNINGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_SRCS)

fuzz-run: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
	$(Q)for f in $(FUZZ_NAMES); do \
		dir=$(BUILD)/fuzz/$$f.corpus; log=$(BUILD)/fuzz/$$f.log; \
		rm -rf $$dir && mkdir -p $$dir && \
		cp tests/fuzz/corpus/$$f/* $$dir/ || exit 1; \
		printf '  %-7s %s\n' FUZZ "$$f, $(FUZZ_SECONDS) s"; \
		if ! $(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$f- $$dir >$$log 2>&1; \
		then \
			tail -n 40 $$log; \
			echo "fuzz: $$f failed; input in $(BUILD)/fuzz/$$f-*"; \
			exit 1; \
		fi; \
		grep -E '^#[0-9]+.*DONE|average_exec_per_sec' $$log; \
	done

# Rewrite the committed seeds from tests/fuzz/gen_corpus.c.
fuzz-corpus: $(BUILD)/fuzz/gen_corpus
	$(Q)$(BUILD)/fuzz/gen_corpus tests/fuzz/corpus

$(BUILD)/fuzz/gen_corpus: tests/fuzz/gen_corpus.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $<
