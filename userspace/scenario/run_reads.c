// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reading loads beside a scenario's writes: a register per key
 * (write, read, compare-and-set) on the same target, following the
 * leader as the writers do, recorded as a history that the checker in
 * the history room judges for stale reads. What the loads do is theirs
 * (<faultline/register.h>); here they are started, stopped and checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/register.h>

#include "run_priv.h"

#define READS_TIMEOUT_MS 2000

static struct fl_workload *target(void *ctx)
{
	struct sc_run *r = ctx;
	int i = r->fixed_target >= 0 ? r->fixed_target : atomic_load(&r->leader);

	return i >= 0 ? r->w[i] : NULL;
}

void sc_reads_start(struct sc_run *r)
{
	const struct fl_scenario_reads *cfg = &r->s->workload.reg;
	struct fl_scenario_reads_run *rr = &r->t->reg;
	struct fl_workload *w = target(r);
	struct fl_register_load_cfg lc = {
		.clients = cfg->clients, .keys = (unsigned)cfg->keys, .rate = (double)cfg->rate,
		.seed = r->t->seed, .timeout_ms = READS_TIMEOUT_MS, .target = target,
		.target_ctx = r,
	};
	int err;

	if (cfg->off) {
		snprintf(rr->skipped, sizeof(rr->skipped), "register: off");
		return;
	}
	if (!w || !fl_register_supported(w)) {
		snprintf(rr->skipped, sizeof(rr->skipped), "the %s workload has no registers",
			 r->s->workload.kind);
		return;
	}
	err = fl_register_load_start(w, &lc, &r->reg_load, rr->skipped, sizeof(rr->skipped));
	if (err) {
		sc_progress(r, "register load not started: %s", rr->skipped);
		r->reg_load = NULL;
		return;
	}
	rr->ran = true;
}

void sc_reads_stop(struct sc_run *r)
{
	struct fl_scenario_reads_run *rr = &r->t->reg;

	if (!r->reg_load)
		return;
	if (fl_register_load_stop(r->reg_load, &rr->history)) {
		snprintf(rr->skipped, sizeof(rr->skipped), "its history was lost (out of memory)");
		rr->ran = false;
	}
	r->reg_load = NULL;
}

int sc_reads_check(struct sc_run *r)
{
	struct fl_scenario_reads_run *rr = &r->t->reg;
	const struct fl_bank_model none = { .enabled = false };
	int err;

	if (!rr->ran || !rr->history)
		return 0;
	err = fl_history_check(rr->history, &none, &rr->check);
	if (!err)
		rr->checked = true;
	return err;
}
