// SPDX-License-Identifier: Apache-2.0
#include "evlog.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stop events of docs/events.md: exactly one precedes quiesce-start. */
static const char *const stop_events[] = {
	"s5",	       "reboot-requested", "panic",
	"guest-error", "watchdog",	   "terminate",
	"power-cut",   "internal-error",   NULL,
};

static void evlog_add_line(struct evlog *l, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *t;
	struct json_object **ev;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "event", &t)) {
		json_object_put(o);
		l->bad++;
		return;
	}
	ev = realloc(l->ev, (l->n + 1) * sizeof(*ev));
	if (!ev) {
		json_object_put(o);
		l->bad++;
		return;
	}
	l->ev = ev;
	l->ev[l->n++] = o;
}

void evlog_parse(struct evlog *l, const char *text)
{
	char *copy = strdup(text ? text : ""), *save = NULL, *line;

	memset(l, 0, sizeof(*l));
	for (line = strtok_r(copy, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save))
		if (line[0] == '{')
			evlog_add_line(l, line);
	free(copy);
}

int evlog_load(struct evlog *l, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "re");

	memset(l, 0, sizeof(*l));
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		evlog_add_line(l, line);
	}
	free(line);
	fclose(f);
	return 0;
}

void evlog_free(struct evlog *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		json_object_put(l->ev[i]);
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

static struct json_object *evlog_field(const struct evlog *l, int i,
				       const char *key)
{
	struct json_object *v;

	if (i < 0 || i >= l->n || !json_object_object_get_ex(l->ev[i], key, &v))
		return NULL;
	return v;
}

const char *evlog_type(const struct evlog *l, int i)
{
	const char *s = evlog_str(l, i, "event");

	return s ? s : "";
}

int evlog_find(const struct evlog *l, const char *type, int from)
{
	int i;

	for (i = from < 0 ? 0 : from; i < l->n; i++)
		if (!strcmp(evlog_type(l, i), type))
			return i;
	return -1;
}

int evlog_count(const struct evlog *l, const char *type)
{
	int i, n = 0;

	for (i = 0; i < l->n; i++)
		n += !strcmp(evlog_type(l, i), type);
	return n;
}

const char *evlog_str(const struct evlog *l, int i, const char *key)
{
	struct json_object *v = evlog_field(l, i, key);

	return v ? json_object_get_string(v) : NULL;
}

long long evlog_int(const struct evlog *l, int i, const char *key,
		    long long def)
{
	struct json_object *v = evlog_field(l, i, key);

	if (!v || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

double evlog_mono(const struct evlog *l, int i)
{
	struct json_object *v = evlog_field(l, i, "mono");

	if (!v || !(json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)))
		return -1;
	return json_object_get_double(v);
}

static void evlog_print_types(const char *what, const char *const types[],
			      const struct evlog *l)
{
	int i;

	fprintf(stderr, "%s:", what);
	for (i = 0; types ? types[i] != NULL : i < l->n; i++)
		fprintf(stderr, " %s", types ? types[i] : evlog_type(l, i));
	fprintf(stderr, "\n");
}

bool evlog_is(const struct evlog *l, const char *const types[])
{
	int i;

	for (i = 0; types[i] && i < l->n; i++)
		if (strcmp(types[i], evlog_type(l, i)))
			break;
	if (!types[i] && i == l->n)
		return true;
	evlog_print_types("events expected", types, NULL);
	evlog_print_types("events written ", NULL, l);
	return false;
}

static bool evlog_is_stop(const char *type)
{
	int i;

	for (i = 0; stop_events[i]; i++)
		if (!strcmp(type, stop_events[i]))
			return true;
	return false;
}

/* Every line has mono (never decreasing) and wall. */
static bool evlog_times_ok(const struct evlog *l)
{
	double last = 0;
	int i;

	for (i = 0; i < l->n; i++) {
		double t = evlog_mono(l, i);
		const char *wall = evlog_str(l, i, "wall");

		if (t < last || !wall || strlen(wall) != 24 ||
		    wall[10] != 'T' || wall[23] != 'Z') {
			fprintf(stderr, "event %d (%s): bad mono/wall\n", i,
				evlog_type(l, i));
			return false;
		}
		last = t;
	}
	return true;
}

bool evlog_well_formed(const struct evlog *l)
{
	int q = evlog_find(l, "quiesce-start", 0), i, stops = 0;

	if (l->bad || !l->n) {
		fprintf(stderr, "events: %d lines, %d not an event object\n",
			l->n, l->bad);
		return false;
	}
	for (i = 0; i < (q < 0 ? l->n : q); i++)
		stops += evlog_is_stop(evlog_type(l, i));
	if (stops != 1 || strcmp(evlog_type(l, l->n - 1), "exit")) {
		fprintf(stderr,
			"events: %d stop events before quiesce-start, last is '%s'\n",
			stops, evlog_type(l, l->n - 1));
		return false;
	}
	return evlog_times_ok(l);
}

void evlog_dump(const struct evlog *l)
{
	int i;

	fprintf(stderr, "---- events (%d, %d bad lines) ----\n", l->n, l->bad);
	for (i = 0; i < l->n; i++)
		fprintf(stderr, "%s\n", json_object_to_json_string(l->ev[i]));
}

const char *const evlog_power_off_by_button[] = {
	"started",
	"booted",
	"acpi-enabled",
	"power-button-armed",
	"power-button-pressed",
	"power-button-acknowledged",
	"s5",
	"quiesce-start",
	"quiesce-end",
	"exit",
	NULL,
};
