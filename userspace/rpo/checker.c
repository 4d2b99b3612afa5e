// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The set checker behind `faultline rpo`: every write has a unique id, so
 * judging a run is a join of the history with what was read back. Both
 * sides are sorted by id and walked once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/rpo.h>

static int cmp_op_id(const void *a, const void *b)
{
	const struct fl_op *x = *(const struct fl_op *const *)a, *y = *(const struct fl_op *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_back_id(const void *a, const void *b)
{
	const struct fl_readback *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	/* An intact copy first: it is the one that counts. */
	return (int)y->intact - (int)x->intact;
}

/* A record no write claims: unexpected, or a second copy of one. */
static void count_stray(struct fl_check *c, const struct fl_readback *rb, size_t j)
{
	if (rb[j].id == 0 || j == 0 || rb[j].id != rb[j - 1].id)
		c->unexpected++;
	else
		c->duplicates++;
}

/* A lost write: count it, and keep the oldest acknowledgements as a sample. */
static void note_lost(struct fl_check *c, const struct fl_op *op, bool corrupt,
		      uint64_t fault_ns, uint64_t *oldest_ack)
{
	c->lost++;
	c->lost_corrupt += corrupt;
	c->rpo_writes++;
	c->rpo_bytes += op->len;
	/* Outside the window that ends at the fault: counted apart, never hidden. */
	if (op->complete_ns >= fault_ns) {
		c->lost_after_fault++;
		if (op->complete_ns - fault_ns > c->after_fault_ns)
			c->after_fault_ns = op->complete_ns - fault_ns;
	}
	if (op->complete_ns < *oldest_ack) {
		*oldest_ack = op->complete_ns;
		c->oldest_lost_id = op->id;
	}
}

/* Keep the FL_RPO_LOST_SAMPLE lost ids acknowledged first. */
static void sample_lost(struct fl_check *c, const struct fl_op *const *lost, size_t n)
{
	size_t k = n < FL_RPO_LOST_SAMPLE ? n : FL_RPO_LOST_SAMPLE;

	for (size_t i = 0; i < k; i++)
		c->lost_sample[i] = lost[i]->id;
	c->n_lost_sample = k;
}

static int cmp_op_ack(const void *a, const void *b)
{
	const struct fl_op *x = *(const struct fl_op *const *)a, *y = *(const struct fl_op *const *)b;

	if (x->complete_ns != y->complete_ns)
		return x->complete_ns < y->complete_ns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int fl_rpo_check(const struct fl_op *ops, size_t n_ops,
		 const struct fl_readback *back, size_t n_back,
		 uint64_t fault_ns, struct fl_check *ret)
{
	const struct fl_op **byid = NULL, **lost = NULL;
	struct fl_readback *rb = NULL;
	struct fl_check c = { 0 };
	uint64_t oldest_ack = UINT64_MAX;
	size_t j = 0, n_lost = 0;
	int err = -ENOMEM;

	byid = calloc(n_ops ? n_ops : 1, sizeof(*byid));
	lost = calloc(n_ops ? n_ops : 1, sizeof(*lost));
	rb = malloc((n_back ? n_back : 1) * sizeof(*rb));
	if (!byid || !lost || !rb)
		goto out;
	for (size_t i = 0; i < n_ops; i++)
		byid[i] = &ops[i];
	qsort(byid, n_ops, sizeof(*byid), cmp_op_id);
	if (n_back)
		memcpy(rb, back, n_back * sizeof(*rb));
	qsort(rb, n_back, sizeof(*rb), cmp_back_id);

	for (size_t i = 0; i < n_ops; i++) {
		const struct fl_op *op = byid[i];
		bool present = false, intact = false;

		/* Read-back ids below this op's that no op claimed: unexpected. */
		for (; j < n_back && rb[j].id < op->id; j++)
			count_stray(&c, rb, j);
		if (j < n_back && rb[j].id == op->id) {
			present = true;
			intact = rb[j].intact;
			for (j++; j < n_back && rb[j].id == op->id; j++)
				c.duplicates++;
		}

		c.attempted++;
		switch (op->outcome) {
		case FL_OP_OK:
			c.acknowledged++;
			if (!intact) {
				note_lost(&c, op, present, fault_ns, &oldest_ack);
				lost[n_lost++] = op;
			}
			break;
		case FL_OP_FAIL:
			c.failed++;
			if (intact) {
				c.recovered++;
				c.recovered_failed++;
			}
			break;
		default:
			c.unknown++;
			c.recovered += intact;
			break;
		}
	}
	for (; j < n_back; j++)
		count_stray(&c, rb, j);

	qsort(lost, n_lost, sizeof(*lost), cmp_op_ack);
	sample_lost(&c, lost, n_lost);
	if (n_lost && oldest_ack < fault_ns)
		c.rpo_ns = fault_ns - oldest_ack;
	*ret = c;
	err = 0;
out:
	free(byid);
	free(lost);
	free(rb);
	return err;
}

bool fl_rpo_rpo_met(const struct fl_check *c, uint64_t rpo_max_ns)
{
	/* A zero-loss gate: RPO 0 from losses after the fault is still loss. */
	if (rpo_max_ns == 0)
		return c->lost == 0;
	return c->rpo_ns <= rpo_max_ns;
}

bool fl_rpo_lost_met(const struct fl_check *c, uint64_t lost_max)
{
	return lost_max == UINT64_MAX || c->lost <= lost_max;
}
