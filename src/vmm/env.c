// SPDX-License-Identifier: Apache-2.0
/*
 * The device environment of dev.h, for real: each call forwards to the
 * VM's buses, KVM, guest memory, the stop state or the event loop.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "../common/log.h"
#include "boot/layout.h"
#include "vm.h"

const struct conf *env_conf(struct dev_env *env)
{
	return env->vm->conf;
}

static struct bus *env_bus(struct dev_env *env, enum bus_space space)
{
	return space == BUS_PIO ? &env->vm->pio : &env->vm->mmio;
}

int env_bus_add(struct dev_env *env, enum bus_space space, u64 base, u64 len,
		io_handler fn, void *dev)
{
	return bus_add(env_bus(env, space), base, len, fn, dev);
}

int env_bus_del(struct dev_env *env, enum bus_space space, u64 base)
{
	return bus_del(env_bus(env, space), base);
}

void env_irq_set(struct dev_env *env, u32 gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = !!level };

	if (ioctl(env->vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn_once("KVM_IRQ_LINE %u failed: %m", gsi);
}

int env_msi_send(struct dev_env *env, u64 addr, u32 data)
{
	struct kvm_msi msi = {
		.address_lo = (u32)addr,
		.address_hi = (u32)(addr >> 32),
		.data = data,
	};

	return ioctl(env->vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

int env_map_ram(struct dev_env *env, u64 gpa, u64 len, void *hva)
{
	return kvmio_map_ram(&env->vm->kio, gpa, len, hva);
}

int env_unmap_ram(struct dev_env *env, u64 gpa)
{
	return kvmio_unmap_ram(&env->vm->kio, gpa);
}

int env_msi_route(struct dev_env *env, int gsi, u64 addr, u32 data)
{
	return kvmio_msi_route(&env->vm->kio, gsi, addr, data);
}

void env_msi_unroute(struct dev_env *env, int gsi)
{
	kvmio_msi_unroute(&env->vm->kio, gsi);
}

int env_irqfd(struct dev_env *env, int efd, int gsi, bool assign)
{
	return kvmio_irqfd(&env->vm->kio, efd, gsi, assign);
}

int env_ioeventfd(struct dev_env *env, enum bus_space sp, u64 addr, u8 size,
		  bool match, u64 datamatch, int efd, bool assign)
{
	return kvmio_ioeventfd(&env->vm->kio, sp == BUS_PIO, addr, size, match,
			       datamatch, efd, assign);
}

void *env_gmem_ptr(struct dev_env *env, u64 gpa, u64 len)
{
	return gmem_ptr(&env->vm->gm, gpa, len);
}

void env_request_stop(struct dev_env *env, enum stop_reason why, const char *by)
{
	vm_request_stop(env->vm, why, by);
}

void env_event(struct dev_env *env, const char *type, const char *key,
	       const char *value)
{
	vm_note_event(env->vm, type, key, value);
}

void env_event_fields(struct dev_env *env, const char *type,
		      const struct env_field *f, int n)
{
	vm_note_fields(env->vm, type, f, n);
}

void env_power_button(struct dev_env *env, const char *by)
{
	vm_power_button(env->vm, by);
}

void env_pause(struct dev_env *env, const char *by)
{
	vm_pause(env->vm, by);
}

/*
 * An MSI with NMI delivery mode (SDM Vol. 3A 10.11: address 0xFEE00000
 * with destination APIC ID 0, data delivery mode 100b) reaches the boot
 * vCPU's LAPIC from any thread, without stopping the vCPU for KVM_NMI.
 */
int env_nmi(struct dev_env *env)
{
	return env_msi_send(env, LAPIC_BASE, 4u << 8);
}

int env_watch_fd(struct dev_env *env, int fd, void (*ready)(void *dev, int fd),
		 void *dev)
{
	return loop_watch_fd(&env->vm->loop, fd, ready, dev);
}

void env_unwatch_fd(struct dev_env *env, int fd)
{
	loop_unwatch_fd(&env->vm->loop, fd);
}

void env_timer_arm(struct dev_env *env, struct dev_timer *t, u64 delay_ns)
{
	loop_timer_arm(&env->vm->loop, t, delay_ns);
}

void env_timer_arm_at(struct dev_env *env, struct dev_timer *t, u64 deadline_ns)
{
	loop_timer_arm_at(&env->vm->loop, t, deadline_ns);
}

void env_timer_cancel(struct dev_env *env, struct dev_timer *t)
{
	loop_timer_cancel(&env->vm->loop, t);
}

u64 env_now_ns(struct dev_env *env)
{
	(void)env;
	return loop_now_ns();
}

struct pci_bus *env_pci_bus(struct dev_env *env)
{
	return env->vm->pci;
}
