// SPDX-License-Identifier: Apache-2.0
/*
 * make test-linux: vessel boots Debian's own cloud kernel with a busybox
 * initramfs whose /init (guest/linux/init.c) does what vessel.test= asks.
 * The watchdog rows boot Debian's generic kernel of the same version: the
 * cloud kernel has no i6300esb or ib700wdt driver (and boots faster, so
 * the other rows keep it). The lifecycle rows give the guest a shmem
 * lifecycle region, which its shutdown announces through vessel-guest.
 *
 * Where the CPU has VT-x/AMD-V, vessel runs here. Where /dev/kvm is PVM
 * (no hardware virtualization), vessel runs inside an outer VM that QEMU
 * emulates with AMD-V (shared/HARNESS.md): its /init (tests/linux/outer-init)
 * loads kvm-amd, runs /scenario and prints "VESSEL-HARNESS: exit=N".
 *
 * Run from the repository root. Environment:
 *   VESSEL_STATIC         path of vessel (build/vessel-static); static in
 *                         nested mode, since the outer VM has no libraries
 *   VESSEL_GUEST          the guest's lifecycle helper (build/vessel-guest)
 *   VESSELCTL_STATIC      vesselctl for the rows that use it
 *                         (build/linux/vesselctl; static nested, as vessel)
 *   VESSELD_STATIC        vesseld for the vesseld rows (build/linux/vesseld)
 *   VESSEL_LINUX_MODE     nested or direct (default: from the CPU)
 *   VESSEL_LINUX_CPU      outer CPU model (qemu64,+svm,+npt)
 *   VESSEL_LINUX_TIMEOUT  seconds per scenario (180)
 *   VESSEL_LINUX_APPEND   more words for the guest's kernel command line
 *                         (loglevel=8: its whole boot log, slowly)
 *   VESSEL_LINUX_VERBOSE  1: copy the console to stderr as it comes
 *   VESSEL_LINUX_KERNEL   generic: every row boots the generic kernel
 * Usage: test_linux [--demo] [SCENARIO...]
 *
 * A scenario may signal vessel as a host would: after a console marker,
 * a signal, and maybe a second one some seconds later; or run a vesselctl
 * command on vessel's control socket. Direct, this process does it;
 * nested, the outer VM's /scenario does (the outer console then has
 * "VESSEL-HARNESS: signal NAME" or "VESSEL-HARNESS: vesselctl ..." lines).
 *
 * The disk rows give vessel virtio-blk disks, each a fresh ext4 image
 * (tests/linux/ext4img make), /dev/vda first. Direct, vessel opens the
 * image; nested, the outer VM gets it as a raw virtio disk, which vessel
 * opens there as /dev/vdX, so the host reads back what vessel wrote.
 * After the run ext4img checks each image: e2fsck, the journal, the
 * guest's fsynced files against their checksums on its console.
 *
 * The vesseld rows run vesseld instead, with guest files for Debian
 * guests (vesseld_prologue below): the row's sh lines start it, act, and
 * end with its exit status; its log, the guests' console logs and
 * vesselctl's output come on the console, its events as vessel's would.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exitcode.h"

/* Where linux.mk puts init and kvmcheck, and where runs leave their logs. */
#ifndef BUILD
#define BUILD "build/linux"
#endif
#define GUEST "VESSEL-GUEST: "
#define HARNESS "VESSEL-HARNESS: "
/* Nested, the outer /init prints vessel's events with this prefix. */
#define EVENT_LINE "VESSEL-EVENT: "
/* An event's name as it stands in its JSON line (docs/events.md). */
#define EV(name) "\"event\":\"" name "\""
/* A vesseld event about one guest, as it starts its line. */
#define GUEST_EV(name, guest) "{" EV(name) ",\"guest\":\"" guest "\""
#define CONSOLE_MAX (16u << 20)
#define QEMU "qemu-system-x86_64"

/*
 * Signals for vessel: once @after is on the console, @sig; then, if @sig2,
 * @sig2 @delay_s seconds after the first. Or, with @ctl, a vesselctl
 * command instead of @sig: its words after --vm SOCK.
 */
struct send {
	const char *after;
	int sig;
	int sig2;
	int delay_s;
	const char *ctl;
};

/*
 * A duration the guest printed: the number of ms right after @prefix on
 * the console must be within [@min_ms, @max_ms].
 */
struct took {
	const char *prefix;
	int min_ms;
	int max_ms;
};

/*
 * A disk's image after the run (ext4img check): unmounted and clean, or
 * left mounted by a power cut (clean after the journal's replay), or
 * given read-only and unchanged.
 */
enum disk_check { NO_DISK, DISK_CLEAN, DISK_REPLAY, DISK_READONLY };
#define MAX_DISKS 2

/* The guest kernels: fetch-kernel's flavours. */
enum flavour { CLOUD, GENERIC, N_FLAVOURS };

/*
 * One row per scenario: the guest's /init does @test, vessel gets @send,
 * must exit with @exit_code, and the console must show @markers in this
 * order and none of @absent (substrings of lines); so must vessel's event
 * lines with @events and @no_events, and the guest's @took. @args are
 * extra vessel arguments, as sh words; @cmdline extra words for the
 * guest's kernel command line. @disks: the guest's disks, in order, and
 * how each must look after.
 */
struct scenario {
	const char *name;
	enum flavour kernel;
	const char *args;
	const char *test;
	const char *cmdline;
	struct send send;
	int exit_code;
	const char *markers[12];
	const char *absent[3];
	const char *events[8];
	const char *no_events[3];
	struct took took;
	enum disk_check disks[MAX_DISKS];
	const char *vesseld; /* sh lines of a vesseld row (vesseld_prologue) */
	bool demo; /* part of make demo-linux */
};

/* The guest armed the button, the press reached it and it powered off. */
#define SHUTDOWN_EVENTS                                                \
	EV("power-button-armed"), EV("power-button-pressed"),          \
		"\"armed\":\"true\"", EV("power-button-acknowledged"), \
		EV("s5"), EV("exit")

/* The guest's ordinary shutdown after a power-button press, in order. */
#define SHUTDOWN_MARKERS                                                       \
	GUEST "ready", GUEST "power button: poweroff",                         \
		GUEST "shutdown: begin",                                       \
		GUEST "shutdown script 50-marker ran", GUEST "shutdown: done", \
		GUEST "poweroff"

/* The i6300esb driver found vessel's device (printed from dmesg by init). */
#define I6300ESB_PROBED \
	GUEST "dmesg: ", "i6300ESB timer", "initialized. heartbeat="

/*
 * busybox watchdog kicked through a few timeouts, was killed without the
 * magic close, and the watchdog core left the timer running.
 */
#define WATCHDOG_STOP_KICKING                                             \
	GUEST "watchdog kicking: i6300esb", GUEST "watchdog kicked for ", \
		"watchdog0: watchdog did not stop!",                      \
		GUEST "watchdog stopped kicking"

/*
 * The disk test (guest/linux/rootfs/etc/vessel-disk) mounted /dev/vda,
 * found the host's seed files intact and fsynced each of its files.
 */
#define DISK_FSYNCED                                                   \
	GUEST "disk: seeds ok in /mnt/vda: seed.txt: OK seed.bin: OK", \
		GUEST "fsynced small.txt sha256=",                     \
		GUEST "fsynced odd.bin sha256=",                       \
		GUEST "fsynced one-mib.bin sha256=",                   \
		GUEST "fsynced four-mib.bin sha256="

/*
 * vessel quiesced disk @id (diskN: the Nth --disk) and flushed it to the
 * host (@flushed yes) or not (no: a power cut, or read-only).
 */
#define DISK_QUIESCED(id, flushed) \
	EV("disk-quiesced"), "\"disk\":\"" id "\",\"flushed\":\"" flushed "\""

/* The guest's private lifecycle region, on the QNX shmem device. */
#define LIFECYCLE "--shmem name=lifecycle"

/*
 * Linux assigned the device's BARs: BAR2, the 1 GiB 64-bit prefetchable
 * window of connections that vessel-guest maps, included (init prints
 * the sysfs `resource` lines and the kernel's own lines about it).
 */
#define SHMEM_BARS                                                             \
	"[1c05:0001] QNX shmem", GUEST "pci ", "BAR0: mem 0x", "BAR2: mem 0x", \
		"(1048576 KiB), 64-bit, prefetchable"

/*
 * vessel-guest in the guest's shutdown script (90-lifecycle): the first
 * announcement of the boot, to the host's peer (0: vessel created the
 * region), its acknowledgement, and the script's own line with the exit
 * status and the time it all took.
 */
#define ANNOUNCED(state) "announced " state " (seq 1), rang peer 0"
#define ACKED(state) "host acknowledged " state " (seq 1) after "
#define NOTIFY_TOOK(state, status) \
	GUEST "lifecycle: notify " state ": exit " status " in "
#define ANNOUNCED_ACKED(state)                                   \
	GUEST "shutdown: begin", ANNOUNCED(state), ACKED(state), \
		NOTIFY_TOOK(state, "0")
/* A struct took: acknowledged at once (no hook, only the rings' way). */
#define ACKED_SOON(state) ACKED(state), 0, 1000

static const struct scenario scenarios[] = {
	{
		/* No shmem device: vessel-guest gives up at once (exit 3). */
		.name = "poweroff",
		.test = "poweroff",
		.exit_code = EXIT_POWEROFF,
		.markers = { GUEST "init ", GUEST "shutdown: begin",
			     NOTIFY_TOOK("shutting-down", "3"),
			     GUEST "poweroff" },
		.absent = { "[1c05:0001]", "announced " },
		.events = { EV("booted"), EV("s5"), EV("exit") },
		.no_events = { EV("guest-announced") },
		.took = { NOTIFY_TOOK("shutting-down", "3"), 0, 500 },
		.demo = true,
	},
	{
		.name = "reboot",
		.test = "reboot",
		.exit_code = EXIT_REBOOT,
		.markers = { GUEST "init ", GUEST "reboot" },
		.events = { EV("reboot-requested"), EV("exit") },
		.demo = true,
	},
	{
		/* Every vCPU online, and the RAM above the PCI hole used. */
		.name = "smp-3g",
		.args = "--cpus 2 --mem 3G",
		.test = "poweroff",
		.exit_code = EXIT_POWEROFF,
		.markers = { GUEST "init ", GUEST "cpus 2", GUEST "mem 2",
			     GUEST "poweroff" },
	},
	{
		/* The power button: acpid runs poweroff, init shuts down. */
		.name = "sigterm",
		.test = "wait",
		.send = { GUEST "ready", SIGTERM },
		.exit_code = EXIT_POWEROFF,
		.markers = { SHUTDOWN_MARKERS },
		.events = { SHUTDOWN_EVENTS },
		.demo = true,
	},
	{
		.name = "sigint",
		.test = "wait",
		.send = { GUEST "ready", SIGINT },
		.exit_code = EXIT_POWEROFF,
		.markers = { SHUTDOWN_MARKERS },
		.events = { SHUTDOWN_EVENTS },
	},
	{
		/* Nothing arms the button: the second signal terminates. */
		.name = "no-handler",
		.test = "wait-noacpid",
		.send = { GUEST "ready", SIGTERM, SIGTERM, 2 },
		.exit_code = EXIT_TERMINATED,
		.markers = { GUEST "ready" },
		.absent = { GUEST "power button", GUEST "shutdown" },
		.events = { EV("power-button-pressed"), "\"armed\":\"false\"",
			    EV("terminate"), EV("exit") },
		.no_events = { EV("power-button-armed"),
			       EV("power-button-acknowledged") },
	},
	{
		/* The guest is not told: nothing of its shutdown runs. */
		.name = "power-cut",
		.test = "wait",
		.send = { GUEST "ready", SIGQUIT },
		.exit_code = EXIT_POWER_CUT,
		.markers = { GUEST "ready" },
		.absent = { GUEST "power button", GUEST "shutdown" },
		.events = { EV("power-button-armed"), EV("power-cut"),
			    EV("exit") },
		.no_events = { EV("power-button-pressed") },
		.demo = true,
	},
	{
		/* sysrq c; pvpanic-mmio tells vessel (QEMU0001, port 0x505). */
		.name = "panic",
		.test = "panic",
		.exit_code = EXIT_PANIC,
		.markers = { GUEST "panic", "Kernel panic - not syncing" },
		.events = { EV("panic"), EV("exit") },
		.demo = true,
	},
	{
		/* busybox watchdog kicks, then is killed: the timer runs out. */
		.name = "watchdog-i6300esb",
		.kernel = GENERIC,
		.args = "--watchdog model=i6300esb,action=terminate",
		.test = "watchdog-stop-kicking",
		.cmdline = "vessel.watchdog=i6300esb",
		.exit_code = EXIT_WATCHDOG,
		.markers = { I6300ESB_PROBED, WATCHDOG_STOP_KICKING },
		.events = { EV("watchdog-started"), "\"model\":\"i6300esb\"",
			    EV("watchdog-expired"), "\"action\":\"terminate\"",
			    EV("watchdog"), "\"by\":\"i6300esb\"", EV("exit") },
		.demo = true,
	},
	{
		.name = "watchdog-ib700-reset",
		.kernel = GENERIC,
		.args = "--watchdog model=ib700,action=reset",
		.test = "watchdog-stop-kicking",
		.cmdline = "vessel.watchdog=ib700",
		.exit_code = EXIT_REBOOT,
		.markers = { GUEST "dmesg: ", "ib700wdt: WDT driver for IB700",
			     GUEST "watchdog kicking: ib700",
			     GUEST "watchdog kicked for ",
			     "ib700wdt: WDT device closed unexpectedly",
			     GUEST "watchdog stopped kicking" },
		.events = { EV("watchdog-started"), "\"model\":\"ib700\"",
			    EV("watchdog-expired"), "\"action\":\"reset\"",
			    EV("reboot-requested"), "\"by\":\"watchdog-ib700\"",
			    EV("exit") },
		.demo = true,
	},
	{
		/* busybox writes the magic 'V' and closes: the timer stops. */
		.name = "watchdog-magic-close",
		.kernel = GENERIC,
		.args = "--watchdog model=i6300esb,action=terminate",
		.test = "watchdog-magic-close",
		.cmdline = "vessel.watchdog=i6300esb",
		.exit_code = EXIT_POWEROFF,
		.markers = { I6300ESB_PROBED,
			     GUEST "watchdog closed with magic 'V' "
				   "(exit status 0)",
			     GUEST "watchdog quiet for ", GUEST "poweroff" },
		.absent = { "watchdog did not stop" },
		.events = { EV("watchdog-started"), EV("watchdog-stopped"),
			    EV("s5"), EV("exit") },
		.no_events = { EV("watchdog-expired"), EV("watchdog") },
	},
	{
		/*
		 * An NMI the kernel cannot explain panics it: pvpanic. The
		 * panic in NMI context only reaches the console after the
		 * panic notifiers, pvpanic's among them, so vessel has ended
		 * before: the events tell the story.
		 */
		.name = "watchdog-nmi",
		.kernel = GENERIC,
		.args = "--watchdog model=i6300esb,action=nmi",
		.test = "watchdog-stop-kicking",
		.cmdline = "vessel.watchdog=i6300esb unknown_nmi_panic",
		.exit_code = EXIT_PANIC,
		.markers = { I6300ESB_PROBED, WATCHDOG_STOP_KICKING },
		.events = { EV("watchdog-expired"), "\"action\":\"nmi\"",
			    EV("panic"), EV("exit") },
	},
	{
		/* The guest tells vessel before it powers off. */
		.name = "lifecycle-poweroff",
		.args = LIFECYCLE,
		.test = "poweroff",
		.exit_code = EXIT_POWEROFF,
		.markers = { GUEST "init ", SHMEM_BARS,
			     ANNOUNCED_ACKED("shutting-down"),
			     GUEST "poweroff" },
		.events = { EV("guest-announced"),
			    "\"state\":\"shutting-down\"", EV("s5"),
			    EV("exit") },
		.took = { ACKED_SOON("shutting-down") },
		.demo = true,
	},
	{
		/* The same after the power button (acpid runs poweroff). */
		.name = "lifecycle-sigterm",
		.args = LIFECYCLE,
		.test = "wait",
		.send = { GUEST "ready", SIGTERM },
		.exit_code = EXIT_POWEROFF,
		.markers = { GUEST "ready", GUEST "power button: poweroff",
			     ANNOUNCED_ACKED("shutting-down"),
			     GUEST "shutdown: done", GUEST "poweroff" },
		.events = { EV("power-button-pressed"), EV("guest-announced"),
			    "\"state\":\"shutting-down\"", EV("s5"),
			    EV("exit") },
		.took = { ACKED_SOON("shutting-down") },
	},
	{
		/* The host's hook runs before the ack: the guest waits ~1 s. */
		.name = "lifecycle-hook",
		.args = LIFECYCLE " --lifecycle-hook 'sleep 1'",
		.test = "poweroff",
		.exit_code = EXIT_POWEROFF,
		.markers = { ANNOUNCED_ACKED("shutting-down"),
			     GUEST "poweroff" },
		.events = { EV("guest-announced"), EV("lifecycle-hook"),
			    "\"result\":\"ok\"", EV("s5"), EV("exit") },
		.took = { ACKED("shutting-down"), 950, 3000 },
	},
	{
		/* A hook that outlasts --wait-ack 3s: the guest goes on. */
		.name = "lifecycle-no-ack",
		.args = LIFECYCLE " --lifecycle-hook 'sleep 30'",
		.test = "poweroff",
		.cmdline = "vessel.wait_ack=3s",
		.exit_code = EXIT_POWEROFF,
		.markers = { ANNOUNCED("shutting-down"),
			     "no acknowledgement of shutting-down (seq 1) "
			     "within 3000 ms; going on",
			     NOTIFY_TOOK("shutting-down", "1"),
			     GUEST "shutdown: done", GUEST "poweroff" },
		.events = { EV("guest-announced"), EV("s5"), EV("exit") },
		.no_events = { EV("lifecycle-hook") },
		.took = { NOTIFY_TOOK("shutting-down", "1"), 2990, 4500 },
	},
	{
		/* vesselctl asks; the guest's daemon powers off. */
		.name = "lifecycle-request",
		.args = LIFECYCLE,
		.test = "lifecycle-daemon",
		.send = { GUEST "ready", .ctl = "request poweroff" },
		.exit_code = EXIT_POWEROFF,
		.markers = { GUEST "ready",
			     GUEST
			     "lifecycle daemon: the host asks for poweroff",
			     ANNOUNCED_ACKED("shutting-down"),
			     GUEST "poweroff" },
		.events = { EV("host-requested"), "\"request\":\"poweroff\"",
			    EV("guest-took-request"), EV("guest-announced"),
			    EV("s5"), EV("exit") },
		.took = { ACKED_SOON("shutting-down") },
		.demo = true,
	},
	{
		/* A reboot from inside announces itself as rebooting. */
		.name = "lifecycle-reboot",
		.args = LIFECYCLE,
		.test = "reboot",
		.exit_code = EXIT_REBOOT,
		.markers = { ANNOUNCED_ACKED("rebooting"), GUEST "reboot" },
		.events = { EV("guest-announced"), "\"state\":\"rebooting\"",
			    EV("reboot-requested"), EV("exit") },
		.took = { ACKED_SOON("rebooting") },
	},
	{
		/* ext4 on virtio-blk: written, fsynced, unmounted, off. */
		.name = "disk-poweroff",
		.test = "disk",
		.cmdline = "vessel.disk=poweroff",
		.disks = { DISK_CLEAN },
		.exit_code = EXIT_POWEROFF,
		.markers = { DISK_FSYNCED, GUEST "disk: unmounted /dev/vda",
			     GUEST "shutdown: begin", GUEST "poweroff" },
		.absent = { GUEST "disk error" },
		.events = { EV("s5"), DISK_QUIESCED("disk0", "yes"),
			    EV("exit") },
		.no_events = { EV("disk-io-error") },
	},
	{
		/* Mounted when the button comes: the shutdown unmounts. */
		.name = "disk-button",
		.test = "disk",
		.cmdline = "vessel.disk=button",
		.disks = { DISK_CLEAN },
		.send = { GUEST "ready", SIGTERM },
		.exit_code = EXIT_POWEROFF,
		.markers = { DISK_FSYNCED, SHUTDOWN_MARKERS },
		.absent = { GUEST "disk error", "cannot unmount" },
		.events = { EV("power-button-pressed"), "\"armed\":\"true\"",
			    EV("power-button-acknowledged"), EV("s5"),
			    DISK_QUIESCED("disk0", "yes"), EV("exit") },
		.no_events = { EV("disk-io-error") },
	},
	{
		/*
		 * Power cut while unsynced writes go on: what was fsynced
		 * before is on the image once the journal is replayed.
		 */
		.name = "disk-powercut",
		.test = "disk",
		.cmdline = "vessel.disk=hang",
		.disks = { DISK_REPLAY },
		.send = { GUEST "disk: writing unsynced data", SIGQUIT },
		.exit_code = EXIT_POWER_CUT,
		.markers = { DISK_FSYNCED,
			     GUEST "disk: writing unsynced data" },
		.absent = { GUEST "disk error", GUEST "shutdown" },
		.events = { EV("power-cut"), DISK_QUIESCED("disk0", "no"),
			    EV("exit") },
		.no_events = { EV("s5"), EV("disk-io-error") },
	},
	{
		/*
		 * A second disk, read-only: it mounts so and reads right.
		 * Linux honours VIRTIO_BLK_F_RO: it refuses the write itself
		 * (EPERM) and vessel never sees it, so vessel's IOERR for
		 * such writes is the probe guest's to test; the image must
		 * be unchanged all the same.
		 */
		.name = "disk-readonly",
		.test = "disk",
		.cmdline = "vessel.disk=readonly",
		.disks = { DISK_CLEAN, DISK_READONLY },
		.exit_code = EXIT_POWEROFF,
		.markers = { DISK_FSYNCED, GUEST "disk: vdb ro=1",
			     GUEST "disk: seeds ok in /mnt/vdb: seed.txt: OK "
				   "seed.bin: OK",
			     GUEST
			     "disk: write to /dev/vdb failed: dd: error "
			     "writing '/dev/vdb': Operation not permitted",
			     GUEST "disk: unmounted /dev/vda",
			     GUEST "poweroff" },
		.absent = { GUEST "disk error" },
		.events = { EV("s5"), DISK_QUIESCED("disk0", "yes"),
			    DISK_QUIESCED("disk1", "no"), EV("exit") },
		.no_events = { EV("disk-io-error") },
	},
	{
		/*
		 * vesseld restarts a guest that rebooted; its second reboot
		 * is one restart too many within the window: failed.
		 */
		.name = "vesseld-reboot",
		.vesseld = "guest r reboot 'on-reboot restart' "
			   "'restart-delay 100ms' 'restart-limit 1'\n"
			   "vesseld_start\n"
			   "wait_for 150 in_list '\"state\":\"failed\"'\n"
			   "ctl list --json\n"
			   "ctl shutdown\n"
			   "vesseld_end\n",
		.exit_code = 0,
		.markers = { "\"name\":\"r\",\"state\":\"failed\"",
			     "\"boots\":2", "\"reason\":\"reboot\"",
			     "shutdown done in ", ": 0 guests escalated",
			     "r| " GUEST "reboot", "r| " GUEST "init ",
			     "r| " GUEST "reboot" },
		.events = { GUEST_EV("started", "r"),
			    GUEST_EV("restarting", "r"),
			    GUEST_EV("started", "r"), "\"boot\":2",
			    GUEST_EV("failed", "r"),
			    "\"why\":\"1 restarts within 300 s\"",
			    EV("vesseld-exit") },
		.no_events = { "\"boot\":3" },
	},
	{
		/*
		 * The host's shutdown (SIGTERM to vesseld) of b after a: b's
		 * power button first, then a's; both power off through
		 * acpid, nothing escalates.
		 */
		.name = "vesseld-shutdown",
		.vesseld = "guest a wait\n"
			   "guest b wait 'after a'\n"
			   "vesseld_start\n"
			   "wait_for 150 in_console a '" GUEST "ready'\n"
			   "wait_for 150 in_console b '" GUEST "ready'\n"
			   "say 'signal TERM'; kill -TERM $vd\n"
			   "vesseld_end\n",
		.exit_code = 0,
		.markers = { "shutdown done in ", ": 0 guests escalated",
			     "a| " GUEST "ready",
			     GUEST "power button: poweroff",
			     GUEST "shutdown: done", GUEST "poweroff",
			     "b| " GUEST "ready",
			     GUEST "power button: poweroff",
			     GUEST "shutdown: done", GUEST "poweroff" },
		.events = { EV("shutdown") ",\"mono\"",
			    GUEST_EV("stopped", "b"),
			    "\"how\":\"power-button\"",
			    GUEST_EV("stopped", "a"),
			    "\"how\":\"power-button\"", EV("shutdown-done"),
			    "\"escalated\":0" },
		.no_events = { EV("escalated"), "SIGKILL", "SIGQUIT" },
	},
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/*
 * The guest's kernel command line, before vessel.test= and the append.
 * Nested, each console byte is a trapped port write: the full boot log
 * (~22 KB) costs vessel ~2 s of a 13.5 s run (QEMU/KVM as the inner VMM:
 * 12 s of 14 s). Errors still show; VESSEL_LINUX_APPEND=loglevel=8 adds
 * the rest.
 */
static const char guest_cmdline[] = "console=ttyS0 panic=-1 quiet";
/*
 * Modules the guest's initramfs holds (resolved through modules.dep): the
 * ACPI power button and the input device acpid reads it from, the pvpanic
 * driver for the ACPI QEMU0001 device, and virtio-blk on virtio-pci (which
 * /init loads for the disk test only); the generic kernel's also ext4 and
 * crc32c, built in the cloud kernel, and the watchdog drivers, of which
 * /init loads the one vessel.watchdog= names.
 */
static const char *const cloud_modules[] = { "button",	     "evdev",
					     "pvpanic-mmio", "virtio_blk",
					     "virtio_pci",   NULL };
static const char *const generic_modules[] = {
	"button",     "evdev",	    "pvpanic-mmio",   "i6300esb", "ib700wdt",
	"virtio_blk", "virtio_pci", "crc32c_generic", "ext4",	  NULL
};
/* Files of the guest's /etc, as mkinitramfs SRC=DEST arguments. */
#define ROOTFS "guest/linux/rootfs/"
static const char *const guest_files[] = {
	ROOTFS "etc/acpid.conf=etc/acpid.conf",
	ROOTFS "etc/acpi/power=etc/acpi/power",
	ROOTFS "etc/shutdown.d/50-marker=etc/shutdown.d/50-marker",
	ROOTFS "etc/shutdown.d/90-lifecycle=etc/shutdown.d/90-lifecycle",
	ROOTFS "etc/vessel-requests=etc/vessel-requests",
	ROOTFS "etc/vessel-disk=etc/vessel-disk",
	NULL,
};
/* Where the guest has vessel-guest (the scripts above run it). */
#define GUEST_VESSEL_GUEST "usr/bin/vessel-guest"

/* A guest kernel, its initramfs and (nested) the outer VM's base archive. */
struct guest_kernel {
	const char *flavour; /* fetch-kernel's argument */
	const char *const *modules;
	bool wanted; /* some scenario to run boots it */
	char kdir[PATH_MAX]; /* the unpacked kernel package */
	const char *release;
	char kernel[PATH_MAX + 64];
	char initrd[PATH_MAX];
	char base[PATH_MAX]; /* nested: the cached outer archive */
};

/* What every scenario shares; filled once by harness_setup(). */
static struct {
	const char *vessel;
	const char *vessel_guest;
	const char *vesselctl;
	const char *vesseld;
	bool need_ctl; /* a scenario to run uses vesselctl */
	bool need_vesseld; /* ... or vesseld */
	const char *cpu;
	const char *append;
	bool nested;
	bool verbose;
	bool ready; /* harness_setup() succeeded */
	int timeout_s;
	/* The outer VM (nested) boots the cloud kernel, always fetched. */
	struct guest_kernel kernels[N_FLAVOURS];
} h = {
	.kernels = {
		[CLOUD] = { .flavour = "cloud", .modules = cloud_modules,
			    .wanted = true },
		[GENERIC] = { .flavour = "generic",
			      .modules = generic_modules },
	},
};

#define OUTER_KERNEL (&h.kernels[CLOUD])

/* Console strings whose first arrival time is reported. */
enum { AT_KVM, AT_INIT, AT_SIGNAL, AT_CTL, N_TIMED };
static const char *const timed[N_TIMED] = {
	[AT_KVM] = HARNESS "kvm ok",
	[AT_INIT] = GUEST "init ",
	[AT_SIGNAL] = HARNESS "signal ",
	[AT_CTL] = HARNESS "vesselctl ",
};

struct run {
	int status; /* the child's wait status */
	bool timed_out;
	char *console; /* NUL-terminated; at most CONSOLE_MAX bytes kept */
	size_t len;
	double wall; /* seconds from start to exit */
	double at[N_TIMED]; /* seconds to each timed string; < 0: never */
	/* Direct mode: vessel's pid and the signals this process sends it. */
	pid_t pid;
	const struct send *send;
	const char *control; /* vessel's control socket, for send->ctl */
	int sent; /* how many of send's signals have gone */
	double next_at; /* seconds from start to the second one */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* The guest kernel that scenario @s boots. */
static struct guest_kernel *kernel_of(const struct scenario *s)
{
	if (!strcmp(env_or("VESSEL_LINUX_KERNEL", ""), "generic"))
		return &h.kernels[GENERIC];
	return &h.kernels[s->kernel];
}

/* Fork and exec @argv; stdout to @out_fd when >= 0. Returns the pid. */
static pid_t spawn(const char *const argv[], int out_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* Never leave a QEMU behind when the test dies. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (out_fd >= 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "linux: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Runs @argv to completion, output to @out_fd if >= 0; 0 if it exited 0. */
static int run_out(const char *const argv[], int out_fd)
{
	int status;
	pid_t pid = spawn(argv, out_fd);

	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "linux: %s failed\n", argv[0]);
	return -1;
}

static int run_tool(const char *const argv[])
{
	return run_out(argv, -1);
}

/* Is @prog on PATH and runnable? */
static bool have(const char *prog)
{
	const char *argv[] = { prog, "-version", NULL };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	bool ok = run_out(argv, null) == 0;

	close(null);
	return ok;
}

static bool hw_virt(void)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) &&
			(strstr(line, " vmx") || strstr(line, " svm"));
	fclose(f);
	return found && access("/sys/module/kvm_pvm", F_OK) != 0;
}

/* The outer VM has no libraries: vessel must have no ELF interpreter. */
static bool is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool ok = false;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64) {
		ok = true;
		for (int i = 0; ok && i < eh.e_phnum; i++)
			ok = pread(fd, &ph, sizeof(ph),
				   eh.e_phoff + (off_t)i * eh.e_phentsize) ==
				     sizeof(ph) &&
			     ph.p_type != PT_INTERP;
	}
	close(fd);
	return ok;
}

static int fetch_kernel(struct guest_kernel *k)
{
	char cmd[64];
	FILE *p;
	bool ok;

	snprintf(cmd, sizeof(cmd), "guest/linux/fetch-kernel --path %s",
		 k->flavour);
	p = popen(cmd, "r");
	ok = p && fgets(k->kdir, sizeof(k->kdir), p);
	if (p && pclose(p) != 0)
		ok = false;
	if (!ok)
		return -1;
	k->kdir[strcspn(k->kdir, "\n")] = '\0';
	k->release = strrchr(k->kdir, '/') + 1;
	/* An ELF vmlinux (the generic kernel's) saves unpacking the bzImage. */
	snprintf(k->kernel, sizeof(k->kernel), "%s/boot/vmlinux-%s", k->kdir,
		 k->release);
	if (access(k->kernel, R_OK))
		snprintf(k->kernel, sizeof(k->kernel), "%s/boot/vmlinuz-%s",
			 k->kdir, k->release);
	snprintf(k->initrd, sizeof(k->initrd), BUILD "/%s/guest.cpio",
		 k->release);
	snprintf(k->base, sizeof(k->base), BUILD "/%s/outer-base.cpio",
		 k->release);
	return 0;
}

/* The guest's initramfs, cached by mkinitramfs. */
static int pack_guest(const struct guest_kernel *k)
{
	char vessel_guest[PATH_MAX + 32];
	const char *argv[24] = { "guest/linux/mkinitramfs", k->initrd, k->kdir,
				 BUILD "/init", vessel_guest };
	size_t n = 5;

	snprintf(vessel_guest, sizeof(vessel_guest), "%s=" GUEST_VESSEL_GUEST,
		 h.vessel_guest);
	for (size_t i = 0; guest_files[i] && n < 23; i++)
		argv[n++] = guest_files[i];
	for (size_t i = 0; k->modules[i] && n < 23; i++)
		argv[n++] = k->modules[i];
	argv[n] = NULL;
	return run_tool(argv);
}

/*
 * The outer VM's cached base archive for guest kernel @k: all but vessel
 * and the scenario. Its modules are the outer (cloud) kernel's: kvm, and
 * virtio-blk for the disk rows' images.
 */
static int pack_outer(const struct guest_kernel *k)
{
	char kernel_to[PATH_MAX + 80], initrd_to[PATH_MAX + 16];
	const char *argv[] = { "guest/linux/mkinitramfs",
			       k->base,
			       OUTER_KERNEL->kdir,
			       "tests/linux/outer-init",
			       BUILD "/kvmcheck=bin/kvmcheck",
			       kernel_to,
			       initrd_to,
			       "kvm-amd",
			       "virtio_blk",
			       "virtio_pci",
			       NULL };

	snprintf(kernel_to, sizeof(kernel_to), "%s=guest/kernel", k->kernel);
	snprintf(initrd_to, sizeof(initrd_to), "%s=guest/initrd", k->initrd);
	return run_tool(argv);
}

/* Fetches each wanted guest kernel and packs its archives; 0 or -1. */
static int prepare_kernels(void)
{
	mkdir(BUILD "/run", 0755);
	for (size_t i = 0; i < N_FLAVOURS; i++) {
		struct guest_kernel *k = &h.kernels[i];

		if (k->wanted && (fetch_kernel(k) || pack_guest(k)))
			return -1;
	}
	/* pack_outer() takes the outer VM's kernel: all fetched first. */
	for (size_t i = 0; h.nested && i < N_FLAVOURS; i++)
		if (h.kernels[i].wanted && pack_outer(&h.kernels[i]))
			return -1;
	return 0;
}

/* @path runs here, or (@in_vm) in a VM without libraries; else -1. */
static int program_check(const char *path, bool in_vm)
{
	if (access(path, X_OK)) {
		fprintf(stderr, "linux: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (in_vm && !is_static(path)) {
		fprintf(stderr, "linux: %s: not a static x86-64 binary\n",
			path);
		return -1;
	}
	return 0;
}

static int harness_setup(void **state)
{
	const char *mode = getenv("VESSEL_LINUX_MODE");
	double t0 = now();

	(void)state;
	h.vessel = env_or("VESSEL_STATIC", "build/vessel-static");
	h.vessel_guest = env_or("VESSEL_GUEST", "build/vessel-guest");
	h.vesselctl = env_or("VESSELCTL_STATIC", BUILD "/vesselctl");
	h.vesseld = env_or("VESSELD_STATIC", BUILD "/vesseld");
	h.cpu = env_or("VESSEL_LINUX_CPU", "qemu64,+svm,+npt");
	h.append = env_or("VESSEL_LINUX_APPEND", "");
	h.timeout_s = atoi(env_or("VESSEL_LINUX_TIMEOUT", "180"));
	h.verbose = !strcmp(env_or("VESSEL_LINUX_VERBOSE", "0"), "1");
	h.nested = mode ? !strcmp(mode, "nested") : !hw_virt();
	if (program_check(h.vessel, h.nested) ||
	    program_check(h.vessel_guest, true) ||
	    (h.need_ctl && program_check(h.vesselctl, h.nested)) ||
	    (h.need_vesseld && program_check(h.vesseld, h.nested)))
		return -1;
	if (h.nested && !have(QEMU)) {
		fprintf(stderr, "linux: nested mode needs qemu-system-x86\n");
		return -1;
	}
	if (prepare_kernels())
		return -1;
	h.ready = true;
	printf("linux: kernel %s%s%s, %s mode%s%s, vessel %s, ready in %.1f s\n",
	       h.kernels[CLOUD].release,
	       h.kernels[GENERIC].wanted ? " and " : "",
	       h.kernels[GENERIC].wanted ? h.kernels[GENERIC].release : "",
	       h.nested ? "nested" : "direct", h.nested ? ", outer CPU " : "",
	       h.nested ? h.cpu : "", h.vessel, now() - t0);
	return 0;
}

static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static bool has_send(const struct send *s)
{
	return s->sig || s->ctl;
}

/*
 * Nested, vessel runs in the background (SIGINT and SIGQUIT come ignored
 * then: vessel takes them through a signalfd all the same) and its output
 * goes through a fifo to the outer console. The outer VM's UART drains
 * slowly under TCG, more so on a busy host; vessel drops console bytes
 * rather than stall its guest when its output would block, so a copy
 * must wait on the console instead: cat, or, for @s, tee, which also
 * feeds a grep for the marker, after which the outer VM's shell signals
 * vessel (or runs vesselctl on its socket @control). The last command's
 * status is vessel's.
 */
static void write_nested_tail(FILE *f, const struct send *s,
			      const char *control)
{
	fputs(" >/console.fifo 2>&1 &\npid=$!\n", f);
	if (!has_send(s)) {
		fputs("cat /console.fifo\nwait $pid\n", f);
		return;
	}
	fputs("tee /dev/console </console.fifo | {\n\tif grep -qF ", f);
	sh_quote(f, s->after);
	if (s->ctl)
		fprintf(f,
			"; then\n\t\tsay 'vesselctl %1$s'; "
			"vesselctl --vm %2$s %1$s\n",
			s->ctl, control);
	else
		fprintf(f, "; then\n\t\tsay 'signal %1$s'; kill -%1$s $pid\n",
			sigabbrev_np(s->sig));
	if (s->sig2)
		fprintf(f,
			"\t\t{ sleep %1$d; say 'signal %2$s'; "
			"kill -%2$s $pid; } &\n",
			s->delay_s, sigabbrev_np(s->sig2));
	fputs("\tfi\n\tcat >/dev/null\n}\nwait $pid\n", f);
}

/*
 * What a vesseld row's lines may use, after the variables that
 * write_vesseld_scenario() sets. guest NAME TEST [LINE...]: a guest file,
 * the Debian guest doing vessel.test=TEST, and LINEs (policy keys).
 * vesseld_start: vesseld in the foreground, in the background ($vd), its
 * log to $RUN.log. wait_for SECS CMD...: CMD, once a second, until it
 * succeeds (or vesseld ended). vesseld_end: waits for vesseld, prints its log and each
 * guest's console log (lines "NAME| ..."), copies its events to $EVENTS,
 * and returns its exit status.
 */
static const char vesseld_prologue[] =
	"command -v say >/dev/null || say() { echo \"" HARNESS "$*\"; }\n"
	"rm -rf \"$RUN\" \"$CONF\" && mkdir -p \"${RUN%/*}\" \"$CONF\"\n"
	"guest() {\n"
	"\tn=$1 t=$2; shift 2\n"
	"\t{ echo \"kernel $KERNEL\"; echo \"initrd $INITRD\"\n"
	"\t  echo \"cmdline $CMDLINE vessel.test=$t\"\n"
	"\t  echo 'mem 256M'; echo 'cpus 1'\n"
	"\t  [ $# = 0 ] || printf '%s\\n' \"$@\"; } >\"$CONF/$n.conf\"\n"
	"}\n"
	"ctl() { \"$VESSELCTL\" --daemon \"$RUN/vesseld.sock\" \"$@\"; }\n"
	"vesseld_start() {\n"
	"\tsay vesseld\n"
	"\t\"$VESSELD\" --foreground --config-dir \"$CONF\" --run-dir \"$RUN\" "
	"--vessel \"$VESSEL\" 2>\"$RUN.log\" &\n"
	"\tvd=$!\n"
	"}\n"
	"wait_for() {\n"
	"\ts=$1; shift\n"
	"\tuntil \"$@\"; do\n"
	"\t\tkill -0 $vd 2>/dev/null || { say 'vesseld ended'; return 1; }\n"
	"\t\t[ $((s -= 1)) -gt 0 ] || { say \"timed out: $*\"; return 1; }\n"
	"\t\tsleep 1\n"
	"\tdone\n"
	"\tsay \"$*\"\n"
	"}\n"
	"in_console() { grep -qF \"$2\" \"$RUN/$1/console.log\" 2>/dev/null; }\n"
	"in_list() { ctl list --json 2>/dev/null | grep -qF \"$1\"; }\n"
	"vesseld_end() {\n"
	"\twait $vd; code=$?\n"
	"\tsed 's/^/vesseld| /' \"$RUN.log\"\n"
	"\tfor d in \"$RUN\"/*/; do\n"
	"\t\tn=${d%/}; n=${n##*/}\n"
	"\t\tsed \"s/^/$n| /\" \"$d/console.log\"\n"
	"\tdone\n"
	"\tcp \"$RUN/vesseld.events\" \"$EVENTS\"\n"
	"\treturn $code\n"
	"}\n";

/* One variable for a vesseld row's sh lines: NAME='@value'. */
static void sh_var(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=", name);
	sh_quote(f, value);
	fputc('\n', f);
}

/*
 * A vesseld row. Direct, vesseld runs its vessels in the configuration
 * directory, so every path is absolute.
 */
static void write_vesseld_scenario(FILE *f, const struct scenario *s,
				   const char *events)
{
	const struct guest_kernel *k = kernel_of(s);
	char cwd[PATH_MAX], path[PATH_MAX * 2 + 300];

	if (h.nested) {
		sh_var(f, "VESSELD", "/bin/vesseld");
		sh_var(f, "VESSELCTL", "/bin/vesselctl");
		sh_var(f, "VESSEL", "/bin/vessel");
		sh_var(f, "KERNEL", "/guest/kernel");
		sh_var(f, "INITRD", "/guest/initrd");
		sh_var(f, "RUN", "/run/vessel");
		sh_var(f, "CONF", "/etc/vessel/guests");
		sh_var(f, "EVENTS", "/events");
	} else {
		const char *const paths[][2] = {
			{ "VESSELD", h.vesseld }, { "VESSELCTL", h.vesselctl },
			{ "VESSEL", h.vessel },	  { "KERNEL", k->kernel },
			{ "INITRD", k->initrd },  { "EVENTS", events },
		};

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			snprintf(path, sizeof(path), "%s%s%s",
				 paths[i][1][0] == '/' ? "" : cwd,
				 paths[i][1][0] == '/' ? "" : "/", paths[i][1]);
			sh_var(f, paths[i][0], path);
		}
		snprintf(path, sizeof(path), "%s/" BUILD "/run/%s.d", cwd,
			 s->name);
		sh_var(f, "RUN", path);
		snprintf(path, sizeof(path), "%s/" BUILD "/run/%s.conf.d", cwd,
			 s->name);
		sh_var(f, "CONF", path);
	}
	snprintf(path, sizeof(path), "%s%s%s", guest_cmdline,
		 *h.append ? " " : "", h.append);
	sh_var(f, "CMDLINE", path);
	fputs(vesseld_prologue, f);
	fputs(s->vesseld, f);
}

/* Where disk @i of @s has its image: BUILD/run/NAME.vda.img, ... */
static void disk_image(const struct scenario *s, size_t i, char *path,
		       size_t size)
{
	snprintf(path, size, BUILD "/run/%s.vd%c.img", s->name,
		 (char)('a' + i));
}

/*
 * vessel's --disk arguments for @s: direct, its images; nested, the outer
 * VM's disks, /dev/vda... in the order of QEMU's -drive arguments.
 */
static void write_disks(FILE *f, const struct scenario *s)
{
	char path[PATH_MAX], arg[PATH_MAX + 32];

	for (size_t i = 0; i < MAX_DISKS && s->disks[i]; i++) {
		if (h.nested)
			snprintf(path, sizeof(path), "/dev/vd%c",
				 (char)('a' + i));
		else
			disk_image(s, i, path, sizeof(path));
		snprintf(arg, sizeof(arg), "path=%s%s", path,
			 s->disks[i] == DISK_READONLY ? ",readonly" : "");
		fputs(" --disk ", f);
		sh_quote(f, arg);
	}
}

/*
 * The scenario as sh commands. Nested: sourced by the outer /init (its
 * vessel, kernel and initramfs are at fixed paths). Direct: run by sh.
 * vessel's events go to @events, its control socket is @control.
 */
static int write_scenario(const struct scenario *s, const char *path,
			  const char *events, const char *control)
{
	const struct guest_kernel *k = kernel_of(s);
	char cmdline[1024];
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (s->vesseld) {
		write_vesseld_scenario(f, s, events);
		return fclose(f);
	}
	snprintf(cmdline, sizeof(cmdline), "%s vessel.test=%s%s%s%s%s",
		 guest_cmdline, s->test, s->cmdline ? " " : "",
		 s->cmdline ? s->cmdline : "", *h.append ? " " : "", h.append);
	if (h.nested) {
		fputs("mkfifo /console.fifo\n", f);
		fputs("vessel --kernel /guest/kernel --initrd /guest/initrd",
		      f);
	} else {
		fputs("exec ", f);
		sh_quote(f, h.vessel);
		fputs(" --kernel ", f);
		sh_quote(f, k->kernel);
		fputs(" --initrd ", f);
		sh_quote(f, k->initrd);
	}
	fputs(" --cmdline ", f);
	sh_quote(f, cmdline);
	fputs(" --events ", f);
	sh_quote(f, h.nested ? "/events" : events);
	if (s->send.ctl) {
		fputs(" --control ", f);
		sh_quote(f, control);
	}
	fprintf(f, " --mem 256M --cpus 1%s%s", s->args ? " " : "",
		s->args ? s->args : "");
	write_disks(f, s);
	if (h.nested)
		write_nested_tail(f, &s->send, control);
	else
		fputc('\n', f);
	return fclose(f);
}

static void console_add(struct run *r, const char *buf, size_t n, double t)
{
	size_t from = r->len > 64 ? r->len - 64 : 0;

	if (r->len + n > CONSOLE_MAX)
		return;
	r->console = realloc(r->console, r->len + n + 1);
	assert_non_null(r->console);
	memcpy(r->console + r->len, buf, n);
	r->len += n;
	r->console[r->len] = '\0';
	for (size_t i = 0; i < N_TIMED; i++)
		if (r->at[i] < 0 && strstr(r->console + from, timed[i]))
			r->at[i] = t;
}

/*
 * Direct mode: runs "vesselctl --vm @control @ctl" (@ctl: words split at
 * spaces), its output to @log.
 */
static void run_vesselctl(const char *control, const char *ctl, FILE *log)
{
	char words[256], *save = NULL;
	const char *argv[16] = { h.vesselctl, "--vm", control };
	size_t n = 3;

	snprintf(words, sizeof(words), "%s", ctl);
	for (char *w = strtok_r(words, " ", &save); w && n < 15;
	     w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	fflush(log);
	run_out(argv, fileno(log));
}

/*
 * Direct mode: sends vessel the next of its signals if it is due at @t,
 * or runs its vesselctl command.
 */
static void send_due(struct run *r, FILE *log, double t)
{
	const struct send *s = r->send;
	int sig;

	if (!s || !has_send(s) || r->sent >= (s->sig2 ? 2 : 1))
		return;
	if (r->sent == 0 && !(r->console && strstr(r->console, s->after)))
		return;
	if (s->ctl) {
		fprintf(log, "\n" HARNESS "vesselctl %s t=%.2f\n", s->ctl, t);
		r->at[AT_CTL] = t;
		run_vesselctl(r->control, s->ctl, log);
		r->sent++;
		return;
	}
	if (r->sent == 1 && t < r->next_at)
		return;
	sig = r->sent ? s->sig2 : s->sig;
	kill(r->pid, sig);
	/* Own line in the log only: the console may be mid-line. */
	fprintf(log, "\n" HARNESS "signal %s t=%.2f\n", sigabbrev_np(sig), t);
	if (r->at[AT_SIGNAL] < 0)
		r->at[AT_SIGNAL] = t;
	r->next_at = t + s->delay_s;
	r->sent++;
}

/* Seconds from @t to the next thing to do: a due signal or @deadline. */
static double time_left(const struct run *r, double t0, double t,
			double deadline)
{
	double left = deadline - t;

	if (r->send && r->sent == 1 && r->send->sig2 &&
	    t0 + r->next_at - t < left)
		left = t0 + r->next_at - t;
	return left;
}

/*
 * Reads @fd into @r and @log until EOF or @deadline, sending the signals
 * as they are due; false on timeout.
 */
static bool console_read(int fd, struct run *r, FILE *log, double t0,
			 double deadline)
{
	char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		double t = now();
		ssize_t n;

		send_due(r, log, t - t0);
		if (t >= deadline)
			return false;
		if (poll(&pfd, 1,
			 (int)(time_left(r, t0, t, deadline) * 1000) + 1) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		fwrite(buf, 1, n, log);
		if (h.verbose)
			fwrite(buf, 1, n, stderr);
		console_add(r, buf, n, now() - t0);
	}
}

/* "# command", at the head of a log, ready to paste into a shell. */
static void log_command(FILE *log, const char *const argv[])
{
	fputc('#', log);
	for (size_t i = 0; argv[i]; i++) {
		fputc(' ', log);
		if (strpbrk(argv[i], " '\"$;&|<>()*?\\"))
			sh_quote(log, argv[i]);
		else
			fputs(argv[i], log);
	}
	fputc('\n', log);
	fflush(log);
}

/*
 * Runs @argv with its console to @log_path, killed after the timeout.
 * Direct, @send's signals go to the child (sh that execs vessel), its
 * vesselctl command to vessel's socket @control.
 */
static void run_console(const char *const argv[], const struct send *send,
			const char *control, const char *log_path,
			struct run *r)
{
	int pfd[2];
	double t0 = now(), deadline = t0 + h.timeout_s;
	FILE *log = fopen(log_path, "w");
	pid_t pid;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < N_TIMED; i++)
		r->at[i] = -1;
	assert_non_null(log);
	log_command(log, argv);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = spawn(argv, pfd[1]);
	close(pfd[1]);
	assert_true(pid > 0);
	r->pid = pid;
	r->send = send;
	r->control = control;
	r->timed_out = !console_read(pfd[0], r, log, t0, deadline);
	while (!r->timed_out && waitpid(pid, &r->status, WNOHANG) == 0) {
		r->timed_out = now() > deadline;
		usleep(10000);
	}
	if (r->timed_out) {
		kill(pid, SIGKILL);
		waitpid(pid, &r->status, 0);
	}
	r->wall = now() - t0;
	if (!r->console)
		r->console = calloc(1, 1);
	assert_non_null(r->console);
	close(pfd[0]);
	fclose(log);
}

/* vessel's exit code: from the harness line (nested) or the child. */
static int exit_code_of(const struct run *r)
{
	const char *p, *last = NULL;

	if (!h.nested)
		return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
	for (p = r->console; (p = strstr(p, HARNESS "exit=")); p++)
		last = p;
	return last ? atoi(last + strlen(HARNESS "exit=")) : -1;
}

/* The first string of the NULL-ended @list that is in @text; or NULL. */
static const char *unwanted(const char *const *list, const char *text)
{
	for (size_t i = 0; list[i]; i++)
		if (strstr(text, list[i]))
			return list[i];
	return NULL;
}

/* The first of @list missing from @text, in order; or NULL. */
static const char *missing(const char *const *list, const char *text)
{
	for (size_t i = 0; list[i]; i++) {
		const char *p = strstr(text, list[i]);

		if (!p)
			return list[i];
		text = p + strlen(list[i]);
	}
	return NULL;
}

/* @path's first @max bytes, NUL-terminated and malloc'd; "" if unreadable. */
static char *read_file(const char *path, size_t max)
{
	char *buf = calloc(1, max + 1);
	FILE *f = fopen(path, "r");
	size_t n = 0;

	assert_non_null(buf);
	if (f) {
		n = fread(buf, 1, max, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * vessel's event lines, malloc'd: direct, from the file at @path; nested,
 * from the outer console (a subset of it, so they fit in its length).
 */
static char *events_of(const struct run *r, const char *path)
{
	char *ev;
	size_t n = 0;

	if (!h.nested)
		return read_file(path, CONSOLE_MAX);
	ev = calloc(1, r->len + 1);
	assert_non_null(ev);
	for (const char *p = r->console; (p = strstr(p, EVENT_LINE));) {
		size_t len;

		p += strlen(EVENT_LINE);
		len = strcspn(p, "\r\n");
		memcpy(ev + n, p, len);
		n += len;
		ev[n++] = '\n';
	}
	ev[n] = '\0';
	return ev;
}

static void print_tail(const struct run *r, int lines)
{
	const char *p = r->console + r->len;

	while (p > r->console && lines >= 0)
		if (*--p == '\n')
			lines--;
	fprintf(stderr, "---- console tail ----\n%s\n----\n", p);
}

/* The ms the guest printed after @t's prefix on @console; -1: none. */
static long took_ms(const struct took *t, const char *console)
{
	const char *p = t->prefix ? strstr(console, t->prefix) : NULL;
	char *end;
	long ms;

	if (!p)
		return -1;
	p += strlen(t->prefix);
	ms = strtol(p, &end, 10);
	return end != p && !strncmp(end, " ms", 3) ? ms : -1;
}

/* What is wrong with run @r of @s, into @why ("" if nothing). */
static void check_run(const struct scenario *s, const struct run *r,
		      const char *events, int code, char *why, size_t size)
{
	long ms = took_ms(&s->took, r->console);
	const char *bad;

	why[0] = '\0';
	if (r->timed_out)
		snprintf(why, size, "timed out after %d s", h.timeout_s);
	else if (h.nested && r->at[AT_KVM] < 0)
		snprintf(why, size, "no usable /dev/kvm in the outer VM");
	else if (code < 0)
		snprintf(why, size, "no exit code (wait status %#x)",
			 r->status);
	else if (code != s->exit_code)
		snprintf(why, size, "exit code %d, expected %d", code,
			 s->exit_code);
	else if ((bad = missing(s->markers, r->console)))
		snprintf(why, size, "console lacks \"%s\"", bad);
	else if ((bad = unwanted(s->absent, r->console)))
		snprintf(why, size, "console has \"%s\"", bad);
	else if ((bad = missing(s->events, events)))
		snprintf(why, size, "events lack %s", bad);
	else if ((bad = unwanted(s->no_events, events)))
		snprintf(why, size, "events have %s", bad);
	else if (s->took.prefix && (ms < s->took.min_ms || ms > s->took.max_ms))
		snprintf(why, size, "\"%s\" took %ld ms, not %d-%d ms",
			 s->took.prefix, ms, s->took.min_ms, s->took.max_ms);
}

/* ext4img's check of each disk of @s, as its row wants. */
static const char *const disk_checks[] = {
	[DISK_CLEAN] = "clean",
	[DISK_REPLAY] = "replay",
	[DISK_READONLY] = "unchanged",
};

/* Fresh images for @s's disks; -1 (and @why) if one cannot be made. */
static int make_disks(const struct scenario *s, char *why, size_t size)
{
	char img[PATH_MAX];
	const char *argv[] = { "tests/linux/ext4img", "make", img, NULL };

	for (size_t i = 0; i < MAX_DISKS && s->disks[i]; i++) {
		disk_image(s, i, img, sizeof(img));
		if (run_tool(argv)) {
			snprintf(why, size, "cannot make %.200s", img);
			return -1;
		}
	}
	return 0;
}

/*
 * After the run: ext4img checks each of @s's images, and the guest's
 * fsynced files against its console @log; @why on the first failure.
 */
static void check_disks(const struct scenario *s, const char *log, char *why,
			size_t size)
{
	char img[PATH_MAX];

	for (size_t i = 0; i < MAX_DISKS && s->disks[i]; i++) {
		const char *argv[] = {
			"tests/linux/ext4img",	  "check", img,
			disk_checks[s->disks[i]], log,	   NULL
		};

		disk_image(s, i, img, sizeof(img));
		if (run_tool(argv)) {
			snprintf(why, size, "ext4img check %.200s %s failed",
				 img, disk_checks[s->disks[i]]);
			return;
		}
	}
}

/*
 * QEMU's -drive for disk @i of @s in the outer VM: its image, raw. QEMU
 * writes what the outer VM writes straight to the file; cache=unsafe
 * only drops the outer VM's flushes to the host's disk, which no check
 * here needs (the host keeps running), and the image stays writable even
 * for a read-only disk, so that a write vessel let through would show.
 */
static void outer_drive(const struct scenario *s, size_t i, char *arg,
			size_t size)
{
	char img[PATH_MAX];

	disk_image(s, i, img, sizeof(img));
	snprintf(arg, size, "file=%s,format=raw,if=virtio,cache=unsafe", img);
}

/* Runs @s; returns vessel's exit code or -1, @why set on failure. */
static int scenario_run(const struct scenario *s, char *why, size_t size)
{
	char scen[PATH_MAX], outer[PATH_MAX], log[PATH_MAX], evpath[PATH_MAX];
	char control[PATH_MAX], drives[MAX_DISKS][PATH_MAX + 64];
	const char *qemu[32] = { QEMU,
				 "-accel",
				 "tcg",
				 "-cpu",
				 h.cpu,
				 "-m",
				 "1024",
				 "-smp",
				 "1",
				 "-nographic",
				 "-nic",
				 "none",
				 "-no-reboot",
				 "-kernel",
				 OUTER_KERNEL->kernel,
				 "-initrd",
				 outer,
				 "-append",
				 "console=ttyS0 panic=-1 quiet",
				 NULL };
	size_t nq = 0;
	const char *direct[] = { "sh", scen, NULL };
	/* vesselctl goes in only for the rows that use it. */
	const char *mkouter[] = { "tests/linux/mkouter",
				  outer,
				  kernel_of(s)->base,
				  h.vessel,
				  scen,
				  s->send.ctl || s->vesseld ? h.vesselctl : "",
				  s->vesseld ? h.vesseld : NULL,
				  NULL };
	struct run r;
	char *events;
	int code;

	snprintf(scen, sizeof(scen), BUILD "/run/%s.scenario", s->name);
	snprintf(outer, sizeof(outer), BUILD "/run/%s.cpio", s->name);
	snprintf(log, sizeof(log), BUILD "/run/%s.log", s->name);
	snprintf(evpath, sizeof(evpath), BUILD "/run/%s.events", s->name);
	if (h.nested)
		snprintf(control, sizeof(control), "/control");
	else
		snprintf(control, sizeof(control), BUILD "/run/%s.ctl",
			 s->name);
	unlink(evpath); /* vessel appends */
	while (qemu[nq])
		nq++;
	for (size_t i = 0; i < MAX_DISKS && s->disks[i]; i++) {
		outer_drive(s, i, drives[i], sizeof(drives[i]));
		qemu[nq++] = "-drive";
		qemu[nq++] = drives[i];
	}
	qemu[nq] = NULL;
	if (make_disks(s, why, size))
		return -1;
	if (write_scenario(s, scen, evpath, control) ||
	    (h.nested && run_tool(mkouter))) {
		snprintf(why, size, "cannot write %.200s", scen);
		return -1;
	}
	run_console(h.nested ? qemu : direct, h.nested ? NULL : &s->send,
		    control, log, &r);
	code = exit_code_of(&r);
	events = events_of(&r, evpath);
	check_run(s, &r, events, code, why, size);
	printf("linux: %s: exit %d in %.1f s", s->name, code, r.wall);
	for (size_t i = 0; i < N_TIMED; i++)
		if (r.at[i] >= 0)
			printf(", \"%s\" at %.1f s", timed[i], r.at[i]);
	if (s->took.prefix)
		printf(", \"%s\" %ld ms", s->took.prefix,
		       took_ms(&s->took, r.console));
	printf(", log %s\n", log);
	if (!why[0])
		check_disks(s, log, why, size);
	if (why[0]) {
		print_tail(&r, 25);
		fprintf(stderr, "---- events ----\n%s----\n", events);
	}
	free(events);
	free(r.console);
	return code;
}

static void test_scenario(void **state)
{
	const struct scenario *s = *state;
	char why[256];

	scenario_run(s, why, sizeof(why));
	if (why[0])
		fail_msg("%s: %s", s->name, why);
}

static int demo(void)
{
	char why[256];
	int bad = 0;

	for (size_t i = 0; i < N_SCENARIOS; i++) {
		const struct exitcode_info *e;
		int code;

		if (!scenarios[i].demo)
			continue;
		code = scenario_run(&scenarios[i], why, sizeof(why));
		e = exitcode_find(code);
		printf("%s: vessel exited %d: %s%s%s\n", scenarios[i].name,
		       code, e ? e->meaning : "(not a vessel exit code)",
		       why[0] ? " -- UNEXPECTED: " : "", why);
		bad += why[0] != 0;
	}
	return bad ? 1 : 0;
}

/* Scenario @s will run: what it needs is prepared. */
static void want_scenario(const struct scenario *s)
{
	kernel_of(s)->wanted = true;
	if (s->send.ctl || s->vesseld)
		h.need_ctl = true;
	if (s->vesseld)
		h.need_vesseld = true;
}

static bool wanted(const char *name, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[N_SCENARIOS];
	size_t n = 0;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--demo")) {
		for (size_t i = 0; i < N_SCENARIOS; i++)
			if (scenarios[i].demo)
				want_scenario(&scenarios[i]);
		if (harness_setup(NULL))
			return 1;
		return demo();
	}
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		if (!wanted(scenarios[i].name, argc, argv))
			continue;
		want_scenario(&scenarios[i]);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(
			test_scenario, (void *)&scenarios[i]);
		tests[n++].name = scenarios[i].name;
	}
	failed =
		_cmocka_run_group_tests("linux", tests, n, harness_setup, NULL);
	/* A failed setup counts as one failure; then no scenario ran. */
	if (!h.ready)
		failed = n;
	printf("%zu passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
