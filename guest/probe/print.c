/*
 * A small printf: %s %c %d %i %u %x %X %p %% with '-', '0', width,
 * precision (for %s) and the h, l, ll, z length modifiers; enough for
 * register dumps and e820 lines.
 * Lines are formatted into a buffer and written with one lock held, so
 * output from an AP's exception never interleaves with the BSP's.
 */
#include "print.h"
#include "lib.h"
#include "trap.h"
#include "uart.h"
#include "x86.h"

#define LINE_MAX 256
#define CONSOLE_SPINS 100000

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static u32 console_lock;

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

struct spec {
	bool left;
	bool zero;
	int width;
	int prec; /* -1: none; limits %s */
	int lng; /* 0: int, 1: long, 2: long long */
};

static void out_str(struct out *o, const char *s, const struct spec *sp)
{
	int n = (int)strnlen(s, sp->prec >= 0 ? (size_t)sp->prec : LINE_MAX);
	int i;

	if (!sp->left)
		out_pad(o, ' ', sp->width - n);
	for (i = 0; i < n; i++)
		out_char(o, s[i]);
	if (sp->left)
		out_pad(o, ' ', sp->width - n);
}

static void out_num(struct out *o, u64 v, unsigned int base, bool neg,
		    bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	pad = sp->width - n - neg;
	if (!sp->left && !sp->zero)
		out_pad(o, ' ', pad);
	if (neg)
		out_char(o, '-');
	if (!sp->left && sp->zero)
		out_pad(o, '0', pad);
	while (n)
		out_char(o, tmp[--n]);
	if (sp->left)
		out_pad(o, ' ', pad);
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (*f - '0');
	if (*f == '.')
		for (sp->prec = 0, f++; *f >= '0' && *f <= '9'; f++)
			sp->prec = sp->prec * 10 + (*f - '0');
	for (; *f == 'l' || *f == 'z' || *f == 'h'; f++)
		if (*f != 'h')
			sp->lng += *f == 'z' ? 2 : 1;
	return f;
}

static u64 arg_unsigned(va_list *ap, int lng)
{
	if (lng >= 1)
		return lng >= 2 ? va_arg(*ap, unsigned long long) :
				  va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static s64 arg_signed(va_list *ap, int lng)
{
	if (lng >= 1)
		return lng >= 2 ? va_arg(*ap, long long) : va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void out_conv(struct out *o, char c, const struct spec *sp, va_list *ap)
{
	const char *s;
	s64 sv;

	switch (c) {
	case 'd':
	case 'i':
		sv = arg_signed(ap, sp->lng);
		out_num(o, sv < 0 ? -(u64)sv : (u64)sv, 10, sv < 0, false, sp);
		break;
	case 'u':
		out_num(o, arg_unsigned(ap, sp->lng), 10, false, false, sp);
		break;
	case 'x':
	case 'X':
		out_num(o, arg_unsigned(ap, sp->lng), 16, false, c == 'X', sp);
		break;
	case 'p':
		out_char(o, '0');
		out_char(o, 'x');
		out_num(o, (u64)va_arg(*ap, void *), 16, false, false, sp);
		break;
	case 'c':
		out_char(o, (char)va_arg(*ap, int));
		break;
	case 's':
		s = va_arg(*ap, const char *);
		out_str(o, s ? s : "(null)", sp);
		break;
	default:
		out_char(o, '%');
		out_char(o, c);
	}
}

int probe_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		if (*fmt == '%')
			out_char(&o, '%');
		else
			out_conv(&o, *fmt, &sp, &aq);
		fmt++;
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)(o.len < size ? o.len : size ? size - 1 : 0);
}

int probe_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = probe_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * The wait for the lock is bounded: an exception taken while this CPU
 * holds it must still get its FAIL line out (garbled at worst) instead
 * of spinning forever.
 */
static void console_put(const char *line, size_t len)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) &&
	       spins++ < CONSOLE_SPINS)
		cpu_relax();
	uart_write(line, len);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/* "<prefix><step>[: <fmt...>]\n" as one line. */
static __printf(3, 0) void emit(const char *prefix, const char *step,
				const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	size_t n;

	n = (size_t)probe_snprintf(line, sizeof(line) - 1, "PROBE %s%s%s",
				   prefix, step ? step : "",
				   step && fmt ? ": " : "");
	if (fmt)
		n += (size_t)probe_vsnprintf(line + n, sizeof(line) - 1 - n,
					     fmt, ap);
	line[n++] = '\n';
	console_put(line, n);
}

void probe_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", NULL, fmt, ap);
	va_end(ap);
}

void probe_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("INFO ", NULL, fmt, ap);
	va_end(ap);
}

void probe_pass(const char *step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("PASS ", step, fmt, ap);
	va_end(ap);
}

void probe_fail(const char *step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("FAIL ", step, fmt, ap);
	va_end(ap);
}

__noreturn void probe_abort(const char *step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("FAIL ", step, fmt, ap);
	va_end(ap);
	trap_triple_fault();
}
