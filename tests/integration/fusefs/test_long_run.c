// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultfs stays bounded while a service runs for hours (root): replaced and
 * unlinked files are let go once they can never come back, the name
 * journal and the parked files have bounds that warn, `faultline fs sync`
 * makes everything durable, the write log rotates, and a clean stop leaves
 * no state behind.
 */
#include <dirent.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static bool require_all(void)
{
	char bin[PATH_MAX];

	return fl_faultfs_require() && fl_test_binary("faultline", bin, sizeof(bin));
}

/* Descriptors of pid that name a deleted file, and all of them. */
static int count_fds(pid_t pid, int *ret_deleted)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	int n = 0, deleted = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		ssize_t k;

		if (de->d_name[0] == '.')
			continue;
		n++;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		if (k > 10 && !memcmp(target + k - 10, " (deleted)", 10))
			deleted++;
	}
	closedir(d);
	if (ret_deleted)
		*ret_deleted = deleted;
	return n;
}

/*
 * Deleted files the daemon still holds, once the kernel's FUSE_RELEASE for
 * the last close() and FUSE_FORGET for the unlinked inode came in (the
 * daemon keeps an O_PATH descriptor of each inode the kernel knows, until
 * its forget): both are sent asynchronously, so a busy machine may deliver
 * them a moment after close() or unlink() returned.
 */
static int settled_deleted(pid_t pid)
{
	int deleted = 0;

	for (int i = 0; i < 200; i++) {
		count_fds(pid, &deleted);
		if (deleted == 0)
			break;
		usleep(10 * 1000);
	}
	return deleted;
}

static void put(const char *path, size_t len, bool sync)
{
	static char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	for (size_t done = 0; done < len;) {
		size_t k = len - done < sizeof(buf) ? len - done : sizeof(buf);

		assert_int_equal(write(fd, buf, k), (ssize_t)k);
		done += k;
	}
	if (sync)
		assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

static void fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static long long status_total(struct fl_faultfs_mount *c, const char *key)
{
	char out[65536], pat[64], *p;

	assert_int_equal(fl_faultline_fs(out, sizeof(out), "status", c->mnt, "--json", NULL), 0);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(out, pat);
	assert_non_null(p);
	return atoll(p + strlen(pat));
}

/*
 * Reported: 20 rounds of "write 20 MiB without fsync, rename over target,
 * fsync the directory" left 19 deleted files open in the daemon, pinning
 * their blocks until unmount, and status counted them as volatile. Once
 * the directory fsync makes the replacement durable, the old file can
 * never come back: its records, descriptors and blocks go at once.
 */
static void test_replaced_file_is_let_go_when_its_unlink_is_durable(void **state)
{
	struct fl_faultfs_mount *c = *state;
	int base, deleted;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(fl_test_path(c->mnt, "target"), 4096, true);
	fsync_dir(c->mnt);
	base = count_fds(c->pid, NULL);
	for (int i = 0; i < 20; i++) {
		put(fl_test_path(c->mnt, "tmp"), 2 << 20, false);
		assert_int_equal(rename(fl_test_path(c->mnt, "tmp"),
					fl_test_path(c->mnt, "target")), 0);
		fsync_dir(c->mnt);
	}
	deleted = settled_deleted(c->pid);
	print_message("daemon fds: %d before, %d after; %d deleted files held\n", base,
		      count_fds(c->pid, NULL), deleted);
	assert_int_equal(deleted, 0);
	assert_true(count_fds(c->pid, NULL) <= base + 4);
	/* Only the current target has unsynced data. */
	assert_int_equal(status_total(c, "files"), 1);
	assert_int_equal(status_total(c, "volatile_bytes"), 2 << 20);
}

/* In data mode an unlink is durable at once: the file goes at once too. */
static void test_data_mode_unlinked_file_is_let_go_at_once(void **state)
{
	struct fl_faultfs_mount *c = *state;
	int deleted;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, "durability=data"), 0);
	for (int i = 0; i < 10; i++) {
		put(fl_test_path(c->mnt, "f%d", i), 1 << 20, false);
		assert_int_equal(unlink(fl_test_path(c->mnt, "f%d", i)), 0);
	}
	deleted = settled_deleted(c->pid);
	assert_int_equal(deleted, 0);
	assert_int_equal(status_total(c, "files"), 0);
}

/* An application that never fsyncs its directories: the journal stays bounded. */
static void test_name_bound_makes_the_oldest_durable_and_warns(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char out[65536];

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, "names_max=10"), 0);
	for (int i = 0; i < 30; i++)
		put(fl_test_path(c->mnt, "n%02d", i), 10, true);
	assert_true(status_total(c, "volatile_names") <= 10);
	assert_int_equal(status_total(c, "names_forced"), 20);
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "status", c->mnt, NULL), 0);
	assert_non_null(strstr(out, "WARNING: 20 name operations were made durable early"));
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "log", c->mnt, NULL), 0);
	assert_non_null(strstr(out, "\"op\":\"limit\""));
	/* The oldest 20 creates are durable now: a power cut keeps them. */
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, NULL), 0);
	assert_int_equal(access(fl_test_path(c->mnt, "n19"), F_OK), 0);
	assert_int_equal(access(fl_test_path(c->mnt, "n20"), F_OK), -1);
}

static long long du_bytes(const char *path)
{
	char cmd[PATH_MAX + 64];
	long long kb = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -sk '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fscanf(p, "%lld", &kb) != 1)
		kb = 0;
	pclose(p);
	return kb * 1024;
}

static void test_trash_bound_caps_parked_bytes(void **state)
{
	struct fl_faultfs_mount *c = *state;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, "trash_max=2M"), 0);
	for (int i = 0; i < 20; i++) {
		put(fl_test_path(c->mnt, "tmp"), 512 << 10, true);
		assert_int_equal(rename(fl_test_path(c->mnt, "tmp"),
					fl_test_path(c->mnt, "target")), 0);
	}
	assert_true(status_total(c, "trash_bytes") <= 2 << 20);
	assert_true(status_total(c, "names_forced") > 0);
	assert_true(du_bytes(fl_test_path(c->backing, ".faultfs/trash")) <= (2 << 20) + 65536);
}

/* sync(2) is not forwarded to FUSE servers; `faultline fs sync` is the way. */
static void test_fs_sync_makes_everything_durable(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char out[4096];
	struct stat st;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(fl_test_path(c->mnt, "data"), 12345, false);
	assert_int_equal(mkdir(fl_test_path(c->mnt, "dir"), 0755), 0);
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "sync", c->mnt, NULL), 0);
	assert_non_null(strstr(out, "synced:"));
	assert_int_equal(status_total(c, "volatile_bytes"), 0);
	assert_int_equal(status_total(c, "volatile_names"), 0);
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, NULL), 0);
	assert_int_equal(stat(fl_test_path(c->mnt, "data"), &st), 0);
	assert_int_equal(st.st_size, 12345);
	assert_int_equal(access(fl_test_path(c->mnt, "dir"), F_OK), 0);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* Count the lines of `fs log` and check that seq runs without a gap. */
static int log_lines(struct fl_faultfs_mount *c, long long *ret_first)
{
	static char out[4 << 20];
	long long prev = -1;
	int n = 0;

	assert_int_equal(fl_faultline_fs(out, sizeof(out), "log", c->mnt, NULL), 0);
	for (char *p = strstr(out, "{\"seq\":"); p; p = strstr(p + 1, "{\"seq\":")) {
		long long seq = atoll(p + 7);

		if (prev >= 0)
			assert_int_equal(seq, prev + 1);
		else
			*ret_first = seq;
		prev = seq;
		n++;
	}
	return n;
}

static void test_write_log_rotates_by_size(void **state)
{
	struct fl_faultfs_mount *c = *state;
	const char *log;
	long long first = 0;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, "log_max=64K,log_keep=2"), 0);
	for (int i = 0; i < 2000; i++)
		put(fl_test_path(c->mnt, "f"), 100, i % 2);
	log = fl_test_path(c->backing, ".faultfs/wlog.jsonl");
	print_message("log sizes: %lld %lld %lld\n", file_size(log),
		      file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl.1")),
		      file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl.2")));
	assert_true(file_size(log) < 64 * 1024);
	assert_true(file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl.1")) >= 64 * 1024);
	assert_true(file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl.2")) >= 64 * 1024);
	assert_int_equal(file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl.3")), -1);
	/* The dump reads the rotated files too, in order, without a gap. */
	assert_true(log_lines(c, &first) > 0);
	assert_true(first > 1);
}

/* The man page promises that a clean stop leaves no state behind. */
static void test_clean_stop_leaves_no_state_behind(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char opts[PATH_MAX + 8];

	if (!require_all())
		skip();
	snprintf(opts, sizeof(opts), "log=%s/wlog", c->dir);
	assert_int_equal(fl_faultfs_start(c, opts), 0);
	put(fl_test_path(c->mnt, "a"), 100, false);
	put(fl_test_path(c->mnt, "b"), 100, false);
	assert_int_equal(unlink(fl_test_path(c->mnt, "b")), 0);
	assert_int_equal(fl_faultfs_stop(c), 0);
	assert_int_equal(access(fl_test_path(c->backing, ".faultfs"), F_OK), -1);
	assert_int_equal(file_size(fl_test_path(c->backing, "a")), 100);
	/* With the log inside it, only the log stays. */
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(fl_test_path(c->mnt, "c"), 100, false);
	assert_int_equal(fl_faultfs_stop(c), 0);
	assert_int_equal(access(fl_test_path(c->backing, ".faultfs/undo"), F_OK), -1);
	assert_int_equal(access(fl_test_path(c->backing, ".faultfs/trash"), F_OK), -1);
	assert_true(file_size(fl_test_path(c->backing, ".faultfs/wlog.jsonl")) > 0);
}

/* The kernel's FUSE refuses these modes before faultfs sees them: faultfs(8) says so. */
static void test_collapse_and_insert_range_are_refused_through_fuse(void **state)
{
	struct fl_faultfs_mount *c = *state;
	int fd;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(fl_test_path(c->mnt, "f"), 1 << 20, true);
	fd = open(fl_test_path(c->mnt, "f"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 65536), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 65536), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), 0);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fl_faultfs_setup, fl_faultfs_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_replaced_file_is_let_go_when_its_unlink_is_durable),
		T(test_data_mode_unlinked_file_is_let_go_at_once),
		T(test_name_bound_makes_the_oldest_durable_and_warns),
		T(test_trash_bound_caps_parked_bytes),
		T(test_fs_sync_makes_everything_durable),
		T(test_write_log_rotates_by_size),
		T(test_clean_stop_leaves_no_state_behind),
		T(test_collapse_and_insert_range_are_refused_through_fuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
