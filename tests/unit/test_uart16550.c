// SPDX-License-Identifier: Apache-2.0
/*
 * The 16550 as Linux's 8250 driver probes and drives it. Expected values
 * come from the PC16550D datasheet and from what 8250_port.c checks
 * (autoconfig(), serial8250_do_startup()), not from the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_env.h"
#include "../../src/vmm/boot/acpi/aml.h"
#include "../../src/vmm/boot/layout.h"

extern const struct dev_type dev_uart16550;

#define RBR (PORT_COM1 + 0)
#define THR (PORT_COM1 + 0)
#define DLL (PORT_COM1 + 0)
#define IER (PORT_COM1 + 1)
#define DLM (PORT_COM1 + 1)
#define IIR (PORT_COM1 + 2)
#define FCR (PORT_COM1 + 2)
#define LCR (PORT_COM1 + 3)
#define MCR (PORT_COM1 + 4)
#define LSR (PORT_COM1 + 5)
#define MSR (PORT_COM1 + 6)
#define SCR (PORT_COM1 + 7)

struct ctx {
	struct dev_env *env;
	void *dev;
	char out[64]; /* the file: backend */
};

static struct ctx *ctx_new_opt(const char *serial)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char opt[160];
	const char *opts[] = { opt, NULL };
	int fd;

	assert_non_null(c);
	strcpy(c->out, "/tmp/test_uart.XXXXXX");
	fd = mkstemp(c->out);
	assert_true(fd >= 0);
	close(fd);
	if (serial)
		snprintf(opt, sizeof(opt), "serial %s", serial);
	else
		snprintf(opt, sizeof(opt), "serial file:%s", c->out);
	c->env = fake_env_new(MiB(1), opts);
	c->dev = fake_dev_create(c->env, &dev_uart16550);
	return c;
}

static int setup(void **state)
{
	*state = ctx_new_opt(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->dev) {
		dev_uart16550.quiesce(c->dev, STOP_POWEROFF);
		dev_uart16550.destroy(c->dev);
	}
	fake_env_free(c->env);
	unlink(c->out);
	free(c);
	return 0;
}

static size_t read_out(struct ctx *c, char *buf, size_t len)
{
	int fd = open(c->out, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len);
	close(fd);
	assert_true(n >= 0);
	return n;
}

static int com1_level(struct ctx *c)
{
	return c->env->irq[IRQ_COM1].level;
}

/* Power-on values, PC16550D Table IV. */
static void test_reset_values(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fake_inb(c->env, IER), 0x00);
	assert_int_equal(fake_inb(c->env, IIR), 0x01);
	assert_int_equal(fake_inb(c->env, LCR), 0x00);
	assert_int_equal(fake_inb(c->env, MCR), 0x00);
	assert_int_equal(fake_inb(c->env, LSR), 0x60);
	/* Null modem, always ready: DCD | DSR | CTS, no deltas. */
	assert_int_equal(fake_inb(c->env, MSR), 0xb0);
	assert_int_equal(com1_level(c), 0);
}

static void test_scratch(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, SCR, 0x55);
	assert_int_equal(fake_inb(c->env, SCR), 0x55);
	fake_outb(c->env, SCR, 0xaa);
	assert_int_equal(fake_inb(c->env, SCR), 0xaa);
}

/* autoconfig(): IER 0 reads 0, 0x0f reads 0x0f; the Xscale UUE bit stays 0. */
static void test_ier_probe(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, IER, 0);
	assert_int_equal(fake_inb(c->env, IER) & 0x0f, 0);
	fake_outb(c->env, IER, 0x0f);
	assert_int_equal(fake_inb(c->env, IER) & 0x0f, 0x0f);
	fake_outb(c->env, IER, 0xff);
	assert_int_equal(fake_inb(c->env, IER), 0x0f);
	fake_outb(c->env, IER, 0);
}

static void test_lcr_dlab(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, IER, 0x05);
	fake_outb(c->env, LCR, 0x80);
	fake_outb(c->env, DLL, 0x01);
	fake_outb(c->env, DLM, 0x02);
	assert_int_equal(fake_inb(c->env, DLL), 0x01);
	assert_int_equal(fake_inb(c->env, DLM), 0x02);
	fake_outb(c->env, LCR, 0x03); /* 8N1 */
	assert_int_equal(fake_inb(c->env, LCR), 0x03);
	assert_int_equal(fake_inb(c->env, IER), 0x05);
	fake_outb(c->env, LCR, 0xbf); /* UART_LCR_CONF_MODE_B */
	assert_int_equal(fake_inb(c->env, LCR), 0xbf);
	assert_int_equal(fake_inb(c->env, DLL), 0x01);
	fake_outb(c->env, LCR, 0x03);
	/* Divisor writes did not reach THR. */
	assert_int_equal(read_out(c, (char[8]){ 0 }, 8), 0);
}

/* autoconfig(): FCR enable -> IIR bits 7:6 = 3 (16550A), EFR probes see != 0. */
static void test_fcr_iir_fifo(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, FCR, 0x01);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	assert_int_equal(fake_inb(c->env, IIR) >> 6, 3);
	/* LCR 0x80 / 0xbf: offset 2 still reads IIR, so EFR looks absent. */
	fake_outb(c->env, LCR, 0x80);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	fake_outb(c->env, LCR, 0xbf);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	fake_outb(c->env, LCR, 0);
	/* No TI16750: 64-byte FIFO bit 5 never sets. */
	fake_outb(c->env, FCR, 0x21);
	assert_int_equal(fake_inb(c->env, IIR) & 0x20, 0);
	fake_outb(c->env, FCR, 0x00);
	assert_int_equal(fake_inb(c->env, IIR), 0x01);
}

/* autoconfig(): MCR = LOOP | OUT2 | RTS must read MSR & 0xf0 == 0x90. */
static void test_loopback_msr(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, MCR, 0x10 | 0x0a);
	assert_int_equal(fake_inb(c->env, MSR) & 0xf0, 0x90);
	fake_outb(c->env, MCR, 0x1f);
	assert_int_equal(fake_inb(c->env, MSR) & 0xf0, 0xf0);
	fake_outb(c->env, MCR, 0x10 | 0x01); /* DTR -> DSR */
	assert_int_equal(fake_inb(c->env, MSR) & 0xf0, 0x20);
	fake_outb(c->env, MCR, 0x10 | 0x04); /* OUT1 -> RI */
	assert_int_equal(fake_inb(c->env, MSR) & 0xf0, 0x40);
	fake_outb(c->env, MCR, 0);
	assert_int_equal(fake_inb(c->env, MSR) & 0xf0, 0xb0);
}

static void test_loopback_data(void **state)
{
	struct ctx *c = *state;
	char buf[8];

	fake_outb(c->env, MCR, 0x10);
	fake_outb(c->env, THR, 0x5a);
	assert_int_equal(fake_inb(c->env, LSR) & 0x61, 0x61);
	assert_int_equal(fake_inb(c->env, RBR), 0x5a);
	assert_int_equal(fake_inb(c->env, LSR) & 0x01, 0);
	fake_outb(c->env, THR, 0xa5);
	assert_int_equal(fake_inb(c->env, RBR), 0xa5);
	fake_outb(c->env, MCR, 0);
	/* Looped bytes never reach the console. */
	assert_int_equal(read_out(c, buf, sizeof(buf)), 0);
}

/* MSR bits 0-3: DCTS/DDSR/DDCD on change, TERI on RI 1 -> 0; read clears. */
static void test_msr_deltas(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fake_inb(c->env, MSR), 0xb0);
	fake_outb(c->env, MCR, 0x10); /* all inputs drop */
	assert_int_equal(fake_inb(c->env, MSR), 0x0b);
	assert_int_equal(fake_inb(c->env, MSR), 0x00);
	fake_outb(c->env, MCR, 0x14); /* RI rises: no delta */
	assert_int_equal(fake_inb(c->env, MSR), 0x40);
	fake_outb(c->env, MCR, 0x10); /* RI falls: TERI */
	assert_int_equal(fake_inb(c->env, MSR), 0x04);
	/* Modem status interrupt, lowest priority. */
	fake_outb(c->env, MCR, 0x12);
	fake_outb(c->env, IER, 0x08);
	assert_int_equal(com1_level(c), 1);
	assert_int_equal(fake_inb(c->env, IIR), 0x00);
	assert_int_equal(fake_inb(c->env, MSR), 0x11);
	assert_int_equal(com1_level(c), 0);
	assert_int_equal(fake_inb(c->env, IIR), 0x01);
}

static void test_tx_file(void **state)
{
	struct ctx *c = *state;
	const char *msg = "Linux version\r\n";
	char buf[64];
	size_t i, n;
	struct stat st;

	for (i = 0; msg[i]; i++)
		fake_outb(c->env, THR, msg[i]);
	n = read_out(c, buf, sizeof(buf));
	assert_int_equal(n, strlen(msg));
	assert_memory_equal(buf, msg, n);
	assert_int_equal(stat(c->out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/*
 * THRE interrupt: raised when IER.THRI is set with THR empty, cleared by
 * the IIR read that reports it, re-raised by a THR write or by toggling
 * IER.THRI (serial8250_do_startup's THRE test expects both IIR reads to
 * show THRI).
 */
static void test_thre_irq(void **state)
{
	struct ctx *c = *state;
	char buf[4];

	fake_outb(c->env, FCR, 0x01);
	fake_outb(c->env, IER, 0x02);
	assert_int_equal(com1_level(c), 1);
	assert_int_equal(fake_inb(c->env, IIR), 0xc2);
	assert_int_equal(com1_level(c), 0);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	fake_outb(c->env, IER, 0);
	fake_outb(c->env, IER, 0x02);
	assert_int_equal(fake_inb(c->env, IIR), 0xc2);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	/* A THR write re-raises it: the line sees a new edge. */
	fake_outb(c->env, THR, 'A');
	assert_int_equal(com1_level(c), 1);
	assert_int_equal(c->env->irq[IRQ_COM1].raises, 3);
	fake_outb(c->env, IER, 0); /* stop_tx */
	assert_int_equal(com1_level(c), 0);
	assert_int_equal(read_out(c, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'A');
}

/* Overrun: PC16550D LSR bit 1; FIFO mode keeps the 16, drops the 17th. */
static void test_overrun_fifo(void **state)
{
	struct ctx *c = *state;
	int i;

	fake_outb(c->env, FCR, 0x07);
	fake_outb(c->env, MCR, 0x10);
	fake_outb(c->env, IER, 0x05); /* RLSI | RDI */
	for (i = 0; i < 17; i++)
		fake_outb(c->env, THR, 0x30 + i);
	/* Line status outranks received data. */
	assert_int_equal(fake_inb(c->env, IIR), 0xc6);
	assert_int_equal(fake_inb(c->env, LSR), 0x63);
	assert_int_equal(fake_inb(c->env, LSR), 0x61);
	assert_int_equal(fake_inb(c->env, IIR), 0xc4);
	for (i = 0; i < 16; i++)
		assert_int_equal(fake_inb(c->env, RBR), 0x30 + i);
	assert_int_equal(fake_inb(c->env, LSR) & 0x01, 0);
	assert_int_equal(fake_inb(c->env, IIR), 0xc1);
	assert_int_equal(com1_level(c), 0);
}

/* 16450 mode: one holding register; an overrun overwrites it. */
static void test_overrun_nofifo(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, MCR, 0x10);
	fake_outb(c->env, THR, 'a');
	fake_outb(c->env, THR, 'b');
	assert_int_equal(fake_inb(c->env, LSR), 0x63);
	assert_int_equal(fake_inb(c->env, RBR), 'b');
	assert_int_equal(fake_inb(c->env, LSR), 0x60);
}

/* FCR bit 1 empties the receive FIFO. */
static void test_fcr_clear_rx(void **state)
{
	struct ctx *c = *state;

	fake_outb(c->env, FCR, 0x01);
	fake_outb(c->env, MCR, 0x10);
	fake_outb(c->env, THR, 'x');
	assert_int_equal(fake_inb(c->env, LSR) & 0x01, 1);
	fake_outb(c->env, FCR, 0x03);
	assert_int_equal(fake_inb(c->env, LSR) & 0x01, 0);
}

/* --- input through the stdio backend: stdin is a pipe --- */

struct stdin_ctx {
	struct ctx c;
	int saved_stdin, wr;
};

static int setup_stdin(void **state)
{
	struct stdin_ctx *s = calloc(1, sizeof(*s));
	const char *opts[] = { "serial stdio", NULL };
	int p[2];

	assert_non_null(s);
	assert_int_equal(pipe(p), 0);
	s->saved_stdin = dup(STDIN_FILENO);
	assert_true(dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
	close(p[0]);
	s->wr = p[1];
	s->c.env = fake_env_new(MiB(1), opts);
	s->c.dev = fake_dev_create(s->c.env, &dev_uart16550);
	*state = s;
	return 0;
}

static int teardown_stdin(void **state)
{
	struct stdin_ctx *s = *state;

	dev_uart16550.quiesce(s->c.dev, STOP_POWEROFF);
	dev_uart16550.destroy(s->c.dev);
	fake_env_free(s->c.env);
	close(s->wr);
	dup2(s->saved_stdin, STDIN_FILENO);
	close(s->saved_stdin);
	free(s);
	return 0;
}

static void test_rx_irq(void **state)
{
	struct stdin_ctx *s = *state;
	struct dev_env *env = s->c.env;

	fake_outb(env, FCR, 0x01);
	fake_outb(env, IER, 0x01);
	assert_int_equal(env->irq[IRQ_COM1].level, 0);
	assert_int_equal(write(s->wr, "hi", 2), 2);
	assert_int_equal(fake_env_poll(env), 1);
	assert_int_equal(env->irq[IRQ_COM1].level, 1);
	assert_int_equal(fake_inb(env, IIR), 0xc4);
	assert_int_equal(fake_inb(env, LSR) & 0x01, 1);
	assert_int_equal(fake_inb(env, RBR), 'h');
	assert_int_equal(env->irq[IRQ_COM1].level, 1);
	assert_int_equal(fake_inb(env, RBR), 'i');
	assert_int_equal(env->irq[IRQ_COM1].level, 0);
	assert_int_equal(fake_inb(env, LSR) & 0x01, 0);
	assert_int_equal(fake_inb(env, IIR), 0xc1);
}

/* Input beyond the FIFO waits in the pipe: nothing is lost or reordered. */
static void test_rx_no_loss(void **state)
{
	struct stdin_ctx *s = *state;
	struct dev_env *env = s->c.env;
	char in[100], got[100];
	int i, n = 0, rounds = 0;

	for (i = 0; i < 100; i++)
		in[i] = (char)(i * 7 + 1);
	assert_int_equal(write(s->wr, in, sizeof(in)), sizeof(in));
	fake_outb(env, FCR, 0x01);
	while (n < 100 && rounds++ < 1000) {
		fake_env_poll(env);
		fake_env_advance(env, 1); /* the resume timer */
		while (n < 100 && (fake_inb(env, LSR) & 0x01))
			got[n++] = fake_inb(env, RBR);
		/* Never more than the FIFO at once, never an overrun. */
		assert_int_equal(fake_inb(env, LSR) & 0x02, 0);
	}
	assert_int_equal(n, 100);
	assert_memory_equal(got, in, sizeof(in));
}

static void test_rx_full_fifo_waits(void **state)
{
	struct stdin_ctx *s = *state;
	struct dev_env *env = s->c.env;
	char in[20];
	int i;

	memset(in, 'q', sizeof(in));
	fake_outb(env, FCR, 0x01);
	assert_int_equal(write(s->wr, in, sizeof(in)), sizeof(in));
	fake_env_poll(env);
	fake_env_poll(env); /* FIFO full: stops watching */
	assert_int_equal(fake_env_poll(env), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(fake_inb(env, RBR), 'q');
	assert_int_equal(fake_inb(env, LSR) & 0x03, 0);
	fake_env_advance(env, 1);
	assert_int_equal(fake_env_poll(env), 1);
	for (i = 0; i < 4; i++)
		assert_int_equal(fake_inb(env, RBR), 'q');
	assert_int_equal(fake_inb(env, LSR) & 0x01, 0);
}

/* --- the unix: backend --- */

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_unix_backend(void **state)
{
	char path[64], opt[80], b = 0;
	struct ctx *c;
	struct stat st;
	int cl, cl2;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_uart.%d.sock", getpid());
	snprintf(opt, sizeof(opt), "unix:%s", path);
	c = ctx_new_opt(opt);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* No client: output waits for the first one, nothing blocks. */
	fake_outb(c->env, THR, 'z');
	assert_int_equal(fake_inb(c->env, LSR) & 0x60, 0x60);
	cl = unix_connect(path);
	assert_int_equal(fake_env_poll(c->env), 1); /* accept */
	fake_outb(c->env, THR, 'y');
	fake_env_advance(c->env, 1); /* the loop drains the queue */
	assert_int_equal(read(cl, &b, 1), 1);
	assert_int_equal(b, 'z');
	assert_int_equal(read(cl, &b, 1), 1);
	assert_int_equal(b, 'y');
	assert_int_equal(write(cl, "k", 1), 1);
	assert_int_equal(fake_env_poll(c->env), 1);
	assert_int_equal(fake_inb(c->env, RBR), 'k');
	/* One client at a time; the next gets its turn when it leaves. */
	cl2 = unix_connect(path);
	close(cl);
	assert_int_equal(fake_env_poll(c->env), 1); /* EOF */
	assert_int_equal(fake_env_poll(c->env), 1); /* accept cl2 */
	fake_outb(c->env, THR, 'w');
	assert_int_equal(read(cl2, &b, 1), 1);
	assert_int_equal(b, 'w');
	close(cl2);
	teardown((void **)&c);
	assert_int_equal(lstat(path, &st), -1);
}

/*
 * pty with no reader: the vCPU never stalls; once the pty and vessel's
 * queue are full, THR keeps the byte and THRE reads 0, so a driver waits.
 */
static void test_pty_no_reader(void **state)
{
	struct ctx *c;
	int i;

	(void)state;
	c = ctx_new_opt("pty");
	for (i = 0; i < 200000; i++)
		fake_outb(c->env, THR, 'x');
	assert_int_equal(fake_inb(c->env, LSR) & 0x60, 0);
	teardown((void **)&c);
}

/*
 * With no unix client, the guest is never held up: the latest 64 KiB
 * wait for the next client, older bytes go.
 */
static void test_unix_no_client_keeps_latest(void **state)
{
	char path[64], opt[80], buf[4096];
	size_t got = 0, i, n = 100000;
	struct ctx *c;
	ssize_t r;
	int cl;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_uart_late.%d.sock", getpid());
	snprintf(opt, sizeof(opt), "unix:%s", path);
	c = ctx_new_opt(opt);
	for (i = 0; i < n; i++) {
		assert_int_equal(fake_inb(c->env, LSR) & 0x60, 0x60);
		fake_outb(c->env, THR, (u8)(i * 3));
	}
	cl = unix_connect(path);
	assert_int_equal(fake_env_poll(c->env), 1); /* accept */
	/* The latest 64 KiB arrive, in order. */
	for (i = n - 65536; got < 65536;) {
		fake_env_advance(c->env, 2000000);
		r = recv(cl, buf, sizeof(buf), MSG_DONTWAIT);
		for (ssize_t k = 0; k < r; k++, i++, got++)
			assert_int_equal((u8)buf[k], (u8)(i * 3));
	}
	close(cl);
	teardown((void **)&c);
}

/*
 * A console that reads slowly loses nothing: a driver that waits for
 * THRE (as Linux's 8250 does) gets every byte through, in order, while
 * the loop drains vessel's queue.
 */
static void test_slow_console_loses_nothing(void **state)
{
	enum { N = 300000 };
	char path[64], opt[80], buf[4096];
	size_t sent = 0, got = 0;
	struct ctx *c;
	int cl, spins = 0;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_uart_slow.%d.sock", getpid());
	snprintf(opt, sizeof(opt), "unix:%s", path);
	c = ctx_new_opt(opt);
	cl = unix_connect(path);
	assert_int_equal(fake_env_poll(c->env), 1); /* accept */
	while (got < N) {
		/* The guest: write while THRE says THR is empty. */
		while (sent < N && (fake_inb(c->env, LSR) & 0x20))
			fake_outb(c->env, THR, (u8)(sent++ * 7));
		/* The slow reader takes a little, then the loop drains. */
		n = recv(cl, buf, sizeof(buf) / 4, MSG_DONTWAIT);
		for (ssize_t i = 0; i < n; i++, got++)
			assert_int_equal((u8)buf[i], (u8)(got * 7));
		fake_env_advance(c->env, 2000000);
		assert_true(++spins < 100000);
	}
	assert_int_equal(sent, N);
	assert_int_equal(recv(cl, buf, 1, MSG_DONTWAIT), -1);
	close(cl);
	teardown((void **)&c);
}

static void test_none(void **state)
{
	const char *opts[] = { "serial none", NULL };
	struct dev_env *env = fake_env_new(MiB(1), opts);
	void *dev = (void *)1;

	(void)state;
	assert_int_equal(dev_uart16550.create(env, &dev), 0);
	assert_null(dev);
	assert_int_equal(fake_inb(env, LSR), 0xff);
	fake_env_free(env);
}

static void test_bad_file(void **state)
{
	const char *opts[] = { "serial file:/nonexistent/dir/console", NULL };
	struct dev_env *env = fake_env_new(MiB(1), opts);
	void *dev = NULL;

	(void)state;
	assert_int_equal(dev_uart16550.create(env, &dev), -ENOENT);
	assert_null(dev);
	/* Nothing left registered. */
	assert_int_equal(fake_inb(env, LSR), 0xff);
	fake_env_free(env);
}

/* Every offset, every size, every value pattern: no crash, sane state. */
static void test_hostile(void **state)
{
	static const u8 sizes[] = { 1, 2, 4, 8 };
	static const u64 vals[] = { 0, 0xff, 0x80, 0x1f, ~0ULL, 0x5a5a5a5a };
	struct ctx *c = *state;
	unsigned int off, s, v, i;

	for (i = 0; i < 4; i++)
		for (off = 0; off < 8; off++)
			for (s = 0; s < ARRAY_SIZE(sizes); s++)
				for (v = 0; v < ARRAY_SIZE(vals); v++) {
					fake_write(c->env, BUS_PIO,
						   PORT_COM1 + off, sizes[s],
						   vals[v] >> i);
					fake_read(c->env, BUS_PIO,
						  PORT_COM1 + off, sizes[s]);
				}
	/* Wide accesses are refused: all-ones. */
	assert_int_equal(fake_read(c->env, BUS_PIO, LSR, 2), 0xffff);
	assert_int_equal(fake_read(c->env, BUS_PIO, SCR, 4), 0xffffffff);
	fake_outb(c->env, LCR, 0);
	fake_outb(c->env, MCR, 0);
	assert_int_equal(fake_inb(c->env, LSR) & 0x60, 0x60);
}

/* The DSDT bytes Linux's PNP layer reads (ACPI 6.4 6.1.5, 6.4.2.1, 6.4.2.5). */
static void test_dsdt(void **state)
{
	static const u8 hid[] = { 0x08, '_',  'H',  'I',  'D',
				  0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const u8 uid[] = { 0x08, '_', 'U', 'I', 'D', 0x01 };
	static const u8 io[] = {
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x08, 0x08
	};
	static const u8 irq[] = { 0x22, 0x10, 0x00, 0x79 };
	static const u8 dev[] = { 0x5b, 0x82 };
	struct ctx *c = *state;
	struct aml a;

	aml_init(&a);
	dev_uart16550.dsdt(c->dev, &a);
	assert_int_equal(a.err, 0);
	assert_memory_equal(a.buf, dev, sizeof(dev));
	assert_non_null(memmem(a.buf, a.len, "COM1", 4));
	assert_non_null(memmem(a.buf, a.len, hid, sizeof(hid)));
	assert_non_null(memmem(a.buf, a.len, uid, sizeof(uid)));
	assert_non_null(memmem(a.buf, a.len, io, sizeof(io)));
	assert_non_null(memmem(a.buf, a.len, irq, sizeof(irq)));
	aml_free(&a);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TS(f) cmocka_unit_test_setup_teardown(f, setup_stdin, teardown_stdin)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		T(test_scratch),
		T(test_ier_probe),
		T(test_lcr_dlab),
		T(test_fcr_iir_fifo),
		T(test_loopback_msr),
		T(test_loopback_data),
		T(test_msr_deltas),
		T(test_tx_file),
		T(test_thre_irq),
		T(test_overrun_fifo),
		T(test_overrun_nofifo),
		T(test_fcr_clear_rx),
		TS(test_rx_irq),
		TS(test_rx_no_loss),
		TS(test_rx_full_fifo_waits),
		cmocka_unit_test(test_unix_backend),
		cmocka_unit_test(test_pty_no_reader),
		cmocka_unit_test(test_slow_console_loses_nothing),
		cmocka_unit_test(test_unix_no_client_keeps_latest),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_bad_file),
		T(test_hostile),
		T(test_dsdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
