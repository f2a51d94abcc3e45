/* Fixed-width types and compiler helpers for the freestanding probe guest. */
#ifndef PROBE_TYPES_H
#define PROBE_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64; /* %llx everywhere, as in Linux */
typedef long long s64;

#define __packed __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define EINVAL 22
#define ENOENT 2
#define ENODEV 19
#define ETIMEDOUT 110
#define ERANGE 34
#define ENOSPC 28
#define EIO 5
#define EBUSY 16

#endif
