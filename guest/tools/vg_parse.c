// SPDX-License-Identifier: Apache-2.0
/*
 * vessel-guest's pure parsing: the command line, durations, region
 * names, the ivshmem name capability in PCI config space and sysfs
 * `resource` lines. No I/O, so the unit tests feed it hostile input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/lifecycle.h"
#include "vg.h"

/* PCI config space (PCI Local Bus 3.0, 6.2 and 6.7). */
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_CAP_ID_VNDR 0x09
#define PCI_STD_HEADER_END 0x40
/* At most 48 capabilities fit in 192 bytes: a longer walk is a loop. */
#define PCI_CAP_WALK_MAX 48

/* Which verbs take an option. */
#define ON(v) (1u << (v))

enum opt_key { OPT_LIMIT, OPT_REGION, OPT_PEER };

struct option_def {
	const char *name;
	enum opt_key key;
	unsigned verbs;
};

static const struct option_def options[] = {
	{ "--wait-ack", OPT_LIMIT, ON(VG_NOTIFY) },
	{ "--timeout", OPT_LIMIT, ON(VG_WAIT_REQUEST) },
	{ "--region", OPT_REGION,
	  ON(VG_NOTIFY) | ON(VG_WAIT_REQUEST) | ON(VG_RING) },
	{ "--peer", OPT_PEER, ON(VG_NOTIFY) | ON(VG_WAIT_REQUEST) },
};

static const struct {
	const char *word;
	enum vg_verb verb;
	int positionals;
} verbs[] = {
	{ "notify", VG_NOTIFY, 1 }, { "wait-request", VG_WAIT_REQUEST, 0 },
	{ "ring", VG_RING, 1 },	    { "list", VG_LIST, 0 },
	{ "help", VG_HELP, 0 },	    { "--help", VG_HELP, 0 },
	{ "-h", VG_HELP, 0 },
};

static int fail(char *why, size_t whysize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decimal digits at *@s into *@v (at most 18, so no overflow); count. */
static int digits(const char **s, u64 *v)
{
	int n = 0;

	*v = 0;
	while (**s >= '0' && **s <= '9' && n < 18) {
		*v = *v * 10 + (u64)(**s - '0');
		(*s)++;
		n++;
	}
	return n;
}

/* ms per unit; 0 for an unknown unit. */
static u64 unit_ms(const char *u)
{
	if (!*u || !strcmp(u, "s"))
		return 1000;
	if (!strcmp(u, "ms"))
		return 1;
	if (!strcmp(u, "m"))
		return 60000;
	return 0;
}

int vg_parse_duration(const char *s, u64 *ms)
{
	u64 whole, frac = 0, scale = 1, unit;
	int nw, nf = 0;

	nw = digits(&s, &whole);
	if (*s == '.') {
		s++;
		nf = digits(&s, &frac);
		if (!nf || nf > 6)
			return -EINVAL;
		for (int i = 0; i < nf; i++)
			scale *= 10;
	}
	unit = unit_ms(s);
	if (!nw || !unit || whole > VG_DURATION_MAX_MS)
		return -EINVAL;
	/* The fraction must come to whole milliseconds. */
	if ((frac * unit) % scale)
		return -EINVAL;
	*ms = whole * unit + frac * unit / scale;
	return *ms <= VG_DURATION_MAX_MS ? 0 : -EINVAL;
}

int vg_name_check(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= VG_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}

static int parse_peer(const char *s, int *peer)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v >= VG_PEERS_MAX)
		return -EINVAL;
	*peer = (int)v;
	return 0;
}

/* The value of option @opt (index into options[]) into @a. */
static int set_option(struct vg_args *a, size_t opt, const char *val, char *why,
		      size_t whysize)
{
	const char *name = options[opt].name;

	switch (options[opt].key) {
	case OPT_LIMIT:
		a->has_limit = true;
		if (vg_parse_duration(val, &a->limit_ms))
			return fail(
				why, whysize,
				"%s %s: not a duration (5s, 500ms, 2m, up to 24 h)",
				name, val);
		return 0;
	case OPT_REGION:
		a->region = val;
		if (vg_name_check(val))
			return fail(
				why, whysize,
				"--region %s: names are 1-31 of [A-Za-z0-9._-], not starting with '.'",
				val);
		return 0;
	case OPT_PEER:
		if (parse_peer(val, &a->peer))
			return fail(why, whysize,
				    "--peer %s: a peer is 0 to %d", val,
				    VG_PEERS_MAX - 1);
		return 0;
	}
	return -EINVAL;
}

/* One "--name VALUE" or "--name=VALUE" at @argv[*i]; advances *@i. */
static int parse_option(struct vg_args *a, int argc, char *const argv[], int *i,
			unsigned *seen, char *why, size_t whysize)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *val;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

	for (size_t o = 0; o < ARRAY_SIZE(options); o++) {
		if (strlen(options[o].name) != len ||
		    strncmp(options[o].name, arg, len))
			continue;
		if (!(options[o].verbs & ON(a->verb)))
			return fail(why, whysize, "%s does not take %s",
				    argv[1], options[o].name);
		if (*seen & (1u << o))
			return fail(why, whysize, "%s given twice",
				    options[o].name);
		*seen |= 1u << o;
		if (eq) {
			val = eq + 1;
		} else if (*i + 1 < argc) {
			val = argv[++*i];
		} else {
			return fail(why, whysize, "%s needs a value",
				    options[o].name);
		}
		return set_option(a, o, val, why, whysize);
	}
	return fail(why, whysize, "unknown option %.*s", (int)len, arg);
}

/* The positional argument of notify (STATE) or ring (PEER). */
static int set_positional(struct vg_args *a, const char *arg, char *why,
			  size_t whysize)
{
	int st;

	if (a->verb == VG_RING) {
		if (parse_peer(arg, &a->peer))
			return fail(why, whysize, "ring %s: a peer is 0 to %d",
				    arg, VG_PEERS_MAX - 1);
		return 0;
	}
	st = lifecycle_state_parse(arg);
	if (st <= LIFECYCLE_UNKNOWN)
		return fail(
			why, whysize,
			"notify %s: the state is one of running, shutting-down, rebooting, halted",
			arg);
	a->state = (u32)st;
	return 0;
}

static int find_verb(const char *word)
{
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
		if (!strcmp(verbs[v].word, word))
			return (int)v;
	return -1;
}

int vg_parse_args(int argc, char *const argv[], struct vg_args *a, char *why,
		  size_t whysize)
{
	unsigned seen = 0;
	int v, npos = 0, ret;

	*a = (struct vg_args){ .peer = -1, .region = VG_LIFECYCLE_REGION };
	if (argc < 2)
		return fail(why, whysize, "no command");
	v = find_verb(argv[1]);
	if (v < 0)
		return fail(why, whysize, "unknown command %s", argv[1]);
	a->verb = verbs[v].verb;
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2))
			ret = parse_option(a, argc, argv, &i, &seen, why,
					   whysize);
		else if (npos++ < verbs[v].positionals)
			ret = set_positional(a, argv[i], why, whysize);
		else
			ret = fail(why, whysize, "%s: unexpected argument %s",
				   argv[1], argv[i]);
		if (ret)
			return ret;
	}
	if (npos < verbs[v].positionals)
		return fail(why, whysize, "%s needs %s", argv[1],
			    a->verb == VG_RING ? "a PEER" : "a STATE");
	return 0;
}

/* The name in the vendor capability at @pos, if it holds a valid one. */
static int vendor_name(const u8 *cfg, size_t len, size_t pos, char *name)
{
	size_t caplen = cfg[pos + 2], n;

	if (caplen < 4 || pos + caplen > len)
		return -ENOENT;
	n = strnlen((const char *)cfg + pos + 3, caplen - 3);
	if (n == caplen - 3 || n >= VG_NAME_MAX)
		return -ENOENT; /* not terminated inside the capability */
	memcpy(name, cfg + pos + 3, n + 1);
	return vg_name_check(name) ? -ENOENT : 0;
}

int vg_cap_name(const u8 *cfg, size_t len, char *name)
{
	size_t pos;

	if (len < PCI_STD_HEADER_END ||
	    !(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	pos = cfg[PCI_CAPABILITY_LIST] & ~3u;
	for (int n = 0; n < PCI_CAP_WALK_MAX; n++) {
		/* Pointers into the standard header or past what we read end it. */
		if (pos < PCI_STD_HEADER_END || pos + 3 > len)
			return -ENOENT;
		if (cfg[pos] == PCI_CAP_ID_VNDR &&
		    !vendor_name(cfg, len, pos, name))
			return 0;
		pos = cfg[pos + 1] & ~3u;
	}
	return -ENOENT;
}

int vg_parse_resource(const char *text, int bar, u64 *start, u64 *size)
{
	unsigned long long s, e, f;
	const char *line = text;

	for (int i = 0; i < bar; i++) {
		line = strchr(line, '\n');
		if (!line)
			return -ENOENT;
		line++;
	}
	if (!*line)
		return -ENOENT;
	if (sscanf(line, "%llx %llx %llx", &s, &e, &f) != 3)
		return -EINVAL;
	if (!s && !e)
		return -ENOENT; /* not implemented or not assigned */
	if (e < s)
		return -EINVAL;
	*start = s;
	*size = e - s + 1;
	return 0;
}
