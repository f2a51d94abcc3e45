// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI tables: field values at the offsets ACPI 6.4 chapter 5 gives,
 * checksums, and a round trip through the ACPICA disassembler (iasl -d),
 * which is what an OS's ACPI parser would make of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/vmm/boot/acpi/acpi.h"
#include "../../src/vmm/boot/layout.h"
#include "../../src/vmm/dev/dev.h"

#define RAM_SIZE MiB(64)

struct vm_mem {
	u8 *ram;
	struct gmem gm;
	u64 rsdp;
	char err[256];
};

static int mem_setup(void **state)
{
	struct vm_mem *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->ram = calloc(1, RAM_SIZE);
	assert_non_null(m->ram);
	gmem_init(&m->gm, m->ram, RAM_SIZE);
	*state = m;
	return 0;
}

static int mem_teardown(void **state)
{
	struct vm_mem *m = *state;

	free(m->ram);
	free(m);
	return 0;
}

/* --- little-endian readers over guest RAM --- */

static u64 rd(const u8 *p, int size)
{
	u64 v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

static u8 *gpa(struct vm_mem *m, u64 addr, u64 len)
{
	u8 *p = gmem_ptr(&m->gm, addr, len);

	assert_non_null(p);
	return p;
}

static u8 sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s = (u8)(s + *p++);
	return s;
}

/*
 * A table at @addr: signature, a sane length inside the ACPI area, the
 * revision and OEM fields, and a zero byte sum (5.2.6).
 */
static u8 *table(struct vm_mem *m, u64 addr, const char *sig, u8 rev)
{
	u8 *t = gpa(m, addr, 36);
	u32 len = (u32)rd(t + 4, 4);

	assert_memory_equal(t, sig, 4);
	assert_true(addr >= ACPI_TABLES_START);
	assert_true(len >= 36 && addr + len <= ACPI_TABLES_END);
	assert_int_equal(t[8], rev);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "VESSEL", 6);
	assert_memory_equal(t + 16, "VESSELVM", 8);
	return t;
}

static void build(struct vm_mem *m, struct acpi_config *cfg)
{
	int ret = acpi_build(&m->gm, cfg, &m->rsdp, m->err, sizeof(m->err));

	if (ret)
		fail_msg("acpi_build: %d: %s", ret, m->err);
}

/* RSDP (5.2.5.3) -> XSDT (5.2.8) -> tables; returns the XSDT. */
static u8 *rsdp_xsdt(struct vm_mem *m)
{
	u8 *r;

	assert_int_equal(m->rsdp, ACPI_TABLES_START);
	r = gpa(m, m->rsdp, 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	assert_memory_equal(r + 9, "VESSEL", 6);
	assert_int_equal(r[15], 2); /* Revision */
	assert_int_equal(rd(r + 16, 4), 0); /* RsdtAddress: none */
	assert_int_equal(rd(r + 20, 4), 36); /* Length */
	return table(m, rd(r + 24, 8), "XSDT", 1);
}

/* The XSDT entry whose table has signature @sig. */
static u8 *xsdt_find(struct vm_mem *m, u8 *xsdt, const char *sig)
{
	u32 len = (u32)rd(xsdt + 4, 4), off;

	for (off = 36; off + 8 <= len; off += 8) {
		u8 *t = gpa(m, rd(xsdt + off, 8), 4);

		if (!memcmp(t, sig, 4))
			return t;
	}
	fail_msg("no %s in the XSDT", sig);
	return NULL;
}

static u64 gpa_of(struct vm_mem *m, const u8 *p)
{
	return ACPI_TABLES_START + (u64)(p - gpa(m, ACPI_TABLES_START, 1));
}

/* A Generic Address Structure (5.2.3.2) at @g. */
static void assert_gas(const u8 *g, u8 space, u8 bits, u8 access, u64 addr)
{
	assert_int_equal(g[0], space);
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], access);
	assert_int_equal(rd(g + 4, 8), addr);
}

static void check_root(struct vm_mem *m)
{
	u8 *x = rsdp_xsdt(m);

	assert_int_equal(rd(x + 4, 4), 36 + 2 * 8);
	table(m, gpa_of(m, xsdt_find(m, x, "FACP")), "FACP", 6);
	table(m, gpa_of(m, xsdt_find(m, x, "APIC")), "APIC", 5);
}

static void test_root(void **state)
{
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 1, .power_button = true };

	build(m, &cfg);
	check_root(m);
}

/* FADT fields at their Table 5.9 offsets. */
static u8 *check_fadt(struct vm_mem *m)
{
	u8 *f = xsdt_find(m, rsdp_xsdt(m), "FACP");
	u8 *facs, *dsdt;

	table(m, gpa_of(m, f), "FACP", 6);
	assert_int_equal(rd(f + 4, 4), 276);
	assert_int_equal(f[131], 4); /* FADT Minor Version */
	assert_int_equal(rd(f + 46, 2), 9); /* SCI_INT */
	assert_int_equal(rd(f + 108, 1), 0x32); /* CENTURY: CMOS index */
	/* Legacy mode at power-on, left through SMI_CMD (4.8.2.1). */
	assert_int_equal(rd(f + 48, 4), 0xb2); /* SMI_CMD: APM_CNT */
	assert_int_equal(f[52], 0xf1); /* ACPI_ENABLE */
	assert_int_equal(f[53], 0xf0); /* ACPI_DISABLE */
	assert_int_equal(f[54], 0); /* S4BIOS_REQ: none */
	assert_int_equal(f[55], 0); /* PSTATE_CNT: none */
	assert_int_equal(f[95], 0); /* CST_CNT: none */
	assert_int_equal(rd(f + 56, 4), 0x600); /* PM1a_EVT_BLK */
	assert_int_equal(rd(f + 64, 4), 0x604); /* PM1a_CNT_BLK */
	assert_int_equal(rd(f + 76, 4), 0x608); /* PM_TMR_BLK */
	assert_int_equal(f[88], 4); /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2); /* PM1_CNT_LEN */
	assert_int_equal(f[91], 4); /* PM_TMR_LEN */
	assert_int_equal(rd(f + 109, 2), 0x0005); /* IAPC_BOOT_ARCH */
	assert_gas(f + 116, 1, 8, 1, 0x60c); /* RESET_REG */
	assert_int_equal(f[128], 1); /* RESET_VALUE */
	assert_gas(f + 148, 1, 32, 2, 0x600); /* X_PM1a_EVT_BLK */
	assert_gas(f + 172, 1, 16, 2, 0x604); /* X_PM1a_CNT_BLK */
	assert_gas(f + 208, 1, 32, 3, 0x608); /* X_PM_TMR_BLK */
	assert_memory_equal(f + 268, "VESSEL\0\0", 8); /* Hypervisor Vendor */

	/* X_FIRMWARE_CTRL: the FACS, 64-byte aligned (5.2.10). */
	assert_int_equal(rd(f + 36, 4), 0);
	assert_int_equal(rd(f + 132, 8) % 64, 0);
	facs = gpa(m, rd(f + 132, 8), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd(facs + 4, 4), 64);
	assert_int_equal(facs[32], 2); /* Version */

	/* DSDT and X_DSDT agree. */
	assert_int_equal(rd(f + 40, 4), rd(f + 140, 8));
	dsdt = table(m, rd(f + 140, 8), "DSDT", 2);
	(void)dsdt;
	return f;
}

static void test_fadt(void **state)
{
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 4, .power_button = true };
	u8 *f;

	build(m, &cfg);
	f = check_fadt(m);
	/* WBINVD | SLP_BUTTON | RESET_REG_SUP; PWR_BUTTON, TMR_VAL_EXT clear */
	assert_int_equal(rd(f + 112, 4), 0x00000421);

	memset(m->ram, 0, RAM_SIZE);
	cfg.power_button = false;
	build(m, &cfg);
	f = check_fadt(m);
	/* PWR_BUTTON set: no fixed-feature power button. */
	assert_int_equal(rd(f + 112, 4), 0x00000431);
}

/* MADT (5.2.12) entries for @n CPUs, walked by their Length bytes. */
static void check_madt(struct vm_mem *m, int n)
{
	u8 *t = xsdt_find(m, rsdp_xsdt(m), "APIC");
	u32 len = (u32)rd(t + 4, 4), off;
	int cpus = 0, ioapics = 0, isos = 0, nmis = 0;

	table(m, gpa_of(m, t), "APIC", 5);
	assert_int_equal(len, 44 + 8 * n + 12 + 2 * 10 + 6);
	assert_int_equal(rd(t + 36, 4), 0xfee00000); /* Local APIC Address */
	assert_int_equal(rd(t + 40, 4), 1); /* PCAT_COMPAT */
	for (off = 44; off < len; off += t[off + 1]) {
		u8 *e = t + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0: /* Processor Local APIC */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], cpus); /* ACPI Processor UID */
			assert_int_equal(e[3], cpus); /* APIC ID */
			assert_int_equal(rd(e + 4, 4), 1); /* Enabled */
			cpus++;
			break;
		case 1: /* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], 0);
			assert_int_equal(rd(e + 4, 4), 0xfec00000);
			assert_int_equal(rd(e + 8, 4), 0);
			ioapics++;
			break;
		case 2: /* Interrupt Source Override, ISA bus */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);
			if (e[3] == 0) {
				assert_int_equal(rd(e + 4, 4), 2);
				assert_int_equal(rd(e + 8, 2), 0);
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(rd(e + 4, 4), 9);
				assert_int_equal(rd(e + 8, 2), 0x000d);
			}
			isos++;
			break;
		case 4: /* Local APIC NMI */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1); /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %d", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(cpus, n);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
}

static void test_madt(void **state)
{
	static const int counts[] = { 1, 4, 254 };
	struct vm_mem *m = *state;
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct acpi_config cfg = { .ncpus = counts[i] };

		memset(m->ram, 0, RAM_SIZE);
		build(m, &cfg);
		check_root(m);
		check_madt(m, counts[i]);
	}
}

static u8 *dsdt_of(struct vm_mem *m)
{
	u8 *f = xsdt_find(m, rsdp_xsdt(m), "FACP");

	return table(m, rd(f + 140, 8), "DSDT", 2);
}

/* Name(_S5, Package(){5, 0, 0, 0}) in AML, at the root. */
static void test_dsdt_s5(void **state)
{
	static const u8 s5[] = { 0x08, '_',  'S',  '5',	 '_',  0x12, 0x07,
				 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00 };
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 2 };
	u8 *d;

	build(m, &cfg);
	d = dsdt_of(m);
	assert_non_null(memmem(d + 36, rd(d + 4, 4) - 36, s5, sizeof(s5)));
}

/* --- iasl round trip --- */

struct iasl_dir {
	char path[64];
};

static bool iasl_present(void)
{
	return system("iasl -v >/dev/null 2>&1") == 0;
}

static void dir_make(struct iasl_dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/vessel-acpi-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void dir_remove(struct iasl_dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

static void file_write(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Malloc'd contents of @path, NUL-terminated. */
static char *file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Write @len bytes as @name.dat in @d, disassemble with iasl -d and
 * return the .dsl text (malloc'd). ACPICA flags a bad checksum in the
 * listing; that must not appear.
 */
static char *iasl_disassemble(struct iasl_dir *d, const char *name, const u8 *p,
			      size_t len)
{
	char path[128], cmd[320], *dsl;

	snprintf(path, sizeof(path), "%s/%s.dat", d->path, name);
	file_write(path, p, len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat >%s.log 2>&1",
		 d->path, name, name);
	if (system(cmd) != 0) {
		snprintf(path, sizeof(path), "%s/%s.log", d->path, name);
		fail_msg("iasl -d %s failed:\n%s", name, file_read(path));
	}
	snprintf(path, sizeof(path), "%s/%s.dsl", d->path, name);
	dsl = file_read(path);
	assert_null(strstr(dsl, "Incorrect checksum"));
	return dsl;
}

static void assert_has(const char *text, const char *what)
{
	if (!strstr(text, what)) {
		fprintf(stderr, "%s\n", text);
		fail_msg("'%s' not found in the text above", what);
	}
}

/* Recompile the disassembled DSDT: the listing must be valid ASL. */
static void iasl_recompile(struct iasl_dir *d, const char *name)
{
	char cmd[320], path[128];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && iasl -p %s-re %s.dsl >%s-re.log 2>&1", d->path,
		 name, name, name);
	if (system(cmd) != 0) {
		snprintf(path, sizeof(path), "%s/%s-re.log", d->path, name);
		fail_msg("iasl %s.dsl failed:\n%s", name, file_read(path));
	}
}

static char *disassemble_table(struct iasl_dir *d, const u8 *t,
			       const char *name)
{
	return iasl_disassemble(d, name, t, rd(t + 4, 4));
}

/* The DSDT of @ncpus CPUs, checked against iasl's reading of it. */
static void check_dsdt_iasl(struct vm_mem *m, struct iasl_dir *d, int ncpus)
{
	char *dsl = disassemble_table(d, dsdt_of(m), "dsdt");
	char want[64];

	assert_has(dsl, "Name (_S5, Package (0x04)");
	assert_has(dsl, "Scope (\\_SB)");
	assert_has(dsl, "Device (C000)");
	snprintf(want, sizeof(want), "Device (C%03X)", ncpus - 1);
	assert_has(dsl, want);
	snprintf(want, sizeof(want), "Device (C%03X)", ncpus);
	assert_null(strstr(dsl, want));
	assert_has(dsl, "Name (_HID, \"ACPI0007\" /* Processor Device */)");
	assert_has(dsl, "Device (PCI0)");
	assert_has(dsl, "EisaId (\"PNP0A08\")");
	assert_has(dsl, "EisaId (\"PNP0A03\")");
	assert_has(dsl, "WordBusNumber (ResourceProducer, MinFixed, "
			"MaxFixed, PosDecode,");
	assert_has(dsl, "IO (Decode16,\n                    0x0CF8,");
	assert_has(dsl, "0x0CF7,             // Range Maximum");
	assert_has(dsl, "0x0D00,             // Range Minimum");
	assert_has(dsl, "0xFEBFFFFF,         // Range Maximum");
	assert_has(dsl, "Name (_PRT, Package (0x80)");
	/* Slot 31, INTD: GSI 16 + ((31 + 3) & 3) = 18. */
	assert_has(dsl, "0x001FFFFF, \n                    0x03, \n"
			"                    Zero, \n                    0x12");
	free(dsl);
	iasl_recompile(d, "dsdt");
}

/*
 * Every table iasl can take on its own. The RSDP is not a table with a
 * header, and iasl 20200925 refuses it as a file; rsdp_xsdt() checks it
 * field by field instead.
 */
static void test_iasl_tables(void **state)
{
	static const int counts[] = { 1, 4, 254 };
	struct vm_mem *m = *state;
	struct iasl_dir d;
	size_t i;
	char *dsl;
	u8 *f;

	if (!iasl_present())
		skip();
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct acpi_config cfg = { .ncpus = counts[i],
					   .power_button = true };

		memset(m->ram, 0, RAM_SIZE);
		build(m, &cfg);
		dir_make(&d);
		check_dsdt_iasl(m, &d, counts[i]);
		dsl = disassemble_table(&d, xsdt_find(m, rsdp_xsdt(m), "APIC"),
					"madt");
		assert_has(dsl, "Signature : \"APIC\"");
		free(dsl);
		f = xsdt_find(m, rsdp_xsdt(m), "FACP");
		dsl = disassemble_table(&d, f, "fadt");
		assert_has(dsl, "Control Method Power Button (V1) : 0");
		assert_has(dsl, "Reset Register Supported (V2) : 1");
		assert_has(dsl, "PM1A Event Block Address : 00000600");
		assert_has(dsl, "SMI Command Port : 000000B2");
		assert_has(dsl, "ACPI Enable Value : F1");
		assert_has(dsl, "ACPI Disable Value : F0");
		free(dsl);
		dsl = disassemble_table(&d, rsdp_xsdt(m), "xsdt");
		free(dsl);
		dsl = iasl_disassemble(&d, "facs", gpa(m, rd(f + 132, 8), 64),
				       64);
		free(dsl);
		dir_remove(&d);
	}
}

extern const struct dev_type dev_pvpanic;

/* A COM1 device, as the UART's dsdt hook would add it, and pvpanic's. */
static void add_com1(void *ctx, struct aml *a)
{
	size_t dev, crs;

	(void)ctx;
	dev_pvpanic.dsdt(NULL, a);
	dev = aml_device_begin(a, "COM1");
	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", 0);
	crs = aml_crs_begin(a, "_CRS");
	aml_crs_io(a, 0x3f8, 0x3f8, 1, 8);
	aml_crs_irq(a, 4);
	aml_crs_end(a, crs);
	aml_block_end(a, dev);
}

static void test_iasl_devices(void **state)
{
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 2,
				   .mmio64_base = 0x140000000ULL,
				   .mmio64_size = 64ULL << 30,
				   .dsdt_devices = add_com1 };
	struct iasl_dir d;
	char *dsl;

	if (!iasl_present())
		skip();
	build(m, &cfg);
	dir_make(&d);
	dsl = disassemble_table(&d, dsdt_of(m), "dsdt");
	assert_has(dsl, "Device (COM1)");
	assert_has(dsl, "EisaId (\"PNP0501\")");
	assert_has(dsl, "IO (Decode16,\n                    0x03F8,");
	assert_has(dsl, "IRQNoFlags ()\n                    {4}");
	/* pvpanic as QEMU describes it, where Linux's driver looks. */
	assert_has(dsl, "Device (PEVT)");
	assert_has(dsl, "Name (_HID, \"QEMU0001\")");
	assert_has(dsl,
		   "IO (Decode16,\n                    0x0505, "
		   "            // Range Minimum\n                    0x0505,");
	assert_has(dsl, "Name (_STA, 0x0F)");
	assert_has(dsl, "QWordMemory (ResourceProducer, PosDecode, MinFixed, "
			"MaxFixed, Cacheable, ReadWrite,");
	assert_has(dsl, "0x0000000140000000, // Range Minimum");
	assert_has(dsl, "0x000000113FFFFFFF, // Range Maximum");
	free(dsl);
	iasl_recompile(&d, "dsdt");
	dir_remove(&d);
}

static void test_no_mmio64(void **state)
{
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 1 };
	static const u8 qword_tag[] = { 0x8a, 0x2b, 0x00 };
	u8 *d;

	build(m, &cfg);
	d = dsdt_of(m);
	assert_null(memmem(d, rd(d + 4, 4), qword_tag, sizeof(qword_tag)));
}

/*
 * Load the tables into ACPICA's own AML interpreter (acpiexec, the
 * OS-independent part of Linux's ACPI core) and evaluate what an OS
 * evaluates: \_S5 for poweroff, _HID/_UID of the processors, the host
 * bridge's _CRS and _PRT, the COM1 resources.
 */
static void test_acpiexec(void **state)
{
	static const char *const want[] = {
		"Contains 4 Elements:\n    [Integer] = 0000000000000005\n",
		"\\_SB.C001._UID returned object",
		"[Integer] = 0000000000000001",
		"[String] Length 08 = \"ACPI0007\"",
		"[Package] Contains 128 Elements:",
		"[Integer] = 00000000001FFFFF",
		"0000: 47 01 F8 03 F8 03 01 08 22 10 00 79 00",
		"[String] Length 08 = \"QEMU0001\"",
		"0000: 47 01 05 05 05 05 01 01 79 00",
		"\\_SB.PEVT._STA returned object",
		"[Integer] = 000000000000000F",
	};
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 2, .dsdt_devices = add_com1 };
	u8 *fadt, *dsdt;
	struct iasl_dir d;
	char path[128], cmd[512], *log;
	size_t i;

	if (system("acpiexec -v >/dev/null 2>&1") != 0)
		skip();
	build(m, &cfg);
	fadt = xsdt_find(m, rsdp_xsdt(m), "FACP");
	dsdt = dsdt_of(m);
	dir_make(&d);
	snprintf(path, sizeof(path), "%s/dsdt.dat", d.path);
	file_write(path, dsdt, rd(dsdt + 4, 4));
	snprintf(path, sizeof(path), "%s/fadt.dat", d.path);
	file_write(path, fadt, rd(fadt + 4, 4));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && timeout 60 acpiexec -b '"
		 "evaluate \\_S5; evaluate \\_SB.C001._UID; "
		 "evaluate \\_SB.C001._HID; evaluate \\_SB.PCI0._PRT; "
		 "evaluate \\_SB.PCI0._CRS; evaluate \\_SB.COM1._CRS; "
		 "evaluate \\_SB.PEVT._HID; evaluate \\_SB.PEVT._CRS; "
		 "evaluate \\_SB.PEVT._STA' "
		 "dsdt.dat fadt.dat >acpiexec.log 2>&1",
		 d.path);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/acpiexec.log", d.path);
	log = file_read(path);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_has(log, want[i]);
	assert_null(strstr(log, "failed with status"));
	assert_null(strstr(log, "ACPI Error"));
	free(log);
	dir_remove(&d);
}

/* 200 KiB of AML: more than the 128 KiB between 0xE0000 and 1 MiB. */
static void add_huge(void *ctx, struct aml *a)
{
	static char s[1024];
	int i;

	(void)ctx;
	memset(s, 'x', sizeof(s) - 1);
	for (i = 0; i < 200; i++)
		aml_name_string(a, "HUGE", s);
}

static void add_bad_name(void *ctx, struct aml *a)
{
	(void)ctx;
	aml_name_int(a, "bad", 0);
}

static void test_errors(void **state)
{
	struct vm_mem *m = *state;
	struct acpi_config cfg = { .ncpus = 1, .dsdt_devices = add_huge };
	struct vm_mem small;
	int ret;

	ret = acpi_build(&m->gm, &cfg, &m->rsdp, m->err, sizeof(m->err));
	assert_int_equal(ret, -E2BIG);
	assert_non_null(strstr(m->err, "DSDT"));
	/* Nothing was written. */
	assert_int_equal(sum(gpa(m, ACPI_TABLES_START, 36), 36), 0);
	assert_int_equal(*gpa(m, ACPI_TABLES_START, 1), 0);

	cfg.dsdt_devices = add_bad_name;
	ret = acpi_build(&m->gm, &cfg, &m->rsdp, m->err, sizeof(m->err));
	assert_int_equal(ret, -EINVAL);

	cfg.dsdt_devices = NULL;
	cfg.ncpus = 0;
	assert_int_equal(acpi_build(&m->gm, &cfg, &m->rsdp, m->err, 256),
			 -EINVAL);
	cfg.ncpus = 255;
	assert_int_equal(acpi_build(&m->gm, &cfg, &m->rsdp, m->err, 256),
			 -EINVAL);

	/* A 64-bit window that wraps past 2^64. */
	cfg.ncpus = 1;
	cfg.mmio64_base = ~0ULL - 4095;
	cfg.mmio64_size = 8192;
	assert_int_equal(acpi_build(&m->gm, &cfg, &m->rsdp, m->err, 256),
			 -EINVAL);

	/* Guest RAM that ends inside the ACPI area. */
	cfg.mmio64_size = 0;
	small.ram = calloc(1, 0xf0000);
	assert_non_null(small.ram);
	gmem_init(&small.gm, small.ram, 0xf0000);
	assert_int_equal(acpi_build(&small.gm, &cfg, &small.rsdp, small.err,
				    sizeof(small.err)),
			 -E2BIG);
	free(small.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_fadt, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_madt, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_s5, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_iasl_tables, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_iasl_devices, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_acpiexec, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_no_mmio64, mem_setup,
						mem_teardown),
		cmocka_unit_test_setup_teardown(test_errors, mem_setup,
						mem_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
