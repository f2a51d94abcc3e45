/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VM_H
#define VESSEL_VM_H

/*
 * struct vm: the KVM VM, its guest memory, buses, devices and vCPUs, and
 * the stop state. vm_create() builds everything up to the point where the
 * vCPUs could run; vm_run() runs the guest until it stops and returns the
 * exit code; vm_destroy() undoes vm_create() in reverse.
 */

#include <pthread.h>

#include "../common/conf.h"
#include "boot/loader.h"
#include "bus.h"
#include "gmem.h"
#include "loop.h"

struct kvm_cpuid2;
struct vcpu;

struct vm_device {
	const struct dev_type *type;
	void *dev;
};

struct dev_env {
	struct vm *vm;
};

struct vm {
	const struct conf *conf;
	int kvm_fd, vm_fd;
	int run_size; /* mmap size of struct kvm_run */
	bool emulated; /* no VT-x/AMD-V behind /dev/kvm (kvm_pvm) */

	u8 *ram;
	u64 ram_size;
	struct gmem gm;

	struct bus pio, mmio;
	struct pci_bus *pci;
	struct dev_env env;
	struct vm_device *devs;
	int nr_devs;

	struct kvm_cpuid2 *cpuid;
	struct boot_entry entry;
	int ncpus;
	int nr_vcpus; /* created so far */
	struct vcpu *vcpus;
	int presses; /* SIGTERM/SIGINT received */
	int sig_fd;

	struct loop loop;
	bool loop_ready;
	bool quiesced; /* devices quiesced: exactly once per run */
	int stop_reason; /* enum stop_reason; first writer wins (atomic) */
	int stop_efd; /* written once on the first stop request */
};

/*
 * Build the VM described by @conf. On failure logs why and returns the
 * exit code to use (EXIT_USAGE for unusable images or no KVM, EXIT_INTERNAL
 * otherwise), leaving nothing allocated.
 */
int vm_create(struct vm *vm, const struct conf *conf);

/* Run until the guest or the host stops it; returns the exit code. */
int vm_run(struct vm *vm);

/* Free everything vm_create() made. */
void vm_destroy(struct vm *vm);

/* Record why the VM stops (first reason wins) and wake the main loop. */
void vm_request_stop(struct vm *vm, enum stop_reason why);

/* The exit code (exitcode.h) for a stop reason. */
int vm_exitcode_of(enum stop_reason why);

#endif
