// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A backup run's five objectives: each trial's restore as a recovery
 * (its RTO; a restore that failed or never took a write never recovered)
 * and what it brought back (RPO, lost writes), handed to the objectives'
 * one judge. A restore has no clients' view of its own: availability is
 * the long-run figure from the restores' MTTR.
 */
#include <errno.h>
#include <stdlib.h>

#include <faultline/backup.h>
#include <faultline/objectives.h>

#include "run.h"

int fl_bk_judge_objectives(struct fl_backup_result *r)
{
	struct fl_objectives o = r->cfg.objectives;

	o.rpo_max_ns = r->cfg.rpo_max_ns;
	o.rto_max_ns = r->cfg.rto_max_ns;
	return fl_backup_result_judge(r, &o, &r->verdict);
}

int fl_backup_result_judge(const struct fl_backup_result *r, const struct fl_objectives *o,
			   struct fl_verdict *ret)
{
	struct fl_observed obs = { 0 };
	uint64_t *rec = NULL, *rpo = NULL, *lost = NULL;
	size_t n = 0, n_rpo = 0;
	int err;

	if (!r || !o || !ret || (r->n_trials && !r->trials))
		return -EINVAL;
	err = -ENOMEM;
	rec = calloc(r->n_trials + 1, sizeof(*rec));
	rpo = calloc(r->n_trials + 1, sizeof(*rpo));
	lost = calloc(r->n_trials + 1, sizeof(*lost));
	if (!rec || !rpo || !lost)
		goto out;
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_backup_trial *t = &r->trials[i];

		/* No load ran: the trial was not set up (exit status 3), nothing to judge. */
		if (!t->attempted)
			continue;
		rec[n++] = t->restored ? t->rto_ns : UINT64_MAX;
		if (t->restored) {
			rpo[n_rpo] = t->verdict.rpo_ns;
			lost[n_rpo++] = t->verdict.missing;
		}
	}
	obs.trials = obs.n_recovery = n;
	obs.n_rpo = n_rpo;
	obs.recovery_ns = rec;
	obs.rpo_ns = rpo;
	obs.lost = lost;
	obs.faults = n;
	err = fl_objectives_validate(&obs, o, ret);
out:
	free(rec);
	free(rpo);
	free(lost);
	return err;
}
