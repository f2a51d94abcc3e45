// SPDX-License-Identifier: Apache-2.0
/*
 * vessel's host side of the lifecycle region (src/vmm/dev/lifecycle_peer.c)
 * against a guest that announces in a loop: every announcement is
 * acknowledged, but past the first 16 at most one a second is reported
 * (log line and guest-announced event), counting those held back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/common/lifecycle.h"
#include "../../src/common/log.h"
#include "../../src/shm/shm.h"
#include "../../src/vmm/dev/shmem.h"
#include "fake_env.h"

#define REGION_SIZE 4096

extern const struct dev_type dev_lifecycle_peer;

struct lc_test {
	char dir[64], shm[80];
	struct dev_env *env;
	void *dev;
	struct shm_region *guest;
	int doorbell;
};

static int lc_setup(void **state)
{
	const char *opts[] = { "name lc",
			       "shmem model=qnx,name=lifecycle,size=4K", NULL };
	struct lc_test *t = calloc(1, sizeof(*t));
	char name[SHMEM_NAME_MAX];

	if (!t)
		return -1;
	log_set_level(LOG_ERR);
	snprintf(t->dir, sizeof(t->dir), "/tmp/vessel-lcpeer-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->shm, sizeof(t->shm), "%s/shm", t->dir);
	setenv(SHM_DIR_ENV, t->shm, 1);
	t->env = fake_env_new(1 << 16, opts);
	t->env->now_ns = 1000;
	if (dev_lifecycle_peer.create(t->env, &t->dev) || !t->dev)
		return -1;
	t->doorbell = t->env->watch[0].fd; /* lc_setup() watches it first */
	shmem_host_name(t->env, SHMEM_LIFECYCLE, name, sizeof(name));
	if (shm_open_region(name, REGION_SIZE, SHM_EXIST, "guest", "test",
			    &t->guest))
		return -1;
	*state = t;
	return 0;
}

static int lc_teardown(void **state)
{
	struct lc_test *t = *state;

	shm_close_region(t->guest);
	dev_lifecycle_peer.quiesce(t->dev, STOP_TERMINATED);
	dev_lifecycle_peer.destroy(t->dev);
	fake_env_free(t->env);
	rmdir(t->shm);
	rmdir(t->dir);
	unsetenv(SHM_DIR_ENV);
	free(t);
	return 0;
}

/* The guest announces RUNNING again and rings; true when acknowledged. */
static bool announce(struct lc_test *t)
{
	struct lifecycle_hdr h;
	u8 *region = shm_data(t->guest);
	u64 one = 1;
	u32 seq;

	lifecycle_decode(&h, region);
	seq = lifecycle_announce(&h, LIFECYCLE_RUNNING, t->env->now_ns);
	lifecycle_encode(&h, region);
	assert_int_equal(write(t->doorbell, &one, sizeof(one)), sizeof(one));
	fake_env_poll(t->env);
	lifecycle_decode(&h, region);
	return lifecycle_acked(&h, seq);
}

static void test_announcements_bounded(void **state)
{
	struct lc_test *t = *state;
	const struct fake_event *last;
	int i;

	for (i = 0; i < 40; i++) {
		assert_true(announce(t));
		t->env->now_ns += 1000000; /* 1 ms apart */
	}
	assert_int_equal(fake_env_count_events(t->env, "guest-announced"), 16);
	t->env->now_ns += 1000000000ULL; /* a second later: one more */
	assert_true(announce(t));
	assert_int_equal(fake_env_count_events(t->env, "guest-announced"), 17);
	last = &t->env->events[t->env->nr_events - 1];
	assert_string_equal(last->type, "guest-announced");
	assert_non_null(strstr(last->fields, "unreported=24"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_announcements_bounded,
						lc_setup, lc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
