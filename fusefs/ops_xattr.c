// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extended attributes (user.*, trusted.*, security.*, ...), passed to the
 * backing file through /proc/self/fd: the inode's fd is O_PATH, which the
 * f*xattr calls refuse. Attributes are metadata outside the durability
 * model: they are durable at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "durability.h"
#include "ops.h"
#include "xattr_nocap.h"

#define CAPS "security.capability"

static void proc_of(fuse_req_t req, fuse_ino_t ino, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", ffs_fd_of(req, ino));
}

void ffs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags)
{
	struct ffs_opctx o;
	char proc[64];
	int err = 0;

	if (ffs_op_begin(&o, req, FFS_OP_SETXATTR, ino, NULL))
		return;
	proc_of(req, ino, proc, sizeof(proc));
	if (setxattr(proc, name, value, size, flags))
		err = errno;
	else if (o.fs->dur)
		ffs_dur_touch(o.fs->dur, ffs_fd_of(req, ino));  /* a snapshot copying copies it again */
	ffs_nocap_changed(o.fs);
	ffs_reply_err_or_cut(&o, err);
}

void ffs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct ffs_opctx o;
	char proc[64];
	int err = 0;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	proc_of(req, ino, proc, sizeof(proc));
	if (removexattr(proc, name))
		err = errno;
	else if (o.fs->dur)
		ffs_dur_touch(o.fs->dur, ffs_fd_of(req, ino));
	ffs_nocap_changed(o.fs);
	ffs_reply_err_or_cut(&o, err);
}

/* getxattr (name) or listxattr (name NULL): a size query (size 0) or the value itself. */
static void get_sized(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ffs_opctx o;
	struct ffs_inode *in = ffs_inode(req, ino);
	char proc[64], *buf = NULL;
	bool caps = name && size == 0 && !strcmp(name, CAPS);
	uint64_t gen = 0;
	ssize_t n;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	/* Asked before every write: see xattr_nocap.h. */
	if (caps && ffs_nocap_known(o.fs, in, &gen)) {
		ffs_op_end(&o);
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (size && !(buf = malloc(size))) {
		ffs_op_end(&o);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	proc_of(req, ino, proc, sizeof(proc));
	n = name ? getxattr(proc, name, buf, size) : listxattr(proc, buf, size);
	err = errno;
	if (caps && n < 0 && err == ENODATA)
		ffs_nocap_note(o.fs, in, gen);
	ffs_op_end(&o);
	if (n < 0)
		fuse_reply_err(req, err);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

void ffs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	/* Counted for status: how often the kernel asks, e.g. per write (killpriv.h). */
	__atomic_fetch_add(&ffs_of(req)->getxattr_requests, 1, __ATOMIC_RELAXED);
	get_sized(req, ino, name, size);
}

void ffs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	get_sized(req, ino, NULL, size);
}
