// SPDX-License-Identifier: Apache-2.0
/*
 * vCPU threads: KVM_RUN and the exit switch. Port and MMIO exits go to the
 * buses; anything that ends the guest becomes vm_request_stop() and the
 * thread returns. [kvmtool kvm-cpu.c; firecracker vstate/vcpu.rs]
 */
#include "vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/hostproc.h"
#include "../common/log.h"
#include "boot/cpuid.h"
#include "boot/layout.h"
#include "sandbox.h"
#include "vm.h"

#define KICK_SIGNAL (SIGRTMIN)

/* Control register and EFER bits (Intel SDM Vol. 3A 2.5, AMD APM 3.1.7). */
#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

/* LAPIC LVT registers and delivery modes (SDM Vol. 3A 10.5.1). */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

int vcpu_kick_init(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static struct kvm_segment vcpu_seg(u16 sel, u8 type, bool code64)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
		.l = code64,
		.db = !code64,
		.g = 1,
	};
}

/* Flat segments for either entry; long mode also gets paging on. */
static int vcpu_set_sregs(struct vcpu *v, const struct boot_entry *e)
{
	bool lm = e->mode == BOOT_MODE_LONG64;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	s.cs = vcpu_seg(lm ? BOOT_CS_SELECTOR : BOOT_CS32_SELECTOR, 0xb, lm);
	s.ds = s.es = s.fs = s.gs = s.ss = vcpu_seg(BOOT_DS_SELECTOR, 0x3, 0);
	s.tr = (struct kvm_segment){ .limit = 0xffff,
				     .type = 0xb,
				     .present = 1 };
	s.gdt.base = BOOT_GDT;
	s.gdt.limit = BOOT_GDT_LIMIT;
	s.idt.base = BOOT_IDT;
	s.idt.limit = 0;
	s.cr0 = CR0_PE | CR0_ET;
	s.cr4 = 0;
	s.efer = 0;
	if (lm) {
		s.cr0 |= CR0_PG;
		s.cr3 = BOOT_PML4;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	}
	return ioctl(v->fd, KVM_SET_SREGS, &s) < 0 ? -errno : 0;
}

static int vcpu_set_boot_regs(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_regs r = {
		.rip = e->rip,
		.rsi = e->rsi,
		.rbx = e->rbx,
		.rflags = 0x2, /* bit 1 is reserved, always set */
	};
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int ret = vcpu_set_sregs(v, e);

	if (ret)
		return ret;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

/*
 * LINT0 as ExtINT and LINT1 as NMI, as firmware leaves them: the PIC's
 * interrupts reach the boot CPU before the OS switches to the IOAPIC.
 */
static int vcpu_set_lint(struct vcpu *v)
{
	struct kvm_lapic_state la;
	u32 *lvt0 = (u32 *)&la.regs[APIC_LVT0];
	u32 *lvt1 = (u32 *)&la.regs[APIC_LVT1];

	if (ioctl(v->fd, KVM_GET_LAPIC, &la) < 0)
		return -errno;
	*lvt0 = (*lvt0 & ~0x700u) | (APIC_MODE_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u) | (APIC_MODE_NMI << 8);
	return ioctl(v->fd, KVM_SET_LAPIC, &la) < 0 ? -errno : 0;
}

static int vcpu_set_cpuid(struct vcpu *v)
{
	const struct kvm_cpuid2 *src = v->vm->cpuid;
	size_t sz = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, src, sz);
	cpuid_setup(c, v->id, v->vm->ncpus);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}

int vcpu_create(struct vcpu *v, struct vm *vm, u32 id)
{
	const char *step = "KVM_CREATE_VCPU";
	int ret;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		ret = -errno;
		goto err;
	}
	step = "mapping kvm_run";
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = -errno;
		v->run = NULL;
		goto err_close;
	}
	step = "CPUID";
	ret = vcpu_set_cpuid(v);
	if (!ret && id == 0) {
		step = "boot registers";
		ret = vcpu_set_lint(v);
		ret = ret ? ret : vcpu_set_boot_regs(v, &vm->entry);
	}
	if (!ret)
		return 0;
	munmap(v->run, vm->run_size);
	v->run = NULL;
err_close:
	close(v->fd);
err:
	log_err("vCPU %u: %s: %s", id, step, strerror(-ret));
	v->fd = -1;
	return ret;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

/* Port I/O: KVM packs @count accesses of @size bytes at data_offset. */
static void vcpu_exit_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	u8 *data = (u8 *)run + run->io.data_offset;
	u32 i;

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		struct io_access a = {
			.size = run->io.size,
			.write = run->io.direction == KVM_EXIT_IO_OUT,
		};

		if (a.write)
			memcpy(&a.val, data, a.size);
		bus_access(&v->vm->pio, run->io.port, &a);
		if (!a.write)
			memcpy(data, &a.val, a.size);
	}
}

static void vcpu_exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct io_access a = {
		.size = run->mmio.len,
		.write = run->mmio.is_write,
	};

	if (a.size > sizeof(a.val))
		a.size = sizeof(a.val);
	if (a.write)
		memcpy(&a.val, run->mmio.data, a.size);
	bus_access(&v->vm->mmio, run->mmio.phys_addr, &a);
	if (!a.write)
		memcpy(run->mmio.data, &a.val, a.size);
}

static void vcpu_dump_seg(FILE *f, const char *name,
			  const struct kvm_segment *s)
{
	fprintf(f,
		"  %-3s sel=%04x base=%016llx limit=%08x type=%x l=%d db=%d\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->l, s->db);
}

/* The register dump of a guest that became unusable, on stderr. */
static void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	FILE *f = stderr;

	fprintf(f, "vCPU %u registers:\n", v->id);
	if (ioctl(v->fd, KVM_GET_REGS, &r) == 0) {
		fprintf(f, "  rip=%016llx rsp=%016llx rflags=%016llx\n", r.rip,
			r.rsp, r.rflags);
		fprintf(f,
			"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
			r.rax, r.rbx, r.rcx, r.rdx);
		fprintf(f, "  rsi=%016llx rdi=%016llx rbp=%016llx\n", r.rsi,
			r.rdi, r.rbp);
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &s) == 0) {
		fprintf(f,
			"  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
		vcpu_dump_seg(f, "cs", &s.cs);
		vcpu_dump_seg(f, "ss", &s.ss);
		fprintf(f, "  gdt=%016llx/%x idt=%016llx/%x\n", s.gdt.base,
			s.gdt.limit, s.idt.base, s.idt.limit);
	}
	fflush(f);
}

static void vcpu_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	u32 i, n = MIN(run->internal.ndata,
		       (u32)ARRAY_SIZE(run->internal.data));

	log_err("vCPU %u: KVM internal error, suberror %u", v->id,
		run->internal.suberror);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  data[%u]=%016llx\n", i,
			run->internal.data[i]);
	vcpu_dump(v);
}

/* Handle one exit; returns the stop reason it implies, or STOP_NONE. */
static enum stop_reason vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(v);
		return STOP_NONE;
	case KVM_EXIT_MMIO:
		vcpu_exit_mmio(v);
		return STOP_NONE;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT:
		return STOP_NONE;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault resets a PC. */
		log_info("vCPU %u: triple fault: the guest resets", v->id);
		return STOP_REBOOT;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			return STOP_POWEROFF;
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			return STOP_REBOOT;
		if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			return STOP_PANIC;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_internal_error(v);
		return STOP_GUEST_ERROR;
	case KVM_EXIT_FAIL_ENTRY:
		log_err("vCPU %u: VM entry failed, reason 0x%llx", v->id,
			(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
		vcpu_dump(v);
		return STOP_GUEST_ERROR;
	}
	log_err("vCPU %u: unexpected KVM exit %u", v->id, run->exit_reason);
	vcpu_dump(v);
	return STOP_GUEST_ERROR;
}

/* The mechanism behind a stop the vCPU itself saw, for events. */
static const char *vcpu_stop_cause(struct vcpu *v, enum stop_reason why)
{
	switch (v->run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		return "triple-fault";
	case KVM_EXIT_SYSTEM_EVENT:
		return "kvm-system-event";
	case KVM_EXIT_INTERNAL_ERROR:
		return "kvm-internal-error";
	case KVM_EXIT_FAIL_ENTRY:
		return "kvm-entry-failure";
	}
	return why == STOP_INTERNAL ? "KVM_RUN failed" : "kvm-exit";
}

/*
 * The vCPU was asked out of KVM_RUN. While the VM is paused, wait here;
 * then clear immediate_exit and go on. False when the vCPU must stop.
 */
static bool vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool go;

	pthread_mutex_lock(&vm->pause_lock);
	while (vm->paused && !v->stopping)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	go = !v->stopping;
	if (go)
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->pause_lock);
	return go;
}

void vcpu_pause(struct vcpu *v)
{
	if (!v->started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, KICK_SIGNAL);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	enum stop_reason why = STOP_NONE;
	char name[16];

	/* Only the kick reaches a vCPU thread from outside: it interrupts KVM_RUN. */
	hostproc_thread_sigmask(KICK_SIGNAL);
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	/* Its allowlist before the guest's first instruction. */
	if (sandbox_enter(SANDBOX_VCPU)) {
		vm_request_stop(v->vm, STOP_INTERNAL, "seccomp");
		return NULL;
	}

	while (why == STOP_NONE) {
		/* Set by vcpu_stop() (leave) or vm_pause() (park here). */
		if (__atomic_load_n(&v->run->immediate_exit,
				    __ATOMIC_SEQ_CST) &&
		    !vcpu_park(v))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err_errno("vCPU %u: KVM_RUN", v->id);
			vcpu_dump(v);
			why = STOP_INTERNAL;
			break;
		}
		why = vcpu_handle_exit(v);
	}
	if (why != STOP_NONE)
		vm_request_stop(v->vm, why, vcpu_stop_cause(v, why));
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (ret)
		return -ret;
	v->started = true;
	return 0;
}

void vcpu_stop(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&v->vm->pause_lock);
	v->stopping = true;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&v->vm->pause_cond);
	pthread_mutex_unlock(&v->vm->pause_lock);
	pthread_kill(v->thread, KICK_SIGNAL);
	pthread_join(v->thread, NULL);
	v->started = false;
}
