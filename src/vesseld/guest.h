/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_GUEST_H
#define VESSELD_GUEST_H

/*
 * One supervised guest: its vessel process (a pidfd in the loop), its
 * state and the one deadline that state has, its restart tally and how
 * it last ended. Behaviour is a small function per event (start, stop,
 * exit, deadline) switching on the state [s6-supervise.c actions].
 *
 *   DOWN --start--> STARTING --control socket answers--> UP
 *   UP --stop--> PRESSED --stop-timeout--> TERMINATING --5 s--> CUTTING
 *   (any running state) --exit--> DOWN | BACKOFF --delay--> STARTING
 *                                      | FAILED (restart-limit reached)
 *
 * PRESSED is the first SIGTERM (vessel presses the power button),
 * TERMINATING the second (vessel terminates, exit 35), CUTTING SIGQUIT
 * (power cut, exit 3). Never SIGKILL.
 */

#include <limits.h>
#include <sys/types.h>

#include "backoff.h"
#include "config.h"
#include "console.h"
#include "dloop.h"
#include "policy.h"

enum guest_state {
	GUEST_DOWN,
	GUEST_STARTING, /* vessel runs; its control socket is not up yet */
	GUEST_UP,
	GUEST_PRESSED, /* stopping: the power button is pressed */
	GUEST_TERMINATING, /* stopping: the second SIGTERM was sent */
	GUEST_CUTTING, /* stopping: SIGQUIT was sent */
	GUEST_BACKOFF, /* down, restarting after the back-off's delay */
	GUEST_FAILED, /* down: restarted too often, or could not start */
	GUEST_STATE_NR,
};

/* "down", "starting", ... by enum guest_state. */
extern const char *const guest_state_names[GUEST_STATE_NR];

/* How long the control socket may take to answer before the guest counts as up. */
#define GUEST_UP_TIMEOUT_MS 30000
/* How often a starting guest's control socket is tried. */
#define GUEST_UP_POLL_MS 5
/* From the second SIGTERM to SIGQUIT. */
#define GUEST_QUIT_AFTER_MS 5000
/* After SIGQUIT, how often a vessel that does not end is reported. */
#define GUEST_CUT_WARN_MS 10000

/* A unix socket path's room (sun_path). */
#define GUEST_SOCK_MAX 108

struct vd;

/*
 * The quiesce hook vesseld runs for a vessel that died of a signal and so
 * never ran its own (hook.c): `sh -c quiesce-hook`, watched by a pidfd,
 * SIGTERM to its process group after quiesce-hook-timeout.
 */
struct guest_hook {
	pid_t pid; /* 0 when none runs */
	struct dloop_watch pidw; /* fd -1 when none */
	struct dloop_timer
		timer; /* the timeout, then the grace after SIGTERM */
	u64 start_ms;
	bool terminated; /* SIGTERM sent at its timeout */
	bool abandoned; /* reported as abandoned; reaped silently */
};

/* How a stop that vesseld asked for ended. */
struct guest_stop_record {
	bool valid;
	const char *by; /* "shutdown", "control", ... */
	const char *how; /* "power-button", "terminated", "power-cut" */
	struct policy_exit exit;
	double seconds; /* from the press to the exit */
	u64 end_ms; /* when it ended */
};

struct guest {
	struct vd *vd;
	const struct config_guest *cfg;
	enum guest_state state;
	pid_t pid; /* 0 when no vessel runs */
	struct dloop_watch pidw; /* the pidfd; fd -1 when none */
	struct dloop_timer timer; /* the state's deadline */
	u64 spawn_ms, up_ms;
	u32 boots; /* vessels started since vesseld started */
	u32 restarts; /* of those, started by the restart policy */
	struct backoff backoff;
	u64 next_start_ms; /* BACKOFF: when it restarts */

	/* A stop vesseld asked for: the guest stays down afterwards. */
	bool stopping;
	bool stop_pending; /* asked while STARTING: pressed once it is up */
	bool start_after_stop; /* `restart`: start again once down */
	const char *stop_by;
	u64 stop_ms;
	int escalation; /* 0 the button only, 1 SIGTERM, 2 SIGQUIT */
	const char *stop_way; /* "power-button", or the forwarded request */
	struct guest_stop_record stopped; /* the last stop vesseld made */

	bool exited; /* last_exit holds an exit */
	struct policy_exit last_exit;
	u64 last_run_ms;
	u64 exit_ms; /* when last_exit happened */
	char last_error[256]; /* why the last start failed, or "" */

	char dir[PATH_MAX]; /* RUN/NAME */
	char ctl[GUEST_SOCK_MAX]; /* RUN/NAME/ctl.sock */
	char events[PATH_MAX]; /* RUN/NAME/events.jsonl */
	char serial[PATH_MAX]; /* unix:RUN/NAME/console.sock */
	char log[PATH_MAX]; /* RUN/NAME/vessel.log: vessel's stderr */
	char state_file[PATH_MAX]; /* RUN/NAME/state.json: vessel --state */
	bool adopted; /* the vessel is an earlier vesseld's child, not ours */
	struct console con; /* its console socket and log (console.h) */

	bool autostart_due; /* the autostart walk (daemon.c) is to start it */
	/*
	 * A reload changed the guest's file while its vessel runs: it runs on
	 * under @held (the file it was started with, owned here) and takes
	 * @next_cfg at its next start.
	 */
	struct config_guest *held;
	const struct config_guest *next_cfg;
	bool removed; /* its file is gone: stopped, then forgotten */

	struct guest_hook hook;
	bool restart_after_hook; /* its back-off ended while the hook ran */
};

/* Set @g up for @cfg under vd->run_dir; -ENAMETOOLONG, -errno (mkdir). */
int guest_init(struct guest *g, struct vd *vd, const struct config_guest *cfg);

/* A vessel process exists (STARTING to CUTTING). */
bool guest_alive(const struct guest *g);

/*
 * Start the guest's vessel. From DOWN, FAILED (its tally is cleared, as
 * an operator's start should) or BACKOFF (at once). -EALREADY when it
 * runs, -ESHUTDOWN during the host shutdown, -errno when it cannot be
 * spawned (an event says why; the guest is FAILED).
 */
int guest_start(struct guest *g, const char *by);

/*
 * Stop it the graceful way: power button, after stop-timeout a second
 * SIGTERM, 5 s later SIGQUIT. A guest waiting to restart just stays
 * down. Returns 0 if a stop is under way or the guest was down already.
 */
void guest_stop(struct guest *g, const char *by);

/* Cut the power now (SIGQUIT); the guest stays down. */
void guest_cut(struct guest *g, const char *by);

/*
 * A stop vesseld made through the guest's control socket: @how is the
 * request ("terminate", "power-cut"); the guest stays down after it.
 */
void guest_mark_stopping(struct guest *g, const char *by, const char *how);

/* The guest's state as a JSON object (list, status). */
struct json_object *guest_json(const struct guest *g);

/* The last stop's record as JSON, or NULL when there is none. */
struct json_object *guest_stop_json(const struct guest *g);

/*
 * At vesseld's start: if RUN/NAME/state.json names a live vessel (an
 * earlier vesseld's child, which outlived it), watch it as this guest's
 * (adopt.c). A record whose vessel is gone is reported as its last exit
 * and removed. Returns true when the guest was adopted.
 */
bool guest_adopt(struct guest *g);

/*
 * An adopted vessel ended: not our child, so its exit comes from its
 * state file (exited: the code; crashed: the signal; still "running":
 * killed, most likely by SIGKILL, with no record of it).
 */
void guest_exit_from_record(struct guest *g, struct policy_exit *e);

/* Take the live vessel @pid (@pidfd) as this guest's, running since @since_ms. */
void guest_take(struct guest *g, pid_t pid, int pidfd, u64 since_ms);

/* An exit found in a state file at start: recorded, no policy applied. */
void guest_note_exit(struct guest *g, pid_t pid, const struct policy_exit *e);

/* Close the pidfd and cancel the deadline (vesseld exits). */
void guest_release(struct guest *g);

/*
 * Run @g's quiesce-hook for its vessel @pid, which ended by @e without
 * running it (killed by a signal, or gone with no exit record); nothing
 * when the file has no hook or one still runs. Asynchronous: a `hook`
 * event says how it ended; a restart waits for it.
 */
void guest_quiesce_hook(struct guest *g, pid_t pid,
			const struct policy_exit *e);

/* Did @e end a vessel before its own quiesce hook could run? */
bool guest_exit_skipped_hook(const struct policy_exit *e);

bool guest_hook_running(const struct guest *g);

/* The hook ended: a restart that waited for it goes on (guest.c). */
void guest_hook_done(struct guest *g);

/* Stop watching the hook (vesseld exits; the hook runs on). */
void guest_hook_release(struct guest *g);

/*
 * A reload read @cfg for this guest: equal to the file it runs with, it
 * just takes it; otherwise at once when no vessel runs, else at the next
 * start. Returns true when the guest's configuration changed.
 */
bool guest_reconfigure(struct guest *g, const struct config_guest *cfg,
		       struct config_guest *old);

/*
 * A reload found no file for the guest: it keeps @old (the entry of the
 * configuration being replaced) until it is down and forgotten. false
 * when out of memory.
 */
bool guest_retire(struct guest *g, struct config_guest *old);

/* Free what the guest owns (held configuration); it must be down. */
void guest_free(struct guest *g);

#endif
