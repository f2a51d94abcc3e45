// SPDX-License-Identifier: Apache-2.0
/*
 * vesseld's reload on a daemon that has never retired a guest (found by
 * tests/fuzz/fuzz_control.c: reload_swap() copied from vd->retired, still
 * NULL, which UBSan reports even for zero bytes). Run under the sanitizer
 * build for the check to bite; the reply's summary is checked in all.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/log.h"
#include "../../src/vesseld/daemon.h"

static void test_reload_empty(void **state)
{
	char dir[] = "/tmp/test-reload-XXXXXX", err[256];
	struct json_object *summary = NULL, *a;
	struct vd vd = { .sig_fd = -1, .start_level = -1 };

	(void)state;
	log_set_level(LOG_ERR);
	vd.ev.fd = -1;
	vd.notify.fd = -1;
	assert_non_null(mkdtemp(dir));
	vd.run_dir = dir;
	assert_int_equal(config_load(&vd.cfg, dir, err, sizeof(err)), 0);
	vd.config_dir = vd.cfg.dir;
	assert_int_equal(dloop_init(&vd.loop), 0);
	assert_null(vd.retired);
	assert_int_equal(vd_reload(&vd, "test", &summary, err, sizeof(err)), 0);
	assert_true(json_object_object_get_ex(summary, "added", &a));
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(summary);
	vd_free_guests(&vd);
	dloop_free(&vd.loop);
	config_free(&vd.cfg);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
