// SPDX-License-Identifier: Apache-2.0
/*
 * The VM: KVM objects, guest RAM, buses, devices, ACPI, the kernel, vCPUs,
 * and the one stop sequence every exit path takes. [kvmtool kvm.c;
 * firecracker builder.rs]
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/exitcode.h"
#include "../common/log.h"
#include "boot/acpi/acpi.h"
#include "boot/e820.h"
#include "boot/layout.h"
#include "dev/pci.h"
#include "hookrun.h"
#include "kvm.h"
#include "sandbox.h"
#include "vcpu.h"

/* KVM's x86 TSS and identity-map pages, inside the PCI hole (QEMU's choice). */
#define KVM_TSS_ADDR 0xfeffd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define DEFAULT_MEM (256ULL << 20)
#define MAX_IMAGE_SIZE (1ULL << 32)

extern const struct dev_type *const __start_vessel_dev[];
extern const struct dev_type *const __stop_vessel_dev[];

int vm_exitcode_of(enum stop_reason why)
{
	switch (why) {
	case STOP_POWEROFF:
		return EXIT_POWEROFF;
	case STOP_REBOOT:
		return EXIT_REBOOT;
	case STOP_GUEST_ERROR:
		return EXIT_GUEST_ERROR;
	case STOP_PANIC:
		return EXIT_PANIC;
	case STOP_WATCHDOG:
		return EXIT_WATCHDOG;
	case STOP_TERMINATED:
		return EXIT_TERMINATED;
	case STOP_POWER_CUT:
		return EXIT_POWER_CUT;
	default:
		return EXIT_INTERNAL;
	}
}

/*
 * Read a whole file of at most @limit bytes (it must fit in guest RAM, so
 * a huge file is refused before it is read); errors name the file.
 */
static int vm_read_file(const char *what, const char *path, u64 limit, u8 **buf,
			size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		log_err_errno("%s %s", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (u64)st.st_size > MAX_IMAGE_SIZE) {
		log_err("%s %s: not a regular file of at most 4 GiB", what,
			path);
		ret = -EINVAL;
		goto out;
	}
	if ((u64)st.st_size > limit) {
		log_err("%s %s: %llu bytes, more than the guest's RAM (%llu MiB)",
			what, path, (unsigned long long)st.st_size,
			(unsigned long long)(limit >> 20));
		ret = -EFBIG;
		goto out;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (off < *len && (n = read(fd, *buf + off, *len - off)) > 0)
		off += n;
	if (off < *len) {
		ret = -EIO;
		log_err("%s %s: short read", what, path);
		free(*buf);
		*buf = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int vm_kvm_objects(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	u64 idmap = KVM_IDENTITY_MAP_ADDR;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		log_err_errno("KVM_CREATE_VM");
		return -errno;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		log_err("KVM_GET_VCPU_MMAP_SIZE: %d", vm->run_size);
		return -EINVAL;
	}
	/* Needed on Intel only; harmless elsewhere, so failures are ignored. */
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_err_errno("KVM_CREATE_IRQCHIP");
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_err_errno("KVM_CREATE_PIT2");
		return -errno;
	}
	return 0;
}

/*
 * Lost PIT ticks are not reinjected: guests of this century count time
 * with a clocksource, not ticks. Turning reinjection off unregisters KVM's
 * IRQ-ack notifiers, which waits for an SRCU grace period; done here, while
 * the guest already runs, instead of in the VM's teardown, where it would
 * delay the exit by several milliseconds.
 */
static void vm_pit_discard_lost_ticks(struct vm *vm)
{
	struct kvm_reinject_control rc = { .pit_reinject = 0 };

	if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc) < 0)
		log_warn_errno("KVM_REINJECT_CONTROL");
}

/*
 * Inaccessible address space on each side of guest RAM: a device model
 * that ran past a guest buffer faults at once instead of reading or
 * writing vessel's own memory beside the mapping.
 */
#define RAM_GUARD (2ULL << 20)

static u8 *vm_map_guarded(u64 size)
{
	u8 *area = mmap(NULL, size + 2 * RAM_GUARD, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	u8 *ram;

	if (area == MAP_FAILED)
		return NULL;
	ram = mmap(area + RAM_GUARD, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		   0);
	if (ram == MAP_FAILED) {
		munmap(area, size + 2 * RAM_GUARD);
		return NULL;
	}
	return ram;
}

/* Guest RAM: one lazily backed mapping, one memory slot per region. */
static int vm_ram(struct vm *vm)
{
	int i;

	vm->ram = vm_map_guarded(vm->ram_size);
	if (!vm->ram) {
		log_err_errno("cannot map %llu MiB of guest RAM",
			      (unsigned long long)(vm->ram_size >> 20));
		return -ENOMEM;
	}
	/*
	 * The hook runner, forked later, gets none of it: a copy-on-write
	 * share would copy every page the guest writes from then on.
	 */
	if (madvise(vm->ram, vm->ram_size, MADV_DONTFORK))
		log_warn_errno("madvise(MADV_DONTFORK) of guest RAM");
	gmem_init(&vm->gm, vm->ram, vm->ram_size);
	for (i = 0; i < vm->gm.nr; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->gm.r[i].gpa,
			.memory_size = vm->gm.r[i].size,
			.userspace_addr = (u64)(uintptr_t)vm->gm.r[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			log_err_errno("KVM_SET_USER_MEMORY_REGION");
			return -errno;
		}
	}
	return 0;
}

static int vm_get_cpuid(struct vm *vm)
{
	int nent = 128;

	for (;;) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG || nent >= 4096) {
			log_err_errno("KVM_GET_SUPPORTED_CPUID");
			return -errno;
		}
		nent *= 2;
	}
}

static int vm_dev_cmp(const void *a, const void *b)
{
	const struct vm_device *x = a, *y = b;

	return x->type->prio - y->type->prio;
}

/* Create every configured device in prio order; unwind on failure. */
static int vm_devices(struct vm *vm)
{
	size_t n = __stop_vessel_dev - __start_vessel_dev, i;
	int ret;

	vm->devs = calloc(n ? n : 1, sizeof(*vm->devs));
	if (!vm->devs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		vm->devs[i].type = __start_vessel_dev[i];
	qsort(vm->devs, n, sizeof(*vm->devs), vm_dev_cmp);
	for (i = 0; i < n; i++) {
		unsigned int errors = log_error_count();

		ret = vm->devs[i].type->create(&vm->env, &vm->devs[i].dev);
		if (ret) {
			/* One line per error: most devices name the cause. */
			if (log_error_count() == errors)
				log_err("device %s: %s", vm->devs[i].type->name,
					strerror(-ret));
			vm->nr_devs = i;
			return ret;
		}
	}
	vm->nr_devs = n;
	return 0;
}

static void vm_dsdt_devices(void *ctx, struct aml *aml)
{
	struct vm *vm = ctx;
	int i;

	for (i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].dev && vm->devs[i].type->dsdt)
			vm->devs[i].type->dsdt(vm->devs[i].dev, aml);
}

static int vm_acpi(struct vm *vm, u64 *rsdp)
{
	struct acpi_config cfg = {
		.ncpus = vm->ncpus,
		.power_button = vm->power_button,
		.mmio64_base = ALIGN_UP(gmem_top(&vm->gm), 1ULL << 30),
		.mmio64_size = PCI_MMIO64_SIZE,
		.dsdt_devices = vm_dsdt_devices,
		.ctx = vm,
	};
	char err[256];
	int ret;

	if (cfg.mmio64_base < PCI_HOLE_END)
		cfg.mmio64_base = PCI_HOLE_END;
	ret = acpi_build(&vm->gm, &cfg, rsdp, err, sizeof(err));
	if (ret)
		log_err("ACPI tables: %s", err);
	return ret;
}

/* Load the kernel and initrd named in the configuration. */
static int vm_boot(struct vm *vm, u64 rsdp)
{
	struct boot_params_in in = {
		.kernel_path = conf_get(vm->conf, "kernel"),
		.initrd_path = conf_get(vm->conf, "initrd"),
		.cmdline = conf_get(vm->conf, "cmdline"),
		.rsdp_gpa = rsdp,
	};
	struct e820_map map;
	u8 *kernel = NULL, *initrd = NULL;
	char err[512];
	int ret;

	if (!in.kernel_path) {
		log_err("no kernel given (--kernel PATH, or a 'kernel' line in a guest file)");
		return -EINVAL;
	}
	ret = vm_read_file("kernel", in.kernel_path, vm->ram_size, &kernel,
			   &in.kernel_size);
	if (!ret && in.initrd_path)
		ret = vm_read_file("initrd", in.initrd_path, vm->ram_size,
				   &initrd, &in.initrd_size);
	if (!ret) {
		e820_build(vm->ram_size, &map);
		in.kernel = kernel;
		in.initrd = initrd;
		in.e820 = &map;
		if (!in.cmdline)
			in.cmdline = "";
		ret = boot_load(&vm->gm, &in, &vm->entry, err, sizeof(err));
		if (ret)
			log_err("%s", err);
	}
	free(kernel);
	free(initrd);
	return ret;
}

static int vm_vcpus(struct vm *vm)
{
	int i, ret;

	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (i = 0; i < vm->ncpus; i++) {
		ret = vcpu_create(&vm->vcpus[i], vm, i);
		if (ret)
			return ret;
		vm->nr_vcpus++;
	}
	return 0;
}

static void vm_on_stop(void *dev, int fd)
{
	struct vm *vm = dev;
	u64 v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
	loop_quit(&vm->loop);
}

static int vm_event_setup(struct vm *vm)
{
	int ret = loop_init(&vm->loop);

	if (ret)
		return ret;
	vm->loop_ready = true;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return -errno;
	ret = loop_watch_fd(&vm->loop, vm->stop_efd, vm_on_stop, vm);
	return ret ? ret : vm_lifecycle_setup(vm);
}

static void vm_stop_all(struct vm *vm, enum stop_reason why);

static int vm_setup(struct vm *vm)
{
	u64 rsdp = 0;
	int ret;

	ret = vm_kvm_objects(vm);
	ret = ret ? ret : vm_ram(vm);
	ret = ret ? ret : vm_get_cpuid(vm);
	ret = ret ? ret : vcpu_kick_init();
	ret = ret ? ret : vm_event_setup(vm);
	if (ret)
		return EXIT_INTERNAL;
	/* A KVM without what devices need is unusable, as in kvm_open(). */
	if (kvmio_init(&vm->kio, vm->vm_fd, &vm->gm))
		return EXIT_USAGE;
	/* A socket in use or a bad path is a usage error, like a bad option. */
	if (vm_control_setup(vm))
		return EXIT_USAGE;
	if (pci_bus_create(&vm->env, &vm->pci) || vm_devices(vm))
		return EXIT_USAGE;
	if (vm_acpi(vm, &rsdp) || vm_boot(vm, rsdp))
		return EXIT_USAGE;
	return vm_vcpus(vm) ? EXIT_INTERNAL : 0;
}

int vm_create(struct vm *vm, const struct conf *conf)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->conf = conf;
	vm->env.vm = vm;
	vm->vm_fd = vm->stop_efd = vm->sig_fd = -1;
	vm->start_ns = loop_now_ns();
	pthread_mutex_init(&vm->status_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->ram_size = conf_get_num(conf, "mem", DEFAULT_MEM);
	vm->ncpus = conf_get_num(conf, "cpus", 1);
	vm->kvm_fd = -1;
	bus_init(&vm->pio);
	bus_init(&vm->mmio);
	ret = EXIT_USAGE;
	if (statefile_open(&vm->state, conf))
		goto err;
	/* From here on, a failure is also the state record's exit. */
	if (events_open(&vm->events, conf_get(conf, "events"),
			conf_get(conf, "name")))
		goto err_record;
	vm->events_ready = true;
	if (kvm_open(&vm->kvm_fd, &vm->emulated)) {
		vm->kvm_fd = -1;
		goto err_record;
	}
	if (vm->emulated)
		log_warn(
			"/dev/kvm has no VT-x/AMD-V behind it (kvm_pvm?): unmodified guests run under instruction emulation and will be slow");
	ret = vm_setup(vm);
	if (!ret)
		return 0;
err_record:
	statefile_exited(&vm->state, ret, NULL);
err:
	vm_destroy(vm);
	return ret;
}

/*
 * The one stop sequence: stop and join every vCPU, then quiesce the
 * devices in reverse creation order, each exactly once.
 */
static void vm_stop_all(struct vm *vm, enum stop_reason why)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_stop(&vm->vcpus[i]);
	if (vm->quiesced)
		return;
	vm->quiesced = true;
	if (vm->started)
		events_emit_kv(&vm->events, "quiesce-start", "reason",
			       exitcode_find(vm_exitcode_of(why))->name);
	for (i = vm->nr_devs - 1; i >= 0; i--)
		if (vm->devs[i].dev && vm->devs[i].type->quiesce)
			vm->devs[i].type->quiesce(vm->devs[i].dev, why);
	if (vm->started)
		events_emit(&vm->events, "quiesce-end", NULL);
}

static void vm_emit_started(struct vm *vm)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "pid", json_object_new_int(getpid()));
	json_object_object_add(
		f, "kernel",
		json_object_new_string(conf_get(vm->conf, "kernel")));
	json_object_object_add(
		f, "format",
		json_object_new_string(boot_format_name(vm->entry.format)));
	json_object_object_add(f, "mem", json_object_new_int64(vm->ram_size));
	json_object_object_add(f, "cpus", json_object_new_int(vm->ncpus));
	/* Who the guest's vessel runs as, after any switch to `user`. */
	json_object_object_add(f, "uid", json_object_new_int64(getuid()));
	json_object_object_add(f, "gid", json_object_new_int64(getgid()));
	events_emit(&vm->events, "started", f);
}

static void vm_emit_exit(struct vm *vm, int code)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "code", json_object_new_int(code));
	json_object_object_add(
		f, "name", json_object_new_string(exitcode_find(code)->name));
	events_emit(&vm->events, "exit", f);
}

/* The state record's last word, before the "exit" event says the same. */
static void vm_record_exit(struct vm *vm, int code)
{
	char by[sizeof(vm->st.stop_by)];

	pthread_mutex_lock(&vm->status_lock);
	memcpy(by, vm->st.stop_by, sizeof(by));
	pthread_mutex_unlock(&vm->status_lock);
	statefile_exited(&vm->state, code, by);
}

/*
 * Before any thread loads its allowlist: the hook runner (the lists have
 * no fork or exec), then the arming every thread's sandbox_enter() uses.
 */
static int vm_sandbox_arm(struct vm *vm)
{
	const char *hooks[3] = { NULL };
	enum sandbox_mode mode;
	int n = 0;

	if (sandbox_mode_parse(conf_get(vm->conf, "seccomp"), &mode))
		return -EINVAL;
	hooks[n] = conf_get(vm->conf, "quiesce-hook");
	n += !!hooks[n];
	hooks[n] = conf_get(vm->conf, "lifecycle-hook");
	n += !!hooks[n];
	/* A runner that failed to start is each hook's "fork failed". */
	if (n)
		hookrun_start(hooks);
	return sandbox_arm(mode, vm->events_ready ? vm->events.fd : -1,
			   conf_get(vm->conf, "name"));
}

/* Devices start their threads (dev_type.run), in creation order. */
static int vm_run_devices(struct vm *vm)
{
	int i, ret;

	for (i = 0; i < vm->nr_devs; i++) {
		if (!vm->devs[i].dev || !vm->devs[i].type->run)
			continue;
		ret = vm->devs[i].type->run(vm->devs[i].dev);
		if (ret) {
			log_err("device %s: cannot start: %s",
				vm->devs[i].type->name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Every thread is made here, after the privilege drop (capabilities are
 * per thread) and before any allowlist goes on. Each thread loads its
 * own as it starts (vcpu.c, the devices' threads); the main thread last,
 * once it made every thread.
 */
static void vm_start_threads(struct vm *vm)
{
	int i, ret = vm_sandbox_arm(vm);

	if (ret) {
		log_err("seccomp: cannot arm the allowlists: %s",
			strerror(-ret));
		vm_request_stop(vm, STOP_INTERNAL, "seccomp");
		return;
	}
	ret = vm_run_devices(vm);
	if (ret) {
		vm_request_stop(vm, STOP_INTERNAL, "device start");
		return;
	}
	for (i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = vcpu_start(&vm->vcpus[i]);
	if (ret) {
		log_err("cannot start vCPU thread: %s", strerror(-ret));
		vm_request_stop(vm, STOP_INTERNAL, "pthread_create");
	}
	vm_pit_discard_lost_ticks(vm);
	if (sandbox_enter(SANDBOX_MAIN))
		vm_request_stop(vm, STOP_INTERNAL, "seccomp");
}

int vm_run(struct vm *vm)
{
	enum stop_reason why;
	int code, ret;

	vm->started = true;
	statefile_running(&vm->state);
	vm_emit_started(vm);
	vm_start_threads(vm);
	ret = loop_run(&vm->loop);
	if (ret) {
		log_err("event loop: %s", strerror(-ret));
		vm_request_stop(vm, STOP_INTERNAL, "event loop");
	}
	why = __atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST);
	vm_stop_all(vm, why);
	code = vm_exitcode_of(why);
	vm_run_quiesce_hook(vm, code);
	vm_record_exit(vm, code);
	vm_emit_exit(vm, code);
	return code;
}

void vm_destroy(struct vm *vm)
{
	int i;

	/* A VM that failed to start still quiesces what it created. */
	vm_stop_all(vm, STOP_INTERNAL);
	vm_lifecycle_teardown(vm);
	hookrun_stop();
	for (i = vm->nr_devs - 1; i >= 0; i--)
		if (vm->devs[i].dev)
			vm->devs[i].type->destroy(vm->devs[i].dev);
	free(vm->devs);
	if (vm->pci)
		pci_bus_destroy(vm->pci);
	for (i = vm->nr_vcpus - 1; i >= 0; i--)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	kvmio_free(&vm->kio);
	if (vm->ram)
		munmap(vm->ram - RAM_GUARD, vm->ram_size + 2 * RAM_GUARD);
	if (vm->sig_fd >= 0)
		close(vm->sig_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->loop_ready)
		loop_free(&vm->loop);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	if (vm->events_ready)
		events_close(&vm->events);
	statefile_close(&vm->state);
	pthread_mutex_destroy(&vm->status_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
	memset(vm, 0, sizeof(*vm));
}
