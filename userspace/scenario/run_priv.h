/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Between the pieces of the scenario runner (run*.c). */
#ifndef FL_SCENARIO_RUN_PRIV_H
#define FL_SCENARIO_RUN_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <faultline/cluster.h>
#include <faultline/rpo_load.h>
#include <faultline/scenario_run.h>

#include "run_nodes.h"

#define SC_MAX_PARTS 32

/* A partition in place, and which nodes it cuts (for a heal of some nodes). */
struct sc_part {
	void *p;                            /* the nodes' own (run_nodes.h) */
	bool node[FL_SCENARIO_MAX_NODES];
};

/* A disk=, syscall= or net= fault armed on a node, until healed or undone. */
struct sc_node_fault {
	void *f;                            /* the nodes' own (run_nodes.h) */
	unsigned node;
	unsigned step;                      /* 0: the nemesis */
};
#define SC_MAX_NODE_FAULTS 64

/* One trial while it runs. */
struct fl_register_load;
struct fl_bank_load;

struct sc_run {
	const struct fl_scenario *s;
	const struct sc_plan *plan;
	const struct fl_scenario_run_opts *o;
	struct fl_scenario_trial *t;
	unsigned trial;                     /* 1-based, for progress */
	const struct sc_nodes_ops *nodes;   /* plan->nodes */
	struct fl_cluster *c;               /* the local nodes' cluster */
	void *hosts;                        /* the SSH nodes' state */
	unsigned n;                         /* nodes */
	bool has_leader;                    /* the kind elects or names a leader */
	bool manual_failover;               /* ... and a lost one is replaced by promote */
	struct fl_workload *w[FL_SCENARIO_MAX_NODES];
	struct fl_rpo_driver *load;
	struct fl_register_load *reg_load;
	struct fl_bank_load *bank_load;
	struct fl_bank_model bank_model;    /* what the bank's reads must sum to */
	int fixed_target;                   /* a node the workload names; -1: the leader */
	atomic_int leader;                  /* -1: none known */
	atomic_int old_leader;              /* the leader before the last change; -1 */
	uint64_t t0;                        /* the load started (CLOCK_MONOTONIC) */
	uint64_t end;                       /* the load stops */
	atomic_bool stop;

	pthread_mutex_t ops_lock;           /* one cluster operation at a time */
	pthread_mutex_t leader_lock;        /* leader and old_leader change together */
	pthread_mutex_t lock;               /* what follows, and events/marks */
	pthread_cond_t cond;                /* a step done; stop */
	bool done[FL_SCENARIO_MAX_STEPS];   /* step i+1 ran (and its effect was awaited) */
	struct sc_part parts[SC_MAX_PARTS];
	size_t n_parts;
	bool paused[FL_SCENARIO_MAX_NODES];
	struct sc_node_fault nfaults[SC_MAX_NODE_FAULTS];
	size_t n_nfaults;
	size_t cap_events, cap_marks;
};

/* run_trial.c */
void sc_progress(struct sc_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A mark on a node's timeline (takes r->lock). */
void sc_mark(struct sc_run *r, unsigned node, const char *what);
/*
 * Ask the kind for its leader now and note a change (old_leader, the
 * count, a timeline mark); the leader known (-1: none).
 */
int sc_leader_refresh(struct sc_run *r, int timeout_ms);
/* Sleep until the absolute time t or stop; false when stopped. */
bool sc_sleep_until(struct sc_run *r, uint64_t t);

/* run_ops.c: apply one fault or action now; its record appended to the events. */
struct sc_target {
	unsigned nodes[FL_SCENARIO_MAX_NODES];
	unsigned n;
	/* partition with sides: side[i] of each node in nodes (0..n_sides-1) */
	unsigned side[FL_SCENARIO_MAX_NODES];
	unsigned n_sides;
};
int sc_resolve_step(struct sc_run *r, const struct fl_scenario_step *st, struct sc_target *ret,
		    char *errbuf, size_t errlen);
/*
 * Run what on tg; step is the 1-based step (0: nemesis). wait_effect:
 * wait for its effect (a leader that is not cut off, a restarted node
 * healthy). duration_ns: undo it after that long (0: leave it). Returns
 * the event's error.
 */
int sc_apply(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
	     bool action, const struct sc_target *tg, bool wait_effect, uint64_t duration_ns);
/* A step that could not run (a role nobody holds): recorded with why. */
void sc_event_failed(struct sc_run *r, unsigned step, const struct fl_scenario_fault *what,
		     bool action, int err, const char *why);
/* Undo what can be undone on every node (heal, resume, clear): the trial's end. */
void sc_heal_all(struct sc_run *r);

/* run_sched.c: one thread per step, one for the nemesis. */
int sc_sched_start(struct sc_run *r, pthread_t *threads, size_t *n_started);
void sc_sched_join(struct sc_run *r, pthread_t *threads, size_t n);

/* What every trial of a run shares. */
struct sc_plan {
	const struct sc_nodes_ops *nodes;    /* on this machine, or over SSH */
	const struct fl_cluster_kind *kind;
	const struct fl_cluster_node_cfg *node_cfg; /* own nodes, else NULL */
	const char *name;                    /* the cluster's */
	uint64_t duration_ns;
	bool split_check;
};

/* run_trial.c: one trial into t (seed set); its error in t too. */
int sc_run_trial(const struct fl_scenario *s, const struct fl_scenario_run_opts *o,
		 const struct sc_plan *plan, unsigned trial, const atomic_bool *interrupted,
		 struct fl_scenario_trial *t);
/* A node's name as the file writes it (its own name, or n1...). */
const char *sc_node_name(const struct fl_scenario *s, unsigned i, char *buf, size_t len);

/* run_reads.c: the register and bank loads beside the writes, and their checks. */
void sc_reads_start(struct sc_run *r);
void sc_reads_stop(struct sc_run *r);
int sc_reads_check(struct sc_run *r);

/* run_json.c */
json_t *sc_trial_json(const struct fl_scenario_result *res, const struct fl_scenario_trial *t);

/*
 * run_objectives.c: the five objectives' targets of a scenario (what it
 * names, the brief's defaults for the rest) and res->verdict from its
 * measured trials (-ENOMEM).
 */
void sc_objectives_targets(const struct fl_scenario *s, struct fl_objectives *o);
int sc_objectives_judge(struct fl_scenario_result *res);

#endif /* FL_SCENARIO_RUN_PRIV_H */
