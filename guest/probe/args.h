/*
 * Typed "probe.*=" arguments from the command line. A value that is
 * malformed or out of range is "PROBE FAIL args: ..." and a reset, so a
 * mistyped test never runs with a default it did not ask for.
 */
#ifndef PROBE_ARGS_H
#define PROBE_ARGS_H

#include "types.h"

/* Decimal @lo..@hi, or @def if @key is absent. */
u32 arg_u32(const char *key, u32 def, u32 lo, u32 hi);
/* Hexadecimal ("5a" or "0x5a") @lo..@hi, or @def if @key is absent. */
u32 arg_hex(const char *key, u32 def, u32 lo, u32 hi);
/* @key=@a|@b, @a if absent: true for @b. */
bool arg_choice(const char *key, const char *a, const char *b);
/*
 * The value of @key copied into @val (@size bytes with the NUL), or @def
 * if absent; a longer value than fits is a FAIL. True if @key was given.
 */
bool arg_str(const char *key, const char *def, char *val, size_t size);

#endif
