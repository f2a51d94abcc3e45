// SPDX-License-Identifier: Apache-2.0
#include "vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VMRUN_MAX_ARGS 48

int vmrun_init(struct vmrun *r)
{
	const char *tmp = getenv("TMPDIR");

	memset(r, 0, sizeof(*r));
	r->master = -1;
	snprintf(r->dir, sizeof(r->dir), "%s/vessel-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->dir))
		return -errno;
	snprintf(r->events, sizeof(r->events), "%s/events.jsonl", r->dir);
	snprintf(r->ctl, sizeof(r->ctl), "%s/ctl.sock", r->dir);
	snprintf(r->hook, sizeof(r->hook), "%s/hook.out", r->dir);
	return 0;
}

/* @extra with "--events PATH" in front, into @argv. */
static void vmrun_extra(const struct vmrun *r, const char *const extra[],
			const char *argv[VMRUN_MAX_ARGS])
{
	int n = 0;

	argv[n++] = "--events";
	argv[n++] = r->events;
	while (extra && *extra && n < VMRUN_MAX_ARGS - 1)
		argv[n++] = *extra++;
	argv[n] = NULL;
}

int vmrun_start(struct vmrun *r, const char *scenario,
		const char *const extra[])
{
	const char *argv[VMRUN_MAX_ARGS];

	vmrun_extra(r, extra, argv);
	return vmproc_start_probe(&r->p, scenario, argv);
}

int vmrun_start_tty(struct vmrun *r, const char *scenario,
		    const char *const extra[], int master)
{
	const char *argv[VMRUN_MAX_ARGS];

	vmrun_extra(r, extra, argv);
	r->master = master;
	return vmproc_start_probe_tty(&r->p, scenario, argv, master);
}

int vmrun_finish(struct vmrun *r)
{
	int code = vmrun_wait(r);

	if (evlog_well_formed(&r->ev))
		return code;
	vmrun_dump(r);
	return VMRUN_BAD_EVENTS;
}

int vmrun_load_events(struct vmrun *r)
{
	evlog_free(&r->ev);
	return evlog_load(&r->ev, r->events);
}

int vmrun_wait(struct vmrun *r)
{
	int code = vmproc_wait_exit(&r->p, VMRUN_WAIT_MS);

	vmrun_load_events(r);
	return code;
}

int vmrun_hook_lines(const struct vmrun *r, char *buf, size_t size)
{
	FILE *f = fopen(r->hook, "re");
	size_t len;
	int n = 0;

	buf[0] = '\0';
	if (!f)
		return -1;
	len = fread(buf, 1, size - 1, f);
	buf[len] = '\0';
	fclose(f);
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

void vmrun_dump(const struct vmrun *r)
{
	vmproc_dump(&r->p);
	evlog_dump(&r->ev);
}

static void vmrun_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[VMRUN_PATH_MAX + 256];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

void vmrun_free(struct vmrun *r)
{
	if (r->p.out)
		vmproc_free(&r->p);
	evlog_free(&r->ev);
	if (r->dir[0])
		vmrun_rmdir(r->dir);
	r->dir[0] = '\0';
}

int vmrun_setup(void **state)
{
	struct vmrun *r = calloc(1, sizeof(*r));

	if (!r || vmrun_init(r)) {
		free(r);
		return -1;
	}
	*state = r;
	return 0;
}

int vmrun_teardown(void **state)
{
	vmrun_free(*state);
	free(*state);
	return 0;
}
