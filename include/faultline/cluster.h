/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Nodes and clusters on one machine (userspace/cluster/).
 *
 * A node is a network namespace fl-<cluster>-<node> attached through a
 * veth to a bridge, with its own IPv4 address; a cgroup v2 directory for
 * its processes; a faultfs mounted over its data directory; and the
 * service's start, stop and health commands, run inside the netns and
 * the cgroup. The bridge sits in a "hub" netns (fl-<cluster>-hub), which
 * the host reaches through one veth (flc-<cluster>, the subnet's .1):
 * nothing else on the host's network changes, and the controller and the
 * workload clients reach every node by its address.
 *
 * Every object is recorded in a core state session of the cluster's own
 * (<faultline/state.h>) before it is created, so the watchdog or
 * `faultline cleanup` removes it all after a SIGKILL. A cluster left
 * running (fl_cluster_release) keeps its records; fl_cluster_open() from
 * another process finds it again by name, and fl_cluster_down() removes it.
 *
 * Every call returns 0 or a negative errno, prints nothing, and says why
 * in errbuf.
 */
#ifndef FAULTLINE_CLUSTER_H
#define FAULTLINE_CLUSTER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FL_CLUSTER_RUN_DIR   "/var/tmp/faultline/cluster"
#define FL_CLUSTER_SUBNET    "10.231.7.0/24"
#define FL_CLUSTER_MAX_NODES 9
#define FL_CLUSTER_NAME_MAX  11  /* flc-NAME must fit an interface name */

struct fl_cluster;
struct fl_state;

/*
 * A cluster kind. The command templates are run with /bin/sh -c after
 * these are replaced: {name} the node's name (n1...), {addr} its address,
 * {data} its data directory (on faultfs), {cluster} the cluster's name,
 * {index} 1...N, and {peers}: the peer template expanded for every node,
 * comma-separated.
 */
struct fl_cluster_kind {
	const char *name;
	unsigned nodes;          /* default node count */
	unsigned min_nodes;
	const char *start;       /* runs in the foreground: the process is the service */
	const char *stop;        /* NULL: SIGTERM to every process of the node's cgroup */
	const char *health;      /* exit status 0 = healthy; NULL: running = healthy */
	const char *peer;        /* one node in {peers}; NULL = "{name}={addr}" */
	/* The leader's node index; NULL when the kind has none. */
	int (*leader)(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
		      char *errbuf, size_t errlen);
	/* The cluster's default name when the kind's is not one (NULL: name). */
	const char *cluster_name;
	/* -o of each node's faultfs, before the user's (e.g. allow_other). */
	const char *faultfs_opts;
	/*
	 * After every node's disk is mounted, before any starts: apply the
	 * config's settings (NULL: the kind takes none; settings are refused).
	 */
	int (*setup)(struct fl_cluster *c, const char *const *settings, char *errbuf,
		     size_t errlen);
	/* Make node i the leader (a replica's promotion); NULL: the kind has none. */
	int (*promote)(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		       size_t errlen);
	/* A client's workload spec for a node (<faultline/workload.h>); NULL: none. */
	const char *client;
	/* It elects a new leader by itself when one is lost (else: promote, by hand). */
	bool fails_over;
};

/* A built-in kind ("etcd"), or NULL. */
const struct fl_cluster_kind *fl_cluster_kind_find(const char *name);
/* Built-in kind i, NULL past the last. */
const struct fl_cluster_kind *fl_cluster_kind_at(size_t i);

struct fl_cluster_node {
	char name[16];           /* n1, n2, ... */
	char netns[64];          /* fl-<cluster>-<name> */
	char addr[16];           /* IPv4, dotted */
	char dir[PATH_MAX];      /* RUN/<cluster>/<name> */
	char data[PATH_MAX];     /* DIR/data, faultfs mounted over it */
	char log[PATH_MAX];      /* DIR/service.log: the start command's output */
	char cgroup[PATH_MAX];   /* cgroup v2 directory */
	char *start, *stop, *health;  /* expanded commands (stop, health may be NULL) */
	char *client;            /* its own client spec, expanded (NULL: the kind's) */
};

/*
 * One node's own commands and disk, for clusters whose nodes differ (a
 * scenario's own nodes). NULL fields: the kind's. Templates are expanded
 * as the kind's are.
 */
struct fl_cluster_node_cfg {
	const char *start, *stop, *health;
	const char *data;        /* its data directory, absolute (faultfs goes over it in place) */
	const char *client;      /* a client's workload spec template */
};

struct fl_cluster_config {
	const char *name;        /* default: the kind's name; [a-z0-9_], FL_CLUSTER_NAME_MAX */
	const struct fl_cluster_kind *kind;
	unsigned nodes;          /* 0 = the kind's */
	const char *subnet;      /* an IPv4 /24, default FL_CLUSTER_SUBNET */
	const char *run_dir;     /* default FL_CLUSTER_RUN_DIR */
	const char *faultfs_opts;/* -o of each node's faultfs (NULL = none) */
	int healthy_timeout_ms;  /* fl_cluster_up waits this long for health (0 = 30 s) */
	/* Per-node commands and disks, nodes entries (NULL = the kind's for all). */
	const struct fl_cluster_node_cfg *node_cfg;
	/* The kind's settings, "KEY=VALUE" each, NULL-terminated (NULL = none). */
	const char *const *settings;
	/* Progress lines ("node n1 up at 10.231.7.11"), may be NULL. */
	void (*progress)(void *arg, const char *msg);
	void *progress_arg;
};

/*
 * Build the cluster, start every node and wait until all are healthy. On
 * failure everything made is removed again. The cluster owns a state
 * session with its watchdog: if this process dies, the cluster goes.
 */
int fl_cluster_up(const struct fl_cluster_config *cfg, struct fl_cluster **ret,
		  char *errbuf, size_t errlen);
/*
 * Leave it running after this process: the watchdog stops without
 * undoing; `faultline cleanup` or fl_cluster_down() removes it later.
 * Frees c.
 */
int fl_cluster_release(struct fl_cluster *c);
/*
 * The cluster name left running under run_dir (NULL = default).
 * -ENOENT: none; -ESTALE: its records are gone (removed by cleanup).
 */
int fl_cluster_open(const char *run_dir, const char *name, struct fl_cluster **ret,
		    char *errbuf, size_t errlen);
/* The names of the clusters under run_dir (NULL = default); free each and the array. */
int fl_cluster_list(const char *run_dir, char ***ret_names, size_t *ret_n);
/*
 * Stop every node (gracefully, stop_timeout_ms each, then SIGKILL),
 * unmount, remove every recorded object and the run directory. Frees c,
 * even on failure (what could not be removed stays recorded for
 * `faultline cleanup`).
 */
int fl_cluster_down(struct fl_cluster *c, int stop_timeout_ms, char *errbuf, size_t errlen);
/* Free without touching anything (the cluster stays as it is). */
void fl_cluster_free(struct fl_cluster *c);

const char *fl_cluster_name(const struct fl_cluster *c);
const char *fl_cluster_kind_name(const struct fl_cluster *c);
/* The host's address on the cluster's subnet (.1). */
const char *fl_cluster_host_addr(const struct fl_cluster *c);
/* The state session directory holding the cluster's records. */
const char *fl_cluster_state_dir(const struct fl_cluster *c);
size_t fl_cluster_n_nodes(const struct fl_cluster *c);
const struct fl_cluster_node *fl_cluster_node(const struct fl_cluster *c, unsigned i);
/* The node named name ("n2"), or -ENOENT. */
int fl_cluster_node_index(const struct fl_cluster *c, const char *name, unsigned *ret);

/* The workload spec a client uses to write to node i; -EOPNOTSUPP: the kind has none. */
int fl_cluster_client_spec(const struct fl_cluster *c, unsigned i, char **ret);

/* Wait until every node that runs is healthy. -ETIMEDOUT. */
int fl_cluster_wait_healthy(struct fl_cluster *c, int timeout_ms, char *errbuf, size_t errlen);
/* The leader's index (kinds with a leader), -ENOENT when no node leads, -EOPNOTSUPP. */
int fl_cluster_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
		      char *errbuf, size_t errlen);

/*
 * Make node i the leader by hand (postgres-replica: pg_promote() on a
 * replica), waiting up to timeout_ms for it to take. -EOPNOTSUPP for a
 * kind that has no promotion (etcd, redis-replica fail over by themselves).
 */
int fl_cluster_promote(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		       size_t errlen);

/* --- node operations (node_ops.c) ------------------------------------------ */

/* Run the start command in the node's netns and cgroup, detached. -EALREADY if running. */
int fl_node_start(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen);
/* Graceful: the stop command, else SIGTERM; SIGKILL of the cgroup after timeout_ms. */
int fl_node_stop(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf, size_t errlen);
/* SIGKILL of every process of the node (cgroup.kill). */
int fl_node_crash(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen);
/* Freeze / thaw the node's cgroup (cgroup.freeze), waiting until it took effect. */
int fl_node_pause(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen);
int fl_node_resume(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen);
/* What a node's power cut undid on its faultfs (its "powercut" report). */
struct fl_node_powercut_report {
	uint64_t writes_undone;  /* unsynced writes rolled back */
	uint64_t bytes_undone;
	uint64_t names_undone;   /* creates, renames, unlinks whose directory was never fsynced */
};
/*
 * Power cut: SIGKILL of the cgroup, then a faultfs power cut of the data
 * dir (what was not fsynced is gone, names included in durability=strict),
 * after which the disk is back (resume): the node is down until
 * fl_node_start. ret (may be NULL) gets what the cut undid.
 */
int fl_node_powercut(struct fl_cluster *c, unsigned i, struct fl_node_powercut_report *ret,
		     char *errbuf, size_t errlen);
/* Stop (timeout_ms, 0 = crash) and start. */
int fl_node_restart(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		    size_t errlen);
/* Run the health command in the node (timeout_ms): 0 healthy, -EHOSTDOWN not, -ETIMEDOUT. */
int fl_node_health(const struct fl_cluster *c, unsigned i, int timeout_ms);
/* The node's processes (cgroup.procs), at most max; ret_n gets how many. */
int fl_node_pids(const struct fl_cluster *c, unsigned i, pid_t *pids, size_t max,
		 size_t *ret_n);
/* Frozen (cgroup.freeze 1)? */
bool fl_node_paused(const struct fl_cluster *c, unsigned i);

/* --- partitions (partition.c, through <faultline/net.h>) ------------------- */

struct fl_cluster_partition;
/*
 * Cut nodes a[] off from nodes b[] (both ways: each node of a drops what
 * it sends to or gets from b's addresses, on its own veth, in tc BPF).
 * st: the caller's state (NULL: one of the partition's own, with its
 * watchdog). It lasts until fl_cluster_heal (or this process's death).
 */
int fl_cluster_partition(struct fl_cluster *c, const unsigned *a, size_t na,
			 const unsigned *b, size_t nb, struct fl_state *st,
			 struct fl_cluster_partition **ret, char *errbuf, size_t errlen);
/* Packets the partition dropped so far (both ways, every node of a). */
int fl_cluster_partition_dropped(const struct fl_cluster_partition *p, uint64_t *ret);
/* Remove the partition and free it. NULL is fine. */
int fl_cluster_heal(struct fl_cluster_partition *p, char *errbuf, size_t errlen);

/* --- node faults with a rule (node_faults.c) ------------------------------- */

/*
 * A fault of one domain armed on one node, with a rule of that domain's
 * grammar (README: the rule grammar):
 *   FL_NODE_DISK     faultfs rules on the node's data dir ("write:error=ENOSPC",
 *                    "fsync:error=EIO", lying writes); the rule lives in the
 *                    node's faultfs daemon, so it is recorded in st
 *                    (<faultline/state.h>, faultfs-rule) right after it is armed;
 *   FL_NODE_SYSCALL  the syscall domain on the node's cgroup (every process of
 *                    the node, those it starts later included), through the
 *                    BPF mechanism fl_syscall_plan picks; its links die with
 *                    this process;
 *   FL_NODE_NET      a net rule on the node's veth (tc BPF, in its netns),
 *                    qdisc and filters recorded in st.
 * It lasts until fl_node_fault_clear, or this process's death (the
 * watchdog of st, or `faultline cleanup`, clears it).
 */
enum fl_node_fault_kind {
	FL_NODE_DISK = 1,
	FL_NODE_SYSCALL,
	FL_NODE_NET,
};

struct fl_node_fault;
struct fl_rule_error;

/* "disk", "syscall", "net" (NULL for another value). */
const char *fl_node_fault_kind_name(enum fl_node_fault_kind kind);
/*
 * Split "disk=RULE" into its kind and rule (a pointer into spec). -EINVAL
 * when the word before '=' is not a kind or the rule is empty.
 */
int fl_node_fault_spec(const char *spec, enum fl_node_fault_kind *ret_kind,
		       const char **ret_rule);

/*
 * Arm rule (one rule of kind's domain) on node i. The rule is parsed and
 * checked by its domain's parser: -EINVAL or -EOPNOTSUPP with rerr (may be
 * NULL) holding the column in rule and why, and errbuf saying it too.
 * st: the caller's state (its watchdog running); NULL: one of the
 * fault's own, with its watchdog, closed by fl_node_fault_clear.
 */
int fl_node_fault_arm(struct fl_cluster *c, unsigned i, enum fl_node_fault_kind kind,
		      const char *rule, struct fl_state *st, struct fl_node_fault **ret,
		      struct fl_rule_error *rerr, char *errbuf, size_t errlen);

/* What a fault did so far, as its domain counts it. */
struct fl_node_fault_stats {
	enum fl_node_fault_kind kind;
	char node[16];
	char rule[256];          /* the rule text as given (cut to fit) */
	char mechanism[32];      /* "faultfs", "tc-bpf", or the syscall mechanism */
	uint64_t matched;        /* calls (disk, syscall) or packets (net) the rule saw */
	uint64_t injected;       /* faults applied */
	uint64_t armed_ns;       /* CLOCK_MONOTONIC when it was armed */
};

/* What carries the fault ("faultfs", "tc-bpf", or the syscall mechanism); asks nobody. */
const char *fl_node_fault_mechanism(const struct fl_node_fault *f);
/* The counters now (a disk fault asks faultfs: -errno if it does not answer). */
int fl_node_fault_stats(const struct fl_node_fault *f, struct fl_node_fault_stats *ret);
/*
 * Disarm, forget its records, and free f (even on failure; what could not
 * be removed stays recorded). ret (may be NULL) gets the last counters,
 * read before the disarm. NULL f is fine.
 */
int fl_node_fault_clear(struct fl_node_fault *f, struct fl_node_fault_stats *ret,
			char *errbuf, size_t errlen);

#endif /* FAULTLINE_CLUSTER_H */
