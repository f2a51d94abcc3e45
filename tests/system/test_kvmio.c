// SPDX-License-Identifier: Apache-2.0
/*
 * kvmio.c on a real KVM VM, without vessel: a few hand-assembled 32-bit
 * instructions touch a device memory slot, ioeventfds and ordinary MMIO
 * and port I/O; MSI routes with irqfds land in the LAPIC's IRR; KVM's
 * default IOAPIC and PIC routes survive our routing table. This is what
 * the shmem and virtio devices stand on, checked where it runs (kvm_pvm
 * included).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../src/vmm/kvmio.h"

#define RAM_SIZE MiB(1)
#define CODE_A 0x1000
#define CODE_B 0x1100
#define SHM_GPA 0x80000000ULL /* a device memory slot */
#define IOEV_ANY4 0xd0000000ULL /* MMIO, 4 bytes, any value */
#define IOEV_MATCH 0xd0000010ULL /* MMIO, 4 bytes, 0x11223344 only */
#define IOEV_NOLEN 0xd0000020ULL /* MMIO, any size, any value */
#define IOEV_PORT 0x510 /* port, 1 byte, 0x44 only */
#define DONE_PORT 0xf4
#define LAPIC_SVR 0xf0
#define LAPIC_IRR 0x200

struct kvm_fix {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	int run_size;
	u8 *ram;
	struct gmem gm;
	struct kvmio k;
};

/* One guest exit that reached user space. */
struct guest_exit {
	u32 reason;
	u64 addr; /* port or guest-physical address */
	u32 len;
	bool write;
	u64 val;
};

/*
 * Program A. Each line: the bytes, then the instruction. The exits it
 * should make are the non-matching write, the non-matching OUT, and DONE.
 */
static const u8 code_a[] = {
	0xa1, 0x00,	 0x00, 0x00, 0x80, /* mov eax, [0x80000000] (slot) */
	0xa3, 0x04,	 0x00, 0x00, 0x80, /* mov [0x80000004], eax (slot) */
	0xb8, 0x44,	 0x33, 0x22, 0x11, /* mov eax, 0x11223344 */
	0xa3, 0x00,	 0x00, 0x00, 0xd0, /* mov [IOEV_ANY4], eax */
	0xa3, 0x10,	 0x00, 0x00, 0xd0, /* mov [IOEV_MATCH], eax */
	0x40, /* inc eax */
	0xa3, 0x10,	 0x00, 0x00, 0xd0, /* mov [IOEV_MATCH], eax: exits */
	0x66, 0xa3,	 0x20, 0x00, 0x00, 0xd0, /* mov [IOEV_NOLEN], ax */
	0xa2, 0x20,	 0x00, 0x00, 0xd0, /* mov [IOEV_NOLEN], al */
	0x66, 0xba,	 0x10, 0x05, /* mov dx, IOEV_PORT */
	0xb0, 0x44, /* mov al, 0x44 */
	0xee, /* out dx, al */
	0xb0, 0x55, /* mov al, 0x55 */
	0xee, /* out dx, al: exits */
	0xe6, DONE_PORT, /* out DONE_PORT, al */
	0xeb, 0xfe, /* jmp $ */
};

/* Program B, run after the slot is gone: the read exits as MMIO. */
static const u8 code_b[] = {
	0xa1, 0x00,	 0x00, 0x00, 0x80, /* mov eax, [0x80000000] */
	0xe6, DONE_PORT, /* out DONE_PORT, al */
	0xeb, 0xfe, /* jmp $ */
};

static struct kvm_segment flat_seg(u16 sel, u8 type)
{
	return (struct kvm_segment){ .limit = 0xffffffff,
				     .selector = sel,
				     .type = type,
				     .present = 1,
				     .s = 1,
				     .db = 1,
				     .g = 1 };
}

/* 32-bit protected mode, flat segments, no paging. */
static void vcpu_flat32(struct kvm_fix *f, u64 rip)
{
	struct kvm_regs r = { .rip = rip, .rflags = 2 };
	struct kvm_sregs s;

	assert_int_equal(ioctl(f->vcpu_fd, KVM_GET_SREGS, &s), 0);
	s.cs = flat_seg(8, 0xb);
	s.ds = s.es = s.fs = s.gs = s.ss = flat_seg(16, 0x3);
	s.cr0 = 0x11; /* PE, ET */
	assert_int_equal(ioctl(f->vcpu_fd, KVM_SET_SREGS, &s), 0);
	assert_int_equal(ioctl(f->vcpu_fd, KVM_SET_REGS, &r), 0);
}

static int setup(void **state)
{
	struct kvm_fix *f = calloc(1, sizeof(*f));
	struct kvm_userspace_memory_region ram = { .memory_size = RAM_SIZE };

	assert_non_null(f);
	*state = f;
	f->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (f->kvm_fd < 0) {
		free(f);
		*state = NULL;
		return 0;
	}
	f->vm_fd = ioctl(f->kvm_fd, KVM_CREATE_VM, 0);
	assert_true(f->vm_fd >= 0);
	ioctl(f->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	assert_int_equal(ioctl(f->vm_fd, KVM_CREATE_IRQCHIP, 0), 0);
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	ram.userspace_addr = (u64)(uintptr_t)f->ram;
	assert_int_equal(ioctl(f->vm_fd, KVM_SET_USER_MEMORY_REGION, &ram), 0);
	gmem_init(&f->gm, f->ram, RAM_SIZE);
	assert_int_equal(kvmio_init(&f->k, f->vm_fd, &f->gm), 0);
	f->vcpu_fd = ioctl(f->vm_fd, KVM_CREATE_VCPU, 0);
	assert_true(f->vcpu_fd >= 0);
	f->run_size = ioctl(f->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	f->run = mmap(NULL, f->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->vcpu_fd, 0);
	assert_true(f->run != MAP_FAILED);
	return 0;
}

static int teardown(void **state)
{
	struct kvm_fix *f = *state;

	if (!f)
		return 0;
	kvmio_free(&f->k);
	munmap(f->run, f->run_size);
	close(f->vcpu_fd);
	close(f->vm_fd);
	close(f->kvm_fd);
	munmap(f->ram, RAM_SIZE);
	free(f);
	return 0;
}

#define NEED_KVM(f)                                     \
	do {                                            \
		if (!(f)) {                             \
			print_message("no /dev/kvm\n"); \
			skip();                         \
		}                                       \
	} while (0)

/* Run until DONE_PORT; record the other exits in @ex. Returns their count. */
static int run_guest(struct kvm_fix *f, struct guest_exit *ex, int max)
{
	int n = 0, rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		struct kvm_run *r = f->run;
		struct guest_exit e = { .reason = 0 };

		assert_int_equal(ioctl(f->vcpu_fd, KVM_RUN, 0), 0);
		e.reason = r->exit_reason;
		if (r->exit_reason == KVM_EXIT_IO) {
			e.addr = r->io.port;
			e.len = r->io.size;
			e.write = r->io.direction == KVM_EXIT_IO_OUT;
			memcpy(&e.val, (u8 *)r + r->io.data_offset, r->io.size);
			if (e.addr == DONE_PORT)
				return n;
		} else if (r->exit_reason == KVM_EXIT_MMIO) {
			e.addr = r->mmio.phys_addr;
			e.len = r->mmio.len;
			e.write = r->mmio.is_write;
			if (e.write)
				memcpy(&e.val, r->mmio.data, r->mmio.len);
			else
				memset(r->mmio.data, 0, sizeof(r->mmio.data));
		} else {
			fail_msg("unexpected exit %u", r->exit_reason);
		}
		assert_true(n < max);
		ex[n++] = e;
	}
	fail_msg("the guest never reached its end");
	return n;
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(fd >= 0);
	return fd;
}

/* The eventfd's counter, read (and so reset); 0 when never written. */
static u64 take_eventfd(int fd)
{
	u64 v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/*
 * Guest accesses: the slot is RAM (no exit, the host sees the write),
 * matching ioeventfds signal their eventfd without an exit, the others
 * exit with their data; after the unmap the slot's address exits.
 */
static void test_guest_slot_and_ioeventfds(void **state)
{
	struct kvm_fix *f = *state;
	int any4, match, nolen, port;
	struct guest_exit ex[8];
	u32 *shm;

	NEED_KVM(f);
	shm = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shm != MAP_FAILED);
	shm[0] = 0xcafef00d;
	memcpy(f->ram + CODE_A, code_a, sizeof(code_a));
	memcpy(f->ram + CODE_B, code_b, sizeof(code_b));
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA, 8192, shm), 0);
	any4 = new_eventfd();
	match = new_eventfd();
	nolen = new_eventfd();
	port = new_eventfd();
	assert_int_equal(
		kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 4, false, 0, any4, 1),
		0);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_MATCH, 4, true,
					 0x11223344, match, true),
			 0);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_NOLEN, 0, false, 0,
					 nolen, true),
			 0);
	assert_int_equal(kvmio_ioeventfd(&f->k, true, IOEV_PORT, 1, true, 0x44,
					 port, true),
			 0);

	vcpu_flat32(f, CODE_A);
	assert_int_equal(run_guest(f, ex, 8), 2);
	assert_int_equal(ex[0].reason, KVM_EXIT_MMIO);
	assert_true(ex[0].addr == IOEV_MATCH && ex[0].write);
	assert_int_equal(ex[0].len, 4);
	assert_int_equal(ex[0].val, 0x11223345);
	assert_int_equal(ex[1].reason, KVM_EXIT_IO);
	assert_true(ex[1].addr == IOEV_PORT && ex[1].write);
	assert_int_equal(ex[1].val, 0x55);
	assert_int_equal(shm[1], 0xcafef00d);
	assert_int_equal(take_eventfd(any4), 1);
	assert_int_equal(take_eventfd(match), 1);
	assert_int_equal(take_eventfd(nolen), 2);
	assert_int_equal(take_eventfd(port), 1);

	assert_int_equal(kvmio_unmap_ram(&f->k, SHM_GPA), 0);
	vcpu_flat32(f, CODE_B);
	assert_int_equal(run_guest(f, ex, 8), 1);
	assert_int_equal(ex[0].reason, KVM_EXIT_MMIO);
	assert_true(ex[0].addr == SHM_GPA && !ex[0].write);

	assert_int_equal(kvmio_ioeventfd(&f->k, true, IOEV_PORT, 1, true, 0x44,
					 port, false),
			 0);
	close(any4);
	close(match);
	close(nolen);
	close(port);
	munmap(shm, 8192);
}

/* Every refusal map_ram promises, and the slot table's limit. */
static void test_map_ram_errors(void **state)
{
	struct kvm_fix *f = *state;
	u8 *mem;
	int i;

	NEED_KVM(f);
	mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(kvmio_map_ram(&f->k, 0x80000, 4096, mem), -EEXIST);
	assert_int_equal(kvmio_map_ram(&f->k, RAM_SIZE - 4096, 8192, mem),
			 -EEXIST);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA + 1, 4096, mem), -EINVAL);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA, 4095, mem), -EINVAL);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA, 4096, mem + 1), -EINVAL);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA, 0, mem), -EINVAL);
	assert_int_equal(kvmio_map_ram(&f->k, ~0xfffULL, 8192, mem), -EINVAL);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA, 8192, mem), 0);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA + 4096, 8192, mem + 4096),
			 -EEXIST);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA - 4096, 8192, mem),
			 -EEXIST);
	assert_int_equal(kvmio_unmap_ram(&f->k, SHM_GPA + 4096), -ENOENT);
	assert_int_equal(kvmio_unmap_ram(&f->k, SHM_GPA), 0);
	assert_int_equal(kvmio_unmap_ram(&f->k, SHM_GPA), -ENOENT);

	for (i = 0; i < KVMIO_MAX_SLOTS; i++)
		assert_int_equal(
			kvmio_map_ram(&f->k, SHM_GPA + i * 4096ULL, 4096, mem),
			0);
	assert_int_equal(kvmio_map_ram(&f->k, SHM_GPA + i * 4096ULL, 4096, mem),
			 -ENOSPC);
	for (i = 0; i < KVMIO_MAX_SLOTS; i++)
		assert_int_equal(kvmio_unmap_ram(&f->k, SHM_GPA + i * 4096ULL),
				 0);
	munmap(mem, 3 * 4096);
}

static u32 lapic_reg(const struct kvm_lapic_state *l, u32 off)
{
	u32 v;

	memcpy(&v, &l->regs[off], 4);
	return v;
}

/* Turn the LAPIC on (SVR bit 8): a disabled one accepts no fixed MSI. */
static void lapic_enable(struct kvm_fix *f)
{
	struct kvm_lapic_state l;
	u32 svr;

	assert_int_equal(ioctl(f->vcpu_fd, KVM_GET_LAPIC, &l), 0);
	svr = lapic_reg(&l, LAPIC_SVR) | 0x1ff;
	memcpy(&l.regs[LAPIC_SVR], &svr, 4);
	assert_int_equal(ioctl(f->vcpu_fd, KVM_SET_LAPIC, &l), 0);
}

static bool lapic_irr(struct kvm_fix *f, int vec)
{
	struct kvm_lapic_state l;

	assert_int_equal(ioctl(f->vcpu_fd, KVM_GET_LAPIC, &l), 0);
	return lapic_reg(&l, LAPIC_IRR + (vec / 32) * 0x10) &
	       (1u << (vec % 32));
}

/* Wait up to a second for @vec in the IRR (irqfd injection may be async). */
static bool lapic_irr_wait(struct kvm_fix *f, int vec)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (lapic_irr(f, vec))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static void ring(int efd)
{
	u64 one = 1;

	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
}

/* An irqfd on an MSI route reaches the LAPIC, and follows route updates. */
static void test_msi_route_irqfd(void **state)
{
	struct kvm_fix *f = *state;
	int gsi, gsi2, efd;

	NEED_KVM(f);
	lapic_enable(f);
	gsi = kvmio_msi_route(&f->k, -1, 0xfee00000, 0x40);
	assert_int_equal(gsi, KVMIO_FIRST_MSI_GSI);
	efd = new_eventfd();
	assert_int_equal(kvmio_irqfd(&f->k, efd, gsi, true), 0);
	assert_false(lapic_irr(f, 0x40));
	ring(efd);
	assert_true(lapic_irr_wait(f, 0x40));

	assert_int_equal(kvmio_msi_route(&f->k, gsi, 0xfee00000, 0x41), gsi);
	ring(efd);
	assert_true(lapic_irr_wait(f, 0x41));

	gsi2 = kvmio_msi_route(&f->k, -1, 0xfee00000, 0x42);
	assert_int_equal(gsi2, gsi + 1);
	assert_int_equal(kvmio_irqfd(&f->k, efd, gsi, false), 0);
	kvmio_msi_unroute(&f->k, gsi);
	assert_int_equal(kvmio_msi_route(&f->k, gsi, 0xfee00000, 0x43),
			 -ENOENT);
	assert_int_equal(kvmio_msi_route(&f->k, -1, 0xfee00000, 0x43), gsi);
	assert_int_equal(kvmio_msi_route(&f->k, 23, 0xfee00000, 0x43), -EINVAL);
	assert_int_equal(kvmio_msi_route(&f->k,
					 KVMIO_FIRST_MSI_GSI + f->k.nr_msi,
					 0xfee00000, 0x43),
			 -EINVAL);
	close(efd);
}

/* The IOAPIC and PIC input latches for @gsi's pins. */
static void irqchip_irr(struct kvm_fix *f, u32 *ioapic, u8 *master, u8 *slave)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };

	assert_int_equal(ioctl(f->vm_fd, KVM_GET_IRQCHIP, &c), 0);
	*ioapic = c.chip.ioapic.irr;
	c = (struct kvm_irqchip){ .chip_id = KVM_IRQCHIP_PIC_MASTER };
	assert_int_equal(ioctl(f->vm_fd, KVM_GET_IRQCHIP, &c), 0);
	*master = c.chip.pic.irr;
	c = (struct kvm_irqchip){ .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	assert_int_equal(ioctl(f->vm_fd, KVM_GET_IRQCHIP, &c), 0);
	*slave = c.chip.pic.irr;
}

static void irq_line(struct kvm_fix *f, u32 gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	assert_int_equal(ioctl(f->vm_fd, KVM_IRQ_LINE, &l), 0);
}

/*
 * After our table replaced KVM's, GSIs 0-15 still reach both the IOAPIC
 * and the PICs and 16-23 the IOAPIC, as KVM's default table has them.
 */
static void test_default_routes_kept(void **state)
{
	struct kvm_fix *f = *state;
	u32 ioapic;
	u8 master, slave;

	NEED_KVM(f);
	assert_int_equal(kvmio_msi_route(&f->k, -1, 0xfee00000, 0x40),
			 KVMIO_FIRST_MSI_GSI);
	irq_line(f, 3, 1);
	irq_line(f, 10, 1);
	irq_line(f, 20, 1);
	irqchip_irr(f, &ioapic, &master, &slave);
	assert_int_equal(ioapic & (1u << 3 | 1u << 10 | 1u << 20),
			 1u << 3 | 1u << 10 | 1u << 20);
	assert_true(master & 1u << 3);
	assert_true(slave & 1u << 2);
	irq_line(f, 3, 0);
	irq_line(f, 10, 0);
	irq_line(f, 20, 0);
	irqchip_irr(f, &ioapic, &master, &slave);
	assert_int_equal(ioapic & (1u << 3 | 1u << 10 | 1u << 20), 0);
}

/* ioeventfd refusals: bad sizes here, duplicates and strangers in KVM. */
static void test_ioeventfd_errors(void **state)
{
	struct kvm_fix *f = *state;
	int efd;

	NEED_KVM(f);
	efd = new_eventfd();
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 3, false, 0,
					 efd, true),
			 -EINVAL);
	assert_int_equal(
		kvmio_ioeventfd(&f->k, true, IOEV_PORT, 0, false, 0, efd, true),
		-EINVAL);
	assert_int_equal(
		kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 0, true, 1, efd, true),
		-EINVAL);
	assert_int_equal(
		kvmio_ioeventfd(&f->k, false, ~0ULL, 4, false, 0, efd, true),
		-EINVAL);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 4, false, 0,
					 efd, true),
			 0);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 4, false, 0,
					 efd, true),
			 -EEXIST);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 4, false, 0,
					 efd, false),
			 0);
	assert_int_equal(kvmio_ioeventfd(&f->k, false, IOEV_ANY4, 4, false, 0,
					 efd, false),
			 -ENOENT);
	assert_int_equal(kvmio_irqfd(&f->k, -1, 24, true), -EINVAL);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_slot_and_ioeventfds,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_ram_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msi_route_irqfd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_default_routes_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd_errors, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
