// SPDX-License-Identifier: GPL-2.0-only
/*
 * How many names of each inode are parked in trash/, so that attribute
 * replies show st_nlink as a native filesystem would (ffs_dur_adjust_stat).
 * Its own lock and table: a getattr must not wait behind a name operation
 * holding the journal lock. The name journal (dur_names.c) counts parks
 * and releases here; this file calls nothing of the engine.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "dur_int.h"

static struct dur_parked **parked_slot(struct ffs_dur *d, dev_t dev, ino_t ino)
{
	struct dur_parked **pp = &d->parked[dur_name_bucket(dev, ino)];

	while (*pp && ((*pp)->dev != dev || (*pp)->ino != ino))
		pp = &(*pp)->next;
	return pp;
}

/* One more (delta 1) or one less (-1) name of (dev, ino) parked in trash/. */
void dur_parked_add(struct ffs_dur *d, dev_t dev, ino_t ino, int delta)
{
	struct dur_parked **pp, *p;

	pthread_mutex_lock(&d->parked_lock);
	pp = parked_slot(d, dev, ino);
	p = *pp;
	if (delta > 0) {
		if (!p) {
			p = calloc(1, sizeof(*p));
			if (!p)
				goto out; /* nlink shows one too many: cosmetic */
			p->dev = dev;
			p->ino = ino;
			*pp = p;
		}
		p->count++;
		__atomic_add_fetch(&d->nparked, 1, __ATOMIC_RELEASE);
	} else if (p) {
		__atomic_sub_fetch(&d->nparked, 1, __ATOMIC_RELEASE);
		if (!--p->count) {
			*pp = p->next;
			free(p);
		}
	}
out:
	pthread_mutex_unlock(&d->parked_lock);
}

void dur_parked_clear(struct ffs_dur *d)
{
	pthread_mutex_lock(&d->parked_lock);
	for (size_t b = 0; b < DUR_BUCKETS; b++) {
		struct dur_parked *p = d->parked[b], *next;

		for (; p; p = next) {
			next = p->next;
			free(p);
		}
		d->parked[b] = NULL;
	}
	__atomic_store_n(&d->nparked, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->parked_lock);
}

void ffs_dur_adjust_stat(struct ffs_dur *d, struct stat *st)
{
	struct dur_parked *p;

	if (!d || !__atomic_load_n(&d->nparked, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&d->parked_lock);
	p = *parked_slot(d, st->st_dev, st->st_ino);
	if (p) {
		/* A removed directory has no links at all: its own "." goes with it. */
		if (S_ISDIR(st->st_mode) || st->st_nlink <= p->count)
			st->st_nlink = 0;
		else
			st->st_nlink -= p->count;
	}
	pthread_mutex_unlock(&d->parked_lock);
}
