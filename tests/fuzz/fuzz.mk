# SPDX-License-Identifier: Apache-2.0
# libFuzzer harnesses over everything a guest, a file or a client feeds
# vessel (tests/fuzz/fuzz_*.c), built with clang under ASan and UBSan. The
# sources they drive come from a clang copy of the unit tests' library
# (libvmm's modules, vesseld's and tests/unit/fake_env.c, instrumented
# for coverage); a harness links only the modules it reaches. Each runs
# FUZZ_SECONDS on a scratch copy of its committed seeds (never into
# them); a crash or a broken check fails the make, the input left in
# $(BUILD)/fuzz/.
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# clang, unlike gcc, warns of { NULL } table ends.
# FUZZ_EXTRA: more flags, e.g. for a coverage build (docs/testing.md).
FUZZ_EXTRA ?=
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARNINGS) -Wno-missing-field-initializers \
	-g -O1 $(FUZZ_SAN) $(FUZZ_EXTRA)
# FUZZ_SKIP: sources to leave out (one that does not build yet).
FUZZ_SKIP ?=
FUZZ_LIB_SRCS := $(filter-out $(FUZZ_SKIP),$(LIB_SRCS) $(VESSELD_SRCS) \
		   tests/unit/fake_env.c)
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
.PHONY: fuzz fuzz-build fuzz-run fuzz-corpus
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-run

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/obj/%.o: %.c
	$(call say,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c -o $@ $<

$(BUILD)/fuzz/libfuzz.a: $(FUZZ_LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

# A harness may #include the source it drives, for its static functions:
# the library's copy of that module is then never pulled in. cmocka: the
# fake environment asserts with it.
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libfuzz.a
	$(call say,FUZZLD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d \
		-o $@ $< $(BUILD)/fuzz/libfuzz.a -lcmocka $(VMM_LDLIBS) \
		$(LDLIBS)

# make test replays every harness's seeds with gcc (tests/unit/
# test_fuzz_corpus.c): each harness compiled once more, its entry point
# renamed fuzz_NAME_one, linked with the unit tests' libraries. This rule
# has a recipe, so it takes the place of the Makefile's test_% rule.
FUZZ_REPLAY_OBJS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%.o)
$(BUILD)/tests/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_$*_one -c -o $@ $<

$(BUILD)/tests/unit/test_fuzz_corpus: $(BUILD)/tests/unit/test_fuzz_corpus.o \
		$(FUZZ_REPLAY_OBJS) $(BUILD)/tests/unit/fake_env.o \
		$(BUILD)/libvesseld.a $(BUILD)/libvmm.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(VMM_LDLIBS) $(LDLIBS)

fuzz-run: $(FUZZ_BINS)
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
