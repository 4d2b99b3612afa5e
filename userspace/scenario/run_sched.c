// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * When a scenario's steps run: one thread per step waits for its schedule
 * (at:, every: with for:, after: a node's health, a step, or the previous
 * step's effect), so a slow step never delays another's clock; and one
 * thread runs the nemesis, Jepsen style: every interval a fault drawn from
 * its list with its seed on a node drawn the same way, undone half an
 * interval later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "run_priv.h"

#define HEALTH_POLL_MS 100

struct step_arg {
	struct sc_run *r;
	unsigned idx;  /* 0-based */
};

static void mark_done(struct sc_run *r, unsigned idx)
{
	pthread_mutex_lock(&r->lock);
	r->done[idx] = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Wait until step idx (0-based) is done; false when the trial ends first. */
static bool wait_step(struct sc_run *r, unsigned idx)
{
	bool ok;

	pthread_mutex_lock(&r->lock);
	while (!r->done[idx] && !atomic_load(&r->stop))
		pthread_cond_wait(&r->cond, &r->lock);
	ok = r->done[idx];
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static bool wait_healthy(struct sc_run *r, const char *name)
{
	struct fl_scenario_step one = { .n_nodes = 1 };
	struct sc_target tg;
	unsigned node;

	snprintf(one.nodes[0], sizeof(one.nodes[0]), "%s", name);
	{
		/* A name, or a role resolved now, then awaited. */
		while (sc_resolve_step(r, &one, &tg, NULL, 0) || !tg.n) {
			if (!sc_sleep_until(r, fl_now_ns() + HEALTH_POLL_MS * 1000000ull))
				return false;
		}
		node = tg.nodes[0];
	}
	while (r->nodes->health(r, node, 2000))
		if (!sc_sleep_until(r, fl_now_ns() + HEALTH_POLL_MS * 1000000ull))
			return false;
	return true;
}

static void run_step(struct sc_run *r, const struct fl_scenario_step *st, unsigned idx)
{
	/* Only a step someone waits on for its effect pays for the wait. */
	bool effect = idx + 1 < r->s->n_steps && r->s->steps[idx + 1].sched == FL_SCHED_AFTER &&
		      r->s->steps[idx + 1].after == FL_AFTER_PREVIOUS;
	char why[256];
	struct sc_target tg;
	int err = sc_resolve_step(r, st, &tg, why, sizeof(why));

	if (err)
		/* A role nobody holds now: the step is recorded as failed, not run. */
		sc_event_failed(r, idx + 1, &st->what, st->action, err, why);
	else
		sc_apply(r, idx + 1, &st->what, st->action, &tg, effect, st->duration_ns);
}

static void *step_main(void *arg)
{
	struct step_arg *a = arg;
	struct sc_run *r = a->r;
	const struct fl_scenario_step *st = &r->s->steps[a->idx];
	bool go = true;

	switch (st->sched) {
	case FL_SCHED_AT:
		go = sc_sleep_until(r, r->t0 + st->at_ns);
		break;
	case FL_SCHED_EVERY:
		for (uint64_t t = st->every_ns; t <= st->for_ns; t += st->every_ns) {
			if (!sc_sleep_until(r, r->t0 + t))
				break;
			run_step(r, st, a->idx);
		}
		mark_done(r, a->idx);
		free(a);
		return NULL;
	case FL_SCHED_AFTER:
		if (st->after == FL_AFTER_PREVIOUS)
			go = a->idx > 0 && wait_step(r, a->idx - 1);
		else if (st->after == FL_AFTER_STEP)
			go = wait_step(r, st->after_step - 1);
		else /* healthy: once the step before has run, as the file reads */
			go = (a->idx == 0 || wait_step(r, a->idx - 1)) &&
			     wait_healthy(r, st->after_node);
		break;
	}
	if (go && !atomic_load(&r->stop))
		run_step(r, st, a->idx);
	mark_done(r, a->idx);
	free(a);
	return NULL;
}

/* splitmix64: the nemesis' sequence from its seed, the same on every machine. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *nemesis_main(void *arg)
{
	struct sc_run *r = arg;
	uint64_t seed = r->s->nemesis.has_seed ? r->s->nemesis.seed : r->t->seed;
	uint64_t interval = r->s->nemesis.interval_ns;

	for (uint64_t t = interval; r->t0 + t < r->end; t += interval) {
		const struct fl_scenario_fault *f;
		struct sc_target tg = { .n = 1 };

		if (!sc_sleep_until(r, r->t0 + t))
			break;
		f = &r->s->nemesis.faults[next_rand(&seed) % r->s->nemesis.n_faults];
		tg.nodes[0] = (unsigned)(next_rand(&seed) % r->n);
		/* A fault lasts half an interval; a heal or restart needs none. */
		sc_apply(r, 0, f, false, &tg, false,
			 f->op == FL_SOP_HEAL || f->op == FL_SOP_RESTART ? 0 : interval / 2);
	}
	return NULL;
}

int sc_sched_start(struct sc_run *r, pthread_t *threads, size_t *n_started)
{
	int err = 0;

	*n_started = 0;
	for (unsigned i = 0; !err && i < r->s->n_steps; i++) {
		struct step_arg *a = malloc(sizeof(*a));

		if (!a) {
			err = -ENOMEM;
			break;
		}
		*a = (struct step_arg){ .r = r, .idx = i };
		err = -pthread_create(&threads[*n_started], NULL, step_main, a);
		if (err)
			free(a);
		else
			(*n_started)++;
	}
	if (!err && r->s->nemesis.set && r->s->nemesis.n_faults) {
		err = -pthread_create(&threads[*n_started], NULL, nemesis_main, r);
		if (!err)
			(*n_started)++;
	}
	return err;
}

void sc_sched_join(struct sc_run *r, pthread_t *threads, size_t n)
{
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->stop, true);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}
