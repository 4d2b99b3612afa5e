// SPDX-License-Identifier: GPL-2.0-only
/*
 * The power cut: every file's records are replayed newest first. Kept
 * writes (keep=, torn=, marks) protect their bytes from the pre-images of
 * older undone records; the final size is computed first, without I/O, so
 * that nothing beyond it is restored (see dur_engine.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dur_int.h"

#define END_OF_FILE INT64_MAX

enum item_kind {
	IT_KEEP,     /* bytes [off, end) persist; counts toward the size */
	IT_PROTECT,  /* bytes [off, end) persist (a durable truncate or fallocate) */
	IT_PIN,      /* a durable size change: older undos leave the size alone */
	IT_UNDO,     /* restore rec's pre-image */
};

struct item {
	uint64_t seq;
	uint8_t kind;
	int64_t off, end;
	const struct dur_rec *rec;
};

struct ranges {
	int64_t (*r)[2];
	size_t n, cap;
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Deterministic per (seed, write, piece): the same history gives the same crash. */
static uint64_t draw(uint64_t seed, uint64_t seq, uint64_t piece)
{
	return splitmix64(splitmix64(seed ^ splitmix64(seq)) ^ piece);
}

/* Newest first; at equal seq (pieces of one write) what persists comes first. */
static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return (x->kind == IT_UNDO) - (y->kind == IT_UNDO);
}

static int ranges_add(struct ranges *s, int64_t a, int64_t b)
{
	size_t i = 0, j;

	if (a >= b)
		return 0;
	/* First interval that ends at or after a: it and the following may merge. */
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->r[mid][1] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	for (j = i; j < s->n && s->r[j][0] <= b; j++) {
		if (s->r[j][0] < a)
			a = s->r[j][0];
		if (s->r[j][1] > b)
			b = s->r[j][1];
	}
	if (j == i) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			int64_t (*r)[2] = realloc(s->r, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			s->r = r;
			s->cap = cap;
		}
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
		s->n++;
	} else if (j > i + 1) {
		memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(*s->r));
		s->n -= j - i - 1;
	}
	s->r[i][0] = a;
	s->r[i][1] = b;
	return 0;
}

struct undo_ctx {
	struct dur_file *f;
	int fd;          /* where the replay writes: the backing file, or a snapshot's copy */
	int64_t final;
	int err;
	char *zeros;
};

static void zero_range(struct undo_ctx *u, int64_t a, int64_t b)
{
	if (!fallocate(u->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, a, b - a))
		return;
	if (!u->zeros) {
		u->zeros = calloc(1, 1 << 20);
		if (!u->zeros) {
			u->err = -ENOMEM;
			return;
		}
	}
	while (a < b) {
		size_t n = b - a > (1 << 20) ? (1 << 20) : (size_t)(b - a);
		ssize_t w = pwrite(u->fd, u->zeros, n, a);

		if (w <= 0) {
			u->err = w < 0 ? -errno : -EIO;
			return;
		}
		a += w;
	}
}

/* Restore [a, b) of r (pre-image, or zeros past it) outside the protected ranges. */
static void restore(struct undo_ctx *u, const struct ranges *p, const struct dur_rec *r,
		    int64_t a, int64_t b)
{
	size_t i = 0;

	if (b > u->final)
		b = u->final;
	while (a < b) {
		while (i < p->n && p->r[i][1] <= a)
			i++;
		int64_t gap_end = b;

		if (i < p->n && p->r[i][0] <= a) {
			a = p->r[i][1];
			continue;
		}
		if (i < p->n && p->r[i][0] < gap_end)
			gap_end = p->r[i][0];
		/* [a, gap_end) is ours: pre-image part, then zeros. */
		int64_t pre_end = r->off + r->pre_len;

		if (a < pre_end) {
			int64_t e = gap_end < pre_end ? gap_end : pre_end;
			int err = dur_undo_copy(u->f, r->undo_off + (a - r->off), u->fd, a, e - a);

			if (err)
				u->err = err;
			a = e;
		}
		if (a < gap_end) {
			zero_range(u, a, gap_end);
			a = gap_end;
		}
	}
}

static int file_items(struct dur_file *f, const struct ffs_powercut_opts *o,
		      struct ffs_powercut_report *rep, struct item **ret, size_t *ret_n)
{
	size_t cap = 2 * f->n + 1, n = 0;  /* a size-changing mark makes two */
	struct item *it;
	const struct dur_rec *newest = NULL;

	for (size_t i = 0; i < f->n; i++) {
		const struct dur_rec *r = &f->recs[i];

		if (r->kind == DUR_WRITE && !(r->flags & (DUR_LOST | DUR_MARK)) &&
		    (!newest || r->seq >= newest->seq))
			newest = r;
	}
	if (o->torn_sector && newest)
		cap += (size_t)(newest->len / o->torn_sector) + 2;
	it = calloc(cap, sizeof(*it));
	if (!it)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		const struct dur_rec *r = &f->recs[i];
		struct item x = { .seq = r->seq, .rec = r, .off = r->off, .end = r->off + r->len };

		if (r->flags & DUR_MARK) {
			if (r->kind == DUR_WRITE) {
				x.kind = IT_KEEP;
			} else {
				if (r->kind == DUR_TRUNC && r->size_after < r->size_before) {
					x.off = r->size_after;
					x.end = END_OF_FILE;
				}
				x.kind = IT_PROTECT;
				if (r->size_after != r->size_before) {
					it[n++] = x;
					x.kind = IT_PIN;
				}
			}
		} else if (r->flags & DUR_LOST) {
			x.kind = IT_UNDO;
		} else if (r->kind != DUR_WRITE) {
			x.kind = IT_UNDO;
		} else if (r == newest && o->torn_sector) {
			/* Torn: a seeded subset of its sector-aligned pieces persists. */
			int64_t s = o->torn_sector, a = r->off;
			bool all = true;

			while (a < r->off + r->len) {
				int64_t b = (a / s + 1) * s;

				if (b > r->off + r->len)
					b = r->off + r->len;
				if (draw(o->seed, r->seq, (uint64_t)(a / s) + 1) & 1)
					it[n++] = (struct item){ .seq = r->seq, .kind = IT_KEEP,
								 .off = a, .end = b, .rec = r };
				else
					all = false;
				a = b;
			}
			x.kind = IT_UNDO;
			if (all) {
				rep->writes_kept++;
				continue;
			}
		} else if (o->keep_ppm &&
			   draw(o->seed, r->seq, 0) % 1000000 < o->keep_ppm) {
			x.kind = IT_KEEP;
			rep->writes_kept++;
		} else {
			x.kind = IT_UNDO;
		}
		if (x.kind == IT_UNDO) {
			rep->bytes_undone += (uint64_t)r->len;
			if (r->kind == DUR_WRITE)
				rep->writes_undone++;
		}
		it[n++] = x;
	}
	qsort(it, n, sizeof(*it), cmp_item);
	*ret = it;
	*ret_n = n;
	return 0;
}

/*
 * ret_shrink: NULL, the file is cut to its final size here; else a size
 * the file must still be cut to (-1: none), left to the caller.
 */
static int replay(struct dur_file *f, int fd, const struct ffs_powercut_opts *o,
		  struct ffs_powercut_report *rep, bool *ret_touched, int64_t *ret_shrink)
{
	struct undo_ctx u = { .f = f, .fd = fd };
	struct ranges prot = { 0 };
	struct item *it = NULL;
	bool pinned = false, any_undo = false;
	int64_t needed = 0, cur;
	struct stat st;
	size_t n;
	int err;

	if (f->n == 0)
		return 0;
	if (fstat(fd, &st))
		return -errno;
	err = file_items(f, o, rep, &it, &n);
	if (err)
		return err;

	/* Pass 1: the size a reboot shows. */
	cur = st.st_size;
	for (size_t i = 0; i < n; i++) {
		switch (it[i].kind) {
		case IT_KEEP:
			if (!pinned && it[i].end > needed)
				needed = it[i].end;
			break;
		case IT_PIN:
			pinned = true;
			break;
		case IT_UNDO:
			any_undo = true;
			if (!pinned)
				cur = it[i].rec->size_before > needed ? it[i].rec->size_before : needed;
			break;
		}
	}
	u.final = cur;

	/* Pass 2: pre-images below the final size, outside what persists. */
	for (size_t i = 0; i < n && !u.err; i++) {
		switch (it[i].kind) {
		case IT_KEEP:
		case IT_PROTECT:
			u.err = ranges_add(&prot, it[i].off, it[i].end);
			break;
		case IT_UNDO:
			restore(&u, &prot, it[i].rec, it[i].rec->off, it[i].rec->off + it[i].rec->len);
			break;
		}
	}
	if (!u.err && !fstat(fd, &st) && st.st_size != u.final) {
		if (ret_shrink && st.st_size > u.final)
			*ret_shrink = u.final;
		else if (ftruncate(fd, u.final))
			u.err = -errno;
	}
	free(prot.r);
	free(u.zeros);
	free(it);
	*ret_touched = any_undo;
	return u.err;
}

int dur_file_replay(struct dur_file *f, int fd, const struct ffs_powercut_opts *o,
		    struct ffs_powercut_report *rep, bool *ret_touched)
{
	return replay(f, fd, o, rep, ret_touched, NULL);
}

/*
 * A file the cut must shrink, its shrink held back until the names are
 * undone: if that leaves the inode without a name, nobody may ever read
 * the bytes beyond its size, and freeing them (0.05 to 0.6 s per GiB on a
 * disk mounted with discard) need not hold every request off.
 */
struct shrink {
	dev_t dev;
	ino_t ino;
	int fd;
	int64_t size;
	struct ffs_orphan_name *names;  /* the unsynced creates of its names */
	size_t n_names;
};

struct shrinks {
	struct shrink *v;
	size_t n, cap;
};

static int shrink_add(struct shrinks *s, const struct shrink *x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct shrink *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *x;
	return 0;
}

/*
 * Before the names are undone: the names each file to shrink got from a
 * create the cut will undo, so that the caller can tell which of the
 * kernel's names lead to it. Best effort: a name missing here only costs
 * the caller its slower, safe path.
 */
static void shrinks_names(struct ffs_dur *d, struct shrinks *s)
{
	if (!s->n)
		return;
	pthread_mutex_lock(&d->names_lock);
	for (size_t j = 0; j < d->nnames; j++) {
		const struct dur_name *n = &d->names[j];

		if (n->kind != DUR_N_CREATE || !n->dir1 || !n->name1)
			continue;
		for (size_t i = 0; i < s->n; i++) {
			struct shrink *x = &s->v[i];
			struct ffs_orphan_name *v;

			if (x->dev != n->edev || x->ino != n->eino)
				continue;
			v = realloc(x->names, (x->n_names + 1) * sizeof(*v));
			if (!v)
				break;
			x->names = v;
			v[x->n_names].dir_dev = n->dir1->dev;
			v[x->n_names].dir_ino = n->dir1->ino;
			v[x->n_names].name = strdup(n->name1);
			if (v[x->n_names].name)
				x->n_names++;
		}
	}
	pthread_mutex_unlock(&d->names_lock);
}

/*
 * After the names: a file still named is cut now, as without the caller's
 * orphan callback; one left without a name goes to the caller, which must
 * cut it before any request can reach the inode (powercut.c). Returns the
 * first error.
 */
static int shrinks_settle(struct shrinks *s, const struct ffs_inval_ops *inval)
{
	int err = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct shrink *x = &s->v[i];
		struct stat st;

		if (!fstat(x->fd, &st) && st.st_nlink == 0) {
			inval->orphan(inval->ctx, x->dev, x->ino, x->fd, x->size, x->names,
				      x->n_names);
		} else {
			if (ftruncate(x->fd, x->size) && !err)
				err = -errno;
			close(x->fd);
		}
		for (size_t j = 0; j < x->n_names; j++)
			free((char *)x->names[j].name);
		free(x->names);
	}
	free(s->v);
	return err;
}

/*
 * The lowest byte any volatile record of f may change at a cut (f->lock
 * held): below it the kernel's cached pages stay true, and a database that
 * appends to a durable file keeps its durable part cached.
 */
static int64_t lowest_change(const struct dur_file *f)
{
	int64_t lo = INT64_MAX;

	for (size_t i = 0; i < f->n; i++) {
		const struct dur_rec *r = &f->recs[i];
		int64_t a = r->off;

		if (r->size_before < a)
			a = r->size_before;
		if (r->size_after < a)
			a = r->size_after;
		if (a < lo)
			lo = a;
	}
	return lo < 0 || lo == INT64_MAX ? 0 : lo;
}

int ffs_dur_powercut(struct ffs_dur *d, const struct ffs_powercut_opts *opts,
		     const struct ffs_inval_ops *inval, struct ffs_powercut_report *ret)
{
	struct ffs_powercut_opts o = opts ? *opts : (struct ffs_powercut_opts){ 0 };
	struct ffs_powercut_report rep = { 0 };
	struct shrinks shrinks = { 0 };
	struct timespec t0, t1;
	int err = 0;

	if (o.keep_ppm > 1000000)
		return -EINVAL;
	dur_watch_all(d);  /* a snapshot copying meanwhile must copy again */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&d->table_lock);
	d->nfiles = d->nidle = 0;
	for (size_t b = 0; b < DUR_BUCKETS; b++) {
		struct dur_file *f = d->bucket[b], *next;

		d->bucket[b] = NULL;
		for (; f; f = next) {
			bool touched = false;
			/* Only a file nobody is inside may outlive its struct (its fd taken). */
			bool hold = inval && inval->orphan && f->ref == 0 && f->fd >= 0;
			int64_t from, shrink = -1;
			int r;

			next = f->next;
			pthread_mutex_lock(&f->lock);
			from = lowest_change(f);
			r = replay(f, f->fd, &o, &rep, &touched, hold ? &shrink : NULL);
			pthread_mutex_unlock(&f->lock);
			if (!r && shrink >= 0) {
				struct shrink x = { .dev = f->dev, .ino = f->ino, .fd = f->fd,
						    .size = shrink };

				r = shrink_add(&shrinks, &x);
				if (!r)
					f->fd = -1;   /* shrinks_settle closes it, or the caller */
				else if (ftruncate(f->fd, shrink))
					r = -errno;
			}
			if (r && !err)
				err = r;
			if (touched) {
				rep.files_touched++;
				if (inval && inval->data)
					inval->data(inval->ctx, f->dev, f->ino, from);
				else if (inval && inval->inode)
					inval->inode(inval->ctx, f->dev, f->ino);
			}
			/* Whatever the outcome, the volatile state is gone with the power. */
			if (f->ref == 0) {
				dur_file_free(d, f);
				continue;
			}
			/* In use (the caller should hold every request off): keep it, empty. */
			f->n = 0;
			dur_undo_truncate(f, 0);
			if (f->undo_fd >= 0)
				ftruncate(f->undo_fd, 0);
			f->next = d->bucket[b];
			d->bucket[b] = f;
			d->nfiles++;
		}
	}
	pthread_mutex_unlock(&d->table_lock);

	shrinks_names(d, &shrinks);
	rep.names_undone = dur_names_undo(d, inval);
	{
		int r = shrinks_settle(&shrinks, inval);

		if (r && !err)
			err = r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep.duration_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ULL +
			  (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
	if (ret)
		*ret = rep;
	return err;
}
