// SPDX-License-Identifier: GPL-2.0-only
/*
 * The redis-rdb strategy against a real redis 7: BGSAVE copies taken
 * while records are written, the disk lost, the newest copy restored.
 * Every record acknowledged before the last BGSAVE comes back, with the
 * AOF on (redis:local's appendonly yes, where a bare dump.rdb would be
 * ignored and redis would start empty) and off; the restored files pass
 * redis-check-aof and redis-check-rdb, and a damaged RDB fails
 * redis-check-rdb.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/backup_steps.h"

#define BATCH 200

static const struct fl_backup_strategy *rdb;


static bool ready(void)
{
	if (!bk_test_ready((const char *const[]){ "redis-server", "redis-check-rdb",
						  "redis-check-aof", NULL }) ||
	    !bk_step_ready("redis-rdb"))
		return false;
	rdb = fl_backup_strategy_find("redis-rdb");
	return true;
}

static void snapshots_then_restore(const char *spec)
{
	struct fl_bk_taken s1, s2;
	uint64_t d1, d2, total, next = 1, mark;
	enum fl_backup_check check;
	char detail[256];
	struct fl_bk_phases ph;
	static struct bk_test t;

	BK_CHECK(&t, bk_step_open(&t, spec, false));
	BK_CHECK(&t, bk_step_begin(&t, rdb));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, rdb, FL_BACKUP_SNAPSHOT, &s1, &d1));
	bk_step_write(&t, &next, BATCH);
	mark = next;
	BK_CHECK(&t, bk_step_backup(&t, rdb, FL_BACKUP_SNAPSHOT, &s2, &d2));
	bk_step_write(&t, &next, BATCH);
	print_message("redis-rdb %s: %s %llu B in %.1f ms, %s %llu B in %.1f ms\n", spec,
		      s1.label, (unsigned long long)s1.bytes, bk_ms(d1), s2.label,
		      (unsigned long long)s2.bytes, bk_ms(d2));
	assert_string_equal(s1.label, "1.rdb");
	assert_string_equal(s2.label, "2.rdb");
	assert_true(s2.bytes > s1.bytes);

	BK_CHECK(&t, bk_step_restore(&t, rdb, &ph, &total));
	print_message("redis-rdb %s: restore %.1f ms, kill to up %.1f ms\n", spec,
		      bk_ms(ph.restore_ns), bk_ms(total));
	/* All of the second snapshot, nothing written after it began is required. */
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(mark - 1)), mark - 1);
	BK_CHECK(&t, fl_bk_check_redis(&t.ctx, &check, detail, sizeof(detail)));
	print_message("redis-rdb %s: check %s: %s\n", spec, fl_backup_check_name(check), detail);
	assert_int_equal(check, FL_BACKUP_CHECK_OK);
	/* The restored server takes writes (into a fresh AOF incr file when the AOF is on). */
	assert_int_equal(bk_test_write(&t, next, 5), 5);
}

static void test_redis_rdb_restores_every_acked_write_with_aof_on(void **state)
{
	(void)state;
	if (!ready())
		skip();
	snapshots_then_restore("redis:local");
}

static void test_redis_rdb_restores_every_acked_write_with_aof_off(void **state)
{
	(void)state;
	if (!ready())
		skip();
	snapshots_then_restore("redis:local?appendonly=no");
}

static void test_redis_check_rdb_fails_on_a_damaged_rdb(void **state)
{
	enum fl_backup_check check;
	struct fl_bk_taken s1;
	struct fl_bk_phases ph;
	char detail[256], path[PATH_MAX + 16];
	uint64_t next = 1;
	unsigned char b;
	struct stat st;
	static struct bk_test t;
	int fd;

	(void)state;
	if (!ready())
		skip();
	BK_CHECK(&t, bk_step_open(&t, "redis:local", false));
	BK_CHECK(&t, bk_step_begin(&t, rdb));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, rdb, FL_BACKUP_SNAPSHOT, &s1, NULL));
	BK_CHECK(&t, bk_step_restore(&t, rdb, &ph, NULL));
	assert_int_equal(fl_bk_service_stop(t.svc, 10ull * 1000000000ull), 0);
	/* One byte flipped in the middle of the restored RDB: its CRC-64 no longer matches. */
	snprintf(path, sizeof(path), "%s/dump.rdb", t.ctx.store->data_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, &b, 1, st.st_size / 2), 1);
	b ^= 0xff;
	assert_int_equal(pwrite(fd, &b, 1, st.st_size / 2), 1);
	close(fd);
	BK_CHECK(&t, fl_bk_check_redis(&t.ctx, &check, detail, sizeof(detail)));
	print_message("damaged RDB: check %s: %s\n", fl_backup_check_name(check), detail);
	assert_int_equal(check, FL_BACKUP_CHECK_FAILED);
	assert_non_null(strstr(detail, "redis-check-rdb: [offset"));
	assert_non_null(strstr(detail, "CRC error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_redis_rdb_restores_every_acked_write_with_aof_on,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_redis_rdb_restores_every_acked_write_with_aof_off,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_redis_check_rdb_fails_on_a_damaged_rdb,
					  bk_step_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
