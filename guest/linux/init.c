// SPDX-License-Identifier: Apache-2.0
/*
 * /init of the stock Linux test guest. It prints markers on the console
 * ("VESSEL-GUEST: ...") and does what vessel.test= on the kernel command
 * line asks:
 *   poweroff, reboot  the ordinary shutdown (below), as busybox's poweroff
 *                     and reboot ask for
 *   shell             a shell on the console, then power off
 *   panic             a kernel panic (sysrq c)
 *   wait              start acpid, print "ready", wait for a shutdown
 *   wait-noacpid      the same without the button driver and acpid: nothing
 *                     arms or handles the ACPI power button
 *   watchdog-stop-kicking
 *                     busybox watchdog kicks /dev/watchdog every second for
 *                     a few timeouts, then is killed (SIGKILL: no magic
 *                     close, the timer keeps running); wait for the expiry
 *   watchdog-magic-close
 *                     the same, but busybox watchdog is stopped with SIGTERM
 *                     (it writes the magic 'V' and closes, which stops the
 *                     timer); then stay up for a few timeouts and power off
 *   lifecycle-daemon  start /etc/vessel-requests, which does what the host
 *                     asks over the lifecycle region (vesselctl request),
 *                     print "ready", wait for a shutdown
 *   disk              /etc/vessel-disk mounts ext4 on /dev/vda (virtio-blk),
 *                     writes and fsyncs files and prints their checksums;
 *                     then, by vessel.disk=: poweroff or readonly (also
 *                     checks the read-only /dev/vdb): it unmounts, power
 *                     off; button: start acpid first, print "ready", wait
 *                     for a shutdown (which unmounts); hang: it writes on
 *                     until the host cuts the power
 * The watchdog tests take vessel.watchdog=i6300esb|ib700 (the model, whose
 * driver alone is loaded) and vessel.watchdog_timeout=<s> (2).
 * Unknown tests power off.
 *
 * As PID 1 it also does the ordinary shutdown that busybox's halt, poweroff
 * and reboot ask for by signal (acpid's /etc/acpi/power runs poweroff):
 * /etc/shutdown.d scripts (with "poweroff" or "reboot" as their argument;
 * 90-lifecycle tells vessel through vessel-guest), SIGTERM then SIGKILL to
 * every process, sync, unmount, then power off or reboot.
 *
 * At boot it prints where the kernel put the BARs of each QNX shmem device
 * (1c05:0001; the lifecycle region's): vessel-guest maps them from sysfs.
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
#include <sys/klog.h>
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
/* busybox watchdog writes /var/run/watchdog.pid once it has armed it. */
#define WATCHDOG_PID "/var/run/watchdog.pid"
#define WATCHDOG_DEV "/dev/watchdog"
#define SHUTDOWN_DIR "/etc/shutdown.d"
#define REQUEST_DAEMON "/etc/vessel-requests"
#define DISK_SCRIPT "/etc/vessel-disk"
#define PCI_DEVICES "/sys/bus/pci/devices"
#define MAX_MOUNTS 64

/* Bounds, in ms: no step of a shutdown may hang it. */
enum {
	ACPID_START_MS = 5000,
	/* Each /etc/shutdown.d script: above 90-lifecycle's 5 s wait-ack. */
	SCRIPT_MS = 10000,
	TERM_GRACE_MS = 2000, /* from SIGTERM to SIGKILL, and after it */
	WATCHDOG_START_MS = 5000,
};

/* klogctl(2) actions (the kernel's; glibc's <sys/klog.h> has no names). */
enum { SYSLOG_ACTION_READ_ALL = 3, SYSLOG_ACTION_SIZE_BUFFER = 10 };

/* The watchdog tests: kick for, then stay up for, this many timeouts. */
enum { WATCHDOG_PERIODS = 3, WATCHDOG_DEFAULT_TIMEOUT_S = 2 };

/*
 * vessel's watchdog models and their Linux drivers. Only the driver of the
 * model in vessel.watchdog= is loaded: ib700wdt cannot detect its ISA board
 * (it always registers), and both want /dev/watchdog's misc minor, so the
 * one loaded makes /dev/watchdog the device under test.
 */
static const struct watchdog_model {
	const char *name; /* vessel's --watchdog model= */
	const char *module; /* the driver's file */
	const char *log; /* in each of the driver's kernel messages */
} watchdog_models[] = {
	{ "i6300esb", "i6300esb.ko", "i6300ESB" },
	{ "ib700", "ib700wdt.ko", "ib700wdt" },
};

#define N_WATCHDOG_MODELS (sizeof(watchdog_models) / sizeof(watchdog_models[0]))

/*
 * Modules only the disk test loads: virtio-blk on virtio-pci and, where
 * the kernel has them as modules (the generic one), ext4 and what it
 * needs. The other tests boot without their load time.
 */
static const char *const disk_modules[] = {
	"virtio.ko",
	"virtio_ring.ko",
	"virtio_pci.ko",
	"virtio_blk.ko",
	"virtio_pci_legacy_dev.ko",
	"virtio_pci_modern_dev.ko",
	"ext4.ko",
	"jbd2.ko",
	"mbcache.ko",
	"crc16.ko",
	"crc32c_generic.ko",
};

#define N_DISK_MODULES (sizeof(disk_modules) / sizeof(disk_modules[0]))

/* What the kernel command line asks (vessel.test= and its parameters). */
static struct {
	char test[64];
	const struct watchdog_model *watchdog; /* NULL: none loaded */
	int watchdog_timeout_s;
	char disk[16]; /* vessel.disk=: how the disk test ends */
} want;

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

/* Should /init load the module file @base (a name in /etc/modules)? */
static bool module_wanted(const char *base)
{
	/* Without the button driver nothing sets PM1_EN.PWRBTN_EN. */
	if (!strcmp(want.test, "wait-noacpid") && !strcmp(base, "button.ko"))
		return false;
	for (size_t i = 0; i < N_WATCHDOG_MODELS; i++)
		if (!strcmp(base, watchdog_models[i].module))
			return want.watchdog == &watchdog_models[i];
	for (size_t i = 0; i < N_DISK_MODULES; i++)
		if (!strcmp(base, disk_modules[i]))
			return !strcmp(want.test, "disk");
	return true;
}

/* Loads the modules in /etc/modules that are wanted, in order. */
static void load_modules(void)
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
		if (!path[0] || !module_wanted(base))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
			say(MARK "error: module %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(list);
}

/* Copies the value of @key (e.g. "vessel.test=") into @buf; "" if absent. */
static void read_param(const char *key, char *buf, size_t size)
{
	char cmdline[4096];
	size_t key_len = strlen(key);
	const char *p;
	ssize_t n = 0;
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd >= 0) {
		n = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
	}
	cmdline[n > 0 ? n : 0] = '\0';
	buf[0] = '\0';
	for (p = cmdline; (p = strstr(p, key)); p += key_len) {
		if (p == cmdline || p[-1] == ' ') {
			p += key_len;
			snprintf(buf, size, "%.*s", (int)strcspn(p, " \n"), p);
			return;
		}
	}
}

/* Fills want from vessel.test=, vessel.watchdog=, its timeout, vessel.disk=. */
static void read_wanted(void)
{
	char model[32], timeout[16];

	read_param("vessel.test=", want.test, sizeof(want.test));
	read_param("vessel.watchdog=", model, sizeof(model));
	read_param("vessel.watchdog_timeout=", timeout, sizeof(timeout));
	read_param("vessel.disk=", want.disk, sizeof(want.disk));
	for (size_t i = 0; i < N_WATCHDOG_MODELS; i++)
		if (!strcmp(model, watchdog_models[i].name))
			want.watchdog = &watchdog_models[i];
	if (model[0] && !want.watchdog)
		say(MARK "error: unknown vessel.watchdog='%s'", model);
	want.watchdog_timeout_s = atoi(timeout);
	if (want.watchdog_timeout_s <= 0)
		want.watchdog_timeout_s = WATCHDOG_DEFAULT_TIMEOUT_S;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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
 * Waits until daemon @pid writes its pid file @path, which it does once it
 * is ready; false (and says so) if it exits first or takes over @limit_ms.
 */
static bool wait_pidfile(pid_t pid, const char *path, const char *what,
			 int limit_ms)
{
	long long deadline = now_ms() + limit_ms;

	while (pid > 0 && access(path, F_OK)) {
		if (waitpid(pid, NULL, WNOHANG) == pid || now_ms() > deadline) {
			say(MARK "error: %s did not start", what);
			return false;
		}
		usleep(10000);
	}
	return pid > 0;
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

	mkdir("/run", 0755);
	wait_pidfile(spawn(argv), ACPID_PID, "acpid", ACPID_START_MS);
}

/*
 * Runs /etc/shutdown.d/@name with @action ("poweroff" or "reboot") if it
 * is an executable file, bounded.
 */
static void run_script(const char *name, const char *action)
{
	char path[sizeof(SHUTDOWN_DIR) + 256];
	const char *const argv[] = { path, action, NULL };
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
static void run_shutdown_scripts(const char *action)
{
	struct dirent **names;
	int n = scandir(SHUTDOWN_DIR, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		run_script(names[i]->d_name, action);
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
	const char *action = how == RB_AUTOBOOT ? "reboot" : "poweroff";

	say(MARK "shutdown: begin");
	run_shutdown_scripts(action);
	kill_all();
	sync();
	unmount_all();
	say(MARK "shutdown: done");
	power(how, action);
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

/*
 * Prints the kernel's messages that contain @needle (a driver's probe
 * lines): quiet keeps info messages off the console, the harness wants them.
 */
static void say_kernel_log(const char *needle)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf = size > 0 ? malloc(size + 1) : NULL;
	int n = buf ? klogctl(SYSLOG_ACTION_READ_ALL, buf, size) : -1;

	for (char *line = buf, *end; n > 0 && line < buf + n; line = end + 1) {
		end = memchr(line, '\n', buf + n - line);
		if (!end)
			end = buf + n;
		*end = '\0';
		if (line[0] == '<' && strchr(line, '>'))
			line = strchr(line, '>') + 1; /* the <level> */
		if (strstr(line, needle))
			say(MARK "dmesg: %s", line);
	}
	free(buf);
}

/*
 * Starts busybox watchdog on /dev/watchdog: it sets the timeout, kicks at
 * once and then every second. Returns its pid once it has armed the timer,
 * or -1 (and says why).
 */
static pid_t start_watchdog(int timeout_s)
{
	char timeout[16];
	/* -F: in the foreground, -T: the timeout, -t: the kick period. */
	const char *const argv[] = {
		"/sbin/watchdog", "-F", "-T", timeout, "-t", "1",
		WATCHDOG_DEV,	  NULL,
	};
	pid_t pid;

	snprintf(timeout, sizeof(timeout), "%d", timeout_s);
	if (access(WATCHDOG_DEV, F_OK)) {
		say(MARK "error: no " WATCHDOG_DEV ": %s", strerror(errno));
		return -1;
	}
	mkdir("/run", 0755);
	mkdir("/var", 0755);
	symlink("../run", "/var/run");
	pid = spawn(argv);
	if (!wait_pidfile(pid, WATCHDOG_PID, "watchdog", WATCHDOG_START_MS))
		return -1;
	return pid;
}

/* Stops busybox watchdog @pid with @sig and reaps it; its exit status. */
static int stop_watchdog(pid_t pid, int sig)
{
	long long deadline = now_ms() + TERM_GRACE_MS;
	int status = -1;

	kill(pid, sig);
	while (waitpid(pid, &status, WNOHANG) == 0 && now_ms() < deadline)
		usleep(10000);
	return status;
}

/*
 * The watchdog tests. The daemon kicks through WATCHDOG_PERIODS timeouts
 * (the guest must survive them), then stops: SIGKILL leaves the timer
 * running, to expire; SIGTERM makes busybox write the magic 'V' before it
 * closes, which stops the timer (Debian's kernels have nowayout off).
 */
static void watchdog_test(bool magic_close)
{
	int timeout = want.watchdog_timeout_s;
	int kick_ms = WATCHDOG_PERIODS * timeout * 1000;
	pid_t pid;
	int status;

	if (!want.watchdog) {
		say(MARK "error: no vessel.watchdog=");
		return;
	}
	say_kernel_log(want.watchdog->log);
	pid = start_watchdog(timeout);
	if (pid < 0)
		return;
	say(MARK "watchdog kicking: %s, timeout %d s", want.watchdog->name,
	    timeout);
	if (reap_until(pid, now_ms() + kick_ms)) {
		say(MARK "error: watchdog exited while kicking");
		return;
	}
	say(MARK "watchdog kicked for %d s", kick_ms / 1000);
	status = stop_watchdog(pid, magic_close ? SIGTERM : SIGKILL);
	if (!magic_close) {
		say(MARK "watchdog stopped kicking");
		wait_for_shutdown(); /* until the expiry's action ends the VM */
	}
	say(MARK "watchdog closed with magic 'V' (exit status %#x)", status);
	sleep_ms(kick_ms);
	say(MARK "watchdog quiet for %d s", kick_ms / 1000);
	power(RB_POWER_OFF, "poweroff");
}

/* A number file of PCI device @addr in sysfs ("0x1c05"); -1 if unreadable. */
static long pci_number(const char *addr, const char *file)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", addr, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 0) : -1;
}

/*
 * Where the kernel put BAR @bar of PCI device @addr: line @bar of its
 * sysfs `resource` file (start, end, flags as include/linux/ioport.h has
 * them: 0x200 memory, 0x2000 prefetchable, 0x100000 64-bit).
 */
static void say_bar(const char *addr, int bar)
{
	unsigned long long start = 0, end = 0, flags = 0;
	char path[512], line[128];
	FILE *f;
	int i = 0;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", addr);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f) && i++ < bar)
		;
	if (f && i > bar)
		sscanf(line, "%llx %llx %llx", &start, &end, &flags);
	if (f)
		fclose(f);
	if (!start || end < start) {
		say(MARK "pci %s BAR%d: not assigned", addr, bar);
		return;
	}
	say(MARK "pci %s BAR%d: %s 0x%llx-0x%llx (%llu KiB)%s%s", addr, bar,
	    flags & 0x200 ? "mem" : "io", start, end, (end - start + 1) >> 10,
	    flags & 0x100000 ? ", 64-bit" : "",
	    flags & 0x2000 ? ", prefetchable" : "");
}

/*
 * Each QNX shmem device (1c05:0001): its BARs as the kernel assigned them
 * and the kernel's lines about it. vessel-guest maps BAR0 (the factory
 * page) and BAR2 (a 1 GiB window of connections) through sysfs.
 */
static void say_shmem_devices(void)
{
	DIR *d = opendir(PCI_DEVICES);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    pci_number(de->d_name, "vendor") != 0x1c05 ||
		    pci_number(de->d_name, "device") != 0x0001)
			continue;
		say(MARK "pci %s [1c05:0001] QNX shmem, irq %ld", de->d_name,
		    pci_number(de->d_name, "irq"));
		say_bar(de->d_name, 0);
		say_bar(de->d_name, 2);
		say_kernel_log(de->d_name);
	}
	if (d)
		closedir(d);
}

/*
 * The lifecycle daemon: /etc/vessel-requests waits for the host's request
 * and runs poweroff or reboot, whose shutdown announces it.
 */
static void start_request_daemon(void)
{
	const char *const argv[] = { REQUEST_DAEMON, NULL };

	spawn(argv);
}

/*
 * The disk test: /etc/vessel-disk does the file system's part and exits
 * (or, for hang, never does). The button's shutdown unmounts with the rest.
 */
static void disk_test(void)
{
	const char *const argv[] = { DISK_SCRIPT, want.disk, NULL };
	bool button = !strcmp(want.disk, "button");

	if (button)
		start_acpid();
	reap_until(spawn(argv), LLONG_MAX);
	if (button) {
		say(MARK "ready");
		wait_for_shutdown();
	}
	shutdown_system(RB_POWER_OFF);
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
	const char *test = want.test;

	block_signals();
	mount_fs("devtmpfs", "/dev");
	open_console();
	mount_fs("proc", "/proc");
	mount_fs("sysfs", "/sys");
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	uname(&uts);
	say(MARK "init %s", uts.release);
	say_machine();
	read_wanted();
	load_modules();
	say_shmem_devices();

	if (!strcmp(test, "poweroff")) {
		shutdown_system(RB_POWER_OFF);
	} else if (!strcmp(test, "reboot")) {
		shutdown_system(RB_AUTOBOOT);
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
	} else if (!strcmp(test, "lifecycle-daemon")) {
		start_request_daemon();
		say(MARK "ready");
		wait_for_shutdown();
	} else if (!strcmp(test, "disk")) {
		disk_test();
	} else if (!strcmp(test, "watchdog-stop-kicking")) {
		watchdog_test(false);
	} else if (!strcmp(test, "watchdog-magic-close")) {
		watchdog_test(true);
	} else {
		say(MARK "error: unknown vessel.test='%s'", test);
		power(RB_POWER_OFF, "poweroff");
	}
	/* Still here: the action failed. Stay up so the log shows why. */
	for (;;)
		pause();
}
