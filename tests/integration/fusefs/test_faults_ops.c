// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every fault action through a real faultfs mount (root), armed with
 * `faultline fs fault MNT RULE` as a user would: error, delay (holding only
 * the request concerned), corruption of what a read returns and of what is
 * persisted, a dropped and a torn write (visible until a power cut, then
 * gone), fsyncgate, a power cut at the third fsync of *.wal, and close(2)
 * failed by a flush rule (for the files opened after it was armed).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

/* build/faultline fs SUB MNT [ARG]; returns its exit status. */
static int fl(struct fl_faultfs_mount *m, const char *sub, const char *arg)
{
	return fl_faultline_fs(NULL, 0, sub, m->mnt, arg, NULL);
}

/* Mount and wait for the control socket; false (after printing why) to skip. */
static bool start(struct fl_faultfs_mount *m)
{
	char bin[PATH_MAX];

	if (!fl_faultfs_require() || !fl_test_binary("faultline", bin, sizeof(bin)))
		return false;
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	for (int i = 0; i < 200; i++) {
		if (fl(m, "status", NULL) == 0)
			return true;
		usleep(10000);
	}
	fail_msg("the control socket of %s never answered", m->mnt);
	return false;
}

static void put(const char *path, const char *data, size_t len, bool sync)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (sync)
		assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
	if (sync) {
		/* The name too: in strict mode it is volatile until its directory is fsynced. */
		char dir[PATH_MAX];
		int dfd;

		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		assert_true(dfd >= 0);
		assert_int_equal(fsync(dfd), 0);
		close(dfd);
	}
}

static size_t get(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_error_rule_fails_the_write_and_changes_nothing(void **state)
{
	struct fl_faultfs_mount *m = *state;
	int fd;

	if (!start(m))
		skip();
	assert_int_equal(fl(m, "fault", "write:error=EIO:path=*.dat"), 0);
	fd = open(fl_test_path(m->mnt, "a.dat"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), -1);
	assert_int_equal(errno, EIO);
	close(fd);
	/* Another name is not concerned. */
	put(fl_test_path(m->mnt, "b.txt"), "abc", 3, false);
	struct stat st;

	assert_int_equal(stat(fl_test_path(m->backing, "a.dat"), &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(fl_test_path(m->backing, "b.txt"), &st), 0);
	assert_int_equal(st.st_size, 3);
}

/*
 * Files opened while no flush rule is armed tell the kernel to skip close's
 * FLUSH round trip (ops_file.c): a flush rule fails the close of the files
 * opened after it, not of those open already, and once it is cleared new
 * files close quietly again.
 */
static void test_flush_rule_fails_close_of_files_opened_after_it(void **state)
{
	struct fl_faultfs_mount *m = *state;
	int before, after, later;

	if (!start(m))
		skip();
	before = open(fl_test_path(m->mnt, "before.dat"), O_WRONLY | O_CREAT, 0644);
	assert_true(before >= 0);
	assert_int_equal(fl(m, "fault", "flush:error=EIO:path=*.dat"), 0);
	after = open(fl_test_path(m->mnt, "after.dat"), O_WRONLY | O_CREAT, 0644);
	assert_true(after >= 0);
	assert_int_equal(write(after, "abc", 3), 3);
	assert_int_equal(close(after), -1);
	assert_int_equal(errno, EIO);
	/* Open before the rule: its close never reaches faultfs. */
	assert_int_equal(close(before), 0);
	/* The rule's path decides among the files that do ask. */
	put(fl_test_path(m->mnt, "other.txt"), "abc", 3, false);

	assert_int_equal(fl(m, "clear", NULL), 0);
	later = open(fl_test_path(m->mnt, "later.dat"), O_WRONLY | O_CREAT, 0644);
	assert_true(later >= 0);
	assert_int_equal(close(later), 0);
}

struct slow_writer {
	const char *path;
	uint64_t ns;
	uint64_t end;   /* now_ns() when its write returned */
};

static void *write_slow(void *arg)
{
	struct slow_writer *w = arg;
	int fd = open(w->path, O_WRONLY | O_CREAT, 0644);
	uint64_t t0 = now_ns();

	if (fd >= 0 && write(fd, "s", 1) == 1) {
		w->end = now_ns();
		w->ns = w->end - t0;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_delay_holds_only_the_request_concerned(void **state)
{
	struct fl_faultfs_mount *m = *state;
	struct slow_writer w = { 0 };
	pthread_t t;
	uint64_t t0, fast, fast_end;
	int fd;

	if (!start(m))
		skip();
	w.path = fl_test_path(m->mnt, "slow");
	fd = open(fl_test_path(m->mnt, "fast"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fl(m, "fault", "write:delay=50ms:path=slow"), 0);
	assert_int_equal(pthread_create(&t, NULL, write_slow, &w), 0);
	usleep(10000); /* the slow write is asleep in faultfs now */
	t0 = now_ns();
	assert_int_equal(write(fd, "f", 1), 1);
	fast_end = now_ns();
	fast = fast_end - t0;
	pthread_join(t, NULL);
	close(fd);
	print_message("delayed write %.1f ms, other write meanwhile %.3f ms\n",
		      (double)w.ns / 1e6, (double)fast / 1e6);
	assert_true(w.ns >= 50000000ull);
	/* Not held behind it: done before the delayed write (no bound on a slow VM's time). */
	assert_true(fast_end < w.end);
}

static void test_corrupt_on_read_changes_what_is_read_not_the_disk(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char data[4096], back[4096];
	int diff = 0;

	if (!start(m))
		skip();
	memset(data, 'r', sizeof(data));
	/* Written in the backing tree: the kernel has no cached copy to answer from. */
	put(fl_test_path(m->backing, "c.dat"), data, sizeof(data), false);
	assert_int_equal(fl(m, "fault", "read:corrupt=bitflip:read:bytes=8:path=c.dat:count=1"), 0);
	assert_int_equal(get(fl_test_path(m->mnt, "c.dat"), back, sizeof(back)), sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		diff += back[i] != data[i];
	assert_int_equal(diff, 8);
	/* The disk is intact (the kernel may cache the damage, as with a real bad read). */
	assert_int_equal(get(fl_test_path(m->backing, "c.dat"), back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
}

static void test_corrupt_on_persist_damages_the_disk(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char data[4096], back[4096];
	int diff = 0;

	if (!start(m))
		skip();
	memset(data, 'p', sizeof(data));
	assert_int_equal(fl(m, "fault", "write:corrupt=zero:bytes=4:path=p.dat"), 0);
	put(fl_test_path(m->mnt, "p.dat"), data, sizeof(data), true);
	assert_int_equal(get(fl_test_path(m->backing, "p.dat"), back, sizeof(back)), sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		diff += back[i] != data[i];
	assert_int_equal(diff, 4);
	/* Reading through the mount shows the disk, not the application's copy. */
	assert_int_equal(get(fl_test_path(m->mnt, "p.dat"), back, sizeof(back)), sizeof(back));
	diff = 0;
	for (size_t i = 0; i < sizeof(back); i++)
		diff += back[i] != data[i];
	assert_int_equal(diff, 4);
}

/* Overwrite 4 KiB of fsynced 'o' with 'n', fsync, power cut; returns the 'n' prefix length. */
static size_t overwrite_then_cut(struct fl_faultfs_mount *m, const char *name, const char *rule)
{
	char old[4096], new[4096], back[4096];
	size_t kept = 0;
	int fd;

	memset(old, 'o', sizeof(old));
	memset(new, 'n', sizeof(new));
	put(fl_test_path(m->mnt, "%s", name), old, sizeof(old), true);
	assert_int_equal(fl(m, "fault", rule), 0);
	fd = open(fl_test_path(m->mnt, "%s", name), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, new, sizeof(new), 0), (ssize_t)sizeof(new));
	assert_int_equal(fsync(fd), 0);
	close(fd);
	/* Acknowledged and visible until the power cut. */
	assert_int_equal(get(fl_test_path(m->mnt, "%s", name), back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, new, sizeof(new));
	assert_int_equal(fl(m, "powercut", NULL), 0);
	assert_int_equal(get(fl_test_path(m->mnt, "%s", name), back, sizeof(back)), sizeof(back));
	while (kept < sizeof(back) && back[kept] == 'n')
		kept++;
	for (size_t i = kept; i < sizeof(back); i++)
		assert_int_equal(back[i], 'o');
	return kept;
}

static void test_dropped_write_is_visible_until_a_power_cut(void **state)
{
	struct fl_faultfs_mount *m = *state;

	if (!start(m))
		skip();
	assert_int_equal(overwrite_then_cut(m, "d.dat", "write:drop:path=d.dat:count=1"), 0);
}

static void test_torn_write_keeps_whole_sectors_after_a_power_cut(void **state)
{
	struct fl_faultfs_mount *m = *state;
	size_t kept;

	if (!start(m))
		skip();
	kept = overwrite_then_cut(m, "t.dat", "write:torn=512:path=t.dat:count=1:seed=1");
	print_message("torn write kept %zu of 4096 bytes\n", kept);
	assert_int_equal(kept % 512, 0);
	assert_true(kept > 0 && kept < 4096); /* seed=1 tears inside the write */
}

static void test_fsyncgate_fails_once_and_loses_the_data(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char back[16] = { 0 };
	int fd;

	if (!start(m))
		skip();
	put(fl_test_path(m->mnt, "g.dat"), "durable!", 8, true);
	assert_int_equal(fl(m, "fault", "fsync:fsyncgate:path=g.dat:count=1"), 0);
	fd = open(fl_test_path(m->mnt, "g.dat"), O_WRONLY);
	assert_int_equal(pwrite(fd, "VOLATILE", 8, 0), 8);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	/* Like ext4: the next fsync reports success, the data is gone all the same. */
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_int_equal(fl(m, "powercut", NULL), 0);
	assert_int_equal(get(fl_test_path(m->mnt, "g.dat"), back, sizeof(back)), 8);
	assert_string_equal(back, "durable!");
}

static void test_powercut_before_the_third_fsync_of_a_wal(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char back[64] = { 0 };
	struct stat st;
	int fd;

	if (!start(m))
		skip();
	assert_int_equal(fl(m, "fault", "fsync:powercut=before:path=*.wal:when=3"), 0);
	/* fsyncs of other files do not count */
	put(fl_test_path(m->mnt, "other"), "x", 1, true);
	fd = open(fl_test_path(m->mnt, "db.wal"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "rec1;", 5), 5);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(write(fd, "rec2;", 5), 5);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(write(fd, "rec3;", 5), 5);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	/* The machine is off: everything fails until it is resumed. */
	assert_int_equal(write(fd, "rec4;", 5), -1);
	assert_int_equal(errno, EIO);
	close(fd);
	assert_int_equal(fl(m, "resume", NULL), 0);
	/* The name was made durable by no directory fsync: in strict mode it is gone. */
	if (stat(fl_test_path(m->mnt, "db.wal"), &st) == 0) {
		assert_int_equal(get(fl_test_path(m->mnt, "db.wal"), back, sizeof(back)), 10);
		assert_string_equal(back, "rec1;rec2;");
	} else {
		assert_int_equal(errno, ENOENT);
	}
}

static void test_powercut_before_the_third_fsync_keeps_two_records(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char back[64] = { 0 };
	int fd, dfd;

	if (!start(m))
		skip();
	fd = open(fl_test_path(m->mnt, "db.wal"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	/* Make the name durable first. */
	dfd = open(m->mnt, O_RDONLY | O_DIRECTORY);
	assert_int_equal(fsync(dfd), 0);
	close(dfd);
	assert_int_equal(fl(m, "fault", "fsync:powercut=before:path=*.wal:when=3"), 0);
	for (int i = 1; i <= 3; i++) {
		char rec[8];

		snprintf(rec, sizeof(rec), "rec%d;", i);
		assert_int_equal(write(fd, rec, 5), 5);
		assert_int_equal(fsync(fd), i < 3 ? 0 : -1);
	}
	close(fd);
	assert_int_equal(fl(m, "resume", NULL), 0);
	assert_int_equal(get(fl_test_path(m->mnt, "db.wal"), back, sizeof(back)), 10);
	assert_string_equal(back, "rec1;rec2;");
}

/* Was any logged write, create or truncate answered with an error? */
static bool log_has_failed_data_op(struct fl_faultfs_mount *m)
{
	char line[4096];
	bool bad = false;
	FILE *f = fopen(fl_test_path(m->backing, ".faultfs/wlog.jsonl"), "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strstr(line, "\"op\":\"fault\"") && !strstr(line, "\"result\":0")) {
			print_message("failed op in the log: %s", line);
			bad = true;
		}
	fclose(f);
	return bad;
}

/*
 * Reported: with an fsync delay rule armed, `echo hi > MNT/b.dat` failed
 * with ELOOP and the log recorded the write as failed. An armed rule makes
 * every request compute its path; no request it does not fire on may fail.
 */
static void test_armed_delay_rule_leaves_other_ops_working(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char back[16] = { 0 };
	int fd;

	if (!start(m))
		skip();
	put(fl_test_path(m->backing, "old.dat"), "old data", 8, false);
	assert_int_equal(symlink("b.dat", fl_test_path(m->mnt, "ln")), 0);
	assert_int_equal(fl(m, "fault", "fsync:delay=5ms~1ms"), 0);
	for (int i = 0; i < 3; i++) {
		/* What a shell's `>` does: create or truncate, write, close. */
		put(fl_test_path(m->mnt, "b.dat"), "hi\n", 3, false);
		put(fl_test_path(m->mnt, "old.dat"), "hi\n", 3, false);
		put(fl_test_path(m->mnt, "ln"), "hi\n", 3, true);
		fd = open(fl_test_path(m->mnt, "b.dat"), O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "hi\n", 3), 3);
		assert_int_equal(fdatasync(fd), 0);
		close(fd);
	}
	assert_int_equal(get(fl_test_path(m->mnt, "b.dat"), back, sizeof(back)), 6);
	assert_string_equal(back, "hi\nhi\n");
	assert_int_equal(get(fl_test_path(m->mnt, "old.dat"), back, sizeof(back)), 3);
	assert_false(log_has_failed_data_op(m));
}

/* The first byte that differs from c, and the differing byte. */
static size_t damaged_at(const char *path, char c, char *ret_byte)
{
	char back[4096];

	assert_int_equal(get(path, back, sizeof(back)), sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		if (back[i] != c) {
			*ret_byte = back[i];
			return i;
		}
	fail_msg("%s is not damaged", path);
	return 0;
}

static void test_same_seed_damages_the_same_offset_in_the_same_way(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char data[4096], byte[3], rule[128];
	size_t at[3];

	if (!start(m))
		skip();
	memset(data, 's', sizeof(data));
	for (int run = 0; run < 3; run++) {
		/* Runs 0 and 1 share a seed; run 2 has another one. */
		snprintf(rule, sizeof(rule), "write:corrupt=random:path=s%d.dat:seed=%d", run,
			 run < 2 ? 4242 : 77);
		assert_int_equal(fl(m, "fault", rule), 0);
		put(fl_test_path(m->mnt, "s%d.dat", run), data, sizeof(data), true);
		assert_int_equal(fl(m, "clear", NULL), 0);
		at[run] = damaged_at(fl_test_path(m->backing, "s%d.dat", run), 's', &byte[run]);
	}
	print_message("seed 4242: offset %zu, %zu; seed 77: offset %zu\n", at[0], at[1], at[2]);
	assert_int_equal(at[0], at[1]);
	assert_int_equal(byte[0], byte[1]);
	assert_true(at[0] != at[2] || byte[0] != byte[2]);
}

static void test_same_seed_tears_at_the_same_sector(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char rule[128];
	size_t kept[2];

	if (!start(m))
		skip();
	for (int run = 0; run < 2; run++) {
		snprintf(rule, sizeof(rule), "write:torn=512:path=t%d.dat:count=1:seed=9", run);
		kept[run] = overwrite_then_cut(m, run ? "t1.dat" : "t0.dat", rule);
		assert_int_equal(fl(m, "clear", NULL), 0);
	}
	print_message("torn with seed 9: kept %zu and %zu bytes\n", kept[0], kept[1]);
	assert_int_equal(kept[0], kept[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_rule_fails_the_write_and_changes_nothing,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_flush_rule_fails_close_of_files_opened_after_it,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_delay_holds_only_the_request_concerned,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_on_read_changes_what_is_read_not_the_disk,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_on_persist_damages_the_disk,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_dropped_write_is_visible_until_a_power_cut,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_torn_write_keeps_whole_sectors_after_a_power_cut,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_fsyncgate_fails_once_and_loses_the_data,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_powercut_before_the_third_fsync_of_a_wal,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_powercut_before_the_third_fsync_keeps_two_records,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_armed_delay_rule_leaves_other_ops_working,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_same_seed_damages_the_same_offset_in_the_same_way,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_same_seed_tears_at_the_same_sector,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
