// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the option parser (src/common/conf.c) on a command line and
 * a guest file, both from the input, as vessel's main() hands them over.
 * A parse must end in 0, -EINVAL (command line) or -EBADMSG (guest
 * file) with a one-line message; after a success every value read back
 * must be one its key allows: a known key, numbers within the key's
 * limits, a choice among its words, each CONF_LIST sub-key one of the
 * spec's with an allowed value, guest names valid; and setting it again
 * must succeed (what was accepted once stays acceptable).
 *
 * Input: the command line's words, each ended by a NUL, up to the first
 * empty word ("\0\0"); the rest is the guest file, opened where a word
 * is '@' followed by anything (a memfd: no path of the host is read).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/common/conf.h"
#include "fuzz.h"

#define MAX_WORDS 64
#define ERR_LEN 256

/* @value is one of the '|' words of @alts, or starts with a "prefix:". */
static bool fuzz_one_of(const char *alts, size_t alen, const char *value)
{
	const char *p = alts, *end = alts + alen;

	while (p < end) {
		const char *bar = memchr(p, '|', end - p);
		size_t n = (bar ? bar : end) - p;

		if (n && p[n - 1] == ':' && !strncmp(value, p, n) && value[n])
			return true;
		if (strlen(value) == n && !strncmp(value, p, n))
			return true;
		p += n + 1;
	}
	return false;
}

/* Every sub-key of @spec, read back from @value, is allowed. */
static void fuzz_check_list(const char *spec, const char *value)
{
	const char *p = spec;

	FUZZ_CHECK(*value);
	while (*p) {
		size_t n = strcspn(p, ","), klen = strcspn(p, "=");
		const char *alts = p + klen + 1;
		char sub[32], out[64], tiny[2];
		int ret;

		FUZZ_CHECK(klen < n && klen < sizeof(sub));
		memcpy(sub, p, klen);
		sub[klen] = '\0';
		ret = conf_sub_get(value, sub, out, sizeof(out));
		FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -E2BIG);
		if (!ret) {
			FUZZ_CHECK(strlen(out) < sizeof(out));
			if (strncmp(alts, "*", n - klen - 1))
				FUZZ_CHECK(
					fuzz_one_of(alts, n - klen - 1, out));
			else
				FUZZ_CHECK(*out);
		}
		ret = conf_sub_get(value, sub, tiny, sizeof(tiny));
		FUZZ_CHECK(ret == -ENOENT || ret == -E2BIG ||
			   (!ret && strlen(tiny) < sizeof(tiny)));
		p += n + (p[n] == ',');
	}
}

static void fuzz_check_names(const char *value)
{
	char *copy = strdup(value), *save, *w;
	int words = 0;

	FUZZ_CHECK(copy);
	for (w = strtok_r(copy, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save), words++)
		FUZZ_CHECK(conf_name_valid(w));
	FUZZ_CHECK(words > 0);
	free(copy);
}

static const struct conf_key *fuzz_key(const char *key)
{
	const struct conf_key *tables[] = { conf_keys, conf_policy_keys };
	const struct conf_key *k;
	unsigned i;

	for (i = 0; i < 2; i++)
		for (k = tables[i]; k->key; k++)
			if (k->key == key) /* the table's own pointer */
				return k;
	return NULL;
}

static void fuzz_check_value(const struct conf *c, const struct conf_value *v)
{
	const struct conf_key *k = fuzz_key(v->key);
	char err[ERR_LEN];
	struct conf again = { 0 };

	FUZZ_CHECK(k);
	FUZZ_CHECK(v->value && v->origin && *v->origin);
	switch (k->kind) {
	case CONF_SIZE:
	case CONF_UINT:
	case CONF_TIME:
		FUZZ_CHECK(v->num >= k->min && v->num <= k->max);
		break;
	case CONF_CHOICE:
		FUZZ_CHECK(
			fuzz_one_of(k->choices, strlen(k->choices), v->value));
		break;
	case CONF_LIST:
		fuzz_check_list(k->choices, v->value);
		break;
	case CONF_NAMES:
		fuzz_check_names(v->value);
		break;
	default:
		FUZZ_CHECK(*v->value);
	}
	/* Later settings win; conf_find_next() walks them all. */
	FUZZ_CHECK(conf_find(c, k->key)->value == conf_get(c, k->key));
	FUZZ_CHECK(conf_set(&again, k->key, v->value, "again", err,
			    sizeof(err)) == 0);
	FUZZ_CHECK(again.nr == 1 && again.v[0].num == v->num);
	conf_free(&again);
}

static void fuzz_check_conf(const struct conf *c)
{
	const struct conf_value *v;
	int i, n = 0;

	for (i = 0; i < c->nr; i++)
		fuzz_check_value(c, &c->v[i]);
	for (i = 0; conf_keys[i].key; i++)
		for (v = conf_find_next(c, conf_keys[i].key, NULL); v;
		     v = conf_find_next(c, conf_keys[i].key, v))
			n++;
	for (i = 0; conf_policy_keys[i].key; i++)
		for (v = conf_find_next(c, conf_policy_keys[i].key, NULL); v;
		     v = conf_find_next(c, conf_policy_keys[i].key, v))
			n++;
	FUZZ_CHECK(n == c->nr);
}

/* The guest file: a memfd holding @len bytes of @p; its path in @path. */
static int fuzz_guest_file(const u8 *p, size_t len, char *path, size_t size)
{
	int fd = memfd_create("fuzz-guest.conf", MFD_CLOEXEC);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, p, len) == (ssize_t)len);
	snprintf(path, size, "@/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_WORDS], file[64];
	char err[ERR_LEN] = "";
	struct conf c = { 0 };
	size_t at = 0;
	int argc = 0, fd, ret, i;

	FUZZ_CHECK(copy);
	memcpy(copy, data, size);
	copy[size] = '\0';
	while (at < size && copy[at] && argc < MAX_WORDS) {
		argv[argc++] = copy + at;
		at += strlen(copy + at) + 1;
	}
	at += at < size; /* the empty word */
	fd = fuzz_guest_file(data + MIN(at, size), size - MIN(at, size), file,
			     sizeof(file));
	for (i = 0; i < argc; i++)
		if (argv[i][0] == '@' && argv[i][1])
			argv[i] = file;
	ret = conf_parse_args(&c, argc, argv, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -EBADMSG);
	if (ret)
		FUZZ_CHECK(*err && strlen(err) < sizeof(err));
	else

		fuzz_check_conf(&c);
	conf_free(&c);
	close(fd);
	free(copy);
	return 0;
}
