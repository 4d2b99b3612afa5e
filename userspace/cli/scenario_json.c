// SPDX-License-Identifier: GPL-2.0-only
/*
 * 'faultline scenario check --json': the parsed scenario (durations in
 * ms, as faultline rpo's JSON gives them) or the errors, one object.
 */
#include <stdio.h>
#include <string.h>

#include "cli/scenario_print.h"

static json_t *ms(uint64_t ns)
{
	return json_real((double)ns / 1e6);
}

static json_t *name_list(const fl_scenario_name *n, unsigned count)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < count; i++)
		json_array_append_new(a, json_string(n[i]));
	return a;
}

static json_t *fault_json(const struct fl_scenario_fault *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "op", json_string(fl_scenario_op_name(f->op)));
	if (f->rule_text)
		json_object_set_new(o, "rule", json_string(f->rule_text));
	return o;
}

static json_t *schedule_json(const struct fl_scenario_step *st)
{
	json_t *o = json_object();

	switch (st->sched) {
	case FL_SCHED_AT:
		json_object_set_new(o, "at_ms", ms(st->at_ns));
		break;
	case FL_SCHED_EVERY:
		json_object_set_new(o, "every_ms", ms(st->every_ns));
		json_object_set_new(o, "for_ms", ms(st->for_ns));
		break;
	case FL_SCHED_AFTER:
		if (st->after == FL_AFTER_HEALTHY)
			json_object_set_new(o, "after_healthy", json_string(st->after_node));
		else if (st->after == FL_AFTER_STEP)
			json_object_set_new(o, "after_step", json_integer(st->after_step));
		else
			json_object_set_new(o, "after_previous", json_true());
		break;
	}
	return o;
}

static json_t *step_json(unsigned i, const struct fl_scenario_step *st)
{
	json_t *o = fault_json(&st->what), *sides;

	json_object_set_new(o, "step", json_integer(i + 1));
	json_object_set_new(o, "kind", json_string(st->action ? "action" : "fault"));
	json_object_set_new(o, "schedule", schedule_json(st));
	json_object_set_new(o, "nodes", name_list(st->nodes, st->n_nodes));
	if (st->n_sides) {
		sides = json_array();
		for (unsigned k = 0; k < st->n_sides; k++)
			json_array_append_new(sides, name_list(st->sides[k].nodes,
							       st->sides[k].n_nodes));
		json_object_set_new(o, "sides", sides);
	}
	if (st->duration_ns)
		json_object_set_new(o, "duration_ms", ms(st->duration_ns));
	json_object_set_new(o, "line", json_integer(st->pos.line));
	return o;
}

static json_t *nodes_json(const struct fl_scenario *s)
{
	json_t *a = json_array(), *o;
	char name[16];

	for (unsigned i = 0; i < s->n_nodes; i++) {
		const struct fl_scenario_node *n = &s->nodes[i];

		o = json_object();
		if (s->cluster) {
			snprintf(name, sizeof(name), "n%u", i + 1);
			json_object_set_new(o, "name", json_string(name));
		} else {
			json_object_set_new(o, "name", json_string(n->name));
			json_object_set_new(o, "start", json_string(n->start));
			if (n->stop)
				json_object_set_new(o, "stop", json_string(n->stop));
			if (n->health)
				json_object_set_new(o, "health", json_string(n->health));
			json_object_set_new(o, "data_dir", json_string(n->data_dir));
			if (n->host) {
				json_object_set_new(o, "host", json_string(n->host));
				json_object_set_new(o, "ssh_user", json_string(n->ssh_user));
				json_object_set_new(o, "ssh_host", json_string(n->ssh_host));
				json_object_set_new(o, "ssh_port", json_integer(n->ssh_port));
			}
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* A reading load: null when off. */
static json_t *reads_json(const struct fl_scenario_reads *r, const char *count)
{
	if (r->off)
		return json_null();
	return json_pack("{s:i,s:I,s:I}", "clients", (int)r->clients, "rate", (json_int_t)r->rate,
			 count, (json_int_t)r->keys);
}

json_t *fl_scenario_to_json(const char *file, const struct fl_scenario *s)
{
	json_t *o = json_object(), *a, *w, *obj, *set, *nem;
	const char *const *al;

	if (!o)
		return NULL;
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "valid", json_true());
	json_object_set_new(o, "name", s->name ? json_string(s->name) : json_null());
	json_object_set_new(o, "cluster", s->cluster ?
			    json_string(fl_scenario_kind_name(s->cluster)) : json_null());
	json_object_set_new(o, "nodes", nodes_json(s));
	a = json_array();
	for (al = fl_scenario_kind_roles(s->cluster); *al; al++)
		json_array_append_new(a, json_string(*al));
	json_object_set_new(o, "roles", a);
	set = json_object();
	for (unsigned i = 0; i < s->n_settings; i++)
		json_object_set_new(set, s->settings[i].key, json_string(s->settings[i].value));
	json_object_set_new(o, "settings", set);
	w = json_object();
	json_object_set_new(w, "kind", s->workload.kind ? json_string(s->workload.kind) : json_null());
	json_object_set_new(w, "target", json_string(s->workload.target));
	json_object_set_new(w, "clients", json_integer(s->workload.clients));
	json_object_set_new(w, "rate", json_integer((json_int_t)s->workload.rate));
	json_object_set_new(w, "payload", json_integer((json_int_t)s->workload.payload));
	json_object_set_new(w, "keys", json_integer((json_int_t)s->workload.keys));
	json_object_set_new(w, "register", reads_json(&s->workload.reg, "keys"));
	json_object_set_new(w, "bank", reads_json(&s->workload.bank, "accounts"));
	json_object_set_new(o, "workload", w);
	a = json_array();
	for (unsigned i = 0; i < s->n_steps; i++)
		json_array_append_new(a, step_json(i, &s->steps[i]));
	json_object_set_new(o, "steps", a);
	if (s->nemesis.set) {
		nem = json_object();
		a = json_array();
		for (unsigned i = 0; i < s->nemesis.n_faults; i++)
			json_array_append_new(a, fault_json(&s->nemesis.faults[i]));
		json_object_set_new(nem, "faults", a);
		json_object_set_new(nem, "interval_ms", ms(s->nemesis.interval_ns));
		json_object_set_new(nem, "seed", s->nemesis.has_seed ?
				    json_integer((json_int_t)s->nemesis.seed) : json_null());
		json_object_set_new(o, "nemesis", nem);
	}
	obj = json_object();
	json_object_set_new(obj, "rpo_ms", s->objectives.rpo_ns == UINT64_MAX ? json_null() :
			    ms(s->objectives.rpo_ns));
	json_object_set_new(obj, "rto_ms", s->objectives.rto_ns == UINT64_MAX ? json_null() :
			    ms(s->objectives.rto_ns));
	json_object_set_new(obj, "availability", s->objectives.availability_ppm ?
			    json_real(s->objectives.availability_ppm / 1e6) : json_null());
	json_object_set_new(obj, "mttr_ms", !s->objectives.mttr_ns ||
			    s->objectives.mttr_ns == UINT64_MAX ? json_null() : ms(s->objectives.mttr_ns));
	json_object_set_new(obj, "mtbf_ms", !s->objectives.mtbf_ns ||
			    s->objectives.mtbf_ns == UINT64_MAX ? json_null() : ms(s->objectives.mtbf_ns));
	json_object_set_new(obj, "consistent", json_boolean(s->objectives.consistent));
	json_object_set_new(o, "objectives", obj);
	json_object_set_new(o, "trials", json_integer(s->trials));
	json_object_set_new(o, "seed", s->has_seed ? json_integer((json_int_t)s->seed) : json_null());
	json_object_set_new(o, "duration_ms", s->duration_ns ? ms(s->duration_ns) : json_null());
	json_object_set_new(o, "faultfs", s->faultfs ? json_string(s->faultfs) : json_null());
	return o;
}

json_t *fl_scenario_errors_json(const char *file, const struct fl_scenario_errors *e)
{
	json_t *o = json_object(), *a = json_array(), *d;

	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "valid", json_false());
	for (unsigned i = 0; i < e->n; i++) {
		d = json_object();
		json_object_set_new(d, "line", json_integer(e->e[i].line));
		json_object_set_new(d, "column", json_integer(e->e[i].column));
		json_object_set_new(d, "message", json_string(e->e[i].text + e->e[i].msg_off));
		json_object_set_new(d, "text", json_string(e->e[i].text));
		json_array_append_new(a, d);
	}
	json_object_set_new(o, "errors", a);
	json_object_set_new(o, "errors_total", json_integer(e->total));
	return o;
}
