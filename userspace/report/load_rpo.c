// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultline-rpo/1 and /2 (userspace/rpo/result.c): times are ns since the
 * trial's load started; history ops are [id, client, invoke_ns,
 * complete_ns, outcome, errno]; readback records are [id, intact].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"



static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ids read back intact, sorted: an acknowledged write not among them was lost. */
static int intact_ids(const struct rp_ctx *c, json_t *rb, const char *where, uint64_t **ret,
		      size_t *ret_n)
{
	json_t *recs, *rec;
	uint64_t *ids;
	size_t i, n = 0;
	int err;

	if ((err = rp_arr(c, rb, where, "records", true, &recs)))
		return err;
	ids = malloc((json_array_size(recs) + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	json_array_foreach(recs, i, rec) {
		json_t *id = json_array_get(rec, 0), *ok = json_array_get(rec, 1);

		if (!json_is_integer(id) || !json_is_boolean(ok)) {
			free(ids);
			return rp_bad(c, where, "records", "expected [id, intact] pairs");
		}
		if (json_is_true(ok))
			ids[n++] = (uint64_t)json_integer_value(id);
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	*ret = ids;
	*ret_n = n;
	return 0;
}

static int history(const struct rp_ctx *c, json_t *tj, const char *where, struct fl_rep_trial *t)
{
	json_t *h, *ops, *op, *rb;
	uint64_t *ids = NULL;
	size_t i, n_ids = 0;
	int err;

	if ((err = rp_objv(c, tj, where, "history", false, &h)) || !h)
		return err;
	if ((err = rp_arr(c, h, where, "history.ops", true, &ops)))
		return err;
	if ((err = rp_objv(c, tj, where, "readback", false, &rb)))
		return err;
	if (rb && (err = intact_ids(c, rb, where, &ids, &n_ids)))
		return err;
	t->ops = calloc(json_array_size(ops) + 1, sizeof(*t->ops));
	if (!t->ops) {
		free(ids);
		return -ENOMEM;
	}
	json_array_foreach(ops, i, op) {
		json_t *id = json_array_get(op, 0), *inv = json_array_get(op, 2),
		       *com = json_array_get(op, 3), *out = json_array_get(op, 4);
		struct fl_rep_op *o = &t->ops[t->n_ops++];
		const char *s = json_string_value(out);
		uint64_t key;

		if (!json_is_integer(id) || !json_is_integer(inv) || !json_is_integer(com) || !s) {
			free(ids);
			return rp_bad(c, where, "history.ops",
				      "expected [id, client, invoke_ns, complete_ns, outcome, errno]");
		}
		o->invoke_s = (double)json_integer_value(inv) / 1e9;
		o->complete_s = (double)json_integer_value(com) / 1e9;
		o->outcome = !strcmp(s, "ok") ? FL_REP_OP_OK : !strcmp(s, "fail") ? FL_REP_OP_FAIL :
			     FL_REP_OP_UNKNOWN;
		key = (uint64_t)json_integer_value(id);
		if (rb && o->outcome == FL_REP_OP_OK)
			o->lost = !bsearch(&key, ids, n_ids, sizeof(*ids), cmp_u64);
		if (isnan(t->span_s) || o->complete_s > t->span_s)
			t->span_s = o->complete_s;
	}
	free(ids);
	t->has_lost = rb != NULL;
	t->has_ops = true;
	return 0;
}

static int trial(const struct rp_ctx *c, json_t *tj, const char *fault, struct fl_rep_trial *t)
{
	static const char *const phases[] = { "stop", "restart", "recovery", "first_ok", "heal",
					      "reconnect" };
	char where[32];
	json_t *times, *counts, *rpo, *rto, *ph, *e;
	double fault_s, first_ok, healed, v;
	int err;

	snprintf(where, sizeof(where), "trials[%u]", t->index - 1);
	if ((err = rp_bool(c, tj, where, "measured", true, &t->measured)) ||
	    (err = rp_objv(c, tj, where, "times_ns", true, &times)) ||
	    (err = rp_objv(c, tj, where, "counts", true, &counts)) ||
	    (err = rp_objv(c, tj, where, "rpo", false, &rpo)) ||
	    (err = rp_objv(c, tj, where, "rto", true, &rto)) ||
	    (err = rp_objv(c, tj, where, "error", false, &e)))
		return err;
	if (e) {
		const char *phase = NULL, *msg = NULL;

		if ((err = rp_str(c, e, where, "error.phase", false, &phase)) ||
		    (err = rp_str(c, e, where, "error.message", false, &msg)))
			return err;
		snprintf(t->error, sizeof(t->error), "%s: %s", phase ? phase : "?", msg ? msg : "?");
	}
	if ((err = rp_int(c, counts, where, "counts.attempted", true, &t->attempted)) ||
	    (err = rp_int(c, counts, where, "counts.acknowledged", true, &t->acknowledged)) ||
	    (err = rp_int(c, counts, where, "counts.lost", true, &t->lost)))
		return err;
	if (t->measured && !rpo)
		return rp_bad(c, where, "rpo", "null in a measured trial");
	if (rpo && (err = rp_num(c, rpo, where, "rpo.ns", true, &v)))
		return err;
	if (rpo && t->measured)
		t->rpo_s = v / 1e9;
	if ((err = rp_num(c, rto, where, "rto.ns", false, &v)))
		return err;
	if (t->measured)
		t->rto_s = v / 1e9; /* NAN: never recovered */
	if ((err = rp_num(c, times, where, "times_ns.fault", false, &fault_s)) ||
	    (err = rp_num(c, times, where, "times_ns.first_ok", false, &first_ok)) ||
	    (err = rp_num(c, times, where, "times_ns.healed", false, &healed)))
		return err;
	fault_s /= 1e9, first_ok /= 1e9, healed /= 1e9;
	t->phases_at_s = fault_s;
	if ((err = rp_objv(c, rto, where, "rto.phases_ns", false, &ph)))
		return err;
	for (size_t i = 0; ph && i < sizeof(phases) / sizeof(phases[0]); i++) {
		if ((err = rp_num(c, ph, where, phases[i], false, &v)))
			return err;
		if (!isnan(v))
			rp_phase(t, phases[i], v / 1e9);
	}
	if (!isnan(fault_s)) {
		char label[64];

		snprintf(label, sizeof(label), "%s", fault);
		if (!isnan(healed) && (err = rp_window(t, fault_s, healed, label)))
			return err;
		if (isnan(healed) && (err = rp_window(t, fault_s, isnan(first_ok) ? fault_s : first_ok,
						      label)))
			return err;
	}
	return history(c, tj, where, t);
}

int rp_load_rpo(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r)
{
	json_t *cfg, *trials, *tj, *obj, *managed;
	const char *workload, *fault, *net_rule = NULL;
	double rpo_max = NAN, rto_max = NAN, v;
	int64_t clients = -1, seed = -1;
	bool faultfs = false;
	size_t i;
	int err;

	if ((err = rp_objv(c, doc, "", "config", true, &cfg)) ||
	    (err = rp_str(c, cfg, "config", "workload", true, &workload)) ||
	    (err = rp_str(c, cfg, "config", "fault", true, &fault)) ||
	    (err = rp_str(c, cfg, "config", "net_rule", false, &net_rule)) ||
	    (err = rp_int(c, cfg, "config", "clients", false, &clients)) ||
	    (err = rp_int(c, cfg, "config", "seed", false, &seed)) ||
	    (err = rp_bool(c, cfg, "config", "faultfs", false, &faultfs)) ||
	    (err = rp_objv(c, doc, "", "managed", false, &managed)) ||
	    (err = rp_arr(c, doc, "", "trials", true, &trials)))
		return err;
	snprintf(r->title, sizeof(r->title), "rpo: %s, fault %s", workload, fault);
	/* The workload's kind, not its address: runs in two scratch directories compare. */
	snprintf(r->experiment, sizeof(r->experiment), "rpo %.*s fault=%s%s%s",
		 (int)strcspn(workload, ":"), workload, fault, net_rule ? " " : "",
		 net_rule ? net_rule : "");
	if ((err = rp_env(r, "workload", "%s", workload)) ||
	    (err = rp_env(r, "fault", "%s%s%s", fault, net_rule ? " " : "", net_rule ? net_rule : "")) ||
	    (err = rp_env(r, "storage", "%s", faultfs ? "faultfs overlay (durability model)" :
			  "the real disk")))
		return err;
	if (clients >= 0 && (err = rp_env(r, "clients", "%lld", (long long)clients)))
		return err;
	if (seed >= 0 && (err = rp_env(r, "seed", "%lld", (long long)seed)))
		return err;
	if (managed) {
		const char *kind = NULL, *spec = NULL;

		if ((err = rp_str(c, managed, "managed", "kind", false, &kind)) ||
		    (err = rp_str(c, managed, "managed", "spec", false, &spec)))
			return err;
		if ((err = rp_env(r, "service", "managed %s (%s)", kind ? kind : "?", spec ? spec : "?")))
			return err;
	}
	if ((err = rp_trials(r, json_array_size(trials))))
		return err;
	json_array_foreach(trials, i, tj) {
		if (!json_is_object(tj))
			return rp_bad(c, "trials", NULL, "expected an array of objects");
		if ((err = trial(c, tj, fault, &r->trials[i])))
			return err;
	}
	obj = json_object_get(doc, "objectives");
	if (json_is_array(obj))
		return rp_load_objectives(c, obj, r);
	if ((err = rp_objv(c, doc, "", "objectives", false, &obj)))
		return err;
	if (obj) {
		if ((err = rp_num(c, obj, "objectives", "rpo_max_ns", false, &v)))
			return err;
		rpo_max = v / 1e9;
		if ((err = rp_num(c, obj, "objectives", "rto_max_ns", false, &v)))
			return err;
		rto_max = v / 1e9;
	}
	rp_judge(r, rpo_max, rto_max, NAN);
	return 0;
}
