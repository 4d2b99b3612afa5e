// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline rpo` says why a power cut lost acknowledged writes, from
 * faultfs's write log, for every workload on faultfs: Redis 7.0 on a fresh
 * data directory (its own user, appendfsync always) loses everything
 * because appendonlydir/ was created and its parent directory never
 * fsynced; the file workload with interval fsync loses the writes no
 * fsync of its log followed, and says how many acknowledged records they
 * held; an exec: client's data directory gets the same account.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"
#include "helpers/services.h"

#define EXEC_CLIENT "tests/targets/rpo_exec_client.py"

static void test_redis_fresh_data_dir_power_cut_says_appendonlydir_parent_was_never_fsynced(void **state)
{
	static const char want[] =
		"`/appendonlydir/` was created but its parent directory `/` was never fsynced";
	char why[1024] = "", *err = NULL;
	struct fl_service s;
	json_t *res, *t, *ff, *c;

	(void)state;
	if (!fl_faultfs_require() || !fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	/* appendonly yes, appendfsync always; as user redis; a data dir never used. */
	if (fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
	fl_rpo_cli(s.root, &res, &err, "-w", s.url, "--start", s.start_cmd, "-d", s.data,
		   "--fault", "powercut", "--fault-at", "1s", "--after", "500ms", NULL);
	t = fl_rpo_trial(res, 0);
	fl_rpo_assert_no_error(t, NULL);
	ff = json_object_get(t, "faultfs");
	assert_true(json_is_object(ff));
	print_message("lost %lld of %lld acknowledged; why: %s\n",
		      (long long)fl_rpo_count(t, "lost"),
		      (long long)fl_rpo_count(t, "acknowledged"), fl_json_str(ff, "why"));
	/* Strict mode takes the whole AOF: everything acknowledged before the cut. */
	assert_true(fl_rpo_count(t, "lost") > 0);
	c = json_array_get(json_object_get(ff, "causes"), 0);
	assert_non_null(c);
	assert_string_equal(fl_json_str(c, "what"), "create");
	assert_string_equal(fl_json_str(c, "path"), "/appendonlydir");
	assert_true(json_is_true(json_object_get(c, "dir")));
	assert_string_equal(fl_json_str(c, "missing"), "fsync of the directory");
	assert_string_equal(fl_json_str(c, "unsynced"), "/");
	assert_true(json_is_true(json_object_get(c, "never")));
	/*
	 * Redis fsyncs its AOF: what went, went only with the name; at most
	 * the one write the cut caught between redis's write and its fdatasync
	 * was not synced yet.
	 */
	assert_true(fl_json_int(c, "writes") > 0);
	assert_true(fl_json_int(c, "synced_writes") <= fl_json_int(c, "writes"));
	assert_true(fl_json_int(c, "writes") - fl_json_int(c, "synced_writes") <= 1);
	assert_true(fl_json_int(c, "files") >= 2);
	assert_non_null(strstr(fl_json_str(ff, "why"), want));
	/* The summary says it too. */
	assert_non_null(strstr(err, "why: "));
	assert_non_null(strstr(err, want));
	free(err);
	json_decref(res);
	fl_service_destroy(&s);
}

static void test_file_workload_names_its_log_and_the_acknowledged_records_it_held(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err = NULL;
	json_t *res, *t, *ff, *c;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=interval=200ms", fx->path);
	fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "powercut", "--fault-at", "1s",
		   "--after", "300ms", "-c", "2", NULL);
	t = fl_rpo_trial(res, 0);
	fl_rpo_assert_no_error(t, NULL);
	ff = json_object_get(t, "faultfs");
	assert_true(json_is_object(ff));
	print_message("why: %s\n", fl_json_str(ff, "why"));
	if (!fl_rpo_count(t, "lost")) {
		/* The cut fell right after an fsync: nothing to explain. */
		print_message("nothing lost this time\n");
	} else {
		c = json_array_get(json_object_get(ff, "causes"), 0);
		assert_non_null(c);
		assert_string_equal(fl_json_str(c, "what"), "data");
		assert_string_equal(fl_json_str(c, "path"), "/log");
		assert_string_equal(fl_json_str(c, "missing"), "fsync of the file");
		assert_false(json_is_true(json_object_get(c, "never")));
		/* Records map to the log: the acknowledged ones in its undone writes. */
		assert_int_equal(fl_json_int(c, "acked"), fl_json_int(ff, "volatile_acked"));
		assert_int_equal(fl_json_int(c, "acked"), fl_rpo_count(t, "lost"));
		assert_non_null(strstr(fl_json_str(ff, "why"), "`/log`: "));
		assert_non_null(strstr(err, "why: `/log`: "));
	}
	free(err);
	json_decref(res);
}

static void test_exec_workload_on_faultfs_gets_the_account(void **state)
{
	struct fl_fixture *fx = *state;
	char client[PATH_MAX], w[2 * PATH_MAX + 64], *err = NULL;
	json_t *res, *t, *ff;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	if (!realpath(EXEC_CLIENT, client) || system("python3 -c pass") != 0) {
		print_message("skip: needs python3 and %s (run from the source tree)\n", EXEC_CLIENT);
		skip();
	}
	snprintf(w, sizeof(w), "exec:python3 %s %s/store", client, fx->path);
	fl_rpo_cli(fx->path, &res, &err, "-w", w, "--start", "exec sleep 30", "--health", "true",
		   "-d", fx->path, "--fault", "powercut", "--fault-at", "500ms", "--after", "300ms",
		   "-c", "2", NULL);
	t = fl_rpo_trial(res, 0);
	fl_rpo_assert_no_error(t, NULL);
	ff = json_object_get(t, "faultfs");
	/* It was null for every workload without a store file of faultline's own. */
	assert_true(json_is_object(ff));
	assert_true(json_is_array(json_object_get(ff, "causes")));
	print_message("lost %lld; why: %s\n", (long long)fl_rpo_count(t, "lost"),
		      fl_json_str(ff, "why"));
	/* The client fsyncs each write but never its directory: a fresh store goes whole. */
	if (fl_rpo_count(t, "lost"))
		assert_non_null(strstr(fl_json_str(ff, "why"),
				"`/store` was created but its directory `/`"));
	free(err);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_setup_tmpdir, fl_teardown_tmpdir)
		T(test_redis_fresh_data_dir_power_cut_says_appendonlydir_parent_was_never_fsynced),
		T(test_file_workload_names_its_log_and_the_acknowledged_records_it_held),
		T(test_exec_workload_on_faultfs_gets_the_account),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
