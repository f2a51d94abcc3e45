/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole small files in system tests: read one as text, failing the test
 * when it cannot be read or does not fit.
 */
#ifndef VESSEL_TEST_TEXTFILE_H
#define VESSEL_TEST_TEXTFILE_H

#include <stddef.h>

/* @path's contents into @buf (@size bytes with the NUL), or fail the test. */
void textfile_read(const char *path, char *buf, size_t size);

#endif
