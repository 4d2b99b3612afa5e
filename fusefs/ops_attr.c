// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attributes: getattr, setattr (a size change is a tracked truncate, see
 * ffs_truncate in ops_file.c), readlink and statfs (the modelled disk size).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "durability.h"
#include "killpriv.h"
#include "ops.h"

static void proc_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

void ffs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	struct stat st;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	err = ffs_attr_of(o.fs, ffs_fd_of(req, ino), &st);
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
		err = set_times(fd, fi, attr, to_set);
	else
		err = 0;
	/* After the change: a snapshot copying meanwhile copies these attributes again. */
	if (o->fs->dur)
		ffs_dur_touch(o->fs->dur, fd);
	return err;
}

void ffs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		    int to_set, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	struct stat st;
	int err;

	if (ffs_op_begin(&o, req, to_set & FUSE_SET_ATTR_SIZE ? FFS_OP_TRUNCATE : FFS_NO_OP,
			 ino, NULL))
		return;
	err = do_setattr(&o, ino, attr, to_set, fi);
	/* After a chown too: the backing chown by root keeps what the caller's would not. */
	if (!err && ffs_killpriv_asked(FUSE_SETATTR, ino)) {
		err = ffs_killpriv_clear(req, ffs_fd_of(req, ino));
		if (err > 0 && o.fs->dur)
			ffs_dur_touch(o.fs->dur, ffs_fd_of(req, ino));
		err = err < 0 ? err : 0;
	}
	if (!err)
		err = ffs_attr_of(o.fs, ffs_fd_of(req, ino), &st);
	if (ffs_op_end(&o)) {
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
	} else if (err) {
		fuse_reply_err(req, -err);
	} else {
		fuse_reply_attr(req, &st, ffs_of(req)->timeout);
	}
}

void ffs_op_readlink(fuse_req_t req, fuse_ino_t ino)
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

void ffs_op_statfs(fuse_req_t req, fuse_ino_t ino)
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
