/*
 * RSDP, XSDT/RSDT, FADT and DSDT (ACPI 6.5 5.2.5-5.2.11). Every table the
 * probe uses is checksummed first; a bad one is a FAIL naming the table.
 * Tables must lie in the identity-mapped low 4 GiB.
 */
#include "acpi.h"
#include "lib.h"
#include "print.h"
#include "x86.h"

#define LOW_4G 0x100000000ull
#define TABLE_MAX (16u << 20) /* sanity bound on a table's length */

/* RSDP, ACPI 6.5 5.2.5.3. */
struct acpi_rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt_address;
	/* Revision 2 and newer. */
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum;
	u8 reserved[3];
} __packed;

/* FADT, ACPI 6.5 table 5.9, up to the fields the probe reads. */
struct acpi_fadt {
	struct acpi_sdt hdr;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 fadt_minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
} __packed;

/* Older FADT revisions are shorter: a field exists if the length covers it. */
#define FADT_HAS(f, field)  \
	((f)->hdr.length >= \
	 __builtin_offsetof(struct acpi_fadt, field) + sizeof((f)->field))

/* Sum bytes eight at a time in 16-bit lanes; cheap under PVM's emulation. */
u8 acpi_checksum(const void *p, u32 len)
{
	const u8 *b = p;
	const u64 lanes = 0x00ff00ff00ff00ffull;
	u64 acc = 0, sum = 0, w;
	u32 i = 0;

	for (; i + 8 <= len; i += 8) {
		__builtin_memcpy(&w, b + i, 8);
		acc += (w & lanes) + ((w >> 8) & lanes);
		/* A lane gains at most 510 per word: fold every 128 words. */
		if ((i & 1023) == 1016) {
			sum += (acc & 0xffff) + ((acc >> 16) & 0xffff) +
			       ((acc >> 32) & 0xffff) + (acc >> 48);
			acc = 0;
		}
	}
	sum += (acc & 0xffff) + ((acc >> 16) & 0xffff) +
	       ((acc >> 32) & 0xffff) + (acc >> 48);
	for (; i < len; i++)
		sum += b[i];
	return (u8)sum;
}

static bool rsdp_valid(const struct acpi_rsdp *r)
{
	if (memcmp(r->signature, "RSD PTR ", 8) || acpi_checksum(r, 20))
		return false;
	if (r->revision < 2)
		return true;
	return r->length >= sizeof(*r) && r->length < 4096 &&
	       !acpi_checksum(r, r->length);
}

/* Scan [start, end) on 16-byte boundaries (ACPI 6.5 5.2.5.1). */
static u64 rsdp_scan(u64 start, u64 end)
{
	const u64 sig = 0x2052545020445352ull; /* "RSD PTR " */
	u64 a;

	for (a = start; a + sizeof(struct acpi_rsdp) <= end; a += 16)
		if (*(const volatile u64 *)a == sig &&
		    rsdp_valid((const void *)a))
			return a;
	return 0;
}

/* Hint first, then the EBDA's first KiB, then 0xE0000..0xFFFFF. */
static int rsdp_find(struct acpi_info *ai, u64 hint)
{
	u64 ebda = (u64)mmio_read16(0x40e) << 4; /* BDA: EBDA segment */

	if (hint) {
		if (hint >= LOW_4G || !rsdp_valid((const void *)hint)) {
			probe_fail(
				"acpi",
				"RSDP at 0x%llx (start_info): bad signature or checksum",
				hint);
			return -EINVAL;
		}
		ai->rsdp = hint;
		ai->rsdp_source = "start_info";
		return 0;
	}
	/* ACPICA's acpi_find_root_pointer() bounds of a plausible EBDA. */
	if (ebda > 0x400 && ebda < 0xa0000)
		ai->rsdp = rsdp_scan(ebda, ebda + 1024);
	ai->rsdp_source = "ebda";
	if (!ai->rsdp) {
		ai->rsdp = rsdp_scan(0xe0000, 0x100000);
		ai->rsdp_source = "bios";
	}
	if (!ai->rsdp) {
		probe_fail("acpi",
			   "no RSDP in start_info, EBDA or 0xE0000-0xFFFFF");
		return -ENOENT;
	}
	return 0;
}

/* Map a table header at @pa and check that the whole table is reachable. */
static const struct acpi_sdt *sdt_at(u64 pa, const char *what)
{
	const struct acpi_sdt *t = (const void *)pa;

	if (!pa || pa >= LOW_4G - sizeof(*t)) {
		probe_fail("acpi", "%s at 0x%llx: not in the low 4 GiB", what,
			   pa);
		return NULL;
	}
	if (t->length < sizeof(*t) || t->length > TABLE_MAX ||
	    t->length > LOW_4G - pa) {
		probe_fail("acpi", "%s at 0x%llx: bad length %u", what, pa,
			   t->length);
		return NULL;
	}
	return t;
}

/* A table the probe uses: signature and checksum must hold. */
static const struct acpi_sdt *sdt_check(u64 pa, const char *sig)
{
	const struct acpi_sdt *t = sdt_at(pa, sig);
	u8 sum;

	if (!t)
		return NULL;
	if (memcmp(t->signature, sig, 4)) {
		probe_fail("acpi", "%s at 0x%llx: signature is \"%.4s\"", sig,
			   pa, t->signature);
		return NULL;
	}
	sum = acpi_checksum(t, t->length);
	if (sum) {
		probe_fail("acpi", "%s at 0x%llx: bad checksum (sum 0x%02x)",
			   sig, pa, sum);
		return NULL;
	}
	return t;
}

static int root_init(struct acpi_info *ai)
{
	const struct acpi_rsdp *r = (const void *)ai->rsdp;

	/* ACPI 6.5 5.2.5.3: XSDT when revision >= 2, RSDT otherwise. */
	if (r->revision >= 2 && r->xsdt_address)
		ai->root = sdt_check(r->xsdt_address, "XSDT");
	else
		ai->root = sdt_check(r->rsdt_address, "RSDT");
	return ai->root ? 0 : -EINVAL;
}

/* Physical address of the first root entry whose table has @sig, or 0. */
static u64 root_find(const struct acpi_info *ai, const char *sig)
{
	bool x = !memcmp(ai->root->signature, "XSDT", 4);
	u32 esize = x ? 8 : 4;
	u32 n = (ai->root->length - sizeof(struct acpi_sdt)) / esize;
	const u8 *e = (const u8 *)(ai->root + 1);
	const struct acpi_sdt *t;
	u64 pa;
	u32 i;

	for (i = 0; i < n; i++, e += esize) {
		pa = 0;
		__builtin_memcpy(&pa, e, esize);
		if (!pa || pa >= LOW_4G - sizeof(*t))
			continue;
		t = (const void *)pa;
		if (!memcmp(t->signature, sig, 4))
			return pa;
	}
	return 0;
}

/* The 64-bit GAS wins when set, as ACPICA's acpi_tb_select_address(). */
static void gas_pick(struct acpi_gas *out, const struct acpi_gas *x, bool has_x,
		     u32 legacy, u8 len)
{
	*out = (struct acpi_gas){ 0 };
	if (has_x && x->address) {
		*out = *x;
		return;
	}
	if (legacy) {
		out->space_id = ACPI_GAS_IO;
		out->bit_width = (u8)(len * 8);
		out->address = legacy;
	}
}

/*
 * A PM1 event block is the status register, then the enable register,
 * each half of it (4.8.3.1); ACPICA's acpi_tb_setup_fadt_registers()
 * splits it the same way.
 */
static void pm1_split(struct acpi_gas *sts, struct acpi_gas *en)
{
	sts->bit_width /= 2;
	if (sts->access_size && sts->bit_width < (8 << (sts->access_size - 1)))
		sts->access_size = 0;
	*en = *sts;
	if (en->address)
		en->address += sts->bit_width / 8;
}

static void fadt_regs(struct acpi_info *ai, const struct acpi_fadt *f)
{
	bool x = FADT_HAS(f, x_pm1b_cnt_blk);

	gas_pick(&ai->pm1a_sts, &f->x_pm1a_evt_blk, x, f->pm1a_evt_blk,
		 f->pm1_evt_len);
	gas_pick(&ai->pm1b_sts, &f->x_pm1b_evt_blk, x, f->pm1b_evt_blk,
		 f->pm1_evt_len);
	pm1_split(&ai->pm1a_sts, &ai->pm1a_en);
	pm1_split(&ai->pm1b_sts, &ai->pm1b_en);
	gas_pick(&ai->pm1a_cnt, &f->x_pm1a_cnt_blk, x, f->pm1a_cnt_blk,
		 f->pm1_cnt_len);
	gas_pick(&ai->pm1b_cnt, &f->x_pm1b_cnt_blk, x, f->pm1b_cnt_blk,
		 f->pm1_cnt_len);
	if (FADT_HAS(f, reset_value)) {
		ai->reset_reg = f->reset_reg;
		ai->reset_value = f->reset_value;
	}
	if (FADT_HAS(f, sleep_status_reg)) {
		ai->sleep_control = f->sleep_control_reg;
		ai->sleep_status = f->sleep_status_reg;
	}
}

static int fadt_init(struct acpi_info *ai)
{
	const struct acpi_fadt *f;
	u64 dsdt;

	ai->fadt = sdt_check(root_find(ai, "FACP"), "FACP");
	if (!ai->fadt)
		return -EINVAL;
	f = (const void *)ai->fadt;
	if (!FADT_HAS(f, flags)) {
		probe_fail("acpi", "FACP: length %u too short", f->hdr.length);
		return -EINVAL;
	}
	ai->fadt_flags = f->flags;
	ai->sci_int = f->sci_int;
	ai->smi_cmd = f->smi_cmd;
	ai->acpi_enable = f->acpi_enable;
	ai->acpi_disable = f->acpi_disable;
	fadt_regs(ai, f);
	/* X_DSDT takes precedence when nonzero (ACPI 6.5 table 5.9). */
	dsdt = FADT_HAS(f, x_dsdt) && f->x_dsdt ? f->x_dsdt : f->dsdt;
	ai->dsdt = sdt_check(dsdt, "DSDT");
	return ai->dsdt ? 0 : -EINVAL;
}

int acpi_init(struct acpi_info *ai, u64 rsdp_hint)
{
	u64 madt;
	int err;

	*ai = (struct acpi_info){ 0 };
	err = rsdp_find(ai, rsdp_hint);
	if (!err)
		err = root_init(ai);
	if (!err)
		err = fadt_init(ai);
	if (err)
		return err;
	madt = root_find(ai, "APIC");
	if (madt) {
		ai->madt = sdt_check(madt, "APIC");
		if (!ai->madt)
			return -EINVAL;
	}
	return 0;
}
