// SPDX-License-Identifier: Apache-2.0
/*
 * The two walks over the guests by level (daemon.h): the autostart,
 * level by level in start order, a level's guests in parallel, the next
 * level once each of them is up (its control socket answers) or has
 * ended; and the host shutdown, level by level in stop order, a level's
 * guests stopped in parallel, the next level once each is down.
 */
#include "daemon.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "ctlsock.h"

struct guest *vd_guest(struct vd *vd, const char *name)
{
	int i = config_index(&vd->cfg, name);

	return i < 0 ? NULL : vd->guests[i];
}

void vd_notify(struct vd *vd, const char *state)
{
	int ret = notify_send(&vd->notify, state);

	if (ret)
		log_warn("sd_notify %s: %s", state, strerror(-ret));
}

void vd_notify_ready(struct vd *vd)
{
	int i, up = 0;

	if (vd->ready_sent)
		return;
	vd->ready_sent = true;
	for (i = 0; i < vd->nr; i++)
		up += guest_alive(vd->guests[i]);
	vd_notify(vd, "READY=1");
	notify_status(&vd->notify, "%d of %d guests running", up, vd->nr);
}

/* --- autostart --- */

/* Start the guests of @level that are due and down; how many. */
static int vd_start_level(struct vd *vd, int level)
{
	const int *idx;
	int i, n = order_level(&vd->cfg.order, level, false, &idx), started = 0;

	for (i = 0; i < n; i++) {
		struct guest *g = vd->guests[idx[i]];

		if (!g->autostart_due)
			continue;
		g->autostart_due = false;
		if (g->state == GUEST_DOWN && !guest_start(g, "autostart"))
			started++;
	}
	return started;
}

/* Whether every guest of @level is up or has ended. */
static bool vd_level_settled(const struct vd *vd, int level)
{
	const int *idx;
	int i, n = order_level(&vd->cfg.order, level, false, &idx);

	for (i = 0; i < n; i++)
		if (vd->guests[idx[i]]->state == GUEST_STARTING)
			return false;
	return true;
}

static void vd_autostart_step(struct vd *vd)
{
	while (vd->start_level >= 0 && vd_level_settled(vd, vd->start_level)) {
		if (++vd->start_level >= vd->cfg.order.nr_start_levels) {
			struct json_object *f = json_object_new_object();

			vd->start_level = -1;
			json_object_object_add(
				f, "seconds",
				evfile_seconds((dloop_now_ms() - vd->start_ms) /
					       1e3));
			evfile_emit(&vd->ev, "autostart-done", NULL, f);
			log_info("autostart done");
			vd_notify_ready(vd);
			return;
		}
		vd_start_level(vd, vd->start_level);
	}
}

struct guest *vd_guest_new(struct vd *vd, const struct config_guest *cfg)
{
	struct guest *g = calloc(1, sizeof(*g));
	int ret = g ? guest_init(g, vd, cfg) : -ENOMEM;

	if (ret) {
		log_err("%s: run directory %s/%s: %s", cfg->name, vd->run_dir,
			cfg->name, strerror(-ret));
		free(g);
		return NULL;
	}
	return g;
}

int vd_init_guests(struct vd *vd)
{
	int i;

	vd->guests = calloc(vd->cfg.nr ? vd->cfg.nr : 1, sizeof(*vd->guests));
	if (!vd->guests)
		return -ENOMEM;
	for (vd->nr = 0; vd->nr < vd->cfg.nr; vd->nr++) {
		vd->guests[vd->nr] = vd_guest_new(vd, &vd->cfg.guests[vd->nr]);
		if (!vd->guests[vd->nr])
			return -EIO;
	}
	for (i = 0; i < vd->nr; i++)
		vd->guests[i]->autostart_due = vd->guests[i]->cfg->autostart;
	return 0;
}

void vd_free_guests(struct vd *vd)
{
	int i;

	dloop_timer_cancel(&vd->loop, &vd->reap);
	for (i = 0; vd->guests && i < vd->nr; i++)
		guest_free(vd->guests[i]);
	for (i = 0; i < vd->nr_retired; i++)
		guest_free(vd->retired[i]);
	free(vd->guests);
	free(vd->retired);
	vd->guests = vd->retired = NULL;
	vd->nr = vd->nr_retired = 0;
}

void vd_autostart(struct vd *vd)
{
	if (vd->shut.active || !vd->cfg.order.nr_start_levels)
		return;
	/* From level 0 again: a guest added below a running walk is due too. */
	vd->start_level = 0;
	vd_start_level(vd, 0);
	vd_autostart_step(vd);
}

void vd_start(struct vd *vd)
{
	int i;

	/* Guests an earlier vesseld left running are watched, not started. */
	for (i = 0; i < vd->nr; i++)
		guest_adopt(vd->guests[i]);
	vd->start_level = -1;
	vd_autostart(vd);
}

/* --- host shutdown --- */

static bool vd_level_down(const struct vd *vd, int level)
{
	const int *idx;
	int i, n = order_level(&vd->cfg.order, level, true, &idx);

	for (i = 0; i < n; i++)
		if (guest_alive(vd->guests[idx[i]]))
			return false;
	return true;
}

static void vd_stop_level(struct vd *vd, int level)
{
	struct json_object *f = json_object_new_object(), *names;
	const int *idx;
	int i, n = order_level(&vd->cfg.order, level, true, &idx);

	names = json_object_new_array();
	for (i = 0; i < n; i++)
		if (guest_alive(vd->guests[idx[i]]))
			json_object_array_add(
				names, json_object_new_string(
					       vd->guests[idx[i]]->cfg->name));
	json_object_object_add(f, "level", json_object_new_int(level));
	json_object_object_add(f, "guests", names);
	if (json_object_array_length(names))
		evfile_emit(&vd->ev, "shutdown-level", NULL, f);
	else
		json_object_put(f);
	for (i = 0; i < n; i++)
		guest_stop(vd->guests[idx[i]], "shutdown");
}

/* Did vesseld stop @g during the shutdown (or cut it)? */
static bool vd_stopped_in_shutdown(const struct vd *vd, const struct guest *g)
{
	return g->stopped.valid && g->stopped.end_ms >= vd->shut.start_ms;
}

static void vd_shutdown_done(struct vd *vd)
{
	struct json_object *f = json_object_new_object();
	double secs = (dloop_now_ms() - vd->shut.start_ms) / 1e3;
	int i;

	vd->shut.done = true;
	for (i = 0; i < vd->nr; i++) {
		const struct guest *g = vd->guests[i];

		if (vd_stopped_in_shutdown(vd, g) &&
		    strcmp(g->stopped.how, "power-button") &&
		    strcmp(g->stopped.how, "restart-cancelled"))
			vd->shut.escalated++;
	}
	vd->exit_code = vd->shut.escalated ? VD_EXIT_ESCALATED : VD_EXIT_OK;
	json_object_object_add(f, "seconds", evfile_seconds(secs));
	json_object_object_add(f, "escalated",
			       json_object_new_int(vd->shut.escalated));
	evfile_emit(&vd->ev, "shutdown-done", NULL, f);
	log_info("shutdown done in %.3f s: %d guest%s escalated", secs,
		 vd->shut.escalated, vd->shut.escalated == 1 ? "" : "s");
	ctlsock_shutdown_done(vd->sock);
	dloop_quit(&vd->loop);
}

static void vd_shutdown_step(struct vd *vd)
{
	int nr = vd->cfg.order.nr_stop_levels;

	if (!vd->shut.active || vd->shut.done)
		return;
	while (vd->shut.level < nr && vd_level_down(vd, vd->shut.level))
		if (++vd->shut.level < nr)
			vd_stop_level(vd, vd->shut.level);
	/* A guest a reload removed was being stopped already. */
	if (vd->shut.level >= nr && vd_retired_down(vd))
		vd_shutdown_done(vd);
}

/* Nothing restarts once the shutdown began; nothing is left waiting. */
static void vd_shutdown_begin(struct vd *vd, const char *by)
{
	struct json_object *f = json_object_new_object();
	int i;

	vd->shut.active = true;
	vd->shut.by = by;
	vd->shut.start_ms = dloop_now_ms();
	vd->shut.level = 0;
	vd->start_level = -1;
	json_object_object_add(f, "by", json_object_new_string(by));
	evfile_emit(&vd->ev, "shutdown", NULL, f);
	log_info("shutting down every guest (%s)", by);
	vd_notify(vd, "STOPPING=1");
	notify_status(&vd->notify, "stopping every guest (%s)", by);
	for (i = 0; i < vd->nr; i++)
		if (vd->guests[i]->state == GUEST_BACKOFF)
			guest_stop(vd->guests[i], by);
}

void vd_shutdown(struct vd *vd, const char *by)
{
	if (vd->shut.active) {
		log_info("%s: the shutdown is under way (SIGQUIT cuts every "
			 "guest's power)",
			 by);
		return;
	}
	vd_shutdown_begin(vd, by);
	if (vd->cfg.order.nr_stop_levels)
		vd_stop_level(vd, 0);
	vd_shutdown_step(vd);
}

void vd_cut_all(struct vd *vd, const char *by)
{
	int i;

	if (!vd->shut.active)
		vd_shutdown_begin(vd, by);
	for (i = 0; i < vd->nr; i++)
		guest_cut(vd->guests[i], by);
	for (i = 0; i < vd->nr_retired; i++)
		guest_cut(vd->retired[i], by);
	vd_shutdown_step(vd);
}

/* Whether @g, removed by a reload, can be forgotten. */
static bool vd_retired_done(const struct guest *g)
{
	return !guest_alive(g) && g->state != GUEST_BACKOFF && !g->hook.pid;
}

bool vd_retired_down(const struct vd *vd)
{
	int i;

	for (i = 0; i < vd->nr_retired; i++)
		if (guest_alive(vd->retired[i]))
			return false;
	return true;
}

/*
 * Forget the retired guests that are down, from the loop's timer phase:
 * never under a guest's own call chain, which still uses it.
 */
static void vd_on_reap(struct dloop_timer *t)
{
	struct vd *vd = container_of(t, struct vd, reap);
	int i = 0;

	while (i < vd->nr_retired) {
		struct guest *g = vd->retired[i];

		if (!vd_retired_done(g)) {
			i++;
			continue;
		}
		log_info("%s: removed by a reload, now forgotten",
			 g->cfg->name);
		ctlsock_guest_gone(vd->sock, g);
		guest_free(g);
		vd->retired[i] = vd->retired[--vd->nr_retired];
	}
}

void vd_guest_changed(struct vd *vd, struct guest *g)
{
	if (vd->start_level >= 0)
		vd_autostart_step(vd);
	ctlsock_guest_changed(vd->sock, g);
	if (g->removed && vd_retired_done(g)) {
		vd->reap.fire = vd_on_reap;
		dloop_timer_arm(&vd->loop, &vd->reap, 0);
	}
	vd_shutdown_step(vd);
}

/* How @g ended in the shutdown: stopped, exited by itself, or was down. */
static struct json_object *vd_guest_shutdown_json(const struct vd *vd,
						  const struct guest *g)
{
	struct json_object *o;

	if (vd_stopped_in_shutdown(vd, g))
		return guest_stop_json(g);
	o = json_object_new_object();
	if (g->exited && g->exit_ms >= vd->shut.start_ms) {
		json_object_object_add(o, "how",
				       json_object_new_string("exited"));
		json_object_object_add(
			o, "reason",
			json_object_new_string(g->last_exit.reason));
	} else {
		json_object_object_add(o, "how",
				       json_object_new_string("was-down"));
	}
	return o;
}

struct json_object *vd_shutdown_json(const struct vd *vd)
{
	struct json_object *o = json_object_new_object(), *a, *s;
	int i;

	a = json_object_new_array();
	for (i = 0; i < vd->nr; i++) {
		const struct guest *g = vd->guests[i];

		s = vd_guest_shutdown_json(vd, g);
		json_object_object_add(s, "guest",
				       json_object_new_string(g->cfg->name));
		json_object_array_add(a, s);
	}
	json_object_object_add(
		o, "seconds",
		evfile_seconds((dloop_now_ms() - vd->shut.start_ms) / 1e3));
	json_object_object_add(o, "escalated",
			       json_object_new_int(vd->shut.escalated));
	json_object_object_add(o, "guests", a);
	return o;
}
