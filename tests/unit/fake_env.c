// SPDX-License-Identifier: Apache-2.0
#include "fake_env.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

struct dev_env *fake_env_new(u64 ram_size, const char *const *opts)
{
	struct dev_env *env = calloc(1, sizeof(*env));
	char err[256], key[64];

	assert_non_null(env);
	env->ram = calloc(1, ram_size);
	assert_non_null(env->ram);
	gmem_init(&env->gm, env->ram, ram_size);
	bus_init(&env->pio);
	bus_init(&env->mmio);
	for (int i = 0; i < FAKE_IRQFDS; i++)
		env->irqfds[i].efd = -1;
	for (; opts && *opts; opts++) {
		const char *sp = strchr(*opts, ' ');
		size_t n = sp ? (size_t)(sp - *opts) : strlen(*opts);

		assert_true(n < sizeof(key));
		memcpy(key, *opts, n);
		key[n] = '\0';
		if (conf_set(&env->conf, key, sp ? sp + 1 : "", "test", err,
			     sizeof(err)))
			fail_msg("fake_env option '%s': %s", *opts, err);
	}
	return env;
}

void fake_env_free(struct dev_env *env)
{
	bus_free(&env->pio);
	bus_free(&env->mmio);
	conf_free(&env->conf);
	free(env->ram);
	free(env);
}

static struct bus *fake_bus(struct dev_env *env, enum bus_space sp)
{
	return sp == BUS_PIO ? &env->pio : &env->mmio;
}

u64 fake_read(struct dev_env *env, enum bus_space sp, u64 addr, u8 size)
{
	struct io_access a = { .size = size, .write = false };

	bus_access(fake_bus(env, sp), addr, &a);
	return a.val;
}

/* KVM's ioeventfd_in_range(): address, length (0: any) and value. */
static bool fake_ioeventfd_hit(const struct fake_ioeventfd *e,
			       enum bus_space sp, u64 addr, u8 size, u64 val)
{
	u64 mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;

	if (!e->used || e->sp != sp || e->addr != addr)
		return false;
	if (e->size && e->size != size)
		return false;
	return !e->match || (val & mask) == e->datamatch;
}

void fake_write(struct dev_env *env, enum bus_space sp, u64 addr, u8 size,
		u64 val)
{
	struct io_access a = { .size = size, .write = true, .val = val };
	u64 one = 1;
	int i;

	for (i = 0; i < FAKE_IOEVENTFDS; i++) {
		if (!fake_ioeventfd_hit(&env->ioeventfds[i], sp, addr, size,
					val))
			continue;
		assert_int_equal(
			write(env->ioeventfds[i].efd, &one, sizeof(one)),
			sizeof(one));
		env->ioeventfd_hits++;
		return;
	}
	bus_access(fake_bus(env, sp), addr, &a);
}

static u32 fake_conf1(u32 slot, u32 reg)
{
	return 0x80000000u | slot << 11 | (reg & 0xfc);
}

u32 fake_cfg_read(struct dev_env *env, u32 slot, u32 reg, u8 size)
{
	fake_write(env, BUS_PIO, 0xcf8, 4, fake_conf1(slot, reg));
	return fake_read(env, BUS_PIO, 0xcfc + (reg & 3), size);
}

void fake_cfg_write(struct dev_env *env, u32 slot, u32 reg, u8 size, u32 v)
{
	fake_write(env, BUS_PIO, 0xcf8, 4, fake_conf1(slot, reg));
	fake_write(env, BUS_PIO, 0xcfc + (reg & 3), size, v);
}

int fake_fd_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int fake_dir_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		print_message("left in %s: %s\n", dir, de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

void fake_env_advance(struct dev_env *env, u64 ns)
{
	struct dev_timer **pp;

	env->now_ns += ns;
	/* Restart after each fire: a callback may re-arm or cancel. */
	for (pp = &env->timers; *pp;) {
		struct dev_timer *t = *pp;

		if (t->deadline_ns > env->now_ns) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		t->deadline_ns = 0;
		t->fire(t->dev);
		pp = &env->timers;
	}
}

int fake_env_poll(struct dev_env *env)
{
	int i, fired = 0;

	for (i = 0; i < FAKE_FDS; i++) {
		struct pollfd p = { .fd = env->watch[i].fd, .events = POLLIN };

		if (!env->watch[i].ready || poll(&p, 1, 0) <= 0)
			continue;
		env->watch[i].ready(env->watch[i].dev, env->watch[i].fd);
		fired++;
	}
	return fired;
}

void *fake_dev_create(struct dev_env *env, const struct dev_type *type)
{
	void *dev = NULL;

	assert_int_equal(type->create(env, &dev), 0);
	return dev;
}

/* --- the env_*() contract of dev.h --- */

const struct conf *env_conf(struct dev_env *env)
{
	return &env->conf;
}

int env_bus_add(struct dev_env *env, enum bus_space space, u64 base, u64 len,
		io_handler fn, void *dev)
{
	return bus_add(fake_bus(env, space), base, len, fn, dev);
}

int env_bus_del(struct dev_env *env, enum bus_space space, u64 base)
{
	return bus_del(fake_bus(env, space), base);
}

void env_irq_set(struct dev_env *env, u32 gsi, int level)
{
	struct fake_irq *irq;

	assert_true(gsi < FAKE_GSIS);
	irq = &env->irq[gsi];
	level = !!level;
	if (level && !irq->level)
		irq->raises++;
	if (!level && irq->level)
		irq->lowers++;
	irq->level = level;
}

int env_msi_send(struct dev_env *env, u64 addr, u32 data)
{
	if (env->nr_msi == FAKE_MSIS)
		return -ENOSPC;
	env->msi[env->nr_msi].addr = addr;
	env->msi[env->nr_msi].data = data;
	env->nr_msi++;
	return 0;
}

static bool fake_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* The checks of vm.c's kvmio_map_ram(), on the fake's tables. */
int env_map_ram(struct dev_env *env, u64 gpa, u64 len, void *hva)
{
	int i, free_slot = -1;

	env->map_calls++;
	if (!len || (gpa | len | (uintptr_t)hva) & 4095 || gpa + len < gpa)
		return -EINVAL;
	for (i = 0; i < env->gm.nr; i++)
		if (fake_overlap(gpa, len, env->gm.r[i].gpa, env->gm.r[i].size))
			return -EEXIST;
	for (i = FAKE_MAPS - 1; i >= 0; i--) {
		struct fake_map *m = &env->maps[i];

		if (!m->len)
			free_slot = i;
		else if (fake_overlap(gpa, len, m->gpa, m->len))
			return -EEXIST;
	}
	if (free_slot < 0)
		return -ENOSPC;
	env->maps[free_slot] = (struct fake_map){ gpa, len, hva };
	return 0;
}

int env_unmap_ram(struct dev_env *env, u64 gpa)
{
	struct fake_map *m = (struct fake_map *)fake_env_find_map(env, gpa);

	env->unmap_calls++;
	if (!m)
		return -ENOENT;
	m->len = 0;
	return 0;
}

const struct fake_map *fake_env_find_map(struct dev_env *env, u64 gpa)
{
	int i;

	for (i = 0; i < FAKE_MAPS; i++)
		if (env->maps[i].len && env->maps[i].gpa == gpa)
			return &env->maps[i];
	return NULL;
}

/* Index of @gsi in routes[] (a free one for -1), or -errno. */
static int fake_route_index(struct dev_env *env, int gsi)
{
	int i;

	if (gsi == -1) {
		for (i = 0; i < FAKE_ROUTES; i++)
			if (!env->routes[i].used)
				return i;
		return -ENOSPC;
	}
	if (gsi < FAKE_FIRST_MSI_GSI || gsi >= FAKE_FIRST_MSI_GSI + FAKE_ROUTES)
		return -EINVAL;
	i = gsi - FAKE_FIRST_MSI_GSI;
	return env->routes[i].used ? i : -ENOENT;
}

int env_msi_route(struct dev_env *env, int gsi, u64 addr, u32 data)
{
	int i = fake_route_index(env, gsi);

	env->route_calls++;
	if (i < 0)
		return i;
	env->routes[i] = (struct fake_route){ true, addr, data };
	return FAKE_FIRST_MSI_GSI + i;
}

void env_msi_unroute(struct dev_env *env, int gsi)
{
	int i = fake_route_index(env, gsi);

	env->unroute_calls++;
	if (i >= 0)
		env->routes[i].used = false;
}

/* KVM: one irqfd per eventfd (-EBUSY); deassigning a stranger is not an error. */
int env_irqfd(struct dev_env *env, int efd, int gsi, bool assign)
{
	int i, free_slot = -1;

	if (efd < 0 || gsi < 0)
		return -EINVAL;
	for (i = FAKE_IRQFDS - 1; i >= 0; i--) {
		struct fake_irqfd *f = &env->irqfds[i];

		if (f->efd < 0) {
			free_slot = i;
		} else if (f->efd == efd) {
			if (assign)
				return -EBUSY;
			if (f->gsi == gsi)
				f->efd = -1;
		}
	}
	if (!assign)
		return 0;
	if (free_slot < 0)
		return -ENOSPC;
	env->irqfds[free_slot] = (struct fake_irqfd){ efd, gsi };
	return 0;
}

int fake_env_irqfd_gsi(struct dev_env *env, int efd)
{
	int i;

	for (i = 0; i < FAKE_IRQFDS; i++)
		if (env->irqfds[i].efd >= 0 && env->irqfds[i].efd == efd)
			return env->irqfds[i].gsi;
	return -1;
}

int fake_env_fire_irqfds(struct dev_env *env)
{
	int i, fired = 0;
	u64 v;

	for (i = 0; i < FAKE_IRQFDS; i++) {
		struct fake_irqfd *f = &env->irqfds[i];
		struct pollfd p = { .fd = f->efd, .events = POLLIN };
		int r;

		if (f->efd < 0 || poll(&p, 1, 0) <= 0)
			continue;
		assert_int_equal(read(f->efd, &v, sizeof(v)), sizeof(v));
		fired++;
		if (f->gsi < FAKE_GSIS) {
			env_irq_set(env, f->gsi, 1);
			env_irq_set(env, f->gsi, 0);
			continue;
		}
		r = fake_route_index(env, f->gsi);
		if (r >= 0)
			env_msi_send(env, env->routes[r].addr,
				     env->routes[r].data);
	}
	return fired;
}

/* KVM's checks: sizes, any-size only for MMIO without a value, collisions. */
static bool fake_ioeventfd_valid(enum bus_space sp, u8 size, bool match)
{
	if (size != 0 && size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return size || (sp == BUS_MMIO && !match);
}

static bool fake_ioeventfd_same(const struct fake_ioeventfd *e,
				enum bus_space sp, u64 addr, u8 size,
				bool match, u64 datamatch)
{
	return e->used && e->sp == sp && e->addr == addr && e->size == size &&
	       (!e->match || !match || e->datamatch == datamatch);
}

int env_ioeventfd(struct dev_env *env, enum bus_space sp, u64 addr, u8 size,
		  bool match, u64 datamatch, int efd, bool assign)
{
	int i, free_slot = -1;

	if (efd < 0 || !fake_ioeventfd_valid(sp, size, match))
		return -EINVAL;
	for (i = FAKE_IOEVENTFDS - 1; i >= 0; i--) {
		struct fake_ioeventfd *e = &env->ioeventfds[i];

		if (!e->used) {
			free_slot = i;
			continue;
		}
		if (!fake_ioeventfd_same(e, sp, addr, size, match, datamatch))
			continue;
		if (assign)
			return -EEXIST;
		if (e->efd == efd && e->match == match) {
			e->used = false;
			return 0;
		}
	}
	if (!assign)
		return -ENOENT;
	if (free_slot < 0)
		return -ENOSPC;
	env->ioeventfds[free_slot] = (struct fake_ioeventfd){
		true, sp, addr, size, match, match ? datamatch : 0, efd
	};
	return 0;
}

void *env_gmem_ptr(struct dev_env *env, u64 gpa, u64 len)
{
	return gmem_ptr(&env->gm, gpa, len);
}

void env_request_stop(struct dev_env *env, enum stop_reason why, const char *by)
{
	if (env->stop == STOP_NONE) {
		env->stop = why;
		snprintf(env->stop_by, sizeof(env->stop_by), "%s", by);
	}
	env->stop_requests++;
}

void env_event(struct dev_env *env, const char *type, const char *key,
	       const char *value)
{
	struct fake_event *e;

	if (env->nr_events == FAKE_EVENTS)
		return;
	e = &env->events[env->nr_events++];
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	snprintf(e->value, sizeof(e->value), "%s", value ? value : "");
}

void env_event_fields(struct dev_env *env, const char *type,
		      const struct env_field *f, int n)
{
	struct fake_event *e;
	size_t len = 0;
	int i;

	if (env->nr_events == FAKE_EVENTS)
		return;
	env_event(env, type, NULL, NULL);
	e = &env->events[env->nr_events - 1];
	for (i = 0; i < n && len < sizeof(e->fields); i++) {
		if (f[i].str && !e->key[0]) {
			snprintf(e->key, sizeof(e->key), "%s", f[i].key);
			snprintf(e->value, sizeof(e->value), "%s", f[i].str);
		}
		if (f[i].str)
			len += snprintf(e->fields + len,
					sizeof(e->fields) - len, "%s=%s ",
					f[i].key, f[i].str);
		else
			len += snprintf(e->fields + len,
					sizeof(e->fields) - len, "%s=%.6f ",
					f[i].key, f[i].num);
	}
}

const struct fake_event *fake_env_last_event(struct dev_env *env,
					     const char *type)
{
	int i;

	for (i = env->nr_events - 1; i >= 0; i--)
		if (!strcmp(env->events[i].type, type))
			return &env->events[i];
	return NULL;
}

double fake_event_num(const struct fake_event *e, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = e->fields; (p = strstr(p, pat)); p++)
		if (p == e->fields || p[-1] == ' ')
			return strtod(p + strlen(pat), NULL);
	return -1;
}

void env_power_button(struct dev_env *env, const char *by)
{
	(void)by;
	env->presses++;
}

void env_pause(struct dev_env *env, const char *by)
{
	env->pauses++;
	snprintf(env->pause_by, sizeof(env->pause_by), "%s", by);
}

int env_nmi(struct dev_env *env)
{
	env->nmis++;
	return 0;
}

int fake_env_count_events(struct dev_env *env, const char *type)
{
	int i, n = 0;

	for (i = 0; i < env->nr_events; i++)
		n += !strcmp(env->events[i].type, type);
	return n;
}

int env_watch_fd(struct dev_env *env, int fd, void (*ready)(void *dev, int fd),
		 void *dev)
{
	int i;

	for (i = 0; i < FAKE_FDS; i++) {
		if (env->watch[i].ready)
			continue;
		env->watch[i] = (struct fake_watch){ fd, ready, dev };
		return 0;
	}
	return -ENOSPC;
}

void env_unwatch_fd(struct dev_env *env, int fd)
{
	int i;

	for (i = 0; i < FAKE_FDS; i++)
		if (env->watch[i].ready && env->watch[i].fd == fd)
			env->watch[i].ready = NULL;
}

void env_timer_cancel(struct dev_env *env, struct dev_timer *t)
{
	struct dev_timer **pp;

	for (pp = &env->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->deadline_ns = 0;
}

void env_timer_arm(struct dev_env *env, struct dev_timer *t, u64 delay_ns)
{
	env_timer_cancel(env, t);
	t->deadline_ns = env->now_ns + delay_ns;
	if (!t->deadline_ns)
		t->deadline_ns = 1;
	t->next = env->timers;
	env->timers = t;
}

void env_timer_arm_at(struct dev_env *env, struct dev_timer *t, u64 deadline_ns)
{
	env_timer_arm(env, t, 0);
	t->deadline_ns = deadline_ns ? deadline_ns : 1;
}

u64 env_now_ns(struct dev_env *env)
{
	return env->now_ns;
}

struct pci_bus *env_pci_bus(struct dev_env *env)
{
	return env->pci;
}
