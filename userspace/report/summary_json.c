// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --json: what a report found, for machines; a figure not measured is null, never 0. */
#include "report_priv.h"

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

json_t *fl_report_summary_json(const struct fl_report_result *r)
{
	json_t *o, *objs = json_array();
	size_t measured = 0;

	for (size_t i = 0; i < r->n_trials; i++)
		measured += r->trials[i].measured;
	for (int k = 0; objs && k < FL_REP_OBJ_COUNT; k++) {
		const struct fl_rep_objective *ob = &r->obj[k];

		json_array_append_new(objs, json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:s}",
			"name", fl_rep_objective_name(k), "status", fl_rep_status_name(ob->status),
			"set", ob->set, "pass", ob->pass, "value", num(ob->value),
			"target", num(ob->target), "margin", num(ob->margin), "how", ob->how));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o}",
		      "file", r->file, "kind", fl_rep_kind_name(r->kind), "schema", r->schema,
		      "title", r->title, "experiment", r->experiment,
		      "trials", (json_int_t)r->n_trials, "measured", (json_int_t)measured,
		      "events", (json_int_t)r->n_events,
		      "rpo_worst_s", num(fl_rep_worst(r, false)),
		      "rto_worst_s", num(fl_rep_worst(r, true)), "objectives", objs);
	return o;
}

static json_t *delta(const struct fl_rep_delta *d)
{
	return json_pack("{s:o, s:o, s:o, s:b}", "old_s", num(d->old_s), "new_s", num(d->new_s),
			 "change_pct", num(d->change_pct), "worse", d->worse);
}

json_t *fl_report_compare_json(const struct fl_report_result *old_r,
			       const struct fl_report_result *new_r, const struct fl_rep_compare *c)
{
	return json_pack("{s:s, s:s, s:f, s:o, s:o, s:b}", "old", old_r->file, "new", new_r->file,
			 "threshold_pct", c->threshold_pct, "rpo", delta(&c->rpo),
			 "rto", delta(&c->rto), "regression", c->regression);
}
