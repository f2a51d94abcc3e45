// SPDX-License-Identifier: Apache-2.0
/*
 * The lifecycle header (docs/lifecycle.md): the byte layout against a
 * hand-written image, round trips, every field a reader refuses and why,
 * what a later minor may do, who owns which byte, the names, and the
 * sequence rules through a u32 wrap-around.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/common/lifecycle.h"

/* A header with every field distinct, so a swapped field shows. */
static struct lifecycle_hdr sample(void)
{
	struct lifecycle_hdr h;

	lifecycle_init(&h);
	h.guest_state = LIFECYCLE_SHUTTING_DOWN;
	h.guest_seq = 0x11223344;
	h.host_ack = 0x55667788;
	h.host_request = LIFECYCLE_REQ_REBOOT;
	h.host_seq = 0x99aabbcc;
	h.guest_ack = 0xddeeff01;
	h.guest_time_ns = 0x0123456789abcdefull;
	return h;
}

static void test_layout(void **state)
{
	static const u8 want[LIFECYCLE_HDR_SIZE] = {
		'V',  'L',  'C',  'Y',
		1,    1,    64,	  0, /* magic, version 1.1, size */
		2,    0,    0,	  0,
		0x44, 0x33, 0x22, 0x11, /* state, guest_seq */
		0x88, 0x77, 0x66, 0x55,
		2,    0,    0,	  0, /* host_ack, request */
		0xcc, 0xbb, 0xaa, 0x99,
		0x01, 0xff, 0xee, 0xdd, /* seq, ack */
		0xef, 0xcd, 0xab, 0x89,
		0x67, 0x45, 0x23, 0x01, /* time */
	};
	struct lifecycle_hdr h = sample();
	u8 buf[LIFECYCLE_HDR_SIZE];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	lifecycle_encode(&h, buf);
	assert_memory_equal(buf, want, sizeof(want));
	/* The u16 "version" is major | minor << 8: 1.0 was 1, 1.1 is 0x101. */
	assert_int_equal(buf[4] | buf[5] << 8, 0x101);
}

static void test_round_trip(void **state)
{
	struct lifecycle_hdr h = sample(), back;
	u8 buf[LIFECYCLE_HDR_SIZE];
	char why[128] = "";

	(void)state;
	lifecycle_encode(&h, buf);
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(
		lifecycle_check(buf, sizeof(buf), &back, why, sizeof(why)), 0);
	assert_memory_equal(&back, &h, sizeof(h));
	/* All ones in every word survive too (the name's 16 bytes). */
	memset(&h, 0xff, sizeof(h));
	memset(h.peer_name + LIFECYCLE_PEER_NAME_LEN, 0,
	       sizeof(h.peer_name) - LIFECYCLE_PEER_NAME_LEN);
	lifecycle_encode(&h, buf);
	lifecycle_decode(&back, buf);
	assert_memory_equal(&back, &h, sizeof(h));
	/* decode(encode(x)) == x for the bytes, reserved aside. */
	lifecycle_init(&h);
	lifecycle_encode(&h, buf);
	lifecycle_decode(&back, buf);
	assert_int_equal(back.magic, LIFECYCLE_MAGIC);
	assert_int_equal(back.major, 1);
	assert_int_equal(back.minor, 1);
	assert_int_equal(back.hdr_size, 64);
	assert_int_equal(back.guest_seq, 0);
	assert_int_equal(back.host_seq, 0);
}

/* Check @buf of @len bytes; the result, with the reason in @why. */
static int check(const u8 *buf, size_t len, char *why)
{
	struct lifecycle_hdr h;

	why[0] = 0;
	return lifecycle_check(buf, len, &h, why, 128);
}

static void test_bad_fields(void **state)
{
	struct lifecycle_hdr h = sample();
	u8 good[4096] = { 0 }, buf[4096];
	char why[128];

	(void)state;
	lifecycle_encode(&h, good);
	assert_int_equal(check(good, sizeof(good), why), 0);

	/* Shorter than a header. */
	assert_int_equal(check(good, 63, why), -EMSGSIZE);
	assert_non_null(strstr(why, "63 bytes"));
	/* Never set up. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(check(buf, sizeof(buf), why), -ENODATA);
	assert_non_null(strstr(why, "not set it up"));
	/* Magic: each byte matters, byte order included. */
	for (int i = 0; i < 4; i++) {
		memcpy(buf, good, sizeof(buf));
		buf[i] ^= 0x20;
		assert_int_equal(check(buf, sizeof(buf), why), -EPROTO);
		assert_non_null(strstr(why, "bad magic"));
	}
	memcpy(buf, good, sizeof(buf));
	memcpy(buf, "YCLV", 4);
	assert_int_equal(check(buf, sizeof(buf), why), -EPROTO);
	/* Majors other than 1: 0 and 255 here, 2 with a minor below. */
	for (int major = 0; major < 256; major += 255) {
		memcpy(buf, good, sizeof(buf));
		buf[LIFECYCLE_OFF_MAJOR] = (u8)major;
		assert_int_equal(check(buf, sizeof(buf), why),
				 -EPROTONOSUPPORT);
	}
	memcpy(buf, good, sizeof(buf));
	buf[LIFECYCLE_OFF_MAJOR] = 2;
	buf[LIFECYCLE_OFF_MINOR] = 7;
	assert_int_equal(check(buf, sizeof(buf), why), -EPROTONOSUPPORT);
	assert_string_equal(
		why,
		"lifecycle version 2.7: major 2 is unknown here (this side speaks 1.1)");
	/* Header size under 64, zero, and past the region. */
	static const u16 small[] = { 0, 1, 8, 40, 63 };
	for (size_t i = 0; i < ARRAY_SIZE(small); i++) {
		memcpy(buf, good, sizeof(buf));
		buf[LIFECYCLE_OFF_HDR_SIZE] = (u8)small[i];
		assert_int_equal(check(buf, sizeof(buf), why), -EPROTO);
		assert_non_null(strstr(why, "under 64"));
	}
	memcpy(buf, good, sizeof(buf));
	buf[LIFECYCLE_OFF_HDR_SIZE] = 128;
	assert_int_equal(check(buf, 100, why), -EPROTO);
	assert_string_equal(why,
			    "header size 128 is past the region's 100 bytes");
	buf[LIFECYCLE_OFF_HDR_SIZE] = 0;
	buf[LIFECYCLE_OFF_HDR_SIZE + 1] = 0xff; /* 65280 */
	assert_int_equal(check(buf, sizeof(buf), why), -EPROTO);
}

/* A later minor of major 1 only adds: accepted, its extra bytes unread. */
static void test_later_minor(void **state)
{
	struct lifecycle_hdr h = sample(), back;
	u8 buf[4096] = { 0 };

	(void)state;
	h.minor = 3;
	h.hdr_size = 128;
	lifecycle_encode(&h, buf);
	memset(buf + LIFECYCLE_OFF_RESERVED, 0x77,
	       128 - LIFECYCLE_OFF_RESERVED);
	assert_int_equal(lifecycle_check(buf, sizeof(buf), &back, NULL, 0), 0);
	assert_int_equal(back.minor, 3);
	assert_int_equal(back.hdr_size, 128);
	assert_int_equal(back.guest_seq, h.guest_seq);
	assert_int_equal(back.guest_time_ns, h.guest_time_ns);
	/* Exactly the region's size is fine. */
	assert_int_equal(lifecycle_check(buf, 128, &back, NULL, 0), 0);
	/* Re-encoding writes zero to what this version reserves. */
	lifecycle_encode(&back, buf);
	for (int i = LIFECYCLE_OFF_RESERVED; i < LIFECYCLE_HDR_SIZE; i++)
		assert_int_equal(buf[i], 0);
	/* A state or request number from a later minor has no name here. */
	assert_null(lifecycle_state_name(5));
	assert_null(lifecycle_request_name(4));
}

/* minor 1: peer-shutting-down carries the peer's name at offset 40. */
static void test_peer_down(void **state)
{
	struct lifecycle_hdr h, back;
	u8 buf[LIFECYCLE_HDR_SIZE];
	u32 seq = 0;

	(void)state;
	lifecycle_init(&h);
	assert_int_equal(lifecycle_request_peer_down(&h, "", &seq), -EINVAL);
	assert_int_equal(
		lifecycle_request_peer_down(&h, "seventeen-bytes-x", &seq),
		-EINVAL);
	assert_int_equal(h.host_seq, 0);
	assert_int_equal(lifecycle_request_peer_down(&h, "db", &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(h.host_request, LIFECYCLE_REQ_PEER_DOWN);
	lifecycle_encode(&h, buf);
	assert_memory_equal(buf + 40, "db\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(buf[20], 3);
	lifecycle_decode(&back, buf);
	assert_string_equal(back.peer_name, "db");
	/* A full 16-byte name has no NUL in the header; decoding adds one. */
	assert_int_equal(
		lifecycle_request_peer_down(&h, "sixteen-bytes-xx", &seq), 0);
	assert_int_equal(seq, 2);
	lifecycle_encode(&h, buf);
	assert_memory_equal(buf + 40, "sixteen-bytes-xx", 16);
	for (int i = 56; i < 64; i++)
		assert_int_equal(buf[i], 0);
	memset(buf + 56, 0x77, 8); /* a later minor's bytes stay unread */
	lifecycle_decode(&back, buf);
	assert_string_equal(back.peer_name, "sixteen-bytes-xx");
	/* A shorter name after a longer one leaves no tail behind. */
	assert_int_equal(lifecycle_request_peer_down(&h, "a", &seq), 0);
	lifecycle_encode(&h, buf);
	assert_memory_equal(buf + 40, "a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}

static void test_owners(void **state)
{
	(void)state;
	for (unsigned off = 0; off < 8; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_SETUP);
	for (unsigned off = 8; off < 16; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_GUEST);
	for (unsigned off = 16; off < 28; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_HOST);
	for (unsigned off = 28; off < 40; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_GUEST);
	for (unsigned off = 40; off < 56; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_HOST);
	for (unsigned off = 56; off < 4096; off++)
		assert_int_equal(lifecycle_field_owner(off),
				 LIFECYCLE_OWNER_NONE);
}

static void test_names(void **state)
{
	static const char *const states[] = { "unknown", "running",
					      "shutting-down", "rebooting",
					      "halted" };
	static const char *const reqs[] = { "none", "poweroff", "reboot",
					    "peer-shutting-down" };

	(void)state;
	for (u32 i = 0; i < ARRAY_SIZE(states); i++) {
		assert_string_equal(lifecycle_state_name(i), states[i]);
		assert_int_equal(lifecycle_state_parse(states[i]), i);
	}
	for (u32 i = 0; i < ARRAY_SIZE(reqs); i++) {
		assert_string_equal(lifecycle_request_name(i), reqs[i]);
		assert_int_equal(lifecycle_request_parse(reqs[i]), i);
	}
	assert_int_equal(LIFECYCLE_HALTED, 4);
	assert_int_equal(LIFECYCLE_REQ_REBOOT, 2);
	assert_int_equal(LIFECYCLE_REQ_PEER_DOWN, 3);
	assert_null(lifecycle_state_name(0xffffffff));
	assert_null(lifecycle_request_name(0x80000000));
	assert_int_equal(lifecycle_state_parse("shutting_down"), -EINVAL);
	assert_int_equal(lifecycle_state_parse("Running"), -EINVAL);
	assert_int_equal(lifecycle_state_parse(""), -EINVAL);
	assert_int_equal(lifecycle_request_parse("power-off"), -EINVAL);
	assert_int_equal(lifecycle_request_parse("rebooting"), -EINVAL);
}

static void test_seq_wrap(void **state)
{
	struct lifecycle_hdr h;

	(void)state;
	assert_int_equal(lifecycle_seq_next(0), 1);
	assert_int_equal(lifecycle_seq_next(41), 42);
	assert_int_equal(lifecycle_seq_next(0x7fffffff), 0x80000000);
	assert_int_equal(lifecycle_seq_next(0xfffffffe), 0xffffffff);
	assert_int_equal(lifecycle_seq_next(0xffffffff), 1);

	/* Guest announces across the wrap; the host acks each one. */
	lifecycle_init(&h);
	h.guest_seq = 0xfffffffe;
	h.host_ack = 0xfffffffe;
	u32 a = lifecycle_announce(&h, LIFECYCLE_RUNNING, 5);
	assert_int_equal(a, 0xffffffff);
	assert_false(lifecycle_acked(&h, a));
	lifecycle_host_ack(&h, h.guest_seq);
	assert_true(lifecycle_acked(&h, a));
	u32 b = lifecycle_announce(&h, LIFECYCLE_SHUTTING_DOWN, 6);
	assert_int_equal(b, 1);
	assert_int_equal(h.guest_state, LIFECYCLE_SHUTTING_DOWN);
	assert_int_equal(h.guest_time_ns, 6);
	/* host_ack 0xffffffff is "older", not "at least": not acked. */
	assert_false(lifecycle_acked(&h, b));
	lifecycle_host_ack(&h, b);
	assert_true(lifecycle_acked(&h, b));
	assert_false(lifecycle_acked(&h, a));

	/* Host requests across the wrap; the guest takes each one. */
	h.host_seq = 0xffffffff;
	h.guest_ack = 0xffffffff;
	u32 req;
	assert_false(lifecycle_pending(&h, &req));
	u32 r = lifecycle_request(&h, LIFECYCLE_REQ_POWEROFF);
	assert_int_equal(r, 1);
	assert_true(lifecycle_pending(&h, &req));
	assert_int_equal(req, LIFECYCLE_REQ_POWEROFF);
	assert_false(lifecycle_taken(&h, r));
	lifecycle_take(&h);
	assert_true(lifecycle_taken(&h, r));
	assert_false(lifecycle_pending(&h, &req));
}

static void test_fresh_header(void **state)
{
	struct lifecycle_hdr h;
	u32 req = 99;

	(void)state;
	lifecycle_init(&h);
	/* Nothing announced, acked, requested or pending. */
	assert_false(lifecycle_acked(&h, 0));
	assert_false(lifecycle_pending(&h, &req));
	assert_int_equal(req, 99);
	assert_false(lifecycle_taken(&h, 0));
	/* A request of "none" (withdrawal) is still a request to take. */
	lifecycle_request(&h, LIFECYCLE_REQ_NONE);
	assert_true(lifecycle_pending(&h, &req));
	assert_int_equal(req, LIFECYCLE_REQ_NONE);
	/* An ack the host wrote for a later announcement is not ours. */
	u32 s = lifecycle_announce(&h, LIFECYCLE_HALTED, 1);
	lifecycle_host_ack(&h, s + 1);
	assert_false(lifecycle_acked(&h, s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_later_minor),
		cmocka_unit_test(test_peer_down),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_fresh_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
