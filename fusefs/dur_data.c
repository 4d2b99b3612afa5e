// SPDX-License-Identifier: GPL-2.0-only
/*
 * Data operations: each is performed on the backing file after the bytes it
 * destroys were saved to the file's undo file, and leaves a record that
 * the power cut replays backwards (see dur_engine.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dur_hint.h"
#include "dur_int.h"
#include "fstat_lite.h"

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020
#endif

#define SMALL_COPY (16 * 1024)  /* pre-images up to this size are copied on the stack */

/* Save [off, off + len) of f to its undo data; ret: where it went. */
static int save_preimage(struct ffs_dur *d, struct dur_file *f, int64_t off, int64_t len,
			 int64_t *ret)
{
	char *mem;
	int err;

	if (len <= 0) {
		*ret = f->undo_size;
		return 0;
	}
	mem = len <= SMALL_COPY ? dur_undo_reserve(d, f, len) : NULL;
	if (mem) {
		ssize_t n = pread(f->fd, mem, (size_t)len, off);

		if (n < 0)
			return -errno;
		if (n < len)
			memset(mem + n, 0, (size_t)(len - n));
		*ret = f->undo_size;
		f->undo_size += len;
		return 0;
	}
	/* Everything before it goes out first: the file then holds [0, undo_size). */
	err = dur_undo_flush(d, f);
	if (err)
		return err;
	if (len <= SMALL_COPY) {
		/* copy_file_range costs ~10 us per call on ext4: small ones go by hand. */
		char buf[SMALL_COPY];
		ssize_t n = pread(f->fd, buf, (size_t)len, off);

		if (n < 0)
			return -errno;
		if (n < len)
			memset(buf + n, 0, (size_t)(len - n));
		n = pwrite(f->undo_fd, buf, (size_t)len, f->undo_size);
		if (n != len)
			return n < 0 ? -errno : -EIO;
	} else {
		err = dur_copy_range(f->fd, off, f->undo_fd, f->undo_size, len);
		if (err)
			return err;
	}
	*ret = f->undo_size;
	f->undo_size += len;
	f->undo_flushed = f->undo_size;
	return 0;
}

/*
 * Does [off, off + len) hold no data (a hole, or preallocated and never
 * written)? Then there is nothing to copy: reading it would only make the
 * filesystem zero pages (a database or fio that preallocates its files
 * would pay a full copy per write).
 */
static bool all_hole(int fd, int64_t off, int64_t len)
{
	off_t data = lseek(fd, off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO;
	return data >= off + len;
}

/*
 * Has f no hole (f locked, st fresh)? Looked up once per file struct, then
 * kept up to date by our own writes, truncates and fallocates; a hole made
 * behind our back only costs copies of zeros.
 */
static bool is_dense(struct dur_file *f, const struct stat *st)
{
	if (!f->dense) {
		off_t h = st->st_size ? lseek(f->fd, 0, SEEK_HOLE) : 0;

		f->dense = h >= st->st_size ? 1 : -1;
	}
	return f->dense > 0;
}

/*
 * The request's own open file, already tracked: the request named it
 * (dur_hint.h), and only regular files are in the table, so neither its
 * identity nor its type needs a stat.
 */
static bool request_file(struct ffs_dur *d, int fd, struct dur_file **ret)
{
	struct stat id = { 0 };

	return dur_file_id(fd, &id.st_dev, &id.st_ino) && !dur_file_get(d, fd, &id, false, ret);
}

/* Find or create the record holder for fd and lock it; *st is fresh under the lock. */
static int file_lock(struct ffs_dur *d, int fd, bool create, struct stat *st,
		     struct dur_file **ret)
{
	struct dur_file *f;
	int err;

	if (!request_file(d, fd, &f)) {
		if (ffs_fstat_lite(fd, st))
			return -errno;
		if (!S_ISREG(st->st_mode))
			return -ENOENT;  /* no data to track (and reopening a device has effects) */
		/* Nothing of a file without a name is tracked: do not start now. */
		err = dur_file_get(d, fd, st, create && st->st_nlink > 0, &f);
		if (err)
			return err;
	}
	pthread_mutex_lock(&f->lock);
	if (ffs_fstat_lite(f->fd, st))
		err = -errno;
	else if (st->st_nlink == 0)
		err = -ENOENT;
	if (err) {
		/*
		 * No name left, and none can come back (a parked name keeps a
		 * link): a power cut cannot show this file, so its writes are
		 * not tracked and what was recorded goes.
		 */
		if (err == -ENOENT)
			dur_file_discard(d, f);
		pthread_mutex_unlock(&f->lock);
		dur_file_put(d, f, false);
		return err;
	}
	*ret = f;
	return 0;
}

/* After file_lock: the inode had a name under the lock (see dur_file_put). */
static void file_unlock(struct ffs_dur *d, struct dur_file *f)
{
	pthread_mutex_unlock(&f->lock);
	dur_file_put(d, f, true);
}

static ssize_t write_at(struct ffs_dur *d, int fd, const void *buf, size_t len, off_t off)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	int state = __atomic_load_n(&d->noappend, __ATOMIC_RELAXED);
	ssize_t n;

	/* An O_APPEND fd would ignore off: the offset we recorded is the truth. */
	if (state >= 0) {
		n = pwritev2(fd, &iov, 1, off, RWF_NOAPPEND);
		if (n >= 0 || (errno != EOPNOTSUPP && errno != EINVAL))
			return n < 0 ? -errno : n;
		__atomic_store_n(&d->noappend, -1, __ATOMIC_RELAXED);
	}
	n = pwrite(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

ssize_t ffs_dur_write(struct ffs_dur *d, int fd, const void *buf, size_t len, off_t off)
{
	struct dur_file *f;
	struct dur_rec r = { 0 };
	struct stat st;
	int64_t pre;
	ssize_t n;
	int err;

	err = file_lock(d, fd, true, &st, &f);
	if (err == -ENOENT)
		return write_at(d, fd, buf, len, off);  /* not a regular file: no data to copy */
	if (err)
		return err;
	pre = st.st_size - off;
	pre = pre < 0 ? 0 : pre > (int64_t)len ? (int64_t)len : pre;
	if (pre > 0 && !is_dense(f, &st) && all_hole(f->fd, off, pre))
		pre = 0;  /* its pre-image is zeros: undo writes zeros past pre_len anyway */
	if (off > st.st_size)
		f->dense = -1;  /* the gap is a hole */
	err = save_preimage(d, f, off, pre, &r.undo_off);
	if (err) {
		file_unlock(d, f);
		return err;
	}
	n = write_at(d, fd, buf, len, off);
	if (n <= 0) {
		dur_undo_truncate(f, r.undo_off);  /* nothing changed: forget the pre-image */
		file_unlock(d, f);
		return n;
	}
	r.seq = dur_next_seq(d);
	r.kind = DUR_WRITE;
	r.off = off;
	r.len = n;
	r.pre_len = pre < n ? pre : n;
	r.size_before = st.st_size;
	r.size_after = off + n > st.st_size ? off + n : st.st_size;
	err = dur_rec_push(f, &r);
	dur_watch_data(d, st.st_dev, st.st_ino, off, n);
	file_unlock(d, f);
	/* The data is written: an untracked write is durable at once, not an error. */
	(void)err;
	return n;
}

/*
 * An untracked truncate or fallocate may come with an O_PATH fd (setattr
 * without an open file): act through a real one then.
 */
static int untracked_size_op(int fd, const struct stat *st, bool trunc, int mode, off_t off,
			     off_t len)
{
	char proc[64];
	int flags = fcntl(fd, F_GETFL), rfd = fd, err = 0;

	/* Only a regular file: reopening a device or a fifo has effects. */
	if (flags >= 0 && (flags & O_PATH) && S_ISREG(st->st_mode)) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rfd = open(proc, O_WRONLY | O_CLOEXEC);
		if (rfd < 0)
			return -errno;
	}
	if (trunc ? ftruncate(rfd, off) : fallocate(rfd, mode, off, len))
		err = -errno;
	if (rfd != fd)
		close(rfd);
	return err;
}

int ffs_dur_truncate(struct ffs_dur *d, int fd, off_t size)
{
	struct dur_file *f;
	struct dur_rec r = { 0 };
	struct stat st;
	int err;

	if (size < 0)
		return -EINVAL;
	err = file_lock(d, fd, true, &st, &f);
	if (err == -ENOENT)
		return untracked_size_op(fd, &st, true, 0, size, 0);
	if (err)
		return err;
	r.seq = 0;
	r.kind = DUR_TRUNC;
	r.size_before = st.st_size;
	r.size_after = size;
	if (size < st.st_size) {
		r.off = size;
		r.len = r.pre_len = st.st_size - size;
		err = save_preimage(d, f, size, r.len, &r.undo_off);
		if (err)
			goto out;
	} else {
		r.off = st.st_size;
		r.len = size - st.st_size;
		r.undo_off = f->undo_size;
	}
	if (ftruncate(f->fd, size)) {
		err = -errno;
		dur_undo_truncate(f, r.undo_off);
		goto out;
	}
	if (size > st.st_size)
		f->dense = -1;
	if (size != st.st_size) {
		r.seq = dur_next_seq(d);
		dur_rec_push(f, &r);
		dur_watch_data(d, st.st_dev, st.st_ino, 0, -1);
	}
out:
	file_unlock(d, f);
	return err;
}

int ffs_dur_fallocate(struct ffs_dur *d, int fd, int mode, off_t off, off_t len)
{
	struct dur_file *f;
	struct dur_rec r = { .kind = DUR_FALLOC };
	struct stat st;
	bool record = true;
	int err;

	if (off < 0 || len <= 0)
		return -EINVAL;
	err = file_lock(d, fd, true, &st, &f);
	if (err == -ENOENT)
		return untracked_size_op(fd, &st, false, mode, off, len);
	if (err)
		return err;
	r.size_before = st.st_size;
	r.undo_off = f->undo_size;
	if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) {
		/* Data moves: keep the whole tail from off. */
		r.off = off;
		r.len = r.pre_len = st.st_size > off ? st.st_size - off : 0;
	} else if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		r.off = off;
		r.len = len;
		r.pre_len = st.st_size - off;
		r.pre_len = r.pre_len < 0 ? 0 : r.pre_len > len ? len : r.pre_len;
	} else {
		/* Plain allocation: only the size may change (zeros beyond it). */
		r.off = st.st_size;
		r.len = r.pre_len = 0;
		record = !(mode & FALLOC_FL_KEEP_SIZE) && off + len > st.st_size;
	}
	if (record) {
		err = save_preimage(d, f, r.off, r.pre_len, &r.undo_off);
		if (err)
			goto out;
	}
	f->dense = -1;  /* unwritten extents and punched ranges read as holes */
	if (fallocate(f->fd, mode, off, len)) {
		err = -errno;
		dur_undo_truncate(f, r.undo_off);
		goto out;
	}
	dur_watch_data(d, st.st_dev, st.st_ino, 0, -1);
	if (record) {
		r.seq = dur_next_seq(d);
		r.size_after = ffs_fstat_lite(f->fd, &st) ? r.size_before : st.st_size;
		if (r.size_after > r.size_before && r.len < r.size_after - r.off)
			r.len = r.size_after - r.off;
		dur_rec_push(f, &r);
	}
out:
	file_unlock(d, f);
	return err;
}

int ffs_dur_fsync(struct ffs_dur *d, int fd, bool datasync)
{
	struct dur_file *f;
	struct stat st;
	int err;

	if (datasync ? fdatasync(fd) : fsync(fd))
		return -errno;
	err = file_lock(d, fd, false, &st, &f);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	dur_file_settle(d, f, &st);
	file_unlock(d, f);
	return 0;
}

/* Replace recs[i] by its pieces outside [a, b) (still volatile) and inside (lost). */
static int split_lost(struct dur_file *f, size_t i, int64_t a, int64_t b)
{
	struct dur_rec r = f->recs[i], piece[3];
	int64_t cut[4] = { r.off, a, b, r.off + r.len };
	size_t np = 0;

	for (int p = 0; p < 3; p++) {
		int64_t s = cut[p], e = cut[p + 1], rel = s - r.off;
		struct dur_rec *q = &piece[np];

		if (e <= s)
			continue;
		*q = r;
		q->off = s;
		q->len = e - s;
		q->undo_off = r.undo_off + (rel < r.pre_len ? rel : r.pre_len);
		q->pre_len = r.pre_len - rel;
		q->pre_len = q->pre_len < 0 ? 0 : q->pre_len > q->len ? q->len : q->pre_len;
		if (p == 1)
			q->flags |= DUR_LOST;
		np++;
	}
	while (f->n + np - 1 > f->cap) {
		size_t cap = f->cap * 2;
		struct dur_rec *recs = realloc(f->recs, cap * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		f->recs = recs;
		f->cap = cap;
	}
	memmove(&f->recs[i + np], &f->recs[i + 1], (f->n - i - 1) * sizeof(*f->recs));
	memcpy(&f->recs[i], piece, np * sizeof(*piece));
	f->n += np - 1;
	return 0;
}

int ffs_dur_mark_lost(struct ffs_dur *d, int fd, off_t off, size_t len)
{
	int64_t end = off + (int64_t)len, covered = 0;
	struct dur_file *f;
	struct stat st;
	int err;

	if (off < 0)
		return -EINVAL;
	err = file_lock(d, fd, false, &st, &f);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	/* Newest first: the write that put these bytes there. */
	for (size_t i = f->n; i-- > 0 && covered < (int64_t)len;) {
		struct dur_rec *r = &f->recs[i];
		int64_t a = r->off > off ? r->off : off;
		int64_t b = r->off + r->len < end ? r->off + r->len : end;

		if (r->kind != DUR_WRITE || (r->flags & (DUR_LOST | DUR_MARK)) || a >= b)
			continue;
		err = split_lost(f, i, a, b);
		if (err)
			break;
		covered += b - a;
	}
	file_unlock(d, f);
	return err;
}

int ffs_dur_fsyncgate(struct ffs_dur *d, int fd)
{
	struct dur_file *f;
	struct stat st;
	int err;

	err = file_lock(d, fd, false, &st, &f);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	for (size_t i = 0; i < f->n; i++)
		if (!(f->recs[i].flags & DUR_MARK))
			f->recs[i].flags |= DUR_LOST;
	file_unlock(d, f);
	return 0;
}
