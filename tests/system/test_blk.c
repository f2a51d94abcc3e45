// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk end to end (docs/disk.md): the probe guest's driver writes
 * patterned sectors, flushes and reads them back through vessel's modern
 * virtio-pci disk; the test then reads the host image. Every flushed
 * sector must be there after a poweroff from inside, after the power
 * button, and after a power cut (SIGQUIT) right after the guest reported
 * its flush. Also: read-only disks, a full host file system, malformed
 * virtqueues, several disks, INTx, and the errors a user can make.
 */
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define SECTOR 512
#define IMAGE_SIZE (8 << 20)
#define READY_MS 60000
#define FLUSHED "PROBE PASS blk-flush"

/*
 * The probe's pattern (guest/probe/vblk.h): byte i of sector s with
 * seed d.
 */
static unsigned char pattern(unsigned long long s, unsigned i, unsigned d)
{
	return (unsigned char)((unsigned)s * 131u + i * 7u + d +
			       (unsigned)(s >> 8) * 17u);
}

static void make_image(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void image_path(const struct vmrun *r, const char *name, char *out,
		       size_t n)
{
	snprintf(out, n, "%s/%s", r->dir, name);
}

/*
 * Do sectors [start, start + n) hold the pattern with @seed, and every
 * other sector of the image zeros? If not, @why names the first wrong byte.
 */
static bool image_matches(const char *path, unsigned long long start,
			  unsigned long long n, unsigned seed, char *why,
			  size_t len)
{
	unsigned char buf[SECTOR];
	unsigned long long s = 0;
	unsigned i;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return false;
	}
	for (; read(fd, buf, SECTOR) == SECTOR; s++) {
		bool data = s >= start && s < start + n;

		for (i = 0; i < SECTOR; i++) {
			if (buf[i] == (data ? pattern(s, i, seed) : 0))
				continue;
			snprintf(why, len,
				 "%s: sector %llu byte %u is %#x, expected %#x",
				 path, s, i, buf[i],
				 data ? pattern(s, i, seed) : 0);
			close(fd);
			return false;
		}
	}
	close(fd);
	snprintf(why, len, "%s: %llu sectors, the pattern needs %llu", path, s,
		 start + n);
	return s >= start + n;
}

static void check_image(const char *path, unsigned long long start,
			unsigned long long n, unsigned seed)
{
	char why[256];

	if (!image_matches(path, start, n, seed, why, sizeof(why)))
		fail_msg("%s", why);
}

static void start(struct vmrun *r, const char *scenario, const char *disk,
		  const char *disk2)
{
	const char *extra[] = { "--disk", disk, disk2 ? "--disk" : NULL, disk2,
				NULL };

	assert_int_equal(vmrun_start(r, scenario, extra), 0);
}

static void expect_line(struct vmrun *r, const char *line)
{
	if (!vmproc_wait_output(&r->p, line, READY_MS)) {
		vmrun_dump(r);
		fail_msg("no \"%s\" on the console", line);
	}
}

/* The disk-quiesced event of @disk says flushed @how. */
static void check_quiesced(struct vmrun *r, const char *disk, const char *how)
{
	int i = evlog_find(&r->ev, "disk-quiesced", 0);

	while (i >= 0 && strcmp(evlog_str(&r->ev, i, "disk"), disk))
		i = evlog_find(&r->ev, "disk-quiesced", i + 1);
	if (i < 0) {
		vmrun_dump(r);
		fail_msg("no disk-quiesced event for %s", disk);
	}
	assert_string_equal(evlog_str(&r->ev, i, "flushed"), how);
	assert_true(i > evlog_find(&r->ev, "quiesce-start", 0));
}

/* Write, flush, verify, then end as @end says; the image is checked. */
static void write_then(struct vmrun *r, const char *end, int sig, int code,
		       const char *flushed)
{
	char img[VMRUN_PATH_MAX + 16], disk[VMRUN_PATH_MAX + 64], sc[160];

	image_path(r, "disk.img", img, sizeof(img));
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s,id=probe-disk", img);
	snprintf(
		sc, sizeof(sc),
		"blk-write probe.start=100 probe.sectors=300 probe.seed=7 probe.req=16 probe.end=%s",
		end);
	start(r, sc, disk, NULL);
	expect_line(r, FLUSHED ": 300 sectors at 100 seed 7 flushed");
	if (sig) {
		if (sig == SIGTERM)
			expect_line(r, "PROBE READY blk-write");
		assert_int_equal(vmproc_kill(&r->p, sig), 0);
	}
	assert_int_equal(vmrun_finish(r), code);
	assert_int_equal(
		vmproc_count(&r->p, "PROBE PASS blk-id: \"probe-disk\""), 1);
	check_image(img, 100, 300, 7);
	check_quiesced(r, "probe-disk", flushed);
}

static void test_poweroff_from_inside(void **state)
{
	write_then(*state, "poweroff", 0, 0, "yes");
	assert_int_equal(vmproc_count(&((struct vmrun *)*state)->p,
				      "PROBE PASS blk-verify: 300 sectors"),
			 1);
}

static void test_power_button(void **state)
{
	write_then(*state, "button", SIGTERM, 0, "yes");
}

/* The power cut comes right after the flush: nothing flushed is lost. */
static void test_power_cut_after_flush(void **state)
{
	write_then(*state, "hang", SIGQUIT, 3, "no");
}

/* The host's checks catch a write that never happened. */
static void test_check_image_fails_on_a_missing_sector(void **state)
{
	struct vmrun *r = *state;
	char img[VMRUN_PATH_MAX + 16], why[256];
	unsigned char buf[SECTOR];
	int fd, i;

	image_path(r, "fake.img", img, sizeof(img));
	make_image(img, 64 * SECTOR);
	fd = open(img, O_WRONLY);
	assert_true(fd >= 0);
	for (i = 0; i < SECTOR; i++)
		buf[i] = pattern(3, i, 7);
	assert_int_equal(pwrite(fd, buf, SECTOR, 3 * SECTOR), SECTOR);
	close(fd);
	check_image(img, 3, 1, 7); /* right */
	assert_false(image_matches(img, 3, 2, 7, why, sizeof(why)));
	assert_non_null(strstr(why, "sector 4 byte 0"));
	assert_false(image_matches(img, 2, 1, 7, why, sizeof(why)));
	image_path(r, "zero.img", img, sizeof(img));
	make_image(img, 64 * SECTOR);
	assert_true(image_matches(img, 64, 0, 7, why, sizeof(why)));
	assert_false(image_matches(img, 64, 4, 7, why, sizeof(why)));
	assert_non_null(strstr(why, "64 sectors, the pattern needs 68"));
}

static void test_readonly(void **state)
{
	struct vmrun *r = *state;
	char img[VMRUN_PATH_MAX + 16], disk[VMRUN_PATH_MAX + 32];

	image_path(r, "ro.img", img, sizeof(img));
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s,readonly", img);
	start(r, "blk-readonly", disk, NULL);
	assert_int_equal(vmrun_finish(r), 0);
	if (vmproc_count(&r->p,
			 "PROBE PASS blk-readonly: write status 1, read ok") !=
	    1) {
		vmrun_dump(r);
		fail();
	}
	check_image(img, 0, 0, 0);
	check_quiesced(r, "disk0", "no");
}

/*
 * A 256 KiB tmpfs at r->dir/@name (@mnt gets its path) that a test fills;
 * the test is skipped where mounting needs a root this is not (CI is root).
 */
static void small_tmpfs(struct vmrun *r, const char *name, char *mnt, size_t n)
{
	image_path(r, name, mnt, n);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k")) {
		rmdir(mnt);
		skip();
	}
}

/* A file system that fills up: the guest sees IOERR, vessel goes on. */
static void test_host_disk_full(void **state)
{
	struct vmrun *r = *state;
	char mnt[VMRUN_PATH_MAX + 16], img[VMRUN_PATH_MAX + 32],
		disk[VMRUN_PATH_MAX + 48];
	int code, i;

	small_tmpfs(r, "full", mnt, sizeof(mnt));
	snprintf(img, sizeof(img), "%s/d.img", mnt);
	make_image(img, 32 << 20);
	snprintf(disk, sizeof(disk), "path=%s,id=full", img);
	start(r, "blk-full probe.sectors=1024", disk, NULL);
	code = vmrun_finish(r);
	i = evlog_find(&r->ev, "disk-io-error", 0);
	if (code || i < 0 || vmproc_count(&r->p, "PROBE PASS blk-ioerr: ") != 1)
		vmrun_dump(r);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	assert_int_equal(code, 0);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "disk"), "full");
	assert_string_equal(evlog_str(&r->ev, i, "op"), "write");
	assert_string_equal(evlog_str(&r->ev, i, "error"), "ENOSPC");
	assert_int_equal(vmproc_count(&r->p, "PROBE PASS blk-ioerr: "), 1);
}

/*
 * A host whose write-back fails: a loop device (a block device, so also
 * that kind of backing) over a file on a full tmpfs. The guest's writes
 * land in the host's cache and succeed; its FLUSH fails with IOERR, and
 * so does its next one, although the host kernel reports EIO only once
 * (a second fdatasync() there succeeds with the data gone). The final
 * flush at poweroff fails too, and says so.
 */
static void test_flush_error_is_sticky(void **state)
{
	struct vmrun *r = *state;
	char mnt[VMRUN_PATH_MAX + 16], img[VMRUN_PATH_MAX + 32],
		cmd[2 * VMRUN_PATH_MAX + 64], loop[64] = "", disk[96];
	int code = -1, i;
	FILE *p;

	small_tmpfs(r, "wb", mnt, sizeof(mnt));
	snprintf(img, sizeof(img), "%s/backing", mnt);
	make_image(img, 8 << 20);
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s 2>/dev/null", img);
	p = popen(cmd, "r");
	if (p && fgets(loop, sizeof(loop), p))
		loop[strcspn(loop, "\n")] = '\0';
	if (p)
		pclose(p);
	if (loop[0]) {
		snprintf(disk, sizeof(disk), "path=%s,id=wb", loop);
		start(r, "blk-flush-error", disk, NULL);
		code = vmrun_finish(r);
		snprintf(cmd, sizeof(cmd), "losetup -d %s", loop);
		if (system(cmd))
			fprintf(stderr, "%s failed\n", cmd);
	}
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	if (!loop[0])
		skip(); /* no loop devices here */
	if (code ||
	    vmproc_count(
		    &r->p,
		    "PROBE PASS blk-flush-error: first flush status 1, second flush status 1") !=
		    1)
		vmrun_dump(r);
	assert_int_equal(code, 0);
	assert_int_equal(
		vmproc_count(
			&r->p,
			"PROBE PASS blk-flush-error: first flush status 1, second flush status 1"),
		1);
	i = evlog_find(&r->ev, "disk-io-error", 0);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&r->ev, i, "op"), "flush");
	assert_string_equal(evlog_str(&r->ev, i, "error"), "EIO");
	check_quiesced(r, "wb", "failed");
}

/* Loops, addresses outside RAM, wrap-around, over-long chains. */
static void test_malformed_chains(void **state)
{
	struct vmrun *r = *state;
	static const char *const cases[] = { "loop", "oob", "wrap", "long",
					     "indirect-nested" };
	char img[VMRUN_PATH_MAX + 16], disk[VMRUN_PATH_MAX + 32], line[96];
	size_t i;

	image_path(r, "m.img", img, sizeof(img));
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s", img);
	start(r, "blk-malformed", disk, NULL);
	assert_int_equal(vmrun_finish(r), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "PROBE PASS blk-malformed-%s: needs-reset", cases[i]);
		if (vmproc_count(&r->p, line) != 1) {
			vmrun_dump(r);
			fail_msg("no \"%s\"", line);
		}
	}
	/* After each case: reset, re-init, a write and read that work. */
	assert_int_equal(
		vmproc_count(
			&r->p,
			"PROBE PASS blk-malformed: device works after reset"),
		5);
	assert_int_equal(vmproc_count(&r->p, "PROBE FAIL"), 0);
}

/* Two disks: the guest writes the second; the first stays untouched. */
static void test_two_disks(void **state)
{
	struct vmrun *r = *state;
	char a[VMRUN_PATH_MAX + 16], b[VMRUN_PATH_MAX + 16];
	char da[VMRUN_PATH_MAX + 64], db[VMRUN_PATH_MAX + 64];

	image_path(r, "a.img", a, sizeof(a));
	image_path(r, "b.img", b, sizeof(b));
	make_image(a, IMAGE_SIZE);
	make_image(b, IMAGE_SIZE / 2);
	snprintf(da, sizeof(da), "path=%s,id=first", a);
	snprintf(db, sizeof(db), "path=%s,id=second", b);
	start(r, "blk-write probe.disk=1 probe.sectors=40 probe.seed=3", da,
	      db);
	assert_int_equal(vmrun_finish(r), 0);
	assert_int_equal(vmproc_count(&r->p, "PROBE PASS blk-id: \"second\""),
			 1);
	assert_int_equal(vmproc_count(&r->p, "capacity 8192 sectors"), 1);
	check_image(a, 0, 0, 0);
	check_image(b, 0, 40, 3);
}

/* Run @scenario on a fresh image (@img) with disk options @opts. */
static void run_variant(void **state, const char *opts, const char *scenario,
			char *img, size_t n)
{
	struct vmrun *r = *state;
	char disk[VMRUN_PATH_MAX + 64];

	image_path(r, "v.img", img, n);
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s%s", img, opts);
	start(r, scenario, disk, NULL);
	if (vmrun_finish(r) || vmproc_count(&r->p, "PROBE FAIL")) {
		vmrun_dump(r);
		fail();
	}
}

/* Without MSI-X: INTx and the ISR register, as old drivers use. */
static void test_intx(void **state)
{
	char img[VMRUN_PATH_MAX + 16];

	run_variant(state, "",
		    "blk-write probe.blk-intx=1 probe.sectors=64 probe.seed=5",
		    img, sizeof(img));
	check_image(img, 0, 64, 5);
}

static void test_writethrough(void **state)
{
	char img[VMRUN_PATH_MAX + 16];

	run_variant(state, ",cache=writethrough",
		    "blk-write probe.sectors=32 probe.seed=9", img,
		    sizeof(img));
	check_image(img, 0, 32, 9);
}

static void test_write_zeroes_and_discard(void **state)
{
	char img[VMRUN_PATH_MAX + 16];

	run_variant(state, "", "blk-zeroes", img, sizeof(img));
	assert_int_equal(
		vmproc_count(
			&((struct vmrun *)*state)->p,
			"PROBE PASS blk-zeroes: write-zeroes ok, discard ok"),
		1);
}

/* `vesselctl status` counts what the guest did with each disk. */
static void test_status_counts(void **state)
{
	struct vmrun *r = *state;
	char img[VMRUN_PATH_MAX + 16], disk[VMRUN_PATH_MAX + 64];
	const char *extra[] = { "--disk", disk, "--control", r->ctl, NULL };
	const char *argv[] = { vesselctl_path(), "--vm",   r->ctl,
			       "status",	 "--json", NULL };
	struct json_object *st, *d;
	struct vmproc c;

	image_path(r, "st.img", img, sizeof(img));
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s,id=counted", img);
	assert_int_equal(vmrun_start(r,
				     "blk-write probe.sectors=64 probe.req=8 "
				     "probe.end=hang",
				     extra),
			 0);
	expect_line(r, "PROBE READY blk-write");
	assert_int_equal(vmproc_start(&c, argv), 0);
	assert_int_equal(vmproc_wait_exit(&c, READY_MS), 0);
	st = json_tokener_parse(c.out);
	vmproc_free(&c);
	assert_non_null(st);
	d = json_object_array_get_idx(json_object_object_get(st, "disks"), 0);
	assert_non_null(d);
	assert_string_equal(
		json_object_get_string(json_object_object_get(d, "id")),
		"counted");
#define FIELD(k) json_object_get_int(json_object_object_get(d, k))
	assert_int_equal(FIELD("sectors"), IMAGE_SIZE / SECTOR);
	assert_int_equal(FIELD("writes"), 8); /* 64 sectors, 8 a request */
	assert_int_equal(FIELD("reads"), 8); /* read back the same way */
	assert_int_equal(FIELD("flushes"), 1);
	assert_int_equal(FIELD("errors"), 0);
#undef FIELD
	json_object_put(st);
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	assert_int_equal(vmrun_finish(r), 3);
}

/* vessel refuses a bad disk with exit 64 and says why. */
static void expect_refused(struct vmrun *r, const char *disk,
			   const char *message)
{
	const char *extra[] = { "--disk", disk, NULL };

	assert_int_equal(vmrun_start(r, "poweroff", extra), 0);
	assert_int_equal(vmproc_wait_exit(&r->p, READY_MS), 64);
	if (!strstr(r->p.err ? r->p.err : "", message)) {
		vmrun_dump(r);
		fail_msg("no \"%s\" in stderr", message);
	}
	vmproc_free(&r->p);
	memset(&r->p, 0, sizeof(r->p));
}

static void test_bad_disks(void **state)
{
	struct vmrun *r = *state;
	char img[VMRUN_PATH_MAX + 16], arg[VMRUN_PATH_MAX + 64];

	expect_refused(r, "path=/nonexistent/disk.img", "cannot open");
	expect_refused(r, "readonly", "needs path=FILE");
	expect_refused(r, "path=/dev/null,bogus=1", "is not key=value");
	expect_refused(r, "path=/dev/null,readonly=maybe", "readonly=maybe");
	image_path(r, "tiny.img", img, sizeof(img));
	make_image(img, 100);
	snprintf(arg, sizeof(arg), "path=%s", img);
	expect_refused(r, arg, "smaller than one 512-byte sector");
	snprintf(arg, sizeof(arg), "path=%s", r->dir);
	expect_refused(r, arg, "Is a directory");
	expect_refused(r, "path=/dev/null",
		       "not a regular file or block device");
	make_image(img, IMAGE_SIZE);
	snprintf(arg, sizeof(arg), "path=%s,id=012345678901234567890", img);
	expect_refused(r, arg, "id is at most 20 bytes");
}

/* A second vessel cannot open a disk the first one writes. */
static void test_image_locked(void **state)
{
	struct vmrun *r = *state, other;
	char img[VMRUN_PATH_MAX + 16], disk[VMRUN_PATH_MAX + 32];
	const char *extra[] = { "--disk", disk, NULL };

	image_path(r, "shared.img", img, sizeof(img));
	make_image(img, IMAGE_SIZE);
	snprintf(disk, sizeof(disk), "path=%s", img);
	start(r, "blk-write probe.sectors=8 probe.end=hang", disk, NULL);
	expect_line(r, "PROBE READY blk-write");
	assert_int_equal(vmrun_init(&other), 0);
	assert_int_equal(vmrun_start(&other, "poweroff", extra), 0);
	assert_int_equal(vmproc_wait_exit(&other.p, READY_MS), 64);
	assert_non_null(strstr(other.p.err, "is in use (locked)"));
	vmrun_free(&other);
	assert_int_equal(vmproc_kill(&r->p, SIGQUIT), 0);
	assert_int_equal(vmrun_finish(r), 3);
	check_image(img, 0, 8, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, vmrun_setup, vmrun_teardown)
		T(test_poweroff_from_inside),
		T(test_power_button),
		T(test_power_cut_after_flush),
		T(test_check_image_fails_on_a_missing_sector),
		T(test_readonly),
		T(test_host_disk_full),
		T(test_flush_error_is_sticky),
		T(test_malformed_chains),
		T(test_two_disks),
		T(test_intx),
		T(test_writethrough),
		T(test_write_zeroes_and_discard),
		T(test_status_counts),
		T(test_bad_disks),
		T(test_image_locked),
#undef T
	};

	return cmocka_run_group_tests_name("blk", tests, NULL, NULL);
}
