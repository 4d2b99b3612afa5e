// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which writes a power cut undid, from hand-made write logs in faultfs's
 * format: a file removed for good before the cut took its unsynced writes
 * with it (SQLite's x.db-shm, unlinked and recreated on a reused inode
 * number), a removal the cut undid brought them back, a rename over a
 * file, a second name that keeps a file, and a cut that listed only some
 * of its names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>

#include "rpo/wlog_lines.h"

#include "helpers/wlog_make.h"

/* Cut with the names faultfs lists; marks[i] for every line before it. */
static bool *cut(json_t *names, json_int_t unlisted, bool *sure)
{
	bool *marks = NULL;
	size_t c = fl_wlm_cut(names, unlisted);

	assert_int_equal(fl_wlog_undone(fl_wlm_lines(), 0, c, &marks, sure), 0);
	return marks;
}

/* The false "disagreement" of every SQLite WAL power cut. */
static void test_a_file_removed_for_good_took_its_writes_along(void **state)
{
	size_t old, trash, now;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/x.db-shm", 5);
	old = fl_wlm_write("/x.db-shm", 5, 4096);
	fl_wlm_op("unlink", "/x.db-shm", 0);
	trash = fl_wlm_write("/.faultfs/trash/27", 5, 4096);   /* still open: the unlinked file */
	fl_wlm_op("fsyncdir", "/", 2);                /* the unlink is durable */
	fl_wlm_op("create", "/x.db-shm", 5);          /* the number, reused */
	now = fl_wlm_write("/x.db-shm", 5, 4096);
	m = cut(json_array(), 0, &sure);
	assert_true(sure);
	assert_false(m[old]);
	assert_false(m[trash]);
	assert_true(m[now]);
	free(m);
}

static void test_a_removal_the_cut_undid_brings_the_writes_back_to_undo(void **state)
{
	size_t w;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/f", 7);
	fl_wlm_op("fsyncdir", "/", 2);
	w = fl_wlm_write("/f", 7, 4096);
	fl_wlm_op("unlink", "/f", 0);
	m = cut(json_pack("[o]", fl_wlm_name("unlink", "/f", false, 1, NULL)), 0, &sure);
	assert_true(m[w]);
	free(m);
}

/* Of many unlinks of one name, the cut undid the newest ones it counts. */
static void test_only_the_newest_removals_of_a_name_are_undone(void **state)
{
	size_t first, second;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/s", 8);
	first = fl_wlm_write("/s", 8, 4096);
	fl_wlm_op("unlink", "/s", 0);
	fl_wlm_op("fsyncdir", "/", 2);
	fl_wlm_op("create", "/s", 9);
	second = fl_wlm_write("/s", 9, 4096);
	fl_wlm_op("unlink", "/s", 0);
	m = cut(json_pack("[o]", fl_wlm_name("unlink", "/s", false, 1, NULL)), 0, &sure);
	assert_false(m[first]);
	assert_true(m[second]);
	free(m);
}

static void test_a_rename_over_a_file_removes_it(void **state)
{
	size_t old, tmp;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/x", 10);
	old = fl_wlm_write("/x", 10, 4096);
	fl_wlm_op("create", "/x.tmp", 11);
	tmp = fl_wlm_write("/x.tmp", 11, 4096);
	fl_wlm_op("fsync", "/x.tmp", 11);
	fl_wlm_op2("rename", "/x.tmp", "/x", 11);
	fl_wlm_op("fsyncdir", "/", 2);
	m = cut(json_array(), 0, &sure);
	assert_false(m[old]);   /* replaced for good */
	assert_false(m[tmp]);   /* synced */
	free(m);

	/* The same rename, undone by the cut: the old /x is back, its write undone. */
	json_array_clear(fl_wlm_lines());
	fl_wlm_op("create", "/x", 10);
	old = fl_wlm_write("/x", 10, 4096);
	fl_wlm_op("create", "/x.tmp", 11);
	fl_wlm_op2("rename", "/x.tmp", "/x", 11);
	m = cut(json_pack("[o]", fl_wlm_name("rename", "/x", false, 1, NULL)), 0, &sure);
	assert_true(m[old]);
	free(m);
}

static void test_a_second_name_keeps_the_file(void **state)
{
	size_t w;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/a", 12);
	fl_wlm_op2("link", "/a", "/b", 12);
	w = fl_wlm_write("/a", 12, 4096);
	fl_wlm_op("unlink", "/a", 0);
	fl_wlm_op("fsyncdir", "/", 2);
	m = cut(json_array(), 0, &sure);
	assert_true(m[w]);
	free(m);
}

/* Names the cut did not list: no removal can be called durable. */
static void test_unlisted_names_make_every_removal_count_as_undone(void **state)
{
	size_t w;
	bool *m, sure;

	(void)state;
	fl_wlm_op("create", "/t", 13);
	w = fl_wlm_write("/t", 13, 4096);
	fl_wlm_op("unlink", "/t", 0);
	fl_wlm_op("fsyncdir", "/", 2);
	m = cut(json_array(), 3, &sure);
	assert_false(sure);
	assert_true(m[w]);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_wlm_setup, fl_wlm_teardown)
		T(test_a_file_removed_for_good_took_its_writes_along),
		T(test_a_removal_the_cut_undid_brings_the_writes_back_to_undo),
		T(test_only_the_newest_removals_of_a_name_are_undone),
		T(test_a_rename_over_a_file_removes_it),
		T(test_a_second_name_keeps_the_file),
		T(test_unlisted_names_make_every_removal_count_as_undone),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
