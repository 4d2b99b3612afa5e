// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's side of a power cut's orphans (no FUSE, no root): a file the
 * cut must shrink and that the undone names leave without a name is handed
 * to the orphan callback uncut, with its durable size and the names its
 * undone create gave it; a file that keeps a name is cut at once; without
 * the callback every file is cut at once, as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dur_fixture.h"

enum { LEN = 64 << 10 };

struct orphan_log {
	int calls;
	int64_t size, st_size;
	nlink_t nlink;
	size_t n_names;
	char name[64];
};

static void on_orphan(void *ctx, dev_t dev, ino_t ino, int fd, int64_t size,
		      const struct ffs_orphan_name *names, size_t n_names)
{
	struct orphan_log *l = ctx;
	struct stat st;

	l->calls++;
	l->size = size;
	l->n_names = n_names;
	if (n_names)
		snprintf(l->name, sizeof(l->name), "%s", names[0].name);
	if (!fstat(fd, &st)) {
		l->st_size = st.st_size;
		l->nlink = st.st_nlink;
	}
	close(fd);
}

/* "new": created and written, nothing durable; "old": durable, then appended to. */
static void make_files(struct dur_fx *x)
{
	char *buf = calloc(1, LEN);
	int fd = -1;

	assert_non_null(buf);
	assert_int_equal(ffs_dur_create(x->d, x->dir, "new", O_RDWR | O_CREAT, 0644, &fd), 0);
	dur_fx_write(x, fd, buf, LEN, 0);
	close(fd);
	dur_fx_put(x, "old", "O", 1);
	fd = openat(x->dir, "old", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	dur_fx_write(x, fd, buf, LEN, 1);
	close(fd);
	free(buf);
}

static off_t size_of(struct dur_fx *x, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(x->dir, name, &st, 0), 0);
	return st.st_size;
}

static void test_nameless_file_goes_to_the_callback_uncut(void **state)
{
	struct dur_fx *x = *state;
	struct orphan_log l = { 0 };
	struct ffs_inval_ops ops = { .orphan = on_orphan, .ctx = &l };
	struct ffs_powercut_opts o = { 0 };
	struct ffs_powercut_report r;

	make_files(x);
	assert_int_equal(ffs_dur_powercut(x->d, &o, &ops, &r), 0);
	assert_int_equal(l.calls, 1);
	assert_int_equal(l.size, 0);
	assert_int_equal(l.st_size, LEN);   /* left to the callee */
	assert_int_equal(l.nlink, 0);
	assert_int_equal(l.n_names, 1);
	assert_string_equal(l.name, "new");
	assert_false(dur_fx_exists(x, "new"));
	assert_int_equal(size_of(x, "old"), 1);   /* named: cut at once */
}

static void test_without_the_callback_every_file_is_cut_at_once(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_powercut_opts o = { 0 };
	struct ffs_powercut_report r;

	make_files(x);
	assert_int_equal(ffs_dur_powercut(x->d, &o, NULL, &r), 0);
	assert_false(dur_fx_exists(x, "new"));
	assert_int_equal(size_of(x, "old"), 1);
	assert_int_equal(r.files_touched, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, dur_fx_setup, dur_fx_teardown)
		T(test_nameless_file_goes_to_the_callback_uncut),
		T(test_without_the_callback_every_file_is_cut_at_once),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
