// SPDX-License-Identifier: GPL-2.0-only
/*
 * Creates hold their directory's stripe, not the journal's lock, across
 * the create (fusefs/dur_dirlock.c): creates and temporary files in two
 * directories from two threads at once, one directory fsynced in the
 * middle, lose no record and keep the model exact: the power cut leaves
 * the synced directory with exactly the names it had at its fsync, and
 * the other with none of its new ones.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "dur_fixture.h"

#define N 200

struct worker {
	struct dur_fx *x;
	int dirfd;
	const char *prefix;
	int from, to;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char name[64], tmp[64];

	for (int i = w->from; i < w->to && !w->err; i++) {
		int fd = -1;

		snprintf(name, sizeof(name), "%s%d", w->prefix, i);
		snprintf(tmp, sizeof(tmp), "%s%d.tmp", w->prefix, i);
		w->err = ffs_dur_create(w->x->d, w->dirfd, name, O_RDWR | O_CREAT | O_EXCL, 0644,
					&fd);
		if (!w->err) {
			close(fd);
			/* A temporary file beside it: created and cancelled by its unlink. */
			w->err = ffs_dur_create(w->x->d, w->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL,
						0644, &fd);
		}
		if (!w->err) {
			close(fd);
			w->err = ffs_dur_unlink(w->x->d, w->dirfd, tmp);
		}
	}
	return NULL;
}

static int count_in(int dirfd, const char *prefix, int from, int to)
{
	char name[64];
	struct stat st;
	int n = 0;

	for (int i = from; i < to; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		n += !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
	}
	return n;
}

static void test_creates_in_two_directories_at_once_stay_exact(void **state)
{
	struct dur_fx *x = *state;
	struct worker a = { .x = x, .prefix = "a", .from = 0, .to = N };
	struct worker b = { .x = x, .prefix = "b", .from = 0, .to = 2 * N };
	pthread_t ta, tb;
	int da, db;

	assert_int_equal(mkdirat(x->dir, "A", 0755), 0);
	assert_int_equal(mkdirat(x->dir, "B", 0755), 0);
	a.dirfd = da = openat(x->dir, "A", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	b.dirfd = db = openat(x->dir, "B", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(da >= 0 && db >= 0);
	assert_int_equal(pthread_create(&tb, NULL, work, &b), 0);
	assert_int_equal(pthread_create(&ta, NULL, work, &a), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(a.err, 0);
	/* A's first names are durable now, whatever B is doing meanwhile. */
	assert_int_equal(ffs_dur_fsyncdir(x->d, da, false), 0);
	a.from = N;
	a.to = 2 * N;
	assert_int_equal(pthread_create(&ta, NULL, work, &a), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(b.err, 0);
	assert_int_equal(count_in(da, "a", 0, 2 * N), 2 * N);
	assert_int_equal(count_in(db, "b", 0, 2 * N), 2 * N);
	/*
	 * A temporary file's unlink cancels its create when the create is
	 * among the journal's newest records (dur_names.c's CANCEL_WINDOW); a
	 * thread preempted between the two while the other appends more parks
	 * it instead, which is as exact, only slower (4 runs in 290 here): most
	 * are cancelled, not all.
	 */
	assert_true(dur_fx_count(x, "trash") < N / 10);

	dur_fx_powercut(x, 0, 0, 0);
	assert_int_equal(count_in(da, "a", 0, N), N);
	assert_int_equal(count_in(da, "a", N, 2 * N), 0);
	assert_int_equal(count_in(db, "b", 0, 2 * N), 0);
	close(da);
	close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creates_in_two_directories_at_once_stay_exact,
						dur_fx_setup, dur_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
