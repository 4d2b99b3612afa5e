// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-directory locks of the name journal, striped by the directory's
 * (dev, ino): a name operation holds its directory's stripe (both, for a
 * rename) from its syscall to its record, and a directory fsync holds the
 * stripe while it marks the records, so it still sees each operation on
 * that directory entirely before or after it. The journal's own lock is
 * then needed only to append a record: a create in one directory no
 * longer waits for a create in another to reach the disk. Order: stripes
 * (lower index first) before names_lock. Static and shared by every
 * engine of the process: two mounts only share a stripe now and then.
 */
#include <pthread.h>

#include "dur_hint.h"
#include "dur_int.h"

#define DIR_LOCKS 64

static pthread_mutex_t locks[DIR_LOCKS] = {
	[0 ... DIR_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER
};

static size_t stripe(dev_t dev, ino_t ino)
{
	return (size_t)(((uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev) >> 58) % DIR_LOCKS;
}

void dur_dirlock_id(dev_t dev, ino_t ino, size_t *ret)
{
	*ret = stripe(dev, ino);
	pthread_mutex_lock(&locks[*ret]);
}

int dur_dirlock(int dirfd, size_t *ret)
{
	dev_t dev;
	ino_t ino;
	int err = dur_dir_id(dirfd, &dev, &ino);

	if (err)
		return err;
	dur_dirlock_id(dev, ino, ret);
	return 0;
}

int dur_dirlock_two(int dirfd1, int dirfd2, size_t *ret1, size_t *ret2)
{
	dev_t dev1, dev2;
	ino_t ino1, ino2;
	size_t a, b;
	int err = dur_dir_id(dirfd1, &dev1, &ino1);

	if (!err)
		err = dur_dir_id(dirfd2, &dev2, &ino2);
	if (err)
		return err;
	a = stripe(dev1, ino1);
	b = stripe(dev2, ino2);
	pthread_mutex_lock(&locks[a < b ? a : b]);
	if (a != b)
		pthread_mutex_lock(&locks[a < b ? b : a]);
	*ret1 = a;
	*ret2 = b;
	return 0;
}

void dur_dirunlock(size_t i)
{
	pthread_mutex_unlock(&locks[i]);
}

void dur_dirunlock_two(size_t a, size_t b)
{
	pthread_mutex_unlock(&locks[a]);
	if (a != b)
		pthread_mutex_unlock(&locks[b]);
}
