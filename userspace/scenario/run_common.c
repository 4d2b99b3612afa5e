// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every part of a running trial shares: progress lines, marks on a
 * node's timeline, a sleep that the trial's end cuts short, the leader as
 * last seen, and the names nodes go by. Below the steps, the reads and
 * the trial itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "run_priv.h"

void sc_progress(struct sc_run *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->o->progress(r->o->progress_arg, r->trial, msg);
}

void sc_mark(struct sc_run *r, unsigned node, const char *what)
{
	struct fl_scenario_trial *t = r->t;
	uint64_t now = fl_now_ns();

	pthread_mutex_lock(&r->lock);
	if (t->n_marks == r->cap_marks) {
		size_t cap = r->cap_marks ? 2 * r->cap_marks : 64;
		struct fl_scenario_mark *m = realloc(t->marks, cap * sizeof(*m));

		if (m) {
			t->marks = m;
			r->cap_marks = cap;
		}
	}
	if (t->n_marks < r->cap_marks) {
		struct fl_scenario_mark *m = &t->marks[t->n_marks++];

		m->at_ns = now > r->t0 ? now - r->t0 : 0;
		m->node = node;
		snprintf(m->what, sizeof(m->what), "%s", what);
	}
	pthread_mutex_unlock(&r->lock);
}

bool sc_sleep_until(struct sc_run *r, uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	pthread_mutex_lock(&r->lock);
	while (!atomic_load(&r->stop) && fl_now_ns() < t)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&r->lock);
	return !atomic_load(&r->stop);
}

int sc_leader_refresh(struct sc_run *r, int timeout_ms)
{
	unsigned now;
	int before;

	if (r->nodes->leader(r, timeout_ms, &now))
		return atomic_load(&r->leader);
	pthread_mutex_lock(&r->leader_lock);
	before = atomic_load(&r->leader);
	if ((int)now != before) {
		if (before >= 0) {
			atomic_store(&r->old_leader, before);
			r->t->leader_changes++;
		}
		atomic_store(&r->leader, (int)now);
	}
	pthread_mutex_unlock(&r->leader_lock);
	if ((int)now != before)
		sc_mark(r, now, "leader");
	return (int)now;
}

const char *sc_node_name(const struct fl_scenario *s, unsigned i, char *buf, size_t len)
{
	if (!s->cluster && i < s->n_nodes)
		return s->nodes[i].name;
	snprintf(buf, len, "n%u", i + 1);
	return buf;
}
