// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One trial of a scenario: a fresh cluster, the clients on their target,
 * the steps on schedule, two watchers (the leader every 100 ms, every
 * node's health every 500 ms) for the timeline and for the clients'
 * target, then the end: everything undone and restarted, every
 * acknowledged write looked for on the leader and on each node, the
 * measurements, and the cluster torn down.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <faultline/workload.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "run_priv.h"

#define LEADER_POLL_MS      100
#define HEALTH_POLL_MS      500
#define OP_TIMEOUT_MS       2000
#define FIRST_LEADER_MS     20000
#define RECOVER_TIMEOUT_MS  60000
#define SLICE_MIN_NS        (100ull * 1000 * 1000)

/* --- the watchers ------------------------------------------------------------- */

static int pick(void *ctx, unsigned client)
{
	struct sc_run *r = ctx;

	(void)client;
	return r->fixed_target >= 0 ? r->fixed_target : atomic_load(&r->leader);
}

static void *leader_main(void *arg)
{
	struct sc_run *r = arg;

	while (sc_sleep_until(r, fl_now_ns() + LEADER_POLL_MS * 1000000ull))
		sc_leader_refresh(r, 300);
	return NULL;
}

static void *health_main(void *arg)
{
	struct sc_run *r = arg;
	bool healthy[FL_SCENARIO_MAX_NODES];

	for (unsigned i = 0; i < r->n; i++)
		healthy[i] = true; /* up waited for it */
	while (sc_sleep_until(r, fl_now_ns() + HEALTH_POLL_MS * 1000000ull)) {
		for (unsigned i = 0; i < r->n && !atomic_load(&r->stop); i++) {
			bool h = !r->nodes->health(r, i, 1000);

			if (h != healthy[i])
				sc_mark(r, i, h ? "healthy" : "unhealthy");
			healthy[i] = h;
		}
	}
	return NULL;
}

/* --- the end -------------------------------------------------------------------- */

/* Everything undone, every node running, healthy, with a leader again. */
static int recover(struct sc_run *r, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_deadline(RECOVER_TIMEOUT_MS);
	int err = 0;

	sc_heal_all(r);
	for (unsigned i = 0; i < r->n; i++) {
		if (!r->nodes->running(r, i)) {
			err = r->nodes->start(r, i, errbuf, errlen);
			if (err)
				return err;
		}
	}
	err = r->nodes->wait_healthy(r, RECOVER_TIMEOUT_MS, errbuf, errlen);
	for (unsigned i = 0; err && i < r->n; i++)
		if (r->nodes->health(r, i, 2000))
			r->nodes->log_tail(r, i);
	while (!err && r->has_leader) {
		unsigned lead;

		if (!r->nodes->leader(r, 1000, &lead)) {
			atomic_store(&r->leader, (int)lead);
			break;
		}
		if (fl_now_ns() >= deadline)
			return fl_errf(errbuf, errlen, "no node leads %d s after the end",
				       RECOVER_TIMEOUT_MS / 1000), -ETIMEDOUT;
		fl_sleep_ms(200);
	}
	return err;
}

/* The fault the RPO window ends at: the first one at or after the oldest loss. */
static uint64_t rpo_fault(const struct sc_run *r, const struct fl_check *first)
{
	const struct fl_scenario_trial *t = r->t;
	uint64_t acked_at = 0, best = UINT64_MAX, first_fault = UINT64_MAX;

	for (size_t i = 0; i < t->n_ops; i++)
		if (t->ops[i].id == first->oldest_lost_id)
			acked_at = t->ops[i].complete_ns - r->t0;
	for (size_t i = 0; i < t->n_events; i++) {
		const struct fl_scenario_event *e = &t->events[i];

		if (e->action || e->undo || e->err || e->op == FL_SOP_HEAL)
			continue;
		if (e->at_ns < first_fault)
			first_fault = e->at_ns;
		if (first->oldest_lost_id && e->at_ns >= acked_at && e->at_ns < best)
			best = e->at_ns;
	}
	return best != UINT64_MAX ? best : first_fault != UINT64_MAX ? first_fault : 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every acknowledged write the read-back lacks (or holds corrupt), by id:
 * the check itself keeps the oldest few, the result wants them all.
 */
static int lost_ids(struct fl_scenario_trial *t, const struct fl_readback *back, size_t n_back)
{
	uint64_t *intact = malloc((n_back ? n_back : 1) * sizeof(*intact));
	size_t n_intact = 0;

	if (!intact)
		return -ENOMEM;
	for (size_t i = 0; i < n_back; i++)
		if (back[i].intact)
			intact[n_intact++] = back[i].id;
	qsort(intact, n_intact, sizeof(*intact), by_id);
	t->lost_ids = malloc((t->check.lost ? t->check.lost : 1) * sizeof(*t->lost_ids));
	if (!t->lost_ids) {
		free(intact);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_ops && t->n_lost_ids < t->check.lost; i++) {
		const struct fl_op *o = &t->ops[i];

		if (o->outcome == FL_OP_OK &&
		    !bsearch(&o->id, intact, n_intact, sizeof(*intact), by_id))
			t->lost_ids[t->n_lost_ids++] = o->id;
	}
	qsort(t->lost_ids, t->n_lost_ids, sizeof(*t->lost_ids), by_id);
	free(intact);
	return 0;
}

static int measure(struct sc_run *r, char *errbuf, size_t errlen)
{
	struct fl_scenario_trial *t = r->t;
	struct fl_readback *back = NULL;
	size_t n_back = 0;
	struct fl_check first;
	int lead = atomic_load(&r->leader), err;

	if (lead < 0)
		lead = r->fixed_target >= 0 ? r->fixed_target : 0;
	t->readback_node = (unsigned)lead;
	err = fl_rpo_read_back(r->w[lead], &back, &n_back, errbuf, errlen);
	if (!err)
		err = fl_rpo_check(t->ops, t->n_ops, back, n_back, r->t0, &first);
	if (!err) {
		t->rpo_fault_ns = rpo_fault(r, &first);
		err = fl_rpo_check(t->ops, t->n_ops, back, n_back, r->t0 + t->rpo_fault_ns,
				   &t->check);
	}
	if (!err)
		err = lost_ids(t, back, n_back);
	free(back);
	if (err)
		return err;

	/* Each node's own copy: what a read from it would miss. */
	t->n_nodes = r->n;
	for (unsigned i = 0; i < r->n; i++) {
		struct fl_scenario_node_read *nr = &t->nodes[i];
		struct fl_check c;

		back = NULL;
		n_back = 0;
		nr->err = fl_rpo_read_back(r->w[i], &back, &n_back, nr->error, sizeof(nr->error));
		if (!nr->err)
			nr->err = fl_rpo_check(t->ops, t->n_ops, back, n_back, r->t0, &c);
		if (!nr->err) {
			nr->read = true;
			nr->records = n_back;
			nr->lost = c.lost;
		}
		free(back);
	}

	/* Unavailability after every fault that ran, per client. */
	t->n_clients = r->s->workload.clients;
	t->unavail = calloc(t->n_events ? t->n_events : 1, sizeof(*t->unavail));
	if (!t->unavail)
		return -ENOMEM;
	for (size_t e = 0; e < t->n_events; e++) {
		const struct fl_scenario_event *ev = &t->events[e];
		struct fl_scenario_unavail *u = &t->unavail[t->n_unavail];

		if (ev->action || ev->undo || ev->err || ev->op == FL_SOP_HEAL ||
		    ev->op == FL_SOP_RESTART)
			continue;
		u->client_ns = calloc(t->n_clients, sizeof(*u->client_ns));
		if (!u->client_ns)
			return -ENOMEM;
		u->event = (unsigned)e;
		for (unsigned c = 0; c < t->n_clients; c++) {
			/*
			 * From the fault in place: arming one can take a while
			 * (a partition's rules, a command over SSH) and the
			 * writes go on meanwhile, so that time is no outage.
			 */
			u->client_ns[c] = fl_scenario_unavailability(t->ops, t->n_ops, c,
								     r->t0 + ev->done_ns,
								     r->t0 + ev->done_ns);
			if (u->client_ns[c] > u->worst_ns)
				u->worst_ns = u->client_ns[c];
		}
		if (u->worst_ns > t->rto_ns)
			t->rto_ns = u->worst_ns;
		t->n_unavail++;
	}

	/* Slices long enough for a few writes at the asked rate. */
	t->slice_ns = SLICE_MIN_NS;
	if (r->s->workload.rate && 4000000000ull / r->s->workload.rate > t->slice_ns)
		t->slice_ns = 4000000000ull / r->s->workload.rate;
	t->availability_ppm = fl_scenario_availability(t->ops, t->n_ops, r->t0, r->t0 + t->load_ns,
						       t->slice_ns);
	if (t->split_checked)
		t->n_split = fl_scenario_split_brain(t->ops, t->n_ops, t->split,
						     FL_SCENARIO_SPLIT_MAX);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct fl_scenario_event *x = a, *y = b;

	return x->at_ns < y->at_ns ? -1 : x->at_ns > y->at_ns;
}

/* --- one trial ------------------------------------------------------------------ */

static int open_workloads(struct sc_run *r, char *errbuf, size_t errlen)
{
	for (unsigned i = 0; i < r->n; i++) {
		char *spec = NULL;
		int err = r->nodes->client_spec(r, i, &spec);

		if (err) {
			fl_errf(errbuf, errlen, "node %u: no client workload spec", i + 1);
			return err;
		}
		err = fl_workload_open(spec, &r->w[i], errbuf, errlen);
		free(spec);
		if (err)
			return err;
	}
	return 0;
}

static int first_leader(struct sc_run *r, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_deadline(FIRST_LEADER_MS);
	unsigned lead;

	while (r->has_leader) {
		if (!r->nodes->leader(r, 1000, &lead)) {
			atomic_store(&r->leader, (int)lead);
			return 0;
		}
		if (fl_now_ns() >= deadline)
			return fl_errf(errbuf, errlen, "no node leads after %d s",
				       FIRST_LEADER_MS / 1000), -ETIMEDOUT;
		fl_sleep_ms(100);
	}
	return 0;
}

static void set_phase(struct sc_run *r, const char *phase)
{
	snprintf(r->t->phase, sizeof(r->t->phase), "%s", phase);
}

int sc_run_trial(const struct fl_scenario *s, const struct fl_scenario_run_opts *o,
		 const struct sc_plan *plan, unsigned trial, const atomic_bool *interrupted,
		 struct fl_scenario_trial *t)
{
	struct sc_run r = { .s = s, .o = o, .plan = plan, .nodes = plan->nodes, .t = t,
			    .trial = trial, .fixed_target = -1 };
	uint64_t duration_ns = plan->duration_ns;
	pthread_t sched[FL_SCENARIO_MAX_STEPS + 1], leader_thr, health_thr;
	bool watching = false;
	size_t n_sched = 0;
	struct fl_rpo_targets targets;
	struct fl_rpo_load load = {
		.clients = s->workload.clients, .rate = (double)s->workload.rate,
		.payload_len = s->workload.payload < FL_PAYLOAD_MIN ? FL_PAYLOAD_MIN :
			       s->workload.payload,
		.seed = t->seed, .op_timeout_ms = OP_TIMEOUT_MS,
	};
	pthread_condattr_t ca;
	unsigned idx;
	int err;

	atomic_init(&r.leader, -1);
	atomic_init(&r.old_leader, -1);
	atomic_init(&r.stop, false);
	pthread_mutex_init(&r.lock, NULL);
	pthread_mutex_init(&r.ops_lock, NULL);
	pthread_mutex_init(&r.leader_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r.cond, &ca);
	pthread_condattr_destroy(&ca);
	r.has_leader = plan->kind->leader != NULL;
	r.manual_failover = !plan->kind->fails_over && plan->kind->promote != NULL;
	t->split_checked = plan->split_check;

	set_phase(&r, "up");
	{
		uint64_t t_up = fl_now_ns();

		err = r.nodes->up(&r, t->error, sizeof(t->error));
		t->up_ns = fl_now_ns() - t_up;
	}
	if (err)
		goto out;
	for (unsigned i = 0; i < r.n; i++)
		if (!s->cluster && !strcmp(s->nodes[i].name, s->workload.target))
			r.fixed_target = (int)i;
	if (s->cluster && sscanf(s->workload.target, "n%u", &idx) == 1 && idx >= 1 && idx <= r.n)
		r.fixed_target = (int)idx - 1;
	if (!r.has_leader && r.fixed_target < 0)
		r.fixed_target = 0;
	set_phase(&r, "leader");
	err = open_workloads(&r, t->error, sizeof(t->error));
	if (!err)
		err = first_leader(&r, t->error, sizeof(t->error));
	if (!err) {
		int lead = pick(&r, 0);

		err = fl_workload_reset(r.w[lead < 0 ? 0 : lead], t->error, sizeof(t->error));
	}
	if (err)
		goto out;

	set_phase(&r, "load");
	targets = (struct fl_rpo_targets){ .w = r.w, .n = r.n, .pick = pick, .ctx = &r };
	r.t0 = fl_now_ns();
	t->load_start_ns = r.t0;
	r.end = r.t0 + duration_ns;
	err = fl_rpo_driver_start_targets(&targets, &load, &r.load);
	if (err) {
		fl_errf(t->error, sizeof(t->error), "the clients did not start: %s", strerror(-err));
		goto out;
	}
	sc_reads_start(&r);
	if (!pthread_create(&leader_thr, NULL, leader_main, &r)) {
		if (!pthread_create(&health_thr, NULL, health_main, &r))
			watching = true;
		else
			pthread_join(leader_thr, NULL);
	}
	sc_progress(&r, "load on %s, %llu s", s->workload.target,
		    (unsigned long long)(duration_ns / 1000000000ull));
	err = sc_sched_start(&r, sched, &n_sched);
	while (!err && fl_now_ns() < r.end && !atomic_load(interrupted))
		fl_sleep_ms(50);
	sc_sched_join(&r, sched, n_sched);
	t->load_ns = fl_now_ns() - r.t0;
	err = fl_rpo_driver_stop(r.load, &t->ops, &t->n_ops) ?: err;
	r.load = NULL;
	sc_reads_stop(&r);
	if (watching) {
		pthread_join(leader_thr, NULL);
		pthread_join(health_thr, NULL);
	}
	if (err) {
		fl_errf(t->error, sizeof(t->error), "%s", strerror(-err));
		goto out;
	}

	qsort(t->events, t->n_events, sizeof(*t->events), by_time);
	set_phase(&r, "recover");
	sc_progress(&r, "recovering: heal, restart, wait for health and a leader");
	{
		uint64_t t_rec = fl_now_ns();

		err = recover(&r, t->error, sizeof(t->error));
		t->recover_ns = fl_now_ns() - t_rec;
	}
	if (!err) {
		set_phase(&r, "readback");
		err = measure(&r, t->error, sizeof(t->error));
	}
	if (!err)
		err = sc_reads_check(&r);
out:
	if (r.load)
		fl_rpo_driver_stop(r.load, NULL, NULL);
	sc_reads_stop(&r);
	for (unsigned i = 0; i < FL_SCENARIO_MAX_NODES; i++)
		if (r.w[i])
			fl_workload_close(r.w[i]);
	if (r.c || r.hosts) {
		uint64_t t_down = fl_now_ns();
		char why[256] = "";
		int derr;

		sc_heal_all(&r);
		derr = r.nodes->down(&r, why, sizeof(why));
		t->down_ns = fl_now_ns() - t_down;
		if (derr && !err) {
			err = derr;
			set_phase(&r, "down");
			snprintf(t->error, sizeof(t->error), "%s", why);
		}
	}
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	pthread_mutex_destroy(&r.ops_lock);
	pthread_mutex_destroy(&r.leader_lock);
	t->err = err;
	if (!err)
		t->phase[0] = '\0';
	return err;
}
