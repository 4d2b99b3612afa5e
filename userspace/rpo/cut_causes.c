// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Why a power cut lost data, in faultfs's own terms: read from its write
 * log, never guessed. Two kinds of cause:
 *
 * - a name the cut undid: faultfs's powercut line lists each one (create,
 *   rename, exchange, unlink) with the directory whose fsync it missed.
 *   What went with a created name is every write the log shows to it (or,
 *   for a directory, to the files under it) since that name was made,
 *   synced or not: strict mode drops the file with its data;
 * - a file's writes that no fsync/fdatasync of that inode followed before
 *   the cut (the same rule as rpo_faultfs.c's analyse()).
 *
 * Biggest loss first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/rpo_session.h>
#include "rpo_faults.h"
#include "wlog_lines.h"

/* p is want itself, or (want a directory) under it. */
static bool covers(const char *want, bool dir, const char *p)
{
	size_t n = strlen(want);

	if (!strcmp(p, want))
		return true;
	return dir && !strncmp(p, want, n) && (n == 1 || p[n] == '/');
}

/* The line made the name p (a create, mkdir, ... or a rename onto it). */
static const char *made_name(json_t *l)
{
	const char *op = fl_wlog_str(l, "op");

	if (!fl_wlog_ok(l))
		return NULL;
	if (!strcmp(op, "rename") || !strcmp(op, "link"))
		return fl_wlog_str(l, "path2");
	if (!strcmp(op, "create") || !strcmp(op, "mkdir") || !strcmp(op, "mknod") ||
	    !strcmp(op, "symlink"))
		return fl_wlog_str(l, "path");
	return NULL;
}

/* --- a list of strings (paths seen) ------------------------------------------- */

struct strs {
	char **v;
	size_t n, cap;
};

static bool strs_has(const struct strs *s, const char *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], p))
			return true;
	return false;
}

static int strs_add(struct strs *s, const char *p)
{
	if (strs_has(s, p))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(p)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* --- causes --------------------------------------------------------------------- */

struct causes {
	struct fl_rpo_loss_cause *v;
	size_t n, cap;
};

static struct fl_rpo_loss_cause *cause_new(struct causes *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct fl_rpo_loss_cause *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	c->v[c->n].acked = -1;
	return &c->v[c->n++];
}

/*
 * Everything written to what a dropped name held, since it was made:
 * walking back from the cut, a path's writes count until the line that
 * made that path (an older file of the same name is not this one).
 */
static int name_content(json_t *lines, size_t from, size_t cut, struct fl_rpo_loss_cause *c)
{
	struct fl_u64set synced = { 0 };
	struct strs made = { 0 }, files = { 0 };
	int err = 0;

	for (size_t i = cut; !err && i-- > from;) {
		json_t *l = json_array_get(lines, i);
		const char *p = made_name(l);

		if (fl_wlog_is_barrier(l)) {
			err = fl_u64set_add(&synced, fl_wlog_u64(l, "ino"));
		} else if (p && covers(c->path, c->is_dir, p)) {
			err = strs_add(&made, p);
			if (!err && !c->is_dir)
				break; /* the file itself was made here: older writes were another's */
		} else if (fl_wlog_is_write(l) && covers(c->path, c->is_dir, fl_wlog_str(l, "path")) &&
			   !strs_has(&made, fl_wlog_str(l, "path"))) {
			c->writes++;
			c->bytes += fl_wlog_u64(l, "len");
			c->synced_writes += fl_u64set_has(&synced, fl_wlog_u64(l, "ino"));
			err = strs_add(&files, fl_wlog_str(l, "path"));
		}
	}
	/* The files: those written, and those made empty. */
	for (size_t i = 0; !err && i < made.n; i++)
		err = strs_add(&files, made.v[i]);
	c->files = files.n;
	if (c->is_dir && c->files && strs_has(&files, c->path))
		c->files--; /* the directory itself is no file */
	strs_free(&made);
	strs_free(&files);
	fl_u64set_free(&synced);
	return err;
}

/* Was the directory (or file) at path fsynced at all in [from, cut)? */
static bool ever_synced(json_t *lines, size_t from, size_t cut, const char *path, bool dir)
{
	for (size_t i = from; i < cut; i++) {
		json_t *l = json_array_get(lines, i);
		const char *op = fl_wlog_str(l, "op");

		if (!fl_wlog_ok(l) || strcmp(fl_wlog_str(l, "path"), path))
			continue;
		if (dir ? !strcmp(op, "fsyncdir") : fl_wlog_is_barrier(l))
			return true;
	}
	return false;
}

/* A directory the cut dropped (a create undone) that holds p, other than p itself. */
static bool in_dropped_dir(json_t *names, const char *p)
{
	json_t *e;
	size_t i;

	json_array_foreach(names, i, e) {
		const char *d = json_string_value(json_object_get(e, "path"));

		if (d && strcmp(d, p) && json_is_true(json_object_get(e, "dir")) &&
		    !strcmp(json_string_value(json_object_get(e, "op")) ?: "", "create") &&
		    covers(d, true, p))
			return true;
	}
	return false;
}

/*
 * Part of another cause, not one of its own: a name under a dropped
 * directory; a file made and then renamed (its content is what the undone
 * rename lost: Redis's rewritten AOF base goes temp-rewriteaof-N.aof ->
 * appendonlydir/..., a save-by-rename goes x.tmp -> x).
 */
static bool folded(json_t *names, json_t *e)
{
	const char *p = json_string_value(json_object_get(e, "path")) ?: "";
	json_t *r;
	size_t i;

	if (in_dropped_dir(names, p))
		return true;
	/* A file made and renamed away: its loss is the rename's. */
	if (strcmp(json_string_value(json_object_get(e, "op")) ?: "", "create"))
		return false;
	json_array_foreach(names, i, r) {
		if (!strcmp(json_string_value(json_object_get(r, "op")) ?: "", "rename") &&
		    !strcmp(json_string_value(json_object_get(r, "from")) ?: "", p))
			return true;
	}
	return false;
}

static int name_causes(json_t *lines, size_t from, size_t cut, json_t *detail,
		       struct causes *out, uint64_t *unlisted)
{
	json_t *names = json_object_get(detail, "names"), *e;
	size_t i;
	int err = 0;

	*unlisted += fl_wlog_u64(detail, "names_unlisted");
	json_array_foreach(names, i, e) {
		struct fl_rpo_loss_cause *c;
		const char *dir = fl_wlog_str(e, "unsynced_dir");

		if (folded(names, e))
			continue;
		c = cause_new(out);
		if (!c)
			return -ENOMEM;
		snprintf(c->what, sizeof(c->what), "%s", fl_wlog_str(e, "op"));
		snprintf(c->path, sizeof(c->path), "%s", fl_wlog_str(e, "path"));
		snprintf(c->from, sizeof(c->from), "%s", fl_wlog_str(e, "from"));
		snprintf(c->missing_fsync, sizeof(c->missing_fsync), "%s", dir);
		c->is_dir = json_is_true(json_object_get(e, "dir"));
		c->count = fl_wlog_u64(e, "count");
		c->never = !strchr(dir, ' ') && !ever_synced(lines, from, cut, dir, true);
		/* A name that was made takes its data with it; a rename, the data it brought. */
		if (!strcmp(c->what, "create")) {
			err = name_content(lines, from, cut, c);
		} else if (!strcmp(c->what, "rename") && c->from[0]) {
			struct fl_rpo_loss_cause src = *c;

			snprintf(src.path, sizeof(src.path), "%s", c->from);
			err = name_content(lines, from, cut, &src);
			c->files = src.files;
			c->writes = src.writes;
			c->bytes = src.bytes;
			c->synced_writes = src.synced_writes;
		}
		if (err)
			return err;
	}
	return 0;
}

/* Per inode: the volatile writes at the cut. */
struct vol {
	uint64_t ino, writes, bytes;
	const char *path;        /* the newest one the log used */
};

static int cmp_vol(const void *a, const void *b)
{
	const struct vol *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int data_causes(json_t *lines, size_t from, size_t cut, struct causes *out,
		       size_t n_names, const bool *undone)
{
	struct fl_u64set ever = { 0 };
	struct vol *v = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	for (size_t i = from; !err && i < cut; i++)
		if (fl_wlog_is_barrier(json_array_get(lines, i)))
			err = fl_u64set_add(&ever, fl_wlog_u64(json_array_get(lines, i), "ino"));
	/* Newest first, so that each inode's first entry has its newest path. */
	for (size_t i = cut; !err && i-- > from;) {
		json_t *l = json_array_get(lines, i);

		if (!undone[i - from])
			continue;
		if (n == cap) {
			struct vol *nv = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = (struct vol){ fl_wlog_u64(l, "ino"), 1, fl_wlog_u64(l, "len"),
				       fl_wlog_str(l, "path") };
	}
	/* Stable enough: the first of an inode (backwards) keeps the newest path. */
	for (size_t i = 0; !err && i < n; i++)
		v[i].writes = i; /* remember the order for the path */
	if (!err)
		qsort(v, n, sizeof(*v), cmp_vol);
	for (size_t i = 0; !err && i < n;) {
		size_t j = i, newest = i;
		uint64_t writes = 0, bytes = 0;
		struct fl_rpo_loss_cause *c;
		bool inside = false;

		for (; j < n && v[j].ino == v[i].ino; j++) {
			writes++;
			bytes += v[j].bytes;
			if (v[j].writes < v[newest].writes)
				newest = j;
		}
		for (size_t k = 0; k < n_names; k++)
			if (!strcmp(out->v[k].what, "create") &&
			    covers(out->v[k].path, out->v[k].is_dir, v[newest].path))
				inside = true;
		if (!inside) {
			c = cause_new(out);
			if (!c) {
				err = -ENOMEM;
				break;
			}
			snprintf(c->what, sizeof(c->what), "data");
			snprintf(c->path, sizeof(c->path), "%s", v[newest].path);
			snprintf(c->missing_fsync, sizeof(c->missing_fsync), "%s", v[newest].path);
			c->never = !fl_u64set_has(&ever, v[i].ino);
			c->files = 1;
			c->writes = writes;
			c->bytes = bytes;
		}
		i = j;
	}
	free(v);
	fl_u64set_free(&ever);
	return err;
}

/* Biggest loss first (bytes, then writes); at a tie a name before data. */
static int cmp_cause(const void *a, const void *b)
{
	const struct fl_rpo_loss_cause *x = a, *y = b;
	bool dx = !strcmp(x->what, "data"), dy = !strcmp(y->what, "data");

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->writes != y->writes)
		return x->writes > y->writes ? -1 : 1;
	if (dx != dy)
		return dx - dy;
	return strcmp(x->path, y->path);
}

int fl_rpo_cut_causes(json_t *lines, size_t from, size_t cut, const bool *undone,
		      struct fl_rpo_volatility *v)
{
	json_t *detail = json_object_get(json_array_get(lines, cut), "detail");
	struct causes c = { 0 };
	uint64_t unlisted = 0;
	size_t n_names;
	int err;

	err = name_causes(lines, from, cut, detail, &c, &unlisted);
	n_names = c.n;
	if (!err)
		err = data_causes(lines, from, cut, &c, n_names, undone);
	if (err) {
		free(c.v);
		return err;
	}
	qsort(c.v, c.n, sizeof(*c.v), cmp_cause);
	if (c.n > FL_RPO_CAUSES_MAX) {
		unlisted += c.n - FL_RPO_CAUSES_MAX;
		c.n = FL_RPO_CAUSES_MAX;
	}
	free(v->causes);
	v->causes = c.v;
	v->n_causes = c.n;
	v->causes_unlisted = unlisted;
	return 0;
}

/* --- in words and in JSON ------------------------------------------------------- */

static const char *size_str(uint64_t b, char *buf, size_t len)
{
	if (b < 10 * 1024)
		snprintf(buf, len, "%" PRIu64 " bytes", b);
	else if (b < 10 * 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", b / (1024.0 * 1024.0));
	return buf;
}

static void one_text(const struct fl_rpo_loss_cause *c, char *buf, size_t len);

void fl_rpo_loss_cause_text(const struct fl_rpo_loss_cause *c, char *buf, size_t len)
{
	size_t n;

	one_text(c, buf, len);
	n = strlen(buf);
	/* A journal made and removed per transaction: one line, counted. */
	if (strcmp(c->what, "data") && c->count > 1 && n < len)
		snprintf(buf + n, len - n, " (%" PRIu64 " times)", c->count);
}

static void one_text(const struct fl_rpo_loss_cause *c, char *buf, size_t len)
{
	const char *dir = c->missing_fsync, *when = c->never ? "was never fsynced" :
		"was not fsynced after that";
	char sz[32], held[64] = "";
	size_t n;

	if (c->acked >= 0)
		snprintf(held, sizeof(held), ", %" PRId64 " acknowledged write%s", c->acked,
			 c->acked == 1 ? "" : "s");
	if (!strcmp(c->what, "data")) {
		snprintf(buf, len, "`%s`: %" PRIu64 " write%s (%s%s) with no fsync of the file "
			 "after %s (it %s): the power cut undid %s", c->path, c->writes,
			 c->writes == 1 ? "" : "s", size_str(c->bytes, sz, sizeof(sz)), held,
			 c->writes == 1 ? "it" : "them",
			 c->never ? "was never fsynced" : "was fsynced before, not after",
			 c->writes == 1 ? "it" : "them");
		return;
	}
	if (!strcmp(c->what, "create")) {
		n = (size_t)snprintf(buf, len, "`%s%s` was created but %s `%s` %s: the power cut "
				     "(durability=strict) dropped it", c->path, c->is_dir ? "/" : "",
				     c->is_dir ? "its parent directory" : "its directory", dir, when);
		if (n >= len)
			return;
		if (c->is_dir)
			snprintf(buf + n, len - n, " with the %" PRIu64 " file%s in it (%" PRIu64
				 " write%s, %s, %" PRIu64 " of them fsynced%s)", c->files,
				 c->files == 1 ? "" : "s", c->writes, c->writes == 1 ? "" : "s",
				 size_str(c->bytes, sz, sizeof(sz)), c->synced_writes, held);
		else
			snprintf(buf + n, len - n, " and its %" PRIu64 " write%s (%s, %" PRIu64
				 " of them fsynced%s)", c->writes, c->writes == 1 ? "" : "s",
				 size_str(c->bytes, sz, sizeof(sz)), c->synced_writes, held);
		return;
	}
	if (!strcmp(c->what, "rename")) {
		snprintf(buf, len, "`%s` was renamed from `%s` but directory `%s` %s: the power "
			 "cut (durability=strict) undid the rename: `%s` holds what it held "
			 "before, the new content (%" PRIu64 " write%s, %s) is gone", c->path,
			 c->from, dir, when, c->path, c->writes, c->writes == 1 ? "" : "s",
			 size_str(c->bytes, sz, sizeof(sz)));
		return;
	}
	if (!strcmp(c->what, "exchange")) {
		snprintf(buf, len, "`%s` and `%s` were exchanged but directory `%s` %s: the power "
			 "cut (durability=strict) undid the exchange", c->path, c->from, dir, when);
		return;
	}
	snprintf(buf, len, "`%s%s` was %s but directory `%s` %s: the power cut "
		 "(durability=strict) brought it back", c->path, c->is_dir ? "/" : "",
		 !strcmp(c->what, "unlink") ? "removed" : c->what, dir, when);
}

void fl_rpo_loss_why(struct fl_rpo_faultfs_check *fc)
{
	size_t n = 0;

	fc->why[0] = '\0';
	for (size_t i = 0; i < fc->n_causes && n < sizeof(fc->why); i++) {
		char one[640];

		fl_rpo_loss_cause_text(&fc->causes[i], one, sizeof(one));
		n += (size_t)snprintf(fc->why + n, sizeof(fc->why) - n, "%s%s", i ? "; " : "", one);
	}
	if (fc->causes_unlisted && n < sizeof(fc->why))
		snprintf(fc->why + n, sizeof(fc->why) - n, "; and %" PRIu64 " more",
			 fc->causes_unlisted);
}

json_t *fl_rpo_loss_causes_json(const struct fl_rpo_faultfs_check *fc)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < fc->n_causes; i++) {
		const struct fl_rpo_loss_cause *c = &fc->causes[i];
		char text[640];

		fl_rpo_loss_cause_text(c, text, sizeof(text));
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:b, s:s?, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:s}",
			"what", c->what, "path", c->path, "dir", c->is_dir,
			"from", c->from[0] ? c->from : NULL,
			"missing", strcmp(c->what, "data") ? "fsync of the directory" :
							     "fsync of the file",
			"unsynced", c->missing_fsync, "never", c->never,
			"count", (json_int_t)c->count, "files", (json_int_t)c->files,
			"writes", (json_int_t)c->writes, "bytes", (json_int_t)c->bytes,
			"synced_writes", (json_int_t)c->synced_writes,
			"acked", c->acked >= 0 ? json_integer(c->acked) : json_null(),
			"text", text));
	}
	return a;
}
