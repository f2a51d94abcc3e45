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
/*
 * Bulk moves of @n 8-byte words as one `rep movsq` / `rep stosq` /
 * `repe cmpsq`: under an emulating hypervisor (kvm_pvm) each iteration
 * of a string instruction costs a fraction of an emulated instruction,
 * and a byte loop over a MiB takes seconds. @dst and @src need no
 * alignment.
 */
void copy_qwords(void *dst, const void *src, size_t n);
void fill_qwords(void *dst, u64 v, size_t n);
/* Index of the first differing word, @n if all are equal. */
size_t cmp_qwords(const void *a, const void *b, size_t n);
/* Decimal digits only: 0, -EINVAL (empty, other characters) or -ERANGE. */
int str_to_u32(const char *s, u32 *out);

#endif
