// SPDX-License-Identifier: GPL-2.0-only
/*
 * The durability engine on names: in strict mode a create, unlink, rename,
 * link, symlink, mknod, mkdir or rmdir is volatile until its directory
 * (both directories for a rename) is fsynced; in data mode names are
 * durable at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "dur_fixture.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int create(struct dur_fx *x, int dirfd, const char *name, const char *data)
{
	int fd = -1;

	assert_int_equal(ffs_dur_create(x->d, dirfd, name, O_RDWR | O_CREAT, 0644, &fd), 0);
	assert_true(fd >= 0);
	if (data)
		dur_fx_write(x, fd, data, strlen(data), 0);
	return fd;
}

static void sync_file(struct dur_fx *x, int fd)
{
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	close(fd);
}

static void test_created_file_without_dir_fsync_is_gone_in_strict_mode(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;

	sync_file(x, create(x, x->dir, "new", "data"));
	assert_true(dur_fx_exists(x, "new"));
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "new"));
	assert_int_equal(r.names_undone, 1);
}

static void test_created_file_with_dir_fsync_survives_with_its_data(void **state)
{
	struct dur_fx *x = *state;

	sync_file(x, create(x, x->dir, "new", "data"));
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "new", "data", 4);
}

static void test_created_file_with_dir_fsync_but_no_file_fsync_is_empty(void **state)
{
	struct dur_fx *x = *state;
	int fd = create(x, x->dir, "new", "data");

	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "new", "", 0);
	close(fd);
}

static void test_created_name_is_kept_in_data_mode(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;
	int fd;

	assert_int_equal(ffs_dur_mode(x->d), FFS_DUR_DATA);
	fd = create(x, x->dir, "new", "data");
	assert_int_equal(ffs_dur_mkdir(x->d, x->dir, "sub", 0755), 0);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 0);
	assert_true(dur_fx_exists(x, "sub"));
	/* Data stays volatile in data mode. */
	dur_fx_assert_content(x, "new", "", 0);
	close(fd);
}

static void test_unlink_in_data_mode_is_durable_at_once(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "old", "x", 1);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "old"), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "old"));
	assert_int_equal(dur_fx_count(x, "trash"), 0);
}

static void test_create_of_existing_file_records_no_name(void **state)
{
	struct dur_fx *x = *state;
	int fd = -1;

	dur_fx_put(x, "old", "content", 7);
	assert_int_equal(ffs_dur_create(x->d, x->dir, "old", O_RDWR | O_CREAT, 0644, &fd), 0);
	close(fd);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "old", "content", 7);
}

static void test_create_with_o_excl_on_existing_file_fails(void **state)
{
	struct dur_fx *x = *state;
	int fd = -1;

	dur_fx_put(x, "old", "content", 7);
	assert_int_equal(ffs_dur_create(x->d, x->dir, "old", O_RDWR | O_CREAT | O_EXCL, 0644, &fd),
			 -EEXIST);
}

static void test_create_with_o_trunc_of_existing_file_is_a_tracked_truncate(void **state)
{
	struct dur_fx *x = *state;
	int fd = -1;

	dur_fx_put(x, "old", "content", 7);
	assert_int_equal(ffs_dur_create(x->d, x->dir, "old", O_RDWR | O_CREAT | O_TRUNC, 0644, &fd),
			 0);
	dur_fx_assert_content(x, "old", "", 0);
	close(fd);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "old", "content", 7);
}

static void test_unlink_without_dir_fsync_comes_back_with_its_content(void **state)
{
	struct dur_fx *x = *state;
	struct stat before, after;

	dur_fx_put(x, "f", "precious", 8);
	assert_int_equal(fstatat(x->dir, "f", &before, 0), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	assert_false(dur_fx_exists(x, "f"));
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "precious", 8);
	assert_int_equal(fstatat(x->dir, "f", &after, 0), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
}

static void test_unlink_with_dir_fsync_is_final_and_frees_the_trash(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "f", "gone", 4);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 1);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "f"));
}

static void test_open_fd_of_unlinked_file_stays_usable(void **state)
{
	struct dur_fx *x = *state;
	char buf[8] = { 0 };
	int fd;

	dur_fx_put(x, "f", "abc", 3);
	fd = dur_fx_open(x, "f", O_RDWR);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	dur_fx_write(x, fd, "XY", 2, 3);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 5);
	assert_string_equal(buf, "abcXY");
	/* The file comes back with its durable content: the write is undone. */
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", "abc", 3);
	close(fd);
}

static void test_unlink_of_a_directory_fails_with_eisdir(void **state)
{
	struct dur_fx *x = *state;

	assert_int_equal(mkdirat(x->dir, "d", 0755), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "d"), -EISDIR);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "missing"), -ENOENT);
}

static void test_rmdir_refuses_a_non_empty_directory_and_is_undone(void **state)
{
	struct dur_fx *x = *state;

	assert_int_equal(mkdirat(x->dir, "d", 0755), 0);
	dur_fx_put(x, "d/f", "x", 1);
	assert_int_equal(ffs_dur_rmdir(x->d, x->dir, "d"), -ENOTEMPTY);
	assert_int_equal(unlinkat(x->dir, "d/f", 0), 0);
	assert_int_equal(ffs_dur_rmdir(x->d, x->dir, "f"), -ENOENT);
	assert_int_equal(ffs_dur_rmdir(x->d, x->dir, "d"), 0);
	assert_false(dur_fx_exists(x, "d"));
	dur_fx_powercut(x, 0, 0, 0);
	assert_true(dur_fx_exists(x, "d"));
}

static void test_rename_over_existing_without_fsync_restores_both_old_names(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "a", "A", 1);
	dur_fx_put(x, "b", "B", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", 0), 0);
	assert_false(dur_fx_exists(x, "a"));
	dur_fx_assert_content(x, "b", "A", 1);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "a", "A", 1);
	dur_fx_assert_content(x, "b", "B", 1);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
}

static void test_rename_over_existing_with_dir_fsync_keeps_the_new_state(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "a", "A", 1);
	dur_fx_put(x, "b", "B", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", 0), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, true), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "a"));
	dur_fx_assert_content(x, "b", "A", 1);
}

/* The classic atomic replace: write tmp, fsync it, rename over, (no) dir fsync. */
static void test_atomic_replace_shows_old_or_new_never_neither(void **state)
{
	struct dur_fx *x = *state;

	for (int synced = 0; synced < 2; synced++) {
		int fd;

		dur_fx_put(x, "conf", "old", 3);
		fd = create(x, x->dir, "conf.tmp", "new");
		sync_file(x, fd);
		assert_int_equal(ffs_dur_rename(x->d, x->dir, "conf.tmp", x->dir, "conf", 0), 0);
		if (synced)
			assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
		dur_fx_powercut(x, 0, 0, 0);
		dur_fx_assert_content(x, "conf", synced ? "new" : "old", 3);
		assert_false(dur_fx_exists(x, "conf.tmp"));
	}
}

static void test_rename_across_dirs_needs_both_dirs_fsynced(void **state)
{
	struct dur_fx *x = *state;
	int d1, d2;

	assert_int_equal(mkdirat(x->dir, "d1", 0755), 0);
	assert_int_equal(mkdirat(x->dir, "d2", 0755), 0);
	d1 = dur_fx_open(x, "d1", O_RDONLY | O_DIRECTORY);
	d2 = dur_fx_open(x, "d2", O_RDONLY | O_DIRECTORY);
	dur_fx_put(x, "d1/f", "F", 1);

	assert_int_equal(ffs_dur_rename(x->d, d1, "f", d2, "g", 0), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, d2, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "d1/f", "F", 1);
	assert_false(dur_fx_exists(x, "d2/g"));

	assert_int_equal(ffs_dur_rename(x->d, d1, "f", d2, "g", 0), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, d2, false), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, d1, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "d1/f"));
	dur_fx_assert_content(x, "d2/g", "F", 1);
	close(d1);
	close(d2);
}

static void test_rename_noreplace_refuses_existing_and_is_undone(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "a", "A", 1);
	dur_fx_put(x, "b", "B", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "c", RENAME_NOREPLACE), 0);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "a", "A", 1);
	dur_fx_assert_content(x, "b", "B", 1);
	assert_false(dur_fx_exists(x, "c"));
}

static void test_rename_exchange_is_undone(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "a", "A", 1);
	dur_fx_put(x, "b", "B", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", RENAME_EXCHANGE), 0);
	dur_fx_assert_content(x, "a", "B", 1);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "a", "A", 1);
	dur_fx_assert_content(x, "b", "B", 1);
}

static void test_rename_of_dir_over_empty_dir_is_undone(void **state)
{
	struct dur_fx *x = *state;

	assert_int_equal(mkdirat(x->dir, "src", 0755), 0);
	assert_int_equal(mkdirat(x->dir, "dst", 0755), 0);
	dur_fx_put(x, "src/f", "F", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "dst", x->dir, "src", 0), -ENOTEMPTY);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "src", x->dir, "dst", 0), 0);
	dur_fx_assert_content(x, "dst/f", "F", 1);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "src/f", "F", 1);
	assert_true(dur_fx_exists(x, "dst"));
	assert_false(dur_fx_exists(x, "dst/f"));
}

static void test_mkdir_tree_is_undone_even_with_children_durable_inside(void **state)
{
	struct dur_fx *x = *state;
	int sub, fd;

	assert_int_equal(ffs_dur_mkdir(x->d, x->dir, "t", 0755), 0);
	sub = dur_fx_open(x, "t", O_RDONLY | O_DIRECTORY);
	assert_int_equal(ffs_dur_mkdir(x->d, sub, "u", 0755), 0);
	fd = create(x, sub, "f", "x");
	sync_file(x, fd);
	assert_int_equal(ffs_dur_fsyncdir(x->d, sub, false), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "t"));
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	close(sub);
}

static void test_symlink_link_and_mknod_are_undone(void **state)
{
	struct dur_fx *x = *state;
	struct stat st;
	int fd;

	dur_fx_put(x, "f", "F", 1);
	fd = dur_fx_open(x, "f", O_PATH);
	assert_int_equal(ffs_dur_symlink(x->d, "f", x->dir, "sym"), 0);
	assert_int_equal(ffs_dur_link(x->d, fd, x->dir, "hard"), 0);
	assert_int_equal(ffs_dur_mknod(x->d, x->dir, "fifo", S_IFIFO | 0600, 0), 0);
	assert_int_equal(fstatat(x->dir, "f", &st, 0), 0);
	assert_int_equal(st.st_nlink, 2);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "sym"));
	assert_false(dur_fx_exists(x, "hard"));
	assert_false(dur_fx_exists(x, "fifo"));
	assert_int_equal(fstatat(x->dir, "f", &st, 0), 0);
	assert_int_equal(st.st_nlink, 1);
	close(fd);
}

static void test_create_then_unlink_then_dir_fsync_leaves_nothing(void **state)
{
	struct dur_fx *x = *state;

	close(create(x, x->dir, "tmp", "t"));
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "tmp"), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "tmp"));
}

/*
 * A temporary file (created, written, unlinked before its directory is
 * fsynced) settles at once: nothing parked, nothing left to undo, and the
 * power cut leaves exactly what it left when the pair was undone.
 */
static void test_create_then_unlink_settles_at_once(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;

	dur_fx_put(x, "keep", "K", 1);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	for (int i = 0; i < 100; i++) {
		int fd = create(x, x->dir, "tmp", "t");

		if (i % 2)
			sync_file(x, fd);
		else
			close(fd);
		assert_int_equal(ffs_dur_unlink(x->d, x->dir, "tmp"), 0);
	}
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 0);
	assert_false(dur_fx_exists(x, "tmp"));
	dur_fx_assert_content(x, "keep", "K", 1);
}

/* A later record names the file (a rename, a second link): the unlink parks, as before. */
static void test_create_rename_unlink_still_parks(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;
	int fd;

	close(create(x, x->dir, "a", "A"));
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", 0), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "b"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 1);
	fd = create(x, x->dir, "c", "C");
	assert_int_equal(ffs_dur_link(x->d, fd, x->dir, "d"), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "c"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 2);
	close(fd);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 6);
	assert_false(dur_fx_exists(x, "a"));
	assert_false(dur_fx_exists(x, "b"));
	assert_false(dur_fx_exists(x, "c"));
	assert_false(dur_fx_exists(x, "d"));
	assert_int_equal(dur_fx_count(x, "trash"), 0);
}

/*
 * An unlink settles a create without stating the name only while nothing
 * since could have put another file there: a rename over the new name or
 * a second link to its file parks the unlink, as before.
 */
static void test_replaced_or_linked_new_name_still_parks(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;
	int fd;

	dur_fx_put(x, "x", "X", 1);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	fd = create(x, x->dir, "c", "C");
	assert_int_equal(ffs_dur_link(x->d, fd, x->dir, "d"), 0);
	close(fd);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "d"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 1);
	close(create(x, x->dir, "t", "T"));
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "x", x->dir, "t", 0), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "t"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 3);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 6);
	dur_fx_assert_content(x, "x", "X", 1);
	assert_false(dur_fx_exists(x, "t"));
	assert_false(dur_fx_exists(x, "c"));
	assert_false(dur_fx_exists(x, "d"));
}

/* Other names removed between a create and its unlink: the pair still settles at once. */
static void test_create_then_unlink_settles_beside_other_unlinks(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;

	dur_fx_put(x, "keep", "K", 1);
	dur_fx_put(x, "old", "O", 1);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	close(create(x, x->dir, "a", "A"));
	close(create(x, x->dir, "b", "B"));
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "old"), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "a"), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "b"), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 1);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "a"), -ENOENT);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 1);
	dur_fx_assert_content(x, "old", "O", 1);
	dur_fx_assert_content(x, "keep", "K", 1);
	assert_false(dur_fx_exists(x, "a"));
	assert_false(dur_fx_exists(x, "b"));
}

static void test_syncfs_makes_names_durable(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "gone", "g", 1);
	close(create(x, x->dir, "new", NULL));
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "gone"), 0);
	assert_int_equal(ffs_dur_syncfs(x->d), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_true(dur_fx_exists(x, "new"));
	assert_false(dur_fx_exists(x, "gone"));
	assert_int_equal(dur_fx_count(x, "trash"), 0);
}

struct inval_log {
	int inodes, entries;
	char names[16][64];
};

static void on_inode(void *ctx, dev_t dev, ino_t ino)
{
	((struct inval_log *)ctx)->inodes++;
}

static void on_entry(void *ctx, dev_t dev, ino_t ino, const char *name)
{
	struct inval_log *l = ctx;

	if (l->entries < 16)
		snprintf(l->names[l->entries], sizeof(l->names[0]), "%s", name);
	l->entries++;
}

static void test_powercut_invalidates_every_undone_name_and_inode(void **state)
{
	struct dur_fx *x = *state;
	struct inval_log l = { 0 };
	struct ffs_inval_ops ops = { .inode = on_inode, .entry = on_entry, .ctx = &l };
	struct ffs_powercut_opts o = { 0 };
	struct ffs_powercut_report r;

	dur_fx_put(x, "a", "A", 1);
	assert_int_equal(ffs_dur_rename(x->d, x->dir, "a", x->dir, "b", 0), 0);
	close(create(x, x->dir, "c", "C"));
	assert_int_equal(ffs_dur_powercut(x->d, &o, &ops, &r), 0);
	assert_int_equal(r.names_undone, 2);
	assert_int_equal(l.entries, 3);
	assert_string_equal(l.names[0], "c");
	assert_string_equal(l.names[1], "a");
	assert_string_equal(l.names[2], "b");
	assert_true(l.inodes >= 3);
}

static void test_leftover_state_dir_is_discarded_on_open(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_dur *d2;

	dur_fx_put(x, "f", "F", 1);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	/* A faultfs that died: the next one finds its trash and discards it. */
	assert_int_equal(ffs_dur_open(x->root, FFS_DUR_STRICT, &d2), 0);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	ffs_dur_close(d2);
}

static void test_close_makes_everything_durable(void **state)
{
	struct dur_fx *x = *state;

	dur_fx_put(x, "f", "F", 1);
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	close(create(x, x->dir, "new", "N"));
	ffs_dur_close(x->d);
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	assert_int_equal(dur_fx_count(x, "undo"), 0);
	assert_int_equal(ffs_dur_open(x->root, FFS_DUR_STRICT, &x->d), 0);
	dur_fx_powercut(x, 0, 0, 0);
	assert_false(dur_fx_exists(x, "f"));
	dur_fx_assert_content(x, "new", "N", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, dur_fx_setup, dur_fx_teardown)
#define TD(f) cmocka_unit_test_setup_teardown(f, dur_fx_setup_data, dur_fx_teardown)
		T(test_created_file_without_dir_fsync_is_gone_in_strict_mode),
		T(test_created_file_with_dir_fsync_survives_with_its_data),
		T(test_created_file_with_dir_fsync_but_no_file_fsync_is_empty),
		TD(test_created_name_is_kept_in_data_mode),
		TD(test_unlink_in_data_mode_is_durable_at_once),
		T(test_create_of_existing_file_records_no_name),
		T(test_create_with_o_excl_on_existing_file_fails),
		T(test_create_with_o_trunc_of_existing_file_is_a_tracked_truncate),
		T(test_unlink_without_dir_fsync_comes_back_with_its_content),
		T(test_unlink_with_dir_fsync_is_final_and_frees_the_trash),
		T(test_open_fd_of_unlinked_file_stays_usable),
		T(test_unlink_of_a_directory_fails_with_eisdir),
		T(test_rmdir_refuses_a_non_empty_directory_and_is_undone),
		T(test_rename_over_existing_without_fsync_restores_both_old_names),
		T(test_rename_over_existing_with_dir_fsync_keeps_the_new_state),
		T(test_atomic_replace_shows_old_or_new_never_neither),
		T(test_rename_across_dirs_needs_both_dirs_fsynced),
		T(test_rename_noreplace_refuses_existing_and_is_undone),
		T(test_rename_exchange_is_undone),
		T(test_rename_of_dir_over_empty_dir_is_undone),
		T(test_mkdir_tree_is_undone_even_with_children_durable_inside),
		T(test_symlink_link_and_mknod_are_undone),
		T(test_create_then_unlink_then_dir_fsync_leaves_nothing),
		T(test_create_then_unlink_settles_at_once),
		T(test_create_rename_unlink_still_parks),
		T(test_replaced_or_linked_new_name_still_parks),
		T(test_create_then_unlink_settles_beside_other_unlinks),
		T(test_syncfs_makes_names_durable),
		T(test_powercut_invalidates_every_undone_name_and_inode),
		T(test_leftover_state_dir_is_discarded_on_open),
		T(test_close_makes_everything_durable),
#undef T
#undef TD
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
