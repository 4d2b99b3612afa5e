// SPDX-License-Identifier: GPL-2.0-only
/*
 * The power cut of a whole mount: with the operations lock held
 * exclusively, the durability model undoes everything volatile; then the
 * kernel's caches of every touched inode and name are invalidated.
 *
 * The invalidations are sent after the lock is released: invalidating a
 * page the kernel holds locked for a pending read, or a name in a
 * directory whose lock a pending create holds, waits for that request,
 * and the request would wait for the operations lock.
 *
 * Orphans, the files the cut shrinks and leaves without a name, are freed
 * after the answer when nobody can see them: see powercut_orphans.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include <jansson.h>

#include "core/clock.h"
#include "durability.h"
#include "faultfs.h"
#include "powercut_priv.h"
#include "wlog.h"

/* The cut's priority while it holds requests off (see ffs_powercut). */
#define CUT_NICE (-10)


struct inval_entry {
	fuse_ino_t parent;
	char *name;       /* NULL: the inode itself */
	int64_t from;     /* the inode: its pages from this byte on */
};

/*
 * The names the cut undid, for the log's powercut line: one entry per
 * (op, path, from), counted, at most NAMES_LISTED of them (a journal that
 * is created and deleted per transaction would repeat itself thousands of
 * times); the rest are only counted.
 */
#define NAMES_LISTED 64

struct name_entry {
	const char *op;
	char *path, *from;       /* from: a rename's source */
	char *unsynced;          /* the directories whose fsync was missing, "/a /b" */
	bool is_dir;
	uint64_t count;
};

struct inval_list {
	struct ffs *fs;
	struct inval_entry *v;
	size_t n, cap;
	struct cut_orphans orphans;
	struct name_entry names[NAMES_LISTED];
	size_t n_names;
	uint64_t names_unlisted;
	int err;
};

static void add(struct inval_list *l, fuse_ino_t ino, const char *name, int64_t from)
{
	struct inval_entry *v;

	if (!ino || l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].parent = ino;
	l->v[l->n].from = from;
	l->v[l->n].name = name ? strdup(name) : NULL;
	if (name && !l->v[l->n].name) {
		l->err = -ENOMEM;
		return;
	}
	l->n++;
}

static void inval_inode(void *ctx, dev_t dev, ino_t ino)
{
	struct inval_list *l = ctx;

	add(l, ffs_inode_find(l->fs, dev, ino), NULL, 0);
}

static void inval_data(void *ctx, dev_t dev, ino_t ino, int64_t from)
{
	struct inval_list *l = ctx;

	add(l, ffs_inode_find(l->fs, dev, ino), NULL, from);
}

static void inval_entry(void *ctx, dev_t dir_dev, ino_t dir_ino, const char *name)
{
	struct inval_list *l = ctx;

	add(l, ffs_inode_find(l->fs, dir_dev, dir_ino), name, 0);
}

static void orphan(void *ctx, dev_t dev, ino_t ino, int fd, int64_t size,
		   const struct ffs_orphan_name *names, size_t n_names)
{
	struct inval_list *l = ctx;

	cut_orphan_add(l->fs, &l->orphans, dev, ino, fd, size, names, n_names);
}

/* The lowest byte the cut changed of node (0 if it is not listed). */
static int64_t data_from(void *ctx, fuse_ino_t node)
{
	const struct inval_list *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].parent == node && !l->v[i].name)
			return l->v[i].from;
	return 0;
}

/* The path inside the mount of the backing directory fd, "/" for the root; "" if unknown. */
static void dir_path(struct ffs *fs, int fd, char *buf, size_t len)
{
	char proc[64], tmp[PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, tmp, sizeof(tmp) - 1);
	if (n <= 0)
		return;
	tmp[n] = '\0';
	if (strncmp(tmp, fs->backing, fs->backing_len) ||
	    (tmp[fs->backing_len] != '/' && tmp[fs->backing_len] != '\0'))
		return;
	snprintf(buf, len, "%s", tmp[fs->backing_len] ? tmp + fs->backing_len : "/");
}

static char *join(const char *dir, const char *name)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) < 0)
		return NULL;
	return s;
}

static void name_undone(void *ctx, const struct ffs_name_undone *u)
{
	struct inval_list *l = ctx;
	char d1[PATH_MAX], d2[PATH_MAX] = "";
	char *path, *from = NULL, *unsynced = NULL;
	bool two = u->dir2_fd >= 0 && u->name2;
	struct name_entry *e;

	dir_path(l->fs, u->dir1_fd, d1, sizeof(d1));
	if (two)
		dir_path(l->fs, u->dir2_fd, d2, sizeof(d2));
	/* A rename is named by where it went, an exchange by its first name. */
	if (two && !strcmp(u->op, "rename")) {
		path = join(d2, u->name2);
		from = join(d1, u->name1);
	} else {
		path = join(d1, u->name1);
		if (two)
			from = join(d2, u->name2);
	}
	if (asprintf(&unsynced, "%s%s%s", !u->dir1_synced ? d1 : "",
		     two && !u->dir2_synced && strcmp(d1, d2) && !u->dir1_synced ? " " : "",
		     two && !u->dir2_synced && (strcmp(d1, d2) || u->dir1_synced) ? d2 : "") < 0)
		unsynced = NULL;
	if (!path || (two && !from) || !unsynced)
		goto drop;
	for (size_t i = 0; i < l->n_names; i++) {
		e = &l->names[i];
		if (e->op == u->op && !strcmp(e->path, path) &&
		    !strcmp(e->from ? e->from : "", from ? from : "")) {
			e->count++;
			goto drop;
		}
	}
	if (l->n_names == NAMES_LISTED) {
		l->names_unlisted++;
		goto drop;
	}
	l->names[l->n_names++] = (struct name_entry){
		.op = u->op, .path = path, .from = from, .unsynced = unsynced,
		.is_dir = u->is_dir, .count = 1,
	};
	return;
drop:
	free(path);
	free(from);
	free(unsynced);
}

/*
 * Names first: a file whose create the cut undid and that nobody holds open
 * leaves the kernel's cache with its dentry, and the kernel then truncates
 * its pages as it evicts it, far faster than invalidating them one by one
 * (0.14 s for 1 GiB); its inode's own invalidation then finds nothing
 * (-ENOENT) and costs nothing. A file still open or mapped keeps its inode
 * and gets its pages invalidated as before.
 */
static void send_all(struct ffs *fs, struct inval_list *l)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < l->n; i++) {
			struct inval_entry *e = &l->v[i];

			/* -ENOENT: the kernel forgot it meanwhile, nothing is cached. */
			if (!fs->se || (pass == 0) != (e->name != NULL))
				continue;
			if (!e->name && cut_orphans_has(&l->orphans, e->parent))
				continue;   /* cut_orphans_settle: after its cut */
			if (e->name && cut_orphans_expires(&l->orphans, e->parent, e->name))
				continue;   /* cut_orphans_settle: expired only */
			if (e->name)
				fuse_lowlevel_notify_inval_entry(fs->se, e->parent, e->name,
								 strlen(e->name));
			else
				fuse_lowlevel_notify_inval_inode(fs->se, e->parent, e->from, 0);
		}
	}
	cut_orphans_settle(fs, &l->orphans, data_from, l);
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

static json_t *names_json(const struct inval_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < l->n_names; i++) {
		const struct name_entry *e = &l->names[i];
		json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:I}", "op", e->op, "path", e->path,
				      "dir", e->is_dir, "unsynced_dir", e->unsynced,
				      "count", (json_int_t)e->count);

		if (o && e->from)
			json_object_set_new(o, "from", json_string(e->from));
		json_array_append_new(a, o);
	}
	return a;
}

static void free_names(struct inval_list *l)
{
	for (size_t i = 0; i < l->n_names; i++) {
		free(l->names[i].path);
		free(l->names[i].from);
		free(l->names[i].unsynced);
	}
	l->n_names = 0;
}

/*
 * The powercut line's detail: the report, and which names were undone and
 * the directory fsync each one missed (what a reader of the log needs to
 * say why a file is gone).
 */
static void log_cut(struct ffs *fs, const struct ffs_powercut_report *r, int err,
		    bool offline, const struct inval_list *l)
{
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_POWERCUT, .path = "/", .result = err };
	json_t *o;
	char *detail;

	if (!fs->wlog)
		return;
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:I, s:I, s:I, s:I}",
		      "writes_undone", (json_int_t)r->writes_undone,
		      "writes_kept", (json_int_t)r->writes_kept,
		      "bytes_undone", (json_int_t)r->bytes_undone,
		      "names_undone", (json_int_t)r->names_undone,
		      "files_touched", (json_int_t)r->files_touched,
		      "duration_ns", (json_int_t)r->duration_ns,
		      "wait_ns", (json_int_t)r->wait_ns, "inval_ns", (json_int_t)r->inval_ns,
		      "offline", offline, "names", names_json(l),
		      "names_unlisted", (json_int_t)l->names_unlisted,
		      "freed_after", (json_int_t)l->orphans.deferred,
		      "freed_after_bytes", (json_int_t)l->orphans.deferred_bytes,
		      "orphans_cut", (json_int_t)l->orphans.cut);
	detail = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	e.detail = detail ? detail : "{}";
	ffs_wlog_append(fs->wlog, &e);
	/*
	 * The line is in the file (readers see it) once appended. Its device
	 * flush guards only against a real crash of the host, and on a busy
	 * disk it took seconds: a cut from the control socket leaves it to the
	 * caller, after the answer (cmd_powercut); a rule's cut answered EIO
	 * already, so it flushes here.
	 */
	if (offline)
		ffs_wlog_sync(fs->wlog);
	free(detail);
}

int ffs_powercut(struct ffs *fs, const struct ffs_powercut_opts *opts, bool stay_offline,
		 struct ffs_powercut_report *ret)
{
	static const struct ffs_powercut_opts none;
	struct inval_list l = { .fs = fs };
	struct ffs_inval_ops ops = { .inode = inval_inode, .data = inval_data,
				     .entry = inval_entry, .name = name_undone, .orphan = orphan,
				     .ctx = &l };
	struct ffs_powercut_report rep = { 0 };
	uint64_t t0 = fl_now_ns(), t1, t2;
	int err, nice_was;
	bool boosted;

	/*
	 * Every request waits while the cut runs, and most of its time is the
	 * kernel freeing what the cut dropped (blocks of the backing files,
	 * pages of the mount's cache), in this thread: on a busy machine it
	 * got a third of a CPU and took seconds. It runs at a raised priority
	 * (root only; else as it is) until it answered.
	 */
	ffs_powercut_finish(fs);   /* a previous cut's, if not yet done */
	errno = 0;
	nice_was = getpriority(PRIO_PROCESS, 0);
	boosted = !errno && nice_was > CUT_NICE && !setpriority(PRIO_PROCESS, 0, CUT_NICE);

	pthread_rwlock_wrlock(&fs->op_lock);
	t1 = fl_now_ns();
	if (stay_offline)
		__atomic_store_n(&fs->offline, true, __ATOMIC_RELEASE);
	err = ffs_dur_powercut(fs->dur, opts ? opts : &none, &ops, &rep);
	cut_orphans_plan(fs, &l.orphans);
	/* The tree changed under the size accounting: count again. */
	ffs_space_scan(fs);
	pthread_rwlock_unlock(&fs->op_lock);

	t2 = fl_now_ns();
	send_all(fs, &l);
	/* Names and attributes the kernel learnt before the cut are stale too. */
	if (fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, FUSE_ROOT_ID, 0, 0);
	rep.wait_ns = t1 - t0;
	rep.inval_ns = fl_now_ns() - t2;
	if (boosted)
		setpriority(PRIO_PROCESS, 0, nice_was);
	log_cut(fs, &rep, err, stay_offline, &l);
	/* A rule's cut answers EIO anyway: nobody waits for the freeing. */
	if (stay_offline)
		ffs_powercut_finish(fs);
	free_names(&l);
	if (!err && l.err)
		err = l.err;
	if (!err && l.orphans.err)
		err = l.orphans.err;
	if (!err && ret)
		*ret = rep;
	return err;
}

int ffs_resume(struct ffs *fs)
{
	pthread_rwlock_wrlock(&fs->op_lock);
	__atomic_store_n(&fs->offline, false, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&fs->op_lock);
	return 0;
}
