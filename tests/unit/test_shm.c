// SPDX-License-Identifier: Apache-2.0
/*
 * The host shared-memory mechanism (src/shm/) on real files, sockets,
 * eventfds and processes, in a private $VESSEL_SHM_DIR: names and the
 * restriction lists, create/attach and size rules, the 16-peer limit,
 * bytes shared across fork(), rings with the right "who rang" bits, dead
 * and silent peers, clean-up by the last peer and by listing, and the
 * symlinks and modes that must be refused. After each test the
 * directory must be empty again and the process hold no more fds than
 * at the start: nothing leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/types.h"
#include "../../src/shm/shm.h"
#include "fake_env.h"

static char top[64]; /* mkdtemp: holds dir/ and the tests' own files */
static char dir[96]; /* $VESSEL_SHM_DIR, created by the library */

static int fds_at_start;

static int group_setup(void **state)
{
	(void)state;
	fds_at_start = fake_fd_count();
	snprintf(top, sizeof(top), "/tmp/vessel-shm-test.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(dir, sizeof(dir), "%s/dir", top);
	setenv(SHM_DIR_ENV, dir, 1);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

/*
 * Each test leaves the directory as it found it: empty. Leftovers fail
 * the test and are removed, so the next test starts clean.
 */
static int test_teardown(void **state)
{
	char cmd[128];
	int left = fake_dir_entries(dir);

	(void)state;
	if (left) {
		fprintf(stderr, "test left %d files in %s\n", left, dir);
		snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", dir);
		if (system(cmd))
			return -1;
	}
	if (fake_fd_count() != fds_at_start) {
		fprintf(stderr, "fds: %d at start, %d now\n", fds_at_start,
			fake_fd_count());
		return -1;
	}
	return left ? -1 : 0;
}

static bool dir_has(const char *file)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return !lstat(path, &st);
}

static u64 ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static struct shm_region *open_ok(const char *name, u64 size, unsigned flags,
				  const char *kind, const char *label)
{
	struct shm_region *r = NULL;

	assert_int_equal(shm_open_region(name, size, flags, kind, label, &r),
			 0);
	assert_non_null(r);
	return r;
}

static int open_err(const char *name, u64 size, unsigned flags)
{
	struct shm_region *r = NULL;
	int ret = shm_open_region(name, size, flags, NULL, NULL, &r);

	assert_null(r);
	return ret;
}

/* Read whatever our doorbell holds, waiting up to @ms; the count. */
static u64 doorbell_read(struct shm_region *r, int ms)
{
	struct pollfd p = { .fd = shm_doorbell_fd(r), .events = POLLIN };
	u64 count = 0;

	if (poll(&p, 1, ms) == 1 &&
	    read(p.fd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	return count;
}

/* Empty the doorbell and the pending set (attach wake-ups). */
static void drain(struct shm_region *r)
{
	while (doorbell_read(r, 50))
		;
	shm_take_pending(r);
}

/*
 * A thread that answers the sockets of regions in this process, as a
 * vessel's event loop does, so one thread can ring another handle.
 */
struct server {
	struct shm_region *r[SHM_MAX_PEERS];
	int n, stop;
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd p[SHM_MAX_PEERS + 1];
	int i;

	for (;;) {
		for (i = 0; i < s->n; i++)
			p[i] = (struct pollfd){ .fd = shm_listen_fd(s->r[i]),
						.events = POLLIN };
		p[s->n] = (struct pollfd){ .fd = s->stop, .events = POLLIN };
		if (poll(p, (nfds_t)s->n + 1, -1) < 0)
			continue;
		if (p[s->n].revents)
			return NULL;
		for (i = 0; i < s->n; i++)
			if (p[i].revents & POLLIN)
				shm_serve(s->r[i]);
	}
}

static void server_start(struct server *s, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		s->r[i] = va_arg(ap, struct shm_region *);
	va_end(ap);
	s->n = n;
	s->stop = eventfd(0, EFD_CLOEXEC);
	assert_true(s->stop >= 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	u64 one = 1;

	assert_int_equal(write(s->stop, &one, sizeof(one)), sizeof(one));
	pthread_join(s->thread, NULL);
	close(s->stop);
}

/* A child process, with a pipe each way. */
struct child {
	pid_t pid;
	int to, from; /* our ends */
};

static void child_start(struct child *c, int (*fn)(int in, int out))
{
	int down[2], up[2];

	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (!c->pid) {
		/* A failed assertion in the parent must not leave it behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(down[1]);
		close(up[0]);
		_exit(fn(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	c->to = down[1];
	c->from = up[0];
}

/* The next 4 bytes from the child, within 5 s. */
static u32 child_read(struct child *c)
{
	struct pollfd p = { .fd = c->from, .events = POLLIN };
	u32 v = 0xdeadbeef;

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(read(c->from, &v, sizeof(v)), sizeof(v));
	return v;
}

static void child_write(struct child *c, u32 v)
{
	assert_int_equal(write(c->to, &v, sizeof(v)), sizeof(v));
}

/* Its exit status; the child is gone after this. */
static int child_wait(struct child *c)
{
	int status = 0;

	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	close(c->to);
	close(c->from);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void child_kill(struct child *c)
{
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	assert_int_equal(child_wait(c), 128 + SIGKILL);
}

/* In a child: tell the parent @v. */
static void tell(int out, u32 v)
{
	if (write(out, &v, sizeof(v)) != sizeof(v))
		_exit(90);
}

/* In a child: the parent's next word, or exit if it has gone. */
static u32 hear(int in)
{
	u32 v;

	if (read(in, &v, sizeof(v)) != sizeof(v))
		_exit(91);
	return v;
}

static void test_name_check(void **state)
{
	static const char *good[] = { "a", "lifecycle", "A-b_c.9", "x..y",
				      "0123456789012345678901234567890" };
	static const char *bad[] = {
		"",
		".hidden",
		"..",
		"a/b",
		"a b",
		"a*",
		"caf\xc3\xa9",
		"a\n",
		"01234567890123456789012345678901", /* 32 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_int_equal(shm_name_check(good[i]), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(shm_name_check(bad[i]), -EINVAL);
	assert_int_equal(shm_name_check(NULL), -EINVAL);
	/* The create path refuses them too, before touching the disk. */
	assert_int_equal(open_err(".hidden", 4096, SHM_CREATE), -EINVAL);
	assert_int_equal(open_err("a/b", 4096, SHM_CREATE), -EINVAL);
}

static void test_acl_matrix(void **state)
{
	static const struct {
		const char *allow, *deny, *name;
		bool ok;
	} rows[] = {
		/* No lists: everything. */
		{ NULL, NULL, "x", true },
		{ "", "", "x", true },
		/* An allow list: only what it matches. */
		{ "test*", NULL, "test1", true },
		{ "test*", NULL, "live1", false },
		{ "test*:dev?", NULL, "dev1", true },
		{ "test*:dev?", NULL, "dev12", false },
		{ "[a-c]x", NULL, "bx", true },
		{ "[a-c]x", NULL, "dx", false },
		{ ":", NULL, "x", false }, /* present, matches nothing */
		{ "a::b", NULL, "b", true },
		/* A deny list alone: all but what it matches. */
		{ NULL, "live*", "live1", false },
		{ NULL, "live*", "test1", true },
		{ "", "live*", "lifecycle", true },
		/* Both: allowed and not denied. */
		{ "test*", "test-secret*", "test1", true },
		{ "test*", "test-secret*", "test-secret1", false },
		{ "test*", "test-secret*", "other", false },
		{ "*", "live*", "live", false },
		{ "*", "live*", "lifecycle", true },
		/* Invalid names never. */
		{ NULL, NULL, ".x", false },
		{ "*", NULL, "a/b", false },
		{ "*", NULL, "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		bool got = shm_acl_allows(rows[i].allow, rows[i].deny,
					  rows[i].name);

		if (got != rows[i].ok)
			fail_msg("row %zu: allow=%s deny=%s name=%s: %d", i,
				 rows[i].allow, rows[i].deny, rows[i].name,
				 got);
	}
	assert_false(shm_acl_allows(NULL, NULL, NULL));
}

static void test_open_args(void **state)
{
	struct shm_region *r = NULL;

	(void)state;
	assert_int_equal(open_err("none", 4096, SHM_EXIST), -ENOENT);
	assert_int_equal(open_err("none", 0, SHM_EXIST | SHM_READONLY),
			 -ENOENT);
	assert_int_equal(open_err("x", 4096, 0), -EINVAL);
	assert_int_equal(open_err("x", 4096, SHM_CREATE | SHM_EXIST), -EINVAL);
	assert_int_equal(open_err("x", 4096, SHM_CREATE | SHM_READONLY),
			 -EINVAL);
	assert_int_equal(open_err("x", 4096, 8), -EINVAL);
	assert_int_equal(open_err("x", 0, SHM_CREATE), -EINVAL);
	assert_int_equal(open_err("x", SHM_SIZE_MAX + 1, SHM_CREATE), -EINVAL);
	assert_int_equal(
		shm_open_region("x", 4096, SHM_CREATE, "Guest", NULL, &r),
		-EINVAL);
	assert_int_equal(
		shm_open_region("x", 4096, SHM_CREATE, "toolong", NULL, &r), 0);
	shm_close_region(r);
	assert_int_equal(
		shm_open_region("x", 4096, SHM_CREATE, "tooolong", NULL, &r),
		-EINVAL);
	assert_int_equal(shm_open_region("x", 4096, SHM_CREATE, "", NULL, &r),
			 -EINVAL);
}

static void test_create_attach_sizes(void **state)
{
	struct shm_peer_info info;
	struct shm_region *a, *b, *c, *ro;
	struct stat st;
	char path[160];

	(void)state;
	a = open_ok("sz", 5000, SHM_CREATE, "guest", "web1");
	assert_int_equal(shm_size(a), 8192); /* rounded to 4 KiB */
	assert_int_equal(shm_peer_id(a), 0);
	assert_string_equal(shm_name(a), "sz");
	/* The directory was made 0700, the file is 0600 and reserved. */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/sz.shm", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 4096 + 8192);
	assert_true((u64)st.st_blocks * 512 >= 4096 + 8192);
	assert_true(dir_has("sz.0.sock"));
	/* Later attaches get the creator's size, whatever they ask. */
	b = open_ok("sz", 100000, SHM_CREATE, "host", NULL);
	assert_int_equal(shm_size(b), 8192);
	assert_int_equal(shm_peer_id(b), 1);
	c = open_ok("sz", 0, SHM_EXIST, NULL, "a label far too long");
	assert_int_equal(shm_size(c), 8192);
	assert_int_equal(shm_peer_id(c), 2);
	/* Two mappings, one memory. */
	memcpy((char *)shm_data(a) + 8000, "hello", 6);
	assert_string_equal((char *)shm_data(c) + 8000, "hello");
	assert_int_equal(shm_peers(a), 0x7);
	assert_int_equal(shm_peers(c), 0x7);
	/* Who is who. */
	assert_int_equal(shm_peer_get(b, 0, &info), 0);
	assert_int_equal(info.pid, getpid());
	assert_string_equal(info.kind, "guest");
	assert_string_equal(info.label, "web1");
	assert_int_equal(shm_peer_get(a, 2, &info), 0);
	assert_string_equal(info.kind, "host");
	assert_string_equal(info.label, "a?label?far?too"); /* cut, no blanks */
	assert_int_equal(shm_peer_get(a, 3, &info), -ESRCH);
	assert_int_equal(shm_peer_get(a, 16, &info), -EINVAL);
	/* A read-only view is no peer. */
	ro = open_ok("sz", 0, SHM_EXIST | SHM_READONLY, NULL, NULL);
	assert_int_equal(shm_peer_id(ro), -1);
	assert_int_equal(shm_size(ro), 8192);
	assert_string_equal((char *)shm_data(ro) + 8000, "hello");
	assert_int_equal(shm_ring(ro, 0), -EPERM);
	assert_int_equal(shm_peers(ro), 0x7);
	shm_close_region(ro);
	assert_int_equal(shm_peers(a), 0x7);
	shm_close_region(b);
	shm_close_region(c);
	shm_close_region(a);
}

static void test_peer_limit(void **state)
{
	struct shm_region *r[SHM_MAX_PEERS];
	int i;

	(void)state;
	for (i = 0; i < SHM_MAX_PEERS; i++) {
		r[i] = open_ok("full", 4096, SHM_CREATE, NULL, NULL);
		assert_int_equal(shm_peer_id(r[i]), i);
	}
	assert_int_equal(shm_peers(r[0]), 0xffff);
	assert_int_equal(open_err("full", 4096, SHM_CREATE), -EUSERS);
	assert_int_equal(open_err("full", 4096, SHM_EXIST), -EUSERS);
	/* A freed slot is taken again, the lowest first. */
	shm_close_region(r[5]);
	assert_false(dir_has("full.5.sock"));
	r[5] = open_ok("full", 4096, SHM_EXIST, NULL, NULL);
	assert_int_equal(shm_peer_id(r[5]), 5);
	for (i = 0; i < SHM_MAX_PEERS; i++)
		shm_close_region(r[i]);
}

static int child_share(int in, int out)
{
	struct shm_region *r;
	u8 *d;

	(void)in;
	if (shm_open_region("share", 0, SHM_EXIST, "guest", "child", &r))
		return 1;
	d = shm_data(r);
	if (shm_size(r) != 65536 || memcmp(d, "parent", 7) || d[65535] != 0xa5)
		return 2;
	memcpy(d + 4096, "child", 6);
	tell(out, (u32)shm_peer_id(r));
	shm_close_region(r);
	return 0;
}

static void test_fork_shares_bytes(void **state)
{
	struct shm_region *r = open_ok("share", 65536, SHM_CREATE, NULL, NULL);
	struct child c;
	u8 *d = shm_data(r);

	(void)state;
	memcpy(d, "parent", 7);
	d[65535] = 0xa5;
	child_start(&c, child_share);
	assert_int_equal(child_read(&c), 1);
	assert_int_equal(child_wait(&c), 0);
	assert_string_equal((char *)d + 4096, "child");
	/* The child left; we are alone, and the region stays. */
	assert_int_equal(shm_peers(r), 0x1);
	assert_true(dir_has("share.shm"));
	assert_false(dir_has("share.1.sock"));
	shm_close_region(r);
}

/* Rings between handles of this process, served by a thread. */
static void test_ring_bits(void **state)
{
	struct shm_region *a = open_ok("bell", 4096, SHM_CREATE, NULL, "a");
	struct shm_region *b = open_ok("bell", 4096, SHM_EXIST, NULL, "b");
	struct shm_region *c = open_ok("bell", 4096, SHM_EXIST, NULL, "c");
	struct server s;
	u64 t0;

	(void)state;
	server_start(&s, 3, a, b, c);
	drain(a);
	drain(b);
	drain(c);
	/* One ringer: its bit, one doorbell count. */
	assert_int_equal(shm_ring(a, 1), 0);
	assert_int_equal(doorbell_read(b, 1000), 1);
	assert_int_equal(shm_take_pending(b), 1u << 0);
	assert_int_equal(shm_take_pending(b), 0);
	/* Two ringers before the receiver looks: both bits. */
	assert_int_equal(shm_ring(a, 1), 0);
	assert_int_equal(shm_ring(c, 1), 0);
	assert_int_equal(doorbell_read(b, 1000), 2);
	assert_int_equal(shm_take_pending(b), (1u << 0) | (1u << 2));
	/* Everyone else, selectively nobody: only the others rang. */
	assert_int_equal(shm_ring_all(b, ~0u), 2);
	assert_int_equal(doorbell_read(a, 1000), 1);
	assert_int_equal(shm_take_pending(a), 1u << 1);
	assert_int_equal(doorbell_read(c, 1000), 1);
	assert_int_equal(shm_take_pending(c), 1u << 1);
	assert_int_equal(shm_ring_all(b, 1u << 2), 1);
	assert_int_equal(doorbell_read(c, 1000), 1);
	assert_int_equal(doorbell_read(a, 0), 0);
	drain(c);
	/* Bad ids; a free slot is gone at once. */
	assert_int_equal(shm_ring(a, 0), -EINVAL);
	assert_int_equal(shm_ring(a, -1), -EINVAL);
	assert_int_equal(shm_ring(a, SHM_MAX_PEERS), -EINVAL);
	t0 = ms_now();
	assert_int_equal(shm_ring(a, 7), -ESRCH);
	assert_true(ms_now() - t0 < 50);
	assert_true(shm_peer_doorbell(a, 1) >= 0);
	assert_int_equal(shm_peer_doorbell(a, 7), -ESRCH);
	/* A peer leaving wakes the others with no bit. */
	server_stop(&s);
	shm_close_region(c);
	server_start(&s, 2, a, b);
	drain(b);
	assert_true(doorbell_read(a, 1000) >= 1);
	drain(a);
	assert_int_equal(shm_take_pending(a), 0);
	assert_int_equal(shm_peers(a), 0x3);
	assert_int_equal(shm_ring(a, 2), -ESRCH);
	server_stop(&s);
	shm_close_region(b);
	shm_close_region(a);
}

struct hammer {
	struct shm_region *r;
	int peer, n, failed;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	int i;

	for (i = 0; i < h->n; i++)
		if (shm_ring(h->r, h->peer))
			h->failed++;
	return NULL;
}

/* One handle rung from from several threads: every ring counts once. */
/*
 * Two handles in one process (vessel's lifecycle peer and its guest's
 * connection): they ring each other with nobody serving the sockets,
 * at once, and the right bits arrive.
 */
static void test_ring_same_process(void **state)
{
	struct shm_region *a = open_ok("self", 4096, SHM_CREATE, NULL, "a");
	struct shm_region *b = open_ok("self", 4096, SHM_EXIST, NULL, "b");
	u64 t0;

	(void)state;
	drain(a);
	drain(b);
	t0 = ms_now();
	assert_int_equal(shm_ring(a, 1), 0);
	assert_int_equal(shm_ring(b, 0), 0);
	assert_true(ms_now() - t0 < SHM_RING_TIMEOUT_MS / 2);
	assert_int_equal(doorbell_read(b, 0), 1);
	assert_int_equal(shm_take_pending(b), 1u << 0);
	assert_int_equal(doorbell_read(a, 0), 1);
	assert_int_equal(shm_take_pending(a), 1u << 1);
	shm_close_region(b);
	/* b is gone: no stale local doorbell stands in for it. */
	assert_int_equal(shm_ring(a, 1), -ESRCH);
	shm_close_region(a);
}

/*
 * With changes apart (shm_change_fd), a peer attaching or leaving wakes
 * the change eventfd, and the doorbell means rings only.
 */
static void test_changes_apart(void **state)
{
	struct shm_region *a = open_ok("apart", 4096, SHM_CREATE, NULL, "a");
	struct shm_region *b, *c;
	struct server s;
	struct pollfd p;
	int cfd = shm_change_fd(a);
	u64 v;

	(void)state;
	assert_true(cfd >= 0);
	assert_int_equal(shm_change_fd(a), cfd);
	server_start(&s, 1, a);
	b = open_ok("apart", 4096, SHM_EXIST, NULL, "b");
	p = (struct pollfd){ .fd = cfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(read(cfd, &v, sizeof(v)), sizeof(v));
	assert_true(shm_peers_changed(a));
	assert_false(shm_peers_changed(a));
	assert_int_equal(doorbell_read(a, 100), 0);
	/* A ring: the doorbell, not the change fd. */
	assert_int_equal(shm_ring(b, 0), 0);
	assert_int_equal(doorbell_read(a, 1000), 1);
	assert_int_equal(shm_take_pending(a), 1u << 1);
	assert_int_equal(poll(&p, 1, 0), 0);
	/* Another attach, then a leave: the change fd again. */
	c = open_ok("apart", 4096, SHM_EXIST, NULL, "c");
	shm_close_region(c);
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_true(shm_peers_changed(a));
	assert_int_equal(doorbell_read(a, 100), 0);
	server_stop(&s);
	shm_close_region(b);
	shm_close_region(a);
}

static void test_ring_threads(void **state)
{
	struct shm_region *a = open_ok("thr", 4096, SHM_CREATE, NULL, NULL);
	struct shm_region *b = open_ok("thr", 4096, SHM_EXIST, NULL, NULL);
	struct hammer h = { .r = a, .peer = 1, .n = 2000 };
	pthread_t t[4];
	struct server s;
	u64 total = 0;
	int i;

	(void)state;
	server_start(&s, 2, a, b);
	drain(b);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h),
				 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(h.failed, 0);
	while (total < 4 * 2000) {
		u64 n = doorbell_read(b, 1000);

		if (!n)
			break;
		total += n;
	}
	assert_int_equal(total, 4 * 2000);
	assert_int_equal(shm_take_pending(b), 1u << 0);
	server_stop(&s);
	shm_close_region(b);
	shm_close_region(a);
}

/*
 * The child: peer 1 of "xring". It waits for a ring (serving its socket
 * with shm_wait()), reports the bits, rings the parent back, and stays
 * until told to go.
 */
static int child_ring(int in, int out)
{
	struct shm_region *r;
	u32 rang = 0;
	int tries;

	if (shm_open_region("xring", 0, SHM_EXIST, "host", "child", &r))
		return 1;
	tell(out, (u32)shm_peer_id(r));
	while (!rang)
		if (shm_wait(r, 5000, &rang))
			return 2;
	tell(out, rang);
	/* The parent may still be reading; its socket waits for it. */
	for (tries = 0; tries < 20 && shm_ring(r, 0); tries++)
		;
	hear(in);
	shm_close_region(r);
	return tries < 20 ? 0 : 3;
}

static void test_ring_across_fork(void **state)
{
	struct shm_region *r = open_ok("xring", 4096, SHM_CREATE, NULL, NULL);
	struct pollfd p[2];
	struct child c;
	u32 rang = 0;
	u64 count;

	(void)state;
	child_start(&c, child_ring);
	assert_int_equal(child_read(&c), 1);
	assert_int_equal(shm_peers(r), 0x3);
	assert_int_equal(shm_ring(r, 1), 0);
	assert_int_equal(child_read(&c), 1u << 0);
	/* Our own loop: the doorbell fd, and the socket to serve. */
	while (!rang) {
		p[0] = (struct pollfd){ .fd = shm_doorbell_fd(r),
					.events = POLLIN };
		p[1] = (struct pollfd){ .fd = shm_listen_fd(r),
					.events = POLLIN };
		assert_true(poll(p, 2, 5000) > 0);
		if (p[1].revents & POLLIN)
			shm_serve(r);
		if (read(p[0].fd, &count, sizeof(count)) == sizeof(count))
			rang = shm_take_pending(r);
	}
	assert_int_equal(rang, 1u << 1);
	child_write(&c, 0);
	assert_int_equal(child_wait(&c), 0);
	shm_close_region(r);
}

/* The child: attach as the next peer, then serve until killed. */
static int child_serve(int in, int out)
{
	struct shm_region *r;
	u32 rang;

	(void)in;
	if (shm_open_region("dead", 0, SHM_EXIST, "guest", "victim", &r))
		return 1;
	tell(out, (u32)shm_peer_id(r));
	for (;;)
		shm_wait(r, -1, &rang);
}

/* The child: attach, then never serve its socket. */
static int child_silent(int in, int out)
{
	struct shm_region *r;

	if (shm_open_region("dead", 0, SHM_EXIST, "guest", "silent", &r))
		return 1;
	tell(out, (u32)shm_peer_id(r));
	hear(in);
	shm_close_region(r);
	return 0;
}

static void assert_ring_gone(struct shm_region *r, int peer)
{
	u64 t0 = ms_now();

	assert_int_equal(shm_ring(r, peer), -ESRCH);
	assert_true(ms_now() - t0 < 50);
}

static void test_dead_peer(void **state)
{
	struct shm_region *r = open_ok("dead", 4096, SHM_CREATE, NULL, NULL);
	struct shm_region *again;
	struct child c, z, q;
	u64 t0, took;

	(void)state;
	/* Rung once while alive (its doorbell cached), then killed. */
	child_start(&c, child_serve);
	assert_int_equal(child_read(&c), 1);
	assert_int_equal(shm_ring(r, 1), 0);
	child_kill(&c);
	assert_ring_gone(r, 1);
	assert_int_equal(shm_peers(r), 0x1);
	/* Its slot and socket stay until the next attach reclaims them. */
	assert_true(dir_has("dead.1.sock"));
	again = open_ok("dead", 0, SHM_EXIST, NULL, NULL);
	assert_int_equal(shm_peer_id(again), 1);
	shm_close_region(again);
	assert_false(dir_has("dead.1.sock"));
	/* Killed before anyone rang it, and not reaped yet (a zombie). */
	child_start(&z, child_serve);
	assert_int_equal(child_read(&z), 1);
	assert_int_equal(kill(z.pid, SIGKILL), 0);
	usleep(20000);
	assert_ring_gone(r, 1);
	again = open_ok("dead", 0, SHM_EXIST, NULL, NULL);
	assert_int_equal(shm_peer_id(again), 1); /* a zombie is dead */
	shm_close_region(again);
	assert_int_equal(child_wait(&z), 128 + SIGKILL);
	assert_ring_gone(r, 1);
	/* Alive but never serving: gone after the bounded wait. */
	child_start(&q, child_silent);
	assert_int_equal(child_read(&q), 1);
	t0 = ms_now();
	assert_int_equal(shm_ring(r, 1), -ESRCH);
	took = ms_now() - t0;
	assert_true(took >= SHM_RING_TIMEOUT_MS - 5 && took < 500);
	assert_int_equal(shm_peers(r), 0x3); /* alive, just deaf */
	/* Not asked again at once: the next rings fail without waiting. */
	t0 = ms_now();
	assert_int_equal(shm_ring(r, 1), -ESRCH);
	assert_int_equal(shm_ring(r, 1), -ESRCH);
	assert_true(ms_now() - t0 < SHM_RING_TIMEOUT_MS / 2);
	child_write(&q, 0);
	assert_int_equal(child_wait(&q), 0);
	assert_int_equal(shm_peers(r), 0x1);
	shm_close_region(r);
}

static void test_last_detach_unlinks(void **state)
{
	struct shm_region *a = open_ok("last", 4096, SHM_CREATE, NULL, NULL);
	struct shm_region *b = open_ok("last", 4096, SHM_EXIST, NULL, NULL);

	(void)state;
	assert_true(dir_has("last.shm"));
	assert_true(dir_has("last.0.sock"));
	assert_true(dir_has("last.1.sock"));
	assert_int_equal(fake_dir_entries(dir), 3);
	shm_close_region(a);
	assert_true(dir_has("last.shm"));
	assert_false(dir_has("last.0.sock"));
	assert_true(dir_has("last.1.sock"));
	shm_close_region(b);
	assert_int_equal(fake_dir_entries(dir), 0);
	/* A region made again starts over: new size, zeroed data. */
	a = open_ok("last", 8192, SHM_CREATE, NULL, NULL);
	b = open_ok("last", 4096, SHM_CREATE, NULL, NULL);
	memset(shm_data(a), 0x55, 8192);
	shm_close_region(a);
	shm_close_region(b);
	a = open_ok("last", 4096, SHM_CREATE, NULL, NULL);
	assert_int_equal(shm_size(a), 4096);
	assert_int_equal(((u8 *)shm_data(a))[0], 0);
	shm_close_region(a);
}

/* The child: create region "orphanN" of 8 KiB, then wait to be killed. */
static int child_orphan(int in, int out)
{
	struct shm_region *r;
	char name[16];

	snprintf(name, sizeof(name), "orphan%u", hear(in));
	if (shm_open_region(name, 8192, SHM_CREATE, "guest", NULL, &r))
		return 1;
	tell(out, 0);
	for (;;)
		pause();
}

static int list_collect(const struct shm_region_info *info, void *arg)
{
	struct shm_region_info *seen = arg;
	int i;

	for (i = 0; i < 4; i++)
		if (!seen[i].name[0]) {
			seen[i] = *info;
			return 0;
		}
	return -1;
}

static void test_orphans(void **state)
{
	struct shm_region_info seen[4];
	struct shm_region *r;
	struct child c;

	(void)state;
	/* Every peer died: an attach finds no region and makes a new one. */
	child_start(&c, child_orphan);
	child_write(&c, 1);
	assert_int_equal(child_read(&c), 0);
	child_kill(&c);
	assert_true(dir_has("orphan1.shm"));
	assert_true(dir_has("orphan1.0.sock"));
	assert_int_equal(open_err("orphan1", 0, SHM_EXIST), -ENOENT);
	assert_int_equal(fake_dir_entries(dir), 0);
	child_start(&c, child_orphan);
	child_write(&c, 1);
	assert_int_equal(child_read(&c), 0);
	child_kill(&c);
	r = open_ok("orphan1", 16384, SHM_CREATE, NULL, NULL);
	assert_int_equal(shm_size(r), 16384);
	assert_int_equal(shm_peer_id(r), 0);
	/* Listing removes a region whose peers all died, reports none. */
	child_start(&c, child_orphan);
	child_write(&c, 2);
	assert_int_equal(child_read(&c), 0);
	child_kill(&c);
	assert_true(dir_has("orphan2.shm"));
	memset(seen, 0, sizeof(seen));
	assert_int_equal(shm_list(list_collect, seen), 0);
	assert_string_equal(seen[0].name, "orphan1");
	assert_string_equal(seen[1].name, "");
	assert_false(dir_has("orphan2.shm"));
	assert_false(dir_has("orphan2.0.sock"));
	shm_close_region(r);
}

static int list_stop(const struct shm_region_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	return 7;
}

static void test_list(void **state)
{
	struct shm_region *a = open_ok("la", 4096, SHM_CREATE, "guest", "web1");
	struct shm_region *b = open_ok("la", 4096, SHM_EXIST, NULL, "tool");
	struct shm_region *c = open_ok("lb", 3 * 4096, SHM_CREATE, NULL, NULL);
	struct shm_region_info seen[4], *la, *lb;
	int calls = 0;

	(void)state;
	shm_close_region(a); /* a hole at id 0 */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(shm_list(list_collect, seen), 0);
	assert_string_equal(seen[2].name, "");
	la = strcmp(seen[0].name, "la") ? &seen[1] : &seen[0];
	lb = la == seen ? &seen[1] : &seen[0];
	assert_string_equal(la->name, "la");
	assert_string_equal(lb->name, "lb");
	assert_int_equal(la->size, 4096);
	assert_int_equal(la->peers, 1u << 1);
	assert_int_equal(la->peer[1].id, 1);
	assert_int_equal(la->peer[1].pid, getpid());
	assert_string_equal(la->peer[1].kind, "host");
	assert_string_equal(la->peer[1].label, "tool");
	assert_int_equal(la->peer[0].pid, 0);
	assert_int_equal(lb->size, 3 * 4096);
	assert_int_equal(lb->peers, 1u << 0);
	/* The callback's non-zero return ends the walk. */
	assert_int_equal(shm_list(list_stop, &calls), 7);
	assert_int_equal(calls, 1);
	shm_close_region(b);
	shm_close_region(c);
}

static void plant(const char *link, const char *target)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	assert_int_equal(symlink(target, path), 0);
}

static void plant_file(const char *file, mode_t mode, const char *text)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void unplant(const char *file)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_int_equal(unlink(path), 0);
}

static int list_count(const struct shm_region_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	return 0;
}

static void test_planted_files(void **state)
{
	char target[128], victim[128];
	struct shm_region *r;
	struct stat st;
	int fd, n = 0;

	(void)state;
	/* A symlink as the region file: never followed, never changed. */
	snprintf(target, sizeof(target), "%s/target", top);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	r = open_ok("mkdir", 4096, SHM_CREATE, NULL, NULL); /* makes dir */
	shm_close_region(r);
	plant("evil.shm", target);
	assert_int_equal(open_err("evil", 4096, SHM_CREATE), -ELOOP);
	assert_int_equal(open_err("evil", 0, SHM_EXIST), -ELOOP);
	assert_int_equal(open_err("evil", 0, SHM_EXIST | SHM_READONLY), -ELOOP);
	assert_int_equal(shm_list(list_count, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	unplant("evil.shm");
	/* A file with another mode, or that is no region. */
	plant_file("open.shm", 0644, "");
	assert_int_equal(open_err("open", 4096, SHM_CREATE), -EPERM);
	unplant("open.shm");
	plant_file("junk.shm", 0600, "not a region");
	assert_int_equal(open_err("junk", 4096, SHM_CREATE), -EPROTO);
	assert_int_equal(open_err("junk", 0, SHM_EXIST | SHM_READONLY),
			 -EPROTO);
	unplant("junk.shm");
	/* A symlink where our socket goes is removed, not followed. */
	snprintf(victim, sizeof(victim), "%s/victim", top);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	plant("s.0.sock", victim);
	r = open_ok("s", 4096, SHM_CREATE, NULL, NULL);
	assert_int_equal(lstat(victim, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(victim, sizeof(victim), "%s/s.0.sock", dir);
	assert_int_equal(lstat(victim, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	shm_close_region(r);
}

static void test_planted_dir(void **state)
{
	char real[128], link[128], gw[128];
	int n = 0;

	(void)state;
	snprintf(real, sizeof(real), "%s/real", top);
	snprintf(link, sizeof(link), "%s/link", top);
	snprintf(gw, sizeof(gw), "%s/gw", top);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(mkdir(gw, 0700), 0);
	assert_int_equal(chmod(gw, 0770), 0);
	/* A symlink as the directory. */
	setenv(SHM_DIR_ENV, link, 1);
	assert_int_equal(open_err("x", 4096, SHM_CREATE), -ELOOP);
	assert_int_equal(shm_list(list_count, &n), -ELOOP);
	/* A directory others may write to. */
	setenv(SHM_DIR_ENV, gw, 1);
	assert_int_equal(open_err("x", 4096, SHM_CREATE), -EPERM);
	setenv(SHM_DIR_ENV, dir, 1);
	assert_int_equal(rmdir(real), 0);
	assert_int_equal(rmdir(gw), 0);
	assert_int_equal(unlink(link), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_name_check, test_teardown),
		cmocka_unit_test_teardown(test_acl_matrix, test_teardown),
		cmocka_unit_test_teardown(test_open_args, test_teardown),
		cmocka_unit_test_teardown(test_create_attach_sizes,
					  test_teardown),
		cmocka_unit_test_teardown(test_peer_limit, test_teardown),
		cmocka_unit_test_teardown(test_fork_shares_bytes,
					  test_teardown),
		cmocka_unit_test_teardown(test_ring_bits, test_teardown),
		cmocka_unit_test_teardown(test_ring_same_process,
					  test_teardown),
		cmocka_unit_test_teardown(test_changes_apart, test_teardown),
		cmocka_unit_test_teardown(test_ring_threads, test_teardown),
		cmocka_unit_test_teardown(test_ring_across_fork, test_teardown),
		cmocka_unit_test_teardown(test_dead_peer, test_teardown),
		cmocka_unit_test_teardown(test_last_detach_unlinks,
					  test_teardown),
		cmocka_unit_test_teardown(test_orphans, test_teardown),
		cmocka_unit_test_teardown(test_list, test_teardown),
		cmocka_unit_test_teardown(test_planted_files, test_teardown),
		cmocka_unit_test_teardown(test_planted_dir, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
