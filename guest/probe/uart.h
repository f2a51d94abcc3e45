/* COM1 16550 console and receiver. */
#ifndef PROBE_UART_H
#define PROBE_UART_H

#include "types.h"

#define UART_COM1 0x3f8
#define UART_COM1_IRQ 4

/* Program 115200 8N1 the way Linux's early 8250 console does. */
void uart_init(void);
/* Write @len bytes, polling LSR.THRE before each one (bounded). */
void uart_write(const char *s, size_t len);
/* Enable the received-data interrupt (IER.RDI) and the OUT2 IRQ gate. */
void uart_rx_irq_enable(void);
/* Disable every UART interrupt source. */
void uart_rx_irq_disable(void);
/* Read IIR, as Linux's handler does first; true if an interrupt is pending. */
bool uart_irq_pending(void);
/* Next received byte, or -1 when LSR.DR is clear. */
int uart_getc(void);

#endif
