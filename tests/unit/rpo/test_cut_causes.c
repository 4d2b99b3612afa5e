// SPDX-License-Identifier: GPL-2.0-only
/*
 * Why a power cut lost data, from hand-made write logs in faultfs's format
 * (the lines `faultline fs log` gives, the powercut line's list of undone
 * names): Redis 7.0's fresh appendonlydir/ whose parent was never fsynced,
 * a rename-over without a directory fsync, a file's writes no fsync
 * followed, and names that are part of a dropped directory's loss.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include <faultline/rpo_session.h>
#include "rpo/rpo_faults.h"

static json_t *lines;
static json_int_t seq;

static void add(json_t *l)
{
	assert_non_null(l);
	json_object_set_new(l, "seq", json_integer(++seq));
	json_object_set_new(l, "result", json_integer(0));
	json_array_append_new(lines, l);
}

static void op(const char *what, const char *path, json_int_t ino)
{
	add(json_pack("{s:s, s:s, s:I}", "op", what, "path", path, "ino", ino));
}

static void wr(const char *path, json_int_t ino, json_int_t len)
{
	add(json_pack("{s:s, s:s, s:I, s:I, s:I}", "op", "write", "path", path, "ino", ino,
		      "off", (json_int_t)0, "len", len));
}

static void rename_(const char *from, const char *to, json_int_t ino)
{
	add(json_pack("{s:s, s:s, s:s, s:I}", "op", "rename", "path", from, "path2", to,
		      "ino", ino));
}

/* The cut's line: names as faultfs lists them (newest first), then the analysis. */
static void cut(json_t *names, struct fl_rpo_volatility *v)
{
	add(json_pack("{s:s, s:s, s:{s:o, s:I}}", "op", "powercut", "path", "/", "detail",
		      "names", names, "names_unlisted", (json_int_t)0));
	memset(v, 0, sizeof(*v));
	assert_int_equal(fl_rpo_cut_causes(lines, 0, json_array_size(lines) - 1, v), 0);
}

static json_t *name(const char *what, const char *path, bool dir, const char *from)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:I}", "op", what, "path", path, "dir", dir,
			      "unsynced_dir", "/", "count", (json_int_t)1);

	if (from)
		json_object_set_new(o, "from", json_string(from));
	return o;
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

static void test_redis_fresh_appendonlydir_names_the_directory_and_the_missing_parent_fsync(void **state)
{
	struct fl_rpo_volatility v;
	char text[640];

	(void)state;
	op("mkdir", "/appendonlydir", 100);
	op("create", "/temp-rewriteaof-7.aof", 101);
	wr("/temp-rewriteaof-7.aof", 101, 89);
	op("fsync", "/temp-rewriteaof-7.aof", 101);
	rename_("/temp-rewriteaof-7.aof", "/appendonlydir/appendonly.aof.1.base.rdb", 101);
	op("create", "/appendonlydir/appendonly.aof.1.incr.aof", 102);
	op("fsyncdir", "/appendonlydir", 100);
	for (int i = 0; i < 1983; i++) {
		wr("/appendonlydir/appendonly.aof.1.incr.aof", 102, 100);
		op("fdatasync", "/appendonlydir/appendonly.aof.1.incr.aof", 102);
	}
	cut(json_pack("[o, o, o]",
		      name("rename", "/appendonlydir/appendonly.aof.1.base.rdb", false,
			   "/temp-rewriteaof-7.aof"),
		      name("create", "/temp-rewriteaof-7.aof", false, NULL),
		      name("create", "/appendonlydir", true, NULL)), &v);

	/* One cause: the directory; the rename into it and its temp file are part of it. */
	assert_int_equal(v.n_causes, 1);
	assert_string_equal(v.causes[0].what, "create");
	assert_string_equal(v.causes[0].path, "/appendonlydir");
	assert_true(v.causes[0].is_dir);
	assert_string_equal(v.causes[0].missing_fsync, "/");
	assert_true(v.causes[0].never);
	assert_int_equal(v.causes[0].writes, 1983);
	assert_int_equal(v.causes[0].synced_writes, 1983);
	assert_int_equal(v.causes[0].bytes, 198300);
	assert_int_equal(v.causes[0].files, 2);
	fl_rpo_loss_cause_text(&v.causes[0], text, sizeof(text));
	print_message("%s\n", text);
	assert_non_null(strstr(text, "`/appendonlydir/` was created but its parent directory `/` "
				     "was never fsynced"));
	fl_rpo_volatility_free(&v);
}

static void test_a_rename_over_without_a_directory_fsync_is_named_with_its_source(void **state)
{
	struct fl_rpo_volatility v;
	char text[640];

	(void)state;
	op("fsyncdir", "/", 2);
	op("create", "/x.tmp", 10);
	wr("/x.tmp", 10, 3);
	op("fsync", "/x.tmp", 10);
	rename_("/x.tmp", "/x", 10);
	cut(json_pack("[o, o]", name("rename", "/x", false, "/x.tmp"),
		      name("create", "/x.tmp", false, NULL)), &v);
	assert_true(v.n_causes >= 1);
	assert_string_equal(v.causes[0].what, "rename");
	assert_string_equal(v.causes[0].from, "/x.tmp");
	/* The directory was fsynced once, before: not "never". */
	assert_false(v.causes[0].never);
	fl_rpo_loss_cause_text(&v.causes[0], text, sizeof(text));
	print_message("%s\n", text);
	assert_non_null(strstr(text, "`/x` was renamed from `/x.tmp` but directory `/` was not "
				     "fsynced after that"));
	fl_rpo_volatility_free(&v);
}

static void test_unsynced_writes_name_the_file_and_count_only_what_no_fsync_followed(void **state)
{
	struct fl_rpo_volatility v;
	char text[640];

	(void)state;
	wr("/pg_wal/000000010000000000000001", 7, 8192);
	op("fdatasync", "/pg_wal/000000010000000000000001", 7);
	wr("/pg_wal/000000010000000000000001", 7, 8192);
	wr("/pg_wal/000000010000000000000001", 7, 4096);
	wr("/base/5/1259", 8, 8192);      /* never synced */
	op("fsync", "/global/pg_control", 9);
	cut(json_array(), &v);
	assert_int_equal(v.n_causes, 2);
	/* Biggest first: the WAL's two writes after its last fdatasync. */
	assert_string_equal(v.causes[0].what, "data");
	assert_string_equal(v.causes[0].path, "/pg_wal/000000010000000000000001");
	assert_int_equal(v.causes[0].writes, 2);
	assert_int_equal(v.causes[0].bytes, 12288);
	assert_false(v.causes[0].never);
	assert_string_equal(v.causes[1].path, "/base/5/1259");
	assert_true(v.causes[1].never);
	fl_rpo_loss_cause_text(&v.causes[1], text, sizeof(text));
	print_message("%s\n", text);
	assert_non_null(strstr(text, "never fsynced"));
	fl_rpo_volatility_free(&v);
}

static void test_a_dropped_file_counts_only_its_own_incarnation(void **state)
{
	struct fl_rpo_volatility v;

	(void)state;
	/* An older log of the same name, removed; the new one made after it. */
	op("create", "/log", 20);
	wr("/log", 20, 1000);
	op("unlink", "/log", 20);
	op("create", "/log", 21);
	wr("/log", 21, 10);
	op("fsync", "/log", 21);
	wr("/log", 21, 10);
	cut(json_pack("[o]", name("create", "/log", false, NULL)), &v);
	assert_int_equal(v.n_causes, 1);
	assert_int_equal(v.causes[0].writes, 2);
	assert_int_equal(v.causes[0].synced_writes, 1);
	assert_int_equal(v.causes[0].bytes, 20);
	assert_int_equal(v.causes[0].files, 1);
	fl_rpo_volatility_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_redis_fresh_appendonlydir_names_the_directory_and_the_missing_parent_fsync),
		T(test_a_rename_over_without_a_directory_fsync_is_named_with_its_source),
		T(test_unsynced_writes_name_the_file_and_count_only_what_no_fsync_followed),
		T(test_a_dropped_file_counts_only_its_own_incarnation),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
