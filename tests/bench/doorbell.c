// SPDX-License-Identifier: Apache-2.0
/*
 * make bench, fourth part: doorbell latency on the ivshmem model, vessel
 * (--shmem model=ivshmem) against QEMU q35's ivshmem-doorbell, with the
 * probe's shm-pingpong scenario (guest/probe/shm_pingpong.c):
 *
 *   host <-> guest: the host program rings the guest, whose MSI-X handler
 *   rings back; the host times each round trip with CLOCK_MONOTONIC.
 *   vessel: the host program is a peer of the region through libvessel
 *   (shm_open_region, shm_ring, shm_wait). QEMU: it is the ivshmem
 *   server's own peer (ivshmem_server.c; Debian ships no ivshmem-server),
 *   writing the guest's eventfd and reading its own.
 *
 *   guest <-> guest: two guests on one region; the initiator times each
 *   round trip with its TSC and reports the median and p99.
 *
 * Both sides find each other through the record the probe keeps at
 * offset 0 of the region. Regions and the server's socket live in a
 * private directory ($VESSEL_SHM_DIR for the part's duration).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/shm/shm.h"
#include "bench.h"
#include "ivshmem_server.h"

#define DB_REGION "bench-doorbell"
#define DB_SIZE_ARG "1M"
#define DB_SIZE (1u << 20) /* QEMU needs a power of two for BAR2 */
#define DB_VECTORS 2
#define DB_WAIT_MS 2000 /* for one answer */
#define DB_MS_PER_ROUND 2 /* on top of the run's timeout */
#define DB_TARGET_US 50.0
#define DB_READY "PROBE READY shm-pingpong"
#define DB_RESULT "PROBE PASS shm-pingpong: "
#define DB_MAGIC 0x474e5050u /* "PPNG" */

/* guest/probe/shm_pingpong.c: the record at offset 0 of the region. */
struct pp_record {
	uint32_t magic;
	uint32_t echo; /* the echo guest's IVPosition */
	uint32_t initiator; /* the initiator's peer id + 1 */
};

/* One host program's way to ring the echo guest and wait for it. */
struct db_host {
	int (*ring)(struct db_host *h);
	int (*wait)(struct db_host *h);
	struct shm_region *r; /* vessel: our peer */
	int guest; /* the guest's peer id */
	int guest_fd, own_fd; /* QEMU: the guest's eventfd and ours */
};

static int ves_ring(struct db_host *h)
{
	return shm_ring(h->r, h->guest);
}

/* Wake-ups without the guest's bit (peers attaching) do not count. */
static int ves_wait(struct db_host *h)
{
	int64_t deadline = now_ns() + DB_WAIT_MS * 1000000LL, left;
	uint32_t rang = 0;
	int ret;

	for (;;) {
		left = (deadline - now_ns()) / 1000000;
		if (left <= 0)
			return -ETIMEDOUT;
		ret = shm_wait(h->r, (int)left, &rang);
		if (ret)
			return ret;
		/* Through KVM's ioeventfd a ring carries no sender bit. */
		if (rang & 1u << h->guest ||
		    (!rang && !shm_peers_changed(h->r)))
			return 0;
	}
}

static int qemu_ring(struct db_host *h)
{
	uint64_t one = 1;

	return write(h->guest_fd, &one, sizeof(one)) == sizeof(one) ? 0 :
								      -errno;
}

static int qemu_wait(struct db_host *h)
{
	struct pollfd p = { .fd = h->own_fd, .events = POLLIN };
	uint64_t count;

	for (;;) {
		if (read(h->own_fd, &count, sizeof(count)) == sizeof(count))
			return 0;
		if (errno != EAGAIN)
			return -errno;
		if (poll(&p, 1, DB_WAIT_MS) == 0)
			return -ETIMEDOUT;
	}
}

/* @n round trips, each in @us (microseconds). */
static int db_host_rounds(struct db_host *h, int n, double *us)
{
	int64_t t0;
	int i, ret;

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = h->ring(h);
		ret = ret ? ret : h->wait(h);
		if (ret)
			return ret;
		us[i] = (double)(now_ns() - t0) / 1e3;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median (mean of the middle two) and p99 (nearest rank) of @us. */
static void db_stats(double *us, int n, struct db_result *out)
{
	qsort(us, n, sizeof(*us), cmp_double);
	out->median = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
	out->p99 = us[(99 * n + 99) / 100 - 1];
	out->max = us[n - 1];
	out->n = n;
}

/* --- the guests ------------------------------------------------------- */

/* The probe as echo or initiator, on region DB_REGION or QEMU's @sock. */
static int db_start(const struct bench *b, const struct vmm *v, bool initiator,
		    const char *sock, struct run *r)
{
	char *argv[MAX_ARGS], arg[128], chardev[160], scenario[96];
	int n, ret;

	snprintf(scenario, sizeof(scenario),
		 "shm-pingpong probe.pp.role=%s probe.pp.rounds=%d",
		 initiator ? "initiator" : "echo", b->db_rounds);
	vmm_argv(b, v, scenario, arg, sizeof(arg), argv);
	for (n = 0; argv[n]; n++)
		;
	if (vmm_is_vessel(v)) {
		argv_push(argv, &n, "--shmem",
			  "model=ivshmem,name=" DB_REGION ",size=" DB_SIZE_ARG,
			  NULL);
	} else {
		snprintf(chardev, sizeof(chardev), "socket,path=%s,id=ivs",
			 sock);
		argv_push(argv, &n, "-chardev", chardev, "-device",
			  "ivshmem-doorbell,chardev=ivs,vectors=2", NULL);
	}
	ret = run_start(r, argv);
	r->ready_mark = DB_READY;
	r->grab_mark = DB_RESULT;
	return ret;
}

static int64_t db_deadline(const struct bench *b, const struct run *r)
{
	return r->t0 + b->timeout_ns +
	       b->db_rounds * DB_MS_PER_ROUND * 1000000LL;
}

/* The run ended as the probe ends: its PASS line, no FAIL, exit 0. */
static bool db_clean(struct run *r)
{
	return r->grab[0] && !r->fail[0] && !r->cut && r->status == 0;
}

static void db_fail(struct vmm *v, const char *what, const struct run *r,
		    int err)
{
	char why[MSG_LEN];

	if (v->fails < MAX_FAILS) {
		run_describe(r, why, sizeof(why));
		snprintf(v->fail[v->fails], MSG_LEN, "%s: %s%s%.180s", what,
			 err ? strerror(-err) : "", err ? "; " : "", why);
	}
	v->fails++;
}

/* "... rtt median N ns p99 M ns": the initiator's figures, in us. */
static int db_parse_guest(const char *line, struct db_result *out)
{
	const char *p = strstr(line, "rtt median ");
	unsigned long long med, p99;

	if (!p || sscanf(p, "rtt median %llu ns p99 %llu ns", &med, &p99) != 2)
		return -EPROTO;
	out->median = (double)med / 1e3;
	out->p99 = (double)p99 / 1e3;
	out->n = 1;
	return 0;
}

/* The initiator guest against a running echo guest: its figures. */
static void db_initiator(struct bench *b, struct vmm *v, const char *sock)
{
	struct run r;
	int err;

	if (db_start(b, v, true, sock, &r)) {
		db_fail(v, "guest <-> guest: initiator", &r, -errno);
		return;
	}
	run_end(&r, vmm_is_vessel(v), db_deadline(b, &r));
	vmm_count_cut(v, &r);
	err = db_clean(&r) ? db_parse_guest(r.grab, &v->db_guest) : 0;
	if (err || !v->db_guest.n)
		db_fail(v, "guest <-> guest: initiator", &r, err);
}

/* Echo guest first; once it takes doorbells, the initiator against it. */
static void db_guests(struct bench *b, struct vmm *v, const char *sock)
{
	struct run echo;

	if (db_start(b, v, false, sock, &echo)) {
		db_fail(v, "guest <-> guest: echo guest", &echo, -errno);
		return;
	}
	run_wait(&echo, &echo.ready_ms, db_deadline(b, &echo));
	if (echo.ready_ms >= 0 && echo.status < 0)
		db_initiator(b, v, sock);
	run_end(&echo, vmm_is_vessel(v), db_deadline(b, &echo));
	vmm_count_cut(v, &echo);
	if (!db_clean(&echo))
		db_fail(v, "guest <-> guest: echo guest", &echo, 0);
}

/* --- the host program ---------------------------------------------------- */

/*
 * Wait for the echo guest's READY, then the rounds from @h against it;
 * @rec is the region's record as the host maps it, @self the host's id.
 */
static void db_host_run(struct bench *b, struct vmm *v, struct run *r,
			struct db_host *h, volatile struct pp_record *rec,
			int self, struct ivs_server *srv)
{
	double *us = calloc(b->db_rounds, sizeof(*us));
	int err = us ? 0 : -ENOMEM;

	run_wait(r, &r->ready_ms, db_deadline(b, r));
	if (!err && (r->ready_ms < 0 || rec->magic != DB_MAGIC))
		err = -ENODEV;
	if (!err) {
		h->guest = (int)rec->echo;
		rec->initiator = (uint32_t)self + 1;
		if (srv) {
			h->guest_fd = ivs_server_peer_fd(srv, h->guest, 0);
			err = h->guest_fd < 0 ? h->guest_fd : 0;
		}
	}
	err = err ? err : db_host_rounds(h, b->db_rounds, us);
	if (h->guest_fd >= 0)
		close(h->guest_fd);
	run_end(r, vmm_is_vessel(v), db_deadline(b, r));
	vmm_count_cut(v, r);
	if (!err && db_clean(r))
		db_stats(us, b->db_rounds, &v->db_host);
	else
		db_fail(v, "host <-> guest", r, err);
	free(us);
}

static void db_host_vessel(struct bench *b, struct vmm *v)
{
	struct db_host h = { .ring = ves_ring,
			     .wait = ves_wait,
			     .guest_fd = -1 };
	struct run r;
	int ret;

	/*
	 * Kind "ivshmem": like QEMU's server, this host program does without
	 * the sender bit, so the guest's Doorbell writes reach it through a
	 * KVM ioeventfd, as they reach the server in QEMU's case.
	 */
	ret = shm_open_region(DB_REGION, DB_SIZE, SHM_CREATE, "ivshmem",
			      "bench", &h.r);
	if (ret) {
		snprintf(v->db_off, sizeof(v->db_off),
			 "cannot attach region %s in %s: %s", DB_REGION,
			 shm_dir(), strerror(-ret));
		return;
	}
	if (db_start(b, v, false, NULL, &r))
		db_fail(v, "host <-> guest", &r, -errno);
	else
		db_host_run(b, v, &r, &h, shm_data(h.r), shm_peer_id(h.r),
			    NULL);
	shm_close_region(h.r);
}

static void db_host_qemu(struct bench *b, struct vmm *v, const char *sock)
{
	struct db_host h = { .ring = qemu_ring,
			     .wait = qemu_wait,
			     .guest_fd = -1 };
	struct ivs_server *srv;
	struct run r;
	int ret;

	ret = ivs_server_start(sock, DB_SIZE, DB_VECTORS, &srv);
	if (ret) {
		snprintf(v->db_off, sizeof(v->db_off),
			 "cannot start the ivshmem server on %s: %s", sock,
			 strerror(-ret));
		return;
	}
	h.own_fd = ivs_server_doorbell(srv, 0);
	if (db_start(b, v, false, sock, &r))
		db_fail(v, "host <-> guest", &r, -errno);
	else
		db_host_run(b, v, &r, &h, ivs_server_data(srv), IVS_SELF, srv);
	ivs_server_stop(srv);
}

static void db_guests_qemu(struct bench *b, struct vmm *v, const char *sock)
{
	struct ivs_server *srv;
	int ret = ivs_server_start(sock, DB_SIZE, DB_VECTORS, &srv);

	if (ret) {
		snprintf(v->db_off, sizeof(v->db_off),
			 "cannot start the ivshmem server on %s: %s", sock,
			 strerror(-ret));
		return;
	}
	db_guests(b, v, sock);
	ivs_server_stop(srv);
}

/* --- the part ------------------------------------------------------------ */

/* A private region directory (tmpfs) for this part: $VESSEL_SHM_DIR. */
static int db_dir(struct bench *b)
{
	snprintf(b->db_dir, sizeof(b->db_dir), "/dev/shm/vessel-bench-XXXXXX");
	if (!mkdtemp(b->db_dir)) {
		b->db_dir[0] = '\0';
		return -errno;
	}
	snprintf(b->db_sock, sizeof(b->db_sock), "%s/ivshmem.sock", b->db_dir);
	return setenv(SHM_DIR_ENV, b->db_dir, 1) ? -errno : 0;
}

void doorbell_run(struct bench *b)
{
	struct vmm *ves = &b->vmm[0], *q35 = &b->vmm[1];
	int ret = db_dir(b);

	if (ret) {
		snprintf(ves->db_off, sizeof(ves->db_off),
			 "no private directory in /dev/shm: %s",
			 strerror(-ret));
		snprintf(q35->db_off, sizeof(q35->db_off), "%s", ves->db_off);
		return;
	}
	if (!ves->off[0])
		db_host_vessel(b, ves);
	if (!q35->off[0])
		db_host_qemu(b, q35, b->db_sock);
	fprintf(stderr, "bench: doorbell host <-> guest done\n");
	if (!ves->off[0])
		db_guests(b, ves, NULL);
	if (!q35->off[0])
		db_guests_qemu(b, q35, b->db_sock);
	fprintf(stderr, "bench: doorbell guest <-> guest done\n");
	unsetenv(SHM_DIR_ENV);
	unlink(b->db_sock);
	if (rmdir(b->db_dir))
		fprintf(stderr, "bench: %s left behind: %s\n", b->db_dir,
			strerror(errno));
}

/* --- the table ------------------------------------------------------------ */

static double db_pick(const struct db_result *r, int what)
{
	if (!r->n)
		return NAN;
	return what == 0 ? r->median : what == 1 ? r->p99 : r->median / 2;
}

static void db_cell(double x, const struct vmm *v, char *buf, size_t size)
{
	if (!isnan(x))
		snprintf(buf, size, "%.1f us", x);
	else if (v->off[0] || v->db_off[0] || v->fails)
		snprintf(buf, size, "failed, see notes");
	else
		snprintf(buf, size, "no data");
}

static void db_row(const char *name, const struct db_result *a,
		   const struct vmm *va, const struct db_result *q,
		   const struct vmm *vq, int what)
{
	double x = db_pick(a, what), y = db_pick(q, what);
	char c[3][CELL + 8];

	db_cell(x, va, c[0], sizeof(c[0]));
	db_cell(y, vq, c[1], sizeof(c[1]));
	if (isnan(x) || isnan(y) || y <= 0)
		snprintf(c[2], sizeof(c[2]), "-");
	else
		snprintf(c[2], sizeof(c[2]), "%.3f", x / y);
	printf("%-40s| %-*s| %-*s| %s\n", name, CELL, c[0], CELL, c[1], c[2]);
}

static void db_print_method(const struct bench *b)
{
	printf("\ndoorbell latency (probe.test=shm-pingpong, %d round trips per figure, MSI-X vector 0):\n",
	       b->db_rounds);
	printf("  vessel: --shmem model=ivshmem,name=%s,size=%s; QEMU q35: -device\n"
	       "  ivshmem-doorbell,vectors=%d on tests/bench/ivshmem_server.c (Debian's QEMU has\n"
	       "  no ivshmem-server), a %s memfd.\n",
	       DB_REGION, DB_SIZE_ARG, DB_VECTORS, DB_SIZE_ARG);
	printf("  host <-> guest: the host program rings the guest, the guest's MSI-X handler\n"
	       "  writes Doorbell back, the host wakes in poll() and reads its eventfd; each\n"
	       "  round trip on CLOCK_MONOTONIC. vessel's host program is a libvessel peer\n"
	       "  (shm_open_region, shm_ring, shm_wait); QEMU's is the server itself (peer 0:\n"
	       "  it writes the guest's eventfd and reads its own). 'host wake-up' is RTT / 2,\n"
	       "  an estimate: one leg is not measured alone.\n");
	printf("  guest <-> guest: two guests on one region; the echo guest rings back from its\n"
	       "  handler, the initiator times each round trip with its TSC (calibrated against\n"
	       "  the LAPIC timer) and prints the median and p99.\n");
	printf("  Both hand their eventfds to KVM: a Doorbell write to an ivshmem peer is a KVM\n"
	       "  ioeventfd (vessel: after the first ring, which goes through vessel; its host\n"
	       "  program opens the region as kind \"ivshmem\", without sender bits), and\n"
	       "  MSI-X vector 0 is an irqfd on the guest's doorbell.\n");
	printf("  %ld CPUs online: the host program, or the second guest, shares them with the\n"
	       "  VMMs' vCPU and I/O threads, so they contend.\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
}

static void db_print_targets(const struct vmm *v)
{
	double x = db_pick(&v->db_host, 2);

	printf("\ntargets (doorbell):\n");
	if (isnan(x))
		printf("  MISS  host wake-up under %.0f us at the median (vessel has no data)\n",
		       DB_TARGET_US);
	else
		printf("  %s  host wake-up under %.0f us at the median (vessel: %.1f us, RTT / 2)\n",
		       x < DB_TARGET_US ? "PASS" : "MISS", DB_TARGET_US, x);
}

void doorbell_print(struct bench *b)
{
	struct vmm *v = &b->vmm[0], *q = &b->vmm[1];

	db_print_method(b);
	printf("\n%-40s| %-*s| %-*s| %s\n", "figure", CELL, "vessel", CELL,
	       "qemu q35", "ratio");
	printf("----------------------------------------+-----------------------+-----------------------+------\n");
	db_row("host <-> guest round trip, median", &v->db_host, v, &q->db_host,
	       q, 0);
	db_row("  p99", &v->db_host, v, &q->db_host, q, 1);
	db_row("  host wake-up (RTT / 2), median", &v->db_host, v, &q->db_host,
	       q, 2);
	db_row("guest <-> guest round trip, median", &v->db_guest, v,
	       &q->db_guest, q, 0);
	db_row("  p99", &v->db_guest, v, &q->db_guest, q, 1);
	if (v->db_host.n && q->db_host.n)
		printf("host <-> guest, slowest round trip: vessel %.1f us, qemu %.1f us\n",
		       v->db_host.max, q->db_host.max);
	db_print_targets(v);
}
