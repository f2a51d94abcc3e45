/*
 * probe.test=hostile-*: a guest that attacks its own machine with seeded,
 * reproducible garbage (random values of every width to every port and
 * register, PCI configuration space, BAR placement, virtqueues,
 * doorbells, interrupts). The hypervisor must keep running or end the
 * guest with a documented exit code; the guest, if it is still alive,
 * prints "PROBE PASS hostile-X ops=N" and powers off.
 */
#ifndef PROBE_HOSTILE_H
#define PROBE_HOSTILE_H

#include "acpi.h"
#include "madt.h"
#include "types.h"

/* The bus-0 functions the probe may attack (slots 0..31, 8 functions). */
#define HOSTILE_MAX_FUNCS 32
#define HOSTILE_BARS 6

struct hostile_bar {
	u64 addr, size; /* where firmware or vessel left it; 0: none */
	bool io, mem64;
	bool reachable; /* identity-mapped: below 4 GiB, or mapped here */
};

struct hostile_func {
	u8 devfn;
	u16 vendor, device;
	struct hostile_bar bar[HOSTILE_BARS];
};

struct hostile {
	const char *name; /* "hostile-pio" */
	const struct acpi_info *acpi;
	const struct madt_info *madt;
	u64 rng; /* xorshift64 state, never 0 */
	u32 seed;
	u64 ops, max_ops, every;
	/*
	 * probe.all=1: no filter. Without it, writes that end the guest by
	 * design (reset, S5, pvpanic, INIT to itself) or that a real OS
	 * could not survive either (interrupts on exception vectors) are
	 * bent into harmless neighbours, so the guest lives to say PASS.
	 */
	bool all;
	u64 scratch, scratch_len; /* RAM the devices may scribble on */
	u64 ram_end; /* the end of the RAM entry the probe lies in */
	u32 nr_funcs;
	struct hostile_func func[HOSTILE_MAX_FUNCS];
	u32 irqs, nmis; /* interrupts taken during the attack */
};

/* xorshift64 (Marsaglia 2003): the sequence is the seed's alone. */
u64 hostile_rand(struct hostile *h);
/* Uniform enough in [0, @n) for @n > 0. */
u64 hostile_below(struct hostile *h, u64 n);
/* 1, 2 or 4 (and 8 with @with8). */
u8 hostile_width(struct hostile *h, bool with8);
/* A guest-physical address for a DMA pointer: scratch, past RAM, wrapping. */
u64 hostile_dma_addr(struct hostile *h);

/*
 * Arguments (probe.seed, probe.ops with @def_ops, probe.every,
 * probe.all), the "INFO hostile seed" line, bus 0 enumerated with its
 * BARs sized, @scratch_len bytes of scratch RAM (0: none), then
 * interrupts off and the hostile IDT loaded: every vector from 32 up
 * counted and EOIed, NMIs counted.
 */
void hostile_begin(struct hostile *h, const char *name,
		   const struct acpi_info *ai, const struct madt_info *m,
		   u64 def_ops, u64 scratch_len);
/* Count one operation; the progress line every probe.every of them. */
void hostile_op(struct hostile *h);
/* True while the scenario should go on (fewer than probe.ops done). */
bool hostile_more(const struct hostile *h);
/*
 * Let pending interrupts in (on the hostile IDT). Under emulation a
 * pending interrupt is injected only on a VM entry, so interrupts are
 * opened around a few LAPIC reads, each an exit, rather than a spin.
 */
void hostile_take_irqs(void);
/* The usual IDT back, with pending interrupts taken first. */
void hostile_calm(struct hostile *h);
/* Calm, "PASS <name> ops=N", S5. */
__noreturn void hostile_end(struct hostile *h);

/* MMIO of @width bytes (1, 2, 4, 8) at @addr below 4 GiB. */
void hostile_mmio_write(u64 addr, u8 width, u64 val);
u64 hostile_mmio_read(u64 addr, u8 width);
void hostile_pio_write(u16 port, u8 width, u32 val);
u32 hostile_pio_read(u16 port, u8 width);

/* Whether [@addr, @addr + @len) may be written without hurting the probe. */
bool hostile_writable(const struct hostile *h, u64 addr, u64 len);
/* Bend an interrupt message (MSI data, ICR, LVT, RTE) into a survivable one. */
u32 hostile_tame_irq(const struct hostile *h, u32 v, bool nmi_ok);

__noreturn void hostile_pio_run(const struct acpi_info *ai,
				const struct madt_info *m);
__noreturn void hostile_mmio_run(const struct acpi_info *ai,
				 const struct madt_info *m);
__noreturn void hostile_pci_run(const struct acpi_info *ai,
				const struct madt_info *m);
__noreturn void hostile_virtq_run(const struct acpi_info *ai,
				  const struct madt_info *m);
__noreturn void hostile_doorbell_run(const struct acpi_info *ai,
				     const struct madt_info *m);
/* The well-behaved neighbour: waits, then checks its disk and shm. */
__noreturn void hostile_bystander_run(const struct acpi_info *ai,
				      const struct madt_info *m);

#endif
