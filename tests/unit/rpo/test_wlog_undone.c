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

static json_t *lines;
static json_int_t seq;

static size_t add(json_t *l)
{
	assert_non_null(l);
	json_object_set_new(l, "seq", json_integer(++seq));
	json_object_set_new(l, "result", json_integer(0));
	json_array_append_new(lines, l);
	return json_array_size(lines) - 1;
}

static size_t op(const char *what, const char *path, json_int_t ino)
{
	return add(json_pack("{s:s, s:s, s:I}", "op", what, "path", path, "ino", ino));
}

static size_t wr(const char *path, json_int_t ino)
{
	return add(json_pack("{s:s, s:s, s:I, s:I, s:I}", "op", "write", "path", path, "ino", ino,
			     "off", (json_int_t)0, "len", (json_int_t)4096));
}

static size_t op2(const char *what, const char *path, const char *path2, json_int_t ino)
{
	return add(json_pack("{s:s, s:s, s:s, s:I}", "op", what, "path", path, "path2", path2,
			     "ino", ino));
}

static json_t *name(const char *what, const char *path, json_int_t count)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:I}", "op", what, "path", path, "dir", 0,
			 "unsynced_dir", "/", "count", count);
}

/* Cut with the names faultfs lists; marks[i] for every line before it. */
static bool *cut(json_t *names, json_int_t unlisted, bool *sure)
{
	bool *marks = NULL;
	size_t c = add(json_pack("{s:s, s:s, s:{s:o, s:I}}", "op", "powercut", "path", "/",
				 "detail", "names", names, "names_unlisted", unlisted));

	assert_int_equal(fl_wlog_undone(lines, 0, c, &marks, sure), 0);
	return marks;
}

static int setup(void **state)
{
	(void)state;
	lines = json_array();
	seq = 0;
	return lines ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(lines);
	return 0;
}

/* The false "disagreement" of every SQLite WAL power cut. */
static void test_a_file_removed_for_good_took_its_writes_along(void **state)
{
	size_t old, trash, now;
	bool *m, sure;

	(void)state;
	op("create", "/x.db-shm", 5);
	old = wr("/x.db-shm", 5);
	op("unlink", "/x.db-shm", 0);
	trash = wr("/.faultfs/trash/27", 5);   /* still open: the unlinked file */
	op("fsyncdir", "/", 2);                /* the unlink is durable */
	op("create", "/x.db-shm", 5);          /* the number, reused */
	now = wr("/x.db-shm", 5);
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
	op("create", "/f", 7);
	op("fsyncdir", "/", 2);
	w = wr("/f", 7);
	op("unlink", "/f", 0);
	m = cut(json_pack("[o]", name("unlink", "/f", 1)), 0, &sure);
	assert_true(m[w]);
	free(m);
}

/* Of many unlinks of one name, the cut undid the newest ones it counts. */
static void test_only_the_newest_removals_of_a_name_are_undone(void **state)
{
	size_t first, second;
	bool *m, sure;

	(void)state;
	op("create", "/s", 8);
	first = wr("/s", 8);
	op("unlink", "/s", 0);
	op("fsyncdir", "/", 2);
	op("create", "/s", 9);
	second = wr("/s", 9);
	op("unlink", "/s", 0);
	m = cut(json_pack("[o]", name("unlink", "/s", 1)), 0, &sure);
	assert_false(m[first]);
	assert_true(m[second]);
	free(m);
}

static void test_a_rename_over_a_file_removes_it(void **state)
{
	size_t old, tmp;
	bool *m, sure;

	(void)state;
	op("create", "/x", 10);
	old = wr("/x", 10);
	op("create", "/x.tmp", 11);
	tmp = wr("/x.tmp", 11);
	op("fsync", "/x.tmp", 11);
	op2("rename", "/x.tmp", "/x", 11);
	op("fsyncdir", "/", 2);
	m = cut(json_array(), 0, &sure);
	assert_false(m[old]);   /* replaced for good */
	assert_false(m[tmp]);   /* synced */
	free(m);

	/* The same rename, undone by the cut: the old /x is back, its write undone. */
	json_array_clear(lines);
	op("create", "/x", 10);
	old = wr("/x", 10);
	op("create", "/x.tmp", 11);
	op2("rename", "/x.tmp", "/x", 11);
	m = cut(json_pack("[o]", name("rename", "/x", 1)), 0, &sure);
	assert_true(m[old]);
	free(m);
}

static void test_a_second_name_keeps_the_file(void **state)
{
	size_t w;
	bool *m, sure;

	(void)state;
	op("create", "/a", 12);
	op2("link", "/a", "/b", 12);
	w = wr("/a", 12);
	op("unlink", "/a", 0);
	op("fsyncdir", "/", 2);
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
	op("create", "/t", 13);
	w = wr("/t", 13);
	op("unlink", "/t", 0);
	op("fsyncdir", "/", 2);
	m = cut(json_array(), 3, &sure);
	assert_false(sure);
	assert_true(m[w]);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
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
