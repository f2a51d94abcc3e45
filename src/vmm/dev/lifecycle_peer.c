// SPDX-License-Identifier: Apache-2.0
/*
 * vessel's own end of the guest's lifecycle region (DESIGN.md "Lifecycle
 * notifications", docs/lifecycle.md): with `shmem name=lifecycle`, vessel
 * creates the guest's private region before the guest runs, sets up the
 * header, and attaches as a host peer. When the guest rings it after
 * writing its state, vessel reports the state (the `guest-announced`
 * event and `status`), runs `lifecycle-hook` if there is one, then
 * acknowledges the state in host_ack and rings the guest back. It writes
 * only the host's fields, one aligned word each.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "../../common/lifecycle.h"
#include "../../common/log.h"
#include "../../common/ratelimit.h"
#include "../../shm/shm.h"
#include "../hookrun.h"
#include "shmem.h"

#define LC_HOOK_TIMEOUT_MS 10000
#define LC_HOOK_GRACE_MS 1000

struct lc_peer {
	struct dev_env *env;
	pthread_mutex_t lock;
	struct shm_region *r;
	const char *hook; /* `lifecycle-hook`: runs before the ack */
	pid_t hook_pid; /* running, or 0 */
	int hook_exit_fd; /* hookrun.h: readable when it ended */
	u32 hook_seq; /* the guest_seq it acts on */
	struct dev_timer hook_timer;
	u32 seen_seq; /* the guest_seq last reported */
	u32 host_seq; /* our last request's number */
	u32 seen_ack; /* the guest_ack last reported */
	struct ratelimit reports; /* of announcements (lc_report) */
};

/*
 * A guest may announce in a loop: each is still acknowledged, but past
 * the first LC_REPORT_BURST at most one a second is logged and becomes an
 * event, which counts those in between ("unreported").
 */
#define LC_REPORT_BURST 16
#define LC_REPORT_GAP_NS 1000000000ULL

static void lc_store32(struct lc_peer *p, unsigned off, u32 v)
{
	u32 *w = (u32 *)((u8 *)shm_data(p->r) + off);

	/* The guest reads while we write: one aligned little-endian store. */
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
}

static void lc_report(struct lc_peer *p, const struct lifecycle_hdr *h)
{
	const char *state = lifecycle_state_name(h->guest_state);
	char num[16];
	u64 held = 0;
	struct env_field f[] = {
		{ .key = "state", .str = state ? state : num },
		{ .key = "seq", .num = h->guest_seq, .integer = true },
		{ .key = "guest_time", .num = h->guest_time_ns / 1e9 },
		{ .key = "unreported", .integer = true },
	};

	if (!ratelimit_pass(&p->reports, env_now_ns(p->env), LC_REPORT_BURST,
			    LC_REPORT_GAP_NS, &held))
		return;
	f[3].num = held;
	snprintf(num, sizeof(num), "%u", h->guest_state);
	log_info("the guest announced: %s", f[0].str);
	env_event_fields(p->env, "guest-announced", f, ARRAY_SIZE(f) - !held);
}

/* Acknowledge guest_seq @seq and ring the guest back. Lock held. */
static void lc_ack(struct lc_peer *p, u32 seq)
{
	lc_store32(p, LIFECYCLE_OFF_HOST_ACK, seq);
	shm_ring_all(p->r, ~0u);
}

static void lc_hook_done(struct lc_peer *p, const char *result, int status)
{
	struct env_field f[] = {
		{ .key = "result", .str = result },
		{ .key = "status", .num = status, .integer = true },
		{ .key = "seq", .num = p->hook_seq, .integer = true },
	};

	env_timer_cancel(p->env, &p->hook_timer);
	env_unwatch_fd(p->env, p->hook_exit_fd);
	close(p->hook_exit_fd);
	p->hook_pid = 0;
	env_event_fields(p->env, "lifecycle-hook", f, ARRAY_SIZE(f));
	lc_ack(p, p->hook_seq);
}

static void lc_on_hook_exit(void *dev, int fd)
{
	struct lc_peer *p = dev;
	int status = 0, ret;

	pthread_mutex_lock(&p->lock);
	ret = p->hook_pid ? hookrun_status(fd, &status) : -EAGAIN;
	if (ret == -EPIPE)
		lc_hook_done(p, "failed", -1); /* the runner is gone */
	else if (!ret)
		lc_hook_done(p,
			     WIFEXITED(status) && !WEXITSTATUS(status) ?
				     "ok" :
				     "failed",
			     WIFEXITED(status) ? WEXITSTATUS(status) :
						 128 + WTERMSIG(status));
	pthread_mutex_unlock(&p->lock);
}

/* A hook past its time is asked to stop; its exit still acks. */
static void lc_hook_timeout(void *dev)
{
	struct lc_peer *p = dev;

	pthread_mutex_lock(&p->lock);
	if (p->hook_pid) {
		log_warn(
			"lifecycle hook still running after %d ms: terminating it",
			LC_HOOK_TIMEOUT_MS);
		hookrun_kill(p->hook_pid, SIGTERM);
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Run `lifecycle-hook` for guest_seq @seq: the host's tasks before the
 * guest goes (quiesce a passed-through device, tell the guests that
 * share one). The ack waits for it. Lock held. False when it cannot run.
 */
static bool lc_hook_start(struct lc_peer *p, u32 seq, const char *state)
{
	char st[48], region[SHMEM_NAME_MAX + 32];
	const char *env[] = { st, region, NULL };
	int fd, status;
	pid_t pid;

	if (!p->hook || p->hook_pid)
		return false;
	snprintf(st, sizeof(st), "VESSEL_GUEST_STATE=%s", state);
	snprintf(region, sizeof(region), "VESSEL_LIFECYCLE_REGION=%s",
		 shm_name(p->r));
	/* Through the hook runner: this thread's allowlist has no fork. */
	if (hookrun_spawn(p->hook, conf_get(env_conf(p->env), "name"), env,
			  &pid, &fd))
		return false;
	if (env_watch_fd(p->env, fd, lc_on_hook_exit, p)) {
		/* Never leave the guest without its ack: wait here. */
		hookrun_wait(fd, -1, &status);
		close(fd);
		return false;
	}
	p->hook_pid = pid;
	p->hook_exit_fd = fd;
	p->hook_seq = seq;
	env_timer_arm(p->env, &p->hook_timer, LC_HOOK_TIMEOUT_MS * 1000000ULL);
	return true;
}

/* The guest took our latest request: say so, once. Lock held. */
static void lc_check_taken(struct lc_peer *p, const struct lifecycle_hdr *h)
{
	struct env_field f[] = {
		{ .key = "seq", .num = h->guest_ack, .integer = true },
	};

	if (!p->host_seq || h->guest_ack == p->seen_ack ||
	    !lifecycle_taken(h, p->host_seq))
		return;
	p->seen_ack = h->guest_ack;
	env_event_fields(p->env, "guest-took-request", f, 1);
}

/* A new guest_seq: report the state, acknowledge it. Lock held. */
static void lc_check_announced(struct lc_peer *p, const struct lifecycle_hdr *h)
{
	const char *state = lifecycle_state_name(h->guest_state);

	if (!h->guest_seq || h->guest_seq == p->seen_seq)
		return;
	p->seen_seq = h->guest_seq;
	lc_report(p, h);
	if (!lc_hook_start(p, h->guest_seq, state ? state : "unknown"))
		lc_ack(p, h->guest_seq);
}

/* The guest rang: report a new state, acknowledge it, ring back. */
static void lc_on_doorbell(void *dev, int fd)
{
	struct lc_peer *p = dev;
	struct lifecycle_hdr h;
	char why[96];
	u32 seq;
	u64 v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&p->lock);
	shm_take_pending(p->r);
	/*
	 * The guest writes its state, then guest_seq (docs/lifecycle.md):
	 * read guest_seq first, so the state read after it is at least as
	 * new as the number.
	 */
	seq = __atomic_load_n(
		(u32 *)((u8 *)shm_data(p->r) + LIFECYCLE_OFF_GUEST_SEQ),
		__ATOMIC_ACQUIRE);
	if (lifecycle_check(shm_data(p->r), shm_size(p->r), &h, why,
			    sizeof(why))) {
		log_warn_once("lifecycle region: %s", why);
	} else {
		h.guest_seq = seq;
		/*
		 * A guest that takes a request, then announces what it will
		 * do, rings twice; both rings may be read here at once. The
		 * take came first: report it first.
		 */
		lc_check_taken(p, &h);
		lc_check_announced(p, &h);
	}
	pthread_mutex_unlock(&p->lock);
}

/* The peer's name into bytes 40-55, one aligned word at a time. Lock held. */
static void lc_store_peer_name(struct lc_peer *p, const struct lifecycle_hdr *h)
{
	u8 buf[LIFECYCLE_HDR_SIZE];
	u32 w;

	lifecycle_encode(h, buf);
	for (unsigned off = LIFECYCLE_OFF_PEER_NAME;
	     off < LIFECYCLE_OFF_PEER_NAME + LIFECYCLE_PEER_NAME_LEN;
	     off += 4) {
		memcpy(&w, buf + off, 4); /* already little-endian bytes */
		lc_store32(p, off, w);
	}
}

/*
 * The host asks the guest to power off or reboot (`vesselctl request`),
 * or tells it that a guest it shares a device with goes down (vesseld,
 * `request-peer-down NAME`): the name, the request word, then its
 * number, then a ring; a guest daemon (vessel-guest wait-request) acts
 * on it.
 */
static int lc_guest_request(void *dev, const char *what, const char *arg)
{
	struct lc_peer *p = dev;
	int req = lifecycle_request_parse(what);
	struct lifecycle_hdr h;
	struct env_field f[3];
	int ret = 0;

	if (req <= 0 || (req == LIFECYCLE_REQ_PEER_DOWN) != !!arg)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	lifecycle_decode(&h, shm_data(p->r));
	if (req == LIFECYCLE_REQ_PEER_DOWN) {
		ret = lifecycle_request_peer_down(&h, arg, &p->host_seq);
		if (!ret)
			lc_store_peer_name(p, &h);
	} else {
		p->host_seq = lifecycle_request(&h, req);
	}
	if (!ret) {
		lc_store32(p, LIFECYCLE_OFF_HOST_REQUEST, req);
		lc_store32(p, LIFECYCLE_OFF_HOST_SEQ, p->host_seq);
	}
	f[0] = (struct env_field){ .key = "request", .str = what };
	f[1] = (struct env_field){ .key = "seq",
				   .num = p->host_seq,
				   .integer = true };
	f[2] = (struct env_field){ .key = "peer", .str = arg };
	pthread_mutex_unlock(&p->lock);
	if (ret)
		return ret;
	env_event_fields(p->env, "host-requested", f, arg ? 3 : 2);
	shm_ring_all(p->r, ~0u);
	return 0;
}

static void lc_on_listen(void *dev, int fd)
{
	struct lc_peer *p = dev;

	(void)fd;
	pthread_mutex_lock(&p->lock);
	shm_serve(p->r);
	pthread_mutex_unlock(&p->lock);
}

static int lc_setup(struct lc_peer *p, u64 size)
{
	char host[SHMEM_NAME_MAX];
	struct lifecycle_hdr h;
	int ret;

	shmem_host_name(p->env, SHMEM_LIFECYCLE, host, sizeof(host));
	ret = shm_open_region(host, size, SHM_CREATE, "host", "vessel", &p->r);
	if (ret) {
		log_err("lifecycle: cannot create region '%s': %s", host,
			strerror(-ret));
		return ret;
	}
	if (shm_size(p->r) < LIFECYCLE_HDR_SIZE) {
		log_err("lifecycle: region '%s' is too small", host);
		return -EINVAL;
	}
	/* A region left by someone else keeps its header if it has one. */
	if (lifecycle_check(shm_data(p->r), shm_size(p->r), &h, NULL, 0)) {
		lifecycle_init(&h);
		lifecycle_encode(&h, shm_data(p->r));
	}
	p->seen_seq = h.guest_seq;
	ret = env_watch_fd(p->env, shm_doorbell_fd(p->r), lc_on_doorbell, p);
	return ret ? ret :
		     env_watch_fd(p->env, shm_listen_fd(p->r), lc_on_listen, p);
}

static void lc_close(struct lc_peer *p)
{
	if (!p->r)
		return;
	env_unwatch_fd(p->env, shm_doorbell_fd(p->r));
	env_unwatch_fd(p->env, shm_listen_fd(p->r));
	shm_close_region(p->r);
	p->r = NULL;
}

/*
 * vessel is going while the hook runs: ask it to stop (SIGTERM to its
 * process group) and give it a second, then leave it; it must not hold
 * vessel's stdout and stderr open after the exit. Never SIGKILL.
 */
static void lc_hook_stop(struct lc_peer *p)
{
	int status;

	if (!p->hook_pid)
		return;
	env_timer_cancel(p->env, &p->hook_timer);
	env_unwatch_fd(p->env, p->hook_exit_fd);
	hookrun_kill(p->hook_pid, SIGTERM);
	if (!hookrun_wait(p->hook_exit_fd, LC_HOOK_GRACE_MS, &status))
		log_warn(
			"lifecycle hook did not stop within %d ms; left running",
			LC_HOOK_GRACE_MS);
	close(p->hook_exit_fd);
	p->hook_pid = 0;
}

/* The guest is stopped: a hook still running has lost its purpose. */
static void lc_quiesce(void *dev, enum stop_reason why)
{
	struct lc_peer *p = dev;

	(void)why;
	pthread_mutex_lock(&p->lock);
	lc_hook_stop(p);
	pthread_mutex_unlock(&p->lock);
}

static int lc_create(struct dev_env *env, void **dev)
{
	struct shmem_conf c;
	struct lc_peer *p;
	int ret;

	*dev = NULL;
	ret = shmem_conf_read(env, NULL, &c);
	if (ret <= 0 || strcmp(c.name, SHMEM_LIFECYCLE))
		return ret < 0 ? ret : 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->env = env;
	p->hook = conf_get(env_conf(env), "lifecycle-hook");
	p->hook_timer.fire = lc_hook_timeout;
	p->hook_timer.dev = p;
	pthread_mutex_init(&p->lock, NULL);
	ret = lc_setup(p, c.size ? c.size : SHM_PAGE_SIZE);
	if (ret) {
		lc_close(p);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return ret;
	}
	*dev = p;
	return 0;
}

/*
 * Stays attached through the quiesce so that a guest's last word is
 * still read; the region goes with the process.
 */
static void lc_destroy(void *dev)
{
	struct lc_peer *p = dev;

	lc_hook_stop(p);
	lc_close(p);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

VESSEL_DEVICE(dev_lifecycle_peer) = {
	.name = "lifecycle",
	.prio = 29,
	.create = lc_create,
	.quiesce = lc_quiesce,
	.destroy = lc_destroy,
	.guest_request = lc_guest_request,
};
