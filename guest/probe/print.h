/*
 * The probe's console protocol. Every line starts with "PROBE ":
 *   PROBE BOOT                    first line, timed by benchmarks
 *   PROBE PASS <step>[: detail]   a step succeeded
 *   PROBE FAIL <step>: <why>      a step failed
 *   PROBE READY <step>            the guest waits for host input
 *   PROBE INFO ...                informational
 */
#ifndef PROBE_PRINT_H
#define PROBE_PRINT_H

#include "types.h"

/* Format into @buf (always NUL-terminated); returns the length written. */
int probe_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__printf(3, 0);
int probe_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Print one whole line ("\n" appended); safe to call from several CPUs. */
void probe_line(const char *fmt, ...) __printf(1, 2);
void probe_info(const char *fmt, ...) __printf(1, 2);
/* @fmt may be NULL for a bare "PROBE PASS <step>". */
void probe_pass(const char *step, const char *fmt, ...) __printf(2, 3);
void probe_fail(const char *step, const char *fmt, ...) __printf(2, 3);
/* FAIL, then reset by triple fault: the scenario cannot continue. */
__noreturn void probe_abort(const char *step, const char *fmt, ...)
	__printf(2, 3);

#endif
