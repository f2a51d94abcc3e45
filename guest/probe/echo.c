/*
 * Interrupt-driven receive, set up as Linux does it for a legacy 8250 on
 * an I/O APIC system: PICs masked (main.c), LAPIC enabled (apic.c),
 * IOAPIC entry for ISA IRQ 4 after the MADT overrides (ioapic.c), then
 * MCR.OUT2 and IER.RDI (serial8250_startup()). The handler reads IIR,
 * then RBR while LSR.DR, as serial8250_handle_irq() and
 * serial8250_rx_chars() do (at most 256 bytes per interrupt).
 */
#include "echo.h"
#include "apic.h"
#include "ioapic.h"
#include "print.h"
#include "trap.h"
#include "uart.h"

#define RX_MAX_PER_IRQ 256

static char *rx_line;
static size_t rx_size, rx_len;
static bool rx_done;

static void rx_byte(int c)
{
	if (rx_done)
		return;
	if (c == '\r' || c == '\n') {
		/* A line ending before any text is the tail of an earlier one. */
		rx_done = rx_len > 0;
		return;
	}
	if (rx_len + 1 < rx_size)
		rx_line[rx_len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
}

static void echo_irq(u8 vector)
{
	int c, n;

	(void)vector;
	uart_irq_pending();
	for (n = 0; n < RX_MAX_PER_IRQ; n++) {
		c = uart_getc();
		if (c < 0)
			break;
		rx_byte(c);
	}
	apic_eoi();
}

static bool line_done(void *unused)
{
	(void)unused;
	return READ_ONCE(rx_done);
}

int echo_read_line(const struct madt_info *m, char *line, size_t size,
		   u64 timeout_us)
{
	int err;

	rx_line = line;
	rx_size = size;
	rx_len = 0;
	rx_done = false;
	trap_set_handler(VEC_UART, echo_irq);
	err = ioapic_route_isa(m, UART_COM1_IRQ, VEC_UART, apic_id());
	if (err)
		return err;
	uart_rx_irq_enable();
	probe_line("READY echo");
	apic_wait(line_done, NULL, timeout_us);
	uart_rx_irq_disable();
	ioapic_mask_isa(m, UART_COM1_IRQ);
	line[rx_len] = '\0';
	return READ_ONCE(rx_done) ? 0 : -ETIMEDOUT;
}
