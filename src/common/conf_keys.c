// SPDX-License-Identifier: Apache-2.0
/*
 * Every option vessel knows: one row each. --help prints this table, and
 * conf.c checks each value against its row when it is set.
 */
#include "conf.h"

const struct conf_key conf_keys[] = {
	{ "name", CONF_STRING, .help_arg = "NAME",
	  .help = "the guest's name, used in logs" },
	{ "kernel", CONF_PATH, .help_arg = "PATH",
	  .help = "kernel: Linux bzImage, ELF vmlinux or PVH ELF (detected)" },
	{ "initrd", CONF_PATH, .help_arg = "PATH", .help = "initramfs" },
	{ "cmdline", CONF_STRING, .help_arg = "TEXT",
	  .help = "kernel command line (rest of the line in a file)" },
	{ "mem", CONF_SIZE, 16ULL << 20, 64ULL << 30, .help_arg = "SIZE",
	  .help = "guest RAM, 16M..64G (K/M/G suffix; default 256M)" },
	{ "cpus", CONF_UINT, 1, 254, .help_arg = "N",
	  .help = "number of vCPUs, 1..254 (default 1)" },
	{ "serial", CONF_CHOICE, .choices = "stdio|file:|pty|unix:|none",
	  .help_arg = "BACKEND",
	  .help = "COM1 console: stdio (default), file:PATH, pty, unix:PATH, none" },
	{ "power-button", CONF_CHOICE, .choices = "acpi|none",
	  .help_arg = "acpi|none",
	  .help = "acpi (default): SIGTERM/SIGINT press the ACPI power button; none: they terminate at once" },
	{ "power-button-timeout", CONF_TIME, 1, 86400000, .help_arg = "TIME",
	  .help = "after a press, terminate (35) if the guest is still up after TIME (default: wait)" },
	{ "sighup", CONF_CHOICE, .choices = "ignore|power-button|terminate",
	  .help_arg = "ACTION",
	  .help = "what SIGHUP does: ignore (default), power-button, terminate" },
	{ "events", CONF_STRING, .help_arg = "PATH|fd:N",
	  .help = "write lifecycle events as JSON lines to PATH (appended) or fd N" },
	{ "control", CONF_PATH, .help_arg = "PATH",
	  .help = "control socket (mode 0600) for vesselctl --vm PATH" },
	{ "state", CONF_PATH, .help_arg = "PATH",
	  .help = "keep a JSON record of this vessel at PATH (pid, running, exit code or fatal signal) for a supervisor; docs/state.md" },
	{ "quiesce-hook", CONF_STRING, .help_arg = "CMD",
	  .help = "host command run (sh -c) once before exit, with VESSEL_NAME, VESSEL_REASON, VESSEL_EXIT_CODE set" },
	{ "quiesce-hook-timeout", CONF_TIME, 1, 3600000, .help_arg = "TIME",
	  .help = "how long the hook may run before it is abandoned (default 10s)" },
	{ "watchdog", CONF_LIST,
	  .choices =
		  "model=i6300esb|ib700,action=terminate|reset|poweroff|pause|nmi|none",
	  .help_arg = "model=M,action=A",
	  .help = "watchdog: model i6300esb (PCI, default) or ib700 (ISA); on expiry terminate (exit 4, default), reset (32), poweroff (power button), pause, nmi, none (event only)" },
	{ "shmem", CONF_LIST,
	  .choices = "model=qnx|ivshmem,name=*,size=*,allow=*,deny=*",
	  .help_arg = "model=M,name=N,size=S",
	  .help = "shared memory device: model qnx (QNX guest_shm, default) or ivshmem; name=N size=S pre-creates region N; allow=/deny= ':'-separated name patterns (docs/shmem.md)" },
	{ "disk", CONF_LIST,
	  .choices =
		  "path=*,readonly=on|off,id=*,cache=writeback|writethrough,iothreads=*",
	  .help_arg = "path=FILE[,readonly][,id=ID]",
	  .help = "virtio-blk disk on a raw image file or block device (repeatable: vda, vdb, ...); readonly: writes fail; id: the serial the guest reads (default diskN); cache=writethrough: every write is fdatasynced (default writeback: only the guest's flushes are); iothreads=N: host I/O threads per disk (1..8, default 1)" },
	{ "lifecycle-hook", CONF_STRING, .help_arg = "CMD",
	  .help = "host command (sh -c) run when the guest announces a state over its lifecycle region, before vessel acknowledges it (VESSEL_GUEST_STATE set; at most 10s)" },
	{ NULL },
};
