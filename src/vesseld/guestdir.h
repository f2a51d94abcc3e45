/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_GUESTDIR_H
#define VESSELD_GUESTDIR_H

/*
 * A guest's directory, RUN/NAME: its vessel's state record, event file,
 * control and console sockets and log. A vessel with `user` rewrites its
 * record and removes its sockets after it has become that user, so the
 * directory is that user's (0700); otherwise it is vesseld's own. The
 * run directory above stays vesseld's: vessel works in this one through
 * the descriptors it opened as root.
 */

#include <stddef.h>

#include "../common/conf.h"

/*
 * Make @dir if missing, refuse it if it is not a directory (a symbolic
 * link planted there included), then give it to the `user` and `group`
 * of @conf (vesseld's own ids without them) with mode 0700; before each
 * start, as a reloaded file may name another user. 0, or -errno with one
 * line in @err.
 */
int guestdir_prepare(const char *dir, const struct conf *conf, char *err,
		     size_t errlen);

#endif
