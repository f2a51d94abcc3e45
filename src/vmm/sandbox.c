// SPDX-License-Identifier: Apache-2.0
/*
 * The system-call allowlists of vessel's threads (docs/security.md
 * "System-call allowlists (seccomp)"). One table per group of calls, one
 * list of groups per thread role; ioctl is allowed by request number and
 * mmap/mprotect never with PROT_EXEC. Filters are loaded per thread
 * (no TSYNC): each thread loads its own once it is set up, and no thread
 * creates threads or processes after that. [firecracker seccompiler;
 * cloud-hypervisor seccomp_filters.rs; QEMU -sandbox]
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/types.h"
#include "crash.h"
#include "statefile.h"

/* What a rule looks at besides the call number. */
enum sb_arg {
	SB_ANY,
	SB_NO_EXEC, /* mmap, mprotect: arg 2 (prot) without PROT_EXEC */
	SB_UNIX, /* socket: arg 0 (family) AF_UNIX */
	SB_IOCTL, /* ioctl: arg 1 in the role's request list */
	SB_OPEN_READ, /* openat: read-only, or the crash record's exact flags */
};

struct sb_call {
	int nr;
	enum sb_arg arg;
};

/* The lists read best as tables. */
/* clang-format off */
#define ANY(name) { SCMP_SYS(name), SB_ANY }
#define ARG(name, a) { SCMP_SYS(name), a }
#define SB_END { -1, SB_ANY }

/*
 * Every thread: memory (malloc's arenas, never executable), locks and
 * condition variables, clocks, logging to stderr and events to their
 * file, and its own exit.
 */
static const struct sb_call sb_base[] = {
	ANY(read), ANY(write), ANY(readv), ANY(writev), ANY(close),
	ANY(futex), ANY(sched_yield),
	ANY(clock_gettime), ANY(clock_nanosleep), ANY(nanosleep),
	ANY(gettimeofday),
	ANY(getpid), ANY(gettid), ANY(getrandom),
	ANY(brk), ARG(mmap, SB_NO_EXEC), ARG(mprotect, SB_NO_EXEC),
	ANY(munmap), ANY(mremap), ANY(madvise),
	ANY(fstat), ANY(newfstatat), ANY(lseek), ANY(poll), ANY(ppoll),
	ANY(restart_syscall), ANY(rt_sigreturn), ANY(rt_sigprocmask),
	ANY(sigaltstack), /* the sanitizers' signal stacks, at exit */
	ANY(exit), ANY(exit_group),
	SB_END,
};

/*
 * Every thread, for a fatal signal's handler (crash.c, the SIGSYS one
 * here): the terminal put back (an ioctl in the role's list), the state
 * record rewritten as "crashed" (statefile_crash), the signal re-raised.
 */
static const struct sb_call sb_crash[] = {
	ARG(openat, SB_OPEN_READ), ANY(unlinkat), ANY(fchmod), ANY(fsync),
	ANY(renameat), ANY(renameat2),
	ANY(rt_sigaction), ANY(tgkill),
	SB_END,
};

/*
 * Ringing a shared-memory peer (src/shm/doorbell.c): its doorbell is
 * fetched once over its Unix socket (SCM_RIGHTS), its liveness checked
 * through a pidfd or /proc. From a vCPU (a doorbell register) or the loop.
 */
static const struct sb_call sb_shm_ring[] = {
	ARG(socket, SB_UNIX), ANY(connect), ANY(getsockopt),
	ANY(sendto), ANY(recvmsg),
	ANY(pidfd_open), ANY(geteuid),
	SB_END,
};

/*
 * Opening and closing a shared-memory region (src/shm/region.c) while
 * the guest runs: the QNX-style device's guest creates and attaches
 * regions through its registers (a vCPU); the loop closes them. The
 * region directory, the file (created, linked in, sized, locked, given
 * to the configured user; an existing one's header read), its mapping,
 * the peer's doorbell (an eventfd)
 * and its listening socket (made 0600).
 */
static const struct sb_call sb_shm_open[] = {
	ANY(mkdir), ANY(openat), ANY(linkat), ANY(unlinkat), ANY(readlinkat),
	ANY(getdents64), ANY(ftruncate), ANY(fallocate), ANY(flock),
	ANY(fchown), ANY(fchownat), ANY(fchmod), ANY(fchmodat), ANY(fcntl),
	ANY(pread64), ANY(eventfd2), ANY(bind), ANY(listen),
	SB_END,
};

/*
 * A vCPU: KVM_RUN and what device models do on the guest's accesses:
 * interrupts and MSI routes (ioctls), eventfd writes, timers of the main
 * loop (timerfd), the console (write, send), events to subscribers
 * (dropped ones are shut down), and the kick of the others (pause).
 */
static const struct sb_call sb_vcpu[] = {
	ARG(ioctl, SB_IOCTL),
	ANY(timerfd_settime), ANY(epoll_ctl),
	ANY(sendmsg), ANY(shutdown),
	SB_END,
};

/*
 * A disk's I/O thread: the image (vectored reads and writes at an offset,
 * fdatasync, fallocate for discard and write-zeroes), its kick and stop
 * eventfds (poll, read), the interrupt it raises (eventfd write, or an
 * ioctl), events of failed requests.
 */
static const struct sb_call sb_disk[] = {
	ANY(preadv), ANY(pwritev), ANY(preadv2), ANY(pwritev2),
	ANY(pread64), ANY(pwrite64), ANY(fdatasync), ANY(fallocate),
	ARG(ioctl, SB_IOCTL),
	ANY(sendmsg), ANY(shutdown),
	SB_END,
};

/*
 * The main thread after setup: the epoll loop (signalfd, timerfd, the
 * control socket and its clients, the console, doorbells and shared-memory
 * listeners), pausing and stopping the vCPUs (tgkill, join), the quiesce
 * (a disk's final fdatasync, the state record), the hook runner's socket,
 * and the teardown (unlink of sockets, flock of region slots).
 */
static const struct sb_call sb_main[] = {
	ARG(ioctl, SB_IOCTL),
	ANY(epoll_wait), ANY(epoll_pwait), ANY(epoll_ctl), ANY(timerfd_settime),
	ANY(accept4), ANY(recvfrom), ANY(sendmsg), ANY(shutdown),
	ANY(openat), ANY(unlink), ANY(fcntl), ANY(fdatasync),
	ANY(wait4), /* the hook runner, once it ended */
	SB_END,
};

/* Terminal requests of the crash handler: tcsetattr(TCSANOW) and kin. */
#define SB_TTY_RESTORE TCSETS, TCSETSW, TCSETSF

static const unsigned long sb_vcpu_ioctls[] = {
	KVM_RUN,
	KVM_GET_REGS, /* the register dump of a broken guest */
	KVM_GET_SREGS,
	KVM_SET_USER_MEMORY_REGION, /* BAR moves of shared memory */
	KVM_SET_GSI_ROUTING, /* MSI-X vectors */
	KVM_IRQFD,
	KVM_IOEVENTFD, /* BAR moves of doorbells and notify areas */
	KVM_IRQ_LINE,
	KVM_SIGNAL_MSI,
	SB_TTY_RESTORE,
};

static const unsigned long sb_disk_ioctls[] = {
	KVM_IRQ_LINE,
	KVM_SIGNAL_MSI,
	SB_TTY_RESTORE,
};

static const unsigned long sb_main_ioctls[] = {
	KVM_SET_USER_MEMORY_REGION, /* shared-memory peers come and go */
	KVM_SET_GSI_ROUTING,
	KVM_IRQFD,
	KVM_IOEVENTFD,
	KVM_IRQ_LINE, /* console input */
	KVM_SIGNAL_MSI,
	KVM_GET_REGS,
	KVM_GET_SREGS,
	TCGETS, /* the console's terminal: raw mode and back */
	SB_TTY_RESTORE,
	TIOCGWINSZ,
	FIONREAD,
	FIONBIO,
};

/* clang-format on */

struct sb_list {
	const struct sb_call *const *groups; /* NULL-terminated */
	const unsigned long *ioctls;
	size_t nr_ioctls;
};

#define GROUPS(...) ((const struct sb_call *const[]){ __VA_ARGS__, NULL })

static const struct sb_list sb_lists[SANDBOX_NR_ROLES] = {
	[SANDBOX_MAIN] = { GROUPS(sb_base, sb_crash, sb_shm_ring, sb_shm_open,
				  sb_main),
			   sb_main_ioctls, ARRAY_SIZE(sb_main_ioctls) },
	[SANDBOX_VCPU] = { GROUPS(sb_base, sb_crash, sb_shm_ring, sb_shm_open,
				  sb_vcpu),
			   sb_vcpu_ioctls, ARRAY_SIZE(sb_vcpu_ioctls) },
	[SANDBOX_DISK] = { GROUPS(sb_base, sb_crash, sb_disk), sb_disk_ioctls,
			   ARRAY_SIZE(sb_disk_ioctls) },
};

static const char *const sb_role_names[SANDBOX_NR_ROLES] = {
	[SANDBOX_MAIN] = "main",
	[SANDBOX_VCPU] = "vcpu",
	[SANDBOX_DISK] = "disk",
};

/* --- what the SIGSYS handler prints: prepared when armed --- */

#define SB_MAX_NR 512
#define SB_NAME_LEN 24

/*
 * Process-wide by nature, like crash.c's: there is one SIGSYS handler,
 * and it can reach nothing else.
 */
static struct {
	enum sandbox_mode mode;
	bool armed;
	int events_fd;
	u64 start_ns;
	char guest_json[96]; /* ,"guest":"..." or "" */
	char prefix[64]; /* "vessel[web1]: " */
	char arch[16];
	u32 arch_token;
	char names[SB_MAX_NR][SB_NAME_LEN];
} sb;

static __thread int sb_thread_role = -1;
static __thread char sb_thread_name[16];

int sandbox_mode_parse(const char *s, enum sandbox_mode *mode)
{
	if (!s || !strcmp(s, "on"))
		*mode = SANDBOX_ON;
	else if (!strcmp(s, "log"))
		*mode = SANDBOX_LOG;
	else if (!strcmp(s, "off"))
		*mode = SANDBOX_OFF;
	else
		return -EINVAL;
	return 0;
}

const char *sandbox_role_name(enum sandbox_role role)
{
	return role < SANDBOX_NR_ROLES ? sb_role_names[role] : "?";
}

/* --- async-signal-safe formatting --- */

struct sb_buf {
	char s[512];
	size_t n;
};

static void sb_put(struct sb_buf *b, const char *s)
{
	while (*s && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = *s++;
}

static void sb_put_uint(struct sb_buf *b, u64 v, int min_digits)
{
	char d[24];
	int i = 0;

	do {
		d[i++] = '0' + v % 10;
		v /= 10;
	} while (v || i < min_digits);
	while (i && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = d[--i];
}

static void sb_put_hex(struct sb_buf *b, u32 v)
{
	int i;

	sb_put(b, "0x");
	for (i = 28; i >= 0 && b->n < sizeof(b->s) - 1; i -= 4)
		b->s[b->n++] = "0123456789abcdef"[(v >> i) & 15];
}

/* Howard Hinnant's days_from_civil, inverted: UTC date of a day number. */
static void sb_civil(s64 days, s64 *y, unsigned *m, unsigned *d)
{
	s64 z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (s64)yoe + era * 400 + (*m <= 2);
}

/* "2026-11-23T09:41:07.123Z", as events.c writes it. */
static void sb_put_wall(struct sb_buf *b)
{
	struct timespec ts;
	s64 y, secs;
	unsigned m, d;

	clock_gettime(CLOCK_REALTIME, &ts);
	secs = ts.tv_sec;
	sb_civil(secs / 86400, &y, &m, &d);
	sb_put_uint(b, (u64)y, 4);
	sb_put(b, "-");
	sb_put_uint(b, m, 2);
	sb_put(b, "-");
	sb_put_uint(b, d, 2);
	sb_put(b, "T");
	sb_put_uint(b, secs % 86400 / 3600, 2);
	sb_put(b, ":");
	sb_put_uint(b, secs % 3600 / 60, 2);
	sb_put(b, ":");
	sb_put_uint(b, secs % 60, 2);
	sb_put(b, ".");
	sb_put_uint(b, ts.tv_nsec / 1000000, 3);
	sb_put(b, "Z");
}

static void sb_write(int fd, const struct sb_buf *b)
{
	if (write(fd, b->s, b->n) < 0)
		return;
}

static const char *sb_name_of(int nr)
{
	return nr >= 0 && nr < SB_MAX_NR && sb.names[nr][0] ? sb.names[nr] :
							      "unknown";
}

static bool sb_native(const siginfo_t *si)
{
	return (u32)si->si_arch == sb.arch_token;
}

/* vessel[web1]: seccomp: thread vcpu0 (vcpu): system call 101 (ptrace), ... */
static void sb_say(const siginfo_t *si)
{
	struct sb_buf b = { .n = 0 };
	int role = sb_thread_role;

	sb_put(&b, sb.prefix);
	sb_put(&b, "fatal: seccomp: thread ");
	sb_put(&b, sb_thread_name[0] ? sb_thread_name : "?");
	sb_put(&b, " (");
	sb_put(&b, role >= 0 ? sb_role_names[role] : "?");
	sb_put(&b, ") made system call ");
	sb_put_uint(&b, (u32)si->si_syscall, 1);
	sb_put(&b, " (");
	sb_put(&b, sb_native(si) ? sb_name_of(si->si_syscall) : "?");
	sb_put(&b, ", arch ");
	if (sb_native(si))
		sb_put(&b, sb.arch);
	else
		sb_put_hex(&b, (u32)si->si_arch);
	sb_put(&b, "), which is not in its allowlist: killed by SIGSYS "
		   "(docs/security.md says how to extend a list)\n");
	sb_write(STDERR_FILENO, &b);
}

static void sb_event(const siginfo_t *si)
{
	struct sb_buf b = { .n = 0 };
	struct timespec ts;
	u64 mono;
	int role = sb_thread_role;

	if (sb.events_fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec - sb.start_ns;
	sb_put(&b, "{\"event\":\"seccomp-violation\"");
	sb_put(&b, sb.guest_json);
	sb_put(&b, ",\"mono\":");
	sb_put_uint(&b, mono / 1000000000ULL, 1);
	sb_put(&b, ".");
	sb_put_uint(&b, mono % 1000000000ULL / 1000, 6);
	sb_put(&b, ",\"wall\":\"");
	sb_put_wall(&b);
	sb_put(&b, "\",\"thread\":\"");
	sb_put(&b, sb_thread_name);
	sb_put(&b, "\",\"role\":\"");
	sb_put(&b, role >= 0 ? sb_role_names[role] : "?");
	sb_put(&b, "\",\"syscall\":\"");
	sb_put(&b, sb_native(si) ? sb_name_of(si->si_syscall) : "?");
	sb_put(&b, "\",\"nr\":");
	sb_put_uint(&b, (u32)si->si_syscall, 1);
	sb_put(&b, ",\"arch\":\"");
	if (sb_native(si))
		sb_put(&b, sb.arch);
	else
		sb_put_hex(&b, (u32)si->si_arch);
	sb_put(&b, "\"}\n");
	sb_write(sb.events_fd, &b);
}

/*
 * SCMP_ACT_TRAP: say which call of which thread, put the terminal back
 * and mark the state record crashed (crash.c's steps), then die of
 * SIGSYS for whoever waits for the process.
 */
static void sb_on_sigsys(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (si->si_code == 1) { /* SYS_SECCOMP */
		sb_say(si);
		sb_event(si);
	}
	crash_restore(sig);
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

/* --- building and loading filters --- */

static int sb_add_ioctls(scmp_filter_ctx ctx, const struct sb_list *l)
{
	size_t i;
	int ret;

	for (i = 0; i < l->nr_ioctls; i++) {
		/* The kernel takes the request as an unsigned int. */
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL,
					       l->ioctls[i]));
		if (ret)
			return ret;
	}
	return 0;
}

static int sb_add_open(scmp_filter_ctx ctx)
{
	/* The crash record: statefile_commit()'s exact flags. */
	const u64 record = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	const u64 writes = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
	int ret;

	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, writes, 0));
	return ret ? ret :
		     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_EQ, record));
}

static int sb_add_call(scmp_filter_ctx ctx, const struct sb_list *l,
		       const struct sb_call *c)
{
	switch (c->arg) {
	case SB_NO_EXEC:
		return seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, c->nr, 1,
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case SB_UNIX:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	case SB_IOCTL:
		return sb_add_ioctls(ctx, l);
	case SB_OPEN_READ:
		return sb_add_open(ctx);
	case SB_ANY:
		break;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 0);
}

/* A call in two groups (openat: any in main, restricted in crash) once. */
static bool sb_listed_unrestricted(const struct sb_list *l, int nr)
{
	const struct sb_call *const *g;
	const struct sb_call *c;

	for (g = l->groups; *g; g++)
		for (c = *g; c->nr != -1; c++)
			if (c->nr == nr && c->arg == SB_ANY)
				return true;
	return false;
}

static scmp_filter_ctx sb_build(enum sandbox_role role, enum sandbox_mode mode)
{
	const struct sb_list *l = &sb_lists[role];
	u32 deny = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	const struct sb_call *const *g;
	const struct sb_call *c;
	scmp_filter_ctx ctx = seccomp_init(deny);
	int ret = ctx ? 0 : -ENOMEM;

	/* A call of another architecture (int 0x80) is a violation too. */
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
	for (g = l->groups; *g && !ret; g++)
		for (c = *g; c->nr != -1 && !ret; c++) {
			if (c->arg != SB_ANY &&
			    sb_listed_unrestricted(l, c->nr))
				continue;
			ret = sb_add_call(ctx, l, c);
			/* A rule listed twice (ioctl in its groups) is fine. */
			if (ret == -EEXIST)
				ret = 0;
		}
	if (ret && ctx) {
		log_err("seccomp: %s list: %s", sb_role_names[role],
			strerror(-ret));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static void sb_resolve_names(void)
{
	int nr;

	for (nr = 0; nr < SB_MAX_NR; nr++) {
		char *name =
			seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (!name)
			continue;
		snprintf(sb.names[nr], SB_NAME_LEN, "%s", name);
		free(name);
	}
}

static void sb_arch(void)
{
	sb.arch_token = seccomp_arch_native();
	switch (sb.arch_token) {
	case SCMP_ARCH_X86_64:
		snprintf(sb.arch, sizeof(sb.arch), "x86_64");
		break;
	case SCMP_ARCH_AARCH64:
		snprintf(sb.arch, sizeof(sb.arch), "aarch64");
		break;
	default:
		snprintf(sb.arch, sizeof(sb.arch), "0x%x", sb.arch_token);
	}
}

/* The guest's name as a JSON field, escaped now rather than in the handler. */
static void sb_guest_json(const char *guest)
{
	struct json_object *s;

	sb.guest_json[0] = '\0';
	if (!guest)
		return;
	s = json_object_new_string(guest);
	snprintf(sb.guest_json, sizeof(sb.guest_json), ",\"guest\":%s",
		 json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
	json_object_put(s);
}

int sandbox_arm(enum sandbox_mode mode, int events_fd, const char *guest)
{
	struct sigaction sa = { .sa_sigaction = sb_on_sigsys,
				.sa_flags = SA_SIGINFO };
	struct timespec ts;

	sb.armed = false;
	sb.mode = mode;
	if (mode == SANDBOX_OFF) {
		log_warn(
			"seccomp off: the threads run without system-call allowlists (debugging only)");
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sb.start_ns = (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	sb.events_fd = events_fd;
	sb_guest_json(guest);
	if (guest)
		snprintf(sb.prefix, sizeof(sb.prefix), "vessel[%s]: ", guest);
	else
		snprintf(sb.prefix, sizeof(sb.prefix), "vessel: ");
	sb_arch();
	sb_resolve_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	sb.armed = true;
	return 0;
}

bool sandbox_armed(void)
{
	return sb.armed;
}

void sandbox_disarm(void)
{
	sb.armed = false;
}

int sandbox_enter(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	sigset_t sys;
	int ret;

	if (!sb.armed)
		return 0;
	if (role >= SANDBOX_NR_ROLES)
		return -EINVAL;
	sb_thread_role = role;
	prctl(PR_GET_NAME, sb_thread_name, 0, 0, 0);
	/* A blocked SIGSYS would kill silently, past the handler. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	ctx = sb_build(role, sb.mode);
	if (!ctx)
		return -EINVAL;
	ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		log_err("seccomp: cannot load the %s list: %s",
			sb_role_names[role], strerror(-ret));
	return ret;
}
