// SPDX-License-Identifier: Apache-2.0
/*
 * Shared memory end to end (docs/shmem.md, docs/lifecycle.md): probe
 * guests drive the qnx and ivshmem models on their BARs. One guest
 * creates a region and reads its bytes back, with every error status;
 * two vessels share `devshare`, one writes and rings, the other takes
 * the interrupt and reads the bytes; the lifecycle announce reaches
 * vessel (its `guest-announced` event) before the S5, and the guest
 * waits for the host's ack, but never past its own limit; the host's
 * allow/deny lists hold whatever the guest asks. Every run has a
 * private VESSEL_SHM_DIR, which must be empty once the vessels are gone.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define READY_MS 60000
#define QNX_READY "PROBE READY shm-qnx"
#define IVSHMEM_READY "PROBE READY shm-ivshmem"
#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"
/* The probe's clock is the CMOS one: whole seconds, maybe a little off. */
#define CLOCK_SLACK_S 120

struct shm_test {
	struct vmrun a, b;
	char dir[VMRUN_PATH_MAX]; /* VESSEL_SHM_DIR of both vessels */
};

static int setup(void **state)
{
	struct shm_test *t = calloc(1, sizeof(*t));

	if (!t || vmrun_init(&t->a) || vmrun_init(&t->b)) {
		free(t);
		return -1;
	}
	snprintf(t->dir, sizeof(t->dir), "%s/shm", t->a.dir);
	setenv("VESSEL_SHM_DIR", t->dir, 1);
	*state = t;
	return 0;
}

/* Names left in the shm directory (none if it does not exist). */
static int leftovers(const char *dir, char *names, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t len = 0;
	int n = 0;

	names[0] = '\0';
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		len += (size_t)snprintf(names + len, size - len, " %s",
					e->d_name);
		if (len >= size)
			len = size - 1;
	}
	if (d)
		closedir(d);
	return n;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[VMRUN_PATH_MAX + 256];

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct shm_test *t = *state;

	vmrun_free(&t->b);
	/* Both vessels are gone (vmrun_free cuts a running one). */
	if (t->a.p.out)
		vmproc_free(&t->a.p);
	remove_dir(t->dir);
	vmrun_free(&t->a);
	unsetenv("VESSEL_SHM_DIR");
	free(t);
	return 0;
}

static void start(struct vmrun *r, const char *scenario, const char *shmem)
{
	const char *extra[] = { "--shmem", shmem, NULL };

	assert_int_equal(vmrun_start(r, scenario, extra), 0);
}

static void start_hook(struct vmrun *r, const char *scenario, const char *hook)
{
	const char *extra[] = { "--shmem", LIFECYCLE, "--lifecycle-hook", hook,
				NULL };

	assert_int_equal(vmrun_start(r, scenario, extra), 0);
}

/* Exit code 0, well-formed events, no FAIL line. */
static void finish_clean(struct vmrun *r)
{
	int code = vmrun_wait(r);

	if (code || strstr(r->p.out, "PROBE FAIL") ||
	    !evlog_well_formed(&r->ev))
		vmrun_dump(r);
	assert_int_equal(code, 0);
	assert_null(strstr(r->p.out, "PROBE FAIL"));
	assert_true(evlog_well_formed(&r->ev));
	assert_int_equal(evlog_count(&r->ev, "s5"), 1);
}

static void expect_line(const struct vmrun *r, const char *line)
{
	if (!strstr(r->p.out, line)) {
		vmrun_dump(r);
		fail_msg("no \"%s\" on the console", line);
	}
}

/* The number after @prefix on the console, or -1. */
static long console_number(const struct vmrun *r, const char *prefix, int base)
{
	const char *p = strstr(r->p.out, prefix);

	return p ? strtol(p + strlen(prefix), NULL, base) : -1;
}

/* idx and peers from "PROBE PASS shm-qnx: idx I peers 0xMASK". */
static void qnx_pass(const struct vmrun *r, long *idx, long *peers)
{
	const char *p = strstr(r->p.out, "PROBE PASS shm-qnx: ");

	if (!p || sscanf(p, "PROBE PASS shm-qnx: idx %ld peers 0x%lx", idx,
			 peers) != 2) {
		vmrun_dump(r);
		fail_msg("no PASS shm-qnx line with idx and peers");
	}
	assert_in_range(*idx, 0, 15);
	assert_true(*peers & 1L << *idx);
}

static void expect_no_leftovers(const struct shm_test *t)
{
	char names[512];

	if (leftovers(t->dir, names, sizeof(names)))
		fail_msg("left in %s:%s", t->dir, names);
}

static void wait_ready(struct vmrun *r, const char *ready)
{
	if (!vmproc_wait_output(&r->p, ready, READY_MS)) {
		vmrun_dump(r);
		fail_msg("no \"%s\"", ready);
	}
}

/*
 * One guest: the error statuses, then a region of 2 pages (vessel's
 * size) although the guest asks for 1, written and read back.
 */
static void test_qnx_create_read_back(void **state)
{
	struct shm_test *t = *state;
	long idx, peers;

	start(&t->a, "shm-qnx probe.shm.pattern=c3",
	      "model=qnx,name=probe,size=8K");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS shm-qnx-error: empty name: "
			   "GSS_ILLEGAL_NAME");
	expect_line(&t->a, "PROBE PASS shm-qnx-error: 32 bytes without NUL: "
			   "GSS_ILLEGAL_NAME");
	expect_line(&t->a, "PROBE PASS shm-qnx-error: find missing: "
			   "GSS_DOES_NOT_EXIST");
	expect_line(&t->a, "\"probe\" pages 2 ");
	qnx_pass(&t->a, &idx, &peers);
	expect_no_leftovers(t);
}

/*
 * Two vessels on `devshare`: A writes 0x11 and waits; B attaches, writes
 * 0xa7 and rings A's peer id. A's interrupt names B, and A reads B's
 * bytes.
 */
static void test_qnx_two_guests(void **state)
{
	struct shm_test *t = *state;
	const char *shmem = "model=qnx,name=devshare,size=4K";
	char b_scenario[128], from[64];
	long a_idx, b_idx, a_peers, b_peers;

	start(&t->a,
	      "shm-qnx probe.shm.name=devshare probe.shm.pattern=11 "
	      "probe.shm.wait=1",
	      shmem);
	wait_ready(&t->a, QNX_READY);
	qnx_pass(&t->a, &a_idx, &a_peers);
	snprintf(b_scenario, sizeof(b_scenario),
		 "shm-qnx probe.shm.name=devshare probe.shm.pattern=a7 "
		 "probe.shm.ring=%ld",
		 a_idx);
	start(&t->b, b_scenario, shmem);
	finish_clean(&t->b);
	finish_clean(&t->a);
	qnx_pass(&t->b, &b_idx, &b_peers);
	assert_true(b_idx != a_idx);
	/* B saw A attached; A was rung by B alone, after B's write. */
	assert_true(b_peers & 1L << a_idx);
	expect_line(&t->b, "PROBE PASS shm-qnx-notify");
	snprintf(from, sizeof(from), "shm-qnx-wait: from 0x%04lx data",
		 1L << b_idx);
	expect_line(&t->a, from);
	expect_line(&t->a, "data a7 a7 a7 a7 a7 a7 a7 a7");
	expect_no_leftovers(t);
}

/*
 * The guest's announce, as vessel reports it: shutting-down, sequence
 * 1, the guest's clock near ours; before the S5. Returns its index.
 */
static int check_announced(struct vmrun *r)
{
	int i = evlog_find(&r->ev, "guest-announced", 0);
	double guest_time;

	if (i < 0) {
		vmrun_dump(r);
		fail_msg("no guest-announced event");
	}
	assert_string_equal(evlog_str(&r->ev, i, "state"), "shutting-down");
	assert_int_equal(evlog_int(&r->ev, i, "seq", -1), 1);
	guest_time = json_object_get_double(
		json_object_object_get(r->ev.ev[i], "guest_time"));
	if (guest_time < (double)time(NULL) - CLOCK_SLACK_S ||
	    guest_time > (double)time(NULL) + CLOCK_SLACK_S)
		fail_msg("guest_time %f, now %lld", guest_time,
			 (long long)time(NULL));
	assert_true(evlog_find(&r->ev, "s5", i) > i);
	return i;
}

/* The guest announces shutting-down; vessel acks at once, then the S5. */
static void test_lifecycle_announce(void **state)
{
	struct shm_test *t = *state;

	start(&t->a, "lifecycle", LIFECYCLE);
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS lifecycle: ack after ");
	check_announced(&t->a);
	expect_no_leftovers(t);
}

/* The hook delays the ack by 1 s: the guest waits for it, then goes. */
static void test_lifecycle_waits_for_ack(void **state)
{
	struct shm_test *t = *state;
	long us;
	int i, h;

	start_hook(&t->a, "lifecycle probe.lc.ack_ms=20000", "sleep 1");
	finish_clean(&t->a);
	i = check_announced(&t->a);
	h = evlog_find(&t->a.ev, "lifecycle-hook", i);
	assert_true(h > i);
	assert_string_equal(evlog_str(&t->a.ev, h, "result"), "ok");
	assert_true(evlog_find(&t->a.ev, "s5", h) > h);
	us = console_number(&t->a, "PROBE PASS lifecycle: ack after ", 10);
	if (us < 1000000 || us >= 20000000)
		fail_msg("ack after %ld us, the hook took 1 s", us);
	expect_no_leftovers(t);
}

/*
 * No ack within probe.lc.ack_ms (the hook takes 3 s): the guest powers
 * off after its 300 ms, not after the host.
 */
static void test_lifecycle_no_ack(void **state)
{
	struct shm_test *t = *state;
	double waited;
	int i;

	start_hook(&t->a, "lifecycle probe.lc.ack_ms=300",
		   "exec >/dev/null 2>&1; sleep 3");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE INFO lifecycle: no ack after 300 ms");
	i = check_announced(&t->a);
	waited = evlog_mono(&t->a.ev, evlog_find(&t->a.ev, "s5", i)) -
		 evlog_mono(&t->a.ev, i);
	if (waited < 0.3 || waited >= 3.0)
		fail_msg("S5 %f s after the announce; the guest waits 0.3 s",
			 waited);
	assert_int_equal(evlog_count(&t->a.ev, "lifecycle-hook"), 0);
	expect_no_leftovers(t);
}

/* deny=: that name is refused, any other is still allowed. */
static void test_qnx_denied_name(void **state)
{
	struct shm_test *t = *state;

	start(&t->a, "shm-qnx probe.shm.denied=secret-1",
	      "model=qnx,name=probe,size=4K,deny=secret*");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS shm-qnx-error: denied name: "
			   "GSS_NO_PERMISSION");
	expect_line(&t->a, "PROBE PASS shm-qnx: idx ");
	expect_no_leftovers(t);
}

/*
 * allow=: a name outside the list is refused, one inside allowed. The
 * missing name must be allowed too: a name the guest may not use is
 * GSS_NO_PERMISSION whether or not it exists.
 */
static void test_qnx_allow_list(void **state)
{
	struct shm_test *t = *state;

	start(&t->a,
	      "shm-qnx probe.shm.name=test-a probe.shm.denied=live-a "
	      "probe.shm.missing=test-missing",
	      "model=qnx,name=test-a,size=4K,allow=test*");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS shm-qnx-error: denied name: "
			   "GSS_NO_PERMISSION");
	expect_line(&t->a, "PROBE PASS shm-qnx: idx ");
	expect_no_leftovers(t);
}

/* ivshmem: the name capability, IVPosition, the region written back. */
static void test_ivshmem_one_guest(void **state)
{
	struct shm_test *t = *state;

	start(&t->a, "shm-ivshmem probe.shm.name=ivs probe.shm.pattern=3c",
	      "model=ivshmem,name=ivs,size=64K");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS shm-ivshmem: name \"ivs\" position ");
	expect_no_leftovers(t);
}

/* ivshmem: B rings A's IVPosition, vector 0; A takes MSI-X vector 0. */
static void test_ivshmem_two_guests(void **state)
{
	struct shm_test *t = *state;
	const char *shmem = "model=ivshmem,name=ivs,size=64K";
	char b_scenario[128];
	long a_pos;

	start(&t->a,
	      "shm-ivshmem probe.shm.name=ivs probe.shm.pattern=11 "
	      "probe.shm.wait=1",
	      shmem);
	wait_ready(&t->a, IVSHMEM_READY);
	a_pos = console_number(&t->a, " position ", 10);
	assert_in_range(a_pos, 0, 15);
	snprintf(b_scenario, sizeof(b_scenario),
		 "shm-ivshmem probe.shm.name=ivs probe.shm.pattern=5e "
		 "probe.shm.ring=%ld",
		 a_pos);
	start(&t->b, b_scenario, shmem);
	finish_clean(&t->b);
	finish_clean(&t->a);
	assert_true(console_number(&t->b, " position ", 10) != a_pos);
	expect_line(&t->b, "PROBE PASS shm-ivshmem-ring: peer ");
	expect_line(&t->a, "doorbell(s) data 5e 5e 5e 5e 5e 5e 5e 5e");
	expect_no_leftovers(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qnx_create_read_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_qnx_two_guests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_announce, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_waits_for_ack,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_no_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qnx_denied_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qnx_allow_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ivshmem_one_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ivshmem_two_guests, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
