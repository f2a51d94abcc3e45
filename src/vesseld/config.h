/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_CONFIG_H
#define VESSELD_CONFIG_H

/*
 * vesseld's configuration: a directory of guest files, DIR/NAME.conf, one
 * per guest, named by the file. Each file is parsed exactly as `vessel
 * @file` parses it (src/common/conf.c), so vessel's keys are checked the
 * same way, and the policy keys of conf_policy.c are read here.
 */

#include "../common/conf.h"
#include "backoff.h"
#include "order.h"

#define CONFIG_DIR_DEFAULT "/etc/vessel/guests"
#define CONFIG_NAME_MAX 32 /* a guest name's 31 characters and the NUL */

/* The policy keys that say what an exit leads to; index of config_guest.on. */
enum config_on {
	CONFIG_ON_POWEROFF,
	CONFIG_ON_REBOOT,
	CONFIG_ON_CRASH,
	CONFIG_ON_WATCHDOG,
	CONFIG_ON_TERMINATED,
	CONFIG_ON_NR,
	CONFIG_ON_NONE = CONFIG_ON_NR, /* no key applies (policy.h) */
};

/* "on-poweroff", ... by enum config_on. */
extern const char *const config_on_keys[CONFIG_ON_NR];

enum config_action {
	CONFIG_STOP, /* leave the guest down */
	CONFIG_RESTART, /* start it again, after the back-off's delay */
};

/* One guest named on an `after` or `shares-device-with` line. */
struct config_ref {
	char name[CONFIG_NAME_MAX];
	const char *origin; /* "DIR/a.conf:3", owned by the guest's conf */
	int index; /* into config.guests once config_load() resolved it */
};

struct config_guest {
	char name[CONFIG_NAME_MAX]; /* the file's name without .conf */
	char *path; /* DIR/NAME.conf, what vessel is given as @path */
	struct conf conf; /* every line of the file, vessel's keys included */
	enum config_action on[CONFIG_ON_NR];
	struct backoff_policy backoff;
	u64 stop_timeout_ms; /* power button to the terminating SIGTERM */
	bool autostart;
	struct config_ref *after; /* start after these, stop before them */
	int nr_after;
	struct config_ref *shares; /* told when this guest announces shutdown */
	int nr_shares;
	const char
		*shutdown_hook; /* on-guest-shutdown-hook (in conf) or NULL */
};

struct config {
	char *dir; /* absolute: the current directory joined to a relative one */
	struct config_guest *guests; /* sorted by name */
	int nr;
	struct order order; /* from the `after` lines */
};

/*
 * Read every DIR/NAME.conf of @dir into @cfg: all of it, or nothing. Other
 * names are ignored (README, editor backups); a .conf whose NAME is not a
 * guest name is an error. Beyond vessel's own checks: a file's `name`
 * must be its NAME, `kernel` must be set, restart-max-delay must not be
 * below restart-delay, every `after` and `shares-device-with` name must
 * have its file, and `after` must not loop. Returns 0, or with @err set
 * (naming the file, and its line where there is one): -EBADMSG for a bad
 * file, -ELOOP for a cycle, -errno when @dir cannot be read, -ENOMEM. Any
 * of them is a configuration error (vesseld exits 65). On error @cfg is
 * left zeroed, so a reload keeps the configuration it had.
 */
int config_load(struct config *cfg, const char *dir, char *err, size_t errlen);

/*
 * Read one guest file @path named @name, with the checks that need no
 * other file. Same return contract; on error @g is left zeroed.
 */
int config_load_guest(struct config_guest *g, const char *path,
		      const char *name, char *err, size_t errlen);

/* The index of guest @name in @cfg, or -1. */
int config_index(const struct config *cfg, const char *name);

/*
 * Do @a and @b hold the same keys and values, in the same order? Comments
 * and blank lines do not count, so a reload can tell which guests changed.
 */
bool config_guest_equal(const struct config_guest *a,
			const struct config_guest *b);

void config_guest_free(struct config_guest *g);
void config_free(struct config *cfg);

#endif
