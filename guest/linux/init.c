// SPDX-License-Identifier: Apache-2.0
/*
 * /init of the stock Linux test guest. It prints markers on the console
 * ("VESSEL-GUEST: ...") and does what vessel.test= on the kernel command
 * line asks:
 *   poweroff, reboot  at once (reboot(2), as "poweroff -f" does)
 *   shell             a shell on the console, then power off
 *   panic             a kernel panic (sysrq c)
 *   wait              start acpid, print "ready", wait for a shutdown
 *   wait-noacpid      the same without the button driver and acpid: nothing
 *                     arms or handles the ACPI power button
 * Unknown tests power off.
 *
 * As PID 1 it also does the ordinary shutdown that busybox's halt, poweroff
 * and reboot ask for by signal (acpid's /etc/acpi/power runs poweroff):
 * /etc/shutdown.d scripts, SIGTERM then SIGKILL to every process, sync,
 * unmount, then power off or reboot.
 *
 * Static and standalone: the initramfs holds this, busybox, its /etc files
 * and the modules listed in /etc/modules (one path per line, already in
 * load order).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "VESSEL-GUEST: "
#define ACPID_PID "/run/acpid.pid"
#define SHUTDOWN_DIR "/etc/shutdown.d"
#define MAX_MOUNTS 64

/* Bounds, in ms: no step of a shutdown may hang it. */
enum {
	ACPID_START_MS = 5000,
	SCRIPT_MS = 5000, /* each /etc/shutdown.d script */
	TERM_GRACE_MS = 2000, /* from SIGTERM to SIGKILL, and after it */
};

/*
 * What PID 1 waits for, blocked from the start so none is lost: busybox's
 * halt, poweroff and reboot send SIGUSR1, SIGUSR2 and SIGTERM to init
 * (busybox init/halt.c), and orphans' exits come as SIGCHLD.
 */
static sigset_t init_sigs;
static sigset_t child_mask; /* the mask init started with, for children */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line, so markers never interleave with printk. */
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static void mount_fs(const char *type, const char *dir)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, MS_NOSUID | MS_NOEXEC, NULL) &&
	    errno != EBUSY)
		say(MARK "error: mount %s on %s: %s", type, dir,
		    strerror(errno));
}

/*
 * The kernel opens /dev/console for init only if the archive has the node;
 * ours has no device nodes (no mknod when packing), so open it from devtmpfs.
 */
static void open_console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* Loads the modules in /etc/modules, in order, except a file named @skip. */
static void load_modules(const char *skip)
{
	char path[256];
	FILE *list = fopen("/etc/modules", "r");

	if (!list)
		return;
	while (fgets(path, sizeof(path), list)) {
		const char *base;
		int fd;

		path[strcspn(path, "\n")] = '\0';
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (!path[0] || (skip && !strcmp(base, skip)))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
			say(MARK "error: module %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(list);
}

/* Copies the value of vessel.test= into @buf; "" when absent. */
static void read_test(char *buf, size_t size)
{
	static const char key[] = "vessel.test=";
	char cmdline[4096];
	const char *p;
	ssize_t n = 0;
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd >= 0) {
		n = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
	}
	cmdline[n > 0 ? n : 0] = '\0';
	buf[0] = '\0';
	for (p = cmdline; (p = strstr(p, key)); p += sizeof(key) - 1) {
		if (p == cmdline || p[-1] == ' ') {
			p += sizeof(key) - 1;
			snprintf(buf, size, "%.*s", (int)strcspn(p, " \n"), p);
			return;
		}
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Forks and execs @argv with the signal mask init started with. */
static pid_t spawn(const char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &child_mask, NULL);
		execv(argv[0], (char *const *)argv);
		say(MARK "error: exec %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		say(MARK "error: fork: %s", strerror(errno));
	return pid;
}

/*
 * Reaps children until @pid is gone (-1: until no child is left) or the
 * monotonic @deadline_ms passes; true when gone. SIGCHLD stays blocked, so
 * an exit between the waitpid and the sleep is pending, not lost.
 */
static bool reap_until(pid_t pid, long long deadline_ms)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		long long left;
		pid_t got;

		while ((got = waitpid(-1, NULL, WNOHANG)) > 0)
			if (got == pid)
				return true;
		if (got < 0 && errno == ECHILD)
			return true;
		left = deadline_ms - now_ms();
		if (left <= 0)
			return false;
		sigtimedwait(&chld, NULL,
			     &(struct timespec){ left / 1000,
						 left % 1000 * 1000000 });
	}
}

static void power(int how, const char *what)
{
	say(MARK "%s", what);
	sync();
	reboot(how);
	say(MARK "error: reboot(%s): %s", what, strerror(errno));
}

static void run_shell(void)
{
	const char *const argv[] = { "/bin/sh", NULL };
	pid_t pid;

	say(MARK "shell");
	pid = spawn(argv);
	/* PID 1 must not exit (that panics): reap until the shell is done. */
	if (pid > 0)
		reap_until(pid, LLONG_MAX);
}

static void sysrq_crash(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	say(MARK "panic");
	sync();
	if (fd < 0 || write(fd, "c", 1) != 1)
		say(MARK "error: sysrq-trigger: %s", strerror(errno));
}

/*
 * busybox acpid reads the input devices of the button driver and runs
 * /etc/acpi/power on KEY_POWER (/etc/acpid.conf). It opens them before it
 * writes its pid file: until then a press would be lost, so wait for it.
 */
static void start_acpid(void)
{
	const char *const argv[] = { "/sbin/acpid", "-d", "-p", ACPID_PID,
				     NULL };
	long long deadline = now_ms() + ACPID_START_MS;
	pid_t pid;

	mkdir("/run", 0755);
	pid = spawn(argv);
	while (pid > 0 && access(ACPID_PID, F_OK)) {
		if (waitpid(pid, NULL, WNOHANG) == pid || now_ms() > deadline) {
			say(MARK "error: acpid did not start");
			return;
		}
		usleep(10000);
	}
}

/* Runs /etc/shutdown.d/@name if it is an executable file, bounded. */
static void run_script(const char *name)
{
	char path[sizeof(SHUTDOWN_DIR) + 256];
	const char *const argv[] = { path, NULL };
	struct stat st;
	pid_t pid;

	snprintf(path, sizeof(path), SHUTDOWN_DIR "/%s", name);
	if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK))
		return;
	pid = spawn(argv);
	if (pid > 0 && !reap_until(pid, now_ms() + SCRIPT_MS)) {
		say(MARK "shutdown: %s still running after %d ms, killed", path,
		    SCRIPT_MS);
		kill(pid, SIGKILL);
	}
}

/* Each script in /etc/shutdown.d, in name order (as run-parts). */
static void run_shutdown_scripts(void)
{
	struct dirent **names;
	int n = scandir(SHUTDOWN_DIR, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		run_script(names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* SIGTERM to every process but init, SIGKILL to what is left after it. */
static void kill_all(void)
{
	kill(-1, SIGTERM);
	kill(-1, SIGCONT); /* a stopped process cannot act on SIGTERM */
	if (reap_until(-1, now_ms() + TERM_GRACE_MS))
		return;
	say(MARK "shutdown: processes left after SIGTERM, sending SIGKILL");
	kill(-1, SIGKILL);
	reap_until(-1, now_ms() + TERM_GRACE_MS);
}

/* Lists mount points from /proc/mounts into @dirs (malloc'd); the count. */
static int list_mounts(char *dirs[], int max)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	int n = 0;

	while (f && n < max && (m = getmntent(f)))
		if ((dirs[n] = strdup(m->mnt_dir)))
			n++;
	if (f)
		endmntent(f);
	return n;
}

/*
 * Unmounts @dir or, as umount -r does when it cannot (busy: devtmpfs
 * holds the console; or /, the initramfs), remounts it read-only.
 */
static int unmount_one(const char *dir)
{
	if (strcmp(dir, "/") && !umount2(dir, 0))
		return 0;
	return mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL);
}

/* Every mount, the latest first, so that none is under another. */
static void unmount_all(void)
{
	char *dirs[MAX_MOUNTS];
	int n = list_mounts(dirs, MAX_MOUNTS);

	while (n-- > 0) {
		if (unmount_one(dirs[n]))
			say(MARK "shutdown: cannot unmount %s: %s", dirs[n],
			    strerror(errno));
		free(dirs[n]);
	}
}

/* The ordinary shutdown, then @how (a reboot(2) command). */
static void shutdown_system(int how)
{
	say(MARK "shutdown: begin");
	run_shutdown_scripts();
	kill_all();
	sync();
	unmount_all();
	say(MARK "shutdown: done");
	power(how, how == RB_AUTOBOOT ? "reboot" : "poweroff");
}

/*
 * PID 1's idle loop: reaps orphans until busybox's halt, poweroff or reboot
 * asks for a shutdown. A halted VM would hang its host's process, so halt
 * powers off too.
 */
static void wait_for_shutdown(void)
{
	for (;;) {
		int sig = sigwaitinfo(&init_sigs, NULL);

		if (sig == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		else if (sig == SIGTERM)
			shutdown_system(RB_AUTOBOOT);
		else if (sig > 0)
			shutdown_system(RB_POWER_OFF);
	}
}

/* What the guest kernel found: the harness checks CPUs and memory. */
static void say_machine(void)
{
	struct sysinfo si;

	say(MARK "cpus %ld", sysconf(_SC_NPROCESSORS_ONLN));
	if (!sysinfo(&si))
		say(MARK "mem %llu MiB",
		    (unsigned long long)si.totalram * si.mem_unit >> 20);
}

static void block_signals(void)
{
	sigemptyset(&init_sigs);
	sigaddset(&init_sigs, SIGCHLD);
	sigaddset(&init_sigs, SIGUSR1);
	sigaddset(&init_sigs, SIGUSR2);
	sigaddset(&init_sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &init_sigs, &child_mask);
}

int main(void)
{
	struct utsname uts;
	char test[64];

	block_signals();
	mount_fs("devtmpfs", "/dev");
	open_console();
	mount_fs("proc", "/proc");
	mount_fs("sysfs", "/sys");
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	uname(&uts);
	say(MARK "init %s", uts.release);
	say_machine();
	read_test(test, sizeof(test));
	/* Without the button driver nothing sets PM1_EN.PWRBTN_EN. */
	load_modules(strcmp(test, "wait-noacpid") ? NULL : "button.ko");

	if (!strcmp(test, "poweroff")) {
		power(RB_POWER_OFF, "poweroff");
	} else if (!strcmp(test, "reboot")) {
		power(RB_AUTOBOOT, "reboot");
	} else if (!strcmp(test, "shell")) {
		run_shell();
		power(RB_POWER_OFF, "poweroff");
	} else if (!strcmp(test, "panic")) {
		sysrq_crash();
	} else if (!strcmp(test, "wait") || !strcmp(test, "wait-noacpid")) {
		if (!strcmp(test, "wait"))
			start_acpid();
		say(MARK "ready");
		wait_for_shutdown();
	} else {
		say(MARK "error: unknown vessel.test='%s'", test);
		power(RB_POWER_OFF, "poweroff");
	}
	/* Still here: the action failed. Stay up so the log shows why. */
	for (;;)
		pause();
}
