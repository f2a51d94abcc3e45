/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_BENCH_H
#define VESSEL_BENCH_H

/*
 * make bench: the process machinery (struct run: one VMM process, its
 * console and its event lines timed on the bench's clock), statistics
 * and table cells shared by bench.c (boot, S5, memory), stop.c (the
 * power button and the power cut), wdt.c (watchdog expiry),
 * doorbell.c (shared-memory doorbell latency), density.c (vesseld
 * with many guests) and blk.c (virtio-blk throughput).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_RUNS 100
#define LINE_LEN 512
#define ERR_TAIL 2048
#define MSG_LEN 240
#define MAX_FAILS 4
#define MAX_ARGS 32

/* One guest size for all: --mem 128M / -m 128M, and one vCPU. */
#define GUEST_MEM_ARG "128M"
#define GUEST_MEM_KB (128L * 1024)
#define OWN_MEM_TARGET_KB 2048L

/*
 * The probe's console protocol (guest/probe/print.h): "PROBE BOOT" is its
 * first line; power_off() (guest/probe/power.c) prints "PROBE PASS
 * poweroff-request" just before it writes PM1a_CNT.SLP_EN or
 * SLEEP_CONTROL_REG.SLP_EN, and echo_read_line() prints "PROBE READY
 * echo" when it waits for a line of console input.
 */
#define MARK_BOOT "PROBE BOOT"
#define MARK_LAST "PROBE PASS poweroff-request"
#define MARK_READY "PROBE READY echo"
#define MARK_FAIL "PROBE FAIL"

/* A hung VMM is cut; one that ignores the cut gets this long to go. */
#define CUT_GRACE_NS (5 * 1000000000LL)
#define DRAIN_NS (500 * 1000000LL)
#define MAX_TIMEOUTS 2

/* QEMU 7.2 aborts on PVM setting IA32_ARCH_CAPABILITIES (MSR 0x10a). */
#define QEMU_CPU "host"
#define QEMU_CPU_FALLBACK "host,-arch-capabilities"

struct series {
	double v[MAX_RUNS];
	int n;
};

/* doorbell.c: one figure over many round trips, in microseconds. */
struct db_result {
	double median, p99, max;
	int n; /* 0: no data */
};

/* One column of the table: a VMM and what was measured on it. */
struct vmm {
	const char *label;
	const char *machine; /* QEMU -M value; NULL for vessel */
	const char *cpu; /* QEMU -cpu value */
	char off[MSG_LEN]; /* why it is not (or no longer) run */
	char note[MSG_LEN];
	int timeouts;
	int fails;
	char fail[MAX_FAILS][MSG_LEN];
	struct series boot, s5, own_hwm, own_rss, guest;
	/* stop.c: power button (request, its parts, own) and power cut */
	struct series pb_total, pb_press, pb_ack, pb_guest, pb_exit, pb_own;
	struct series pb_mono_exit, pb_teardown;
	struct series cut_total, cut_seen, cut_rest, cut_sig;
	/* wdt.c: last kick to exit and to the expiry event, minus timeout */
	struct series wdt_late, wdt_event;
	/* doorbell.c: round trips host <-> guest, guest <-> guest */
	struct db_result db_host, db_guest;
	char db_off[MSG_LEN]; /* why the doorbell part could not run */
};

/* An event line (vessel's --events, QEMU's QMP) and when it came. */
struct run_event {
	char name[32];
	double ms; /* arrival, on the bench's clock since fork() */
	double mono; /* vessel's own "mono" field (s), or -1 */
};

#define RUN_MAX_EVENTS 16

/* One VMM process: its pipes and what its console said when. */
struct run {
	pid_t pid;
	int pidfd, out_fd, err_fd, in_fd;
	int aux_fd; /* event lines: vessel's fd 3, or a QMP socket; or -1 */
	const char *ready_mark; /* NULL: MARK_READY */
	const char *grab_mark; /* the first line containing it goes to grab */
	char grab[LINE_LEN];
	const char *grab2_mark; /* and a second such line (blk.c) */
	char grab2[LINE_LEN];
	int64_t t0;
	double boot_ms, last_ms, ready_ms, exit_ms; /* < 0: not seen */
	int status; /* exit code, 128 + signal, or -1 while running */
	bool cut, killed, fail_after_last;
	char line[LINE_LEN];
	size_t line_len;
	char first[LINE_LEN]; /* first stdout line (--version) */
	char fail[LINE_LEN]; /* first PROBE FAIL line */
	char err[ERR_TAIL]; /* last bytes of stderr */
	size_t err_len;
	char aux_line[LINE_LEN];
	size_t aux_len;
	struct run_event ev[RUN_MAX_EVENTS]; /* first of each name */
	int nev;
};

struct blk_state;

struct bench {
	const char *vessel, *probe, *qemu;
	int runs, mem_runs;
	int64_t timeout_ns;
	struct vmm vmm[3];
	char qmp_dir
		[64]; /* stop.c: a private directory for QEMU's QMP socket */
	char qmp_path[96];
	int db_rounds; /* doorbell.c: round trips per figure */
	char db_dir[64]; /* doorbell.c: a private region directory */
	char db_sock[96];
	struct blk_state *blk; /* blk.c: its rows, columns and samples */
};

int64_t now_ns(void);
/* $@name as an integer in @lo..@hi, else @def (with a warning if set). */
int env_int(const char *name, int def, int lo, int hi);

/*
 * Fork and exec @argv, stdio on pipes; with @events, a pipe on the
 * child's fd 3 too (vessel --events fd:3) whose lines are timed.
 */
int run_start_events(struct run *r, char *const argv[], bool events);
int run_start(struct run *r, char *const argv[]);
/* Until *@until is set (NULL: never), the process exits, or @deadline. */
void run_wait(struct run *r, const double *until, int64_t deadline);
/* Wait for the exit (or cut), read what is left, close everything. */
void run_end(struct run *r, bool vessel, int64_t deadline);
/* When event @name arrived (ms since fork), or -1; its entry in *@e. */
double run_event_ms(const struct run *r, const char *name,
		    const struct run_event **e);
/* Handle event lines arriving on @fd from now on (owned by @r). */
void run_watch_aux(struct run *r, int fd);
void run_describe(const struct run *r, char *buf, size_t size);

void series_add(struct series *s, double v);
double series_median(struct series *s);

bool vmm_is_vessel(const struct vmm *v);
void argv_push(char *argv[MAX_ARGS], int *n, ...);
void vmm_argv(const struct bench *b, const struct vmm *v, const char *scenario,
	      char *buf, size_t size, char *argv[MAX_ARGS]);
void vmm_fail(struct vmm *v, const char *what, const struct run *r);
void vmm_count_cut(struct vmm *v, const struct run *r);

#define CELL 22
void cell_value(struct series *s, const struct vmm *v, const char *unit,
		char *buf, size_t size);
void cell_range(struct series *s, char *buf, size_t size);
void cell_ratio(struct series *a, struct series *b, char *buf, size_t size);

/* stop.c: one round of the power-button and power-cut runs; the tables. */
void stop_round(struct bench *b, int i);
/*
 * stop.c: connect to QEMU's QMP socket at @path and leave capabilities
 * negotiation; the fd, or -errno.
 */
int qmp_open(const char *path);
/* stop.c: a two-VMM row (median, ratio) and its min..max (n) line. */
void print_row2(const char *name, struct series *a, struct vmm *va,
		struct series *q, struct vmm *vq);
void stop_print(struct bench *b);
/* wdt.c: one round of the watchdog expiry runs; the table. */
void wdt_round(struct bench *b, int i);
void wdt_print(struct bench *b);
/* doorbell.c: the doorbell round trips, vessel and QEMU q35; the table. */
void doorbell_run(struct bench *b);
void doorbell_print(struct bench *b);
/*
 * density.c: vesseld with 20 and 50 guests (up, idle, host shutdown) and
 * its overhead per restart; runs and prints its own tables.
 */
void density_run(const struct bench *b);
/*
 * blk.c: the probe's blk-bench, vessel against QEMU q35 virtio-blk-pci
 * (aio default and io_uring) on one image, and the vCPU-blocking sample
 * runs; the table. BENCH_BLK_RUNS, BENCH_BLK_COUNT, BENCH_BLK_DIR.
 */
void blk_run(struct bench *b);
void blk_print(struct bench *b);

#endif
