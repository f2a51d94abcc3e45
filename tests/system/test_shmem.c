// SPDX-License-Identifier: Apache-2.0
/*
 * Shared memory end to end (docs/shmem.md, docs/lifecycle.md): probe
 * guests drive the qnx and ivshmem models on their BARs. One guest
 * creates a region and reads its bytes back, with every error status;
 * two vessels share `devshare`, one writes and rings, the other takes
 * the interrupt and reads the bytes; the lifecycle announce reaches
 * vessel (its `guest-announced` event) before the S5, and the guest
 * waits for the host's ack, but never past its own limit; the host's
 * allow/deny lists hold whatever the guest asks. A host program (this
 * test, on src/shm) attaches to a guest's region by name, sees its bytes
 * and rings it; a guest hammering a peer's doorbell starves neither the
 * other guest, nor the host peer, nor its own vessel's control socket.
 * Every run has a private VESSEL_SHM_DIR, which must be empty once the
 * vessels are gone.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/shm/shm.h"
#include "../lib/vmrun.h"

#define READY_MS 60000
#define QNX_READY "PROBE READY shm-qnx"
#define IVSHMEM_READY "PROBE READY shm-ivshmem"
#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"
/* The probe's clock is the CMOS one: whole seconds, maybe a little off. */
#define CLOCK_SLACK_S 120

/*
 * This test as a host peer of a region: a thread serves its socket and
 * collects who rang it, as a host program's event loop would.
 */
struct host_peer {
	struct shm_region *r;
	pthread_t thread;
	bool running;
	bool stop; /* atomic: the thread ends */
	uint32_t rang; /* atomic: every peer that rang so far */
	unsigned long wakes; /* atomic: doorbell reads */
};

struct shm_test {
	struct vmrun a, b;
	char dir[VMRUN_PATH_MAX]; /* VESSEL_SHM_DIR of both vessels */
	struct host_peer host;
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

static void host_peer_close(struct host_peer *h);

static int teardown(void **state)
{
	struct shm_test *t = *state;

	host_peer_close(&t->host);
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

/* --- the test as a host peer (src/shm, as libvessel.a offers it) --- */

static void *host_peer_serve(void *arg)
{
	struct host_peer *h = arg;
	uint32_t rang;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		if (shm_wait(h->r, 50, &rang))
			continue;
		__atomic_fetch_or(&h->rang, rang, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&h->wakes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Attach to @name (@flags: SHM_CREATE or SHM_EXIST) as host peer "test". */
static void host_peer_open(struct host_peer *h, const char *name,
			   unsigned flags, bool serve)
{
	int ret = shm_open_region(name, 4096, flags, "host", "test", &h->r);

	if (ret)
		fail_msg("shm_open_region(%s): %s", name, strerror(-ret));
	if (serve) {
		assert_int_equal(
			pthread_create(&h->thread, NULL, host_peer_serve, h),
			0);
		h->running = true;
	}
}

static void host_peer_close(struct host_peer *h)
{
	if (h->running) {
		__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
		pthread_join(h->thread, NULL);
		h->running = false;
	}
	shm_close_region(h->r);
	h->r = NULL;
}

/* Wait up to @ms for peer @id's ring among those the thread took. */
static bool host_peer_rung_by(struct host_peer *h, long id, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&h->rang, __ATOMIC_SEQ_CST) & 1u << id)
			return true;
		usleep(10000);
	}
	return false;
}

/* Put 0xd0, 0xd1 .. 0xd7 at the start of the data; the bytes as the probe
 * prints them. */
static const char *host_bytes(struct shm_region *r)
{
	unsigned char *data = shm_data(r);

	for (int i = 0; i < 8; i++)
		data[i] = (unsigned char)(0xd0 + i);
	return "data d0 d1 d2 d3 d4 d5 d6 d7";
}

/* The guest's wait line: rung by host peer @r alone, with its bytes. */
static void expect_host_ring(const struct vmrun *r, struct shm_region *h,
			     const char *bytes)
{
	char line[96];

	snprintf(line, sizeof(line), "PROBE PASS shm-qnx-wait: from 0x%04x %s",
		 1u << shm_peer_id(h), bytes);
	expect_line(r, line);
}

/*
 * A guest creates `hostview` (2 pages, 0x6b everywhere it writes) and
 * waits; this test attaches by name, finds the guest among the peers
 * and its bytes in the data, writes its own and rings it. The guest's
 * interrupt names the test's peer id and shows the test's bytes.
 */
static void test_host_attaches_by_name(void **state)
{
	struct shm_test *t = *state;
	struct shm_peer_info info;
	const unsigned char *data;
	const char *bytes;
	long idx, peers;
	uint64_t i;

	start(&t->a,
	      "shm-qnx probe.shm.name=hostview probe.shm.pages=2 "
	      "probe.shm.pattern=6b probe.shm.wait=1",
	      "model=qnx");
	wait_ready(&t->a, QNX_READY);
	qnx_pass(&t->a, &idx, &peers);
	host_peer_open(&t->host, "hostview", SHM_EXIST, false);
	assert_int_equal(shm_size(t->host.r), 8192);
	assert_true(shm_peers(t->host.r) & 1u << idx);
	assert_int_equal(shm_peer_get(t->host.r, (int)idx, &info), 0);
	assert_string_equal(info.kind, "guest");
	assert_int_equal(info.pid, t->a.p.pid);
	data = shm_data(t->host.r);
	for (i = 0; i < 4096; i++)
		if (data[i] != 0x6b)
			fail_msg("data[%llu] 0x%02x, the guest wrote 0x6b",
				 (unsigned long long)i, data[i]);
	assert_int_equal(data[8191], 0x6b);
	bytes = host_bytes(t->host.r);
	assert_int_equal(shm_ring(t->host.r, (int)idx), 0);
	finish_clean(&t->a);
	expect_host_ring(&t->a, t->host.r, bytes);
	host_peer_close(&t->host);
	expect_no_leftovers(t);
}

#define HAMMER_RINGS 200000
#define STATUS_MS 5000
#define EXCHANGE_MS 10000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `vesselctl --vm r->ctl status` answers (exit 0); how long it took. */
static double status_answers(const struct vmrun *r)
{
	const char *argv[] = { vesselctl_path(), "--vm", r->ctl, "status",
			       NULL };
	double t0 = now_s();
	struct vmproc c;
	int code;

	assert_int_equal(vmproc_start(&c, argv), 0);
	code = vmproc_wait_exit(&c, STATUS_MS);
	if (code)
		vmproc_dump(&c);
	vmproc_free(&c);
	assert_int_equal(code, 0);
	return now_s() - t0;
}

/*
 * Guest B rings this test's peer HAMMER_RINGS times in a tight loop.
 * Meanwhile guest A, waiting on the same region, is rung by the test
 * with the test's bytes and rings back; B's vessel answers `status`.
 * All of it must complete; how fast is not asserted.
 */
static void test_qnx_hammer(void **state)
{
	struct shm_test *t = *state;
	const char *ctl[] = { "--shmem", "model=qnx", "--control", t->b.ctl,
			      NULL };
	char b_scenario[128], line[64];
	long a_idx, b_idx, a_peers, b_peers, me;
	const char *bytes;
	double took, hammer_s;
	bool overlap;

	host_peer_open(&t->host, "hammer", SHM_CREATE, true);
	me = shm_peer_id(t->host.r);
	start(&t->a,
	      "shm-qnx probe.shm.name=hammer probe.shm.pattern=5c "
	      "probe.shm.wait=1 probe.shm.reply=1",
	      "model=qnx");
	wait_ready(&t->a, QNX_READY);
	qnx_pass(&t->a, &a_idx, &a_peers);
	snprintf(b_scenario, sizeof(b_scenario),
		 "shm-qnx probe.shm.name=hammer probe.shm.ring=%ld "
		 "probe.shm.hammer=%d",
		 me, HAMMER_RINGS);
	assert_int_equal(vmrun_start(&t->b, b_scenario, ctl), 0);
	wait_ready(&t->b, "PROBE INFO shm-qnx-hammer: ");
	hammer_s = now_s();
	took = status_answers(&t->b);
	bytes = host_bytes(t->host.r);
	assert_int_equal(shm_ring(t->host.r, (int)a_idx), 0);
	if (!host_peer_rung_by(&t->host, a_idx, EXCHANGE_MS)) {
		vmrun_dump(&t->a);
		fail_msg("guest A's reply never reached the host peer");
	}
	vmproc_alive_after(&t->b.p, 0);
	overlap = !strstr(t->b.p.out, "PROBE PASS shm-qnx-hammer");
	finish_clean(&t->a);
	finish_clean(&t->b);
	hammer_s = now_s() - hammer_s;
	expect_host_ring(&t->a, t->host.r, bytes);
	snprintf(line, sizeof(line), "PROBE PASS shm-qnx-reply: mask 0x%04lx",
		 1L << me);
	expect_line(&t->a, line);
	snprintf(line, sizeof(line), "PROBE PASS shm-qnx-hammer: %d rings",
		 HAMMER_RINGS);
	expect_line(&t->b, line);
	qnx_pass(&t->b, &b_idx, &b_peers);
	assert_true(host_peer_rung_by(&t->host, b_idx, EXCHANGE_MS));
	print_message("hammer: %d rings in about %.1f s; status in %.3f s, "
		      "%lu wake-ups of the host peer, the exchange %s the "
		      "hammer\n",
		      HAMMER_RINGS, hammer_s, took,
		      __atomic_load_n(&t->host.wakes, __ATOMIC_RELAXED),
		      overlap ? "within" : "AFTER");
	host_peer_close(&t->host);
	expect_no_leftovers(t);
}

/*
 * ivshmem: B hammers A's doorbell; A takes the first one and powers off
 * while B goes on ringing a peer that is gone. B's rings must neither
 * hang nor fail its vessel, which answers `status` meanwhile.
 */
static void test_ivshmem_hammer_peer_leaves(void **state)
{
	struct shm_test *t = *state;
	const char *shmem = "model=ivshmem,name=ivs,size=64K";
	const char *ctl[] = { "--shmem", shmem, "--control", t->b.ctl, NULL };
	char b_scenario[128], line[64];
	long a_pos;

	start(&t->a, "shm-ivshmem probe.shm.name=ivs probe.shm.wait=1", shmem);
	wait_ready(&t->a, IVSHMEM_READY);
	a_pos = console_number(&t->a, " position ", 10);
	assert_in_range(a_pos, 0, 15);
	snprintf(b_scenario, sizeof(b_scenario),
		 "shm-ivshmem probe.shm.name=ivs probe.shm.ring=%ld "
		 "probe.shm.hammer=%d",
		 a_pos, HAMMER_RINGS);
	assert_int_equal(vmrun_start(&t->b, b_scenario, ctl), 0);
	wait_ready(&t->b, "PROBE INFO shm-ivshmem-hammer: ");
	finish_clean(&t->a);
	expect_line(&t->a, "PROBE PASS shm-ivshmem-wait: ");
	status_answers(&t->b);
	finish_clean(&t->b);
	snprintf(line, sizeof(line), "PROBE PASS shm-ivshmem-hammer: %d rings",
		 HAMMER_RINGS);
	expect_line(&t->b, line);
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
		cmocka_unit_test_setup_teardown(test_host_attaches_by_name,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_qnx_hammer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ivshmem_hammer_peer_leaves,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
