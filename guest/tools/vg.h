/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_GUEST_VG_H
#define VESSEL_GUEST_VG_H

/*
 * vessel-guest: the guest side of the lifecycle protocol and the shmem
 * doorbells, for a stock Linux guest with no driver of ours. It finds the
 * device through sysfs and maps its BARs from the resource files
 * (docs/lifecycle.md, "vessel-guest").
 *
 * vg_parse.c: pure parsing (arguments, durations, PCI config space,
 * sysfs `resource` lines); vg_dev.c: sysfs and the two device models.
 */

#include <stddef.h>

#include "../../src/common/types.h"

/* Exit codes (the man page in docs/lifecycle.md). */
enum vg_exit {
	VG_EXIT_OK = 0,
	VG_EXIT_TIMEOUT = 1, /* no ack or no request in time */
	VG_EXIT_USAGE = 2,
	VG_EXIT_NODEV = 3, /* no device, region, header or peer */
};

/* The region vessel-guest speaks the lifecycle protocol on by default. */
#define VG_LIFECYCLE_REGION "lifecycle"
/* Region names: [A-Za-z0-9._-]{1,31}, not starting with '.' (QNX: 32). */
#define VG_NAME_MAX 32
/* Peers per region (QNX GUEST_SHM_MAX_CLIENTS). */
#define VG_PEERS_MAX 16
/* The longest --wait-ack or --timeout: a day, in ms. */
#define VG_DURATION_MAX_MS (24ull * 3600 * 1000)

enum vg_verb {
	VG_NOTIFY,
	VG_WAIT_REQUEST,
	VG_RING,
	VG_LIST,
	VG_HELP,
};

struct vg_args {
	enum vg_verb verb;
	u32 state; /* notify: enum lifecycle_state, not UNKNOWN */
	bool has_limit; /* notify --wait-ack, wait-request --timeout */
	u64 limit_ms;
	int peer; /* ring: PEER; notify, wait-request: --peer, -1 the host */
	const char *region; /* --region, VG_LIFECYCLE_REGION by default */
};

/*
 * Parse the command line (@argv[0] is the program). Returns 0, or
 * -EINVAL with the reason in @why (@whysize bytes).
 */
int vg_parse_args(int argc, char *const argv[], struct vg_args *a, char *why,
		  size_t whysize);

/*
 * "5s", "500ms", "2m", "1.5s", or seconds with no unit ("5"), at most
 * VG_DURATION_MAX_MS, to ms (a fraction finer than 1 ms is refused).
 * Returns 0 or -EINVAL.
 */
int vg_parse_duration(const char *s, u64 *ms);

/* 0 when @name is a valid region name, else -EINVAL. */
int vg_name_check(const char *name);

/*
 * The region name an ivshmem device carries in a vendor-specific
 * capability (ID 0x09: id, next, len, then the name with its NUL, within
 * len) of its config space @cfg (@len bytes as read from sysfs `config`).
 * The walk is bounded and every pointer checked. The first vendor
 * capability that holds a valid name wins. Returns 0 with the name in
 * @name (VG_NAME_MAX bytes), or -ENOENT.
 */
int vg_cap_name(const u8 *cfg, size_t len, char *name);

/*
 * BAR @bar's start and size from the text of a sysfs `resource` file
 * (one "0xSTART 0xEND 0xFLAGS" line per resource). Returns 0, -ENOENT
 * when the BAR is not there or not assigned, -EINVAL when the text is
 * malformed.
 */
int vg_parse_resource(const char *text, int bar, u64 *start, u64 *size);

enum vg_model {
	VG_QNX, /* QNX guest shm, 1c05:0001 */
	VG_IVSHMEM, /* QEMU ivshmem-doorbell, 1af4:1110 rev 1 */
};

/* One shared-memory PCI device found in sysfs. */
struct vg_pci {
	char dir[512]; /* its sysfs directory */
	char addr[64]; /* its name there, "0000:00:04.0" */
	enum vg_model model;
	char name[VG_NAME_MAX]; /* ivshmem: its region; qnx: empty */
};

/*
 * The shared-memory devices under @sysfs (normally "/sys"; the
 * VESSEL_GUEST_SYSFS variable overrides it), sorted by address. Fills
 * up to @max of @out; returns how many there are (may exceed @max), or
 * -errno when the PCI device directory cannot be read.
 */
int vg_scan(const char *sysfs, struct vg_pci *out, int max);

/* A connection to one region. */
struct vg_conn {
	struct vg_pci pci;
	volatile u8 *regs; /* BAR0: QNX factory page, ivshmem registers */
	void *map; /* the BAR2 mapping */
	size_t map_len;
	volatile u32 *ctrl; /* QNX: this connection's control page */
	volatile u8 *data; /* the region's data (lifecycle header at 0) */
	size_t data_len; /* of it, mapped */
	int self; /* our peer index */
	u32 peers; /* QNX: attached peers (a bitset); ivshmem: unknown, 0 */
	bool attached; /* QNX: detach on close */
};

/*
 * Attach to region @name: an ivshmem device that carries it, else the
 * QNX factory (which creates a region that does not exist yet, of one
 * page; the host's size wins for one that does). Maps at least
 * @data_len bytes of its data. Returns 0, or -errno with @why set.
 */
int vg_open(const char *sysfs, const char *name, size_t data_len,
	    struct vg_conn *c, char *why, size_t whysize);

/* Detach (QNX) and unmap. */
void vg_close(struct vg_conn *c);

/* Ring peer @peer's doorbell. Returns 0, or -EINVAL (no such peer). */
int vg_ring(struct vg_conn *c, int peer);

/*
 * The host's peer: the lowest attached peer other than us (QNX: the host
 * created the region, so it took the first slot), 0 on ivshmem, which
 * does not say who is attached. -ENOENT when there is none (ivshmem: we
 * are peer 0 ourselves).
 */
int vg_host_peer(const struct vg_conn *c);

/*
 * The region's first @len bytes (a multiple of 4, at most data_len) into
 * @buf, one aligned 32-bit load per word, from the last word down.
 */
void vg_load(const struct vg_conn *c, u8 *buf, size_t len);

/*
 * Store bytes [@off, @off + @len) of @buf (an encoded header) at the
 * same offsets of the region, one aligned 32-bit store per word, in
 * order, each a release: what was stored before is visible first.
 */
void vg_store(struct vg_conn *c, size_t off, const u8 *buf, size_t len);

/* The QNX factory status of the last create/attach, by name ("GSS_NOMEM"). */
const char *vg_gss_name(u32 status);

#endif
