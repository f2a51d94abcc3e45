// SPDX-License-Identifier: Apache-2.0
/*
 * Doorbells. Each peer owns an eventfd and a listening socket
 * <name>.<id>.sock that hands the eventfd (SCM_RIGHTS) to a client of
 * the same user or root. A ringer fetches a peer's eventfd once per slot
 * generation and keeps it, with a pidfd that tells when that process
 * dies; a ring is then an atomic OR into the peer's pending set and an
 * 8-byte write. Nothing here waits longer than SHM_RING_TIMEOUT_MS.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How long our server waits for a connected client's request byte. */
#define SERVE_REQUEST_MS 10
/* Connections answered per shm_serve() call; the rest wait for the next. */
#define SERVE_BATCH 16

/* What a peer sends with its eventfd, so the ringer knows it is current. */
struct doorbell_msg {
	u32 id, seq;
};

void shm_cache_drop(struct shm_peer_cache *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->efd >= 0)
		close(c->efd);
	c->pidfd = c->efd = -1;
	c->seq = 0;
	c->dead = false;
	c->retry_ms = 0;
}

/* After a failed fetch of a live peer's doorbell, how long to not retry. */
#define SHM_RETRY_MS 1000

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static bool uid_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * A pidfd for the slot's process, checked against its start time after
 * opening so a reused pid is not mistaken for the peer. Without pidfds
 * (old kernels, seccomp) liveness falls back to /proc on every check.
 */
static void cache_identify(struct shm_peer_cache *c,
			   const struct shm_slot_snap *s)
{
	long fd = syscall(SYS_pidfd_open, (pid_t)s->pid, 0);

	c->seq = s->seq;
	if (fd < 0) {
		c->dead = errno == ESRCH ||
			  !shm_proc_alive(s->pid, s->start_time);
		return;
	}
	c->pidfd = (int)fd;
	c->dead = !shm_proc_alive(s->pid, s->start_time);
}

static bool cache_alive(struct shm_peer_cache *c, const struct shm_slot_snap *s)
{
	struct pollfd p;

	if (c->dead)
		return false;
	if (c->pidfd < 0) {
		c->dead = !shm_proc_alive(s->pid, s->start_time);
	} else {
		p = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
		/* A pidfd turns readable when its process exits. */
		c->dead = poll(&p, 1, 0) != 0;
	}
	return !c->dead;
}

/* Whether @id is occupied by a live process; updates its cache. The
 * caller holds r->lock. */
static bool peer_alive(struct shm_region *r, int id, struct shm_slot_snap *s)
{
	struct shm_peer_cache *c = &r->peer[id];

	shm_slot_read(r->hdr, id, s);
	if (c->seq != s->seq)
		shm_cache_drop(c);
	if (!s->pid)
		return false;
	if (id == r->id)
		return true;
	if (!c->seq)
		cache_identify(c, s);
	return cache_alive(c, s);
}

static int peer_connect(struct shm_region *r, int id, u32 pid)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if (shm_sock_path(a.sun_path, sizeof(a.sun_path), r->dirfd, r->name,
			  id))
		return -ESRCH;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto err_close;
	/* The listener's credentials: only the slot's process may answer. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (pid && (u32)cred.pid != pid) || !uid_trusted(cred.uid))
		goto err_close;
	return fd;

err_close:
	close(fd);
	return -ESRCH;
}

/* Receive one fd and the message beside it, within @deadline. */
static int recv_doorbell(int fd, u64 deadline, struct doorbell_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cm;
	int efd;
	u64 now = now_ms();

	if (now >= deadline || poll(&p, 1, (int)(deadline - now)) != 1)
		return -ESRCH;
	if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*m))
		return -ESRCH;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -ESRCH;
	memcpy(&efd, CMSG_DATA(cm), sizeof(efd));
	return efd;
}

/* Ask peer @id for its doorbell; the caller holds r->lock. */
static int peer_fetch(struct shm_region *r, int id,
		      const struct shm_slot_snap *s)
{
	u64 deadline = now_ms() + SHM_RING_TIMEOUT_MS;
	struct doorbell_msg m;
	char req = SHM_REQ_FETCH;
	int fd, efd;

	if (s->pid == (u32)getpid()) {
		efd = shm_local_doorbell(r, id, s->seq);
		if (efd >= 0) {
			r->peer[id].efd = efd;
			return 0;
		}
	}
	fd = peer_connect(r, id, s->pid);
	if (fd < 0)
		return fd;
	if (send(fd, &req, 1, MSG_NOSIGNAL) != 1) {
		close(fd);
		return -ESRCH;
	}
	efd = recv_doorbell(fd, deadline, &m);
	close(fd);
	if (efd < 0)
		return efd;
	if (m.id != (u32)id || m.seq != s->seq) {
		close(efd);
		return -ESRCH;
	}
	r->peer[id].efd = efd;
	return 0;
}

/* The live peer @id's doorbell, fetched if need be; r->lock held. */
static int peer_doorbell(struct shm_region *r, int id)
{
	struct shm_slot_snap s;
	int ret;

	if (id < 0 || id >= SHM_MAX_PEERS || id == r->id)
		return -EINVAL;
	if (r->readonly)
		return -EPERM;
	if (!peer_alive(r, id, &s))
		return -ESRCH;
	if (r->peer[id].efd < 0) {
		/*
		 * A live peer that does not hand out its doorbell (it never
		 * serves its socket) is not asked again for a while: each try
		 * could hold the ringer, a vCPU perhaps, for the timeout.
		 */
		if (now_ms() < r->peer[id].retry_ms)
			return -ESRCH;
		ret = peer_fetch(r, id, &s);
		if (ret) {
			r->peer[id].retry_ms = now_ms() + SHM_RETRY_MS;
			return ret;
		}
	}
	return r->peer[id].efd;
}

static void doorbell_signal(int efd)
{
	u64 one = 1;

	/* EAGAIN only at a counter of 2^64-2: it is rung anyway. */
	if (write(efd, &one, sizeof(one)) < 0)
		return;
}

int shm_ring(struct shm_region *r, int peer)
{
	int efd;

	pthread_mutex_lock(&r->lock);
	efd = peer_doorbell(r, peer);
	if (efd >= 0) {
		/* The bit first: a woken peer must find it. */
		__atomic_fetch_or(&r->hdr->slot[peer].pending, 1u << r->id,
				  __ATOMIC_SEQ_CST);
		doorbell_signal(efd);
	}
	pthread_mutex_unlock(&r->lock);
	return efd < 0 ? efd : 0;
}

int shm_ring_all(struct shm_region *r, uint32_t mask)
{
	int id, rung = 0;

	for (id = 0; id < SHM_MAX_PEERS; id++)
		if ((mask & (1u << id)) && id != r->id && !shm_ring(r, id))
			rung++;
	return rung;
}

int shm_peer_doorbell(struct shm_region *r, int peer)
{
	int efd;

	pthread_mutex_lock(&r->lock);
	efd = peer_doorbell(r, peer);
	pthread_mutex_unlock(&r->lock);
	return efd;
}

uint32_t shm_peers(struct shm_region *r)
{
	struct shm_slot_snap s;
	u32 mask = 0;
	int id;

	pthread_mutex_lock(&r->lock);
	for (id = 0; id < SHM_MAX_PEERS; id++)
		if (peer_alive(r, id, &s))
			mask |= 1u << id;
	pthread_mutex_unlock(&r->lock);
	return mask;
}

int shm_peer_get(struct shm_region *r, int peer, struct shm_peer_info *out)
{
	struct shm_slot_snap s;

	if (peer < 0 || peer >= SHM_MAX_PEERS)
		return -EINVAL;
	shm_slot_read(r->hdr, peer, &s);
	if (!s.pid)
		return -ESRCH;
	out->id = peer;
	out->pid = s.pid;
	memcpy(out->kind, s.kind, sizeof(out->kind));
	memcpy(out->label, s.label, sizeof(out->label));
	return 0;
}

uint32_t shm_take_pending(struct shm_region *r)
{
	u32 v;

	if (r->readonly)
		return 0;
	v = __atomic_exchange_n(&r->hdr->slot[r->id].pending, 0,
				__ATOMIC_SEQ_CST);
	if (v & SHM_PENDING_CHANGED)
		__atomic_store_n(&r->changed, true, __ATOMIC_SEQ_CST);
	return v & ((1u << SHM_MAX_PEERS) - 1);
}

bool shm_peers_changed(struct shm_region *r)
{
	u32 v;

	if (r->readonly)
		return false;
	/* The flag may still be in the pending word, or taken with the bits. */
	v = __atomic_fetch_and(&r->hdr->slot[r->id].pending,
			       ~SHM_PENDING_CHANGED, __ATOMIC_SEQ_CST);
	return __atomic_exchange_n(&r->changed, false, __ATOMIC_SEQ_CST) ||
	       (v & SHM_PENDING_CHANGED);
}

int shm_doorbell_fd(const struct shm_region *r)
{
	return r->efd;
}

int shm_listen_fd(const struct shm_region *r)
{
	return r->listen_fd;
}

static void send_doorbell(struct shm_region *r, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct doorbell_msg m = { .id = (u32)r->id, .seq = r->seq };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(ctl.buf, 0, sizeof(ctl.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &r->efd, sizeof(int));
	/* A client that went away is no concern of ours. */
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
}

/* One accepted client: check who it is, read its request, answer. */
static void serve_one(struct shm_region *r, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char req;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    !uid_trusted(cred.uid))
		return;
	if (poll(&p, 1, SERVE_REQUEST_MS) != 1 ||
	    recv(fd, &req, 1, MSG_DONTWAIT) != 1)
		return;
	if (req == SHM_REQ_FETCH)
		send_doorbell(r, fd);
	else if (req == SHM_REQ_WAKE)
		shm_note_changed(r);
}

/*
 * The peers changed: flag it beside the ring bits, then wake ourselves,
 * on the doorbell or, when the owner asked for them apart, on the change
 * eventfd.
 */
void shm_note_changed(struct shm_region *r)
{
	__atomic_fetch_or(&r->hdr->slot[r->id].pending, SHM_PENDING_CHANGED,
			  __ATOMIC_SEQ_CST);
	doorbell_signal(r->change_efd >= 0 ? r->change_efd : r->efd);
}

int shm_change_fd(struct shm_region *r)
{
	if (r->readonly)
		return -EPERM;
	if (r->change_efd < 0) {
		r->change_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (r->change_efd < 0)
			return -errno;
	}
	return r->change_efd;
}

void shm_serve(struct shm_region *r)
{
	int i, fd;

	if (r->listen_fd < 0)
		return;
	for (i = 0; i < SERVE_BATCH; i++) {
		fd = accept4(r->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		serve_one(r, fd);
		close(fd);
	}
}

int shm_wait(struct shm_region *r, int timeout_ms, uint32_t *rang)
{
	struct pollfd p[2] = { { .fd = r->efd, .events = POLLIN },
			       { .fd = r->listen_fd, .events = POLLIN } };
	u64 deadline = now_ms() + (u64)(timeout_ms < 0 ? 0 : timeout_ms);
	u64 count, now;
	int wait = timeout_ms;

	if (r->readonly)
		return -EPERM;
	for (;;) {
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN)
			shm_serve(r);
		if (read(r->efd, &count, sizeof(count)) == sizeof(count)) {
			*rang = shm_take_pending(r);
			return 0;
		}
		if (timeout_ms >= 0) {
			now = now_ms();
			if (now >= deadline)
				return -ETIMEDOUT;
			wait = (int)(deadline - now);
		}
	}
}

/*
 * Tell the other peers that the set of peers changed: each of them
 * rings its own doorbell with no pending bit. Connect and send only,
 * never wait: a peer that does not serve just misses it.
 */
void shm_wake_peers(int dirfd, const char *name, struct shm_header *h, int self)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char req = SHM_REQ_WAKE;
	u32 peers = shm_occupied(h);
	int id, fd;

	for (id = 0; id < SHM_MAX_PEERS; id++) {
		if (id == self || !(peers & (1u << id)))
			continue;
		if (shm_sock_path(a.sun_path, sizeof(a.sun_path), dirfd, name,
				  id))
			continue;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			send(fd, &req, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
	}
}
