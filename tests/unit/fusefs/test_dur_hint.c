// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-request hints (dur_hint.h) change what a create costs, never
 * what the journal says: with the request's directory hinted, a create
 * hands its new entry on (the fd and stat of the very file made), its
 * record still names that file, so it vanishes at a power cut unless the
 * directory was fsynced, and its unlink still cancels it. Outside a
 * request (no hint), or in another directory, nothing is handed on and
 * no fd stays open. A data request's open file, hinted, is found without
 * a stat: its writes and fsyncs leave the same records, and the file's
 * struct still goes when its last name goes.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "dur_fixture.h"
#include "dur_hint.h"

static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* What ffs_op_begin() does for a request on the backing root. */
static void begin(struct dur_fx *x)
{
	struct stat st;

	assert_int_equal(fstat(x->dir, &st), 0);
	ffs_dur_hint_dir(x->dir, st.st_dev, st.st_ino);
}

static int create(struct dur_fx *x, int dirfd, const char *name);

/*
 * The fds the engine itself keeps after a create+close of name in dirfd
 * (its directory and file tables) once the directory is known to it: the
 * baseline a hinted create must not exceed.
 */
static int engine_fds(struct dur_fx *x, int dirfd, const char *name)
{
	char warm[NAME_MAX + 1];
	int before;

	/* The first create in a directory opens it for the journal, and keeps it. */
	snprintf(warm, sizeof(warm), "%s.warm", name);
	close(create(x, dirfd, warm));
	before = open_fds();
	close(create(x, dirfd, name));
	return open_fds() - before;
}

static int create(struct dur_fx *x, int dirfd, const char *name)
{
	int fd = -1;

	assert_int_equal(ffs_dur_create(x->d, dirfd, name, O_RDWR | O_CREAT | O_EXCL, 0640, &fd),
			 0);
	assert_true(fd >= 0);
	return fd;
}

static void test_hinted_create_hands_on_the_new_file(void **state)
{
	struct dur_fx *x = *state;
	struct stat want, got;
	bool have_st = false;
	int kept = engine_fds(x, x->dir, "plain"), before = open_fds(), fd, pfd = -1;

	begin(x);
	fd = create(x, x->dir, "new");
	assert_int_equal(fstat(fd, &want), 0);
	assert_false(ffs_dur_take_created(x->dir, "other", &pfd, &got, &have_st));
	assert_true(ffs_dur_take_created(x->dir, "new", &pfd, &got, &have_st));
	assert_true(have_st);
	assert_int_equal(got.st_ino, want.st_ino);
	assert_int_equal(got.st_dev, want.st_dev);
	assert_int_equal(got.st_mode, want.st_mode);
	assert_int_equal(got.st_nlink, 1);
	assert_int_equal(got.st_size, 0);
	assert_int_equal(fstat(pfd, &got), 0);
	assert_int_equal(got.st_ino, want.st_ino);
	/* Taken once only. */
	assert_false(ffs_dur_take_created(x->dir, "new", &pfd, &got, &have_st));
	ffs_dur_hint_end();
	close(pfd);
	close(fd);
	assert_int_equal(open_fds(), before + kept);
}

static void test_changed_entry_is_handed_on_without_its_stat(void **state)
{
	struct dur_fx *x = *state;
	struct stat got;
	bool have_st = true;
	int fd, pfd = -1;

	begin(x);
	fd = create(x, x->dir, "new");
	ffs_dur_created_changed();
	assert_true(ffs_dur_take_created(x->dir, "new", &pfd, &got, &have_st));
	assert_false(have_st);
	ffs_dur_hint_end();
	close(pfd);
	close(fd);
}

static void test_untaken_entry_is_closed_at_the_end_of_the_request(void **state)
{
	struct dur_fx *x = *state;
	struct stat got;
	bool have_st;
	int kept = engine_fds(x, x->dir, "plain"), before = open_fds(), fd, pfd;

	begin(x);
	fd = create(x, x->dir, "new");
	close(fd);
	ffs_dur_hint_end();
	assert_int_equal(open_fds(), before + kept);
	assert_false(ffs_dur_take_created(x->dir, "new", &pfd, &got, &have_st));
}

static void test_without_a_hint_nothing_is_handed_on(void **state)
{
	struct dur_fx *x = *state;
	struct stat got;
	bool have_st;
	int pfd, sub, kept, before;

	close(create(x, x->dir, "new"));
	assert_false(ffs_dur_take_created(x->dir, "new", &pfd, &got, &have_st));
	/* A hint names one directory: a create in another one hands nothing on. */
	assert_int_equal(mkdirat(x->dir, "sub", 0755), 0);
	sub = openat(x->dir, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sub >= 0);
	kept = engine_fds(x, sub, "plain");
	before = open_fds();
	begin(x);
	close(create(x, sub, "inner"));
	assert_false(ffs_dur_take_created(sub, "inner", &pfd, &got, &have_st));
	ffs_dur_hint_end();
	assert_int_equal(open_fds(), before + kept);
	close(sub);
}

/* The records made with a hint name the right directory and inode: undo and cancel work. */
static void test_hinted_creates_keep_their_durability(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_report r;

	begin(x);
	close(create(x, x->dir, "synced"));
	ffs_dur_hint_end();
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->dir, false), 0);
	begin(x);
	close(create(x, x->dir, "volatile"));
	ffs_dur_hint_end();
	begin(x);
	close(create(x, x->dir, "tmp"));
	ffs_dur_hint_end();
	begin(x);
	close(create(x, x->dir, "gone"));
	ffs_dur_hint_end();
	begin(x);
	/* The create of tmp is still volatile: its unlink cancels it, nothing parked. */
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "tmp"), 0);
	ffs_dur_hint_end();
	assert_int_equal(dur_fx_count(x, "trash"), 0);
	r = dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(r.names_undone, 2);
	assert_false(dur_fx_exists(x, "volatile"));
	assert_true(dur_fx_exists(x, "synced"));
	assert_false(dur_fx_exists(x, "gone"));
	assert_false(dur_fx_exists(x, "tmp"));
}

/* What ffs_op_begin() and a data handler do for a request on the open file fd. */
static void begin_file(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	/* The inode's O_PATH fd stands in for the mount's: only its identity is used. */
	ffs_dur_hint_dir(fd, st.st_dev, st.st_ino);
	ffs_dur_hint_file(fd);
}

static void hinted_write(struct dur_fx *x, int fd, const void *buf, size_t len, off_t off)
{
	begin_file(fd);
	dur_fx_write(x, fd, buf, len, off);
	ffs_dur_hint_end();
}

static void hinted_fsync(struct dur_fx *x, int fd)
{
	begin_file(fd);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	ffs_dur_hint_end();
}

static void test_hinted_writes_keep_their_durability(void **state)
{
	struct dur_fx *x = *state;
	char old[8192], synced[4096], lost[4096], want[8192];
	int fd;

	dur_fx_pattern(old, sizeof(old), 0, 1);
	dur_fx_pattern(synced, sizeof(synced), 0, 2);
	dur_fx_pattern(lost, sizeof(lost), 0, 3);
	dur_fx_put(x, "f", old, sizeof(old));
	fd = dur_fx_open(x, "f", O_RDWR);
	/* The first write starts tracking the file (its struct is made), the rest find it. */
	hinted_write(x, fd, synced, sizeof(synced), 0);
	hinted_fsync(x, fd);
	hinted_write(x, fd, lost, sizeof(lost), 4096);
	hinted_write(x, fd, lost, sizeof(lost), 0);
	hinted_write(x, fd, lost, sizeof(lost), 8192);  /* an append */
	close(fd);
	dur_fx_powercut(x, 0, 0, 0);
	memcpy(want, synced, sizeof(synced));
	memcpy(want + 4096, old + 4096, 4096);
	dur_fx_assert_content(x, "f", want, sizeof(want));
}

static void test_hinted_file_goes_with_its_last_name(void **state)
{
	struct dur_fx *x = *state;
	char buf[4096];
	int before, fd;

	dur_fx_pattern(buf, sizeof(buf), 0, 1);
	before = open_fds();
	fd = dur_fx_open(x, "f", O_RDWR | O_CREAT);
	hinted_write(x, fd, buf, sizeof(buf), 0);
	/* Synced, the struct is idle: kept for the next write, its fd open. */
	hinted_fsync(x, fd);
	close(fd);
	assert_int_equal(open_fds(), before + 1);
	/* Durable at once in data mode: the inode has no name left, its struct goes. */
	assert_int_equal(ffs_dur_unlink(x->d, x->dir, "f"), 0);
	assert_int_equal(open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hinted_create_hands_on_the_new_file,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_changed_entry_is_handed_on_without_its_stat,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_untaken_entry_is_closed_at_the_end_of_the_request,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_without_a_hint_nothing_is_handed_on,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_hinted_creates_keep_their_durability,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_hinted_writes_keep_their_durability,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_hinted_file_goes_with_its_last_name,
						dur_fx_setup_data, dur_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
