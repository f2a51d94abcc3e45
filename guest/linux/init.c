// SPDX-License-Identifier: Apache-2.0
/*
 * /init of the stock Linux test guest. It prints markers on the console
 * ("VESSEL-GUEST: ...") and does what vessel.test= on the kernel command
 * line asks: poweroff, reboot, shell or panic. Unknown tests power off.
 *
 * Static and standalone: the initramfs holds this, busybox and the modules
 * listed in /etc/modules (one path per line, already in load order).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
#include <unistd.h>

#define MARK "VESSEL-GUEST: "

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

static void load_modules(void)
{
	char path[256];
	FILE *list = fopen("/etc/modules", "r");

	if (!list)
		return;
	while (fgets(path, sizeof(path), list)) {
		int fd;

		path[strcspn(path, "\n")] = '\0';
		if (!path[0])
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

static void power(int how, const char *what)
{
	say(MARK "%s", what);
	sync();
	reboot(how);
	say(MARK "error: reboot(%s): %s", what, strerror(errno));
}

static void run_shell(void)
{
	pid_t pid;

	say(MARK "shell");
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", (char *)NULL);
		say(MARK "error: exec /bin/sh: %s", strerror(errno));
		_exit(127);
	}
	/* PID 1 must not exit (that panics): reap until the shell is done. */
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void sysrq_crash(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	say(MARK "panic");
	sync();
	if (fd < 0 || write(fd, "c", 1) != 1)
		say(MARK "error: sysrq-trigger: %s", strerror(errno));
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

int main(void)
{
	struct utsname uts;
	char test[64];

	mount_fs("devtmpfs", "/dev");
	open_console();
	mount_fs("proc", "/proc");
	mount_fs("sysfs", "/sys");
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	uname(&uts);
	say(MARK "init %s", uts.release);
	say_machine();
	load_modules();
	read_test(test, sizeof(test));

	if (!strcmp(test, "poweroff")) {
		power(RB_POWER_OFF, "poweroff");
	} else if (!strcmp(test, "reboot")) {
		power(RB_AUTOBOOT, "reboot");
	} else if (!strcmp(test, "shell")) {
		run_shell();
		power(RB_POWER_OFF, "poweroff");
	} else if (!strcmp(test, "panic")) {
		sysrq_crash();
	} else {
		say(MARK "error: unknown vessel.test='%s'", test);
		power(RB_POWER_OFF, "poweroff");
	}
	/* Still here: the action failed. Stay up so the log shows why. */
	for (;;)
		pause();
}
