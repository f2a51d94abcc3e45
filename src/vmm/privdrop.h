/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_PRIVDROP_H
#define VESSEL_PRIVDROP_H

/*
 * Least privilege (docs/security.md, "Least privilege"). vessel needs
 * root, if at all, only to open things: /dev/kvm, disks, sockets in
 * root's directories. So it opens everything first (vm_create), then,
 * still single-threaded, gives up what it no longer needs:
 *
 * - root with `user USER` [`group GROUP`]: becomes USER (USER's
 *   supplementary groups, GROUP or USER's primary group) with no
 *   capability in any set, an empty bounding set, and no way back;
 * - root without `user`: stays uid 0 but holds no capability either
 *   (vessel uses none after setup: its files are root's own);
 * - anyone else: drops whatever capabilities it was given; `user` may
 *   only name itself.
 *
 * PR_SET_NO_NEW_PRIVS is set in every case, first thing, so nothing
 * vessel runs (hooks) gains privileges through a set-user-ID or
 * file-capability program.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/conf.h"
#include "../common/userid.h"

struct vm;

enum privdrop_plan {
	PRIVDROP_CAPS, /* keep the uid, drop every capability */
	PRIVDROP_SWITCH, /* root to another user: set*id, then no caps */
};

struct privdrop {
	enum privdrop_plan plan;
	struct userid id; /* PRIVDROP_SWITCH: who vessel becomes */
};

/*
 * The plan for a process running as @euid:@egid that is asked to run as
 * @want (NULL: no `user`). Root asked for another user switches; a user
 * asked for itself (and its own gid) only drops capabilities; a user
 * asked for anyone else is refused (-EPERM, one line in @err).
 */
int privdrop_plan(uid_t euid, gid_t egid, const struct userid *want,
		  enum privdrop_plan *plan, char *err, size_t errlen);

/*
 * First thing in main(), before any thread: umask 077, no new
 * privileges, `user` and `group` resolved and checked, and the shared-
 * memory directory told who will own it. 0, or EXIT_USAGE after logging
 * one line.
 */
int privdrop_init(struct privdrop *pd, const struct conf *conf);

/*
 * After vm_create(), before vm_run(): carry out the plan and prove it
 * (the ids, every capability set, setuid(0) refused), then check that
 * the state file can still be written. 0, or EXIT_USAGE after logging
 * (the state record says so too).
 */
int privdrop_apply(const struct privdrop *pd, struct vm *vm);

#endif
