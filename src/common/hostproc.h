/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_HOSTPROC_H
#define VESSEL_HOSTPROC_H

/*
 * What vessel and vesseld both do as host processes: take the signals
 * they act on (SIGTERM, SIGINT, SIGQUIT, SIGHUP) through a signalfd, and
 * run a host hook command in a child.
 */

/*
 * Ignore SIGPIPE, block SIGTERM/SIGINT/SIGQUIT/SIGHUP in the calling
 * thread (threads created later inherit it) and return a non-blocking
 * signalfd for them, or -errno.
 */
int hostproc_signalfd(void);

/*
 * For a thread that is not the main one: block every signal but @keep (0:
 * none; a vCPU's kick) and the synchronous fault signals, which must reach
 * the crash handler (terminal back, state file) instead of killing the
 * process silently as a blocked one does.
 */
void hostproc_thread_sigmask(int keep);

/*
 * In a forked child: undo the parent's signal setup, make a process group
 * of its own (so a timeout can stop the whole hook), set VESSEL_NAME
 * (@name, "" when NULL) and VESSEL_PID (the parent), send stdout to
 * stderr (vessel's stdout is the guest's console) and exec `sh -c @cmd`.
 * The caller sets its own variables first. Never returns.
 */
__attribute__((noreturn)) void hostproc_exec_hook(const char *cmd,
						  const char *name);

#endif
