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
#include "events.h"
#include "gmem.h"
#include "kvmio.h"
#include "loop.h"
#include "statefile.h"

struct kvm_cpuid2;
struct vcpu;
struct control;

/*
 * What the host knows of the guest's lifecycle, from device reports
 * (env_event) and stop requests. Guarded by the vm's status lock.
 */
struct vm_status {
	bool booted; /* first console output */
	bool acpi_enabled; /* the guest enabled ACPI (SMI_CMD) */
	bool armed; /* the guest armed the power button (PWRBTN_EN) */
	bool acked; /* it acknowledged a press (cleared PWRBTN_STS) */
	int presses; /* power-button presses */
	char stop_by[48]; /* mechanism of the stop request that won */
	bool wdt_running; /* the guest started its watchdog */
	int wdt_expiries; /* watchdog expirations so far */
	char announced[24]; /* the guest's last lifecycle state, or "" */
	u64 announced_ns; /* when it said so */
};

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
	struct kvmio kio; /* device memory slots, MSI routes, irqfds */

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
	int sig_fd;

	struct loop loop;
	bool loop_ready;
	struct events events;
	bool events_ready;
	struct statefile state; /* `state PATH`, for a supervisor */
	struct control *ctl;
	pthread_mutex_t status_lock;
	struct vm_status st;
	u64 start_ns;

	bool power_button; /* `power-button acpi` (default) */
	struct dev_timer pb_timer; /* `power-button-timeout` */
	int signal_presses; /* SIGTERM/SIGINT/SIGHUP presses so far */
	bool quiesced; /* devices quiesced: exactly once per run */
	bool started; /* vm_run() began: the guest's lifecycle is reported */
	int stop_reason; /* enum stop_reason; first writer wins (atomic) */
	int stop_efd; /* written once on the first stop request */

	/* vm_pause()/vm_resume(): vCPUs wait in vcpu_park() while paused. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	bool paused;
	char paused_by[48];
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

/*
 * Record why the VM stops (first reason wins), and by which mechanism
 * (@by: "cf9", "SIGQUIT", ...), and wake the main loop. Any thread.
 */
void vm_request_stop(struct vm *vm, enum stop_reason why, const char *by);

/* A device reported a lifecycle fact (env_event): status and events. */
void vm_note_event(struct vm *vm, const char *type, const char *key,
		   const char *value);

/* lifecycle.c: signals, the power button, the control socket, the hook. */
int vm_lifecycle_setup(struct vm *vm);
/* Open the `control` socket, if configured; 0 or -errno after logging. */
int vm_control_setup(struct vm *vm);
void vm_lifecycle_teardown(struct vm *vm);
/*
 * Stop the vCPUs and keep them stopped (pause: a watchdog action or the
 * control socket), or let them run again; each tells the devices and
 * emits "paused"/"resumed". Main thread. Returns -EALREADY when the VM
 * already is in that state, -ESRCH when it is stopping.
 */
int vm_pause(struct vm *vm, const char *by);
int vm_resume(struct vm *vm, const char *by);
/*
 * Ask the guest to "poweroff" or "reboot" through the lifecycle protocol.
 * 0, -ENODEV (no lifecycle region), -ESRCH (stopping), -EINVAL.
 */
int vm_guest_request(struct vm *vm, const char *what, const char *arg);
/* An event with fields from a device (env_event_fields). Any thread. */
void vm_note_fields(struct vm *vm, const char *type, const struct env_field *f,
		    int n);
/* Press the power button on behalf of @by ("SIGTERM", "control"). */
void vm_power_button(struct vm *vm, const char *by);
/* Run the quiesce hook, if any, for exit @code; bounded in time. */
void vm_run_quiesce_hook(struct vm *vm, int code);

/* The exit code (exitcode.h) for a stop reason. */
int vm_exitcode_of(enum stop_reason why);

#endif
