// SPDX-License-Identifier: Apache-2.0
/*
 * Hostile guests (docs/testing.md, "Hostile guests"): the probe's
 * hostile-* scenarios attack their own machine with seeded garbage
 * (ports, registers, PCI configuration space and BARs, virtqueues,
 * doorbells, interrupts) on a guest with every device configured, while
 * a second, well-behaved guest shares a region with it and uses its own
 * disk. vessel must end the hostile guest with a documented exit code
 * (never a signal, never a hang), write a well-formed events file that
 * ends with "exit", leave the read-only disk byte-identical, and the
 * neighbour must finish its work and power off cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/vmrun.h"

#define IMAGE_SIZE (1 << 20)
#define WAIT_MS 60000
#define SCENARIO_MAX 160
#define SHARED_IVSHMEM "model=ivshmem,name=shared,size=64K"
#define SHARED_QNX "model=qnx,name=shared,size=64K"

struct hostile_test {
	struct vmrun bad, good;
	char shm[VMRUN_PATH_MAX]; /* VESSEL_SHM_DIR of both */
	char rw[VMRUN_PATH_MAX], ro[VMRUN_PATH_MAX], good_disk[VMRUN_PATH_MAX];
};

/* What the read-only image holds: no guest may change a byte of it. */
static unsigned char ro_byte(size_t i)
{
	return (unsigned char)(i * 7u ^ (i >> 9) ^ 0x5a);
}

static void make_image(const char *path, bool patterned)
{
	static unsigned char buf[IMAGE_SIZE];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	size_t i;

	assert_true(fd >= 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = patterned ? ro_byte(i) : 0;
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
}

/* The offset of the first byte that differs from ro_byte(), or -1. */
static long ro_changed(const char *path)
{
	static unsigned char buf[IMAGE_SIZE];
	int fd = open(path, O_RDONLY);
	ssize_t n;
	long i;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)sizeof(buf))
		return n < 0 ? 0 : n;
	for (i = 0; i < (long)sizeof(buf); i++)
		if (buf[i] != ro_byte((size_t)i))
			return i;
	return -1;
}

static int setup(void **state)
{
	struct hostile_test *t = calloc(1, sizeof(*t));

	if (!t || vmrun_init(&t->bad) || vmrun_init(&t->good)) {
		free(t);
		return -1;
	}
	snprintf(t->shm, sizeof(t->shm), "%s/shm", t->bad.dir);
	snprintf(t->rw, sizeof(t->rw), "%s/rw.img", t->bad.dir);
	snprintf(t->ro, sizeof(t->ro), "%s/ro.img", t->bad.dir);
	snprintf(t->good_disk, sizeof(t->good_disk), "%s/good.img",
		 t->good.dir);
	setenv("VESSEL_SHM_DIR", t->shm, 1);
	*state = t;
	return 0;
}

static void remove_shm_dir(const char *dir)
{
	char cmd[VMRUN_PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "test_hostile: could not remove %s\n", dir);
}

static int teardown(void **state)
{
	struct hostile_test *t = *state;

	vmrun_free(&t->good);
	remove_shm_dir(t->shm);
	vmrun_free(&t->bad);
	unsetenv("VESSEL_SHM_DIR");
	free(t);
	return 0;
}

/* The exit codes a hostile scenario may end with (0-terminated list). */
static bool code_allowed(int code, const int *allowed)
{
	for (; *allowed >= 0; allowed++)
		if (code == *allowed)
			return true;
	return false;
}

static void check_bad(struct hostile_test *t, const char *name, int code,
		      const int *allowed)
{
	char pass[64];
	int last = t->bad.ev.n - 1;

	if (code < 0 || code >= 128 || code == 96 ||
	    !code_allowed(code, allowed)) {
		vmrun_dump(&t->bad);
		fail_msg("%s: vessel exit %d (a signal is 128 + N, -1 a hang)",
			 name, code);
	}
	if (!evlog_well_formed(&t->bad.ev) || last < 0 ||
	    strcmp(evlog_type(&t->bad.ev, last), "exit")) {
		vmrun_dump(&t->bad);
		fail_msg("%s: the events are not well formed or do not end "
			 "with \"exit\"",
			 name);
	}
	assert_int_equal(evlog_int(&t->bad.ev, last, "code", -1), code);
	snprintf(pass, sizeof(pass), "PROBE PASS %s: ops=", name);
	/* Alive to the end: the guest reports and powers off by itself. */
	if (code == 0 && !strstr(t->bad.p.out, pass)) {
		vmrun_dump(&t->bad);
		fail_msg("%s: exit 0 without \"%s\"", name, pass);
	}
}

static void check_good(struct hostile_test *t)
{
	int code = vmrun_finish(&t->good);

	if (code || strstr(t->good.p.out, "PROBE FAIL") ||
	    !strstr(t->good.p.out, "PROBE PASS hostile-bystander-disk") ||
	    !strstr(t->good.p.out, "PROBE PASS hostile-bystander-shm")) {
		vmrun_dump(&t->good);
		fail_msg("the well-behaved guest was disturbed: exit %d", code);
	}
}

/*
 * One hostile run beside one well-behaved guest. @args: the probe
 * arguments after the scenario's name; @shmem: the hostile guest's
 * device, on the region the neighbour maps through ivshmem.
 */
static void run_pair(struct hostile_test *t, const char *name, const char *args,
		     const char *shmem, const int *allowed)
{
	char rw[VMRUN_PATH_MAX + 16], ro[VMRUN_PATH_MAX + 32],
		gd[VMRUN_PATH_MAX + 16], scenario[SCENARIO_MAX];
	const char *bad[] = { "--disk",	    rw,
			      "--disk",	    ro,
			      "--watchdog", "model=i6300esb,action=none",
			      "--shmem",    shmem,
			      "--control",  t->bad.ctl,
			      NULL };
	const char *good[] = { "--disk", gd, "--shmem", SHARED_IVSHMEM, NULL };
	long changed;
	int code;

	make_image(t->rw, false);
	make_image(t->ro, true);
	make_image(t->good_disk, false);
	snprintf(rw, sizeof(rw), "path=%s,id=rw", t->rw);
	snprintf(ro, sizeof(ro), "path=%s,id=ro,readonly=on", t->ro);
	snprintf(gd, sizeof(gd), "path=%s", t->good_disk);
	assert_int_equal(vmrun_start(&t->good,
				     "hostile-bystander probe.wait=1500", good),
			 0);
	snprintf(scenario, sizeof(scenario), "%s %s", name, args);
	assert_int_equal(vmrun_start(&t->bad, scenario, bad), 0);
	code = vmrun_wait(&t->bad);
	check_bad(t, name, code, allowed);
	check_good(t);
	changed = ro_changed(t->ro);
	if (changed >= 0)
		fail_msg("%s: the read-only disk changed at byte %ld", name,
			 changed);
	print_message("%s %s: exit %d\n", name, args, code);
	/* Ready for the next pair in the same test. */
	vmproc_free(&t->bad.p);
	vmproc_free(&t->good.p);
	evlog_free(&t->bad.ev);
	evlog_free(&t->good.ev);
	unlink(t->bad.events);
	unlink(t->good.events);
}

static const int only_poweroff[] = { 0, -1 };
/* Unfiltered: reset (32), S5 (0), pvpanic (34), KVM's own failure (33). */
static const int ended_by_design[] = { 0, 32, 33, 34, -1 };

static void test_pio(void **state)
{
	run_pair(*state, "hostile-pio", "probe.seed=1 probe.ops=6000",
		 SHARED_IVSHMEM, only_poweroff);
	run_pair(*state, "hostile-pio", "probe.seed=2 probe.ops=6000",
		 SHARED_QNX, only_poweroff);
}

static void test_pio_unfiltered(void **state)
{
	run_pair(*state, "hostile-pio",
		 "probe.seed=3 probe.ops=6000 probe.all=1", SHARED_IVSHMEM,
		 ended_by_design);
}

static void test_mmio(void **state)
{
	run_pair(*state, "hostile-mmio", "probe.seed=1 probe.ops=6000",
		 SHARED_IVSHMEM, only_poweroff);
	run_pair(*state, "hostile-mmio", "probe.seed=2 probe.ops=6000",
		 SHARED_QNX, only_poweroff);
}

static void test_pci(void **state)
{
	run_pair(*state, "hostile-pci", "probe.seed=1 probe.ops=4000",
		 SHARED_IVSHMEM, only_poweroff);
	run_pair(*state, "hostile-pci", "probe.seed=2 probe.ops=4000",
		 SHARED_QNX, only_poweroff);
}

static void test_virtq(void **state)
{
	run_pair(*state, "hostile-virtq", "probe.seed=1 probe.ops=3000",
		 SHARED_IVSHMEM, only_poweroff);
	run_pair(*state, "hostile-virtq", "probe.seed=2 probe.ops=3000",
		 SHARED_QNX, only_poweroff);
}

/* Every ivshmem peer id (224 self-IPIs first), then qnx's notifies. */
static void test_doorbell(void **state)
{
	run_pair(*state, "hostile-doorbell", "probe.seed=1 probe.ops=66000",
		 SHARED_IVSHMEM, only_poweroff);
	run_pair(*state, "hostile-doorbell", "probe.seed=2 probe.ops=8000",
		 SHARED_QNX, only_poweroff);
}

/* INIT and SIPI to itself at the end: the boot CPU restarts at reset. */
static void test_doorbell_init(void **state)
{
	run_pair(*state, "hostile-doorbell",
		 "probe.seed=3 probe.ops=2000 probe.all=1", SHARED_QNX,
		 ended_by_design);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pio),	       T(test_pio_unfiltered), T(test_mmio),
		T(test_pci),	       T(test_virtq),	       T(test_doorbell),
		T(test_doorbell_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
