// SPDX-License-Identifier: Apache-2.0
/*
 * One guest's supervision (guest.h): spawn its vessel, notice when its
 * control socket is up, read how it ended from its pidfd and act by its
 * policy, stop it with the escalation DESIGN.md fixes. Every transition
 * is an event in vesseld's event file and a line in its log.
 */
#include "guest.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "daemon.h"
#include "guestdir.h"
#include "relay.h"
#include "spawn.h"
#include "vmcall.h"

const char *const guest_state_names[GUEST_STATE_NR] = {
	[GUEST_DOWN] = "down",
	[GUEST_STARTING] = "starting",
	[GUEST_UP] = "running",
	[GUEST_PRESSED] = "stopping",
	[GUEST_TERMINATING] = "terminating",
	[GUEST_CUTTING] = "cutting",
	[GUEST_BACKOFF] = "restarting",
	[GUEST_FAILED] = "failed",
};

static void guest_on_deadline(struct dloop_timer *t);
static void guest_on_pidfd(struct dloop_watch *w, u32 events);

/* --- events --- */

static void guest_emit(struct guest *g, const char *type,
		       struct json_object *fields)
{
	evfile_emit(&g->vd->ev, type, g->cfg->name, fields);
}

static struct json_object *fields_new(void)
{
	return json_object_new_object();
}

static void field_int(struct json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void field_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void field_secs(struct json_object *o, const char *k, u64 ms)
{
	json_object_object_add(o, k, evfile_seconds(ms / 1e3));
}

/*
 * "code": N or "signal": "SIGSEGV" (neither when unknown: an adopted vessel
 * that left no record), and "reason", of an exit.
 */
static void field_exit(struct json_object *o, const struct policy_exit *e)
{
	char sig[16];

	if (e->sig) {
		snprintf(sig, sizeof(sig), "SIG%s",
			 sigabbrev_np(e->sig) ?: "?");
		field_str(o, "signal", sig);
	} else if (e->code >= 0) {
		field_int(o, "code", e->code);
	}
	field_str(o, "reason", e->reason);
}

static u64 guest_now(void)
{
	return dloop_now_ms();
}

/* --- setup --- */

static int guest_path(char *buf, size_t size, const char *dir,
		      const char *prefix, const char *file)
{
	int n = snprintf(buf, size, "%s%s/%s", prefix, dir, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int guest_init(struct guest *g, struct vd *vd, const struct config_guest *cfg)
{
	int n;

	memset(g, 0, sizeof(*g));
	g->vd = vd;
	g->cfg = cfg;
	g->pidw.fd = -1;
	g->pidw.ready = guest_on_pidfd;
	g->timer.fire = guest_on_deadline;
	g->hook.pidw.fd = -1;
	n = snprintf(g->dir, sizeof(g->dir), "%s/%s", vd->run_dir, cfg->name);
	if (n < 0 || (size_t)n >= sizeof(g->dir) ||
	    guest_path(g->ctl, sizeof(g->ctl), g->dir, "", "ctl.sock") ||
	    guest_path(g->events, sizeof(g->events), g->dir, "",
		       "events.jsonl") ||
	    guest_path(g->log, sizeof(g->log), g->dir, "", "vessel.log") ||
	    guest_path(g->state_file, sizeof(g->state_file), g->dir, "",
		       "state.json") ||
	    console_init(&g->con, g, g->dir))
		return -ENAMETOOLONG;
	console_serial_opt(&g->con, g->serial, sizeof(g->serial));
	/* Made now; given to the guest's `user` before each start. */
	if (mkdir(g->dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

void guest_release(struct guest *g)
{
	dloop_timer_cancel(&g->vd->loop, &g->timer);
	if (g->pidw.fd >= 0) {
		dloop_unwatch(&g->vd->loop, &g->pidw);
		close(g->pidw.fd);
		g->pidw.fd = -1;
	}
}

bool guest_alive(const struct guest *g)
{
	return g->state >= GUEST_STARTING && g->state <= GUEST_CUTTING;
}

static void guest_set(struct guest *g, enum guest_state s)
{
	g->state = s;
}

/* --- starting --- */

/* A start that did not happen: FAILED, with the reason in an event. */
static int guest_start_failed(struct guest *g, int ret, const char *why)
{
	struct json_object *f = fields_new();

	snprintf(g->last_error, sizeof(g->last_error), "%s", why);
	log_err("%s: cannot start: %s", g->cfg->name, why);
	field_str(f, "error", why);
	guest_emit(g, "start-failed", f);
	guest_set(g, GUEST_FAILED);
	vd_guest_changed(g->vd, g);
	return ret;
}

/* The file a reload read while the vessel ran applies from this start. */
static void guest_take_next_config(struct guest *g)
{
	if (!g->next_cfg)
		return;
	g->cfg = g->next_cfg;
	g->next_cfg = NULL;
	if (g->held) {
		config_guest_free(g->held);
		free(g->held);
		g->held = NULL;
	}
}

/* Keep @old, the file the running vessel was started with, past its config. */
static bool guest_hold(struct guest *g, struct config_guest *old)
{
	if (g->held)
		return true;
	g->held = malloc(sizeof(*g->held));
	if (!g->held)
		return false;
	*g->held = *old;
	memset(old, 0, sizeof(*old)); /* config_free() skips it now */
	g->cfg = g->held;
	return true;
}

bool guest_reconfigure(struct guest *g, const struct config_guest *cfg,
		       struct config_guest *old)
{
	bool changed = !config_guest_equal(old, cfg);

	if (config_guest_equal(g->cfg, cfg) || !guest_alive(g) ||
	    !guest_hold(g, old)) {
		g->next_cfg = cfg;
		guest_take_next_config(g);
	} else {
		g->next_cfg = cfg;
	}
	return changed;
}

bool guest_retire(struct guest *g, struct config_guest *old)
{
	g->next_cfg = NULL;
	g->removed = true;
	return guest_hold(g, old);
}

void guest_free(struct guest *g)
{
	guest_release(g);
	guest_hook_release(g);
	console_release(&g->con);
	g->next_cfg = NULL;
	if (g->held) {
		config_guest_free(g->held);
		free(g->held);
	}
	free(g);
}

static int guest_spawn(struct guest *g, const char *by)
{
	char at[PATH_MAX + 2], err[256], hook[2 * PATH_MAX + 128];
	const char *argv[] = {
		g->vd->vessel, at,	  "--name",   g->cfg->name,
		"--control",   g->ctl,	  "--events", g->events,
		"--serial",    g->serial, "--state",  g->state_file,
		NULL,	       NULL,	  NULL,
	};
	struct spawn s = { argv, g->vd->cfg.dir, g->log, NULL };
	struct json_object *f;
	int pidfd, ret;
	pid_t pid;

	guest_take_next_config(g);
	/* Its vessel rewrites its state record there as its `user`. */
	ret = guestdir_prepare(g->dir, &g->cfg->conf, err, sizeof(err));
	if (ret)
		return guest_start_failed(g, ret, err);
	/* A guest's shutdown announcement comes to vesseld (relay.h). */
	if (relay_vessel_hook(g, hook, sizeof(hook))) {
		argv[12] = "--lifecycle-hook";
		argv[13] = hook;
	}
	g->restart_after_hook = false;
	snprintf(at, sizeof(at), "@%s", g->cfg->path);
	/* A vessel from an earlier vesseld may still run this guest. */
	if (vmcall_answers(g->ctl)) {
		snprintf(err, sizeof(err),
			 "a vessel already answers on %s (left by an earlier "
			 "vesseld?)",
			 g->ctl);
		return guest_start_failed(g, -EADDRINUSE, err);
	}
	ret = spawn_start(&s, &pid, &pidfd, err, sizeof(err));
	if (ret)
		return guest_start_failed(g, ret, err);
	g->pid = pid;
	g->pidw.fd = pidfd;
	g->adopted = false;
	ret = dloop_watch(&g->vd->loop, &g->pidw, EPOLLIN);
	if (ret) {
		/* Unwatched, its exit would never be seen: cut it now. */
		spawn_signal(pidfd, SIGQUIT);
		waitpid(pid, NULL, 0);
		close(pidfd);
		g->pidw.fd = -1;
		g->pid = 0;
		return guest_start_failed(g, ret, "cannot watch its pidfd");
	}
	g->boots++;
	g->spawn_ms = guest_now();
	g->up_ms = 0;
	g->last_error[0] = '\0';
	g->stopping = g->stop_pending = false;
	g->escalation = 0;
	guest_set(g, GUEST_STARTING);
	console_connect(&g->con);
	dloop_timer_arm(&g->vd->loop, &g->timer, GUEST_UP_POLL_MS);
	f = fields_new();
	field_int(f, "pid", pid);
	field_int(f, "boot", g->boots);
	field_str(f, "by", by);
	guest_emit(g, "started", f);
	log_info("%s: started vessel %d (boot %u, %s)", g->cfg->name, pid,
		 g->boots, by);
	vd_guest_changed(g->vd, g);
	return 0;
}

int guest_start(struct guest *g, const char *by)
{
	if (guest_alive(g))
		return -EALREADY;
	if (g->vd->shut.active)
		return -ESHUTDOWN;
	if (g->state == GUEST_FAILED)
		backoff_reset(
			&g->backoff); /* an operator's start: a fresh tally */
	dloop_timer_cancel(&g->vd->loop, &g->timer);
	return guest_spawn(g, by);
}

static void guest_press(struct guest *g);

/* The control socket answers: vessel runs and handles its signals. */
static void guest_up(struct guest *g, bool answered)
{
	struct json_object *f = fields_new();

	g->up_ms = guest_now();
	guest_set(g, GUEST_UP);
	field_int(f, "pid", g->pid);
	field_secs(f, "seconds", g->up_ms - g->spawn_ms);
	if (!answered) {
		field_str(f, "warning", "the control socket did not answer");
		log_warn("%s: no answer on %s after %d s; taken as up",
			 g->cfg->name, g->ctl, GUEST_UP_TIMEOUT_MS / 1000);
	}
	guest_emit(g, "up", f);
	if (g->stop_pending)
		guest_press(g);
	vd_guest_changed(g->vd, g);
}

static void guest_poll_up(struct guest *g)
{
	if (vmcall_answers(g->ctl))
		guest_up(g, true);
	else if (guest_now() - g->spawn_ms >= GUEST_UP_TIMEOUT_MS)
		guest_up(g, false);
	else
		dloop_timer_arm(&g->vd->loop, &g->timer, GUEST_UP_POLL_MS);
}

/* --- stopping --- */

static void guest_signal(struct guest *g, int sig)
{
	int ret = spawn_signal(g->pidw.fd, sig);

	if (ret && ret != -ESRCH)
		log_warn("%s: cannot send SIG%s to vessel %d: %s", g->cfg->name,
			 sigabbrev_np(sig), g->pid, strerror(-ret));
}

/* The first SIGTERM: vessel presses the guest's ACPI power button. */
static void guest_press(struct guest *g)
{
	struct json_object *f = fields_new();

	g->stop_pending = false;
	g->stop_way = "power-button";
	guest_signal(g, SIGTERM);
	guest_set(g, GUEST_PRESSED);
	dloop_timer_arm(&g->vd->loop, &g->timer, g->cfg->stop_timeout_ms);
	field_int(f, "pid", g->pid);
	field_str(f, "by", g->stop_by);
	field_secs(f, "timeout", g->cfg->stop_timeout_ms);
	guest_emit(g, "power-button", f);
	log_info("%s: power button pressed (%s); %.1f s to stop", g->cfg->name,
		 g->stop_by, g->cfg->stop_timeout_ms / 1e3);
}

/* Past a stop deadline: the next signal, never beyond SIGQUIT. */
static void guest_escalate(struct guest *g, int sig, enum guest_state next,
			   u64 next_ms)
{
	struct json_object *f = fields_new();
	double after = (guest_now() - g->stop_ms) / 1e3;

	g->escalation = sig == SIGQUIT ? 2 : 1;
	guest_signal(g, sig);
	guest_set(g, next);
	dloop_timer_arm(&g->vd->loop, &g->timer, next_ms);
	field_int(f, "pid", g->pid);
	field_str(f, "signal", sig == SIGQUIT ? "SIGQUIT" : "SIGTERM");
	json_object_object_add(f, "after", evfile_seconds(after));
	guest_emit(g, "escalated", f);
	log_warn("%s: still up %.1f s after the power button: SIG%s",
		 g->cfg->name, after, sigabbrev_np(sig));
	vd_guest_changed(g->vd, g);
}

static void guest_begin_stop(struct guest *g, const char *by)
{
	g->stopping = true;
	g->stop_by = by;
	g->stop_ms = guest_now();
	g->escalation = 0;
	g->stop_way = "power-button";
}

/* A guest waiting for its restart just stays down. */
static void guest_cancel_restart(struct guest *g, const char *by)
{
	struct json_object *f = fields_new();

	dloop_timer_cancel(&g->vd->loop, &g->timer);
	g->restart_after_hook = false;
	guest_set(g, GUEST_DOWN);
	g->stopped = (struct guest_stop_record){
		.valid = true,
		.by = by,
		.how = "restart-cancelled",
		.exit = g->last_exit,
		.seconds = 0,
		.end_ms = guest_now(),
	};
	field_str(f, "by", by);
	field_str(f, "how", "restart-cancelled");
	guest_emit(g, "stopped", f);
	vd_guest_changed(g->vd, g);
}

void guest_stop(struct guest *g, const char *by)
{
	switch (g->state) {
	case GUEST_BACKOFF:
		guest_cancel_restart(g, by);
		break;
	case GUEST_STARTING:
		/* Its signal handlers may not be in place yet: wait for up. */
		if (!g->stopping)
			guest_begin_stop(g, by);
		g->stop_pending = true;
		break;
	case GUEST_UP:
		if (!g->stopping)
			guest_begin_stop(g, by);
		guest_press(g);
		break;
	default:
		break; /* down, failed, or a stop is under way */
	}
}

void guest_cut(struct guest *g, const char *by)
{
	struct json_object *f;

	if (g->state == GUEST_BACKOFF) {
		guest_cancel_restart(g, by);
		return;
	}
	if (!guest_alive(g) || g->state == GUEST_CUTTING)
		return;
	if (!g->stopping)
		guest_begin_stop(g, by);
	g->escalation = 2;
	guest_signal(g, SIGQUIT);
	guest_set(g, GUEST_CUTTING);
	dloop_timer_arm(&g->vd->loop, &g->timer, GUEST_CUT_WARN_MS);
	f = fields_new();
	field_int(f, "pid", g->pid);
	field_str(f, "by", by);
	guest_emit(g, "power-cut", f);
	log_warn("%s: power cut (%s)", g->cfg->name, by);
}

void guest_mark_stopping(struct guest *g, const char *by, const char *how)
{
	if (!guest_alive(g) || g->stopping)
		return;
	guest_begin_stop(g, by);
	g->stop_way = how;
}

static void guest_on_deadline(struct dloop_timer *t)
{
	struct guest *g = container_of(t, struct guest, timer);

	switch (g->state) {
	case GUEST_STARTING:
		guest_poll_up(g);
		break;
	case GUEST_PRESSED:
		guest_escalate(g, SIGTERM, GUEST_TERMINATING,
			       GUEST_QUIT_AFTER_MS);
		break;
	case GUEST_TERMINATING:
		guest_escalate(g, SIGQUIT, GUEST_CUTTING, GUEST_CUT_WARN_MS);
		break;
	case GUEST_CUTTING:
		log_warn("%s: vessel %d has not ended %.0f s after SIGQUIT; "
			 "still waiting (vesseld never sends SIGKILL)",
			 g->cfg->name, g->pid,
			 (guest_now() - g->stop_ms) / 1e3);
		dloop_timer_arm(&g->vd->loop, &g->timer, GUEST_CUT_WARN_MS);
		break;
	case GUEST_BACKOFF:
		/* The quiesce hook first: the guest's devices are its. */
		if (guest_hook_running(g)) {
			g->restart_after_hook = true;
			break;
		}
		g->restarts++;
		guest_spawn(g, "restart");
		break;
	default:
		break;
	}
}

void guest_hook_done(struct guest *g)
{
	if (g->restart_after_hook && g->state == GUEST_BACKOFF) {
		g->restarts++;
		guest_spawn(g, "restart");
	}
	g->restart_after_hook = false;
	vd_guest_changed(g->vd, g);
}

/* --- exits --- */

/* How a stop vesseld made ended, from its escalation and the exit. */
static const char *guest_stop_how(const struct guest *g)
{
	if (g->escalation == 2)
		return "power-cut";
	if (g->escalation == 1)
		return "terminated";
	return g->stop_way;
}

static void guest_stopped(struct guest *g, const struct policy_exit *e, u64 now)
{
	struct guest_stop_record *r = &g->stopped;
	struct json_object *f = fields_new();

	*r = (struct guest_stop_record){
		.valid = true,
		.by = g->stop_by,
		.how = guest_stop_how(g),
		.exit = *e,
		.seconds = (now - g->stop_ms) / 1e3,
		.end_ms = now,
	};
	g->stopping = g->stop_pending = false;
	guest_set(g, GUEST_DOWN);
	field_str(f, "by", r->by);
	field_str(f, "how", r->how);
	field_exit(f, e);
	json_object_object_add(f, "seconds", evfile_seconds(r->seconds));
	guest_emit(g, "stopped", f);
	log_info("%s: stopped by %s: %s (%s) after %.3f s", g->cfg->name, r->by,
		 r->how, e->reason, r->seconds);
	if (g->start_after_stop && !g->vd->shut.active) {
		g->start_after_stop = false;
		guest_spawn(g, "restart command");
	}
	g->start_after_stop = false;
}

static void guest_stays_down(struct guest *g, const struct policy_exit *e,
			     const char *why, enum guest_state s)
{
	struct json_object *f = fields_new();

	guest_set(g, s);
	field_exit(f, e);
	field_str(f, "why", why);
	guest_emit(g, s == GUEST_FAILED ? "failed" : "down", f);
	log_info("%s: %s: %s", g->cfg->name, e->reason, why);
}

static void guest_by_policy(struct guest *g, const struct policy_exit *e,
			    u64 now, u64 run_ms)
{
	struct backoff_decision d;
	struct json_object *f;
	char why[96];

	if (e->on == CONFIG_ON_NONE) {
		guest_stays_down(g, e, "cannot start as configured",
				 GUEST_FAILED);
		return;
	}
	snprintf(why, sizeof(why), "%s stop", config_on_keys[e->on]);
	if (policy_action(g->cfg, e) == CONFIG_STOP) {
		guest_stays_down(g, e, why, GUEST_DOWN);
		return;
	}
	d = backoff_decide(&g->backoff, &g->cfg->backoff, now, run_ms);
	if (d.verdict == BACKOFF_FAILED) {
		snprintf(why, sizeof(why), "%u restarts within %.0f s",
			 d.in_window, g->cfg->backoff.window_ms / 1e3);
		guest_stays_down(g, e, why, GUEST_FAILED);
		return;
	}
	guest_set(g, GUEST_BACKOFF);
	g->next_start_ms = now + d.delay_ms;
	dloop_timer_arm(&g->vd->loop, &g->timer, d.delay_ms);
	f = fields_new();
	field_exit(f, e);
	field_secs(f, "delay", d.delay_ms);
	field_int(f, "in_window", d.in_window);
	guest_emit(g, "restarting", f);
	log_info("%s: %s: restarting in %.3f s", g->cfg->name, e->reason,
		 d.delay_ms / 1e3);
}

static void guest_on_exit(struct guest *g, const struct policy_exit *e)
{
	u64 now = guest_now(), run_ms = now - g->spawn_ms;
	struct json_object *f = fields_new();
	pid_t pid = g->pid;

	console_vessel_gone(&g->con); /* its last words, before the exit */
	field_int(f, "pid", g->pid);
	field_exit(f, e);
	field_secs(f, "run", run_ms);
	field_int(f, "boot", g->boots);
	guest_emit(g, "exited", f);
	guest_release(g);
	/* Read (or reaped): nobody needs the vessel's record any more. */
	unlink(g->state_file);
	g->pid = 0;
	g->adopted = false;
	g->exited = true;
	g->last_exit = *e;
	g->last_run_ms = run_ms;
	g->exit_ms = now;
	if (guest_exit_skipped_hook(e))
		guest_quiesce_hook(g, pid, e);
	if (g->stopping)
		guest_stopped(g, e, now);
	else if (g->vd->shut.active)
		guest_stays_down(g, e, "host shutdown", GUEST_DOWN);
	else
		guest_by_policy(g, e, now, run_ms);
	vd_guest_changed(g->vd, g);
}

/*
 * SIGSYS is what vessel's system-call allowlists kill it with (its own
 * message on stderr names the call): the reason says seccomp.
 */
static void guest_exit_seccomp(struct policy_exit *e)
{
	if (e->sig == SIGSYS)
		snprintf(e->reason, sizeof(e->reason), "seccomp");
}

static void guest_on_pidfd(struct dloop_watch *w, u32 events)
{
	struct guest *g = container_of(w, struct guest, pidw);
	struct policy_exit e;
	siginfo_t si;

	(void)events;
	if (g->adopted) {
		guest_exit_from_record(g, &e);
		guest_exit_seccomp(&e);
		guest_on_exit(g, &e);
		return;
	}
	memset(&si, 0, sizeof(si));
	/* A stale wake-up (the pidfd was replaced) finds no exit: si_pid 0. */
	if (waitid((idtype_t)P_PIDFD, w->fd, &si, WEXITED | WNOHANG) ||
	    !si.si_pid)
		return;
	policy_exit_from_siginfo(&e, &si);
	guest_exit_seccomp(&e);
	guest_on_exit(g, &e);
}

/* --- adoption (adopt.c finds the vessel) --- */

void guest_take(struct guest *g, pid_t pid, int pidfd, u64 since_ms)
{
	struct json_object *f = fields_new();

	g->pid = pid;
	g->pidw.fd = pidfd;
	g->adopted = true;
	if (dloop_watch(&g->vd->loop, &g->pidw, EPOLLIN)) {
		log_err("%s: cannot watch adopted vessel %d", g->cfg->name,
			pid);
		close(pidfd);
		g->pidw.fd = -1;
		g->pid = 0;
		g->adopted = false;
		return;
	}
	g->boots = 1;
	g->spawn_ms = since_ms;
	g->stopping = g->stop_pending = false;
	g->escalation = 0;
	guest_set(g, GUEST_STARTING);
	console_connect(&g->con);
	field_int(f, "pid", pid);
	field_secs(f, "uptime", guest_now() - since_ms);
	guest_emit(g, "adopted", f);
	log_info("%s: adopted running vessel %d", g->cfg->name, pid);
	guest_poll_up(g);
}

void guest_note_exit(struct guest *g, pid_t pid, const struct policy_exit *how)
{
	struct json_object *f = fields_new();
	struct policy_exit ex = *how, *e = &ex;

	guest_exit_seccomp(e);
	g->exited = true;
	g->last_exit = *e;
	g->exit_ms = guest_now();
	field_int(f, "pid", pid);
	field_exit(f, e);
	field_str(f, "seen", "state file, at vesseld's start");
	guest_emit(g, "exited", f);
	log_info("%s: vessel %d ended while vesseld was away: %s", g->cfg->name,
		 pid, e->reason);
	if (guest_exit_skipped_hook(e))
		guest_quiesce_hook(g, pid, e);
}

/* --- status --- */

static struct json_object *guest_exit_json(const struct guest *g)
{
	struct json_object *o = fields_new();

	field_exit(o, &g->last_exit);
	field_secs(o, "run", g->last_run_ms);
	return o;
}

struct json_object *guest_stop_json(const struct guest *g)
{
	const struct guest_stop_record *r = &g->stopped;
	struct json_object *o;

	if (!r->valid)
		return NULL;
	o = fields_new();
	field_str(o, "by", r->by);
	field_str(o, "how", r->how);
	if (strcmp(r->how, "restart-cancelled"))
		field_exit(o, &r->exit);
	json_object_object_add(o, "seconds", evfile_seconds(r->seconds));
	return o;
}

struct json_object *guest_json(const struct guest *g)
{
	struct json_object *o = fields_new();
	u64 now = guest_now();

	field_str(o, "name", g->cfg->name);
	field_str(o, "state", guest_state_names[g->state]);
	json_object_object_add(o, "pid",
			       g->pid ? json_object_new_int(g->pid) : NULL);
	json_object_object_add(
		o, "uptime",
		g->pid ? evfile_seconds((now - g->spawn_ms) / 1e3) : NULL);
	field_int(o, "boots", g->boots);
	field_int(o, "restarts", g->restarts);
	json_object_object_add(o, "last_exit",
			       g->exited ? guest_exit_json(g) : NULL);
	if (g->state == GUEST_BACKOFF)
		field_secs(o, "restart_in",
			   g->next_start_ms > now ? g->next_start_ms - now : 0);
	if (g->last_error[0])
		field_str(o, "error", g->last_error);
	json_object_object_add(o, "autostart",
			       json_object_new_boolean(g->cfg->autostart));
	if (g->adopted)
		json_object_object_add(o, "adopted",
				       json_object_new_boolean(true));
	if (g->next_cfg)
		field_str(o, "config",
			  "changed by a reload: taken at the next start");
	if (g->removed)
		field_str(o, "config", "removed by a reload: being stopped");
	field_str(o, "control", g->ctl);
	return o;
}
