// SPDX-License-Identifier: Apache-2.0
/*
 * make bench, second part: how fast a host's stop request ends the VMM.
 *
 * Power button (probe.test=power-button: the probe enables ACPI, arms
 * PWRBTN_EN, prints "PROBE READY power-button", and on the SCI clears
 * PWRBTN_STS and powers off): vessel gets SIGTERM; QEMU q35 gets QMP
 * system_powerdown, because QEMU has no power button on SIGTERM (SIGTERM
 * makes it quit at once, the guest is not told). Measured from the
 * request to the exit seen through a pidfd, and in parts from event lines
 * timed on arrival on the bench's clock: vessel's --events fd:3
 * (power-button-pressed, power-button-acknowledged, s5) and QEMU's QMP
 * events (POWERDOWN, SHUTDOWN).
 *
 * Power cut (probe.test=power-button-ignore, which idles): vessel gets
 * SIGQUIT; QEMU microvm (its fastest exit) gets QMP quit, or SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

#define PB_READY "PROBE READY power-button"
#define IGN_READY "PROBE READY power-button-ignore"
#define QMP_TIMEOUT_MS 5000
#define OWN_TARGET_MS 1.0

enum stop_req { REQ_SIGTERM, REQ_SIGQUIT, REQ_QMP_POWERDOWN, REQ_QMP_QUIT };

/* --- QMP ---------------------------------------------------------------- */

/* One line from @fd into @buf (bounded, waits up to QMP_TIMEOUT_MS). */
static int qmp_line(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n < size - 1) {
		if (poll(&p, 1, QMP_TIMEOUT_MS) <= 0 ||
		    read(fd, &buf[n], 1) != 1)
			return -EIO;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

/* Until a reply ("return" or "error"); events before it are skipped. */
static int qmp_reply(int fd)
{
	char line[LINE_LEN];

	do {
		if (qmp_line(fd, line, sizeof(line)))
			return -EIO;
	} while (!strstr(line, "\"return\"") && !strstr(line, "\"error\""));
	return strstr(line, "\"return\"") ? 0 : -EPROTO;
}

static int qmp_send(int fd, const char *cmd)
{
	size_t len = strlen(cmd);

	return send(fd, cmd, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

/*
 * Connect to QEMU's QMP socket and leave capabilities negotiation: read
 * the greeting, send qmp_capabilities, read its reply. The fd, or -errno.
 */
int qmp_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[LINE_LEN];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memcpy(a.sun_path, path, strnlen(path, sizeof(a.sun_path) - 1));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    qmp_line(fd, line, sizeof(line)) || !strstr(line, "\"QMP\"") ||
	    qmp_send(fd, "{\"execute\":\"qmp_capabilities\"}\n") ||
	    qmp_reply(fd)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* --- one run -------------------------------------------------------- */

static int stop_start(struct bench *b, struct vmm *v, const char *scenario,
		      bool qmp, struct run *r)
{
	char *argv[MAX_ARGS], arg[64], qmp_arg[128];
	int n;

	vmm_argv(b, v, scenario, arg, sizeof(arg), argv);
	for (n = 0; argv[n]; n++)
		;
	if (vmm_is_vessel(v)) {
		argv_push(argv, &n, "--events", "fd:3", NULL);
		return run_start_events(r, argv, true);
	}
	if (qmp) {
		snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off",
			 b->qmp_path);
		unlink(b->qmp_path);
		argv_push(argv, &n, "-qmp", qmp_arg, NULL);
	}
	return run_start(r, argv);
}

/* Send @req; returns the time it was sent (ms since fork), or -1. */
static double stop_request(const struct bench *b, struct run *r,
			   enum stop_req req)
{
	const char *cmd = req == REQ_QMP_QUIT ?
				  "{\"execute\":\"quit\"}\n" :
				  "{\"execute\":\"system_powerdown\"}\n";
	int64_t t;
	int fd;

	if (req == REQ_SIGTERM || req == REQ_SIGQUIT) {
		t = now_ns();
		return kill(r->pid, req == REQ_SIGTERM ? SIGTERM : SIGQUIT) ?
			       -1 :
			       (double)(t - r->t0) / 1e6;
	}
	/* The handshake is set-up, not part of the time measured. */
	fd = qmp_open(b->qmp_path);
	if (fd < 0)
		return -1;
	run_watch_aux(r, fd);
	t = now_ns();
	return qmp_send(fd, cmd) ? -1 : (double)(t - r->t0) / 1e6;
}

/*
 * Start @scenario, wait for @ready, send @req, wait for the exit. Returns
 * the request's time (ms since fork) or -1, after noting a failure.
 */
static double stop_run(struct bench *b, struct vmm *v, const char *what,
		       const char *scenario, enum stop_req req, struct run *r)
{
	bool qmp = req == REQ_QMP_POWERDOWN || req == REQ_QMP_QUIT;
	const char *ready =
		strcmp(scenario, "power-button") ? IGN_READY : PB_READY;
	double t_req = -1;

	if (stop_start(b, v, scenario, qmp, r)) {
		snprintf(v->off, sizeof(v->off), "cannot start: %s",
			 strerror(errno));
		return -1;
	}
	r->ready_mark = ready;
	run_wait(r, &r->ready_ms, r->t0 + b->timeout_ns);
	if (r->ready_ms >= 0 && r->status < 0)
		t_req = stop_request(b, r, req);
	run_end(r, vmm_is_vessel(v), r->t0 + b->timeout_ns);
	vmm_count_cut(v, r);
	if (t_req < 0 || r->cut || r->fail[0])
		vmm_fail(v, what, r);
	return t_req < 0 || r->cut || r->fail[0] ? -1 : t_req;
}

/* --- the power button ------------------------------------------------ */

/* Event names of a VMM's press seen, acknowledgement and S5. */
struct pb_names {
	const char *press, *ack, *s5;
};

static void pb_record(struct vmm *v, const struct run *r, double t_req,
		      const struct pb_names *n)
{
	const struct run_event *s5 = NULL, *exit_ev = NULL;
	double press = run_event_ms(r, n->press, NULL);
	double ack = n->ack ? run_event_ms(r, n->ack, NULL) : -1;
	double s5_ms = run_event_ms(r, n->s5, &s5);

	series_add(&v->pb_total, r->exit_ms - t_req);
	if (press < 0 || s5_ms < 0)
		return;
	series_add(&v->pb_press, press - t_req);
	if (ack >= 0)
		series_add(&v->pb_ack, ack - press);
	series_add(&v->pb_guest, s5_ms - press);
	series_add(&v->pb_exit, r->exit_ms - s5_ms);
	series_add(&v->pb_own, press - t_req + r->exit_ms - s5_ms);
	if (run_event_ms(r, "exit", &exit_ev) < 0 || s5->mono < 0)
		return;
	series_add(&v->pb_mono_exit, (exit_ev->mono - s5->mono) * 1000);
	series_add(&v->pb_teardown, r->exit_ms - exit_ev->ms);
}

static void pb_once(struct bench *b, struct vmm *v, int i)
{
	static const struct pb_names vessel = { "power-button-pressed",
						"power-button-acknowledged",
						"s5" };
	static const struct pb_names qemu = { "POWERDOWN", NULL, "SHUTDOWN" };
	bool ves = vmm_is_vessel(v);
	char what[48];
	struct run r;
	double t;

	snprintf(what, sizeof(what), "power-button run %d", i + 1);
	t = stop_run(b, v, what, "power-button",
		     ves ? REQ_SIGTERM : REQ_QMP_POWERDOWN, &r);
	if (t < 0)
		return;
	if (r.status != 0) {
		vmm_fail(v, what, &r);
		return;
	}
	pb_record(v, &r, t, ves ? &vessel : &qemu);
}

/* --- the power cut ---------------------------------------------------- */

static void cut_once(struct bench *b, struct vmm *v, int i, enum stop_req req)
{
	const char *name = req == REQ_SIGTERM  ? "SIGTERM" :
			   req == REQ_QMP_QUIT ? "quit" :
						 "SIGQUIT";
	int want = req == REQ_SIGQUIT ? 3 : 0;
	char what[48];
	struct run r;
	double t, seen;

	snprintf(what, sizeof(what), "power-cut (%s) run %d", name, i + 1);
	t = stop_run(b, v, what, "power-button-ignore", req, &r);
	if (t < 0)
		return;
	if (r.status != want) {
		vmm_fail(v, what, &r);
		return;
	}
	series_add(req == REQ_SIGTERM ? &v->cut_sig : &v->cut_total,
		   r.exit_ms - t);
	seen = run_event_ms(&r, "power-cut", NULL);
	if (seen < 0)
		return;
	series_add(&v->cut_seen, seen - t);
	series_add(&v->cut_rest, r.exit_ms - seen);
}

static void stop_dir(struct bench *b)
{
	if (b->qmp_dir[0])
		return;
	snprintf(b->qmp_dir, sizeof(b->qmp_dir), "/tmp/vessel-bench-XXXXXX");
	if (!mkdtemp(b->qmp_dir))
		snprintf(b->qmp_dir, sizeof(b->qmp_dir), "/tmp");
	snprintf(b->qmp_path, sizeof(b->qmp_path), "%s/qmp.sock", b->qmp_dir);
}

/* vessel and QEMU q35 press; vessel and QEMU microvm cut. */
void stop_round(struct bench *b, int i)
{
	struct vmm *ves = &b->vmm[0], *q35 = &b->vmm[1], *micro = &b->vmm[2];

	stop_dir(b);
	if (!ves->off[0])
		pb_once(b, ves, i);
	if (!q35->off[0])
		pb_once(b, q35, i);
	if (!ves->off[0])
		cut_once(b, ves, i, REQ_SIGQUIT);
	if (!micro->off[0])
		cut_once(b, micro, i, REQ_QMP_QUIT);
	if (!micro->off[0])
		cut_once(b, micro, i, REQ_SIGTERM);
	fprintf(stderr, "bench: stop run %d/%d done\n", i + 1, b->runs);
}

/* --- output ----------------------------------------------------------- */

void print_row2(const char *name, struct series *a, struct vmm *va,
		struct series *q, struct vmm *vq)
{
	char c[3][CELL + 8], r[2][CELL + 8];

	cell_value(a, va, "ms", c[0], sizeof(c[0]));
	cell_value(q, vq, "ms", c[1], sizeof(c[1]));
	cell_ratio(a, q, c[2], sizeof(c[2]));
	cell_range(a, r[0], sizeof(r[0]));
	cell_range(q, r[1], sizeof(r[1]));
	printf("%-34s| %-*s| %-*s| %s\n", name, CELL, c[0], CELL, c[1], c[2]);
	printf("%-34s| %-*s| %-*s|\n", "    min..max (n)", CELL, r[0], CELL,
	       r[1]);
}

static void print_pb_table(struct bench *b)
{
	struct vmm *v = &b->vmm[0], *q = &b->vmm[1];

	printf("\npower button, request to exit (probe.test=power-button):\n");
	printf("  vessel: SIGTERM presses the ACPI power button (PWRBTN_STS + SCI).\n"
	       "  QEMU has no power button on SIGTERM (SIGTERM quits at once, the guest is\n"
	       "  not told); its button is the QMP command system_powerdown, timed here.\n"
	       "  Parts are timed by the arrival of event lines on the bench's clock:\n"
	       "  vessel's --events fd:3 (power-button-pressed, -acknowledged, s5), QEMU's\n"
	       "  QMP events (POWERDOWN, SHUTDOWN); each arrival includes a pipe wake-up.\n");
	printf("\n%-34s| %-*s| %-*s| %s\n", "figure (median)", CELL, "vessel",
	       CELL, "qemu q35", "ratio");
	printf("----------------------------------+-----------------------+-----------------------+------\n");
	print_row2("request to exit (total)", &v->pb_total, v, &q->pb_total, q);
	print_row2("  request to press seen [VMM]", &v->pb_press, v,
		   &q->pb_press, q);
	print_row2("  press to guest's S5 [guest]", &v->pb_guest, v,
		   &q->pb_guest, q);
	print_row2("    press to acknowledged (info)", &v->pb_ack, v,
		   &q->pb_ack, q);
	print_row2("  S5 to exit [VMM]", &v->pb_exit, v, &q->pb_exit, q);
	print_row2("VMM's own part ([VMM] rows)", &v->pb_own, v, &q->pb_own, q);
	printf("S5 to exit, vessel only:\n");
	print_row2("  s5 to exit event (vessel clock)", &v->pb_mono_exit, v,
		   &q->pb_mono_exit, q);
	print_row2("  exit event line to process exit", &v->pb_teardown, v,
		   &q->pb_teardown, q);
}

static void print_cut_table(struct bench *b)
{
	struct vmm *v = &b->vmm[0], *m = &b->vmm[2];
	char c[5][CELL + 8];

	printf("\npower cut, request to exit (probe.test=power-button-ignore, idle):\n"
	       "  vessel: SIGQUIT; QEMU microvm (its fastest exit): QMP quit, or SIGTERM\n");
	printf("\n%-34s| %-*s| %-*s| %-6s| %-*s| %s\n", "figure (median)", CELL,
	       "vessel SIGQUIT", CELL, "qemu microvm quit", "ratio", CELL,
	       "qemu microvm SIGTERM", "ratio");
	printf("----------------------------------+-----------------------+-----------------------+-------+-----------------------+------\n");
	cell_value(&v->cut_total, v, "ms", c[0], sizeof(c[0]));
	cell_value(&m->cut_total, m, "ms", c[1], sizeof(c[1]));
	cell_ratio(&v->cut_total, &m->cut_total, c[2], sizeof(c[2]));
	cell_value(&m->cut_sig, m, "ms", c[3], sizeof(c[3]));
	cell_ratio(&v->cut_total, &m->cut_sig, c[4], sizeof(c[4]));
	printf("%-34s| %-*s| %-*s| %-6s| %-*s| %s\n", "request to exit", CELL,
	       c[0], CELL, c[1], c[2], CELL, c[3], c[4]);
	cell_range(&v->cut_total, c[0], sizeof(c[0]));
	cell_range(&m->cut_total, c[1], sizeof(c[1]));
	cell_range(&m->cut_sig, c[3], sizeof(c[3]));
	printf("%-34s| %-*s| %-*s| %-6s| %-*s|\n", "    min..max (n)", CELL,
	       c[0], CELL, c[1], "", CELL, c[3]);
	cell_value(&v->cut_seen, v, "ms", c[0], sizeof(c[0]));
	printf("%-34s| %-*s|\n", "  SIGQUIT to power-cut event line", CELL,
	       c[0]);
	cell_value(&v->cut_rest, v, "ms", c[0], sizeof(c[0]));
	printf("%-34s| %-*s|\n", "  power-cut event line to exit", CELL, c[0]);
}

static const char *verdict(double x, double y)
{
	return x < 0 ? "MISS" : y < 0 ? "N/A " : x < y ? "PASS" : "MISS";
}

static void print_below(const char *fig, struct series *a, struct series *q,
			const char *label)
{
	double x = series_median(a), y = series_median(q);

	printf("  %s  %s: vessel below %s", verdict(x, y), fig, label);
	if (x >= 0 && y >= 0)
		printf(" (%.2f ms vs %.2f ms)\n", x, y);
	else
		printf(" (%s has no data)\n", x < 0 ? "vessel" : label);
}

static void print_stop_targets(struct bench *b)
{
	struct vmm *v = &b->vmm[0], *q = &b->vmm[1], *m = &b->vmm[2];
	double own = series_median(&v->pb_own);

	printf("\ntargets (stop):\n");
	if (own < 0)
		printf("  MISS  vessel's own part of the power button under %.0f ms (no data)\n",
		       OWN_TARGET_MS);
	else
		printf("  %s  vessel's own part of the power button under %.0f ms (%.3f ms: signal to press seen + S5 to exit)\n",
		       own < OWN_TARGET_MS ? "PASS" : "MISS", OWN_TARGET_MS,
		       own);
	print_below("power button, request to exit", &v->pb_total, &q->pb_total,
		    "qemu q35 system_powerdown");
	print_below("power cut, request to exit", &v->cut_total, &m->cut_total,
		    "qemu microvm quit");
	print_below("power cut, request to exit", &v->cut_total, &m->cut_sig,
		    "qemu microvm SIGTERM");
}

void stop_print(struct bench *b)
{
	print_pb_table(b);
	print_cut_table(b);
	print_stop_targets(b);
	if (b->qmp_dir[0] && strcmp(b->qmp_dir, "/tmp")) {
		unlink(b->qmp_path);
		rmdir(b->qmp_dir);
	}
}
