# SPDX-License-Identifier: Apache-2.0
# make install / make uninstall (docs/install.md). Included by the Makefile
# after docs/man/man.mk, so MAN_PAGES is known here when that file exists.
#
#   make install PREFIX=/usr DESTDIR=/tmp/pkg
#
# Every directory below may be set on the command line; DESTDIR is put in
# front of each when copying, never inside a file (the units, vessel.pc
# name the final paths).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(DATADIR)/man
# The FHS puts /usr's configuration in /etc; any other prefix keeps its own.
ifeq ($(patsubst %/,%,$(PREFIX)),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR ?=

INSTALL ?= install

# The directories of vessel's own, removed by uninstall when left empty.
VESSEL_LIBEXEC := $(LIBEXECDIR)/vessel
VESSEL_DATA := $(DATADIR)/vessel
VESSEL_GUEST_LINUX := $(VESSEL_DATA)/guest-linux
VESSEL_INCLUDE := $(INCLUDEDIR)/vessel
VESSEL_CONF := $(SYSCONFDIR)/vessel
VESSEL_GUESTS := $(VESSEL_CONF)/guests

# The Linux test-guest builder, as in the tree (scripts keep their x bit:
# mkinitramfs calls moddeps beside itself, rootfs/ files are copied as is).
GUEST_LINUX_FILES := $(patsubst guest/linux/%,%,$(shell \
	find guest/linux -type f 2>/dev/null | LC_ALL=C sort))
GUEST_LINUX_DIRS := $(sort $(patsubst %/,%,$(dir $(GUEST_LINUX_FILES))))

BASH_COMPLETIONS := $(wildcard dist/bash-completion/*)
SYSTEMD_UNITS := $(wildcard dist/systemd/*.service)

# vesseld finds vessel in ../bin beside its sbin (src/vesseld/progpath.c)
# and reads /etc/vessel/guests; the unit says so only where the layout
# differs from that.
VESSELD_UNIT_ARGS := $(strip \
	$(if $(filter-out $(patsubst %/sbin,%/bin,$(SBINDIR)),$(BINDIR)), \
		--vessel $(BINDIR)/vessel) \
	$(if $(filter-out /etc,$(SYSCONFDIR)), \
		--config-dir $(VESSEL_GUESTS)))
install_space := $(subst ,, )
# The units name the installed programs and guest files. vesseld's line
# first becomes a placeholder, so that no later rule rewrites what it adds.
UNIT_SED := -e 's|=/usr/sbin/vesseld --foreground|=@VESSELD@|' \
	-e 's|/etc/vessel/|$(VESSEL_CONF)/|g' \
	-e 's|/usr/bin/|$(BINDIR)/|g' -e 's|/usr/sbin/|$(SBINDIR)/|g' \
	-e 's|@VESSELD@|$(SBINDIR)/vesseld --foreground$(if $(VESSELD_UNIT_ARGS),$(install_space)$(VESSELD_UNIT_ARGS))|'

PC_SED := -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g'

INSTALL_DEPS := $(BUILD)/vessel $(BUILD)/vesselctl $(BUILD)/vesseld \
	$(BUILD)/libvessel.a $(VG) $(PROBE) $(MAN_PAGES)

.PHONY: install uninstall
install: $(INSTALL_DEPS)
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(VESSEL_LIBEXEC) $(DESTDIR)$(VESSEL_DATA) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(VESSEL_INCLUDE) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(VESSEL_GUESTS) \
		$(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)$(INSTALL) -m 0755 $(BUILD)/vessel $(BUILD)/vesselctl \
		$(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 0755 $(BUILD)/vesseld $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0755 $(VG) $(DESTDIR)$(VESSEL_LIBEXEC)/
	$(Q)$(INSTALL) -m 0644 $(PROBE) $(DESTDIR)$(VESSEL_DATA)/probe.elf
	$(Q)$(INSTALL) -d -m 0755 \
		$(addprefix $(DESTDIR)$(VESSEL_GUEST_LINUX)/,$(GUEST_LINUX_DIRS))
	$(Q)for f in $(GUEST_LINUX_FILES); do \
		mode=0644; [ ! -x guest/linux/$$f ] || mode=0755; \
		$(INSTALL) -m $$mode guest/linux/$$f \
			$(DESTDIR)$(VESSEL_GUEST_LINUX)/$$f || exit; \
	done
	$(Q)$(INSTALL) -m 0644 $(BUILD)/libvessel.a $(DESTDIR)$(LIBDIR)/
	$(Q)$(INSTALL) -m 0644 src/shm/shm.h $(DESTDIR)$(VESSEL_INCLUDE)/
	$(Q)sed $(PC_SED) dist/vessel.pc.in >$(BUILD)/vessel.pc
	$(Q)$(INSTALL) -m 0644 $(BUILD)/vessel.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(Q)for u in $(SYSTEMD_UNITS); do \
		sed $(UNIT_SED) $$u >$(BUILD)/$${u##*/} && \
		$(INSTALL) -m 0644 $(BUILD)/$${u##*/} \
			$(DESTDIR)$(SYSTEMDUNITDIR)/ || exit; \
	done
ifneq ($(MAN_PAGES),)
	$(Q)for m in $(MAN_PAGES); do \
		s=$${m##*.}; \
		$(INSTALL) -d -m 0755 $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit; \
	done
endif
ifneq ($(BASH_COMPLETIONS),)
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 0644 $(BASH_COMPLETIONS) $(DESTDIR)$(BASHCOMPDIR)/
endif

# Exactly what install put, then vessel's own directories if empty: a
# config directory holding guest files stays (rmdir refuses, quietly).
uninstall:
	$(call say,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/vessel $(DESTDIR)$(BINDIR)/vesselctl \
		$(DESTDIR)$(SBINDIR)/vesseld \
		$(DESTDIR)$(VESSEL_LIBEXEC)/vessel-guest \
		$(DESTDIR)$(VESSEL_DATA)/probe.elf \
		$(addprefix $(DESTDIR)$(VESSEL_GUEST_LINUX)/,$(GUEST_LINUX_FILES)) \
		$(DESTDIR)$(LIBDIR)/libvessel.a \
		$(DESTDIR)$(VESSEL_INCLUDE)/shm.h \
		$(DESTDIR)$(PKGCONFIGDIR)/vessel.pc \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(SYSTEMD_UNITS))) \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(BASH_COMPLETIONS)))
	$(Q)[ ! -d $(DESTDIR)$(VESSEL_GUEST_LINUX) ] || \
		find $(DESTDIR)$(VESSEL_GUEST_LINUX) -depth -type d -empty -delete
	$(Q)for d in $(VESSEL_DATA) $(VESSEL_LIBEXEC) \
		$(VESSEL_INCLUDE) $(VESSEL_GUESTS) $(VESSEL_CONF); do \
		[ ! -d $(DESTDIR)$$d ] || rmdir --ignore-fail-on-non-empty \
			$(DESTDIR)$$d; \
	done
