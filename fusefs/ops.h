/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every request handler of the passthrough shares: the request's
 * context (operations lock, fault decision, paths for rules and the write
 * log), and the helpers that apply a fault and log an operation.
 *
 *   struct ffs_opctx o;
 *   if (ffs_op_begin(&o, req, FFS_OP_WRITE, ino, NULL))
 *           return;                  // answered already (fault, offline)
 *   ... do it, through ffs_dur_* ...
 *   if (ffs_op_end(&o))
 *           -> answer EIO: a powercut=after rule cut the power
 *   else answer
 */
#ifndef FAULTFS_OPS_H
#define FAULTFS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "faultfs.h"
#include "faults.h"
#include "wlog.h"

#define FFS_NO_OP (-1)       /* a request no rule can name (lookup, getattr, ...) */

struct ffs_opctx {
	struct ffs *fs;
	fuse_req_t req;
	int op;                  /* enum ffs_op or FFS_NO_OP */
	fuse_ino_t ino;          /* the inode, or the parent with name */
	const char *name;
	bool locked;             /* op_lock held shared */
	bool hit;                /* a rule fired and its action is still to apply */
	struct ffs_fault_hit fault;
	bool have_path;
	char path[PATH_MAX];     /* relative to the mount root, leading '/' */
};

/*
 * Decide faults, sleep a delay (before any lock), take op_lock shared.
 * Returns 0 to go on, or 1 when the request has been answered (an error
 * rule, a powercut=before rule, an offline mount).
 */
int ffs_op_begin(struct ffs_opctx *o, fuse_req_t req, int op, fuse_ino_t ino, const char *name);
/*
 * Release op_lock. Returns true when a powercut=after rule fired: the
 * operation is done, the mount went offline, and the caller must answer
 * EIO (the machine died before it could answer). The cut itself happens
 * in ffs_op_finish_cut(), after that answer, so that the kernel never
 * waits on this request while caches are invalidated.
 */
bool ffs_op_end(struct ffs_opctx *o);
void ffs_op_finish_cut(struct ffs_opctx *o);

/* The action of a fired rule, if it is this one; consumes it. */
bool ffs_op_take(struct ffs_opctx *o, enum fl_action action);
/* Log a fired fault: "rule N: ACTION on OP PATH, WHAT". */
void ffs_op_log_fault(struct ffs_opctx *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Path of the request's inode (or parent + "/" + name); "" if unknown. */
const char *ffs_op_path(struct ffs_opctx *o);
/* Path of (dir, name) into buf. */
void ffs_path_of(struct ffs *fs, fuse_ino_t dir, const char *name, char *buf, size_t len);

/* Append one entry to the write log, with the request's path. */
void ffs_op_log(struct ffs_opctx *o, enum ffs_wlog_kind kind, const char *path2,
		uint64_t ino, int64_t off, uint64_t len, uint32_t crc, int result);

/* Answer EIO for a power cut, else err (positive errno, 0 = success). */
void ffs_reply_err_or_cut(struct ffs_opctx *o, int err);

/* .faultfs in the backing root is faultfs's own: the mount never shows it. */
bool ffs_hidden(fuse_ino_t parent, const char *name);

/* space.c: the modelled disk size. */
int ffs_space_check(struct ffs *fs, int fd, off_t off, off_t len, int64_t *ret_before);
void ffs_space_account(struct ffs *fs, int fd, int64_t before);
void ffs_space_forget(struct ffs *fs, int dirfd, const char *name, int64_t *ret_freed);
void ffs_space_freed(struct ffs *fs, int64_t freed);

static inline struct ffs *ffs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline int ffs_fd_of(fuse_req_t req, fuse_ino_t ino)
{
	return ffs_inode(req, ino)->fd;
}

/* ops_*.c: the handlers, gathered into ffs_ops by passthrough.c (the top file). */

/* ops_names.c */
void ffs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void ffs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ffs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void ffs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  dev_t rdev);
void ffs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void ffs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void ffs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void ffs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ffs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ffs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned int flags);

/* ops_attr.c */
void ffs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		    int to_set, struct fuse_file_info *fi);
void ffs_op_readlink(fuse_req_t req, fuse_ino_t ino);
void ffs_op_statfs(fuse_req_t req, fuse_ino_t ino);

/* ops_file.c */
void ffs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void ffs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void ffs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi);
void ffs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void ffs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi);
void ffs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		  struct fuse_file_info *fi);
/* Truncate through the durability model; fd < 0: open the inode for writing. */
int ffs_truncate(struct ffs_opctx *o, int fd, off_t size);

/* ops_dir.c */
void ffs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void ffs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi);
void ffs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ffs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

/* ops_xattr.c */
void ffs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags);
void ffs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void ffs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void ffs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ops_lookup.c: what the handlers share, one floor below all of them. */
/* The attributes the mount shows of the backing inode fd: without faultfs's own links. */
int ffs_attr_of(struct ffs *fs, int fd, struct stat *st);
/* Look name up in parent, taking a lookup reference. */
int ffs_do_lookup(fuse_req_t req, fuse_ino_t parent, const char *name,
		  struct fuse_entry_param *e);
/* Running as root: a new file belongs to whoever asked for it. */
void ffs_chown_new(fuse_req_t req, int dirfd, const char *name);

#endif /* FAULTFS_OPS_H */
