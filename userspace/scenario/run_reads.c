// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reading loads beside a scenario's writes: a register per key
 * (write, read, compare-and-set) and a bank (transfers, reads of every
 * balance) on the same target, following the leader as the writers do,
 * each recorded as a history that the history room's checker judges
 * (stale reads; a changed total). What the loads do is theirs
 * (<faultline/register.h>, <faultline/bank.h>); here they are started,
 * stopped and checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/bank.h>
#include <faultline/register.h>

#include "run_priv.h"

#define READS_TIMEOUT_MS 2000

static struct fl_workload *target(void *ctx)
{
	struct sc_run *r = ctx;
	int i = r->fixed_target >= 0 ? r->fixed_target : atomic_load(&r->leader);

	return i >= 0 ? r->w[i] : NULL;
}

/* Why a load does not run, or NULL when it may. */
static const char *not_running(const struct sc_run *r, const struct fl_scenario_reads *cfg,
			       const char *what, bool supported, char *buf, size_t len)
{
	if (cfg->off)
		snprintf(buf, len, "%s: off", what);
	else if (!supported)
		snprintf(buf, len, "the %s workload has no %s", r->s->workload.kind, what);
	else
		return NULL;
	return buf;
}

static void start_register(struct sc_run *r, struct fl_workload *w)
{
	const struct fl_scenario_reads *cfg = &r->s->workload.reg;
	struct fl_scenario_reads_run *rr = &r->t->reg;
	struct fl_register_load_cfg lc = {
		.clients = cfg->clients, .keys = (unsigned)cfg->keys, .rate = (double)cfg->rate,
		.seed = r->t->seed, .timeout_ms = READS_TIMEOUT_MS, .target = target,
		.target_ctx = r,
	};

	if (not_running(r, cfg, "register", fl_register_supported(w), rr->skipped,
			sizeof(rr->skipped)))
		return;
	if (fl_register_load_start(w, &lc, &r->reg_load, rr->skipped, sizeof(rr->skipped))) {
		sc_progress(r, "register load not started: %s", rr->skipped);
		r->reg_load = NULL;
		return;
	}
	rr->ran = true;
}

static void start_bank(struct sc_run *r, struct fl_workload *w)
{
	const struct fl_scenario_reads *cfg = &r->s->workload.bank;
	struct fl_scenario_reads_run *rr = &r->t->bank;
	struct fl_bank_load_cfg lc = {
		.clients = cfg->clients, .accounts = (unsigned)cfg->keys, .rate = (double)cfg->rate,
		.seed = r->t->seed, .timeout_ms = READS_TIMEOUT_MS, .target = target,
		.target_ctx = r,
	};

	if (not_running(r, cfg, "bank", fl_bank_supported(w), rr->skipped, sizeof(rr->skipped)))
		return;
	if (fl_bank_load_start(w, &lc, &r->bank_load, rr->skipped, sizeof(rr->skipped))) {
		sc_progress(r, "bank load not started: %s", rr->skipped);
		r->bank_load = NULL;
		return;
	}
	rr->ran = true;
}

void sc_reads_start(struct sc_run *r)
{
	struct fl_workload *w = target(r);

	if (!w) {
		snprintf(r->t->reg.skipped, sizeof(r->t->reg.skipped), "no target");
		snprintf(r->t->bank.skipped, sizeof(r->t->bank.skipped), "no target");
		return;
	}
	start_register(r, w);
	start_bank(r, w);
}

void sc_reads_stop(struct sc_run *r)
{
	if (r->reg_load && fl_register_load_stop(r->reg_load, &r->t->reg.history)) {
		snprintf(r->t->reg.skipped, sizeof(r->t->reg.skipped), "its history was lost");
		r->t->reg.ran = false;
	}
	r->reg_load = NULL;
	if (r->bank_load && fl_bank_load_stop(r->bank_load, &r->t->bank.history, &r->bank_model)) {
		snprintf(r->t->bank.skipped, sizeof(r->t->bank.skipped), "its history was lost");
		r->t->bank.ran = false;
	}
	r->bank_load = NULL;
}

static int check(struct fl_scenario_reads_run *rr, const struct fl_bank_model *model)
{
	int err;

	if (!rr->ran || !rr->history)
		return 0;
	err = fl_history_check(rr->history, model, &rr->check);
	if (!err)
		rr->checked = true;
	return err;
}

int sc_reads_check(struct sc_run *r)
{
	const struct fl_bank_model none = { .enabled = false };

	return check(&r->t->reg, &none) ?: check(&r->t->bank, &r->bank_model);
}
