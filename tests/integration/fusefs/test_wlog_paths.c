// SPDX-License-Identifier: GPL-2.0-only
/*
 * The write log names each write and fsync by the file's path now, also
 * when faultfs remembers paths between requests (pathcache.c): through a
 * real mount (root), a file kept open while its directory and then itself
 * are renamed, and while a power cut takes the renames back, is logged
 * under its new path every time. The crc32 of a logged write is zlib's
 * (faultfs computes it with PCLMULQDQ where it can).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "helpers/faultfs_mount.h"

static void write_and_sync(int fd, const char *what)
{
	assert_int_equal(pwrite(fd, what, strlen(what), 0), (ssize_t)strlen(what));
	assert_int_equal(fsync(fd), 0);
}

static void sync_dir(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY);

	assert_true(dfd >= 0);
	assert_int_equal(fsync(dfd), 0);
	close(dfd);
}

static void assert_logged(struct fl_faultfs_mount *m, const char *want)
{
	char got[PATH_MAX];

	fl_faultfs_last_log_path(m, "write", got, sizeof(got));
	assert_string_equal(got, want);
	fl_faultfs_last_log_path(m, "fsync", got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_renamed_open_file_is_logged_under_its_new_path(void **state)
{
	struct fl_faultfs_mount *m = *state;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	assert_int_equal(mkdir(fl_test_path(m->mnt, "d"), 0755), 0);
	fd = open(fl_test_path(m->mnt, "d/a"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	sync_dir(m->mnt);  /* d and d/a are durable: only the renames below are not */
	sync_dir(fl_test_path(m->mnt, "d"));
	/* Twice: the second write is answered from what the first remembered. */
	write_and_sync(fd, "one");
	write_and_sync(fd, "two");
	assert_logged(m, "/d/a");

	/* The directory moves: every path under it changes. */
	assert_int_equal(rename(fl_test_path(m->mnt, "d"), fl_test_path(m->mnt, "e")), 0);
	write_and_sync(fd, "three");
	assert_logged(m, "/e/a");

	/* The file itself moves. */
	assert_int_equal(rename(fl_test_path(m->mnt, "e/a"), fl_test_path(m->mnt, "e/b")), 0);
	write_and_sync(fd, "four");
	assert_logged(m, "/e/b");
	close(fd);

	/* Neither rename was made durable: a power cut takes both back. */
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", m->mnt, NULL), 0);
	fd = open(fl_test_path(m->mnt, "d/a"), O_RDWR);
	assert_true(fd >= 0);
	write_and_sync(fd, "five");
	assert_logged(m, "/d/a");

	/* Moved again, durably this time (the root fsynced). */
	assert_int_equal(rename(fl_test_path(m->mnt, "d"), fl_test_path(m->mnt, "f")), 0);
	sync_dir(m->mnt);
	write_and_sync(fd, "six");
	assert_logged(m, "/f/a");
	close(fd);
}

/*
 * A temporary file created, written and removed, then a new file: the
 * kernel forgets the first, and its struct, its fd number and (ext4) its
 * inode number often come back for the second. Its writes must still be
 * logged under its own name (they were logged under the temporary one's,
 * about a third of the time, when the path cache outlived the inode).
 */
static void test_a_new_file_never_inherits_a_forgotten_ones_path(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char want[64], got[PATH_MAX];
	int fd, wrong = 0;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	for (int i = 0; i < 200; i++) {
		fd = open(fl_test_path(m->mnt, "t%d.tmp", i), O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "temp", 4), 4);
		close(fd);
		assert_int_equal(unlink(fl_test_path(m->mnt, "t%d.tmp", i)), 0);
		fd = open(fl_test_path(m->mnt, "data%d", i), O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "data", 4), 4);
		close(fd);
		snprintf(want, sizeof(want), "/data%d", i);
		fl_faultfs_last_log_path(m, "write", got, sizeof(got));
		wrong += strcmp(got, want) != 0;
		assert_int_equal(unlink(fl_test_path(m->mnt, "data%d", i)), 0);
	}
	assert_int_equal(wrong, 0);
}

/*
 * Every write line's (off, len, crc32) against the file's bytes: the
 * kernel may split a call into several requests, each logged. Returns
 * the bytes the lines cover.
 */
static size_t check_logged_crcs(struct fl_faultfs_mount *m, const unsigned char *image,
				size_t size)
{
	char line[8192];
	FILE *f = fopen(fl_test_path(m->backing, ".faultfs/wlog.jsonl"), "r");
	size_t covered = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *kind, *crc;
		json_int_t off, len;

		if (!o)
			continue;
		kind = json_string_value(json_object_get(o, "op"));
		crc = json_string_value(json_object_get(o, "crc32"));
		off = json_integer_value(json_object_get(o, "off"));
		len = json_integer_value(json_object_get(o, "len"));
		if (kind && crc && !strcmp(kind, "write")) {
			assert_true(off >= 0 && len > 0 && (size_t)(off + len) <= size);
			assert_int_equal((uint32_t)strtoul(crc, NULL, 16),
					 (uint32_t)crc32_z(0, image + off, (size_t)len));
			covered += (size_t)len;
		}
		json_decref(o);
	}
	fclose(f);
	return covered;
}

static void test_logged_crc32_is_zlibs(void **state)
{
	static const size_t lens[] = { 1, 15, 64, 100, 4096, 65536 + 7, 1 << 20 };
	struct fl_faultfs_mount *m = *state;
	size_t nl = sizeof(lens) / sizeof(lens[0]), total = 0;
	unsigned char *image;
	uint64_t x = 42;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	for (size_t i = 0; i < nl; i++)
		total += lens[i];
	image = malloc(total);
	assert_non_null(image);
	for (size_t i = 0; i < total; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		image[i] = (unsigned char)(x >> 56);
	}
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	fd = open(fl_test_path(m->mnt, "c"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	/* Lengths around the 16- and 64-byte folds, at offsets that are not aligned. */
	for (size_t i = 0, off = 0; i < nl; off += lens[i], i++)
		assert_int_equal(pwrite(fd, image + off, lens[i], (off_t)off), (ssize_t)lens[i]);
	close(fd);
	assert_int_equal(check_logged_crcs(m, image, total), total);
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_renamed_open_file_is_logged_under_its_new_path,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_a_new_file_never_inherits_a_forgotten_ones_path,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_logged_crc32_is_zlibs,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
