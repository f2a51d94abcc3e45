/* The few C library functions the probe needs (gcc may emit calls to mem*). */
#ifndef PROBE_LIB_H
#define PROBE_LIB_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* Length of @s, at most @max. */
size_t strnlen(const char *s, size_t max);
int strncmp(const char *a, const char *b, size_t n);
/* Decimal digits only: 0, -EINVAL (empty, other characters) or -ERANGE. */
int str_to_u32(const char *s, u32 *out);

#endif
