// SPDX-License-Identifier: Apache-2.0
/*
 * The quiesce hook of a vessel that could not run it (guest.h). vessel
 * runs `quiesce-hook` itself on every exit path it controls; a vessel
 * killed by SIGKILL, or crashed (its fatal-signal handler only makes
 * async-signal-safe calls), leaves the guest's devices unquiesced, so
 * vesseld runs the hook in its place, with the environment vessel would
 * have given it (docs/events.md "The quiesce hook"). The hook runs beside
 * the loop: its pidfd and its timeout are in the loop like a vessel's.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "daemon.h"
#include "guest.h"
#include "spawn.h"

/* vessel's defaults (src/vmm/lifecycle.c). */
#define HOOK_TIMEOUT_MS 10000
#define HOOK_GRACE_MS 1000

bool guest_exit_skipped_hook(const struct policy_exit *e)
{
	/* A fatal signal, or no record at all (code -1 without a signal). */
	return e->sig || e->code < 0;
}

bool guest_hook_running(const struct guest *g)
{
	return g->hook.pid > 0 && !g->hook.abandoned;
}

static void hook_report(struct guest *g, const char *result, int status)
{
	struct json_object *f = json_object_new_object();
	double secs = (dloop_now_ms() - g->hook.start_ms) / 1e3;

	json_object_object_add(f, "result", json_object_new_string(result));
	if (status >= 0)
		json_object_object_add(f, "status",
				       json_object_new_int(status));
	json_object_object_add(f, "seconds", evfile_seconds(secs));
	evfile_emit(&g->vd->ev, "hook", g->cfg->name, f);
	if (strcmp(result, "ok"))
		log_warn("%s: quiesce hook: %s (status %d, %.3f s)",
			 g->cfg->name, result, status, secs);
	else
		log_info("%s: quiesce hook ran (%.3f s)", g->cfg->name, secs);
}

void guest_hook_release(struct guest *g)
{
	struct guest_hook *h = &g->hook;

	dloop_timer_cancel(&g->vd->loop, &h->timer);
	if (h->pidw.fd >= 0) {
		dloop_unwatch(&g->vd->loop, &h->pidw);
		close(h->pidw.fd);
		h->pidw.fd = -1;
	}
	h->pid = 0;
}

static void hook_on_exit(struct dloop_watch *w, u32 events)
{
	struct guest_hook *h = container_of(w, struct guest_hook, pidw);
	struct guest *g = container_of(h, struct guest, hook);
	siginfo_t si;
	int status;

	(void)events;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, w->fd, &si, WEXITED | WNOHANG) ||
	    !si.si_pid)
		return;
	status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	if (!h->abandoned)
		hook_report(g,
			    h->terminated ? "timed out, terminated" :
			    si.si_code == CLD_EXITED && !status ? "ok" :
								  "failed",
			    h->terminated ? -1 : status);
	guest_hook_release(g);
	guest_hook_done(g);
}

/* Past its timeout: SIGTERM to its process group; then a second more. */
static void hook_on_timer(struct dloop_timer *t)
{
	struct guest_hook *h = container_of(t, struct guest_hook, timer);
	struct guest *g = container_of(h, struct guest, hook);

	if (!h->terminated) {
		h->terminated = true;
		if (kill(-h->pid, SIGTERM) && errno != ESRCH)
			log_warn_errno("%s: quiesce hook %d", g->cfg->name,
				       h->pid);
		dloop_timer_arm(&g->vd->loop, t, HOOK_GRACE_MS);
		return;
	}
	/* As vessel does: not waited for any more; reaped when it ends. */
	h->abandoned = true;
	hook_report(g, "timed out, abandoned", -1);
	guest_hook_done(g);
}

void guest_quiesce_hook(struct guest *g, pid_t pid, const struct policy_exit *e)
{
	const char *cmd = conf_get(&g->cfg->conf, "quiesce-hook");
	char name[64], reason[96], code[32], vpid[32];
	char *env[] = { name, reason, code, vpid, NULL };
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn s = { argv, g->vd->cfg.dir, g->log, env };
	struct guest_hook *h = &g->hook;
	struct spawn_cred cred;
	char err[256];
	bool as_user;
	int pidfd;

	if (!cmd)
		return;
	/* vessel would have run it as the guest's user: so does vesseld. */
	if (spawn_cred_of(&g->cfg->conf, &cred, &as_user, err, sizeof(err))) {
		hook_report(g, err, -1);
		return;
	}
	if (h->pid > 0) {
		log_warn("%s: quiesce hook %d still runs; not run again for "
			 "vessel %d",
			 g->cfg->name, h->pid, pid);
		return;
	}
	snprintf(name, sizeof(name), "VESSEL_NAME=%s", g->cfg->name);
	snprintf(reason, sizeof(reason), "VESSEL_REASON=%s", e->reason);
	/* No record names no signal: SIGKILL is the one vessel cannot record. */
	snprintf(code, sizeof(code), "VESSEL_EXIT_CODE=%d",
		 128 + (e->sig ? e->sig : SIGKILL));
	snprintf(vpid, sizeof(vpid), "VESSEL_PID=%d", (int)pid);
	*h = (struct guest_hook){ .pidw = { .fd = -1, .ready = hook_on_exit },
				  .timer = { .fire = hook_on_timer },
				  .start_ms = dloop_now_ms() };
	if (spawn_start_as(&s, as_user ? &cred : NULL, &h->pid, &pidfd, err,
			   sizeof(err))) {
		h->pid = 0;
		hook_report(g, err, -1);
		return;
	}
	h->pidw.fd = pidfd;
	if (dloop_watch(&g->vd->loop, &h->pidw, EPOLLIN)) {
		/* Unwatched, it would never be reaped: wait for it here. */
		log_warn("%s: cannot watch quiesce hook %d; waiting for it",
			 g->cfg->name, h->pid);
		waitpid(h->pid, NULL, 0);
		guest_hook_release(g);
		hook_report(g, "not watched", -1);
		return;
	}
	dloop_timer_arm(&g->vd->loop, &h->timer,
			conf_get_num(&g->cfg->conf, "quiesce-hook-timeout",
				     HOOK_TIMEOUT_MS));
	log_info("%s: running its quiesce hook for vessel %d (%s)",
		 g->cfg->name, pid, e->reason);
}
