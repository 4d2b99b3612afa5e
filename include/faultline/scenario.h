/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Scenario files: a cluster (a built-in kind, or nodes with their own
 * commands), a workload, a schedule of faults and actions, a nemesis and
 * the objectives, read from YAML into one typed struct. Loading checks
 * everything that can be checked without running anything, and every
 * error names the file, the line and the column (1-based) and what was
 * expected:
 *
 *   pg.yaml:7:12: steps[1].at: expected a duration like 5s or 250ms, got "5 seconds"
 *
 * Steps are numbered from 1, in messages and in "after: {step: N}".
 * Running one is <faultline/scenario_run.h>.
 */
#ifndef FAULTLINE_SCENARIO_H
#define FAULTLINE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <faultline/rule.h>

#define FL_SCENARIO_MAX_NODES    16
#define FL_SCENARIO_MAX_STEPS    64
#define FL_SCENARIO_MAX_SIDES    4
#define FL_SCENARIO_MAX_SETTINGS 32
#define FL_SCENARIO_MAX_NEMESIS  16
#define FL_SCENARIO_MAX_ERRORS   20
#define FL_SCENARIO_NAME_LEN     32   /* node names, kind and alias names */
#define FL_SCENARIO_MAX_FILE     (1u << 20)

/*
 * The built-in cluster kinds a file may name; NONE: it lists its own
 * nodes. Named for this header: the cluster room, which brings the kinds
 * up, keeps its own types.
 */
enum fl_scenario_kind {
	FL_SCENARIO_KIND_NONE = 0, FL_SCENARIO_ETCD, FL_SCENARIO_POSTGRES_REPLICA,
	FL_SCENARIO_REDIS_REPLICA, FL_SCENARIO_POSTGRES_PATRONI,
};

/* What a step does: the faults, then the actions (promote is action only). */
enum fl_scenario_op {
	FL_SOP_POWERCUT = 1, FL_SOP_CRASH, FL_SOP_STOP, FL_SOP_PAUSE,
	FL_SOP_DISK, FL_SOP_SYSCALL, FL_SOP_NET, FL_SOP_PARTITION,
	FL_SOP_HEAL, FL_SOP_RESTART, FL_SOP_PROMOTE,
};

enum fl_scenario_sched { FL_SCHED_AT = 1, FL_SCHED_EVERY, FL_SCHED_AFTER };

enum fl_scenario_after {
	FL_AFTER_HEALTHY = 1, /* after: {healthy: NODE} */
	FL_AFTER_STEP,        /* after: {step: N}: step N is done */
	FL_AFTER_PREVIOUS,    /* after: previous: the previous step's effect is seen */
};

/* Where a value sits in the file, 1-based. */
struct fl_scenario_pos {
	unsigned line, column;
};

typedef char fl_scenario_name[FL_SCENARIO_NAME_LEN];

struct fl_scenario_node {
	fl_scenario_name name;
	char *start, *stop, *health; /* shell commands; stop, health may be NULL */
	char *data_dir;
	char *client;                /* client: the workload spec to reach it, or NULL */
	char *host;                  /* host: ssh://USER@HOST[:PORT] as given, or NULL */
	char *ssh_user, *ssh_host;   /* its parts (NULL when local) */
	uint16_t ssh_port;           /* 22 when not given */
	struct fl_scenario_pos pos;
};

/* A fault (or action) on nodes; also a nemesis entry, without nodes. */
struct fl_scenario_fault {
	enum fl_scenario_op op;
	char *rule_text;             /* disk=, syscall=, net=: the RULE, else NULL */
	struct fl_rule rule;         /* ... parsed and checked in its domain */
	struct fl_scenario_pos pos;
};

struct fl_scenario_step {
	bool action;                 /* action: rather than fault: */
	struct fl_scenario_fault what;
	fl_scenario_name nodes[FL_SCENARIO_MAX_NODES]; /* node:/nodes: (names or aliases) */
	unsigned n_nodes;
	/* partition: sides: [[a], [b, c]]; no sides: nodes are cut from the rest */
	struct {
		fl_scenario_name nodes[FL_SCENARIO_MAX_NODES];
		unsigned n_nodes;
	} sides[FL_SCENARIO_MAX_SIDES];
	unsigned n_sides;
	uint64_t duration_ns;        /* duration: how long the fault lasts; 0 = until healed/end */

	enum fl_scenario_sched sched;
	uint64_t at_ns;              /* at: */
	uint64_t every_ns, for_ns;   /* every: with for: */
	enum fl_scenario_after after;
	fl_scenario_name after_node; /* FL_AFTER_HEALTHY */
	unsigned after_step;         /* FL_AFTER_STEP, 1-based */
	struct fl_scenario_pos pos;
};

/* A reading load beside the writes (workload.register:, workload.bank:). */
struct fl_scenario_reads {
	bool off;                    /* register: off */
	unsigned clients;            /* default 2 */
	uint64_t rate;               /* operations per second over its clients */
	uint64_t keys;               /* registers, or bank accounts */
};

struct fl_scenario_setting {
	char *key, *value;
};

struct fl_scenario {
	char *name;
	enum fl_scenario_kind cluster;
	unsigned n_nodes;            /* the kind's node count, or the listed nodes */
	struct fl_scenario_node nodes[FL_SCENARIO_MAX_NODES]; /* listed nodes (no kind) */
	struct fl_scenario_setting settings[FL_SCENARIO_MAX_SETTINGS];
	unsigned n_settings;

	struct {
		char *kind;              /* "postgres", "redis", "etcd", ... */
		fl_scenario_name target; /* a node name or an alias */
		unsigned clients;        /* default 4 */
		uint64_t rate;           /* writes per second over all clients; 0 = as fast as acked */
		uint64_t payload;        /* bytes per write; default 128 */
		uint64_t keys;           /* distinct keys; default 1000 */
		/* register: 2 clients, 100 ops/s, 8 keys; bank: 2 clients, 50 ops/s, 5 accounts */
		struct fl_scenario_reads reg, bank;
	} workload;

	struct fl_scenario_step steps[FL_SCENARIO_MAX_STEPS];
	unsigned n_steps;

	struct {
		bool set;
		struct fl_scenario_fault faults[FL_SCENARIO_MAX_NEMESIS];
		unsigned n_faults;
		uint64_t interval_ns;
		uint64_t seed;
		bool has_seed;
	} nemesis;

	struct {
		uint64_t rpo_ns, rto_ns; /* UINT64_MAX: no objective */
		uint32_t availability_ppm; /* 0: no objective */
		bool consistent;         /* reads: no stale read, no bank total changed */
		/*
		 * The brief's other objectives (objectives.h). mttr_ns and
		 * mtbf_ns: 0 when not named (the brief's 3 min and 720 h),
		 * UINT64_MAX: none. Availability not named: the brief's
		 * 99.9 % over the long run, unless availability_none.
		 * assumed_mtbf_ns: MTBF's assumption (0: none).
		 */
		uint64_t mttr_ns, mtbf_ns, assumed_mtbf_ns;
		bool availability_none;
	} objectives;

	char *faultfs;               /* faultfs: -o options of every node's disk, or NULL */
	uint64_t duration_ns;        /* duration: of a trial; 0: the end of the last
				       at: or every:/for: step + 10s */
	unsigned trials;             /* default 1 */
	uint64_t seed;
	bool has_seed;
};

/* One error: text is "FILE:LINE:COL: MESSAGE"; message is text + msg_off. */
struct fl_scenario_diag {
	unsigned line, column;
	unsigned msg_off;
	char text[512];
};

struct fl_scenario_errors {
	unsigned n;                  /* kept, at most FL_SCENARIO_MAX_ERRORS */
	unsigned total;              /* found (more than n when capped) */
	struct fl_scenario_diag e[FL_SCENARIO_MAX_ERRORS];
};

/*
 * Parse and check a scenario. file names it in messages. 0 and *ret (free
 * it with fl_scenario_free); -EINVAL with every error of the file (up to
 * the cap) in errs; -EFBIG past FL_SCENARIO_MAX_FILE; -ENOMEM. *ret is
 * untouched on failure. errs may be NULL.
 */
int fl_scenario_parse(const char *text, size_t len, const char *file,
		      struct fl_scenario **ret, struct fl_scenario_errors *errs);
/* Read path, then fl_scenario_parse(); -errno when it cannot be read. */
int fl_scenario_load(const char *path, struct fl_scenario **ret,
		     struct fl_scenario_errors *errs);
void fl_scenario_free(struct fl_scenario *s);

const char *fl_scenario_kind_name(enum fl_scenario_kind kind); /* "etcd", NULL for NONE */
unsigned fl_scenario_kind_default_nodes(enum fl_scenario_kind kind);
/* The role aliases of a kind ("primary", "replica", ...), NULL-terminated. */
const char *const *fl_scenario_kind_roles(enum fl_scenario_kind kind);
const char *fl_scenario_op_name(enum fl_scenario_op op);
/* A duration as scenario files write it ("1.5s", "250ms"); snprintf-style. */
int fl_scenario_format_duration(uint64_t ns, char *buf, size_t len);

#endif /* FAULTLINE_SCENARIO_H */
