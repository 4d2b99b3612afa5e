// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which writes a faultfs power cut undid, from the write log.
 *
 * What the write log can say about a power cut (fl_rpo_faultfs_volatile_at_cut):
 * - It has one line per write call faultfs executed (path, backing inode,
 *   offset, length, crc32 of the bytes, result) and one per fsync and
 *   fdatasync (with its result), in the order faultfs logged them, then a
 *   "powercut" line with the report. In the durability model a file's
 *   writes become durable at the next successful fsync/fdatasync of that
 *   file; so a write with no such barrier of its file after it is exactly
 *   what the cut undid (report.writes_undone counts the same thing),
 *   unless the file was removed for good before the cut and took its
 *   writes with it (wlog_lines.c: fl_wlog_undone).
 * - It keeps no data: a lost write is identified by offset, length and
 *   crc32. For a store that writes one record per write(2) that is enough
 *   to name the record (crc32 of the line the store wrote).
 * - Log order is faultfs's order, taken after each operation: a write and
 *   an fsync of the same file running at the same moment on two threads
 *   may be logged in the other order than the model applied them.
 * - Names are not in the rule above: in durability=strict a file created
 *   after the last fsync of its directory disappears at the cut with all
 *   its writes, synced or not; its writes are listed by the rule above only
 *   if unsynced. The powercut line lists the names the cut undid and the
 *   directory fsync each missed: cut_causes.c turns both into the causes.
 * - keep_ppm > 0, torn= and drop=/fsyncgate rules make the outcome partly
 *   random or make synced writes lost: the result says it is not exact,
 *   and writes hit by such a rule are flagged lost_anyway.
 * - Only the cut's own effect is visible: writes that never reached faultfs
 *   (still in the service's memory when it was killed) are not in the log.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "rpo_faults.h"
#include "wlog_lines.h"

/* A fault that makes acknowledged (even synced) data of the file lost. */
static bool is_lossy_fault(json_t *l)
{
	const char *d = json_string_value(json_object_get(l, "detail"));

	return !strcmp(fl_wlog_str(l, "op"), "fault") && d &&
	       (strstr(d, "torn write") || strstr(d, "dropped write") || strstr(d, "fsyncgate"));
}

static bool path_is(json_t *l, const char *want)
{
	const char *p = json_string_value(json_object_get(l, "path"));

	return p && !strcmp(p, want);
}

static int add_write(struct fl_rpo_volatility *v, size_t *cap, json_t *l, bool lost_anyway)
{
	struct fl_rpo_wlog_write *w;

	if (v->n_writes == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *p = realloc(v->writes, ncap * sizeof(*v->writes));

		if (!p)
			return -ENOMEM;
		v->writes = p;
		*cap = ncap;
	}
	w = &v->writes[v->n_writes++];
	memset(w, 0, sizeof(*w));
	w->seq = fl_wlog_u64(l, "seq");
	w->ts_ns = fl_wlog_u64(l, "ts_ns");
	w->ino = fl_wlog_u64(l, "ino");
	w->off = json_integer_value(json_object_get(l, "off"));
	w->len = fl_wlog_u64(l, "len");
	w->crc32 = (uint32_t)strtoul(fl_wlog_str(l, "crc32")[0] ? fl_wlog_str(l, "crc32") : "0",
				     NULL, 16);
	w->lost_anyway = lost_anyway;
	snprintf(w->path, sizeof(w->path), "%s", fl_wlog_str(l, "path"));
	return 0;
}

/*
 * The writes the cut undid (fl_wlog_undone), those of want's file kept
 * in v in seq order, and the last barriers before the cut.
 */
static int analyse(json_t *lines, size_t from, size_t cut, const bool *undone, bool sure,
		   const char *want, struct fl_rpo_volatility *v)
{
	struct fl_u64set lossy = { 0 }, mine = { 0 };
	size_t cap = 0;
	int err = 0;

	/* The inodes the path named at any time in the window; the files a lossy rule hit. */
	for (size_t i = from; !err && i < cut; i++) {
		json_t *l = json_array_get(lines, i);

		if (want && path_is(l, want))
			err = fl_u64set_add(&mine, fl_wlog_u64(l, "ino"));
		if (!err && is_lossy_fault(l))
			err = fl_u64set_add(&lossy, fl_wlog_u64(l, "ino"));
	}
	for (size_t i = from; !err && i < cut; i++) {
		json_t *l = json_array_get(lines, i);
		uint64_t ino = fl_wlog_u64(l, "ino");
		bool ours = !want || fl_u64set_has(&mine, ino);

		if (fl_wlog_is_barrier(l) ||
		    (fl_wlog_ok(l) && !strcmp(fl_wlog_str(l, "op"), "fsyncdir"))) {
			v->last_any_barrier_seq = fl_wlog_u64(l, "seq");
			v->last_any_barrier_ts_ns = fl_wlog_u64(l, "ts_ns");
		}
		if (fl_wlog_is_barrier(l) && ours) {
			v->last_barrier_seq = fl_wlog_u64(l, "seq");
			v->last_barrier_ts_ns = fl_wlog_u64(l, "ts_ns");
		}
		if (!undone[i - from])
			continue;
		v->all_volatile_writes++;
		if (ours)
			err = add_write(v, &cap, l, fl_u64set_has(&lossy, ino));
	}
	if (!err && !sure) {
		v->exact = false;
		snprintf(v->note, sizeof(v->note), "the cut listed only some of the names it "
			 "undid: a file removed before it may be counted as undone");
	}
	if (!err && lossy.n) {
		v->exact = false;
		snprintf(v->note, sizeof(v->note), "a torn/drop/fsyncgate fault hit %zu file(s): "
			 "their writes are lost even when synced", lossy.n);
	}
	fl_u64set_free(&lossy);
	fl_u64set_free(&mine);
	return err;
}

int fl_rpo_faultfs_volatile_at_cut(struct fl_rpo_faultfs *ff, const char *path,
				   uint64_t since, struct fl_rpo_volatility *ret)
{
	struct fl_rpo_volatility v = { .exact = true };
	char want[PATH_MAX];
	json_t *lines = NULL, *cutl;
	bool *undone = NULL, sure = true;
	size_t n, from = 0, cut;
	int err;

	if (!ff || !ret)
		return -EINVAL;
	if (path)
		snprintf(want, sizeof(want), "%s%s", path[0] == '/' ? "" : "/", path);
	err = fl_rpo_faultfs_log(ff, since, &lines);
	if (err)
		return err;
	n = json_array_size(lines);
	for (cut = 0; cut < n; cut++)
		if (!strcmp(fl_wlog_str(json_array_get(lines, cut), "op"), "powercut"))
			break;
	if (cut == n) {
		json_decref(lines);
		return -ENOENT;
	}
	/* A cut before ours (when since reaches back that far) settled everything before it. */
	for (size_t i = 0; i < cut; i++)
		if (!strcmp(fl_wlog_str(json_array_get(lines, i), "op"), "powercut"))
			from = i + 1;
	cutl = json_array_get(lines, cut);
	v.cut_seq = fl_wlog_u64(cutl, "seq");
	v.cut_ts_ns = fl_wlog_u64(cutl, "ts_ns");
	v.from_seq = from < n ? fl_wlog_u64(json_array_get(lines, from), "seq") : v.cut_seq;
	fl_rpo_powercut_from_json(json_object_get(cutl, "detail"), &v.report);
	/* Which writes the cut undid: one walk, read by the check and by the causes. */
	err = fl_wlog_undone(lines, from, cut, &undone, &sure);
	if (!err)
		err = analyse(lines, from, cut, undone, sure, path ? want : NULL, &v);
	if (!err)
		err = fl_rpo_cut_causes(lines, from, cut, undone, &v);
	free(undone);
	json_decref(lines);
	if (err) {
		free(v.writes);
		free(v.causes);
		return err;
	}
	if (v.report.writes_kept) {
		v.exact = false;
		snprintf(v.note, sizeof(v.note), "the cut kept %llu volatile write(s) (keep_ppm "
			 "or torn): the log cannot tell which",
			 (unsigned long long)v.report.writes_kept);
	} else if (v.exact && v.all_volatile_writes != v.report.writes_undone) {
		snprintf(v.note, sizeof(v.note), "disagreement: the log shows %llu volatile "
			 "write(s), the cut undid %llu",
			 (unsigned long long)v.all_volatile_writes,
			 (unsigned long long)v.report.writes_undone);
	} else if (v.exact && v.report.names_undone) {
		snprintf(v.note, sizeof(v.note), "the cut also undid %llu name operation(s): a "
			 "file created after its directory's last fsync is gone with all its "
			 "writes, synced or not", (unsigned long long)v.report.names_undone);
	}
	*ret = v;
	return 0;
}

void fl_rpo_volatility_free(struct fl_rpo_volatility *v)
{
	if (!v)
		return;
	free(v->writes);
	v->writes = NULL;
	v->n_writes = 0;
	free(v->causes);
	v->causes = NULL;
	v->n_causes = 0;
}

