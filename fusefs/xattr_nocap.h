/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * "This inode has no security.capability", remembered. The kernel asks
 * FUSE for that attribute (a size query) before a write: file_remove_privs,
 * and without FUSE_HANDLE_KILLPRIV_V2 FUSE has no SB_NOSEC, so no inode is
 * ever marked S_NOSEC and it asks before every write; with it (killpriv.h,
 * the default) once after each attribute refresh. Answering from the backing file costs a getxattr through
 * /proc/self/fd (a procfs walk); a remembered answer costs two loads.
 *
 * Only ENODATA answers to size queries (size 0) are remembered: that is
 * what the kernel sends (also ahead of a read of the value: commoncap
 * asks the size first). An answer lives as long as the kernel's cached
 * attributes (-o timeout, default 1 s), and every setxattr/removexattr
 * through faultfs forgets all of them, so only a capability set on the
 * backing file behind faultfs's back can go unseen, for at most that
 * timeout. A write through the mount drops it even then, as it should:
 * the backing write itself removes security.capability (the backing
 * kernel's own file_remove_privs).
 */
#ifndef FAULTFS_XATTR_NOCAP_H
#define FAULTFS_XATTR_NOCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "faultfs.h"

/*
 * Before asking the backing file: *gen gets the change generation. Returns
 * true if the answer ENODATA was noted for in under that generation (no
 * xattr was set or removed through faultfs since).
 */
bool ffs_nocap_known(struct ffs *fs, const struct ffs_inode *in, uint64_t *gen);
/* The backing file answered ENODATA; gen is that of ffs_nocap_known. */
void ffs_nocap_note(const struct ffs *fs, struct ffs_inode *in, uint64_t gen);
/* An extended attribute changed (or may have) through faultfs: forget every answer. */
void ffs_nocap_changed(struct ffs *fs);

#endif /* FAULTFS_XATTR_NOCAP_H */
