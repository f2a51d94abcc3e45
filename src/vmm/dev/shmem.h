/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_SHMEM_H
#define VESSEL_SHMEM_H

/*
 * What the shmem models (shmem_qnx.c, shmem_ivshmem.c) and vessel's own
 * lifecycle peer (lifecycle_peer.c) share: the `shmem` option and the
 * mapping of the names a guest uses to host region names
 * (docs/shmem.md). The regions themselves are src/shm/.
 */

#include "dev.h"

#define SHMEM_NAME_MAX 32 /* with the NUL, as QNX's GUEST_SHM_MAX_NAME */
#define SHMEM_LIST_MAX 256

/* The guest's lifecycle region (DESIGN.md "Lifecycle notifications"). */
#define SHMEM_LIFECYCLE "lifecycle"

struct shmem_conf {
	char model[16]; /* "qnx" (default) or "ivshmem" */
	char name[SHMEM_NAME_MAX]; /* region to pre-create, or "" */
	u64 size; /* its size in bytes; 0 when not given */
	char allow[SHMEM_LIST_MAX]; /* ':'-separated patterns, or "" */
	char deny[SHMEM_LIST_MAX];
};

/*
 * Read the `shmem` option into @c. Returns 1 when it names @model (NULL:
 * any), 0 when there is no shmem device of that model, -EINVAL after
 * logging.
 */
int shmem_conf_read(struct dev_env *env, const char *model,
		    struct shmem_conf *c);

/*
 * The host region behind the name @guest_name a guest asked for:
 * the same name, except that `lifecycle` is private to this guest and
 * becomes "lifecycle-<guest name or pid>" (truncated to fit).
 */
void shmem_host_name(struct dev_env *env, const char *guest_name, char *out,
		     size_t size);

#endif
