// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The `faultline-scenario/2` result: the scenario, each trial (its fault
 * events, each node's timeline, what was lost and where, the clients'
 * unavailability, availability, split-brain evidence and the whole write
 * history, as faultline-rpo/2 gives it), the figures over the trials and
 * the objectives. Times are ms since the trial's load started; durations
 * are ms. Adding keys is compatible; changing one is a new version.
 */
#include <faultline/scenario_run.h>

#include "core/environment.h"
#include "run_priv.h"

static json_t *ms(uint64_t ns)
{
	return ns == UINT64_MAX ? json_null() : json_real((double)ns / 1e6);
}

static json_t *stats_json(const struct fl_rpo_stats *st, bool as_ms)
{
	json_t *o = json_object();
	const char *k[] = { "min", "median", "p95", "max", "mean" };
	uint64_t v[] = { st->min, st->median, st->p95, st->max, st->mean };

	for (size_t i = 0; i < 5; i++)
		json_object_set_new(o, k[i], as_ms ? ms(v[i]) : json_integer((json_int_t)v[i]));
	return o;
}

static const char *node_name(const struct fl_scenario_result *res, unsigned i, char *buf,
			     size_t len)
{
	return sc_node_name(res->s, i, buf, len);
}

static json_t *event_json(const struct fl_scenario_event *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "step", e->step ? json_integer(e->step) : json_null());
	json_object_set_new(o, "source", json_string(e->step ? "step" : "nemesis"));
	json_object_set_new(o, e->action ? "action" : "fault",
			    json_string(fl_scenario_op_name(e->op)));
	json_object_set_new(o, "undo", json_boolean(e->undo));
	json_object_set_new(o, "nodes", json_string(e->nodes));
	json_object_set_new(o, "rule", e->rule[0] ? json_string(e->rule) : json_null());
	json_object_set_new(o, "mechanism", e->mechanism[0] ? json_string(e->mechanism) : json_null());
	json_object_set_new(o, "at_ms", ms(e->at_ns));
	json_object_set_new(o, "done_ms", ms(e->done_ns));
	json_object_set_new(o, "effect_ms", e->effect_ns ? ms(e->effect_ns) : json_null());
	json_object_set_new(o, "effect_timeout", json_boolean(e->effect_timeout));
	json_object_set_new(o, "ok", json_boolean(!e->err));
	json_object_set_new(o, "error", e->err ? json_string(e->error) : json_null());
	if (e->op == FL_SOP_DISK || e->op == FL_SOP_SYSCALL || e->op == FL_SOP_NET ||
	    (e->op == FL_SOP_HEAL && (e->matched || e->injected))) {
		json_object_set_new(o, "matched", json_integer((json_int_t)e->matched));
		json_object_set_new(o, "injected", json_integer((json_int_t)e->injected));
	}
	if (e->op == FL_SOP_POWERCUT && !e->undo)
		json_object_set_new(o, "undone", json_pack("{s:I,s:I,s:I}",
			"writes", (json_int_t)e->undone.writes, "bytes", (json_int_t)e->undone.bytes,
			"names", (json_int_t)e->undone.names));
	return o;
}

static json_t *writes_json(const struct fl_scenario_trial *t)
{
	const struct fl_check *c = &t->check;
	json_t *o = json_object(), *ids = json_array();

	for (size_t i = 0; i < t->n_lost_ids; i++)
		json_array_append_new(ids, json_integer((json_int_t)t->lost_ids[i]));
	json_object_set_new(o, "attempted", json_integer((json_int_t)c->attempted));
	json_object_set_new(o, "acknowledged", json_integer((json_int_t)c->acknowledged));
	json_object_set_new(o, "failed", json_integer((json_int_t)c->failed));
	json_object_set_new(o, "unknown", json_integer((json_int_t)c->unknown));
	json_object_set_new(o, "lost", json_integer((json_int_t)c->lost));
	json_object_set_new(o, "lost_ids", ids);
	json_object_set_new(o, "lost_ids_complete", json_boolean(t->n_lost_ids == c->lost));
	json_object_set_new(o, "lost_after_fault", json_integer((json_int_t)c->lost_after_fault));
	json_object_set_new(o, "recovered", json_integer((json_int_t)c->recovered));
	json_object_set_new(o, "unexpected", json_integer((json_int_t)c->unexpected));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)c->duplicates));
	json_object_set_new(o, "rpo_ms", ms(c->rpo_ns));
	json_object_set_new(o, "rpo_fault_ms", ms(t->rpo_fault_ns));
	return o;
}

static json_t *history_json(const struct fl_scenario_trial *t)
{
	static const char *const outcome[] = { "ok", "fail", "info" };
	json_t *a = json_array();

	for (size_t i = 0; i < t->n_ops; i++) {
		const struct fl_op *op = &t->ops[i];

		json_array_append_new(a, json_pack("{s:I,s:i,s:i,s:s,s:f,s:f}",
			"id", (json_int_t)op->id, "client", (int)op->client, "node", (int)op->target + 1,
			"type", outcome[op->outcome],
			"invoke_ms", (double)(op->invoke_ns - t->load_start_ns) / 1e6,
			"complete_ms", (double)(op->complete_ns - t->load_start_ns) / 1e6));
	}
	return a;
}

/* A reading load: its verdict, and its history as Jepsen's EDN lines. */
static json_t *reads_json(const struct fl_scenario_reads_run *rr)
{
	json_t *o = json_object(), *check = NULL, *edn = NULL;

	json_object_set_new(o, "ran", json_boolean(rr->ran));
	json_object_set_new(o, "skipped", rr->ran ? json_null() : json_string(rr->skipped));
	if (rr->checked && !fl_hist_check_json(&rr->check, 100, &check))
		json_object_set_new(o, "check", check);
	if (rr->history && !fl_history_edn_json(rr->history, &edn)) {
		json_object_set_new(o, "ops", json_integer((json_int_t)fl_history_len(rr->history)));
		json_object_set_new(o, "history_edn", edn);
	}
	return o;
}

json_t *sc_trial_json(const struct fl_scenario_result *res, const struct fl_scenario_trial *t)
{
	json_t *o = json_object(), *ev = json_array(), *nodes = json_array(), *un = json_array();
	json_t *split = json_array();
	char name[16];

	json_object_set_new(o, "seed", json_integer((json_int_t)t->seed));
	json_object_set_new(o, "ok", json_boolean(!t->err));
	json_object_set_new(o, "error", t->err ? json_string(t->error) : json_null());
	json_object_set_new(o, "phase", t->err ? json_string(t->phase) : json_null());
	json_object_set_new(o, "cluster_up_ms", ms(t->up_ns));
	json_object_set_new(o, "cluster_down_ms", ms(t->down_ns));
	json_object_set_new(o, "recover_ms", ms(t->recover_ns));
	json_object_set_new(o, "load_ms", ms(t->load_ns));
	for (size_t i = 0; i < t->n_events; i++)
		json_array_append_new(ev, event_json(&t->events[i]));
	json_object_set_new(o, "events", ev);
	for (unsigned i = 0; i < res->s->n_nodes && i < FL_SCENARIO_MAX_NODES; i++) {
		json_t *n = json_object(), *tl = json_array();

		for (size_t k = 0; k < t->n_marks; k++)
			if (t->marks[k].node == i)
				json_array_append_new(tl, json_pack("{s:o,s:s}", "at_ms",
					ms(t->marks[k].at_ns), "what", t->marks[k].what));
		json_object_set_new(n, "name", json_string(node_name(res, i, name, sizeof(name))));
		json_object_set_new(n, "timeline", tl);
		if (i < t->n_nodes) {
			const struct fl_scenario_node_read *r = &t->nodes[i];

			json_object_set_new(n, "read_back", json_boolean(r->read));
			json_object_set_new(n, "records", r->read ? json_integer((json_int_t)r->records) :
					    json_null());
			json_object_set_new(n, "lost", r->read ? json_integer((json_int_t)r->lost) :
					    json_null());
			json_object_set_new(n, "error", r->read ? json_null() : json_string(r->error));
		}
		json_array_append_new(nodes, n);
	}
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "leader_changes", json_integer(t->leader_changes));
	if (!t->err) {
		json_object_set_new(o, "read_back_from",
				    json_string(node_name(res, t->readback_node, name, sizeof(name))));
		json_object_set_new(o, "writes", writes_json(t));
		for (size_t i = 0; i < t->n_unavail; i++) {
			const struct fl_scenario_unavail *u = &t->unavail[i];
			json_t *c = json_array();

			for (unsigned k = 0; k < t->n_clients; k++)
				json_array_append_new(c, ms(u->client_ns[k]));
			json_array_append_new(un, json_pack("{s:i,s:o,s:o,s:o}", "event", (int)u->event,
				"at_ms", ms(t->events[u->event].at_ns), "worst_ms", ms(u->worst_ns),
				"clients_ms", c));
		}
		json_object_set_new(o, "unavailability", un);
		json_object_set_new(o, "rto_ms", t->n_unavail ? ms(t->rto_ns) : json_null());
		json_object_set_new(o, "availability", json_real(t->availability_ppm / 1e4));
		json_object_set_new(o, "availability_slice_ms", ms(t->slice_ns));
		for (size_t i = 0; i < t->n_split; i++)
			json_array_append_new(split, json_pack("{s:s,s:s,s:o,s:o}",
				"a", node_name(res, t->split[i].a, name, sizeof(name)),
				"b", node_name(res, t->split[i].b, (char[16]){ 0 }, 16),
				"from_ms", ms(t->split[i].from_ns - t->load_start_ns),
				"to_ms", ms(t->split[i].to_ns - t->load_start_ns)));
		json_object_set_new(o, "split_brain", json_pack("{s:b,s:o}", "checked",
				    t->split_checked, "evidence", split));
		json_object_set_new(o, "history", history_json(t));
		json_object_set_new(o, "reads", json_pack("{s:o,s:o}", "register",
				    reads_json(&t->reg), "bank", reads_json(&t->bank)));
	} else {
		json_decref(un);
		json_decref(split);
	}
	return o;
}

/* An objective: its bound (max, or min for availability) and whether it held. */
static json_t *objective(bool set, const char *bound, json_t *limit, bool met)
{
	if (!set) {
		json_decref(limit);
		return json_null();
	}
	return json_pack("{s:o,s:b}", bound, limit, "met", met);
}

/* Where it ran, and what carried each kind of fault its trials made. */
static json_t *environment_json(const struct fl_scenario_result *r)
{
	json_t *env = fl_environment_json();
	char what[48];

	for (size_t i = 0; env && i < r->n_trials; i++) {
		for (size_t k = 0; k < r->trials[i].n_events; k++) {
			const struct fl_scenario_event *e = &r->trials[i].events[k];

			if (e->undo || !e->mechanism[0])
				continue;
			snprintf(what, sizeof(what), "fault %s", fl_scenario_op_name(e->op));
			fl_environment_add_mechanism(env, what, e->mechanism);
		}
	}
	return env;
}

json_t *fl_scenario_result_json(const struct fl_scenario_result *r)
{
	const struct fl_scenario *s = r->s;
	json_t *o = json_object(), *trials = json_array(), *obj = json_object(), *sum;

	json_object_set_new(o, "schema", json_string(FL_SCENARIO_SCHEMA));
	json_object_set_new(o, "scenario", json_pack("{s:s?,s:s,s:s?,s:i,s:s}",
		"name", s->name, "file", r->file, "cluster", fl_scenario_kind_name(s->cluster),
		"nodes", (int)s->n_nodes, "target", s->workload.target));
	json_object_set_new(o, "cluster_name", json_string(r->cluster_name));
	json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(o, "duration_ms", ms(fl_scenario_trial_duration(s)));
	json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
	json_object_set_new(o, "environment", environment_json(r));
	for (size_t i = 0; i < r->n_trials; i++)
		json_array_append_new(trials, sc_trial_json(r, &r->trials[i]));
	json_object_set_new(o, "trials", trials);
	sum = json_pack("{s:i,s:i}", "trials", (int)r->n_trials, "measured", (int)r->n_measured);
	if (r->n_measured) {
		json_object_set_new(sum, "lost", stats_json(&r->lost, false));
		json_object_set_new(sum, "rpo_ms", stats_json(&r->rpo, true));
		json_object_set_new(sum, "rto_ms", stats_json(&r->rto, true));
		json_object_set_new(sum, "availability_ppm", stats_json(&r->availability_ppm, false));
		json_object_set_new(sum, "cluster_up_ms", stats_json(&r->up, true));
		json_object_set_new(sum, "cluster_down_ms", stats_json(&r->down, true));
		json_object_set_new(sum, "mttr_ms", ms(r->mttr_ns));
	}
	json_object_set_new(o, "summary", sum);
	json_object_set_new(obj, "rpo_ms", objective(s->objectives.rpo_ns != UINT64_MAX, "max",
						     ms(s->objectives.rpo_ns), r->rpo_met));
	json_object_set_new(obj, "rto_ms", objective(s->objectives.rto_ns != UINT64_MAX, "max",
						     ms(s->objectives.rto_ns), r->rto_met));
	json_object_set_new(obj, "consistent", s->objectives.consistent ?
			    json_pack("{s:b}", "met", r->consistent_met) : json_null());
	json_object_set_new(obj, "availability", objective(s->objectives.availability_ppm != 0, "min",
		json_real(s->objectives.availability_ppm / 1e4), r->availability_met));
	/* "gate": the file's objectives as of old; "objectives": the five, one entry each. */
	json_object_set_new(o, "gate", obj);
	json_object_set_new(o, "objectives", fl_verdict_json(&r->verdict));
	json_object_set_new(o, "passed", json_boolean(r->passed));
	return o;
}
