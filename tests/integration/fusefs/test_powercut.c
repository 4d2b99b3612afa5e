// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power cuts through a real faultfs mount (root): `faultline fs powercut
 * MNT` turns the mount into what a reboot would show, as seen through the
 * mount itself (the kernel's caches are invalidated) and in the backing
 * directory. fsynced data survives, the rest is gone; names need their
 * directory fsynced in strict mode and not in data mode; rename is atomic;
 * --keep and --torn produce whole writes and whole sectors.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

/* `faultline fs powercut MNT [extra]`; returns its duration in seconds. */
static double powercut(struct fl_faultfs_mount *c, const char *opt1, const char *opt2)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, opt1, opt2, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void path2(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void put(const char *dir, const char *name, const void *data, size_t len, bool sync)
{
	char p[PATH_MAX];
	int fd;

	path2(p, sizeof(p), dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (sync)
		assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static bool exists(const char *dir, const char *name)
{
	char p[PATH_MAX];

	path2(p, sizeof(p), dir, name);
	return access(p, F_OK) == 0;
}

/* Content of dir/name equals want (len bytes), read with a fresh open. */
static void assert_content(const char *dir, const char *name, const void *want, size_t len)
{
	char p[PATH_MAX];
	char *buf = malloc(len + 16);
	ssize_t n;
	int fd;

	assert_non_null(buf);
	path2(p, sizeof(p), dir, name);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	n = pread(fd, buf, len + 16, 0);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void pattern(char *buf, size_t len, unsigned int gen)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)((i * 31 + gen * 101 + i / 4096) % 251 + 1);
}

static void test_fsynced_data_survives_and_unsynced_data_is_gone(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char p[PATH_MAX];
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	put(c->backing, "old", "durable", 7, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "synced", "kept", 4, true);
	sync_dir(c->mnt);
	/* Overwrite and append through an open fd that stays open across the cut. */
	path2(p, sizeof(p), c->mnt, "old");
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "VOLATILE", 8, 0), 8);
	assert_int_equal(pwrite(fd, "tail", 4, 100), 4);
	{
		char head[8];

		assert_int_equal(pread(fd, head, 8, 0), 8);
		assert_memory_equal(head, "VOLATILE", 8);
	}
	powercut(c, NULL, NULL);
	assert_content(c->mnt, "old", "durable", 7);
	assert_content(c->backing, "old", "durable", 7);
	assert_content(c->mnt, "synced", "kept", 4);
	close(fd);
}

static void test_created_name_without_dir_fsync_is_gone_in_strict_mode(void **state)
{
	struct fl_faultfs_mount *c = *state;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "dirsync", "y", 1, true);
	sync_dir(c->mnt);
	put(c->mnt, "nodirsync", "x", 1, true);
	powercut(c, NULL, NULL);
	assert_false(exists(c->mnt, "nodirsync"));
	assert_false(exists(c->backing, "nodirsync"));
	assert_content(c->mnt, "dirsync", "y", 1);
}

static void test_created_name_is_kept_in_data_mode(void **state)
{
	struct fl_faultfs_mount *c = *state;

	if (!fl_faultfs_require_client())
		skip();
	assert_int_equal(fl_faultfs_start(c, "durability=data"), 0);
	put(c->mnt, "nodirsync", "x", 1, true);
	put(c->mnt, "nofsync", "z", 1, false);
	powercut(c, NULL, NULL);
	assert_content(c->mnt, "nodirsync", "x", 1);
	assert_content(c->mnt, "nofsync", "", 0);
}

static void test_unlink_without_dir_fsync_comes_back(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char p[PATH_MAX];

	if (!fl_faultfs_require_client())
		skip();
	put(c->backing, "f", "precious", 8, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	path2(p, sizeof(p), c->mnt, "f");
	assert_int_equal(unlink(p), 0);
	assert_false(exists(c->mnt, "f"));
	powercut(c, NULL, NULL);
	assert_content(c->mnt, "f", "precious", 8);
}

static void test_rename_is_atomic_across_a_powercut(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char from[PATH_MAX], to[PATH_MAX];

	if (!fl_faultfs_require_client())
		skip();
	put(c->backing, "conf", "old", 3, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	path2(from, sizeof(from), c->mnt, "conf.tmp");
	path2(to, sizeof(to), c->mnt, "conf");
	for (int synced = 0; synced < 2; synced++) {
		put(c->mnt, "conf.tmp", "new", 3, true);
		assert_int_equal(rename(from, to), 0);
		if (synced)
			sync_dir(c->mnt);
		powercut(c, NULL, NULL);
		assert_content(c->mnt, "conf", synced ? "new" : "old", 3);
		assert_false(exists(c->mnt, "conf.tmp"));
	}
}

static void test_torn_powercut_keeps_whole_sectors(void **state)
{
	struct fl_faultfs_mount *c = *state;
	static char old[64 * 1024], new[64 * 1024], got[64 * 1024];
	char p[PATH_MAX];
	int fd, kept = 0, dropped = 0;

	if (!fl_faultfs_require_client())
		skip();
	pattern(old, sizeof(old), 1);
	pattern(new, sizeof(new), 2);
	put(c->backing, "f", old, sizeof(old), false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	path2(p, sizeof(p), c->mnt, "f");
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, new, sizeof(new), 0), (ssize_t)sizeof(new));
	close(fd);
	powercut(c, "--torn=4096", "--seed=3");
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	close(fd);
	for (size_t s = 0; s < sizeof(got); s += 4096) {
		if (!memcmp(got + s, new + s, 4096)) {
			kept++;
		} else {
			assert_memory_equal(got + s, old + s, 4096);
			dropped++;
		}
	}
	print_message("torn: %d sectors kept, %d dropped\n", kept, dropped);
}

static void test_keep_powercut_keeps_whole_writes(void **state)
{
	struct fl_faultfs_mount *c = *state;
	static char old[64 * 4096], new[64 * 4096], got[64 * 4096];
	char p[PATH_MAX];
	int fd, kept = 0;

	if (!fl_faultfs_require_client())
		skip();
	pattern(old, sizeof(old), 1);
	pattern(new, sizeof(new), 2);
	put(c->backing, "f", old, sizeof(old), false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	path2(p, sizeof(p), c->mnt, "f");
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	for (int b = 0; b < 64; b++)
		assert_int_equal(pwrite(fd, new + b * 4096, 4096, (off_t)b * 4096), 4096);
	close(fd);
	powercut(c, "--keep=50%", "--seed=9");
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	close(fd);
	for (int b = 0; b < 64; b++) {
		if (!memcmp(got + b * 4096, new + b * 4096, 4096))
			kept++;
		else
			assert_memory_equal(got + b * 4096, old + b * 4096, 4096);
	}
	assert_true(kept > 0 && kept < 64);
}

/* Printed, not asserted: the issue wants 1 GiB of unsynced data cut within 1 s. */
static void test_powercut_timing_through_the_mount(void **state)
{
	struct fl_faultfs_mount *c = *state;
	size_t mib = getenv("FL_SLOW") && !strcmp(getenv("FL_SLOW"), "1") ? 1024 : 128;
	char p[PATH_MAX];
	char *buf = malloc(1 << 20);
	double took;
	int fd;

	if (!fl_faultfs_require_client())
		skip();
	assert_non_null(buf);
	memset(buf, 'x', 1 << 20);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	path2(p, sizeof(p), c->mnt, "big");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	for (size_t i = 0; i < mib; i++)
		assert_int_equal(write(fd, buf, 1 << 20), 1 << 20);
	close(fd);
	took = powercut(c, NULL, NULL);
	print_message("timing: powercut of %zu MiB unsynced appends through the mount: %.3f s\n",
		      mib, took);
	assert_false(exists(c->mnt, "big"));
	free(buf);
}

/* The detail of the last powercut line of `faultline fs log MNT` (a new reference). */
static json_t *last_cut_detail(struct fl_faultfs_mount *c)
{
	static char out[1 << 20];
	json_t *found = NULL;
	char *line, *save = NULL;

	assert_int_equal(fl_faultline_fs(out, sizeof(out), "log", c->mnt, NULL), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *l = json_loads(line, 0, NULL);

		if (l && !strcmp(json_string_value(json_object_get(l, "op")) ?: "", "powercut")) {
			json_decref(found);
			found = json_incref(json_object_get(l, "detail"));
		}
		json_decref(l);
	}
	assert_non_null(found);
	return found;
}

/* The entry of names[] with this op and path, or NULL. */
static json_t *undone(json_t *detail, const char *op, const char *path)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(detail, "names"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "op")), op) &&
		    !strcmp(json_string_value(json_object_get(e, "path")), path))
			return e;
	return NULL;
}

/*
 * Redis 7.0 on a fresh data dir: appendonlydir/ is created, its files
 * written and fsynced, the directory itself fsynced, its parent never.
 * The cut takes the whole directory, and the log says which name went
 * and which directory's fsync was missing; so for a rename-over whose
 * directory was never fsynced.
 */
static void test_powercut_log_names_each_undone_name_and_the_missing_dir_fsync(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char from[PATH_MAX], to[PATH_MAX];
	json_t *d, *e;

	if (!fl_faultfs_require_client())
		skip();
	put(c->backing, "x", "old", 3, true);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	assert_int_equal(mkdir(fl_test_path(c->mnt, "appendonlydir"), 0755), 0);
	put(c->mnt, "appendonlydir/aof.1.incr.aof", "*3\r\n", 5, true);
	sync_dir(fl_test_path(c->mnt, "appendonlydir"));
	put(c->mnt, "x.tmp", "new", 3, true);
	path2(from, sizeof(from), c->mnt, "x.tmp");
	path2(to, sizeof(to), c->mnt, "x");
	assert_int_equal(rename(from, to), 0);
	powercut(c, NULL, NULL);
	assert_false(exists(c->mnt, "appendonlydir"));
	assert_content(c->mnt, "x", "old", 3);

	d = last_cut_detail(c);
	e = undone(d, "create", "/appendonlydir");
	assert_non_null(e);
	assert_true(json_is_true(json_object_get(e, "dir")));
	assert_string_equal(json_string_value(json_object_get(e, "unsynced_dir")), "/");
	/* Its file's own name was durable in appendonlydir/: not undone itself. */
	assert_null(undone(d, "create", "/appendonlydir/aof.1.incr.aof"));
	e = undone(d, "rename", "/x");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "from")), "/x.tmp");
	assert_string_equal(json_string_value(json_object_get(e, "unsynced_dir")), "/");
	assert_non_null(undone(d, "create", "/x.tmp"));
	assert_int_equal(json_integer_value(json_object_get(d, "names_undone")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "names_unlisted")), 0);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_faultfs_setup, fl_faultfs_teardown)
		T(test_fsynced_data_survives_and_unsynced_data_is_gone),
		T(test_created_name_without_dir_fsync_is_gone_in_strict_mode),
		T(test_created_name_is_kept_in_data_mode),
		T(test_unlink_without_dir_fsync_comes_back),
		T(test_rename_is_atomic_across_a_powercut),
		T(test_torn_powercut_keeps_whole_sectors),
		T(test_keep_powercut_keeps_whole_writes),
		T(test_powercut_timing_through_the_mount),
		T(test_powercut_log_names_each_undone_name_and_the_missing_dir_fsync),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
