// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl reload` and SIGHUP (daemon.h vd_reload). The directory is
 * read into a new struct config, all of it or nothing (config.h), so a
 * bad file changes nothing. Then, in two steps: everything that can fail
 * (the added guests' structs and run directories, the arrays) is made
 * before anything running is touched; then the new configuration takes
 * the old one's place, guest by guest by name, and only after that are
 * removed guests stopped and added ones started, since those steps run
 * the loop's callbacks, which read vd->cfg and vd->guests.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "daemon.h"

struct reload {
	struct config cfg; /* the new configuration */
	struct guest **guests; /* by the new configuration's index */
	struct guest **retired; /* vd->retired with room for the removed */
	struct json_object *added, *removed, *changed;
};

static void reload_event(struct vd *vd, const char *type, const char *guest,
			 const char *key, struct json_object *v)
{
	struct json_object *f = json_object_new_object();

	if (key)
		json_object_object_add(f, key, v);
	evfile_emit(&vd->ev, type, guest, f);
}

static void reload_failed(struct vd *vd, const char *by, const char *err)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "by", json_object_new_string(by));
	json_object_object_add(f, "result", json_object_new_string("failed"));
	json_object_object_add(f, "error", json_object_new_string(err));
	evfile_emit(&vd->ev, "reload", NULL, f);
	log_err("reload (%s) refused, the running configuration stays: %s", by,
		err);
}

/* Step one: what can fail. On error nothing running was touched. */
static int reload_prepare(struct vd *vd, struct reload *r, char *err,
			  size_t errlen)
{
	int i;

	r->guests = calloc(r->cfg.nr ? r->cfg.nr : 1, sizeof(*r->guests));
	r->retired = calloc(vd->nr_retired + vd->nr + 1, sizeof(*r->retired));
	if (!r->guests || !r->retired) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < r->cfg.nr; i++) {
		if (config_index(&vd->cfg, r->cfg.guests[i].name) >= 0)
			continue;
		r->guests[i] = vd_guest_new(vd, &r->cfg.guests[i]);
		if (!r->guests[i]) {
			snprintf(err, errlen,
				 "%s: cannot make its run directory",
				 r->cfg.guests[i].name);
			return -EIO;
		}
	}
	return 0;
}

static void reload_unprepare(struct reload *r)
{
	int i;

	for (i = 0; r->guests && i < r->cfg.nr; i++)
		if (r->guests[i])
			guest_free(r->guests[i]);
	free(r->guests);
	free(r->retired);
	config_free(&r->cfg);
}

static void reload_names_add(struct json_object *a, const char *name)
{
	json_object_array_add(a, json_object_new_string(name));
}

/*
 * Step two: each guest of the new configuration takes its entry; the
 * guests left over are retired. Returns false when an old entry must
 * outlive the swap (a guest could not hold its own copy: no memory).
 */
static bool reload_swap(struct vd *vd, struct reload *r)
{
	bool keep_old = false;
	int i, j;

	/* vd->retired is NULL until a reload retires a guest. */
	if (vd->nr_retired)
		memcpy(r->retired, vd->retired,
		       vd->nr_retired * sizeof(*r->retired));
	for (i = 0; i < r->cfg.nr; i++) {
		struct config_guest *c = &r->cfg.guests[i];
		struct guest *g;

		if (r->guests[i]) {
			r->guests[i]->autostart_due = c->autostart;
			reload_names_add(r->added, c->name);
			continue;
		}
		j = config_index(&vd->cfg, c->name);
		g = r->guests[i] = vd->guests[j];
		vd->guests[j] = NULL;
		if (guest_reconfigure(g, c, &vd->cfg.guests[j]))
			reload_names_add(r->changed, c->name);
	}
	for (j = 0; j < vd->nr; j++) {
		struct guest *g = vd->guests[j];

		if (!g)
			continue;
		if (!guest_retire(g, &vd->cfg.guests[j]))
			keep_old = true;
		r->retired[vd->nr_retired++] = g;
		reload_names_add(r->removed, g->cfg->name);
	}
	return !keep_old;
}

static struct json_object *reload_summary(struct reload *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "added", r->added);
	json_object_object_add(o, "removed", r->removed);
	json_object_object_add(o, "changed", r->changed);
	return o;
}

/* The guest named by element @i of the array @a. */
static struct guest *reload_guest(struct vd *vd, struct json_object *a, int i)
{
	return vd_guest(
		vd, json_object_get_string(json_object_array_get_idx(a, i)));
}

/*
 * The new configuration runs: say what changed, stop the removed, start
 * the added.
 */
static void reload_act(struct vd *vd, struct reload *r, int first_retired)
{
	bool start = false;
	int i;

	for (i = 0; i < (int)json_object_array_length(r->changed); i++) {
		struct guest *g = reload_guest(vd, r->changed, i);

		reload_event(
			vd, "changed", g->cfg->name, "applies",
			json_object_new_string(
				g->next_cfg ? "at the next start" : "now"));
	}
	for (i = first_retired; i < vd->nr_retired; i++) {
		struct guest *g = vd->retired[i];

		reload_event(
			vd, "removed", g->cfg->name, "state",
			json_object_new_string(guest_state_names[g->state]));
		guest_stop(g, "reload");
		vd_guest_changed(vd, g); /* a guest already down is forgotten */
	}
	for (i = 0; i < (int)json_object_array_length(r->added); i++) {
		struct guest *g = reload_guest(vd, r->added, i);

		reload_event(vd, "added", g->cfg->name, "autostart",
			     json_object_new_boolean(g->cfg->autostart));
		/* A vessel an earlier vesseld left running is taken back. */
		if (guest_adopt(g))
			g->autostart_due = false;
		start |= g->autostart_due;
	}
	if (start)
		vd_autostart(vd);
}

int vd_reload(struct vd *vd, const char *by, struct json_object **summary,
	      char *err, size_t errlen)
{
	struct reload r = { 0 };
	struct config old;
	struct json_object *f;
	int ret, first_retired = vd->nr_retired;
	char *dir;

	if (vd->shut.active) {
		snprintf(err, errlen, "vesseld is shutting down");
		return -ESHUTDOWN;
	}
	dir = strdup(vd->cfg.dir);
	ret = dir ? config_load(&r.cfg, dir, err, errlen) : -ENOMEM;
	if (!dir)
		snprintf(err, errlen, "out of memory");
	free(dir);
	if (!ret)
		ret = reload_prepare(vd, &r, err, errlen);
	if (ret) {
		reload_unprepare(&r);
		reload_failed(vd, by, err);
		return ret;
	}
	r.added = json_object_new_array();
	r.removed = json_object_new_array();
	r.changed = json_object_new_array();
	old = vd->cfg;
	if (!reload_swap(vd, &r))
		log_warn("reload: out of memory; the old configuration is "
			 "kept in memory");
	else
		config_free(&old);
	free(vd->guests);
	free(vd->retired);
	vd->cfg = r.cfg;
	vd->config_dir = vd->cfg.dir;
	vd->guests = r.guests;
	vd->nr = r.cfg.nr;
	vd->retired = r.retired;

	f = reload_summary(&r);
	if (summary)
		*summary = json_object_get(f);
	log_info("reload (%s): %d guests: %zu added, %zu removed, %zu changed",
		 by, vd->nr, json_object_array_length(r.added),
		 json_object_array_length(r.removed),
		 json_object_array_length(r.changed));
	json_object_object_add(f, "by", json_object_new_string(by));
	json_object_object_add(f, "result", json_object_new_string("ok"));
	json_object_get(f); /* r's arrays live on in it for reload_act() */
	evfile_emit(&vd->ev, "reload", NULL, f);
	reload_act(vd, &r, first_retired);
	json_object_put(f);
	return 0;
}
