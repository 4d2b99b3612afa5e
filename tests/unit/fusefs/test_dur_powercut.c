// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power cut options and lost writes: keep=P% persists exactly a seeded,
 * deterministic subset of the volatile writes; torn=SECTOR tears at sector
 * boundaries; writes marked lost (lying disk, fsyncgate) revert even after
 * a later successful fsync, without touching what did reach the disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "dur_fixture.h"

enum { BLK = 4096, NBLK = 64 };

/* 64 blocks durable with gen 1, each overwritten by gen 2 in a scrambled order. */
static void overwrite_blocks(struct dur_fx *x, const char *name)
{
	static char buf[BLK * NBLK];
	int fd;

	dur_fx_pattern(buf, sizeof(buf), 0, 1);
	dur_fx_put(x, name, buf, sizeof(buf));
	dur_fx_pattern(buf, sizeof(buf), 0, 2);
	fd = dur_fx_open(x, name, O_RDWR);
	for (int i = 0; i < NBLK; i++) {
		int b = (i * 37) % NBLK;

		dur_fx_write(x, fd, buf + b * BLK, BLK, (off_t)b * BLK);
	}
	close(fd);
}

/* Bit i set: block i is entirely new; fails if any block is mixed. */
static uint64_t which_blocks_new(struct dur_fx *x, const char *name)
{
	static char old[BLK * NBLK], new[BLK * NBLK];
	uint64_t mask = 0;
	size_t n = 0;
	char *got = dur_fx_read(x, name, &n);

	assert_non_null(got);
	assert_int_equal(n, sizeof(old));
	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_pattern(new, sizeof(new), 0, 2);
	for (int i = 0; i < NBLK; i++) {
		if (!memcmp(got + i * BLK, new + i * BLK, BLK))
			mask |= 1ULL << i;
		else
			assert_memory_equal(got + i * BLK, old + i * BLK, BLK);
	}
	free(got);
	return mask;
}

static void reopen_engine(struct dur_fx *x)
{
	ffs_dur_close(x->d);
	assert_int_equal(ffs_dur_open(x->root, x->mode, &x->d), 0);
}

static void test_keep_zero_undoes_all_and_keep_full_keeps_all(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;

	overwrite_blocks(x, "f");
	r = dur_fx_powercut(x, 0, 1, 0);
	assert_int_equal(which_blocks_new(x, "f"), 0);
	assert_int_equal(r.writes_undone, NBLK);
	overwrite_blocks(x, "f");
	r = dur_fx_powercut(x, 1000000, 1, 0);
	assert_int_equal(which_blocks_new(x, "f"), UINT64_MAX);
	assert_int_equal(r.writes_kept, NBLK);
	assert_int_equal(r.writes_undone, 0);
}

static void test_keep_half_keeps_exactly_the_chosen_writes_deterministically(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;
	uint64_t first, again, other;

	overwrite_blocks(x, "f");
	r = dur_fx_powercut(x, 500000, 42, 0);
	first = which_blocks_new(x, "f");
	assert_int_equal(__builtin_popcountll(first), r.writes_kept);
	assert_int_equal(r.writes_kept + r.writes_undone, NBLK);
	assert_true(r.writes_kept > 8 && r.writes_kept < NBLK - 8);

	/* The same history and seed on a fresh engine: the same crash state. */
	reopen_engine(x);
	overwrite_blocks(x, "f");
	dur_fx_powercut(x, 500000, 42, 0);
	again = which_blocks_new(x, "f");
	assert_int_equal(again, first);

	reopen_engine(x);
	overwrite_blocks(x, "f");
	dur_fx_powercut(x, 500000, 43, 0);
	other = which_blocks_new(x, "f");
	assert_true(other != first);
}

static void test_keep_on_layered_writes_shows_only_states_that_happened(void **state)
{
	struct dur_fx *x = *state;
	char old[BLK], a[BLK], b[BLK];

	dur_fx_pattern(old, BLK, 0, 1);
	dur_fx_pattern(a, BLK, 0, 2);
	dur_fx_pattern(b, BLK, 0, 3);
	for (uint64_t seed = 0; seed < 32; seed++) {
		struct ffs_powercut_report r;
		size_t n;
		char *got;
		int fd;

		dur_fx_put(x, "f", old, BLK);
		fd = dur_fx_open(x, "f", O_RDWR);
		dur_fx_write(x, fd, a, BLK, 0);
		dur_fx_write(x, fd, b, BLK, 0);
		close(fd);
		r = dur_fx_powercut(x, 500000, seed, 0);
		got = dur_fx_read(x, "f", &n);
		assert_int_equal(n, BLK);
		/* Whole versions only, and b wins whenever it was kept. */
		assert_true(!memcmp(got, old, BLK) || !memcmp(got, a, BLK) || !memcmp(got, b, BLK));
		if (r.writes_kept == 0)
			assert_memory_equal(got, old, BLK);
		if (r.writes_kept == 2)
			assert_memory_equal(got, b, BLK);
		free(got);
	}
}

static void test_keep_on_appends_grows_the_file_to_the_last_kept_write(void **state)
{
	struct dur_fx *x = *state;
	char buf[BLK], zero[BLK] = { 0 };
	struct ffs_powercut_report r;
	size_t n = 0;
	char *got;
	int fd = dur_fx_open(x, "f", O_RDWR | O_CREAT), last = -1;

	for (int i = 0; i < 16; i++) {
		dur_fx_pattern(buf, BLK, (uint64_t)i * BLK, 9);
		dur_fx_write(x, fd, buf, BLK, (off_t)i * BLK);
	}
	r = dur_fx_powercut(x, 500000, 7, 0);
	got = dur_fx_read(x, "f", &n);
	assert_int_equal(n % BLK, 0);
	for (int i = 0; i < (int)(n / BLK); i++) {
		dur_fx_pattern(buf, BLK, (uint64_t)i * BLK, 9);
		if (!memcmp(got + i * BLK, buf, BLK))
			last = i;
		else
			assert_memory_equal(got + i * BLK, zero, BLK);
	}
	assert_int_equal(n, (size_t)(last + 1) * BLK);
	assert_true(r.writes_kept > 0);
	free(got);
	close(fd);
}

static void check_torn(struct dur_fx *x, int64_t woff, int64_t wlen, uint32_t sector,
		       uint64_t seed, int *ret_kept, int *ret_dropped)
{
	static char old[256 * 1024], new[256 * 1024];
	size_t n = 0;
	char *got;
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_pattern(new, sizeof(new), 0, 2);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, new + woff, wlen, woff);
	close(fd);
	dur_fx_powercut(x, 0, seed, sector);
	got = dur_fx_read(x, "f", &n);
	assert_int_equal(n, sizeof(old));
	assert_memory_equal(got, old, woff);
	assert_memory_equal(got + woff + wlen, old + woff + wlen, sizeof(old) - woff - wlen);
	for (int64_t a = woff; a < woff + wlen;) {
		int64_t b = (a / sector + 1) * sector;

		b = b > woff + wlen ? woff + wlen : b;
		if (!memcmp(got + a, new + a, b - a)) {
			(*ret_kept)++;
		} else {
			assert_memory_equal(got + a, old + a, b - a);
			(*ret_dropped)++;
		}
		a = b;
	}
	free(got);
}

static void test_torn_write_persists_whole_sectors_only(void **state)
{
	struct dur_fx *x = *state;
	int kept = 0, dropped = 0;

	for (uint64_t seed = 1; seed <= 4; seed++) {
		check_torn(x, 1000, 100000, 4096, seed, &kept, &dropped);
		check_torn(x, 512, 8192, 512, seed, &kept, &dropped);
	}
	assert_true(kept > 0);
	assert_true(dropped > 0);
}

static void test_torn_applies_to_the_newest_write_only(void **state)
{
	struct dur_fx *x = *state;
	char old[BLK * 4], new[BLK * 4];
	size_t n = 0;
	char *got;
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_pattern(new, sizeof(new), 0, 2);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, new, BLK * 2, 0);          /* older: all undone */
	dur_fx_write(x, fd, new + BLK * 2, BLK * 2, BLK * 2);
	close(fd);
	dur_fx_powercut(x, 0, 5, 512);
	got = dur_fx_read(x, "f", &n);
	assert_int_equal(n, sizeof(old));
	assert_memory_equal(got, old, BLK * 2);
	free(got);
}

static void test_lost_write_reverts_even_after_a_later_fsync(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "AB", 2, 0);
	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 0, 2), 0);
	dur_fx_assert_content(x, "f", "AB23456789", 10);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0123456789", 10);
	close(fd);
}

static void test_lost_tail_of_a_torn_write_reverts_and_its_head_persists(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "abcdef", 6, 2);
	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 5, 3), 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "01abc56789", 10);

	/* An append whose tail is lost: the file ends where the head did. */
	dur_fx_write(x, fd, "ABCDEFGH", 8, 10);
	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 14, 4), 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "01abc56789ABCD", 14);
	close(fd);
}

static void test_lost_write_does_not_revert_newer_durable_bytes(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "AB", 2, 0);
	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 0, 2), 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_write(x, fd, "X", 1, 1);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_write(x, fd, "volatile", 8, 2);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0X23456789", 10);

	/* A durable truncate after a lost write: its size stays. */
	dur_fx_write(x, fd, "QQ", 2, 0);
	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 0, 2), 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 1), 0);
	assert_int_equal(ffs_dur_truncate(x->d, fd, 5), 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "0\0\0\0\0", 5);
	close(fd);
}

static void test_fsyncgate_drops_dirty_data_and_a_later_fsync_succeeds(void **state)
{
	struct dur_fx *x = *state;
	int fd;

	dur_fx_put(x, "f", "0123", 4);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "ABCD", 4, 0);
	dur_fx_write(x, fd, "EF", 2, 4);
	assert_int_equal(ffs_dur_fsyncgate(x->d, fd), 0);
	/* The application retries fsync, which succeeds, and writes on. */
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_write(x, fd, "x", 1, 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	dur_fx_assert_content(x, "f", "xBCDEF", 6);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "x123", 4);
	close(fd);
}

struct seen {
	int files;
	struct ffs_dur_file_status st;
	char path[256];
};

static int on_file(void *ctx, const struct ffs_dur_file_status *st)
{
	struct seen *s = ctx;

	s->files++;
	s->st = *st;
	snprintf(s->path, sizeof(s->path), "%s", st->path ? st->path : "(null)");
	return 0;
}

static void test_status_reports_union_of_volatile_bytes_lost_bytes_and_sizes(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_dur_totals t;
	struct seen s = { 0 };
	int fd, nfd = -1;

	dur_fx_put(x, "f", "0123456789", 10);
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, "aaaa", 4, 0);
	dur_fx_write(x, fd, "bbbb", 4, 2);
	dur_fx_write(x, fd, "cc", 2, 12);
	assert_int_equal(ffs_dur_status(x->d, on_file, &s, &t), 0);
	assert_int_equal(s.files, 1);
	assert_string_equal(s.path, "/f");
	assert_int_equal(s.st.volatile_bytes, 8);
	assert_int_equal(s.st.volatile_writes, 3);
	assert_int_equal(s.st.lost_bytes, 0);
	assert_int_equal(s.st.durable_size, 10);
	assert_int_equal(s.st.size, 14);
	assert_int_equal(t.undo_disk_bytes, 8);
	assert_int_equal(t.volatile_names, 0);
	assert_true(t.memory_bytes >= 3 * 64);

	assert_int_equal(ffs_dur_mark_lost(x->d, fd, 2, 4), 0);
	assert_int_equal(ffs_dur_create(x->d, x->dir, "n", O_RDWR | O_CREAT, 0644, &nfd), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ffs_dur_status(x->d, on_file, &s, &t), 0);
	assert_int_equal(s.st.volatile_writes, 2);
	assert_int_equal(s.st.volatile_bytes, 6);
	assert_int_equal(s.st.lost_bytes, 4);
	assert_int_equal(t.volatile_names, 1);
	assert_int_equal(t.files, 1);

	/* After fsync only the lost write remains. */
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ffs_dur_status(x->d, on_file, &s, &t), 0);
	assert_int_equal(s.st.volatile_bytes, 0);
	assert_int_equal(s.st.lost_bytes, 4);
	assert_int_equal(s.st.durable_size, 14);

	/* An unlinked (parked) file has no path. */
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ffs_dur_status(x->d, on_file, &s, &t), 0);
	assert_string_equal(s.path, "(null)");
	close(fd);
	close(nfd);
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Print (not assert) what a power cut costs: appended and overwritten data. */
static void timing(struct dur_fx *x, size_t append_mib, size_t overwrite_mib)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	struct ffs_powercut_report r;
	struct timespec t0, t1;
	int fd;

	assert_non_null(buf);
	memset(buf, 'a', CHUNK);
	fd = dur_fx_open(x, "append", O_RDWR | O_CREAT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < append_mib; i++)
		dur_fx_write(x, fd, buf, CHUNK, (off_t)i * CHUNK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r = dur_fx_powercut(x, 0, 0, 0);
	print_message("timing: %zu MiB appended unsynced (write %.3f s): powercut %.3f s\n",
		      append_mib, secs(&t0, &t1), (double)r.duration_ns / 1e9);
	assert_int_equal(r.writes_undone, append_mib);
	close(fd);

	fd = dur_fx_open(x, "over", O_RDWR | O_CREAT);
	for (size_t i = 0; i < overwrite_mib; i++)
		assert_int_equal(pwrite(fd, buf, CHUNK, (off_t)i * CHUNK), CHUNK);
	assert_int_equal(fsync(fd), 0);
	memset(buf, 'b', CHUNK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < overwrite_mib; i++)
		dur_fx_write(x, fd, buf, CHUNK, (off_t)i * CHUNK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r = dur_fx_powercut(x, 0, 0, 0);
	print_message("timing: %zu MiB overwritten unsynced (write %.3f s): powercut %.3f s\n",
		      overwrite_mib, secs(&t0, &t1), (double)r.duration_ns / 1e9);
	assert_int_equal(pread(fd, buf, 1, (off_t)(overwrite_mib - 1) * CHUNK), 1);
	assert_int_equal(buf[0], 'a');
	close(fd);
	free(buf);
}

static void test_powercut_timing_small(void **state)
{
	timing(*state, 64, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, dur_fx_setup, dur_fx_teardown)
		T(test_keep_zero_undoes_all_and_keep_full_keeps_all),
		T(test_keep_half_keeps_exactly_the_chosen_writes_deterministically),
		T(test_keep_on_layered_writes_shows_only_states_that_happened),
		T(test_keep_on_appends_grows_the_file_to_the_last_kept_write),
		T(test_torn_write_persists_whole_sectors_only),
		T(test_torn_applies_to_the_newest_write_only),
		T(test_lost_write_reverts_even_after_a_later_fsync),
		T(test_lost_tail_of_a_torn_write_reverts_and_its_head_persists),
		T(test_lost_write_does_not_revert_newer_durable_bytes),
		T(test_fsyncgate_drops_dirty_data_and_a_later_fsync_succeeds),
		T(test_status_reports_union_of_volatile_bytes_lost_bytes_and_sizes),
		T(test_powercut_timing_small),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
