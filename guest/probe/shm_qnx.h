/*
 * The QNX hypervisor's shared-memory device (PCI 1C05:0001), driven as
 * guest code written against QNX's <guest_shm.h> drives it: the factory
 * page in BAR0 creates or finds a named region and makes a connection,
 * whose control page and data lie in the BAR2 window.
 */
#ifndef PROBE_SHM_QNX_H
#define PROBE_SHM_QNX_H

#include "madt.h"
#include "types.h"

#define QNX_SHM_VENDOR 0x1c05
#define QNX_SHM_DEVICE 0x0001
#define QNX_SHM_MAX_NAME 32 /* GUEST_SHM_MAX_NAME, with the NUL */
#define QNX_SHM_MAX_CLIENTS 16
#define QNX_SHM_PAGE 4096ull

/* enum guest_shm_status */
#define GSS_OK 0
#define GSS_UNKNOWN_FAILURE 1
#define GSS_NOMEM 2
#define GSS_CLIENT_MAX 3
#define GSS_ILLEGAL_NAME 4
#define GSS_NO_PERMISSION 5
#define GSS_DOES_NOT_EXIST 6

struct qnx_shm {
	u8 devfn;
	u64 factory; /* BAR0 */
	u64 window, window_size; /* BAR2 */
	u32 gsi; /* factory vector */
};

struct qnx_shm_conn {
	u64 ctrl; /* control page: factory shmem */
	u64 data; /* the region's data, right after it */
	u32 pages; /* factory size after the connection was made */
	u32 idx; /* control idx: this connection's peer id */
	/* What qnx_shm_poll() saw: notifiers since the connection, peers now. */
	u32 notified, peers;
	u32 irqs; /* interrupts taken for it */
};

/* "GSS_OK" etc. */
const char *qnx_shm_status_name(u32 status);

/*
 * Find the device on bus 0, enable its BARs (an unassigned BAR2 goes
 * to @window_fallback, aligned up to its size), map BAR2, check the
 * signature and that vector equals the Interrupt Line. Returns 0, or
 * -ENODEV after a FAIL line in @step.
 */
int qnx_shm_init(struct qnx_shm *d, u64 window_fallback, const char *step);

/*
 * Write @len bytes of @name into the factory's name field and NULs after
 * them (none when @len is QNX_SHM_MAX_NAME): in 4-byte pieces, or byte
 * by byte if @bytewise (both widths are the device's contract).
 */
void qnx_shm_set_name(const struct qnx_shm *d, const char *name, size_t len,
		      bool bytewise);

/*
 * Write size = @pages (create or attach), or find (@find: attach only
 * if the region exists), and return the factory's status. On GSS_OK,
 * @c describes the new connection (the factory's shmem and size, the
 * control page's idx).
 */
u32 qnx_shm_connect(const struct qnx_shm *d, u32 pages, bool find,
		    struct qnx_shm_conn *c);

/*
 * Read the control status: the notifiers (low 16 bits, which the read
 * clears) are ORed into c->notified, the peers (high 16) kept in
 * c->peers. Returns the status read. Interrupts off, or in the handler.
 */
u32 qnx_shm_poll(struct qnx_shm_conn *c);
/*
 * Take the device's INTx (factory vector, a PCI GSI) on VEC_SHM at this
 * CPU: each interrupt polls @c, which clears the line. -ENODEV after a
 * FAIL line if no I/O APIC serves the GSI.
 */
int qnx_shm_irq_enable(const struct qnx_shm *d, struct qnx_shm_conn *c,
		       const struct madt_info *m);
void qnx_shm_irq_disable(const struct qnx_shm *d, const struct madt_info *m);
/* Interrupt the peers in @mask (~0u: every other attached peer). */
void qnx_shm_notify(const struct qnx_shm_conn *c, u32 mask);
/* Detach: the connection's pages stop decoding. */
void qnx_shm_detach(const struct qnx_shm_conn *c);

#endif
