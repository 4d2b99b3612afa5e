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

/*
 * Acknowledged operations before the fault whose data no barrier had
 * covered when the ack came: certain ones, and those that concurrent
 * writes make impossible to attribute (fl_tl_acks_uncovered()).
 */
static void acked_uncovered(const struct fl_rpo_trial *o, const struct fl_tl_event *ev,
			    size_t n, struct fl_rpo_timeline_summary *s)
{
	struct fl_tl_ack *acks = calloc(o->n_ops ? o->n_ops : 1, sizeof(*acks));
	struct fl_tl_ack_cover x;
	size_t n_acks = 0;

	if (!acks)
		return;
	for (size_t i = 0; i < o->n_ops; i++) {
		const struct fl_op *op = &o->ops[i];

		if (op->outcome != FL_OP_OK || op->complete_ns > o->rto.fault_ns)
			continue;
		acks[n_acks].start_ns = op->invoke_ns;
		acks[n_acks++].end_ns = op->complete_ns;
	}
	if (fl_tl_acks_uncovered(ev, n, acks, n_acks, &x) == 0) {
		s->acked_judged = x.judged;
		s->acked_uncovered = x.uncovered;
		s->acked_ambiguous = x.ambiguous;
	}
	free(acks);
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
		acked_uncovered(t->out, t->tl_events, t->n_tl_events, &t->out->timeline);
}

void fl_rpo_timeline_free(struct rpo_trial *t)
{
	fl_timeline_free(t->timeline);
	t->timeline = NULL;
	t->tl_events = NULL;
	t->n_tl_events = 0;
	t->tl_stopped = false;
}
