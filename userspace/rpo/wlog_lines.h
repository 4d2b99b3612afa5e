/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading faultfs's write log after a power cut: the line accessors, a
 * set of u64, and the one rule both the volatility check (wlog_volatile.c)
 * and the causes (cut_causes.c) apply to decide which writes the cut undid.
 */
#ifndef FL_RPO_WLOG_LINES_H
#define FL_RPO_WLOG_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* A set of u64, open addressing; 0 is never stored. */
struct fl_u64set {
	uint64_t *v;
	size_t n, cap;
};

bool fl_u64set_has(const struct fl_u64set *s, uint64_t x);
int fl_u64set_add(struct fl_u64set *s, uint64_t x);
void fl_u64set_free(struct fl_u64set *s);

/* A line's string field ("" when absent), unsigned field (0 when absent or negative). */
const char *fl_wlog_str(json_t *l, const char *key);
uint64_t fl_wlog_u64(json_t *l, const char *key);
bool fl_wlog_ok(json_t *l);            /* result 0 */
bool fl_wlog_is_barrier(json_t *l);    /* a successful fsync or fdatasync */
bool fl_wlog_is_write(json_t *l);      /* a successful write */

/*
 * Which lines of [from, cut) are writes the cut undid: ret_marks[i - from]
 * is true for a successful write whose file had no successful fsync or
 * fdatasync after it and was still there to be rolled back. A file removed
 * for good before the cut (its last name unlinked or renamed over, and
 * that removal not among the names the cut undid) took its writes with it:
 * the cut had nothing of it to undo, so they are not marked. Files are
 * followed by their life, not their inode number, which the backing
 * filesystem reuses. ret_sure is false when the cut listed only some of
 * the names it undid, so a removal could not be told durable. Free
 * *ret_marks.
 */
int fl_wlog_undone(json_t *lines, size_t from, size_t cut, bool **ret_marks, bool *ret_sure);

#endif /* FL_RPO_WLOG_LINES_H */
