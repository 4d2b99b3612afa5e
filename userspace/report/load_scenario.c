// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultline-scenario/1 and /2 (userspace/scenario/run_json.c): times and
 * durations in ms since the trial's load started; a fault event and its
 * undo (or a heal) bound the window the plots shade.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"



static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int windows(const struct rp_ctx *c, json_t *tj, const char *where, struct fl_rep_trial *t)
{
	json_t *ev, *e;
	size_t i;
	int err;

	if ((err = rp_arr(c, tj, where, "events", true, &ev)))
		return err;
	json_array_foreach(ev, i, e) {
		const char *fault = NULL, *nodes = NULL;
		double at, end = NAN;
		bool undo = false;
		char label[64];
		size_t k;
		json_t *f;

		if ((err = rp_str(c, e, where, "events[].fault", false, &fault)) ||
		    (err = rp_str(c, e, where, "events[].nodes", false, &nodes)) ||
		    (err = rp_bool(c, e, where, "events[].undo", false, &undo)) ||
		    (err = rp_num(c, e, where, "events[].at_ms", false, &at)))
			return err;
		if (!fault || undo || isnan(at) || !strcmp(fault, "heal"))
			continue;
		/* Its end: its own undo on the same nodes, or the next heal. */
		for (k = i + 1; k < json_array_size(ev) && isnan(end); k++) {
			const char *f2, *n2, *a2;

			f = json_array_get(ev, k);
			f2 = json_string_value(json_object_get(f, "fault"));
			a2 = json_string_value(json_object_get(f, "action"));
			n2 = json_string_value(json_object_get(f, "nodes"));
			if ((f2 && !strcmp(f2, fault) && json_is_true(json_object_get(f, "undo")) &&
			     n2 && nodes && !strcmp(n2, nodes)) ||
			    (f2 && !strcmp(f2, "heal")) || (a2 && !strcmp(a2, "heal")))
				end = json_number_value(json_object_get(f, "at_ms"));
		}
		if (isnan(end))
			end = isnan(t->span_s) ? at : t->span_s * 1e3;
		snprintf(label, sizeof(label), "%s %s", fault, nodes ? nodes : "");
		if ((err = rp_window(t, at / 1e3, end / 1e3, label)))
			return err;
	}
	return 0;
}

static int history(const struct rp_ctx *c, json_t *tj, json_t *writes, const char *where,
		   struct fl_rep_trial *t)
{
	json_t *h, *op, *lost_ids = NULL;
	int64_t *lost = NULL;
	size_t i, n_lost = 0;
	bool complete = false;
	int err;

	if ((err = rp_arr(c, tj, where, "history", false, &h)) || !h)
		return err;
	if (writes && ((err = rp_arr(c, writes, where, "writes.lost_ids", false, &lost_ids)) ||
		       (err = rp_bool(c, writes, where, "writes.lost_ids_complete", false, &complete))))
		return err;
	if (lost_ids) {
		json_t *v;

		lost = malloc((json_array_size(lost_ids) + 1) * sizeof(*lost));
		if (!lost)
			return -ENOMEM;
		json_array_foreach(lost_ids, i, v)
			lost[n_lost++] = json_integer_value(v);
		qsort(lost, n_lost, sizeof(*lost), cmp_i64);
	}
	t->ops = calloc(json_array_size(h) + 1, sizeof(*t->ops));
	if (!t->ops) {
		free(lost);
		return -ENOMEM;
	}
	json_array_foreach(h, i, op) {
		struct fl_rep_op *o = &t->ops[t->n_ops++];
		const char *type;
		int64_t id;

		if ((err = rp_int(c, op, where, "history[].id", true, &id)) ||
		    (err = rp_str(c, op, where, "history[].type", true, &type)) ||
		    (err = rp_num(c, op, where, "history[].invoke_ms", true, &o->invoke_s)) ||
		    (err = rp_num(c, op, where, "history[].complete_ms", true, &o->complete_s))) {
			free(lost);
			return err;
		}
		o->invoke_s /= 1e3;
		o->complete_s /= 1e3;
		o->outcome = !strcmp(type, "ok") ? FL_REP_OP_OK : !strcmp(type, "fail") ?
			     FL_REP_OP_FAIL : FL_REP_OP_UNKNOWN;
		o->lost = o->outcome == FL_REP_OP_OK && lost &&
			  bsearch(&id, lost, n_lost, sizeof(*lost), cmp_i64);
	}
	free(lost);
	t->has_ops = true;
	t->has_lost = lost_ids && complete;
	return 0;
}

static int trial(const struct rp_ctx *c, json_t *tj, struct fl_rep_trial *t)
{
	json_t *writes = NULL;
	char where[32];
	bool ok;
	double v;
	int err;

	snprintf(where, sizeof(where), "trials[%u]", t->index - 1);
	if ((err = rp_bool(c, tj, where, "ok", true, &ok)))
		return err;
	t->measured = ok;
	if (!ok) {
		const char *e = NULL, *ph = NULL;

		if ((err = rp_str(c, tj, where, "error", false, &e)) ||
		    (err = rp_str(c, tj, where, "phase", false, &ph)))
			return err;
		snprintf(t->error, sizeof(t->error), "%s: %s", ph ? ph : "?", e ? e : "?");
	}
	if ((err = rp_num(c, tj, where, "load_ms", false, &v)))
		return err;
	t->span_s = v / 1e3;
	if (ok && ((err = rp_objv(c, tj, where, "writes", true, &writes)) ||
		   (err = rp_int(c, writes, where, "writes.attempted", true, &t->attempted)) ||
		   (err = rp_int(c, writes, where, "writes.acknowledged", true, &t->acknowledged)) ||
		   (err = rp_int(c, writes, where, "writes.lost", true, &t->lost)) ||
		   (err = rp_num(c, writes, where, "writes.rpo_ms", false, &t->rpo_s)) ||
		   (err = rp_num(c, tj, where, "rto_ms", false, &t->rto_s)) ||
		   (err = rp_num(c, tj, where, "availability", false, &t->availability))))
		return err;
	t->rpo_s /= 1e3;
	t->rto_s /= 1e3;
	t->availability /= 100.0;
	if (!isnan(t->rto_s))
		rp_phase(t, "unavailable", t->rto_s);
	if ((err = history(c, tj, writes, where, t)))
		return err;
	if ((err = windows(c, tj, where, t)))
		return err;
	if (t->n_windows)
		t->phases_at_s = t->windows[0].from_s;
	return 0;
}

/* An objective of the result: {max|min, met} or null. */
static int target(const struct rp_ctx *c, json_t *obj, const char *key, const char *bound,
		  double *ret)
{
	json_t *o;
	int err;

	*ret = NAN;
	if (!obj)
		return 0;
	if ((err = rp_objv(c, obj, "objectives", key, false, &o)) || !o)
		return err;
	return rp_num(c, o, "objectives", bound, true, ret);
}

int rp_load_scenario(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r)
{
	json_t *sc, *trials, *tj, *obj;
	const char *name = NULL, *file = NULL, *cluster = NULL, *tgt = NULL;
	double rpo_max, rto_max, avail_min;
	int64_t nodes = -1, seed = -1;
	size_t i;
	int err;

	if ((err = rp_objv(c, doc, "", "scenario", true, &sc)) ||
	    (err = rp_str(c, sc, "scenario", "name", false, &name)) ||
	    (err = rp_str(c, sc, "scenario", "file", false, &file)) ||
	    (err = rp_str(c, sc, "scenario", "cluster", false, &cluster)) ||
	    (err = rp_str(c, sc, "scenario", "target", false, &tgt)) ||
	    (err = rp_int(c, sc, "scenario", "nodes", false, &nodes)) ||
	    (err = rp_int(c, doc, "", "seed", false, &seed)) ||
	    (err = rp_arr(c, doc, "", "trials", true, &trials)))
		return err;
	snprintf(r->title, sizeof(r->title), "scenario %s (%s, %lld nodes)",
		 name ? name : file ? file : "?", cluster ? cluster : "?", (long long)nodes);
	snprintf(r->experiment, sizeof(r->experiment), "scenario %s",
		 name ? name : file ? (strrchr(file, '/') ? strrchr(file, '/') + 1 : file) : "?");
	if ((file && (err = rp_env(r, "scenario file", "%s", file))) ||
	    (err = rp_env(r, "cluster", "%s, %lld nodes", cluster ? cluster : "?", (long long)nodes)) ||
	    (tgt && (err = rp_env(r, "workload", "%s", tgt))) ||
	    (seed >= 0 && (err = rp_env(r, "seed", "%lld", (long long)seed))))
		return err;
	if ((err = rp_trials(r, json_array_size(trials))))
		return err;
	json_array_foreach(trials, i, tj) {
		if (!json_is_object(tj))
			return rp_bad(c, "trials", NULL, "expected an array of objects");
		if ((err = trial(c, tj, &r->trials[i])))
			return err;
	}
	obj = json_object_get(doc, "objectives");
	if (json_is_array(obj))
		return rp_load_objectives(c, obj, r);
	if ((err = rp_objv(c, doc, "", "objectives", false, &obj)) ||
	    (err = target(c, obj, "rpo_ms", "max", &rpo_max)) ||
	    (err = target(c, obj, "rto_ms", "max", &rto_max)) ||
	    (err = target(c, obj, "availability", "min", &avail_min)))
		return err;
	rp_judge(r, rpo_max / 1e3, rto_max / 1e3, avail_min / 100.0);
	return 0;
}
