// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real SQLite database on faultfs (root). With no fault armed it must
 * pass PRAGMA integrity_check after heavy writes, in WAL and in rollback
 * mode. With synchronous=FULL it must also survive a power cut: intact,
 * and holding every transaction whose COMMIT returned before the cut.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define ROWS       20000
#define BATCH      100

static bool mount_or_skip(struct fl_faultfs_mount *m)
{
	int err;

	if (!fl_test_require_root())
		return false;
	err = fl_faultfs_start(m, NULL);
	if (err) {
		print_message("skip: faultfs could not be mounted: %s\n", strerror(-err));
		return false;
	}
	return true;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("sqlite: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		fail();
	}
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static sqlite3 *open_db(const char *dir, const char *journal, const char *sync)
{
	char path[PATH_MAX + 16], sql[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/test.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s; PRAGMA synchronous=%s;", journal, sync);
	exec_ok(db, sql);
	return db;
}

/* Inserts, updates and deletes with blobs of varying size; returns the rows left. */
static int64_t heavy_writes(sqlite3 *db)
{
	sqlite3_stmt *ins;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	static char blob[4096];

	exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v BLOB);"
		    "CREATE INDEX t_k ON t(k);");
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (id, k, v) VALUES (?, ?, ?)", -1,
					    &ins, NULL), SQLITE_OK);
	for (int i = 0; i < ROWS; i++) {
		char key[32];
		int len;

		if (i % BATCH == 0)
			exec_ok(db, "BEGIN");
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		len = 64 + (int)(rng % 2000);
		memset(blob, 'a' + i % 26, (size_t)len);
		snprintf(key, sizeof(key), "key-%llu", (unsigned long long)(rng % 100000));
		sqlite3_bind_int(ins, 1, i);
		sqlite3_bind_text(ins, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(ins, 3, blob, len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
		if (i % BATCH == BATCH - 1)
			exec_ok(db, "COMMIT");
	}
	sqlite3_finalize(ins);
	exec_ok(db, "UPDATE t SET v = zeroblob(3000) WHERE id % 7 = 0");
	exec_ok(db, "DELETE FROM t WHERE id % 5 = 0");
	exec_ok(db, "VACUUM");
	return ROWS - ROWS / 5;
}

static void run_heavy(void **state, const char *journal)
{
	struct fl_faultfs_mount *m = *state;
	int64_t want;
	sqlite3 *db;

	if (!mount_or_skip(m))
		skip();
	db = open_db(m->mnt, journal, "NORMAL");
	want = heavy_writes(db);
	assert_integrity_ok(db);
	sqlite3_close(db);

	/* Reopen: what the next process sees is intact too. */
	db = open_db(m->mnt, journal, "NORMAL");
	assert_integrity_ok(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), want);
	sqlite3_close(db);
}

static void test_wal_database_passes_integrity_check_after_heavy_writes(void **state)
{
	run_heavy(state, "WAL");
}

static void test_rollback_database_passes_integrity_check_after_heavy_writes(void **state)
{
	run_heavy(state, "DELETE");
}

/*
 * A child commits one row per transaction and reports each COMMIT that
 * returned; it is SIGKILLed mid-stream, then the power is cut.
 */
static void run_powercut(void **state, const char *journal, const char *sync, int may_lose)
{
	struct fl_faultfs_mount *m = *state;
	int pipefd[2], acked = 0, st;
	char out[4096];
	int64_t present;
	sqlite3 *db;
	pid_t child;

	if (!mount_or_skip(m))
		skip();
	if (fl_faultline_fs(out, sizeof(out), "--help", NULL) != 0) {
		print_message("skip: 'faultline fs' is not available yet\n");
		skip();
	}
	db = open_db(m->mnt, journal, sync);
	exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
	sqlite3_close(db);
	assert_int_equal(pipe(pipefd), 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(pipefd[0]);
		db = open_db(m->mnt, journal, sync);
		for (int i = 1; i < 1000000; i++) {
			char sql[128];

			snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%d, 'row %d')", i, i);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
				_exit(1);
			/* Acknowledged: autocommit returned. */
			if (write(pipefd[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
		}
		_exit(0);
	}
	close(pipefd[1]);
	while (acked < 300 && read(pipefd[0], &acked, sizeof(acked)) == sizeof(acked))
		;
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	/* Acks already in the pipe are acknowledged writes too. */
	while (read(pipefd[0], &acked, sizeof(acked)) == sizeof(acked))
		;
	close(pipefd[0]);

	assert_int_equal(fl_faultline_fs(out, sizeof(out), "powercut", m->mnt, NULL), 0);

	db = open_db(m->mnt, journal, sync);
	assert_integrity_ok(db);
	present = query_int(db, "SELECT count(*) FROM t");
	print_message("  %s, synchronous=%s: %d acknowledged, %lld present after the power cut\n",
		      journal, sync, acked, (long long)present);
	assert_true(present >= acked - may_lose);
	assert_int_equal(query_int(db, "SELECT max(id) FROM t"), present);
	sqlite3_close(db);
}

static void test_wal_full_sync_keeps_every_committed_row_across_powercut(void **state)
{
	run_powercut(state, "WAL", "FULL", 0);
}

static void test_rollback_extra_sync_keeps_every_committed_row_across_powercut(void **state)
{
	run_powercut(state, "DELETE", "EXTRA", 0);
}

/* The journal's unlink is not fsynced: at most the last commit rolls back. */
static void test_rollback_full_sync_may_roll_back_only_the_last_commit(void **state)
{
	run_powercut(state, "DELETE", "FULL", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wal_database_passes_integrity_check_after_heavy_writes,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_database_passes_integrity_check_after_heavy_writes,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_wal_full_sync_keeps_every_committed_row_across_powercut,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_extra_sync_keeps_every_committed_row_across_powercut,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_full_sync_may_roll_back_only_the_last_commit,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
