// SPDX-License-Identifier: Apache-2.0
/*
 * The lifecycle header: explicit little-endian encoding, the checks a
 * reader makes before trusting the other side's bytes, and the sequence
 * rules both sides follow (docs/lifecycle.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lifecycle.h"

static const char *const state_names[] = {
	[LIFECYCLE_UNKNOWN] = "unknown",
	[LIFECYCLE_RUNNING] = "running",
	[LIFECYCLE_SHUTTING_DOWN] = "shutting-down",
	[LIFECYCLE_REBOOTING] = "rebooting",
	[LIFECYCLE_HALTED] = "halted",
};

static const char *const request_names[] = {
	[LIFECYCLE_REQ_NONE] = "none",
	[LIFECYCLE_REQ_POWEROFF] = "poweroff",
	[LIFECYCLE_REQ_REBOOT] = "reboot",
	[LIFECYCLE_REQ_PEER_DOWN] = "peer-shutting-down",
};

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	put16(p, (u16)v);
	put16(p + 2, (u16)(v >> 16));
}

static void put64(u8 *p, u64 v)
{
	put32(p, (u32)v);
	put32(p + 4, (u32)(v >> 32));
}

static u16 get16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 get32(const u8 *p)
{
	return get16(p) | (u32)get16(p + 2) << 16;
}

static u64 get64(const u8 *p)
{
	return get32(p) | (u64)get32(p + 4) << 32;
}

void lifecycle_init(struct lifecycle_hdr *h)
{
	*h = (struct lifecycle_hdr){
		.magic = LIFECYCLE_MAGIC,
		.major = LIFECYCLE_MAJOR,
		.minor = LIFECYCLE_MINOR,
		.hdr_size = LIFECYCLE_HDR_SIZE,
	};
}

void lifecycle_encode(const struct lifecycle_hdr *h, u8 *buf)
{
	memset(buf, 0, LIFECYCLE_HDR_SIZE);
	put32(buf + LIFECYCLE_OFF_MAGIC, h->magic);
	buf[LIFECYCLE_OFF_MAJOR] = h->major;
	buf[LIFECYCLE_OFF_MINOR] = h->minor;
	put16(buf + LIFECYCLE_OFF_HDR_SIZE, h->hdr_size);
	put32(buf + LIFECYCLE_OFF_GUEST_STATE, h->guest_state);
	put32(buf + LIFECYCLE_OFF_GUEST_SEQ, h->guest_seq);
	put32(buf + LIFECYCLE_OFF_HOST_ACK, h->host_ack);
	put32(buf + LIFECYCLE_OFF_HOST_REQUEST, h->host_request);
	put32(buf + LIFECYCLE_OFF_HOST_SEQ, h->host_seq);
	put32(buf + LIFECYCLE_OFF_GUEST_ACK, h->guest_ack);
	put64(buf + LIFECYCLE_OFF_GUEST_TIME, h->guest_time_ns);
	memcpy(buf + LIFECYCLE_OFF_PEER_NAME, h->peer_name,
	       strnlen(h->peer_name, LIFECYCLE_PEER_NAME_LEN));
}

void lifecycle_decode(struct lifecycle_hdr *h, const u8 *buf)
{
	h->magic = get32(buf + LIFECYCLE_OFF_MAGIC);
	h->major = buf[LIFECYCLE_OFF_MAJOR];
	h->minor = buf[LIFECYCLE_OFF_MINOR];
	h->hdr_size = get16(buf + LIFECYCLE_OFF_HDR_SIZE);
	h->guest_state = get32(buf + LIFECYCLE_OFF_GUEST_STATE);
	h->guest_seq = get32(buf + LIFECYCLE_OFF_GUEST_SEQ);
	h->host_ack = get32(buf + LIFECYCLE_OFF_HOST_ACK);
	h->host_request = get32(buf + LIFECYCLE_OFF_HOST_REQUEST);
	h->host_seq = get32(buf + LIFECYCLE_OFF_HOST_SEQ);
	h->guest_ack = get32(buf + LIFECYCLE_OFF_GUEST_ACK);
	h->guest_time_ns = get64(buf + LIFECYCLE_OFF_GUEST_TIME);
	/* The other side's bytes: never trusted to hold a NUL. */
	memset(h->peer_name, 0, sizeof(h->peer_name));
	memcpy(h->peer_name, buf + LIFECYCLE_OFF_PEER_NAME,
	       LIFECYCLE_PEER_NAME_LEN);
}

static bool all_zero(const u8 *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* The checks in the order a reader needs them; 0 or -errno with @why. */
static int check_fields(const struct lifecycle_hdr *h, size_t len, char *why,
			size_t whysize)
{
	if (h->magic != LIFECYCLE_MAGIC) {
		snprintf(
			why, whysize,
			"bad magic 0x%08x (a lifecycle header has 0x%08x, \"VLCY\")",
			h->magic, LIFECYCLE_MAGIC);
		return -EPROTO;
	}
	/* A new major changes what the known fields mean: refuse it. */
	if (h->major != LIFECYCLE_MAJOR) {
		snprintf(
			why, whysize,
			"lifecycle version %u.%u: major %u is unknown here (this side speaks %u.%u)",
			h->major, h->minor, h->major, LIFECYCLE_MAJOR,
			LIFECYCLE_MINOR);
		return -EPROTONOSUPPORT;
	}
	if (h->hdr_size < LIFECYCLE_HDR_SIZE) {
		snprintf(why, whysize, "header size %u is under %u",
			 h->hdr_size, LIFECYCLE_HDR_SIZE);
		return -EPROTO;
	}
	if (h->hdr_size > len) {
		snprintf(why, whysize,
			 "header size %u is past the region's %zu bytes",
			 h->hdr_size, len);
		return -EPROTO;
	}
	return 0;
}

int lifecycle_check(const u8 *buf, size_t len, struct lifecycle_hdr *h,
		    char *why, size_t whysize)
{
	char scratch[1];

	if (!whysize) {
		why = scratch;
		whysize = sizeof(scratch);
	}
	if (len < LIFECYCLE_HDR_SIZE) {
		snprintf(
			why, whysize,
			"the region holds %zu bytes; the lifecycle header needs %u",
			len, LIFECYCLE_HDR_SIZE);
		return -EMSGSIZE;
	}
	lifecycle_decode(h, buf);
	if (all_zero(buf, LIFECYCLE_HDR_SIZE)) {
		snprintf(
			why, whysize,
			"the lifecycle header is all zero: the host has not set it up");
		return -ENODATA;
	}
	return check_fields(h, len, why, whysize);
}

enum lifecycle_owner lifecycle_field_owner(unsigned off)
{
	if (off < LIFECYCLE_OFF_GUEST_STATE)
		return LIFECYCLE_OWNER_SETUP;
	if (off >= LIFECYCLE_OFF_RESERVED)
		return LIFECYCLE_OWNER_NONE;
	if (off >= LIFECYCLE_OFF_PEER_NAME)
		return LIFECYCLE_OWNER_HOST;
	if (off >= LIFECYCLE_OFF_HOST_ACK && off < LIFECYCLE_OFF_GUEST_ACK)
		return LIFECYCLE_OWNER_HOST;
	return LIFECYCLE_OWNER_GUEST;
}

static const char *name_of(const char *const *names, size_t n, u32 v)
{
	return v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -EINVAL;
}

const char *lifecycle_state_name(u32 state)
{
	return name_of(state_names, ARRAY_SIZE(state_names), state);
}

const char *lifecycle_request_name(u32 req)
{
	return name_of(request_names, ARRAY_SIZE(request_names), req);
}

int lifecycle_state_parse(const char *name)
{
	return parse_name(state_names, ARRAY_SIZE(state_names), name);
}

int lifecycle_request_parse(const char *name)
{
	return parse_name(request_names, ARRAY_SIZE(request_names), name);
}

/*
 * 0 means "never written", so that a fresh header (all sequence words
 * and acks zero) has nothing announced and nothing pending; a wrapped
 * counter must not come back to it.
 */
u32 lifecycle_seq_next(u32 seq)
{
	seq++;
	return seq ? seq : 1;
}

u32 lifecycle_announce(struct lifecycle_hdr *h, u32 state, u64 time_ns)
{
	h->guest_state = state;
	h->guest_time_ns = time_ns;
	h->guest_seq = lifecycle_seq_next(h->guest_seq);
	return h->guest_seq;
}

/* Equality, not order: the counters wrap, and only the last one counts. */
bool lifecycle_acked(const struct lifecycle_hdr *h, u32 seq)
{
	return seq && h->host_ack == seq;
}

bool lifecycle_pending(const struct lifecycle_hdr *h, u32 *req)
{
	if (!h->host_seq || h->host_seq == h->guest_ack)
		return false;
	*req = h->host_request;
	return true;
}

void lifecycle_take(struct lifecycle_hdr *h)
{
	h->guest_ack = h->host_seq;
}

void lifecycle_host_ack(struct lifecycle_hdr *h, u32 seq)
{
	h->host_ack = seq;
}

u32 lifecycle_request(struct lifecycle_hdr *h, u32 req)
{
	h->host_request = req;
	h->host_seq = lifecycle_seq_next(h->host_seq);
	return h->host_seq;
}

int lifecycle_request_peer_down(struct lifecycle_hdr *h, const char *peer,
				u32 *seq)
{
	size_t len = strlen(peer);

	if (!len || len > LIFECYCLE_PEER_NAME_LEN)
		return -EINVAL;
	memset(h->peer_name, 0, sizeof(h->peer_name));
	memcpy(h->peer_name, peer, len);
	*seq = lifecycle_request(h, LIFECYCLE_REQ_PEER_DOWN);
	return 0;
}

bool lifecycle_taken(const struct lifecycle_hdr *h, u32 seq)
{
	return seq && h->guest_ack == seq;
}
