/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CRASH_H
#define VESSEL_CRASH_H

#include <termios.h>

/*
 * What can safely be done when vessel itself dies of a fatal signal
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT): put the user's terminal back
 * the way it was, mark the `state` record crashed (statefile_crash), and
 * say why on stderr. Nothing else is async-signal safe; the devices'
 * quiesce steps cannot run there.
 */

/* Install the handlers; once, from main(). */
void crash_install(void);

/*
 * The handler's first two steps, for another fatal handler (the SIGSYS
 * one of sandbox.c): the terminal back, the state record crashed.
 * Async-signal safe.
 */
void crash_restore(int sig);

/* The terminal @fd was put in raw mode; @saved is its mode before. */
void crash_note_tty(int fd, const struct termios *saved);
/* The terminal was restored. */
void crash_forget_tty(void);

#endif
