// SPDX-License-Identifier: GPL-2.0-only
/*
 * Status: what is volatile, lost and held, per file and in total. It reads
 * the file table and the name journal, so it sits above both (see the top
 * of dur_engine.c); nothing in the engine calls it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

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
			t.memory_bytes += sizeof(*f) + f->cap * sizeof(struct dur_rec) +
					  (f->undo_mem ? DUR_UNDO_MEM : 0);
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
