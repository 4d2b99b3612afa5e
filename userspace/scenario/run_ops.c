// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A scenario's faults and actions on the cluster's nodes, as the steps and
 * the nemesis ask for them: names and roles resolved when the step runs,
 * the operation done through the cluster room, its effect awaited where a
 * later "after: previous" depends on it, and every one recorded as an
 * event with its times and error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "run_priv.h"

#define STOP_TIMEOUT_MS    10000
#define EFFECT_TIMEOUT_MS  20000
#define LEADER_TIMEOUT_MS  500

static uint64_t rel(const struct sc_run *r, uint64_t t)
{
	return t > r->t0 ? t - r->t0 : 0;
}

static void add_event(struct sc_run *r, const struct fl_scenario_event *ev)
{
	struct fl_scenario_trial *t = r->t;

	pthread_mutex_lock(&r->lock);
	if (t->n_events == r->cap_events) {
		size_t cap = r->cap_events ? 2 * r->cap_events : 32;
		struct fl_scenario_event *e = realloc(t->events, cap * sizeof(*e));

		if (e) {
			t->events = e;
			r->cap_events = cap;
		}
	}
	if (t->n_events < r->cap_events)
		t->events[t->n_events++] = *ev;
	pthread_mutex_unlock(&r->lock);
}

void sc_event_failed(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
		     bool action, int err, const char *why)
{
	struct fl_scenario_event ev = { .step = step, .op = what->op, .action = action,
					.err = err, .at_ns = rel(r, fl_now_ns()) };

	ev.done_ns = ev.at_ns;
	snprintf(ev.error, sizeof(ev.error), "%s", why);
	sc_progress(r, "step %u (%s) not run: %s", step, fl_scenario_op_name(what->op), why);
	add_event(r, &ev);
}

/* --- names and roles --------------------------------------------------------- */

static int leader_now(struct sc_run *r)
{
	return r->has_leader ? sc_leader_refresh(r, LEADER_TIMEOUT_MS) : -1;
}

static int resolve_one(struct sc_run *r, const char *name, struct sc_target *tg, unsigned side,
		       char *errbuf, size_t errlen)
{
	int lead = -1, node = -1;
	unsigned idx;

	if (!strcmp(name, "all")) {
		for (unsigned i = 0; i < r->n; i++) {
			tg->side[tg->n] = side;
			tg->nodes[tg->n++] = i;
		}
		return 0;
	}
	for (unsigned i = 0; !r->s->cluster && i < r->s->n_nodes && node < 0; i++)
		if (!strcmp(r->s->nodes[i].name, name))
			node = (int)i;
	if (node >= 0) {
		/* one of the file's own nodes */
	} else if (r->s->cluster && sscanf(name, "n%u", &idx) == 1 && idx >= 1 && idx <= r->n) {
		node = (int)idx - 1;
	} else if (!strcmp(name, "leader") || !strcmp(name, "primary")) {
		node = leader_now(r);
		if (node < 0)
			return fl_errf(errbuf, errlen, "no node leads now"), -ENOENT;
	} else if (!strcmp(name, "follower") || !strcmp(name, "replica")) {
		/* The first node that does not lead. */
		lead = leader_now(r);
		for (unsigned i = 0; i < r->n && node < 0; i++)
			if ((int)i != lead)
				node = (int)i;
		if (node < 0)
			return fl_errf(errbuf, errlen, "no node but the leader"), -ENOENT;
	} else if (!strcmp(name, "old-leader") || !strcmp(name, "old-primary")) {
		/* A change the watcher has not polled yet counts. */
		leader_now(r);
		node = atomic_load(&r->old_leader);
		if (node < 0)
			return fl_errf(errbuf, errlen, "%s: the leader has not changed yet", name),
			       -ENOENT;
	} else {
		return fl_errf(errbuf, errlen, "unknown node \"%s\"", name), -ENOENT;
	}
	for (unsigned i = 0; i < tg->n; i++)
		if (tg->nodes[i] == (unsigned)node)
			return 0;
	tg->side[tg->n] = side;
	tg->nodes[tg->n++] = (unsigned)node;
	return 0;
}

int sc_resolve_step(struct sc_run *r, const struct fl_scenario_step *st, struct sc_target *ret,
		    char *errbuf, size_t errlen)
{
	struct sc_target tg = { .n = 0 };
	int err = 0;

	for (unsigned i = 0; !err && i < st->n_nodes; i++)
		err = resolve_one(r, st->nodes[i], &tg, 0, errbuf, errlen);
	for (unsigned s = 0; !err && s < st->n_sides; s++)
		for (unsigned i = 0; !err && i < st->sides[s].n_nodes; i++)
			err = resolve_one(r, st->sides[s].nodes[i], &tg, s, errbuf, errlen);
	if (err)
		return err;
	tg.n_sides = st->n_sides;
	*ret = tg;
	return 0;
}

static void describe(const struct sc_run *r, const struct sc_target *tg, char *buf, size_t len)
{
	size_t off = 0;

	char name[16];

	buf[0] = '\0';
	for (unsigned i = 0; i < tg->n && off < len; i++) {
		const char *sep = !i ? "" : tg->n_sides && tg->side[i] != tg->side[i - 1] ? "|" : ",";

		off += (size_t)snprintf(buf + off, len - off, "%s%s", sep,
					sc_node_name(r->s, tg->nodes[i], name, sizeof(name)));
	}
}

static bool in_target(const struct sc_target *tg, unsigned node)
{
	for (unsigned i = 0; i < tg->n; i++)
		if (tg->nodes[i] == node)
			return true;
	return false;
}

/* --- partitions -------------------------------------------------------------- */

static int cut(struct sc_run *r, const unsigned *a, size_t na, const unsigned *b, size_t nb,
	       char *errbuf, size_t errlen)
{
	struct sc_part part = { 0 };
	int err;

	if (!na || !nb)
		return fl_errf(errbuf, errlen, "a partition needs nodes on both sides"), -EINVAL;
	if (r->n_parts == SC_MAX_PARTS)
		return fl_errf(errbuf, errlen, "more than %d partitions at once", SC_MAX_PARTS),
		       -ENOSPC;
	err = r->nodes->partition(r, a, na, b, nb, &part.p, errbuf, errlen);
	if (err)
		return err;
	for (size_t i = 0; i < na; i++)
		part.node[a[i]] = true;
	for (size_t i = 0; i < nb; i++)
		part.node[b[i]] = true;
	pthread_mutex_lock(&r->lock);
	r->parts[r->n_parts++] = part;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Nodes cut from the rest, or every pair of sides from each other. */
static int partition(struct sc_run *r, const struct sc_target *tg, char *errbuf, size_t errlen)
{
	unsigned a[FL_SCENARIO_MAX_NODES], b[FL_SCENARIO_MAX_NODES];
	size_t na = 0, nb = 0;
	int err = 0;

	if (!tg->n_sides) {
		for (unsigned i = 0; i < r->n; i++) {
			if (in_target(tg, i))
				a[na++] = i;
			else
				b[nb++] = i;
		}
		return cut(r, a, na, b, nb, errbuf, errlen);
	}
	for (unsigned s1 = 0; !err && s1 < tg->n_sides; s1++) {
		for (unsigned s2 = s1 + 1; !err && s2 < tg->n_sides; s2++) {
			na = nb = 0;
			for (unsigned i = 0; i < tg->n; i++) {
				if (tg->side[i] == s1)
					a[na++] = tg->nodes[i];
				else if (tg->side[i] == s2)
					b[nb++] = tg->nodes[i];
			}
			err = cut(r, a, na, b, nb, errbuf, errlen);
		}
	}
	return err;
}

/* --- disk=, syscall=, net= ---------------------------------------------------- */

static int arm(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
	       const struct sc_target *tg, char *mech, size_t mech_len, char *errbuf, size_t errlen)
{
	enum fl_node_fault_kind kind = what->op == FL_SOP_DISK ? FL_NODE_DISK :
				       what->op == FL_SOP_SYSCALL ? FL_NODE_SYSCALL : FL_NODE_NET;
	int err = 0;

	for (unsigned i = 0; !err && i < tg->n; i++) {
		void *f = NULL;

		if (r->n_nfaults == SC_MAX_NODE_FAULTS)
			return fl_errf(errbuf, errlen, "more than %d rule faults at once",
				       SC_MAX_NODE_FAULTS), -ENOSPC;
		err = r->nodes->fault_arm(r, tg->nodes[i], kind, what->rule_text, &f, mech,
					  mech_len, errbuf, errlen);
		if (err)
			break;
		pthread_mutex_lock(&r->lock);
		r->nfaults[r->n_nfaults++] = (struct sc_node_fault){
			.f = f, .node = tg->nodes[i], .step = step };
		pthread_mutex_unlock(&r->lock);
	}
	return err;
}

/* Clear the rule faults on tg's nodes (NULL: all), of step (-1: any); counters into ev. */
static int clear_faults(struct sc_run *r, const struct sc_target *tg, int step,
			struct fl_scenario_event *ev, char *errbuf, size_t errlen)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_nfaults;) {
		struct sc_node_fault *nf = &r->nfaults[i];
		uint64_t matched = 0, injected = 0;
		int e;

		if ((tg && tg->n && !in_target(tg, nf->node)) || (step >= 0 && nf->step != (unsigned)step)) {
			i++;
			continue;
		}
		e = r->nodes->fault_clear(r, nf->f, &matched, &injected, errbuf, errlen);
		if (e && !err)
			err = e;
		if (ev) {
			ev->matched += matched;
			ev->injected += injected;
		}
		*nf = r->nfaults[--r->n_nfaults];
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

/*
 * Heal the partitions touching tg's nodes (tg NULL: all), clear their
 * rule faults and resume their paused nodes.
 */
static int heal(struct sc_run *r, const struct sc_target *tg, struct fl_scenario_event *ev,
		char *errbuf, size_t errlen)
{
	int err = clear_faults(r, tg, -1, ev, errbuf, errlen);

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_parts;) {
		bool touch = !tg || !tg->n;

		for (unsigned k = 0; !touch && k < tg->n; k++)
			touch = r->parts[i].node[tg->nodes[k]];
		if (!touch) {
			i++;
			continue;
		}
		int e = r->nodes->heal(r, r->parts[i].p, errbuf, errlen);

		if (e && !err)
			err = e;
		r->parts[i] = r->parts[--r->n_parts];
	}
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < r->n; i++) {
		if ((tg && tg->n && !in_target(tg, i)) || !r->paused[i])
			continue;
		int e = r->nodes->resume(r, i, errbuf, errlen);

		if (e && !err)
			err = e;
		r->paused[i] = false;
	}
	return err;
}

void sc_heal_all(struct sc_run *r)
{
	pthread_mutex_lock(&r->ops_lock);
	heal(r, NULL, NULL, NULL, 0);
	pthread_mutex_unlock(&r->ops_lock);
}

/* --- one operation ------------------------------------------------------------ */

static bool node_running(struct sc_run *r, unsigned i)
{
	return r->nodes->running(r, i);
}

/* Stop (gracefully) what runs, then start. */
static int restart(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	int err = node_running(r, i) ? r->nodes->stop(r, i, STOP_TIMEOUT_MS, errbuf, errlen) : 0;

	return err ?: r->nodes->start(r, i, errbuf, errlen);
}

static int do_op(struct sc_run *r, const struct fl_scenario_fault *what,
		 const struct sc_target *tg, struct fl_scenario_event *ev, char *errbuf,
		 size_t errlen)
{
	struct fl_node_powercut_report rep;
	int err = 0;

	if (r->nodes->mechanism[what->op])
		snprintf(ev->mechanism, sizeof(ev->mechanism), "%s", r->nodes->mechanism[what->op]);
	switch (what->op) {
	case FL_SOP_POWERCUT:
		/* Every node loses power at the same instant, then each disk is cut. */
		for (unsigned i = 0; !err && i < tg->n; i++)
			err = r->nodes->crash(r, tg->nodes[i], errbuf, errlen);
		for (unsigned i = 0; !err && i < tg->n; i++) {
			err = r->nodes->powercut(r, tg->nodes[i], &rep, errbuf, errlen);
			ev->undone.writes += rep.writes_undone;
			ev->undone.bytes += rep.bytes_undone;
			ev->undone.names += rep.names_undone;
		}
		return err;
	case FL_SOP_CRASH:
		for (unsigned i = 0; !err && i < tg->n; i++)
			err = r->nodes->crash(r, tg->nodes[i], errbuf, errlen);
		return err;
	case FL_SOP_STOP:
		for (unsigned i = 0; !err && i < tg->n; i++)
			err = r->nodes->stop(r, tg->nodes[i], STOP_TIMEOUT_MS, errbuf, errlen);
		return err;
	case FL_SOP_PAUSE:
		for (unsigned i = 0; !err && i < tg->n; i++) {
			err = r->nodes->pause(r, tg->nodes[i], errbuf, errlen);
			if (!err)
				r->paused[tg->nodes[i]] = true;
		}
		return err;
	case FL_SOP_RESTART:
		for (unsigned i = 0; !err && i < tg->n; i++) {
			unsigned k = tg->nodes[i];

			if (r->paused[k] && !r->nodes->resume(r, k, errbuf, errlen))
				r->paused[k] = false;
			err = restart(r, k, errbuf, errlen);
		}
		return err;
	case FL_SOP_PROMOTE:
		for (unsigned i = 0; !err && i < tg->n; i++)
			err = r->nodes->promote(r, tg->nodes[i], EFFECT_TIMEOUT_MS, errbuf, errlen);
		return err;
	case FL_SOP_PARTITION:
		return partition(r, tg, errbuf, errlen);
	case FL_SOP_HEAL:
		return heal(r, tg, ev, errbuf, errlen);
	case FL_SOP_DISK:
	case FL_SOP_SYSCALL:
	case FL_SOP_NET:
		return arm(r, ev->step, what, tg, ev->mechanism, sizeof(ev->mechanism), errbuf, errlen);
	}
	return -EINVAL;
}

/* Nodes a fault takes away from the others: for a partition, all but the largest side. */
static void affected(const struct sc_run *r, const struct fl_scenario_fault *what,
		     const struct sc_target *tg, bool ret[FL_SCENARIO_MAX_NODES])
{
	unsigned count[FL_SCENARIO_MAX_SIDES] = { 0 }, big = 0;

	memset(ret, 0, FL_SCENARIO_MAX_NODES * sizeof(bool));
	if (what->op == FL_SOP_PARTITION && tg->n_sides) {
		for (unsigned i = 0; i < tg->n; i++)
			count[tg->side[i]]++;
		for (unsigned s = 1; s < tg->n_sides; s++)
			if (count[s] > count[big])
				big = s;
		for (unsigned i = 0; i < tg->n; i++)
			ret[tg->nodes[i]] = tg->side[i] != big;
		return;
	}
	for (unsigned i = 0; i < tg->n && tg->nodes[i] < r->n; i++)
		ret[tg->nodes[i]] = true;
}

/*
 * The effect a later step may wait for: a fault that took the leader away
 * has one when another node leads (in a kind that fails over by itself)
 * or when it no longer leads (in one that waits for a promote); a restart
 * when its nodes are healthy.
 */
static void await_effect(struct sc_run *r, const struct fl_scenario_fault *what,
			 const struct sc_target *tg, int leader_before,
			 struct fl_scenario_event *ev)
{
	uint64_t deadline = fl_deadline(EFFECT_TIMEOUT_MS);
	bool gone[FL_SCENARIO_MAX_NODES];
	bool wait_leader = false, wait_health = what->op == FL_SOP_RESTART;

	if (r->has_leader && leader_before >= 0 && what->op != FL_SOP_HEAL &&
	    what->op != FL_SOP_RESTART && what->op != FL_SOP_PROMOTE) {
		affected(r, what, tg, gone);
		wait_leader = gone[leader_before];
	}
	if (!wait_leader && !wait_health) {
		ev->effect_ns = rel(r, fl_now_ns()); /* in effect as it returned */
		return;
	}
	while (!atomic_load(&r->stop) && fl_now_ns() < deadline) {
		bool ok = true;
		unsigned lead;

		if (wait_leader) {
			int e = r->nodes->leader(r, LEADER_TIMEOUT_MS, &lead);

			ok = r->manual_failover ? e || !gone[lead] : !e && !gone[lead];
		}
		for (unsigned i = 0; ok && wait_health && i < tg->n; i++)
			ok = !r->nodes->health(r, tg->nodes[i], 2000);
		if (ok) {
			ev->effect_ns = rel(r, fl_now_ns());
			return;
		}
		fl_sleep_ms(100);
	}
	ev->effect_timeout = true;
}

/* The end of a fault's duration: what undoes it. */
static int undo(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
		const struct sc_target *tg, struct fl_scenario_event *ev, char *errbuf,
		size_t errlen)
{
	switch (what->op) {
	case FL_SOP_PAUSE:
	case FL_SOP_PARTITION:
		return heal(r, tg, NULL, errbuf, errlen);
	case FL_SOP_DISK:
	case FL_SOP_SYSCALL:
	case FL_SOP_NET:
		return clear_faults(r, tg, (int)step, ev, errbuf, errlen);
	case FL_SOP_POWERCUT:
	case FL_SOP_CRASH:
	case FL_SOP_STOP: {
		int err = 0;

		for (unsigned i = 0; !err && i < tg->n; i++)
			if (!node_running(r, tg->nodes[i]))
				err = r->nodes->start(r, tg->nodes[i], errbuf, errlen);
		return err;
	}
	default:
		return 0;
	}
}

int sc_apply(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
	     bool action, const struct sc_target *tg, bool wait_effect, uint64_t duration_ns)
{
	struct fl_scenario_event ev = { .step = step, .op = what->op, .action = action };
	int leader_before = r->has_leader ? atomic_load(&r->leader) : -1;

	describe(r, tg, ev.nodes, sizeof(ev.nodes));
	if (what->rule_text)
		snprintf(ev.rule, sizeof(ev.rule), "%s", what->rule_text);
	sc_progress(r, "%s%s%s%s%s%s", step ? "" : "nemesis: ", fl_scenario_op_name(what->op),
		    ev.nodes[0] ? " " : "", ev.nodes[0] ? ev.nodes : "everything",
		    ev.rule[0] ? " " : "", ev.rule);
	pthread_mutex_lock(&r->ops_lock);
	ev.at_ns = rel(r, fl_now_ns());
	ev.err = do_op(r, what, tg, &ev, ev.error, sizeof(ev.error));
	ev.done_ns = rel(r, fl_now_ns());
	pthread_mutex_unlock(&r->ops_lock);
	for (unsigned i = 0; i < tg->n; i++)
		sc_mark(r, tg->nodes[i], fl_scenario_op_name(what->op));
	if (ev.err)
		sc_progress(r, "%s failed: %s", fl_scenario_op_name(what->op), ev.error);
	else if (wait_effect)
		await_effect(r, what, tg, leader_before, &ev);
	add_event(r, &ev);
	if (ev.err || !duration_ns)
		return ev.err;

	if (!sc_sleep_until(r, r->t0 + ev.at_ns + duration_ns))
		return 0; /* the trial's end heals everything */
	struct fl_scenario_event un = { .step = step, .op = what->op, .action = action, .undo = true };

	memcpy(un.nodes, ev.nodes, sizeof(un.nodes));
	memcpy(un.rule, ev.rule, sizeof(un.rule));
	pthread_mutex_lock(&r->ops_lock);
	un.at_ns = rel(r, fl_now_ns());
	un.err = undo(r, step, what, tg, &un, un.error, sizeof(un.error));
	un.done_ns = rel(r, fl_now_ns());
	pthread_mutex_unlock(&r->ops_lock);
	add_event(r, &un);
	return 0;
}
