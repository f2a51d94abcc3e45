# SPDX-License-Identifier: Apache-2.0
# make deb: the Debian packages (debian/) of HEAD, built from a clean export
# (git archive) so the working tree is neither read nor written: commit
# first. The .debs, .changes, the build's log (build.log) and lintian's
# report (lintian.txt) end up in $(BUILD)/deb/; lintian errors fail the
# target. The export is removed, built or not: the Makefile includes every
# *.d under $(BUILD), and a package tree has some (usr/lib/sysusers.d).

DEB_DIR := $(abspath $(BUILD))/deb
DEB_SRC := $(DEB_DIR)/src/vessel
# The outer make's flags and variables (BUILD, CFLAGS, -j's jobserver) are
# not the package build's: debian/rules sets its own.
DEB_ENV := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES

.PHONY: deb
deb:
	$(call say,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)git archive --format=tar HEAD | tar -x -C $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && $(DEB_ENV) dpkg-buildpackage -us -uc -b \
		>$(DEB_DIR)/build.log 2>&1 || \
		{ rm -rf $(DEB_DIR)/src; tail -n 40 $(DEB_DIR)/build.log; \
		exit 1; }
	$(Q)mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes \
		$(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	$(Q)rm -rf $(DEB_DIR)/src
	$(Q)lintian --fail-on error --display-info $(DEB_DIR)/*.changes \
		>$(DEB_DIR)/lintian.txt 2>&1; rc=$$?; \
		grep -v 'root privileges' $(DEB_DIR)/lintian.txt; exit $$rc
