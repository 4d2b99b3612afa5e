// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Storage and memory faults: faultfs power cut and EIO, the OOM squeeze. (in progress) */
#include <errno.h>
#include "rpo_trial.h"

int fl_rpo_fault_setup_storage(struct rpo_trial *t)
{
	fl_rpo_trial_fail(t, "setup", -EOPNOTSUPP, "%s: not implemented yet",
			  fl_rpo_fault_name(t->cfg->fault));
	return -EOPNOTSUPP;
}

int fl_rpo_fault_inject_storage(struct rpo_trial *t)
{
	(void)t;
	return -EOPNOTSUPP;
}

void fl_rpo_fault_teardown_storage(struct rpo_trial *t)
{
	(void)t;
}
