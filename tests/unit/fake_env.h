/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_FAKE_ENV_H
#define VESSEL_FAKE_ENV_H

/*
 * The device environment for unit tests: real buses (bus.c) and config
 * (conf.c), malloc'd guest RAM, an IRQ-edge recorder, a settable clock
 * with manually fired timers, and recorded stop requests and MSIs.
 */

#include "../../src/common/conf.h"
#include "../../src/vmm/bus.h"
#include "../../src/vmm/dev/dev.h"
#include "../../src/vmm/gmem.h"

#define FAKE_GSIS 24
#define FAKE_FDS 8
#define FAKE_MSIS 64

struct fake_irq {
	int level;
	int raises; /* 0 -> 1 transitions */
	int lowers; /* 1 -> 0 transitions */
};

#define FAKE_EVENTS 64

struct fake_event {
	char type[48], key[32], value[64];
	char fields[192]; /* env_event_fields(): "k=v k=v", numbers %.6f */
};

/* env_map_ram() mappings, env_msi_route() routes, irqfds, ioeventfds. */
#define FAKE_MAPS 8
#define FAKE_FIRST_MSI_GSI 24
#define FAKE_ROUTES 32
#define FAKE_IRQFDS 16
#define FAKE_IOEVENTFDS 16

struct fake_map {
	u64 gpa, len; /* len 0: free */
	void *hva;
};

struct fake_route {
	bool used;
	u64 addr;
	u32 data;
};

struct fake_irqfd {
	int efd, gsi; /* efd -1: free */
};

struct fake_ioeventfd {
	bool used;
	enum bus_space sp;
	u64 addr;
	u8 size;
	bool match;
	u64 datamatch;
	int efd;
};

struct fake_watch {
	int fd;
	void (*ready)(void *dev, int fd);
	void *dev;
};

struct dev_env {
	struct conf conf;
	struct gmem gm;
	u8 *ram;
	struct bus pio, mmio;
	struct fake_irq irq[FAKE_GSIS];
	enum stop_reason stop;
	char stop_by[32]; /* mechanism of the first stop request */
	int stop_requests;
	struct fake_event events[FAKE_EVENTS];
	int nr_events;
	u64 now_ns;
	struct dev_timer *timers;
	struct fake_watch watch[FAKE_FDS];
	struct {
		u64 addr;
		u32 data;
	} msi[FAKE_MSIS];
	int nr_msi;
	int presses; /* env_power_button() */
	int pauses; /* env_pause() */
	char pause_by[32];
	int nmis; /* env_nmi() */
	struct pci_bus *pci;
	struct fake_map maps[FAKE_MAPS];
	int map_calls, unmap_calls;
	struct fake_route routes[FAKE_ROUTES]; /* [i] is GSI 24 + i */
	int route_calls, unroute_calls;
	struct fake_irqfd irqfds[FAKE_IRQFDS];
	struct fake_ioeventfd ioeventfds[FAKE_IOEVENTFDS];
	int ioeventfd_hits; /* guest writes that signalled an ioeventfd */
};

/*
 * A new environment with @ram_size bytes of zeroed RAM and the given
 * options ("key value" strings, NULL-terminated; may be NULL). Asserts on
 * any failure.
 */
struct dev_env *fake_env_new(u64 ram_size, const char *const *opts);
void fake_env_free(struct dev_env *env);

/*
 * Guest accesses through the buses, as a vCPU would make them. A write
 * that matches an assigned ioeventfd signals its eventfd instead, as KVM
 * does.
 */
u64 fake_read(struct dev_env *env, enum bus_space sp, u64 addr, u8 size);
void fake_write(struct dev_env *env, enum bus_space sp, u64 addr, u8 size,
		u64 val);
#define fake_inb(env, port) ((u8)fake_read(env, BUS_PIO, port, 1))
#define fake_outb(env, port, v) fake_write(env, BUS_PIO, port, 1, v)

/*
 * Do what KVM does for each irqfd whose eventfd was written: read it and
 * inject its GSI (an MSI route is recorded in msi[], a pin 0-23 counts a
 * raise and a lower). Returns how many fired.
 */
int fake_env_fire_irqfds(struct dev_env *env);
/* The live mapping starting at @gpa, or NULL. */
const struct fake_map *fake_env_find_map(struct dev_env *env, u64 gpa);
/* Is eventfd @efd assigned as an irqfd, and to which GSI (-1: no)? */
int fake_env_irqfd_gsi(struct dev_env *env, int efd);

/* Configuration mechanism #1 (ports 0xCF8/0xCFC) on bus 0, as a guest. */
u32 fake_cfg_read(struct dev_env *env, u32 slot, u32 reg, u8 size);
void fake_cfg_write(struct dev_env *env, u32 slot, u32 reg, u8 size, u32 v);

/* Open file descriptors of this process (leak checks). */
int fake_fd_count(void);
/* Entries of @dir but "." and "..", each named (0 when it is missing). */
int fake_dir_entries(const char *dir);

/* Advance the clock by @ns and fire the timers that came due. */
void fake_env_advance(struct dev_env *env, u64 ns);
/* Call the ready callback of every watched fd that poll() says is readable. */
int fake_env_poll(struct dev_env *env);

/* How many events of @type were reported. */
int fake_env_count_events(struct dev_env *env, const char *type);
/* The last event of @type, or NULL. */
const struct fake_event *fake_env_last_event(struct dev_env *env,
					     const char *type);
/* The number field @key of @e (from env_event_fields), or -1. */
double fake_event_num(const struct fake_event *e, const char *key);

/* Create @type's device in @env; asserts create() returns 0. */
void *fake_dev_create(struct dev_env *env, const struct dev_type *type);

#endif
