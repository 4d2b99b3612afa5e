// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* RTO and the return to steady throughput, from the recorded history. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/rpo.h>

uint64_t fl_rpo_rto_ns(const struct fl_rto *rto)
{
	if (!rto->first_ok_ns || rto->first_ok_ns < rto->fault_ns)
		return UINT64_MAX;
	return rto->first_ok_ns - rto->fault_ns;
}

void fl_rpo_recovery(const struct fl_op *ops, size_t n_ops, uint64_t warmup_ns,
		     struct fl_rto *rto)
{
	uint64_t fault = rto->fault_ns, first_ok = UINT64_MAX, last = 0, pre = 0;
	/*
	 * Acks of calls made before the restarted service existed belong to the
	 * old one (in flight at the fault, or from processes that outlived it).
	 */
	uint64_t after = rto->restarted_ns ? rto->restarted_ns :
			 rto->stopped_ns > fault ? rto->stopped_ns : fault;
	uint32_t *buckets = NULL;
	size_t n_buckets;
	double baseline;

	for (size_t i = 0; i < n_ops; i++) {
		const struct fl_op *op = &ops[i];

		if (op->outcome != FL_OP_OK)
			continue;
		/* A network fault: the first acknowledgement the heal let through. */
		if ((rto->healed_ns ? op->complete_ns >= rto->healed_ns : op->invoke_ns >= after) &&
		    op->complete_ns < first_ok)
			first_ok = op->complete_ns;
		if (op->complete_ns > last)
			last = op->complete_ns;
		if (op->complete_ns >= warmup_ns && op->complete_ns < fault)
			pre++;
	}
	rto->first_ok_ns = first_ok == UINT64_MAX ? 0 : first_ok;
	rto->steady_ns = 0;
	if (!rto->first_ok_ns)
		return;
	if (!pre || fault <= warmup_ns) {
		rto->steady_ns = rto->first_ok_ns;
		return;
	}
	/* Mean acknowledgements per 100 ms bucket before the fault, after warm-up. */
	baseline = (double)pre * FL_RPO_BUCKET_NS / (double)(fault - warmup_ns);

	n_buckets = (size_t)((last - first_ok) / FL_RPO_BUCKET_NS) + 1;
	buckets = calloc(n_buckets, sizeof(*buckets));
	if (!buckets)
		return;
	for (size_t i = 0; i < n_ops; i++) {
		const struct fl_op *op = &ops[i];

		if (op->outcome == FL_OP_OK && op->complete_ns >= first_ok)
			buckets[(op->complete_ns - first_ok) / FL_RPO_BUCKET_NS]++;
	}
	/*
	 * The last bucket is usually cut short by the end of the run: it counts
	 * only when it is the only one.
	 */
	for (size_t b = 0; b < n_buckets; b++) {
		if (b + 1 == n_buckets && n_buckets > 1)
			break;
		if (buckets[b] >= 0.9 * baseline) {
			rto->steady_ns = first_ok + b * FL_RPO_BUCKET_NS;
			break;
		}
	}
	free(buckets);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int fl_rpo_stats(const uint64_t *values, size_t n, struct fl_rpo_stats *ret)
{
	uint64_t *v;
	long double sum = 0;

	if (!n)
		return -EINVAL;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, values, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	ret->min = v[0];
	ret->max = v[n - 1];
	/* Lower median for an even count: a value that was measured. */
	ret->median = v[(n - 1) / 2];
	/* Nearest rank: ceil(0.95 n), from 1. */
	ret->p95 = v[(size_t)((95 * n + 99) / 100) - 1];
	ret->mean = (uint64_t)(sum / n);
	free(v);
	return 0;
}
