// SPDX-License-Identifier: Apache-2.0
/*
 * make bench: vessel against Debian's qemu-system-x86 (-M q35 and
 * -M microvm, -accel kvm) on the same probe guest, in one run:
 *   - launch to the first PROBE line ("PROBE BOOT"),
 *   - the probe's last line before it writes SLP_EN to process exit,
 *   - each VMM's own memory: peak RSS minus the guest RAM it touched,
 *   - a stop request to exit: the power button, the power cut (stop.c),
 *   - the watchdog's expiry after the last kick, against its timeout (wdt.c),
 *   - doorbell round trips on the ivshmem model, host <-> guest and
 *     guest <-> guest (doorbell.c; q35 only),
 *   - vesseld with 20 and 50 guests: up, idle, host shutdown, and its
 *     overhead per restart (density.c; vessel only),
 *   - virtio-blk requests/s and MB/s, 4 KiB and 1 MiB, queue depth 1 and
 *     32, and whether a vCPU blocks on host I/O (blk.c; q35 only).
 * Runs are interleaved (vessel, q35, microvm, vessel, ...) so that drift
 * on the host hits every VMM alike. The bench reports; it never fails a
 * build because a target is missed (tests judge, not benchmarks).
 *
 * Environment: VESSEL, PROBE, QEMU (paths), BENCH_RUNS (timed runs per
 * VMM, default 10), BENCH_MEM_RUNS (memory runs, default 3),
 * BENCH_TIMEOUT (seconds per run, default 30), BENCH_DOORBELL_ROUNDS
 * (round trips per doorbell figure, default 10000), BENCH_ONLY=doorbell,
 * density or blk (that part alone); VESSELD, VESSELCTL and BENCH_DENSITY,
 * BENCH_DENSITY_RUNS, BENCH_IDLE, BENCH_RESTARTS for density.c;
 * BENCH_BLK_RUNS, BENCH_BLK_COUNT, BENCH_BLK_DIR for blk.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double ms_since(const struct run *r, int64_t t)
{
	return (double)(t - r->t0) / 1e6;
}

/* --- one process ------------------------------------------------------ */

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->pidfd = r->out_fd = r->err_fd = r->in_fd = r->aux_fd = -1;
	r->boot_ms = r->last_ms = r->ready_ms = r->exit_ms = -1;
	r->status = -1;
}

static void run_child(int in, int out, int err, int ev, char *const argv[])
{
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	/* dup2() onto itself would keep O_CLOEXEC. */
	if (ev == 3)
		fcntl(3, F_SETFD, 0);
	else if (ev >= 0)
		dup2(ev, 3);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Fork and exec @argv with all three stdio on pipes. The clock starts just
 * before fork(). A pidfd tells the exit to poll() as precisely as the
 * console's pipe tells a line.
 */
int run_start_events(struct run *r, char *const argv[], bool events)
{
	int in[2], out[2], err[2], ev[2] = { -1, -1 };

	run_init(r);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC) || (events && pipe2(ev, O_CLOEXEC)))
		return -errno;
	r->t0 = now_ns();
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0)
		run_child(in[0], out[1], err[1], ev[1], argv);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (events) {
		close(ev[1]);
		r->aux_fd = ev[0];
	}
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->err_fd = err[0];
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	return 0;
}

int run_start(struct run *r, char *const argv[])
{
	return run_start_events(r, argv, false);
}

void run_watch_aux(struct run *r, int fd)
{
	if (r->aux_fd >= 0)
		close(r->aux_fd);
	r->aux_fd = fd;
	r->aux_len = 0;
}

double run_event_ms(const struct run *r, const char *name,
		    const struct run_event **e)
{
	int i;

	for (i = 0; i < r->nev; i++) {
		if (strcmp(r->ev[i].name, name))
			continue;
		if (e)
			*e = &r->ev[i];
		return r->ev[i].ms;
	}
	return -1;
}

/*
 * An event line: vessel's {"event":"s5","mono":0.5,...} or QMP's
 * {"event":"SHUTDOWN","timestamp":...}; replies and greetings have no
 * "event" and are skipped. The first of each name is kept.
 */
static void run_aux_line(struct run *r, const char *line, double t)
{
	struct json_object *o = json_tokener_parse(line), *name, *mono;
	struct run_event *e;

	if (!o || !json_object_object_get_ex(o, "event", &name) ||
	    r->nev == RUN_MAX_EVENTS ||
	    run_event_ms(r, json_object_get_string(name), NULL) >= 0) {
		json_object_put(o);
		return;
	}
	e = &r->ev[r->nev++];
	snprintf(e->name, sizeof(e->name), "%s", json_object_get_string(name));
	e->ms = t;
	e->mono = json_object_object_get_ex(o, "mono", &mono) ?
			  json_object_get_double(mono) :
			  -1;
	json_object_put(o);
}

static void run_read_aux(struct run *r, double t)
{
	char buf[4096];
	ssize_t n = read(r->aux_fd, buf, sizeof(buf)), i;

	if (n <= 0) {
		close(r->aux_fd);
		r->aux_fd = -1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n' && r->aux_len < sizeof(r->aux_line) - 1) {
			r->aux_line[r->aux_len++] = buf[i];
			continue;
		}
		r->aux_line[r->aux_len] = '\0';
		if (buf[i] == '\n')
			run_aux_line(r, r->aux_line, t);
		r->aux_len = 0;
	}
}

static void run_line(struct run *r, double t)
{
	const char *l = r->line;

	if (!r->first[0])
		snprintf(r->first, sizeof(r->first), "%s", l);
	/* SeaBIOS's "Booting from ROM.." shares the probe's first line. */
	if (r->boot_ms < 0 && strstr(l, MARK_BOOT))
		r->boot_ms = t;
	if (r->last_ms < 0 && strstr(l, MARK_LAST))
		r->last_ms = t;
	if (r->ready_ms < 0 &&
	    strstr(l, r->ready_mark ? r->ready_mark : MARK_READY))
		r->ready_ms = t;
	if (r->grab_mark && !r->grab[0] && strstr(l, r->grab_mark))
		snprintf(r->grab, sizeof(r->grab), "%s", l);
	if (r->grab2_mark && !r->grab2[0] && strstr(l, r->grab2_mark))
		snprintf(r->grab2, sizeof(r->grab2), "%s", l);
	if (strstr(l, MARK_FAIL)) {
		if (!r->fail[0])
			snprintf(r->fail, sizeof(r->fail), "%s", l);
		if (r->last_ms >= 0)
			r->fail_after_last = true;
	}
}

/* A line counts when its '\n' arrives; an overlong one is cut in pieces. */
static void run_read_out(struct run *r, double t)
{
	char buf[4096];
	ssize_t n = read(r->out_fd, buf, sizeof(buf));
	ssize_t i;

	if (n <= 0) {
		close(r->out_fd);
		r->out_fd = -1;
		return;
	}
	for (i = 0; i < n; i++) {
		bool eol = buf[i] == '\n';

		if (!eol && buf[i] != '\r' && buf[i] != '\0')
			r->line[r->line_len++] = buf[i];
		if (eol || r->line_len == sizeof(r->line) - 1) {
			r->line[r->line_len] = '\0';
			run_line(r, t);
			r->line_len = 0;
		}
	}
}

/* Keep the last ERR_TAIL - 1 bytes of stderr for failure reports. */
static void run_read_err(struct run *r)
{
	char buf[1024];
	ssize_t n = read(r->err_fd, buf, sizeof(buf));
	size_t keep;

	if (n <= 0) {
		close(r->err_fd);
		r->err_fd = -1;
		return;
	}
	if (r->err_len + n >= sizeof(r->err)) {
		keep = sizeof(r->err) - 1 - n;
		memmove(r->err, r->err + r->err_len - keep, keep);
		r->err_len = keep;
	}
	memcpy(r->err + r->err_len, buf, n);
	r->err_len += n;
	r->err[r->err_len] = '\0';
}

static void run_reap(struct run *r, int flags, double t)
{
	int st;

	if (r->status >= 0 || waitpid(r->pid, &st, flags) != r->pid)
		return;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->exit_ms = t;
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
}

/*
 * Handle what becomes ready within @ms. Everything found after one poll()
 * gets the one time stamp taken when poll() returned, so console output
 * is read before the exit that follows it.
 */
static void run_poll(struct run *r, int ms)
{
	struct pollfd p[4] = { { .fd = r->out_fd, .events = POLLIN },
			       { .fd = r->err_fd, .events = POLLIN },
			       { .fd = r->pidfd, .events = POLLIN },
			       { .fd = r->aux_fd, .events = POLLIN } };
	bool no_pidfd = r->pidfd < 0 && r->status < 0;
	double t;

	if (no_pidfd && ms > 1)
		ms = 1;
	if (poll(p, 4, ms) < 0 && errno != EINTR)
		return;
	t = ms_since(r, now_ns());
	if (p[3].revents)
		run_read_aux(r, t);
	if (p[0].revents)
		run_read_out(r, t);
	if (p[1].revents)
		run_read_err(r);
	if (p[2].revents || no_pidfd)
		run_reap(r, WNOHANG, t);
}

/* Until *@until is set (NULL: never), the process exits, or @deadline. */
void run_wait(struct run *r, const double *until, int64_t deadline)
{
	while (r->status < 0 && (!until || *until < 0)) {
		int64_t left = deadline - now_ns();

		if (left <= 0)
			return;
		if (r->out_fd < 0 && r->err_fd < 0 && r->pidfd < 0)
			usleep(1000);
		run_poll(r, (int)(left / 1000000) + 1);
	}
}

/*
 * Cut a hung VMM: SIGQUIT for vessel (DESIGN.md: power cut, exit 3),
 * SIGKILL for QEMU. A vessel that ignores SIGQUIT is a bug, reported as
 * such; it gets SIGKILL only so that the bench never leaves it running.
 */
static void run_cut(struct run *r, bool vessel)
{
	r->cut = true;
	kill(r->pid, vessel ? SIGQUIT : SIGKILL);
	run_wait(r, NULL, now_ns() + CUT_GRACE_NS);
	if (r->status >= 0)
		return;
	r->killed = true;
	kill(r->pid, SIGKILL);
	run_reap(r, 0, ms_since(r, now_ns()));
}

/* Wait for the exit (or cut), read what is left, close everything. */
void run_end(struct run *r, bool vessel, int64_t deadline)
{
	int64_t drain_end;

	run_wait(r, NULL, deadline);
	if (r->status < 0)
		run_cut(r, vessel);
	drain_end = now_ns() + DRAIN_NS;
	while ((r->out_fd >= 0 || r->err_fd >= 0 || r->aux_fd >= 0) &&
	       now_ns() < drain_end)
		run_poll(r, 10);
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->aux_fd >= 0)
		close(r->aux_fd);
	r->out_fd = r->err_fd = r->in_fd = r->aux_fd = -1;
}

/*
 * The stderr line that says most: the first one containing @needle, else
 * the first one naming an error (the cause, not the summary), else the
 * last one.
 */
static void run_err_find(const struct run *r, const char *needle, char *buf,
			 size_t size)
{
	char tmp[ERR_TAIL], *save = NULL, *l, *best = NULL, *last = NULL;

	snprintf(tmp, sizeof(tmp), "%s", r->err);
	for (l = strtok_r(tmp, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save)) {
		last = l;
		if (needle && strstr(l, needle)) {
			best = l;
			break;
		}
		if (!best && (strstr(l, "error") || strstr(l, "cannot") ||
			      strstr(l, "failed")))
			best = l;
	}
	snprintf(buf, size, "%s", best ? best : last ? last : "");
}

static void run_err_line(const struct run *r, char *buf, size_t size)
{
	run_err_find(r, NULL, buf, size);
}

/* One line on how a run went wrong. */
void run_describe(const struct run *r, char *buf, size_t size)
{
	char err[MSG_LEN];
	int n;

	if (r->killed)
		n = snprintf(buf, size, "hung; ignored SIGQUIT, killed");
	else if (r->cut)
		n = snprintf(buf, size, "hung; cut, then exit %d", r->status);
	else
		n = snprintf(buf, size, "exit %d", r->status);
	if (r->boot_ms < 0)
		n += snprintf(buf + n, size - n, ", no '%s'", MARK_BOOT);
	if (r->fail[0])
		n += snprintf(buf + n, size - n, ", '%.100s'", r->fail);
	run_err_line(r, err, sizeof(err));
	if (err[0] && (size_t)n < size)
		snprintf(buf + n, size - n, ", stderr: %.120s", err);
}

/* --- statistics ------------------------------------------------------- */

void series_add(struct series *s, double v)
{
	if (s->n < MAX_RUNS)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @s in place; the median of an even count is the mean of two. */
double series_median(struct series *s)
{
	if (!s->n)
		return -1;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_double);
	if (s->n % 2)
		return s->v[s->n / 2];
	return (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

/* --- the VMMs --------------------------------------------------------- */

bool vmm_is_vessel(const struct vmm *v)
{
	return v->machine == NULL;
}

/* Append the NULL-terminated string arguments to @argv (bounded). */
void argv_push(char *argv[MAX_ARGS], int *n, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, n);
	while ((a = va_arg(ap, const char *)) && *n < MAX_ARGS - 1)
		argv[(*n)++] = (char *)a;
	va_end(ap);
	argv[*n] = NULL;
}

/* The command of one run; @buf holds the scenario argument. */
void vmm_argv(const struct bench *b, const struct vmm *v, const char *scenario,
	      char *buf, size_t size, char *argv[MAX_ARGS])
{
	int n = 0;

	snprintf(buf, size, "probe.test=%s", scenario);
	if (vmm_is_vessel(v)) {
		argv_push(argv, &n, b->vessel, "--kernel", b->probe,
			  "--cmdline", buf, "--mem", GUEST_MEM_ARG, "--cpus",
			  "1", NULL);
		return;
	}
	argv_push(argv, &n, b->qemu, "-M", v->machine, "-accel", "kvm", "-cpu",
		  v->cpu, "-m", GUEST_MEM_ARG, "-smp", "1", NULL);
	argv_push(argv, &n, "-nodefaults", "-no-user-config", "-nographic",
		  "-serial", "stdio", "-no-reboot", NULL);
	argv_push(argv, &n, "-kernel", b->probe, "-append", buf, NULL);
}

static int vmm_start(const struct bench *b, const struct vmm *v,
		     const char *scenario, struct run *r)
{
	char *argv[MAX_ARGS], arg[64];

	vmm_argv(b, v, scenario, arg, sizeof(arg), argv);
	return run_start(r, argv);
}

void vmm_fail(struct vmm *v, const char *what, const struct run *r)
{
	char why[MSG_LEN];

	if (v->fails < MAX_FAILS) {
		run_describe(r, why, sizeof(why));
		snprintf(v->fail[v->fails], MSG_LEN, "%s: %.200s", what, why);
	}
	v->fails++;
}

/* Two hung runs and a VMM is left out: a hang costs a whole timeout. */
void vmm_count_cut(struct vmm *v, const struct run *r)
{
	if (r->cut && ++v->timeouts >= MAX_TIMEOUTS && !v->off[0])
		snprintf(v->off, sizeof(v->off), "left out after %d hung runs",
			 v->timeouts);
}

/*
 * One poweroff run. S5-to-exit counts only for a clean S5: the last line
 * seen, no FAIL after it (the probe says so when S5 did nothing), exit 0.
 */
static void bench_poweroff(const struct bench *b, struct vmm *v, int i)
{
	char what[32];
	struct run r;

	snprintf(what, sizeof(what), "poweroff run %d", i + 1);
	if (vmm_start(b, v, "poweroff", &r)) {
		snprintf(v->off, sizeof(v->off), "cannot start: %s",
			 strerror(errno));
		return;
	}
	run_end(&r, vmm_is_vessel(v), r.t0 + b->timeout_ns);
	vmm_count_cut(v, &r);
	if (r.boot_ms >= 0)
		series_add(&v->boot, r.boot_ms);
	if (r.last_ms >= 0 && !r.fail_after_last && !r.cut && r.status == 0)
		series_add(&v->s5, r.exit_ms - r.last_ms);
	else
		vmm_fail(v, what, &r);
}

/* --- memory ----------------------------------------------------------- */

struct mem_sample {
	long guest_kb, hwm_kb, rss_kb;
};

/*
 * Classify a /proc/PID/smaps line: -1 if it is not a mapping's header, 1
 * if the mapping is the guest's RAM, else 0. Guest RAM is anonymous (no
 * inode; a memfd counts too) and of the guest's size, or a little more
 * where QEMU aligned its RAM block. Sets *@size_kb.
 */
static int mem_header(const char *line, long *size_kb)
{
	unsigned long start, end, inode;
	const char *name;
	int path = 0;

	if (sscanf(line, "%lx-%lx %*s %*s %*s %lu %n", &start, &end, &inode,
		   &path) < 3 ||
	    !path)
		return -1;
	*size_kb = (long)((end - start) >> 10);
	name = line + path;
	if (inode || (*name != '\n' && *name && strncmp(name, "/memfd:", 7)))
		return 0;
	return *size_kb >= GUEST_MEM_KB &&
	       *size_kb <= GUEST_MEM_KB + GUEST_MEM_KB / 8;
}

/* Rss of the guest RAM mapping (closest in size to the guest's), or -1. */
static long mem_guest_rss(pid_t pid)
{
	char path[64], line[512];
	long size = 0, best_size = -1, best_rss = -1, rss;
	int cand = 0, h;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		h = mem_header(line, &size);
		if (h >= 0) {
			cand = h;
		} else if (cand && sscanf(line, "Rss: %ld kB", &rss) == 1 &&
			   (best_size < 0 || size < best_size)) {
			best_size = size;
			best_rss = rss;
		}
	}
	fclose(f);
	return best_rss;
}

static int mem_read_status(pid_t pid, struct mem_sample *m)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	m->hwm_kb = m->rss_kb = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmHWM: %ld kB", &m->hwm_kb);
		sscanf(line, "VmRSS: %ld kB", &m->rss_kb);
	}
	fclose(f);
	return m->hwm_kb < 0 || m->rss_kb < 0 ? -ENODATA : 0;
}

static int mem_sample_pid(pid_t pid, struct mem_sample *m)
{
	int err = mem_read_status(pid, m);

	if (err)
		return err;
	m->guest_kb = mem_guest_rss(pid);
	return m->guest_kb < 0 ? -ENOENT : 0;
}

/*
 * One echo run: at "PROBE READY echo" the guest has booted, found ACPI and
 * the I/O APIC and waits; sample memory there, then send a line so that
 * the probe echoes it and powers off.
 */
static void bench_echo(const struct bench *b, struct vmm *v, int i)
{
	struct mem_sample m;
	char what[32];
	struct run r;
	int err = -ETIMEDOUT;

	snprintf(what, sizeof(what), "echo run %d", i + 1);
	if (vmm_start(b, v, "echo", &r)) {
		snprintf(v->off, sizeof(v->off), "cannot start: %s",
			 strerror(errno));
		return;
	}
	run_wait(&r, &r.ready_ms, r.t0 + b->timeout_ns);
	if (r.ready_ms >= 0 && r.status < 0) {
		err = mem_sample_pid(r.pid, &m);
		if (write(r.in_fd, "x\n", 2) != 2)
			err = err ? err : -EPIPE;
	}
	run_end(&r, vmm_is_vessel(v), r.t0 + b->timeout_ns);
	vmm_count_cut(v, &r);
	if (err || r.cut) {
		vmm_fail(v, what, &r);
		return;
	}
	series_add(&v->guest, m.guest_kb / 1024.0);
	series_add(&v->own_hwm, (m.hwm_kb - m.guest_kb) / 1024.0);
	series_add(&v->own_rss, (m.rss_kb - m.guest_kb) / 1024.0);
}

/* --- setup and host facts ----------------------------------------------- */

int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi) {
		fprintf(stderr, "bench: %s=%s ignored (%d..%d); using %d\n",
			name, s, lo, hi, def);
		return def;
	}
	return (int)v;
}

static const char *env_str(const char *name, const char *def)
{
	const char *s = getenv(name);

	return s && *s ? s : def;
}

static void bench_init(struct bench *b)
{
	static const char *const labels[] = { "vessel", "qemu q35",
					      "qemu microvm" };
	static const char *const machines[] = { NULL, "q35", "microvm" };
	int i;

	memset(b, 0, sizeof(*b));
	b->vessel = env_str("VESSEL", "build/vessel");
	b->probe = env_str("PROBE", "build/probe.elf");
	b->qemu = env_str("QEMU", "qemu-system-x86_64");
	b->runs = env_int("BENCH_RUNS", 10, 1, MAX_RUNS);
	b->mem_runs = env_int("BENCH_MEM_RUNS", 3, 1, MAX_RUNS);
	b->timeout_ns = env_int("BENCH_TIMEOUT", 30, 1, 3600) * 1000000000LL;
	b->db_rounds = env_int("BENCH_DOORBELL_ROUNDS", 10000, 100, 20000);
	for (i = 0; i < 3; i++) {
		b->vmm[i].label = labels[i];
		b->vmm[i].machine = machines[i];
		b->vmm[i].cpu = QEMU_CPU;
	}
}

/* First "key : value" line of /proc/cpuinfo for @key. */
static void host_cpu_model(char *buf, size_t size)
{
	char line[256], *colon;
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, size, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, size, "%s", colon + 2);
		break;
	}
	if (f)
		fclose(f);
}

static const char *host_kvm_kind(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		return "not usable (no /dev/kvm or no access)";
	if (!access("/sys/module/kvm_pvm", F_OK))
		return "kvm_pvm (PVM: no VT-x/AMD-V; guests run by instruction emulation, ~1 us per instruction)";
	if (!access("/sys/module/kvm_intel", F_OK))
		return "kvm_intel (VT-x)";
	if (!access("/sys/module/kvm_amd", F_OK))
		return "kvm_amd (AMD-V)";
	return "present (module unknown)";
}

static void print_host(void)
{
	struct utsname u;
	char cpu[128];

	host_cpu_model(cpu, sizeof(cpu));
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	printf("host:     %s %s %s\n", u.sysname, u.release, u.version);
	printf("cpu:      %s, %ld online\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("/dev/kvm: %s\n", host_kvm_kind());
}

/* First stdout line of "@prog --version", or why there is none. */
static void print_version(const char *label, const char *prog)
{
	char *argv[] = { (char *)prog, (char *)"--version", NULL };
	char err[MSG_LEN];
	struct run r;

	if (run_start(&r, argv)) {
		printf("%-9s cannot run %s: %s\n", label, prog,
		       strerror(errno));
		return;
	}
	run_end(&r, false, now_ns() + 10 * 1000000000LL);
	run_err_line(&r, err, sizeof(err));
	printf("%-9s %s\n", label, r.first[0] ? r.first : err);
}

/* --- warm-up and preflight -------------------------------------------- */

/*
 * One uncounted poweroff run per VMM: it warms the page cache and finds
 * out whether the VMM can boot the probe here at all. QEMU 7.2's -cpu
 * host aborts on PVM ("failed to set MSR 0x10a"): then it is retried once
 * without arch-capabilities, and the table says so.
 */
static void vmm_preflight(const struct bench *b, struct vmm *v)
{
	char err[MSG_LEN], why[MSG_LEN];
	struct run r;

	if (vmm_start(b, v, "poweroff", &r))
		goto err_start;
	run_end(&r, vmm_is_vessel(v), r.t0 + b->timeout_ns);
	run_err_find(&r, "set MSR", err, sizeof(err));
	if (!vmm_is_vessel(v) && r.boot_ms < 0 && strstr(r.err, "set MSR")) {
		snprintf(v->note, sizeof(v->note),
			 "-cpu %s aborts here (%.120s); used -cpu %s", v->cpu,
			 err, QEMU_CPU_FALLBACK);
		v->cpu = QEMU_CPU_FALLBACK;
		if (vmm_start(b, v, "poweroff", &r))
			goto err_start;
		run_end(&r, false, r.t0 + b->timeout_ns);
	}
	vmm_count_cut(v, &r);
	if (r.cut && r.boot_ms >= 0)
		vmm_fail(v, "warm-up run", &r);
	if (r.boot_ms < 0) {
		run_describe(&r, why, sizeof(why));
		snprintf(v->off, sizeof(v->off),
			 "cannot boot the probe: %.200s", why);
	}
	return;
err_start:
	snprintf(v->off, sizeof(v->off), "cannot start: %s", strerror(errno));
}

static void print_command(const struct bench *b, const struct vmm *v)
{
	char *argv[MAX_ARGS], arg[64];
	int i;

	vmm_argv(b, v, "poweroff", arg, sizeof(arg), argv);
	printf("  %-13s", v->label);
	for (i = 0; argv[i]; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

static void print_method(const struct bench *b)
{
	int i;

	printf("\nmethod (%d timed runs per VMM, interleaved, after one warm-up run; %d memory runs):\n",
	       b->runs, b->mem_runs);
	printf("  boot    fork() to the arrival of the '%s' line on the console pipe (CLOCK_MONOTONIC)\n",
	       MARK_BOOT);
	printf("  S5      arrival of '%s' (the probe's last line before it writes SLP_EN)\n"
	       "          to the exit seen through a pidfd (waitpid); counted only for a clean exit 0\n",
	       MARK_LAST);
	printf("  memory  probe.test=echo: at '%s', guest RAM = Rss of the anonymous mapping of\n"
	       "          %s (QEMU: its RAM block, the one closest in size) in /proc/PID/smaps;\n"
	       "          own = VmHWM - guest Rss, also VmRSS - guest Rss (/proc/PID/status); then 'x\\n' on stdin\n",
	       MARK_READY, GUEST_MEM_ARG);
	printf("  ratio   vessel / QEMU, of the medians (below 1: vessel is faster or smaller)\n");
	printf("  a hung run is cut after %lld s: vessel by SIGQUIT, QEMU by SIGKILL\n",
	       (long long)(b->timeout_ns / 1000000000LL));
	printf("commands (the echo runs use probe.test=echo):\n");
	for (i = 0; i < 3; i++)
		print_command(b, &b->vmm[i]);
}

/* --- the table -------------------------------------------------------- */

void cell_value(struct series *s, const struct vmm *v, const char *unit,
		char *buf, size_t size)
{
	if (v->off[0] && !s->n)
		snprintf(buf, size, "failed, see notes");
	else if (!s->n)
		snprintf(buf, size, "no data");
	else
		snprintf(buf, size, "%.2f %s", series_median(s), unit);
}

void cell_range(struct series *s, char *buf, size_t size)
{
	if (!s->n)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f..%.2f (%d)", s->v[0], s->v[s->n - 1],
			 s->n);
}

void cell_ratio(struct series *a, struct series *b, char *buf, size_t size)
{
	double x = series_median(a), y = series_median(b);

	if (x < 0 || y <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.3f", x / y);
}

/* Which series of a VMM a table row shows. */
static struct series *row_series(struct vmm *v, int row)
{
	struct series *s[] = { &v->boot, &v->s5, &v->own_hwm, &v->own_rss,
			       &v->guest };

	return s[row];
}

static void print_row(struct bench *b, int row, const char *name,
		      const char *unit)
{
	struct vmm *ves = &b->vmm[0];
	char c[5][CELL + 8], r[3][CELL + 8];
	int i;

	for (i = 0; i < 3; i++) {
		cell_value(row_series(&b->vmm[i], row), &b->vmm[i], unit, c[i],
			   sizeof(c[i]));
		cell_range(row_series(&b->vmm[i], row), r[i], sizeof(r[i]));
	}
	cell_ratio(row_series(ves, row), row_series(&b->vmm[1], row), c[3],
		   sizeof(c[3]));
	cell_ratio(row_series(ves, row), row_series(&b->vmm[2], row), c[4],
		   sizeof(c[4]));
	printf("%-30s| %-*s| %-*s| %-6s| %-*s| %s\n", name, CELL, c[0], CELL,
	       c[1], c[3], CELL, c[2], c[4]);
	printf("%-30s| %-*s| %-*s| %-6s| %-*s|\n", "    min..max (n)", CELL,
	       r[0], CELL, r[1], "", CELL, r[2]);
}

static void print_table(struct bench *b)
{
	printf("\n%-30s| %-*s| %-*s| %-6s| %-*s| %s\n", "figure (median)", CELL,
	       "vessel", CELL, "qemu q35", "ratio", CELL, "qemu microvm",
	       "ratio");
	printf("------------------------------+-----------------------+-----------------------+-------+-----------------------+------\n");
	print_row(b, 0, "launch to PROBE BOOT", "ms");
	print_row(b, 1, "S5 (last line) to exit", "ms");
	print_row(b, 2, "own memory: VmHWM - guest", "MiB");
	print_row(b, 3, "VmRSS - guest", "MiB");
	print_row(b, 4, "guest RAM touched (info)", "MiB");
}

/* --- targets ------------------------------------------------------------ */

static void print_target_vs(struct bench *b, int row, int q, const char *fig)
{
	double x = series_median(row_series(&b->vmm[0], row));
	double y = series_median(row_series(&b->vmm[q], row));
	const char *verdict = x < 0 ? "MISS" :
			      y < 0 ? "N/A " :
			      x < y ? "PASS" :
				      "MISS";

	printf("  %s  %s: vessel below %s", verdict, fig, b->vmm[q].label);
	if (x >= 0 && y >= 0)
		printf(" (%.2f ms vs %.2f ms)\n", x, y);
	else
		printf(" (%s has no data)\n",
		       x < 0 ? "vessel" : b->vmm[q].label);
}

static void print_targets(struct bench *b)
{
	double own = series_median(&b->vmm[0].own_hwm);

	printf("\ntargets:\n");
	print_target_vs(b, 0, 1, "launch to PROBE BOOT");
	print_target_vs(b, 0, 2, "launch to PROBE BOOT");
	print_target_vs(b, 1, 1, "S5 to exit");
	print_target_vs(b, 1, 2, "S5 to exit");
	if (own < 0)
		printf("  MISS  own memory under 2 MiB (vessel has no data)\n");
	else
		printf("  %s  own memory under 2 MiB (VmHWM - guest: %.2f MiB)\n",
		       own * 1024 < OWN_MEM_TARGET_KB ? "PASS" : "MISS", own);
}

static void print_notes(const struct bench *b)
{
	const struct vmm *v;
	int i, j;

	printf("\nnotes:\n");
	for (i = 0; i < 3; i++) {
		v = &b->vmm[i];
		if (v->note[0])
			printf("  %s: %s\n", v->label, v->note);
		if (v->off[0])
			printf("  %s: %s\n", v->label, v->off);
		if (v->db_off[0])
			printf("  %s: doorbell: %s\n", v->label, v->db_off);
		for (j = 0; j < v->fails && j < MAX_FAILS; j++)
			printf("  %s: %s\n", v->label, v->fail[j]);
		if (v->fails > MAX_FAILS)
			printf("  %s: ... %d failed runs in all\n", v->label,
			       v->fails);
		if (!v->note[0] && !v->off[0] && !v->db_off[0] && !v->fails)
			printf("  %s: every run clean\n", v->label);
	}
}

/* Every sample, sorted (series_median() sorted them for the table). */
static void print_samples(struct bench *b)
{
	static const char *const names[] = { "boot ms", "S5 ms", "own MiB" };
	struct series *s;
	int i, row, j;

	printf("\nsamples (sorted):\n");
	for (i = 0; i < 3; i++) {
		for (row = 0; row < 3; row++) {
			s = row_series(&b->vmm[i], row);
			printf("  %-13s %-8s", b->vmm[i].label, names[row]);
			for (j = 0; j < s->n; j++)
				printf(" %.2f", s->v[j]);
			printf("%s\n", s->n ? "" : " -");
		}
	}
}

/* --- main ------------------------------------------------------------- */

static void bench_round(struct bench *b, int i, bool mem)
{
	int k;

	for (k = 0; k < 3; k++) {
		if (b->vmm[k].off[0])
			continue;
		if (mem)
			bench_echo(b, &b->vmm[k], i);
		else
			bench_poweroff(b, &b->vmm[k], i);
	}
	fprintf(stderr, "bench: %s run %d/%d done\n", mem ? "memory" : "timed",
		i + 1, mem ? b->mem_runs : b->runs);
}

/* Boot, S5, memory, the stops and the watchdog: the runs, then the tables. */
static void bench_vm_parts(struct bench *b)
{
	int i;

	print_method(b);
	for (i = 0; i < b->runs; i++)
		bench_round(b, i, false);
	for (i = 0; i < b->mem_runs; i++)
		bench_round(b, i, true);
	for (i = 0; i < b->runs; i++)
		stop_round(b, i);
	for (i = 0; i < b->runs; i++)
		wdt_round(b, i);
	doorbell_run(b);
	blk_run(b);
	print_table(b);
	print_targets(b);
	stop_print(b);
	wdt_print(b);
}

int main(void)
{
	const char *only = getenv("BENCH_ONLY");
	bool doorbell_only = only && !strcmp(only, "doorbell");
	bool density_only = only && !strcmp(only, "density");
	bool blk_only = only && !strcmp(only, "blk");
	struct bench b;
	int i;

	/* A VMM that died leaves a stdin pipe with no reader. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_init(&b);
	printf("vessel bench: launch to first PROBE line, S5 to exit, own memory, power button and power cut to exit, watchdog expiry, doorbell latency, vesseld density and restart overhead, virtio-blk throughput; guest %s, 1 vCPU, %s\n",
	       GUEST_MEM_ARG, b.probe);
	print_host();
	print_version("vessel:", b.vessel);
	print_version("qemu:", b.qemu);
	if (access(b.probe, R_OK)) {
		printf("bench: cannot read the probe %s: %s\n", b.probe,
		       strerror(errno));
		return 1;
	}
	if (density_only) {
		density_run(&b);
		return 0;
	}
	if (doorbell_only || blk_only)
		snprintf(b.vmm[2].off, sizeof(b.vmm[2].off),
			 "not run (BENCH_ONLY=%s)", only);
	for (i = 0; i < 3; i++)
		if (!b.vmm[i].off[0])
			vmm_preflight(&b, &b.vmm[i]);
	if (doorbell_only)
		doorbell_run(&b);
	else if (blk_only)
		blk_run(&b);
	else
		bench_vm_parts(&b);
	if (!blk_only)
		doorbell_print(&b);
	if (!doorbell_only)
		blk_print(&b);
	if (!doorbell_only && !blk_only)
		density_run(&b);
	print_notes(&b);
	if (!doorbell_only && !blk_only)
		print_samples(&b);
	return 0;
}
