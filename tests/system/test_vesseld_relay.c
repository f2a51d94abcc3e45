// SPDX-License-Identifier: Apache-2.0
/*
 * A guest's shutdown announced over its lifecycle region, under vesseld
 * (src/vesseld/relay.h): guest a (shares-device-with b) announces
 * shutting-down when its power button is pressed; vesseld runs a's
 * on-guest-shutdown-hook, tells b through b's own lifecycle region
 * (request 3, peer-shutting-down, with a's name), and only then does a's
 * vessel acknowledge, after which a powers off (S5). The hook's run and
 * b's taking of the request come before a's S5, by the wall clocks of
 * the hook and of the events of vesseld and both vessels. Then b, which
 * shares nothing, is asked to power off: its announcement is relayed
 * with nobody to tell, and it goes down with the code 0.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/evlog.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define CTL_MS 20000
#define EXIT_MS 30000

#define LIFECYCLE "model=qnx,name=lifecycle,size=4K"

/* Each vessel's own log, after vesseld's (vdrun_dump). */
static void vessel_logs(struct vdrun *t)
{
	char path[VDRUN_PATH_LEN + 32];
	const char *names[] = { "a", "b" };

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "cat '%s/%s/vessel.log' >&2",
			 t->run, names[i]);
		fprintf(stderr, "---- %s: vessel.log ----\n", names[i]);
		if (system(path))
			fprintf(stderr, "(none)\n");
	}
}

static int setup(void **state)
{
	struct vdrun *t = vdrun_new("vr", VDRUN_SHM_DIR);

	if (t)
		t->dump_more = vessel_logs;
	*state = t;
	return t ? 0 : -1;
}

static int teardown(void **state)
{
	vdrun_delete(*state);
	return 0;
}

static int ctl(struct vdrun *t, ...)
{
	const char *argv[16] = { vesselctl_path(), "--daemon", t->sock };
	struct vmproc c;
	int n = 3, code;
	va_list ap;

	va_start(ap, t);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(&c, argv), 0);
	code = vmproc_wait_exit(&c, CTL_MS);
	if (code)
		vmproc_dump(&c);
	vmproc_free(&c);
	return code;
}

/* The "wall" of the first event @type in vessel @name's own event file. */
static void vessel_wall(struct vdrun *t, const char *name, const char *type,
			char *wall, size_t len)
{
	char path[VDRUN_PATH_LEN + 32];
	struct evlog l = { 0 };
	int i;

	snprintf(path, sizeof(path), "%s/%s/events.jsonl", t->run, name);
	assert_int_equal(evlog_load(&l, path), 0);
	i = vdrun_ev_nth(&l, type, NULL, 1);
	if (i < 0) {
		evlog_dump(&l);
		fail_msg("%s: vessel wrote no %s", name, type);
	}
	snprintf(wall, len, "%s", evlog_str(&l, i, "wall"));
	if (!strcmp(type, "host-requested")) {
		assert_string_equal(evlog_str(&l, i, "request"),
				    "peer-shutting-down");
		assert_string_equal(evlog_str(&l, i, "peer"), "a");
	}
	if (!strcmp(type, "lifecycle-hook"))
		assert_string_equal(evlog_str(&l, i, "result"), "ok");
	evlog_free(&l);
}

/* @json without its blanks: evlog gives a field's JSON text as json-c wrote it. */
static const char *squeeze(const char *json, char *buf, size_t len)
{
	size_t n = 0;

	assert_non_null(json);
	for (; *json && n + 1 < len; json++)
		if (*json != ' ')
			buf[n++] = *json;
	buf[n] = '\0';
	return buf;
}

/* ISO 8601 UTC with milliseconds, the same format on every side. */
static void assert_not_after(const char *what, const char *a, const char *when,
			     const char *b)
{
	fprintf(stderr, "  %-34s %s\n  %-34s %s\n", what, a, when, b);
	if (strlen(a) != strlen(b) || strcmp(a, b) > 0)
		fail_msg("%s (%s) is after %s (%s)", what, a, when, b);
}

static void test_relay_to_peer(void **state)
{
	struct vdrun *t = *state;
	char hook_out[VDRUN_PATH_LEN + 16], line[256], hook_wall[64] = "";
	char s5[64], hook_ack[64], posted[64], took[64], relayed[64];
	char ctl_sock[VDRUN_PATH_LEN + 16];
	const char *told;
	FILE *f;
	int i;

	snprintf(hook_out, sizeof(hook_out), "%s/hook.out", t->dir);
	vdrun_guest_file(t, "b", "lifecycle-daemon probe.lc.request_ms=600000",
			 "shmem %s\non-poweroff stop\nstop-timeout 500ms\n",
			 LIFECYCLE);
	vdrun_guest_file(
		t, "a", "lifecycle probe.lc.on=button probe.lc.ack_ms=9000",
		"shmem %s\nafter b\nshares-device-with b\non-poweroff stop\n"
		"on-guest-shutdown-hook echo \"$VESSEL_NAME "
		"$VESSEL_GUEST_STATE $(date -u +%%Y-%%m-%%dT%%H:%%M:%%S.%%3NZ)\""
		" > %s\n",
		LIFECYCLE, hook_out);
	vdrun_start(t, NULL);
	vdrun_wait_console(t, "b", "PROBE READY lifecycle-daemon");
	vdrun_wait_console(t, "a", "PROBE READY lifecycle");
	assert_int_equal(ctl(t, "power-button", "a", NULL), 0);

	i = vdrun_wait_event(t, "down", "a", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), 0);
	vdrun_wait_console(t, "a", "PROBE PASS lifecycle: ack after");
	vdrun_wait_console(t, "b", "PROBE PASS lifecycle-peer-down: a");
	i = vdrun_ev_nth(&t->ev, "guest-shutdown", "a", 1);
	assert_true(i >= 0);
	assert_string_equal(evlog_str(&t->ev, i, "state"), "shutting-down");
	told = evlog_str(&t->ev, i, "told");
	assert_non_null(told);
	assert_string_equal(squeeze(told, line, sizeof(line)), "[\"b\"]");
	assert_non_null(strstr(evlog_str(&t->ev, i, "hook"), "\"ok\""));
	snprintf(relayed, sizeof(relayed), "%s", evlog_str(&t->ev, i, "wall"));

	f = fopen(hook_out, "re");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "a shutting-down %63s", hook_wall), 1);

	vessel_wall(t, "a", "s5", s5, sizeof(s5));
	vessel_wall(t, "a", "lifecycle-hook", hook_ack, sizeof(hook_ack));
	vessel_wall(t, "b", "host-requested", posted, sizeof(posted));
	vessel_wall(t, "b", "guest-took-request", took, sizeof(took));
	fprintf(stderr, "order of a's shutdown:\n");
	assert_not_after("a's on-guest-shutdown-hook ran", hook_wall,
			 "b's vessel posted the request", posted);
	assert_not_after("b's vessel posted the request", posted,
			 "vesseld relayed (guest-shutdown)", relayed);
	assert_not_after("vesseld relayed (guest-shutdown)", relayed,
			 "a's vessel acknowledged", hook_ack);
	assert_not_after("b took the request", took, "a's S5", s5);
	assert_not_after("a's vessel acknowledged", hook_ack, "a's S5", s5);

	/* b shares nothing: relayed with nobody to tell, then down with 0. */
	snprintf(ctl_sock, sizeof(ctl_sock), "%s/b/ctl.sock", t->run);
	assert_int_equal(ctl(t, "--vm", ctl_sock, "request", "poweroff", NULL),
			 0);
	i = vdrun_wait_event(t, "down", "b", 1);
	assert_int_equal(evlog_int(&t->ev, i, "code", -1), 0);
	i = vdrun_ev_nth(&t->ev, "guest-shutdown", "b", 1);
	assert_true(i >= 0);
	assert_string_equal(
		squeeze(evlog_str(&t->ev, i, "told"), line, sizeof(line)),
		"[]");

	assert_int_equal(vmproc_kill(&t->d, SIGTERM), 0);
	assert_int_equal(vmproc_wait_exit(&t->d, EXIT_MS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_to_peer, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
