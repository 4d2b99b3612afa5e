// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel durability timeline around the fault. (in progress) */
#include "rpo_trial.h"

void fl_rpo_timeline_start(struct rpo_trial *t)
{
	(void)t;
}

void fl_rpo_timeline_stop(struct rpo_trial *t)
{
	(void)t;
}
