// SPDX-License-Identifier: Apache-2.0
#include "textfile.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

void textfile_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	buf[0] = '\0';
	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	if (n >= size - 1)
		fail_msg("%s: more than %zu bytes", path, size - 2);
	buf[n] = '\0';
}
