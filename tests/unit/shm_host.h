/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_SHM_HOST_H
#define VESSEL_TEST_SHM_HOST_H

/*
 * The host side of a shared-memory device test (test_shmem_qnx.c,
 * test_shmem_ivshmem.c): a private $VESSEL_SHM_DIR, the host programs'
 * peers, and the check that a test left no file and no fd behind.
 */

#include <stdio.h>
#include <stdlib.h>

#include "../../src/shm/shm.h"
#include "fake_env.h"

struct shm_host {
	char top[64]; /* mkdtemp; $VESSEL_SHM_DIR is top/shm */
	char dir[80];
	int fds_at_start;
	struct shm_region *host[SHM_MAX_PEERS];
};

/* A fresh /tmp/vessel-@tag.XXXXXX as the region directory. */
static inline void shm_host_init(struct shm_host *h, const char *tag)
{
	h->fds_at_start = fake_fd_count();
	snprintf(h->top, sizeof(h->top), "/tmp/vessel-%s.XXXXXX", tag);
	assert_non_null(mkdtemp(h->top));
	snprintf(h->dir, sizeof(h->dir), "%s/shm", h->top);
	setenv(SHM_DIR_ENV, h->dir, 1);
}

/* A host program attaches region @name (shm_open_region()). */
static inline struct shm_region *
shm_host_open(struct shm_host *h, const char *name, u64 size, unsigned flags)
{
	for (int i = 0; i < SHM_MAX_PEERS; i++) {
		if (h->host[i])
			continue;
		assert_int_equal(shm_open_region(name, size, flags, "host",
						 "test", &h->host[i]),
				 0);
		return h->host[i];
	}
	fail_msg("too many host peers");
	return NULL;
}

static inline void shm_host_close(struct shm_host *h, struct shm_region *r)
{
	for (int i = 0; i < SHM_MAX_PEERS; i++)
		if (h->host[i] == r)
			h->host[i] = NULL;
	shm_close_region(r);
}

/*
 * After the guests stopped: detach the host peers; the directory must
 * then be empty and every fd opened since shm_host_init() closed.
 */
static inline void shm_host_fini(struct shm_host *h)
{
	char cmd[96];
	int left;

	for (int i = 0; i < SHM_MAX_PEERS; i++)
		shm_close_region(h->host[i]);
	left = fake_dir_entries(h->dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->top);
	assert_int_equal(system(cmd), 0);
	unsetenv(SHM_DIR_ENV);
	assert_int_equal(left, 0);
	assert_int_equal(fake_fd_count(), h->fds_at_start);
}

#endif
