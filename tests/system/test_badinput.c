// SPDX-License-Identifier: Apache-2.0
/*
 * vessel given what it cannot use (docs/errors.md): command lines, guest
 * files, kernel images, initrds, disk images and shared-memory options
 * that are malformed. Each is refused before the guest starts, with exit
 * 64 (command line, image) or 65 (guest file) and one error line naming
 * the input; none crashes or hangs. The parser's cases in detail are in
 * tests/unit/test_badinput.c, the loader's in tests/unit/test_loader.c.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmproc.h"

#define REFUSE_MS 20000
#define BOOT_MS 60000
#define PATH_LEN 160

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vessel-badinput-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* dir/@name; static, overwritten by the next call. */
static const char *path_of(const char *name)
{
	static char path[2][PATH_LEN];
	static int next;
	char *p = path[next++ % 2];

	snprintf(p, PATH_LEN, "%s/%s", dir, name);
	return p;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *path = path_of(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/*
 * vessel @args: exit @code, nothing of the guest ran, and stderr's first
 * line is the error, which says @msg; no crash report anywhere.
 */
static void expect_refusal(const char *const args[], int code, const char *msg)
{
	const char *argv[48] = { vessel_path() };
	const char *line;
	struct vmproc p;
	int i;

	for (i = 0; args[i] && i < 46; i++)
		argv[i + 1] = args[i];
	assert_int_equal(vmproc_start(&p, argv), 0);
	vmproc_wait_exit(&p, REFUSE_MS);
	line = strstr(p.err, "error: ");
	if (p.status != code || !line || !strstr(p.err, msg) ||
	    strstr(p.out, "PROBE BOOT") || strstr(p.err, "crash"))
		vmproc_dump(&p);
	assert_int_equal(p.status, code);
	assert_non_null(line);
	assert_non_null(strstr(p.err, msg));
	/* The message is on the first error line, not spread over several. */
	assert_true(strstr(p.err, msg) < strchr(line, '\n'));
	assert_null(strstr(p.out, "PROBE BOOT"));
	assert_null(strstr(p.err, "crash"));
	vmproc_free(&p);
}

/* The probe on @kernel_args + "--kernel @kernel": refused with @msg. */
static void expect_kernel_refused(const char *kernel, const char *msg)
{
	expect_refusal(
		(const char *[]){ "--kernel", kernel, "--mem", "32M", NULL },
		64, msg);
}

static void expect_boot(const char *const extra[], int code, const char *out)
{
	struct vmproc p;

	vmproc_run_probe(&p, "poweroff", extra);
	if (p.status != code || !strstr(p.out, out))
		vmproc_dump(&p);
	assert_int_equal(p.status, code);
	assert_non_null(strstr(p.out, out));
	vmproc_free(&p);
}

/* --- command line --- */

static void test_command_line(void **state)
{
	(void)state;
	expect_refusal(
		(const char *[]){ "--kernel", probe_path(), "--mem", NULL }, 64,
		"--mem needs a value");
	expect_refusal(
		(const char *[]){ "--kernel", probe_path(), "--mem=", NULL },
		64, "--mem: mem: '' is not a valid size");
	expect_refusal((const char *[]){ "--mem", "99999999999G", NULL }, 64,
		       "--mem: mem: '99999999999G' is not a valid size");
	expect_refusal((const char *[]){ "--cpus", "-1", NULL }, 64,
		       "--cpus: cpus: '-1' is not a valid number");
	expect_refusal((const char *[]){ "--cpus", "255", NULL }, 64,
		       "--cpus: cpus: '255' is out of range");
	expect_refusal((const char *[]){ "--cmdline", "", NULL }, 64,
		       "--cmdline: cmdline needs a value");
	expect_refusal((const char *[]){ "-m", "64M", NULL }, 64,
		       "unexpected argument '-m'");
	expect_refusal((const char *[]){ "@", NULL }, 64,
		       "'@' needs a guest file name");
	expect_refusal((const char *[]){ "--\x1b[2J", "1", NULL }, 64,
		       "unknown option '--?[2J'");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 "path=/x,path=/y", NULL },
		       64, "--disk: disk: path is given twice");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--watchdog",
					 "model=ib700,bark=1", NULL },
		       64, "'bark=1' is not key=value");
}

/* A repeated key: the last one wins, also at the guest (64 MiB, not 3 G). */
static void test_later_wins(void **state)
{
	static const char *const extra[] = { "--mem", "3G", "--mem", "32M",
					     NULL };
	struct vmproc p;

	(void)state;
	vmproc_run_probe(&p, "mem", extra);
	if (p.status || !strstr(p.out, "PROBE PASS mem"))
		vmproc_dump(&p);
	assert_int_equal(p.status, 0);
	assert_non_null(strstr(
		p.out, "e820 0x0000000000100000-0x0000000001ffffff type 1"));
	vmproc_free(&p);
}

/* --- guest files --- */

/* @data as a guest file: refused with 65 and "FILE:@where". */
static void expect_file_refused(const void *data, size_t len, const char *where)
{
	const char *path = write_file("guest.conf", data, len);
	char arg[PATH_LEN + 1], want[PATH_LEN + 96];

	snprintf(arg, sizeof(arg), "@%s", path);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	expect_refusal((const char *[]){ arg, NULL }, 65, want);
}

static void test_guest_files(void **state)
{
	static const char nul[] = "mem 64M\0cpus 300\n";
	char *big = malloc((1 << 20) + 2), arg[PATH_LEN + 1];
	unsigned char junk[4096];
	size_t i;

	(void)state;
	expect_file_refused("mem 64M\nfrobnicate 1\n", 14 + 8,
			    "2: unknown option 'frobnicate'");
	expect_file_refused("mem 64Q\n", 8,
			    "1: mem: '64Q' is not a valid size");
	expect_file_refused("mem 99999999999G\n", 17, "1: mem: '99999999999G'");
	expect_file_refused("cpus -4\n", 8, "1: cpus: '-4' is not a valid");
	expect_file_refused("cpus 1000\n", 10,
			    "1: cpus: '1000' is out of range");
	expect_file_refused("kernel\n", 7, "1: kernel needs a value");
	expect_file_refused("disk path=/a,path=/b\n", 21,
			    "1: disk: path is given twice");
	expect_file_refused("disk path=/a,size=1G\n", 21,
			    "1: disk: 'size=1G' is not key=value");
	expect_file_refused(nul, sizeof(nul) - 1,
			    "1: control byte 0x00 at column 8");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 151 + 7);
	expect_file_refused(junk, sizeof(junk), "1: control byte");
	/* A 1 MiB line: one short message, not the line. */
	assert_non_null(big);
	memset(big, 'k', 1 << 20);
	big[1 << 20] = '\n';
	expect_file_refused(big, (1 << 20) + 1, "1: unknown option 'kkkk");
	memcpy(big, "cmdline ", 8);
	expect_file_refused(big, (1 << 20) + 1,
			    "1: cmdline: value too long (1048568 bytes");
	free(big);
	/* Not a file: missing, a directory, a line naming another file. */
	expect_refusal((const char *[]){ "@/nonexistent/g.conf", NULL }, 65,
		       "/nonexistent/g.conf: No such file or directory");
	snprintf(arg, sizeof(arg), "@%s", dir);
	expect_refusal((const char *[]){ arg, NULL }, 65,
		       "is a directory, not a guest file");
	snprintf(arg, sizeof(arg), "@%s\n", path_of("guest.conf"));
	expect_file_refused(arg, strlen(arg), "1: unknown option '@");
}

/* --- kernel images --- */

#define BZ_SETUP (5 * 512)
#define BZ_SIZE (BZ_SETUP + 0x3000)

/* A bzImage header (protocol 2.15, 64-bit, relocatable) and 12 KiB. */
static void bz_build(unsigned char *b)
{
	static const unsigned char hdr[] = { 'H', 'd', 'r', 'S', 0x0f, 0x02 };
	uint32_t v;

	memset(b, 0, BZ_SIZE);
	b[0x1f1] = 4; /* setup_sects */
	v = 0x3000 / 16;
	memcpy(b + 0x1f4, &v, 4); /* syssize */
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;
	memcpy(b + 0x202, hdr, sizeof(hdr));
	b[0x211] = 0x01; /* LOADED_HIGH */
	v = 0x7fffffff;
	memcpy(b + 0x22c, &v, 4); /* initrd_addr_max */
	v = 0x200000;
	memcpy(b + 0x230, &v, 4); /* kernel_alignment */
	b[0x234] = 1;
	b[0x235] = 21;
	b[0x236] = 0x3; /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	v = 2047;
	memcpy(b + 0x238, &v, 4);
	b[0x25a] = 0x00; /* pref_address 16 MiB */
	b[0x25b] = 0x01;
	v = 0x800000;
	memcpy(b + 0x260, &v, 4); /* init_size */
}

/* A cut at every interesting point of the header, and each field broken. */
static void test_bzimage(void **state)
{
	static const size_t cuts[] = {
		1,     0x1f1, 0x1f2, 0x1ff,	   0x200,    0x205,	 0x206,
		0x263, 0x264, 0x400, BZ_SETUP - 1, BZ_SETUP, BZ_SIZE - 1
	};
	unsigned char *b = malloc(BZ_SIZE);
	const char *path;
	size_t i;

	(void)state;
	assert_non_null(b);
	bz_build(b);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		path = write_file("bzImage", b, cuts[i]);
		expect_kernel_refused(path, path);
	}
	path = write_file("bzImage", b, BZ_SETUP + 100);
	expect_kernel_refused(path, "truncated: kernel needs 14848 bytes");
	b[0x1fe] = 0x56; /* wrong boot sector signature */
	path = write_file("bzImage", b, BZ_SIZE);
	expect_kernel_refused(path, "not a bzImage, ELF vmlinux or PVH ELF");
	b[0x1fe] = 0x55;
	b[0x1f1] = 200; /* setup_sects past the end of the file */
	path = write_file("bzImage", b, BZ_SIZE);
	expect_kernel_refused(path, "truncated: setup needs 102912 bytes");
	b[0x1f1] = 4;
	memset(b + 0x1f4, 0xff, 4); /* syssize past the end of the file */
	path = write_file("bzImage", b, BZ_SIZE);
	expect_kernel_refused(path, "truncated: kernel needs");
	free(b);
}

/* An ELF64 executable with one PT_LOAD segment at @paddr of @memsz. */
static void elf_build(unsigned char *b, size_t size, uint64_t paddr,
		      uint64_t memsz, uint64_t phoff)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = paddr,
		.e_phoff = phoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_offset = 0x1000,
		.p_vaddr = paddr,
		.p_paddr = paddr,
		.p_filesz = 0x1000,
		.p_memsz = memsz,
		.p_align = 0x1000,
	};

	memset(b, 0, size);
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), &ph, sizeof(ph));
}

static void test_elf(void **state)
{
	static unsigned char b[0x2000];
	const char *path;

	(void)state;
	elf_build(b, sizeof(b), 0x100000, 0x1000, 1 << 20);
	path = write_file("vmlinux", b, sizeof(b));
	expect_kernel_refused(path, "program headers end past the file");
	elf_build(b, sizeof(b), 0x100000, 64 << 20, sizeof(Elf64_Ehdr));
	path = write_file("vmlinux", b, sizeof(b));
	expect_kernel_refused(path, "is outside guest RAM");
	/* Below 1 MiB: the boot structures, the EBDA, the BIOS hole. */
	elf_build(b, sizeof(b), 0x7000, 0x1000, sizeof(Elf64_Ehdr));
	path = write_file("vmlinux", b, sizeof(b));
	expect_kernel_refused(path, "is outside guest RAM");
	/* Into the PCI hole of a 3 GiB guest. */
	elf_build(b, sizeof(b), 0x7ffff000, 0x2000, sizeof(Elf64_Ehdr));
	path = write_file("vmlinux", b, sizeof(b));
	expect_refusal(
		(const char *[]){ "--kernel", path, "--mem", "3G", NULL }, 64,
		"is outside guest RAM");
	/* The segment's bytes lie past the end of the file. */
	elf_build(b, sizeof(b), 0x100000, 0x1000, sizeof(Elf64_Ehdr));
	path = write_file("vmlinux", b, 0x1800);
	expect_kernel_refused(path, "truncated: segment 0");
}

/* Files that are no image at all. */
static void test_not_images(void **state)
{
	char big[PATH_LEN];
	int fd;

	(void)state;
	expect_kernel_refused(write_file("empty", "", 0),
			      "not a bzImage, ELF vmlinux or PVH ELF");
	expect_kernel_refused(dir, "not a regular file");
	expect_kernel_refused("/dev/zero", "/dev/zero: not a regular file");
	expect_kernel_refused("/nonexistent/bzImage",
			      "/nonexistent/bzImage: No such file");
	/* A sparse 5 GiB file is refused by its size, not read. */
	snprintf(big, sizeof(big), "%s", path_of("huge"));
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 5LL << 30), 0);
	close(fd);
	expect_kernel_refused(big, "of at most 4 GiB");
	/* Bigger than the guest's 32 MiB: refused before it is read. */
	assert_int_equal(truncate(big, 100LL << 20), 0);
	expect_kernel_refused(big, "more than the guest's RAM (32 MiB)");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--mem",
					 "32M", "--initrd", big, NULL },
		       64, "more than the guest's RAM (32 MiB)");
	unlink(big);
}

/* --- initrds --- */

static void test_initrds(void **state)
{
	const char *extra[] = { "--initrd", NULL, NULL };

	(void)state;
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--initrd",
					 "/nonexistent/initrd", NULL },
		       64, "initrd /nonexistent/initrd: No such file");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--initrd",
					 dir, NULL },
		       64, "not a regular file");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--initrd",
					 "/dev/zero", NULL },
		       64, "initrd /dev/zero: not a regular file");
	/* An empty initrd is no initrd: the guest boots without one. */
	extra[1] = write_file("initrd.empty", "", 0);
	expect_boot(extra, 0, "PROBE PASS poweroff");
}

/* --- disks (test_blk.c has missing, tiny, directory, /dev/null) --- */

static void test_disks(void **state)
{
	char arg[PATH_LEN + 16], arg2[PATH_LEN + 32];
	const char *extra[] = { "--disk", arg, NULL };

	(void)state;
	snprintf(arg, sizeof(arg), "path=%s", write_file("empty.img", "", 0));
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 arg, NULL },
		       64, "smaller than one 512-byte sector");
	assert_int_equal(mkfifo(path_of("fifo.img"), 0600), 0);
	snprintf(arg, sizeof(arg), "path=%s", path_of("fifo.img"));
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 arg, NULL },
		       64, "not a regular file or block device");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 "path=/dev/zero", NULL },
		       64, "/dev/zero is not a regular file or block device");
	/* One image given twice: the second cannot have it. */
	snprintf(arg, sizeof(arg), "path=%s",
		 write_file("one.img", (char[4096]){ 0 }, 4096));
	snprintf(arg2, sizeof(arg2), "%s,id=again", arg);
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 arg, "--disk", arg2, NULL },
		       64, "disk again: ");
	expect_refusal((const char *[]){ "--kernel", probe_path(), "--disk",
					 arg, "--disk", arg2, NULL },
		       64, "or given twice");
	/* 1000 bytes: one sector and a tail the guest does not see. */
	snprintf(arg, sizeof(arg), "path=%s",
		 write_file("odd.img", (char[1000]){ 0 }, 1000));
	expect_boot(extra, 0, "PROBE PASS poweroff");
}

/* --- shared memory --- */

static void test_shmem(void **state)
{
	static const char *const bad[][2] = {
		{ "name=../etc", "'../etc' is not a region name" },
		{ "name=a/b", "'a/b' is not a region name" },
		{ "name=.hidden", "'.hidden' is not a region name" },
		{ "name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "name is too long" },
		{ "name=x,size=0", "size '0' is not a size from 4K to 1G" },
		{ "name=x,size=2G", "size '2G' is not a size from 4K to 1G" },
		{ "name=x,size=99999999999G", "is not a size from 4K to 1G" },
		{ "name=x,size=-4K", "is not a size from 4K to 1G" },
		{ "model=ivshmem", "model=ivshmem needs name=REGION" },
	};
	char shm_env[PATH_LEN];
	size_t i;

	(void)state;
	snprintf(shm_env, sizeof(shm_env), "%s", path_of("shm"));
	assert_int_equal(mkdir(shm_env, 0700), 0);
	setenv("VESSEL_SHM_DIR", shm_env, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refusal((const char *[]){ "--kernel", probe_path(),
						 "--mem", "32M", "--shmem",
						 bad[i][0], NULL },
			       64, bad[i][1]);
	expect_refusal((const char *[]){ "--shmem", "name=", NULL }, 64,
		       "--shmem: shmem: 'name=': name needs a value");
	unsetenv("VESSEL_SHM_DIR");
}

/* --- output files --- */

/*
 * A link planted where the serial log or the events file goes is never
 * followed (docs/security.md): refused, and its target not created.
 */
static void test_planted_links(void **state)
{
	static const char *const opt[][2] = {
		{ "--serial", "file:" },
		{ "--events", "" },
	};
	char link[PATH_LEN], target[PATH_LEN], arg[PATH_LEN + 8];
	struct stat st;
	size_t i;

	(void)state;
	snprintf(target, sizeof(target), "%s", path_of("link-target"));
	snprintf(link, sizeof(link), "%s", path_of("planted"));
	assert_int_equal(symlink(target, link), 0);
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		snprintf(arg, sizeof(arg), "%s%s", opt[i][1], link);
		expect_refusal((const char *[]){ "--kernel", probe_path(),
						 "--mem", "32M", opt[i][0], arg,
						 NULL },
			       64, "a symbolic link: refused");
		assert_int_equal(lstat(target, &st), -1);
	}
	assert_int_equal(unlink(link), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_later_wins),
		cmocka_unit_test(test_guest_files),
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_not_images),
		cmocka_unit_test(test_initrds),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_shmem),
		cmocka_unit_test(test_planted_links),
	};

	return cmocka_run_group_tests_name("badinput", tests, make_dir,
					   remove_dir);
}
