// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sqlite store refuses a write whose id is already there (a row the
 * store kept from before) as what it is: FAIL with EEXIST, not an I/O
 * error. The reason travels the line protocol as "FAIL <id> EEXIST: ...".
 * And its reset is what makes that never happen between trials: after a
 * reset the id can be written again.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <faultline/workload.h>

#include "helpers/fixtures.h"

static void test_sqlite_primary_key_clash_is_fail_eexist(void **state)
{
	struct fl_fixture *fx = *state;
	char spec[PATH_MAX + 64], why[256] = "";
	unsigned char payload[64];
	struct fl_workload *w;
	struct fl_wl_conn *c;
	int err = 0;
	pid_t pid;

	snprintf(spec, sizeof(spec), "sqlite:%s/x.db", fx->path);
	assert_int_equal(fl_workload_open(spec, &w, why, sizeof(why)), 0);
	if (fl_workload_start(w, &pid, why, sizeof(why)))
		fail_msg("start: %s", why);
	assert_int_equal(fl_workload_reset(w, why, sizeof(why)), 0);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	assert_int_equal(fl_payload_make(7, 1, payload, sizeof(payload)), 0);
	assert_int_equal(fl_workload_write(c, 7, payload, sizeof(payload), 5000, &err), FL_OP_OK);
	assert_int_equal(fl_workload_write(c, 7, payload, sizeof(payload), 5000, &err),
			 FL_OP_FAIL);
	assert_int_equal(err, -EEXIST);
	fl_workload_disconnect(c);

	/* Emptied: the id is free again. */
	assert_int_equal(fl_workload_reset(w, why, sizeof(why)), 0);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	assert_int_equal(fl_workload_write(c, 7, payload, sizeof(payload), 5000, &err), FL_OP_OK);
	fl_workload_disconnect(c);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	fl_workload_stopped(w);
	fl_workload_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sqlite_primary_key_clash_is_fail_eexist,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
