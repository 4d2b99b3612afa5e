/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backing path of an inode, remembered between requests. Reading it
 * from /proc/self/fd costs a procfs walk and a d_path (about 5 us, twice
 * per write+fsync for the write log); a hit costs a lock and a copy.
 */
#ifndef FAULTFS_PATHCACHE_H
#define FAULTFS_PATHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faultfs.h"

struct ffs_pathcache;

/* A mount's table (struct ffs's paths): 0 or -ENOMEM. */
int ffs_pathcache_new(struct ffs_pathcache **ret);
void ffs_pathcache_free(struct ffs_pathcache *pc);
/*
 * The path of in, if it was stored under the same names generation
 * (ffs_dur_names_gen, read before the path was computed): no name changed
 * through the model since, so it is still the inode's path. A NULL table
 * remembers nothing.
 */
bool ffs_pathcache_get(struct ffs_pathcache *pc, const struct ffs_inode *in, uint64_t gen,
		       char *buf, size_t len);
void ffs_pathcache_put(struct ffs_pathcache *pc, const struct ffs_inode *in, uint64_t gen,
		       const char *path);
/* in is about to be freed (the kernel forgot it): drop what was remembered of it. */
void ffs_pathcache_forget(struct ffs_pathcache *pc, const struct ffs_inode *in);

#endif /* FAULTFS_PATHCACHE_H */
