// SPDX-License-Identifier: GPL-2.0-only
/*
 * What changed while a snapshot copied the tree without the operations
 * lock: the byte ranges written per inode, the inodes whose size or
 * attributes changed (or that are new), and whether any name changed or
 * a power cut ran. The snapshot then catches up under the lock by copying
 * only those (dur_snapshot.c): after a name change it walks the names
 * again too, after a power cut it copies everything again. The mutating
 * calls report here after they took effect; when no snapshot runs that is
 * a fence and one atomic load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dur_int.h"

/*
 * The caller's change (a syscall just made) must be ordered before this
 * load: else a snapshot could turn the watch on and copy the old bytes
 * while the change still sits in this CPU's store buffer, and neither
 * would see the other. A full fence, a few cycles next to a syscall.
 */
static bool watching(struct ffs_dur *d)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&d->watch.on, __ATOMIC_SEQ_CST);
}

static struct dur_watched *find(struct ffs_dur *d, dev_t dev, ino_t ino, bool create)
{
	size_t b = dur_name_bucket(dev, ino);
	struct dur_watched *w;

	for (w = d->watch.bucket[b]; w; w = w->next)
		if (w->dev == dev && w->ino == ino)
			return w;
	if (!create)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		d->watch.all = true;  /* cannot remember: the catch-up copies everything */
		return NULL;
	}
	w->dev = dev;
	w->ino = ino;
	w->next = d->watch.bucket[b];
	d->watch.bucket[b] = w;
	return w;
}

void dur_watch_data(struct ffs_dur *d, dev_t dev, ino_t ino, int64_t off, int64_t len)
{
	struct dur_watched *w;

	if (!watching(d))
		return;
	pthread_mutex_lock(&d->watch.lock);
	w = find(d, dev, ino, true);
	if (w && len < 0) {
		w->whole = true;
	} else if (w && len > 0 && !w->whole) {
		int64_t a = off, e = off + len;
		size_t i;

		/* Merge with an overlapping or touching range; past the cap, one hull. */
		for (i = 0; i < w->n; i++)
			if (a <= w->r[i][1] && e >= w->r[i][0])
				break;
		if (i == w->n && w->n == DUR_WATCH_RANGES) {
			for (i = 1; i < w->n; i++) {
				if (w->r[i][0] < w->r[0][0])
					w->r[0][0] = w->r[i][0];
				if (w->r[i][1] > w->r[0][1])
					w->r[0][1] = w->r[i][1];
			}
			w->n = 1;
			i = 0;
		}
		if (i == w->n) {
			w->r[w->n][0] = a;
			w->r[w->n++][1] = e;
		} else {
			if (a < w->r[i][0])
				w->r[i][0] = a;
			if (e > w->r[i][1])
				w->r[i][1] = e;
		}
	} else if (w) {
		w->attrs = true;
	}
	pthread_mutex_unlock(&d->watch.lock);
}

/* After the change: a path read under the old generation may be the old one. */
static void names_changed(struct ffs_dur *d)
{
	__atomic_add_fetch(&d->names_gen, 1, __ATOMIC_SEQ_CST);
}

uint64_t ffs_dur_names_gen(struct ffs_dur *d)
{
	return __atomic_load_n(&d->names_gen, __ATOMIC_SEQ_CST);
}

void dur_watch_names(struct ffs_dur *d)
{
	names_changed(d);
	if (watching(d))
		__atomic_store_n(&d->watch.names, true, __ATOMIC_RELEASE);
}

/*
 * A name was added (create, mkdir, mknod, symlink, link), or a volatile
 * create cancelled by its unlink: no existing inode's path changed (an fd
 * reads back the name it was opened by), so the remembered paths stay
 * good; a snapshot copying must still see the new name.
 */
void dur_watch_names_added(struct ffs_dur *d)
{
	if (watching(d))
		__atomic_store_n(&d->watch.names, true, __ATOMIC_RELEASE);
}

void dur_watch_all(struct ffs_dur *d)
{
	names_changed(d);
	if (watching(d))
		__atomic_store_n(&d->watch.all, true, __ATOMIC_RELEASE);
}

void ffs_dur_touch(struct ffs_dur *d, int fd)
{
	struct stat st;

	if (d && watching(d) && !fstat(fd, &st))
		dur_watch_data(d, st.st_dev, st.st_ino, 0, 0);
}

int dur_watch_start(struct ffs_dur *d)
{
	bool off = false;

	/* Before the first byte is copied: a change after it is seen. */
	if (!__atomic_compare_exchange_n(&d->watch.on, &off, true, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return -EBUSY;
	return 0;
}

void dur_watch_stop(struct ffs_dur *d)
{
	pthread_mutex_lock(&d->watch.lock);
	__atomic_store_n(&d->watch.on, false, __ATOMIC_SEQ_CST);
	for (size_t b = 0; b < DUR_BUCKETS; b++) {
		struct dur_watched *w = d->watch.bucket[b], *next;

		for (; w; w = next) {
			next = w->next;
			free(w);
		}
		d->watch.bucket[b] = NULL;
	}
	/* A late report may set them again: the next snapshot then only copies more. */
	__atomic_store_n(&d->watch.names, false, __ATOMIC_RELEASE);
	__atomic_store_n(&d->watch.all, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->watch.lock);
}
