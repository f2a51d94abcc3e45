// SPDX-License-Identifier: Apache-2.0
/*
 * The generated man pages ($(BUILD)/man, from the docs/man sources) against the
 * programs: the options each program's --help prints are exactly those its
 * page's OPTIONS section documents, both ways; vessel.conf(5) documents
 * every key of vessel's table and vesseld's, and every exit code and
 * signal `vessel --help` names, as vessel(1) does; and every page renders
 * without a warning from man and groff. The pages are read as the roff
 * that is installed, not as their sources.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "../../src/common/conf.h"
#include "../../src/common/exitcode.h"
#include "../lib/textfile.h"
#include "../lib/vmproc.h"

#define TEXT_MAX (256 * 1024)
#define WORDS_MAX 96
#define WORD_MAX 64

struct words {
	int nr;
	char w[WORDS_MAX][WORD_MAX];
};

/* How a program's --help shows its options. */
enum help_style {
	HELP_OPTION_LINES, /* one indented line per option: "  --name ARG  text" */
	HELP_USAGE_BRACKETS, /* in the usage lines: "[--name ARG]" */
};

static void words_add(struct words *s, const char *w, size_t n)
{
	int i;

	assert_true(n > 0 && n < WORD_MAX);
	for (i = 0; i < s->nr; i++)
		if (strlen(s->w[i]) == n && !strncmp(s->w[i], w, n))
			return;
	assert_true(s->nr < WORDS_MAX);
	memcpy(s->w[s->nr], w, n);
	s->w[s->nr++][n] = '\0';
}

static bool words_has(const struct words *s, const char *w)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->w[i], w))
			return true;
	return false;
}

/* Every word of @a is in @b; the missing ones are printed. */
static bool words_within(const struct words *a, const struct words *b,
			 const char *what)
{
	bool ok = true;
	int i;

	for (i = 0; i < a->nr; i++) {
		if (words_has(b, a->w[i]))
			continue;
		fprintf(stderr, "%s: %s\n", what, a->w[i]);
		ok = false;
	}
	return ok;
}

/* @got (from @page) and @want (from @source) hold the same words. */
static void words_equal(const struct words *got, const struct words *want,
			const char *page, const char *source)
{
	char what[160];
	bool a, b;

	snprintf(what, sizeof(what), "%s has, %s lacks", page, source);
	a = words_within(got, want, what);
	snprintf(what, sizeof(what), "%s has, %s lacks", source, page);
	b = words_within(want, got, what);
	assert_true(a && b);
}

/* stdout and stderr of a shell command; its exit status in *@status. */
static void run_capture(const char *cmd, char *buf, int *status)
{
	FILE *p = popen(cmd, "re");
	size_t n;

	if (!p)
		fail_msg("cannot run %s", cmd);
	n = fread(buf, 1, TEXT_MAX - 1, p);
	buf[n] = '\0';
	*status = pclose(p);
}

/* The directory of $VESSEL: the build directory. */
static void build_dir(char *dir, size_t size)
{
	char *slash;

	snprintf(dir, size, "%s", vessel_path());
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, size, ".");
}

static void page_path(const char *page, char *path, size_t size)
{
	const char *dir = getenv("VESSEL_MAN_DIR");
	char bdir[PATH_MAX - 64];

	if (dir && *dir) {
		snprintf(path, size, "%s/%s", dir, page);
		return;
	}
	build_dir(bdir, sizeof(bdir));
	snprintf(path, size, "%s/man/%s", bdir, page);
}

static void program_path(const char *prog, char *path, size_t size)
{
	char bdir[PATH_MAX - 64];

	if (!strcmp(prog, "vessel"))
		snprintf(path, size, "%s", vessel_path());
	else if (!strcmp(prog, "vesselctl"))
		snprintf(path, size, "%s", vesselctl_path());
	else if (!strcmp(prog, "vesseld") && getenv("VESSELD"))
		snprintf(path, size, "%s", getenv("VESSELD"));
	else if (!strcmp(prog, "vessel-guest") && getenv("VESSEL_GUEST"))
		snprintf(path, size, "%s", getenv("VESSEL_GUEST"));
	else {
		build_dir(bdir, sizeof(bdir));
		snprintf(path, size, "%s/%s", bdir, prog);
	}
}

static void help_text(const char *prog, char *buf)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	int status;

	program_path(prog, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "'%s' --help 2>&1", path);
	run_capture(cmd, buf, &status);
	if (status)
		fail_msg("%s --help: status %d: %s", path, status, buf);
}

static size_t option_len(const char *p)
{
	size_t n = 0;

	if (p[0] != '-' || !(isalnum((unsigned char)p[1]) || p[1] == '-'))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '-')
		n++;
	return n;
}

/*
 * One option line: "  -h, --help  text", "  --offset N, --length N  text".
 * An option, its argument word, and ", " before the next option.
 */
static void help_option_line(const char *p, struct words *s)
{
	size_t n;

	while ((n = option_len(p))) {
		words_add(s, p, n);
		p += n;
		if (*p == ' ' && p[1] != ' ' && p[1] != '-')
			p += 1 + strcspn(p + 1, " ,\n");
		if (strncmp(p, ", -", 3))
			return;
		p += 2;
	}
}

static void help_options(const char *text, enum help_style style,
			 struct words *s)
{
	const char *p = text;

	if (style == HELP_USAGE_BRACKETS) {
		while ((p = strstr(p, "[-"))) {
			p++;
			words_add(s, p, option_len(p));
		}
		return;
	}
	for (; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		const char *q = p + strspn(p, " ");

		if (q > p && *q == '-')
			help_option_line(q, s);
	}
}

/* The roff of section @name: from its .SH line to the next one. */
static const char *section(const char *roff, const char *name, size_t *len)
{
	char head[64];
	const char *p, *end;

	snprintf(head, sizeof(head), "\n.SH %s\n", name);
	p = strstr(roff, head);
	if (!p)
		fail_msg("no section %s", name);
	p += strlen(head);
	end = strstr(p, "\n.SH ");
	*len = end ? (size_t)(end - p) : strlen(p);
	return p;
}

/*
 * The bold words of a section's entry lines (a term, then ".RS 4" with its
 * text). With @dashed only those that start with '-' (options); else only
 * the first (a key, a code, a signal).
 */
static void section_terms(const char *roff, const char *name, bool dashed,
			  struct words *s)
{
	size_t len, n;
	const char *p = section(roff, name, &len), *end = p + len;

	while (p < end) {
		const char *eol = strchr(p, '\n');
		const char *b = p;

		if (!eol || eol >= end || strncmp(eol, "\n.RS 4\n", 7)) {
			p = eol ? eol + 1 : end;
			continue;
		}
		while ((b = strstr(b, "\\fB")) && b < eol) {
			b += 3;
			n = dashed ? option_len(b) : strcspn(b, "\\ ,");
			if (n)
				words_add(s, b, n);
			if (!dashed)
				break;
		}
		p = eol + 1;
	}
}

static void check_options(const char *prog, const char *page,
			  enum help_style style)
{
	static char help[TEXT_MAX], roff[TEXT_MAX];
	struct words from_help = { 0 }, from_page = { 0 };
	char path[PATH_MAX];

	help_text(prog, help);
	help_options(help, style, &from_help);
	assert_true(from_help.nr >= 3);
	page_path(page, path, sizeof(path));
	textfile_read(path, roff, TEXT_MAX);
	section_terms(roff, "OPTIONS", true, &from_page);
	words_equal(&from_page, &from_help, page, "--help");
}

static void test_vessel_options(void **state)
{
	(void)state;
	check_options("vessel", "vessel.1", HELP_OPTION_LINES);
}

static void test_vesselctl_options(void **state)
{
	(void)state;
	check_options("vesselctl", "vesselctl.1", HELP_OPTION_LINES);
}

static void test_vesseld_options(void **state)
{
	(void)state;
	check_options("vesseld", "vesseld.8", HELP_OPTION_LINES);
}

static void test_vessel_guest_options(void **state)
{
	(void)state;
	check_options("vessel-guest", "vessel-guest.1", HELP_USAGE_BRACKETS);
}

static void table_keys(const struct conf_key *table, struct words *s)
{
	for (; table->key; table++)
		words_add(s, table->key, strlen(table->key));
}

/* Both key tables, and every key `vessel --help` lists among them. */
static void test_conf_keys(void **state)
{
	static char help[TEXT_MAX], roff[TEXT_MAX];
	struct words guest = { 0 }, policy = { 0 }, keys = { 0 },
		     pguest = { 0 }, ppolicy = { 0 }, help_keys = { 0 };
	char path[PATH_MAX];
	int i;

	(void)state;
	table_keys(conf_keys, &keys);
	table_keys(conf_policy_keys, &policy);
	page_path("vessel.conf.5", path, sizeof(path));
	textfile_read(path, roff, TEXT_MAX);
	section_terms(roff, "GUEST KEYS", false, &pguest);
	section_terms(roff, "POLICY KEYS", false, &ppolicy);
	words_equal(&pguest, &keys, "vessel.conf.5 GUEST KEYS", "conf_keys");
	words_equal(&ppolicy, &policy, "vessel.conf.5 POLICY KEYS",
		    "conf_policy_keys");
	help_text("vessel", help);
	help_options(help, HELP_OPTION_LINES, &help_keys);
	for (i = 0; i < help_keys.nr; i++) {
		const char *key = help_keys.w[i] + 2;

		if (strcmp(key, "help") && strcmp(key, "version"))
			words_add(&guest, key, strlen(key));
	}
	assert_true(words_within(&guest, &pguest,
				 "vessel --help lists, vessel.conf.5 lacks"));
}

/* "Exit codes:" of vessel --help: "   32  reboot  text" → "32 reboot". */
static void help_exit_codes(const char *help, struct words *s)
{
	const char *p = strstr(help, "\nExit codes:\n");
	char w[WORD_MAX];
	int code, n;
	char name[32];

	assert_non_null(p);
	p = strchr(p + 1, '\n') + 1;
	while (sscanf(p, " %d %31s%n", &code, name, &n) == 2) {
		snprintf(w, sizeof(w), "%d %s", code, name);
		words_add(s, w, strlen(w));
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
}

/* EXIT STATUS entries "\fB32\fR (reboot)" → "32 reboot". */
static void page_exit_codes(const char *page, struct words *s)
{
	static char roff[TEXT_MAX];
	char path[PATH_MAX], w[WORD_MAX], name[32];
	const char *p, *end;
	size_t len;
	int code;

	page_path(page, path, sizeof(path));
	textfile_read(path, roff, TEXT_MAX);
	p = section(roff, "EXIT STATUS", &len);
	end = p + len;
	while ((p = strstr(p, "\n\\fB")) && p < end) {
		if (sscanf(p, "\n\\fB%d\\fR (%31[^)])", &code, name) == 2) {
			snprintf(w, sizeof(w), "%d %s", code, name);
			words_add(s, w, strlen(w));
		}
		p++;
	}
}

static void test_exit_codes(void **state)
{
	static char help[TEXT_MAX];
	struct words from_help = { 0 }, table = { 0 }, conf5 = { 0 },
		     vessel1 = { 0 };
	const struct exitcode_info *e;
	char w[WORD_MAX];

	(void)state;
	for (e = exitcode_table; e->name; e++) {
		snprintf(w, sizeof(w), "%d %s", e->code, e->name);
		words_add(&table, w, strlen(w));
	}
	help_text("vessel", help);
	help_exit_codes(help, &from_help);
	words_equal(&from_help, &table, "vessel --help", "exitcode_table");
	page_exit_codes("vessel.conf.5", &conf5);
	words_equal(&conf5, &from_help, "vessel.conf.5 EXIT STATUS",
		    "vessel --help");
	page_exit_codes("vessel.1", &vessel1);
	words_equal(&vessel1, &from_help, "vessel.1 EXIT STATUS",
		    "vessel --help");
}

/* Every signal `vessel --help` names has its entry in both pages. */
static void test_signals(void **state)
{
	static char help[TEXT_MAX], roff[TEXT_MAX];
	static const char *const pages[] = { "vessel.1", "vessel.conf.5" };
	struct words from_help = { 0 };
	const char *p;
	char path[PATH_MAX];
	size_t i, n;

	(void)state;
	help_text("vessel", help);
	p = strstr(help, "\nSignals:");
	assert_non_null(p);
	while ((p = strstr(p, "SIG")) && p < strstr(help, "\nExit codes:")) {
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
		words_add(&from_help, p, n);
		p += n;
	}
	assert_true(from_help.nr >= 4);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct words from_page = { 0 };
		char what[64];
		const char *b;
		size_t len;

		page_path(pages[i], path, sizeof(path));
		textfile_read(path, roff, TEXT_MAX);
		p = section(roff, "SIGNALS", &len);
		for (b = p; (b = strstr(b, "\\fBSIG")) && b < p + len; b += 3)
			words_add(&from_page, b + 3, strcspn(b + 3, "\\"));
		snprintf(what, sizeof(what), "%s SIGNALS lacks", pages[i]);
		assert_true(words_within(&from_help, &from_page, what));
	}
}

/*
 * README.md's tables (run from the source tree, as make test does): its
 * exit codes and names are exitcode_table's, and its signal table names
 * every signal of vessel.1's SIGNALS.
 */
static void test_readme_tables(void **state)
{
	static char readme[TEXT_MAX], roff[TEXT_MAX];
	struct words codes = { 0 }, table = { 0 }, sigs = { 0 }, page = { 0 };
	const struct exitcode_info *e;
	char w[WORD_MAX], name[32], path[PATH_MAX];
	const char *p, *b;
	size_t len;
	int code;

	(void)state;
	textfile_read("README.md", readme, TEXT_MAX);
	for (e = exitcode_table; e->name; e++) {
		snprintf(w, sizeof(w), "%d %s", e->code, e->name);
		words_add(&table, w, strlen(w));
	}
	for (p = readme; (p = strstr(p, "\n| ")); p++) {
		if (sscanf(p, "\n| %d | %31[a-z-] |", &code, name) == 2) {
			snprintf(w, sizeof(w), "%d %s", code, name);
			words_add(&codes, w, strlen(w));
		} else if (!strncmp(p, "\n| SIG", 6)) {
			for (b = p + 3; !strncmp(b, "SIG", 3);) {
				len = strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				words_add(&sigs, b, len);
				b += len + strspn(b + len, ", ");
			}
		}
	}
	words_equal(&codes, &table, "README.md exit codes", "exitcode_table");
	page_path("vessel.1", path, sizeof(path));
	textfile_read(path, roff, TEXT_MAX);
	p = section(roff, "SIGNALS", &len);
	for (b = p; (b = strstr(b, "\\fBSIG")) && b < p + len; b += 3)
		words_add(&page, b + 3, strcspn(b + 3, "\\"));
	assert_true(words_within(&page, &sigs, "README.md's signals lack"));
}

static bool have_tool(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Nothing on stderr, status 0: man and groff found nothing to say. */
static void render_quiet(const char *fmt, const char *path)
{
	static char out[TEXT_MAX];
	char cmd[PATH_MAX + 160];
	int status;

	snprintf(cmd, sizeof(cmd), fmt, path);
	run_capture(cmd, out, &status);
	if (status || out[0])
		fail_msg("%s: status %d:\n%s", cmd, status, out);
}

static void test_render(void **state)
{
	static const char *const pages[] = {
		"vessel.1",	 "vesselctl.1",	       "vessel-guest.1",
		"vessel.conf.5", "vessel-lifecycle.7", "vesseld.8",
	};
	char path[PATH_MAX];
	size_t i;

	(void)state;
	if (!have_tool("man") || !have_tool("groff"))
		skip();
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		page_path(pages[i], path, sizeof(path));
		render_quiet("MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=all "
			     "-l '%s' 2>&1 >/dev/null",
			     path);
		render_quiet("LC_ALL=C.UTF-8 groff -ww -mandoc -z '%s' 2>&1",
			     path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vessel_options),
		cmocka_unit_test(test_vesselctl_options),
		cmocka_unit_test(test_vesseld_options),
		cmocka_unit_test(test_vessel_guest_options),
		cmocka_unit_test(test_conf_keys),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_readme_tables),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
