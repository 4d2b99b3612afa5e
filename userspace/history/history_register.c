// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The register checker (the algorithm and its limits: history.h). Keys are
 * independent, so the ops are grouped by key and each group is judged
 * alone: values are unique per key, so a value read names its write, and a
 * read is stale when an acknowledged write that completed before the read
 * began had itself begun after the value's write completed. A running
 * maximum of invoke times over the acknowledged writes, in order of
 * completion, answers that with one binary search per read.
 */
#include <errno.h>
#include <stdlib.h>

#include "history_priv.h"

struct wv {          /* a value and the op that tried to write it */
	int64_t value;
	size_t op;
};

struct ack {         /* an acknowledged write, by completion */
	uint64_t complete, invoke;
	size_t op;
};

struct ki {          /* a register op's key and index, to group by key */
	uint64_t key;
	size_t i;
};

static int cmp_key(const void *a, const void *b)
{
	const struct ki *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_wv(const void *a, const void *b)
{
	const struct wv *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->op < y->op ? -1 : x->op > y->op;
}

static int cmp_ack(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;

	if (x->complete != y->complete)
		return x->complete < y->complete ? -1 : 1;
	return x->op < y->op ? -1 : x->op > y->op;
}

static bool writes(const struct fl_hop *o)
{
	return o->f == FL_HOP_WRITE || o->f == FL_HOP_CAS;
}

static int64_t written(const struct fl_hop *o)
{
	return o->f == FL_HOP_CAS ? o->value2 : o->value;
}

/*
 * The most lenient writer of a value (values should be unique; if the
 * workload repeated one, never invent an anomaly): one that may have taken
 * effect over one that failed, and the latest acknowledgement.
 */
static const struct wv *find_writer(const struct fl_hop *ops, const struct wv *w, size_t n,
				    int64_t v)
{
	size_t lo = 0, hi = n;
	const struct wv *best = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w[mid].value < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && w[lo].value == v; lo++) {
		const struct fl_hop *o = &ops[w[lo].op], *b = best ? &ops[best->op] : NULL;

		if (!b || (b->type == FL_HOP_FAIL && o->type != FL_HOP_FAIL) ||
		    (o->type == FL_HOP_INFO && b->type == FL_HOP_OK) ||
		    (o->type == b->type && o->complete_ns > b->complete_ns))
			best = &w[lo];
	}
	return best;
}

/* How many acknowledged writes completed strictly before t. */
static size_t acked_before(const struct ack *a, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid].complete < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct group {
	const struct fl_hop *ops;
	struct wv *wv;
	size_t n_wv;
	struct ack *ack;
	size_t n_ack;
	size_t *maxi; /* maxi[i]: the ack among ack[0..i] invoked last */
};

static void fill_read(struct fl_anomaly *a, enum fl_anomaly_kind kind, const struct fl_hop *r,
		      size_t ri)
{
	*a = (struct fl_anomaly){ .kind = kind, .key = r->key, .op = ri, .writer = FL_HIST_NONE,
				  .by = FL_HIST_NONE, .value = r->value, .nil = r->nil,
				  .read_invoke_ns = r->invoke_ns, .read_complete_ns = r->complete_ns };
}

static int judge_read(const struct group *g, size_t ri, struct fl_hist_check *c, size_t *cap)
{
	const struct fl_hop *r = &g->ops[ri];
	bool nil = r->f == FL_HOP_READ && r->nil;
	size_t m = acked_before(g->ack, g->n_ack, r->invoke_ns);
	const struct ack *by = NULL;
	const struct wv *w = NULL;
	struct fl_anomaly a;

	if (nil) {
		/* The initial state was superseded by the first acknowledgement. */
		if (m)
			by = &g->ack[0];
	} else {
		w = find_writer(g->ops, g->wv, g->n_wv, r->value);
		if (!w) {
			fill_read(&a, FL_ANOM_NEVER_WRITTEN, r, ri);
			return fl_hist_push(c, cap, &a);
		}
		const struct fl_hop *wo = &g->ops[w->op];

		if (w->op == ri) /* a cas from v to v: nothing to judge */
			return 0;
		if (wo->type == FL_HOP_FAIL) {
			fill_read(&a, FL_ANOM_FAILED_WRITE_READ, r, ri);
			a.writer = w->op;
			return fl_hist_push(c, cap, &a);
		}
		if (wo->invoke_ns > r->complete_ns) {
			fill_read(&a, FL_ANOM_FUTURE_READ, r, ri);
			a.writer = w->op;
			return fl_hist_push(c, cap, &a);
		}
		/* An info write may take effect at any time after its invoke. */
		if (wo->type == FL_HOP_OK && m &&
		    g->ack[g->maxi[m - 1]].invoke > wo->complete_ns)
			by = &g->ack[g->maxi[m - 1]];
	}
	if (!by)
		return 0;
	fill_read(&a, FL_ANOM_STALE_READ, r, ri);
	a.value = nil ? 0 : r->value;
	if (w) {
		a.writer = w->op;
		a.writer_complete_ns = g->ops[w->op].complete_ns;
	}
	a.by = by->op;
	a.by_value = written(&g->ops[by->op]);
	a.by_invoke_ns = by->invoke;
	a.by_complete_ns = by->complete;
	return fl_hist_push(c, cap, &a);
}

static int judge_key(struct group *g, const size_t *idx, size_t n, struct fl_hist_check *c,
		     size_t *cap)
{
	int err;

	g->n_wv = g->n_ack = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fl_hop *o = &g->ops[idx[i]];

		if (!writes(o))
			continue;
		g->wv[g->n_wv++] = (struct wv){ written(o), idx[i] };
		if (o->type == FL_HOP_OK) {
			g->ack[g->n_ack++] = (struct ack){ o->complete_ns, o->invoke_ns, idx[i] };
			c->writes_ok++;
		} else if (o->type == FL_HOP_INFO) {
			c->writes_info++;
		}
	}
	qsort(g->wv, g->n_wv, sizeof(*g->wv), cmp_wv);
	qsort(g->ack, g->n_ack, sizeof(*g->ack), cmp_ack);
	for (size_t i = 0; i < g->n_ack; i++)
		g->maxi[i] = i && g->ack[g->maxi[i - 1]].invoke >= g->ack[i].invoke ?
			     g->maxi[i - 1] : i;
	for (size_t i = 0; i < n; i++) {
		const struct fl_hop *o = &g->ops[idx[i]];

		/* Reads that ended ok; an ok cas read its from-value too. */
		if (o->type != FL_HOP_OK || (o->f != FL_HOP_READ && o->f != FL_HOP_CAS))
			continue;
		c->reads_checked++;
		err = judge_read(g, idx[i], c, cap);
		if (err)
			return err;
	}
	return 0;
}

int fl_hist_check_register(const struct fl_history *h, struct fl_hist_check *c, size_t *cap)
{
	struct group g = { .ops = h->ops };
	struct ki *ks = malloc((h->n ? h->n : 1) * sizeof(*ks));
	size_t *idx = malloc((h->n ? h->n : 1) * sizeof(*idx)), n = 0;
	int err = -ENOMEM;

	g.wv = malloc((h->n ? h->n : 1) * sizeof(*g.wv));
	g.ack = malloc((h->n ? h->n : 1) * sizeof(*g.ack));
	g.maxi = malloc((h->n ? h->n : 1) * sizeof(*g.maxi));
	if (!ks || !idx || !g.wv || !g.ack || !g.maxi)
		goto out;
	for (size_t i = 0; i < h->n; i++)
		if (h->ops[i].f <= FL_HOP_CAS)
			ks[n++] = (struct ki){ h->ops[i].key, i };
	qsort(ks, n, sizeof(*ks), cmp_key);
	for (size_t i = 0; i < n; i++)
		idx[i] = ks[i].i;
	err = 0;
	for (size_t s = 0, e; s < n && !err; s = e) {
		for (e = s + 1; e < n && h->ops[idx[e]].key == h->ops[idx[s]].key; e++)
			;
		c->keys++;
		err = judge_key(&g, idx + s, e - s, c, cap);
	}
out:
	free(ks);
	free(idx);
	free(g.wv);
	free(g.ack);
	free(g.maxi);
	return err;
}
