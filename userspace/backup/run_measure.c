// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a backup trial measured, judged: each backup's newest write, the
 * objectives, and who caught a corruption. Pure: no clock, no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

struct acked {
	uint64_t complete_ns, id;
};

static int acked_cmp(const void *a, const void *b)
{
	const struct acked *x = a, *y = b;

	if (x->complete_ns != y->complete_ns)
		return x->complete_ns < y->complete_ns ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int fl_bk_backups_newest(struct fl_backup_record *b, size_t n, const struct fl_op *ops,
			 size_t n_ops, uint64_t t0)
{
	struct acked *v = malloc((n_ops ? n_ops : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n_ops; i++)
		if (ops[i].outcome == FL_OP_OK)
			v[k++] = (struct acked){ ops[i].complete_ns, ops[i].id };
	qsort(v, k, sizeof(*v), acked_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t start = t0 + b[i].start_ns;
		size_t lo = 0, hi = k;

		/* The first acknowledgement at or after the start: the one before it is newest. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (v[mid].complete_ns < start)
				lo = mid + 1;
			else
				hi = mid;
		}
		b[i].newest_id = lo ? v[lo - 1].id : 0;
	}
	free(v);
	return 0;
}

static void caught(struct fl_backup_trial *t)
{
	char *p = t->caught_by;
	size_t len = sizeof(t->caught_by);

	p[0] = '\0';
	if (t->tool_verify == FL_BACKUP_CHECK_FAILED)
		snprintf(p + strlen(p), len - strlen(p), "%stool-verify", p[0] ? "," : "");
	if (t->db_check == FL_BACKUP_CHECK_FAILED)
		snprintf(p + strlen(p), len - strlen(p), "%sdb-check", p[0] ? "," : "");
	if (t->corrupt_records || t->verdict.missing)
		snprintf(p + strlen(p), len - strlen(p), "%schecker", p[0] ? "," : "");
	if (!p[0])
		snprintf(p, len, "none");
}

void fl_bk_trial_judge(struct fl_backup_trial *t, const struct fl_backup_config *cfg)
{
	/* As `faultline rpo` has it: an objective of 0 also wants nothing lost. */
	t->rpo_met = t->restored && t->verdict.rpo_ns <= cfg->rpo_max_ns &&
		     (cfg->rpo_max_ns || !t->verdict.missing);
	t->rto_met = t->restored && t->rto_ns != UINT64_MAX && t->rto_ns <= cfg->rto_max_ns;
	t->pitr_met = !cfg->pitr || (t->restored && fl_backup_pitr_exact(&t->verdict));
	if (cfg->fault == FL_BACKUP_FAULT_CORRUPT)
		caught(t);
	t->ok = t->rpo_met && t->rto_met && t->pitr_met;
}

const char *fl_bk_default_schedule(const struct fl_backup_strategy *s)
{
	if (s->kinds & (1u << FL_BACKUP_INCR))
		return "full@0s,incr@every:5s";
	if (s->kinds & (1u << FL_BACKUP_FULL))
		return "full@0s,full@every:5s";
	return "snapshot@0s,snapshot@every:5s";
}

const char *fl_bk_default_workload(const struct fl_backup_strategy *s)
{
	static const struct { const char *store, *spec; } defaults[] = {
		{ "postgres", "postgres:local" },
		{ "redis",    "redis:local" },
		{ "sqlite",   "sqlite:data/records.db" },
		{ "file",     "file:data/records.log" },
	};
	size_t n = strcspn(s->stores, " ");

	for (size_t i = 0; i < sizeof(defaults) / sizeof(*defaults); i++)
		if (strlen(defaults[i].store) == n && !strncmp(s->stores, defaults[i].store, n))
			return defaults[i].spec;
	return "file:data/records.log";
}
