/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VCPU_H
#define VESSEL_VCPU_H

#include <pthread.h>

#include "../common/types.h"

struct vm;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	u32 id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	bool stopping; /* vcpu_stop() called; under the VM's pause lock */
};

/*
 * Create vCPU @id (KVM_CREATE_VCPU, its kvm_run mapping, CPUID, FPU and
 * LAPIC LINT setup). The boot vCPU (id 0) also gets the registers of
 * vm->entry. Returns 0 or -errno after logging.
 */
int vcpu_create(struct vcpu *v, struct vm *vm, u32 id);
void vcpu_destroy(struct vcpu *v);

/* Start the vCPU's thread: it runs the guest until the VM stops. */
int vcpu_start(struct vcpu *v);

/*
 * Make a running vCPU leave KVM_RUN for good (immediate_exit plus the
 * kick signal), then join its thread. Main thread only.
 */
void vcpu_stop(struct vcpu *v);

/*
 * Make a running vCPU leave KVM_RUN and wait, while vm->paused is set
 * (the caller holds vm->pause_lock), until it is cleared and
 * vm->pause_cond broadcast.
 */
void vcpu_pause(struct vcpu *v);

/* Install the kick signal's (empty) handler; once per process. */
int vcpu_kick_init(void);

#endif
