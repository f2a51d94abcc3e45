// SPDX-License-Identifier: Apache-2.0
/*
 * The relay of a guest's shutdown announcement (relay.h): the hook, then
 * the peers, then the answer. Everything waits in the loop: the hook's
 * pidfd and timeout, one vmcall per peer.
 */
#include "relay.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/lifecycle.h"
#include "../common/log.h"
#include "../common/proto.h"
#include "daemon.h"
#include "progpath.h"
#include "spawn.h"
#include "vmcall.h"

struct relay_peer {
	struct relay *r;
	struct vmcall call;
	char name[CONFIG_NAME_MAX];
};

struct relay {
	struct relay *next; /* the relays going on */
	struct guest *g;
	char state[24];
	u64 start_ms;
	pid_t hook_pid; /* 0 when none runs */
	struct dloop_watch hookw;
	struct dloop_timer timer;
	bool terminated;
	struct json_object *hook; /* {result, status, seconds} or NULL */
	struct relay_peer *peers;
	int nr_peers, pending;
	struct json_object *told, *not_told;
	relay_done_fn *done;
	void *ctx;
	struct relay **owner; /* cleared when the relay ends */
};

static struct relay *relays;

static struct dloop *relay_loop(struct relay *r)
{
	return &r->g->vd->loop;
}

static void relay_free(struct relay *r)
{
	struct relay **p;

	for (p = &relays; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	json_object_put(r->hook);
	json_object_put(r->told);
	json_object_put(r->not_told);
	free(r->peers);
	free(r);
}

/* Everything done: the event, the answer. */
static void relay_finish(struct relay *r)
{
	struct json_object *f = json_object_new_object();
	double secs = (dloop_now_ms() - r->start_ms) / 1e3;

	if (r->owner)
		*r->owner = NULL;
	json_object_object_add(f, "state", json_object_new_string(r->state));
	json_object_object_add(f, "hook", json_object_get(r->hook));
	json_object_object_add(f, "told", json_object_get(r->told));
	json_object_object_add(f, "not_told", json_object_get(r->not_told));
	json_object_object_add(f, "seconds", evfile_seconds(secs));
	log_info("%s: announced %s; peers told: %s (%.3f s)", r->g->cfg->name,
		 r->state, json_object_to_json_string(r->told), secs);
	evfile_emit(&r->g->vd->ev, "guest-shutdown", r->g->cfg->name,
		    json_object_get(f));
	if (r->done)
		r->done(r->ctx, f);
	json_object_put(f);
	relay_free(r);
}

static void relay_not_told(struct relay *r, const char *name, const char *why)
{
	json_object_object_add(r->not_told, name, json_object_new_string(why));
	log_warn("%s: %s not told of its shutdown: %s", r->g->cfg->name, name,
		 why);
}

static void relay_on_peer(struct vmcall *c, struct proto_reply *rep,
			  const char *err)
{
	struct relay_peer *rp = container_of(c, struct relay_peer, call);
	struct relay *r = rp->r;

	if (rep && rep->ok)
		json_object_array_add(r->told,
				      json_object_new_string(rp->name));
	else
		relay_not_told(r, rp->name, rep ? rep->error : err);
	if (!--r->pending)
		relay_finish(r);
}

/* Ask each running peer's vessel to post peer-shutting-down NAME. */
static void relay_tell_peers(struct relay *r)
{
	const struct config_guest *cfg = r->g->cfg;
	const char *argv[] = { cfg->name, NULL };
	struct relay_peer *rp;
	struct guest *peer;
	char why[160];
	int i, ret;

	r->pending = 1; /* this function's own, so no call finishes us early */
	for (i = 0; i < r->nr_peers; i++) {
		rp = &r->peers[i];
		peer = vd_guest(r->g->vd, rp->name);
		if (!peer || peer->state != GUEST_UP) {
			relay_not_told(r, rp->name, "not running");
			continue;
		}
		ret = vmcall_start_args(&rp->call, peer->ctl,
					"request-peer-down", argv,
					relay_on_peer);
		if (ret) {
			snprintf(why, sizeof(why), "cannot reach %s: %s",
				 peer->ctl, strerror(-ret));
			relay_not_told(r, rp->name, why);
			continue;
		}
		r->pending++;
	}
	if (!--r->pending)
		relay_finish(r);
}

static void relay_hook_result(struct relay *r, const char *result, int status)
{
	r->hook = json_object_new_object();
	json_object_object_add(r->hook, "result",
			       json_object_new_string(result));
	if (status >= 0)
		json_object_object_add(r->hook, "status",
				       json_object_new_int(status));
	json_object_object_add(
		r->hook, "seconds",
		evfile_seconds((dloop_now_ms() - r->start_ms) / 1e3));
}

static void relay_hook_release(struct relay *r)
{
	dloop_timer_cancel(relay_loop(r), &r->timer);
	if (r->hookw.fd >= 0) {
		dloop_unwatch(relay_loop(r), &r->hookw);
		close(r->hookw.fd);
		r->hookw.fd = -1;
	}
	r->hook_pid = 0;
}

static void relay_on_hook_exit(struct dloop_watch *w, u32 events)
{
	struct relay *r = container_of(w, struct relay, hookw);
	siginfo_t si;
	int status;

	(void)events;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, w->fd, &si, WEXITED | WNOHANG) ||
	    !si.si_pid)
		return;
	status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	relay_hook_result(r,
			  r->terminated ? "timed out, terminated" :
			  si.si_code == CLD_EXITED && !status ? "ok" :
								"failed",
			  status);
	relay_hook_release(r);
	relay_tell_peers(r);
}

/* Past its time: SIGTERM to its group; the peers are not kept waiting. */
static void relay_on_timer(struct dloop_timer *t)
{
	struct relay *r = container_of(t, struct relay, timer);

	if (!r->terminated) {
		r->terminated = true;
		kill(-r->hook_pid, SIGTERM);
		dloop_timer_arm(relay_loop(r), t, RELAY_HOOK_GRACE_MS);
		return;
	}
	log_warn("%s: on-guest-shutdown-hook %d did not stop; left running",
		 r->g->cfg->name, (int)r->hook_pid);
	relay_hook_result(r, "timed out, abandoned", -1);
	/* Unwatched: reaped by nobody, as vessel leaves its own hook. */
	relay_hook_release(r);
	relay_tell_peers(r);
}

/* sh -c on-guest-shutdown-hook; false when there is none to wait for. */
static bool relay_hook_start(struct relay *r)
{
	struct guest *g = r->g;
	char name[64], state[64], err[256];
	char *env[] = { name, state, NULL };
	const char *argv[] = { "/bin/sh", "-c", g->cfg->shutdown_hook, NULL };
	struct spawn s = { argv, g->vd->cfg.dir, g->log, env };
	int pidfd;

	if (!g->cfg->shutdown_hook)
		return false;
	snprintf(name, sizeof(name), "VESSEL_NAME=%s", g->cfg->name);
	snprintf(state, sizeof(state), "VESSEL_GUEST_STATE=%s", r->state);
	if (spawn_start(&s, &r->hook_pid, &pidfd, err, sizeof(err))) {
		r->hook_pid = 0;
		relay_hook_result(r, err, -1);
		return false;
	}
	r->hookw.fd = pidfd;
	if (dloop_watch(relay_loop(r), &r->hookw, EPOLLIN)) {
		waitpid(r->hook_pid, NULL, 0);
		relay_hook_release(r);
		relay_hook_result(r, "not watched", -1);
		return false;
	}
	dloop_timer_arm(relay_loop(r), &r->timer, RELAY_HOOK_TIMEOUT_MS);
	return true;
}

static struct relay *relay_new(struct guest *g, const char *state)
{
	struct relay *r = calloc(1, sizeof(*r));
	int i;

	if (!r)
		return NULL;
	r->peers = calloc(g->cfg->nr_shares + 1, sizeof(*r->peers));
	if (!r->peers) {
		free(r);
		return NULL;
	}
	r->g = g;
	snprintf(r->state, sizeof(r->state), "%s", state);
	r->start_ms = dloop_now_ms();
	r->hookw =
		(struct dloop_watch){ .fd = -1, .ready = relay_on_hook_exit };
	r->timer.fire = relay_on_timer;
	r->told = json_object_new_array();
	r->not_told = json_object_new_object();
	r->nr_peers = g->cfg->nr_shares;
	for (i = 0; i < r->nr_peers; i++) {
		r->peers[i].r = r;
		vmcall_init(&r->peers[i].call, &g->vd->loop);
		snprintf(r->peers[i].name, sizeof(r->peers[i].name), "%s",
			 g->cfg->shares[i].name);
	}
	return r;
}

static bool relay_has_lifecycle(const struct conf *c)
{
	char name[64];
	int i;

	for (i = 0; i < c->nr; i++)
		if (!strcmp(c->v[i].key, "shmem") &&
		    !conf_sub_get(c->v[i].value, "name", name, sizeof(name)) &&
		    !strcmp(name, "lifecycle"))
			return true;
	return false;
}

/* vesselctl found as vessel is (progpath.h). */
static const char *relay_vesselctl(void)
{
	static char path[PATH_MAX];

	return progpath_find("vesselctl", path, sizeof(path));
}

bool relay_vessel_hook(const struct guest *g, char *buf, size_t len)
{
	const struct conf *c = &g->cfg->conf;
	const char *ctl = relay_vesselctl();
	int n;

	if (!relay_has_lifecycle(c))
		return false;
	if (conf_get(c, "lifecycle-hook")) {
		log_info(
			"%s: its own lifecycle-hook runs; on-guest-shutdown-hook "
			"and shares-device-with are not relayed",
			g->cfg->name);
		return false;
	}
	if (strchr(ctl, '\'') || strchr(g->vd->run_dir, '\'')) {
		log_warn("%s: a quote in %s or %s: no lifecycle relay",
			 g->cfg->name, ctl, g->vd->run_dir);
		return false;
	}
	/* Guest names are [A-Za-z0-9._-]: no quoting needed. */
	n = snprintf(buf, len,
		     "exec '%s' --daemon '%s/" VESSELD_SOCK
		     "' guest-shutdown %s \"$VESSEL_GUEST_STATE\"",
		     ctl, g->vd->run_dir, g->cfg->name);
	return n > 0 && (size_t)n < len;
}

int relay_start(struct guest *g, const char *state, relay_done_fn *done,
		void *ctx, struct relay **out)
{
	int st = lifecycle_state_parse(state);
	struct relay *r;

	*out = NULL;
	if (st < 0)
		return -EINVAL;
	for (r = relays; r; r = r->next)
		if (r->g == g)
			return -EBUSY;
	r = relay_new(g, state);
	if (!r)
		return -ENOMEM;
	r->done = done;
	r->ctx = ctx;
	r->next = relays;
	relays = r;
	*out = r;
	r->owner = out;
	/* Only a guest going away has anything to relay. */
	if (st == LIFECYCLE_RUNNING || st == LIFECYCLE_UNKNOWN) {
		r->nr_peers = 0;
		relay_finish(r);
	} else if (!relay_hook_start(r)) {
		relay_tell_peers(r);
	}
	return 0;
}

void relay_forget(struct relay *r)
{
	struct relay *p;

	for (p = relays; p; p = p->next)
		if (p == r) {
			r->done = NULL;
			r->owner = NULL;
		}
}
