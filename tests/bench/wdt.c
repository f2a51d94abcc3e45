// SPDX-License-Identifier: Apache-2.0
/*
 * make bench, third part: watchdog expiry accuracy. The probe
 * (probe.test=watchdog) programs an i6300esb as Linux's driver does with
 * heartbeat 1 s (both preloads 1 << 9: two stages of (512 << 15) ticks of
 * 30 ns, 1.00663296 s), kicks it once and prints "PROBE INFO watchdog
 * last-kick" right after that RELOAD write, then idles. Measured: the
 * line's arrival on the console pipe to the exit seen through a pidfd,
 * minus the programmed timeout. vessel: --watchdog
 * model=i6300esb,action=terminate (exit 4); QEMU q35: -device i6300esb
 * -action watchdog=poweroff, which exits at once (exit 0) on expiry.
 * Both figures include the console's latency (UART, pipe) and the exit.
 * A second row splits off the expiry itself: the arrival of vessel's
 * watchdog-expired event line (--events fd:3) and of QEMU's QMP WATCHDOG
 * event, which QEMU sends before it acts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define WDT_SCENARIO "watchdog probe.wdt.timeout=1 probe.wdt.kicks=1"
#define WDT_LAST_KICK "PROBE INFO watchdog last-kick"
#define WDT_TIMEOUT_MS (2.0 * (512 << 15) * 30 / 1e6)
#define WDT_TARGET_MS 10.0
#define VESSEL_WDT_EXIT 4
#define QMP_CONNECT_TRIES 500 /* 10 ms apart: QEMU makes the socket early */

/* The probe's watchdog run on @v, with the VMM's i6300esb. */
static int wdt_start(const struct bench *b, const struct vmm *v, struct run *r)
{
	char *argv[MAX_ARGS], arg[96], qmp_arg[128];
	int n;

	vmm_argv(b, v, WDT_SCENARIO, arg, sizeof(arg), argv);
	for (n = 0; argv[n]; n++)
		;
	if (vmm_is_vessel(v)) {
		argv_push(argv, &n, "--watchdog",
			  "model=i6300esb,action=terminate", "--events", "fd:3",
			  NULL);
		return run_start_events(r, argv, true);
	}
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off",
		 b->qmp_path);
	unlink(b->qmp_path);
	argv_push(argv, &n, "-device", "i6300esb", "-action",
		  "watchdog=poweroff", "-qmp", qmp_arg, NULL);
	return run_start(r, argv);
}

/*
 * Listen to QEMU's QMP events: the WATCHDOG event's arrival is its
 * expiry as the host sees it, like vessel's watchdog-expired line.
 */
static void wdt_watch_qmp(const struct bench *b, struct run *r)
{
	const struct timespec pause = { .tv_nsec = 10000000 };
	int i, fd = -1;

	for (i = 0; i < QMP_CONNECT_TRIES && fd < 0; i++) {
		fd = qmp_open(b->qmp_path);
		if (fd < 0)
			nanosleep(&pause, NULL);
	}
	if (fd >= 0)
		run_watch_aux(r, fd);
}

static void wdt_once(struct bench *b, struct vmm *v, int i)
{
	bool ves = vmm_is_vessel(v);
	char what[48];
	struct run r;
	double ev;

	snprintf(what, sizeof(what), "watchdog run %d", i + 1);
	if (wdt_start(b, v, &r)) {
		vmm_fail(v, what, &r);
		return;
	}
	if (!ves)
		wdt_watch_qmp(b, &r);
	r.ready_mark = WDT_LAST_KICK;
	run_end(&r, ves, r.t0 + b->timeout_ns);
	vmm_count_cut(v, &r);
	if (r.ready_ms < 0 || r.cut || r.fail[0] ||
	    r.status != (ves ? VESSEL_WDT_EXIT : 0)) {
		vmm_fail(v, what, &r);
		return;
	}
	series_add(&v->wdt_late, r.exit_ms - r.ready_ms - WDT_TIMEOUT_MS);
	ev = run_event_ms(&r, ves ? "watchdog-expired" : "WATCHDOG", NULL);
	if (ev >= 0)
		series_add(&v->wdt_event, ev - r.ready_ms - WDT_TIMEOUT_MS);
}

/* vessel, then QEMU q35. */
void wdt_round(struct bench *b, int i)
{
	int k;

	for (k = 0; k < 2; k++)
		if (!b->vmm[k].off[0])
			wdt_once(b, &b->vmm[k], i);
	fprintf(stderr, "bench: watchdog run %d/%d done\n", i + 1, b->runs);
}

static void print_targets(struct series *v, struct series *q, const char *label)
{
	double x = v->n ? series_median(v) : NAN;
	double y = q->n ? series_median(q) : NAN;

	printf("\ntargets (watchdog):\n");
	if (isnan(x))
		printf("  MISS  vessel within %.0f ms of the timeout at the median (no data)\n",
		       WDT_TARGET_MS);
	else
		printf("  %s  vessel within %.0f ms of the timeout at the median (%+.2f ms)\n",
		       fabs(x) <= WDT_TARGET_MS ? "PASS" : "MISS",
		       WDT_TARGET_MS, x);
	printf("  %s  vessel closer to the timeout than %s",
	       isnan(x)		 ? "MISS" :
	       isnan(y)		 ? "N/A " :
	       fabs(x) < fabs(y) ? "PASS" :
				   "MISS",
	       label);
	if (isnan(x) || isnan(y))
		printf(" (%s has no data)\n", isnan(x) ? "vessel" : label);
	else
		printf(" (%+.2f ms vs %+.2f ms)\n", x, y);
}

void wdt_print(struct bench *b)
{
	struct vmm *v = &b->vmm[0], *q = &b->vmm[1];

	printf("\nwatchdog expiry (probe.test=%s):\n", WDT_SCENARIO);
	printf("  i6300esb as Linux programs it, heartbeat 1 s: timeout %.5f ms after the last kick.\n"
	       "  vessel: --watchdog model=i6300esb,action=terminate (exit %d);\n"
	       "  QEMU q35: -device i6300esb -action watchdog=poweroff (exits at once, 0).\n"
	       "  From the arrival of '%s' (printed right after the\n"
	       "  RELOAD write; includes the UART's and the pipe's latency) to the exit seen\n"
	       "  through a pidfd, minus the timeout: positive is late. The expiry event is\n"
	       "  vessel's watchdog-expired line (--events) and QEMU's QMP WATCHDOG event,\n"
	       "  each as it reaches the bench.\n",
	       WDT_TIMEOUT_MS, VESSEL_WDT_EXIT, WDT_LAST_KICK);
	printf("\n%-34s| %-*s| %-*s| %s\n", "figure (median)", CELL, "vessel",
	       CELL, "qemu q35", "ratio");
	printf("----------------------------------+-----------------------+-----------------------+------\n");
	print_row2("last kick to exit, minus timeout", &v->wdt_late, v,
		   &q->wdt_late, q);
	print_row2("  expiry event instead of exit", &v->wdt_event, v,
		   &q->wdt_event, q);
	print_targets(&v->wdt_late, &q->wdt_late, q->label);
}
