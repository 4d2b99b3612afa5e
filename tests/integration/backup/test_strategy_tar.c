// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tar strategy against real stores: GNU tar --listed-incremental
 * full, incr and diff archives taken while records are written, the disk
 * lost, the chain restored. Every record acknowledged before the last
 * backup began comes back intact; an incr holds only what changed since
 * the backup before it (tar works by file: unchanged files stay out), a
 * diff everything since the full; a diff restores without the incrs
 * taken before it; on redis the restored AOF and RDB pass
 * redis-check-aof and redis-check-rdb.
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

#define FILE_SPEC "file:data/records.log"
#define BATCH 200

static const struct fl_backup_strategy *tar;


/* A file of len pseudo-random bytes in the data directory; its bytes into keep (may be NULL). */
static void put_file(struct bk_test *t, const char *name, size_t len, unsigned char *keep)
{
	char path[PATH_MAX + 64];
	unsigned char *buf = malloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ull ^ len;
	int fd;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	snprintf(path, sizeof(path), "%s/%s", t->ctx.store->data_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	if (keep)
		memcpy(keep, buf, len);
	free(buf);
}

static void assert_file(struct bk_test *t, const char *name, const unsigned char *want, size_t len)
{
	char path[PATH_MAX + 64];
	unsigned char *buf = malloc(len + 1);
	int fd;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", t->ctx.store->data_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, len + 1), (ssize_t)len);
	close(fd);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static bool ready(const char *const *programs)
{
	if (!bk_test_ready(programs) || !bk_step_ready("tar"))
		return false;
	tar = fl_backup_strategy_find("tar");
	return true;
}

static void test_tar_file_full_incr_diff_restore_every_acked_write(void **state)
{
	enum { BALLAST = 4 << 20, SIDE = 1 << 20 };
	static unsigned char ballast[BALLAST];
	struct fl_bk_taken full, incr1, diff, incr2;
	uint64_t d_full, d_incr1, d_diff, d_incr2, total, next = 1, mark;
	struct fl_bk_phases ph;
	static struct bk_test t;

	(void)state;
	if (!ready(NULL))
		skip();
	BK_CHECK(&t, bk_step_open(&t, FILE_SPEC, false));
	BK_CHECK(&t, bk_step_begin(&t, tar));
	/* A file that never changes: in the full, in no incr or diff. */
	put_file(&t, "ballast.bin", BALLAST, ballast);
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_FULL, &full, &d_full));
	/* A file written once after the full: in incr1 and in the diff, not in incr2. */
	put_file(&t, "side.bin", SIDE, NULL);
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_INCR, &incr1, &d_incr1));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_DIFF, &diff, &d_diff));
	bk_step_write(&t, &next, BATCH);
	mark = next;
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_INCR, &incr2, &d_incr2));
	/* After the last backup began: may be lost. */
	bk_step_write(&t, &next, BATCH);

	print_message("tar/file: full %llu B in %.1f ms, incr %llu B in %.1f ms, "
		      "diff %llu B in %.1f ms, incr %llu B in %.1f ms\n",
		      (unsigned long long)full.bytes, bk_ms(d_full), (unsigned long long)incr1.bytes,
		      bk_ms(d_incr1), (unsigned long long)diff.bytes, bk_ms(d_diff),
		      (unsigned long long)incr2.bytes, bk_ms(d_incr2));
	/* The ballast is the full's bulk; an incr without it is far smaller. */
	assert_true(full.bytes > BALLAST);
	assert_true(incr1.bytes < full.bytes / 2);
	assert_true(incr2.bytes < full.bytes / 8);
	/* The diff still carries side.bin (changed since the full); incr2 does not. */
	assert_true(diff.bytes >= incr2.bytes + SIDE / 2);
	assert_string_equal(incr2.label, "000004-incr.tar");

	BK_CHECK(&t, bk_step_restore(&t, tar, &ph, &total));
	print_message("tar/file: restore (full + diff + incr) %.1f ms, kill to up %.1f ms\n",
		      bk_ms(ph.restore_ns), bk_ms(total));
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(mark - 1)), mark - 1);
	assert_file(&t, "ballast.bin", ballast, BALLAST);
}

static void test_tar_diff_restores_without_the_incrs_before_it(void **state)
{
	struct fl_bk_taken full, incr, diff;
	char from[PATH_MAX + 160], to[PATH_MAX + 168];
	uint64_t next = 1, mark;
	struct fl_bk_phases ph;
	static struct bk_test t;

	(void)state;
	if (!ready(NULL))
		skip();
	BK_CHECK(&t, bk_step_open(&t, FILE_SPEC, false));
	BK_CHECK(&t, bk_step_begin(&t, tar));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_FULL, &full, NULL));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_INCR, &incr, NULL));
	bk_step_write(&t, &next, BATCH);
	mark = next;
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_DIFF, &diff, NULL));
	/* The incr is gone from the repository: the diff alone must carry its records. */
	snprintf(from, sizeof(from), "%s/%s", t.repo, incr.label);
	snprintf(to, sizeof(to), "%s.away", from);
	assert_int_equal(rename(from, to), 0);
	BK_CHECK(&t, bk_step_restore(&t, tar, &ph, NULL));
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(mark - 1)), mark - 1);
}

static void test_tar_redis_chain_restores_and_checks_ok(void **state)
{
	struct fl_bk_taken full, incr1, diff, incr2;
	uint64_t d_full, d_incr1, d_diff, d_incr2, total, next = 1, mark;
	enum fl_backup_check check;
	char detail[256];
	struct fl_bk_phases ph;
	static struct bk_test t;

	(void)state;
	if (!ready((const char *const[]){ "redis-server", "redis-check-aof", NULL }))
		skip();
	BK_CHECK(&t, bk_step_open(&t, "redis:local", false));
	BK_CHECK(&t, bk_step_begin(&t, tar));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_FULL, &full, &d_full));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_INCR, &incr1, &d_incr1));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_DIFF, &diff, &d_diff));
	bk_step_write(&t, &next, BATCH);
	mark = next;
	BK_CHECK(&t, bk_step_backup(&t, tar, FL_BACKUP_INCR, &incr2, &d_incr2));
	bk_step_write(&t, &next, BATCH);
	print_message("tar/redis: full %llu B in %.1f ms, incr %llu B in %.1f ms, "
		      "diff %llu B in %.1f ms, incr %llu B in %.1f ms\n",
		      (unsigned long long)full.bytes, bk_ms(d_full), (unsigned long long)incr1.bytes,
		      bk_ms(d_incr1), (unsigned long long)diff.bytes, bk_ms(d_diff),
		      (unsigned long long)incr2.bytes, bk_ms(d_incr2));

	BK_CHECK(&t, bk_step_restore(&t, tar, &ph, &total));
	print_message("tar/redis: restore %.1f ms, kill to up %.1f ms\n", bk_ms(ph.restore_ns),
		      bk_ms(total));
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(mark - 1)), mark - 1);
	BK_CHECK(&t, fl_bk_check_redis(&t.ctx, &check, detail, sizeof(detail)));
	print_message("tar/redis: check %s: %s\n", fl_backup_check_name(check), detail);
	assert_int_equal(check, FL_BACKUP_CHECK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tar_file_full_incr_diff_restore_every_acked_write,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_tar_diff_restores_without_the_incrs_before_it,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_tar_redis_chain_restores_and_checks_ok,
					  bk_step_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
