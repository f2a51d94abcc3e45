// SPDX-License-Identifier: Apache-2.0
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How much of an unknown key an error message shows (conf_shown). */
#define CONF_SHOWN_MAX 68
/* The longest value: a kernel command line's 64 KiB (BOOT_CMDLINE_MAX). */
#define CONF_VALUE_MAX 65535

static int conf_error(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int conf_error(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * An unknown key or argument as an error message shows it: cut to a
 * line, each byte that is not printable ASCII as '?', so that a binary
 * file sends no escape sequences to the terminal and no megabyte-long line.
 */
static const char *conf_shown(const char *s, char *buf, size_t len)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n && i < len - 1; i++)
		buf[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	if (n > len - 1)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

static const struct conf_key *conf_table_find(const struct conf_key *table,
					      const char *key)
{
	const struct conf_key *k;

	for (k = table; k->key; k++)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

/* vessel's own keys first, then vesseld's policy keys. */
static const struct conf_key *conf_key_find(const char *key)
{
	const struct conf_key *k = conf_table_find(conf_keys, key);

	return k ? k : conf_table_find(conf_policy_keys, key);
}

/* Multiply-with-suffix, refusing anything that overflows 64 bits. */
static int conf_parse_scaled(const char *s, const char *const *suffixes,
			     const u64 *scale, u64 *out)
{
	unsigned long long v;
	char *end;
	int i;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; suffixes[i]; i++) {
		if (strcasecmp(end, suffixes[i]))
			continue;
		if (v > UINT64_MAX / scale[i])
			return -EINVAL;
		*out = v * scale[i];
		return 0;
	}
	return -EINVAL;
}

int conf_parse_size(const char *s, u64 *out)
{
	static const char *const sfx[] = { "",	  "K",	 "M",	"G",  "T",
					   "KB",  "MB",	 "GB",	"TB", "KiB",
					   "MiB", "GiB", "TiB", NULL };
	static const u64 scale[] = { 1,		 1ULL << 10, 1ULL << 20,
				     1ULL << 30, 1ULL << 40, 1ULL << 10,
				     1ULL << 20, 1ULL << 30, 1ULL << 40,
				     1ULL << 10, 1ULL << 20, 1ULL << 30,
				     1ULL << 40 };

	return conf_parse_scaled(s, sfx, scale, out);
}

int conf_parse_time_ms(const char *s, u64 *out)
{
	static const char *const sfx[] = { "", "s", "ms", "m", "h", NULL };
	static const u64 scale[] = { 1000, 1000, 1, 60000, 3600000 };

	return conf_parse_scaled(s, sfx, scale, out);
}

static int conf_parse_uint(const char *s, u64 *out)
{
	static const char *const sfx[] = { "", NULL };
	static const u64 scale[] = { 1 };

	return conf_parse_scaled(s, sfx, scale, out);
}

/* Does @value match one of the '|'-separated words (or "prefix:" forms)? */
static bool conf_choice_ok(const char *choices, const char *value)
{
	const char *p = choices;

	while (*p) {
		size_t n = strcspn(p, "|");

		if (n && p[n - 1] == ':') {
			if (!strncmp(value, p, n) && value[n])
				return true;
		} else if (strlen(value) == n && !strncmp(value, p, n)) {
			return true;
		}
		p += n + (p[n] == '|');
	}
	return false;
}

/* The spec item "key=alts" of @spec whose key is @key (@klen bytes), or NULL. */
static const char *conf_list_spec(const char *spec, const char *key,
				  size_t klen, size_t *len)
{
	const char *p = spec;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			*len = n - klen - 1;
			return p + klen + 1;
		}
		p += n + (p[n] == ',');
	}
	return NULL;
}

/* Is key @key (@klen bytes, at @at inside @list) also given before @at? */
static bool conf_list_seen(const char *list, const char *at, size_t klen)
{
	const char *p = list;

	while (p < at) {
		size_t n = strcspn(p, ",");

		if (!strncmp(p, at, klen) &&
		    (p[klen] == '=' || p[klen] == ',' || !p[klen]))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/*
 * A CONF_LIST value: "k=v,k=v" where each k appears at most once and is
 * one of @spec's keys, and each v is one of that key's '|' words ("*":
 * any non-empty text). A bare "k" stands for "k=on" where "on" is one of
 * k's words (a flag: "readonly"). 0, or -EINVAL with the message in @err.
 */
static int conf_list_check(const struct conf_key *k, const char *value,
			   const char *origin, char *err, size_t errlen)
{
	const char *p = value;

	if (!*value)
		return conf_error(err, errlen, -EINVAL, "%s: %s needs %s",
				  origin, k->key, k->help_arg);
	while (*p) {
		size_t n = strcspn(p, ","), klen = strcspn(p, "=,"), alen = 0;
		char alts[128], item[128];
		const char *a = conf_list_spec(k->choices, p, klen, &alen);

		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if (a && klen == n && alen < sizeof(alts)) {
			/* A bare flag: "k" for "k=on". */
			memcpy(alts, a, alen);
			alts[alen] = '\0';
			if (!conf_choice_ok(alts, "on"))
				return conf_error(
					err, errlen, -EINVAL,
					"%s: %s: %s needs a value, one of %s",
					origin, k->key, item, alts);
			if (conf_list_seen(value, p, klen))
				return conf_error(err, errlen, -EINVAL,
						  "%s: %s: %.*s is given twice",
						  origin, k->key, (int)klen, p);
			p += n + (p[n] == ',');
			continue;
		}
		if (!a || klen == n || alen >= sizeof(alts))
			return conf_error(
				err, errlen, -EINVAL,
				"%s: %s: '%s' is not key=value with a key of %s",
				origin, k->key, item, k->help_arg);
		memcpy(alts, a, alen);
		alts[alen] = '\0';
		/* "*" takes any text but none: say so rather than "one of *". */
		if (!strcmp(alts, "*") && !item[klen + 1])
			return conf_error(err, errlen, -EINVAL,
					  "%s: %s: '%s': %.*s needs a value",
					  origin, k->key, item, (int)klen, p);
		if (strcmp(alts, "*") && !conf_choice_ok(alts, item + klen + 1))
			return conf_error(err, errlen, -EINVAL,
					  "%s: %s: '%s': %.*s is one of %s",
					  origin, k->key, item, (int)klen, p,
					  alts);
		if (conf_list_seen(value, p, klen))
			return conf_error(err, errlen, -EINVAL,
					  "%s: %s: %.*s is given twice", origin,
					  k->key, (int)klen, p);
		p += n + (p[n] == ',');
	}
	return 0;
}

bool conf_name_valid(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n && n < 32 && !name[n] && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/* A CONF_NAMES value: blank-separated guest names, at least one. */
static int conf_names_check(const struct conf_key *k, const char *value,
			    const char *origin, char *err, size_t errlen)
{
	const char *p = value + strspn(value, " \t");
	char name[64];

	if (!*p)
		return conf_error(err, errlen, -EINVAL, "%s: %s needs %s",
				  origin, k->key, k->help_arg);
	while (*p) {
		size_t n = strcspn(p, " \t");

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (n >= sizeof(name) || !conf_name_valid(name))
			return conf_error(
				err, errlen, -EINVAL,
				"%s: %s: '%.*s' is not a guest name (1-31 of A-Z a-z 0-9 . _ -)",
				origin, k->key, (int)n, p);
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

static const char *conf_kind_word(enum conf_kind kind)
{
	switch (kind) {
	case CONF_SIZE:
		return "size";
	case CONF_UINT:
		return "number";
	case CONF_TIME:
		return "duration";
	default:
		return "value";
	}
}

/* Check @value against @k; fills *num for numeric kinds. */
static int conf_check(const struct conf_key *k, const char *value, u64 *num,
		      const char *origin, char *err, size_t errlen)
{
	int ret = 0;

	*num = 0;
	switch (k->kind) {
	case CONF_SIZE:
		ret = conf_parse_size(value, num);
		break;
	case CONF_UINT:
		ret = conf_parse_uint(value, num);
		break;
	case CONF_TIME:
		ret = conf_parse_time_ms(value, num);
		break;
	case CONF_LIST:
		return conf_list_check(k, value, origin, err, errlen);
	case CONF_NAMES:
		return conf_names_check(k, value, origin, err, errlen);
	case CONF_CHOICE:
		if (conf_choice_ok(k->choices, value))
			return 0;
		return conf_error(err, errlen, -EINVAL,
				  "%s: %s: '%s' is not one of %s", origin,
				  k->key, value, k->choices);
	default:
		if (!*value)
			return conf_error(err, errlen, -EINVAL,
					  "%s: %s needs a value", origin,
					  k->key);
		return 0;
	}
	if (ret)
		return conf_error(err, errlen, -EINVAL,
				  "%s: %s: '%s' is not a valid %s", origin,
				  k->key, value, conf_kind_word(k->kind));
	if (*num < k->min || *num > k->max)
		return conf_error(err, errlen, -ERANGE,
				  "%s: %s: '%s' is out of range", origin,
				  k->key, value);
	return 0;
}

static int conf_append(struct conf *c, const char *key, const char *value,
		       u64 num, const char *origin)
{
	struct conf_value *v;

	if (c->nr == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;

		v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	v = &c->v[c->nr];
	v->key = key;
	v->num = num;
	v->value = strdup(value);
	v->origin = strdup(origin);
	if (!v->value || !v->origin) {
		free(v->value);
		free(v->origin);
		return -ENOMEM;
	}
	c->nr++;
	return 0;
}

int conf_set(struct conf *c, const char *key, const char *value,
	     const char *origin, char *err, size_t errlen)
{
	const struct conf_key *k = conf_key_find(key);
	char shown[CONF_SHOWN_MAX];
	u64 num;
	int ret;

	if (!k)
		return conf_error(err, errlen, -EINVAL,
				  "%s: unknown option '%s'", origin,
				  conf_shown(key, shown, sizeof(shown)));
	if (strlen(value) > CONF_VALUE_MAX)
		return conf_error(
			err, errlen, -E2BIG,
			"%s: %s: value too long (%zu bytes, at most %d)",
			origin, key, strlen(value), CONF_VALUE_MAX);
	ret = conf_check(k, value, &num, origin, err, errlen);
	if (ret)
		return ret;
	/* Keys stay pointers into the static table: no copy needed. */
	ret = conf_append(c, k->key, value, num, origin);
	if (ret)
		return conf_error(err, errlen, ret, "%s: out of memory",
				  origin);
	return 0;
}

const struct conf_value *conf_find(const struct conf *c, const char *key)
{
	int i;

	for (i = c->nr - 1; i >= 0; i--)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

const struct conf_value *conf_find_next(const struct conf *c, const char *key,
					const struct conf_value *prev)
{
	int i;

	for (i = prev ? (int)(prev - c->v) + 1 : 0; i < c->nr; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

const char *conf_get(const struct conf *c, const char *key)
{
	const struct conf_value *v = conf_find(c, key);

	return v ? v->value : NULL;
}

u64 conf_get_num(const struct conf *c, const char *key, u64 def)
{
	const struct conf_value *v = conf_find(c, key);

	return v ? v->num : def;
}

void conf_free(struct conf *c)
{
	int i;

	for (i = 0; i < c->nr; i++) {
		free(c->v[i].value);
		free(c->v[i].origin);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Strip a trailing comment (a '#' at the start or after a blank, outside quotes). */
static void conf_strip_comment(char *s)
{
	char quote = 0;
	char *p;

	for (p = s; *p; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '#' &&
			   (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static char *conf_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	/* Quotes around a whole value are optional: cmdline "a b". */
	if (end - s >= 2 && (*s == '"' || *s == '\'') && end[-1] == *s) {
		end[-1] = '\0';
		s++;
	}
	return s;
}

/*
 * A guest file is text: a control byte (a NUL would silently cut the
 * line short) says the file is not what the operator thinks it is.
 */
static int conf_check_text(const char *line, size_t len, const char *origin,
			   char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char b = line[i];

		if ((b < ' ' && b != '\t' && b != '\r' && b != '\n') ||
		    b == 0x7f)
			return conf_error(
				err, errlen, -EINVAL,
				"%s: control byte 0x%02x at column %zu (not a text file?)",
				origin, b, i + 1);
	}
	return 0;
}

static int conf_parse_line(struct conf *c, char *line, size_t len,
			   const char *origin, char *err, size_t errlen)
{
	char *key, *value;
	int ret = conf_check_text(line, len, origin, err, errlen);

	if (ret)
		return ret;
	conf_strip_comment(line);
	key = line + strspn(line, " \t");
	if (!*key || *key == '\n')
		return 0;
	value = key + strcspn(key, " \t\r\n");
	if (*value)
		*value++ = '\0';
	return conf_set(c, key, conf_trim(value), origin, err, errlen);
}

int conf_parse_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	char origin[512], *line = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;
	struct stat st;
	ssize_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return conf_error(err, errlen, -EBADMSG, "%s: %s", path,
				  strerror(errno));
	/* fopen() opens a directory; its first read would only say EISDIR. */
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		fclose(f);
		return conf_error(err, errlen, -EBADMSG,
				  "%s: is a directory, not a guest file", path);
	}
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		ret = conf_parse_line(c, line, (size_t)len, origin, err,
				      errlen);
	}
	if (!ret && ferror(f))
		ret = conf_error(err, errlen, -EBADMSG, "%s: read error: %s",
				 path, strerror(errno));
	free(line);
	fclose(f);
	return ret ? -EBADMSG : 0;
}

static int conf_parse_option(struct conf *c, int argc, char *const argv[],
			     int *i, char *err, size_t errlen)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	const struct conf_key *k;
	char key[64], origin[80], shown[CONF_SHOWN_MAX];
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, arg, n);
	key[n] = '\0';
	snprintf(origin, sizeof(origin), "--%s", key);
	k = conf_key_find(key);
	if (!k)
		return conf_error(err, errlen, -EINVAL,
				  "unknown option '%s' (see --help)",
				  conf_shown(argv[*i], shown, sizeof(shown)));
	if (!conf_table_find(conf_keys, key))
		return conf_error(
			err, errlen, -EINVAL,
			"%s: '%s' is a vesseld policy key: vessel ignores it, so it belongs in a guest file only",
			origin, key);
	if (eq)
		return conf_set(c, key, eq + 1, origin, err, errlen);
	if (*i + 1 >= argc)
		return conf_error(err, errlen, -EINVAL, "%s needs a value",
				  origin);
	return conf_set(c, key, argv[++*i], origin, err, errlen);
}

int conf_parse_args(struct conf *c, int argc, char *const argv[], char *err,
		    size_t errlen)
{
	int i, ret;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "@")) {
			ret = conf_error(err, errlen, -EINVAL,
					 "'@' needs a guest file name (@FILE)");
		} else if (a[0] == '@') {
			ret = conf_parse_file(c, a + 1, err, errlen);
		} else if (a[0] == '-' && a[1] == '-' && a[2]) {
			ret = conf_parse_option(c, argc, argv, &i, err, errlen);
		} else {
			char shown[CONF_SHOWN_MAX];

			ret = conf_error(
				err, errlen, -EINVAL,
				"unexpected argument '%s' (options are --key value, files @FILE)",
				conf_shown(a, shown, sizeof(shown)));
		}
		if (ret)
			return ret == -EBADMSG ? -EBADMSG : -EINVAL;
	}
	return 0;
}

int conf_sub_get(const char *list, const char *sub, char *out, size_t outlen)
{
	size_t n = strlen(sub);
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, sub, n)) {
			/* A bare flag (conf_list_check): "on". */
			if (outlen < 3)
				return -E2BIG;
			strcpy(out, "on");
			return 0;
		}
		if (len > n && !strncmp(p, sub, n) && p[n] == '=') {
			if (len - n - 1 >= outlen)
				return -E2BIG;
			memcpy(out, p + n + 1, len - n - 1);
			out[len - n - 1] = '\0';
			return 0;
		}
		p += len + (p[len] == ',');
	}
	return -ENOENT;
}
