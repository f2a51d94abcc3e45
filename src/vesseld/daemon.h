/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_DAEMON_H
#define VESSELD_DAEMON_H

/*
 * vesseld's state: the configuration, one struct guest per guest file
 * (guest.h), the loop, the event file and the control socket; and the
 * two sequences that walk the guests by level, the autostart at launch
 * and the host shutdown (order.h). Single-threaded: everything runs in
 * the loop.
 */

#include "config.h"
#include "dloop.h"
#include "evfile.h"
#include "guest.h"
#include "notify.h"

#define VESSELD_RUN_DIR "/run/vessel"
#define VESSELD_SOCK "vesseld.sock"
#define VESSELD_EVENTS "vesseld.events"
#define VESSELD_LOCK "vesseld.lock"

/* vesseld's exit codes (docs/man/vesseld.8). */
enum vd_exit {
	VD_EXIT_OK = 0, /* every guest stopped cleanly */
	VD_EXIT_ESCALATED = 1, /* a guest had to be terminated or cut */
	VD_EXIT_USAGE = 64,
	VD_EXIT_CONFIG = 65,
	VD_EXIT_OSERR = 71, /* run directory, socket, lock, loop */
	VD_EXIT_LOCKED = 75, /* another vesseld holds the run directory */
};

struct ctlsock;

struct vd_shutdown {
	bool active;
	const char *by; /* "SIGTERM", "control", ... */
	u64 start_ms;
	int level; /* the stop level being stopped */
	int escalated; /* guests that had to be terminated or cut */
	bool done;
};

struct vd {
	struct config cfg;
	const char *config_dir;
	const char *run_dir;
	const char *vessel; /* the program spawned for each guest */
	struct dloop loop;
	struct evfile ev;
	struct guest **guests; /* by config index */
	int nr;
	/* Guests a reload removed, being stopped; forgotten once down. */
	struct guest **retired;
	int nr_retired;
	struct dloop_timer reap; /* forgets the retired guests that are down */
	struct ctlsock *sock;
	int sig_fd;
	struct dloop_watch sigw;
	int start_level; /* the start level being started; -1: none */
	u64 start_ms; /* when vesseld started */
	struct vd_shutdown shut;
	struct notify notify; /* systemd's NOTIFY_SOCKET, if it started us */
	bool ready_sent;
	int exit_code;
};

/*
 * Build the guests from vd->cfg and make their run directories; 0, or
 * -errno (logged).
 */
int vd_init_guests(struct vd *vd);

/* Re-adopt the guests an earlier vesseld left running, then autostart. */
void vd_start(struct vd *vd);

/*
 * Stop every guest by stop level (guest_stop in parallel within a level);
 * the loop quits when all are down. @by names the requester in events.
 */
void vd_shutdown(struct vd *vd, const char *by);

/* SIGQUIT to vesseld: cut every guest's power at once, then quit. */
void vd_cut_all(struct vd *vd, const char *by);

/*
 * A guest changed state: move the autostart or the shutdown on, and
 * answer the control clients waiting on it. Called by guest.c.
 */
void vd_guest_changed(struct vd *vd, struct guest *g);

/* The shutdown's outcome as JSON (for `vesselctl shutdown`). */
struct json_object *vd_shutdown_json(const struct vd *vd);

/* Tell systemd (Type=notify) @state, when it started vesseld (notify.h). */
void vd_notify(struct vd *vd, const char *state);

/*
 * READY=1 and a STATUS line, once: when the autostart is done (every
 * autostart guest up or ended), or at once if there is none.
 */
void vd_notify_ready(struct vd *vd);

/* The guest named @name, or NULL. */
struct guest *vd_guest(struct vd *vd, const char *name);

/* A new struct guest for @cfg (guest_init); NULL, logged, on error. */
struct guest *vd_guest_new(struct vd *vd, const struct config_guest *cfg);

/*
 * Start the guests whose autostart_due is set, level by level (the
 * autostart at launch, and the guests a reload added).
 */
void vd_autostart(struct vd *vd);

/*
 * `vesselctl reload` and SIGHUP (reload.c): read the configuration
 * directory again. A bad file keeps the running configuration: -errno
 * with @err naming file:line. Otherwise the new guests are added (and
 * started if autostart), the removed ones stopped as `stop` does and
 * forgotten once down, a changed one takes its file at its next start;
 * *@summary (may be NULL) says which. Events: reload, added, removed,
 * changed.
 */
int vd_reload(struct vd *vd, const char *by, struct json_object **summary,
	      char *err, size_t errlen);

/* Whether every retired guest is down. */
bool vd_retired_down(const struct vd *vd);

/* Free every guest, retired ones included (vesseld exits). */
void vd_free_guests(struct vd *vd);

#endif
