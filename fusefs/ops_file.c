// SPDX-License-Identifier: GPL-2.0-only
/*
 * Open files: open, create, read, write, flush, release, fsync, fallocate,
 * truncate, lseek. Every change goes through the durability model; reads
 * are spliced from the backing file (zero copy) unless a rule corrupts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The write log's checksum: zlib's crc32 value, from ISA-L's folded
 * PCLMULQDQ code (zlib's table method took a tenth of the daemon's CPU on
 * 1 MiB writes).
 */
#include <isa-l/crc.h>

#include "dur_hint.h"
#include "durability.h"
#include "killpriv.h"
#include "ops.h"

/*
 * Flags the backing open never gets. O_TRUNC is done through the model.
 * O_APPEND: the kernel already sends each write at the end of the file (it
 * serialises writes per inode), and the model must know the real offset.
 * O_DIRECT: the kernel bypasses its page cache (fi->direct_io); the backing
 * write from our unaligned buffer would fail with EINVAL on most
 * filesystems, and O_DIRECT promises no durability anyway.
 */
#define BACKING_DROP (O_NOFOLLOW | O_TRUNC | O_APPEND | O_DIRECT | O_CREAT | O_EXCL | O_NOCTTY)

static void set_caching(struct ffs *fs, struct fuse_file_info *fi)
{
	if (fi->flags & O_DIRECT)
		fi->direct_io = 1;
	else
		/* Every change goes through us and a power cut invalidates: the cache stays true. */
		fi->keep_cache = 1;
	/*
	 * close(2) waits for a FLUSH round trip that does nothing here unless a
	 * rule may fault it (writes reach the backing file before their reply),
	 * so the kernel is told to skip it: a quarter of a create + close +
	 * unlink. The price: a flush rule armed later misses files open by then.
	 */
	fi->noflush = !ffs_faults_armed_for(fs->faults, FFS_OP_FLUSH);
}

static ino_t backing_ino(struct ffs_opctx *o)
{
	return ffs_inode(o->req, o->ino)->ino;
}

/*
 * killpriv.h: the kernel left clearing set-ID bits to us; a cleared bit is
 * a metadata change. 1 if one was cleared (then kill_seen after the
 * reply), 0 if none was set, or -errno.
 */
static int kill_suidgid(struct ffs_opctx *o, int fd)
{
	int err = ffs_killpriv_clear(o->req, fd);

	if (err > 0 && o->fs->dur)
		ffs_dur_touch(o->fs->dur, fd);
	return err;
}

/*
 * The kernel's cached mode still has the bits (a write or an open does not
 * return attributes): make it ask again. After the reply, as for a
 * corrupted write, so the request that changed it is not waited on.
 */
static void kill_seen(struct ffs *fs, fuse_ino_t ino)
{
	if (fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

int ffs_truncate(struct ffs_opctx *o, int fd, off_t size)
{
	struct ffs *fs = o->fs;
	char proc[64];
	int64_t before = 0;
	int tmp = -1, err;

	if (fd < 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ffs_fd_of(o->req, o->ino));
		tmp = open(proc, O_WRONLY | O_CLOEXEC);
		if (tmp < 0)
			return -errno;
		fd = tmp;
	}
	err = ffs_space_check(fs, fd, size, 0, &before);
	if (!err) {
		err = ffs_dur_truncate(fs->dur, fd, size);
		ffs_space_account(fs, fd, before);
	}
	ffs_op_log(o, FFS_WLOG_TRUNCATE, NULL, backing_ino(o), size, 0, 0, err);
	if (tmp >= 0)
		close(tmp);
	return err;
}

void ffs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	char proc[64];
	int fd, err = 0, killed = 0;

	if (ffs_op_begin(&o, req, FFS_OP_OPEN, ino, NULL))
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ffs_fd_of(req, ino));
	fd = open(proc, (fi->flags & ~BACKING_DROP) | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	else if (fi->flags & O_TRUNC)
		err = ffs_truncate(&o, (fi->flags & O_ACCMODE) == O_RDONLY ? -1 : fd, 0);
	if (!err && ffs_killpriv_asked(FUSE_OPEN, ino))
		err = killed = kill_suidgid(&o, fd);
	if (err > 0)
		err = 0;
	if (ffs_op_end(&o)) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
		return;
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = (uint64_t)fd;
	set_caching(o.fs, fi);
	if (fuse_reply_open(req, fi))
		close(fd);
	else if (killed > 0)
		kill_seen(o.fs, ino);
}

void ffs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi)
{
	struct ffs *fs = ffs_of(req);
	struct fuse_entry_param e;
	struct ffs_opctx o;
	bool looked_up = false, cut, kill;
	int dfd = ffs_fd_of(req, parent), fd = -1, err, killed = 0;
	struct stat st;

	if (ffs_hidden(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (ffs_op_begin(&o, req, FFS_OP_CREATE, parent, name))
		return;
	/* Set-ID bits go only from a file that was there: a new one keeps the mode asked. */
	kill = ffs_killpriv_asked(FUSE_CREATE, parent) &&
	       !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
	err = ffs_dur_create(fs->dur, dfd, name,
			     (fi->flags & ~BACKING_DROP) | O_CREAT | O_CLOEXEC, mode, &fd);
	if (!err) {
		ffs_chown_new(req, dfd, name);
		/* O_TRUNC of a file that existed already (create without O_EXCL). */
		if ((fi->flags & O_TRUNC) && !fstat(fd, &st) && st.st_size > 0)
			err = ffs_truncate(&o, (fi->flags & O_ACCMODE) == O_RDONLY ? -1 : fd, 0);
		if (!err && kill)
			err = killed = kill_suidgid(&o, fd);
		if (err > 0)
			err = 0;
	}
	if (!err) {
		err = ffs_do_lookup(req, parent, name, &e);
		looked_up = !err;
	}
	ffs_op_log(&o, FFS_WLOG_CREATE, NULL, looked_up ? e.attr.st_ino : 0, 0, 0, 0, err);
	cut = ffs_op_end(&o);
	if (cut || err) {
		if (fd >= 0)
			close(fd);
		if (looked_up)
			ffs_inode_forget(fs, ffs_inode(req, e.ino), 1);
		fuse_reply_err(req, cut ? EIO : -err);
		if (cut)
			ffs_op_finish_cut(&o);
		return;
	}
	fi->fh = (uint64_t)fd;
	set_caching(o.fs, fi);
	if (fuse_reply_create(req, &e, fi)) {
		/* The request was interrupted: the kernel never got the file. */
		close(fd);
		ffs_inode_forget(fs, ffs_inode(req, e.ino), 1);
	} else if (killed > 0) {
		kill_seen(fs, e.ino);
	}
}

/* A rule corrupts what this read returns: read into memory, damage, answer. */
static void read_corrupted(struct ffs_opctx *o, size_t size, off_t off, int fd)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;
	size_t at;

	if (!buf) {
		ffs_op_end(o);
		fuse_reply_err(o->req, ENOMEM);
		return;
	}
	n = pread(fd, buf, size, off);
	if (n < 0) {
		int err = errno;

		ffs_op_end(o);
		free(buf);
		fuse_reply_err(o->req, err);
		return;
	}
	if (n > 0) {
		at = ffs_fault_corrupt(&o->fault, buf, (size_t)n, &o->fault.rng);
		ffs_op_log_fault(o, "corrupt %u byte(s) returned by the read, first at offset %lld",
				 o->fault.corrupt_bytes ? o->fault.corrupt_bytes : 1,
				 (long long)(off + (off_t)at));
	}
	ffs_op_end(o);
	/*
	 * Like a real disk's bad read, the kernel caches what it got: readers
	 * see the damage until the page is evicted (or a power cut). Dropping
	 * it here would race with the reader, who would then read again.
	 */
	fuse_reply_buf(o->req, buf, (size_t)n);
	free(buf);
}

void ffs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	struct ffs_opctx o;

	if (ffs_op_begin(&o, req, FFS_OP_READ, ino, NULL))
		return;
	if (o.hit && o.fault.action == FL_ACTION_CORRUPT && o.fault.corrupt_on_read) {
		read_corrupted(&o, size, off, (int)fi->fh);
		return;
	}
	if (o.hit && o.fault.action == FL_ACTION_POWERCUT) {
		/* A read changes nothing: "after" it is the same state as before its answer. */
		ffs_op_end(&o);
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
		return;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	/* Under op_lock: the data is read from the backing file while it is spliced. */
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
	ffs_op_end(&o);
}

/* The last sector boundary kept of a torn write, seeded: 0 <= kept < len. */
static size_t torn_kept(struct ffs_opctx *o, off_t off, size_t len)
{
	uint64_t sector = o->fault.torn_sector ? o->fault.torn_sector : 512;
	uint64_t first = ((uint64_t)off + sector - 1) / sector * sector; /* first boundary >= off */
	uint64_t end = (uint64_t)off + len, n, pick;

	/* Boundaries strictly inside (off, end), plus off itself (nothing kept). */
	if (first == (uint64_t)off)
		first += sector;
	n = first < end ? (end - 1 - first) / sector + 1 : 0;
	/* The hit's generator, seeded per match: the same seed tears at the same place. */
	pick = ffs_rng_next(&o->fault.rng) % (n + 1);
	return pick == 0 ? 0 : (size_t)(first + (pick - 1) * sector - (uint64_t)off);
}

void ffs_op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	const char *out = data;
	char *copy = NULL;
	bool inval = false;
	int fd = (int)fi->fh;
	int64_t before = 0;
	ssize_t n;
	int err, killed;

	if (ffs_op_begin(&o, req, FFS_OP_WRITE, ino, NULL))
		return;
	ffs_dur_hint_file(fd);
	if (o.hit && o.fault.action == FL_ACTION_CORRUPT && !o.fault.corrupt_on_read && size) {
		size_t at;

		o.hit = false;
		copy = malloc(size);
		if (copy) {
			memcpy(copy, data, size);
			at = ffs_fault_corrupt(&o.fault, copy, size, &o.fault.rng);
			ffs_op_log_fault(&o, "corrupt %u persisted byte(s), first at offset %lld",
					 o.fault.corrupt_bytes ? o.fault.corrupt_bytes : 1,
					 (long long)(off + (off_t)at));
			out = copy;
			inval = true;
		}
	}
	/* Before the data, as the VFS does: a failed write has cleared them too. */
	err = killed = ffs_killpriv_asked(FUSE_WRITE, ino) ? kill_suidgid(&o, fd) : 0;
	if (err >= 0)
		err = ffs_space_check(fs, fd, off, (off_t)size, &before);
	if (err) {
		n = err;
	} else {
		n = ffs_dur_write(fs->dur, fd, out, size, off);
		ffs_space_account(fs, fd, before);
	}
	if (n > 0 && ffs_op_take(&o, FL_ACTION_TORN)) {
		size_t kept = torn_kept(&o, off, (size_t)n);

		ffs_dur_mark_lost(fs->dur, fd, off + (off_t)kept, (size_t)n - kept);
		ffs_op_log_fault(&o, "torn write: %zu of %zd bytes at offset %lld persist, "
				 "[%lld, %lld) is lost at the next power cut", kept, n,
				 (long long)off, (long long)(off + (off_t)kept),
				 (long long)(off + n));
	}
	if (n > 0 && ffs_op_take(&o, FL_ACTION_DROP)) {
		ffs_dur_mark_lost(fs->dur, fd, off, (size_t)n);
		ffs_op_log_fault(&o, "dropped write of %zd bytes at offset %lld (acknowledged, "
				 "lost at the next power cut)", n, (long long)off);
	}
	ffs_op_log(&o, FFS_WLOG_WRITE, NULL, backing_ino(&o), off, n > 0 ? (uint64_t)n : size,
		   n > 0 ? crc32_gzip_refl(0, (const unsigned char *)data, (uint64_t)n) : 0,
		   n < 0 ? (int)n : 0);
	free(copy);
	if (ffs_op_end(&o)) {
		fuse_reply_err(req, EIO);
		ffs_op_finish_cut(&o);
	} else if (n < 0) {
		fuse_reply_err(req, (int)-n);
	} else {
		fuse_reply_write(req, (size_t)n);
	}
	/* The kernel cached what the application wrote; the disk holds the damage. */
	if (inval && n > 0 && fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, off, n);
	if (killed > 0)
		kill_seen(fs, ino);
}

void ffs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	int fd, err = 0;

	if (ffs_op_begin(&o, req, FFS_OP_FLUSH, ino, NULL))
		return;
	/* close(2) of a dup reports delayed write errors of the backing fs. */
	fd = dup((int)fi->fh);
	if (fd < 0 || close(fd))
		err = errno;
	ffs_reply_err_or_cut(&o, err);
}

void ffs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* No rule, no lock: even an offline mount must not leak descriptors. */
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

void ffs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	int fd = (int)fi->fh, err;

	if (ffs_op_begin(&o, req, datasync ? FFS_OP_FDATASYNC : FFS_OP_FSYNC, ino, NULL))
		return;
	ffs_dur_hint_file(fd);
	if (ffs_op_take(&o, FL_ACTION_FSYNCGATE)) {
		ffs_dur_fsyncgate(fs->dur, fd);
		ffs_op_log_fault(&o, "fsyncgate: EIO, the file's unsynced writes are lost at "
				 "the next power cut");
		err = -EIO;
	} else {
		err = ffs_dur_fsync(fs->dur, fd, datasync);
		/* The write log is flushed in the background: see wlog.h. */
	}
	ffs_op_log(&o, datasync ? FFS_WLOG_FDATASYNC : FFS_WLOG_FSYNC, NULL, backing_ino(&o),
		   0, 0, 0, err);
	ffs_reply_err_or_cut(&o, -err);
}

void ffs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_opctx o;
	int fd = (int)fi->fh, err = 0, kill;
	int64_t before = 0;

	if (ffs_op_begin(&o, req, FFS_OP_FALLOCATE, ino, NULL))
		return;
	ffs_dur_hint_file(fd);
	kill = ffs_killpriv_fallocate(req, fd);
	if (kill > 0 && fs->dur)
		ffs_dur_touch(fs->dur, fd);
	if (kill < 0)
		err = kill;
	else if (!(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE)))
		err = ffs_space_check(fs, fd, off, len, &before);
	else
		ffs_space_check(fs, fd, 0, 0, &before);
	if (!err) {
		err = ffs_dur_fallocate(fs->dur, fd, mode, off, len);
		ffs_space_account(fs, fd, before);
	}
	ffs_op_log(&o, FFS_WLOG_FALLOCATE, NULL, backing_ino(&o), off, (uint64_t)len, 0, err);
	ffs_reply_err_or_cut(&o, -err);
	if (kill > 0)
		kill_seen(fs, ino);
}

void ffs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		  struct fuse_file_info *fi)
{
	struct ffs_opctx o;
	off_t res;
	int err;

	if (ffs_op_begin(&o, req, FFS_NO_OP, ino, NULL))
		return;
	/* SEEK_DATA/SEEK_HOLE; the backing fd's own position is never used. */
	res = lseek((int)fi->fh, off, whence);
	err = errno;
	ffs_op_end(&o);
	if (res < 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_lseek(req, res);
}
