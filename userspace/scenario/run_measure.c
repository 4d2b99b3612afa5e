// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a scenario's history says beyond lost writes: how long each client
 * could not write after a fault, the share of the run in which writes
 * succeeded, and whether two nodes took writes at once. Pure functions,
 * so the definitions the README gives can be tested on their own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/scenario_run.h>

/*
 * Two nodes alternating within this much is not a failover (detection
 * alone takes longer) but both leading: a write is acknowledged by a,
 * then one by b invoked after it, then one by a invoked after b's.
 */
#define SPLIT_WINDOW_NS (1000ull * 1000 * 1000)
#define MAX_TARGETS     64

uint64_t fl_scenario_unavailability(const struct fl_op *ops, size_t n, unsigned client,
				    uint64_t fault_ns, uint64_t in_effect_ns)
{
	uint64_t best = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		const struct fl_op *o = &ops[i];

		if (o->client == client && o->outcome == FL_OP_OK && o->invoke_ns >= in_effect_ns &&
		    o->complete_ns < best)
			best = o->complete_ns;
	}
	return best == UINT64_MAX ? UINT64_MAX : best - fault_ns;
}

uint32_t fl_scenario_availability(const struct fl_op *ops, size_t n, uint64_t from_ns,
				  uint64_t to_ns, uint64_t slice_ns)
{
	size_t slices, up = 0;
	bool *seen;

	if (to_ns <= from_ns || !slice_ns)
		return 0;
	slices = (size_t)((to_ns - from_ns + slice_ns - 1) / slice_ns);
	seen = calloc(slices, 1);
	if (!seen)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct fl_op *o = &ops[i];

		if (o->outcome == FL_OP_OK && o->complete_ns >= from_ns && o->complete_ns < to_ns)
			seen[(o->complete_ns - from_ns) / slice_ns] = true;
	}
	for (size_t i = 0; i < slices; i++)
		up += seen[i];
	free(seen);
	return (uint32_t)((uint64_t)up * 1000000 / slices);
}

static int by_complete(const void *a, const void *b)
{
	const struct fl_op *x = *(const struct fl_op *const *)a, *y = *(const struct fl_op *const *)b;

	return x->complete_ns < y->complete_ns ? -1 : x->complete_ns > y->complete_ns;
}

static size_t add_split(struct fl_scenario_split *ret, size_t n, size_t max, unsigned a,
			unsigned b, uint64_t from, uint64_t to)
{
	for (size_t i = 0; i < n; i++) {
		struct fl_scenario_split *s = &ret[i];

		if ((s->a == a && s->b == b) || (s->a == b && s->b == a)) {
			if (from < s->from_ns)
				s->from_ns = from;
			if (to > s->to_ns)
				s->to_ns = to;
			return n;
		}
	}
	if (n < max)
		ret[n++] = (struct fl_scenario_split){ .a = a < b ? a : b, .b = a < b ? b : a,
						       .from_ns = from, .to_ns = to };
	return n;
}

size_t fl_scenario_split_brain(const struct fl_op *ops, size_t n, struct fl_scenario_split *ret,
			       size_t max)
{
	/* Per target: its last acknowledgement, and every target's last one as of then. */
	struct {
		uint64_t last_done[MAX_TARGETS], last_invoke[MAX_TARGETS];
		uint64_t seen_then[MAX_TARGETS][MAX_TARGETS];
	} *m = calloc(1, sizeof(*m));
	const struct fl_op **acked = malloc((n ? n : 1) * sizeof(*acked));
	uint64_t *last_done = m ? m->last_done : NULL, *last_invoke = m ? m->last_invoke : NULL;
	size_t k = 0, found = 0;

	if (!m || !acked) {
		free(m);
		free(acked);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (ops[i].outcome == FL_OP_OK && ops[i].target < MAX_TARGETS)
			acked[k++] = &ops[i];
	qsort(acked, k, sizeof(*acked), by_complete);
	for (size_t i = 0; i < k; i++) {
		const struct fl_op *x = acked[i];
		unsigned a = x->target;

		for (unsigned b = 0; b < MAX_TARGETS; b++) {
			uint64_t y_done = last_done[b], a_before_y = m->seen_then[b][a];

			if (b == a || !y_done || y_done >= x->invoke_ns ||
			    x->invoke_ns - y_done >= SPLIT_WINDOW_NS)
				continue;
			/* b's write began after an acknowledgement of a, shortly: a, b, a. */
			if (a_before_y && a_before_y < last_invoke[b] &&
			    last_invoke[b] - a_before_y < SPLIT_WINDOW_NS)
				found = add_split(ret, found, max, a, b, a_before_y, x->complete_ns);
		}
		last_done[a] = x->complete_ns;
		last_invoke[a] = x->invoke_ns;
		memcpy(m->seen_then[a], m->last_done, sizeof(m->last_done));
	}
	free(acked);
	free(m);
	return found;
}
