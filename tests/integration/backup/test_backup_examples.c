// SPDX-License-Identifier: GPL-2.0-only
/*
 * The and the README's `faultline backup run` examples, in short
 * forms, through the CLI as a user runs them, against the real tools:
 *   - pgBackRest full + incr with WAL archiving, disk loss, restore latest:
 *     the RPO stays within archive_timeout plus slack;
 *   - pgBackRest to a point in time before a dropped table: exact;
 *   - tar full + incr + diff on the file workload: the RPO is bounded by
 *     the schedule's interval;
 *   - SQLite's online backup, then corruption: it is caught;
 *   - restic snapshots of a redis RDB: the restore works;
 *   - the exec strategy with the example scripts; a power cut and the
 *     user's own fault command;
 *   - usage errors, and Ctrl-C in the middle of a trial (nothing left).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
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

#include "core/child.h"
#include "helpers/cli_run.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"

#define RUN_MS 240000

static const char *const backup_run[] = { "backup", "run", NULL };

static char dir[PATH_MAX];

/* Root, faultline built, and the programs named on $PATH. */
static bool ready(const char *const *programs)
{
	char path[PATH_MAX];

	if (!fl_rpo_cli_require())
		return false;
	for (size_t i = 0; programs && programs[i]; i++)
		if (fl_child_which(programs[i], path, sizeof(path))) {
			print_message("skip: %s is not installed (tools/install-deps.sh installs it)\n",
				      programs[i]);
			return false;
		}
	if (!dir[0])
		assert_int_equal(fl_fixture_tmpdir_create(dir, sizeof(dir)), 0);
	return true;
}

static json_t *trial0(struct fl_rpo_cli_result *r)
{
	json_t *t;

	if (!r->result)
		fail_msg("no result (exit %d): %s", r->code, r->err);
	t = json_array_get(json_object_get(r->result, "trials"), 0);
	if (!t)
		fail_msg("no trial in the result");
	if (json_object_get(t, "error"))
		fail_msg("trial failed: %s", json_string_value(json_object_get(t, "error")));
	return t;
}

static double num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (!json_is_number(v))
		fail_msg("no number at %s%s%s", a, b ? "." : "", b ? b : "");
	return json_number_value(v);
}

/* Backups that succeeded, of one kind (NULL: any). */
static size_t backups_ok(json_t *t, const char *kind)
{
	json_t *b;
	size_t i, n = 0;

	json_array_foreach(json_object_get(t, "backups"), i, b)
		n += json_is_true(json_object_get(b, "ok")) &&
		     (!kind || !strcmp(json_string_value(json_object_get(b, "kind")), kind));
	return n;
}

/* Each backup of a trial, for the reader of a failure. */
static void print_backups(json_t *t)
{
	json_t *b;
	size_t i;

	json_array_foreach(json_object_get(t, "backups"), i, b)
		print_message("  backup %zu: %s due %.0f ms, %.0f-%.0f ms, %s%s%s\n", i,
			      json_string_value(json_object_get(b, "kind")) ?: "?",
			      json_number_value(json_object_get(b, "due_ms")),
			      json_number_value(json_object_get(b, "start_ms")),
			      json_number_value(json_object_get(b, "end_ms")),
			      json_is_true(json_object_get(b, "ok")) ? "ok" : "failed",
			      json_string_value(json_object_get(b, "error")) ? ": " : "",
			      json_string_value(json_object_get(b, "error")) ?: "");
}

/* The result's "objectives" entry by name: its status and whether it passed. */
static void assert_objective(json_t *res, const char *name, const char *status, bool pass)
{
	json_t *e;
	size_t i;

	assert_int_equal(json_array_size(json_object_get(res, "objectives")), 5);
	json_array_foreach(json_object_get(res, "objectives"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")), name))
			continue;
		assert_string_equal(json_string_value(json_object_get(e, "status")), status);
		if (json_is_true(json_object_get(e, "pass")) != pass)
			fail_msg("objective %s: pass is not %s: %s", name, pass ? "true" : "false",
				 json_string_value(json_object_get(e, "how")));
		return;
	}
	fail_msg("no objective %s in the result", name);
}

static void test_pgbackrest_disk_loss_latest(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "pgbackrest", NULL }) ||
	    !fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "pgbackrest", "--schedule",
			"full@0s,incr@every:4s", "--fault", "disk-loss", "--fault-at", "14s",
			"--restore", "latest", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_true(backups_ok(t, "full") == 1 && backups_ok(t, "incr") >= 2);
	assert_true(json_is_true(json_object_get(t, "restored")));
	/* The WAL archive is pushed every archive_timeout (5 s): a loss within it, plus slack. */
	assert_true(num(t, "verdict", "rpo_ms") <= 5000 + 2000);
	assert_true(num(t, "verdict", "must_have") > 100);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(t, "integrity"), "tool_verify"), "result")), "ok");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(t, "integrity"), "db_check"), "result")), "ok");
	assert_true(num(t, "restore", "replay_ms") > 0 && num(t, "rto_ms", NULL) > 0);
	fl_rpo_cli_result_free(&r);
}

static void test_pgbackrest_pitr_before_drop(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "pgbackrest", NULL }) ||
	    !fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "pgbackrest", "--schedule",
			"full@0s,incr@every:4s", "--fault", "drop-table", "--fault-at", "12s",
			"--restore", "pitr=-3s", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_true(json_is_true(json_object_get(json_object_get(t, "verdict"), "exact")));
	assert_int_equal(num(t, "verdict", "missing"), 0);
	assert_int_equal(num(t, "verdict", "future"), 0);
	/* Something on each side of T: the target cut the history, it did not miss it. */
	assert_true(num(t, "verdict", "must_have") > 100 && num(t, "verdict", "must_not") > 100);
	fl_rpo_cli_result_free(&r);
}

static void test_tar_file_rpo_bounded(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "tar", NULL }))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "tar", "--workload",
			"file:data/log", "--schedule", "full@0s,incr@every:2s,diff@every:5s",
			"--fault-at", "11s", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_true(backups_ok(t, "full") == 1 && backups_ok(t, "incr") >= 3 &&
		    backups_ok(t, "diff") >= 1);
	/* Losses reach back no further than the last backup: the interval and its duration. */
	assert_true(num(t, "verdict", "rpo_ms") <= 2000 + 1500);
	assert_true(num(t, "verdict", "missing") > 0);
	/* Issue 16: the five objectives, the brief's defaults met. */
	assert_objective(r.result, "rto", "measured", true);
	assert_objective(r.result, "rpo", "measured", true);
	assert_objective(r.result, "mttr", "measured", true);
	assert_objective(r.result, "availability", "derived", true);
	assert_objective(r.result, "mtbf", "derived", true);
	fl_rpo_cli_result_free(&r);
}

/* The restore's MTTR against an objective no restore can meet: exit 1, and why. */
static void test_mttr_objective_gates(void **state)
{
	struct fl_rpo_cli_result r;

	(void)state;
	if (!ready((const char *const[]){ "tar", NULL }))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "tar", "--workload",
			"file:data/log", "--schedule", "full@0s,incr@every:2s", "--fault-at", "4s",
			"--mttr-max", "1us", NULL);
	trial0(&r);
	assert_int_equal(r.code, 1);
	assert_objective(r.result, "mttr", "measured", false);
	assert_objective(r.result, "rto", "measured", true);
	assert_int_equal(num(r.result, "exit_status", NULL), 1);
	fl_rpo_cli_result_free(&r);
}

/*
 * Enough blocks that the damage cannot all be healed by the pages' next
 * writes (a page written corrupt and rewritten whole before the next
 * backup leaves no trace, and then "none" is the truth, not a miss). The
 * restore itself may fail on a damaged schema: that, too, is caught.
 */
static void test_sqlite_corruption_caught(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready(NULL))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "sqlite", "--schedule",
			"full@0s,full@every:2s", "--fault", "corrupt=64", "--fault-at", "5s",
			"--after", "5s", NULL);
	if (!r.result)
		fail_msg("no result (exit %d): %s", r.code, r.err);
	t = json_array_get(json_object_get(r.result, "trials"), 0);
	assert_non_null(t);
	print_backups(t);
	/*
	 * The three due before the fault; the later ones may fail on the
	 * damage, or start late when a loaded machine slows each copy.
	 */
	assert_true(backups_ok(t, NULL) >= 3);
	print_message("  caught by: %s\n", json_string_value(json_object_get(
		json_object_get(t, "integrity"), "caught_by")));
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(t, "integrity"),
								  "caught_by")), "none");
	fl_rpo_cli_result_free(&r);
}

static void test_restic_redis_rdb(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "restic", "redis-server", NULL }))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "restic", "--workload",
			"redis:local", "--schedule", "snapshot@0s,snapshot@every:3s", "--fault-at",
			"10s", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_true(backups_ok(t, "snapshot") >= 3);
	assert_true(json_is_true(json_object_get(t, "restored")));
	assert_true(num(t, "verdict", "must_have") - num(t, "verdict", "missing") > 100);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(t, "integrity"), "tool_verify"), "result")), "ok");
	fl_rpo_cli_result_free(&r);
}

static void test_exec_example_scripts(void **state)
{
	struct fl_rpo_cli_result r;
	char backup[PATH_MAX], restore[PATH_MAX];
	json_t *t;

	(void)state;
	if (!ready(NULL))
		skip();
	assert_non_null(realpath("examples/backup/cp-backup.sh", backup));
	assert_non_null(realpath("examples/backup/cp-restore.sh", restore));
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "exec", "--workload",
			"file:data/log", "--schedule", "full@0s,full@every:2s", "--backup-cmd", backup,
			"--restore-cmd", restore, "--fault-at", "7s", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_true(backups_ok(t, "full") >= 3);
	assert_true(num(t, "verdict", "must_have") - num(t, "verdict", "missing") > 100);
	fl_rpo_cli_result_free(&r);
}

/* A power cut on faultfs, then redis-rdb's newest copy. */
static void test_redis_rdb_powercut(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "redis-server", NULL }))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "redis-rdb", "--schedule",
			"snapshot@0s,snapshot@every:2s", "--fault", "powercut", "--fault-at", "7s",
			NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_null(json_object_get(t, "fault_error"));
	assert_true(backups_ok(t, "snapshot") >= 3);
	assert_true(num(t, "verdict", "must_have") - num(t, "verdict", "missing") > 100);
	assert_true(num(t, "verdict", "rpo_ms") <= 2000 + 1500);
	fl_rpo_cli_result_free(&r);
}

/* The user's own fault: a command that empties the data directory. */
static void test_exec_fault(void **state)
{
	struct fl_rpo_cli_result r;
	json_t *t;

	(void)state;
	if (!ready((const char *const[]){ "tar", NULL }))
		skip();
	fl_cli_json_run(backup_run, dir, RUN_MS, &r, "--strategy", "tar", "--workload",
			"file:data/log", "--schedule", "full@0s,incr@every:2s", "--fault",
			"exec=rm -f \"$FAULTLINE_DATA_DIR\"/log", "--fault-at", "6s", NULL);
	t = trial0(&r);
	assert_int_equal(r.code, 0);
	assert_null(json_object_get(t, "fault_error"));
	assert_string_equal(json_string_value(json_object_get(r.result, "fault")), "exec");
	assert_true(num(t, "verdict", "must_have") - num(t, "verdict", "missing") > 100);
	fl_rpo_cli_result_free(&r);
}

static void test_usage_errors(void **state)
{
	struct fl_rpo_cli_result r;

	(void)state;
	if (!ready(NULL))
		skip();
	fl_cli_json_run(backup_run, dir, 20000, &r, "--strategy", "tar", "--restore", "pitr=-2s",
			NULL);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "cannot restore to a point in time"));
	fl_rpo_cli_result_free(&r);
	fl_cli_json_run(backup_run, dir, 20000, &r, "--strategy", "sqlite", "--workload",
			"redis:local", NULL);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "backs up sqlite stores"));
	fl_rpo_cli_result_free(&r);
	fl_cli_json_run(backup_run, dir, 20000, &r, "--strategy", "tar", "--schedule",
			"full@0s,inc@every:2s", NULL);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "column"));
	fl_rpo_cli_result_free(&r);
	fl_cli_json_run(backup_run, dir, 20000, &r, "--strategy", "tar", "--availability-min",
			"150%", NULL);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "--availability-min"));
	fl_rpo_cli_result_free(&r);
}

/* The run directories there now, one name per line (other runs may own some). */
static char *run_dirs(void)
{
	DIR *d = opendir("/var/tmp/faultline/backup");
	char *names = calloc(1, 1);
	size_t len = 0;

	assert_non_null(names);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, len + strlen(e->d_name) + 2);
		assert_non_null(names);
		len += (size_t)sprintf(names + len, "%s\n", e->d_name);
	}
	if (d)
		closedir(d);
	return names;
}

/* Nothing of our run is left: no new run directory, no faultfs mount in one. */
static void assert_nothing_left(const char *before)
{
	char *after = run_dirs(), line[4096], *name, *save = NULL;
	FILE *m;

	for (name = strtok_r(after, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		snprintf(line, sizeof(line), "%s\n", name);
		if (!strstr(before, line))
			fail_msg("left behind: /var/tmp/faultline/backup/%s", name);
	}
	free(after);
	m = fopen("/proc/self/mounts", "r");
	assert_non_null(m);
	while (fgets(line, sizeof(line), m)) {
		char *run = strstr(line, "/var/tmp/faultline/backup/");

		if (run && !strstr(before, strtok_r(run + 26, "/", &save)))
			fail_msg("left mounted: %s", line);
	}
	fclose(m);
}

static void test_interrupt_cleans_up(void **state)
{
	char *argv[] = { fl_rpo_cli_bin(), "backup", "run", "--strategy", "tar", "--workload",
			 "file:data/log", "--fault", "powercut", "--fault-at", "60s", NULL };
	struct fl_cli_result r;
	struct fl_cli *c;
	char *before;

	(void)state;
	if (!ready(NULL))
		skip();
	before = run_dirs();
	assert_int_equal(fl_cli_start(argv, &c), 0);
	assert_int_equal(fl_cli_wait_stderr(c, ": load", 60000), 0);
	sleep(2);
	assert_int_equal(fl_cli_signal(c, SIGINT), 0);
	assert_int_equal(fl_cli_wait(c, 60000, &r), 0);
	fl_cli_free(c);
	print_message("  exit %d: %s", r.code, r.err);
	assert_int_equal(r.code, 3);
	fl_cli_result_free(&r);
	assert_nothing_left(before);
	free(before);
}

static int teardown(void **state)
{
	(void)state;
	if (dir[0])
		fl_fixture_tmpdir_destroy(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_interrupt_cleans_up),
		cmocka_unit_test(test_tar_file_rpo_bounded),
		cmocka_unit_test(test_mttr_objective_gates),
		cmocka_unit_test(test_exec_example_scripts),
		cmocka_unit_test(test_exec_fault),
		cmocka_unit_test(test_redis_rdb_powercut),
		cmocka_unit_test(test_sqlite_corruption_caught),
		cmocka_unit_test(test_restic_redis_rdb),
		cmocka_unit_test(test_pgbackrest_disk_loss_latest),
		cmocka_unit_test(test_pgbackrest_pitr_before_drop),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
