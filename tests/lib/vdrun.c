// SPDX-License-Identifier: Apache-2.0
/* One vesseld under test in a private directory (vdrun.h). */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vdrun.h"

const char *vesseld_path(void)
{
	const char *p = getenv("VESSELD");

	return p ? p : "build/vesseld";
}

long vdrun_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int vdrun_init(struct vdrun *r, const char *tag, unsigned int flags)
{
	const char *tmp = getenv("TMPDIR");

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/vessel-%s-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp", tag);
	if (!mkdtemp(r->dir))
		return -1;
	/* vesseld and its vessels run elsewhere than the test's cwd. */
	if (!realpath(vessel_path(), r->vessel) ||
	    !realpath(probe_path(), r->probe)) {
		rmdir(r->dir);
		return -1;
	}
	snprintf(r->conf, sizeof(r->conf), "%s/conf", r->dir);
	snprintf(r->run, sizeof(r->run), "%s/run", r->dir);
	snprintf(r->shm, sizeof(r->shm), "%s/shm", r->dir);
	snprintf(r->events, sizeof(r->events), "%s/run/vesseld.events", r->dir);
	snprintf(r->sock, sizeof(r->sock), "%s/run/vesseld.sock", r->dir);
	mkdir(r->conf, 0700);
	r->flags = flags;
	if (flags & VDRUN_SHM_DIR)
		setenv("VESSEL_SHM_DIR", r->shm, 1);
	return 0;
}

void vdrun_free(struct vdrun *r)
{
	char cmd[sizeof(r->dir) + 16];

	if (r->started)
		vmproc_free(&r->d);
	r->started = false;
	evlog_free(&r->ev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", r->dir);
	if (r->flags & VDRUN_SHM_DIR)
		unsetenv("VESSEL_SHM_DIR");
}

struct vdrun *vdrun_new(const char *tag, unsigned int flags)
{
	struct vdrun *r = malloc(sizeof(*r));

	if (r && vdrun_init(r, tag, flags)) {
		free(r);
		return NULL;
	}
	return r;
}

void vdrun_delete(struct vdrun *r)
{
	vdrun_free(r);
	free(r);
}

void vdrun_guest_file(struct vdrun *r, const char *name, const char *scenario,
		      const char *fmt, ...)
{
	char path[VDRUN_PATH_LEN + 64];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.conf", r->conf, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "kernel %s\ncmdline probe.test=%s\nmem 64M\n", r->probe,
		scenario);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

void vdrun_start(struct vdrun *r, const char *const opts[])
{
	const char *argv[16] = { vesseld_path(), "--config-dir", r->conf,
				 "--run-dir",	 r->run,	 "--vessel",
				 r->vessel,	 "--foreground" };
	int n = 8;

	while (opts && *opts && n < 15)
		argv[n++] = *opts++;
	argv[n] = NULL;
	assert_int_equal(vmproc_start(&r->d, argv), 0);
	r->started = true;
}

void vdrun_load(struct vdrun *r)
{
	evlog_free(&r->ev);
	evlog_load(&r->ev, r->events);
}

void vdrun_dump(struct vdrun *r)
{
	vdrun_load(r);
	fprintf(stderr, "---- vesseld events ----\n");
	evlog_dump(&r->ev);
	vmproc_dump(&r->d);
	if (r->dump_more)
		r->dump_more(r);
}

int vdrun_ev_nth(const struct evlog *l, const char *type, const char *guest,
		 int nth)
{
	const char *g;
	int i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(evlog_type(l, i), type))
			continue;
		g = evlog_str(l, i, "guest");
		if (guest && (!g || strcmp(g, guest)))
			continue;
		if (--nth == 0)
			return i;
	}
	return -1;
}

int vdrun_ev_count(const struct evlog *l, const char *type, const char *guest)
{
	int n = 0;

	while (vdrun_ev_nth(l, type, guest, n + 1) >= 0)
		n++;
	return n;
}

int vdrun_wait_event(struct vdrun *r, const char *type, const char *guest,
		     int nth)
{
	long end = vdrun_now_ms() + VDRUN_WAIT_MS;
	int i;

	for (;;) {
		vdrun_load(r);
		i = vdrun_ev_nth(&r->ev, type, guest, nth);
		if (i >= 0)
			return i;
		/* vmproc_alive_after also paces the polling (10 ms). */
		if (vdrun_now_ms() > end || !vmproc_alive_after(&r->d, 10)) {
			vdrun_dump(r);
			fail_msg("no event %s #%d for %s", type, nth,
				 guest ? guest : "vesseld");
		}
	}
}

char *vdrun_slurp(struct vdrun *r, const char *name, const char *file,
		  size_t *len)
{
	char path[VDRUN_PATH_LEN + 64], *buf;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", r->run, name, file);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, st.st_size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

void vdrun_wait_console(struct vdrun *r, const char *name, const char *marker)
{
	long end = vdrun_now_ms() + VDRUN_WAIT_MS;
	char *log;
	size_t len;

	for (;;) {
		log = vdrun_slurp(r, name, "console.log", &len);
		if (log && strstr(log, marker)) {
			free(log);
			return;
		}
		if (vdrun_now_ms() > end || !vmproc_alive_after(&r->d, 10)) {
			vdrun_dump(r);
			fail_msg("%s: no \"%s\" in console.log: \"%s\"", name,
				 marker, log ? log : "(none)");
		}
		free(log);
	}
}

int vdrun_ctl(struct vdrun *r, struct vmproc *c, ...)
{
	const char *argv[16] = { vesselctl_path(), "--daemon", r->sock };
	int n = 3;
	va_list ap;

	va_start(ap, c);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(vmproc_start(c, argv), 0);
	return vmproc_wait_exit(c, VDRUN_CTL_MS);
}

int vdrun_stop(struct vdrun *r)
{
	int code;

	assert_int_equal(vmproc_kill(&r->d, SIGTERM), 0);
	code = vmproc_wait_exit(&r->d, VDRUN_EXIT_MS);
	vdrun_load(r);
	return code;
}
