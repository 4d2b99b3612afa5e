// SPDX-License-Identifier: GPL-2.0-only
/*
 * The remembered "no security.capability" answers (xattr_nocap.h): a
 * direct-mapped table keyed like pathcache.c (the mount, the inode struct,
 * its O_PATH fd and its backing dev and ino), so that a struct freed and
 * reused for another inode does not match.
 *
 * Exactness against our own changes: an entry holds the change generation
 * read before the backing file was asked, and every setxattr/removexattr
 * through faultfs bumps it after it took effect, so a getxattr racing with
 * a setxattr can only note an entry that is already stale. Against changes
 * behind faultfs's back: an entry lives as long as the kernel's attributes
 * (-o timeout, default 1 s).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "xattr_nocap.h"

#define SLOTS 256

struct slot {
	pthread_mutex_t lock;
	const struct ffs *fs;
	const struct ffs_inode *in;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t gen;
	uint64_t expires;        /* CLOCK_MONOTONIC_COARSE ns */
	bool valid;
};

static struct slot slots[SLOTS];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t change_gen;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void init(void)
{
	for (size_t i = 0; i < SLOTS; i++)
		pthread_mutex_init(&slots[i].lock, NULL);
}

static struct slot *slot_of(const struct ffs_inode *in)
{
	uint64_t h = ((uint64_t)(uintptr_t)in ^ (uint64_t)in->ino) * 0x9e3779b97f4a7c15ULL;

	pthread_once(&once, init);
	return &slots[h >> 56];
}

bool ffs_nocap_known(const struct ffs *fs, const struct ffs_inode *in, uint64_t *gen)
{
	struct slot *s = slot_of(in);
	bool hit;

	*gen = atomic_load(&change_gen);
	pthread_mutex_lock(&s->lock);
	hit = s->valid && s->fs == fs && s->in == in && s->fd == in->fd &&
	      s->dev == in->dev && s->ino == in->ino && s->gen == *gen && now_ns() < s->expires;
	pthread_mutex_unlock(&s->lock);
	return hit;
}

void ffs_nocap_note(const struct ffs *fs, const struct ffs_inode *in, uint64_t gen)
{
	struct slot *s = slot_of(in);

	if (!(fs->timeout > 0))
		return;  /* -o timeout=0: nothing is cached, this neither */
	pthread_mutex_lock(&s->lock);
	s->fs = fs;
	s->in = in;
	s->fd = in->fd;
	s->dev = in->dev;
	s->ino = in->ino;
	s->gen = gen;
	s->expires = now_ns() + (uint64_t)(fs->timeout * 1e9);
	s->valid = true;
	pthread_mutex_unlock(&s->lock);
}

void ffs_nocap_changed(void)
{
	atomic_fetch_add(&change_gen, 1);
}
