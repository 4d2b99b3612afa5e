// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A binary min-heap of held packets keyed by (release time, arrival), so
 * one thread serves them all with one wake-up per release, never a sleep
 * per packet. Fixed capacity: the delay line fails open past it.
 */
#include <errno.h>
#include <stdlib.h>

#include "net/delay_priv.h"

static bool before(const struct delay_pkt *a, const struct delay_pkt *b)
{
	return a->at_ns < b->at_ns || (a->at_ns == b->at_ns && a->seq < b->seq);
}

int fl_delay_heap_init(struct delay_heap *h, size_t cap)
{
	struct delay_pkt *v = calloc(cap ? cap : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	h->v = v;
	h->n = 0;
	h->cap = cap;
	return 0;
}

void fl_delay_heap_free(struct delay_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

int fl_delay_heap_push(struct delay_heap *h, const struct delay_pkt *p)
{
	size_t i;

	if (h->n >= h->cap)
		return -ENOSPC;
	i = h->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (!before(p, &h->v[up]))
			break;
		h->v[i] = h->v[up];
		i = up;
	}
	h->v[i] = *p;
	return 0;
}

const struct delay_pkt *fl_delay_heap_top(const struct delay_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

void fl_delay_heap_pop(struct delay_heap *h)
{
	struct delay_pkt last;
	size_t i = 0;

	if (!h->n)
		return;
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}
