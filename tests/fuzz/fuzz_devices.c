// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: every device model's register interface as a hostile guest
 * reaches it. A machine of the real device models (src/vmm/dev/),
 * created through their dev_type in prio order in the unit tests' fake
 * environment (tests/unit/fake_env.c: real buses, malloc'd guest RAM
 * that ASan guards, recorded interrupts and stops), then a sequence of
 * guest accesses: the legacy ports (COM1, i8042, RTC, ACPI PM, 0xCF9,
 * pvpanic, ib700, PCI configuration mechanism #1), PCI configuration
 * space of every slot (BARs moved anywhere, over each other and RAM;
 * MSI-X enabled), the BARs where the device put them (virtio-pci
 * common/ISR/device configuration/notify, MSI-X tables, the shmem
 * devices' registers), any port or MMIO address, the clock run forward
 * (timers: watchdogs, the RTC), the device fds polled and irqfds fired,
 * guest RAM written (virtqueues, requests).
 * Checks: no memory error, no undefined behaviour, no hang (a timer
 * that fires without end), interrupt lines are 0 or 1, a stop reason is
 * one of dev.h's; then every device quiesces and is destroyed with
 * nothing leaked (LeakSanitizer).
 *
 * Input: u8 machine (which devices and options, below), then operations
 * of 8 bytes: u8 kind (bits 0-3 enum fuzz_kind, 4-5 log2 width, 6 the
 * MSI-X PBA rather than the table, 7 write), u8 target (a port; a slot
 * in bits 0-4 and a BAR or the capability's place in the list in bits
 * 5-7; a mapping), u16 offset, u32 value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/common/log.h"
#include "../../src/shm/shm.h"
#include "../../src/vmm/boot/layout.h"
#include "../../src/vmm/dev/pci.h"
#include "../unit/fake_env.h"
#include "fuzz.h"

#define RAM_SIZE (1u << 20)
#define MAX_OPS 4096
#define MAX_BARS 6
#define DISK_SIZE (64u << 10)
/*
 * Timer expiries one OP_CLOCK may cause: a guest can program a watchdog
 * or the RTC to fire every few microseconds, and a jump of seconds would
 * then spend the run firing them.
 */
#define MAX_FIRES 64
#define KICK_WAIT_US 200

extern const struct dev_type dev_acpi_pm, dev_uart16550, dev_rtc, dev_i8042,
	dev_reset_cf9, dev_pvpanic, dev_i6300esb, dev_ib700, dev_lifecycle_peer,
	dev_shmem_qnx, dev_shmem_ivshmem, dev_virtio_blk;

/* In prio order, as vm.c creates them. */
static const struct dev_type *const fuzz_types[] = {
	&dev_acpi_pm,	&dev_uart16550,	    &dev_rtc,
	&dev_i8042,	&dev_reset_cf9,	    &dev_pvpanic,
	&dev_i6300esb,	&dev_ib700,	    &dev_lifecycle_peer,
	&dev_shmem_qnx, &dev_shmem_ivshmem, &dev_virtio_blk,
};
#define NR_TYPES ARRAY_SIZE(fuzz_types)

static const char *const fuzz_actions[] = {
	"terminate", "reset", "poweroff", "pause", "nmi", "none",
};

/* The legacy ports: each a base the offset is added to (mod 16). */
static const u16 fuzz_ports[] = {
	PORT_COM1,
	PORT_I8042_DATA,
	PORT_I8042_CMD,
	PORT_RTC,
	PORT_PM1A_EVT,
	PORT_PM1A_CNT,
	PORT_PM_TMR,
	PORT_ACPI_RESET,
	PORT_SMI_CMD,
	PORT_RESET_CONTROL,
	PORT_PCI_CONFIG_ADDR,
	PORT_PCI_CONFIG_DATA,
	0x505 /* pvpanic */,
	0x441 /* ib700 */,
};

enum fuzz_kind {
	OP_PIO, /* a legacy port */
	OP_CFG, /* PCI configuration space of a slot */
	OP_BAR, /* inside a BAR, where the device's config says it is */
	OP_ANY_PIO,
	OP_ANY_MMIO,
	OP_CLOCK, /* time passes: timers fire */
	OP_POLL, /* the loop: ready fds, fired irqfds */
	OP_CAP, /* what a PCI capability points at (virtio, MSI-X) */
	OP_RAM, /* the guest writes its RAM: rings, requests */
	OP_MAP, /* ... or memory a device mapped for it (shared regions) */
	OP_KINDS,
};

struct fuzz_machine {
	struct dev_env *env;
	struct pci_bus *bus;
	void *dev[NR_TYPES];
	int kicks; /* env->ioeventfd_hits at the last poll */
};

static char fuzz_top[] = "/tmp/fuzz-devices-XXXXXX";
static char fuzz_disk[64];

static void fuzz_fini(void)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "%s/shm", fuzz_top);
	rmdir(dir);
	unlink(fuzz_disk);
	rmdir(fuzz_top);
}

/* Once: the shmem devices' region directory and a disk image. */
static void fuzz_init(void)
{
	char *top = fuzz_top, dir[64];
	int fd;

	log_set_level(LOG_ERR);
	FUZZ_CHECK(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/shm", top);
	setenv(SHM_DIR_ENV, dir, 1);
	snprintf(fuzz_disk, sizeof(fuzz_disk), "%s/disk.img", top);
	fd = open(fuzz_disk, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0 && !ftruncate(fd, DISK_SIZE));
	close(fd);
	atexit(fuzz_fini);
}

/*
 * Machine byte: bits 0-1 the shared-memory device (none, qnx, ivshmem,
 * qnx with the lifecycle region), bit 2 the watchdog model (i6300esb,
 * ib700), bits 3-5 its action, bit 6 a virtio-blk disk (read-only with
 * bit 7), bit 7 also power-button none.
 */
static struct fuzz_machine *fuzz_machine_new(unsigned m)
{
	static const char *const shmem[] = {
		NULL,
		"shmem model=qnx,name=fz,size=8K",
		"shmem model=ivshmem,name=fz,size=8K",
		"shmem model=qnx,name=lifecycle,size=4K",
	};
	char watchdog[96], disk[128];
	const char *opts[8] = { "name fz", "serial file:/dev/null" };
	struct fuzz_machine *fm = calloc(1, sizeof(*fm));
	int n = 2;
	unsigned i;

	FUZZ_CHECK(fm);
	snprintf(watchdog, sizeof(watchdog), "watchdog model=%s,action=%s",
		 m & 4 ? "ib700" : "i6300esb",
		 fuzz_actions[((m >> 3) & 7) % 6]);
	opts[n++] = watchdog;
	if (shmem[m & 3])
		opts[n++] = shmem[m & 3];
	if (m & 0x40) {
		snprintf(disk, sizeof(disk), "disk path=%s%s", fuzz_disk,
			 m & 0x80 ? ",readonly" : "");
		opts[n++] = disk;
	}
	if (m & 0x80)
		opts[n++] = "power-button none";
	fm->env = fake_env_new(RAM_SIZE, opts);
	FUZZ_CHECK(!pci_bus_create(fm->env, &fm->bus));
	fm->env->pci = fm->bus;
	for (i = 0; i < NR_TYPES; i++)
		FUZZ_CHECK(!fuzz_types[i]->create(fm->env, &fm->dev[i]));
	/* vm_run(): the devices start their threads. */
	for (i = 0; i < NR_TYPES; i++)
		if (fm->dev[i] && fuzz_types[i]->run)
			FUZZ_CHECK(!fuzz_types[i]->run(fm->dev[i]));
	return fm;
}

static void fuzz_machine_free(struct fuzz_machine *fm)
{
	int i;

	for (i = NR_TYPES - 1; i >= 0; i--)
		if (fm->dev[i] && fuzz_types[i]->quiesce)
			fuzz_types[i]->quiesce(fm->dev[i], STOP_TERMINATED);
	for (i = NR_TYPES - 1; i >= 0; i--)
		if (fm->dev[i])
			fuzz_types[i]->destroy(fm->dev[i]);
	pci_bus_destroy(fm->bus);
	fake_env_free(fm->env);
	free(fm);
}

static u8 fuzz_width(unsigned bits)
{
	return 1u << (bits & 3);
}

static void fuzz_access(struct dev_env *env, enum bus_space sp, u64 addr,
			unsigned kind, u64 val)
{
	u8 size = fuzz_width(kind >> 4);

	if (kind & 0x80) {
		fake_write(env, sp, addr, size, val);
		return;
	}
	/* Bits above @size may be set: the vCPU passes on @size bytes. */
	(void)fake_read(env, sp, addr, size);
}

/* Where the device in @slot decodes BAR @bar now, or 0. */
static u64 fuzz_bar_base(struct dev_env *env, unsigned slot, unsigned bar,
			 bool *io)
{
	u32 lo = fake_cfg_read(env, slot, 0x10 + 4 * bar, 4);
	u64 base;

	if (lo == 0xffffffff)
		return 0;
	*io = lo & 1;
	if (*io)
		return lo & ~3u;
	base = lo & ~0xfu;
	if ((lo & 6) == 4 && bar < MAX_BARS - 1)
		base |= (u64)fake_cfg_read(env, slot, 0x14 + 4 * bar, 4) << 32;
	return base;
}

/*
 * The @nth capability of the device in @slot: a virtio-pci structure
 * (vendor capability: its BAR, offset and length) or the MSI-X table and
 * PBA give a BAR range; any other, the capability's own bytes.
 */
static bool fuzz_cap_range(struct dev_env *env, unsigned slot, unsigned nth,
			   bool pba, enum bus_space *sp, u64 *addr, u64 *len)
{
	unsigned at = fake_cfg_read(env, slot, 0x34, 1), i, bar;
	u64 base;
	bool io;

	if (fake_cfg_read(env, slot, 0, 2) == 0xffff)
		return false;
	for (i = 0; i < nth && at; i++)
		at = fake_cfg_read(env, slot, at + 1, 1);
	if (!at || at > 0xfc)
		return false;
	switch (fake_cfg_read(env, slot, at, 1)) {
	case 0x09: /* virtio: cfg_type, bar, ..., offset, length */
		bar = fake_cfg_read(env, slot, at + 4, 1);
		*addr = fake_cfg_read(env, slot, at + 8, 4);
		*len = fake_cfg_read(env, slot, at + 12, 4);
		break;
	case 0x11: { /* MSI-X: table size, BIR | offset, PBA */
		u32 t = fake_cfg_read(env, slot, at + (pba ? 8 : 4), 4);

		bar = t & 7;
		*addr = t & ~7u;
		*len = pba ? 8 :
			     16 * ((fake_cfg_read(env, slot, at + 2, 2) &
				    0x7ff) +
				   1);
		break;
	}
	default:
		*sp = BUS_PIO; /* the caller turns it into a config access */
		*addr = at;
		*len = 0;
		return true;
	}
	if (bar >= MAX_BARS)
		return false;
	base = fuzz_bar_base(env, slot, bar, &io);
	if (!base || !*len)
		return false;
	*sp = io ? BUS_PIO : BUS_MMIO;
	*addr += base;
	return true;
}

static void fuzz_cap_op(struct dev_env *env, unsigned kind, unsigned target,
			unsigned off, u32 val)
{
	enum bus_space sp;
	u64 addr, len;

	if (!fuzz_cap_range(env, target % 32, target >> 5, kind & 0x40, &sp,
			    &addr, &len))
		return;
	if (!len) {
		if (kind & 0x80)
			fake_cfg_write(env, target % 32, addr + off % 16,
				       fuzz_width(kind >> 4), val);
		else
			(void)fake_cfg_read(env, target % 32, addr + off % 16,
					    fuzz_width(kind >> 4));
		return;
	}
	fuzz_access(env, sp, addr + off % len, kind, val);
}

/* The guest's store into the @target'th live mapping of a device. */
static void fuzz_map_write(struct dev_env *env, unsigned target, unsigned off,
			   u32 val)
{
	const struct fake_map *m = &env->maps[target % FAKE_MAPS];

	if (m->len >= 4)
		memcpy((u8 *)m->hva +
			       ((u64)(target >> 3) << 16 | off) % (m->len - 3),
		       &val, 4);
}

/* Time passes by @ns, one due timer after the other, MAX_FIRES at most. */
static void fuzz_clock(struct dev_env *env, u64 ns)
{
	u64 end = env->now_ns + ns;
	int i;

	for (i = 0; i < MAX_FIRES && env->now_ns < end; i++) {
		const struct dev_timer *t;
		u64 next = end;

		for (t = env->timers; t; t = t->next)
			if (t->deadline_ns && t->deadline_ns < next)
				next = t->deadline_ns;
		fake_env_advance(env,
				 next > env->now_ns ? next - env->now_ns : 0);
	}
}

/*
 * The loop's turn: ready fds, fired irqfds. After a kick that went to an
 * ioeventfd, the device's I/O thread gets a moment to take the requests
 * first (it runs on its own, as beside a vCPU).
 */
static void fuzz_poll(struct fuzz_machine *fm)
{
	if (fm->env->ioeventfd_hits != fm->kicks) {
		fm->kicks = fm->env->ioeventfd_hits;
		usleep(KICK_WAIT_US);
	}
	fake_env_poll(fm->env);
	fake_env_fire_irqfds(fm->env);
}

static void fuzz_check_env(const struct dev_env *env)
{
	int i;

	for (i = 0; i < FAKE_GSIS; i++)
		FUZZ_CHECK(env->irq[i].level == 0 || env->irq[i].level == 1);
	FUZZ_CHECK(env->stop >= STOP_NONE && env->stop <= STOP_INTERNAL);
	FUZZ_CHECK(env->nr_msi >= 0 && env->nr_msi <= FAKE_MSIS);
}

static void fuzz_op(struct fuzz_machine *fm, unsigned kind, unsigned target,
		    unsigned off, u32 val)
{
	struct dev_env *env = fm->env;
	u64 base;
	bool io;

	switch ((kind & 0xf) % OP_KINDS) {
	case OP_PIO:
		fuzz_access(env, BUS_PIO,
			    fuzz_ports[target % ARRAY_SIZE(fuzz_ports)] +
				    off % 16,
			    kind, val);
		break;
	case OP_CFG:
		if (kind & 0x80)
			fake_cfg_write(env, target % 32, off % 256,
				       fuzz_width(kind >> 4), val);
		else
			(void)fake_cfg_read(env, target % 32, off % 256,
					    fuzz_width(kind >> 4));
		break;
	case OP_BAR:
		base = fuzz_bar_base(env, target % 32, (target >> 5) % MAX_BARS,
				     &io);
		if (base)
			fuzz_access(env, io ? BUS_PIO : BUS_MMIO, base + off,
				    kind, val);
		break;
	case OP_ANY_PIO:
		fuzz_access(env, BUS_PIO, off, kind, val);
		break;
	case OP_ANY_MMIO:
		fuzz_access(env, BUS_MMIO, (u64)val << 12 | off % 4096, kind,
			    (u64)target << 8 | off >> 8);
		break;
	case OP_CLOCK:
		fuzz_clock(env, (u64)val << (target % 24));
		break;
	case OP_CAP:
		fuzz_cap_op(env, kind, target, off, val);
		break;
	case OP_RAM:
		memcpy(env->ram + (((u64)target << 16 | off) % (RAM_SIZE - 3)),
		       &val, 4);
		break;
	case OP_MAP:
		fuzz_map_write(env, target, off, val);
		break;
	case OP_POLL:
		fuzz_poll(fm);
		break;
	}
	fuzz_check_env(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_machine *fm;
	int n;

	if (!*fuzz_disk)
		fuzz_init();
	fm = fuzz_machine_new(fuzz_take(&in, 1));
	for (n = 0; n < MAX_OPS && in.left; n++) {
		unsigned kind = fuzz_take(&in, 1), target = fuzz_take(&in, 1);
		unsigned off = fuzz_take(&in, 2);

		fuzz_op(fm, kind, target, off, fuzz_take(&in, 4));
	}
	fuzz_machine_free(fm);
	return 0;
}
