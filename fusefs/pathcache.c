// SPDX-License-Identifier: GPL-2.0-only
/*
 * A direct-mapped table of inode paths, one per mount. An entry is keyed
 * by the inode struct, its O_PATH fd and its backing (dev, ino), and is
 * dropped when the kernel forgets the inode: a struct freed and allocated
 * again for a new file often comes back with the same fd number and, on
 * ext4, the same inode number, so the key alone would hand the new file
 * the old one's path. It is valid for one
 * names generation: every name change through the model that can change
 * an existing inode's path (rename, a parked unlink or rmdir) and every
 * power cut bump it after they took effect (dur_watch.c), so an entry
 * stored under a generation that is still current names the inode now.
 * Adding a name (create, mkdir, link...) or cancelling a volatile create
 * changes no existing inode's path and bumps nothing. A name
 * changed in the backing tree behind faultfs's back is not seen: the
 * write log then shows the path faultfs last knew.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pathcache.h"

#define SLOTS 256
#define KEEP 480   /* longer paths are not remembered */

struct slot {
	pthread_mutex_t lock;
	const struct ffs_inode *in;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t gen;
	size_t len;              /* 0: empty */
	char path[KEEP];
};

struct ffs_pathcache {
	struct slot slots[SLOTS];
};

int ffs_pathcache_new(struct ffs_pathcache **ret)
{
	struct ffs_pathcache *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	for (size_t i = 0; i < SLOTS; i++)
		pthread_mutex_init(&pc->slots[i].lock, NULL);
	*ret = pc;
	return 0;
}

void ffs_pathcache_free(struct ffs_pathcache *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < SLOTS; i++)
		pthread_mutex_destroy(&pc->slots[i].lock);
	free(pc);
}

static struct slot *slot_of(struct ffs_pathcache *pc, const struct ffs_inode *in)
{
	uint64_t h = ((uint64_t)(uintptr_t)in ^ (uint64_t)in->ino) * 0x9e3779b97f4a7c15ULL;

	return &pc->slots[h >> 56];
}

static bool same(const struct slot *s, const struct ffs_inode *in, uint64_t gen)
{
	return s->len && s->in == in && s->fd == in->fd && s->dev == in->dev &&
	       s->ino == in->ino && s->gen == gen;
}

bool ffs_pathcache_get(struct ffs_pathcache *pc, const struct ffs_inode *in, uint64_t gen,
		       char *buf, size_t len)
{
	struct slot *s;
	bool hit;

	if (!pc)
		return false;
	s = slot_of(pc, in);
	pthread_mutex_lock(&s->lock);
	hit = same(s, in, gen) && s->len < len;
	if (hit)
		memcpy(buf, s->path, s->len + 1);
	pthread_mutex_unlock(&s->lock);
	return hit;
}

void ffs_pathcache_put(struct ffs_pathcache *pc, const struct ffs_inode *in, uint64_t gen,
		       const char *path)
{
	size_t n = strlen(path);
	struct slot *s;

	if (!pc || !n || n >= KEEP)
		return;
	s = slot_of(pc, in);
	pthread_mutex_lock(&s->lock);
	s->in = in;
	s->fd = in->fd;
	s->dev = in->dev;
	s->ino = in->ino;
	s->gen = gen;
	s->len = n;
	memcpy(s->path, path, n + 1);
	pthread_mutex_unlock(&s->lock);
}

void ffs_pathcache_forget(struct ffs_pathcache *pc, const struct ffs_inode *in)
{
	struct slot *s;

	if (!pc)
		return;
	s = slot_of(pc, in);
	pthread_mutex_lock(&s->lock);
	if (s->in == in)
		s->len = 0;
	pthread_mutex_unlock(&s->lock);
}
