// SPDX-License-Identifier: Apache-2.0
/*
 * vessel: one process per guest. argv and @files → conf → vm_create →
 * vm_run → exit code (DESIGN.md's table). [kvmtool builtin-run.c]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/conf.h"
#include "../common/exitcode.h"
#include "../common/log.h"
#include "crash.h"
#include "privdrop.h"
#include "vm.h"

#ifndef VESSEL_VERSION
#define VESSEL_VERSION "0.1"
#endif

static void usage_options(FILE *f)
{
	const struct conf_key *k;
	char left[40];

	for (k = conf_keys; k->key; k++) {
		snprintf(left, sizeof(left), "--%s %s", k->key,
			 k->help_arg ? k->help_arg : "");
		fprintf(f, "  %-24s %s\n", left, k->help);
	}
}

static void usage(FILE *f)
{
	const struct exitcode_info *e;

	fprintf(f,
		"Usage: vessel [--key value]... [@guest.conf]...\n"
		"Run one KVM guest until it stops; the exit code says how.\n\n"
		"Options (a guest file has the same keys, one 'key value' per line;\n"
		"later settings win, '#' starts a comment):\n");
	usage_options(f);
	fprintf(f, "  %-24s %s\n  %-24s %s\n\n", "--help", "this text",
		"--version", "print the version");
	fprintf(f,
		"Signals: SIGTERM/SIGINT press the ACPI power button, a second one\n"
		"terminates (35); SIGQUIT cuts the power (3); SIGHUP is ignored.\n\n"
		"Exit codes:\n");
	for (e = exitcode_table; e->name; e++)
		fprintf(f, "  %3d  %-12s %s\n", e->code, e->name, e->meaning);
}

/* --help and --version anywhere win over everything else. */
static int main_info_option(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("vessel %s\n", VESSEL_VERSION);
			return 1;
		}
	}
	return 0;
}

static void main_report_exit(int code)
{
	const struct exitcode_info *e = exitcode_find(code);

	log_info("exit %d (%s): %s", code, e ? e->name : "?",
		 e ? e->meaning : "unknown");
}

int main(int argc, char *argv[])
{
	struct conf conf = { 0 };
	struct privdrop pd;
	struct vm vm;
	char err[512];
	int ret;

	log_init("vessel", NULL);
	crash_install();
	if (main_info_option(argc, argv))
		return 0;
	ret = conf_parse_args(&conf, argc - 1, argv + 1, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		conf_free(&conf);
		return ret == -EBADMSG ? EXIT_CONFIG : EXIT_USAGE;
	}
	log_init("vessel", conf_get(&conf, "name"));
	ret = privdrop_init(&pd, &conf);
	ret = ret ? ret : vm_create(&vm, &conf);
	if (!ret) {
		ret = privdrop_apply(&pd, &vm);
		ret = ret ? ret : vm_run(&vm);
		vm_destroy(&vm);
	}
	main_report_exit(ret);
	conf_free(&conf);
	return ret;
}
