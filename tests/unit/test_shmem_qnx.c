// SPDX-License-Identifier: Apache-2.0
/*
 * The QNX guest_shm device (PCI 1C05:0001) as QNX's <guest_shm.h> and the
 * drivers written for it drive it: the factory page in BAR0 (signature,
 * shmem, vector, status, size in 4 KiB pages, name[32], find), and per
 * connection a control page (status: low 16 bits who notified us, high
 * 16 bits who is attached; idx; notify; detach) followed by the region's
 * pages, 64 MiB apart in the 1 GiB BAR2 window. The regions are the real
 * src/shm library's, in a fresh $VESSEL_SHM_DIR per test; host peers are
 * opened with shm_open_region() and a second guest is a second fake
 * environment with its own device. After each test the directory must be
 * empty and the process hold no more fds than before: nothing leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../src/shm/shm.h"
#include "../../src/vmm/dev/pci.h"
#include "fake_env.h"
#include "shm_host.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define SLOT 1 /* the only function on each test's bus */

#define WIN 0x1000000000ULL /* where the tests put BAR2: 64 GiB */
#define WIN_MOVED 0x2040000000ULL
#define CONN_SIZE (64ULL << 20) /* one connection's part of the window */
#define PAGE 4096ULL
#define MAX_PAGES ((CONN_SIZE - PAGE) / PAGE) /* 16383 */

/* struct guest_shm_factory */
#define F_SIGNATURE 0x00
#define F_SHMEM 0x08
#define F_VECTOR 0x10
#define F_STATUS 0x14
#define F_SIZE 0x18
#define F_NAME 0x1c
#define F_FIND 0x3c
#define NAME_MAX_LEN 32 /* GUEST_SHM_MAX_NAME, with the NUL */
#define SIGNATURE 0x4d534732474d5651ULL

/* struct guest_shm_control */
#define C_STATUS 0x0
#define C_IDX 0x4
#define C_NOTIFY 0x8
#define C_DETACH 0xc

enum {
	GSS_OK,
	GSS_UNKNOWN_FAILURE,
	GSS_NOMEM,
	GSS_CLIENT_MAX,
	GSS_ILLEGAL_NAME,
	GSS_NO_PERMISSION,
	GSS_DOES_NOT_EXIST,
};

extern const struct dev_type dev_shmem_qnx;

/* One guest: its environment, bus and device. */
struct guest {
	struct dev_env *env;
	struct pci_bus *bus;
	void *dev;
	u64 bar0;
};

struct fixture {
	struct shm_host h;
	struct guest a,
		b; /* b: a second guest, started by the tests that need one */
};

/* --- config space and the guest's view of the BARs --- */

static u32 cfg_read(struct guest *g, u32 reg, u8 size)
{
	return fake_cfg_read(g->env, SLOT, reg, size);
}

static void cfg_write(struct guest *g, u32 reg, u8 size, u32 v)
{
	fake_cfg_write(g->env, SLOT, reg, size, v);
}

static void bar2_set(struct guest *g, u64 addr)
{
	cfg_write(g, 0x18, 4, (u32)addr);
	cfg_write(g, 0x1c, 4, (u32)(addr >> 32));
}

static u64 factory_read(struct guest *g, u64 off, u8 size)
{
	return fake_read(g->env, BUS_MMIO, g->bar0 + off, size);
}

static void factory_write(struct guest *g, u64 off, u8 size, u64 v)
{
	fake_write(g->env, BUS_MMIO, g->bar0 + off, size, v);
}

/* The name register, in 4-byte pieces as a driver's strcpy to MMIO. */
static void factory_name(struct guest *g, const char *name)
{
	char buf[NAME_MAX_LEN] = { 0 };
	u32 v;

	memcpy(buf, name, strnlen(name, sizeof(buf)));
	for (int i = 0; i < NAME_MAX_LEN; i += 4) {
		memcpy(&v, buf + i, 4);
		factory_write(g, F_NAME + i, 4, v);
	}
}

/* guest_shm_create(): name, then size; the status says how it went. */
static u32 qnx_create(struct guest *g, const char *name, u32 pages)
{
	factory_name(g, name);
	factory_write(g, F_SIZE, 4, pages);
	return factory_read(g, F_STATUS, 4);
}

/* The same with `find`: attach only to a region that exists. */
static u32 qnx_find(struct guest *g, const char *name)
{
	factory_name(g, name);
	factory_write(g, F_FIND, 4, 1);
	return factory_read(g, F_STATUS, 4);
}

/* The control page of the last connection. */
static u64 qnx_shmem(struct guest *g)
{
	return factory_read(g, F_SHMEM, 8);
}

static u32 ctl_read(struct guest *g, u64 ctl, u64 off)
{
	return fake_read(g->env, BUS_MMIO, ctl + off, 4);
}

static void ctl_write(struct guest *g, u64 ctl, u64 off, u32 v)
{
	fake_write(g->env, BUS_MMIO, ctl + off, 4, v);
}

/* The region's bytes as the guest's memslot at @ctl's data page. */
static u8 *qnx_data(struct guest *g, u64 ctl)
{
	const struct fake_map *m = fake_env_find_map(g->env, ctl + PAGE);

	assert_non_null(m);
	return m->hva;
}

static int intx_gsi(struct guest *g)
{
	return cfg_read(g, 0x3c, 1);
}

static int intx_level(struct guest *g)
{
	return g->env->irq[intx_gsi(g)].level;
}

/* Run the event loop until no watched fd is ready: rings, peer changes. */
static void pump(struct guest *g)
{
	for (int i = 0; i < 8 && fake_env_poll(g->env); i++)
		;
}

/* --- guests and host peers --- */

static void guest_start(struct guest *g, const char *shmem, const char *name)
{
	char opt_shmem[160], opt_name[64];
	const char *opts[3] = { NULL };
	int n = 0;

	snprintf(opt_shmem, sizeof(opt_shmem), "shmem %s", shmem);
	opts[n++] = opt_shmem;
	if (name) {
		snprintf(opt_name, sizeof(opt_name), "name %s", name);
		opts[n++] = opt_name;
	}
	g->env = fake_env_new(1 << 20, opts);
	assert_int_equal(pci_bus_create(g->env, &g->bus), 0);
	g->env->pci = g->bus;
	g->dev = fake_dev_create(g->env, &dev_shmem_qnx);
	assert_non_null(g->dev);
	/* What firmware and the driver do: BARs, then memory decoding. */
	g->bar0 = cfg_read(g, 0x10, 4) & ~0xfULL;
	assert_true(g->bar0 != 0);
	bar2_set(g, WIN);
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY);
}

static void guest_stop(struct guest *g)
{
	if (!g->env)
		return;
	if (g->dev) {
		dev_shmem_qnx.quiesce(g->dev, STOP_NONE);
		dev_shmem_qnx.destroy(g->dev);
	}
	pci_bus_destroy(g->bus);
	fake_env_free(g->env);
	memset(g, 0, sizeof(*g));
}

static int setup_with(void **state, const char *shmem, const char *name)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	shm_host_init(&f->h, "shmem-qnx");
	guest_start(&f->a, shmem, name);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "model=qnx", NULL);
}

static int setup_acl(void **state)
{
	return setup_with(state, "model=qnx,allow=test*:dev*,deny=devsecret*",
			  NULL);
}

static int setup_deny(void **state)
{
	return setup_with(state, "model=qnx,deny=live*", NULL);
}

static int setup_named(void **state)
{
	return setup_with(state, "model=qnx", "web1");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_stop(&f->a);
	guest_stop(&f->b);
	shm_host_fini(&f->h);
	free(f);
	return 0;
}

/* --- identity and the factory page --- */

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	assert_int_equal(cfg_read(g, 0x00, 4), 0x00011c05);
	assert_int_equal(cfg_read(g, 0x08, 4) >> 8, 0x058000);
	assert_int_equal(cfg_read(g, 0x3d, 1), 1); /* INTA# */
	/* Interrupt Line: one of the four PCI INTx GSIs of the I/O APIC. */
	assert_in_range(intx_gsi(g), 16, 19);
	/* BAR0: 4 KiB 32-bit memory. */
	cfg_write(g, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_read(g, 0x10, 4), 0xfffff000);
	cfg_write(g, 0x10, 4, (u32)g->bar0);
	/* BAR2: 64-bit prefetchable, 1 GiB. */
	assert_int_equal(cfg_read(g, 0x18, 4), (u32)WIN | 0xc);
	assert_int_equal(cfg_read(g, 0x1c, 4), WIN >> 32);
	bar2_set(g, ~0ULL);
	assert_int_equal(cfg_read(g, 0x18, 4), 0xc000000c);
	assert_int_equal(cfg_read(g, 0x1c, 4), 0xffffffff);
	bar2_set(g, WIN);
	/* Nothing else. */
	for (u32 bar = 0x14; bar <= 0x24; bar += 4)
		if (bar != 0x18 && bar != 0x1c)
			assert_int_equal(cfg_read(g, bar, 4), 0);
}

static void test_factory_reads(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	assert_int_equal(factory_read(g, F_SIGNATURE, 8), SIGNATURE);
	assert_int_equal(factory_read(g, F_SIGNATURE, 4), (u32)SIGNATURE);
	assert_int_equal(factory_read(g, F_SIGNATURE + 4, 4), SIGNATURE >> 32);
	assert_int_equal(factory_read(g, F_VECTOR, 4), intx_gsi(g));
	/* Nothing connected yet. */
	assert_int_equal(factory_read(g, F_SIZE, 4), 0);
	/* The read-only registers keep their values. */
	factory_write(g, F_SIGNATURE, 4, 0);
	factory_write(g, F_VECTOR, 4, 3);
	factory_write(g, F_STATUS, 4, 7);
	assert_int_equal(factory_read(g, F_SIGNATURE, 8), SIGNATURE);
	assert_int_equal(factory_read(g, F_VECTOR, 4), intx_gsi(g));
	assert_int_equal(factory_read(g, F_STATUS, 4), GSS_OK);
	/* The name reads back, whole or in pieces. */
	factory_name(g, "abcdefgh");
	assert_int_equal(factory_read(g, F_NAME, 8), 0x6867666564636261ULL);
	assert_int_equal(factory_read(g, F_NAME + 4, 1), 'e');
}

static void test_create(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h;
	u64 ctl;
	u8 *data;

	assert_int_equal(qnx_create(g, "test1", 2), GSS_OK);
	ctl = qnx_shmem(g);
	assert_int_equal(ctl, WIN); /* connection 0 */
	assert_int_equal(factory_read(g, F_SIZE, 4), 2);
	assert_int_equal(fake_env_find_map(g->env, ctl + PAGE)->len, 2 * PAGE);
	data = qnx_data(g, ctl);
	memcpy(data, "from the guest", 15);
	data[2 * PAGE - 1] = 0x5a;
	/* A host program attached by name sees the same bytes. */
	h = shm_host_open(&f->h, "test1", 0, SHM_EXIST);
	assert_int_equal(shm_size(h), 2 * PAGE);
	assert_string_equal(shm_data(h), "from the guest");
	assert_int_equal(((u8 *)shm_data(h))[2 * PAGE - 1], 0x5a);
	memcpy(shm_data(h), "from the host", 14);
	assert_string_equal((char *)data, "from the host");
	/* Our connection's id and the peers attached: us and the host. */
	assert_int_equal(ctl_read(g, ctl, C_IDX), 0);
	assert_int_equal(shm_peer_id(h), 1);
	assert_int_equal(ctl_read(g, ctl, C_STATUS) >> 16, 0x3);

	/* A second connection takes the next 64 MiB of the window. */
	assert_int_equal(qnx_create(g, "test2", 1), GSS_OK);
	assert_int_equal(qnx_shmem(g), WIN + CONN_SIZE);
	assert_int_equal(factory_read(g, F_SIZE, 4), 1);
	assert_int_equal(fake_env_find_map(g->env, WIN + CONN_SIZE + PAGE)->len,
			 PAGE);
	assert_int_equal(ctl_read(g, WIN + CONN_SIZE, C_IDX), 0);
	/* The name byte by byte works as well. */
	for (int i = 0; i < NAME_MAX_LEN; i++)
		factory_write(g, F_NAME + i, 1, "test3"[i < 5 ? i : 5]);
	factory_write(g, F_SIZE, 4, 1);
	assert_int_equal(factory_read(g, F_STATUS, 4), GSS_OK);
	assert_int_equal(qnx_shmem(g), WIN + 2 * CONN_SIZE);
}

/* The first creator fixes the size; a second guest gets the same bytes. */
static void test_second_guest_attaches(void **state)
{
	struct fixture *f = *state;
	struct guest *a = &f->a, *b = &f->b;
	u64 ctl_a, ctl_b;

	guest_start(b, "model=qnx", "b");
	assert_int_equal(qnx_create(a, "devshare", 3), GSS_OK);
	ctl_a = qnx_shmem(a);
	assert_int_equal(qnx_create(b, "devshare", 10), GSS_OK);
	ctl_b = qnx_shmem(b);
	assert_int_equal(factory_read(b, F_SIZE, 4), 3);
	assert_int_equal(fake_env_find_map(b->env, ctl_b + PAGE)->len,
			 3 * PAGE);
	strcpy((char *)qnx_data(a, ctl_a) + 100, "shared");
	assert_string_equal((char *)qnx_data(b, ctl_b) + 100, "shared");
	assert_int_equal(ctl_read(a, ctl_a, C_IDX), 0);
	assert_int_equal(ctl_read(b, ctl_b, C_IDX), 1);
	assert_int_equal(ctl_read(b, ctl_b, C_STATUS), 0x3 << 16);

	/* And with find, a third connection (b's second) the same. */
	assert_int_equal(qnx_find(b, "devshare"), GSS_OK);
	assert_int_equal(factory_read(b, F_SIZE, 4), 3);
	assert_int_equal(ctl_read(b, qnx_shmem(b), C_IDX), 2);
	assert_string_equal((char *)qnx_data(b, qnx_shmem(b)) + 100, "shared");
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	assert_int_equal(qnx_find(g, "missing"), GSS_DOES_NOT_EXIST);
	assert_int_equal(f->a.env->map_calls, 0);
	/* A region a host program made, with its size. */
	shm_host_open(&f->h, "hostmade", 5 * PAGE, SHM_CREATE);
	assert_int_equal(qnx_find(g, "hostmade"), GSS_OK);
	assert_int_equal(factory_read(g, F_SIZE, 4), 5);
	assert_non_null(fake_env_find_map(g->env, qnx_shmem(g) + PAGE));
	/* The status is the last operation's. */
	assert_int_equal(qnx_find(g, "missing"), GSS_DOES_NOT_EXIST);
	assert_int_equal(qnx_create(g, "missing", 1), GSS_OK);
}

static void test_illegal_names(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	u32 v;

	assert_int_equal(qnx_create(g, "", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_find(g, ""), GSS_ILLEGAL_NAME);
	/* 32 bytes and no NUL. */
	memcpy(&v, "abcd", 4);
	for (int i = 0; i < NAME_MAX_LEN; i += 4)
		factory_write(g, F_NAME + i, 4, v);
	factory_write(g, F_SIZE, 4, 1);
	assert_int_equal(factory_read(g, F_STATUS, 4), GSS_ILLEGAL_NAME);
	factory_write(g, F_FIND, 4, 1);
	assert_int_equal(factory_read(g, F_STATUS, 4), GSS_ILLEGAL_NAME);
	/* Characters a region name may not have, and a leading dot. */
	assert_int_equal(qnx_create(g, "a/b", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_create(g, "../x", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_create(g, ".hidden", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_create(g, "with space", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_create(g, "tab\there", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(qnx_create(g, "star*", 1), GSS_ILLEGAL_NAME);
	assert_int_equal(g->env->map_calls, 0);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* 31 characters and the NUL: the longest name. */
	assert_int_equal(qnx_create(g, "abcdefghijklmnopqrstuvwxyz01234", 1),
			 GSS_OK);
}

static void test_allow_deny(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	/* allow=test*:dev*, deny=devsecret*: allowed and not denied. */
	assert_int_equal(qnx_create(g, "live1", 1), GSS_NO_PERMISSION);
	assert_int_equal(qnx_create(g, "devsecret2", 1), GSS_NO_PERMISSION);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* Whoever made it: a host program's region is no less denied. */
	shm_host_open(&f->h, "live1", PAGE, SHM_CREATE);
	assert_int_equal(qnx_find(g, "live1"), GSS_NO_PERMISSION);
	assert_int_equal(g->env->map_calls, 0);
	assert_int_equal(qnx_create(g, "test1", 1), GSS_OK);
	assert_int_equal(qnx_create(g, "devshare", 1), GSS_OK);
}

static void test_deny_only(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;

	/* deny=live*: everything else is allowed. */
	assert_int_equal(qnx_create(g, "live", 1), GSS_NO_PERMISSION);
	assert_int_equal(qnx_create(g, "liveX", 1), GSS_NO_PERMISSION);
	assert_int_equal(qnx_create(g, "alive", 1), GSS_OK);
	assert_int_equal(qnx_create(g, "test", 1), GSS_OK);
}

static void test_nomem(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *big;

	assert_int_equal(qnx_create(g, "zero", 0), GSS_NOMEM);
	assert_int_equal(qnx_create(g, "huge", MAX_PAGES + 1), GSS_NOMEM);
	assert_int_equal(qnx_create(g, "huge", 0xffffffff), GSS_NOMEM);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* A region larger than a connection's part of the window. */
	big = shm_host_open(&f->h, "big", CONN_SIZE, SHM_CREATE);
	assert_int_equal(qnx_find(g, "big"), GSS_NOMEM);
	assert_int_equal(qnx_create(g, "big", 1), GSS_NOMEM);
	assert_int_equal(shm_peers(big), 1u << shm_peer_id(big));
	assert_int_equal(g->env->map_calls, 0);
	/* The largest that fits: the slot minus the control page. */
	assert_int_equal(qnx_create(g, "largest", MAX_PAGES), GSS_OK);
	assert_int_equal(factory_read(g, F_SIZE, 4), MAX_PAGES);
	assert_int_equal(fake_env_find_map(g->env, WIN + PAGE)->len,
			 CONN_SIZE - PAGE);
}

/* 16 peers per region: 15 host programs and us; the 17th is refused. */
static void test_client_max(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h[15];

	for (int i = 0; i < 15; i++)
		h[i] = shm_host_open(&f->h, "crowded", PAGE, SHM_CREATE);
	assert_int_equal(qnx_create(g, "crowded", 1), GSS_OK);
	assert_int_equal(ctl_read(g, qnx_shmem(g), C_IDX), 15);
	assert_int_equal(ctl_read(g, qnx_shmem(g), C_STATUS) >> 16, 0xffff);
	assert_int_equal(qnx_create(g, "crowded", 1), GSS_CLIENT_MAX);
	assert_int_equal(qnx_find(g, "crowded"), GSS_CLIENT_MAX);
	/* One leaves: there is room again, in the slot it left. */
	shm_host_close(&f->h, h[4]);
	assert_int_equal(qnx_find(g, "crowded"), GSS_OK);
	assert_int_equal(ctl_read(g, qnx_shmem(g), C_IDX), 4);
	assert_int_equal(qnx_shmem(g), WIN + CONN_SIZE);
}

static void never_ready(void *dev, int fd)
{
	(void)dev;
	(void)fd;
	fail_msg("a filler watch fired");
}

/*
 * The host's event loop has no room left to watch a connection's
 * doorbell: the connection is refused, not made deaf to rings.
 */
static void test_no_watch_no_connection(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	int efd = eventfd(0, EFD_CLOEXEC), n = 0;

	assert_true(efd >= 0);
	/* Leave one watch free: the doorbell gets it, the socket not. */
	while (env_watch_fd(g->env, efd, never_ready, NULL) == 0)
		n++;
	env_unwatch_fd(g->env, efd);
	assert_true(n >= 1);
	for (int i = 0; i < n - 1; i++)
		assert_int_equal(env_watch_fd(g->env, efd, never_ready, NULL),
				 0);
	assert_int_equal(qnx_create(g, "deaf", 1), GSS_UNKNOWN_FAILURE);
	assert_int_equal(g->env->map_calls, 0);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* And the watch it took is given back. */
	assert_int_equal(env_watch_fd(g->env, efd, never_ready, NULL), 0);
	env_unwatch_fd(g->env, efd);
	close(efd);
}

/* --- the control page --- */

static void test_notify(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h1, *h2;
	u64 ctl;

	h1 = shm_host_open(&f->h, "bells", PAGE, SHM_CREATE); /* peer 0 */
	assert_int_equal(qnx_create(g, "bells", 1), GSS_OK); /* peer 1 */
	h2 = shm_host_open(&f->h, "bells", PAGE, SHM_EXIST); /* peer 2 */
	ctl = qnx_shmem(g);
	assert_int_equal(ctl_read(g, ctl, C_IDX), 1);
	assert_int_equal(ctl_read(g, ctl, C_STATUS) >> 16, 0x7);

	/* One peer: only it is rung, and it knows by whom. */
	ctl_write(g, ctl, C_NOTIFY, 1u << 2);
	assert_int_equal(shm_take_pending(h2), 1u << 1);
	assert_int_equal(shm_take_pending(h1), 0);
	/* A bitset. */
	ctl_write(g, ctl, C_NOTIFY, 0x5);
	assert_int_equal(shm_take_pending(h1), 1u << 1);
	assert_int_equal(shm_take_pending(h2), 1u << 1);
	/* ~0: every other attached peer. */
	ctl_write(g, ctl, C_NOTIFY, ~0u);
	assert_int_equal(shm_take_pending(h1), 1u << 1);
	assert_int_equal(shm_take_pending(h2), 1u << 1);
	/* Ourselves, free slots and bits above 15: nobody. */
	ctl_write(g, ctl, C_NOTIFY, (1u << 1) | (1u << 9) | 0xffff0000u);
	assert_int_equal(shm_take_pending(h1), 0);
	assert_int_equal(shm_take_pending(h2), 0);
	pump(g);
	assert_int_equal(ctl_read(g, ctl, C_STATUS) & 0xffff, 0);
	/* notify reads as 0 and does not ring. */
	assert_int_equal(ctl_read(g, ctl, C_NOTIFY), 0);
	assert_int_equal(shm_take_pending(h1), 0);
	/* A peer that left is not rung, and nothing waits for it. */
	shm_host_close(&f->h, h1);
	ctl_write(g, ctl, C_NOTIFY, 0x1 | 0x4);
	assert_int_equal(shm_take_pending(h2), 1u << 1);
}

static void test_rung_by_host(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h1, *h2;
	int lowers;
	u64 ctl;

	assert_int_equal(qnx_create(g, "ringme", 1), GSS_OK); /* peer 0 */
	ctl = qnx_shmem(g);
	h1 = shm_host_open(&f->h, "ringme", 0, SHM_EXIST); /* peer 1 */
	h2 = shm_host_open(&f->h, "ringme", 0, SHM_EXIST); /* peer 2 */
	pump(g);
	ctl_read(g, ctl, C_STATUS); /* the attach changes, seen */
	assert_int_equal(intx_level(g), 0);

	assert_int_equal(shm_ring(h2, 0), 0);
	assert_int_equal(intx_level(g), 0); /* nothing until the loop runs */
	pump(g);
	assert_int_equal(intx_level(g), 1);
	assert_true(cfg_read(g, 0x06, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(shm_ring(h1, 0), 0);
	pump(g);
	assert_int_equal(intx_level(g), 1);
	/* Who rang, and who is attached; the read clears and lowers INTx. */
	lowers = g->env->irq[intx_gsi(g)].lowers;
	assert_int_equal(ctl_read(g, ctl, C_STATUS), 0x7 << 16 | 0x6);
	assert_int_equal(intx_level(g), 0);
	assert_int_equal(g->env->irq[intx_gsi(g)].lowers, lowers + 1);
	assert_false(cfg_read(g, 0x06, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(ctl_read(g, ctl, C_STATUS), 0x7 << 16);
	/* A ring the guest reads before the loop saw it: no stale INTx. */
	assert_int_equal(shm_ring(h1, 0), 0);
	assert_int_equal(ctl_read(g, ctl, C_STATUS), 0x7 << 16 | 0x2);
	pump(g);
	assert_int_equal(intx_level(g), 0);
	/* Command.INTX_DISABLE holds the line, not the bits. */
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(shm_ring(h2, 0), 0);
	pump(g);
	assert_int_equal(intx_level(g), 0);
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(ctl_read(g, ctl, C_STATUS) & 0xffff, 0x4);
	assert_int_equal(intx_level(g), 0);
}

/* Two connections: INTx stays up until both are read. */
static void test_intx_two_connections(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h1, *h2;
	u64 c1, c2;

	assert_int_equal(qnx_create(g, "one", 1), GSS_OK);
	c1 = qnx_shmem(g);
	assert_int_equal(qnx_create(g, "two", 1), GSS_OK);
	c2 = qnx_shmem(g);
	h1 = shm_host_open(&f->h, "one", 0, SHM_EXIST);
	h2 = shm_host_open(&f->h, "two", 0, SHM_EXIST);
	pump(g);
	ctl_read(g, c1, C_STATUS);
	ctl_read(g, c2, C_STATUS);
	assert_int_equal(intx_level(g), 0);

	assert_int_equal(shm_ring(h1, 0), 0);
	assert_int_equal(shm_ring(h2, 0), 0);
	pump(g);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(ctl_read(g, c2, C_STATUS), 0x3 << 16 | 0x2);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(ctl_read(g, c1, C_STATUS), 0x3 << 16 | 0x2);
	assert_int_equal(intx_level(g), 0);
}

/* Attach and detach of another peer interrupt us with the new set. */
static void test_attach_detach_interrupt(void **state)
{
	struct fixture *f = *state;
	struct guest *a = &f->a, *b = &f->b;
	struct shm_region *h;
	u64 ctl_a, ctl_b;

	guest_start(b, "model=qnx", "b");
	assert_int_equal(qnx_create(a, "devshare", 1), GSS_OK);
	ctl_a = qnx_shmem(a);
	pump(a);
	assert_int_equal(intx_level(a), 0);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x1 << 16);

	/* A host program attaches. */
	h = shm_host_open(&f->h, "devshare", 0, SHM_EXIST);
	pump(a);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x3 << 16);
	assert_int_equal(intx_level(a), 0);
	/* Another guest attaches. */
	assert_int_equal(qnx_create(b, "devshare", 1), GSS_OK);
	ctl_b = qnx_shmem(b);
	pump(a);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x7 << 16);
	/* The host program leaves: both guests hear of it. */
	pump(b);
	ctl_read(b, ctl_b, C_STATUS);
	shm_host_close(&f->h, h);
	pump(a);
	pump(b);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(intx_level(b), 1);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x5 << 16);
	assert_int_equal(ctl_read(b, ctl_b, C_STATUS), 0x5 << 16);
	/* The other guest detaches. */
	ctl_write(b, ctl_b, C_DETACH, 1);
	pump(a);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x1 << 16);
	assert_int_equal(intx_level(a), 0);
	/* Its guest stops, with nothing left attached: no news for us. */
	guest_stop(b);
	pump(a);
	assert_int_equal(intx_level(a), 0);
}

/* Guest to guest: one notifies, the other takes the interrupt. */
static void test_guest_to_guest(void **state)
{
	struct fixture *f = *state;
	struct guest *a = &f->a, *b = &f->b;
	u64 ctl_a, ctl_b;

	guest_start(b, "model=qnx", "b");
	assert_int_equal(qnx_create(a, "devshare", 1), GSS_OK);
	ctl_a = qnx_shmem(a);
	assert_int_equal(qnx_create(b, "devshare", 1), GSS_OK);
	ctl_b = qnx_shmem(b);
	pump(a);
	ctl_read(a, ctl_a, C_STATUS);
	strcpy((char *)qnx_data(a, ctl_a), "ping");
	ctl_write(a, ctl_a, C_NOTIFY, 1u << ctl_read(b, ctl_b, C_IDX));
	pump(b);
	assert_int_equal(intx_level(b), 1);
	assert_int_equal(ctl_read(b, ctl_b, C_STATUS), 0x3 << 16 | 0x1);
	assert_string_equal((char *)qnx_data(b, ctl_b), "ping");
	ctl_write(b, ctl_b, C_NOTIFY, ~0u);
	pump(a);
	assert_int_equal(intx_level(a), 1);
	assert_int_equal(ctl_read(a, ctl_a, C_STATUS), 0x3 << 16 | 0x2);
}

static void test_detach(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h;
	u64 ctl;

	assert_int_equal(qnx_create(g, "gone", 2), GSS_OK);
	ctl = qnx_shmem(g);
	h = shm_host_open(&f->h, "gone", 0, SHM_EXIST);
	pump(g);
	ctl_write(g, ctl, C_DETACH, 0);
	/* The data is no longer the guest's, the control page reads ones. */
	assert_null(fake_env_find_map(g->env, ctl + PAGE));
	assert_int_equal(ctl_read(g, ctl, C_STATUS), 0xffffffff);
	assert_int_equal(ctl_read(g, ctl, C_IDX), 0xffffffff);
	assert_int_equal(fake_read(g->env, BUS_MMIO, ctl + C_STATUS, 8), ~0ULL);
	assert_int_equal(fake_read(g->env, BUS_MMIO, ctl + PAGE, 4),
			 0xffffffff);
	/* An unread attach change went with it. */
	assert_int_equal(intx_level(g), 0);
	/* Writes to it do nothing: no ring, no second detach. */
	ctl_write(g, ctl, C_NOTIFY, ~0u);
	ctl_write(g, ctl, C_DETACH, 0);
	assert_int_equal(shm_take_pending(h), 0);
	assert_int_equal(shm_peers(h), 1u << shm_peer_id(h));
	/* The host program is the last: leaving removes the files. */
	shm_host_close(&f->h, h);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* The slot is free for the next connection. */
	assert_int_equal(qnx_create(g, "again", 1), GSS_OK);
	assert_int_equal(qnx_shmem(g), ctl);
	assert_int_equal(ctl_read(g, ctl, C_IDX), 0);
	ctl_write(g, ctl, C_DETACH, 0);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

static void test_wrong_width(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h;
	int maps;
	u64 ctl;

	assert_int_equal(qnx_find(g, "missing"), GSS_DOES_NOT_EXIST);
	factory_name(g, "narrow");
	/* size and find are 32-bit registers: other widths do nothing. */
	factory_write(g, F_SIZE, 2, 1);
	factory_write(g, F_SIZE, 1, 1);
	factory_write(g, F_SIZE, 8, 1);
	factory_write(g, F_FIND, 2, 1);
	factory_write(g, F_FIND, 1, 1);
	factory_write(g, F_SIZE + 2, 4, 1); /* misaligned */
	assert_int_equal(factory_read(g, F_STATUS, 4), GSS_DOES_NOT_EXIST);
	assert_int_equal(g->env->map_calls, 0);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
	/* An 8-byte write across the end of the name does not reach it. */
	factory_write(g, F_NAME + 28, 8, 0);
	assert_int_equal(factory_read(g, F_NAME, 4), 0x7272616e); /* "narr" */
	/* Beyond the registers: reads 0, writes go nowhere. */
	assert_int_equal(factory_read(g, 0x40, 4), 0);
	assert_int_equal(factory_read(g, 0xffc, 4), 0);
	factory_write(g, 0x800, 4, 1);

	assert_int_equal(qnx_create(g, "narrow", 1), GSS_OK);
	ctl = qnx_shmem(g);
	h = shm_host_open(&f->h, "narrow", 0, SHM_EXIST);
	pump(g);
	ctl_read(g, ctl, C_STATUS);
	maps = g->env->map_calls;
	/* The control registers are 32-bit too. */
	fake_write(g->env, BUS_MMIO, ctl + C_NOTIFY, 2, 0x2);
	fake_write(g->env, BUS_MMIO, ctl + C_NOTIFY, 8, 0x2);
	assert_int_equal(shm_take_pending(h), 0);
	fake_write(g->env, BUS_MMIO, ctl + C_DETACH, 1, 0);
	fake_write(g->env, BUS_MMIO, ctl + C_DETACH, 8, 0);
	assert_non_null(fake_env_find_map(g->env, ctl + PAGE));
	assert_int_equal(g->env->unmap_calls, 0);
	/* A narrow read of status neither clears it nor lowers INTx. */
	assert_int_equal(shm_ring(h, 0), 0);
	pump(g);
	assert_int_equal(intx_level(g), 1);
	fake_read(g->env, BUS_MMIO, ctl + C_STATUS, 2);
	fake_read(g->env, BUS_MMIO, ctl + C_STATUS, 1);
	fake_read(g->env, BUS_MMIO, ctl + C_STATUS, 8);
	assert_int_equal(intx_level(g), 1);
	assert_int_equal(ctl_read(g, ctl, C_STATUS), 0x3 << 16 | 0x2);
	/* Elsewhere in the control page: reads 0, writes ignored. */
	assert_int_equal(ctl_read(g, ctl, 0x10), 0);
	assert_int_equal(ctl_read(g, ctl, 0xffc), 0);
	ctl_write(g, ctl, 0x10, ~0u);
	assert_int_equal(ctl_read(g, ctl, C_IDX), 0);
	assert_int_equal(g->env->map_calls, maps);
}

/* --- the BAR2 window --- */

static void test_bar2_moves(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	u8 *data;

	assert_int_equal(qnx_create(g, "first", 1), GSS_OK);
	assert_int_equal(qnx_create(g, "second", 2), GSS_OK);
	data = qnx_data(g, WIN + CONN_SIZE);
	strcpy((char *)data, "kept");

	/* The OS moves the BAR with decoding on. */
	bar2_set(g, WIN_MOVED);
	assert_null(fake_env_find_map(g->env, WIN + PAGE));
	assert_null(fake_env_find_map(g->env, WIN + CONN_SIZE + PAGE));
	assert_int_equal(fake_env_find_map(g->env, WIN_MOVED + PAGE)->len,
			 PAGE);
	assert_int_equal(
		fake_env_find_map(g->env, WIN_MOVED + CONN_SIZE + PAGE)->len,
		2 * PAGE);
	assert_ptr_equal(qnx_data(g, WIN_MOVED + CONN_SIZE), data);
	assert_string_equal((char *)data, "kept");
	/* The control pages follow, and `shmem` tells where they are now. */
	assert_int_equal(ctl_read(g, WIN_MOVED + CONN_SIZE, C_IDX), 0);
	assert_int_equal(ctl_read(g, WIN + CONN_SIZE, C_IDX), 0xffffffff);
	assert_int_equal(qnx_shmem(g), WIN_MOVED + CONN_SIZE);

	/* Decoding off: no memslots; on: back where the BAR is. */
	cfg_write(g, 0x04, 2, 0);
	assert_null(fake_env_find_map(g->env, WIN_MOVED + PAGE));
	assert_null(fake_env_find_map(g->env, WIN_MOVED + CONN_SIZE + PAGE));
	cfg_write(g, 0x04, 2, PCI_COMMAND_MEMORY);
	assert_ptr_equal(qnx_data(g, WIN_MOVED + CONN_SIZE), data);
	assert_non_null(fake_env_find_map(g->env, WIN_MOVED + PAGE));

	/* A connection made while BAR2 is unassigned is mapped once it is. */
	bar2_set(g, 0);
	assert_int_equal(qnx_create(g, "third", 1), GSS_OK);
	for (int i = 0; i < FAKE_MAPS; i++)
		assert_int_equal(g->env->maps[i].len, 0);
	bar2_set(g, WIN);
	assert_non_null(fake_env_find_map(g->env, WIN + 2 * CONN_SIZE + PAGE));
	assert_int_equal(qnx_shmem(g), WIN + 2 * CONN_SIZE);
	assert_ptr_equal(qnx_data(g, WIN + CONN_SIZE), data);
}

/* --- configuration --- */

/* `name=,size=` makes the region at start; the guest finds it. */
static void test_precreated(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->b;
	struct shm_region *h;

	guest_start(g, "model=qnx,name=pre,size=8K", "b");
	h = shm_host_open(&f->h, "pre", 0, SHM_EXIST);
	assert_int_equal(shm_size(h), 2 * PAGE);
	assert_int_equal(shm_peers(h), 0x3);
	assert_int_equal(qnx_find(g, "pre"), GSS_OK);
	assert_int_equal(factory_read(g, F_SIZE, 4), 2);
	shm_host_close(&f->h, h);
	guest_stop(g);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

/* The guest's `lifecycle` is its own: lifecycle-<VM name> on the host. */
static void test_lifecycle_name(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->a;
	struct shm_region *h;

	assert_int_equal(qnx_create(g, "lifecycle", 1), GSS_OK);
	strcpy((char *)qnx_data(g, qnx_shmem(g)), "VLCY");
	h = shm_host_open(&f->h, "lifecycle-web1", 0, SHM_EXIST);
	assert_string_equal(shm_data(h), "VLCY");
}

static int config_error(const char *opt)
{
	const char *opts[] = { opt, NULL };
	struct dev_env *env = fake_env_new(1 << 20, opts);
	struct pci_bus *bus;
	void *dev = (void *)1;
	int ret;

	assert_int_equal(pci_bus_create(env, &bus), 0);
	env->pci = bus;
	ret = dev_shmem_qnx.create(env, &dev);
	assert_null(dev);
	pci_bus_destroy(bus);
	fake_env_free(env);
	return ret;
}

static void test_config_errors(void **state)
{
	static const char *const bad[] = {
		"shmem model=qnx,name=bad/name",
		"shmem model=qnx,name=.hidden",
		"shmem model=qnx,name=abcdefghijklmnopqrstuvwxyz0123456789",
		"shmem model=qnx,name=x,size=0",
		"shmem model=qnx,name=x,size=2G",
		"shmem model=qnx,name=x,size=lots",
	};
	struct fixture *f = *state;
	char opt[400];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(config_error(bad[i]), -EINVAL);
	/* A pattern list longer than the device keeps. */
	snprintf(opt, sizeof(opt), "shmem model=qnx,allow=%0300d", 0);
	assert_int_equal(config_error(opt), -EINVAL);
	assert_int_equal(fake_dir_entries(f->h.dir), 0);
}

static void test_not_configured(void **state)
{
	static const char *const opts_ivshmem[] = {
		"shmem model=ivshmem,name=x", NULL
	};
	struct dev_env *env;
	void *dev = (void *)1;

	(void)state;
	env = fake_env_new(1 << 20, NULL);
	assert_int_equal(dev_shmem_qnx.create(env, &dev), 0);
	assert_null(dev);
	fake_env_free(env);
	env = fake_env_new(1 << 20, opts_ivshmem);
	dev = (void *)1;
	assert_int_equal(dev_shmem_qnx.create(env, &dev), 0);
	assert_null(dev);
	fake_env_free(env);
}

#define T(fn, su) cmocka_unit_test_setup_teardown(fn, su, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity, setup),
		T(test_factory_reads, setup),
		T(test_create, setup),
		T(test_second_guest_attaches, setup),
		T(test_find, setup),
		T(test_illegal_names, setup),
		T(test_allow_deny, setup_acl),
		T(test_deny_only, setup_deny),
		T(test_nomem, setup),
		T(test_client_max, setup),
		T(test_no_watch_no_connection, setup),
		T(test_notify, setup),
		T(test_rung_by_host, setup),
		T(test_intx_two_connections, setup),
		T(test_attach_detach_interrupt, setup),
		T(test_guest_to_guest, setup),
		T(test_detach, setup),
		T(test_wrong_width, setup),
		T(test_bar2_moves, setup),
		T(test_precreated, setup),
		T(test_lifecycle_name, setup_named),
		T(test_config_errors, setup),
		T(test_not_configured, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
