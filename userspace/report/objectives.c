// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The five objectives of a result. A result that judged them itself
 * carries an "objectives" array (one entry per objective: name, status,
 * set, pass, value, target, how; times in ns, availability in ppm, as
 * struct fl_objective_verdict); the report takes it as it is. Older
 * results judged RPO and RTO only: the report judges those from the
 * trials against the result's own targets, and MTTR, availability and
 * MTBF stay "not measured" (a scenario's availability objective
 * excepted: its trials measured availability).
 */
#include <stdio.h>
#include <string.h>

#include "report_priv.h"

static void judge_max(struct fl_rep_objective *o, double worst, double target, size_t n,
		      const char *what)
{
	o->target = target;
	o->set = !isnan(target);
	if (isnan(worst)) {
		snprintf(o->how, sizeof(o->how), "no trial measured %s", what);
		return;
	}
	o->status = FL_REP_MEASURED;
	o->value = worst;
	o->margin = o->set ? target - worst : NAN;
	o->judged = o->set;
	o->pass = o->set && worst <= target;
	snprintf(o->how, sizeof(o->how), "the worst %s of %zu measured trial%s", what, n,
		 n == 1 ? "" : "s");
}

void rp_judge(struct fl_report_result *r, double rpo_target, double rto_target,
	      double avail_target)
{
	size_t n = 0, n_avail = 0;
	double avail = NAN;

	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];

		n += t->measured;
		if (t->measured && !isnan(t->availability)) {
			avail = isnan(avail) || t->availability < avail ? t->availability : avail;
			n_avail++;
		}
	}
	judge_max(&r->obj[FL_REP_OBJ_RPO], fl_rep_worst(r, false), rpo_target, n, "RPO");
	judge_max(&r->obj[FL_REP_OBJ_RTO], fl_rep_worst(r, true), rto_target, n, "RTO");
	for (int k = FL_REP_OBJ_MTTR; k < FL_REP_OBJ_COUNT; k++)
		snprintf(r->obj[k].how, sizeof(r->obj[k].how),
			 "this result does not judge %s", fl_rep_objective_name(k));
	if (!isnan(avail)) {
		struct fl_rep_objective *o = &r->obj[FL_REP_OBJ_AVAILABILITY];

		o->status = FL_REP_MEASURED;
		o->value = avail;
		o->target = avail_target;
		o->set = !isnan(avail_target);
		o->margin = o->set ? avail - avail_target : NAN;
		o->judged = o->set;
		o->pass = o->set && avail >= avail_target;
		snprintf(o->how, sizeof(o->how), "the lowest of %zu trials: the share of time "
			 "the clients' writes succeeded", n_avail);
	}
}

/*
 * The array of fl_verdict_json (userspace/objectives): name, status
 * ("measured", "derived", "not_applicable"), set, judged, pass, unit ("ns"
 * or "ppm"), value (null: unbounded or none), target, margin (> 0 inside),
 * ci_low, ci_high, how. MTBF derived without an assumption is the MTBF the
 * service needs, which passes when at most the objective.
 */
int rp_load_objectives(const struct rp_ctx *c, json_t *arr, struct fl_report_result *r)
{
	json_t *e;
	size_t i;
	int err;

	for (int k = 0; k < FL_REP_OBJ_COUNT; k++)
		snprintf(r->obj[k].how, sizeof(r->obj[k].how), "not in this result");
	json_array_foreach(arr, i, e) {
		const char *name, *status = NULL, *how = NULL, *unit = NULL;
		struct fl_rep_objective *o = NULL;
		bool pass = false, judged = true;
		json_t *jv;
		double scale;
		int k, kind = -1;

		if ((err = rp_str(c, e, "objectives[]", "name", true, &name)))
			return err;
		for (k = 0; k < FL_REP_OBJ_COUNT; k++)
			if (!strcmp(name, fl_rep_objective_name(k)))
				o = &r->obj[kind = k];
		if (!o)
			return rp_bad(c, "objectives[]", "name", "unknown objective");
		if ((err = rp_str(c, e, "objectives[]", "status", true, &status)) ||
		    (err = rp_str(c, e, "objectives[]", "unit", false, &unit)) ||
		    (err = rp_bool(c, e, "objectives[]", "set", false, &o->set)) ||
		    (err = rp_bool(c, e, "objectives[]", "pass", false, &pass)) ||
		    (err = rp_num(c, e, "objectives[]", "value", false, &o->value)) ||
		    (err = rp_num(c, e, "objectives[]", "target", false, &o->target)) ||
		    (err = rp_num(c, e, "objectives[]", "margin", false, &o->margin)) ||
		    (err = rp_num(c, e, "objectives[]", "ci_low", false, &o->ci_low)) ||
		    (err = rp_num(c, e, "objectives[]", "ci_high", false, &o->ci_high)) ||
		    (err = rp_str(c, e, "objectives[]", "how", false, &how)))
			return err;
		jv = json_object_get(e, "judged");
		if (jv && (err = rp_bool(c, e, "objectives[]", "judged", false, &judged)))
			return err;
		if (unit && strcmp(unit, "ns") && strcmp(unit, "ppm"))
			return rp_bad(c, "objectives[]", "unit", "expected \"ns\" or \"ppm\"");
		scale = unit ? (!strcmp(unit, "ppm") ? 1e6 : 1e9) :
			kind == FL_REP_OBJ_AVAILABILITY ? 1e6 : 1e9;
		o->status = !strcmp(status, "measured") ? FL_REP_MEASURED :
			    !strcmp(status, "derived") ? FL_REP_DERIVED : FL_REP_NOT_MEASURED;
		o->value /= scale;
		o->target /= scale;
		o->margin /= scale;
		o->ci_low /= scale;
		o->ci_high /= scale;
		snprintf(o->how, sizeof(o->how), "%s", how ? how : "");
		if (kind == FL_REP_OBJ_AVAILABILITY) {
			double run;

			if ((err = rp_num(c, e, "objectives[]", "run_value", false, &run)))
				return err;
			if (!isnan(run))
				snprintf(o->how + strlen(o->how), sizeof(o->how) - strlen(o->how),
					 "; this run's own (clients' view): %.3f %%", run / 1e4);
		}
		if (kind == FL_REP_OBJ_MTBF && o->status == FL_REP_DERIVED && strncmp(o->how, "assumed", 7))
			o->at_most = true;
		if (isnan(o->margin) && o->set && !isnan(o->value))
			o->margin = o->at_most ? o->target - o->value : o->value - o->target;
		o->judged = judged && o->set && o->status != FL_REP_NOT_MEASURED;
		/* Whatever the file says, an objective nobody measured or judged does not pass. */
		o->pass = pass && o->judged;
	}
	return 0;
}
