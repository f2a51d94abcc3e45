// SPDX-License-Identifier: Apache-2.0
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../common/log.h"

struct kvm_cap_need {
	int cap;
	const char *name;
	const char *why;
};

static const struct kvm_cap_need kvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest memory" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel LAPIC/IOAPIC/PIC" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "in-kernel PIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "CPUID setup" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "x86 TSS region" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "SMP bring-up" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI", "PCI MSI delivery" },
};

/*
 * PVM (kvm_pvm) runs unmodified guests by instruction emulation; VT-x and
 * AMD-V show as vmx/svm in /proc/cpuinfo.
 */
static bool kvm_is_emulated(void)
{
	char line[4096];
	bool hw = false;
	FILE *f;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return true;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (!hw && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			hw = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return !hw;
}

int kvm_open(int *kvm_fd, bool *emulated)
{
	size_t i;
	int fd, ver;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;

		log_err_errno("cannot open /dev/kvm");
		return ret;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		log_err("/dev/kvm: KVM API version %d, vessel needs %d", ver,
			KVM_API_VERSION);
		close(fd);
		return -ENOSYS;
	}
	for (i = 0; i < ARRAY_SIZE(kvm_caps); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, kvm_caps[i].cap) > 0)
			continue;
		log_err("/dev/kvm lacks %s (needed for %s)", kvm_caps[i].name,
			kvm_caps[i].why);
		close(fd);
		return -ENOSYS;
	}
	*emulated = kvm_is_emulated();
	*kvm_fd = fd;
	return 0;
}
