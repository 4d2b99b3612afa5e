// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultline-backup/1 (userspace/backup/run_json.c): ms since the trial's
 * load started. It has no write history: the backups and the fault are
 * its time series, the restore's phases its recovery.
 */
#include <stdio.h>
#include <string.h>

#include "report_priv.h"



static int trial(const struct rp_ctx *c, json_t *tj, const char *fault, struct fl_rep_trial *t)
{
	static const char *const phases[] = { "fetch_ms", "restore_ms", "replay_ms",
					      "first_write_ms" };
	json_t *backups, *b, *restore, *verdict;
	const char *e = NULL;
	char where[32];
	double fault_s, v;
	size_t i;
	int err;

	snprintf(where, sizeof(where), "trials[%u]", t->index - 1);
	if ((err = rp_arr(c, tj, where, "backups", true, &backups)) ||
	    (err = rp_num(c, tj, where, "fault_ms", false, &fault_s)) ||
	    (err = rp_int(c, tj, where, "attempted", true, &t->attempted)) ||
	    (err = rp_int(c, tj, where, "acknowledged", true, &t->acknowledged)) ||
	    (err = rp_bool(c, tj, where, "restored", true, &t->measured)) ||
	    (err = rp_objv(c, tj, where, "restore", true, &restore)) ||
	    (err = rp_objv(c, tj, where, "verdict", false, &verdict)) ||
	    (err = rp_str(c, tj, where, "error", false, &e)))
		return err;
	fault_s /= 1e3;
	if (e || !t->measured)
		snprintf(t->error, sizeof(t->error), "%s", e ? e : "not restored");
	if (t->measured && !verdict)
		return rp_bad(c, where, "verdict", "null in a restored trial");
	if (verdict && ((err = rp_int(c, verdict, where, "verdict.missing", true, &t->lost)) ||
			(err = rp_num(c, verdict, where, "verdict.rpo_ms", false, &t->rpo_s))))
		return err;
	t->rpo_s /= 1e3;
	if ((err = rp_num(c, tj, where, "rto_ms", false, &v)))
		return err;
	if (t->measured)
		t->rto_s = v / 1e3;
	t->phases_at_s = fault_s;
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		char name[16];

		if ((err = rp_num(c, restore, where, phases[i], false, &v)))
			return err;
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(phases[i]) - 3), phases[i]);
		if (!isnan(v))
			rp_phase(t, name, v / 1e3);
	}
	json_array_foreach(backups, i, b) {
		const char *kind;
		double from, to;
		bool ok;
		char label[64];

		if ((err = rp_str(c, b, where, "backups[].kind", true, &kind)) ||
		    (err = rp_num(c, b, where, "backups[].start_ms", false, &from)) ||
		    (err = rp_num(c, b, where, "backups[].end_ms", false, &to)) ||
		    (err = rp_bool(c, b, where, "backups[].ok", false, &ok)))
			return err;
		if (isnan(from))
			continue;
		snprintf(label, sizeof(label), "backup %s%s", kind, ok ? "" : " (failed)");
		if ((err = rp_window(t, from / 1e3, (isnan(to) ? from : to) / 1e3, label)))
			return err;
	}
	if (!isnan(fault_s)) {
		if ((err = rp_window(t, fault_s, isnan(t->rto_s) ? fault_s : fault_s + t->rto_s, fault)))
			return err;
		t->span_s = fault_s;
	}
	return 0;
}

int rp_load_backup(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r)
{
	const char *strategy, *tool = NULL, *workload = NULL, *store = NULL, *schedule = NULL,
		   *fault = NULL, *restore = NULL;
	json_t *trials, *tj, *obj;
	double rpo_max = NAN, rto_max = NAN;
	size_t i;
	int err;

	if ((err = rp_str(c, doc, "", "strategy", true, &strategy)) ||
	    (err = rp_str(c, doc, "", "tool", false, &tool)) ||
	    (err = rp_str(c, doc, "", "workload", false, &workload)) ||
	    (err = rp_str(c, doc, "", "store", false, &store)) ||
	    (err = rp_str(c, doc, "", "schedule", false, &schedule)) ||
	    (err = rp_str(c, doc, "", "fault", false, &fault)) ||
	    (err = rp_str(c, doc, "", "restore", false, &restore)) ||
	    (err = rp_arr(c, doc, "", "trials", true, &trials)))
		return err;
	snprintf(r->title, sizeof(r->title), "backup %s of %s, fault %s, restore %s", strategy,
		 workload ? workload : "?", fault ? fault : "?", restore ? restore : "?");
	/* The store's kind, not its address: runs in two scratch directories compare. */
	snprintf(r->experiment, sizeof(r->experiment), "backup %s store=%s schedule=%s fault=%s "
		 "restore=%s", strategy, store ? store : "?", schedule ? schedule : "",
		 fault ? fault : "", restore ? restore : "");
	if ((err = rp_env(r, "strategy", "%s (%s)", strategy, tool ? tool : "?")) ||
	    (err = rp_env(r, "store", "%s: %s", store ? store : "?", workload ? workload : "?")) ||
	    (err = rp_env(r, "schedule", "%s", schedule ? schedule : "?")) ||
	    (err = rp_env(r, "fault", "%s", fault ? fault : "?")) ||
	    (err = rp_env(r, "restore", "%s", restore ? restore : "?")))
		return err;
	if ((err = rp_trials(r, json_array_size(trials))))
		return err;
	json_array_foreach(trials, i, tj) {
		if (!json_is_object(tj))
			return rp_bad(c, "trials", NULL, "expected an array of objects");
		if ((err = trial(c, tj, fault ? fault : "fault", &r->trials[i])))
			return err;
	}
	obj = json_object_get(doc, "objectives");
	if (json_is_array(obj))
		return rp_load_objectives(c, obj, r);
	if ((err = rp_objv(c, doc, "", "objectives", false, &obj)))
		return err;
	if (obj && ((err = rp_num(c, obj, "objectives", "rpo_ms", false, &rpo_max)) ||
		    (err = rp_num(c, obj, "objectives", "rto_ms", false, &rto_max))))
		return err;
	rp_judge(r, rpo_max / 1e3, rto_max / 1e3, NAN);
	return 0;
}
