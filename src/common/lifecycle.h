/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_LIFECYCLE_H
#define VESSEL_LIFECYCLE_H

/*
 * The lifecycle protocol (docs/lifecycle.md): a 64-byte little-endian
 * header at offset 0 of a guest's `lifecycle` shared-memory region, by
 * which the guest announces its state to the host and the host asks the
 * guest to power off or reboot. Pure functions: no I/O, no global state.
 *
 * The shared bytes are never cast to struct lifecycle_hdr: a side copies
 * them out, decodes and checks them, changes its own fields, encodes, and
 * stores back only the fields it owns (lifecycle_field_owner()), one
 * aligned store per field, its sequence word last after a release
 * barrier. The other side loads the sequence word first (acquire).
 */

#include <stddef.h>

#include "types.h"

/* "VLCY" in memory order: 'V' at offset 0. */
#define LIFECYCLE_MAGIC 0x59434c56u
/* Incompatible layout changes bump the major; compatible additions the minor. */
#define LIFECYCLE_MAJOR 1
#define LIFECYCLE_MINOR 1
/* Version 1 is 64 bytes; later minors may say more (and are read as 64). */
#define LIFECYCLE_HDR_SIZE 64

/* Byte offsets of the fields (the table in docs/lifecycle.md). */
enum lifecycle_off {
	LIFECYCLE_OFF_MAGIC = 0, /* u32 */
	LIFECYCLE_OFF_MAJOR = 4, /* u8; with MINOR the u16 "version" = 1 */
	LIFECYCLE_OFF_MINOR = 5, /* u8 */
	LIFECYCLE_OFF_HDR_SIZE = 6, /* u16 */
	LIFECYCLE_OFF_GUEST_STATE = 8, /* u32, guest */
	LIFECYCLE_OFF_GUEST_SEQ = 12, /* u32, guest; written last */
	LIFECYCLE_OFF_HOST_ACK = 16, /* u32, host */
	LIFECYCLE_OFF_HOST_REQUEST = 20, /* u32, host */
	LIFECYCLE_OFF_HOST_SEQ = 24, /* u32, host; written last */
	LIFECYCLE_OFF_GUEST_ACK = 28, /* u32, guest */
	LIFECYCLE_OFF_GUEST_TIME = 32, /* u64, guest */
	LIFECYCLE_OFF_PEER_NAME = 40, /* 16 bytes, host (minor 1) */
	LIFECYCLE_OFF_RESERVED = 56, /* to 64: zero when written, not read */
};

/* The peer's name with peer-shutting-down: NUL-padded, not terminated. */
#define LIFECYCLE_PEER_NAME_LEN 16

enum lifecycle_state {
	LIFECYCLE_UNKNOWN = 0,
	LIFECYCLE_RUNNING = 1,
	LIFECYCLE_SHUTTING_DOWN = 2,
	LIFECYCLE_REBOOTING = 3,
	LIFECYCLE_HALTED = 4,
};

enum lifecycle_request {
	LIFECYCLE_REQ_NONE = 0,
	LIFECYCLE_REQ_POWEROFF = 1,
	LIFECYCLE_REQ_REBOOT = 2,
	/* minor 1: a guest sharing a device goes down; peer_name says who */
	LIFECYCLE_REQ_PEER_DOWN = 3,
};

/* Who stores a field: the host sets the header up, then each side its own. */
enum lifecycle_owner {
	LIFECYCLE_OWNER_SETUP, /* magic, version, size: the region's creator */
	LIFECYCLE_OWNER_GUEST,
	LIFECYCLE_OWNER_HOST,
	LIFECYCLE_OWNER_NONE, /* reserved bytes, or past the header */
};

/* The decoded header; numbers in host order. */
struct lifecycle_hdr {
	u32 magic;
	u8 major;
	u8 minor;
	u16 hdr_size;
	u32 guest_state; /* enum lifecycle_state; others from later minors */
	u32 guest_seq; /* bumped with each state write; 0: never written */
	u32 host_ack; /* the guest_seq the host finished acting on */
	u32 host_request; /* enum lifecycle_request */
	u32 host_seq; /* bumped with each request; 0: never requested */
	u32 guest_ack; /* the host_seq the guest took */
	u64 guest_time_ns; /* guest CLOCK_REALTIME at the state write */
	/*
	 * With LIFECYCLE_REQ_PEER_DOWN; NUL-terminated here, "" otherwise.
	 * 24 bytes: a NUL past the 16, and no padding in the struct (tests
	 * compare it whole).
	 */
	char peer_name[LIFECYCLE_PEER_NAME_LEN + 8];
};

/* A fresh header of this version: magic, version, size; the rest zero. */
void lifecycle_init(struct lifecycle_hdr *h);

/* All LIFECYCLE_HDR_SIZE bytes of @h into @buf, reserved bytes zero. */
void lifecycle_encode(const struct lifecycle_hdr *h, u8 *buf);

/* The first LIFECYCLE_HDR_SIZE bytes of @buf into @h; checks nothing. */
void lifecycle_decode(struct lifecycle_hdr *h, const u8 *buf);

/*
 * Decode @len bytes at @buf (the region's data, @len its size, at least
 * the header's) into @h and check them. Returns 0, or: -ENODATA when all
 * of it is zero (the host has not set it up), -EPROTO for another magic,
 * a size under 64 or past @len, -EPROTONOSUPPORT for a major other than
 * ours, -EMSGSIZE when @len < 64. A later minor is accepted: its fields
 * lie past ours. @why (@whysize bytes, may be 0) gets the reason.
 */
int lifecycle_check(const u8 *buf, size_t len, struct lifecycle_hdr *h,
		    char *why, size_t whysize);

/* Which side stores the byte at offset @off of the header. */
enum lifecycle_owner lifecycle_field_owner(unsigned off);

/*
 * Names as the events and vessel-guest spell them ("shutting-down",
 * "poweroff"); NULL for a number this version does not know.
 */
const char *lifecycle_state_name(u32 state);
const char *lifecycle_request_name(u32 req);

/* Name to number: the enum value, or -EINVAL. */
int lifecycle_state_parse(const char *name);
int lifecycle_request_parse(const char *name);

/* The sequence number after @seq: +1 modulo 2^32, skipping 0 ("never"). */
u32 lifecycle_seq_next(u32 seq);

/*
 * Guest side. lifecycle_announce() sets state and time and bumps
 * guest_seq; it returns the new guest_seq, which the guest then waits to
 * see in host_ack (lifecycle_acked()). lifecycle_pending() says whether
 * the host posted a request the guest has not taken yet, and gives its
 * word in *@req (known or not; 0 withdraws an earlier one);
 * lifecycle_take() records it as taken.
 */
u32 lifecycle_announce(struct lifecycle_hdr *h, u32 state, u64 time_ns);
bool lifecycle_acked(const struct lifecycle_hdr *h, u32 seq);
bool lifecycle_pending(const struct lifecycle_hdr *h, u32 *req);
void lifecycle_take(struct lifecycle_hdr *h);

/*
 * Host side. lifecycle_host_ack() records that the host finished acting
 * on guest_seq @seq (the one it read, not a later one).
 * lifecycle_request() posts @req and returns the new host_seq;
 * lifecycle_taken() says whether the guest took request @seq.
 */
void lifecycle_host_ack(struct lifecycle_hdr *h, u32 seq);
u32 lifecycle_request(struct lifecycle_hdr *h, u32 req);

/*
 * LIFECYCLE_REQ_PEER_DOWN for the guest @peer (1 to 16 bytes): the name,
 * then the request; -EINVAL for a name that does not fit. The host stores
 * peer_name before host_request and host_seq.
 */
int lifecycle_request_peer_down(struct lifecycle_hdr *h, const char *peer,
				u32 *seq);
bool lifecycle_taken(const struct lifecycle_hdr *h, u32 seq);

#endif
