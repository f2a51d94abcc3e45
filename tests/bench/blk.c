// SPDX-License-Identifier: Apache-2.0
/*
 * make bench, virtio-blk part (BENCH_ONLY=blk alone): requests per second
 * and MB/s of the probe guest's own blk-bench scenario, vessel against
 * QEMU q35's virtio-blk-pci on the same image file, same run.
 *
 * Rows: {read, write} x {4 KiB, 1 MiB} x {queue depth 1, 32}. The guest
 * times its requests itself (TSC) and prints
 *   PROBE PASS blk-bench: op=write bs=4096 qd=32 n=2000 ns=T iops=X mbps=Y
 * so boot time (QEMU q35 takes seconds here) is not in the figure. A write
 * bench ends with one FLUSH that is not counted. Its ns come from its own
 * TSC calibration against the LAPIC timer, which has been off by 2x and
 * more on this busy host under kvm_pvm; the figures are rescaled to the host's
 * TSC rate, measured here (the guest's TSC is the host's).
 *
 * Columns: vessel (--disk path=IMG, cache=writeback by default), QEMU with
 * -drive ...,cache=writeback and no aio= (its default, aio=threads in
 * 7.2), and QEMU with aio=io_uring where this QEMU has it (a column whose
 * VMM cannot boot with it is left out with the reason). Both page-cache
 * backed, both fdatasync() on the guest's FLUSH: the same contract.
 *
 * The image: BLK_SPAN bytes of pseudo-random data written (not a sparse
 * file: reading holes costs the host nothing) into a private directory
 * under $BENCH_BLK_DIR (default /var/tmp, a disk, not tmpfs, so that a
 * flush costs what it costs), then read once, untimed, so that every VMM
 * finds it in the page cache. Runs are interleaved (for each round, each
 * row, each column, the first column turning with the round) so that
 * drift on the host hits every VMM alike.
 *
 * "A vCPU never blocked on host I/O" (issue 7) is judged from outside,
 * on one more vessel run (and one QEMU run, for comparison) made to block
 * as much as it can: 4 KiB writes at queue depth 32 with
 * cache=writethrough, every write fdatasync'd on the host, and the guest
 * polling for completions (probe.blk-poll=1) instead of halting. While it
 * runs, every thread's /proc/PID/task/TID/stat is sampled each
 * millisecond and its /proc/PID/task/TID/io read:
 *   - state D (uninterruptible sleep) is where the kernel waits for the
 *     disk (fdatasync, writeback, a page-cache miss), but also for some
 *     of its own locks (KVM's SRCU when the guest moves an ioeventfd), so
 *     a D sample is classified by the thread's kernel stack, read at once
 *     (/proc/.../stack; wchan where that is not readable): the I/O thread
 *     should show I/O waits, the vCPU thread never;
 *   - state S of a polling vCPU is a wait in the VMM (a lock held by the
 *     I/O thread, a syscall) unless its stack says guest HLT (the probe
 *     halts while it calibrates its timer);
 *   - write_bytes counts the page-cache pages a thread dirtied (what
 *     pwritev() of guest data does; a whole large folio at once, so 4 KiB
 *     into a file written in 1 MiB pieces counts up to 1 MiB), syscw its
 *     write-family syscalls: the I/O thread should carry the disk's bytes,
 *     the vCPU thread none (its syscw are console writes to a pipe).
 * Kernel delay accounting (blkio ticks) and schedstats would be exact
 * but are off on this host (kernel.task_delayacct=0, no sched_schedstats)
 * and need root to turn on; sampling needs nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "bench.h"

#define BLK_SPAN (64u << 20)
#define BLK_SMALL 4096u
#define BLK_LARGE (1u << 20)
#define BLK_QD_HIGH 32
#define BLK_ROWS 8
#define BLK_COLS 3
#define BLK_RESULT "PROBE PASS blk-bench: "
#define BLK_TSC "blk-bench tsc "
#define BLK_KHZ_TOLERANCE 0.02
#define BLK_CHUNK (1u << 20)
#define BLK_SAMPLE_NS 1000000LL
#define BLK_MAX_TIDS 64
#define BLK_MAX_GROUPS 16
#define BLK_PROXY_COUNT 1000
#define BLK_LARGE_COUNT 200
#define BLK_TSC_WINDOW_NS 200000000L
#define BLK_ARG_LEN 256
#define BLK_QEMU_DEVICE \
	"virtio-blk-pci,drive=d0,disable-legacy=on,disable-modern=off"

struct blk_row {
	bool write;
	unsigned int bs;
	int qd;
};

static const struct blk_row blk_rows[BLK_ROWS] = {
	{ false, BLK_SMALL, 1 }, { false, BLK_SMALL, BLK_QD_HIGH },
	{ false, BLK_LARGE, 1 }, { false, BLK_LARGE, BLK_QD_HIGH },
	{ true, BLK_SMALL, 1 },	 { true, BLK_SMALL, BLK_QD_HIGH },
	{ true, BLK_LARGE, 1 },	 { true, BLK_LARGE, BLK_QD_HIGH },
};

/* One column: a VMM and its disk back end. */
struct blk_col {
	const char *label;
	struct vmm *vmm; /* vessel or QEMU q35: program, -cpu */
	const char *aio; /* QEMU's aio=; NULL: its default */
	char off[MSG_LEN]; /* why it is not (or no longer) run */
	int timeouts, fails;
	char fail[MAX_FAILS][MSG_LEN];
	struct series iops[BLK_ROWS], mbps[BLK_ROWS];
	int khz_off, khz_missing; /* runs: calibration off, or not printed */
	double khz_worst; /* the largest relative error seen */
};

/* From /proc/.../io. */
struct blk_io {
	long long syscr, syscw, wchar, write_bytes;
};

/* One thread's samples, or those of all threads of one name, summed. */
struct blk_group {
	char comm[20];
	long samples, running; /* R */
	long d_io, d_other, d_unknown; /* D: waiting for a file or disk */
	long s_halt, s_other; /* S: a vCPU's guest HLT, anything else */
	struct blk_io io; /* as last read */
};

/* What a thread found asleep was waiting for, from its kernel stack. */
enum blk_wait {
	BLK_WAIT_IO,
	BLK_WAIT_HALT,
	BLK_WAIT_OTHER,
	BLK_WAIT_UNKNOWN,
};

/*
 * One thread. It is grouped by the name it had last: a new thread has
 * its creator's name until it names itself (vessel's vblk-N is started
 * by the vCPU that wrote DRIVER_OK).
 */
struct blk_tid {
	int tid;
	struct blk_group own;
};

/* One sampled run for the vCPU-blocking figure. */
struct blk_proxy {
	const char *label;
	char why[MSG_LEN]; /* why there are no figures */
	long rounds;
	unsigned int n; /* requests, from the guest's line */
	double iops;
	int ngroups, ntids;
	struct blk_group g[BLK_MAX_GROUPS];
	struct blk_tid t[BLK_MAX_TIDS];
	struct blk_io proc; /* /proc/PID/io: ended threads included */
};

struct blk_state {
	char dir[128], img[160];
	char fs[64];
	char off[MSG_LEN]; /* why the whole part did not run */
	int runs, small_count, large_count;
	double host_khz; /* the host's TSC rate, measured; 0: unknown */
	struct blk_col col[BLK_COLS];
	struct blk_proxy proxy[2];
};

/* --- the image -------------------------------------------------------- */

static const char *blk_fs_name(long type)
{
	switch (type) {
	case 0xef53:
		return "ext4";
	case 0x58465342:
		return "xfs";
	case 0x9123683e:
		return "btrfs";
	case 0x01021994:
		return "tmpfs: fdatasync costs nothing here";
	case 0x794c7630:
		return "overlayfs";
	default:
		return NULL;
	}
}

static void blk_fs_type(struct blk_state *s)
{
	struct statfs st;
	const char *name;

	if (statfs(s->dir, &st)) {
		snprintf(s->fs, sizeof(s->fs), "unknown");
		return;
	}
	name = blk_fs_name((long)st.f_type);
	if (name)
		snprintf(s->fs, sizeof(s->fs), "%s", name);
	else
		snprintf(s->fs, sizeof(s->fs), "fs 0x%lx", (long)st.f_type);
}

/* xorshift64: data no file system or device can compress or skip. */
static void blk_fill(uint64_t *buf, size_t words, uint64_t *state)
{
	size_t i;

	for (i = 0; i < words; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = *state;
	}
}

static int blk_write_image(const char *path)
{
	uint64_t *buf = malloc(BLK_CHUNK), state = 0x9e3779b97f4a7c15ull;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret = fd < 0 || !buf ? -errno : 0;
	unsigned int done;

	for (done = 0; !ret && done < BLK_SPAN; done += BLK_CHUNK) {
		blk_fill(buf, BLK_CHUNK / sizeof(*buf), &state);
		if (write(fd, buf, BLK_CHUNK) != BLK_CHUNK)
			ret = errno ? -errno : -EIO;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* The untimed pass that puts the whole image in the page cache. */
static int blk_read_image(const char *path)
{
	char *buf = malloc(BLK_CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = fd < 0 || !buf ? -errno : 0;
	ssize_t n = 1;

	while (!ret && n > 0) {
		n = read(fd, buf, BLK_CHUNK);
		if (n < 0)
			ret = -errno;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

static int blk_image(struct blk_state *s)
{
	const char *base = getenv("BENCH_BLK_DIR");
	int ret;

	snprintf(s->dir, sizeof(s->dir), "%s/vessel-bench-blk-XXXXXX",
		 base && *base ? base : "/var/tmp");
	if (!mkdtemp(s->dir)) {
		ret = -errno;
		snprintf(s->img, sizeof(s->img), "in %s", s->dir);
		s->dir[0] = '\0';
		return ret;
	}
	blk_fs_type(s);
	snprintf(s->img, sizeof(s->img), "%s/disk.img", s->dir);
	ret = blk_write_image(s->img);
	return ret ? ret : blk_read_image(s->img);
}

static void blk_image_remove(struct blk_state *s)
{
	if (!s->dir[0])
		return;
	unlink(s->img);
	if (rmdir(s->dir))
		fprintf(stderr, "bench: %s left behind: %s\n", s->dir,
			strerror(errno));
}

/* --- one run ----------------------------------------------------------- */

static unsigned int blk_count(const struct blk_state *s, unsigned int bs)
{
	return bs == BLK_SMALL ? (unsigned int)s->small_count :
				 (unsigned int)s->large_count;
}

/*
 * The probe's arguments for @row with @n requests, and (@poll) the
 * guest polling for completions instead of halting.
 */
static void blk_scenario(const struct blk_row *row, unsigned int n, bool poll,
			 char *buf, size_t size)
{
	snprintf(
		buf, size,
		"blk-bench probe.op=%s probe.bs=%u probe.qd=%d probe.count=%u probe.span=%u%s",
		row->write ? "write" : "read", row->bs, row->qd, n, BLK_SPAN,
		poll ? " probe.blk-poll=1" : "");
}

/*
 * The disk options: vessel's --disk, or QEMU's -drive and -device. A
 * @proxy run (the vCPU-blocking samples) has cache=writethrough, and
 * QEMU names its threads for it.
 */
static void blk_disk_args(const struct blk_state *s, const struct blk_col *c,
			  bool proxy, char *drive, size_t size,
			  char *argv[MAX_ARGS], int *n)
{
	const char *cache = proxy ? "writethrough" : "writeback";

	if (vmm_is_vessel(c->vmm)) {
		snprintf(drive, size, "path=%s%s", s->img,
			 proxy ? ",cache=writethrough" : "");
		argv_push(argv, n, "--disk", drive, NULL);
		return;
	}
	snprintf(drive, size, "file=%s,format=raw,if=none,id=d0,cache=%s%s%s",
		 s->img, cache, c->aio ? ",aio=" : "", c->aio ? c->aio : "");
	argv_push(argv, n, "-drive", drive, "-device", BLK_QEMU_DEVICE, NULL);
	if (proxy)
		argv_push(argv, n, "-name", "bench,debug-threads=on", NULL);
}

static int blk_start(const struct bench *b, const struct blk_state *s,
		     const struct blk_col *c, const char *scenario, bool proxy,
		     struct run *r)
{
	char *argv[MAX_ARGS], arg[BLK_ARG_LEN], drive[BLK_ARG_LEN];
	int n, ret;

	vmm_argv(b, c->vmm, scenario, arg, sizeof(arg), argv);
	for (n = 0; argv[n]; n++)
		;
	blk_disk_args(s, c, proxy, drive, sizeof(drive), argv, &n);
	ret = run_start(r, argv);
	r->grab_mark = BLK_RESULT;
	r->grab2_mark = BLK_TSC;
	return ret;
}

/* A figure from one run, on the host's clock. */
struct blk_result {
	double iops, mbps;
	double khz; /* the guest's TSC calibration, or 0 */
};

/*
 * The guest's TSC rate from its "blk-bench tsc N kHz" line. Its
 * calibration (TSC cycles across a LAPIC one-shot) runs on an emulated
 * timer here and has come out at half and at 2.7 times the real rate
 * on a busy host, so the figure is rescaled to the host's TSC rate: the guest's TSC is the
 * host's (KVM without TSC scaling), cycles = ns * kHz / 10^6.
 */
static double blk_guest_khz(const char *line)
{
	const char *p = strstr(line, BLK_TSC);
	unsigned long long khz;

	if (!p || sscanf(p + strlen(BLK_TSC), "%llu kHz", &khz) != 1)
		return 0;
	return (double)khz;
}

/*
 * The guest's result line for @row and @n requests, checked against the
 * request and against the integers it printed itself; the figures from
 * its n and ns, rescaled to @host_khz.
 */
static int blk_parse(const struct run *r, const struct blk_row *row,
		     unsigned int n, double host_khz, struct blk_result *out)
{
	const char *p = strstr(r->grab, BLK_RESULT);
	unsigned long long ns, g_iops, g_mbps;
	unsigned int bs, qd, count;
	double real_ns;
	char op[8];

	if (!p || sscanf(p + strlen(BLK_RESULT),
			 "op=%7s bs=%u qd=%u n=%u ns=%llu iops=%llu mbps=%llu",
			 op, &bs, &qd, &count, &ns, &g_iops, &g_mbps) != 7)
		return -EPROTO;
	if (strcmp(op, row->write ? "write" : "read") || bs != row->bs ||
	    qd != (unsigned int)row->qd || count != n || !ns ||
	    fabs((double)count * 1e9 / (double)ns - (double)g_iops) >
		    1 + (double)g_iops / 100)
		return -EPROTO;
	out->khz = blk_guest_khz(r->grab2);
	real_ns = (double)ns;
	if (out->khz > 0 && host_khz > 0)
		real_ns = real_ns * out->khz / host_khz;
	/* The requests ran between PROBE BOOT and the exit. */
	if (real_ns > (r->exit_ms - r->boot_ms) * 1e6)
		return -ERANGE;
	out->iops = (double)count * 1e9 / real_ns;
	out->mbps = (double)count * bs * 1e3 / real_ns;
	return 0;
}

static bool blk_clean(const struct run *r)
{
	return r->grab[0] && !r->fail[0] && !r->cut && r->status == 0;
}

static void blk_fail(struct blk_col *c, const char *what, const struct run *r,
		     int err)
{
	char why[MSG_LEN];

	if (c->fails < MAX_FAILS) {
		run_describe(r, why, sizeof(why));
		snprintf(c->fail[c->fails], MSG_LEN, "%s: %s%s%.170s", what,
			 err ? strerror(-err) : "", err ? "; " : "", why);
	}
	c->fails++;
}

/*
 * A run that never reached the probe (QEMU without io_uring, a VMM that
 * rejects the disk) leaves its column out; so do two hung runs.
 */
static void blk_judge_col(struct blk_col *c, const struct run *r)
{
	char why[MSG_LEN];

	if (r->cut && ++c->timeouts >= MAX_TIMEOUTS && !c->off[0])
		snprintf(c->off, sizeof(c->off), "left out after %d hung runs",
			 c->timeouts);
	if (r->boot_ms < 0 && !c->off[0]) {
		run_describe(r, why, sizeof(why));
		snprintf(c->off, sizeof(c->off),
			 "cannot boot the probe with the disk: %.180s", why);
	}
}

/* The probe predates blk-bench: no column can have figures. */
static bool blk_no_scenario(const struct run *r)
{
	return strstr(r->fail, "unknown scenario") != NULL;
}

/* How far the guest's TSC calibration was from the host's TSC rate. */
static void blk_note_khz(struct blk_state *s, struct blk_col *c, double khz)
{
	double off;

	if (khz <= 0 || s->host_khz <= 0) {
		c->khz_missing++;
		return;
	}
	off = fabs(khz / s->host_khz - 1);
	c->khz_off += off > BLK_KHZ_TOLERANCE;
	if (off > c->khz_worst)
		c->khz_worst = off;
}

static void blk_figure(const struct bench *b, struct blk_state *s,
		       struct blk_col *c, int k, int round)
{
	const struct blk_row *row = &blk_rows[k];
	unsigned int n = blk_count(s, row->bs);
	char scenario[BLK_ARG_LEN], what[64];
	struct blk_result res;
	struct run r;
	int err;

	blk_scenario(row, n, false, scenario, sizeof(scenario));
	snprintf(what, sizeof(what), "%s bs=%u qd=%d run %d",
		 row->write ? "write" : "read", row->bs, row->qd, round + 1);
	if (blk_start(b, s, c, scenario, false, &r)) {
		snprintf(c->off, sizeof(c->off), "cannot start: %s",
			 strerror(errno));
		return;
	}
	run_end(&r, vmm_is_vessel(c->vmm), r.t0 + b->timeout_ns);
	blk_judge_col(c, &r);
	if (blk_no_scenario(&r))
		snprintf(s->off, sizeof(s->off),
			 "the probe has no blk-bench scenario (%.150s)",
			 r.fail);
	err = blk_clean(&r) ? blk_parse(&r, row, n, s->host_khz, &res) : 0;
	if (err || !blk_clean(&r)) {
		blk_fail(c, what, &r, err);
		return;
	}
	blk_note_khz(s, c, res.khz);
	series_add(&c->iops[k], res.iops);
	series_add(&c->mbps[k], res.mbps);
}

/* --- the vCPU and host I/O ------------------------------------------------ */

static struct blk_group *blk_group_of(struct blk_proxy *p, const char *comm)
{
	int i;

	for (i = 0; i < p->ngroups; i++)
		if (!strcmp(p->g[i].comm, comm))
			return &p->g[i];
	if (p->ngroups == BLK_MAX_GROUPS)
		return NULL;
	snprintf(p->g[p->ngroups].comm, sizeof(p->g[0].comm), "%s", comm);
	return &p->g[p->ngroups++];
}

static struct blk_tid *blk_tid_of(struct blk_proxy *p, int tid)
{
	int i;

	for (i = 0; i < p->ntids; i++)
		if (p->t[i].tid == tid)
			return &p->t[i];
	if (p->ntids == BLK_MAX_TIDS)
		return NULL;
	p->t[p->ntids].tid = tid;
	return &p->t[p->ntids++];
}

/* A thread's name and state from stat: "TID (COMM) S ..."; COMM may hold ')'. */
static int blk_read_stat(pid_t pid, int tid, char *comm, size_t size,
			 char *state)
{
	char path[96], line[512], *open, *close;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	open = strchr(line, '(');
	close = strrchr(line, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return -EPROTO;
	*close = '\0';
	snprintf(comm, size, "%s", open + 1);
	*state = close[2];
	return 0;
}

/* /proc/@pid/task/@tid/io, or /proc/@pid/io for @tid 0. */
static void blk_read_io(pid_t pid, int tid, struct blk_io *t)
{
	char path[96], line[128];
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/io", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/io", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "syscr: %lld", &t->syscr);
		sscanf(line, "syscw: %lld", &t->syscw);
		sscanf(line, "wchar: %lld", &t->wchar);
		sscanf(line, "write_bytes: %lld", &t->write_bytes);
	}
	fclose(f);
}

static bool blk_vcpu_comm(const char *comm)
{
	/* vessel's src/vmm/vcpu.c; QEMU's with -name debug-threads=on. */
	return !strncmp(comm, "vcpu", 4) || !strncmp(comm, "CPU ", 4);
}

/*
 * Kernel functions that wait for a file's data or the disk (the page
 * cache, writeback, the journal, fsync, the block layer). A D sleep in
 * none of them is some other kernel wait: KVM's own (SRCU when the guest
 * moves an ioeventfd, timers), a mutex.
 */
static bool blk_io_frame(const char *frame)
{
	static const char *const io[] = {
		"io_schedule",	  "folio_wait", "wait_on_page",
		"wait_on_buffer", "bio",	"blk_",
		"jbd2",		  "ext4_",	"xfs_",
		"btrfs_",	  "fsync",	"fdatasync",
		"filemap_",	  "writeback",	"iomap_",
		"nfs_",		  "fuse_",	"generic_perform_write",
		"file_write",	  "sync_file",
	};
	size_t i;

	for (i = 0; i < sizeof(io) / sizeof(io[0]); i++)
		if (strstr(frame, io[i]))
			return true;
	return false;
}

/*
 * Classify a sleeping thread by its kernel stack (/proc/.../stack, root
 * only), else by its wchan; UNKNOWN when neither says (it woke first).
 */
static enum blk_wait blk_wait_of(pid_t pid, int tid)
{
	char path[96], frame[256];
	enum blk_wait w = BLK_WAIT_UNKNOWN;
	int which;
	FILE *f;

	for (which = 0; which < 2 && w == BLK_WAIT_UNKNOWN; which++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid,
			 which ? "wchan" : "stack");
		f = fopen(path, "re");
		while (f && fgets(frame, sizeof(frame), f)) {
			if (blk_io_frame(frame))
				w = BLK_WAIT_IO;
			else if (w != BLK_WAIT_IO &&
				 (strstr(frame, "kvm_vcpu_block") ||
				  strstr(frame, "kvm_vcpu_halt")))
				w = BLK_WAIT_HALT;
			else if (w == BLK_WAIT_UNKNOWN && frame[0] &&
				 strcmp(frame, "0") && strcmp(frame, "0\n"))
				w = BLK_WAIT_OTHER;
		}
		if (f)
			fclose(f);
	}
	return w;
}

static void blk_count_state(struct blk_group *g, pid_t pid, int tid, char state)
{
	enum blk_wait w;

	g->samples++;
	if (state == 'R') {
		g->running++;
	} else if (state == 'D') {
		w = blk_wait_of(pid, tid);
		g->d_io += w == BLK_WAIT_IO;
		g->d_unknown += w == BLK_WAIT_UNKNOWN;
		g->d_other += w == BLK_WAIT_HALT || w == BLK_WAIT_OTHER;
	} else if (state == 'S' && blk_vcpu_comm(g->comm)) {
		w = blk_wait_of(pid, tid);
		g->s_halt += w == BLK_WAIT_HALT;
		g->s_other += w != BLK_WAIT_HALT;
	} else {
		g->s_other++;
	}
}

static void blk_sample_tid(struct blk_proxy *p, pid_t pid, int tid)
{
	struct blk_tid *t = blk_tid_of(p, tid);
	char comm[20], state = 0;

	if (!t || blk_read_stat(pid, tid, comm, sizeof(comm), &state))
		return;
	snprintf(t->own.comm, sizeof(t->own.comm), "%s", comm);
	blk_count_state(&t->own, pid, tid, state);
	blk_read_io(pid, tid, &t->own.io);
}

/* One look at every thread of @pid. */
static void blk_sample(struct blk_proxy *p, pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			blk_sample_tid(p, pid, atoi(e->d_name));
	closedir(d);
	blk_read_io(pid, 0, &p->proc);
	p->rounds++;
}

/* Each thread's samples and last io counters, summed by its last name. */
static void blk_group_all(struct blk_proxy *p)
{
	const struct blk_group *t;
	struct blk_group *g;
	int i;

	for (i = 0; i < p->ntids; i++) {
		t = &p->t[i].own;
		g = blk_group_of(p, t->comm);
		if (!g)
			continue;
		g->samples += t->samples;
		g->running += t->running;
		g->d_io += t->d_io;
		g->d_other += t->d_other;
		g->d_unknown += t->d_unknown;
		g->s_halt += t->s_halt;
		g->s_other += t->s_other;
		g->io.syscr += t->io.syscr;
		g->io.syscw += t->io.syscw;
		g->io.wchar += t->io.wchar;
		g->io.write_bytes += t->io.write_bytes;
	}
}

static void blk_proxy_run(const struct bench *b, struct blk_state *s,
			  struct blk_col *c, struct blk_proxy *p)
{
	static const struct blk_row row = { true, BLK_SMALL, BLK_QD_HIGH };
	char scenario[BLK_ARG_LEN], why[MSG_LEN];
	struct blk_result res;
	struct run r;
	int err;

	p->label = c->label;
	blk_scenario(&row, BLK_PROXY_COUNT, true, scenario, sizeof(scenario));
	if (blk_start(b, s, c, scenario, true, &r)) {
		snprintf(p->why, sizeof(p->why), "cannot start: %s",
			 strerror(errno));
		return;
	}
	while (r.status < 0 && now_ns() < r.t0 + b->timeout_ns) {
		blk_sample(p, r.pid);
		run_wait(&r, NULL, now_ns() + BLK_SAMPLE_NS);
	}
	run_end(&r, vmm_is_vessel(c->vmm), r.t0 + b->timeout_ns);
	blk_group_all(p);
	err = blk_clean(&r) ?
		      blk_parse(&r, &row, BLK_PROXY_COUNT, s->host_khz, &res) :
		      -EIO;
	if (err) {
		run_describe(&r, why, sizeof(why));
		snprintf(p->why, sizeof(p->why), "%s: %.180s", strerror(-err),
			 why);
		return;
	}
	p->n = BLK_PROXY_COUNT;
	p->iops = res.iops;
}

/* The host's TSC rate across BLK_TSC_WINDOW_NS of CLOCK_MONOTONIC. */
static double blk_host_khz(void)
{
	struct timespec nap = { 0, BLK_TSC_WINDOW_NS };
	int64_t t0 = now_ns(), t1;
	uint64_t c0 = __rdtsc(), c1;

	nanosleep(&nap, NULL);
	c1 = __rdtsc();
	t1 = now_ns();
	return t1 > t0 ? (double)(c1 - c0) * 1e6 / (double)(t1 - t0) : 0;
}

/* --- the part ------------------------------------------------------------ */

static void blk_init(struct bench *b, struct blk_state *s)
{
	static const char *const labels[] = { "vessel", "qemu aio default",
					      "qemu aio=io_uring" };
	static const char *const aio[] = { NULL, NULL, "io_uring" };
	int i;

	s->runs = env_int("BENCH_BLK_RUNS", 3, 1, MAX_RUNS);
	s->small_count = env_int("BENCH_BLK_COUNT", 2000, 64, 1000000);
	s->large_count = BLK_LARGE_COUNT;
	for (i = 0; i < BLK_COLS; i++) {
		s->col[i].label = labels[i];
		s->col[i].vmm = &b->vmm[i ? 1 : 0];
		s->col[i].aio = aio[i];
		if (s->col[i].vmm->off[0])
			snprintf(s->col[i].off, sizeof(s->col[i].off), "%s: %s",
				 s->col[i].vmm->label, s->col[i].vmm->off);
	}
}

/* Each round starts with the next column, so no VMM always goes first. */
static void blk_round(const struct bench *b, struct blk_state *s, int round)
{
	struct blk_col *c;
	int k, i;

	for (k = 0; k < BLK_ROWS && !s->off[0]; k++) {
		for (i = 0; i < BLK_COLS && !s->off[0]; i++) {
			c = &s->col[(i + round) % BLK_COLS];
			if (!c->off[0])
				blk_figure(b, s, c, k, round);
		}
	}
	fprintf(stderr, "bench: virtio-blk round %d/%d done\n", round + 1,
		s->runs);
}

void blk_run(struct bench *b)
{
	struct blk_state *s = calloc(1, sizeof(*s));
	int ret, i;

	b->blk = s;
	if (!s)
		return;
	blk_init(b, s);
	s->host_khz = blk_host_khz();
	ret = blk_image(s);
	if (ret) {
		snprintf(s->off, sizeof(s->off), "cannot make the image %s: %s",
			 s->img, strerror(-ret));
		blk_image_remove(s);
		return;
	}
	for (i = 0; i < s->runs && !s->off[0]; i++)
		blk_round(b, s, i);
	for (i = 0; i < 2 && !s->off[0]; i++)
		if (!s->col[i].off[0])
			blk_proxy_run(b, s, &s->col[i], &s->proxy[i]);
	fprintf(stderr, "bench: virtio-blk done\n");
	blk_image_remove(s);
}

/* --- the table ------------------------------------------------------------ */

static void blk_row_name(const struct blk_row *row, char *buf, size_t size)
{
	snprintf(buf, size, "%-5s %s qd %d", row->write ? "write" : "read",
		 row->bs == BLK_SMALL ? "4 KiB" : "1 MiB", row->qd);
}

static void blk_cells(const struct blk_state *s, struct blk_col *c, int k,
		      char *iops, char *mbps, size_t size)
{
	if (!c->iops[k].n) {
		snprintf(iops, size, "%s",
			 s->off[0] ? "not run" :
			 c->off[0] ? "off" :
				     "failed");
		snprintf(mbps, size, "-");
		return;
	}
	snprintf(iops, size, "%.0f", series_median(&c->iops[k]));
	snprintf(mbps, size, "%.2f", series_median(&c->mbps[k]));
}

/* vessel / QEMU of the medians of requests per second. */
static void blk_ratio(struct blk_col *v, struct blk_col *q, int k, char *buf,
		      size_t size)
{
	if (!v->iops[k].n || !q->iops[k].n)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.3f",
			 series_median(&v->iops[k]) /
				 series_median(&q->iops[k]));
}

/*
 * PASS: vessel's median at least that of every QEMU column with figures;
 * N/A: no QEMU column has any; MISS otherwise, vessel without figures too.
 */
static const char *blk_verdict(struct blk_state *s, int k)
{
	struct blk_col *v = &s->col[0];
	bool have_qemu = false, pass = v->iops[k].n > 0;
	int i;

	for (i = 1; i < BLK_COLS; i++) {
		if (!s->col[i].iops[k].n)
			continue;
		have_qemu = true;
		if (pass && series_median(&v->iops[k]) <
				    series_median(&s->col[i].iops[k]))
			pass = false;
	}
	if (!v->iops[k].n)
		return "MISS";
	return !have_qemu ? "N/A" : pass ? "PASS" : "MISS";
}

/*
 * Whether vessel's runs (min..max) overlap those of a QEMU column: then
 * the verdict is within this host's run-to-run noise (series_median()
 * sorts the samples).
 */
static bool blk_overlap(struct blk_state *s, int k)
{
	struct series *v = &s->col[0].iops[k], *q;
	int i;

	series_median(v);
	for (i = 1; i < BLK_COLS && v->n; i++) {
		q = &s->col[i].iops[k];
		series_median(q);
		if (q->n && v->v[0] <= q->v[q->n - 1] &&
		    q->v[0] <= v->v[v->n - 1])
			return true;
	}
	return false;
}

static void blk_print_row(struct blk_state *s, int k, int *passes)
{
	char name[32], c[BLK_COLS][2][24], ratio[BLK_COLS][16];
	const char *verdict = blk_verdict(s, k);
	int i;

	blk_row_name(&blk_rows[k], name, sizeof(name));
	for (i = 0; i < BLK_COLS; i++)
		blk_cells(s, &s->col[i], k, c[i][0], c[i][1], sizeof(c[i][0]));
	for (i = 1; i < BLK_COLS; i++)
		blk_ratio(&s->col[0], &s->col[i], k, ratio[i],
			  sizeof(ratio[i]));
	*passes += !strcmp(verdict, "PASS");
	printf("%-18s| %8s %9s | %8s %9s %6s | %8s %9s %6s | %s%s\n", name,
	       c[0][0], c[0][1], c[1][0], c[1][1], ratio[1], c[2][0], c[2][1],
	       ratio[2], verdict, blk_overlap(s, k) ? " ~" : "");
}

static void blk_print_method(const struct bench *b, const struct blk_state *s)
{
	printf("\nvirtio-blk throughput (probe.test=blk-bench, %d runs per figure, interleaved, median; HIGHER IS BETTER):\n",
	       s->runs);
	printf("  image: %u MiB of pseudo-random data written to %s (%s), read once untimed so the\n"
	       "  page cache holds it for every VMM; the same file for all, one VMM at a time.\n",
	       BLK_SPAN >> 20, s->img[0] ? s->img : "-", s->fs);
	printf("  the guest times its own requests (TSC): %d 4 KiB or %d 1 MiB requests over the\n"
	       "  %u MiB span; a write run ends with one FLUSH, not counted. MB = 10^6 bytes.\n",
	       s->small_count, s->large_count, BLK_SPAN >> 20);
	printf("  its ns are rescaled from its TSC calibration to the host's TSC rate, %.0f kHz\n"
	       "  (measured): the guest's TSC is the host's, its calibration is not reliable here.\n",
	       s->host_khz);
	printf("  vessel: --disk path=IMG (cache=writeback: FLUSH is fdatasync)\n");
	printf("  qemu q35 (-cpu %s): -drive file=IMG,format=raw,if=none,id=d0,cache=writeback[,aio=io_uring]\n"
	       "    -device virtio-blk-pci,drive=d0,disable-legacy=on,disable-modern=off; 'aio default' is\n"
	       "    -drive without aio= (threads in QEMU 7.2)\n",
	       b->vmm[1].cpu);
	printf("  ratio = vessel / QEMU of the median requests per second (MB/s goes with it): above 1,\n"
	       "  vessel is faster. target: at least QEMU's figure, against every QEMU column;\n"
	       "  '~': vessel's runs (min..max) overlap a QEMU column's, the verdict is within noise.\n");
}

static void blk_print_samples(struct blk_state *s)
{
	struct series *x;
	char name[32];
	int k, i, j;

	printf("\nvirtio-blk samples (requests/s, sorted):\n");
	for (k = 0; k < BLK_ROWS; k++) {
		blk_row_name(&blk_rows[k], name, sizeof(name));
		for (i = 0; i < BLK_COLS; i++) {
			x = &s->col[i].iops[k];
			printf("  %-17s %-18s", name, s->col[i].label);
			for (j = 0; j < x->n; j++)
				printf(" %.0f", x->v[j]);
			printf("%s\n", x->n ? "" : " -");
		}
	}
}

static void blk_print_proxy(const struct blk_proxy *p)
{
	const struct blk_group *g;
	int i;

	if (!p->label)
		return;
	printf("\n  %s: ", p->label);
	if (!p->n) {
		printf("no figures: %s\n", p->why);
		return;
	}
	printf("%u writes, %.0f requests/s, %ld samples of every thread\n",
	       p->n, p->iops, p->rounds);
	printf("  %-16s| %7s %7s %5s %5s %5s %6s %6s | %7s %7s %10s %11s\n",
	       "thread", "samples", "R", "D io", "D oth", "D ?", "S halt",
	       "S oth", "syscr", "syscw", "wchar", "write_bytes");
	for (i = 0; i < p->ngroups; i++) {
		g = &p->g[i];
		printf("  %-16s| %7ld %7ld %5ld %5ld %5ld %6ld %6ld | %7lld %7lld %10lld %11lld\n",
		       g->comm, g->samples, g->running, g->d_io, g->d_other,
		       g->d_unknown, g->s_halt, g->s_other, g->io.syscr,
		       g->io.syscw, g->io.wchar, g->io.write_bytes);
	}
	printf("  %-16s| %47s | %7lld %7lld %10lld %11lld\n", "(whole process)",
	       "", p->proc.syscr, p->proc.syscw, p->proc.wchar,
	       p->proc.write_bytes);
}

/*
 * PASS: vessel's vCPU thread was never seen waiting for a file or the
 * disk (and no D sleep of it went unexplained) and dirtied no file page,
 * while another thread was seen doing the disk's writes, so the samples
 * did catch the I/O.
 */
static void blk_print_vcpu_target(const struct blk_proxy *p)
{
	long vcpu_io = 0, vcpu_unknown = 0, vcpu_other = 0, io_d = 0;
	long long vcpu_wb = 0, io_wb = 0;
	const struct blk_group *g;
	bool pass;
	int i;

	for (i = 0; i < p->ngroups; i++) {
		g = &p->g[i];
		if (blk_vcpu_comm(g->comm)) {
			vcpu_io += g->d_io;
			vcpu_unknown += g->d_unknown;
			vcpu_other += g->d_other + g->s_other;
			vcpu_wb += g->io.write_bytes;
		} else {
			io_d += g->d_io;
			io_wb += g->io.write_bytes;
		}
	}
	if (!p->n) {
		printf("  MISS  a vCPU never blocked on host I/O (no sampled run: %s)\n",
		       p->why[0] ? p->why : "not run");
		return;
	}
	pass = !vcpu_io && !vcpu_unknown && !vcpu_wb && (io_d > 0 || io_wb > 0);
	printf("  %s  a vCPU never blocked on host I/O (vessel's vCPU: %ld samples waiting for I/O, %ld in D unexplained, %lld bytes dirtied, %ld other sleeps; its other threads: %ld samples waiting for I/O, %lld bytes dirtied)\n",
	       pass ? "PASS" : "MISS", vcpu_io, vcpu_unknown, vcpu_wb,
	       vcpu_other, io_d, io_wb);
}

static void blk_print_proxies(struct blk_state *s)
{
	printf("\nvCPU and host I/O: one run each, probe.op=write bs=4096 qd=32 n=%d with\n"
	       "  cache=writethrough (every write fdatasync'd on the host) and probe.blk-poll=1 (the\n"
	       "  guest spins for completions instead of HLT); every thread's /proc/PID/task/TID/stat\n"
	       "  sampled each %lld ms, boot to exit. R: running or runnable. D (uninterruptible), by\n"
	       "  the kernel stack (or wchan) read at once: 'io' waits in the page cache, writeback,\n"
	       "  the journal, fsync or the block layer; 'oth' another kernel wait (KVM's SRCU when the\n"
	       "  guest sets up its queue, timers); '?' woke before it was read. S of a vCPU: 'halt'\n"
	       "  is the guest's HLT (the probe's timer calibration), 'oth' a wait in the VMM.\n"
	       "  /proc/PID/task/TID/io as last read (write_bytes: file pages the thread dirtied;\n"
	       "  syscw/wchar: write syscalls and bytes, console output to the pipe included; a thread\n"
	       "  that ended early, like QEMU's pool workers, is whole only in the process line).\n"
	       "  QEMU runs with -name bench,debug-threads=on to name its threads. The sampler\n"
	       "  shares the %ld CPUs.\n",
	       BLK_PROXY_COUNT, BLK_SAMPLE_NS / 1000000,
	       sysconf(_SC_NPROCESSORS_ONLN));
	blk_print_proxy(&s->proxy[0]);
	blk_print_proxy(&s->proxy[1]);
}

static void blk_print_notes(const struct blk_state *s)
{
	const struct blk_col *c;
	int i, j;

	printf("\nvirtio-blk notes:\n");
	for (i = 0; i < BLK_COLS; i++) {
		c = &s->col[i];
		if (c->off[0])
			printf("  %s: %s\n", c->label, c->off);
		for (j = 0; j < c->fails && j < MAX_FAILS; j++)
			printf("  %s: %s\n", c->label, c->fail[j]);
		if (c->fails > MAX_FAILS)
			printf("  %s: ... %d failed runs in all\n", c->label,
			       c->fails);
		if (!c->off[0] && !c->fails)
			printf("  %s: every run clean\n", c->label);
		if (c->khz_off)
			printf("  %s: the guest's TSC calibration was off by more than %.0f%% in %d runs (worst %.1f%%); rescaled\n",
			       c->label, BLK_KHZ_TOLERANCE * 100, c->khz_off,
			       c->khz_worst * 100);
		if (c->khz_missing)
			printf("  %s: %d runs without the guest's TSC rate: their figures are the guest's own\n",
			       c->label, c->khz_missing);
	}
}

void blk_print(struct bench *b)
{
	struct blk_state *s = b->blk;
	int k, passes = 0;

	if (!s) {
		printf("\nvirtio-blk: not run (out of memory)\n");
		return;
	}
	blk_print_method(b, s);
	if (s->off[0])
		printf("  NOT RUN: %s\n", s->off);
	printf("\n%-18s| %-18s | %-25s | %-25s |\n", "request", s->col[0].label,
	       s->col[1].label, s->col[2].label);
	printf("%-18s| %8s %9s | %8s %9s %6s | %8s %9s %6s | target\n", "",
	       "req/s", "MB/s", "req/s", "MB/s", "ratio", "req/s", "MB/s",
	       "ratio");
	printf("------------------+--------------------+---------------------------+---------------------------+-------\n");
	for (k = 0; k < BLK_ROWS; k++)
		blk_print_row(s, k, &passes);
	blk_print_proxies(s);
	printf("\ntargets (virtio-blk):\n");
	printf("  %s  at least QEMU's requests/s and MB/s: %d of %d rows\n",
	       passes == BLK_ROWS ? "PASS" : "MISS", passes, BLK_ROWS);
	blk_print_vcpu_target(&s->proxy[0]);
	blk_print_samples(s);
	blk_print_notes(s);
}
