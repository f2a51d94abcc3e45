// SPDX-License-Identifier: Apache-2.0
/*
 * COM1: a National Semiconductor PC16550D UART, modelled as far as Linux's
 * 8250 driver looks (drivers/tty/serial/8250/8250_port.c: autoconfig(),
 * the loopback and THRE tests) and wired to a host backend chosen by the
 * `serial` option: stdio, file:PATH, pty, unix:PATH or none.
 *
 * Transmission is instantaneous while the host takes the bytes: THR and
 * the shift register are empty again as soon as the guest writes THR, so
 * LSR.THRE|TEMT read 1 and the THRE interrupt re-arms at once. When the
 * console backend would block (a slow terminal or pipe), bytes wait in a
 * 64 KiB queue that the main loop drains; when that is full, the byte
 * stays in THR and THRE reads 0 until there is room: the guest's driver
 * waits, as on a real line, and no output is lost. A vCPU never blocks.
 * A unix: socket with no client keeps the latest 64 KiB for the next one.
 * Receiving goes through a 16-byte FIFO (1 byte with FIFOs off); console
 * input only leaves the host fd when the FIFO has room, so none is ever
 * lost.
 *
 * Locking: u->lock covers the registers and the backend. I/O handlers run
 * on vCPU threads; input, accept and resume callbacks on the main loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../crash.h"
#include "../../common/conf.h"
#include "../../common/log.h"
#include "../boot/acpi/aml.h"
#include "../boot/layout.h"
#include "dev.h"

/* Register offsets (PC16550D datasheet, Table II). */
#define UART_RX 0 /* RBR, read, DLAB = 0 */
#define UART_TX 0 /* THR, write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_NR_PORTS 8

#define UART_IER_RDI 0x01 /* received data available */
#define UART_IER_THRI 0x02 /* THR empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI 0x08 /* modem status */
#define UART_IER_MASK 0x0f

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_FIFO_ENABLED 0xc0

#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_FCR_CLEAR_XMIT 0x04
#define UART_FCR_STORED 0xc9 /* enable, DMA mode, RX trigger level */

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_DELTAS 0x0f
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

#define UART_FIFO_SIZE 16
#define UART_TXQ_SIZE (64 * 1024)
#define UART_TXQ_RETRY_NS 1000000ULL /* retry a blocked console after 1 ms */
#define UART_TXQ_EXIT_MS 2000 /* at exit, wait this long for a slow console */

struct uart_backend {
	int in_fd; /* console input, -1 when none */
	int out_fd; /* console output, -1: bytes are dropped */
	int listen_fd; /* unix:, -1 otherwise */
	int slave_fd; /* pty: held open so the master never sees a hangup */
	bool out_poll; /* stdio: a shared tty stays blocking; poll first */
	bool in_watched;
	bool in_paused; /* input waits in the host fd for FIFO room */
	bool tty_raw; /* stdin's termios saved in saved_tio */
	struct termios saved_tio;
	char *sock_path; /* unix: unlinked at destroy */
	u64 drops; /* output bytes lost: no client, or THR overwritten */
	u8 *txq; /* bytes the console did not take yet, a ring */
	size_t txq_head, txq_len;
};

struct uart {
	pthread_mutex_t lock;
	struct dev_env *env;
	u8 ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr, rbr;
	bool thr_ipending; /* THRE interrupt pending (cleared by IIR read) */
	int irq_level;
	u8 rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	struct dev_timer resume; /* re-watches paused input on the main loop */
	struct dev_timer drain; /* writes the output queue on the main loop */
	bool thr_full; /* the queue was full: @thr waits, THRE reads 0 */
	u8 thr;
	bool quiesced;
	bool spoke; /* the guest wrote its first byte ("booted" event) */
	struct uart_backend be;
};

/* --- receive FIFO --- */

static unsigned int uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_FIFO_SIZE : 1;
}

static unsigned int uart_rx_room(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0; /* the serial input is disconnected in loopback */
	return uart_rx_capacity(u) - MIN(u->rx_count, uart_rx_capacity(u));
}

/*
 * PC16550D LSR bit 1: in FIFO mode an overrun keeps the FIFO and loses
 * the new character; in 16450 mode the new character overwrites RBR.
 */
static void uart_rx_push(struct uart *u, u8 b)
{
	if (u->rx_count >= uart_rx_capacity(u)) {
		u->lsr |= UART_LSR_OE;
		if (!(u->fcr & UART_FCR_ENABLE_FIFO))
			u->rx[u->rx_head] = b;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
	u->rx_count++;
	u->lsr |= UART_LSR_DR;
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = u->rx_count = 0;
	u->lsr &= ~UART_LSR_DR;
}

/* Paused input may flow again: re-watch it from the main loop. */
static void uart_rx_kick(struct uart *u)
{
	if (u->be.in_paused && !u->quiesced && uart_rx_room(u))
		env_timer_arm(u->env, &u->resume, 0);
}

static u8 uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		if (!--u->rx_count)
			u->lsr &= ~UART_LSR_DR;
		uart_rx_kick(u);
	}
	return u->rbr; /* an empty RBR reads its last character */
}

/* --- backends --- */

/* Write up to @len bytes without blocking; how many went, or -1. */
static ssize_t uart_be_write(struct uart_backend *be, const u8 *b, size_t len)
{
	struct pollfd p = { .fd = be->out_fd, .events = POLLOUT };

	/* A shared terminal stays blocking: ask first, then write a little. */
	if (be->out_poll && poll(&p, 1, 0) != 1)
		return -1;
	if (be->out_poll && len > 64)
		len = 64;
	if (be->listen_fd >= 0)
		return send(be->out_fd, b, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(be->out_fd, b, len);
}

/* Drain the queue as far as the console takes it now. Lock held. */
static void uart_txq_flush(struct uart *u)
{
	struct uart_backend *be = &u->be;

	while (be->txq_len && be->out_fd >= 0) {
		size_t run = MIN(be->txq_len, UART_TXQ_SIZE - be->txq_head);
		ssize_t n = uart_be_write(be, be->txq + be->txq_head, run);

		if (n <= 0)
			break;
		be->txq_head = (be->txq_head + n) % UART_TXQ_SIZE;
		be->txq_len -= n;
	}
	if (be->out_fd < 0 && be->listen_fd < 0)
		be->txq_len = 0;
}

static bool uart_txq_push(struct uart *u, u8 b)
{
	struct uart_backend *be = &u->be;

	if (be->txq_len == UART_TXQ_SIZE)
		return false;
	be->txq[(be->txq_head + be->txq_len) % UART_TXQ_SIZE] = b;
	be->txq_len++;
	if (!u->drain.deadline_ns)
		env_timer_arm(u->env, &u->drain, UART_TXQ_RETRY_NS);
	return true;
}

/*
 * One byte to the console: written now, or queued behind what waits.
 * False when the queue is full: the byte must stay in THR. Lock held.
 */
static bool uart_be_put(struct uart *u, u8 b)
{
	struct uart_backend *be = &u->be;

	if (be->out_fd < 0) {
		/*
		 * unix: no client yet (a supervisor connecting as the guest
		 * starts) or between clients: keep the latest 64 KiB for the
		 * next one, never holding the guest up for nobody.
		 */
		if (be->listen_fd < 0)
			return true;
		if (be->txq_len == UART_TXQ_SIZE) {
			be->txq_head = (be->txq_head + 1) % UART_TXQ_SIZE;
			be->txq_len--;
			be->drops++;
		}
		be->txq[(be->txq_head + be->txq_len) % UART_TXQ_SIZE] = b;
		be->txq_len++;
		return true;
	}
	if (!be->txq_len && uart_be_write(be, &b, 1) == 1)
		return true;
	return uart_txq_push(u, b);
}

static void uart_be_unwatch(struct uart *u)
{
	if (u->be.in_watched)
		env_unwatch_fd(u->env, u->be.in_fd);
	u->be.in_watched = false;
}

static void uart_on_input(void *dev, int fd);

static void uart_be_watch(struct uart *u)
{
	int ret;

	if (u->be.in_fd < 0 || u->be.in_watched)
		return;
	ret = env_watch_fd(u->env, u->be.in_fd, uart_on_input, u);
	/* EPERM: not pollable (stdin is /dev/null or a file): no input. */
	if (ret && ret != -EPERM)
		log_warn("serial: console input disabled: %s", strerror(-ret));
	u->be.in_watched = !ret;
}

static void uart_on_accept(void *dev, int fd);

/* unix: the client left; wait for the next one. */
static void uart_be_disconnect(struct uart *u)
{
	uart_be_unwatch(u);
	close(u->be.in_fd);
	u->be.in_fd = u->be.out_fd = -1;
	u->be.in_paused = false;
	if (env_watch_fd(u->env, u->be.listen_fd, uart_on_accept, u))
		log_warn("serial: cannot wait for the next unix client");
}

/* End of input: stdin at EOF, a pty error, or a unix client gone. */
static void uart_be_input_end(struct uart *u)
{
	if (u->be.listen_fd >= 0) {
		uart_be_disconnect(u);
		return;
	}
	uart_be_unwatch(u);
	u->be.in_fd = -1;
}

static void uart_update_irq(struct uart *u);

/* Main loop: console input is readable. Read only what the FIFO holds. */
static void uart_on_input(void *dev, int fd)
{
	struct uart *u = dev;
	u8 buf[UART_FIFO_SIZE];
	unsigned int room, i;
	ssize_t n;

	pthread_mutex_lock(&u->lock);
	room = uart_rx_room(u);
	if (!room || u->quiesced) {
		uart_be_unwatch(u);
		u->be.in_paused = !u->quiesced;
		goto out;
	}
	n = read(fd, buf, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		uart_be_input_end(u);
	for (i = 0; n > 0 && i < (unsigned int)n; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
out:
	pthread_mutex_unlock(&u->lock);
}

/* Timer on the main loop: the guest made room or left loopback. */
static void uart_on_resume(void *dev)
{
	struct uart *u = dev;

	pthread_mutex_lock(&u->lock);
	if (u->be.in_paused && !u->quiesced && uart_rx_room(u)) {
		u->be.in_paused = false;
		uart_be_watch(u);
	}
	pthread_mutex_unlock(&u->lock);
}

/* unix: one client at a time; later ones wait in the listen backlog. */
static void uart_on_accept(void *dev, int fd)
{
	struct uart *u = dev;
	int c;

	pthread_mutex_lock(&u->lock);
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c >= 0 && !u->quiesced) {
		env_unwatch_fd(u->env, fd);
		u->be.in_fd = u->be.out_fd = c;
		uart_be_watch(u);
		/* What the guest wrote while nobody listened goes first. */
		if (u->be.txq_len)
			env_timer_arm(u->env, &u->drain, 0);
	} else if (c >= 0) {
		close(c);
	}
	pthread_mutex_unlock(&u->lock);
}

/*
 * Raw mode for a console on the user's terminal, as QEMU's stdio chardev
 * sets it: no echo, no line editing, no CR/LF translation on input.
 * ISIG stays on, so ^C presses the power button (DESIGN.md, signals);
 * ^Z is passed to the guest rather than stopping vessel with a raw tty.
 */
static int uart_tty_raw(struct uart_backend *be)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &be->saved_tio))
		return -errno;
	t = be->saved_tio;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cflag = (t.c_cflag & ~(CSIZE | PARENB)) | CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	t.c_cc[VSUSP] = _POSIX_VDISABLE;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return -errno;
	be->tty_raw = true;
	crash_note_tty(STDIN_FILENO, &be->saved_tio);
	return 0;
}

/* Every exit path: quiesce and destroy both call this; runs once. */
static void uart_tty_restore(struct uart_backend *be)
{
	sigset_t ttou, old;

	if (!be->tty_raw)
		return;
	/* A vessel moved to the background must not stop on SIGTTOU here. */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &ttou, &old);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &be->saved_tio))
		log_warn_errno("serial: cannot restore the terminal");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	be->tty_raw = false;
	crash_forget_tty();
}

static int uart_open_stdio(struct uart *u)
{
	struct uart_backend *be = &u->be;

	be->out_fd = STDOUT_FILENO;
	be->out_poll = true;
	be->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO)) {
		/* A background job reading its tty would stop on SIGTTIN. */
		if (tcgetpgrp(STDIN_FILENO) != getpgrp()) {
			log_info(
				"serial: not the terminal's foreground job; console input disabled");
			be->in_fd = -1;
			return 0;
		}
		if (uart_tty_raw(be))
			log_warn_errno(
				"serial: cannot put the terminal in raw mode");
	}
	uart_be_watch(u);
	return 0;
}

static int uart_open_file(struct uart *u, const char *opt, const char *path)
{
	/* As the events file: a link planted at the path is not followed. */
	u->be.out_fd = open(
		path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (u->be.out_fd < 0) {
		int ret = -errno;

		if (ret == -ELOOP)
			log_err("serial %s: a symbolic link: refused", opt);
		else
			log_err_errno("serial %s: cannot open %s", opt, path);
		return ret;
	}
	return 0;
}

/* A pty whose slave we keep open in raw mode (no echo into the guest). */
static int uart_pty_slave(struct uart *u, char *name, size_t len)
{
	struct termios t;

	if (grantpt(u->be.in_fd) || unlockpt(u->be.in_fd) ||
	    ptsname_r(u->be.in_fd, name, len))
		return -errno;
	u->be.slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (u->be.slave_fd < 0 || tcgetattr(u->be.slave_fd, &t))
		return -errno;
	cfmakeraw(&t);
	if (tcsetattr(u->be.slave_fd, TCSANOW, &t))
		return -errno;
	return 0;
}

static int uart_open_pty(struct uart *u)
{
	char name[64];
	int ret;

	u->be.in_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (u->be.in_fd < 0)
		ret = -errno;
	else
		ret = uart_pty_slave(u, name, sizeof(name));
	if (ret) {
		log_err("serial pty: cannot create a pseudo-terminal: %s",
			strerror(-ret));
		return ret;
	}
	u->be.out_fd = u->be.in_fd;
	log_info("serial console on %s", name);
	uart_be_watch(u);
	return 0;
}

/* Bind @path as a 0600 socket, replacing a stale socket but no other file. */
static int uart_unix_bind(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	/* Linux: the socket inode's mode becomes the bound file's mode. */
	if (fchmod(fd, 0600) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	if (chmod(path, 0600) || listen(fd, 1))
		return -errno;
	return 0;
}

static int uart_open_unix(struct uart *u, const char *opt, const char *path)
{
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ret = fd < 0 ? -errno : uart_unix_bind(fd, path);
	if (ret)
		goto err_close;
	u->be.sock_path = strdup(path);
	if (!u->be.sock_path) {
		ret = -ENOMEM;
		goto err_unlink;
	}
	ret = env_watch_fd(u->env, fd, uart_on_accept, u);
	if (ret)
		goto err_free;
	u->be.listen_fd = fd;
	return 0;
err_free:
	free(u->be.sock_path);
	u->be.sock_path = NULL;
err_unlink:
	unlink(path);
err_close:
	if (fd >= 0)
		close(fd);
	log_err("serial %s: cannot listen on %s: %s", opt, path,
		strerror(-ret));
	return ret;
}

static int uart_be_open(struct uart *u, const char *opt)
{
	if (!strcmp(opt, "stdio"))
		return uart_open_stdio(u);
	if (!strcmp(opt, "pty"))
		return uart_open_pty(u);
	if (!strncmp(opt, "file:", 5) && opt[5])
		return uart_open_file(u, opt, opt + 5);
	if (!strncmp(opt, "unix:", 5) && opt[5])
		return uart_open_unix(u, opt, opt + 5);
	log_err("serial %s: expected stdio, file:PATH, pty, unix:PATH or none",
		opt);
	return -EINVAL;
}

/* Stop all input and restore the terminal; output fds stay until destroy. */
static void uart_be_detach(struct uart *u)
{
	uart_be_unwatch(u);
	if (u->be.listen_fd >= 0 && u->be.in_fd < 0)
		env_unwatch_fd(u->env, u->be.listen_fd);
	uart_tty_restore(&u->be);
}

static void uart_be_close(struct uart *u)
{
	struct uart_backend *be = &u->be;

	uart_be_detach(u);
	if (be->out_fd > STDERR_FILENO)
		close(be->out_fd);
	if (be->in_fd > STDERR_FILENO && be->in_fd != be->out_fd)
		close(be->in_fd);
	if (be->slave_fd >= 0)
		close(be->slave_fd);
	if (be->listen_fd >= 0)
		close(be->listen_fd);
	if (be->sock_path)
		unlink(be->sock_path);
	free(be->sock_path);
	if (be->drops)
		log_warn("serial: %llu console output bytes lost",
			 (unsigned long long)be->drops);
}

/* --- registers --- */

/* Interrupt priorities: PC16550D Table IV. */
static u8 uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && (u->lsr & UART_LSR_DR))
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* The line follows "an interrupt is pending"; called after every access. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_id(u) != UART_IIR_NO_INT;

	if (level != u->irq_level)
		env_irq_set(u->env, IRQ_COM1, level);
	u->irq_level = level;
}

/*
 * The modem inputs: with MCR.LOOP, CTS = RTS, DSR = DTR, RI = OUT1 and
 * DCD = OUT2 (PC16550D MCR bit 4); otherwise a null modem that is always
 * ready (DCD, DSR, CTS).
 */
static u8 uart_modem_inputs(const struct uart *u)
{
	u8 m = u->mcr, in = 0;

	if (!(m & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (m & UART_MCR_RTS)
		in |= UART_MSR_CTS;
	if (m & UART_MCR_DTR)
		in |= UART_MSR_DSR;
	if (m & UART_MCR_OUT1)
		in |= UART_MSR_RI;
	if (m & UART_MCR_OUT2)
		in |= UART_MSR_DCD;
	return in;
}

/* MSR bits 0-3 record changes since the last MSR read; TERI only 1 -> 0. */
static void uart_msr_update(struct uart *u)
{
	u8 in = uart_modem_inputs(u), chg = (u->msr ^ in) & 0xf0;

	if (chg & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if (chg & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if (chg & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	if ((chg & UART_MSR_RI) && !(in & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
	u->msr = (u->msr & UART_MSR_DELTAS) | in;
}

static void uart_tx(struct uart *u, u8 b)
{
	if (u->mcr & UART_MCR_LOOP) {
		uart_rx_push(u, b);
	} else {
		if (!u->spoke) {
			u->spoke = true;
			env_event(u->env, "booted", "by", "console output");
		}
		/* A write while THR is still full replaces what it held. */
		if (u->thr_full) {
			u->be.drops++;
			u->thr = b;
			return;
		}
		if (!uart_be_put(u, b)) {
			u->thr = b;
			u->thr_full = true;
			u->lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
			return;
		}
	}
	/* The character left at once: THR is empty and THRE pending again. */
	u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	u->thr_ipending = true;
}

/*
 * The main loop's turn at the output queue: write what the console
 * takes, move a waiting THR byte into the room made (THRE again, with
 * its interrupt), and come back while anything still waits.
 */
static void uart_drain(void *dev)
{
	struct uart *u = dev;

	pthread_mutex_lock(&u->lock);
	uart_txq_flush(u);
	if (u->thr_full && uart_txq_push(u, u->thr)) {
		u->thr_full = false;
		u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
		u->thr_ipending = true;
		uart_update_irq(u);
	}
	if (u->be.txq_len && u->be.out_fd >= 0 && !u->quiesced)
		env_timer_arm(u->env, &u->drain, UART_TXQ_RETRY_NS);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write_ier(struct uart *u, u8 v)
{
	u8 chg = (u->ier ^ v) & UART_IER_THRI;

	u->ier = v & UART_IER_MASK;
	/*
	 * Enabling ETBEI with THR empty raises THRE at once; Linux's THRE
	 * test (serial8250_do_startup) toggles IER.THRI and expects it.
	 */
	if (chg)
		u->thr_ipending =
			(u->ier & UART_IER_THRI) && (u->lsr & UART_LSR_THRE);
}

/* FCR bit 0: changing the FIFO enable resets both FIFOs. */
static void uart_write_fcr(struct uart *u, u8 v)
{
	if ((v ^ u->fcr) & UART_FCR_ENABLE_FIFO)
		v |= UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT;
	if (v & UART_FCR_CLEAR_RCVR)
		uart_rx_clear(u);
	/* UART_FCR_CLEAR_XMIT: nothing ever waits in the transmitter. */
	u->fcr = (v & UART_FCR_ENABLE_FIFO) ? v & UART_FCR_STORED : 0;
	uart_rx_kick(u);
}

static void uart_write_mcr(struct uart *u, u8 v)
{
	u->mcr = v & UART_MCR_MASK;
	uart_msr_update(u);
	uart_rx_kick(u);
}

static void uart_write(struct uart *u, unsigned int off, u8 v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (off) {
	case UART_TX:
		if (dlab)
			u->dll = v;
		else
			uart_tx(u, v);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			uart_write_ier(u, v);
		break;
	case UART_FCR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		uart_write_mcr(u, v);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR: factory test only, writes ignored */
		break;
	}
}

static u8 uart_read_iir(struct uart *u)
{
	u8 id = uart_iir_id(u);

	/* Reading IIR while it names THRE clears that interrupt (Table IV). */
	if (id == UART_IIR_THRI)
		u->thr_ipending = false;
	return id |
	       ((u->fcr & UART_FCR_ENABLE_FIFO) ? UART_IIR_FIFO_ENABLED : 0);
}

static u8 uart_read(struct uart *u, unsigned int off)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v;

	switch (off) {
	case UART_RX:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= ~UART_LSR_ERRORS; /* read clears OE, PE, FE, BI */
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static enum io_res uart_io(void *dev, struct io_access *a)
{
	struct uart *u = dev;

	/* The 16550 is an 8-bit part; Linux only ever uses inb/outb. */
	if (a->size != 1 || a->off >= UART_NR_PORTS) {
		log_warn_once("serial: ignoring %u-byte access at COM1+%llu",
			      a->size, (unsigned long long)a->off);
		return IO_UNHANDLED;
	}
	pthread_mutex_lock(&u->lock);
	if (a->write)
		uart_write(u, a->off, a->val);
	else
		a->val = uart_read(u, a->off);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return IO_OK;
}

/* Power-on values: PC16550D Table IV ("Reset" column). */
static void uart_reset_regs(struct uart *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->fcr = u->rbr = 0;
	u->dll = 12; /* 9600 baud at 1.8432 MHz, as firmware leaves it */
	u->dlm = 0;
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = uart_modem_inputs(u);
	u->thr_ipending = false;
	uart_rx_clear(u);
}

/* --- device --- */

static void uart_reset(void *dev)
{
	struct uart *u = dev;

	pthread_mutex_lock(&u->lock);
	uart_reset_regs(u);
	uart_update_irq(u);
	uart_rx_kick(u);
	pthread_mutex_unlock(&u->lock);
}

static struct uart *uart_alloc(struct dev_env *env)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->env = env;
	u->be.in_fd = u->be.out_fd = -1;
	u->be.listen_fd = u->be.slave_fd = -1;
	u->resume.fire = uart_on_resume;
	u->resume.dev = u;
	u->drain.fire = uart_drain;
	u->drain.dev = u;
	u->be.txq = malloc(UART_TXQ_SIZE);
	if (!u->be.txq) {
		free(u);
		return NULL;
	}
	uart_reset_regs(u);
	return u;
}

static void uart_free(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
	free(u->be.txq);
	free(u);
}

/*
 * vessel is going: what the guest wrote still reaches a slow console,
 * within a bounded wait; a console that takes nothing for that long
 * loses the rest, and says how much.
 */
static void uart_txq_final(struct uart *u)
{
	struct uart_backend *be = &u->be;
	struct pollfd p = { .fd = be->out_fd, .events = POLLOUT };
	int waited = 0;

	if (u->thr_full && uart_txq_push(u, u->thr))
		u->thr_full = false;
	while (be->txq_len && be->out_fd >= 0 && waited < UART_TXQ_EXIT_MS) {
		size_t before = be->txq_len;

		uart_txq_flush(u);
		if (be->txq_len == before && poll(&p, 1, 10) == 0)
			waited += 10;
	}
	be->drops += be->txq_len + u->thr_full;
	be->txq_len = 0;
}

static int uart_create(struct dev_env *env, void **dev)
{
	const char *opt = conf_get(env_conf(env), "serial");
	struct uart *u;
	int ret;

	*dev = NULL;
	if (!opt)
		opt = "stdio";
	if (!strcmp(opt, "none"))
		return 0;
	u = uart_alloc(env);
	if (!u)
		return -ENOMEM;
	ret = uart_be_open(u, opt);
	if (ret)
		goto err_free;
	ret = env_bus_add(env, BUS_PIO, PORT_COM1, UART_NR_PORTS, uart_io, u);
	if (ret) {
		log_err("serial: ports 0x%x-0x%x are taken", PORT_COM1,
			PORT_COM1 + UART_NR_PORTS - 1);
		goto err_close;
	}
	*dev = u;
	return 0;
err_close:
	uart_be_close(u);
err_free:
	uart_free(u);
	return ret;
}

/* All vCPUs are stopped: detach the console and give the terminal back. */
static void uart_quiesce(void *dev, enum stop_reason why)
{
	struct uart *u = dev;

	(void)why;
	pthread_mutex_lock(&u->lock);
	u->quiesced = true;
	env_timer_cancel(u->env, &u->resume);
	env_timer_cancel(u->env, &u->drain);
	uart_txq_final(u);
	uart_be_detach(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_destroy(void *dev)
{
	struct uart *u = dev;

	env_timer_cancel(u->env, &u->resume);
	env_timer_cancel(u->env, &u->drain);
	env_bus_del(u->env, BUS_PIO, PORT_COM1);
	uart_be_close(u);
	uart_free(u);
}

/* Device(COM1): what Linux's 8250_pnp binds to (PNP0501, ACPI 6.4 6.1.5). */
static void uart_dsdt(void *dev, struct aml *aml)
{
	size_t d, crs;

	(void)dev;
	d = aml_device_begin(aml, "COM1");
	aml_name_eisaid(aml, "_HID", "PNP0501");
	aml_name_int(aml, "_UID", 1);
	crs = aml_crs_begin(aml, "_CRS");
	aml_crs_io(aml, PORT_COM1, PORT_COM1, 0x08, UART_NR_PORTS);
	aml_crs_irq(aml, IRQ_COM1);
	aml_crs_end(aml, crs);
	aml_block_end(aml, d);
}

VESSEL_DEVICE(dev_uart16550) = {
	.name = "uart16550",
	.prio = 20,
	.create = uart_create,
	.reset = uart_reset,
	.quiesce = uart_quiesce,
	.destroy = uart_destroy,
	.dsdt = uart_dsdt,
};
