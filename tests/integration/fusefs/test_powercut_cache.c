// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the kernel caches of a faultfs mount after a power cut (root): the
 * names and pages faultfs itself changed behind the kernel's back are
 * invalidated exactly, within the entry and attribute timeout, so nothing
 * undone is still seen through the cache: a name whose create was undone,
 * the pages of an overwrite or an append that were undone, while the
 * pages below the lowest change stay true. And a temporary file created
 * and unlinked before its directory was fsynced leaves nothing to undo.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static void powercut(struct fl_faultfs_mount *c)
{
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, NULL), 0);
}

static void fill(char *buf, size_t len, char c)
{
	memset(buf, c, len);
}

/* Entries of dir, "." and ".." left out. */
static int count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* A name the kernel has cached (timeout 1 s) whose create the cut undid: gone at once. */
static void test_cached_name_of_an_undone_create_is_gone_at_once(void **state)
{
	struct fl_faultfs_mount *c = *state;
	struct stat st;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	fd = open(fl_test_path(c->mnt, "unsynced"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(fl_test_path(c->mnt, "unsynced"), &st), 0);
	assert_int_equal(stat(fl_test_path(c->mnt, "unsynced"), &st), 0);
	powercut(c);
	/* With a 30 s entry timeout only the invalidation can make the kernel ask again. */
	assert_int_equal(stat(fl_test_path(c->mnt, "unsynced"), &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(fl_test_path(c->backing, "unsynced"), F_OK), -1);
}

/*
 * An open, mapped file whose pages are all cached: the cut undoes an
 * overwrite in the middle and an append; the mapping (which never asks
 * for attributes, so only the invalidation can refresh it) and the same
 * fd then read the durable bytes, in the middle and at the end.
 */
static void test_cut_drops_the_pages_it_changed_and_keeps_the_rest_true(void **state)
{
	struct fl_faultfs_mount *c = *state;
	enum { SIZE = 256 << 10, MID = 128 << 10, CHUNK = 4096 };
	char *buf = malloc(SIZE), *want = malloc(SIZE), mid[CHUNK];
	volatile char sum = 0;
	struct stat st;
	char *map;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	assert_non_null(buf);
	assert_non_null(want);
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	fd = open(fl_test_path(c->mnt, "db"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	fill(want, SIZE, 'A');
	assert_int_equal(pwrite(fd, want, SIZE, 0), SIZE);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fl_faultline_fs(NULL, 0, "sync", c->mnt, NULL), 0);
	assert_int_equal(pread(fd, buf, SIZE, 0), SIZE);   /* all cached */
	map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	for (size_t i = 0; i < SIZE; i += CHUNK)
		sum += map[i];
	assert_int_equal(sum, (char)(SIZE / CHUNK * 'A'));

	fill(mid, CHUNK, 'B');
	assert_int_equal(pwrite(fd, mid, CHUNK, MID), CHUNK);
	assert_int_equal(pwrite(fd, mid, CHUNK, SIZE), CHUNK);
	assert_int_equal(pread(fd, buf, CHUNK, MID), CHUNK);
	assert_memory_equal(buf, mid, CHUNK);
	assert_memory_equal(map + MID, mid, CHUNK);
	powercut(c);
	assert_memory_equal(map, want, SIZE);
	munmap(map, SIZE);

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, SIZE);
	assert_int_equal(pread(fd, buf, SIZE, 0), SIZE);
	assert_memory_equal(buf, want, SIZE);
	assert_int_equal(pread(fd, buf, CHUNK, SIZE), 0);
	close(fd);
	free(buf);
	free(want);
}

/*
 * create+write+close+unlink of a temporary file, 200 times, without a
 * directory fsync: nothing of it is parked (the journal and the trash stay
 * empty), and the cut still brings back a durable file that was unlinked.
 */
static void test_temporary_files_leave_nothing_to_undo(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char trash[PATH_MAX];
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	fd = open(fl_test_path(c->backing, "keep"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "K", 1), 1);
	close(fd);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	for (int i = 0; i < 200; i++) {
		fd = open(fl_test_path(c->mnt, "tmp%d", i % 3), O_WRONLY | O_CREAT | O_EXCL, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "t", 1), 1);
		assert_int_equal(close(fd), 0);
		assert_int_equal(unlink(fl_test_path(c->mnt, "tmp%d", i % 3)), 0);
	}
	assert_int_equal(unlink(fl_test_path(c->mnt, "keep")), 0);
	snprintf(trash, sizeof(trash), "%s", fl_test_path(c->backing, ".faultfs/trash"));
	assert_int_equal(count_entries(trash), 1);   /* keep, and only keep */
	powercut(c);
	assert_int_equal(access(fl_test_path(c->mnt, "keep"), F_OK), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(access(fl_test_path(c->mnt, "tmp%d", i), F_OK), -1);
	assert_int_equal(count_entries(trash), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_faultfs_setup, fl_faultfs_teardown)
		T(test_cached_name_of_an_undone_create_is_gone_at_once),
		T(test_cut_drops_the_pages_it_changed_and_keeps_the_rest_true),
		T(test_temporary_files_leave_nothing_to_undo),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
