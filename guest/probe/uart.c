/*
 * 16550 UART at COM1. Register names follow Linux's
 * include/uapi/linux/serial_reg.h. The FIFO stays off, as in Linux's
 * early_serial_hw_init() (arch/x86/kernel/early_printk.c): enabling it
 * flushes the receiver, and a byte the host queued before boot would be
 * lost.
 */
#include "uart.h"
#include "x86.h"

#define UART_RX 0 /* DLAB=0: receive buffer (read) */
#define UART_TX 0 /* DLAB=0: transmit holding (write) */
#define UART_DLL 0 /* DLAB=1: divisor latch low */
#define UART_IER 1
#define UART_DLM 1 /* DLAB=1: divisor latch high */
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define UART_IER_RDI 0x01
#define UART_IIR_NO_INT 0x01
#define UART_LCR_WLEN8 0x03
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT2 0x08 /* gates the IRQ line on PCs */
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20

#define UART_DIVISOR 1 /* 115200 baud from the 1.8432 MHz clock */
/* Linux's early_serial_putc() gives up after 0xffff polls. */
#define UART_THRE_POLLS 0xffff

static void uart_out(unsigned int reg, u8 v)
{
	outb(v, UART_COM1 + reg);
}

static u8 uart_in(unsigned int reg)
{
	return inb(UART_COM1 + reg);
}

void uart_init(void)
{
	u8 lcr;

	uart_out(UART_LCR, UART_LCR_WLEN8);
	uart_out(UART_IER, 0);
	uart_out(UART_FCR, 0);
	uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	lcr = uart_in(UART_LCR);
	uart_out(UART_LCR, lcr | UART_LCR_DLAB);
	uart_out(UART_DLL, UART_DIVISOR & 0xff);
	uart_out(UART_DLM, UART_DIVISOR >> 8);
	uart_out(UART_LCR, lcr & ~UART_LCR_DLAB);
}

void uart_write(const char *s, size_t len)
{
	unsigned int polls;

	for (; len; len--, s++) {
		for (polls = 0; polls < UART_THRE_POLLS; polls++)
			if (uart_in(UART_LSR) & UART_LSR_THRE)
				break;
		uart_out(UART_TX, (u8)*s);
	}
}

/* serial8250_startup(): OUT2 enables the IRQ, then IER (8250_port.c). */
void uart_rx_irq_enable(void)
{
	uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	uart_out(UART_IER, UART_IER_RDI);
}

void uart_rx_irq_disable(void)
{
	uart_out(UART_IER, 0);
	uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

bool uart_irq_pending(void)
{
	return !(uart_in(UART_IIR) & UART_IIR_NO_INT);
}

int uart_getc(void)
{
	if (!(uart_in(UART_LSR) & UART_LSR_DR))
		return -1;
	return uart_in(UART_RX);
}
