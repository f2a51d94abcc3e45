/*
 * PVH start_info (Xen's public/arch-x86/hvm/start_info.h, "x86/HVM direct
 * boot ABI"). The structure and the command line live in the loader's
 * scratch pages, which the probe later reuses (the AP trampoline at
 * 0x8000), so everything needed is copied into .bss at once.
 */
#include "bootinfo.h"
#include "lib.h"
#include "print.h"

#define HVM_START_MAGIC 0x336ec578
#define LOW_4G 0x100000000ull

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	/* Version 1 and newer. */
	u64 memmap_paddr;
	u32 memmap_entries;
	u32 reserved;
};

struct boot_info boot;

/* Only the identity-mapped low 4 GiB is reachable this early. */
static bool low_range(u64 pa, u64 len)
{
	return pa && pa < LOW_4G && len <= LOW_4G - pa;
}

static void copy_cmdline(u64 pa)
{
	const char *s = (const char *)pa;
	size_t n;

	if (!low_range(pa, BOOT_CMDLINE_MAX))
		return;
	n = strnlen(s, BOOT_CMDLINE_MAX - 1);
	memcpy(boot.cmdline, s, n);
	boot.cmdline[n] = '\0';
}

static void copy_memmap(u64 pa, u32 entries)
{
	u32 n = entries < BOOT_MEMMAP_MAX ? entries : BOOT_MEMMAP_MAX;

	boot.nr_memmap_given = entries;
	if (!low_range(pa, (u64)n * sizeof(struct boot_memmap)))
		return;
	memcpy(boot.memmap, (const void *)pa, n * sizeof(struct boot_memmap));
	boot.nr_memmap = n;
}

int bootinfo_copy(u64 pa)
{
	const struct hvm_start_info *si = (const void *)pa;

	if (!low_range(pa, sizeof(*si))) {
		probe_fail("start_info", "address 0x%llx unusable", pa);
		return -EINVAL;
	}
	if (si->magic != HVM_START_MAGIC) {
		probe_fail("start_info", "magic 0x%x at 0x%llx, want 0x%x",
			   si->magic, pa, HVM_START_MAGIC);
		return -EINVAL;
	}
	boot.version = si->version;
	boot.rsdp = si->rsdp_paddr;
	copy_cmdline(si->cmdline_paddr);
	if (si->version >= 1)
		copy_memmap(si->memmap_paddr, si->memmap_entries);
	return 0;
}

bool bootinfo_arg(const char *key, char *val, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = boot.cmdline;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			for (n = 0; p[n] && p[n] != ' ' && p[n] != '\t'; n++)
				if (n + 1 < size)
					val[n] = p[n];
			val[n + 1 < size ? n : size - 1] = '\0';
			return true;
		}
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return false;
}
