// SPDX-License-Identifier: Apache-2.0
/*
 * vessel-guest: its parsers on hostile input (durations, arguments,
 * region names, the ivshmem name capability, sysfs `resource` lines),
 * then the real static binary against a fake sysfs tree
 * (VESSEL_GUEST_SYSFS) whose resourceN files are plain files: they map
 * like BARs, so this test plays the device and the host on the same
 * bytes. A plain file does not act on writes, so the factory's answers
 * (status, shmem, the connection's idx and peers) are written up front.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../guest/tools/vg.h"
#include "../../src/common/lifecycle.h"

#ifndef VESSEL_GUEST_BIN
#define VESSEL_GUEST_BIN "build/vessel-guest"
#endif

#define PAGE 4096
#define QNX_ADDR "0000:00:04.0"
#define IVSHMEM_ADDR "0000:00:05.0"
#define BAR0_QNX 0xfebf0000ull
#define BAR2_QNX 0xfe000000ull
#define BAR2_QNX_SIZE (16 * PAGE)
#define CTRL_OFF (3 * PAGE) /* this connection's control page in BAR2 */
#define BAR2_IVSHMEM 0xfd000000ull
#define BAR2_IVSHMEM_SIZE (4 * PAGE)

/* One fake machine: a sysfs tree and the files' mappings. */
struct fake {
	char root[64];
	char out[128], err[128]; /* the last run's stdout and stderr */
	u8 *factory; /* QNX BAR0 */
	u8 *qnx_bar2;
	u8 *ctrl, *data; /* inside qnx_bar2 */
	u8 *iv_regs, *iv_data; /* ivshmem BAR0 and BAR2 */
	char stdout_text[4096], stderr_text[4096];
};

static struct fake F;

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4); /* the test runs on x86: little-endian */
}

static u32 get32(const u8 *p)
{
	return __atomic_load_n((const u32 *)p, __ATOMIC_ACQUIRE);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* @root/bus/pci/devices/@addr/@file, in @path. */
static char *dev_path(char *path, const char *addr, const char *file)
{
	sprintf(path, "%s/bus/pci/devices/%s%s%s", F.root, addr,
		file ? "/" : "", file ? file : "");
	return path;
}

static void dev_file(const char *addr, const char *file, const char *text)
{
	char path[256];

	write_file(dev_path(path, addr, file), text, strlen(text));
}

/* A sparse file of @len bytes, mapped shared. */
static u8 *dev_bar(const char *addr, const char *file, size_t len)
{
	char path[256];
	int fd = open(dev_path(path, addr, file), O_RDWR | O_CREAT, 0600);
	u8 *m;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	close(fd);
	return m;
}

static void make_dev(const char *addr, const char *vendor, const char *device,
		     const char *rev, u64 bar0, u64 bar0_size, u64 bar2,
		     u64 bar2_size)
{
	char path[256], res[1024];

	dev_path(path, addr, NULL);
	assert_int_equal(mkdir(path, 0755), 0);
	dev_file(addr, "vendor", vendor);
	dev_file(addr, "device", device);
	dev_file(addr, "revision", rev);
	dev_file(addr, "enable", "0\n");
	/* As Linux prints it: start, end, flags, for BARs 0-5 and the ROM. */
	snprintf(res, sizeof(res),
		 "0x%016llx 0x%016llx 0x0000000000040200\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x%016llx 0x%016llx 0x000000000014220c\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n",
		 (unsigned long long)bar0,
		 (unsigned long long)(bar0 + bar0_size - 1),
		 (unsigned long long)bar2,
		 (unsigned long long)(bar2 + bar2_size - 1));
	dev_file(addr, "resource", res);
}

/* A lifecycle header as the host set it up, into @p. */
static void host_setup(u8 *p)
{
	struct lifecycle_hdr h;

	lifecycle_init(&h);
	lifecycle_encode(&h, p);
}

/*
 * The QNX device with the factory's answers to an attach already in
 * place: status GSS_OK, the control page at BAR2 + CTRL_OFF, our index
 * 1, peers 0 (the host) and 1 attached.
 */
static void make_qnx(void)
{
	make_dev(QNX_ADDR, "0x1c05\n", "0x0001\n", "0x00\n", BAR0_QNX, PAGE,
		 BAR2_QNX, BAR2_QNX_SIZE);
	F.factory = dev_bar(QNX_ADDR, "resource0", PAGE);
	F.qnx_bar2 = dev_bar(QNX_ADDR, "resource2", BAR2_QNX_SIZE);
	u64 sig = 0x4d534732474d5651ull, shmem = BAR2_QNX + CTRL_OFF;
	memcpy(F.factory, &sig, 8);
	memcpy(F.factory + 8, &shmem, 8);
	put32(F.factory + 0x10, 11); /* vector */
	F.ctrl = F.qnx_bar2 + CTRL_OFF;
	F.data = F.ctrl + PAGE;
	put32(F.ctrl, 0x3u << 16);
	put32(F.ctrl + 4, 1);
	host_setup(F.data);
}

/* ivshmem named @name (NULL: no capability), IVPosition 1. */
static void make_ivshmem(const char *addr, const char *name)
{
	u8 cfg[256] = { 0xf4, 0x1a, 0x10, 0x11 };

	make_dev(addr, "0x1af4\n", "0x1110\n", "0x01\n", 0xfebf1000, 256,
		 BAR2_IVSHMEM, BAR2_IVSHMEM_SIZE);
	if (name) {
		/* An MSI-X capability first, then the vendor one. */
		cfg[0x06] = 0x10;
		cfg[0x34] = 0x40;
		cfg[0x40] = 0x11;
		cfg[0x41] = 0x50;
		cfg[0x50] = 0x09;
		cfg[0x51] = 0x00;
		cfg[0x52] = (u8)(3 + strlen(name) + 1);
		strcpy((char *)cfg + 0x53, name);
	}
	char path[256];
	write_file(dev_path(path, addr, "config"), cfg, sizeof(cfg));
	F.iv_regs = dev_bar(addr, "resource0", 256);
	F.iv_data = dev_bar(addr, "resource2", BAR2_IVSHMEM_SIZE);
	put32(F.iv_regs + 8, 1); /* IVPosition */
	host_setup(F.iv_data);
}

static int setup(void **state)
{
	char path[128];

	(void)state;
	memset(&F, 0, sizeof(F));
	strcpy(F.root, "/tmp/vg-test.XXXXXX");
	assert_non_null(mkdtemp(F.root));
	snprintf(path, sizeof(path), "%s/bus", F.root);
	assert_int_equal(mkdir(path, 0755), 0);
	strcat(path, "/pci");
	assert_int_equal(mkdir(path, 0755), 0);
	strcat(path, "/devices");
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(F.out, sizeof(F.out), "%s/stdout", F.root);
	snprintf(F.err, sizeof(F.err), "%s/stderr", F.root);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	/* The mappings stay until exit; unlinked files are fine. */
	return nftw(F.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static pid_t spawn(const char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		int o = open(F.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(F.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(o, 1);
		dup2(e, 2);
		setenv("VESSEL_GUEST_SYSFS", F.root, 1);
		execv(VESSEL_GUEST_BIN, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The exit code of the run; its output in F.stdout_text/stderr_text. */
static int reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	read_text(F.out, F.stdout_text, sizeof(F.stdout_text));
	read_text(F.err, F.stderr_text, sizeof(F.stderr_text));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define RUN(...) \
	reap(spawn((const char *const[]){ "vessel-guest", __VA_ARGS__, NULL }))

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

/* As the host: wait for guest_seq to leave @seq, then ack it. */
static u32 host_ack_next(u8 *data, u32 seq)
{
	u64 deadline = now_ms() + 5000;
	u32 now;

	while ((now = get32(data + LIFECYCLE_OFF_GUEST_SEQ)) == seq) {
		assert_true(now_ms() < deadline);
		usleep(500);
	}
	__atomic_store_n((u32 *)(data + LIFECYCLE_OFF_HOST_ACK), now,
			 __ATOMIC_RELEASE);
	return now;
}

static void decode(const u8 *data, struct lifecycle_hdr *h)
{
	assert_int_equal(lifecycle_check(data, PAGE, h, NULL, 0), 0);
}

/* ---- parsers ---- */

static void test_durations(void **state)
{
	static const struct {
		const char *s;
		u64 ms;
	} good[] = {
		{ "5s", 5000 },
		{ "5", 5000 },
		{ "500ms", 500 },
		{ "2m", 120000 },
		{ "1.5s", 1500 },
		{ "0.001", 1 },
		{ "0", 0 },
		{ "0ms", 0 },
		{ "0.25m", 15000 },
		{ "86400s", 86400000 },
		{ "1440m", 86400000 },
	};
	static const char *const bad[] = {
		"",	      "s",	"ms",
		"-1",	      "+1",	"5x",
		"5 s",	      "5S",	"1.s",
		".5",	      "1.0001", "1.5ms",
		"86401",      "1441m",	"1e3",
		"0x10",	      "5ss",	"99999999999999999999",
		"1.0000001s",
	};
	u64 ms;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ms = 7;
		assert_int_equal(vg_parse_duration(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (vg_parse_duration(bad[i], &ms) != -EINVAL)
			fail_msg("duration \"%s\" accepted", bad[i]);
	}
}

static int parse(struct vg_args *a, char *why, ...)
{
	const char *argv[16] = { "vessel-guest" };
	int argc = 1;
	va_list ap;

	va_start(ap, why);
	while ((argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	why[0] = 0;
	return vg_parse_args(argc, (char *const *)argv, a, why, 256);
}

static void test_args(void **state)
{
	struct vg_args a;
	char why[256];

	(void)state;
	assert_int_equal(parse(&a, why, "notify", "shutting-down", NULL), 0);
	assert_int_equal(a.verb, VG_NOTIFY);
	assert_int_equal(a.state, LIFECYCLE_SHUTTING_DOWN);
	assert_false(a.has_limit);
	assert_int_equal(a.peer, -1);
	assert_string_equal(a.region, "lifecycle");
	assert_int_equal(
		parse(&a, why, "notify", "--wait-ack", "5s", "halted", NULL),
		0);
	assert_true(a.has_limit);
	assert_int_equal(a.limit_ms, 5000);
	assert_int_equal(a.state, LIFECYCLE_HALTED);
	assert_int_equal(parse(&a, why, "notify", "rebooting",
			       "--wait-ack=250ms", "--peer", "3",
			       "--region=lc2", NULL),
			 0);
	assert_int_equal(a.limit_ms, 250);
	assert_int_equal(a.peer, 3);
	assert_string_equal(a.region, "lc2");
	assert_int_equal(
		parse(&a, why, "wait-request", "--timeout", "2m", NULL), 0);
	assert_int_equal(a.verb, VG_WAIT_REQUEST);
	assert_int_equal(a.limit_ms, 120000);
	assert_int_equal(
		parse(&a, why, "ring", "15", "--region", "devshare", NULL), 0);
	assert_int_equal(a.peer, 15);
	assert_int_equal(parse(&a, why, "list", NULL), 0);
	assert_int_equal(parse(&a, why, "--help", NULL), 0);
	assert_int_equal(a.verb, VG_HELP);

	static const struct {
		const char *argv[5];
		const char *why;
	} bad[] = {
		{ { NULL }, "no command" },
		{ { "shutdown" }, "unknown command shutdown" },
		{ { "notify" }, "notify needs a STATE" },
		{ { "notify", "unknown" }, "the state is one of" },
		{ { "notify", "shutting_down" }, "the state is one of" },
		{ { "notify", "running", "halted" },
		  "unexpected argument halted" },
		{ { "notify", "running", "--wait-ack" },
		  "--wait-ack needs a value" },
		{ { "notify", "running", "--wait-ack", "soon" },
		  "not a duration" },
		{ { "notify", "running", "--timeout", "1" },
		  "notify does not take --timeout" },
		{ { "notify", "running", "--wait-ack=1", "--wait-ack=2" },
		  "given twice" },
		{ { "notify", "running", "--peer", "16" },
		  "a peer is 0 to 15" },
		{ { "notify", "running", "--peer", "-1" },
		  "a peer is 0 to 15" },
		{ { "notify", "running", "--peer", "1x" },
		  "a peer is 0 to 15" },
		{ { "notify", "running", "--verbose" },
		  "unknown option --verbose" },
		{ { "wait-request", "--wait-ack", "1" },
		  "does not take --wait-ack" },
		{ { "wait-request", "poweroff" }, "unexpected argument" },
		{ { "ring" }, "ring needs a PEER" },
		{ { "ring", "16" }, "a peer is 0 to 15" },
		{ { "ring", "" }, "a peer is 0 to 15" },
		{ { "ring", "1", "--peer", "2" }, "ring does not take --peer" },
		{ { "ring", "1", "--region", ".hidden" }, "names are 1-31" },
		{ { "ring", "1", "--region", "" }, "names are 1-31" },
		{ { "ring", "1", "--region", "a/b" }, "names are 1-31" },
		{ { "ring", "1", "--region",
		    "abcdefghijklmnopqrstuvwxyz012345" },
		  "names are 1-31" },
		{ { "list", "all" }, "unexpected argument all" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *const *v = bad[i].argv;

		assert_int_equal(parse(&a, why, v[0], v[1], v[2], v[3], NULL),
				 -EINVAL);
		if (!strstr(why, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why,
				 bad[i].why);
	}
}

static void test_name_check(void **state)
{
	(void)state;
	assert_int_equal(vg_name_check("lifecycle"), 0);
	assert_int_equal(vg_name_check("a.b_c-D9"), 0);
	assert_int_equal(vg_name_check("abcdefghijklmnopqrstuvwxyz01234"), 0);
	assert_int_equal(vg_name_check("abcdefghijklmnopqrstuvwxyz012345"),
			 -EINVAL);
	assert_int_equal(vg_name_check(""), -EINVAL);
	assert_int_equal(vg_name_check(".x"), -EINVAL);
	assert_int_equal(vg_name_check("a b"), -EINVAL);
	assert_int_equal(vg_name_check("a\xc3\xa9"), -EINVAL);
	assert_int_equal(vg_name_check("../x"), -EINVAL);
}

/* Config space with the capability list bit and the list at 0x40. */
static void cfg_init(u8 *cfg)
{
	memset(cfg, 0, 256);
	cfg[0x06] = 0x10;
	cfg[0x34] = 0x40;
}

static void cap(u8 *cfg, u8 pos, u8 id, u8 next, u8 len, const char *s)
{
	cfg[pos] = id;
	cfg[pos + 1] = next;
	cfg[pos + 2] = len;
	if (s)
		memcpy(cfg + pos + 3, s, strlen(s) + 1);
}

static void test_cap_name(void **state)
{
	u8 cfg[256];
	char name[VG_NAME_MAX];

	(void)state;
	/* Vendor capability after another one. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x11, 0x60, 12, NULL);
	cap(cfg, 0x60, 0x09, 0x00, 13, "lifecycle");
	assert_int_equal(vg_cap_name(cfg, 256, name), 0);
	assert_string_equal(name, "lifecycle");
	/* Low two bits of the pointers are reserved and ignored. */
	cfg[0x34] = 0x43;
	cfg[0x41] = 0x62;
	assert_int_equal(vg_cap_name(cfg, 256, name), 0);
	/* Only the first 64 bytes (what a non-root user reads): none. */
	assert_int_equal(vg_cap_name(cfg, 64, name), -ENOENT);
	/* The capability cut off by what was read. */
	assert_int_equal(vg_cap_name(cfg, 0x68, name), -ENOENT);
	/* No capability list bit. */
	cfg[0x06] = 0;
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* A loop: terminates, finds nothing. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x11, 0x40, 12, NULL);
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* A pointer into the standard header, and one past the end. */
	cfg_init(cfg);
	cfg[0x34] = 0x10;
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	cfg_init(cfg);
	cap(cfg, 0x40, 0x11, 0xfe, 12, NULL);
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* Name not terminated inside the capability's length. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x09, 0x00, 12, "lifecycle");
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* Length past the end of config space. */
	cfg_init(cfg);
	cfg[0x34] = 0xf8;
	cap(cfg, 0xf8, 0x09, 0x00, 13, NULL);
	memcpy(cfg + 0xfb, "abcd", 4);
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* Too short to hold a name, an empty name, a bad and a long one. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x09, 0x00, 3, NULL);
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	cap(cfg, 0x40, 0x09, 0x00, 4, "");
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	cap(cfg, 0x40, 0x09, 0x00, 8, "a/b");
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	cap(cfg, 0x40, 0x09, 0x00, 36, "abcdefghijklmnopqrstuvwxyz012345");
	assert_int_equal(vg_cap_name(cfg, 256, name), -ENOENT);
	/* A bad vendor capability, then a good one: the good one. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x09, 0x80, 8, "a/b");
	cap(cfg, 0x80, 0x09, 0x00, 12, "devshare");
	assert_int_equal(vg_cap_name(cfg, 256, name), 0);
	assert_string_equal(name, "devshare");
	/* Longest name, exactly filling its capability. */
	cfg_init(cfg);
	cap(cfg, 0x40, 0x09, 0x00, 35, "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(vg_cap_name(cfg, 256, name), 0);
	assert_string_equal(name, "abcdefghijklmnopqrstuvwxyz01234");
}

static void test_resource(void **state)
{
	static const char text[] =
		"0x00000000febf0000 0x00000000febf0fff 0x0000000000040200\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000008000000000 0x000000800003ffff 0x000000000014220c\n";
	u64 start = 1, size = 1;

	(void)state;
	assert_int_equal(vg_parse_resource(text, 0, &start, &size), 0);
	assert_int_equal(start, 0xfebf0000);
	assert_int_equal(size, 0x1000);
	assert_int_equal(vg_parse_resource(text, 2, &start, &size), 0);
	assert_int_equal(start, 0x8000000000ull);
	assert_int_equal(size, 0x40000);
	assert_int_equal(vg_parse_resource(text, 1, &start, &size), -ENOENT);
	assert_int_equal(vg_parse_resource(text, 3, &start, &size), -ENOENT);
	assert_int_equal(vg_parse_resource(text, 6, &start, &size), -ENOENT);
	assert_int_equal(vg_parse_resource("", 0, &start, &size), -ENOENT);
	assert_int_equal(vg_parse_resource("garbage\n", 0, &start, &size),
			 -EINVAL);
	assert_int_equal(
		vg_parse_resource("0x2000 0x1000 0x0\n", 0, &start, &size),
		-EINVAL);
}

/* ---- the sysfs tree ---- */

static void test_scan(void **state)
{
	struct vg_pci devs[8];
	char path[256];

	(void)state;
	make_ivshmem(IVSHMEM_ADDR, "lifecycle");
	make_qnx();
	make_ivshmem("0000:00:06.0", NULL);
	/* Not ours: virtio-net, ivshmem revision 0, a stray file. */
	make_dev("0000:00:03.0", "0x1af4\n", "0x1000\n", "0x00\n", 0xc000, 32,
		 0, 0);
	make_dev("0000:00:07.0", "0x1af4\n", "0x1110\n", "0x00\n", 0xd000, 256,
		 0, 0);
	write_file(dev_path(path, "stray", NULL), "x", 1);

	assert_int_equal(vg_scan(F.root, devs, 8), 3);
	assert_string_equal(devs[0].addr, QNX_ADDR);
	assert_int_equal(devs[0].model, VG_QNX);
	assert_string_equal(devs[0].name, "");
	assert_string_equal(devs[1].addr, IVSHMEM_ADDR);
	assert_int_equal(devs[1].model, VG_IVSHMEM);
	assert_string_equal(devs[1].name, "lifecycle");
	assert_string_equal(devs[2].addr, "0000:00:06.0");
	assert_string_equal(devs[2].name, "");
	/* A short array: the count still says how many. */
	assert_int_equal(vg_scan(F.root, devs, 1), 3);
	/* No PCI directory at all. */
	assert_int_equal(vg_scan("/nonexistent", devs, 8), -ENOENT);

	assert_int_equal(RUN("list"), VG_EXIT_OK);
	assert_string_equal(F.stdout_text,
			    QNX_ADDR " qnx: any region, by name\n" IVSHMEM_ADDR
				     " ivshmem: region lifecycle\n"
				     "0000:00:06.0 ivshmem: no region name\n");
}

static void test_list_none(void **state)
{
	(void)state;
	assert_int_equal(RUN("list"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text, "no shmem device"));
	assert_string_equal(F.stdout_text, "");
	assert_int_equal(RUN("notify", "running"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text,
			       "no shmem device serves region lifecycle"));
}

/* ---- the binary on the QNX model ---- */

static void assert_attached_and_detached(void)
{
	char text[16];
	char path[256];

	/* Name byte by byte with its NUL, then the size: one page. */
	assert_memory_equal(F.factory + 0x1c, "lifecycle", 10);
	assert_int_equal(get32(F.factory + 0x18), 1);
	/* Detached on the way out; the device was enabled. */
	assert_int_equal(get32(F.ctrl + 12), 1);
	read_text(dev_path(path, QNX_ADDR, "enable"), text, sizeof(text));
	assert_int_equal(text[0], '1');
}

static void test_notify_acked(void **state)
{
	struct lifecycle_hdr h;

	(void)state;
	make_qnx();
	put32(F.data + LIFECYCLE_OFF_GUEST_SEQ, 41);
	put32(F.data + LIFECYCLE_OFF_HOST_ACK, 41);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 7); /* the host's: untouched */
	pid_t pid = spawn((const char *const[]){ "vessel-guest", "notify",
						 "shutting-down", "--wait-ack",
						 "5s", NULL });
	assert_int_equal(host_ack_next(F.data, 41), 42);
	assert_int_equal(reap(pid), VG_EXIT_OK);

	decode(F.data, &h);
	assert_int_equal(h.guest_state, LIFECYCLE_SHUTTING_DOWN);
	assert_int_equal(h.guest_seq, 42);
	assert_int_equal(h.host_ack, 42);
	assert_int_equal(h.host_seq, 7);
	assert_int_equal(h.guest_ack, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	u64 now = (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
	assert_true(h.guest_time_ns <= now &&
		    h.guest_time_ns > now - 10000000000ull);
	/* The host (peer 0, the lowest attached other than us) was rung. */
	assert_int_equal(get32(F.ctrl + 8), 1u << 0);
	assert_attached_and_detached();
	assert_string_equal(F.stderr_text, "");
	assert_non_null(
		strstr(F.stdout_text,
		       "announced shutting-down (seq 42), rang peer 0\n"
		       "host acknowledged shutting-down (seq 42) after "));
}

static void test_notify_no_ack(void **state)
{
	struct lifecycle_hdr h;
	u64 t0, ms;

	(void)state;
	make_qnx();
	t0 = now_ms();
	assert_int_equal(RUN("notify", "rebooting", "--wait-ack", "300ms"),
			 VG_EXIT_TIMEOUT);
	ms = now_ms() - t0;
	/* Bounded by T from its start, give or take the process's start. */
	assert_true(ms >= 300);
	assert_true(ms < 1300);
	decode(F.data, &h);
	assert_int_equal(h.guest_state, LIFECYCLE_REBOOTING);
	assert_int_equal(h.guest_seq, 1);
	assert_int_equal(h.host_ack, 0);
	assert_string_equal(F.stdout_text,
			    "announced rebooting (seq 1), rang peer 0\n");
	assert_non_null(strstr(
		F.stderr_text,
		"warning: no acknowledgement of rebooting (seq 1) within 300 ms; going on"));
	assert_attached_and_detached();
	/* The host acks an older one late: still not ours. */
	put32(F.data + LIFECYCLE_OFF_HOST_ACK, 1);
	assert_int_equal(RUN("notify", "halted", "--wait-ack", "0.1"),
			 VG_EXIT_TIMEOUT);
	decode(F.data, &h);
	assert_int_equal(h.guest_seq, 2);
	assert_int_equal(h.guest_state, LIFECYCLE_HALTED);
}

static void test_notify_no_wait(void **state)
{
	struct lifecycle_hdr h;

	(void)state;
	make_qnx();
	put32(F.data + LIFECYCLE_OFF_GUEST_SEQ, 0xffffffff);
	assert_int_equal(RUN("notify", "running", "--peer", "1"), VG_EXIT_OK);
	decode(F.data, &h);
	assert_int_equal(h.guest_state, LIFECYCLE_RUNNING);
	assert_int_equal(h.guest_seq, 1); /* wrapped past 0 */
	assert_int_equal(get32(F.ctrl + 8), 1u << 1);
	assert_string_equal(F.stdout_text,
			    "announced running (seq 1), rang peer 1\n");
	/* Nobody else attached: announced, no ring, still a success. */
	put32(F.ctrl, 0x2u << 16);
	put32(F.ctrl + 8, 0);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_OK);
	assert_string_equal(
		F.stdout_text,
		"announced running (seq 2), no host peer to ring\n");
	assert_int_equal(get32(F.ctrl + 8), 0);
}

static void test_qnx_refusals(void **state)
{
	(void)state;
	make_qnx();
	/* The factory says no. */
	put32(F.factory + 0x14, 5);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_NODEV);
	assert_non_null(strstr(
		F.stderr_text,
		"region lifecycle: the factory said 5 (GSS_NO_PERMISSION)"));
	put32(F.factory + 0x14, 0);
	/* Control page outside BAR2, or not on a page. */
	u64 bad = BAR2_QNX + BAR2_QNX_SIZE;
	memcpy(F.factory + 8, &bad, 8);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text, "is not a page of BAR2"));
	bad = BAR2_QNX + CTRL_OFF + 8;
	memcpy(F.factory + 8, &bad, 8);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_NODEV);
	bad = BAR2_QNX + CTRL_OFF;
	memcpy(F.factory + 8, &bad, 8);
	/* A header nobody set up, then one from a later major. */
	memset(F.data, 0, 64);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text, "the host has not set it up"));
	host_setup(F.data);
	F.data[LIFECYCLE_OFF_MAJOR] = 2;
	assert_int_equal(RUN("wait-request"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text, "major 2 is unknown here"));
	assert_int_equal(get32(F.data + LIFECYCLE_OFF_GUEST_SEQ), 0);
	/* No signature: not the device we think. */
	memset(F.factory, 0, 8);
	assert_int_equal(RUN("ring", "0"), VG_EXIT_NODEV);
	assert_non_null(
		strstr(F.stderr_text, "no QNX shmem factory signature"));
}

static void test_ring_qnx(void **state)
{
	(void)state;
	make_qnx();
	assert_int_equal(RUN("ring", "0", "--region", "devshare"), VG_EXIT_OK);
	assert_string_equal(F.stdout_text,
			    "rang peer 0 on region devshare (we are peer 1)\n");
	assert_memory_equal(F.factory + 0x1c, "devshare", 9);
	assert_int_equal(get32(F.ctrl + 8), 1);
	put32(F.ctrl + 8, 0);
	/* Peer 5 is not attached: no ring. */
	assert_int_equal(RUN("ring", "5"), VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text, "peer 5 is not attached"));
	assert_int_equal(get32(F.ctrl + 8), 0);
	assert_int_equal(get32(F.ctrl + 12), 1);
}

static void test_wait_request(void **state)
{
	struct lifecycle_hdr h;
	u64 t0;

	(void)state;
	make_qnx();
	/* Nothing asked: times out after T. */
	t0 = now_ms();
	assert_int_equal(RUN("wait-request", "--timeout", "200ms"),
			 VG_EXIT_TIMEOUT);
	assert_true(now_ms() - t0 >= 200);
	assert_non_null(strstr(F.stderr_text,
			       "no request from the host within 200 ms"));
	/* A request made before it started is not lost. */
	put32(F.data + LIFECYCLE_OFF_HOST_REQUEST, LIFECYCLE_REQ_REBOOT);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 9);
	assert_int_equal(RUN("wait-request"), VG_EXIT_OK);
	assert_string_equal(F.stdout_text, "reboot\n");
	decode(F.data, &h);
	assert_int_equal(h.guest_ack, 9);
	assert_int_equal(h.guest_seq, 0);
	assert_int_equal(get32(F.ctrl + 8), 1);
	/* Taken: the next wait sees nothing until the host asks again. */
	pid_t pid = spawn((const char *const[]){ "vessel-guest", "wait-request",
						 "--timeout", "5s", NULL });
	usleep(100000);
	put32(F.data + LIFECYCLE_OFF_HOST_REQUEST, LIFECYCLE_REQ_POWEROFF);
	__atomic_store_n((u32 *)(F.data + LIFECYCLE_OFF_HOST_SEQ), 10,
			 __ATOMIC_RELEASE);
	assert_int_equal(reap(pid), VG_EXIT_OK);
	assert_string_equal(F.stdout_text, "poweroff\n");
	assert_int_equal(get32(F.data + LIFECYCLE_OFF_GUEST_ACK), 10);
	/* A request this version does not know: warned, not taken. */
	put32(F.data + LIFECYCLE_OFF_HOST_REQUEST, 9);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 11);
	assert_int_equal(RUN("wait-request", "--timeout", "100ms"),
			 VG_EXIT_TIMEOUT);
	assert_non_null(
		strstr(F.stderr_text,
		       "request 9 (seq 11) is unknown here; not taken"));
	assert_int_equal(get32(F.data + LIFECYCLE_OFF_GUEST_ACK), 10);
	assert_string_equal(F.stdout_text, "");
	/* A withdrawal ("none") is taken, silently; the wait goes on. */
	put32(F.data + LIFECYCLE_OFF_HOST_REQUEST, LIFECYCLE_REQ_NONE);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 12);
	assert_int_equal(RUN("wait-request", "--timeout", "100ms"),
			 VG_EXIT_TIMEOUT);
	assert_int_equal(get32(F.data + LIFECYCLE_OFF_GUEST_ACK), 12);
	assert_string_equal(F.stdout_text, "");
	/* 1.1: a peer going down, with its name at offset 40; taken. */
	memcpy(F.data + LIFECYCLE_OFF_PEER_NAME, "db-0\0\0\0\0\0\0\0\0\0\0\0\0",
	       LIFECYCLE_PEER_NAME_LEN);
	put32(F.data + LIFECYCLE_OFF_HOST_REQUEST, LIFECYCLE_REQ_PEER_DOWN);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 13);
	assert_int_equal(RUN("wait-request", "--timeout", "1s"), VG_EXIT_OK);
	assert_string_equal(F.stdout_text, "peer-shutting-down db-0\n");
	assert_int_equal(get32(F.data + LIFECYCLE_OFF_GUEST_ACK), 13);
	/* All 16 bytes, no NUL; a byte that is not a name's shown as '?'. */
	memcpy(F.data + LIFECYCLE_OFF_PEER_NAME, "abcdefghijklmn\n;",
	       LIFECYCLE_PEER_NAME_LEN);
	put32(F.data + LIFECYCLE_OFF_HOST_SEQ, 14);
	assert_int_equal(RUN("wait-request", "--timeout", "1s"), VG_EXIT_OK);
	assert_string_equal(F.stdout_text,
			    "peer-shutting-down abcdefghijklmn??\n");
}

static void test_signal_detaches(void **state)
{
	int status;

	(void)state;
	make_qnx();
	pid_t pid = spawn(
		(const char *const[]){ "vessel-guest", "wait-request", NULL });
	/* Attached once the name is there; then stop it. */
	for (int i = 0; i < 500 && get32(F.factory + 0x18) != 1; i++)
		usleep(10000);
	usleep(50000);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(get32(F.ctrl + 12), 1);
}

/* ---- the binary on the ivshmem model ---- */

static void test_ivshmem(void **state)
{
	struct lifecycle_hdr h;

	(void)state;
	make_ivshmem(IVSHMEM_ADDR, "lifecycle");
	pid_t pid = spawn((const char *const[]){
		"vessel-guest", "notify", "halted", "--wait-ack", "5s", NULL });
	assert_int_equal(host_ack_next(F.iv_data, 0), 1);
	assert_int_equal(reap(pid), VG_EXIT_OK);
	decode(F.iv_data, &h);
	assert_int_equal(h.guest_state, LIFECYCLE_HALTED);
	/* Doorbell: peer 0 (the host) << 16 | vector 0; then a marker. */
	assert_int_equal(get32(F.iv_regs + 12), 0);
	put32(F.iv_regs + 12, 0xdeadbeef);
	assert_int_equal(RUN("ring", "3"), VG_EXIT_OK);
	assert_int_equal(get32(F.iv_regs + 12), 3u << 16);
	assert_string_equal(
		F.stdout_text,
		"rang peer 3 on region lifecycle (we are peer 1)\n");
	/* A region no device carries (and no QNX factory to ask). */
	assert_int_equal(RUN("ring", "3", "--region", "devshare"),
			 VG_EXIT_NODEV);
	assert_non_null(strstr(F.stderr_text,
			       "no shmem device serves region devshare"));
	/* We are peer 0: the host cannot be; --peer names it. */
	put32(F.iv_regs + 8, 0);
	assert_int_equal(RUN("notify", "running"), VG_EXIT_OK);
	assert_string_equal(
		F.stdout_text,
		"announced running (seq 2), no host peer to ring\n");
	assert_int_equal(RUN("notify", "running", "--peer", "2"), VG_EXIT_OK);
	assert_int_equal(get32(F.iv_regs + 12), 2u << 16);
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(RUN("notify", "sleeping"), VG_EXIT_USAGE);
	assert_non_null(strstr(F.stderr_text, "vessel-guest: notify sleeping"));
	assert_non_null(strstr(F.stderr_text, "usage: vessel-guest notify"));
	assert_int_equal(RUN("frobnicate"), VG_EXIT_USAGE);
	assert_int_equal(RUN("help"), VG_EXIT_OK);
	assert_non_null(strstr(F.stdout_text, "usage: vessel-guest"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_cap_name),
		cmocka_unit_test(test_resource),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notify_acked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notify_no_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notify_no_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qnx_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ring_qnx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signal_detaches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ivshmem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
