// SPDX-License-Identifier: Apache-2.0
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char log_prefix[96] = "vessel";
static enum log_level log_level = LOG_INFO;

void log_init(const char *prog, const char *guest)
{
	if (guest && *guest)
		snprintf(log_prefix, sizeof(log_prefix), "%s[%s]", prog, guest);
	else
		snprintf(log_prefix, sizeof(log_prefix), "%s", prog);
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

static const char *const level_names[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DBG] = "debug: ",
};

/* Error lines so far: a caller adds its own only where none was said. */
static unsigned int log_errors;

unsigned int log_error_count(void)
{
	return __atomic_load_n(&log_errors, __ATOMIC_RELAXED);
}

void log_msg(enum log_level level, int errnum, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level == LOG_ERR)
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "%s: %s", log_prefix,
		     level_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 64)
		n = sizeof(line) - 64;
	if (errnum)
		n += snprintf(line + n, sizeof(line) - n, ": %s",
			      strerror(errnum));
	line[n++] = '\n';
	/* One write per line so vCPU threads do not interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
