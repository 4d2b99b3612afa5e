// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_test_recovery: one procedure through its runner (rpo, scenario,
 * backup), its result kept whole beside the runner's JSON document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <faultline/recovery.h>

const char *fl_recovery_kind_name(enum fl_recovery_kind k)
{
	switch (k) {
	case FL_RECOVERY_RPO: return "rpo";
	case FL_RECOVERY_SCENARIO: return "scenario";
	case FL_RECOVERY_BACKUP: return "backup";
	}
	return NULL;
}

static void free_runner(enum fl_recovery_kind kind, void *p)
{
	if (kind == FL_RECOVERY_RPO)
		fl_rpo_result_free(p);
	else if (kind == FL_RECOVERY_SCENARIO)
		fl_scenario_result_free(p);
	else if (kind == FL_RECOVERY_BACKUP)
		fl_backup_result_free(p);
}

int fl_recovery_result_wrap(enum fl_recovery_kind kind, void *runner_result, struct fl_recovery_result **ret)
{
	struct fl_recovery_result *r;

	if (!runner_result || !ret || !fl_recovery_kind_name(kind))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->kind = kind;
	switch (kind) {
	case FL_RECOVERY_RPO:
		r->rpo = runner_result;
		r->json = fl_rpo_result_json(r->rpo);
		r->verdict = &r->rpo->verdict;
		break;
	case FL_RECOVERY_SCENARIO:
		r->scenario = runner_result;
		r->json = fl_scenario_result_json(r->scenario);
		r->verdict = &r->scenario->verdict;
		break;
	case FL_RECOVERY_BACKUP:
		r->backup = runner_result;
		r->json = fl_backup_result_json(r->backup);
		r->verdict = &r->backup->verdict;
		break;
	}
	if (!r->json) {
		free(r);   /* the runner's result stays the caller's */
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

void fl_recovery_result_free(struct fl_recovery_result *r)
{
	if (!r)
		return;
	json_decref(r->json);
	fl_rpo_result_free(r->rpo);
	fl_scenario_result_free(r->scenario);
	fl_backup_result_free(r->backup);
	free(r);
}

int fl_test_recovery(const struct fl_recovery_test *t, struct fl_recovery_result **ret)
{
	void *res = NULL;
	int err;

	if (!t || !ret)
		return -EINVAL;
	switch (t->kind) {
	case FL_RECOVERY_RPO:
		if (!t->rpo)
			return -EINVAL;
		err = fl_rpo_run_why(t->rpo, t->rpo_progress, t->progress_ctx,
				     (struct fl_rpo_result **)&res, t->errbuf, t->errlen);
		break;
	case FL_RECOVERY_SCENARIO:
		if (!t->scenario || !t->scenario_opts)
			return -EINVAL;
		err = fl_scenario_run(t->scenario, t->scenario_opts,
				      (struct fl_scenario_result **)&res, t->errbuf, t->errlen);
		break;
	case FL_RECOVERY_BACKUP:
		if (!t->backup)
			return -EINVAL;
		err = fl_backup_run(t->backup, t->backup_progress, t->progress_ctx,
				    t->interrupted, (struct fl_backup_result **)&res, t->errbuf,
				    t->errlen);
		break;
	default:
		return -EINVAL;
	}
	if (err) {
		/* A runner may hand back a partial result with its error: not ours to keep. */
		free_runner(t->kind, res);
		return err;
	}
	err = fl_recovery_result_wrap(t->kind, res, ret);
	if (err)
		free_runner(t->kind, res);
	return err;
}
