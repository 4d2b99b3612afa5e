// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel durability timeline around a trial's fault: watch the
 * service's calls on the data directory from the load's start to the
 * fault, then say how exposed it was at the fault and which
 * acknowledgements no barrier had covered yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/timeline.h>
#include "trial.h"

void fl_rpo_timeline_start(struct rpo_trial *t)
{
	struct fl_rpo_timeline_summary *s = &t->out->timeline;
	int err;

	if (!t->cfg->data_dir || !t->svc.pid)
		return;
	t->tl_start_ns = fl_now_ns();
	err = fl_timeline_open(t->cfg->data_dir, &t->timeline);
	if (!err)
		err = fl_timeline_add_pid(t->timeline, t->svc.pid);
	/* And what runs in its cgroup already: a shell's server, a daemon's workers. */
	if (!err && t->svc.cgroup[0]) {
		char procs[PATH_MAX];
		FILE *f;
		int pid;

		snprintf(procs, sizeof(procs), "%.*s/cgroup.procs", PATH_MAX - 16, t->svc.cgroup);
		f = fopen(procs, "re");
		while (f && fscanf(f, "%d", &pid) == 1)
			if (pid != t->svc.pid)
				fl_timeline_add_pid(t->timeline, pid); /* one that exited is fine */
		if (f)
			fclose(f);
	}
	if (!err)
		err = fl_timeline_start_thread(t->timeline);
	if (err) {
		snprintf(s->note, sizeof(s->note), "kernel timeline unavailable: %s", strerror(-err));
		fl_timeline_free(t->timeline);
		t->timeline = NULL;
	}
}

static int cmp_exit(const void *a, const void *b)
{
	const struct fl_tl_event *x = *(const struct fl_tl_event *const *)a;
	const struct fl_tl_event *y = *(const struct fl_tl_event *const *)b;

	return x->exit_ns < y->exit_ns ? -1 : x->exit_ns > y->exit_ns;
}

static int cmp_enter(const void *a, const void *b)
{
	const struct fl_tl_event *x = *(const struct fl_tl_event *const *)a;
	const struct fl_tl_event *y = *(const struct fl_tl_event *const *)b;

	return x->enter_ns < y->enter_ns ? -1 : x->enter_ns > y->enter_ns;
}

/* First index of v (sorted by key) whose key >= t. */
static size_t lower_bound(const struct fl_tl_event *const *v, size_t n, uint64_t t, bool by_exit)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = by_exit ? v[mid]->exit_ns : v[mid]->enter_ns;

		if (k < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Acknowledged operations whose write no barrier had covered when the ack
 * came. The write that carried an op is the last one returning within its
 * [invoke, ack] window: exact with one client, a close guess with several.
 */
static uint64_t acked_uncovered(const struct fl_rpo_trial *o, const struct fl_tl_event *ev,
				size_t n)
{
	const struct fl_tl_event **writes = calloc(n ? n : 1, sizeof(*writes));
	const struct fl_tl_event **barriers = calloc(n ? n : 1, sizeof(*barriers));
	size_t nw = 0, nb = 0;
	uint64_t count = 0;

	if (!writes || !barriers)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind == FL_TL_WRITE && ev[i].ret > 0)
			writes[nw++] = &ev[i];
		if (fl_tl_is_barrier(&ev[i]))
			barriers[nb++] = &ev[i];
	}
	qsort(writes, nw, sizeof(*writes), cmp_exit);
	qsort(barriers, nb, sizeof(*barriers), cmp_enter);
	for (size_t i = 0; i < o->n_ops; i++) {
		const struct fl_op *op = &o->ops[i];
		const struct fl_tl_event *w;
		bool covered = false;
		size_t k;

		if (op->outcome != FL_OP_OK || op->complete_ns > o->rto.fault_ns)
			continue;
		k = lower_bound(writes, nw, op->complete_ns + 1, true);
		if (!k || writes[k - 1]->exit_ns < op->invoke_ns)
			continue; /* no write seen for it: not judged */
		w = writes[k - 1];
		if (fl_tl_is_barrier(w))
			continue; /* an O_SYNC write covers itself */
		for (size_t b = lower_bound(barriers, nb, w->exit_ns, false);
		     b < nb && barriers[b]->enter_ns <= op->complete_ns; b++) {
			if (barriers[b]->exit_ns <= op->complete_ns && fl_tl_covers(barriers[b], w)) {
				covered = true;
				break;
			}
		}
		count += !covered;
	}
out:
	free(writes);
	free(barriers);
	return count;
}

void fl_rpo_timeline_stop(struct rpo_trial *t)
{
	struct fl_rpo_timeline_summary *s = &t->out->timeline;
	const struct fl_tl_event *ev;
	struct fl_tl_summary sum;
	char note[192] = "";
	size_t n;

	if (!t->timeline || t->tl_stopped)
		return;
	t->tl_stopped = true;
	fl_timeline_stop(t->timeline);
	ev = fl_timeline_events(t->timeline, &n);
	fl_tl_summarize(ev, n, t->out->rto.fault_ns, &sum);
	s->seen = true;
	s->barrier_seen = sum.exposure.barrier_seen;
	s->exposure_ns = sum.exposure.window_ns;
	s->writes = sum.writes;
	s->barriers = sum.barriers;
	s->io_uring = fl_timeline_io_uring(t->timeline);
	/* The history is complete only once the clients stopped: judge() fills this. */
	t->tl_events = ev;
	t->n_tl_events = n;
	fl_tl_io_uring_note(&sum, fl_timeline_io_uring_ops(t->timeline), note, sizeof(note));
	if (fl_timeline_lost(t->timeline))
		snprintf(s->note, sizeof(s->note), "%s%s%llu calls were not recorded (ring full)",
			 note, note[0] ? "; " : "",
			 (unsigned long long)fl_timeline_lost(t->timeline));
	else
		snprintf(s->note, sizeof(s->note), "%s", note);
}

void fl_rpo_timeline_judge(struct rpo_trial *t)
{
	if (t->tl_stopped)
		t->out->timeline.acked_uncovered = acked_uncovered(t->out, t->tl_events,
								   t->n_tl_events);
}

void fl_rpo_timeline_free(struct rpo_trial *t)
{
	fl_timeline_free(t->timeline);
	t->timeline = NULL;
	t->tl_events = NULL;
	t->n_tl_events = 0;
	t->tl_stopped = false;
}
