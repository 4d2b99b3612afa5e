// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trials that repeat exactly: `faultline rpo --trials 3` on every built-in
 * workload (file, sqlite in rollback and WAL mode) and on real redis and
 * PostgreSQL servers. Every trial starts from an empty store, so what a
 * trial reads back is its own writes only: nothing unexpected, no write
 * that failed yet is there (a key clash with an earlier trial's row), no
 * id it never wrote. And an exec: client that never ends its READ answer
 * is given up on after the read-back timeout, with the client named.
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

/* Three trials, on a real server too, take longer than the usual single one. */
#define TRIALS_TIMEOUT_MS (2 * FL_RPO_CLI_TIMEOUT_MS)

static int cmp_i64(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Each trial read back only what it wrote itself: every id read back was
 * written in this trial and did not fail (a failed write found there is
 * an earlier trial's row), no primary-key clash was reported, nothing
 * unexpected; recovered writes can only be this trial's unknown ones.
 */
static void assert_trials_independent(const char *label, json_t *result, size_t want)
{
	json_t *trials = json_object_get(result, "trials"), *t;
	size_t i, read_back = 0;

	assert_int_equal(json_array_size(trials), want);
	json_array_foreach(trials, i, t) {
		json_t *ops = json_object_get(json_object_get(t, "history"), "ops");
		json_t *back = json_object_get(json_object_get(t, "readback"), "records");
		json_t *op, *rec, *err;
		json_int_t *ids = calloc(json_array_size(ops) + 1, sizeof(*ids));
		size_t n = 0, j, foreign = 0, eexist = 0;

		err = json_object_get(t, "error");
		if (!json_is_null(err))
			fail_msg("%s trial %zu: %s: %s", label, i,
				 json_string_value(json_object_get(err, "phase")),
				 json_string_value(json_object_get(err, "message")));
		assert_non_null(ids);
		json_array_foreach(ops, j, op) {
			const char *outcome = json_string_value(json_array_get(op, 4));
			const char *e = json_string_value(json_array_get(op, 5));

			if (strcmp(outcome, "fail"))
				ids[n++] = json_integer_value(json_array_get(op, 0));
			eexist += e && !strcmp(e, "EEXIST");
		}
		qsort(ids, n, sizeof(*ids), cmp_i64);
		json_array_foreach(back, j, rec) {
			json_int_t id = json_integer_value(json_array_get(rec, 0));

			foreign += !bsearch(&id, ids, n, sizeof(*ids), cmp_i64);
		}
		print_message("%s trial %zu: %lld acknowledged, %lld failed, %lld unknown, "
			      "%lld lost, %lld recovered (%lld of them failed writes), "
			      "%lld unexpected; %zu read back, %zu not written by this trial, "
			      "%zu key clashes\n", label, i,
			      (long long)fl_rpo_count(t, "acknowledged"),
			      (long long)fl_rpo_count(t, "failed"),
			      (long long)fl_rpo_count(t, "unknown"),
			      (long long)fl_rpo_count(t, "lost"),
			      (long long)fl_rpo_count(t, "recovered"),
			      (long long)fl_rpo_count(t, "recovered_failed"),
			      (long long)fl_rpo_count(t, "unexpected"), json_array_size(back),
			      foreign, eexist);
		free(ids);
		assert_true(fl_rpo_count(t, "acknowledged") > 0);
		read_back += json_array_size(back);
		assert_int_equal(foreign, 0);
		assert_int_equal(eexist, 0);
		assert_int_equal(fl_rpo_count(t, "unexpected"), 0);
		assert_int_equal(fl_rpo_count(t, "recovered_failed"), 0);
		assert_true(fl_rpo_count(t, "recovered") <= fl_rpo_count(t, "unknown"));
	}
	/* Not vacuous: something came back to be judged. */
	assert_true(read_back > 0);
}

/* A built-in workload, 3 trials with a power cut each: the cut must not bring a trial back. */
static void builtin_trials(const struct fl_fixture *fx, const char *label, const char *scheme,
			   const char *rest)
{
	char w[PATH_MAX + 128];
	struct fl_rpo_cli_result r;

	if (!fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "%s%s%s", scheme, fx->path, rest);
	fl_rpo_cli_run(fx->path, TRIALS_TIMEOUT_MS, &r, "-w", w, "-d", fx->path, "--fault",
		       "powercut", "--trials", "3", "--fault-at", "800ms", "--after", "300ms",
		       "-c", "2", NULL);
	assert_non_null(r.result);
	assert_trials_independent(label, r.result, 3);
	fl_rpo_cli_result_free(&r);
}

static void test_file_trials_are_independent(void **state)
{
	builtin_trials(*state, "file fsync=interval=50ms", "file:", "/log?fsync=interval=50ms");
}

static void test_sqlite_rollback_trials_are_independent(void **state)
{
	/* The bug: the reset's commit (the journal's unlink) was not durable. */
	builtin_trials(*state, "sqlite OFF DELETE", "sqlite:", "/x.db?synchronous=OFF");
}

static void test_sqlite_rollback_full_trials_are_independent(void **state)
{
	builtin_trials(*state, "sqlite FULL DELETE", "sqlite:", "/x.db?synchronous=FULL");
}

static void test_sqlite_wal_trials_are_independent(void **state)
{
	builtin_trials(*state, "sqlite NORMAL WAL", "sqlite:",
		       "/x.db?synchronous=NORMAL&journal_mode=WAL");
}

/* A real server started by faultline, 3 trials with SIGKILL each. */
static void service_trials(enum fl_svc_kind kind)
{
	char why[1024] = "", label[64];
	struct fl_service s;
	struct fl_rpo_cli_result r;

	if (!fl_rpo_cli_require_service(kind))
		skip();
	if (fl_service_create(&s, kind, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("%s fixture: %s", fl_service_name(kind), why);
	snprintf(label, sizeof(label), "%s", fl_service_name(kind));
	fl_rpo_cli_run(s.root, TRIALS_TIMEOUT_MS, &r, "-w", s.url, "--start", s.start_cmd,
		       "-d", s.data, "--fault", "kill", "--trials", "3", "--fault-at", "800ms",
		       "--after", "500ms", NULL);
	assert_non_null(r.result);
	assert_false(fl_service_up(&s));
	assert_trials_independent(label, r.result, 3);
	fl_rpo_cli_result_free(&r);
	fl_service_destroy(&s);
}

static void test_redis_trials_are_independent(void **state)
{
	(void)state;
	service_trials(FL_SVC_REDIS);
}

static void test_postgres_trials_are_independent(void **state)
{
	(void)state;
	service_trials(FL_SVC_POSTGRES);
}

/* A client that answers everything but READ, which it never ends. */
static const char no_end_client[] =
	"import sys, time\n"
	"for line in sys.stdin:\n"
	"    line = line.strip()\n"
	"    if line == 'PING': print('PONG', flush=True)\n"
	"    elif line == 'RESET': print('OK', flush=True)\n"
	"    elif line.startswith('W '): print('OK ' + line.split()[1], flush=True)\n"
	"    elif line == 'READ':\n"
	"        print('R 1 00', flush=True)\n"
	"        time.sleep(3600)\n"
	"    else: print('ERR unknown', flush=True)\n";

static bool write_client(const struct fl_fixture *fx, char *w, size_t len)
{
	char path[PATH_MAX + 16];
	FILE *f;

	if (system("python3 -c pass") != 0) {
		print_message("skip: needs python3\n");
		return false;
	}
	snprintf(path, sizeof(path), "%s/no_end.py", fx->path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(no_end_client, f) >= 0);
	assert_int_equal(fclose(f), 0);
	snprintf(w, len, "exec:python3 %s", path);
	return true;
}

static void no_end(const struct fl_fixture *fx, const char *timeout, const char *want_s,
		   uint64_t max_ms)
{
	char w[PATH_MAX + 64];
	struct fl_rpo_cli_result r;
	const char *msg;
	json_t *e;

	if (!fl_rpo_cli_require() || !write_client(fx, w, sizeof(w)))
		skip();
	fl_rpo_cli_run(fx->path, TRIALS_TIMEOUT_MS, &r, "-w", w, "--start", "exec sleep 60",
		       "--health", "true", "--fault", "kill", "--fault-at", "300ms",
		       "--after", "200ms", "-c", "1",
		       timeout ? "--readback-timeout" : NULL, timeout, NULL);
	assert_int_equal(r.code, 3);
	assert_non_null(r.result);
	print_message("a READ without END: gave up after %.1f s in all\n", r.ms / 1e3);
	e = json_object_get(json_array_get(json_object_get(r.result, "trials"), 0), "error");
	assert_string_equal(json_string_value(json_object_get(e, "phase")), "check");
	msg = json_string_value(json_object_get(e, "message"));
	/* The client is named, and what it failed to do. */
	assert_non_null(strstr(msg, w + strlen("exec:")));
	assert_non_null(strstr(msg, "no END after 1 record(s)"));
	assert_non_null(strstr(msg, want_s));
	assert_non_null(strstr(r.err, w + strlen("exec:")));
	assert_true(r.ms < max_ms);
	fl_rpo_cli_result_free(&r);
}

static void test_exec_read_back_without_end_times_out_and_names_the_client(void **state)
{
	no_end(*state, "1s", "nothing more for 1.0 s", 15000);
}

static void test_exec_read_back_timeout_defaults_to_10s(void **state)
{
	no_end(*state, NULL, "nothing more for 10.0 s", 30000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_setup_tmpdir, fl_teardown_tmpdir)
		T(test_file_trials_are_independent),
		T(test_sqlite_rollback_trials_are_independent),
		T(test_sqlite_rollback_full_trials_are_independent),
		T(test_sqlite_wal_trials_are_independent),
		T(test_redis_trials_are_independent),
		T(test_postgres_trials_are_independent),
		T(test_exec_read_back_without_end_times_out_and_names_the_client),
		T(test_exec_read_back_timeout_defaults_to_10s),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
