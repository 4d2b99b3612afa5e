// SPDX-License-Identifier: GPL-2.0-only
/*
 * The file table: one struct per backing inode with volatile data, its
 * records in seq order and its undo file. Data operations (dur_data.c),
 * name operations (dur_names.c), the power cut and the engine's lifecycle
 * (dur_engine.c) all stand on it, so it calls none of them: it is the
 * layer below (see the top of dur_engine.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"
#include "fstat_lite.h"

#define UNDO_KEEP_BLOCKS (1 << 20)  /* an emptied undo file keeps this much allocated */

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)(h >> 20) % DUR_BUCKETS;
}

void dur_file_free(struct ffs_dur *d, struct dur_file *f)
{
	char name[64];

	if (f->undo_fd >= 0) {
		close(f->undo_fd);
		snprintf(name, sizeof(name), "%ju-%ju", (uintmax_t)f->dev, (uintmax_t)f->ino);
		unlinkat(d->undo_dir, name, 0);
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->undo_mem) {
		free(f->undo_mem);
		__atomic_sub_fetch(&d->undo_mem, DUR_UNDO_MEM, __ATOMIC_RELAXED);
	}
	pthread_mutex_destroy(&f->lock);
	free(f->recs);
	free(f);
}

void dur_files_free_all(struct ffs_dur *d)
{
	for (size_t b = 0; b < DUR_BUCKETS; b++) {
		struct dur_file *f = d->bucket[b], *next;

		for (; f; f = next) {
			next = f->next;
			dur_file_free(d, f);
		}
		d->bucket[b] = NULL;
	}
	d->nfiles = d->nidle = 0;
}

/* Our own fd of the inode: writable if we may, so that undo can write. */
static int reopen(int fd)
{
	char proc[64];
	int nfd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	nfd = open(proc, O_RDWR | O_CLOEXEC);
	if (nfd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
		nfd = open(proc, O_RDONLY | O_CLOEXEC);
	return nfd < 0 ? -errno : nfd;
}

static bool file_idle(const struct dur_file *f)
{
	return f->n == 0;
}

int dur_file_get(struct ffs_dur *d, int fd, const struct stat *st, bool create,
		 struct dur_file **ret)
{
	size_t b = bucket_of(st->st_dev, st->st_ino);
	struct dur_file *f;
	int nfd;

	pthread_mutex_lock(&d->table_lock);
	for (f = d->bucket[b]; f; f = f->next)
		if (f->dev == st->st_dev && f->ino == st->st_ino)
			break;
	if (f) {
		if (f->ref++ == 0 && file_idle(f) && d->nidle)
			d->nidle--;
		pthread_mutex_unlock(&d->table_lock);
		*ret = f;
		return 0;
	}
	pthread_mutex_unlock(&d->table_lock);
	if (!create)
		return -ENOENT;

	/* Open outside the table lock; another thread may win the race. */
	nfd = reopen(fd);
	if (nfd < 0)
		return nfd;
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(nfd);
		return -ENOMEM;
	}
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->fd = nfd;
	f->undo_fd = -1;
	f->durable_size = st->st_size;
	f->ref = 1;
	pthread_mutex_init(&f->lock, NULL);

	pthread_mutex_lock(&d->table_lock);
	struct dur_file *g;

	for (g = d->bucket[b]; g; g = g->next)
		if (g->dev == st->st_dev && g->ino == st->st_ino)
			break;
	if (g) {
		if (g->ref++ == 0 && file_idle(g) && d->nidle)
			d->nidle--;
		pthread_mutex_unlock(&d->table_lock);
		dur_file_free(d, f);
		*ret = g;
		return 0;
	}
	f->next = d->bucket[b];
	d->bucket[b] = f;
	d->nfiles++;
	pthread_mutex_unlock(&d->table_lock);
	*ret = f;
	return 0;
}

/*
 * Idle structs (no record) stay for reuse, up to DUR_IDLE_MAX, unless the
 * inode is gone (holding it open would keep its blocks). linked: the
 * caller saw the inode with a name under f->lock; only the engine removes
 * names, and the removal of a last one comes through dur_file_gone(),
 * which marks a struct held meanwhile, so the link count need not be
 * asked again.
 */
void dur_file_put(struct ffs_dur *d, struct dur_file *f, bool linked)
{
	size_t b = bucket_of(f->dev, f->ino);
	struct stat st;
	bool drop = false;

	pthread_mutex_lock(&d->table_lock);
	if (--f->ref == 0 && file_idle(f)) {
		drop = d->nidle >= DUR_IDLE_MAX || f->gone ||
		       (!linked && ffs_fstat_lite(f->fd, &st) == 0 && st.st_nlink == 0);
		if (drop) {
			struct dur_file **pp = &d->bucket[b];

			while (*pp != f)
				pp = &(*pp)->next;
			*pp = f->next;
			d->nfiles--;
		} else {
			d->nidle++;
		}
	}
	pthread_mutex_unlock(&d->table_lock);
	if (drop)
		dur_file_free(d, f);
}

/*
 * Forget every record of f (f->lock held): its inode has no name left and
 * none can come back, so no power cut will ever show its data. The undo
 * file goes at once; its blocks would otherwise stay until the last put.
 */
void dur_file_discard(struct ffs_dur *d, struct dur_file *f)
{
	char name[64];

	f->n = 0;
	free(f->recs);
	f->recs = NULL;
	f->cap = 0;
	if (f->undo_fd >= 0) {
		close(f->undo_fd);
		f->undo_fd = -1;
		snprintf(name, sizeof(name), "%ju-%ju", (uintmax_t)f->dev, (uintmax_t)f->ino);
		unlinkat(d->undo_dir, name, 0);
	}
	dur_undo_truncate(f, 0);
}

/*
 * The last name of (dev, ino) is gone for good (a directory fsync made its
 * unlink durable, or data mode unlinked it). If the inode has no link left,
 * its records, undo file and our descriptor go now: holding them would pin
 * the blocks of a deleted file until unmount. A caller inside the file
 * right now finds no record and drops the struct at its put.
 */
void dur_file_gone(struct ffs_dur *d, dev_t dev, ino_t ino)
{
	size_t b = bucket_of(dev, ino);
	struct dur_file **pp, *f;
	struct stat st;
	bool free_it = false;

	pthread_mutex_lock(&d->table_lock);
	for (pp = &d->bucket[b]; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev && (*pp)->ino == ino)
			break;
	f = *pp;
	if (f && (ffs_fstat_lite(f->fd, &st) || st.st_nlink > 0))
		f = NULL;  /* another name still holds it: its data can come back */
	if (f && f->ref == 0) {
		if (file_idle(f) && d->nidle)
			d->nidle--;
		*pp = f->next;
		d->nfiles--;
		free_it = true;
	} else if (f) {
		f->gone = true;  /* for the put of whoever holds it */
		pthread_mutex_lock(&f->lock);
		dur_file_discard(d, f);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&d->table_lock);
	if (free_it)
		dur_file_free(d, f);
}

static int undo_open(struct ffs_dur *d, struct dur_file *f)
{
	char name[64];

	if (f->undo_fd >= 0)
		return 0;
	snprintf(name, sizeof(name), "%ju-%ju", (uintmax_t)f->dev, (uintmax_t)f->ino);
	f->undo_fd = openat(d->undo_dir, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->undo_fd < 0)
		return -errno;
	f->undo_flushed = 0;  /* an empty file: all the undo data is in memory */
	return 0;
}

char *dur_undo_reserve(struct ffs_dur *d, struct dur_file *f, int64_t len)
{
	if (f->undo_size - f->undo_flushed + len > DUR_UNDO_MEM)
		return NULL;
	if (!f->undo_mem) {
		/* The budget bounds the buffers of idle structs too: they keep theirs. */
		if (__atomic_add_fetch(&d->undo_mem, DUR_UNDO_MEM, __ATOMIC_RELAXED) >
		    DUR_UNDO_MEM_MAX || !(f->undo_mem = malloc(DUR_UNDO_MEM))) {
			__atomic_sub_fetch(&d->undo_mem, DUR_UNDO_MEM, __ATOMIC_RELAXED);
			return NULL;
		}
	}
	return f->undo_mem + (f->undo_size - f->undo_flushed);
}

int dur_undo_flush(struct ffs_dur *d, struct dur_file *f)
{
	int64_t n = f->undo_size - f->undo_flushed;
	ssize_t w;
	int err;

	err = undo_open(d, f);
	if (err || n <= 0)
		return err;
	w = pwrite(f->undo_fd, f->undo_mem, (size_t)n, f->undo_flushed);
	if (w != n)
		return w < 0 ? -errno : -EIO;
	f->undo_flushed = f->undo_size;
	return 0;
}

int dur_undo_copy(struct dur_file *f, int64_t off, int fd, int64_t dst, int64_t len)
{
	int64_t on_disk = off < f->undo_flushed ? f->undo_flushed - off : 0;

	if (on_disk > len)
		on_disk = len;
	if (on_disk > 0) {
		int err = dur_copy_range(f->undo_fd, off, fd, dst, on_disk);

		if (err)
			return err;
	}
	for (off += on_disk, dst += on_disk, len -= on_disk; len > 0;) {
		ssize_t w = pwrite(fd, f->undo_mem + (off - f->undo_flushed), (size_t)len, dst);

		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += w;
		dst += w;
		len -= w;
	}
	return 0;
}

void dur_undo_truncate(struct dur_file *f, int64_t off)
{
	f->undo_size = off;
	if (f->undo_flushed > off)
		f->undo_flushed = off;
}

int dur_rec_push(struct dur_file *f, const struct dur_rec *r)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct dur_rec *recs = realloc(f->recs, cap * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		f->recs = recs;
		f->cap = cap;
	}
	f->recs[f->n++] = *r;
	return 0;
}

/*
 * The file's volatile records became durable. Lost records stay; what
 * became durable after a lost record stays as a mark, so that the power
 * cut does not restore the lost pre-image over it. st: f's stat taken under
 * f->lock, or NULL to ask.
 */
void dur_file_settle(struct ffs_dur *d, struct dur_file *f, const struct stat *st)
{
	uint64_t min_lost = UINT64_MAX;
	size_t k = 0;
	struct stat now;

	for (size_t i = 0; i < f->n; i++)
		if ((f->recs[i].flags & DUR_LOST) && f->recs[i].seq < min_lost)
			min_lost = f->recs[i].seq;
	for (size_t i = 0; i < f->n; i++) {
		struct dur_rec *r = &f->recs[i];

		if (!(r->flags & DUR_LOST)) {
			if (r->seq < min_lost)
				continue;
			r->flags |= DUR_MARK;
		}
		f->recs[k++] = *r;
	}
	f->n = k;
	if (k == 0) {
		if (f->undo_flushed > UNDO_KEEP_BLOCKS && f->undo_fd >= 0)
			ftruncate(f->undo_fd, 0);
		dur_undo_truncate(f, 0);
		if (f->cap > 64) {
			free(f->recs);
			f->recs = NULL;
			f->cap = 0;
		}
	}
	if (st)
		f->durable_size = st->st_size;
	else if (!ffs_fstat_lite(f->fd, &now))
		f->durable_size = now.st_size;
}

/* syncfs: every file's volatile records become durable. */
void dur_files_settle_all(struct ffs_dur *d)
{
	pthread_mutex_lock(&d->table_lock);
	for (size_t b = 0; b < DUR_BUCKETS; b++)
		for (struct dur_file *f = d->bucket[b]; f; f = f->next) {
			pthread_mutex_lock(&f->lock);
			dur_file_settle(d, f, NULL);
			pthread_mutex_unlock(&f->lock);
		}
	pthread_mutex_unlock(&d->table_lock);
}
