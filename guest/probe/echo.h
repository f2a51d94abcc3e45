/* The "echo" scenario's body: one line received by interrupt. */
#ifndef PROBE_ECHO_H
#define PROBE_ECHO_H

#include "madt.h"

/*
 * Route COM1's IRQ through the I/O APIC, enable the receive interrupt,
 * print "PROBE READY echo" and collect one line (up to CR or LF) into
 * @line while halted. Returns 0, -ETIMEDOUT after @timeout_us, or the
 * routing error.
 */
int echo_read_line(const struct madt_info *m, char *line, size_t size,
		   u64 timeout_us);

#endif
