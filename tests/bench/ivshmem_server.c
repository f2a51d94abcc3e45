// SPDX-License-Identifier: Apache-2.0
/*
 * The ivshmem server protocol (QEMU docs/specs/ivshmem-spec.rst): the
 * connection is one-way, server to client; each message is one 8-byte
 * little-endian signed number, with at most one fd beside it
 * (SCM_RIGHTS). On connect the server sends, in order:
 *   1. the protocol version, 0;
 *   2. the client's id (0..65535);
 *   3. -1 with the region's fd;
 *   4. for each other peer, its id once per vector, each with the
 *      eventfd that rings that peer on that vector;
 *   5. the client's own id once per vector, with the eventfds it is rung
 *      through (QEMU turns them into MSI-X vectors).
 * Later: a peer's id with an fd when it connects (as in 4), without one
 * when it leaves. QEMU's device reads 1 to 3 and its own vectors before
 * the machine starts, so the server must answer at once: a thread does.
 *
 * This server is peer IVS_SELF too: it owns eventfds that guests ring by
 * writing Doorbell = 0 << 16 | vector, and it rings them by writing to
 * their eventfds, as QEMU's own ivshmem-client does.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ivshmem_server.h"

#define IVS_PROTOCOL_VERSION 0
#define IVS_SHM_MSG (-1)

struct ivs_peer {
	bool used;
	int sock; /* -1 for ourselves */
	int efd[IVS_MAX_VECTORS];
};

struct ivs_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, shm_fd, stop_fd, vectors;
	void *data;
	size_t size;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* peers[], against ivs_server_peer_fd() */
	struct ivs_peer peers[IVS_MAX_PEERS];
};

static int send_msg(int sock, int64_t value, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(le))
		return errno ? -errno : -EIO;
	return 0;
}

/* Tell @sock about peer @id: its id once per vector, with its eventfds. */
static int send_peer(const struct ivs_server *s, int sock, int id)
{
	int v, ret = 0;

	for (v = 0; v < s->vectors && !ret; v++)
		ret = send_msg(sock, id, s->peers[id].efd[v]);
	return ret;
}

static void peer_close(struct ivs_peer *p)
{
	int v;

	for (v = 0; v < IVS_MAX_VECTORS; v++) {
		if (p->efd[v] >= 0)
			close(p->efd[v]);
		p->efd[v] = -1;
	}
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	p->used = false;
}

static int peer_init(struct ivs_peer *p, int sock, int vectors)
{
	int v;

	p->used = true;
	p->sock = sock;
	for (v = 0; v < vectors; v++) {
		p->efd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->efd[v] < 0)
			return -errno;
	}
	return 0;
}

/* A client left: its eventfds go, and the others are told (no fd). */
static void client_gone(struct ivs_server *s, int id)
{
	int i;

	pthread_mutex_lock(&s->lock);
	peer_close(&s->peers[id]);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < IVS_MAX_PEERS; i++)
		if (s->peers[i].used && s->peers[i].sock >= 0)
			send_msg(s->peers[i].sock, id, -1);
}

/* Steps 1 to 5 for the new client @id, and its arrival to the others. */
static int client_hello(struct ivs_server *s, int id)
{
	int sock = s->peers[id].sock, i, ret;

	ret = send_msg(sock, IVS_PROTOCOL_VERSION, -1);
	ret = ret ? ret : send_msg(sock, id, -1);
	ret = ret ? ret : send_msg(sock, IVS_SHM_MSG, s->shm_fd);
	for (i = 0; i < IVS_MAX_PEERS && !ret; i++)
		if (i != id && s->peers[i].used)
			ret = send_peer(s, sock, i);
	if (ret)
		return ret;
	for (i = 0; i < IVS_MAX_PEERS; i++)
		if (i != id && s->peers[i].used && s->peers[i].sock >= 0)
			send_peer(s, s->peers[i].sock, id);
	return send_peer(s, sock, id);
}

static void client_accept(struct ivs_server *s)
{
	int sock = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC), id, ret;

	if (sock < 0)
		return;
	for (id = 0; id < IVS_MAX_PEERS && s->peers[id].used; id++)
		;
	if (id == IVS_MAX_PEERS) {
		close(sock);
		return;
	}
	pthread_mutex_lock(&s->lock);
	ret = peer_init(&s->peers[id], sock, s->vectors);
	pthread_mutex_unlock(&s->lock);
	if (ret || client_hello(s, id))
		client_gone(s, id);
}

/* Clients never speak: readable means closed (or noise, dropped). */
static void client_input(struct ivs_server *s, int id)
{
	char buf[64];

	if (read(s->peers[id].sock, buf, sizeof(buf)) <= 0)
		client_gone(s, id);
}

static void *serve(void *arg)
{
	struct ivs_server *s = arg;
	struct pollfd p[IVS_MAX_PEERS + 2];
	int ids[IVS_MAX_PEERS + 2], n, i;

	for (;;) {
		p[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (n = 2, i = 0; i < IVS_MAX_PEERS; i++) {
			if (!s->peers[i].used || s->peers[i].sock < 0)
				continue;
			ids[n] = i;
			p[n++] = (struct pollfd){ .fd = s->peers[i].sock,
						  .events = POLLIN };
		}
		if (poll(p, n, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[0].revents)
			return NULL;
		for (i = 2; i < n; i++)
			if (p[i].revents)
				client_input(s, ids[i]);
		if (p[1].revents & POLLIN)
			client_accept(s);
	}
}

static int region_create(struct ivs_server *s, size_t size)
{
	s->shm_fd = memfd_create("ivshmem-bench", MFD_CLOEXEC);
	if (s->shm_fd < 0 || ftruncate(s->shm_fd, (off_t)size))
		return -errno;
	s->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       s->shm_fd, 0);
	if (s->data == MAP_FAILED) {
		s->data = NULL;
		return -errno;
	}
	s->size = size;
	return 0;
}

static int listen_on(struct ivs_server *s, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	strcpy(s->path, path);
	unlink(path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s->listen_fd, IVS_MAX_PEERS))
		return -errno;
	return 0;
}

int ivs_server_start(const char *path, size_t size, int vectors,
		     struct ivs_server **out)
{
	struct ivs_server *s = calloc(1, sizeof(*s));
	int ret, i, v;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->listen_fd = s->shm_fd = s->stop_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < IVS_MAX_PEERS; i++) {
		s->peers[i].sock = -1;
		for (v = 0; v < IVS_MAX_VECTORS; v++)
			s->peers[i].efd[v] = -1;
	}
	s->vectors = vectors;
	ret = vectors < 1 || vectors > IVS_MAX_VECTORS ? -EINVAL : 0;
	ret = ret ? ret : region_create(s, size);
	ret = ret ? ret : peer_init(&s->peers[IVS_SELF], -1, vectors);
	ret = ret ? ret : listen_on(s, path);
	if (!ret) {
		s->stop_fd = eventfd(0, EFD_CLOEXEC);
		ret = s->stop_fd < 0 ? -errno : 0;
	}
	if (!ret) {
		ret = -pthread_create(&s->thread, NULL, serve, s);
		s->running = !ret;
	}
	if (ret) {
		ivs_server_stop(s);
		return ret;
	}
	*out = s;
	return 0;
}

void ivs_server_stop(struct ivs_server *s)
{
	uint64_t one = 1;
	int i;

	if (!s)
		return;
	if (s->running && write(s->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	for (i = 0; i < IVS_MAX_PEERS; i++)
		peer_close(&s->peers[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->data)
		munmap(s->data, s->size);
	if (s->shm_fd >= 0)
		close(s->shm_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void *ivs_server_data(struct ivs_server *s)
{
	return s->data;
}

int ivs_server_doorbell(const struct ivs_server *s, int vector)
{
	return vector >= 0 && vector < s->vectors ?
		       s->peers[IVS_SELF].efd[vector] :
		       -EINVAL;
}

int ivs_server_peer_fd(struct ivs_server *s, int peer, int vector)
{
	int fd = -ESRCH;

	if (peer < 0 || peer >= IVS_MAX_PEERS || vector < 0 ||
	    vector >= s->vectors)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->peers[peer].used && peer != IVS_SELF) {
		fd = fcntl(s->peers[peer].efd[vector], F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}
