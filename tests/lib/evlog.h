/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_TEST_EVLOG_H
#define VESSEL_TEST_EVLOG_H

/*
 * The lifecycle events a vessel wrote (docs/events.md), parsed with
 * json-c. System tests assert on these facts rather than on vessel's log
 * wording.
 */

#include <stdbool.h>
#include <stddef.h>

struct json_object;

struct evlog {
	struct json_object **ev; /* one object per line, in file order */
	int n;
	int bad; /* lines that were not a JSON object with an "event" */
};

/* Parse every line of @path; 0 or -errno (the file could not be read). */
int evlog_load(struct evlog *l, const char *path);

/* Parse the JSON lines among @text's lines (others are skipped). */
void evlog_parse(struct evlog *l, const char *text);

void evlog_free(struct evlog *l);

/* Event @i's name, or "" past the end. */
const char *evlog_type(const struct evlog *l, int i);

/* Index of the first event named @type at or after @from, or -1. */
int evlog_find(const struct evlog *l, const char *type, int from);

int evlog_count(const struct evlog *l, const char *type);

/*
 * Field @key of event @i as a string (a string field's value, or the
 * JSON text of another type), or NULL if absent.
 */
const char *evlog_str(const struct evlog *l, int i, const char *key);

/* Integer field @key of event @i, or @def if absent or not a number. */
long long evlog_int(const struct evlog *l, int i, const char *key,
		    long long def);

/* Event @i's "mono" time in seconds, or -1. */
double evlog_mono(const struct evlog *l, int i);

/*
 * Whether the event names are exactly @types (NULL-terminated), in that
 * order. Prints both sequences when they differ.
 */
bool evlog_is(const struct evlog *l, const char *const types[]);

/* The whole life of a guest that powers off when its button is pressed. */
extern const char *const evlog_power_off_by_button[];

/*
 * The contract every log keeps: every line an event object with "mono"
 * (never decreasing) and "wall"; exactly one stop event before
 * quiesce-start; the last event is "exit". Prints what is wrong.
 */
bool evlog_well_formed(const struct evlog *l);

/* Print the events (for a failing test's log). */
void evlog_dump(const struct evlog *l);

#endif
