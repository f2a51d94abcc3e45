// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld: the host's guest supervisor. argv → the configuration (all or
 * nothing; a bad file is exit 65 with file:line) → the run directory and
 * its lock → (daemon mode: fork, the parent exits once the child is
 * ready) → event file, signals, control socket → autostart by level →
 * the loop, until the host shutdown has stopped every guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/hostproc.h"
#include "../common/conf.h"
#include "../common/log.h"
#include "console.h"
#include "ctlsock.h"
#include "daemon.h"
#include "progpath.h"

#ifndef VESSEL_VERSION
#define VESSEL_VERSION "0.1"
#endif

struct vd_opts {
	const char *config_dir;
	const char *run_dir;
	const char *vessel;
	bool foreground;
	gid_t socket_group; /* CTLSOCK_NO_GROUP unless --socket-group */
};

static void vd_usage(FILE *f)
{
	fprintf(f,
		"Usage: vesseld [--config-dir DIR] [--run-dir DIR] "
		"[--vessel PATH] [--foreground]\n"
		"               [--console-log-size SIZE] "
		"[--console-log-keep N]\n"
		"               [--socket-group GROUP]\n"
		"Start the guests of DIR/NAME.conf in their order, restart "
		"them by their policy,\nand stop them all in order on SIGTERM "
		"or `vesselctl shutdown`.\n\n"
		"  --config-dir DIR  guest files (default %s)\n"
		"  --run-dir DIR     sockets, events, console logs (default "
		"%s)\n"
		"  --vessel PATH     the vessel program (default: beside "
		"vesseld or in ../bin,\n"
		"                    else from PATH)\n"
		"  --foreground      do not detach; log to stderr\n"
		"  --console-log-size SIZE  rotate a guest's console.log at "
		"SIZE (default 1M)\n"
		"  --console-log-keep N     rotated logs kept, console.log.1 "
		"to .N (default 3)\n"
		"  --socket-group GROUP     GROUP's members may use the "
		"control socket\n"
		"                           (run dir 0710, socket 0660, both "
		"of GROUP)\n"
		"  -h, --help        print this help\n"
		"  --version         print the version\n\n"
		"Signals: SIGTERM/SIGINT stop every guest (power button, "
		"SIGTERM after its\nstop-timeout, then SIGQUIT) and exit; "
		"SIGQUIT cuts every guest's power at once.\n\n"
		"Exit status: 0 every guest stopped cleanly, 1 a guest had to "
		"be terminated or\ncut, 64 usage, 65 configuration error, 71 "
		"system error, 75 another vesseld\nruns on the run "
		"directory.\n",
		CONFIG_DIR_DEFAULT, VESSELD_RUN_DIR);
}

enum { OPT_VERSION = 256, OPT_LOG_SIZE, OPT_LOG_KEEP, OPT_SOCKET_GROUP };

/* --console-log-size and --console-log-keep; false when bad. */
static bool vd_console_opt(int opt, const char *arg)
{
	static u64 size = CONSOLE_LOG_MAX_DEFAULT;
	static unsigned int keep = CONSOLE_LOG_KEEP_DEFAULT;
	u64 v;

	if (conf_parse_size(arg, &v) || (opt == OPT_LOG_SIZE && !v) ||
	    (opt == OPT_LOG_KEEP && v > CONSOLE_LOG_KEEP_MAX)) {
		fprintf(stderr, "vesseld: --console-log-%s: bad value '%s'\n",
			opt == OPT_LOG_SIZE ? "size" : "keep", arg);
		return false;
	}
	if (opt == OPT_LOG_SIZE)
		size = v;
	else
		keep = v;
	console_set_log_limits(size, keep);
	return true;
}

/* --socket-group: a group's name (or number); false when unknown. */
static bool vd_group_opt(struct vd_opts *o, const char *name)
{
	struct group *gr = getgrnam(name);
	char *end;
	unsigned long id;

	if (gr) {
		o->socket_group = gr->gr_gid;
		return true;
	}
	errno = 0;
	id = strtoul(name, &end, 10);
	if (*name && !*end && !errno && (gid_t)id != CTLSOCK_NO_GROUP &&
	    id == (gid_t)id && getgrgid(id)) {
		o->socket_group = id;
		return true;
	}
	fprintf(stderr, "vesseld: --socket-group: no group '%s'\n", name);
	return false;
}

/* -1 to go on, or an exit code. */
static int vd_parse_opts(struct vd_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "vessel", required_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "console-log-size", required_argument, NULL, OPT_LOG_SIZE },
		{ "console-log-keep", required_argument, NULL, OPT_LOG_KEEP },
		{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_dir = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 'v':
			o->vessel = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'h':
			vd_usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("vesseld %s\n", VESSEL_VERSION);
			return 0;
		case OPT_LOG_SIZE:
		case OPT_LOG_KEEP:
			if (!vd_console_opt(c, optarg))
				return VD_EXIT_USAGE;
			break;
		case OPT_SOCKET_GROUP:
			if (!vd_group_opt(o, optarg))
				return VD_EXIT_USAGE;
			break;
		default:
			fprintf(stderr, "Try 'vesseld --help'.\n");
			return VD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vesseld: unexpected argument: %s\n",
			argv[optind]);
		return VD_EXIT_USAGE;
	}
	return -1;
}

/* vessel beside vesseld, or in its prefix's bin; else from PATH. */
static const char *vd_default_vessel(void)
{
	static char path[PATH_MAX];

	return progpath_find("vessel", path, sizeof(path));
}

/* --- the run directory --- */

/*
 * The last component of the run directory, made or found: a directory
 * (not a link to one) of ours that nobody else may write to, then set
 * to 0700, or 0710 of @group so that its members reach the socket (and
 * nothing else: the guests' directories stay 0700). Through its fd, so
 * a rename cannot swap what is checked for what is changed.
 */
static int vd_own_run_dir(const char *dir, gid_t group)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP || ret == -ENOTDIR)
			log_err("run directory %s: not a directory (a symbolic link?)",
				dir);
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
	} else if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		log_err("run directory %s: owned by uid %u, mode %04o: it must be vesseld's own and writable by nobody else",
			dir, (unsigned int)st.st_uid,
			(unsigned int)(st.st_mode & 07777));
		ret = -EPERM;
	} else if (group != CTLSOCK_NO_GROUP ?
			   fchown(fd, (uid_t)-1, group) || fchmod(fd, 0710) :
			   fchmod(fd, 0700)) {
		ret = -errno;
	}
	close(fd);
	return ret;
}

/* mkdir -p @dir (the parents 0755, the system's), then its absolute path. */
static int vd_make_run_dir(const char *dir, gid_t group, char *abs)
{
	char tmp[PATH_MAX];
	char *p;
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	ret = vd_own_run_dir(tmp, group);
	if (ret)
		return ret;
	return realpath(tmp, abs) ? 0 : -errno;
}

/* One vesseld per run directory [s6-supervise.c control_init]. */
static int vd_lock(const char *run_dir)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir, VESSELD_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err_errno("%s", path);
		return -VD_EXIT_OSERR;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		log_err("another vesseld runs on %s (%s is locked)", run_dir,
			path);
		close(fd);
		return -VD_EXIT_LOCKED;
	}
	return fd;
}

/* --- detaching --- */

/*
 * The parent waits for the child's first word: its exit code if setup
 * failed, 0 once it runs. Errors before that go to the caller's stderr.
 */
static int vd_detach(int *ready_fd)
{
	int p[2];
	pid_t pid;
	ssize_t n;
	u8 code;

	if (pipe2(p, O_CLOEXEC))
		return VD_EXIT_OSERR;
	pid = fork();
	if (pid < 0)
		return VD_EXIT_OSERR;
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &code, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? code : VD_EXIT_OSERR);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return -1;
}

static void vd_ready(int *ready_fd, int code)
{
	u8 c = code;

	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &c, 1) != 1)
		log_warn("the parent went away before vesseld was ready");
	close(*ready_fd);
	*ready_fd = -1;
}

/* In daemon mode vesseld's log is RUN/vesseld.log. */
static int vd_redirect(const char *run_dir)
{
	char path[PATH_MAX + 64];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		return -errno;
	close(fd);
	snprintf(path, sizeof(path), "%s/vesseld.log", run_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		return -errno;
	close(fd);
	return 0;
}

/* --- signals --- */

static void vd_on_signal(struct dloop_watch *w, u32 events)
{
	struct vd *vd = container_of(w, struct vd, sigw);
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
		vd_shutdown(vd, "SIGTERM");
		break;
	case SIGINT:
		vd_shutdown(vd, "SIGINT");
		break;
	case SIGQUIT:
		vd_cut_all(vd, "SIGQUIT");
		break;
	case SIGHUP: {
		char err[1024];

		/* A refusal is logged and written as a `reload` event. */
		vd_reload(vd, "SIGHUP", NULL, err, sizeof(err));
		break;
	}
	}
}

static int vd_signals(struct vd *vd)
{
	vd->sig_fd = hostproc_signalfd();
	if (vd->sig_fd < 0)
		return vd->sig_fd;
	vd->sigw.fd = vd->sig_fd;
	vd->sigw.ready = vd_on_signal;
	return dloop_watch(&vd->loop, &vd->sigw, EPOLLIN);
}

/* --- setup and the run --- */

static void vd_emit_started(struct vd *vd)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "pid", json_object_new_int(getpid()));
	json_object_object_add(f, "config",
			       json_object_new_string(vd->cfg.dir));
	json_object_object_add(f, "run", json_object_new_string(vd->run_dir));
	json_object_object_add(f, "guests", json_object_new_int(vd->cfg.nr));
	evfile_emit(&vd->ev, "vesseld-started", NULL, f);
}

/*
 * Event file, loop, signals, control socket, the guests' directories;
 * an exit code, or -1. Guests start only after this (vd_start), once a
 * daemon's parent has been told it runs.
 */
static int vd_setup(struct vd *vd, gid_t socket_group)
{
	char path[PATH_MAX + 64];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", vd->run_dir, VESSELD_EVENTS);
	ret = evfile_open(&vd->ev, path);
	if (ret) {
		log_err("%s: %s", path, strerror(-ret));
		return VD_EXIT_OSERR;
	}
	ret = dloop_init(&vd->loop);
	ret = ret ? ret : vd_signals(vd);
	if (ret) {
		log_err("event loop: %s", strerror(-ret));
		return VD_EXIT_OSERR;
	}
	snprintf(path, sizeof(path), "%s/%s", vd->run_dir, VESSELD_SOCK);
	if (ctlsock_open(&vd->sock, vd, path, socket_group))
		return VD_EXIT_OSERR;
	ret = vd_init_guests(vd);
	if (ret)
		return VD_EXIT_OSERR;
	return -1;
}

static void vd_teardown(struct vd *vd)
{
	struct json_object *f = json_object_new_object();

	ctlsock_close(vd->sock);
	vd->sock = NULL;
	json_object_object_add(f, "code", json_object_new_int(vd->exit_code));
	evfile_emit(&vd->ev, "vesseld-exit", NULL, f);
	evfile_close(&vd->ev);
	if (vd->sig_fd >= 0)
		close(vd->sig_fd);
	vd_free_guests(vd);
	dloop_free(&vd->loop);
	config_free(&vd->cfg);
}

static int vd_load(struct vd *vd, const char *dir)
{
	char err[1024];

	if (config_load(&vd->cfg, dir, err, sizeof(err))) {
		fprintf(stderr, "vesseld: %s\n", err);
		return VD_EXIT_CONFIG;
	}
	return -1;
}

/* Everything up to the loop; an exit code, or -1 with *@lock_fd held. */
static int vd_prepare(struct vd *vd, const struct vd_opts *o, char *run_abs,
		      int *lock_fd)
{
	int ret = vd_load(vd, o->config_dir);

	if (ret >= 0)
		return ret;
	ret = vd_make_run_dir(o->run_dir, o->socket_group, run_abs);
	if (ret) {
		log_err("run directory %s: %s", o->run_dir, strerror(-ret));
		config_free(&vd->cfg);
		return VD_EXIT_OSERR;
	}
	vd->run_dir = run_abs;
	*lock_fd = vd_lock(run_abs);
	if (*lock_fd < 0) {
		config_free(&vd->cfg);
		return -*lock_fd;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct vd_opts o = { CONFIG_DIR_DEFAULT, VESSELD_RUN_DIR, NULL, false,
			     CTLSOCK_NO_GROUP };
	static char run_abs[PATH_MAX];
	struct vd vd = { .sig_fd = -1,
			 .loop = { .epfd = -1 },
			 .ev = { .fd = -1 } };
	int ret, lock_fd = -1, ready_fd = -1;

	log_init("vesseld", NULL);
	/* Whatever vesseld creates is its own; explicit modes only narrow. */
	umask(077);
	ret = vd_parse_opts(&o, argc, argv);
	if (ret >= 0)
		return ret;
	/* Before any vessel or hook is spawned: they must not inherit it. */
	ret = notify_open(&vd.notify);
	if (ret)
		log_warn("NOTIFY_SOCKET: %s", strerror(-ret));
	vd.vessel = o.vessel ? o.vessel : vd_default_vessel();
	vd.start_ms = dloop_now_ms();
	ret = vd_prepare(&vd, &o, run_abs, &lock_fd);
	if (ret >= 0)
		return ret;
	vd.config_dir = vd.cfg.dir;
	if (!o.foreground && (ret = vd_detach(&ready_fd)) >= 0)
		return ret;
	ret = vd_setup(&vd, o.socket_group);
	if (ret >= 0) {
		vd_ready(&ready_fd, ret);
		vd.exit_code = ret;
	} else {
		if (!o.foreground && vd_redirect(run_abs))
			log_warn_errno("vesseld.log");
		vd_ready(&ready_fd, 0);
		vd_emit_started(&vd);
		vd_start(&vd);
		/* No autostart under way: ready now (else at autostart-done). */
		if (vd.start_level < 0)
			vd_notify_ready(&vd);
		ret = dloop_run(&vd.loop);
		if (ret) {
			log_err("event loop: %s", strerror(-ret));
			vd.exit_code = VD_EXIT_OSERR;
		}
	}
	vd_teardown(&vd);
	notify_close(&vd.notify);
	close(lock_fd);
	return vd.exit_code;
}
