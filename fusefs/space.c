// SPDX-License-Identifier: GPL-2.0-only
/*
 * -o size=BYTES: the mount models a disk of that size. The allocated bytes
 * of the regular files in the backing tree (st_blocks * 512, hard links
 * once, .faultfs not counted) are summed at mount and after each power cut,
 * and kept up to date from fstat before and after every operation that can
 * allocate or free. An operation that could need more than what is left
 * fails with ENOSPC before it is done.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durability.h"
#include "fstat_lite.h"
#include "ops.h"

struct devino {
	dev_t dev;
	ino_t ino;
};

static int cmp_devino(const void *a, const void *b)
{
	const struct devino *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Count a file with several names once. Returns true the first time. */
static bool first_sight(void **seen, const struct stat *st)
{
	struct devino key = { st->st_dev, st->st_ino }, *k;
	void *found;

	if (st->st_nlink < 2)
		return true;
	if (tfind(&key, seen, cmp_devino))
		return false;
	k = malloc(sizeof(*k));
	if (!k)
		return true;
	*k = key;
	found = tsearch(k, seen, cmp_devino);
	if (!found || *(struct devino **)found != k)
		free(k);
	return true;
}

static int walk(int dir, bool top, void **seen, int64_t *sum)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (top && !strcmp(de->d_name, FFS_STATE_DIR))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* gone meanwhile */
		if (S_ISREG(st.st_mode) && first_sight(seen, &st)) {
			*sum += (int64_t)st.st_blocks * 512;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				continue;
			err = walk(sub, false, seen, sum);
			close(sub);
			if (err)
				break;
		}
	}
	closedir(d);
	return err;
}

int ffs_space_scan(struct ffs *fs)
{
	void *seen = NULL;
	int64_t sum = 0;
	int err;

	if (!fs->size_limit)
		return 0;
	err = walk(fs->root.fd, true, &seen, &sum);
	tdestroy(seen, free);
	if (!err)
		__atomic_store_n(&fs->space_used, sum, __ATOMIC_RELAXED);
	return err;
}

int ffs_space_check(struct ffs *fs, int fd, off_t off, off_t len, int64_t *ret_before)
{
	int64_t alloc, end = (int64_t)off + len, need;
	struct stat st;

	*ret_before = 0;
	if (!fs->size_limit)
		return 0;
	if (ffs_fstat_lite(fd, &st))
		return -errno;
	alloc = (int64_t)st.st_blocks * 512;
	*ret_before = alloc;
	if (len <= 0)
		return 0;
	/*
	 * A dense file needs new blocks only past what it has allocated. For
	 * a sparse one the holes are unknown without a scan: assume the worst.
	 */
	if (alloc >= st.st_size / st.st_blksize * st.st_blksize)
		need = end > alloc ? end - alloc : 0;
	else
		need = len;
	if (need > len)
		need = len;
	if (need > 0 && __atomic_load_n(&fs->space_used, __ATOMIC_RELAXED) + need >
			(int64_t)fs->size_limit)
		return -ENOSPC;
	return 0;
}

void ffs_space_account(struct ffs *fs, int fd, int64_t before)
{
	struct stat st;

	if (!fs->size_limit || ffs_fstat_lite(fd, &st))
		return;
	__atomic_add_fetch(&fs->space_used, (int64_t)st.st_blocks * 512 - before,
			   __ATOMIC_RELAXED);
}

void ffs_space_forget(struct ffs *fs, int dirfd, const char *name, int64_t *ret_freed)
{
	struct stat st;

	*ret_freed = 0;
	if (!fs->size_limit || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return;
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		*ret_freed = (int64_t)st.st_blocks * 512;
}

void ffs_space_freed(struct ffs *fs, int64_t freed)
{
	if (fs->size_limit && freed)
		__atomic_sub_fetch(&fs->space_used, freed, __ATOMIC_RELAXED);
}
