// SPDX-License-Identifier: GPL-2.0-only
/*
 * The postgres-replica kind, for real (Debian PostgreSQL): n1 the primary
 * and n2 a streaming replica, each in its node (netns, cgroup, faultfs).
 * The test reaches them by address with libpq, as a workload client
 * would. Proves: a row written on the primary is read on the replica; the
 * primary's crash, then fl_cluster_promote(n2), makes n2 the leader (in
 * the library and in `faultline cluster status`), with the row, and
 * still after the old primary restarts (a later timeline leads); the
 * settings reach the primary (synchronous_standby_names makes n2 a sync
 * standby); down leaves no netns, veth, cgroup, mount or process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <faultline/cluster.h>
#include <faultline/state.h>
#include "core/clock.h"
#include "helpers/cli_run.h"
#include "helpers/fixtures.h"
#include "cluster_residue.h"

#define SUBNET  "10.231.40.0/24"
#define SUBNET2 "10.231.41.0/24"

static char faultline[PATH_MAX], run_dir[PATH_MAX], state_dir[PATH_MAX];
static bool quiet;  /* await() polls: its misses are expected */

static bool require(void)
{
	char ff[PATH_MAX], path[PATH_MAX * 2];
	const char *old = getenv("PATH");
	glob_t g;

	if (!fl_test_require_root())
		return false;
	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g)) {
		print_message("skip: no PostgreSQL server (Debian postgresql: tools/install-deps.sh "
			      "installs it)\n");
		return false;
	}
	globfree(&g);
	if (access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: no /dev/fuse\n");
		return false;
	}
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)) ||
	    !fl_test_binary("faultfs", ff, sizeof(ff)))
		return false;
	snprintf(path, sizeof(path), "%s:%s", dirname(ff), old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (!run_dir[0]) {
		assert_int_equal(fl_fixture_tmpdir_create(run_dir, sizeof(run_dir)), 0);
		assert_int_equal(fl_fixture_tmpdir_create(state_dir, sizeof(state_dir)), 0);
		/* The servers run as postgres: it must reach its data dir. */
		assert_int_equal(chmod(run_dir, 0755), 0);
		setenv("FAULTLINE_RUN_DIR", state_dir, 1);
	}
	return true;
}

/* Run sql on addr; the first value of the result in buf (if any). 0 or -EIO. */
static int sql(const char *addr, const char *q, char *buf, size_t len)
{
	char conninfo[128];
	PGconn *pg;
	PGresult *r;
	int err = 0;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=5432 user=postgres dbname=postgres connect_timeout=2", addr);
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		PQfinish(pg);
		return -ECONNREFUSED;
	}
	r = PQexec(pg, q);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (buf)
			snprintf(buf, len, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	} else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!quiet)
			print_message("%s: %s", addr, PQerrorMessage(pg));
		err = -EIO;
	}
	PQclear(r);
	PQfinish(pg);
	return err;
}

/* Wait until q on addr gives want. */
static void await(const char *addr, const char *q, const char *want, int timeout_ms)
{
	uint64_t t0 = fl_now_ns();
	char got[256] = "";

	quiet = true;
	while (sql(addr, q, got, sizeof(got)) || strcmp(got, want)) {
		if (ms_since(t0) > (uint64_t)timeout_ms)
			fail_msg("%s: '%s' gives '%s', not '%s', after %d ms", addr, q, got, want,
				 timeout_ms);
		fl_sleep_ms(50);
	}
	quiet = false;
}

static void test_pg_write_replica_crash_promote(void **state)
{
	struct fl_cluster_config cfg = { 0 };
	struct fl_cluster *c = NULL;
	struct fl_cli_result r;
	char why[512] = "", dir[PATH_MAX + 16], got[64];
	const char *a1, *a2;
	unsigned l = 9;
	uint64_t t0;
	int err;

	(void)state;
	if (!require())
		skip();
	cfg.kind = fl_cluster_kind_find("postgres-replica");
	assert_non_null(cfg.kind);
	cfg.name = "kpg";
	cfg.subnet = SUBNET;
	cfg.run_dir = run_dir;
	cfg.healthy_timeout_ms = 40000;
	t0 = fl_now_ns();
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err)
		fail_msg("up: %s", why);
	print_message("postgres-replica: 2 nodes up and healthy in %" PRIu64 " ms\n", ms_since(t0));
	snprintf(dir, sizeof(dir), "%s/kpg", run_dir);
	a1 = fl_cluster_node(c, 0)->addr;
	a2 = fl_cluster_node(c, 1)->addr;
	assert_int_equal(fl_cluster_leader(c, 2000, &l, why, sizeof(why)), 0);
	assert_int_equal(l, 0);
	/* The replica streams from the primary, asynchronously by default. */
	await(a1, "SELECT application_name || ':' || state || ':' || sync_state "
	      "FROM pg_stat_replication", "n2:streaming:async", 10000);
	assert_int_equal(sql(a1, "CREATE TABLE t (k int PRIMARY KEY, v text)", NULL, 0), 0);
	assert_int_equal(sql(a1, "INSERT INTO t VALUES (1, 'acked')", NULL, 0), 0);
	await(a2, "SELECT v FROM t WHERE k = 1", "acked", 10000);
	/* A replica refuses writes. */
	quiet = true;
	assert_int_equal(sql(a2, "INSERT INTO t VALUES (2, 'no')", NULL, 0), -EIO);
	quiet = false;

	/* The primary's node crashes; n2 is promoted by hand. */
	assert_int_equal(fl_node_crash(c, 0, why, sizeof(why)), 0);
	assert_int_not_equal(sql(a1, "SELECT 1", NULL, 0), 0);
	t0 = fl_now_ns();
	err = fl_cluster_promote(c, 1, 10000, why, sizeof(why));
	if (err)
		fail_msg("promote n2: %s", why);
	print_message("postgres-replica: n2 promoted in %" PRIu64 " ms\n", ms_since(t0));
	assert_int_equal(fl_cluster_leader(c, 2000, &l, why, sizeof(why)), 0);
	assert_int_equal(l, 1);
	assert_int_equal(sql(a2, "SELECT v FROM t WHERE k = 1", got, sizeof(got)), 0);
	assert_string_equal(got, "acked");
	assert_int_equal(sql(a2, "INSERT INTO t VALUES (3, 'after')", NULL, 0), 0);
	/* A second promotion of a primary is refused (not in recovery). */
	assert_int_not_equal(fl_cluster_promote(c, 1, 2000, why, sizeof(why)), 0);
	/*
	 * The old primary restarts, a primary still (split brain, as a real
	 * one would be without fencing): n2, on the later timeline, still leads.
	 */
	assert_int_equal(fl_node_start(c, 0, why, sizeof(why)), 0);
	await(a1, "SELECT pg_is_in_recovery()::text", "false", 20000);
	assert_int_equal(fl_cluster_leader(c, 2000, &l, why, sizeof(why)), 0);
	assert_int_equal(l, 1);
	{
		char *argv[] = { faultline, "cluster", "status", "kpg", "--run-dir", run_dir,
				 "--json", NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		/* n1 is down: status says so (exit 1), and n2 leads. */
		assert_non_null(strstr(r.out, "\"leader\":\"n2\""));
		fl_cli_result_free(&r);
	}
	assert_int_equal(fl_cluster_down(c, 5000, why, sizeof(why)), 0);
	assert_no_residue("kpg", dir);
}

/* From the CLI, with the settings: n2 becomes a synchronous standby. */
static void test_pg_cli_sync_settings(void **state)
{
	struct fl_cli_result r;
	char dir[PATH_MAX + 16];

	(void)state;
	if (!require())
		skip();
	snprintf(dir, sizeof(dir), "%s/kpgs", run_dir);
	{
		char *argv[] = { faultline, "cluster", "up", "postgres-replica", "--name", "kpgs",
				 "--subnet", SUBNET2, "--run-dir", run_dir, "--set",
				 "synchronous_standby_names=*", "--set", "synchronous_commit=on",
				 "--json", NULL };

		assert_int_equal(fl_cli_run(argv, 60000, &r), 0);
		if (r.code)
			fail_msg("cluster up: %s", r.err);
		assert_non_null(strstr(r.out, "\"addr\":\"10.231.41.12\""));
		fl_cli_result_free(&r);
	}
	await("10.231.41.11", "SELECT application_name || ':' || sync_state "
	      "FROM pg_stat_replication", "n2:sync", 10000);
	assert_int_equal(sql("10.231.41.11", "CREATE TABLE s (k int)", NULL, 0), 0);
	{
		char *argv[] = { faultline, "cluster", "status", "kpgs", "--run-dir", run_dir, NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "LEADER"));
		fl_cli_result_free(&r);
	}
	/* A setting that could add a line is refused before anything is made. */
	{
		char *argv[] = { faultline, "cluster", "up", "postgres-replica", "--name", "kpgx",
				 "--subnet", "10.231.42.0/24", "--run-dir", run_dir, "--set",
				 "work_mem='1MB'", NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		assert_int_equal(r.code, 2);
		assert_non_null(strstr(r.err, "setting"));
		fl_cli_result_free(&r);
	}
	{
		char *argv[] = { faultline, "cluster", "down", "kpgs", "--run-dir", run_dir, NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		if (r.code)
			fail_msg("cluster down: %s", r.err);
		fl_cli_result_free(&r);
	}
	assert_no_residue("kpgs", dir);
}

static int teardown(void **state)
{
	(void)state;
	if (state_dir[0])
		fl_state_cleanup_all(state_dir, true, NULL);
	if (run_dir[0])
		fl_fixture_tmpdir_destroy(run_dir);
	if (state_dir[0])
		fl_fixture_tmpdir_destroy(state_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_write_replica_crash_promote),
		cmocka_unit_test(test_pg_cli_sync_settings),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
