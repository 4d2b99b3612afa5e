// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A verdict as people and programs read it: one line per objective for
 * the runners' summaries, and the results' "objectives" array.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/objectives.h>

#include "objectives/objectives_priv.h"

static const char *const labels[FL_OBJ_COUNT] = { "RTO", "RPO", "MTTR", "availability", "MTBF" };

static bool is_time(enum fl_objective_kind k)
{
	return k != FL_OBJ_AVAILABILITY;
}

static void value_text(enum fl_objective_kind k, double v, char *buf, size_t len)
{
	if (is_time(k))
		fl_obj_dur(buf, len, v);
	else if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4f%%", v / 1e4);
}

void fl_objective_text(const struct fl_objective_verdict *v, char *buf, size_t len)
{
	/* MTBF without an assumption: the value is what it needs, at most the objective. */
	bool needed = v->kind == FL_OBJ_MTBF && v->status == FL_OBJ_DERIVED &&
		      strncmp(v->how, "assumed", 7);
	bool at_most = v->kind != FL_OBJ_AVAILABILITY && (v->kind != FL_OBJ_MTBF || needed);
	char val[32], tgt[32], lo[32], hi[32];
	const char *verdict;
	size_t n;

	if ((unsigned)v->kind >= FL_OBJ_COUNT || !len)
		return;
	value_text(v->kind, v->value, val, sizeof(val));
	value_text(v->kind, v->target, tgt, sizeof(tgt));
	if (v->status == FL_OBJ_NOT_APPLICABLE)
		verdict = "not applicable";
	else if (!v->set)
		verdict = "no objective";
	else if (!v->judged)
		verdict = "not judged";
	else
		verdict = v->pass ? "met" : "VIOLATED";
	n = (size_t)snprintf(buf, len, "%s", labels[v->kind]);
	if (needed)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " needed");
	if (v->status != FL_OBJ_NOT_APPLICABLE)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " %s", val);
	if (!isnan(v->ci_low)) {
		value_text(v->kind, v->ci_low, lo, sizeof(lo));
		value_text(v->kind, v->ci_high, hi, sizeof(hi));
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " (95%% CI %s - %s)", lo, hi);
	}
	if (v->set)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " %s %s", at_most ? "<=" : ">=",
				      tgt);
	/* how begins with the status ("measured: ...", "derived ..."), or says why there is none. */
	n += (size_t)snprintf(buf + n, n < len ? len - n : 0, ": %s (%s)", verdict, v->how);
}

/* As struct fl_objective_verdict holds it; null for none or unbounded. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *fl_verdict_json(const struct fl_verdict *v)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		const struct fl_objective_verdict *o = &v->o[k];
		json_t *e = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:s}",
			"name", fl_objective_name(o->kind),
			"status", fl_objective_status_name(o->status),
			"set", o->set, "judged", o->judged, "pass", o->pass,
			"unit", is_time(o->kind) ? "ns" : "ppm",
			"value", num(o->value), "target", num(o->target),
			"margin", num(o->margin),
			"ci_low", num(o->ci_low), "ci_high", num(o->ci_high),
			"n", (json_int_t)o->n, "how", o->how);

		if (!e || json_array_append_new(arr, e))
			goto fail;
		if (o->kind == FL_OBJ_AVAILABILITY &&
		    json_object_set_new(e, "run_value", v->run_availability_seen ?
					json_real(v->run_availability_ppm) : json_null()))
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}
