// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a scenario file needs checked across its parts: the nodes a step
 * or the workload names exist, and at: steps come in time order. A
 * cluster kind's nodes are n1..nN; its role names (primary, replica,
 * leader, ...) are resolved at run time to whichever node holds the role
 * then, so they are accepted here as they are.
 */
#include <stdio.h>
#include <string.h>

#include "core/parse_values.h"
#include "scenario/scenario_internal.h"

static const char *const etcd_aliases[] = { "leader", "follower", "old-leader", NULL };
static const char *const replica_aliases[] = { "primary", "replica", "old-primary", NULL };
static const char *const no_aliases[] = { NULL };

const char *const *fl_scenario_kind_roles(enum fl_scenario_kind kind)
{
	switch (kind) {
	case FL_SCENARIO_ETCD:
		return etcd_aliases;
	case FL_SCENARIO_POSTGRES_REPLICA:
	case FL_SCENARIO_REDIS_REPLICA:
	case FL_SCENARIO_POSTGRES_PATRONI:
		return replica_aliases;
	default:
		return no_aliases;
	}
}

int fl_scenario_format_duration(uint64_t ns, char *buf, size_t len)
{
	return fl_format_duration(ns, buf, len);
}

bool sc_node_alias(const char *name)
{
	const char *const *lists[] = { etcd_aliases, replica_aliases };

	if (!strcmp(name, "all"))
		return true;
	for (size_t l = 0; l < 2; l++)
		for (const char *const *a = lists[l]; *a; a++)
			if (!strcmp(*a, name))
				return true;
	return false;
}

/* Every name a step may use, for the message and the suggestion. */
static size_t known_names(const struct fl_scenario *s, fl_scenario_name *buf,
			  const char **list, size_t cap)
{
	const char *const *al = fl_scenario_kind_roles(s->cluster);
	size_t n = 0;

	for (unsigned i = 0; i < s->n_nodes && n + 1 < cap; i++) {
		if (s->cluster)
			snprintf(buf[i], sizeof(buf[i]), "n%u", i + 1);
		else
			snprintf(buf[i], sizeof(buf[i]), "%s", s->nodes[i].name);
		list[n++] = buf[i];
	}
	for (; *al && n + 1 < cap; al++)
		list[n++] = *al;
	if (n + 1 < cap)
		list[n++] = "all";
	list[n] = NULL;
	return n;
}

bool sc_node_ref(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *n,
		 const char *path, fl_scenario_name ret)
{
	fl_scenario_name name, buf[FL_SCENARIO_MAX_NODES];
	const char *list[FL_SCENARIO_MAX_NODES + 8], *near;
	char expected[320];
	size_t count, off = 0;

	if (!sc_name(c, n, path, name))
		return false;
	if (!s->n_nodes) {
		/* cluster:/nodes: were wrong: that error is enough */
		memcpy(ret, name, sizeof(name));
		return true;
	}
	count = known_names(s, buf, list, sizeof(list) / sizeof(list[0]));
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(list[i], name)) {
			memcpy(ret, name, sizeof(name));
			return true;
		}
	}
	for (size_t i = 0; i < count && off < sizeof(expected); i++)
		off += (size_t)snprintf(expected + off, sizeof(expected) - off, "%s%s",
					i ? (i + 1 < count ? ", " : " or ") : "", list[i]);
	near = sc_nearest(name, list);
	if (s->cluster && name[0] == 'n' && name[1] >= '1' && name[1] <= '9' &&
	    strspn(name + 1, "0123456789") == strlen(name + 1))
		sc_err(c, n, "%s: unknown node \"%s\"; this %s cluster has n1 to n%u", path, name,
		       fl_scenario_kind_name(s->cluster), s->n_nodes);
	else if (near)
		sc_err(c, n, "%s: unknown node \"%s\"; did you mean \"%s\"?", path, name, near);
	else
		sc_err(c, n, "%s: unknown node \"%s\"; expected %s", path, name, expected);
	return false;
}

static bool has(const fl_scenario_name *names, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void check_step(struct sc_ctx *c, const struct fl_scenario *s, unsigned i)
{
	const struct fl_scenario_step *st = &s->steps[i];
	char dur[32];

	/* no node at all was already reported (missing, or unknown) */
	if (st->what.op == FL_SOP_PROMOTE &&
	    (st->n_nodes > 1 || (st->n_nodes == 1 && !strcmp(st->nodes[0], "all"))))
		sc_err_pos(c, st->pos, "steps[%u]: promote takes one node", i + 1);
	for (unsigned a = 0; a < st->n_sides; a++)
		for (unsigned k = 0; k < st->sides[a].n_nodes; k++)
			for (unsigned b = a + 1; b < st->n_sides; b++)
				if (has(st->sides[b].nodes, st->sides[b].n_nodes,
					st->sides[a].nodes[k]))
					sc_err_pos(c, st->pos, "steps[%u].sides: \"%s\" is on "
						   "sides %u and %u", i + 1,
						   st->sides[a].nodes[k], a + 1, b + 1);
	if (st->sched == FL_SCHED_AT && s->duration_ns && st->at_ns >= s->duration_ns) {
		fl_format_duration(s->duration_ns, dur, sizeof(dur));
		sc_err_pos(c, st->pos, "steps[%u].at: at or past the end of the trial "
			   "(duration: %s)", i + 1, dur);
	}
}

void sc_check(struct sc_ctx *c, const struct fl_scenario *s)
{
	const struct fl_scenario_step *last = NULL;
	unsigned last_i = 0;
	char a[32], b[32];

	for (unsigned i = 0; i < s->n_steps; i++) {
		const struct fl_scenario_step *st = &s->steps[i];

		check_step(c, s, i);
		if (st->sched != FL_SCHED_AT)
			continue;
		if (last && st->at_ns < last->at_ns) {
			fl_format_duration(st->at_ns, a, sizeof(a));
			fl_format_duration(last->at_ns, b, sizeof(b));
			sc_err_pos(c, st->pos, "steps[%u].at: %s is before steps[%u]'s %s: list "
				   "at: steps in time order", i + 1, a, last_i + 1, b);
		}
		last = st;
		last_i = i;
	}
}
