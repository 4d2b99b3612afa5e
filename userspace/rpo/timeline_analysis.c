// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the durability timeline says at a time t: which barrier last
 * completed, which writes no barrier had made durable yet. Pure functions
 * over event arrays, so they are tested on synthetic timelines.
 *
 * A barrier covers a write only if it succeeded, was entered after the
 * write returned (a barrier that overlaps the write may have missed its
 * pages) and reaches the write's file (and range, for RANGE barriers).
 * A failed fsync covers nothing: after an error the kernel may have
 * dropped the dirty pages it could not write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/timeline.h>

bool fl_tl_is_barrier(const struct fl_tl_event *e)
{
	if (e->kind == FL_TL_BARRIER)
		return e->ret == 0 && e->scope != FL_TL_SCOPE_NONE;
	/* O_SYNC/O_DSYNC/RWF_*SYNC: durable when it returns, but only itself. */
	return e->kind == FL_TL_WRITE && e->ret > 0 &&
	       (e->scope == FL_TL_SCOPE_FILE || e->scope == FL_TL_SCOPE_DATA);
}

static bool same_file(const struct fl_tl_event *b, uint64_t dev, uint64_t ino)
{
	return b->dev == dev && b->ino == ino;
}

static bool range_in(const struct fl_tl_event *b, int64_t off, uint64_t len)
{
	if (off < 0 || b->offset < 0 || off < b->offset)
		return false;
	return b->len == 0 || (uint64_t)(off - b->offset) + len <= b->len;
}

/* Does barrier b reach bytes [off, off+len) of file (dev, ino)? */
static bool reaches(const struct fl_tl_event *b, uint64_t dev, uint64_t ino,
		    int64_t off, uint64_t len)
{
	if (dev == 0 && ino == 0)
		return true;  /* the caller does not know the file */
	switch (b->scope) {
	case FL_TL_SCOPE_ALL:
		return true;
	case FL_TL_SCOPE_FS:
		return b->dev == dev;
	case FL_TL_SCOPE_FILE:
	case FL_TL_SCOPE_DATA:
		return b->kind == FL_TL_BARRIER && same_file(b, dev, ino);
	case FL_TL_SCOPE_RANGE:
		return same_file(b, dev, ino) && range_in(b, off, len);
	default:
		return false;
	}
}

static bool is_self(const struct fl_tl_event *b, const struct fl_tl_event *w)
{
	return b->kind == FL_TL_WRITE && b->tid == w->tid && b->enter_ns == w->enter_ns &&
	       same_file(b, w->dev, w->ino);
}

bool fl_tl_covers(const struct fl_tl_event *b, const struct fl_tl_event *w)
{
	if (!fl_tl_is_barrier(b) || w->kind != FL_TL_WRITE)
		return false;
	if (b->kind == FL_TL_WRITE)
		return is_self(b, w);
	return b->enter_ns >= w->exit_ns &&
	       reaches(b, w->dev, w->ino, w->offset, w->bytes ? w->bytes : w->len);
}

int fl_tl_last_barrier(const struct fl_tl_event *ev, size_t n, uint64_t t,
		       uint64_t dev, uint64_t ino, bool any_range, size_t *ret_idx)
{
	bool found = false;
	size_t best = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *b = &ev[i];

		if (!fl_tl_is_barrier(b) || b->exit_ns > t)
			continue;
		if (dev || ino) {
			if (b->kind == FL_TL_WRITE)
				continue;
			if (b->scope == FL_TL_SCOPE_RANGE) {
				if (!any_range || !same_file(b, dev, ino))
					continue;
			} else if (!reaches(b, dev, ino, -1, 0)) {
				continue;
			}
		}
		if (!found || b->exit_ns > ev[best].exit_ns) {
			best = i;
			found = true;
		}
	}
	if (!found)
		return -ENOENT;
	*ret_idx = best;
	return 0;
}

void fl_tl_exposure(const struct fl_tl_event *ev, size_t n, uint64_t t,
		    struct fl_tl_exposure *ret)
{
	struct fl_tl_exposure x;
	size_t idx;

	memset(&x, 0, sizeof(x));
	if (fl_tl_last_barrier(ev, n, t, 0, 0, true, &idx) == 0) {
		x.barrier_seen = true;
		x.barrier_idx = idx;
		x.last_barrier_ns = ev[idx].exit_ns;
		x.window_ns = t - ev[idx].exit_ns;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *e = &ev[i];

		if (e->enter_ns <= t && e->exit_ns > t)
			x.in_flight++;
		if (e->kind != FL_TL_WRITE || e->ret <= 0 || e->exit_ns > t)
			continue;
		if (!x.barrier_seen || e->exit_ns > x.last_barrier_ns) {
			x.writes_since++;
			x.bytes_since += e->bytes;
		}
	}
	*ret = x;
}

/* Barriers (not sync writes) by entry time, for the scans below. */
struct order {
	const struct fl_tl_event *ev;
	size_t *idx;
	size_t n;
};

static int by_enter(const void *a, const void *b, void *ctx)
{
	const struct fl_tl_event *ev = ctx;
	uint64_t x = ev[*(const size_t *)a].enter_ns;
	uint64_t y = ev[*(const size_t *)b].enter_ns;

	return x < y ? -1 : x > y;
}

static int order_barriers(const struct fl_tl_event *ev, size_t n, uint64_t t, struct order *o)
{
	o->ev = ev;
	o->n = 0;
	o->idx = malloc((n ? n : 1) * sizeof(*o->idx));
	if (!o->idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == FL_TL_BARRIER && fl_tl_is_barrier(&ev[i]) && ev[i].exit_ns <= t)
			o->idx[o->n++] = i;
	qsort_r(o->idx, o->n, sizeof(*o->idx), by_enter, (void *)ev);
	return 0;
}

/* The first barrier (by completion) entered at or after end_ns that reaches the ref. */
static void cover_one(const struct order *o, struct fl_tl_write_ref *r)
{
	size_t lo = 0, hi = o->n;
	bool found = false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->ev[o->idx[mid]].enter_ns < r->end_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < o->n; k++) {
		const struct fl_tl_event *b = &o->ev[o->idx[k]];

		/* Entered after the best one returned: it cannot return earlier. */
		if (found && b->enter_ns > r->covered_ns)
			break;
		if (!reaches(b, r->dev, r->ino, r->offset, r->len))
			continue;
		if (!found || b->exit_ns < r->covered_ns) {
			r->covered_ns = b->exit_ns;
			r->barrier_idx = o->idx[k];
			found = true;
		}
	}
}

size_t fl_tl_cover_refs(const struct fl_tl_event *ev, size_t n, uint64_t t,
			struct fl_tl_write_ref *refs, size_t n_refs)
{
	struct order o;
	size_t uncovered = 0;

	for (size_t i = 0; i < n_refs; i++) {
		refs[i].covered_ns = 0;
		refs[i].barrier_idx = 0;
	}
	if (order_barriers(ev, n, t, &o) < 0)
		return n_refs;  /* no memory: claim nothing was covered */
	for (size_t i = 0; i < n_refs; i++) {
		cover_one(&o, &refs[i]);
		if (!refs[i].covered_ns)
			uncovered++;
	}
	free(o.idx);
	return uncovered;
}

size_t fl_tl_uncovered_writes(const struct fl_tl_event *ev, size_t n, uint64_t t,
			      size_t *ret_idx, uint64_t *ret_bytes)
{
	struct order o;
	size_t count = 0;
	uint64_t bytes = 0;

	if (order_barriers(ev, n, t, &o) < 0)
		o.n = 0;  /* no memory: every write counts as uncovered */
	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *w = &ev[i];
		struct fl_tl_write_ref r;

		if (w->kind != FL_TL_WRITE || w->ret <= 0 || w->exit_ns > t)
			continue;
		if (fl_tl_is_barrier(w))
			continue;  /* a sync write is durable when it returns */
		memset(&r, 0, sizeof(r));
		r.end_ns = w->exit_ns;
		r.dev = w->dev;
		r.ino = w->ino;
		r.offset = w->offset;
		r.len = w->bytes;
		if (o.idx)
			cover_one(&o, &r);
		if (r.covered_ns)
			continue;
		if (ret_idx)
			ret_idx[count] = i;
		count++;
		bytes += w->bytes;
	}
	free(o.idx);
	if (ret_bytes)
		*ret_bytes = bytes;
	return count;
}

int fl_tl_op_write(const struct fl_tl_event *ev, size_t n, pid_t pid,
		   uint64_t start_ns, uint64_t end_ns, size_t *ret_idx)
{
	bool found = false;
	size_t best = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *w = &ev[i];

		if (w->kind != FL_TL_WRITE || w->ret <= 0 || (pid && w->pid != pid))
			continue;
		if (w->exit_ns < start_ns || w->exit_ns > end_ns)
			continue;
		if (!found || w->exit_ns > ev[best].exit_ns) {
			best = i;
			found = true;
		}
	}
	if (!found)
		return -ENOENT;
	*ret_idx = best;
	return 0;
}

/* A write with when a barrier first made it durable (UINT64_MAX: never). */
struct cand {
	uint64_t exit_ns, durable_ns;
};

static int by_exit(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->exit_ns < y->exit_ns ? -1 : x->exit_ns > y->exit_ns;
}

/* Candidates sorted by exit_ns, each with the completion of its first covering barrier. */
static int candidates(const struct fl_tl_event *ev, size_t n, struct cand **ret, size_t *ret_n)
{
	struct cand *c = malloc((n ? n : 1) * sizeof(*c));
	struct order o;
	size_t nc = 0;

	if (!c || order_barriers(ev, n, UINT64_MAX, &o) < 0) {
		free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *w = &ev[i];
		struct fl_tl_write_ref r;

		if (w->kind != FL_TL_WRITE || w->ret <= 0)
			continue;
		c[nc].exit_ns = w->exit_ns;
		if (fl_tl_is_barrier(w)) {
			c[nc++].durable_ns = w->exit_ns; /* a sync write is durable when it returns */
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.end_ns = w->exit_ns;
		r.dev = w->dev;
		r.ino = w->ino;
		r.offset = w->offset;
		r.len = w->bytes;
		cover_one(&o, &r);
		c[nc++].durable_ns = r.covered_ns ? r.covered_ns : UINT64_MAX;
	}
	free(o.idx);
	qsort(c, nc, sizeof(*c), by_exit);
	*ret = c;
	*ret_n = nc;
	return 0;
}

int fl_tl_acks_uncovered(const struct fl_tl_event *ev, size_t n, const struct fl_tl_ack *acks,
			 size_t n_acks, struct fl_tl_ack_cover *ret)
{
	struct fl_tl_ack_cover x = { 0 };
	struct cand *c;
	size_t nc;
	int err;

	err = candidates(ev, n, &c, &nc);
	if (err)
		return err;
	for (size_t i = 0; i < n_acks; i++) {
		const struct fl_tl_ack *a = &acks[i];
		size_t lo = 0, hi = nc, protected = 0, exposed = 0;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c[mid].exit_ns < a->start_ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Both kinds seen: ambiguous already, the rest of the window changes nothing. */
		for (size_t k = lo; k < nc && c[k].exit_ns <= a->end_ns && !(protected && exposed); k++) {
			if (c[k].durable_ns <= a->end_ns)
				protected++;
			else
				exposed++;
		}
		if (!protected && !exposed)
			continue;
		x.judged++;
		if (!protected)
			x.uncovered++;
		else if (exposed)
			x.ambiguous++;
	}
	free(c);
	*ret = x;
	return 0;
}

void fl_tl_summarize(const struct fl_tl_event *ev, size_t n, uint64_t t,
		     struct fl_tl_summary *ret)
{
	struct fl_tl_summary s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < n; i++) {
		const struct fl_tl_event *e = &ev[i];

		if (e->exit_ns > t)
			continue;
		if (e->flags & FL_TL_F_IO_URING)
			s.io_uring_ops++;
		switch (e->kind) {
		case FL_TL_WRITE:
			s.writes++;
			s.bytes += e->bytes;
			break;
		case FL_TL_BARRIER:
			s.barriers++;
			if (e->ret < 0)
				s.failed_barriers++;
			break;
		case FL_TL_META:
			s.meta++;
			break;
		case FL_TL_IO_URING:
			s.io_uring_calls++;
			break;
		}
	}
	s.uncovered_writes = fl_tl_uncovered_writes(ev, n, t, NULL, &s.uncovered_bytes);
	fl_tl_exposure(ev, n, t, &s.exposure);
	*ret = s;
}

void fl_tl_io_uring_note(const struct fl_tl_summary *s, bool ops_traced, char *buf, size_t len)
{
	if (!len)
		return;
	if (!s->io_uring_calls && !s->io_uring_ops) {
		buf[0] = '\0';
		return;
	}
	if (ops_traced)
		snprintf(buf, len,
			 "io_uring used (%zu calls, %zu write/sync requests on the data directory "
			 "recorded from its tracepoints): offsets of io_uring writes and RWF_*SYNC "
			 "SQE flags are not seen, other opcodes (splice, ...) are not recorded",
			 s->io_uring_calls, s->io_uring_ops);
	else
		snprintf(buf, len,
			 "io_uring used (%zu calls): I/O submitted as SQEs (writes, "
			 "IORING_OP_FSYNC, SYNC_FILE_RANGE) runs in the kernel without syscalls "
			 "and is not in this timeline (no io_uring tracepoints here); only the "
			 "io_uring syscalls are seen",
			 s->io_uring_calls);
}

static bool has_dotdot(const char *p)
{
	for (const char *c = p; *c; ) {
		size_t l = strcspn(c, "/");

		if (l == 2 && c[0] == '.' && c[1] == '.')
			return true;
		c += l;
		c += strspn(c, "/");
	}
	return false;
}

bool fl_tl_meta_under(const struct fl_tl_event *e, const char *data_dir_real)
{
	size_t l;

	if (e->kind != FL_TL_META)
		return false;
	if (e->path[0] != '/')
		return (e->flags & FL_TL_F_UNDER) && !has_dotdot(e->path);
	if (!data_dir_real || has_dotdot(e->path))
		return false;
	l = strlen(data_dir_real);
	while (l > 1 && data_dir_real[l - 1] == '/')
		l--;
	return strncmp(e->path, data_dir_real, l) == 0 &&
	       (e->path[l] == '/' || e->path[l] == '\0' || l == 1);
}
