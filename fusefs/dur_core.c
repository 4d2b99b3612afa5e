// SPDX-License-Identifier: GPL-2.0-only
/*
 * The durability engine: what a power cut keeps, byte by byte and name by
 * name.
 *
 * Design: write-through plus undo. Every mutating operation is performed on
 * the backing tree at once (so reads are plain passthrough), and what is
 * needed to undo it is kept until it becomes durable:
 *
 *  - data (dur_data.c): before a write overwrites bytes inside the current
 *    size, their pre-image is appended to BACKING/.faultfs/undo/<dev>-<ino>
 *    (copy_file_range, in the kernel). Memory holds one 64-byte record per
 *    operation {seq, off, len, undo_off, pre_len, size_before, size_after}.
 *    Appends need no pre-image (bytes beyond the old end read as zeros).
 *    truncate saves the cut tail; fallocate punch/zero the range; collapse
 *    and insert the whole tail. fsync/fdatasync of the file (after the real
 *    one succeeded) drops its records; syncfs drops all.
 *  - names (dur_names.c, strict mode only): create/mknod/mkdir/symlink/link
 *    record their inverse; unlink/rmdir and a replaced rename target are
 *    parked by rename into BACKING/.faultfs/trash/<seq> (so the inode, its
 *    content and any open fd stay intact); rename and RENAME_EXCHANGE record
 *    the inverse rename. A record becomes durable when its directory (both
 *    directories for a rename) is fsynced after it; then its trash entry is
 *    really deleted. Records hold O_PATH fds of their directories (shared,
 *    refcounted), so undo works by fd whatever happened to the paths.
 *  - lost data: mark_lost (lying disk, torn tail) and fsyncgate move write
 *    records to the lost state, which fsync does not clear. A record made
 *    durable while an older (or same-write) lost record exists becomes a
 *    "mark" so that the power cut does not restore the lost pre-image over
 *    bytes (or a size) that really reached the disk.
 *  - power cut (dur_powercut.c): names are undone newest first; then each
 *    file's records are replayed newest first against a set of protected
 *    ranges (kept writes, marks, torn sectors): an undone record restores
 *    its pre-image (or zeros) outside the protected ranges, and the final
 *    size is the size before the oldest undone change, grown to contain
 *    every kept write. A first pass computes that final size without I/O so
 *    that nothing beyond it is restored: undoing appended data costs one
 *    ftruncate whatever its amount. keep=P% decides per write from
 *    splitmix64(seed, seq); torn=SECTOR keeps a seeded subset of the
 *    sector-aligned pieces of each file's newest volatile write.
 *
 * Limits (stated in the report too):
 *  - memory: 64 bytes per volatile data operation (sizeof(struct dur_rec))
 *    plus ~100 bytes per tracked file and ~80 bytes + names per volatile
 *    name operation. Nothing is coalesced, so a file written 10 million
 *    times without fsync holds 640 MB; undo data is on disk and bounded by
 *    the backing filesystem (as much as the overwritten bytes).
 *  - file descriptors: two per file with volatile data (its inode, its undo
 *    file), plus up to DUR_IDLE_MAX idle files kept for reuse, plus one per
 *    directory with volatile names: the daemon must raise RLIMIT_NOFILE.
 *  - writes to one file serialize on its mutex (pre-image, write, record);
 *    different files do not share a lock beyond a short table lookup.
 *  - writes that bypass the engine (shared writable mmap) are not tracked:
 *    they are durable at once.
 *  - the undo file of a file with lost records is only emptied when the
 *    lost records go (power cut or clean shutdown).
 *  - trash and undo live in BACKING/.faultfs, so parking needs the entry on
 *    the same filesystem: an unlink across a nested mount (EXDEV) is done
 *    directly and is durable at once.
 *  - a crash of faultfs itself (not a power cut) leaves .faultfs behind; the
 *    next open discards undo/ and trash/: the machine did not lose power.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)(h >> 20) % DUR_BUCKETS;
}

int dur_opendir(int dirfd, const char *name, DIR **ret)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir;
	int err;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret = dir;
	return 0;
}

int dur_empty_dir(int dirfd)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = dur_opendir(dirfd, ".", &dir);
	if (err)
		return err;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = dur_rm_tree(dirfd, de->d_name);

		if (r && !err)
			err = r;
	}
	closedir(dir);
	return err;
}

int dur_rm_tree(int dirfd, const char *name)
{
	int fd, err;

	if (!unlinkat(dirfd, name, 0))
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = dur_empty_dir(fd);
	close(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) && !err)
		err = -errno;
	return err;
}

static int open_subdir(int parent, const char *name, int *ret)
{
	int fd;

	if (mkdirat(parent, name, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

int ffs_dur_open(int backing_fd, enum ffs_dur_mode mode, struct ffs_dur **ret)
{
	struct ffs_dur *d = calloc(1, sizeof(*d));
	char proc[64];
	ssize_t n;
	int err;

	if (!d)
		return -ENOMEM;
	d->mode = mode;
	d->root_fd = d->state_fd = d->undo_dir = d->trash_dir = -1;
	d->names_max = FFS_DUR_NAMES_MAX_DEFAULT;
	d->trash_max = FFS_DUR_TRASH_MAX_DEFAULT;
	pthread_mutex_init(&d->table_lock, NULL);
	pthread_mutex_init(&d->names_lock, NULL);
	pthread_mutex_init(&d->parked_lock, NULL);

	d->root_fd = fcntl(backing_fd, F_DUPFD_CLOEXEC, 3);
	if (d->root_fd < 0) {
		err = -errno;
		goto fail;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", d->root_fd);
	n = readlink(proc, d->root_path, sizeof(d->root_path) - 1);
	if (n < 0) {
		err = -errno;
		goto fail;
	}
	d->root_path[n] = '\0';

	err = open_subdir(d->root_fd, FFS_STATE_DIR, &d->state_fd);
	if (err)
		goto fail;
	err = open_subdir(d->state_fd, "undo", &d->undo_dir);
	if (err)
		goto fail;
	err = open_subdir(d->state_fd, "trash", &d->trash_dir);
	if (err)
		goto fail;
	/* Left over by a faultfs that died: the machine did not lose power. */
	err = dur_empty_dir(d->undo_dir);
	if (!err)
		err = dur_empty_dir(d->trash_dir);
	if (err)
		goto fail;
	*ret = d;
	return 0;
fail:
	ffs_dur_close(d);
	return err;
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
	pthread_mutex_destroy(&f->lock);
	free(f->recs);
	free(f);
}

static void free_all_files(struct ffs_dur *d)
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

void ffs_dur_close(struct ffs_dur *d)
{
	if (!d)
		return;
	free_all_files(d);
	dur_names_free_all(d);
	if (d->undo_dir >= 0) {
		dur_empty_dir(d->undo_dir);
		close(d->undo_dir);
	}
	if (d->trash_dir >= 0) {
		dur_empty_dir(d->trash_dir);
		close(d->trash_dir);
	}
	/*
	 * A clean shutdown leaves no state behind: undo/ and trash/ go, and
	 * .faultfs too unless the write log (or anything else) lives there.
	 */
	if (d->state_fd >= 0 && d->undo_dir >= 0 && d->trash_dir >= 0) {
		unlinkat(d->state_fd, "undo", AT_REMOVEDIR);
		unlinkat(d->state_fd, "trash", AT_REMOVEDIR);
		unlinkat(d->root_fd, FFS_STATE_DIR, AT_REMOVEDIR);
	}
	if (d->state_fd >= 0)
		close(d->state_fd);
	if (d->root_fd >= 0)
		close(d->root_fd);
	pthread_mutex_destroy(&d->table_lock);
	pthread_mutex_destroy(&d->names_lock);
	pthread_mutex_destroy(&d->parked_lock);
	free(d);
}

enum ffs_dur_mode ffs_dur_mode(const struct ffs_dur *d)
{
	return d->mode;
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
 * inode is gone (holding it open would keep its blocks).
 */
void dur_file_put(struct ffs_dur *d, struct dur_file *f)
{
	size_t b = bucket_of(f->dev, f->ino);
	struct stat st;
	bool drop = false;

	pthread_mutex_lock(&d->table_lock);
	if (--f->ref == 0 && file_idle(f)) {
		drop = d->nidle >= DUR_IDLE_MAX || (fstat(f->fd, &st) == 0 && st.st_nlink == 0);
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
	f->undo_size = 0;
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
	if (f && (fstat(f->fd, &st) || st.st_nlink > 0))
		f = NULL;  /* another name still holds it: its data can come back */
	if (f && f->ref == 0) {
		if (file_idle(f) && d->nidle)
			d->nidle--;
		*pp = f->next;
		d->nfiles--;
		free_it = true;
	} else if (f) {
		pthread_mutex_lock(&f->lock);
		dur_file_discard(d, f);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&d->table_lock);
	if (free_it)
		dur_file_free(d, f);
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

/* --- status ------------------------------------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Bytes in the union of the write ranges of records with (flags & mask) == want. */
static uint64_t union_bytes(const struct dur_file *f, uint8_t mask, uint8_t want, uint64_t *ret_n)
{
	int64_t (*r)[2] = malloc(sizeof(*r) * (f->n ? f->n : 1));
	size_t n = 0;
	uint64_t sum = 0;
	int64_t start = 0, end = -1;

	*ret_n = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct dur_rec *rec = &f->recs[i];

		if ((rec->flags & mask) != want || rec->kind != DUR_WRITE)
			continue;
		(*ret_n)++;
		if (r && rec->len > 0) {
			r[n][0] = rec->off;
			r[n][1] = rec->off + rec->len;
			n++;
		}
	}
	if (!r)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (r[i][0] > end) {
			if (end > start)
				sum += (uint64_t)(end - start);
			start = r[i][0];
			end = r[i][1];
		} else if (r[i][1] > end) {
			end = r[i][1];
		}
	}
	if (end > start)
		sum += (uint64_t)(end - start);
	free(r);
	return sum;
}

/* Path relative to the backing root, or NULL (unlinked, parked, elsewhere). */
static char *file_path(struct ffs_dur *d, int fd, char *buf, size_t len)
{
	char proc[64];
	size_t rl = strlen(d->root_path);
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	if (strncmp(buf, d->root_path, rl) || buf[rl] != '/')
		return NULL;
	if (!strncmp(buf + rl + 1, FFS_STATE_DIR "/", sizeof(FFS_STATE_DIR)) ||
	    (n > 10 && !strcmp(buf + n - 10, " (deleted)")))
		return NULL;
	return buf + rl;
}

int ffs_dur_status(struct ffs_dur *d, ffs_dur_status_cb cb, void *ctx, struct ffs_dur_totals *ret)
{
	struct ffs_dur_totals t = { 0 };
	char path[4096];
	uint64_t names;
	int err = 0;

	pthread_mutex_lock(&d->table_lock);
	t.memory_bytes = sizeof(*d);
	for (size_t b = 0; b < DUR_BUCKETS && !err; b++) {
		for (struct dur_file *f = d->bucket[b]; f && !err; f = f->next) {
			struct ffs_dur_file_status st = { .dev = f->dev, .ino = f->ino };
			struct stat sb;
			uint64_t nlost;

			pthread_mutex_lock(&f->lock);
			t.memory_bytes += sizeof(*f) + f->cap * sizeof(struct dur_rec);
			if (f->n == 0) {
				pthread_mutex_unlock(&f->lock);
				continue;
			}
			st.volatile_bytes = union_bytes(f, DUR_LOST | DUR_MARK, 0, &st.volatile_writes);
			st.lost_bytes = union_bytes(f, DUR_LOST, DUR_LOST, &nlost);
			st.durable_size = f->durable_size;
			st.size = fstat(f->fd, &sb) ? -1 : sb.st_size;
			st.path = file_path(d, f->fd, path, sizeof(path));
			t.undo_disk_bytes += (uint64_t)f->undo_size;
			pthread_mutex_unlock(&f->lock);

			t.volatile_bytes += st.volatile_bytes;
			t.volatile_writes += st.volatile_writes;
			t.lost_bytes += st.lost_bytes;
			t.files++;
			if (cb)
				err = cb(ctx, &st);
		}
	}
	pthread_mutex_unlock(&d->table_lock);
	if (err)
		return err;
	t.memory_bytes += dur_names_memory(d, &names);
	t.volatile_names = names;
	pthread_mutex_lock(&d->names_lock);
	t.trash_bytes = d->trash_bytes;
	t.names_max = d->names_max;
	t.trash_max = d->trash_max;
	t.names_forced = d->names_forced;
	pthread_mutex_unlock(&d->names_lock);
	if (ret)
		*ret = t;
	return 0;
}
