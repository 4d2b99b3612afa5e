// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 12, "numbers that cannot mislead", through the CLI as a user runs
 * it: a zero-loss gate and --lost-max fail when writes were lost; SQLite
 * in WAL mode raises no false alarm between the kernel timeline and
 * faultfs's write log; a durable setup with several clients (the built-in
 * log, redis appendfsync always) shows no acknowledgement before a
 * barrier; a trial that could not measure says so and its cause, and is no
 * objective violation.
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

#include <faultline/rpo_session.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"
#include "helpers/services.h"

static json_t *objectives(json_t *res)
{
	return json_object_get(res, "gate");
}

/* A power cut with nothing ever fsynced loses writes: both gates must fail. */
static void test_zero_loss_gates_fail_when_writes_were_lost(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err;
	json_t *res, *t;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=never", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "powercut",
			     "--fault-at", "500ms", "--after", "300ms", "-c", "2",
			     "--rpo-max", "0s", "--lost-max", "0", NULL), 1);
	t = fl_rpo_trial(res, 0);
	assert_true(fl_rpo_count(t, "lost") > 0);
	assert_true(json_is_true(json_object_get(t, "measured")));
	assert_true(json_is_integer(json_object_get(json_object_get(t, "rpo"), "lost_after_fault")));
	assert_true(json_is_false(json_object_get(objectives(res), "rpo_met")));
	assert_true(json_is_false(json_object_get(objectives(res), "lost_met")));
	assert_true(json_is_false(json_object_get(objectives(res), "met")));
	assert_int_equal(fl_json_int(objectives(res), "lost_max"), 0);
	assert_non_null(strstr(err, "lost <= 0 VIOLATED"));
	free(err);
	json_decref(res);

	/* Generous objectives on the same loss are met; no --lost-max: none, shown as null. */
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "powercut",
			     "--fault-at", "500ms", "--after", "300ms", "--lost-max", "100000000",
			     NULL), 0);
	assert_true(json_is_true(json_object_get(objectives(res), "lost_met")));
	free(err);
	json_decref(res);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill",
			     "--fault-at", "300ms", "--after", "200ms", NULL), 0);
	assert_true(json_is_null(json_object_get(objectives(res), "lost_max")));
	assert_null(strstr(err, "lost <="));
	free(err);
	json_decref(res);
}

static void test_lost_max_refuses_what_is_not_a_count(void **state)
{
	static const char *const bad[] = { "-1", "x", "", "18446744073709551615" };
	char w[PATH_MAX + 64];

	(void)state;
	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:/nonexistent-faultline/log");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { fl_rpo_cli_bin(), "rpo", "-w", w, "--fault", "kill", "--lost-max",
				 (char *)bad[i], NULL };
		struct fl_cli_result r;

		assert_int_equal(fl_cli_run(argv, 10000, &r), 0);
		assert_int_equal(r.code, 2);
		assert_non_null(strstr(r.err, "--lost-max"));
		fl_cli_result_free(&r);
	}
}

/*
 * Issue 12: every SQLite WAL run with synchronous=FULL printed "the kernel
 * timeline and the write log disagree on the last barrier": faultfs's side
 * counted only x.db's fsyncs, the kernel's the fdatasyncs of x.db-wal.
 */
static void test_sqlite_wal_full_raises_no_false_barrier_alarm(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err;
	json_t *res, *ff;
	json_int_t skew;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "sqlite:%s/x.db?journal_mode=WAL&synchronous=FULL", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--faultfs",
			     "--fault", "powercut", "--fault-at", "1s", "--after", "500ms", NULL),
			 0);
	ff = json_object_get(fl_rpo_trial(res, 0), "faultfs");
	assert_true(json_is_object(ff));
	assert_true(json_is_true(json_object_get(ff, "timeline_agrees")));
	skew = fl_json_int(ff, "barrier_skew_ns");
	print_message("kernel's last barrier - faultfs's: %.3f ms\n", skew / 1e6);
	assert_true(skew > -FL_RPO_BARRIER_SKEW_NS && skew < FL_RPO_BARRIER_SKEW_NS);
	assert_null(strstr(err, "disagree on the last barrier"));
	/*
	 * Nor between the log and the cut: SQLite unlinks and recreates
	 * x.db-shm, and the dead files' unsynced writes were counted as undone.
	 */
	assert_null(strstr(err, "disagreement"));
	assert_null(strstr(json_string_value(json_object_get(ff, "note")) ?: "", "disagreement"));
	assert_int_equal(fl_rpo_count(fl_rpo_trial(res, 0), "lost"), 0);
	free(err);
	json_decref(res);
}

static void assert_none_uncovered(json_t *res, const char *label)
{
	json_t *tl = json_object_get(fl_rpo_trial(res, 0), "timeline");

	assert_true(json_is_object(tl));
	print_message("%s: %lld acknowledged judged, %lld certainly before a barrier, "
		      "upper bound %lld\n", label, (long long)fl_json_int(tl, "acked_judged"),
		      (long long)fl_json_int(tl, "acked_uncovered"),
		      (long long)fl_json_int(tl, "acked_uncovered_max"));
	assert_true(fl_json_int(tl, "acked_judged") > 0);
	assert_int_equal(fl_json_int(tl, "acked_uncovered"), 0);
	assert_true(fl_json_int(tl, "acked_uncovered_max") >= fl_json_int(tl, "acked_uncovered"));
}

/* Issue 12: 4 clients on fsync=always showed thousands "acknowledged before a barrier". */
static void test_fsync_always_with_clients_has_nothing_acked_uncovered(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err;
	json_t *res;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill", "-c", "4",
			     "--fault-at", "1s", "--after", "300ms", NULL), 0);
	assert_none_uncovered(res, "file fsync=always, 4 clients");
	assert_non_null(strstr(err, " 0 acknowledged before a barrier covered them"));
	free(err);
	json_decref(res);

	/* Never synced: every acknowledgement is certainly before a barrier. */
	snprintf(w, sizeof(w), "file:%s/log?fsync=never", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill", "-c", "4",
			     "--fault-at", "500ms", "--after", "300ms", NULL), 0);
	{
		json_t *tl = json_object_get(fl_rpo_trial(res, 0), "timeline");

		assert_true(fl_json_int(tl, "acked_judged") > 0);
		assert_int_equal(fl_json_int(tl, "acked_uncovered"),
				 fl_json_int(tl, "acked_judged"));
	}
	free(err);
	json_decref(res);
}

/* A server that makes every acknowledged write durable, 4 clients, killed once. */
static void durable_server_not_acked_uncovered(enum fl_svc_kind kind, const char *label)
{
	char why[1024] = "", slog[FL_SVC_PATH], *err;
	struct fl_service s;
	json_t *res;

	if (!fl_rpo_cli_require_service(kind))
		skip();
	if (fl_service_create(&s, kind, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("%s fixture: %s", fl_service_name(kind), why);
	snprintf(slog, sizeof(slog), "%s/service.log", s.root);
	assert_int_equal(fl_rpo_cli(s.root, &res, &err, "-w", s.url, "--start", s.start_cmd,
			     "-d", s.data, "--service-log", slog, "--fault", "kill", "-c", "4",
			     "--fault-at", "1s", "--after", "500ms", NULL), 0);
	assert_none_uncovered(res, label);
	assert_int_equal(fl_rpo_count(fl_rpo_trial(res, 0), "lost"), 0);
	free(err);
	json_decref(res);
	fl_service_destroy(&s);
}

static void test_redis_always_is_not_reported_as_acked_uncovered(void **state)
{
	(void)state;
	durable_server_not_acked_uncovered(FL_SVC_REDIS, "redis appendfsync=always, 4 clients");
}

static void test_postgres_sync_commit_is_not_reported_as_acked_uncovered(void **state)
{
	(void)state;
	durable_server_not_acked_uncovered(FL_SVC_POSTGRES,
					   "postgres synchronous_commit=on, 4 clients");
}

/*
 * Issue 12: a trial that could not measure printed "objectives ...
 * VIOLATED" next to exit code 3. It is reported with its cause, and
 * nothing is judged when no trial measured.
 */
static void test_a_trial_that_could_not_measure_is_no_violation(void **state)
{
	struct fl_fixture *fx = *state;
	json_t *res, *t;
	char *err;

	if (!fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", "redis://127.0.0.1:1", "--start",
			     "exec sleep 30", "--health", "false", "--health-timeout", "1s",
			     "--fault", "kill", "--rpo-max", "0s", "--lost-max", "0", NULL), 3);
	assert_null(strstr(err, "VIOLATED"));
	assert_non_null(strstr(err, "could not measure"));
	assert_non_null(strstr(err, "not healthy within 1.0 s"));
	assert_non_null(strstr(err, "objectives: not judged"));
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_false(json_object_get(t, "measured")));
	assert_true(json_is_null(json_object_get(t, "rpo")));
	assert_true(json_is_false(json_object_get(objectives(res), "judged")));
	assert_int_equal(fl_json_int(objectives(res), "judged_trials"), 0);
	assert_int_equal(fl_json_int(objectives(res), "unmeasured_trials"), 1);
	assert_true(json_is_null(json_object_get(objectives(res), "met")));
	assert_true(json_is_null(json_object_get(objectives(res), "rpo_met")));
	free(err);
	json_decref(res);
}

/* Issue 16: the five objectives, one entry each, by name. */
static json_t *objective(json_t *res, const char *name)
{
	json_t *arr = json_object_get(res, "objectives"), *e;
	size_t i;

	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 5);
	json_array_foreach(arr, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return e;
	fail_msg("no objective %s", name);
	return NULL;
}

static const char *status(json_t *o)
{
	return json_string_value(json_object_get(o, "status"));
}

/*
 * The defaults gate a short kill run no differently than before (its own
 * availability is reported, the long-run figure judged); MTTR and an
 * assumed MTBF below the objective fail it, and say so.
 */
static void test_five_objectives(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err;
	json_t *res, *o;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill",
				    "--fault-at", "300ms", "--after", "300ms", "-n", "2", NULL), 0);
	assert_string_equal(status(objective(res, "rto")), "measured");
	assert_string_equal(status(objective(res, "rpo")), "measured");
	o = objective(res, "mttr");
	assert_string_equal(status(o), "measured");
	assert_true(json_is_true(json_object_get(o, "pass")));
	assert_true(json_is_number(json_object_get(o, "ci_low")));
	assert_true(json_real_value(json_object_get(o, "ci_high")) >=
		    json_real_value(json_object_get(o, "value")));
	o = objective(res, "availability");
	assert_string_equal(status(o), "derived");
	assert_true(json_is_true(json_object_get(o, "pass")));
	assert_true(json_is_number(json_object_get(o, "run_value")));
	assert_true(json_real_value(json_object_get(o, "run_value")) <= 1e6);
	o = objective(res, "mtbf");
	assert_string_equal(status(o), "derived");
	assert_true(json_is_true(json_object_get(o, "pass")));
	assert_non_null(strstr(json_string_value(json_object_get(o, "how")), "MTTR * A / (1 - A)"));
	assert_non_null(strstr(err, "objective MTTR "));
	assert_non_null(strstr(err, "objective MTBF needed "));
	assert_non_null(strstr(err, "this run's own availability (clients' view): "));
	free(err);
	json_decref(res);

	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill",
				    "--fault-at", "300ms", "--after", "300ms", "--mttr-max", "1us",
				    "--assume-mtbf", "1h", NULL), 1);
	o = objective(res, "mttr");
	assert_true(json_is_false(json_object_get(o, "pass")));
	assert_true(json_is_null(json_object_get(o, "ci_low")));   /* one trial: no interval */
	o = objective(res, "mtbf");
	assert_string_equal(status(o), "derived");
	assert_true(json_is_false(json_object_get(o, "pass")));
	assert_non_null(strstr(json_string_value(json_object_get(o, "how")), "assumed"));
	assert_true(json_is_true(json_object_get(json_object_get(res, "gate"), "met")));
	assert_non_null(strstr(err, "VIOLATED"));
	free(err);
	json_decref(res);
}

/* Through the library, with a short fault timeout: a crash point on a call never made. */
static void test_a_crash_point_that_never_struck_measures_nothing(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_rpo_config cfg;
	struct fl_rpo_result *r = NULL;
	char w[PATH_MAX + 64];
	json_t *doc, *t;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=never", fx->path);
	fl_rpo_config_defaults(&cfg);
	cfg.workload = w;
	cfg.fault = FL_RPO_FAULT_CRASHPOINT;
	cfg.crashpoint = "fsync:signal=SIGKILL:when=1";
	cfg.fault_at_ns = 200 * 1000000ull;
	cfg.after_ns = 200 * 1000000ull;
	cfg.fault_timeout_ns = 1000 * 1000000ull;
	cfg.trials = 2;
	cfg.rpo_max_ns = 0;
	assert_int_equal(fl_rpo_run(&cfg, NULL, NULL, &r), 0);
	assert_int_equal(r->n_trials, 2);
	assert_int_equal(r->n_measured, 0);
	for (size_t i = 0; i < r->n_trials; i++) {
		print_message("trial %zu: %s: %s\n", i + 1, r->trials[i].phase, r->trials[i].error);
		assert_string_equal(r->trials[i].phase, "fault");
		assert_non_null(strstr(r->trials[i].error, "did not strike"));
	}
	doc = fl_rpo_result_json(r);
	t = json_array_get(json_object_get(doc, "trials"), 1);
	assert_true(json_is_false(json_object_get(t, "measured")));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(t, "error"),
								   "message")), "did not strike"));
	assert_true(json_is_false(json_object_get(objectives(doc), "judged")));
	assert_int_equal(fl_json_int(objectives(doc), "unmeasured_trials"), 2);
	assert_true(json_is_null(json_object_get(objectives(doc), "met")));
	assert_int_equal(fl_json_int(doc, "summary.measured"), 0);
	json_decref(doc);
	fl_rpo_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zero_loss_gates_fail_when_writes_were_lost,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test(test_lost_max_refuses_what_is_not_a_count),
		cmocka_unit_test_setup_teardown(test_five_objectives, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_wal_full_raises_no_false_barrier_alarm,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_fsync_always_with_clients_has_nothing_acked_uncovered,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test(test_redis_always_is_not_reported_as_acked_uncovered),
		cmocka_unit_test(test_postgres_sync_commit_is_not_reported_as_acked_uncovered),
		cmocka_unit_test_setup_teardown(test_a_trial_that_could_not_measure_is_no_violation,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_crash_point_that_never_struck_measures_nothing,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
