// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's configuration: DIR/NAME.conf files parsed by vessel's own
 * conf.c, their policy keys turned into struct config_guest, then the
 * checks across files (names referred to, the `after` order). A load
 * builds a whole new struct config or fails, never half of one, so that
 * `vesselctl reload` with a bad file keeps what runs.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/userid.h"

#define CONFIG_SUFFIX ".conf"

const char *const config_on_keys[CONFIG_ON_NR] = {
	[CONFIG_ON_POWEROFF] = "on-poweroff",
	[CONFIG_ON_REBOOT] = "on-reboot",
	[CONFIG_ON_CRASH] = "on-crash",
	[CONFIG_ON_WATCHDOG] = "on-watchdog",
	[CONFIG_ON_TERMINATED] = "on-terminated",
};

/* Rebooting is the one stop a guest expects to come back from. */
static const enum config_action config_on_defaults[CONFIG_ON_NR] = {
	[CONFIG_ON_REBOOT] = CONFIG_RESTART,
};

static int config_error(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int config_error(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* Add the names of one `after` or `shares-device-with` line, once each. */
static int config_refs_add(struct config_ref **refs, int *nr,
			   const struct conf_value *v)
{
	const char *p = v->value + strspn(v->value, " \t");

	while (*p) {
		size_t n = strcspn(p, " \t");
		struct config_ref *r;
		int i;

		for (i = 0; i < *nr; i++)
			if (strlen((*refs)[i].name) == n &&
			    !strncmp((*refs)[i].name, p, n))
				break;
		if (i == *nr) {
			/* conf.c checked the name: n < CONFIG_NAME_MAX. */
			r = realloc(*refs, (*nr + 1) * sizeof(**refs));
			if (!r)
				return -ENOMEM;
			*refs = r;
			r += (*nr)++;
			snprintf(r->name, sizeof(r->name), "%.*s", (int)n, p);
			r->origin = v->origin;
			r->index = -1;
		}
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

static int config_refs_read(struct config_guest *g)
{
	const struct conf *c = &g->conf;
	int i, ret = 0;

	for (i = 0; i < c->nr && !ret; i++) {
		if (!strcmp(c->v[i].key, "after"))
			ret = config_refs_add(&g->after, &g->nr_after,
					      &c->v[i]);
		else if (!strcmp(c->v[i].key, "shares-device-with"))
			ret = config_refs_add(&g->shares, &g->nr_shares,
					      &c->v[i]);
	}
	return ret;
}

static void config_policy_read(struct config_guest *g)
{
	const struct conf *c = &g->conf;
	struct backoff_policy *b = &g->backoff;
	int i;

	for (i = 0; i < CONFIG_ON_NR; i++) {
		const char *v = conf_get(c, config_on_keys[i]);

		g->on[i] = config_on_defaults[i];
		if (v)
			g->on[i] = strcmp(v, "restart") ? CONFIG_STOP :
							  CONFIG_RESTART;
	}
	*b = backoff_defaults;
	b->delay_ms = conf_get_num(c, "restart-delay", b->delay_ms);
	b->factor = conf_get_num(c, "restart-factor", b->factor);
	b->max_delay_ms = conf_get_num(c, "restart-max-delay", b->max_delay_ms);
	b->quiet_ms = conf_get_num(c, "restart-quiet", b->quiet_ms);
	b->limit = conf_get_num(c, "restart-limit", b->limit);
	b->window_ms = conf_get_num(c, "restart-window", b->window_ms);
	g->stop_timeout_ms = conf_get_num(c, "stop-timeout", 30000);
	g->autostart = !conf_get(c, "autostart") ||
		       strcmp(conf_get(c, "autostart"), "no");
	g->shutdown_hook = conf_get(c, "on-guest-shutdown-hook");
}

/* `user` and `group` name someone the system knows (userid.h). */
static int config_user_check(const struct config_guest *g, char *err,
			     size_t errlen)
{
	const struct conf_value *user = conf_find(&g->conf, "user");
	const struct conf_value *group = conf_find(&g->conf, "group");
	struct userid id;
	char why[512];

	if (group && !user)
		return config_error(err, errlen, -EBADMSG,
				    "%s: group: only with `user`",
				    group->origin);
	if (user &&
	    userid_resolve(&id, user->value, group ? group->value : NULL, why,
			   sizeof(why)))
		return config_error(err, errlen, -EBADMSG, "%s: %s",
				    user->origin, why);
	return 0;
}

/* The checks of one file that conf.c's per-key checks cannot make. */
static int config_guest_check(const struct config_guest *g, char *err,
			      size_t errlen)
{
	const struct conf_value *name = conf_find(&g->conf, "name");
	const struct conf_value *max = conf_find(&g->conf, "restart-max-delay");
	const struct conf_value *delay = conf_find(&g->conf, "restart-delay");

	if (name && strcmp(name->value, g->name))
		return config_error(
			err, errlen, -EBADMSG,
			"%s: name: '%s' differs from the file's name '%s' (vesseld names a guest by its file)",
			name->origin, name->value, g->name);
	if (!conf_get(&g->conf, "kernel"))
		return config_error(
			err, errlen, -EBADMSG,
			"%s: no 'kernel' line (vessel cannot start the guest without one)",
			g->path);
	if (config_user_check(g, err, errlen))
		return -EBADMSG;
	if (g->backoff.max_delay_ms < g->backoff.delay_ms)
		return config_error(
			err, errlen, -EBADMSG,
			"%s: restart-max-delay %llums is below restart-delay %llums",
			(max ? max : delay)->origin,
			(unsigned long long)g->backoff.max_delay_ms,
			(unsigned long long)g->backoff.delay_ms);
	return 0;
}

int config_load_guest(struct config_guest *g, const char *path,
		      const char *name, char *err, size_t errlen)
{
	int ret;

	memset(g, 0, sizeof(*g));
	if (!conf_name_valid(name))
		return config_error(
			err, errlen, -EBADMSG,
			"%s: '%s' is not a guest name (1-31 of A-Z a-z 0-9 . _ -)",
			path, name);
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->path = strdup(path);
	if (!g->path)
		return config_error(err, errlen, -ENOMEM, "%s: out of memory",
				    path);
	ret = conf_parse_file(&g->conf, path, err, errlen);
	if (!ret) {
		config_policy_read(g);
		ret = config_refs_read(g);
		if (ret)
			config_error(err, errlen, ret, "%s: out of memory",
				     path);
	}
	if (!ret)
		ret = config_guest_check(g, err, errlen);
	if (ret)
		config_guest_free(g);
	return ret;
}

int config_index(const struct config *cfg, const char *name)
{
	int lo = 0, hi = cfg->nr;

	/* guests[] is sorted by name (config_scan). */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int cmp = strcmp(cfg->guests[mid].name, name);

		if (!cmp)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int config_refs_resolve(const struct config *cfg,
			       struct config_ref *refs, int nr, const char *key,
			       char *err, size_t errlen)
{
	int i;

	for (i = 0; i < nr; i++) {
		refs[i].index = config_index(cfg, refs[i].name);
		if (refs[i].index < 0)
			return config_error(
				err, errlen, -EBADMSG,
				"%s: %s: no guest '%s' (there is no %s/%s.conf)",
				refs[i].origin, key, refs[i].name, cfg->dir,
				refs[i].name);
	}
	return 0;
}

/* Every `after` and `shares-device-with` name is one of @cfg's guests. */
static int config_resolve(struct config *cfg, char *err, size_t errlen)
{
	int i, ret = 0;

	for (i = 0; i < cfg->nr && !ret; i++) {
		struct config_guest *g = &cfg->guests[i];

		ret = config_refs_resolve(cfg, g->after, g->nr_after, "after",
					  err, errlen);
		if (!ret)
			ret = config_refs_resolve(cfg, g->shares, g->nr_shares,
						  "shares-device-with", err,
						  errlen);
	}
	return ret;
}

static int config_select(const struct dirent *d)
{
	size_t n = strlen(d->d_name), s = strlen(CONFIG_SUFFIX);

	return n > s && !strcmp(d->d_name + n - s, CONFIG_SUFFIX);
}

/* Names, not the locale's collation: the order must not vary by host. */
static int config_sort(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int config_load_entry(struct config_guest *g, const char *dir,
			     const char *file, char *err, size_t errlen)
{
	char path[4096], name[256];
	struct stat st;

	snprintf(name, sizeof(name), "%.*s",
		 (int)(strlen(file) - strlen(CONFIG_SUFFIX)), file);
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return config_error(err, errlen, -ENAMETOOLONG,
				    "%s/%s: path too long", dir, file);
	if (stat(path, &st))
		return config_error(err, errlen, -errno, "%s: %s", path,
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return config_error(err, errlen, -EBADMSG,
				    "%s: not a regular file", path);
	return config_load_guest(g, path, name, err, errlen);
}

/* Load each DIR/NAME.conf into cfg->guests, in name order. */
static int config_scan(struct config *cfg, char *err, size_t errlen)
{
	struct dirent **list;
	int n, i, ret = 0;

	n = scandir(cfg->dir, &list, config_select, config_sort);
	if (n < 0)
		return config_error(err, errlen, -errno, "%s: %s", cfg->dir,
				    strerror(errno));
	cfg->guests = calloc(n ? n : 1, sizeof(*cfg->guests));
	if (!cfg->guests)
		ret = config_error(err, errlen, -ENOMEM, "%s: out of memory",
				   cfg->dir);
	for (i = 0; i < n && !ret; i++) {
		ret = config_load_entry(&cfg->guests[i], cfg->dir,
					list[i]->d_name, err, errlen);
		if (!ret)
			cfg->nr++;
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return ret;
}

/*
 * Absolute, so that a vessel started from elsewhere finds @path; symlinks
 * are kept, so messages name the directory as the operator knows it.
 */
static int config_dir_absolute(struct config *cfg, const char *dir)
{
	char *cwd;
	int n;

	if (dir[0] == '/') {
		cfg->dir = strdup(dir);
		return cfg->dir ? 0 : -ENOMEM;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return -errno;
	n = asprintf(&cfg->dir, "%s/%s", cwd, dir);
	free(cwd);
	if (n < 0) {
		cfg->dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

int config_load(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	/* "" would become the working directory: never what was meant. */
	if (!*dir)
		return config_error(
			err, errlen, -EINVAL,
			"the configuration directory is an empty path");
	ret = config_dir_absolute(cfg, dir);
	if (ret)
		return config_error(err, errlen, ret, "%s: %s", dir,
				    strerror(-ret));
	ret = config_scan(cfg, err, errlen);
	if (!ret)
		ret = config_resolve(cfg, err, errlen);
	if (!ret)
		ret = order_build(&cfg->order, cfg, err, errlen);
	if (ret)
		config_free(cfg);
	return ret;
}

bool config_guest_equal(const struct config_guest *a,
			const struct config_guest *b)
{
	int i;

	if (strcmp(a->name, b->name) || a->conf.nr != b->conf.nr)
		return false;
	for (i = 0; i < a->conf.nr; i++)
		if (strcmp(a->conf.v[i].key, b->conf.v[i].key) ||
		    strcmp(a->conf.v[i].value, b->conf.v[i].value))
			return false;
	return true;
}

void config_guest_free(struct config_guest *g)
{
	free(g->path);
	conf_free(&g->conf);
	free(g->after);
	free(g->shares);
	memset(g, 0, sizeof(*g));
}

void config_free(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nr; i++)
		config_guest_free(&cfg->guests[i]);
	free(cfg->guests);
	free(cfg->dir);
	order_free(&cfg->order);
	memset(cfg, 0, sizeof(*cfg));
}
