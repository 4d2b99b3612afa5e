// SPDX-License-Identifier: GPL-2.0-only
/*
 * Directories: opendir, readdir, readdirplus (entries with their
 * attributes, which saves the kernel a lookup per name), releasedir and
 * fsyncdir, which makes the names in the directory durable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durability.h"
#include "ops.h"

/* An open directory: the stream, and an entry read but not yet sent. */
struct ffs_dir {
	DIR *dp;
	struct dirent *pending;
	off_t offset;
};

void ffs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_dir *d = calloc(1, sizeof(*d));
	struct ffs_opctx o;
	int fd, err = 0;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL)) {
		free(d);
		return;
	}
	fd = openat(ffs_fd_of(req, ino), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = errno;
		if (fd >= 0)
			close(fd);
	}
	ffs_op_end(&o);
	if (err) {
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

static bool is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	size_t used = 0;
	char *buf;

	if (ffs_op_begin(&o, req, FFS_OP_READDIR, ino, NULL))
		return;
	if (o.hit && o.fault.action == FL_ACTION_POWERCUT) {
		ffs_op_end(&o);
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		ffs_op_end(&o);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->pending = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		struct dirent *de;
		size_t n;

		if (d->pending) {
			de = d->pending;
		} else {
			errno = 0;
			de = readdir(d->dp);
			if (!de) {
				if (errno && used == 0) {
					int err = errno;

					ffs_op_end(&o);
					free(buf);
					fuse_reply_err(req, err);
					return;
				}
				break;
			}
		}
		if (ffs_hidden(ino, de->d_name)) {
			d->pending = NULL;
			d->offset = telldir(d->dp);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = de->d_ino;
		e.attr.st_mode = (mode_t)de->d_type << 12;
		if (!plus) {
			n = fuse_add_direntry(req, buf + used, size - used, de->d_name, &e.attr,
					      telldir(d->dp));
		} else {
			/* "." and "..": names only, no lookup (nodeid 0). */
			if (!is_dot(de->d_name) && ffs_do_lookup(req, ino, de->d_name, &e)) {
				d->pending = NULL;
				d->offset = telldir(d->dp);
				continue; /* gone meanwhile */
			}
			n = fuse_add_direntry_plus(req, buf + used, size - used, de->d_name, &e,
						   telldir(d->dp));
			if (n > size - used && e.ino)
				ffs_inode_forget(fs, ffs_inode(req, e.ino), 1);
		}
		if (n > size - used) {
			d->pending = de; /* send it with the next call */
			break;
		}
		used += n;
		d->pending = NULL;
		d->offset = telldir(d->dp);
	}
	ffs_op_end(&o);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void ffs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

void ffs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

void ffs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

void ffs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct ffs_dir *d = (struct ffs_dir *)(uintptr_t)fi->fh;
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	int err;

	/* Rules name a directory's fsync like a file's: fsync, fdatasync. */
	if (ffs_op_begin(&o, req, datasync ? FFS_OP_FDATASYNC : FFS_OP_FSYNC, ino, NULL))
		return;
	if (ffs_op_take(&o, FL_ACTION_FSYNCGATE)) {
		ffs_op_log_fault(&o, "fsyncgate on a directory: EIO, its names stay volatile");
		err = -EIO;
	} else {
		err = ffs_dur_fsyncdir(fs->dur, dirfd(d->dp), datasync);
	}
	ffs_op_log(&o, FFS_WLOG_FSYNCDIR, NULL, ffs_inode(req, ino)->ino, 0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}
