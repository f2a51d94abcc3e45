// SPDX-License-Identifier: Apache-2.0
/*
 * kvmcheck: is /dev/kvm usable? Opens it, checks the API version and creates
 * a VM. Exit 0 when it can, 1 when it cannot (the reason on stdout, which is
 * the console in the nested harness).
 *
 * The outer VM's /init runs it as a preflight. It also stands in for vessel
 * to prove the harness's plumbing: arguments are ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kvm, vm, api;

	(void)argv;
	if (argc > 1)
		printf("kvmcheck: stand-in for vessel, %d arguments ignored\n",
		       argc - 1);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("kvmcheck: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		printf("kvmcheck: KVM_GET_API_VERSION is %d, not %d\n", api,
		       KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("kvmcheck: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("kvmcheck: /dev/kvm API %d, KVM_CREATE_VM ok\n", api);
	close(vm);
	close(kvm);
	return 0;
}
