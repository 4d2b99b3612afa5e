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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durability.h"
#include "faultfs.h"
#include "wlog.h"

struct inval_entry {
	fuse_ino_t parent;
	char *name;       /* NULL: the inode itself */
};

struct inval_list {
	struct ffs *fs;
	struct inval_entry *v;
	size_t n, cap;
	int err;
};

static void add(struct inval_list *l, fuse_ino_t ino, const char *name)
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

	add(l, ffs_inode_find(l->fs, dev, ino), NULL);
}

static void inval_entry(void *ctx, dev_t dir_dev, ino_t dir_ino, const char *name)
{
	struct inval_list *l = ctx;

	add(l, ffs_inode_find(l->fs, dir_dev, dir_ino), name);
}

static void send_all(struct ffs *fs, struct inval_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct inval_entry *e = &l->v[i];

		/* -ENOENT: the kernel forgot it meanwhile, nothing is cached. */
		if (fs->se) {
			if (e->name)
				fuse_lowlevel_notify_inval_entry(fs->se, e->parent, e->name,
								 strlen(e->name));
			else
				fuse_lowlevel_notify_inval_inode(fs->se, e->parent, 0, 0);
		}
		free(e->name);
	}
	free(l->v);
}

static void log_cut(struct ffs *fs, const struct ffs_powercut_report *r, int err,
		    bool offline)
{
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_POWERCUT, .path = "/", .result = err };
	char detail[512];

	if (!fs->wlog)
		return;
	snprintf(detail, sizeof(detail),
		 "{\"writes_undone\":%" PRIu64 ",\"writes_kept\":%" PRIu64
		 ",\"bytes_undone\":%" PRIu64 ",\"names_undone\":%" PRIu64
		 ",\"files_touched\":%" PRIu64 ",\"duration_ns\":%" PRIu64
		 ",\"offline\":%s}",
		 r->writes_undone, r->writes_kept, r->bytes_undone, r->names_undone,
		 r->files_touched, r->duration_ns, offline ? "true" : "false");
	e.detail = detail;
	ffs_wlog_append(fs->wlog, &e);
	ffs_wlog_sync(fs->wlog);
}

int ffs_powercut(struct ffs *fs, const struct ffs_powercut_opts *opts, bool stay_offline,
		 struct ffs_powercut_report *ret)
{
	static const struct ffs_powercut_opts none;
	struct inval_list l = { .fs = fs };
	struct ffs_inval_ops ops = { .inode = inval_inode, .entry = inval_entry, .ctx = &l };
	struct ffs_powercut_report rep = { 0 };
	int err;

	pthread_rwlock_wrlock(&fs->op_lock);
	if (stay_offline)
		__atomic_store_n(&fs->offline, true, __ATOMIC_RELEASE);
	err = ffs_dur_powercut(fs->dur, opts ? opts : &none, &ops, &rep);
	/* The tree changed under the size accounting: count again. */
	ffs_space_scan(fs);
	pthread_rwlock_unlock(&fs->op_lock);

	send_all(fs, &l);
	/* Names and attributes the kernel learnt before the cut are stale too. */
	if (fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, FUSE_ROOT_ID, 0, 0);
	log_cut(fs, &rep, err, stay_offline);
	if (!err && l.err)
		err = l.err;
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
