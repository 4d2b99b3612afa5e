// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough: every operation is done on the backing tree through the
 * inode's O_PATH fd (the *at() calls) or the open file's fd. Each handler
 * ends in exactly one fuse_reply_*.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "faultfs.h"

static struct ffs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static int fd_of(fuse_req_t req, fuse_ino_t ino)
{
	return ffs_inode(req, ino)->fd;
}

/* An O_PATH fd cannot be chmod'ed or reopened directly: go through procfs. */
static void proc_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/* Look name up in parent and fill e; takes a lookup reference. */
static int do_lookup(fuse_req_t req, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct ffs *fs = fs_of(req);
	struct ffs_inode *in;
	int fd, err;

	memset(e, 0, sizeof(*e));
	fd = openat(fd_of(req, parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = stat_fd(fd, &e->attr);
	if (err) {
		close(fd);
		return err;
	}
	err = ffs_inode_get(fs, fd, &e->attr, &in);
	if (err)
		return err;
	e->ino = (uintptr_t)in;
	if (in == &fs->root)
		e->ino = FUSE_ROOT_ID;
	e->attr_timeout = fs->timeout;
	e->entry_timeout = fs->timeout;
	return 0;
}

/* Reply to an op that created name in parent: look it up and hand it over. */
static void reply_new_entry(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err = do_lookup(req, parent, name, &e);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

/* Running as root: a new file belongs to whoever asked for it. */
static void chown_new(fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (fs_of(req)->chown_new)
		(void)!fchownat(dirfd, name, ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW);
}

static void ffs_init_conn(void *userdata, struct fuse_conn_info *conn)
{
	/* No writeback cache: every write reaches us, which faults will need. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void ffs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	reply_new_entry(req, parent, name);
}

static void ffs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ffs_inode_forget(fs_of(req), ffs_inode(req, ino), nlookup);
	fuse_reply_none(req);
}

static void ffs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ffs_inode_forget(fs_of(req), ffs_inode(req, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ffs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int err = stat_fd(fd_of(req, ino), &st);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, fs_of(req)->timeout);
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

static void ffs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			int to_set, struct fuse_file_info *fi)
{
	int fd = fd_of(req, ino), err = 0;
	char path[64];

	proc_path(fd, path, sizeof(path));
	if (to_set & FUSE_SET_ATTR_MODE) {
		if ((fi ? fchmod((int)fi->fh, attr->st_mode) : chmod(path, attr->st_mode)))
			goto fail;
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			goto fail;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if ((fi ? ftruncate((int)fi->fh, attr->st_size) : truncate(path, attr->st_size)))
			goto fail;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		      FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		err = set_times(fd, fi, attr, to_set);
		if (err) {
			fuse_reply_err(req, -err);
			return;
		}
	}
	ffs_getattr(req, ino, fi);
	return;
fail:
	fuse_reply_err(req, errno);
}

static void ffs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(fd_of(req, ino), "", buf, sizeof(buf));

	if (n < 0)
		fuse_reply_err(req, errno);
	else if ((size_t)n >= sizeof(buf))
		fuse_reply_err(req, ENAMETOOLONG);
	else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

static void ffs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	int dfd = fd_of(req, parent);

	if (mkdirat(dfd, name, mode)) {
		fuse_reply_err(req, errno);
		return;
	}
	chown_new(req, dfd, name);
	reply_new_entry(req, parent, name);
}

static void ffs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	int dfd = fd_of(req, parent);

	if (symlinkat(link, dfd, name)) {
		fuse_reply_err(req, errno);
		return;
	}
	chown_new(req, dfd, name);
	reply_new_entry(req, parent, name);
}

static void ffs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(req, parent), name, 0) ? errno : 0);
}

static void ffs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(req, parent), name, AT_REMOVEDIR) ? errno : 0);
}

static void ffs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	int err = renameat2(fd_of(req, parent), name, fd_of(req, newparent), newname, flags);

	fuse_reply_err(req, err ? errno : 0);
}

static void ffs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[64];
	int fd;

	proc_path(fd_of(req, ino), path, sizeof(path));
	fd = open(path, (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uint64_t)fd;
	fuse_reply_open(req, fi);
}

static void ffs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int dfd = fd_of(req, parent), fd, err;

	fd = openat(dfd, name, (fi->flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW, mode);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	chown_new(req, dfd, name);
	err = do_lookup(req, parent, name, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = (uint64_t)fd;
	if (fuse_reply_create(req, &e, fi)) {
		/* The request was interrupted: the kernel never got the file. */
		close(fd);
		ffs_inode_forget(fs_of(req), ffs_inode(req, e.ino), 1);
	}
}

static void ffs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void ffs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size,
		      off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, data, size, off);

	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)n);
}

static void ffs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* close(2) of a dup reports delayed write errors of the backing fs. */
	int fd = dup((int)fi->fh);

	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_err(req, close(fd) ? errno : 0);
}

static void ffs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

static void ffs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int err = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);

	fuse_reply_err(req, err ? errno : 0);
}

static void ffs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(fd_of(req, ino), &sv))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* An open directory: the stream, and an entry read but not yet sent. */
struct ffs_dir {
	DIR *dp;
	struct dirent *pending;
	off_t offset;
};

static void ffs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_dir *d = calloc(1, sizeof(*d));
	int fd, err;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(fd_of(req, ino), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = errno;
		if (fd >= 0)
			close(fd);
		free(d);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		closedir(d->dp);
		free(d);
	}
}

static void ffs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;
	char *buf = calloc(1, size);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->pending = NULL;
		d->offset = off;
	}
	for (;;) {
		struct stat st = { 0 };
		struct dirent *de;
		size_t n;

		if (d->pending) {
			de = d->pending;
		} else {
			errno = 0;
			de = readdir(d->dp);
			if (!de) {
				if (errno && used == 0) {
					free(buf);
					fuse_reply_err(req, errno);
					return;
				}
				break;
			}
		}
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t)de->d_type << 12;
		n = fuse_add_direntry(req, buf + used, size - used, de->d_name, &st,
				      telldir(d->dp));
		if (n > size - used) {
			d->pending = de; /* send it with the next call */
			break;
		}
		used += n;
		d->pending = NULL;
		d->offset = telldir(d->dp);
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void ffs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void ffs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;
	int fd = dirfd(d->dp);
	int err = datasync ? fdatasync(fd) : fsync(fd);

	fuse_reply_err(req, err ? errno : 0);
}

const struct fuse_lowlevel_ops ffs_ops = {
	.init         = ffs_init_conn,
	.lookup       = ffs_lookup,
	.forget       = ffs_forget,
	.forget_multi = ffs_forget_multi,
	.getattr      = ffs_getattr,
	.setattr      = ffs_setattr,
	.readlink     = ffs_readlink,
	.mkdir        = ffs_mkdir,
	.symlink      = ffs_symlink,
	.unlink       = ffs_unlink,
	.rmdir        = ffs_rmdir,
	.rename       = ffs_rename,
	.open         = ffs_open,
	.create       = ffs_create,
	.read         = ffs_read,
	.write        = ffs_write,
	.flush        = ffs_flush,
	.release      = ffs_release,
	.fsync        = ffs_fsync,
	.statfs       = ffs_statfs,
	.opendir      = ffs_opendir,
	.readdir      = ffs_readdir,
	.releasedir   = ffs_releasedir,
	.fsyncdir     = ffs_fsyncdir,
};
