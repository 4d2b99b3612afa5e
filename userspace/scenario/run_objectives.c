// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A scenario run's five objectives: the file's (or the command line's)
 * targets, the brief's defaults for the ones it does not name, and each
 * measured trial's unavailability, loss and availability handed to the
 * objectives' one judge.
 */
#include <errno.h>
#include <stdlib.h>

#include <faultline/objectives.h>
#include <faultline/scenario_run.h>

#include "run_priv.h"

void sc_objectives_targets(const struct fl_scenario *s, struct fl_objectives *o)
{
	fl_objectives_defaults(o);
	/* As ever: a scenario's RPO and RTO are the ones it names. */
	o->rpo_max_ns = s->objectives.rpo_ns;
	o->rto_max_ns = s->objectives.rto_ns;
	if (s->objectives.mttr_ns)
		o->mttr_max_ns = s->objectives.mttr_ns;
	if (s->objectives.mtbf_ns)
		o->mtbf_min_ns = s->objectives.mtbf_ns;
	o->assumed_mtbf_ns = s->objectives.assumed_mtbf_ns;
	if (s->objectives.availability_ppm) {
		o->availability_min_ppm = s->objectives.availability_ppm;
		o->availability_of_run = true;
	} else if (s->objectives.availability_none) {
		o->availability_min_ppm = 0;
	}
}

int sc_objectives_judge(struct fl_scenario_result *res)
{
	struct fl_objectives o;

	sc_objectives_targets(res->s, &o);
	return fl_scenario_result_judge(res, &o, &res->verdict);
}

int fl_scenario_result_judge(const struct fl_scenario_result *res, const struct fl_objectives *o,
			     struct fl_verdict *ret)
{
	struct fl_observed obs = { 0 };
	uint64_t *rec = NULL, *rpo = NULL, *lost = NULL;
	uint32_t worst = UINT32_MAX;
	size_t n = 0;
	int err;

	if (!res || !o || !ret || (res->n_trials && !res->trials))
		return -EINVAL;
	err = -ENOMEM;
	rec = calloc(res->n_trials + 1, sizeof(*rec));
	rpo = calloc(res->n_trials + 1, sizeof(*rpo));
	lost = calloc(res->n_trials + 1, sizeof(*lost));
	if (!rec || !rpo || !lost)
		goto out;
	for (size_t i = 0; i < res->n_trials; i++) {
		const struct fl_scenario_trial *t = &res->trials[i];

		if (t->err)
			continue;
		rec[n] = t->rto_ns;
		rpo[n] = t->check.rpo_ns;
		lost[n] = t->check.lost;
		n++;
		/* The worst trial's, as the availability objective has always been judged. */
		if (t->load_ns && t->availability_ppm < worst) {
			worst = t->availability_ppm;
			obs.span_ns = t->load_ns;
			obs.up_ns = (uint64_t)((double)t->load_ns * t->availability_ppm / 1e6);
			if (obs.up_ns > obs.span_ns)
				obs.up_ns = obs.span_ns;
		}
	}
	obs.trials = obs.n_recovery = obs.n_rpo = n;
	obs.recovery_ns = rec;
	obs.rpo_ns = rpo;
	obs.lost = lost;
	obs.availability_seen = worst != UINT32_MAX;
	obs.availability_what = "the worst trial's share of time slices in which a write was "
				"acknowledged";
	err = fl_objectives_validate(&obs, o, ret);
out:
	free(rec);
	free(rpo);
	free(lost);
	return err;
}
