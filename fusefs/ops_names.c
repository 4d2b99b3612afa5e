// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names: lookup, forget, and the operations that make or remove a name
 * (mknod, mkdir, symlink, link, unlink, rmdir, rename), each through the
 * durability model so that a power cut can undo it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "durability.h"
#include "ops.h"

/* Answer an op that made a name: its entry, or EIO for a power cut. */
static void finish_entry(struct ffs_opctx *o, int err, struct fuse_entry_param *e)
{
	struct ffs *fs = o->fs;
	bool cut = ffs_op_end(o);

	if (cut) {
		if (!err)
			ffs_inode_forget(fs, ffs_inode(o->req, e->ino), 1);
		fuse_reply_err(o->req, EIO);
		ffs_op_finish_cut(o);
	} else if (err) {
		fuse_reply_err(o->req, -err);
	} else if (fuse_reply_entry(o->req, e)) {
		ffs_inode_forget(fs, ffs_inode(o->req, e->ino), 1);
	}
}

void ffs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct ffs_opctx o;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, parent, name))
		return;
	err = ffs_do_lookup(req, parent, name, &e);
	finish_entry(&o, err, &e);
}

void ffs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ffs_inode_forget(ffs_of(req), ffs_inode(req, ino), nlookup);
	fuse_reply_none(req);
}

void ffs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ffs_inode_forget(ffs_of(req), ffs_inode(req, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

/*
 * Refuse the hidden state directory's name with hidden_err (EPERM to make
 * it, ENOENT to remove it), then ffs_op_begin(). 1 when answered.
 */
static int begin_visible(struct ffs_opctx *o, fuse_req_t req, int op, fuse_ino_t parent,
			 const char *name, int hidden_err)
{
	if (ffs_hidden(parent, name)) {
		fuse_reply_err(req, hidden_err);
		return 1;
	}
	return ffs_op_begin(o, req, op, parent, name);
}

/* After the step that made dfd/name (err): give it to the caller, log, answer its entry. */
static void finish_new(struct ffs_opctx *o, fuse_ino_t parent, int dfd, const char *name,
		       enum ffs_wlog_kind kind, const char *path2, int err)
{
	struct fuse_entry_param e;

	if (!err) {
		ffs_chown_new(o->req, dfd, name);
		err = ffs_do_lookup(o->req, parent, name, &e);
	}
	ffs_op_log(o, kind, path2, err ? 0 : e.attr.st_ino, 0, 0, 0, err);
	finish_entry(o, err, &e);
}

void ffs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_OP_MKDIR, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_MKDIR, NULL,
		   ffs_dur_mkdir(o.fs->dur, dfd, name, mode));
}

void ffs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  dev_t rdev)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_OP_CREATE, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_MKNOD, NULL,
		   ffs_dur_mknod(o.fs->dur, dfd, name, mode, rdev));
}

void ffs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_NO_OP, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_SYMLINK, link,
		   ffs_dur_symlink(o.fs->dur, link, dfd, name));
}

void ffs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	char path2[PATH_MAX];
	struct fuse_entry_param e;
	struct ffs_opctx o;
	int err;

	if (ffs_hidden(newparent, newname)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	err = ffs_dur_link(o.fs->dur, ffs_fd_of(req, ino), ffs_fd_of(req, newparent), newname);
	if (!err)
		err = ffs_do_lookup(req, newparent, newname, &e);
	ffs_path_of(o.fs, newparent, newname, path2, sizeof(path2));
	ffs_op_log(&o, FFS_WLOG_LINK, path2, ffs_inode(req, ino)->ino, 0, 0, 0, err);
	finish_entry(&o, err, &e);
}

void ffs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent), err;
	int64_t freed;

	if (begin_visible(&o, req, FFS_OP_UNLINK, parent, name, ENOENT))
		return;
	ffs_space_forget(o.fs, dfd, name, &freed);
	err = ffs_dur_unlink(o.fs->dur, dfd, name);
	if (!err)
		ffs_space_freed(o.fs, freed);
	ffs_op_log(&o, FFS_WLOG_UNLINK, NULL, 0, 0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}

void ffs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ffs_opctx o;
	int err;

	if (begin_visible(&o, req, FFS_OP_RMDIR, parent, name, ENOENT))
		return;
	err = ffs_dur_rmdir(o.fs->dur, ffs_fd_of(req, parent), name);
	ffs_op_log(&o, FFS_WLOG_RMDIR, NULL, 0, 0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}

void ffs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	char path2[PATH_MAX];
	struct ffs_opctx o;
	int nfd = ffs_fd_of(req, newparent), err;
	int64_t freed = 0;

	if (ffs_hidden(parent, name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (ffs_hidden(newparent, newname)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* Rules match the old name. */
	if (ffs_op_begin(&o, req, FFS_OP_RENAME, parent, name))
		return;
	if (!(flags & RENAME_EXCHANGE))
		ffs_space_forget(o.fs, nfd, newname, &freed);
	err = ffs_dur_rename(o.fs->dur, ffs_fd_of(req, parent), name, nfd, newname, flags);
	if (!err)
		ffs_space_freed(o.fs, freed);
	ffs_path_of(o.fs, newparent, newname, path2, sizeof(path2));
	ffs_op_log(&o, FFS_WLOG_RENAME, path2, 0, 0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}
