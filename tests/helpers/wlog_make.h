/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: a write log in faultfs's format (the JSON lines `faultline
 * fs log` gives), made by hand one line at a time, for the unit tests of
 * what reads it (the undone writes, the causes of a power cut's loss).
 * A hand-made log states exactly the history a test is about, which a real
 * mount could give only by luck of timing. (Not named wlog_lines: that is
 * the library's reader, userspace/rpo/wlog_lines.h.)
 *
 *   cmocka_unit_test_setup_teardown(test_x, fl_wlm_setup, fl_wlm_teardown)
 *   fl_wlm_op("create", "/f", 7);
 *   w = fl_wlm_write("/f", 7, 4096);
 *   c = fl_wlm_cut(json_pack("[o]", fl_wlm_name("create", "/f", false, 1, NULL)), 0);
 *   fl_wlog_undone(fl_wlm_lines(), 0, c, &marks, &sure);   // marks[w]...
 *
 * Every line gets the next seq and result 0 (it succeeded); each adder
 * returns the line's index in fl_wlm_lines().
 */
#ifndef FL_TEST_WLOG_MAKE_H
#define FL_TEST_WLOG_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* cmocka setup/teardown: a fresh, empty log for each test. */
int fl_wlm_setup(void **state);
int fl_wlm_teardown(void **state);
/* The log so far (borrowed: the teardown frees it). */
json_t *fl_wlm_lines(void);

/* Append line (stolen), numbered. */
size_t fl_wlm_add(json_t *line);
/* An operation on one name: create, mkdir, unlink, fsync, fdatasync, fsyncdir... */
size_t fl_wlm_op(const char *what, const char *path, json_int_t ino);
/* An operation on two names: rename path to path2, link path as path2. */
size_t fl_wlm_op2(const char *what, const char *path, const char *path2, json_int_t ino);
/* A write of len bytes at offset 0. */
size_t fl_wlm_write(const char *path, json_int_t ino, json_int_t len);
/*
 * The power cut, with the names it undid as faultfs lists them (newest
 * first; names stolen) and how many more it did not list.
 */
size_t fl_wlm_cut(json_t *names, json_int_t unlisted);
/*
 * One entry of the cut's names: the name operation it undid, whose
 * directory ("/") was never fsynced, count times; from: a rename's old
 * name, or NULL.
 */
json_t *fl_wlm_name(const char *what, const char *path, bool dir, json_int_t count,
		    const char *from);

#endif /* FL_TEST_WLOG_MAKE_H */
