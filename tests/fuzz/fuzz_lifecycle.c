// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the lifecycle protocol (src/common/lifecycle.c) with the
 * region's bytes as a hostile guest leaves them, in two parts.
 *
 * The pure functions on the input's first bytes as a region: a header
 * that checks out has our magic and major and a size within the region;
 * encoding what decoding gave is stable; names and numbers map
 * back and forth; the guest's and the host's steps (announce, take,
 * request, peer-down with a name from the input, ack) keep their
 * promises and never yield sequence number 0.
 *
 * Then vessel's host side (src/vmm/dev/lifecycle_peer.c) on a real
 * region in the fake device environment, the fuzzer as the guest
 * peer: it stores any word anywhere in the header, rings the host, and
 * has the host post requests (vesselctl request, vesseld's peer-down)
 * with names from the input. After each step the host must have stored
 * only into the fields the protocol gives it (lifecycle_field_owner).
 *
 * Input: u8 length of the region for the pure part (64 + n), that many
 * bytes; then the guest's steps, 6 bytes each: u8 what, u8 offset,
 * u32 value (a request's name: the next value's bytes).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/common/lifecycle.h"
#include "../../src/common/log.h"
#include "../../src/shm/shm.h"
#include "../../src/vmm/dev/shmem.h"
#include "../unit/fake_env.h"
#include "fuzz.h"

#define REGION_SIZE 4096
#define MAX_STEPS 256

extern const struct dev_type dev_lifecycle_peer;

/* --- the pure functions --- */

static void fuzz_names(u32 state, u32 req)
{
	const char *s = lifecycle_state_name(state);
	const char *r = lifecycle_request_name(req);

	if (s)
		FUZZ_CHECK(lifecycle_state_parse(s) == (int)state);
	if (r)
		FUZZ_CHECK(lifecycle_request_parse(r) == (int)req);
}

/*
 * Encoding, decoding and encoding again gives the same bytes and the
 * same fields; the name as a string (bytes after its NUL are not kept).
 */
static void fuzz_round_trip(const struct lifecycle_hdr *h)
{
	u8 buf[LIFECYCLE_HDR_SIZE], again_buf[LIFECYCLE_HDR_SIZE];
	struct lifecycle_hdr again;

	lifecycle_encode(h, buf);
	lifecycle_decode(&again, buf);
	lifecycle_encode(&again, again_buf);
	FUZZ_CHECK(!memcmp(buf, again_buf, sizeof(buf)));
	FUZZ_CHECK(
		!memcmp(&again, h, offsetof(struct lifecycle_hdr, peer_name)));
	FUZZ_CHECK(!strcmp(again.peer_name, h->peer_name));
}

static void fuzz_steps(struct lifecycle_hdr *h, const u8 *name, size_t len)
{
	char peer[LIFECYCLE_PEER_NAME_LEN + 2];
	u32 seq, req, old = h->guest_seq;
	int ret;

	seq = lifecycle_announce(h, h->guest_state, 1);
	FUZZ_CHECK(seq && seq == lifecycle_seq_next(old) &&
		   seq == h->guest_seq);
	lifecycle_host_ack(h, seq);
	FUZZ_CHECK(lifecycle_acked(h, seq));
	old = h->host_seq;
	seq = lifecycle_request(h, LIFECYCLE_REQ_REBOOT);
	FUZZ_CHECK(seq && seq == lifecycle_seq_next(old));
	/* Unless the guest's ack already reads as the new number. */
	FUZZ_CHECK(h->guest_ack == seq ||
		   (lifecycle_pending(h, &req) && req == LIFECYCLE_REQ_REBOOT));
	lifecycle_take(h);
	FUZZ_CHECK(!lifecycle_pending(h, &req) && lifecycle_taken(h, seq));
	len = MIN(len, sizeof(peer) - 1);
	memcpy(peer, name, len);
	peer[len] = '\0';
	ret = lifecycle_request_peer_down(h, peer, &seq);
	if (!*peer || strlen(peer) > LIFECYCLE_PEER_NAME_LEN) {
		FUZZ_CHECK(ret == -EINVAL);
		return;
	}
	FUZZ_CHECK(!ret && seq && !strcmp(h->peer_name, peer));
	FUZZ_CHECK(h->host_request == LIFECYCLE_REQ_PEER_DOWN);
	fuzz_round_trip(h);
}

static void fuzz_pure(const u8 *buf, size_t len)
{
	struct lifecycle_hdr h;
	char why[96] = "";
	unsigned off;
	int ret;

	for (off = 0; off < LIFECYCLE_HDR_SIZE + 8; off++)
		FUZZ_CHECK(lifecycle_field_owner(off) <= LIFECYCLE_OWNER_NONE);
	ret = lifecycle_check(buf, len, &h, why, sizeof(why));
	FUZZ_CHECK(ret == 0 || ret == -ENODATA || ret == -EPROTO ||
		   ret == -EPROTONOSUPPORT || ret == -EMSGSIZE);
	if (ret) {
		FUZZ_CHECK(*why && memchr(why, '\0', sizeof(why)));
		return;
	}
	FUZZ_CHECK(h.magic == LIFECYCLE_MAGIC && h.major == LIFECYCLE_MAJOR);
	FUZZ_CHECK(h.hdr_size >= LIFECYCLE_HDR_SIZE && h.hdr_size <= len);
	FUZZ_CHECK(strlen(h.peer_name) <= LIFECYCLE_PEER_NAME_LEN);
	fuzz_round_trip(&h);
	fuzz_names(h.guest_state, h.host_request);
	fuzz_steps(&h, buf + LIFECYCLE_OFF_PEER_NAME, LIFECYCLE_PEER_NAME_LEN);
}

/* --- vessel's host side --- */

struct fuzz_host {
	struct dev_env *env;
	void *dev;
	struct shm_region *guest;
	u8 *hdr; /* the guest's mapping of the region */
	int doorbell; /* the host's, as the guest's ring reaches it */
};

static char fuzz_dir[64];

static void fuzz_fini(void)
{
	char shm[80];

	snprintf(shm, sizeof(shm), "%s/shm", fuzz_dir);
	rmdir(shm);
	rmdir(fuzz_dir);
}

static void fuzz_init(void)
{
	char shm[80];

	log_set_level(LOG_ERR);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/fuzz-lifecycle-XXXXXX");
	FUZZ_CHECK(mkdtemp(fuzz_dir));
	snprintf(shm, sizeof(shm), "%s/shm", fuzz_dir);
	setenv(SHM_DIR_ENV, shm, 1);
	atexit(fuzz_fini);
}

static void fuzz_host_start(struct fuzz_host *fh)
{
	const char *opts[] = { "name fz",
			       "shmem model=qnx,name=lifecycle,size=4K", NULL };
	char name[SHMEM_NAME_MAX];

	fh->env = fake_env_new(1 << 16, opts);
	FUZZ_CHECK(!dev_lifecycle_peer.create(fh->env, &fh->dev) && fh->dev);
	/* lc_setup() watches its doorbell first. */
	FUZZ_CHECK(fh->env->watch[0].ready);
	fh->doorbell = fh->env->watch[0].fd;
	shmem_host_name(fh->env, SHMEM_LIFECYCLE, name, sizeof(name));
	FUZZ_CHECK(!shm_open_region(name, REGION_SIZE, SHM_EXIST, "guest",
				    "fuzz", &fh->guest));
	fh->hdr = shm_data(fh->guest);
}

static void fuzz_host_stop(struct fuzz_host *fh)
{
	shm_close_region(fh->guest);
	dev_lifecycle_peer.quiesce(fh->dev, STOP_TERMINATED);
	dev_lifecycle_peer.destroy(fh->dev);
	fake_env_free(fh->env);
}

/* The guest's ring, as the host's loop sees it. */
static void fuzz_ring(struct fuzz_host *fh)
{
	u64 one = 1;

	FUZZ_CHECK(write(fh->doorbell, &one, sizeof(one)) == sizeof(one));
	fake_env_poll(fh->env);
}

static void fuzz_request(struct fuzz_host *fh, unsigned what, u32 name_word)
{
	static const char *const words[] = { "poweroff", "reboot",
					     "peer-shutting-down", "halt" };
	const char *w = words[what % 4];
	char peer[24];
	int ret;

	snprintf(peer, sizeof(peer), "p%08x%.*s", name_word, (int)(what % 12),
		 "-long-name-x");
	ret = dev_lifecycle_peer.guest_request(
		fh->dev, w, !strcmp(w, "peer-shutting-down") ? peer : NULL);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (!strcmp(w, "halt"))
		FUZZ_CHECK(ret == -EINVAL);
}

/* What the host changed between @before and now: its own fields only. */
static void fuzz_check_host_stores(const struct fuzz_host *fh, const u8 *before)
{
	unsigned off;

	for (off = 0; off < LIFECYCLE_HDR_SIZE; off++)
		if (fh->hdr[off] != before[off])
			FUZZ_CHECK(lifecycle_field_owner(off) ==
				   LIFECYCLE_OWNER_HOST);
	FUZZ_CHECK(fh->env->stop == STOP_NONE);
}

static void fuzz_host(struct fuzz_in *in)
{
	u8 before[LIFECYCLE_HDR_SIZE];
	struct fuzz_host fh;
	int n;

	fuzz_host_start(&fh);
	for (n = 0; n < MAX_STEPS && in->left; n++) {
		unsigned what = fuzz_take(in, 1), off = fuzz_take(in, 1);
		u32 val = fuzz_take(in, 4);

		switch (what % 4) {
		case 0: /* the guest stores a word, anywhere in the header */
			memcpy(fh.hdr + off % (LIFECYCLE_HDR_SIZE - 3), &val,
			       4);
			break;
		case 1:
			memcpy(before, fh.hdr, sizeof(before));
			fuzz_ring(&fh);
			fuzz_check_host_stores(&fh, before);
			break;
		case 2:
			memcpy(before, fh.hdr, sizeof(before));
			fuzz_request(&fh, what >> 2, val);
			fuzz_check_host_stores(&fh, before);
			break;
		default: /* time passes: a hook's timeout, had it one */
			fake_env_advance(fh.env, (u64)val << 10);
		}
	}
	fuzz_host_stop(&fh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	size_t len = LIFECYCLE_HDR_SIZE + fuzz_take(&in, 1);

	u8 *region = calloc(1, len);

	if (!*fuzz_dir)
		fuzz_init();
	/* The pure part: what is there of the region, zero-padded. */
	FUZZ_CHECK(region);
	memcpy(region, in.p, MIN(len, in.left));
	fuzz_pure(region, len);
	free(region);
	in.p += MIN(len, in.left);
	in.left -= MIN(len, in.left);
	fuzz_host(&in);
	return 0;
}
