// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The versioned JSON result of `faultline rpo` (schema faultline-rpo/2,
 * documented in the README). Times inside a trial are nanoseconds since
 * that trial's load started, so they read directly as offsets; a moment
 * that did not happen is null.
 */
#include <errno.h>
#include <string.h>

#include <faultline/rule.h>
#include <faultline/rpo_session.h>
#include <faultline/workload.h>

#include "core/environment.h"
#include "rpo_faults.h"
#include "rpo_priv.h"

static const char *const outcome_names[] = { "ok", "fail", "unknown" };

/* t relative to base, or null. */
static json_t *offset(uint64_t t, uint64_t base)
{
	return t && t >= base ? json_integer((json_int_t)(t - base)) : json_null();
}

static json_t *span(uint64_t from, uint64_t to)
{
	return from && to && to >= from ? json_integer((json_int_t)(to - from)) : json_null();
}

static json_t *config_json(const struct fl_rpo_config *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "workload", json_string(c->workload));
	json_object_set_new(o, "start", c->start_cmd ? json_string(c->start_cmd) : json_null());
	json_object_set_new(o, "restart", c->restart_cmd ? json_string(c->restart_cmd) : json_null());
	json_object_set_new(o, "health", c->health_cmd ? json_string(c->health_cmd) : json_null());
	json_object_set_new(o, "data_dir", c->data_dir ? json_string(c->data_dir) : json_null());
	json_object_set_new(o, "faultfs", json_boolean(c->faultfs));
	json_object_set_new(o, "faultfs_opts", c->faultfs_opts ? json_string(c->faultfs_opts) : json_null());
	json_object_set_new(o, "user", c->user ? json_string(c->user) : json_null());
	json_object_set_new(o, "ping_timeout_ns", json_integer((json_int_t)c->ping_timeout_ns));
	json_object_set_new(o, "readback_timeout_ns", json_integer((json_int_t)c->readback_timeout_ns));
	json_object_set_new(o, "fault", json_string(fl_rpo_fault_name(c->fault)));
	json_object_set_new(o, "crashpoint", c->crashpoint ? json_string(c->crashpoint) : json_null());
	json_object_set_new(o, "net_rule", c->net_rule ? json_string(c->net_rule) : json_null());
	json_object_set_new(o, "fault_for_ns", fl_rpo_fault_is_network(c->fault) ?
			    json_integer((json_int_t)c->fault_for_ns) : json_null());
	json_object_set_new(o, "term_signal", json_string(fl_signal_name(c->term_signal) ?: "?"));
	json_object_set_new(o, "fault_at_ns", json_integer((json_int_t)c->fault_at_ns));
	json_object_set_new(o, "after_ns", json_integer((json_int_t)c->after_ns));
	json_object_set_new(o, "clients", json_integer(c->load.clients));
	json_object_set_new(o, "rate", json_real(c->load.rate));
	json_object_set_new(o, "payload_bytes", json_integer((json_int_t)c->load.payload_len));
	json_object_set_new(o, "seed", json_integer((json_int_t)c->load.seed));
	json_object_set_new(o, "trials", json_integer(c->trials));
	return o;
}

/* A managed service: what the spec was resolved into (the config shows the client's side). */
static json_t *managed_json(const struct fl_wl_managed *m)
{
	if (!m)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "spec", m->given, "kind", m->kind, "user",
			 m->user, "data_dir", m->data_dir, "port", m->port);
}

static json_t *history_json(const struct fl_rpo_trial *t)
{
	json_t *ops = json_array(), *o = json_object();

	for (size_t i = 0; i < t->n_ops; i++) {
		const struct fl_op *op = &t->ops[i];
		const char *err = op->err ? fl_errno_name(op->err < 0 ? -op->err : op->err) : NULL;

		json_array_append_new(ops, json_pack("[I, i, I, I, s, s?]",
			(json_int_t)op->id, (int)op->client,
			(json_int_t)(op->invoke_ns - t->start_ns),
			(json_int_t)(op->complete_ns - t->start_ns),
			outcome_names[op->outcome <= FL_OP_UNKNOWN ? op->outcome : FL_OP_UNKNOWN],
			err));
	}
	json_object_set_new(o, "fields", json_pack("[s, s, s, s, s, s]", "id", "client",
		"invoke_ns", "complete_ns", "outcome", "errno"));
	json_object_set_new(o, "ops", ops);
	return o;
}

static json_t *readback_json(const struct fl_rpo_trial *t)
{
	json_t *recs = json_array();

	for (size_t i = 0; i < t->n_back; i++)
		json_array_append_new(recs, json_pack("[I, b]", (json_int_t)t->back[i].id,
						      t->back[i].intact));
	return json_pack("{s:[s, s], s:o}", "fields", "id", "intact", "records", recs);
}

/* A network fault: what was armed, for how long, and what the clients saw of it. */
static json_t *network_json(const struct fl_rpo_trial *t)
{
	const struct fl_rpo_net_fault *n = &t->net;
	const struct fl_rto *r = &t->rto;

	if (!n->done)
		return json_null();
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
		"rule", n->rule, "target", n->target,
		"fault_for_ns", (json_int_t)n->fault_for_ns,
		"armed_ns", span(r->fault_ns, r->healed_ns),
		"window_ns", span(r->fault_ns, r->first_ok_ns),
		"reconnect_ns", span(r->healed_ns, r->first_ok_ns),
		"longest_gap_ns", (json_int_t)n->longest_gap_ns,
		"acked_during", (json_int_t)n->acked_during,
		"failed_during", (json_int_t)n->failed_during,
		"unknown_during", (json_int_t)n->unknown_during,
		"matched", (json_int_t)n->matched, "injected", (json_int_t)n->injected,
		"restarted", n->restarted);
}

static json_t *trial_json(const struct fl_rpo_trial *t, size_t index)
{
	const struct fl_check *c = &t->check;
	const struct fl_rto *r = &t->rto;
	uint64_t base = t->start_ns, rto = fl_rpo_rto_ns(r);
	json_t *o = json_object(), *sample = json_array();

	json_object_set_new(o, "trial", json_integer((json_int_t)index));
	json_object_set_new(o, "seed", json_integer((json_int_t)t->seed));
	json_object_set_new(o, "mechanism", t->mechanism[0] ? json_string(t->mechanism) : json_null());
	json_object_set_new(o, "error", t->err ?
		json_pack("{s:s, s:s, s:s}", "phase", t->phase, "message", t->error,
			  "errno", fl_errno_name(-t->err) ? fl_errno_name(-t->err) : "?") :
		json_null());
	json_object_set_new(o, "times_ns", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
		"fault", offset(r->fault_ns, base), "stopped", offset(r->stopped_ns, base),
		"restarted", offset(r->restarted_ns, base), "healthy", offset(r->healthy_ns, base),
		"first_ok", offset(r->first_ok_ns, base), "steady", offset(r->steady_ns, base)));
	json_object_set_new(json_object_get(o, "times_ns"), "healed", offset(r->healed_ns, base));
	json_object_set_new(o, "counts", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"attempted", (json_int_t)c->attempted, "acknowledged", (json_int_t)c->acknowledged,
		"failed", (json_int_t)c->failed, "unknown", (json_int_t)c->unknown,
		"lost", (json_int_t)c->lost, "lost_corrupt", (json_int_t)c->lost_corrupt,
		"recovered", (json_int_t)c->recovered,
		"recovered_failed", (json_int_t)c->recovered_failed,
		"unexpected", (json_int_t)c->unexpected, "duplicates", (json_int_t)c->duplicates));
	for (size_t i = 0; i < c->n_lost_sample; i++)
		json_array_append_new(sample, json_integer((json_int_t)c->lost_sample[i]));
	json_object_set_new(o, "lost_sample", sample);
	/* A trial that could not measure has no numbers: null, never zeros that read as "none lost". */
	json_object_set_new(o, "measured", json_boolean(!t->err));
	json_object_set_new(o, "rpo", t->err ? json_null() : json_pack("{s:I, s:I, s:I, s:o, s:I, s:I}",
		"ns", (json_int_t)c->rpo_ns, "writes", (json_int_t)c->rpo_writes,
		"bytes", (json_int_t)c->rpo_bytes,
		"oldest_lost_id", c->oldest_lost_id ? json_integer((json_int_t)c->oldest_lost_id)
						    : json_null(),
		"lost_after_fault", (json_int_t)c->lost_after_fault,
		"after_fault_ns", (json_int_t)c->after_fault_ns));
	json_object_set_new(o, "rto", json_pack("{s:o, s:{s:o, s:o, s:o, s:o}, s:o}",
		"ns", rto == UINT64_MAX ? json_null() : json_integer((json_int_t)rto),
		"phases_ns",
		"stop", span(r->fault_ns, r->stopped_ns),
		"restart", span(r->stopped_ns, r->restarted_ns),
		"recovery", span(r->restarted_ns, r->healthy_ns),
		"first_ok", span(r->healthy_ns, r->first_ok_ns),
		"steady_ns", span(r->fault_ns, r->steady_ns)));
	/* A network fault's two phases: the fault itself, and the clients' way back after it. */
	json_object_set_new(json_object_get(json_object_get(o, "rto"), "phases_ns"), "heal",
			    span(r->fault_ns, r->healed_ns));
	json_object_set_new(json_object_get(json_object_get(o, "rto"), "phases_ns"), "reconnect",
			    span(r->healed_ns, r->first_ok_ns));
	json_object_set_new(o, "network", network_json(t));
	json_object_set_new(o, "timeline", !t->timeline.seen ? json_null() :
		json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
			  "exposure_ns", t->timeline.barrier_seen ?
				json_integer((json_int_t)t->timeline.exposure_ns) : json_null(),
			  "writes", (json_int_t)t->timeline.writes,
			  "barriers", (json_int_t)t->timeline.barriers,
			  "acked_judged", (json_int_t)t->timeline.acked_judged,
			  "acked_uncovered", (json_int_t)t->timeline.acked_uncovered,
			  "acked_uncovered_max", (json_int_t)(t->timeline.acked_uncovered +
							      t->timeline.acked_ambiguous),
			  "io_uring", t->timeline.io_uring, "note", t->timeline.note));
	json_object_set_new(o, "faultfs", !t->faultfs.done ? json_null() :
		json_pack("{s:b, s:b, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:s}",
			  "exact", t->faultfs.exact, "by_record", t->faultfs.by_record,
			  "timeline_agrees", t->faultfs.timeline_checked ?
				json_boolean(t->faultfs.timeline_agrees) : json_null(),
			  "barrier_skew_ns", t->faultfs.timeline_checked ?
				json_integer((json_int_t)t->faultfs.barrier_skew_ns) : json_null(),
			  "exposure_ns", span(t->faultfs.last_barrier_ns, r->fault_ns),
			  "volatile_writes", (json_int_t)t->faultfs.volatile_writes,
			  "bytes_undone", (json_int_t)t->faultfs.bytes_undone,
			  "volatile_acked", (json_int_t)t->faultfs.volatile_acked,
			  "lost_not_volatile", (json_int_t)t->faultfs.lost_not_volatile,
			  "volatile_not_lost", (json_int_t)t->faultfs.volatile_not_lost,
			  "note", t->faultfs.note));
	if (t->faultfs.done) {
		json_t *ff = json_object_get(o, "faultfs");

		json_object_set_new(ff, "why", json_string(t->faultfs.why));
		json_object_set_new(ff, "causes", fl_rpo_loss_causes_json(&t->faultfs));
		json_object_set_new(ff, "causes_unlisted",
				    json_integer((json_int_t)t->faultfs.causes_unlisted));
	}
	json_object_set_new(o, "history", history_json(t));
	json_object_set_new(o, "readback", readback_json(t));
	return o;
}

static json_t *stats_json(const struct fl_rpo_stats *s, size_t n)
{
	if (!n)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "min", (json_int_t)s->min,
			 "median", (json_int_t)s->median, "p95", (json_int_t)s->p95,
			 "max", (json_int_t)s->max, "mean", (json_int_t)s->mean);
}

/* Verdicts over the trials that measured; null when none did (nothing was judged). */
static json_t *verdict(bool judged, bool met)
{
	return judged ? json_boolean(met) : json_null();
}

static json_t *objectives_json(const struct fl_rpo_result *r)
{
	bool judged = r->n_measured > 0;

	return json_pack("{s:I, s:I, s:o, s:b, s:I, s:I, s:o, s:o, s:o, s:o}",
		"rpo_max_ns", (json_int_t)r->cfg.rpo_max_ns,
		"rto_max_ns", (json_int_t)r->cfg.rto_max_ns,
		"lost_max", r->cfg.lost_max == UINT64_MAX ? json_null()
							  : json_integer((json_int_t)r->cfg.lost_max),
		"judged", judged,
		"judged_trials", (json_int_t)r->n_measured,
		"unmeasured_trials", (json_int_t)(r->n_trials - r->n_measured),
		"rpo_met", verdict(judged, r->rpo_met), "rto_met", verdict(judged, r->rto_met),
		"lost_met", verdict(judged, r->lost_met),
		"met", verdict(judged, r->rpo_met && r->rto_met && r->lost_met));
}

/* Where it ran, and which mechanism carried each part of the run. */
static json_t *environment_json(const struct fl_rpo_result *r)
{
	json_t *env = fl_environment_json();
	char what[48];

	if (!env)
		return NULL;
	snprintf(what, sizeof(what), "fault %s", fl_rpo_fault_name(r->cfg.fault));
	for (size_t i = 0; i < r->n_trials; i++) {
		if (r->trials[i].mechanism[0])
			fl_environment_add_mechanism(env, what, r->trials[i].mechanism);
		if (r->trials[i].timeline.seen)
			fl_environment_add_mechanism(env, "timeline",
						     "raw tracepoints sys_enter/sys_exit (BPF)");
	}
	if (fl_rpo_wants_faultfs(&r->cfg))
		fl_environment_add_mechanism(env, "storage", "faultfs overlay (FUSE)");
	return env;
}

json_t *fl_rpo_result_json(const struct fl_rpo_result *r)
{
	json_t *root = json_object(), *trials = json_array();

	json_object_set_new(root, "schema", json_string(FL_RPO_SCHEMA));
	json_object_set_new(root, "config", config_json(&r->cfg));
	json_object_set_new(root, "managed", managed_json(r->managed));
	json_object_set_new(root, "environment", environment_json(r));
	for (size_t i = 0; i < r->n_trials; i++)
		json_array_append_new(trials, trial_json(&r->trials[i], i));
	json_object_set_new(root, "trials", trials);
	json_object_set_new(root, "summary", json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}",
		"trials", (json_int_t)r->n_trials, "measured", (json_int_t)r->n_measured,
		"lost_worst", (json_int_t)r->lost_worst,
		"rpo_ns", stats_json(&r->rpo, r->n_measured),
		"rto_ns", stats_json(&r->rto, r->n_measured),
		"mttr_ns", r->n_measured ? json_integer((json_int_t)r->mttr_ns) : json_null()));
	/* "gate": the targets and verdicts of old; "objectives": the five, one entry each. */
	json_object_set_new(root, "gate", objectives_json(r));
	json_object_set_new(root, "objectives", fl_verdict_json(&r->verdict));
	return root;
}
