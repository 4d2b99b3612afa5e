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
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include <faultline/rpo_session.h>
#include "rpo/rpo_faults.h"
#include "rpo/wlog_lines.h"

#include "helpers/wlog_make.h"

/* The cut's line (no unlisted names), then the analysis of what it lost. */
static void cut(json_t *names, struct fl_rpo_volatility *v)
{
	size_t c = fl_wlm_cut(names, 0);
	bool *undone = NULL, sure;

	memset(v, 0, sizeof(*v));
	assert_int_equal(fl_wlog_undone(fl_wlm_lines(), 0, c, &undone, &sure), 0);
	assert_int_equal(fl_rpo_cut_causes(fl_wlm_lines(), 0, c, undone, v), 0);
	free(undone);
}

static void test_redis_fresh_appendonlydir_names_the_directory_and_the_missing_parent_fsync(void **state)
{
	struct fl_rpo_volatility v;
	char text[640];

	(void)state;
	fl_wlm_op("mkdir", "/appendonlydir", 100);
	fl_wlm_op("create", "/temp-rewriteaof-7.aof", 101);
	fl_wlm_write("/temp-rewriteaof-7.aof", 101, 89);
	fl_wlm_op("fsync", "/temp-rewriteaof-7.aof", 101);
	fl_wlm_op2("rename", "/temp-rewriteaof-7.aof", "/appendonlydir/appendonly.aof.1.base.rdb",
		   101);
	fl_wlm_op("create", "/appendonlydir/appendonly.aof.1.incr.aof", 102);
	fl_wlm_op("fsyncdir", "/appendonlydir", 100);
	for (int i = 0; i < 1983; i++) {
		fl_wlm_write("/appendonlydir/appendonly.aof.1.incr.aof", 102, 100);
		fl_wlm_op("fdatasync", "/appendonlydir/appendonly.aof.1.incr.aof", 102);
	}
	cut(json_pack("[o, o, o]",
		      fl_wlm_name("rename", "/appendonlydir/appendonly.aof.1.base.rdb", false, 1,
				  "/temp-rewriteaof-7.aof"),
		      fl_wlm_name("create", "/temp-rewriteaof-7.aof", false, 1, NULL),
		      fl_wlm_name("create", "/appendonlydir", true, 1, NULL)), &v);

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
	fl_wlm_op("fsyncdir", "/", 2);
	fl_wlm_op("create", "/x.tmp", 10);
	fl_wlm_write("/x.tmp", 10, 3);
	fl_wlm_op("fsync", "/x.tmp", 10);
	fl_wlm_op2("rename", "/x.tmp", "/x", 10);
	cut(json_pack("[o, o]", fl_wlm_name("rename", "/x", false, 1, "/x.tmp"),
		      fl_wlm_name("create", "/x.tmp", false, 1, NULL)), &v);
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
	fl_wlm_write("/pg_wal/000000010000000000000001", 7, 8192);
	fl_wlm_op("fdatasync", "/pg_wal/000000010000000000000001", 7);
	fl_wlm_write("/pg_wal/000000010000000000000001", 7, 8192);
	fl_wlm_write("/pg_wal/000000010000000000000001", 7, 4096);
	fl_wlm_write("/base/5/1259", 8, 8192);      /* never synced */
	fl_wlm_op("fsync", "/global/pg_control", 9);
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
	fl_wlm_op("create", "/log", 20);
	fl_wlm_write("/log", 20, 1000);
	fl_wlm_op("unlink", "/log", 20);
	fl_wlm_op("create", "/log", 21);
	fl_wlm_write("/log", 21, 10);
	fl_wlm_op("fsync", "/log", 21);
	fl_wlm_write("/log", 21, 10);
	cut(json_pack("[o]", fl_wlm_name("create", "/log", false, 1, NULL)), &v);
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
#define T(f) cmocka_unit_test_setup_teardown(f, fl_wlm_setup, fl_wlm_teardown)
		T(test_redis_fresh_appendonlydir_names_the_directory_and_the_missing_parent_fsync),
		T(test_a_rename_over_without_a_directory_fsync_is_named_with_its_source),
		T(test_unsynced_writes_name_the_file_and_count_only_what_no_fsync_followed),
		T(test_a_dropped_file_counts_only_its_own_incarnation),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
