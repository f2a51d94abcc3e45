// SPDX-License-Identifier: Apache-2.0
/*
 * make bench, fifth part: vesseld with many guests (issue 6, "Benchmark").
 *
 * Density and host shutdown: N probe guests (probe.test=power-button,
 * 64 MiB, 1 vCPU) in a private configuration and run directory under
 * `vesseld --foreground`. Measured on the bench's clock from vesseld's
 * fork: each guest's "PROBE READY power-button" in RUN/NAME/console.log
 * (scanned every 10 ms). With every guest up and idle: vesseld's CPU
 * (on-CPU nanoseconds, /proc/PID/task/T/schedstat) over a few seconds, its
 * VmRSS, VmHWM and open fds, and the vessels' CPU and RSS for scale. Then
 * `vesselctl shutdown` to its answer (vesseld answers once every guest is
 * down) and to vesseld's exit. From RUN/vesseld.events: each guest stopped
 * by its power button with exit 0, none escalated, none lost (ended before
 * the shutdown, or never stopped), SIGKILL named nowhere.
 *
 * Supervisor overhead per restart: one guest that reboots at once
 * (probe.test=reboot-cf9) with restart-delay 0 and no restart limit. Per
 * restart, from vesseld's events: the exit seen to the next vessel
 * exec'd; and on the bench's clock: the old vessel's end (its pidfd) to
 * the arrival of the new vessel's booted event, minus that event's mono
 * (vessel's own time from its start to the guest's first output). The
 * second is what a reboot costs beyond vessel itself: wake-ups, vesseld's
 * work, fork and exec.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define DENS_MEM "64M"
#define DENS_READY "PROBE READY power-button"
#define DENS_MAX 200
#define DENS_MAX_SIZES 4
#define DENS_TARGET_N 50
#define SCAN_MS 10
#define CONSOLE_SCAN 8192
#define RB_SCENARIO "reboot-cf9"
#define RB_MAX 256
#define OVERHEAD_TARGET_MS 5.0
#define NS_PER_MS 1000000LL

/* --- processes ---------------------------------------------------------- */

struct dens_proc {
	pid_t pid;
	int pidfd;
	int status; /* exit code, 128 + signal, or -1 */
	double exit_ms; /* on the caller's clock, or -1 */
	double cpu_ms; /* on-CPU time read just before the reap, or -1 */
};

static double ms_from(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

/* Fork and exec @argv with stdout and stderr appended to @log. */
static int proc_start(struct dens_proc *p, const char *const argv[],
		      const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	memset(p, 0, sizeof(*p));
	p->status = -1;
	p->exit_ms = p->cpu_ms = -1;
	if (fd < 0)
		return -errno;
	p->pid = fork();
	if (p->pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	if (p->pid < 0)
		return -errno;
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	return p->pidfd < 0 ? -errno : 0;
}

/* Nanoseconds on a CPU, all threads of @pid together; -1 if it is gone. */
static double proc_cpu_ms(pid_t pid)
{
	char path[64], line[128];
	unsigned long long ns, sum = 0;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat",
			 pid, d->d_name);
		f = fopen(path, "re");
		if (f && fgets(line, sizeof(line), f) &&
		    sscanf(line, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	closedir(dir);
	return (double)sum / 1e6;
}

/*
 * Wait up to @ms for the exit; the exit's time on @t0's clock. The CPU
 * time is read from the zombie before the reap (WNOWAIT).
 */
static bool proc_wait(struct dens_proc *p, int ms, int64_t t0)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	siginfo_t si = { 0 };
	int st;

	if (p->status >= 0)
		return true;
	if (poll(&pfd, 1, ms) <= 0)
		return false;
	p->exit_ms = ms_from(t0);
	if (!waitid(P_PID, p->pid, &si, WEXITED | WNOWAIT))
		p->cpu_ms = proc_cpu_ms(p->pid);
	if (waitpid(p->pid, &st, 0) != p->pid)
		return false;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(p->pidfd);
	p->pidfd = -1;
	return true;
}

/*
 * A vesseld that does not end: SIGQUIT (it cuts every guest's power and
 * exits). Never SIGKILL: a vessel left behind would lose its guest.
 */
static void proc_end(struct dens_proc *p, int ms, int64_t t0)
{
	if (p->pid <= 0 || proc_wait(p, ms, t0))
		return;
	kill(p->pid, SIGQUIT);
	if (!proc_wait(p, 30000, t0))
		fprintf(stderr,
			"bench: pid %d outlived SIGQUIT; left running\n",
			p->pid);
}

static void mem_of(pid_t pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	FILE *f;

	*rss_kb = *hwm_kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %ld kB", rss_kb);
		sscanf(line, "VmHWM: %ld kB", hwm_kb);
	}
	if (f)
		fclose(f);
}

static int fds_of(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* --- files ---------------------------------------------------------------- */

/* A file read line by line as it grows (events files, appended). */
struct tail {
	char path[160];
	int fd;
	char line[2048];
	size_t len;
};

static void tail_init(struct tail *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->fd = -1;
}

/* Each complete new line to @fn; the file is opened once it exists. */
static void tail_read(struct tail *t, void (*fn)(void *, const char *),
		      void *ctx)
{
	char buf[4096];
	ssize_t n, i;

	if (t->fd < 0)
		t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	while (t->fd >= 0 && (n = read(t->fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (t->len < sizeof(t->line) - 1)
					t->line[t->len++] = buf[i];
				continue;
			}
			t->line[t->len] = '\0';
			fn(ctx, t->line);
			t->len = 0;
		}
	}
}

static void tail_close(struct tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static const char *ev_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

static double ev_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_double(v) :
		       -1;
}

static void rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench: could not remove %s\n", dir);
}

/* --- a private vesseld ------------------------------------------------------ */

struct vd_env {
	const char *vessel, *vesseld, *vesselctl, *probe;
	char dir[64], conf[96], run[96], events[128], sock[128], log[128];
	struct dens_proc vd;
	int64_t t0; /* vesseld's fork */
};

static int vd_dirs(struct vd_env *e)
{
	snprintf(e->dir, sizeof(e->dir), "/tmp/vessel-density-XXXXXX");
	if (!mkdtemp(e->dir))
		return -errno;
	snprintf(e->conf, sizeof(e->conf), "%s/conf", e->dir);
	snprintf(e->run, sizeof(e->run), "%s/run", e->dir);
	snprintf(e->events, sizeof(e->events), "%s/vesseld.events", e->run);
	snprintf(e->sock, sizeof(e->sock), "%s/vesseld.sock", e->run);
	snprintf(e->log, sizeof(e->log), "%s/vesseld.log", e->dir);
	return mkdir(e->conf, 0700) ? -errno : 0;
}

/* conf/@name.conf: the probe on @scenario, 64 MiB, then @more. */
static int vd_guest_file(struct vd_env *e, const char *name,
			 const char *scenario, const char *more)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.conf", e->conf, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "kernel %s\ncmdline probe.test=%s\nmem %s\ncpus 1\n%s",
		e->probe, scenario, DENS_MEM, more);
	return fclose(f) ? -errno : 0;
}

static int vd_start(struct vd_env *e)
{
	const char *argv[] = { e->vesseld,  "--config-dir", e->conf,
			       "--run-dir", e->run,	    "--vessel",
			       e->vessel,   "--foreground", NULL };

	e->t0 = now_ns();
	return proc_start(&e->vd, argv, e->log);
}

/* vesseld's last line naming a problem, else its last line. */
static void vd_log_line(const struct vd_env *e, char *buf, size_t size)
{
	char line[LINE_LEN], best[LINE_LEN] = "", last[LINE_LEN] = "";
	FILE *f = fopen(e->log, "re");

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(last, sizeof(last), "%s", line);
		if (strstr(line, "error") || strstr(line, "cannot") ||
		    strstr(line, "warning"))
			snprintf(best, sizeof(best), "%s", line);
	}
	if (f)
		fclose(f);
	snprintf(buf, size, "%.200s",
		 best[0] ? best :
		 last[0] ? last :
			   "(empty log)");
}

/* --- density: one run ---------------------------------------------------- */

struct dens_guest {
	char name[16];
	double ready_ms; /* on the bench's clock since vesseld's fork */
	bool fail; /* PROBE FAIL on its console */
};

struct dens_run {
	int n;
	struct dens_guest g[DENS_MAX];
	double all_ready_ms, mid_ready_ms, first_ready_ms;
	double start_cpu_ms, idle_pct, vessels_pct, ctl_ms, exit_ms;
	double shutdown_cpu_ms;
	long rss_kb, hwm_kb, vessels_rss_kb;
	int fds, ready, ctl_code, vd_code;
	/* from vesseld's events */
	double autostart_s, done_s;
	int clean, stopped, escalated, lost, early, sigkill;
	pid_t pids[DENS_MAX];
	int npids;
	char fail[MSG_LEN];
};

/* Whether guest @g's console shows its READY line (or a FAIL) yet. */
static void dens_scan(struct vd_env *e, struct dens_guest *g, double t)
{
	char path[160], buf[CONSOLE_SCAN];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/console.log", e->run, g->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strstr(buf, DENS_READY))
		g->ready_ms = t;
	if (strstr(buf, "PROBE FAIL"))
		g->fail = true;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Scan every SCAN_MS until all guests are READY, or @deadline. */
static void dens_wait_ready(struct vd_env *e, struct dens_run *r,
			    int64_t deadline)
{
	double ready[DENS_MAX];
	int i;

	while (r->ready < r->n && now_ns() < deadline &&
	       !proc_wait(&e->vd, SCAN_MS, e->t0)) {
		for (i = 0; i < r->n; i++) {
			if (r->g[i].ready_ms >= 0)
				continue;
			dens_scan(e, &r->g[i], ms_from(e->t0));
			if (r->g[i].ready_ms >= 0)
				ready[r->ready++] = r->g[i].ready_ms;
		}
	}
	if (!r->ready)
		return;
	qsort(ready, r->ready, sizeof(*ready), cmp_dbl);
	r->first_ready_ms = ready[0];
	r->mid_ready_ms = ready[r->ready / 2];
	r->all_ready_ms = r->ready == r->n ? ready[r->ready - 1] : -1;
}

/* The vessels' pids from vesseld's "started" events. */
static void dens_pid_line(void *ctx, const char *line)
{
	struct json_object *o = json_tokener_parse(line);
	struct dens_run *r = ctx;
	const char *ev = o ? ev_str(o, "event") : NULL;

	if (ev && !strcmp(ev, "started") && r->npids < DENS_MAX)
		r->pids[r->npids++] = (pid_t)ev_num(o, "pid");
	json_object_put(o);
}

static double vessels_cpu_ms(const struct dens_run *r)
{
	double sum = 0, ms;
	int i;

	for (i = 0; i < r->npids; i++) {
		ms = proc_cpu_ms(r->pids[i]);
		sum += ms > 0 ? ms : 0;
	}
	return sum;
}

/*
 * Every guest up and idle: vesseld's and the vessels' CPU over @idle_s,
 * and their memory. vesseld's start cost is its CPU so far.
 */
static void dens_idle(struct vd_env *e, struct dens_run *r, int idle_s)
{
	struct tail t;
	double vd0, v0, t0, dt;
	long rss, hwm;
	int i;

	tail_init(&t, e->events);
	tail_read(&t, dens_pid_line, r);
	tail_close(&t);
	r->start_cpu_ms = vd0 = proc_cpu_ms(e->vd.pid);
	v0 = vessels_cpu_ms(r);
	t0 = ms_from(e->t0);
	if (proc_wait(&e->vd, idle_s * 1000, e->t0)) {
		snprintf(r->fail, sizeof(r->fail), "vesseld exited while idle");
		return;
	}
	dt = ms_from(e->t0) - t0;
	r->idle_pct = (proc_cpu_ms(e->vd.pid) - vd0) / dt * 100;
	r->vessels_pct = (vessels_cpu_ms(r) - v0) / dt * 100;
	mem_of(e->vd.pid, &r->rss_kb, &r->hwm_kb);
	r->fds = fds_of(e->vd.pid);
	r->vessels_rss_kb = 0;
	for (i = 0; i < r->npids; i++) {
		mem_of(r->pids[i], &rss, &hwm);
		r->vessels_rss_kb += rss > 0 ? rss : 0;
	}
}

/*
 * `vesselctl shutdown`: from the request to its answer, and to vesseld's
 * exit; vesseld's CPU for the shutdown.
 */
static void dens_shutdown(struct vd_env *e, struct dens_run *r, int timeout_ms)
{
	const char *argv[] = { e->vesselctl, "--daemon", e->sock, "shutdown",
			       NULL };
	double cpu0 = proc_cpu_ms(e->vd.pid), at;
	struct dens_proc c;
	char log[160];

	snprintf(log, sizeof(log), "%s/shutdown.out", e->dir);
	r->ctl_code = -1;
	at = ms_from(e->t0);
	if (proc_start(&c, argv, log)) {
		snprintf(r->fail, sizeof(r->fail), "cannot run %s", argv[0]);
		proc_end(&e->vd, 0, e->t0);
		return;
	}
	if (proc_wait(&c, timeout_ms, e->t0)) {
		r->ctl_code = c.status;
		r->ctl_ms = c.exit_ms - at;
	} else {
		proc_end(&c, 0, e->t0);
	}
	proc_end(&e->vd, timeout_ms, e->t0);
	if (e->vd.exit_ms >= 0)
		r->exit_ms = e->vd.exit_ms - at;
	if (e->vd.cpu_ms >= 0 && cpu0 >= 0)
		r->shutdown_cpu_ms = e->vd.cpu_ms - cpu0;
}

/* Facts from vesseld's events, one line at a time. */
struct dens_facts {
	struct dens_run *r;
	bool shutdown; /* the "shutdown" event was seen */
};

static void dens_fact_line(void *ctx, const char *line)
{
	struct dens_facts *f = ctx;
	struct json_object *o = json_tokener_parse(line);
	const char *ev = o ? ev_str(o, "event") : NULL, *how;

	if (strstr(line, "SIGKILL"))
		f->r->sigkill++;
	if (!ev) {
		json_object_put(o);
		return;
	}
	how = ev_str(o, "how");
	if (!strcmp(ev, "shutdown"))
		f->shutdown = true;
	else if (!strcmp(ev, "exited") && !f->shutdown)
		f->r->early++;
	else if (!strcmp(ev, "autostart-done"))
		f->r->autostart_s = ev_num(o, "seconds");
	else if (!strcmp(ev, "shutdown-done"))
		f->r->done_s = ev_num(o, "seconds");
	else if (!strcmp(ev, "escalated"))
		f->r->escalated++;
	else if (!strcmp(ev, "stopped"))
		f->r->stopped++;
	if (!strcmp(ev, "stopped") && how && !strcmp(how, "power-button") &&
	    ev_num(o, "code") == 0)
		f->r->clean++;
	json_object_put(o);
}

static void dens_facts(struct vd_env *e, struct dens_run *r)
{
	struct dens_facts f = { r, false };
	struct tail t;

	r->autostart_s = r->done_s = -1;
	tail_init(&t, e->events);
	tail_read(&t, dens_fact_line, &f);
	tail_close(&t);
	/* Lost: ended before the shutdown, or never stopped by it. */
	r->lost = r->n > r->stopped ? r->n - r->stopped : 0;
}

static void dens_run_once(struct vd_env *e, struct dens_run *r, int n,
			  int idle_s, int64_t timeout_ns)
{
	char why[MSG_LEN];
	int i, fails = 0;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->all_ready_ms = r->first_ready_ms = r->mid_ready_ms = -1;
	r->ctl_ms = r->exit_ms = r->shutdown_cpu_ms = -1;
	r->start_cpu_ms = r->idle_pct = r->vessels_pct = -1;
	r->rss_kb = r->hwm_kb = r->vessels_rss_kb = r->fds = -1;
	for (i = 0; i < n; i++) {
		snprintf(r->g[i].name, sizeof(r->g[i].name), "g%03d", i + 1);
		r->g[i].ready_ms = -1;
		if (vd_guest_file(e, r->g[i].name, "power-button", "")) {
			snprintf(r->fail, sizeof(r->fail),
				 "cannot write the guest files in %s", e->conf);
			return;
		}
	}
	if (vd_start(e)) {
		snprintf(r->fail, sizeof(r->fail), "cannot start %s: %s",
			 e->vesseld, strerror(errno));
		return;
	}
	dens_wait_ready(e, r, e->t0 + timeout_ns);
	if (r->ready == n)
		dens_idle(e, r, idle_s);
	dens_shutdown(e, r, (int)(timeout_ns / NS_PER_MS));
	dens_facts(e, r);
	r->vd_code = e->vd.status;
	for (i = 0; i < n; i++)
		fails += r->g[i].fail;
	if (r->ready < n || fails || e->vd.status != 0) {
		vd_log_line(e, why, sizeof(why));
		snprintf(
			r->fail, sizeof(r->fail),
			"%d/%d READY, %d with PROBE FAIL, vesseld exit %d: %.150s",
			r->ready, n, fails, e->vd.status, why);
	}
}

/* --- density: the figures over runs --------------------------------------- */

struct dens_size {
	int n, runs, bad_runs;
	struct series all_ready, first_ready, mid_ready, autostart;
	struct series start_cpu, idle_pct, rss, hwm, fds, vessels_pct,
		vessels_rss;
	struct series ctl, vd_exit, done, shutdown_cpu;
	int guests, ready, clean, escalated, lost, early, sigkill;
	int ctl_bad, vd_bad;
	char fail[MSG_LEN];
};

static void add_if(struct series *s, double v)
{
	if (v >= 0)
		series_add(s, v);
}

static void dens_add(struct dens_size *z, const struct dens_run *r)
{
	z->runs++;
	z->guests += r->n;
	z->ready += r->ready;
	z->clean += r->clean;
	z->escalated += r->escalated;
	z->lost += r->lost;
	z->early += r->early;
	z->sigkill += r->sigkill;
	z->ctl_bad += r->ctl_code != 0;
	z->vd_bad += r->vd_code != 0;
	if (r->fail[0]) {
		z->bad_runs++;
		snprintf(z->fail, sizeof(z->fail), "%s", r->fail);
	}
	add_if(&z->all_ready, r->all_ready_ms / 1e3);
	add_if(&z->first_ready, r->first_ready_ms / 1e3);
	add_if(&z->mid_ready, r->mid_ready_ms / 1e3);
	add_if(&z->autostart, r->autostart_s);
	add_if(&z->start_cpu, r->start_cpu_ms);
	add_if(&z->idle_pct, r->idle_pct);
	add_if(&z->rss, r->rss_kb < 0 ? -1 : r->rss_kb / 1024.0);
	add_if(&z->hwm, r->hwm_kb < 0 ? -1 : r->hwm_kb / 1024.0);
	add_if(&z->fds, r->fds);
	add_if(&z->vessels_pct, r->vessels_pct);
	add_if(&z->vessels_rss,
	       r->vessels_rss_kb < 0 ? -1 : r->vessels_rss_kb / 1024.0);
	add_if(&z->ctl, r->ctl_ms / 1e3);
	add_if(&z->vd_exit, r->exit_ms / 1e3);
	add_if(&z->done, r->done_s);
	add_if(&z->shutdown_cpu, r->shutdown_cpu_ms);
}

/* --- restart overhead -------------------------------------------------------- */

/* One vessel of the rebooting guest. */
struct rb_boot {
	pid_t pid;
	int pidfd; /* -1 once its end was seen, or if it was gone already */
	double vd_started, vd_exited; /* vesseld's events' mono, s */
	double gone_ms, exit_ev_ms, booted_ms; /* arrivals, bench's clock */
	double booted_mono_ms; /* the booted event's own mono */
};

struct rb_state {
	struct rb_boot b[RB_MAX];
	int nb;
	pid_t vessel; /* the pid of the last vessel's own started event */
	double now; /* when the lines being read arrived */
};

struct rb_result {
	int restarts;
	struct series vd, over, own, teardown;
	char fail[MSG_LEN];
};

static struct rb_boot *rb_find(struct rb_state *s, pid_t pid)
{
	int i;

	for (i = s->nb - 1; i >= 0; i--)
		if (s->b[i].pid == pid)
			return &s->b[i];
	return NULL;
}

/* vesseld's events: a new vessel (watched from now on) and its exit. */
static void rb_vd_line(void *ctx, const char *line)
{
	struct json_object *o = json_tokener_parse(line);
	const char *ev = o ? ev_str(o, "event") : NULL;
	struct rb_state *s = ctx;
	struct rb_boot *b;
	pid_t pid = o ? (pid_t)ev_num(o, "pid") : 0;

	if (ev && !strcmp(ev, "started") && s->nb < RB_MAX) {
		b = &s->b[s->nb++];
		memset(b, 0, sizeof(*b));
		b->pid = pid;
		b->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		b->vd_started = ev_num(o, "mono");
		b->vd_exited = b->gone_ms = b->exit_ev_ms = b->booted_ms = -1;
		b->booted_mono_ms = -1;
	} else if (ev && !strcmp(ev, "exited") && (b = rb_find(s, pid))) {
		b->vd_exited = ev_num(o, "mono");
	}
	json_object_put(o);
}

/* The vessels' own events (one file across boots). */
static void rb_vessel_line(void *ctx, const char *line)
{
	struct json_object *o = json_tokener_parse(line);
	const char *ev = o ? ev_str(o, "event") : NULL;
	struct rb_state *s = ctx;
	struct rb_boot *b;

	if (ev && !strcmp(ev, "started"))
		s->vessel = (pid_t)ev_num(o, "pid");
	b = ev ? rb_find(s, s->vessel) : NULL;
	if (b && !strcmp(ev, "booted") && b->booted_ms < 0) {
		b->booted_ms = s->now;
		b->booted_mono_ms = ev_num(o, "mono") * 1e3;
	} else if (b && !strcmp(ev, "exit")) {
		b->exit_ev_ms = s->now;
	}
	json_object_put(o);
}

/* The vessels still watched, into @p after @n; how many in all. */
static int rb_pollfds(struct rb_state *s, struct pollfd *p, int n, int max,
		      struct rb_boot **who)
{
	int i;

	for (i = 0; i < s->nb && n < max; i++) {
		if (s->b[i].pidfd < 0)
			continue;
		who[n] = &s->b[i];
		p[n++] = (struct pollfd){ .fd = s->b[i].pidfd,
					  .events = POLLIN };
	}
	return n;
}

/* One wake-up: vessels that ended, then new lines of both files. */
static void rb_step(struct vd_env *e, struct rb_state *s, int ino,
		    struct tail *vd, struct tail *ves)
{
	struct pollfd p[8] = { { .fd = ino, .events = POLLIN } };
	struct rb_boot *who[8] = { NULL };
	char buf[4096];
	int n = rb_pollfds(s, p, 1, 8, who), i;

	if (poll(p, n, 100) <= 0)
		return;
	s->now = ms_from(e->t0);
	for (i = 1; i < n; i++) {
		if (!p[i].revents)
			continue;
		who[i]->gone_ms = s->now;
		close(who[i]->pidfd);
		who[i]->pidfd = -1;
	}
	while (read(ino, buf, sizeof(buf)) > 0)
		;
	tail_read(vd, rb_vd_line, s);
	tail_read(ves, rb_vessel_line, s);
}

/* Watch the run directory and the guest's; both exist once vesseld runs. */
static int rb_watch(struct vd_env *e, int ino, int64_t deadline)
{
	char guest[160];

	snprintf(guest, sizeof(guest), "%s/rb", e->run);
	while (now_ns() < deadline) {
		if (inotify_add_watch(ino, e->run, IN_MODIFY) >= 0 &&
		    inotify_add_watch(ino, guest, IN_MODIFY) >= 0)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void rb_collect(struct rb_state *s, struct rb_result *res)
{
	struct rb_boot *a, *b;
	int k;

	/* The first restart is left out: it warms the page cache. */
	for (k = 1; k + 1 < s->nb; k++) {
		a = &s->b[k];
		b = &s->b[k + 1];
		if (a->vd_exited >= 0 && b->vd_started >= 0)
			series_add(&res->vd,
				   (b->vd_started - a->vd_exited) * 1e3);
		if (a->gone_ms >= 0 && b->booted_ms >= 0 &&
		    b->booted_mono_ms >= 0) {
			series_add(&res->over, b->booted_ms - a->gone_ms -
						       b->booted_mono_ms);
			series_add(&res->own, b->booted_mono_ms);
		}
		if (a->gone_ms >= 0 && a->exit_ev_ms >= 0)
			series_add(&res->teardown, a->gone_ms - a->exit_ev_ms);
	}
}

/* Follow the vessels until @want were started, vesseld ended, or @deadline. */
static void rb_follow(struct vd_env *e, struct rb_state *s, int ino, int want,
		      int64_t deadline)
{
	struct tail vd, ves;
	char path[160];

	tail_init(&vd, e->events);
	snprintf(path, sizeof(path), "%s/rb/events.jsonl", e->run);
	tail_init(&ves, path);
	while (s->nb < want && now_ns() < deadline &&
	       !proc_wait(&e->vd, 0, e->t0))
		rb_step(e, s, ino, &vd, &ves);
	tail_close(&vd);
	tail_close(&ves);
}

static void rb_run(struct vd_env *e, struct rb_result *res, int restarts,
		   int64_t timeout_ns)
{
	struct rb_state *s = calloc(1, sizeof(*s));
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), i;

	if (!s || ino < 0 ||
	    vd_guest_file(e, "rb", RB_SCENARIO,
			  "restart-delay 0\nrestart-window 0\n") ||
	    vd_start(e)) {
		snprintf(res->fail, sizeof(res->fail), "cannot set up: %s",
			 strerror(errno));
		goto out;
	}
	if (rb_watch(e, ino, e->t0 + timeout_ns))
		snprintf(res->fail, sizeof(res->fail), "no run directory");
	else
		rb_follow(e, s, ino, restarts + 2, e->t0 + timeout_ns);
	if (e->vd.status < 0) /* the host shutdown: the guest's button */
		kill(e->vd.pid, SIGTERM);
	proc_end(&e->vd, 30000, e->t0);
	res->restarts = s->nb - 1;
	rb_collect(s, res);
	if (s->nb < restarts + 2 && !res->fail[0])
		snprintf(res->fail, sizeof(res->fail),
			 "%d restarts seen of %d, vesseld exit %d", s->nb - 1,
			 restarts + 1, e->vd.status);
	for (i = 0; i < s->nb; i++)
		if (s->b[i].pidfd >= 0)
			close(s->b[i].pidfd);
out:
	if (ino >= 0)
		close(ino);
	free(s);
}

/* --- the tables -------------------------------------------------------------- */

#define DCELL 20

static double med(struct series *s)
{
	return s->n ? series_median(s) : -1;
}

static void cell(char *buf, size_t size, struct series *s, const char *fmt)
{
	if (!s->n)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, fmt, series_median(s));
}

typedef void (*cell_fn)(struct dens_size *z, char *buf, size_t size);

static void dens_row(const char *name, struct dens_size *z, int nz, cell_fn fn)
{
	char c[DCELL + 8];
	int i;

	printf("%-38s", name);
	for (i = 0; i < nz; i++) {
		fn(&z[i], c, sizeof(c));
		printf("| %-*s", DCELL, c);
	}
	printf("\n");
}

static void c_ready(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->all_ready, "%.2f s");
}

static void c_first(struct dens_size *z, char *b, size_t n)
{
	if (!z->first_ready.n)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.2f / %.2f s", med(&z->first_ready),
			 med(&z->mid_ready));
}

static void c_autostart(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->autostart, "%.2f s");
}

static void c_start_cpu(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->start_cpu, "%.1f ms");
}

static void c_idle(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->idle_pct, "%.3f %%");
}

static void c_mem(struct dens_size *z, char *b, size_t n)
{
	if (!z->rss.n)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.2f / %.2f MiB", med(&z->rss), med(&z->hwm));
}

static void c_fds(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->fds, "%.0f");
}

static void c_vpct(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->vessels_pct, "%.3f %% of a CPU");
}

static void c_vrss(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->vessels_rss, "%.0f MiB");
}

static void c_ctl(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->ctl, "%.3f s");
}

static void c_exit(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->vd_exit, "%.3f s");
}

static void c_done(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->done, "%.3f s");
}

static void c_scpu(struct dens_size *z, char *b, size_t n)
{
	cell(b, n, &z->shutdown_cpu, "%.1f ms");
}

static void c_clean(struct dens_size *z, char *b, size_t n)
{
	snprintf(b, n, "%d/%d", z->clean, z->guests);
}

static void c_bad(struct dens_size *z, char *b, size_t n)
{
	snprintf(b, n, "%d / %d / %d / %d", z->escalated, z->lost, z->early,
		 z->sigkill);
}

static void c_codes(struct dens_size *z, char *b, size_t n)
{
	snprintf(b, n, "%d / %d", z->ctl_bad, z->vd_bad);
}

static void dens_print_method(int runs, int idle_s)
{
	printf("\nvesseld, density and host shutdown (probe.test=power-button, %s, 1 vCPU per guest;\n"
	       "%d run(s) per size, medians; a private configuration and run directory):\n",
	       DENS_MEM, runs);
	printf("  READY     vesseld's fork to '%s' in each RUN/NAME/console.log (scanned every %d ms)\n",
	       DENS_READY, SCAN_MS);
	printf("  idle      every guest READY: on-CPU time over %d s (/proc/PID/task/*/schedstat),\n"
	       "            VmRSS / VmHWM (/proc/PID/status), open fds\n",
	       idle_s);
	printf("  shutdown  `vesselctl shutdown` to its answer (sent once every guest is down) and to\n"
	       "            vesseld's exit; the checks count RUN/vesseld.events\n");
}

static void dens_print(struct dens_size *z, int nz, int runs, int idle_s)
{
	char head[32];
	int i;

	dens_print_method(runs, idle_s);
	printf("\n%-38s", "figure (median)");
	for (i = 0; i < nz; i++) {
		snprintf(head, sizeof(head), "%d guests", z[i].n);
		printf("| %-*s", DCELL, head);
	}
	printf("\n--------------------------------------");
	for (i = 0; i < nz; i++)
		printf("+---------------------");
	printf("\n");
	dens_row("all READY", z, nz, c_ready);
	dens_row("  first / median guest READY", z, nz, c_first);
	dens_row("  vesseld's autostart-done", z, nz, c_autostart);
	dens_row("vesseld CPU, fork to all READY", z, nz, c_start_cpu);
	dens_row("vesseld CPU, idle", z, nz, c_idle);
	dens_row("vesseld VmRSS / VmHWM", z, nz, c_mem);
	dens_row("vesseld open fds", z, nz, c_fds);
	dens_row("vessels, all: CPU idle (info)", z, nz, c_vpct);
	dens_row("vessels, all: VmRSS (info)", z, nz, c_vrss);
	dens_row("vesselctl shutdown to its answer", z, nz, c_ctl);
	dens_row("  to vesseld's exit", z, nz, c_exit);
	dens_row("  vesseld's shutdown-done", z, nz, c_done);
	dens_row("vesseld CPU, the shutdown", z, nz, c_scpu);
	dens_row("stopped by the button, exit 0", z, nz, c_clean);
	dens_row("escalated/lost/early exit/SIGKILL", z, nz, c_bad);
	dens_row("vesselctl / vesseld exit not 0", z, nz, c_codes);
}

static void rb_row(const char *name, struct series *s)
{
	double m = series_median(s); /* sorts, for the range */
	char r[48];

	cell_range(s, r, sizeof(r));
	if (m < 0)
		printf("%-48s| %-10s| -\n", name, "-");
	else
		printf("%-48s| %-10.3f| %s\n", name, m, r);
}

static void rb_print(struct rb_result *res)
{
	printf("\nvesseld, supervisor overhead per restart (probe.test=%s, restart-delay 0, no limit;\n"
	       "%d restarts, the first left out):\n",
	       RB_SCENARIO, res->restarts);
	printf("  vesseld         its events' mono: 'exited' to the next 'started' (after the exec)\n"
	       "  beyond vessel   the old vessel's end (pidfd) to the arrival of the new vessel's\n"
	       "                  'booted' event, minus that event's mono (vessel's own start to the\n"
	       "                  guest's first output): wake-ups, vesseld, fork and exec\n");
	printf("\n%-48s| %-10s| %s\n", "figure, ms", "median", "min..max (n)");
	printf("------------------------------------------------+-----------+--------------\n");
	rb_row("vesseld: exit seen to next vessel exec'd", &res->vd);
	rb_row("beyond vessel: vessel gone to guest output", &res->over);
	rb_row("  vessel's own start to output (info)", &res->own);
	rb_row("  vessel's exit event to its end (info)", &res->teardown);
}

static bool dens_clean(const struct dens_size *z)
{
	return z->runs && !z->bad_runs && z->ready == z->guests &&
	       z->clean == z->guests && !z->escalated && !z->lost &&
	       !z->early && !z->sigkill && !z->ctl_bad && !z->vd_bad;
}

static void dens_targets(struct dens_size *z, int nz, struct rb_result *res)
{
	double over = med(&res->over);
	int i;

	printf("\ntargets (vesseld):\n");
	for (i = 0; i < nz; i++) {
		if (z[i].n != DENS_TARGET_N)
			continue;
		printf("  %s  %d guests up and down cleanly (all READY, each stopped by its button with exit 0,\n"
		       "        none escalated, lost or ended early, exits 0; %d/%d runs, all READY in %.2f s,\n"
		       "        down in %.3f s)\n",
		       dens_clean(&z[i]) ? "PASS" : "MISS", z[i].n,
		       z[i].runs - z[i].bad_runs, z[i].runs,
		       med(&z[i].all_ready), med(&z[i].ctl));
	}
	if (over < 0)
		printf("  MISS  supervisor overhead per restart under %.0f ms (no data)\n",
		       OVERHEAD_TARGET_MS);
	else
		printf("  %s  supervisor overhead per restart under %.0f ms (median %.3f ms beyond vessel;\n"
		       "        vesseld's own part %.3f ms)\n",
		       over < OVERHEAD_TARGET_MS ? "PASS" : "MISS",
		       OVERHEAD_TARGET_MS, over, med(&res->vd));
}

static void dens_notes(struct dens_size *z, int nz, struct rb_result *res)
{
	bool any = false;
	int i;

	printf("\nnotes (vesseld):\n");
	for (i = 0; i < nz; i++) {
		if (!z[i].fail[0])
			continue;
		printf("  %d guests: %d bad run(s), last: %s\n", z[i].n,
		       z[i].bad_runs, z[i].fail);
		any = true;
	}
	if (res->fail[0])
		printf("  restarts: %s\n", res->fail);
	if (!any && !res->fail[0])
		printf("  every run clean\n");
}

/* --- entry ------------------------------------------------------------------- */

/* BENCH_DENSITY="20,50": the sizes, bounded; how many. */
static int dens_sizes(int *sizes)
{
	const char *s = getenv("BENCH_DENSITY");
	char buf[64], *save = NULL, *t;
	int n = 0, v;

	snprintf(buf, sizeof(buf), "%s", s && *s ? s : "20,50");
	for (t = strtok_r(buf, ", ", &save); t && n < DENS_MAX_SIZES;
	     t = strtok_r(NULL, ", ", &save)) {
		v = atoi(t);
		if (v >= 1 && v <= DENS_MAX)
			sizes[n++] = v;
		else
			fprintf(stderr,
				"bench: BENCH_DENSITY: %s ignored (1..%d)\n", t,
				DENS_MAX);
	}
	return n;
}

static int env_num(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	int v = s && *s ? atoi(s) : def;

	return v < lo || v > hi ? def : v;
}

static void vd_env_init(struct vd_env *e, const struct bench *b)
{
	const char *s;

	memset(e, 0, sizeof(*e));
	e->vessel = b->vessel;
	e->probe = b->probe;
	s = getenv("VESSELD");
	e->vesseld = s && *s ? s : "build/vesseld";
	s = getenv("VESSELCTL");
	e->vesselctl = s && *s ? s : "build/vesselctl";
}

/* vesseld and vessel must be absolute: vesseld runs guests from conf/. */
static int vd_env_paths(struct vd_env *e, char abs[3][4096])
{
	if (!realpath(e->vessel, abs[0]) || !realpath(e->vesseld, abs[1]) ||
	    !realpath(e->probe, abs[2]))
		return -errno;
	e->vessel = abs[0];
	e->vesseld = abs[1];
	e->probe = abs[2];
	return 0;
}

static void dens_size_run(struct vd_env *base, struct dens_size *z, int runs,
			  int idle_s, int64_t timeout_ns)
{
	struct dens_run *r = malloc(sizeof(*r));
	struct vd_env e;
	int i;

	for (i = 0; r && i < runs; i++) {
		e = *base;
		if (vd_dirs(&e)) {
			snprintf(z->fail, sizeof(z->fail),
				 "cannot make a directory in /tmp");
			break;
		}
		dens_run_once(&e, r, z->n, idle_s, timeout_ns);
		dens_add(z, r);
		rm_rf(e.dir);
		fprintf(stderr, "bench: density %d guests run %d/%d done\n",
			z->n, i + 1, runs);
	}
	free(r);
}

void density_run(const struct bench *b)
{
	static struct dens_size z[DENS_MAX_SIZES];
	int sizes[DENS_MAX_SIZES], nz = dens_sizes(sizes), i;
	int runs = env_num("BENCH_DENSITY_RUNS", 3, 1, MAX_RUNS);
	int idle_s = env_num("BENCH_IDLE", 3, 1, 60);
	int restarts = env_num("BENCH_RESTARTS", 50, 2, MAX_RUNS);
	static char abs[3][4096];
	struct rb_result res = { 0 };
	struct vd_env base, e;

	vd_env_init(&base, b);
	if (vd_env_paths(&base, abs)) {
		printf("\nvesseld: cannot find %s, %s or %s: %s\n", b->vessel,
		       base.vesseld, b->probe, strerror(errno));
		return;
	}
	for (i = 0; i < nz; i++) {
		memset(&z[i], 0, sizeof(z[i]));
		z[i].n = sizes[i];
		/* The per-run timeout grows by 1 s per guest. */
		dens_size_run(&base, &z[i], runs, idle_s,
			      b->timeout_ns + sizes[i] * 1000000000LL);
	}
	e = base;
	if (vd_dirs(&e))
		snprintf(res.fail, sizeof(res.fail), "cannot make a directory");
	else
		rb_run(&e, &res, restarts,
		       b->timeout_ns + restarts * NS_PER_MS * 1000);
	rm_rf(e.dir);
	fprintf(stderr, "bench: restart overhead done\n");
	dens_print(z, nz, runs, idle_s);
	rb_print(&res);
	dens_targets(z, nz, &res);
	dens_notes(z, nz, &res);
}
