/*
 * Byte loops are enough: the probe copies a few hundred bytes at most,
 * and `rep movsb` keeps each copy a single instruction for emulators that
 * charge per instruction (PVM).
 */
#include "lib.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void copy_qwords(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

void fill_qwords(void *dst, u64 v, size_t n)
{
	asm volatile("rep stosq" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
}

size_t cmp_qwords(const void *a, const void *b, size_t n)
{
	size_t left = n;
	bool differ;

	if (!n)
		return 0;
	asm volatile("repe cmpsq"
		     : "+S"(a), "+D"(b), "+c"(left), "=@ccnz"(differ)
		     :
		     : "memory");
	return differ ? n - left - 1 : n;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			break;
	}
	return 0;
}

int str_to_u32(const char *s, u32 *out)
{
	u64 v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (u64)(*s - '0');
		if (v > 0xffffffffull)
			return -ERANGE;
	}
	*out = (u32)v;
	return 0;
}
