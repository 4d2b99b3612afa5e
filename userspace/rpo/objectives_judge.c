// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rpo run's five objectives: each measured trial's RTO, RPO and lost
 * writes, and its clients' view of availability from its history, handed
 * to the objectives' one judge.
 */
#include <errno.h>
#include <stdlib.h>

#include <faultline/objectives.h>
#include <faultline/rpo_session.h>

#include "rpo_priv.h"

#define SLICE_NS 100000000ull   /* 100 ms */

/*
 * The trial's load, from its start to its last write sent, in slices:
 * up is the slices in which some write was acknowledged. At a low
 * --rate a slice is 4 writes' time, so an idle client is not an outage.
 */
static void trial_availability(const struct fl_rpo_trial *t, double rate, uint64_t *up,
			       uint64_t *span)
{
	uint64_t end = t->start_ns, slice = SLICE_NS;
	size_t slices, n_up = 0;
	bool *seen;

	if (rate > 0 && 4e9 / rate > (double)slice)
		slice = (uint64_t)(4e9 / rate);
	for (size_t i = 0; i < t->n_ops; i++)
		if (t->ops[i].invoke_ns > end)
			end = t->ops[i].invoke_ns;
	if (end <= t->start_ns)
		return;
	slices = (size_t)((end - t->start_ns + slice - 1) / slice);
	seen = calloc(slices, 1);
	if (!seen)
		return;
	for (size_t i = 0; i < t->n_ops; i++) {
		const struct fl_op *o = &t->ops[i];

		if (o->outcome == FL_OP_OK && o->complete_ns >= t->start_ns && o->complete_ns < end)
			seen[(o->complete_ns - t->start_ns) / slice] = true;
	}
	for (size_t i = 0; i < slices; i++)
		n_up += seen[i];
	free(seen);
	*up += n_up * slice;
	*span += slices * slice;
}

int fl_rpo_judge_objectives(struct fl_rpo_result *r)
{
	struct fl_objectives o = r->cfg.objectives;

	o.rpo_max_ns = r->cfg.rpo_max_ns;
	o.rto_max_ns = r->cfg.rto_max_ns;
	return fl_rpo_result_judge(r, &o, &r->verdict);
}

int fl_rpo_result_judge(const struct fl_rpo_result *r, const struct fl_objectives *o,
			struct fl_verdict *ret)
{
	struct fl_observed obs = { 0 };
	uint64_t *rec = NULL, *rpo = NULL, *lost = NULL;
	size_t n = 0;
	int err;

	if (!r || !o || !ret || (r->n_trials && !r->trials))
		return -EINVAL;
	for (size_t i = 0; i < r->n_trials; i++)
		if (r->trials[i].n_ops && !r->trials[i].ops)
			return -EINVAL;
	err = -ENOMEM;
	rec = calloc(r->n_trials + 1, sizeof(*rec));
	rpo = calloc(r->n_trials + 1, sizeof(*rpo));
	lost = calloc(r->n_trials + 1, sizeof(*lost));
	if (!rec || !rpo || !lost)
		goto out;
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rpo_trial *t = &r->trials[i];

		if (t->err)
			continue;
		rec[n] = fl_rpo_rto_ns(&t->rto);
		rpo[n] = t->check.rpo_ns;
		lost[n] = t->check.lost;
		trial_availability(t, r->cfg.load.rate, &obs.up_ns, &obs.span_ns);
		n++;
	}
	obs.trials = obs.n_recovery = obs.n_rpo = n;
	obs.recovery_ns = rec;
	obs.rpo_ns = rpo;
	obs.lost = lost;
	obs.faults = n;
	obs.availability_seen = obs.span_ns != 0;
	obs.availability_what = "the share of each trial's 100 ms slices, from the load's start "
				"to its end, in which a write was acknowledged";
	err = fl_objectives_validate(&obs, o, ret);
out:
	free(rec);
	free(rpo);
	free(lost);
	return err;
}
