// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The faultline-backup/1 document: the run's settings, then each trial as measured. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <faultline/backup.h>

#include "core/environment.h"
#include "run.h"

static json_t *ms(uint64_t ns)
{
	return ns == UINT64_MAX ? json_null() : json_real((double)ns / 1e6);
}

static json_t *ids(const uint64_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

static json_t *backup_json(const struct fl_backup_record *b)
{
	json_t *o = json_pack("{s:s,s:o,s:o,s:o,s:b,s:I,s:I,s:s}",
			      "kind", fl_backup_kind_name(b->kind),
			      "due_ms", ms(b->due_ns), "start_ms", ms(b->start_ns),
			      "end_ms", ms(b->end_ns), "ok", b->ok,
			      "bytes", (json_int_t)b->bytes, "newest_id", (json_int_t)b->newest_id,
			      "label", b->label);

	if (o && b->error[0])
		json_object_set_new(o, "error", json_string(b->error));
	return o;
}

static json_t *verdict_json(const struct fl_backup_trial *t, bool pitr)
{
	const struct fl_backup_pitr *p = &t->verdict;
	json_t *o = json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:o}",
			      "target_ms", ms(t->target_ns),
			      "must_have", (json_int_t)p->must_have,
			      "missing", (json_int_t)p->missing,
			      "missing_corrupt", (json_int_t)p->missing_corrupt,
			      "in_flight", (json_int_t)p->in_flight,
			      "in_flight_present", (json_int_t)p->in_flight_present,
			      "unexpected", (json_int_t)p->unexpected,
			      "lost_ids", ids(p->missing_ids, p->n_missing_ids),
			      "newest_id", (json_int_t)p->newest_id,
			      "rpo_ms", ms(p->rpo_ns), "window_ms", ms(t->window_ns));

	if (o && pitr) {
		json_object_set_new(o, "exact", json_boolean(fl_backup_pitr_exact(p)));
		json_object_set_new(o, "must_not", json_integer((json_int_t)p->must_not));
		json_object_set_new(o, "future", json_integer((json_int_t)p->future));
		json_object_set_new(o, "future_ids", ids(p->future_ids, p->n_future_ids));
		json_object_set_new(o, "slack_ms", ms(p->slack_ns));
	}
	return o;
}

static json_t *check_json(enum fl_backup_check c, const char *detail)
{
	return json_pack("{s:s,s:s}", "result", fl_backup_check_name(c), "detail", detail);
}

static json_t *trial_json(const struct fl_backup_result *r, const struct fl_backup_trial *t)
{
	json_t *backups = json_array(), *o;

	for (size_t i = 0; backups && i < t->n_backups; i++)
		json_array_append_new(backups, backup_json(&t->backups[i]));
	o = json_pack("{s:i,s:o,s:o,s:o,s:I,s:I,s:b,s:s,s:{s:o,s:o,s:o,s:o},s:o,s:o,s:{s:o,s:o,s:I},"
		      "s:{s:b,s:b,s:b},s:b}",
		      "trial", (int)t->index + 1,
		      "backups", backups,
		      "fault_ms", ms(t->fault_ns), "loss_ms", ms(t->loss_ns),
		      "attempted", (json_int_t)t->attempted,
		      "acknowledged", (json_int_t)t->acknowledged,
		      "restored", t->restored, "restored_from", t->restored_from,
		      "restore", "fetch_ms", ms(t->fetch_ns), "restore_ms", ms(t->restore_ns),
		      "replay_ms", ms(t->replay_ns), "first_write_ms", ms(t->first_write_ns),
		      "rto_ms", ms(t->rto_ns),
		      "verdict", t->restored ? verdict_json(t, r->cfg.pitr) : json_null(),
		      "integrity", "tool_verify", check_json(t->tool_verify, t->tool_verify_detail),
		      "db_check", check_json(t->db_check, t->db_check_detail),
		      "corrupt_records", (json_int_t)t->corrupt_records,
		      "met", "rpo", t->rpo_met, "rto", t->rto_met, "pitr", t->pitr_met,
		      "ok", t->ok);
	if (o && t->fault_error[0])
		json_object_set_new(o, "fault_error", json_string(t->fault_error));
	if (o && t->settle_error[0])
		json_object_set_new(o, "settle_error", json_string(t->settle_error));
	if (o && t->restore_error[0])
		json_object_set_new(o, "error", json_string(t->restore_error));
	if (o && r->cfg.fault == FL_BACKUP_FAULT_CORRUPT)
		json_object_set_new(json_object_get(o, "integrity"), "caught_by",
				    json_string(t->caught_by));
	return o;
}

static json_t *stats_json(const struct fl_rpo_stats *st, bool is_ns)
{
	if (!is_ns)
		return json_pack("{s:I,s:I,s:I,s:I}", "min", (json_int_t)st->min,
				 "median", (json_int_t)st->median, "p95", (json_int_t)st->p95,
				 "max", (json_int_t)st->max);
	return json_pack("{s:o,s:o,s:o,s:o}", "min_ms", ms(st->min), "median_ms", ms(st->median),
			 "p95_ms", ms(st->p95), "max_ms", ms(st->max));
}

/* Over the trials that restored; null when none did. */
static json_t *summary_json(const struct fl_backup_result *r)
{
	struct fl_backup_summary s;

	if (fl_backup_summarize(r, &s))
		return json_null();
	return json_pack("{s:I,s:o,s:o,s:o,s:o}", "restored", (json_int_t)s.restored,
			 "lost", stats_json(&s.lost, false), "rpo", stats_json(&s.rpo_ns, true),
			 "window", stats_json(&s.window_ns, true), "rto", stats_json(&s.rto_ns, true));
}

/* How the store was wronged: by its kind for a dropped table. */
static const char *fault_mechanism(const struct fl_backup_result *r)
{
	const char *k = r->store_kind ? r->store_kind : "";

	switch (r->cfg.fault) {
	case FL_BACKUP_FAULT_DISK_LOSS:
		return "kill(2) SIGKILL, then the data directory removed";
	case FL_BACKUP_FAULT_CORRUPT:
		return "faultfs rule corrupting the blocks written (FUSE)";
	case FL_BACKUP_FAULT_POWERCUT:
		return "kill(2) SIGKILL, then faultfs power cut (FUSE)";
	case FL_BACKUP_FAULT_DROP_TABLE:
		return !strcmp(k, "redis") ? "UNLINK of the records' keys (redis client)" :
		       !strcmp(k, "file") ? "the log truncated (truncate(2))" :
		       "DROP TABLE through the store's client";
	case FL_BACKUP_FAULT_EXEC:
		return "your command (sh -c)";
	}
	return "?";
}

/* Where it ran, and what carried the fault, the backups and the storage. */
static json_t *environment_json(const struct fl_backup_result *r)
{
	json_t *env = fl_environment_json();
	char what[48];

	if (!env)
		return NULL;
	snprintf(what, sizeof(what), "fault %s", fl_backup_fault_name(r->cfg.fault));
	fl_environment_add_mechanism(env, what, fault_mechanism(r));
	fl_environment_add_mechanism(env, "backup and restore", r->tool ? r->tool : r->strategy);
	if (fl_bk_uses_faultfs(&r->cfg, r->strategy))
		fl_environment_add_mechanism(env, "storage", "faultfs overlay (FUSE)");
	return env;
}

json_t *fl_backup_result_json(const struct fl_backup_result *r)
{
	const struct fl_backup_config *c = &r->cfg;
	json_t *trials = json_array(), *doc;
	char restore[48];

	for (size_t i = 0; trials && i < r->n_trials; i++)
		json_array_append_new(trials, trial_json(r, &r->trials[i]));
	if (!c->pitr)
		snprintf(restore, sizeof(restore), "latest");
	else
		snprintf(restore, sizeof(restore), "pitr=%s%.3fs", c->pitr_before_fault ? "-" : "",
			 c->pitr_ns / 1e9);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:{s:o,s:o},s:b,s:o,s:o,s:i}",
			"schema", "faultline-backup/1",
			"strategy", r->strategy, "tool", r->tool,
			"workload", r->workload, "store", r->store_kind,
			"schedule", c->schedule,
			"fault", fl_backup_fault_name(c->fault),
			"fault_at_ms", ms(c->fault_at_ns), "after_ms", ms(c->after_ns),
			"restore", restore,
			"gate", "rpo_ms", ms(c->rpo_max_ns), "rto_ms", ms(c->rto_max_ns),
			"interrupted", r->interrupted,
			"trials", trials, "summary", summary_json(r),
			"exit_status", fl_backup_exit_status(r));
	if (doc)
		json_object_set_new(doc, "environment", environment_json(r));
	/* "gate": the targets as of old; "objectives": the five, one entry each. */
	if (doc)
		json_object_set_new(doc, "objectives", fl_verdict_json(&r->verdict));
	if (doc && c->fault == FL_BACKUP_FAULT_CORRUPT)
		json_object_set_new(doc, "corrupt_blocks", json_integer(c->corrupt_blocks));
	if (doc && c->fault == FL_BACKUP_FAULT_EXEC)
		json_object_set_new(doc, "fault_cmd", json_string(c->fault_cmd));
	if (doc && r->run_dir[0])
		json_object_set_new(doc, "run_dir", json_string(r->run_dir));
	return doc;
}
