// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough: every operation is done on the backing tree through the
 * inode's O_PATH fd (the *at() calls) or the open file's fd, and every
 * change through the durability model (durability.h). Each handler runs
 * inside ffs_op_begin/ffs_op_end (opctx.c) and ends in exactly one
 * fuse_reply_*. This file: connection setup, names and attributes; open
 * files are in ops_file.c, directories in ops_dir.c, xattrs in ops_xattr.c.
 *
 * Locks (POSIX, OFD, flock) are left to the kernel on purpose: without
 * getlk/setlk/flock handlers the kernel keeps them itself on the FUSE
 * inode, with the exact local semantics (conflicts, OFD ownership, release
 * on close), which is right for an overlay used on one host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "durability.h"
#include "ops.h"

static void proc_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/*
 * The attributes the mount shows: the backing inode's, without the links
 * that are faultfs's own (names parked in .faultfs/trash, and .faultfs
 * itself in the root), so st_nlink is what a native filesystem reports.
 */
static int attr_of(struct ffs *fs, int fd, struct stat *st)
{
	int err = stat_fd(fd, st);

	if (err)
		return err;
	ffs_dur_adjust_stat(fs->dur, st);
	if (fs->dur && st->st_dev == fs->root.dev && st->st_ino == fs->root.ino &&
	    st->st_nlink > 2)
		st->st_nlink--;
	return 0;
}

int ffs_do_lookup(fuse_req_t req, fuse_ino_t parent, const char *name,
		  struct fuse_entry_param *e)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_inode *in;
	int fd, err;

	memset(e, 0, sizeof(*e));
	if (ffs_hidden(parent, name))
		return -ENOENT;
	fd = openat(ffs_fd_of(req, parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = attr_of(fs, fd, &e->attr);
	if (err) {
		close(fd);
		return err;
	}
	err = ffs_inode_get(fs, fd, &e->attr, &in);
	if (err)
		return err;
	e->ino = in == &fs->root ? FUSE_ROOT_ID : (uintptr_t)in;
	e->attr_timeout = fs->timeout;
	e->entry_timeout = fs->timeout;
	return 0;
}

void ffs_chown_new(fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t gid = ctx->gid;
	struct stat dir;

	if (!ffs_of(req)->chown_new)
		return;
	/* Made by us for ourselves: it has the right owner already (one syscall less per create). */
	if (ctx->uid == geteuid() && ctx->gid == getegid())
		return;
	/* A set-group-ID directory gives its group, as the backing fs already did. */
	if (!stat_fd(dirfd, &dir) && (dir.st_mode & S_ISGID))
		gid = (gid_t)-1;
	(void)!fchownat(dirfd, name, ctx->uid, gid, AT_SYMLINK_NOFOLLOW);
}

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
	/* The kernel clears set-user-ID bits itself, through setattr. */
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

static void ffs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct ffs_opctx o;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, parent, name))
		return;
	err = ffs_do_lookup(req, parent, name, &e);
	finish_entry(&o, err, &e);
}

static void ffs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ffs_inode_forget(ffs_of(req), ffs_inode(req, ino), nlookup);
	fuse_reply_none(req);
}

static void ffs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ffs_inode_forget(ffs_of(req), ffs_inode(req, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ffs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	struct stat st;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	err = attr_of(o.fs, ffs_fd_of(req, ino), &st);
	ffs_op_end(&o);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, ffs_of(req)->timeout);
}

static int set_times(int fd, struct fuse_file_info *fi, const struct stat *attr, int to_set)
{
	struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
	char path[64];

	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	if (fi)
		return futimens((int)fi->fh, tv) ? -errno : 0;
	proc_path(fd, path, sizeof(path));
	return utimensat(AT_FDCWD, path, tv, 0) ? -errno : 0;
}

static int do_setattr(struct ffs_opctx *o, fuse_ino_t ino, struct stat *attr, int to_set,
		      struct fuse_file_info *fi)
{
	int fd = ffs_fd_of(o->req, ino), err;
	char path[64];

	proc_path(fd, path, sizeof(path));
	if (to_set & FUSE_SET_ATTR_MODE) {
		if ((fi ? fchmod((int)fi->fh, attr->st_mode) : chmod(path, attr->st_mode)))
			return -errno;
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		err = ffs_truncate(o, fi ? (int)fi->fh : -1, attr->st_size);
		if (err)
			return err;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		      FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))
		return set_times(fd, fi, attr, to_set);
	return 0;
}

static void ffs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			int to_set, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	struct stat st;
	int err;

	if (ffs_op_begin(&o, req, to_set & FUSE_SET_ATTR_SIZE ? FFS_OP_TRUNCATE : FFS_NO_OP,
			 ino, NULL))
		return;
	err = do_setattr(&o, ino, attr, to_set, fi);
	if (!err)
		err = attr_of(o.fs, ffs_fd_of(req, ino), &st);
	if (ffs_op_end(&o)) {
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
	} else if (err) {
		fuse_reply_err(req, -err);
	} else {
		fuse_reply_attr(req, &st, ffs_of(req)->timeout);
	}
}

static void ffs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	struct ffs_opctx o;
	ssize_t n;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	n = readlinkat(ffs_fd_of(req, ino), "", buf, sizeof(buf));
	err = errno;
	ffs_op_end(&o);
	if (n < 0) {
		fuse_reply_err(req, err);
	} else if ((size_t)n >= sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
	} else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
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

static void ffs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_OP_MKDIR, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_MKDIR, NULL,
		   ffs_dur_mkdir(o.fs->dur, dfd, name, mode));
}

static void ffs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      dev_t rdev)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_OP_CREATE, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_MKNOD, NULL,
		   ffs_dur_mknod(o.fs->dur, dfd, name, mode, rdev));
}

static void ffs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct ffs_opctx o;
	int dfd = ffs_fd_of(req, parent);

	if (begin_visible(&o, req, FFS_NO_OP, parent, name, EPERM))
		return;
	finish_new(&o, parent, dfd, name, FFS_WLOG_SYMLINK, link,
		   ffs_dur_symlink(o.fs->dur, link, dfd, name));
}

static void ffs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
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

static void ffs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
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

static void ffs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ffs_opctx o;
	int err;

	if (begin_visible(&o, req, FFS_OP_RMDIR, parent, name, ENOENT))
		return;
	err = ffs_dur_rmdir(o.fs->dur, ffs_fd_of(req, parent), name);
	ffs_op_log(&o, FFS_WLOG_RMDIR, NULL, 0, 0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}

static void ffs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
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

static void ffs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	struct statvfs sv;
	int err = 0;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	if (fstatvfs(ffs_fd_of(req, ino), &sv))
		err = errno;
	ffs_op_end(&o);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	if (fs->size_limit && sv.f_frsize) {
		/* The modelled disk: its size, less what the files hold, never more than is free. */
		int64_t used = __atomic_load_n(&fs->space_used, __ATOMIC_RELAXED);
		uint64_t left = used < (int64_t)fs->size_limit ? fs->size_limit - (uint64_t)used : 0;

		sv.f_blocks = fs->size_limit / sv.f_frsize;
		left /= sv.f_frsize;
		if (sv.f_bfree > left)
			sv.f_bfree = left;
		if (sv.f_bavail > left)
			sv.f_bavail = left;
	}
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops ffs_ops = {
	.init         = ffs_init_conn,
	.lookup       = ffs_lookup,
	.forget       = ffs_forget,
	.forget_multi = ffs_forget_multi,
	.getattr      = ffs_getattr,
	.setattr      = ffs_setattr,
	.readlink     = ffs_readlink,
	.mknod        = ffs_mknod,
	.mkdir        = ffs_mkdir,
	.symlink      = ffs_symlink,
	.link         = ffs_link,
	.unlink       = ffs_unlink,
	.rmdir        = ffs_rmdir,
	.rename       = ffs_rename,
	.open         = ffs_op_open,
	.create       = ffs_op_create,
	.read         = ffs_op_read,
	.write        = ffs_op_write,
	.flush        = ffs_op_flush,
	.release      = ffs_op_release,
	.fsync        = ffs_op_fsync,
	.fallocate    = ffs_op_fallocate,
	.lseek        = ffs_op_lseek,
	.statfs       = ffs_statfs,
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
