// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline rpo` end to end, through the CLI as a user runs it: each fault
 * kind on the built-in workloads, the precision of RPO against faultfs's
 * own account of a power cut, the safest settings losing nothing, and the
 * failures a user must be told about clearly, with a result file anyway.
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

#define MS 1000000ll

/* "SCHEME:" + the fixture's directory + rest: "file:" "/log?fsync=always". */
static const char *spec(const struct fl_fixture *fx, const char *scheme, const char *rest,
			char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", scheme, fx->path, rest);
	return buf;
}

static void test_powercut_on_interval_fsync_loses_exactly_the_volatile_records(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t, *ff;
	json_int_t rpo_ns, exposure, lost;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=interval=100ms", w, sizeof(w)),
			     "--fault", "powercut", "--fault-at", "1500ms", "--after", "1s",
			     "-c", "2", NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	lost = fl_rpo_count(t, "lost");
	rpo_ns = fl_json_int(t, "rpo.ns");
	ff = json_object_get(t, "faultfs");
	assert_true(json_is_object(ff));
	exposure = json_integer_value(json_object_get(ff, "exposure_ns"));
	print_message("lost %lld, RPO %.1f ms, exposure at the cut %.1f ms (interval 100 ms, slack %.1f ms)\n",
		      (long long)lost, rpo_ns / 1e6, exposure / 1e6,
		      exposure > 100 * MS ? (exposure - 100 * MS) / 1e6 : 0.0);
	/* Usually something is in flight: the interval leaves up to 100 ms unsynced. */
	if (lost == 0)
		print_message("note: the cut came right after an fsync; nothing was volatile\n");
	/* No wider than the interval plus the scheduling slack measured at the cut. */
	assert_true(rpo_ns <= (exposure > 100 * MS ? exposure : 100 * MS));
	/* Record by record, the checker and faultfs's write log agree. */
	assert_true(json_is_true(json_object_get(ff, "exact")));
	assert_true(json_is_true(json_object_get(ff, "by_record")));
	assert_int_equal(json_integer_value(json_object_get(ff, "volatile_acked")), lost);
	assert_int_equal(json_integer_value(json_object_get(ff, "lost_not_volatile")), 0);
	assert_int_equal(json_integer_value(json_object_get(ff, "volatile_not_lost")), 0);
	/* The kernel timeline and faultfs agree on the last barrier before the cut. */
	assert_true(json_is_true(json_object_get(ff, "timeline_agrees")));
	json_decref(res);
}

static void test_fsync_always_loses_nothing_at_a_power_cut(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=always", w, sizeof(w)),
			     "--fault", "powercut", "--fault-at", "1s", "--after", "500ms", NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(fl_rpo_count(t, "acknowledged") > 0);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	assert_int_equal(fl_json_int(t, "rpo.ns"), 0);
	assert_true(fl_json_int(t, "rto.ns") > 0);
	json_decref(res);
}

static void test_sqlite_extra_loses_nothing_and_off_loses_at_a_power_cut(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "sqlite:", "/x.db?synchronous=EXTRA", w, sizeof(w)),
			     "--fault", "powercut", "--fault-at", "1s", "--after", "500ms", NULL), 0);
	assert_int_equal(fl_rpo_count(fl_rpo_trial(res, 0), "lost"), 0);
	json_decref(res);
	/* OFF never fsyncs: the cut takes acknowledged inserts, and the objective catches it. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "sqlite:", "/y.db?synchronous=OFF", w, sizeof(w)),
			     "--fault", "powercut", "--fault-at", "1s", "--after", "500ms",
			     "--rpo-max", "10ms", NULL), 1);
	assert_true(fl_rpo_count(fl_rpo_trial(res, 0), "lost") > 0);
	assert_true(json_is_false(json_object_get(json_object_get(res, "gate"), "rpo_met")));
	json_decref(res);
}

static void test_kill_and_term_lose_nothing_the_page_cache_holds(void **state)
{
	struct fl_fixture *fx = *state;
	const char *faults[] = { "kill", "term" };
	char w[PATH_MAX + 64];
	json_t *res, *t;

	if (!fl_rpo_cli_require())
		skip();
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
				     "-w", spec(fx, "file:", "/log?fsync=never", w, sizeof(w)),
				     "--fault", faults[i], "--fault-at", "800ms", "--after", "500ms",
				     NULL), 0);
		t = fl_rpo_trial(res, 0);
		assert_int_equal(fl_rpo_count(t, "lost"), 0);
		/* Every phase happened, in order. */
		assert_true(fl_json_int(t, "times_ns.fault") <=
			    fl_json_int(t, "times_ns.stopped"));
		assert_true(fl_json_int(t, "times_ns.stopped") <=
			    fl_json_int(t, "times_ns.restarted"));
		assert_true(fl_json_int(t, "times_ns.restarted") <=
			    fl_json_int(t, "times_ns.healthy"));
		assert_true(fl_json_int(t, "times_ns.healthy") <=
			    fl_json_int(t, "times_ns.first_ok"));
		json_decref(res);
	}
}

static void test_crashpoint_kills_the_writer_at_its_chosen_fsync(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=always", w, sizeof(w)),
			     "--fault", "crashpoint=fsync:signal=SIGKILL:when=200",
			     "--fault-at", "200ms", "--after", "500ms", "-c", "1", NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	/* A service not launched by the rule: the crash comes from bpf_send_signal. */
	assert_string_equal(json_string_value(json_object_get(t, "mechanism")), "send-signal");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(res, "environment"), "mechanisms"), 0), "for")), "fault crashpoint");
	/* One client, one fsync per write: the 200th fsync never returned, so 199 were acked first. */
	assert_true(fl_rpo_count(t, "acknowledged") >= 199);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	json_decref(res);
}

static void test_oom_and_disk_fail_are_survived_and_measured(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t;

	if (!fl_rpo_cli_require())
		skip();
	/* The writer's page cache is charged to its memory cgroup: the squeeze kills it. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=never", w, sizeof(w)),
			     "--fault", "oom", "--fault-at", "500ms", "--after", "500ms", NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	assert_true(fl_json_int(t, "rto.ns") > 0);
	json_decref(res);
	/* A failing disk: writes fail with EIO, the service is killed, the restart works. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=always", w, sizeof(w)),
			     "--fault", "disk-fail", "--fault-at", "500ms", "--after", "500ms", NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	assert_true(fl_rpo_count(t, "failed") + fl_rpo_count(t, "unknown") > 0);
	json_decref(res);
}

static void test_trials_report_statistics_and_mttr(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *sum;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=always", w, sizeof(w)),
			     "--fault", "kill", "--fault-at", "300ms", "--after", "300ms",
			     "--trials", "3", "--seed", "7", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(res, "schema")), "faultline-rpo/2");
	assert_int_equal(json_array_size(json_object_get(res, "trials")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(res, "trials"), 2), "seed")), 9);
	sum = json_object_get(res, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "measured")), 3);
	assert_true(fl_json_int(sum, "rto_ns.min") <= fl_json_int(sum, "rto_ns.median"));
	assert_true(fl_json_int(sum, "rto_ns.median") <= fl_json_int(sum, "rto_ns.p95"));
	assert_true(fl_json_int(sum, "rto_ns.p95") <= fl_json_int(sum, "rto_ns.max"));
	assert_true(json_integer_value(json_object_get(sum, "mttr_ns")) > 0);
	json_decref(res);
}

static void test_history_is_complete_enough_to_judge_again(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t, *ops, *recs, *rec;
	json_int_t ok = 0, torn = 0;
	size_t i;
	json_t *op;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=never", w, sizeof(w)),
			     "--fault", "kill", "--fault-at", "300ms", "--after", "300ms", NULL), 0);
	t = fl_rpo_trial(res, 0);
	ops = json_object_get(json_object_get(t, "history"), "ops");
	json_array_foreach(ops, i, op) {
		assert_true(json_integer_value(json_array_get(op, 2)) <=
			    json_integer_value(json_array_get(op, 3)));
		ok += !strcmp(json_string_value(json_array_get(op, 4)), "ok");
	}
	assert_int_equal((json_int_t)json_array_size(ops), fl_rpo_count(t, "attempted"));
	assert_int_equal(ok, fl_rpo_count(t, "acknowledged"));
	/*
	 * Nothing lost under kill: everything acked came back. So may a write
	 * that landed while the kill cut off its answer: its outcome was
	 * unknown or failed, and the checker counts it as recovered.
	 */
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	/*
	 * Every record read back is accounted for. A write the kill cut in
	 * half leaves a torn copy: present, not intact, and never of an
	 * acknowledged write (nothing was lost), at most one per client.
	 */
	recs = json_object_get(json_object_get(t, "readback"), "records");
	json_array_foreach(recs, i, rec)
		torn += !json_is_true(json_array_get(rec, 1));
	if (torn)
		print_message("  %lld torn record(s): writes in flight at the kill\n", (long long)torn);
	assert_true(torn <= fl_json_int(res, "config.clients"));
	assert_int_equal(fl_rpo_count(t, "duplicates"), 0);
	assert_int_equal(fl_rpo_count(t, "unexpected"), 0);
	assert_int_equal((json_int_t)json_array_size(recs), ok + fl_rpo_count(t, "recovered") + torn);
	json_decref(res);
}

static void test_bad_arguments_exit_2_with_a_clear_message(void **state)
{
	struct fl_fixture *fx = *state;
	char *cases[][8] = {
		{ "rpo", "--fault", "kill", NULL },
		{ "rpo", "-w", "file:/x/log", NULL },
		{ "rpo", "-w", "file:/x/log", "--fault", "meteor", NULL },
		{ "rpo", "-w", "file:/x/log", "--fault", "crashpoint=fsync:eror=EIO", NULL },
		{ "rpo", "-w", "file:/x/log", "--fault", "kill", "--trials", "0", NULL },
		{ "rpo", "-w", "file:/x/log", "--fault", "kill", "--start", "true", NULL },
		{ "rpo", "-w", "redis://127.0.0.1:1", "--fault", "powercut", NULL },
	};
	const char *expect[] = { "no workload", "no fault", "unknown fault", "eror", "--trials",
				 "built-in", "--data-dir" };

	(void)fx;
	if (!fl_rpo_cli_require())
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { fl_rpo_cli_bin() };
		struct fl_cli_result r;

		for (int j = 0; cases[i][j]; j++)
			argv[j + 1] = cases[i][j];
		assert_int_equal(fl_cli_run(argv, 10000, &r), 0);
		print_message("  %s", r.err);
		assert_int_equal(r.code, 2);
		assert_non_null(strstr(r.err, expect[i]));
		fl_cli_result_free(&r);
	}
}

static void test_a_workload_that_cannot_start_still_writes_a_result(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *err;

	if (!fl_rpo_cli_require())
		skip();
	/* The writer cannot create its log in a directory that does not exist. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/missing/dir/log", w, sizeof(w)),
			     "--fault", "kill", NULL), 3);
	assert_non_null(res);
	err = json_object_get(fl_rpo_trial(res, 0), "error");
	assert_true(json_is_object(err));
	assert_string_equal(json_string_value(json_object_get(err, "phase")), "start");
	assert_non_null(strstr(json_string_value(json_object_get(err, "message")), "did not start"));
	json_decref(res);
}

#define EXEC_CLIENT "tests/targets/rpo_exec_client.py"

/* An exec: workload whose client stores into DIR/store; the "service" is a shell. */
static bool exec_workload(const struct fl_fixture *fx, char *buf, size_t len)
{
	char client[PATH_MAX];

	if (!realpath(EXEC_CLIENT, client) || system("python3 -c pass") != 0) {
		print_message("skip: needs python3 and %s (run from the source tree)\n", EXEC_CLIENT);
		return false;
	}
	snprintf(buf, len, "exec:python3 %s %s/store", client, fx->path);
	return true;
}

static void test_a_service_that_never_becomes_healthy_is_reported(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64];
	json_t *res, *err;

	if (!fl_rpo_cli_require() || !exec_workload(fx, w, sizeof(w)))
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL, "-w", w, "--start", "exec sleep 30",
			     "--health", "false",
			     "--health-timeout", "1s", "--fault", "kill", NULL), 3);
	assert_non_null(res);
	err = json_object_get(fl_rpo_trial(res, 0), "error");
	assert_string_equal(json_string_value(json_object_get(err, "phase")), "start");
	assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
			       "not healthy within 1.0 s"));
	json_decref(res);
}

static void test_a_restart_that_fails_is_reported_with_its_status(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64], start[PATH_MAX + 64], restart[PATH_MAX + 64], health[PATH_MAX + 64];
	json_t *res, *t, *err;

	if (!fl_rpo_cli_require() || !exec_workload(fx, w, sizeof(w)))
		skip();
	/* Healthy while the process that started last is alive; the restart dies at once. */
	snprintf(start, sizeof(start), "echo $$ > %s/pid && exec sleep 30", fx->path);
	snprintf(restart, sizeof(restart), "exit 7");
	snprintf(health, sizeof(health), "kill -0 $(cat %s/pid)", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL, "-w", w, "--start", start, "--restart",
			     restart,
			     "--health", health, "--fault", "kill", "--fault-at", "300ms", NULL), 3);
	t = fl_rpo_trial(res, 0);
	err = json_object_get(t, "error");
	assert_string_equal(json_string_value(json_object_get(err, "phase")), "restart");
	assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
			       "exited with status 7"));
	/* What happened before the failure is kept: the load and the fault. */
	assert_true(fl_rpo_count(t, "attempted") == 0 ||
		    json_array_size(json_object_get(json_object_get(t, "history"), "ops")) > 0);
	assert_true(json_is_integer(json_object_get(json_object_get(t, "times_ns"), "fault")));
	json_decref(res);
}

static void test_exec_client_fsyncing_each_write_loses_nothing(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64];
	json_t *res, *t;

	if (!fl_rpo_cli_require() || !exec_workload(fx, w, sizeof(w)))
		skip();
	/* The client is the store here: the "service" killed is a stand-in process. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL, "-w", w, "--start", "exec sleep 30",
			     "--health", "true",
			     "--fault", "kill", "--fault-at", "500ms", "--after", "300ms", "-c", "2",
			     NULL), 0);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_true(fl_rpo_count(t, "acknowledged") > 0);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	json_decref(res);
}

static void test_rate_paces_the_clients(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *t;
	json_int_t before = 0;
	json_t *ops, *op;
	size_t i;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, NULL,
			     "-w", spec(fx, "file:", "/log?fsync=never", w, sizeof(w)),
			     "--fault", "kill", "--fault-at", "1s", "--after", "200ms",
			     "--rate", "200", "-c", "4", NULL), 0);
	t = fl_rpo_trial(res, 0);
	ops = json_object_get(json_object_get(t, "history"), "ops");
	json_array_foreach(ops, i, op)
		before += json_integer_value(json_array_get(op, 2)) < 1000 * MS;
	print_message("writes invoked in the first second at --rate 200: %lld\n", (long long)before);
	assert_true(before >= 180 && before <= 220);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_powercut_on_interval_fsync_loses_exactly_the_volatile_records,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_fsync_always_loses_nothing_at_a_power_cut,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_extra_loses_nothing_and_off_loses_at_a_power_cut,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_kill_and_term_lose_nothing_the_page_cache_holds,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_crashpoint_kills_the_writer_at_its_chosen_fsync,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_oom_and_disk_fail_are_survived_and_measured,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_trials_report_statistics_and_mttr,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_history_is_complete_enough_to_judge_again,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_bad_arguments_exit_2_with_a_clear_message,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_workload_that_cannot_start_still_writes_a_result,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_service_that_never_becomes_healthy_is_reported,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_restart_that_fails_is_reported_with_its_status,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_exec_client_fsyncing_each_write_loses_nothing,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_rate_paces_the_clients,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
