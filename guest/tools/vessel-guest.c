// SPDX-License-Identifier: Apache-2.0
/*
 * vessel-guest: a static helper for Linux guests of vessel. It tells the
 * host the guest's lifecycle state over the shmem `lifecycle` region,
 * waits (bounded) for the host's acknowledgement, waits for the host's
 * requests, and rings peers' doorbells. No kernel module: the device is
 * found and mapped through sysfs (vg_dev.c). The guest cannot take the
 * device's interrupts from userspace, so it polls the header.
 * docs/lifecycle.md is the contract and the man page.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/common/lifecycle.h"
#include "vg.h"

/* Poll periods: an ack is awaited in a shutdown path, a request is not. */
#define ACK_POLL_MS 1
#define REQUEST_POLL_MS 10

static const char usage_text[] =
	"usage: vessel-guest notify running|shutting-down|rebooting|halted\n"
	"                    [--wait-ack T] [--region NAME] [--peer N]\n"
	"       vessel-guest wait-request [--timeout T] [--region NAME] [--peer N]\n"
	"       vessel-guest ring PEER [--region NAME]\n"
	"       vessel-guest list\n"
	"T: 5s, 500ms, 2m, 1.5s (no unit: seconds). NAME: lifecycle by default.\n"
	"N, PEER: 0-15; the host's peer by default.\n"
	"Exit: 0 done, 1 no ack or no request in time, 2 usage,\n"
	"      3 no device, region, lifecycle header or peer.\n"
	"VESSEL_GUEST_SYSFS: where sysfs is (default /sys).\n";

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void say_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vessel-guest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

static u64 now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

/* Sleep @ms, but never past @deadline (ms, monotonic; 0: none). */
static void nap(u64 ms, u64 deadline)
{
	u64 now = now_ms();
	struct timespec ts;

	if (deadline && deadline - MIN(now, deadline) < ms)
		ms = deadline - MIN(now, deadline);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static const char *sysfs_root(void)
{
	const char *root = getenv("VESSEL_GUEST_SYSFS");

	return root && *root ? root : "/sys";
}

/* The header as it is now; false (@why set) when it is not one. */
static bool read_header(struct vg_conn *c, struct lifecycle_hdr *h, u8 *buf,
			char *why, size_t whysize)
{
	vg_load(c, buf, LIFECYCLE_HDR_SIZE);
	return !lifecycle_check(buf, c->data_len, h, why, whysize);
}

/* Attach to the region and read its header; an exit code on failure. */
static int open_lifecycle(const struct vg_args *a, struct vg_conn *c,
			  struct lifecycle_hdr *h, u8 *buf)
{
	char why[256];

	if (vg_open(sysfs_root(), a->region, LIFECYCLE_HDR_SIZE, c, why,
		    sizeof(why))) {
		say_err("%s", why);
		return VG_EXIT_NODEV;
	}
	if (!read_header(c, h, buf, why, sizeof(why))) {
		say_err("region %s: %s", a->region, why);
		vg_close(c);
		return VG_EXIT_NODEV;
	}
	return VG_EXIT_OK;
}

/* Ring the host (or --peer); the peer rung, or -1. */
static int ring_host(const struct vg_args *a, struct vg_conn *c)
{
	int peer = a->peer >= 0 ? a->peer : vg_host_peer(c);

	if (peer < 0 || vg_ring(c, peer))
		return -1;
	return peer;
}

/* Wait for host_ack == @seq until @deadline; true when it came. */
static bool wait_ack(struct vg_conn *c, u32 seq, u64 deadline)
{
	struct lifecycle_hdr h;
	u8 buf[LIFECYCLE_HDR_SIZE];

	for (;;) {
		if (read_header(c, &h, buf, NULL, 0) &&
		    lifecycle_acked(&h, seq))
			return true;
		if (now_ms() >= deadline || stop_signal)
			return false;
		nap(ACK_POLL_MS, deadline);
	}
}

static int cmd_notify(const struct vg_args *a, u64 start)
{
	const char *state = lifecycle_state_name(a->state);
	struct lifecycle_hdr h;
	u8 buf[LIFECYCLE_HDR_SIZE];
	struct vg_conn c;
	int ret, peer;
	u64 announced;
	u32 seq;

	ret = open_lifecycle(a, &c, &h, buf);
	if (ret)
		return ret;
	seq = lifecycle_announce(&h, a->state, clock_ns(CLOCK_REALTIME));
	lifecycle_encode(&h, buf);
	/* Our fields only, the sequence word last: it publishes the rest. */
	vg_store(&c, LIFECYCLE_OFF_GUEST_STATE, buf, 4);
	vg_store(&c, LIFECYCLE_OFF_GUEST_TIME, buf, 8);
	vg_store(&c, LIFECYCLE_OFF_GUEST_SEQ, buf, 4);
	/* The ack's delay counts from here, not from after our output. */
	announced = now_ms();
	peer = ring_host(a, &c);
	if (peer >= 0)
		printf("announced %s (seq %u), rang peer %d\n", state, seq,
		       peer);
	else
		printf("announced %s (seq %u), no host peer to ring\n", state,
		       seq);
	fflush(stdout);
	ret = VG_EXIT_OK;
	if (a->has_limit) {
		if (wait_ack(&c, seq, start + a->limit_ms)) {
			printf("host acknowledged %s (seq %u) after %llu ms\n",
			       state, seq,
			       (unsigned long long)(now_ms() - announced));
		} else {
			say_err("warning: no acknowledgement of %s (seq %u) within %llu ms; going on",
				state, seq, (unsigned long long)a->limit_ms);
			ret = VG_EXIT_TIMEOUT;
		}
	}
	vg_close(&c);
	return ret;
}

/*
 * "peer-shutting-down NAME" for request 3: a script reads the name as a
 * word, so the host's bytes are shown only as far as they are a name.
 */
static void print_request(const struct lifecycle_hdr *h, const char *name)
{
	size_t i;

	printf("%s", name);
	if (h->host_request == LIFECYCLE_REQ_PEER_DOWN) {
		putchar(' ');
		for (i = 0; h->peer_name[i]; i++)
			putchar(isalnum((unsigned char)h->peer_name[i]) ||
						strchr("._-", h->peer_name[i]) ?
					h->peer_name[i] :
					'?');
		if (!i)
			putchar('?');
	}
	putchar('\n');
}

/* Take the pending request @req: guest_ack = host_seq, then ring. */
static void take_request(const struct vg_args *a, struct vg_conn *c,
			 struct lifecycle_hdr *h, u8 *buf)
{
	lifecycle_take(h);
	lifecycle_encode(h, buf);
	vg_store(c, LIFECYCLE_OFF_GUEST_ACK, buf, 4);
	ring_host(a, c);
}

/*
 * A request this version does not know is not taken: an ack means the
 * guest will act, and the host must see that it will not.
 */
static int cmd_wait_request(const struct vg_args *a, u64 start)
{
	u64 deadline = a->has_limit ? MAX(start + a->limit_ms, 1) : 0;
	u32 req, warned_seq = 0;
	struct lifecycle_hdr h;
	u8 buf[LIFECYCLE_HDR_SIZE];
	struct vg_conn c;
	int ret;

	ret = open_lifecycle(a, &c, &h, buf);
	if (ret)
		return ret;
	for (;;) {
		if (read_header(&c, &h, buf, NULL, 0) &&
		    lifecycle_pending(&h, &req)) {
			const char *name = lifecycle_request_name(req);

			if (req != LIFECYCLE_REQ_NONE && name) {
				take_request(a, &c, &h, buf);
				print_request(&h, name);
				break;
			}
			if (req == LIFECYCLE_REQ_NONE) {
				take_request(a, &c, &h, buf); /* withdrawn */
			} else if (warned_seq != h.host_seq) {
				say_err("warning: request %u (seq %u) is unknown here; not taken",
					req, h.host_seq);
				warned_seq = h.host_seq;
			}
		}
		if (stop_signal || (deadline && now_ms() >= deadline)) {
			if (!stop_signal)
				say_err("warning: no request from the host within %llu ms",
					(unsigned long long)a->limit_ms);
			ret = VG_EXIT_TIMEOUT;
			break;
		}
		nap(REQUEST_POLL_MS, deadline);
	}
	vg_close(&c);
	return ret;
}

static int cmd_ring(const struct vg_args *a)
{
	struct vg_conn c;
	char why[256];
	int ret;

	if (vg_open(sysfs_root(), a->region, 0, &c, why, sizeof(why))) {
		say_err("%s", why);
		return VG_EXIT_NODEV;
	}
	ret = vg_ring(&c, a->peer);
	if (ret)
		say_err("region %s: peer %d is not attached", a->region,
			a->peer);
	else
		printf("rang peer %d on region %s (we are peer %d)\n", a->peer,
		       a->region, c.self);
	vg_close(&c);
	return ret ? VG_EXIT_NODEV : VG_EXIT_OK;
}

static int cmd_list(void)
{
	struct vg_pci devs[32];
	int n = vg_scan(sysfs_root(), devs, ARRAY_SIZE(devs));

	if (n <= 0) {
		say_err("no shmem device (QNX shmem 1c05:0001, ivshmem 1af4:1110) in %s/bus/pci/devices",
			sysfs_root());
		return VG_EXIT_NODEV;
	}
	for (int i = 0; i < MIN(n, (int)ARRAY_SIZE(devs)); i++) {
		if (devs[i].model == VG_QNX)
			printf("%s qnx: any region, by name\n", devs[i].addr);
		else if (devs[i].name[0])
			printf("%s ivshmem: region %s\n", devs[i].addr,
			       devs[i].name);
		else
			printf("%s ivshmem: no region name\n", devs[i].addr);
	}
	return VG_EXIT_OK;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	/* No SA_RESTART: a signal cuts a nap short. */
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int main(int argc, char **argv)
{
	u64 start = now_ms();
	struct vg_args a;
	char why[256];
	int ret;

	if (vg_parse_args(argc, argv, &a, why, sizeof(why))) {
		say_err("%s", why);
		fputs(usage_text, stderr);
		return VG_EXIT_USAGE;
	}
	catch_signals();
	switch (a.verb) {
	case VG_NOTIFY:
		ret = cmd_notify(&a, start);
		break;
	case VG_WAIT_REQUEST:
		ret = cmd_wait_request(&a, start);
		break;
	case VG_RING:
		ret = cmd_ring(&a);
		break;
	case VG_LIST:
		ret = cmd_list();
		break;
	default:
		fputs(usage_text, stdout);
		return VG_EXIT_OK;
	}
	fflush(stdout);
	/* Detached and unmapped: now die of the signal, as asked. */
	if (stop_signal) {
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return ret;
}
