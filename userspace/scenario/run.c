// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `faultline scenario run`: the trials one after the other, each on a
 * fresh cluster, then the figures over them and the objectives, judged on
 * every trial that measured (as `faultline rpo` judges).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/errbuf.h"
#include "run_priv.h"

static atomic_bool interrupted;

void fl_scenario_interrupt(void)
{
	atomic_store(&interrupted, true);
}

uint64_t fl_scenario_trial_duration(const struct fl_scenario *s)
{
	uint64_t last = 0;

	if (s->duration_ns)
		return s->duration_ns;
	for (unsigned i = 0; i < s->n_steps; i++) {
		const struct fl_scenario_step *st = &s->steps[i];
		uint64_t end = st->sched == FL_SCHED_AT ? st->at_ns :
			       st->sched == FL_SCHED_EVERY ? st->for_ns : 0;

		if (end > last)
			last = end;
	}
	if (s->nemesis.set && 5 * s->nemesis.interval_ns > last)
		last = 5 * s->nemesis.interval_ns;
	return last + 10ull * 1000000000ull;
}

/* Kinds in which only the leader takes writes: two acknowledging at once is a split brain. */
static bool leader_only_writes(enum fl_scenario_kind k)
{
	return k == FL_SCENARIO_POSTGRES_REPLICA || k == FL_SCENARIO_REDIS_REPLICA ||
	       k == FL_SCENARIO_POSTGRES_PATRONI;
}

static void stats(const uint64_t *v, size_t n, struct fl_rpo_stats *ret)
{
	if (n)
		fl_rpo_stats(v, n, ret);
}

static void summarise(struct fl_scenario_result *res)
{
	const struct fl_scenario *s = res->s;
	size_t n = 0, n_back = 0;
	uint64_t *lost = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t *rpo = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t *rto = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t *avail = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t *up = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t *down = calloc(res->n_trials + 1, sizeof(uint64_t));
	uint64_t rto_sum = 0;

	res->rpo_met = res->rto_met = res->availability_met = res->consistent_met = true;
	if (!lost || !rpo || !rto || !avail || !up || !down)
		goto out;
	for (size_t i = 0; i < res->n_trials; i++) {
		const struct fl_scenario_trial *t = &res->trials[i];

		if (t->err)
			continue;
		lost[n] = t->check.lost;
		rpo[n] = t->check.rpo_ns;
		rto[n] = t->rto_ns;
		avail[n] = t->availability_ppm;
		up[n] = t->up_ns;
		down[n] = t->down_ns;
		n++;
		if (t->rto_ns != UINT64_MAX) {
			rto_sum += t->rto_ns;
			n_back++;
		}
		if (s->objectives.rpo_ns != UINT64_MAX && !fl_rpo_rpo_met(&t->check, s->objectives.rpo_ns))
			res->rpo_met = false;
		if (s->objectives.rto_ns != UINT64_MAX && t->rto_ns > s->objectives.rto_ns)
			res->rto_met = false;
		if (s->objectives.availability_ppm && t->availability_ppm < s->objectives.availability_ppm)
			res->availability_met = false;
		if (s->objectives.consistent && ((t->reg.checked && !t->reg.check.valid) ||
						 (t->bank.checked && !t->bank.check.valid)))
			res->consistent_met = false;
	}
	res->n_measured = n;
	stats(lost, n, &res->lost);
	stats(rpo, n, &res->rpo);
	stats(rto, n, &res->rto);
	stats(avail, n, &res->availability_ppm);
	stats(up, n, &res->up);
	stats(down, n, &res->down);
	res->mttr_ns = n_back ? rto_sum / n_back : UINT64_MAX;
out:
	/* Nothing measured: nothing met (as rpo judges). */
	if (!n)
		res->rpo_met = res->rto_met = res->availability_met = res->consistent_met = false;
	/* Out of memory: no verdict, nothing passes. */
	if (sc_objectives_judge(res))
		res->verdict.pass = false;
	res->passed = n && res->rpo_met && res->rto_met && res->availability_met &&
		      res->consistent_met && res->verdict.pass;
	free(lost);
	free(rpo);
	free(rto);
	free(avail);
	free(up);
	free(down);
}

/* The client a node of your own is reached by, from the workload's kind. */
static const char *default_client(const char *workload)
{
	static const char *const clients[][2] = {
		{ "etcd", "etcd://{addr}:2379" }, { "redis", "redis://{addr}:6379" },
		{ "postgres", "postgres://postgres@{addr}:5432/postgres" },
		{ "mysql", "mysql://root@{addr}:3306/test" },
	};

	for (size_t i = 0; workload && i < sizeof(clients) / sizeof(clients[0]); i++)
		if (!strcmp(clients[i][0], workload))
			return clients[i][1];
	return NULL;
}

/* Nodes of your own: a kind without a leader, each node with its own commands. */
static void own_nodes(const struct fl_scenario *s, struct fl_cluster_kind *kind,
		      struct fl_cluster_node_cfg *cfg)
{
	*kind = (struct fl_cluster_kind){ .name = "own", .nodes = s->n_nodes, .min_nodes = 1 };
	for (unsigned i = 0; i < s->n_nodes; i++) {
		const struct fl_scenario_node *n = &s->nodes[i];

		cfg[i] = (struct fl_cluster_node_cfg){
			.start = n->start, .stop = n->stop, .health = n->health, .data = n->data_dir,
			.client = n->client ? n->client : default_client(s->workload.kind),
		};
	}
}

int fl_scenario_run(const struct fl_scenario *s, const struct fl_scenario_run_opts *o,
		    struct fl_scenario_result **ret, char *errbuf, size_t errlen)
{
	unsigned trials = o->trials ? o->trials : s->trials ? s->trials : 1;
	struct fl_cluster_node_cfg node_cfg[FL_SCENARIO_MAX_NODES];
	struct fl_cluster_kind own;
	struct sc_plan plan = {
		.nodes = &sc_nodes_local,
		.kind = fl_cluster_kind_find(fl_scenario_kind_name(s->cluster)),
		.duration_ns = fl_scenario_trial_duration(s),
		.split_check = leader_only_writes(s->cluster),
	};
	struct fl_scenario_result *res;

	unsigned remote = 0;

	for (unsigned i = 0; !s->cluster && i < s->n_nodes; i++)
		remote += s->nodes[i].host != NULL;
	/* All over SSH, or all here: one table of operations per run. */
	if (remote && remote < s->n_nodes) {
		for (unsigned i = 0; i < s->n_nodes; i++)
			if (!s->nodes[i].host) {
				fl_errf(errbuf, errlen, "node %s has no host: while other nodes do: "
					"nodes on this machine and nodes over SSH are not mixed in one "
					"scenario (give it host: ssh://USER@ADDR too)", s->nodes[i].name);
				break;
			}
		return -EOPNOTSUPP;
	}
	if (remote)
		plan.nodes = &sc_nodes_ssh;
	if (!s->cluster) {
		if (!remote && s->n_nodes > FL_CLUSTER_MAX_NODES) {
			fl_errf(errbuf, errlen, "%u nodes: a cluster on this machine takes at most %d",
				s->n_nodes, FL_CLUSTER_MAX_NODES);
			return -EOPNOTSUPP;
		}
		own_nodes(s, &own, node_cfg);
		plan.kind = &own;
		plan.node_cfg = node_cfg;
	}
	if (!plan.kind) {
		fl_errf(errbuf, errlen, "cluster kind %s is not in this build",
			fl_scenario_kind_name(s->cluster));
		return -EOPNOTSUPP;
	}
	res = calloc(1, sizeof(*res));
	if (!res || !(res->trials = calloc(trials, sizeof(*res->trials)))) {
		free(res);
		return -ENOMEM;
	}
	res->s = s;
	snprintf(res->file, sizeof(res->file), "%s", o->file ? o->file : "");
	if (o->has_seed)
		res->seed = o->seed;
	else if (s->has_seed)
		res->seed = s->seed;
	else if (getrandom(&res->seed, sizeof(res->seed), 0) != sizeof(res->seed))
		res->seed = 1;
	plan.name = res->cluster_name;
	/* One name per run, so two runs on one machine do not meet (their subnets must differ). */
	if (o->cluster_name)
		snprintf(res->cluster_name, sizeof(res->cluster_name), "%s", o->cluster_name);
	else
		snprintf(res->cluster_name, sizeof(res->cluster_name), "sc%u",
			 (unsigned)getpid() % 100000u);
	atomic_store(&interrupted, false);
	for (unsigned i = 0; i < trials && !atomic_load(&interrupted); i++) {
		struct fl_scenario_trial *t = &res->trials[res->n_trials++];

		t->seed = res->seed + i;
		sc_run_trial(s, o, &plan, i + 1, &interrupted, t);
	}
	res->interrupted = atomic_load(&interrupted);
	summarise(res);
	*ret = res;
	return 0;
}

void fl_scenario_result_free(struct fl_scenario_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_trials; i++) {
		struct fl_scenario_trial *t = &r->trials[i];

		for (size_t k = 0; k < t->n_unavail; k++)
			free(t->unavail[k].client_ns);
		free(t->unavail);
		free(t->events);
		free(t->marks);
		free(t->ops);
		free(t->lost_ids);
		fl_hist_check_free(&t->reg.check);
		fl_history_free(t->reg.history);
		fl_hist_check_free(&t->bank.check);
		fl_history_free(t->bank.history);
	}
	free(r->trials);
	free(r);
}
