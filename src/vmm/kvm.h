/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_KVM_H
#define VESSEL_KVM_H

#include "../common/types.h"

/*
 * Open /dev/kvm and check the API version and every capability vessel
 * relies on. On failure logs one line naming what is missing and returns
 * -errno (-ENOSYS for a missing capability). *@emulated tells whether KVM
 * has no hardware virtualization behind it (kvm_pvm).
 */
int kvm_open(int *kvm_fd, bool *emulated);

#endif
