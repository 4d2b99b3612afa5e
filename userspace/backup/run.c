// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `faultline backup run`: check the configuration against the strategy,
 * walk the schedule once, and run the trials, each in a directory of its
 * own under one run directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/workload.h>
#include "core/errbuf.h"
#include "run.h"

#define RUN_ROOT "/var/tmp/faultline/backup"
#define CORRUPT_AFTER_MIN_NS (5ull * 1000000000ull)

/* The store kind a spec names: postgres, redis, sqlite, file; NULL for others. */
static const char *store_kind_of(const char *spec)
{
	static const struct { const char *prefix, *kind; } kinds[] = {
		{ "postgres:local", "postgres" }, { "redis:local", "redis" },
		{ "sqlite:", "sqlite" }, { "file:", "file" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].kind;
	return NULL;
}

/* corrupt without --after: until two more backups were due after the fault, 5 s at least. */
static uint64_t corrupt_after(const struct fl_backup_config *cfg,
			      const struct fl_backup_schedule *s)
{
	uint64_t after = CORRUPT_AFTER_MIN_NS;

	for (size_t i = 0; i < s->n; i++) {
		const struct fl_backup_entry *e = &s->entries[i];
		uint64_t second;

		if (!e->every_ns)
			continue;
		/* The second time this series comes due after the fault. */
		second = cfg->fault_at_ns < e->at_ns ? e->at_ns + e->every_ns :
			 e->at_ns + ((cfg->fault_at_ns - e->at_ns) / e->every_ns + 2) * e->every_ns;
		if (second - cfg->fault_at_ns + 1000000000ull > after)
			after = second - cfg->fault_at_ns + 1000000000ull;
	}
	return after;
}

static int check_config(const struct fl_backup_config *cfg, const struct fl_backup_strategy *s,
			const char *workload, char *errbuf, size_t errlen)
{
	const char *kind = store_kind_of(workload);
	struct fl_workload *w = NULL;
	int err;

	err = fl_workload_open(workload, &w, errbuf, errlen);
	fl_workload_close(w);
	if (err)
		return err;
	if (!kind) {
		fl_errf(errbuf, errlen, "--workload %s: a backup run starts its own store: give "
			"postgres:local, redis:local, sqlite:PATH or file:PATH", workload);
		return -EINVAL;
	}
	if (!fl_backup_strategy_takes(s, kind)) {
		fl_errf(errbuf, errlen, "--strategy %s backs up %s stores, not %s (--workload %s)",
			s->name, s->stores, kind, workload);
		return -EINVAL;
	}
	if (cfg->pitr && !s->pitr) {
		fl_errf(errbuf, errlen, "--strategy %s cannot restore to a point in time: "
			"use --restore latest", s->name);
		return -EINVAL;
	}
	if (cfg->pitr && cfg->pitr_before_fault ? cfg->pitr_ns >= cfg->fault_at_ns
						 : cfg->pitr && cfg->pitr_ns >= cfg->fault_at_ns) {
		fl_errf(errbuf, errlen, "--restore pitr: the target must fall between the load's "
			"start and the fault (--fault-at)");
		return -EINVAL;
	}
	if (!strcmp(s->name, "exec") && (!cfg->backup_cmd || !cfg->restore_cmd)) {
		fl_errf(errbuf, errlen, "--strategy exec needs --backup-cmd and --restore-cmd");
		return -EINVAL;
	}
	return 0;
}

static int make_run_dir(struct bk_run *run, char *errbuf, size_t errlen)
{
	mkdir("/var/tmp/faultline", 0755);
	mkdir(RUN_ROOT, 0755);
	snprintf(run->dir, sizeof(run->dir), RUN_ROOT "/run-XXXXXX");
	if (!mkdtemp(run->dir)) {
		fl_errf(errbuf, errlen, "%s: %s", RUN_ROOT, strerror(errno));
		return -errno;
	}
	/* Services run as their own users and walk through it to their directories. */
	chmod(run->dir, 0755);
	return 0;
}

int fl_backup_run(const struct fl_backup_config *cfg, fl_backup_progress_cb progress,
		  void *ctx, volatile int *interrupted, struct fl_backup_result **ret,
		  char *errbuf, size_t errlen)
{
	struct bk_run run = { .cfg = NULL, .progress = progress, .ctx = ctx,
			      .interrupted = interrupted };
	const struct fl_backup_strategy *s;
	struct fl_backup_result *r;
	struct fl_backup_slot *slots = NULL;
	struct fl_backup_error perr;
	uint64_t length;
	int err;

	if (!cfg->strategy || !(s = fl_backup_strategy_find(cfg->strategy))) {
		fl_errf(errbuf, errlen, "--strategy: expected one of %s, got '%s'",
			fl_backup_strategy_names(), cfg->strategy ? cfg->strategy : "");
		return -EINVAL;
	}
	if (!cfg->trials || !cfg->load.clients || !cfg->fault_at_ns)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	r->cfg.workload = cfg->workload ? cfg->workload : fl_bk_default_workload(s);
	r->cfg.schedule = cfg->schedule ? cfg->schedule : fl_bk_default_schedule(s);
	r->strategy = s->name;
	r->tool = s->tool;
	r->store_kind = store_kind_of(r->cfg.workload);
	r->workload = r->cfg.workload;
	err = check_config(&r->cfg, s, r->cfg.workload, errbuf, errlen);
	if (err)
		goto fail;
	err = fl_backup_schedule_parse(r->cfg.schedule, &r->schedule, &perr);
	if (err) {
		fl_errf(errbuf, errlen, "--schedule %s: %s", r->cfg.schedule, perr.message);
		goto fail;
	}
	for (size_t i = 0; i < r->schedule.n; i++)
		if (!(s->kinds & (1u << r->schedule.entries[i].kind))) {
			fl_errf(errbuf, errlen, "--schedule: column %u: %s takes no %s backup",
				r->schedule.entries[i].column, s->name,
				fl_backup_kind_name(r->schedule.entries[i].kind));
			err = -EINVAL;
			goto fail;
		}
	if (r->cfg.fault == FL_BACKUP_FAULT_CORRUPT && !r->cfg.after_ns)
		r->cfg.after_ns = corrupt_after(&r->cfg, &r->schedule);
	if (r->cfg.fault != FL_BACKUP_FAULT_CORRUPT)
		r->cfg.after_ns = 0;
	length = r->cfg.fault_at_ns + r->cfg.after_ns;
	err = fl_backup_schedule_walk(&r->schedule, length, &slots, &run.n_slots, errbuf, errlen);
	if (err)
		goto fail;
	if (s->available) {
		struct fl_bk_ctx probe = { .errbuf = errbuf, .errlen = errlen };

		err = s->available(&probe);
		if (err)
			goto fail;
	}
	err = make_run_dir(&run, errbuf, errlen);
	if (err)
		goto fail;
	r->trials = calloc(cfg->trials, sizeof(*r->trials));
	if (!r->trials) {
		err = -ENOMEM;
		goto fail;
	}
	run.cfg = &r->cfg;
	run.strategy = s;
	run.workload = r->cfg.workload;
	run.slots = slots;
	for (unsigned i = 0; i < cfg->trials; i++) {
		fl_bk_trial_run(&run, i, &r->trials[i]);
		r->n_trials++;
		if (interrupted && *interrupted) {
			r->interrupted = true;
			break;
		}
	}
	/* Out of memory: no verdict, nothing passes. */
	if (fl_bk_judge_objectives(r))
		r->verdict.pass = false;
	if (!cfg->keep)
		rmdir(run.dir);
	else
		snprintf(r->run_dir, sizeof(r->run_dir), "%s", run.dir);
	free(slots);
	*ret = r;
	return 0;
fail:
	free(slots);
	free(r);
	return err;
}

void fl_backup_result_free(struct fl_backup_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_trials; i++) {
		free(r->trials[i].backups);
		fl_backup_pitr_release(&r->trials[i].verdict);
	}
	free(r->trials);
	free(r);
}

int fl_backup_exit_status(const struct fl_backup_result *r)
{
	int status = 0;

	if (r->interrupted)
		return 3;
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_backup_trial *t = &r->trials[i];

		/*
		 * No load ran: the trial could not be set up. A restore that fails
		 * is a finding, not a broken trial: its RTO is missed.
		 */
		if (!t->attempted)
			return 3;
		if (!t->ok)
			status = 1;
	}
	return r->verdict.pass ? status : 1;
}
