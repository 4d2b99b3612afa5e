// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * steps: and nemesis: of a scenario file. Each step has exactly one
 * schedule (at:, every: with for:, or after:) and exactly one of fault:
 * or action:. The RULE of disk=, syscall= and net= goes through the one
 * rule grammar (fl_rule_parse, then fl_rule_check_domain in the fs,
 * syscall or net domain), and its errors point at the column in the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rule_internal.h"
#include "scenario/scenario_internal.h"

static const char *const step_keys[] = {
	"at", "every", "for", "after", "fault", "action", "node", "nodes", "sides",
	"duration", NULL,
};
static const char *const after_keys[] = { "healthy", "step", NULL };
static const char *const nemesis_keys[] = { "faults", "interval", "seed", NULL };

static const struct {
	const char *name;
	enum fl_scenario_op op;
	bool fault, action, rule;
	enum fl_domain domain;
} ops[] = {
	{ "powercut",  FL_SOP_POWERCUT,  true,  false, false, 0 },
	{ "crash",     FL_SOP_CRASH,     true,  false, false, 0 },
	{ "stop",      FL_SOP_STOP,      true,  false, false, 0 },
	{ "pause",     FL_SOP_PAUSE,     true,  false, false, 0 },
	{ "disk",      FL_SOP_DISK,      true,  false, true,  FL_DOMAIN_FS },
	{ "syscall",   FL_SOP_SYSCALL,   true,  false, true,  FL_DOMAIN_SYSCALL },
	{ "net",       FL_SOP_NET,       true,  false, true,  FL_DOMAIN_NET },
	{ "partition", FL_SOP_PARTITION, true,  false, false, 0 },
	{ "heal",      FL_SOP_HEAL,      true,  true,  false, 0 },
	{ "restart",   FL_SOP_RESTART,   true,  true,  false, 0 },
	{ "promote",   FL_SOP_PROMOTE,   false, true,  false, 0 },
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static const char *const fault_names[] = {
	"powercut", "crash", "stop", "pause", "disk", "syscall", "net", "partition", "heal",
	"restart", NULL,
};
static const char *const action_names[] = { "promote", "restart", "heal", NULL };

const char *fl_scenario_op_name(enum fl_scenario_op op)
{
	for (size_t i = 0; i < N_OPS; i++)
		if (ops[i].op == op)
			return ops[i].name;
	return NULL;
}

static bool parse_rule(struct sc_ctx *c, const yaml_node_t *n, const char *path, size_t i,
		       size_t off, struct fl_scenario_fault *f)
{
	struct fl_scenario_pos p = sc_pos(n);
	struct fl_rule_error e = { 0 };
	struct fl_rule rule;
	char q[96];
	const char *text = sc_str(n) + off;

	fl_rule_quote(text, strlen(text), q, sizeof(q));
	if (!*text) {
		if (sc_exact_columns(n))
			p.column = sc_text_column(n) + (unsigned)off;
		sc_err_pos(c, p, "%s: expected %s=RULE, got nothing after '='", path, ops[i].name);
		return false;
	}
	if (fl_rule_parse(text, &rule, &e) || fl_rule_check_domain(&rule, ops[i].domain, &e)) {
		/* else point at the scalar: its bytes are not columns */
		if (sc_exact_columns(n) && e.column)
			p.column = sc_text_column(n) + (unsigned)off + e.column - 1;
		sc_err_pos(c, p, "%s: %s rule \"%s\": %s", path, ops[i].name, q, e.message);
		return false;
	}
	f->rule_text = strdup(text);
	if (!f->rule_text) {
		sc_err(c, n, "%s: out of memory", path);
		return false;
	}
	f->rule = rule;
	return true;
}

bool sc_fault(struct sc_ctx *c, const yaml_node_t *n, const char *path, bool action,
	      struct fl_scenario_fault *ret)
{
	const char *const *names = action ? action_names : fault_names;
	const char *what = action ? "an action (promote, restart or heal)" :
		"a fault (powercut, crash, stop, pause, disk=RULE, syscall=RULE, net=RULE, "
		"partition, heal or restart)";
	char name[32], got[96];
	const char *s, *eq, *near;
	size_t len, i;

	if (!sc_want_scalar(c, n, path, what))
		return false;
	s = sc_str(n);
	eq = strchr(s, '=');
	len = eq ? (size_t)(eq - s) : strlen(s);
	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), s);
	for (i = 0; i < N_OPS; i++)
		if (!strcmp(ops[i].name, name) && (action ? ops[i].action : ops[i].fault))
			break;
	if (i == N_OPS) {
		near = sc_nearest(name, names);
		if (!action && !strcmp(name, "promote"))
			sc_err(c, n, "%s: promote is an action: write action: promote", path);
		else if (near)
			sc_err(c, n, "%s: expected %s, got %s; did you mean \"%s\"?", path, what,
			       sc_got(n, got, sizeof(got)), near);
		else
			sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
		return false;
	}
	ret->op = ops[i].op;
	ret->pos = sc_pos(n);
	if (ops[i].rule) {
		if (!eq) {
			sc_err(c, n, "%s: %s needs a rule: %s=RULE (e.g. %s)", path, name, name,
			       ops[i].domain == FL_DOMAIN_FS ? "disk=write:error=ENOSPC" :
			       ops[i].domain == FL_DOMAIN_NET ? "net=tcp:drop:prob=30%" :
			       "syscall=fsync:error=EIO");
			return false;
		}
		return parse_rule(c, n, path, i, len + 1, ret);
	}
	if (eq) {
		struct fl_scenario_pos p = sc_pos(n);

		if (sc_exact_columns(n))
			p.column = sc_text_column(n) + (unsigned)len;
		sc_err_pos(c, p, "%s: %s takes no rule, got \"=%.40s\"", path, name, eq + 1);
		return false;
	}
	return true;
}

static void parse_node_list(struct sc_ctx *c, const struct fl_scenario *s,
			    const yaml_node_t *n, const char *path,
			    fl_scenario_name *names, unsigned *count)
{
	char p[96];
	size_t len;

	if (!sc_want_seq(c, n, path))
		return;
	len = sc_len(n);
	if (!len || len > FL_SCENARIO_MAX_NODES) {
		sc_err(c, n, "%s: expected 1 to %d node names, got %zu", path,
		       FL_SCENARIO_MAX_NODES, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		snprintf(p, sizeof(p), "%.64s[%zu]", path, i + 1);
		if (sc_node_ref(c, s, sc_item(c, n, i), p, names[*count]))
			(*count)++;
	}
}

static void parse_after(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *n,
			const char *path, unsigned index, struct fl_scenario_step *st)
{
	const char *what = "previous, {healthy: NODE} or {step: N}";
	char p[96], got[96];
	yaml_node_t *v;
	uint64_t u;

	st->pos = sc_pos(n);
	if (n->type == YAML_SCALAR_NODE && !strcmp(sc_str(n), "previous")) {
		if (index == 1)
			sc_err(c, n, "%s: the first step has no previous step to wait for", path);
		st->after = FL_AFTER_PREVIOUS;
		return;
	}
	if (n->type != YAML_MAPPING_NODE || sc_len(n) != 1) {
		sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
		return;
	}
	sc_check_keys(c, n, path, after_keys);
	if ((v = sc_get(c, n, "healthy"))) {
		snprintf(p, sizeof(p), "%.64s.healthy", path);
		if (sc_node_ref(c, s, v, p, st->after_node))
			st->after = FL_AFTER_HEALTHY;
	} else if ((v = sc_get(c, n, "step"))) {
		snprintf(p, sizeof(p), "%.64s.step", path);
		if (index == 1) {
			sc_err(c, v, "%s: the first step has no earlier step to wait for", p);
		} else if (v->type == YAML_SCALAR_NODE && !fl_parse_u64(sc_str(v), &u) &&
			   u >= 1 && u < index) {
			st->after = FL_AFTER_STEP;
			st->after_step = (unsigned)u;
		} else {
			sc_err(c, v, "%s: expected the number of an earlier step (1 to %u), got %s",
			       p, index - 1, sc_got(v, got, sizeof(got)));
		}
	}
}

static void parse_sides(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *n,
			const char *path, struct fl_scenario_step *st)
{
	char p[96];
	size_t len;

	if (!sc_want_seq(c, n, path))
		return;
	len = sc_len(n);
	if (len < 2 || len > FL_SCENARIO_MAX_SIDES) {
		sc_err(c, n, "%s: expected 2 to %d sides (lists of nodes), got %zu", path,
		       FL_SCENARIO_MAX_SIDES, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		snprintf(p, sizeof(p), "%.64s[%zu]", path, i + 1);
		parse_node_list(c, s, sc_item(c, n, i), p, st->sides[i].nodes,
				&st->sides[i].n_nodes);
	}
	st->n_sides = (unsigned)len;
}

/* Which nodes a step names, and whether its fault or action needs them. */
static void parse_targets(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *m,
			  const char *path, struct fl_scenario_step *st)
{
	yaml_node_t *node = sc_get(c, m, "node"), *nodes = sc_get(c, m, "nodes");
	yaml_node_t *sides = sc_get(c, m, "sides");
	const char *name = fl_scenario_op_name(st->what.op);
	char p[96];

	if (node && nodes) {
		sc_err(c, nodes, "%s: give node: or nodes:, not both", path);
		return;
	}
	if (node) {
		snprintf(p, sizeof(p), "%.64s.node", path);
		if (sc_node_ref(c, s, node, p, st->nodes[0]))
			st->n_nodes = 1;
	} else if (nodes) {
		snprintf(p, sizeof(p), "%.64s.nodes", path);
		parse_node_list(c, s, nodes, p, st->nodes, &st->n_nodes);
	}
	if (sides) {
		snprintf(p, sizeof(p), "%.64s.sides", path);
		if (st->what.op != FL_SOP_PARTITION)
			sc_err(c, sides, "%s: sides: is for partition only", p);
		else if (node || nodes)
			sc_err(c, sides, "%s: give sides: or node:/nodes: (cut from the rest), "
			       "not both", p);
		else
			parse_sides(c, s, sides, p, st);
	}
	if (!st->what.op)
		return;
	/* heal without nodes heals every partition and net rule */
	if (st->what.op == FL_SOP_HEAL || node || nodes || sides)
		return;
	if (st->what.op == FL_SOP_PARTITION)
		sc_err(c, m, "%s: partition needs sides: [[A], [B, C]] or node:/nodes: to cut "
		       "from the rest", path);
	else
		sc_err(c, m, "%s: %s needs node: or nodes:", path, name);
}

static void parse_schedule(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *m,
			   const char *path, unsigned index, struct fl_scenario_step *st)
{
	yaml_node_t *at = sc_get(c, m, "at"), *every = sc_get(c, m, "every");
	yaml_node_t *fr = sc_get(c, m, "for"), *after = sc_get(c, m, "after");
	int n = !!at + !!every + !!after;
	char p[96];

	if (n == 0) {
		if (sc_typo_of(c, m, "at", step_keys) || sc_typo_of(c, m, "every", step_keys) ||
		    sc_typo_of(c, m, "after", step_keys))
			return;
		sc_err(c, m, "%s: expected a schedule: at: DUR, every: DUR with for: DUR, or after: "
		       "CONDITION", path);
		return;
	}
	if (n > 1) {
		sc_err(c, every && at ? every : after, "%s: expected one schedule, got %s%s%s",
		       path, at ? "at: " : "", every ? "every: " : "", after ? "after:" : "");
		return;
	}
	if (fr && !every)
		sc_err(c, fr, "%s.for: for: goes with every:", path);
	if (at) {
		snprintf(p, sizeof(p), "%.64s.at", path);
		st->pos = sc_pos(at);
		if (sc_duration(c, at, p, &st->at_ns))
			st->sched = FL_SCHED_AT;
	} else if (every) {
		snprintf(p, sizeof(p), "%.64s.every", path);
		st->pos = sc_pos(every);
		if (!fr) {
			sc_err(c, every, "%s: every: needs for: DUR (how long it repeats)", p);
			return;
		}
		if (sc_duration(c, every, p, &st->every_ns) && !st->every_ns) {
			sc_err(c, every, "%s: expected more than 0s, got \"%s\"", p, sc_str(every));
			return;
		}
		snprintf(p, sizeof(p), "%.64s.for", path);
		if (!sc_duration(c, fr, p, &st->for_ns) || !st->every_ns)
			return;
		if (st->for_ns < st->every_ns)
			sc_err(c, fr, "%s: shorter than every: (%s), so the fault would never happen", p,
			       sc_str(every));
		else
			st->sched = FL_SCHED_EVERY;
	} else {
		snprintf(p, sizeof(p), "%.64s.after", path);
		parse_after(c, s, after, p, index, st);
		if (st->after)
			st->sched = FL_SCHED_AFTER;
	}
}

static void parse_step(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *m,
		       unsigned index, struct fl_scenario_step *st)
{
	yaml_node_t *fault, *action, *v;
	char path[32], p[96];

	snprintf(path, sizeof(path), "steps[%u]", index);
	st->pos = sc_pos(m);
	if (!sc_want_map(c, m, path))
		return;
	sc_check_keys(c, m, path, step_keys);
	parse_schedule(c, s, m, path, index, st);
	fault = sc_get(c, m, "fault");
	action = sc_get(c, m, "action");
	if (fault && action) {
		sc_err(c, action, "%s: expected fault: or action:, not both", path);
	} else if (!fault && !action) {
		if (!sc_typo_of(c, m, "fault", step_keys) && !sc_typo_of(c, m, "action", step_keys))
			sc_err(c, m, "%s: expected fault: or action:", path);
	} else {
		snprintf(p, sizeof(p), "%.64s.%s", path, fault ? "fault" : "action");
		st->action = !fault;
		sc_fault(c, fault ? fault : action, p, st->action, &st->what);
	}
	parse_targets(c, s, m, path, st);
	if ((v = sc_get(c, m, "duration"))) {
		snprintf(p, sizeof(p), "%.64s.duration", path);
		if (st->action || st->what.op == FL_SOP_HEAL || st->what.op == FL_SOP_RESTART)
			sc_err(c, v, "%s: only a fault that lasts takes duration:", p);
		else
			sc_duration(c, v, p, &st->duration_ns);
	}
}

void sc_parse_steps(struct sc_ctx *c, const yaml_node_t *seq, struct fl_scenario *s)
{
	size_t len = sc_len(seq);

	if (len > FL_SCENARIO_MAX_STEPS) {
		sc_err(c, seq, "steps: more than %d steps (%zu)", FL_SCENARIO_MAX_STEPS, len);
		len = FL_SCENARIO_MAX_STEPS;
	}
	if (!len)
		sc_err(c, seq, "steps: expected at least one step");
	for (size_t i = 0; i < len; i++)
		parse_step(c, s, sc_item(c, seq, i), (unsigned)i + 1, &s->steps[i]);
	s->n_steps = (unsigned)len;
}

void sc_parse_nemesis(struct sc_ctx *c, const yaml_node_t *map, struct fl_scenario *s)
{
	yaml_node_t *faults, *v;
	char p[32];
	size_t len;

	if (!sc_want_map(c, map, "nemesis"))
		return;
	s->nemesis.set = true;
	sc_check_keys(c, map, "nemesis", nemesis_keys);
	faults = sc_get(c, map, "faults");
	if (!faults) {
		if (!sc_typo_of(c, map, "faults", nemesis_keys))
			sc_err(c, map, "nemesis: missing faults: (e.g. [partition, powercut])");
	} else if (sc_want_seq(c, faults, "nemesis.faults")) {
		len = sc_len(faults);
		if (!len || len > FL_SCENARIO_MAX_NEMESIS)
			sc_err(c, faults, "nemesis.faults: expected 1 to %d faults, got %zu",
			       FL_SCENARIO_MAX_NEMESIS, len);
		if (len > FL_SCENARIO_MAX_NEMESIS)
			len = FL_SCENARIO_MAX_NEMESIS;
		for (size_t i = 0; i < len; i++) {
			snprintf(p, sizeof(p), "nemesis.faults[%zu]", i + 1);
			if (sc_fault(c, sc_item(c, faults, i), p, false, &s->nemesis.faults[i]))
				s->nemesis.n_faults++;
		}
	}
	if (!(v = sc_get(c, map, "interval"))) {
		if (!sc_typo_of(c, map, "interval", nemesis_keys))
			sc_err(c, map, "nemesis: missing interval: (time between faults, e.g. 10s)");
	} else if (sc_duration(c, v, "nemesis.interval", &s->nemesis.interval_ns) &&
		 !s->nemesis.interval_ns)
		sc_err(c, v, "nemesis.interval: expected more than 0s, got \"%s\"", sc_str(v));
	if ((v = sc_get(c, map, "seed")) &&
	    sc_u64(c, v, "nemesis.seed", 0, UINT64_MAX, &s->nemesis.seed))
		s->nemesis.has_seed = true;
}
