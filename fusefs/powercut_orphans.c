// SPDX-License-Identifier: GPL-2.0-only
/*
 * The files a power cut leaves without a name (typically an unsynced file
 * whose create it undid), and that it must also shrink. Freeing their data
 * is the costly part of a cut: the backing file's blocks (0.05 to 0.6 s
 * per GiB on a disk mounted with discard) and the pages the kernel caches
 * for the mount (0.1 s per GiB, in the eviction an invalidation of the
 * name causes). Neither needs to hold the answer when nobody can see it.
 *
 * Under the operations lock, after the undo (cut_orphans_plan): an orphan
 * that no open file of ours refers to (the kernel opens through faultfs,
 * so an open fd or mapping on the mount is a descriptor here; opens wait
 * for the lock) is hidden: until it is freed, every request on its inode
 * fails with ENOENT (ffs_powercut_hidden, from opctx.c), as on a file that
 * no longer exists; so an open or a stat that raced the cut, holding its
 * dentry, cannot see its data either. Its names are only expired in the
 * kernel (a lookup asks faultfs again, which says ENOENT), its attributes
 * invalidated, and the cut answers. ffs_powercut_finish then invalidates
 * its names for real (the kernel drops its pages), cuts the backing file
 * to its durable size, drops whatever pages the kernel still holds, and
 * only then lets requests on it through.
 *
 * An orphan some open file refers to is not hidden: after its names are
 * invalidated, the kernel is asked whether it still holds the inode (an
 * attribute-only invalidation: -ENOENT says no). If it does, the file is
 * cut and its pages dropped before the answer; if not, nothing can reach
 * it again and it is freed after the answer like a hidden one.
 *
 * ffs_powercut_finish runs after the answer (cmd_powercut), at the start
 * of the next cut, right after a rule's cut (offline) and before unmount
 * (faultfs.c). If faultfs dies first, the kernel closes our fds and frees
 * the nameless inodes itself (ext4's orphan list after a host crash), and
 * the mount goes with faultfs: a restart finds nothing to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "powercut_priv.h"

/* One faultfs process serves one mount: the hidden set and the finisher's lock are its. */
static pthread_mutex_t hidden_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { dev_t dev; ino_t ino; } *hidden;
static size_t n_hidden, cap_hidden;  /* n_hidden: atomic, for the requests' fast path */
static pthread_mutex_t finish_lock = PTHREAD_MUTEX_INITIALIZER;

/* A queued orphan (fs->orphans): everything ffs_powercut_finish needs. */
struct ffs_orphan {
	struct ffs_orphan *next;
	struct cut_orphan o;
};

bool ffs_powercut_hidden(struct ffs *fs, dev_t dev, ino_t ino)
{
	bool found = false;

	(void)fs;
	if (!__atomic_load_n(&n_hidden, __ATOMIC_ACQUIRE))
		return false;
	pthread_mutex_lock(&hidden_lock);
	for (size_t i = 0; i < n_hidden && !found; i++)
		found = hidden[i].dev == dev && hidden[i].ino == ino;
	pthread_mutex_unlock(&hidden_lock);
	return found;
}

static int hide(dev_t dev, ino_t ino)
{
	int err = 0;

	pthread_mutex_lock(&hidden_lock);
	if (n_hidden == cap_hidden) {
		size_t cap = cap_hidden ? cap_hidden * 2 : 8;
		void *v = realloc(hidden, cap * sizeof(*hidden));

		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		hidden = v;
		cap_hidden = cap;
	}
	hidden[n_hidden].dev = dev;
	hidden[n_hidden].ino = ino;
	__atomic_store_n(&n_hidden, n_hidden + 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&hidden_lock);
	return err;
}

static void unhide(dev_t dev, ino_t ino)
{
	pthread_mutex_lock(&hidden_lock);
	for (size_t i = 0; i < n_hidden; i++) {
		if (hidden[i].dev == dev && hidden[i].ino == ino) {
			hidden[i] = hidden[n_hidden - 1];
			__atomic_store_n(&n_hidden, n_hidden - 1, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&hidden_lock);
}

static void orphan_free(struct cut_orphan *o)
{
	for (size_t i = 0; i < o->n_names; i++)
		free(o->names[i].name);
	free(o->names);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

void cut_orphan_add(struct ffs *fs, struct cut_orphans *c, dev_t dev, ino_t ino, int fd,
		    int64_t size, const struct ffs_orphan_name *names, size_t n_names)
{
	struct cut_orphan *o;
	struct stat st;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct cut_orphan *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			/* Cut it here: the lock is still held, nobody sees it late. */
			if (ftruncate(fd, size) && !c->err)
				c->err = -errno;
			close(fd);
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	o = &c->v[c->n++];
	*o = (struct cut_orphan){
		.dev = dev, .ino = ino, .node = ffs_inode_find(fs, dev, ino), .fd = fd,
		.size = size,
		.bytes = !fstat(fd, &st) && st.st_size > size ? (uint64_t)(st.st_size - size) : 0,
	};
	o->names = n_names ? calloc(n_names, sizeof(*o->names)) : NULL;
	for (size_t i = 0; o->names && i < n_names; i++) {
		o->names[o->n_names].parent = ffs_inode_find(fs, names[i].dir_dev, names[i].dir_ino);
		o->names[o->n_names].name = strdup(names[i].name);
		if (o->names[o->n_names].name)
			o->n_names++;
	}
}

static bool is_orphan_fd(const struct cut_orphans *c, int fd)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].fd == fd)
			return true;
	return false;
}

void cut_orphans_plan(struct ffs *fs, struct cut_orphans *c)
{
	struct dirent *de;
	bool *held = NULL, any = false;
	DIR *d = NULL;

	for (size_t i = 0; i < c->n; i++)
		any |= c->v[i].node && c->v[i].n_names;
	if (!any || !fs->se)
		return;
	held = calloc(c->n, sizeof(*held));
	d = opendir("/proc/self/fd");
	if (!held || !d)
		goto out;   /* nothing hidden: the slower, safe path */
	/* Every descriptor that opens the file (not O_PATH) is the kernel's open file. */
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		struct stat st;
		int fl;

		if (end == de->d_name || *end || fd == dirfd(d) || is_orphan_fd(c, (int)fd))
			continue;
		fl = fcntl((int)fd, F_GETFL);
		if (fl < 0 || (fl & O_PATH) || fstat((int)fd, &st) || !S_ISREG(st.st_mode))
			continue;
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].dev == st.st_dev && c->v[i].ino == st.st_ino)
				held[i] = true;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct cut_orphan *o = &c->v[i];

		if (o->node && o->n_names && !held[i] && !hide(o->dev, o->ino))
			o->hidden = true;
	}
out:
	if (d)
		closedir(d);
	free(held);
}

bool cut_orphans_expires(const struct cut_orphans *c, fuse_ino_t parent, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct cut_orphan *o = &c->v[i];

		for (size_t j = 0; o->hidden && j < o->n_names; j++)
			if (o->names[j].parent == parent && !strcmp(o->names[j].name, name))
				return true;
	}
	return false;
}

bool cut_orphans_has(const struct cut_orphans *c, fuse_ino_t node)
{
	for (size_t i = 0; node && i < c->n; i++)
		if (c->v[i].node == node)
			return true;
	return false;
}

/* Hand o (its fd and names) to ffs_powercut_finish. */
static int queue(struct ffs *fs, struct cut_orphan *o)
{
	struct ffs_orphan *q = malloc(sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->o = *o;
	o->fd = -1;
	o->names = NULL;
	o->n_names = 0;
	q->next = __atomic_load_n(&fs->orphans, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&fs->orphans, &q->next, q, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	return 0;
}

/* Names of a hidden orphan: expired only; if the kernel cannot, invalidated. */
static void expire_names(struct ffs *fs, const struct cut_orphan *o)
{
	for (size_t j = 0; j < o->n_names; j++) {
		const struct cut_orphan_name *n = &o->names[j];
		int r;

		if (!n->parent)
			continue;
		r = fuse_lowlevel_notify_expire_entry(fs->se, n->parent, n->name, strlen(n->name),
						      FUSE_LL_EXPIRE_ONLY);
		if (r && r != -ENOENT)
			fuse_lowlevel_notify_inval_entry(fs->se, n->parent, n->name,
							 strlen(n->name));
	}
}

void cut_orphans_settle(struct ffs *fs, struct cut_orphans *c,
			int64_t (*from)(void *ctx, fuse_ino_t node), void *ctx)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cut_orphan *o = &c->v[i];
		uint64_t bytes = o->bytes;

		if (o->hidden) {
			expire_names(fs, o);
			/* The kernel's cached size and times are the file's before the cut. */
			fuse_lowlevel_notify_inval_inode(fs->se, o->node, -1, 0);
			if (!queue(fs, o)) {
				c->deferred++;
				c->deferred_bytes += bytes;
				continue;
			}
		} else if (!o->node || !fs->se ||
			   fuse_lowlevel_notify_inval_inode(fs->se, o->node, -1, 0) == -ENOENT) {
			if (!queue(fs, o)) {
				c->deferred++;
				c->deferred_bytes += bytes;
				continue;
			}
		}
		/* Someone may still read it (or the queue failed): cut it now. */
		if (ftruncate(o->fd, o->size) && !c->err)
			c->err = -errno;
		if (o->node && fs->se)
			fuse_lowlevel_notify_inval_inode(fs->se, o->node, from(ctx, o->node), 0);
		if (o->hidden)
			unhide(o->dev, o->ino);
		c->cut++;
	}
	for (size_t i = 0; i < c->n; i++)
		orphan_free(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

void ffs_powercut_finish(struct ffs *fs)
{
	struct ffs_orphan *q, *next;

	/* A second caller waits for the first: "finished" means finished. */
	pthread_mutex_lock(&finish_lock);
	q = __atomic_exchange_n(&fs->orphans, NULL, __ATOMIC_ACQUIRE);
	for (; q; q = next) {
		struct cut_orphan *o = &q->o;

		next = q->next;
		if (o->hidden && fs->se) {
			/* The kernel drops the inode and its pages here, if nothing holds it. */
			for (size_t j = 0; j < o->n_names; j++)
				if (o->names[j].parent)
					fuse_lowlevel_notify_inval_entry(fs->se, o->names[j].parent,
									 o->names[j].name,
									 strlen(o->names[j].name));
		}
		/* Its durable size: a reader let in after unhide sees exactly that. */
		if (ftruncate(o->fd, o->size)) {
			/* Nothing to do: it has no name, close frees it all the same. */
		}
		if (o->hidden) {
			/* A dentry still held kept the inode: its pages go now (else -ENOENT). */
			if (fs->se)
				fuse_lowlevel_notify_inval_inode(fs->se, o->node, 0, 0);
			unhide(o->dev, o->ino);
		}
		orphan_free(o);
		free(q);
	}
	pthread_mutex_unlock(&finish_lock);
}
