/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Running a scenario (<faultline/scenario.h>): per trial, bring the
 * cluster up (<faultline/cluster.h>), drive the write load at its target
 * (a node, or a role such as the leader, which the clients follow through
 * failovers), run the steps and the nemesis on schedule, recover whatever
 * is still broken at the end, read every acknowledged write back, and
 * measure:
 *
 *   - lost acknowledged writes and the RPO window (fl_rpo_check against
 *     the leader's read-back; each node's own read-back too);
 *   - unavailability per fault and client: from the fault in place (its
 *     operation returned) to the first acknowledged write the client
 *     invoked after that (the cluster's RTO is the worst of them);
 *   - availability: the share of the run's time slices that saw a write
 *     acknowledged;
 *   - split-brain evidence: two nodes acknowledging writes at once, for
 *     kinds in which only the leader takes writes;
 *   - the fault events as they ran and a timeline per node.
 *
 * The result is the `faultline-scenario/1` document (fl_scenario_result_json).
 * Library code: returns 0 or a negative errno, prints nothing.
 */
#ifndef FAULTLINE_SCENARIO_RUN_H
#define FAULTLINE_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <faultline/history.h>
#include <faultline/remote.h>
#include <faultline/rpo.h>
#include <faultline/objectives.h>
#include <faultline/scenario.h>

#define FL_SCENARIO_SCHEMA "faultline-scenario/2"

struct fl_scenario_run_opts {
	const char *file;         /* the scenario's file, for the result */
	unsigned trials;          /* 0: the file's */
	uint64_t seed;            /* with has_seed; else the file's, else chosen */
	bool has_seed;
	const char *subnet;       /* the cluster's /24 (NULL: the cluster room's default) */
	const char *run_dir;      /* NULL: FL_CLUSTER_RUN_DIR */
	const char *cluster_name; /* NULL: "sc" and this process's pid (at most 5 digits) */
	/* Nodes on other hosts (host: ssh://...); NULL: ssh's own settings. */
	const char *ssh_identity; /* -i KEY */
	const char *ssh_known_hosts; /* UserKnownHostsFile */
	enum fl_remote_hostkey ssh_hostkey; /* StrictHostKeyChecking */
	const char *ssh_faultline; /* the hosts' faultline ("faultline" on their $PATH);
				      their faultfs is the one beside it */
	/* One line per phase and per event ("trial 1: n1 powercut"); may be NULL. */
	void (*progress)(void *arg, unsigned trial, const char *msg);
	void *progress_arg;
};

/* A step (or a nemesis fault) as it ran. */
struct fl_scenario_event {
	unsigned step;            /* 1-based; 0: the nemesis */
	enum fl_scenario_op op;
	bool action;
	bool undo;                /* the end of a fault's duration (resume, heal, clear) */
	char nodes[128];          /* the nodes it acted on, resolved: "n1,n3"; "n1|n2,n3" */
	char rule[256];           /* disk=, syscall=, net=: the rule */
	char mechanism[64];       /* a fault: what carried it ("cgroup.kill", "send-signal"...) */
	uint64_t at_ns;           /* since the load started */
	uint64_t done_ns;         /* the operation returned (since the load started) */
	uint64_t effect_ns;       /* its effect was seen (0: none awaited, or not seen) */
	bool effect_timeout;      /* awaited but not seen in time */
	int err;
	char error[256];
	/* disk=, syscall=, net=: what the rule saw and did, read when it was cleared */
	uint64_t matched, injected;
	struct {                  /* powercut: what the nodes' disks undid */
		uint64_t writes, bytes, names;
	} undone;
};

/* A change seen on a node: "healthy", "unhealthy", "leader", or an event's op name. */
struct fl_scenario_mark {
	uint64_t at_ns;           /* since the load started */
	unsigned node;
	char what[24];
};

struct fl_scenario_node_read {
	bool read;                /* read back (the node answered) */
	int err;
	char error[160];
	uint64_t records;
	uint64_t lost;            /* acknowledged writes this node does not hold */
};

/* One fault's unavailability; clients that never got an ack after it: UINT64_MAX. */
struct fl_scenario_unavail {
	unsigned event;           /* index into events */
	uint64_t worst_ns;
	uint64_t *client_ns;      /* n_clients of them */
};

#define FL_SCENARIO_SPLIT_MAX 8
struct fl_scenario_split {
	unsigned a, b;            /* nodes that both acknowledged writes ... */
	uint64_t from_ns, to_ns;  /* ... within this window (since the load started) */
};

/* A reading load (register, bank) as it ran, and its check. */
struct fl_scenario_reads_run {
	bool ran;
	char skipped[160];        /* why it did not run (off, not supported, failed to start) */
	struct fl_history *history;
	struct fl_hist_check check; /* valid when ran */
	bool checked;
};

struct fl_scenario_trial {
	uint64_t seed;
	int err;                  /* 0, or why the trial could not finish */
	char error[256];
	char phase[16];
	uint64_t up_ns, down_ns;  /* the cluster's bring-up (to all healthy) and tear-down */
	uint64_t recover_ns;      /* the end's recovery, to healthy with a leader */
	uint64_t load_start_ns;   /* CLOCK_MONOTONIC; the times below are relative to it */
	uint64_t load_ns;         /* how long the load ran */
	struct fl_scenario_event *events;
	size_t n_events;
	struct fl_scenario_mark *marks;
	size_t n_marks;
	unsigned leader_changes;
	unsigned readback_node;   /* the leader the verdict was read from */
	struct fl_check check;    /* lost, RPO: against readback_node */
	uint64_t *lost_ids;       /* every lost acknowledged write, ascending (check.lost of them) */
	size_t n_lost_ids;
	uint64_t rpo_fault_ns;    /* the fault the RPO window ends at (relative) */
	struct fl_scenario_node_read nodes[FL_SCENARIO_MAX_NODES];
	unsigned n_nodes;
	struct fl_scenario_unavail *unavail;
	size_t n_unavail;
	unsigned n_clients;
	uint64_t rto_ns;          /* the worst unavailability; UINT64_MAX: never back */
	uint32_t availability_ppm;
	uint64_t slice_ns;        /* the availability's time slice */
	bool split_checked;       /* the kind takes writes on its leader only */
	struct fl_scenario_split split[FL_SCENARIO_SPLIT_MAX];
	size_t n_split;
	struct fl_op *ops;        /* the whole history */
	size_t n_ops;
	struct fl_scenario_reads_run reg, bank;
};

struct fl_scenario_result {
	const struct fl_scenario *s; /* borrowed */
	char file[256];
	char cluster_name[16];    /* the trials' cluster (one at a time) */
	uint64_t seed;
	bool interrupted;
	struct fl_scenario_trial *trials;
	size_t n_trials;
	size_t n_measured;        /* trials with err == 0 */
	/* Medians (and the rest) over the measured trials. */
	struct fl_rpo_stats lost, rpo, rto, availability_ppm, up, down;
	uint64_t mttr_ns;         /* the mean RTO over the trials that came back */
	bool rpo_met, rto_met, availability_met;
	bool consistent_met;      /* no anomaly in any measured trial's reads */
	bool passed;              /* every objective met on every measured trial */
	struct fl_verdict verdict; /* the five objectives (objectives.h), in passed too */
};

/*
 * A trial's length: the file's duration:, else the end of the last timed
 * step (at:, every:'s for:) or 5 nemesis intervals, whichever is later,
 * + 10 s.
 */
uint64_t fl_scenario_trial_duration(const struct fl_scenario *s);

int fl_scenario_run(const struct fl_scenario *s, const struct fl_scenario_run_opts *o,
		    struct fl_scenario_result **ret, char *errbuf, size_t errlen);
/* Make a running fl_scenario_run stop soon, recover and tear down (async-signal-safe). */
void fl_scenario_interrupt(void);
json_t *fl_scenario_result_json(const struct fl_scenario_result *r);
/*
 * Judge r's measured trials against o (every field of o is read, RTO and
 * RPO included), as the run judged its own verdict with its targets: the
 * library API's fl_validate_objectives. -EINVAL on a NULL pointer or
 * inconsistent result; *ret untouched on failure.
 */
int fl_scenario_result_judge(const struct fl_scenario_result *r, const struct fl_objectives *o,
			     struct fl_verdict *ret);
void fl_scenario_result_free(struct fl_scenario_result *r);

/*
 * The measurements, as pure functions over a history (run_measure.c);
 * times are CLOCK_MONOTONIC.
 *
 * Unavailability of client c after a fault begun at fault_ns and in place
 * at in_effect_ns (arming a partition takes a while, and a write sent
 * before it is in place proves nothing): the completion of the first
 * write c invoked at or after in_effect_ns that was acknowledged, minus
 * fault_ns; UINT64_MAX when none was.
 */
uint64_t fl_scenario_unavailability(const struct fl_op *ops, size_t n, unsigned client,
				    uint64_t fault_ns, uint64_t in_effect_ns);
/*
 * Availability over [from_ns, to_ns): the share (ppm) of slices of
 * slice_ns in which some write was acknowledged.
 */
uint32_t fl_scenario_availability(const struct fl_op *ops, size_t n, uint64_t from_ns,
				  uint64_t to_ns, uint64_t slice_ns);
/*
 * Split-brain evidence: pairs of targets whose acknowledgements
 * interleave (a acked, then b, then a again, or the other way round),
 * i.e. both took writes in the same stretch of time. At most max pairs.
 */
size_t fl_scenario_split_brain(const struct fl_op *ops, size_t n,
			       struct fl_scenario_split *ret, size_t max);

#endif /* FAULTLINE_SCENARIO_RUN_H */
