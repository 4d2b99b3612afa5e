// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_validate_objectives: the runner's own judge (the one that made its
 * verdict) over the result, with the caller's targets.
 */
#include <errno.h>

#include <faultline/recovery.h>

int fl_validate_objectives(const struct fl_recovery_result *r, const struct fl_objectives *o,
			   struct fl_verdict *ret)
{
	if (!r || !o || !ret)
		return -EINVAL;
	/* Exactly the runner result of its kind: anything else is a malformed result. */
	if (!!r->rpo + !!r->scenario + !!r->backup != 1)
		return -EINVAL;
	switch (r->kind) {
	case FL_RECOVERY_RPO:
		return r->rpo ? fl_rpo_result_judge(r->rpo, o, ret) : -EINVAL;
	case FL_RECOVERY_SCENARIO:
		return r->scenario ? fl_scenario_result_judge(r->scenario, o, ret) : -EINVAL;
	case FL_RECOVERY_BACKUP:
		return r->backup ? fl_backup_result_judge(r->backup, o, ret) : -EINVAL;
	}
	return -EINVAL;
}
