/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Seeded random histories of a linearizable register per key, for the
 * history tests: each op gets a linearization point inside its interval
 * and the ops are applied in that order, so what the history holds is
 * what a correct store could have answered.
 */
#ifndef HIST_GEN_H
#define HIST_GEN_H

#include <stdint.h>
#include <stdlib.h>

#include <faultline/history.h>

static uint64_t gen_next(uint64_t *s)
{
	/* splitmix64: the same stream on every machine */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct gen_op {
	struct fl_hop op;
	uint64_t lp;     /* linearization point */
	bool applies;    /* an info write that took effect */
	size_t seq;
};

static int gen_cmp_lp(const void *a, const void *b)
{
	const struct gen_op *x = a, *y = b;

	if (x->lp != y->lp)
		return x->lp < y->lp ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int gen_cmp_seq(const void *a, const void *b)
{
	const struct gen_op *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * n ops over keys keys and procs processes; info_pct of writes and cas end
 * info (half of those took effect). The ops come out in generation order;
 * returns a malloc'ed array.
 */
static struct gen_op *gen_register(uint64_t seed, size_t n, unsigned keys, unsigned procs,
				   unsigned info_pct)
{
	struct gen_op *g = calloc(n ? n : 1, sizeof(*g));
	uint64_t *t = calloc(procs, sizeof(*t)), s = seed;
	int64_t *cur = calloc(keys, sizeof(*cur)), next = 1;
	bool *set = calloc(keys, sizeof(*set));
	uint32_t *gen = calloc(procs, sizeof(*gen));

	for (size_t i = 0; i < n; i++) {
		unsigned p = (unsigned)(gen_next(&s) % procs), r = (unsigned)(gen_next(&s) % 100);
		struct fl_hop *o = &g[i].op;
		uint64_t dur = 1 + gen_next(&s) % 200;

		o->process = p + procs * gen[p];
		o->invoke_ns = t[p] + 1 + gen_next(&s) % 50;
		o->complete_ns = o->invoke_ns + dur;
		t[p] = o->complete_ns;
		o->key = gen_next(&s) % keys;
		g[i].lp = o->invoke_ns + gen_next(&s) % (dur + 1);
		g[i].seq = i;
		o->f = r < 40 ? FL_HOP_WRITE : r < 80 ? FL_HOP_READ : FL_HOP_CAS;
		if (o->f == FL_HOP_WRITE)
			o->value = next++;
		if (o->f == FL_HOP_CAS)
			o->value2 = next++;
		if (o->f != FL_HOP_READ && gen_next(&s) % 100 < info_pct) {
			o->type = FL_HOP_INFO;
			g[i].applies = gen_next(&s) % 2;
			/* it may take effect long after the client gave up */
			g[i].lp = o->invoke_ns + gen_next(&s) % (dur + 2000);
			gen[p]++; /* Jepsen retires a process after an info op */
		}
		/* a cas's from-value: decided when it is applied (below) */
		g[i].op.nil = gen_next(&s) % 4 == 0; /* cas: guess a wrong from */
	}
	qsort(g, n, sizeof(*g), gen_cmp_lp);
	for (size_t i = 0; i < n; i++) {
		struct fl_hop *o = &g[i].op;
		bool info = o->type == FL_HOP_INFO;

		switch (o->f) {
		case FL_HOP_WRITE:
			if (!info || g[i].applies) {
				cur[o->key] = o->value;
				set[o->key] = true;
			}
			break;
		case FL_HOP_READ:
			o->type = FL_HOP_OK;
			o->nil = !set[o->key];
			o->value = set[o->key] ? cur[o->key] : 0;
			break;
		case FL_HOP_CAS: {
			bool wrong = o->nil || !set[o->key];

			o->nil = false;
			o->value = wrong ? -(int64_t)(gen_next(&s) % 1000) - 1 : cur[o->key];
			if (wrong) {
				if (!info)
					o->type = FL_HOP_FAIL;
				break;
			}
			if (!info || g[i].applies)
				cur[o->key] = o->value2;
			break;
		}
		default:
			break;
		}
	}
	qsort(g, n, sizeof(*g), gen_cmp_seq);
	free(t);
	free(cur);
	free(set);
	free(gen);
	return g;
}

#endif
