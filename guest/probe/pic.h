/* The legacy 8259A pair, kept out of the way. */
#ifndef PROBE_PIC_H
#define PROBE_PIC_H

/* Remap both PICs above the exceptions and mask every line. */
void pic_disable(void);

#endif
