// SPDX-License-Identifier: GPL-2.0-only
/*
 * The remembered "no security.capability" answers (xattr_nocap.h), kept on
 * the inode itself: a struct ffs_inode freed and allocated again starts
 * with nothing noted.
 *
 * Exactness against our own changes: a note holds the mount's xattr
 * generation read before the backing file was asked, and every
 * setxattr/removexattr through faultfs bumps it after it took effect, so a
 * getxattr racing with a setxattr can only note an answer that is already
 * stale. Against changes behind faultfs's back: a note lives as long as
 * the kernel's attributes (-o timeout, default 1 s). The two fields are
 * stored apart; a reader that sees a new generation with an older expiry
 * still sees a true answer, since it is the one being noted.
 */
#include "core/clock.h"
#include "xattr_nocap.h"

bool ffs_nocap_known(struct ffs *fs, const struct ffs_inode *in, uint64_t *gen)
{
	*gen = __atomic_load_n(&fs->xattr_gen, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&in->nocap_gen, __ATOMIC_ACQUIRE) == *gen &&
	       fl_now_ns() < __atomic_load_n(&in->nocap_expires, __ATOMIC_ACQUIRE);
}

void ffs_nocap_note(const struct ffs *fs, struct ffs_inode *in, uint64_t gen)
{
	if (!(fs->timeout > 0))
		return;  /* -o timeout=0: nothing is cached, this neither */
	__atomic_store_n(&in->nocap_gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&in->nocap_expires, fl_now_ns() + (uint64_t)(fs->timeout * 1e9),
			 __ATOMIC_RELEASE);
}

void ffs_nocap_changed(struct ffs *fs)
{
	__atomic_fetch_add(&fs->xattr_gen, 1, __ATOMIC_ACQ_REL);
}
