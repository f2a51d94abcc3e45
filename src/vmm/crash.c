// SPDX-License-Identifier: Apache-2.0
#include "crash.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "statefile.h"

/*
 * Process-wide by nature: there is one controlling terminal, and a signal
 * handler can reach nothing else.
 */
static struct termios crash_tio;
static volatile sig_atomic_t crash_tty_fd = -1;

void crash_note_tty(int fd, const struct termios *saved)
{
	crash_tio = *saved;
	crash_tty_fd = fd;
}

void crash_forget_tty(void)
{
	crash_tty_fd = -1;
}

static void crash_say(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0)
		return;
}

void crash_restore(int sig)
{
	if (crash_tty_fd >= 0)
		tcsetattr(crash_tty_fd, TCSANOW, &crash_tio);
	statefile_crash(sig);
}

static void crash_handler(int sig)
{
	crash_restore(sig);
	crash_say("vessel: fatal: ");
	crash_say(strsignal(sig));
	crash_say(": terminal restored; the guest is lost\n");
	signal(sig, SIG_DFL);
	raise(sig);
}

void crash_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_handler = crash_handler,
				.sa_flags = SA_RESETHAND };
	unsigned int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
