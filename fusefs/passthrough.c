// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough: every operation is done on the backing tree through the
 * inode's O_PATH fd (the *at() calls) or the open file's fd, and every
 * change through the durability model (durability.h). Each handler runs
 * inside ffs_op_begin/ffs_op_end (opctx.c) and ends in exactly one
 * fuse_reply_*.
 *
 * This file is the top of the passthrough: connection setup and the
 * table of every handler. The handlers live below it, one file per kind
 * (names in ops_names.c, attributes in ops_attr.c, open files in
 * ops_file.c, directories in ops_dir.c, xattrs in ops_xattr.c), and what
 * they share (lookup, attributes, the owner of a new name) one floor
 * lower again, in ops_lookup.c: no handler file calls back up here.
 *
 * Locks (POSIX, OFD, flock) are left to the kernel on purpose: without
 * getlk/setlk/flock handlers the kernel keeps them itself on the FUSE
 * inode, with the exact local semantics (conflicts, OFD ownership, release
 * on close), which is right for an overlay used on one host.
 */
#include "ops.h"

static void ffs_init_conn(void *userdata, struct fuse_conn_info *conn)
{
	/*
	 * No writeback cache: with it the kernel would hold writes in its page
	 * cache that faultfs never saw, so the model could neither fault them
	 * nor lose them at a power cut, and O_APPEND/size would be the kernel's.
	 */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* Writes are needed in memory (pre-image, checksum): splicing them in costs a copy more. */
	conn->want &= ~FUSE_CAP_SPLICE_READ;
	/*
	 * Not v1, which would have faultfs clear set-user-ID on every write,
	 * root's too; v2 (told only which callers lose them) is added to the
	 * INIT reply by killpriv.c, libfuse 3.14 having no flag for it.
	 */
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	/* Reads are spliced from the backing file straight into the kernel. */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_SPLICE_MOVE)
		conn->want |= FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	if (conn->capable & FUSE_CAP_ASYNC_DIO)
		conn->want |= FUSE_CAP_ASYNC_DIO;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
}

const struct fuse_lowlevel_ops ffs_ops = {
	.init         = ffs_init_conn,
	.lookup       = ffs_op_lookup,
	.forget       = ffs_op_forget,
	.forget_multi = ffs_op_forget_multi,
	.getattr      = ffs_op_getattr,
	.setattr      = ffs_op_setattr,
	.readlink     = ffs_op_readlink,
	.mknod        = ffs_op_mknod,
	.mkdir        = ffs_op_mkdir,
	.symlink      = ffs_op_symlink,
	.link         = ffs_op_link,
	.unlink       = ffs_op_unlink,
	.rmdir        = ffs_op_rmdir,
	.rename       = ffs_op_rename,
	.open         = ffs_op_open,
	.create       = ffs_op_create,
	.read         = ffs_op_read,
	.write        = ffs_op_write,
	.flush        = ffs_op_flush,
	.release      = ffs_op_release,
	.fsync        = ffs_op_fsync,
	.fallocate    = ffs_op_fallocate,
	.lseek        = ffs_op_lseek,
	.statfs       = ffs_op_statfs,
	.opendir      = ffs_op_opendir,
	.readdir      = ffs_op_readdir,
	.readdirplus  = ffs_op_readdirplus,
	.releasedir   = ffs_op_releasedir,
	.fsyncdir     = ffs_op_fsyncdir,
	.setxattr     = ffs_op_setxattr,
	.getxattr     = ffs_op_getxattr,
	.listxattr    = ffs_op_listxattr,
	.removexattr  = ffs_op_removexattr,
};
