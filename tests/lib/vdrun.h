/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_VDRUN_H
#define VESSEL_TEST_VDRUN_H

/*
 * One vesseld under test: a private directory with the guest files
 * (conf), vesseld's run directory and, if asked, the vessels' shared
 * memory (VESSEL_SHM_DIR); the vesseld process and its parsed events.
 * The waits fail the cmocka test, with vesseld's events and output in
 * the log, when vesseld exits or the time runs out.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "evlog.h"
#include "vmproc.h"

#define VDRUN_PATH_LEN 192
#define VDRUN_WAIT_MS 30000
#define VDRUN_CTL_MS 20000
#define VDRUN_EXIT_MS 30000

/* vdrun_init flags */
#define VDRUN_SHM_DIR 1 /* VESSEL_SHM_DIR=dir/shm until vdrun_free */

struct vdrun {
	char dir[64]; /* $TMPDIR/vessel-TAG-XXXXXX */
	char conf[VDRUN_PATH_LEN]; /* dir/conf: the guest files */
	char run[VDRUN_PATH_LEN]; /* dir/run */
	char shm[VDRUN_PATH_LEN]; /* dir/shm */
	char events[VDRUN_PATH_LEN]; /* run/vesseld.events */
	char sock[VDRUN_PATH_LEN]; /* run/vesseld.sock */
	char vessel[PATH_MAX], probe[PATH_MAX]; /* absolute */
	struct vmproc d; /* vesseld --foreground */
	bool started;
	unsigned int flags;
	struct evlog ev; /* as of the last vdrun_load */
	/* The test's own logs for vdrun_dump to add; may be NULL. */
	void (*dump_more)(struct vdrun *r);
};

/* VESSELD from the environment or build/vesseld. */
const char *vesseld_path(void);

/* CLOCK_MONOTONIC in milliseconds. */
long vdrun_now_ms(void);

/* Make the directory (vessel-@tag-XXXXXX) and conf/; 0 or -1. */
int vdrun_init(struct vdrun *r, const char *tag, unsigned int flags);

/* Stop vesseld if it runs (SIGQUIT: it cuts its guests), remove it all. */
void vdrun_free(struct vdrun *r);

/* calloc + vdrun_init, for a cmocka setup; NULL on failure. */
struct vdrun *vdrun_new(const char *tag, unsigned int flags);

/* vdrun_free + free, for the teardown (also after a failed assertion). */
void vdrun_delete(struct vdrun *r);

/* Write conf/@name.conf: the probe on @scenario, then @fmt's lines. */
void vdrun_guest_file(struct vdrun *r, const char *name, const char *scenario,
		      const char *fmt, ...);

/* vesseld --foreground on conf and run, @opts (NULL-terminated) added. */
void vdrun_start(struct vdrun *r, const char *const opts[]);

/* (Re)load r->ev from vesseld's event file. */
void vdrun_load(struct vdrun *r);

/* vesseld's events and output (and dump_more's), for a failing test's log. */
void vdrun_dump(struct vdrun *r);

/* Index of the @nth (1-based) event @type about @guest (NULL: any), or -1. */
int vdrun_ev_nth(const struct evlog *l, const char *type, const char *guest,
		 int nth);

int vdrun_ev_count(const struct evlog *l, const char *type, const char *guest);

/* Wait until vesseld wrote its @nth event @type about @guest; its index. */
int vdrun_wait_event(struct vdrun *r, const char *type, const char *guest,
		     int nth);

/* run/@name/@file, whole (malloc'd, NUL-terminated); NULL if absent. */
char *vdrun_slurp(struct vdrun *r, const char *name, const char *file,
		  size_t *len);

/* Wait for @marker in run/@name/console.log (the guest's serial). */
void vdrun_wait_console(struct vdrun *r, const char *name, const char *marker);

/* `vesselctl --daemon SOCK ARGS...` (NULL-ended); exit code, output in @c. */
int vdrun_ctl(struct vdrun *r, struct vmproc *c, ...);

/* Stop vesseld with SIGTERM, load its events; its exit code. */
int vdrun_stop(struct vdrun *r);

#endif
