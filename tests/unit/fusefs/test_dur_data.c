// SPDX-License-Identifier: GPL-2.0-only
/*
 * The durability engine on file data, driven directly on a temporary
 * backing directory: fsynced data survives a power cut, everything else
 * is restored byte for byte, size included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <cmocka.h>

#include "dur_fixture.h"

static void test_fsynced_write_survives_powercut(void **state)
{
	struct dur_fx *x = *state;
	int fd = dur_fx_open(x, "f", O_RDWR | O_CREAT);

	dur_fx_write(x, fd, "hello world", 11, 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "hello world", 11);
	close(fd);
}

static void test_unsynced_append_is_gone_and_size_restored(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;
	int fd;

	dur_fx_put(x, "f", "durable", 7);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, " and volatile", 13, 7);
	dur_fx_write(x, fd, "far away", 8, 100000);
	r = dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "durable", 7);
	assert_int_equal(r.writes_undone, 2);
	assert_int_equal(r.writes_kept, 0);
	assert_int_equal(r.files_touched, 1);
	close(fd);
}

static void test_overwrite_then_powercut_restores_old_bytes(void **state)
{
	struct dur_fx *x = *state;
	char old[8192], new[8192];
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_pattern(new, sizeof(new), 0, 2);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, new + 100, 5000, 100);
	dur_fx_write(x, fd, new, 300, 0);
	dur_fx_write(x, fd, new + 4000, 4192, 4000);
	dur_fx_assert_content(x, "f", new, sizeof(new));
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", old, sizeof(old));
	close(fd);
}

static void test_overwrite_straddling_eof_restores_old_bytes_and_size(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "abcdefghij", 10, 5);
	dur_fx_assert_content(x, "f", "01234abcdefghij", 15);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0123456789", 10);
	close(fd);
}

static void test_only_writes_after_last_fsync_are_undone(void **state)
{
	struct dur_fx *x = *state;
	int fd = dur_fx_open(x, "f", O_RDWR | O_CREAT);

	dur_fx_write(x, fd, "AAAAAAAA", 8, 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, true), 0);
	dur_fx_write(x, fd, "BB", 2, 2);
	dur_fx_write(x, fd, "CCCC", 4, 6);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "AAAAAAAA", 8);
	close(fd);
}

static void test_fsync_of_one_file_leaves_another_volatile(void **state)
{
	struct dur_fx *x = *state;
	int a, b;

	dur_fx_put(x, "a", "a0", 2);
	dur_fx_put(x, "b", "b0", 2);
	a = dur_fx_open(x, "a", O_RDWR);
	b = dur_fx_open(x, "b", O_RDWR);
	dur_fx_write(x, a, "a1", 2, 0);
	dur_fx_write(x, b, "b1", 2, 0);
	assert_int_equal(ffs_dur_fsync(x->d, a, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "a", "a1", 2);
	dur_fx_assert_content(x, "b", "b0", 2);
	close(a);
	close(b);
}

static void test_syncfs_makes_every_file_durable(void **state)
{
	struct dur_fx *x = *state;
	int a = dur_fx_open(x, "a", O_RDWR | O_CREAT), b = dur_fx_open(x, "b", O_RDWR | O_CREAT);

	dur_fx_write(x, a, "a1", 2, 0);
	dur_fx_write(x, b, "b1", 2, 0);
	assert_int_equal(ffs_dur_syncfs(x->d), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "a", "a1", 2);
	dur_fx_assert_content(x, "b", "b1", 2);
	close(a);
	close(b);
}

static void test_truncate_shrink_then_powercut_restores_the_tail(void **state)
{
	struct dur_fx *x = *state;
	char old[10000];
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 3);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 10), 0);
	dur_fx_write(x, fd, "xyz", 3, 8);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 0), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", old, sizeof(old));
	close(fd);
}

static void test_truncate_through_an_o_path_fd_is_tracked(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_PATH);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 3), 0);
	dur_fx_assert_content(x, "f", "012", 3);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0123456789", 10);
	close(fd);
}

static void test_truncate_extend_then_powercut_restores_the_size(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "abc", 3);
	fd = dur_fx_open(x, "f", O_RDWR);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 1 << 20), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "abc", 3);
	close(fd);
}

static void test_fallocate_punch_zero_collapse_and_extend_are_undone(void **state)
{
	struct dur_fx *x = *state;
	static char old[64 * 1024];
	struct stat st;
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 4);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	assert_int_equal(ffs_dur_fallocate(x->d, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   4096, 8192), 0);
	assert_int_equal(ffs_dur_fallocate(x->d, fd, FALLOC_FL_ZERO_RANGE, 20000, 100), 0);
	assert_int_equal(ffs_dur_fallocate(x->d, fd, 0, 0, 1 << 20), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	/* ext4 collapses whole blocks only; other filesystems may refuse. */
	int r = ffs_dur_fallocate(x->d, fd, FALLOC_FL_COLLAPSE_RANGE, 32768, 8192);

	assert_true(r == 0 || r == -EOPNOTSUPP || r == -EINVAL);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", old, sizeof(old));
	close(fd);
}

static void test_write_through_o_append_fd_lands_at_the_given_offset(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_WRONLY | O_APPEND);
	dur_fx_write(x, fd, "ab", 2, 2);
	dur_fx_assert_content(x, "f", "01ab456789", 10);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0123456789", 10);
	close(fd);
}

static void test_write_through_write_only_fd_is_undone(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_WRONLY);
	dur_fx_write(x, fd, "zz", 2, 4);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0123456789", 10);
	close(fd);
}

static void test_undo_files_are_emptied_by_fsync_and_powercut(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_dur_totals t;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "ab", 2, 0);
	assert_int_equal(ffs_dur_status(x->d, NULL, NULL, &t), 0);
	assert_int_equal(t.undo_disk_bytes, 2);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	assert_int_equal(ffs_dur_status(x->d, NULL, NULL, &t), 0);
	assert_int_equal(t.undo_disk_bytes, 0);
	dur_fx_write(x, fd, "cd", 2, 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(dur_fx_count(x, "undo"), 0);
	dur_fx_assert_content(x, "f", "ab23456789", 10);
	close(fd);
}

/*
 * The newest pre-images stay in memory (DUR_UNDO_MEM per file) until they
 * would overflow it, then go to the undo file: a power cut restores from
 * both alike, and a write + fsync writes no undo file at all.
 */
static void test_preimages_in_memory_and_on_disk_restore_alike(void **state)
{
	struct dur_fx *x = *state;
	static char old[256 * 1024], buf[32 * 1024];
	struct ffs_dur_totals t;
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_pattern(buf, 4096, 0, 2);
	dur_fx_write(x, fd, buf, 4096, 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	assert_int_equal(dur_fx_count(x, "undo"), 0);
	memcpy(old, buf, 4096);
	/* 80 KiB of small pre-images: more than memory holds. */
	for (int i = 0; i < 20; i++) {
		dur_fx_pattern(buf, 4096, (uint64_t)i * 8192, 3 + i);
		dur_fx_write(x, fd, buf, 4096, (off_t)i * 8192 + 100);
	}
	assert_int_equal(dur_fx_count(x, "undo"), 1);
	/* A large one goes to the file, after what memory held; then small ones again. */
	dur_fx_pattern(buf, sizeof(buf), 0, 30);
	dur_fx_write(x, fd, buf, sizeof(buf), 150000);
	dur_fx_write(x, fd, buf, 1000, 50);
	dur_fx_write(x, fd, buf, 3000, 200000);
	assert_int_equal(ffs_dur_status(x->d, NULL, NULL, &t), 0);
	assert_int_equal(t.undo_disk_bytes, 20 * 4096 + sizeof(buf) + 1000 + 3000);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", old, sizeof(old));
	close(fd);
}

/* xorshift for the model test */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random writes, truncates, punches and fsyncs against a model of the
 * durable content: after the power cut the file equals the model exactly.
 */
static void test_random_history_restores_exactly_the_last_fsynced_content(void **state)
{
	struct dur_fx *x = *state;
	enum { MAX = 256 * 1024 };
	char *cur = calloc(1, MAX), *dur = calloc(1, MAX), *buf = malloc(MAX);
	char name[32];

	assert_non_null(cur);
	assert_non_null(dur);
	assert_non_null(buf);
	for (unsigned int round = 0; round < 40; round++) {
		uint64_t s = 0x1234567 + round * 7919;
		size_t cur_size = rnd(&s) % 50000, dur_size;
		int fd;

		snprintf(name, sizeof(name), "f%u", round);
		dur_fx_pattern(cur, cur_size, 0, round);
		dur_fx_put(x, name, cur, cur_size);
		memcpy(dur, cur, cur_size);
		dur_size = cur_size;
		fd = dur_fx_open(x, name, O_RDWR);
		for (unsigned int op = 0; op < 60; op++) {
			unsigned int what = rnd(&s) % 10;

			if (what < 6) {
				size_t off = rnd(&s) % 120000, len = 1 + rnd(&s) % 20000;

				dur_fx_pattern(buf, len, off, round * 100 + op + 7);
				dur_fx_write(x, fd, buf, len, off);
				if (off > cur_size)
					memset(cur + cur_size, 0, off - cur_size);
				memcpy(cur + off, buf, len);
				if (off + len > cur_size)
					cur_size = off + len;
			} else if (what < 8) {
				size_t size = rnd(&s) % 140000;

				assert_int_equal(ffs_dur_truncate(x->d, fd, size), 0);
				if (size > cur_size)
					memset(cur + cur_size, 0, size - cur_size);
				cur_size = size;
			} else if (what < 9 && cur_size > 8192) {
				size_t off = rnd(&s) % (cur_size - 4096), len = 1 + rnd(&s) % 4096;

				assert_int_equal(ffs_dur_fallocate(x->d, fd, FALLOC_FL_PUNCH_HOLE |
								   FALLOC_FL_KEEP_SIZE, off, len), 0);
				memset(cur + off, 0, len);
			} else if (what == 9) {
				assert_int_equal(ffs_dur_fsync(x->d, fd, rnd(&s) & 1), 0);
				memcpy(dur, cur, cur_size);
				dur_size = cur_size;
			}
		}
		dur_fx_assert_content(x, name, cur, cur_size);
		dur_fx_powercut(x, 0, 0, 0);
		dur_fx_assert_content(x, name, dur, dur_size);
		close(fd);
	}
	free(cur);
	free(dur);
	free(buf);
}

struct worker {
	struct dur_fx *x;
	int own, shared, id;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char buf[4096];

	for (int i = 0; i < 300; i++) {
		off_t off = (off_t)((i * 7919 + w->id * 131) % 64) * 4096;

		memset(buf, 'a' + w->id, sizeof(buf));
		if (ffs_dur_write(w->x->d, w->own, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			return (void *)1;
		/* The shared file: each worker owns every fourth block. */
		off = (off_t)((i % 16) * 4 + w->id) * 4096;
		if (ffs_dur_write(w->x->d, w->shared, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent_writers_are_all_undone(void **state)
{
	struct dur_fx *x = *state;
	static char old[64 * 4096];
	struct worker w[4];
	pthread_t t[4];
	char name[16];

	dur_fx_pattern(old, sizeof(old), 0, 5);
	dur_fx_put(x, "shared", old, sizeof(old));
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "own%d", i);
		dur_fx_put(x, name, old, sizeof(old));
		w[i] = (struct worker){ .x = x, .id = i, .own = dur_fx_open(x, name, O_RDWR),
					.shared = dur_fx_open(x, "shared", O_RDWR) };
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "shared", old, sizeof(old));
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "own%d", i);
		dur_fx_assert_content(x, name, old, sizeof(old));
		close(w[i].own);
		close(w[i].shared);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, dur_fx_setup, dur_fx_teardown)
		T(test_fsynced_write_survives_powercut),
		T(test_unsynced_append_is_gone_and_size_restored),
		T(test_overwrite_then_powercut_restores_old_bytes),
		T(test_overwrite_straddling_eof_restores_old_bytes_and_size),
		T(test_only_writes_after_last_fsync_are_undone),
		T(test_fsync_of_one_file_leaves_another_volatile),
		T(test_syncfs_makes_every_file_durable),
		T(test_truncate_shrink_then_powercut_restores_the_tail),
		T(test_truncate_through_an_o_path_fd_is_tracked),
		T(test_truncate_extend_then_powercut_restores_the_size),
		T(test_fallocate_punch_zero_collapse_and_extend_are_undone),
		T(test_write_through_o_append_fd_lands_at_the_given_offset),
		T(test_write_through_write_only_fd_is_undone),
		T(test_undo_files_are_emptied_by_fsync_and_powercut),
		T(test_preimages_in_memory_and_on_disk_restore_alike),
		T(test_random_history_restores_exactly_the_last_fsynced_content),
		T(test_concurrent_writers_are_all_undone),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
