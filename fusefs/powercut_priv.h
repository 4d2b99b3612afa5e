/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between powercut.c (the cut) and powercut_orphans.c (the files it leaves
 * without a name, freed after its answer when nothing can see them).
 */
#ifndef FFS_POWERCUT_PRIV_H
#define FFS_POWERCUT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "durability.h"
#include "faultfs.h"

struct cut_orphan_name {
	fuse_ino_t parent;  /* 0: the kernel does not know the directory */
	char *name;
};

struct cut_orphan {
	dev_t dev;
	ino_t ino;
	fuse_ino_t node;    /* 0: the kernel never knew it */
	int fd;             /* ours, -1 once handed on */
	int64_t size;       /* its durable size */
	uint64_t bytes;     /* beyond size */
	struct cut_orphan_name *names;
	size_t n_names;
	bool hidden;        /* nothing holds it: requests on it fail, its entries only expire */
};

struct cut_orphans {
	struct cut_orphan *v;
	size_t n, cap;
	uint64_t deferred, deferred_bytes, cut;  /* for the log line */
	int err;
};

/* The ffs_inval_ops orphan callback's work; under the operations lock. */
void cut_orphan_add(struct ffs *fs, struct cut_orphans *c, dev_t dev, ino_t ino, int fd,
		    int64_t size, const struct ffs_orphan_name *names, size_t n_names);
/* Under the lock, after the undo: hide each orphan nothing holds open. */
void cut_orphans_plan(struct ffs *fs, struct cut_orphans *c);
/* (parent, name) leads to a hidden orphan: expire it, do not invalidate it (yet). */
bool cut_orphans_expires(const struct cut_orphans *c, fuse_ino_t parent, const char *name);
/* node is an orphan's: its pages wait for cut_orphans_settle. */
bool cut_orphans_has(const struct cut_orphans *c, fuse_ino_t node);
/*
 * After the lock, once the names were invalidated: each orphan is cut now
 * or queued for ffs_powercut_finish; from(node) gives the lowest byte the
 * cut changed. Frees c's contents.
 */
void cut_orphans_settle(struct ffs *fs, struct cut_orphans *c,
			int64_t (*from)(void *ctx, fuse_ino_t node), void *ctx);

#endif
