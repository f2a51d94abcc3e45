/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_CONF_H
#define VESSEL_CONF_H

/*
 * Options: `--key value` on the command line, `key value` lines in a guest
 * file (`vessel @guest.conf`). Later settings win. Every value is checked
 * against its key's kind when it is set, so a bad value is reported with
 * the file and line (or the option) it came from.
 */

#include "types.h"

enum conf_kind {
	CONF_STRING, /* any non-empty text */
	CONF_PATH, /* a file path (existence is checked by its user) */
	CONF_SIZE, /* bytes with an optional K/M/G/T suffix, within min..max */
	CONF_UINT, /* a decimal integer within min..max */
	CONF_TIME, /* a duration: 500ms, 5s, 2m; stored in ms, within min..max */
	CONF_CHOICE, /* one of the '|'-separated words in @choices, or a prefix
		      * ending in ':' followed by an argument (file:PATH) */
	CONF_LIST, /* device options "k=v,k=v": @choices is
		    * "model=a|b,action=c|d" (a value "*" takes any text) */
	CONF_NAMES, /* one or more guest names (conf_name_valid), blank-separated */
};

struct conf_key {
	const char *key;
	enum conf_kind kind;
	u64 min, max; /* CONF_SIZE, CONF_UINT, CONF_TIME */
	const char *choices; /* CONF_CHOICE, CONF_LIST: the words allowed */
	const char *help_arg; /* e.g. "SIZE" */
	const char *help; /* one line for --help */
};

/* The table of every key vessel knows, terminated by key == NULL. */
extern const struct conf_key conf_keys[];
/*
 * vesseld's policy keys (on-reboot, after, ...), terminated by key == NULL.
 * A guest file may hold them so that it serves vessel and vesseld alike:
 * vessel checks their values like any key's, then ignores them. On the
 * command line vessel refuses them, since it would not act on them.
 */
extern const struct conf_key conf_policy_keys[];

struct conf_value {
	const char *key;
	char *value;
	u64 num; /* parsed number for SIZE/UINT/TIME */
	char *origin; /* "guest.conf:12" or "--mem" */
};

struct conf {
	struct conf_value *v;
	int nr, cap;
};

/*
 * Parse argv (without argv[0]). `@FILE` arguments read guest files in
 * place. On error, writes one line "origin: message" to @err and returns
 * -EINVAL for a command-line error or -EBADMSG for a guest-file error, so
 * main() can pick exit 64 or 65. --help/--version are not handled here.
 */
int conf_parse_args(struct conf *c, int argc, char *const argv[], char *err,
		    size_t errlen);
/* Parse one guest file; same error contract (always -EBADMSG or -ENOENT). */
int conf_parse_file(struct conf *c, const char *path, char *err, size_t errlen);
/* Set one key from text; @origin names where it came from. */
int conf_set(struct conf *c, const char *key, const char *value,
	     const char *origin, char *err, size_t errlen);

/* The last value of @key, or NULL when unset. */
const char *conf_get(const struct conf *c, const char *key);
/* The last parsed number of @key, or @def when unset. */
u64 conf_get_num(const struct conf *c, const char *key, u64 def);
/* The last conf_value of @key (origin for error messages), or NULL. */
const struct conf_value *conf_find(const struct conf *c, const char *key);

/*
 * Every value of a repeatable key (`--disk` twice), in the order given:
 * the first after @prev (NULL: the first of all), or NULL when no more.
 */
const struct conf_value *conf_find_next(const struct conf *c, const char *key,
					const struct conf_value *prev);

/*
 * Device option lists "name=lifecycle,size=4K": find @sub in @list and copy
 * its value into @out; a bare flag "readonly" reads as "on". Returns 0,
 * -ENOENT when absent, -E2BIG when too long.
 */
int conf_sub_get(const char *list, const char *sub, char *out, size_t outlen);

/*
 * Is @name a guest name: 1-31 of [A-Za-z0-9._-], not "." or ".."? Names
 * become file names (NAME.conf, sockets), hence the strict set.
 */
bool conf_name_valid(const char *name);

/* Parse "512M" etc.; returns -EINVAL on junk or overflow. */
int conf_parse_size(const char *s, u64 *out);
/* Parse "5s", "500ms", "2m", "1h" (bare number = seconds) into ms. */
int conf_parse_time_ms(const char *s, u64 *out);

void conf_free(struct conf *c);

#endif
