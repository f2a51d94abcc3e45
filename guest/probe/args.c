/* Command-line arguments of the scenarios (args.h). */
#include "args.h"
#include "bootinfo.h"
#include "lib.h"
#include "print.h"

#define ARG_MAX 64

u32 arg_u32(const char *key, u32 def, u32 lo, u32 hi)
{
	char val[ARG_MAX];
	u32 v;

	if (!bootinfo_arg(key, val, sizeof(val)))
		return def;
	if (str_to_u32(val, &v) || v < lo || v > hi)
		probe_abort("args", "%s=%s: want %u..%u", key, val, lo, hi);
	return v;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

u32 arg_hex(const char *key, u32 def, u32 lo, u32 hi)
{
	char val[ARG_MAX];
	const char *p = val;
	u64 v = 0;
	int d = -1;

	if (!bootinfo_arg(key, val, sizeof(val)))
		return def;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p && v <= hi; p++) {
		d = hex_digit(*p);
		if (d < 0)
			break;
		v = v << 4 | (u64)d;
	}
	if (d < 0 || *p || v < lo || v > hi)
		probe_abort("args", "%s=%s: want hex 0x%x..0x%x", key, val, lo,
			    hi);
	return (u32)v;
}

bool arg_choice(const char *key, const char *a, const char *b)
{
	char val[ARG_MAX];

	if (!bootinfo_arg(key, val, sizeof(val)) ||
	    !strncmp(val, a, sizeof(val)))
		return false;
	if (!strncmp(val, b, sizeof(val)))
		return true;
	probe_abort("args", "%s=%s: want %s or %s", key, val, a, b);
}

bool arg_str(const char *key, const char *def, char *val, size_t size)
{
	char buf[BOOT_CMDLINE_MAX];
	size_t len;

	if (!bootinfo_arg(key, buf, sizeof(buf))) {
		len = strnlen(def, size);
		memcpy(val, def, len < size ? len : size - 1);
		val[len < size ? len : size - 1] = 0;
		return false;
	}
	len = strlen(buf);
	if (len >= size)
		probe_abort("args", "%s=%s: at most %u characters", key, buf,
			    (u32)size - 1);
	memcpy(val, buf, len + 1);
	return true;
}
