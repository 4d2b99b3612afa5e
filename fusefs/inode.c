// SPDX-License-Identifier: GPL-2.0-only
/*
 * The inode table: backing (dev, ino) to one O_PATH fd, counted by the
 * kernel's lookups, so a backing file is opened once however often it is
 * looked up, and is closed when the kernel forgets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultfs.h"
#include "pathcache.h"

static size_t hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (size_t)(h >> 32) % FFS_BUCKETS;
}

int ffs_init(struct ffs *fs, const char *backing)
{
	pthread_rwlockattr_t attr;
	struct stat st;
	int fd = -1, err;

	memset(fs, 0, sizeof(*fs));
	if (!realpath(backing, fs->backing))
		return -errno;
	fs->backing_len = strlen(fs->backing);
	/* "/" as the backing root: paths below it keep their leading '/'. */
	if (fs->backing_len == 1)
		fs->backing_len = 0;
	err = ffs_pathcache_new(&fs->paths);
	if (err)
		return err;
	fd = open(fs->backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	/*
	 * Writer preference: a power cut waiting for the lock stops new
	 * requests from coming in, so a busy mount cannot starve it. No
	 * handler takes the lock twice, so this cannot deadlock.
	 */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	err = -pthread_rwlock_init(&fs->op_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (err)
		goto fail;
	pthread_mutex_init(&fs->lock, NULL);
	fs->root.fd = fd;
	fs->root.dev = st.st_dev;
	fs->root.ino = st.st_ino;
	fs->root.nlookup = 2;
	fs->timeout = 1.0;
	fs->chown_new = geteuid() == 0;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	ffs_pathcache_free(fs->paths);
	fs->paths = NULL;
	return err;
}

void ffs_destroy(struct ffs *fs)
{
	for (size_t b = 0; b < FFS_BUCKETS; b++) {
		while (fs->bucket[b]) {
			struct ffs_inode *in = fs->bucket[b];

			fs->bucket[b] = in->next;
			close(in->fd);
			free(in);
		}
	}
	close(fs->root.fd);
	pthread_mutex_destroy(&fs->lock);
	pthread_rwlock_destroy(&fs->op_lock);
	ffs_pathcache_free(fs->paths);
}

struct ffs_inode *ffs_inode(fuse_req_t req, fuse_ino_t ino)
{
	struct ffs *fs = fuse_req_userdata(req);

	if (ino == FUSE_ROOT_ID)
		return &fs->root;
	return (struct ffs_inode *)(uintptr_t)ino;
}

fuse_ino_t ffs_inode_find(struct ffs *fs, dev_t dev, ino_t ino)
{
	struct ffs_inode *in;
	fuse_ino_t found = 0;

	if (dev == fs->root.dev && ino == fs->root.ino)
		return FUSE_ROOT_ID;
	pthread_mutex_lock(&fs->lock);
	for (in = fs->bucket[hash(dev, ino)]; in; in = in->next) {
		if (in->dev == dev && in->ino == ino) {
			found = (uintptr_t)in;
			break;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return found;
}

int ffs_inode_get(struct ffs *fs, int fd, const struct stat *st, struct ffs_inode **ret)
{
	struct ffs_inode *in;
	size_t b = hash(st->st_dev, st->st_ino);

	pthread_mutex_lock(&fs->lock);
	if (st->st_dev == fs->root.dev && st->st_ino == fs->root.ino) {
		in = &fs->root;
		goto found;
	}
	for (in = fs->bucket[b]; in; in = in->next)
		if (in->dev == st->st_dev && in->ino == st->st_ino)
			goto found;
	in = calloc(1, sizeof(*in));
	if (!in) {
		pthread_mutex_unlock(&fs->lock);
		close(fd);
		return -ENOMEM;
	}
	in->fd = fd;
	in->dev = st->st_dev;
	in->ino = st->st_ino;
	in->nlookup = 1;
	in->next = fs->bucket[b];
	fs->bucket[b] = in;
	pthread_mutex_unlock(&fs->lock);
	*ret = in;
	return 0;
found:
	in->nlookup++;
	pthread_mutex_unlock(&fs->lock);
	close(fd);
	*ret = in;
	return 0;
}

void ffs_inode_forget(struct ffs *fs, struct ffs_inode *inode, uint64_t n)
{
	struct ffs_inode **pp;

	pthread_mutex_lock(&fs->lock);
	inode->nlookup = n > inode->nlookup ? 0 : inode->nlookup - n;
	if (inode->nlookup || inode == &fs->root) {
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	for (pp = &fs->bucket[hash(inode->dev, inode->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == inode) {
			*pp = inode->next;
			break;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	ffs_pathcache_forget(fs->paths, inode);
	close(inode->fd);
	free(inode);
}
