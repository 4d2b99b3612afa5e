/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `faultline backup run` inside: one trial (run_trial.c) and its pure measurements (run_measure.c). */
#ifndef FL_BACKUP_RUN_H
#define FL_BACKUP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/backup.h>
#include "strategy.h"

struct bk_run {
	const struct fl_backup_config *cfg;
	const struct fl_backup_strategy *strategy;
	const char *workload;    /* the spec the trials use */
	const struct fl_backup_slot *slots;
	size_t n_slots;
	char dir[3072];          /* the run directory: a directory per trial in it */
	fl_backup_progress_cb progress;
	void *ctx;
	volatile int *interrupted;
};

/* One trial into *out (its failures are in it). */
void fl_bk_trial_run(const struct bk_run *run, unsigned index, struct fl_backup_trial *out);

/*
 * Each backup's newest write: of the acknowledged ops (absolute times)
 * completed before the backup began (t0 + start_ns), the one completed
 * last. -ENOMEM or 0.
 */
int fl_bk_backups_newest(struct fl_backup_record *b, size_t n, const struct fl_op *ops,
			 size_t n_ops, uint64_t t0);
/* The objectives and, for a corruption, who caught it: from the trial's measurements. */
void fl_bk_trial_judge(struct fl_backup_trial *t, const struct fl_backup_config *cfg);

/*
 * Does the store run on faultfs? When asked, and whenever the fault or the
 * strategy needs it (corrupt and powercut go through its rules, fs-snapshot
 * copies its durable state).
 */
bool fl_bk_uses_faultfs(const struct fl_backup_config *cfg, const char *strategy);

/* The schedule a strategy runs when none is given: from the kinds it can take. */
const char *fl_bk_default_schedule(const struct fl_backup_strategy *s);
/* The workload a strategy protects when none is given: its first store. */
const char *fl_bk_default_workload(const struct fl_backup_strategy *s);

/* run_objectives.c: r->verdict from the trials whose load ran. -ENOMEM. */
int fl_bk_judge_objectives(struct fl_backup_result *r);

#endif /* FL_BACKUP_RUN_H */
