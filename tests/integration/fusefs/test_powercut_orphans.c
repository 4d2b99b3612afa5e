// SPDX-License-Identifier: GPL-2.0-only
/*
 * Files a power cut leaves without a name (root): their unsynced data is
 * freed after the cut's answer when no open file refers to them (until
 * then they are hidden: requests on them fail with ENOENT), and cut before
 * it when one does (an open fd), so every reader sees the durable state
 * once `faultline fs powercut` returns; a file that keeps a name is cut
 * before the answer as always.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

enum { SIZE = 8 << 20 };

static void powercut(struct fl_faultfs_mount *c)
{
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, NULL), 0);
}

/* A new file of SIZE bytes at name, none of it (nor its name) durable; its fd, or -1 closed. */
static int write_unsynced(struct fl_faultfs_mount *c, const char *name, bool keep_open)
{
	char *buf = malloc(SIZE);
	int fd;

	assert_non_null(buf);
	memset(buf, 'V', SIZE);
	fd = open(fl_test_path(c->mnt, "%s", name), O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, SIZE), SIZE);
	assert_int_equal(pread(fd, buf, SIZE, 0), SIZE);   /* its pages cached */
	free(buf);
	if (keep_open)
		return fd;
	assert_int_equal(close(fd), 0);
	return -1;
}

/* The detail of the last powercut line of the write log, into buf. */
static void last_cut(struct fl_faultfs_mount *c, char *buf, size_t len)
{
	FILE *f = fopen(fl_test_path(c->backing, ".faultfs/wlog.jsonl"), "r");
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(f);
	buf[0] = '\0';
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, "\"op\":\"powercut\""))
			snprintf(buf, len, "%s", line);
	free(line);
	fclose(f);
	assert_true(buf[0] != '\0');
}

/* faultfs's descriptors of deleted files in the backing tree, its own .faultfs left out. */
static int deleted_fds(struct fl_faultfs_mount *c)
{
	char dir[64], link[PATH_MAX + 32], target[PATH_MAX];
	char own[PATH_MAX + 16];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)c->pid);
	snprintf(own, sizeof(own), "%s/.faultfs/", c->backing);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		ssize_t r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		r = readlink(link, target, sizeof(target) - 1);
		if (r <= 0)
			continue;
		target[r] = '\0';
		n += !strncmp(target, c->backing, strlen(c->backing)) &&
		     strncmp(target, own, strlen(own)) && strstr(target, " (deleted)");
	}
	closedir(d);
	return n;
}

/*
 * 8 MiB in a new file nobody holds: the cut undoes the create, answers
 * with the file's blocks still to free (the log says so), and frees them
 * right after (a hang guard, not a timing: the freeing takes milliseconds).
 */
static void test_nameless_file_nobody_holds_is_freed_after_the_answer(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char line[4096];
	struct stat st;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	write_unsynced(c, "big", false);
	assert_int_equal(stat(fl_test_path(c->mnt, "big"), &st), 0);
	powercut(c);
	assert_int_equal(stat(fl_test_path(c->mnt, "big"), &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(fl_test_path(c->backing, "big"), F_OK), -1);
	last_cut(c, line, sizeof(line));
	assert_non_null(strstr(line, "\"freed_after\":1,"));
	assert_non_null(strstr(line, "\"freed_after_bytes\":8388608,"));
	assert_non_null(strstr(line, "\"orphans_cut\":0"));
	for (int i = 0; i < 1000 && deleted_fds(c); i++)
		usleep(10000);
	assert_int_equal(deleted_fds(c), 0);
}

/*
 * The same file still open (its pages cached): the kernel holds it, so it
 * is cut before the answer, and the fd sees the durable file (empty) at once.
 */
static void test_nameless_file_still_open_is_cut_before_the_answer(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char line[4096], b[16];
	struct stat st;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	fd = write_unsynced(c, "held", true);
	powercut(c);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(pread(fd, b, sizeof(b), 0), 0);
	assert_int_equal(pread(fd, b, sizeof(b), SIZE / 2), 0);
	last_cut(c, line, sizeof(line));
	assert_non_null(strstr(line, "\"freed_after\":0,"));
	assert_non_null(strstr(line, "\"orphans_cut\":1"));
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(fl_test_path(c->mnt, "held"), &st), -1);
}

/* Through an O_PATH fd: the file is gone (ENOENT) or empty, never its undone 8 MiB. */
static void assert_never_stale(int opath)
{
	char proc[64], b[16];
	struct stat st;
	int fd;

	if (fstat(opath, &st) == 0)
		assert_int_equal(st.st_size, 0);
	else
		assert_int_equal(errno, ENOENT);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath);
	fd = open(proc, O_RDONLY);
	if (fd < 0) {
		assert_int_equal(errno, ENOENT);
		return;
	}
	assert_int_equal(pread(fd, b, sizeof(b), 0), 0);
	assert_int_equal(pread(fd, b, sizeof(b), SIZE / 2), 0);
	close(fd);
}

/*
 * An O_PATH fd holds the kernel's inode without opening the file (faultfs
 * sees no open): the cut hides the file and answers before freeing it; an
 * fstat or a reopen through that fd, at once and later, finds it gone or
 * at its durable size (empty), never the undone data or its cached size.
 */
static void test_nameless_file_held_by_o_path_is_never_seen_stale(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char line[4096];
	struct stat st;
	int opath;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	write_unsynced(c, "pathheld", false);
	opath = open(fl_test_path(c->mnt, "pathheld"), O_PATH);
	assert_true(opath >= 0);
	assert_int_equal(fstat(opath, &st), 0);   /* its size cached (timeout=30) */
	assert_int_equal(st.st_size, SIZE);
	powercut(c);
	assert_never_stale(opath);
	last_cut(c, line, sizeof(line));
	assert_non_null(strstr(line, "\"freed_after\":1,"));
	usleep(300000);   /* not a timing: both outcomes pass, before or after the freeing */
	assert_never_stale(opath);
	assert_int_equal(stat(fl_test_path(c->mnt, "pathheld"), &st), -1);
	assert_int_equal(errno, ENOENT);
	close(opath);
}

/*
 * A durable file given an unsynced hard link and unsynced data: the cut
 * removes the link, the file keeps its durable name and is cut to its
 * durable size (empty) before the answer, on the mount and on the backing.
 */
static void test_file_that_keeps_a_name_is_cut_before_the_answer(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char line[4096], *buf = calloc(1, SIZE);
	struct stat st;
	int fd, dfd;

	if (!fl_faultfs_require_client())
		skip();
	assert_non_null(buf);
	assert_int_equal(fl_faultfs_start(c, "timeout=30"), 0);
	fd = open(fl_test_path(c->mnt, "a"), O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	dfd = open(c->mnt, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(fsync(dfd), 0);
	assert_int_equal(write(fd, buf, SIZE), SIZE);
	assert_int_equal(close(fd), 0);
	assert_int_equal(link(fl_test_path(c->mnt, "a"), fl_test_path(c->mnt, "b")), 0);
	powercut(c);
	assert_int_equal(stat(fl_test_path(c->mnt, "b"), &st), -1);
	assert_int_equal(stat(fl_test_path(c->mnt, "a"), &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(fl_test_path(c->backing, "a"), &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_nlink, 1);
	last_cut(c, line, sizeof(line));
	assert_non_null(strstr(line, "\"freed_after\":0,"));
	assert_non_null(strstr(line, "\"orphans_cut\":0"));
	close(dfd);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_faultfs_setup, fl_faultfs_teardown)
		T(test_nameless_file_nobody_holds_is_freed_after_the_answer),
		T(test_nameless_file_still_open_is_cut_before_the_answer),
		T(test_nameless_file_held_by_o_path_is_never_seen_stale),
		T(test_file_that_keeps_a_name_is_cut_before_the_answer),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
