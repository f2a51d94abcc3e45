# SPDX-License-Identifier: Apache-2.0
# Man pages: scdoc sources in docs/man, generated into $(BUILD)/man/NAME.SECTION
# (install copies $(MAN_PAGES) into MANDIR/manSECTION). Included by the
# Makefile; scdoc comes from scripts/deps.

SCDOC ?= scdoc
MAN_DIR := $(BUILD)/man
MAN_PAGES := $(addprefix $(MAN_DIR)/, vessel.1 vesselctl.1 vessel-guest.1 \
	vessel.conf.5 vessel-lifecycle.7 vesseld.8)

.PHONY: man
man: $(MAN_PAGES)
all: $(MAN_PAGES)

# Through a temporary file: a failed scdoc leaves no half page behind.
$(MAN_DIR)/%: docs/man/%.scd
	$(call say,SCDOC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# test_manpages compares the pages with the programs' --help, vessel-guest's
# included, and finds both beside $(BUILD)/vessel.
$(BUILD)/tests/system/test_manpages: | $(MAN_PAGES) $(VG)
test-all test-system: $(MAN_PAGES) $(VG)
