/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_VESSELD_PROGPATH_H
#define VESSEL_VESSELD_PROGPATH_H

#include <stddef.h>

/*
 * The programs vesseld runs (vessel for each guest, vesselctl in the
 * lifecycle relay) are found from vesseld's own executable @exe, so that a
 * build tree and an installed tree both work unconfigured: @name beside it
 * (build/vesseld, build/vessel), else in the bin directory beside an sbin
 * one (PREFIX/sbin/vesseld, PREFIX/bin/vessel: any PREFIX, any DESTDIR).
 * The path in @buf, or NULL when neither is an executable file.
 */
const char *progpath_near(const char *exe, const char *name, char *buf,
			  size_t size);

/* progpath_near on /proc/self/exe, else @name itself, for PATH. */
const char *progpath_find(const char *name, char *buf, size_t size);

#endif
