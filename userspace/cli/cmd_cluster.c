// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline cluster up|status|down: bring a cluster of nodes (netns +
 * cgroup + faultfs, <faultline/cluster.h>) up to play with by hand, look
 * at it, and remove it. `up` leaves it running after it exits; `down` or
 * `faultline cleanup` removes it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <faultline/cluster.h>
#include <faultline/rule.h>

#include "cli.h"
#include "cluster_fault.h"
#include "core/clock.h"

#define STATUS_HEALTH_MS 2000
#define DOWN_STOP_MS     10000

struct cluster_opts {
	const char *name, *subnet, *run_dir, *faultfs_opts;
	const char *start, *stop, *health;  /* the exec kind's commands */
	const char *settings[33];           /* --set KEY=VALUE, NULL-terminated */
	size_t n_settings;
	unsigned nodes;
	int timeout_ms;
	bool json;
};

/* Long only: no short letter to collide with a global option. */
enum { O_NAME = 256, O_NODES, O_SUBNET, O_RUN_DIR, O_FAULTFS_OPTS, O_TIMEOUT, O_START,
       O_STOP, O_HEALTH, O_SET };

static const struct option up_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "nodes", required_argument, NULL, O_NODES },
	{ "subnet", required_argument, NULL, O_SUBNET },
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "faultfs-opts", required_argument, NULL, O_FAULTFS_OPTS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "start", required_argument, NULL, O_START },
	{ "stop", required_argument, NULL, O_STOP },
	{ "health", required_argument, NULL, O_HEALTH },
	{ "set", required_argument, NULL, O_SET },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option status_opts[] = {
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option down_opts[] = {
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage_up(FILE *out);
static void usage_status(FILE *out);
static void usage_down(FILE *out);

static const struct {
	const char *name;
	const struct option *opts;
	void (*usage)(FILE *out);
} verbs[] = {
	{ "up", up_opts, usage_up },
	{ "status", status_opts, usage_status },
	{ "down", down_opts, usage_down },
};

const char *fl_cluster_verb(size_t i, const struct option **opts)
{
	if (i >= sizeof(verbs) / sizeof(verbs[0]))
		return fl_cluster_fault_verb(i - sizeof(verbs) / sizeof(verbs[0]), opts);
	*opts = verbs[i].opts;
	return verbs[i].name;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster up KIND [OPTIONS]\n"
		"       faultline cluster status [NAME] [OPTIONS]\n"
		"       faultline cluster down [NAME] [OPTIONS]\n"
		"       faultline cluster fault [--name NAME] NODE KIND=RULE... [--for DUR]\n"
		"       faultline cluster partition [--name NAME] NODE... [--from NODE...] [--for DUR]\n"
		"       faultline cluster node [--name NAME] NODE ACTION\n"
		"\n"
		"A node is a network namespace fl-NAME-nI on a bridge (in the netns\n"
		"fl-NAME-hub), with its own address, a cgroup, and a faultfs over its data\n"
		"directory; its service runs inside both. The host reaches the nodes\n"
		"through one veth, flc-NAME, holding the subnet's .1; node I has .(10+I).\n"
		"\n"
		"  up      build the cluster, start every node, wait until all are healthy,\n"
		"          print the nodes, and leave it running ('down' or 'faultline\n"
		"          cleanup' removes it). Kinds: etcd (3 nodes, etcd-server 3.4),\n"
		"          postgres-replica (2 nodes: a primary and streaming replicas),\n"
		"          postgres-patroni (3 nodes: patroni and an etcd member each,\n"
		"          automatic failover),\n"
		"          redis-replica (3 nodes: a master, replicas and a sentinel each).\n"
		"  status  each node's address, processes and health, and the leader\n"
		"  down    stop every node and remove everything the cluster made\n"
		"  fault   hold disk=, syscall= or net= rule faults on a node, then clear\n"
		"  partition  cut nodes off from others, hold, then heal\n"
		"  node    crash, stop, start, restart, pause, resume, powercut a node,\n"
		"          or ask its health\n"
		"\n"
		"'faultline cluster COMMAND --help' describes each.\n");
}

static void usage_up(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster up KIND [--name NAME] [--nodes N] [--subnet A.B.C.0/24]\n"
		"                           [--run-dir DIR] [--faultfs-opts OPTS] [--timeout DUR]\n"
		"                           [--set KEY=VALUE]... [--json]\n"
		"       faultline cluster up exec --start CMD [--stop CMD] [--health CMD] [OPTIONS]\n"
		"\n"
		"Build the cluster (hub netns and bridge, a netns, veth, cgroup and faultfs\n"
		"data dir per node), start every node, wait until all are healthy, print\n"
		"the nodes with their addresses and pids, and exit leaving it running:\n"
		"'faultline cluster down NAME' or 'faultline cleanup' removes it.\n"
		"Kinds:\n"
		"  etcd              3 nodes, etcd-server 3.4; a write is acknowledged after\n"
		"                    the raft commit\n"
		"  postgres-replica  2 nodes, PostgreSQL: n1 the primary, the others\n"
		"                    replicas by pg_basebackup -R, streaming (async; sync\n"
		"                    with --set synchronous_standby_names=*); no automatic\n"
		"                    failover: the library's fl_cluster_promote() promotes\n"
		"  postgres-patroni  3 nodes, patroni (Debian patroni) managing PostgreSQL,\n"
		"                    an etcd member in every node as its store; patroni\n"
		"                    elects the leader and fails over by itself (about\n"
		"                    11 s after the leader's crash: ttl 10 s); a setting\n"
		"                    is patroni's (ttl, loop_wait, retry_timeout,\n"
		"                    synchronous_mode, ...) or a PostgreSQL parameter\n"
		"  redis-replica     3 nodes, redis-server: n1 the master, the others\n"
		"                    replicas, and a sentinel on :26379 in every node\n"
		"                    (majority quorum, down after 1 s) that fails over\n"
		"                    by itself; a node's crash kills its sentinel too\n"
		"  exec              your own commands (--start, --stop, --health), run\n"
		"                    with /bin/sh -c in each node after {name} {addr}\n"
		"                    {data} {cluster} {index} and {peers} (every node\n"
		"                    as NAME=ADDR) are replaced\n"
		"A failed up removes what it made.\n"
		"\n"
		"  --name NAME         cluster name (default: etcd, pg, pgp, redis, exec),\n"
		"                      1-%d of a-z 0-9 _\n"
		"  --nodes N           node count (default: the kind's; at most %d)\n"
		"  --subnet NET        the nodes' /24 (default %s)\n"
		"  --run-dir DIR       where data dirs and logs go (default %s)\n"
		"  --faultfs-opts OPTS -o of each node's faultfs (e.g. durability=data)\n"
		"  --timeout DUR       how long to wait for health (default 30s)\n"
		"  --start CMD         exec: the service, in the foreground (required)\n"
		"  --stop CMD          exec: a graceful stop (default: SIGTERM to the node)\n"
		"  --health CMD        exec: exit 0 when healthy (default: running = healthy)\n"
		"  --set KEY=VALUE     a setting of the kind (repeatable): postgres-replica,\n"
		"                      a line of the primary's postgresql.conf;\n"
		"                      postgres-patroni, a key of patroni's bootstrap.dcs or\n"
		"                      a PostgreSQL parameter; redis-replica, a redis-server\n"
		"                      directive on every node\n"
		"  -j, --json          machine-readable output\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status: 0 up and healthy, 1 failure (nothing is left), 2 bad usage.\n",
		FL_CLUSTER_NAME_MAX, FL_CLUSTER_MAX_NODES, FL_CLUSTER_SUBNET, FL_CLUSTER_RUN_DIR);
}

static void usage_status(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster status [NAME] [--run-dir DIR] [--json]\n"
		"\n"
		"Each node's address, processes, health (healthy, unhealthy, not answering,\n"
		"paused, down) and the leader; without NAME, every cluster under DIR.\n"
		"\n"
		"  --run-dir DIR  where 'up' put them (default %s)\n"
		"  -j, --json     machine-readable output\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 every node healthy, 1 a node is not (or no such cluster),\n"
		"2 bad usage.\n", FL_CLUSTER_RUN_DIR);
}

static void usage_down(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster down [NAME] [--run-dir DIR] [--timeout DUR] [--json]\n"
		"\n"
		"Stop every node (its stop command, or SIGTERM; SIGKILL of its cgroup after\n"
		"the timeout), unmount the data dirs, and remove every netns, veth, bridge\n"
		"and cgroup of the cluster, and its run directory. NAME may be left out\n"
		"when one cluster is up.\n"
		"\n"
		"  --run-dir DIR  where 'up' put it (default %s)\n"
		"  --timeout DUR  graceful stop of each node (default 10s)\n"
		"  -j, --json     machine-readable output\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 removed, 1 something could not be (it stays recorded for\n"
		"'faultline cleanup'), 2 bad usage.\n", FL_CLUSTER_RUN_DIR);
}

static void on_progress(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "cluster: %s\n", msg);
}

static int parse(int argc, char **argv, const struct option *opts, void (*help)(FILE *),
		 struct cluster_opts *o)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		uint64_t ns;
		char *end;
		long v;

		switch (c) {
		case O_NAME:
			o->name = optarg;
			break;
		case O_NODES:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > FL_CLUSTER_MAX_NODES)
				return fl_cli_bad("cluster: --nodes '%s': give 1 to %d", optarg,
						  FL_CLUSTER_MAX_NODES);
			o->nodes = (unsigned)v;
			break;
		case O_SUBNET:
			o->subnet = optarg;
			break;
		case O_RUN_DIR:
			o->run_dir = optarg;
			break;
		case O_FAULTFS_OPTS:
			o->faultfs_opts = optarg;
			break;
		case O_START:
			o->start = optarg;
			break;
		case O_STOP:
			o->stop = optarg;
			break;
		case O_HEALTH:
			o->health = optarg;
			break;
		case O_SET:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return fl_cli_bad("cluster: --set '%s': give KEY=VALUE", optarg);
			if (o->n_settings + 1 >= sizeof(o->settings) / sizeof(o->settings[0]))
				return fl_cli_bad("cluster: at most %zu --set",
						  sizeof(o->settings) / sizeof(o->settings[0]) - 1);
			o->settings[o->n_settings++] = optarg;
			break;
		case O_TIMEOUT:
			if (fl_parse_duration(optarg, &ns) || ns < 1000000ull || ns > 3600000000000ull)
				return fl_cli_bad("cluster: --timeout '%s': give a duration (1ms to 1h)",
						  optarg);
			o->timeout_ms = (int)(ns / 1000000ull);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			help(stdout);
			return 1;
		case ':':
			return fl_cli_bad("cluster: %s needs a value", argv[optind - 1]);
		default:
			return fl_cli_bad("cluster: unknown option '%s' (see faultline cluster --help)",
					  argv[optind - 1]);
		}
	}
	return 0;
}

static const char *health_word(const struct fl_cluster *c, unsigned i, int h)
{
	size_t n = 0;

	if (fl_node_pids(c, i, NULL, 0, &n) || !n)
		return "down";
	if (fl_node_paused(c, i))
		return "paused";
	return h == 0 ? "healthy" : h == -ETIMEDOUT ? "not answering" : "unhealthy";
}

/* Print the cluster; returns how many nodes are not healthy. */
static unsigned show(const struct fl_cluster *c, bool json, double up_ms, json_t *arr)
{
	unsigned sick = 0, leader = 0;
	bool has_leader = false;
	char why[256] = "";
	json_t *o = NULL, *nodes = NULL;
	int health[FL_CLUSTER_MAX_NODES];

	for (unsigned i = 0; i < fl_cluster_n_nodes(c); i++) {
		/* A frozen node would take the whole timeout: it is paused, not asked. */
		health[i] = fl_node_paused(c, i) ? -EHOSTDOWN : fl_node_health(c, i, STATUS_HEALTH_MS);
		if (health[i])
			sick++;
	}
	if (fl_cluster_leader(c, 1000, &leader, why, sizeof(why)) == 0)
		has_leader = true;
	if (json) {
		nodes = json_array();
		o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s?}", "name", fl_cluster_name(c),
			      "kind", fl_cluster_kind_name(c), "host_addr", fl_cluster_host_addr(c),
			      "state_dir", fl_cluster_state_dir(c), "nodes", nodes,
			      "leader", has_leader ? fl_cluster_node(c, leader)->name : NULL);
		if (o && up_ms >= 0)
			json_object_set_new(o, "up_ms", json_real(up_ms));
	} else {
		printf("cluster %s (%s): host %s\n", fl_cluster_name(c), fl_cluster_kind_name(c),
		       fl_cluster_host_addr(c));
	}
	for (unsigned i = 0; i < fl_cluster_n_nodes(c); i++) {
		const struct fl_cluster_node *n = fl_cluster_node(c, i);
		pid_t pids[64];
		size_t np = 0;
		const char *word = health_word(c, i, health[i]);

		fl_node_pids(c, i, pids, 64, &np);
		if (json) {
			json_t *jp = json_array();
			json_t *jn;

			for (size_t k = 0; k < np && k < 64; k++)
				json_array_append_new(jp, json_integer(pids[k]));
			jn = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b}", "name", n->name,
				       "addr", n->addr, "netns", n->netns, "cgroup", n->cgroup,
				       "data", n->data, "log", n->log, "pids", jp, "health", word,
				       "leader", has_leader && leader == i);
			json_array_append_new(nodes, jn);
		} else {
			printf("  %-4s %-15s %-8s pid", n->name, n->addr, word);
			if (!np)
				printf(" -");
			for (size_t k = 0; k < np && k < 64; k++)
				printf("%s%d", k ? "," : " ", (int)pids[k]);
			printf("%s  netns %s  data %s\n", has_leader && leader == i ? "  LEADER" : "",
			       n->netns, n->data);
		}
	}
	if (json) {
		json_array_append_new(arr, o);
	} else {
		if (up_ms >= 0)
			printf("healthy in %.0f ms\n", up_ms);
		if (!has_leader && strcmp(why, "") && fl_cluster_kind_find(fl_cluster_kind_name(c)) &&
		    fl_cluster_kind_find(fl_cluster_kind_name(c))->leader)
			printf("leader: none (%s)\n", why);
	}
	return sick;
}

static int print_json(json_t *arr, bool one)
{
	int err = json_dumpf(one ? json_array_get(arr, 0) : arr, stdout, JSON_COMPACT);

	if (!err)
		fputc('\n', stdout);
	json_decref(arr);
	return err ? 1 : 0;
}

/* A kind made of the user's own commands (templates as a built-in kind's). */
static struct fl_cluster_kind exec_kind = { .name = "exec", .nodes = 3, .min_nodes = 1 };

static int do_up(int argc, char **argv, struct cluster_opts *o)
{
	struct fl_cluster_config cfg = { .progress = on_progress };
	struct fl_cluster *c = NULL;
	char why[512] = "";
	uint64_t t0;
	int err;

	if (optind >= argc) {
		fl_cli_bad("cluster up: which KIND? (etcd, postgres-replica, postgres-patroni, "
			   "redis-replica, exec)");
		return 2;
	}
	if (!strcmp(argv[optind], "exec")) {
		if (!o->start) {
			fl_cli_bad("cluster up exec: --start CMD is required");
			return 2;
		}
		exec_kind.start = o->start;
		exec_kind.stop = o->stop;
		exec_kind.health = o->health;
		cfg.kind = &exec_kind;
	} else if (o->start || o->stop || o->health) {
		fl_cli_bad("cluster up: --start, --stop and --health are for the exec kind");
		return 2;
	} else {
		cfg.kind = fl_cluster_kind_find(argv[optind]);
	}
	if (!cfg.kind) {
		fl_cli_bad("cluster up: unknown kind '%s' (built in: etcd, postgres-replica, "
			   "postgres-patroni, redis-replica; or exec)", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		fl_cli_bad("cluster up: unexpected argument '%s'", argv[optind + 1]);
		return 2;
	}
	cfg.name = o->name;
	cfg.nodes = o->nodes;
	cfg.subnet = o->subnet;
	cfg.run_dir = o->run_dir;
	cfg.faultfs_opts = o->faultfs_opts;
	cfg.healthy_timeout_ms = o->timeout_ms;
	cfg.settings = o->n_settings ? o->settings : NULL;
	t0 = fl_now_ns();
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err) {
		fl_cli_error("cluster up: %s", why[0] ? why : strerror(-err));
		/* A bad name, node count or subnet is refused before anything is made. */
		return err == -EINVAL ? 2 : 1;
	}
	if (o->json) {
		json_t *arr = json_array();

		show(c, true, (double)(fl_now_ns() - t0) / 1e6, arr);
		err = print_json(arr, true);
	} else {
		show(c, false, (double)(fl_now_ns() - t0) / 1e6, NULL);
		printf("left running: 'faultline cluster down %s' removes it\n", fl_cluster_name(c));
	}
	err = fl_cluster_release(c) ? 1 : err;
	return err;
}

static int do_status(int argc, char **argv, struct cluster_opts *o)
{
	char **names = NULL, why[512] = "";
	size_t n = 0;
	unsigned sick = 0;
	json_t *arr = json_array();
	int rc = 0, err;

	if (optind < argc) {
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(argv[optind])))
			return 1;
		n = 1;
	} else if ((err = fl_cluster_list(o->run_dir, &names, &n))) {
		fl_cli_error("cluster status: %s", strerror(-err));
		return 1;
	}
	if (!n && !o->json)
		printf("no cluster is up\n");
	for (size_t i = 0; i < n; i++) {
		struct fl_cluster *c = NULL;

		err = fl_cluster_open(o->run_dir, names[i], &c, why, sizeof(why));
		if (err) {
			fl_cli_error("cluster status: %s", why);
			rc = 1;
		} else {
			sick += show(c, o->json, -1, arr);
			fl_cluster_free(c);
		}
		free(names[i]);
	}
	free(names);
	if (o->json)
		rc = print_json(arr, optind < argc) ? 1 : rc;
	else
		json_decref(arr);
	return rc ? rc : sick ? 1 : 0;
}

static int do_down(int argc, char **argv, struct cluster_opts *o)
{
	struct fl_cluster *c = NULL;
	char **names = NULL, why[512] = "", name[32];
	size_t n = 0;
	uint64_t t0;
	int err;

	if (optind < argc) {
		snprintf(name, sizeof(name), "%s", argv[optind]);
	} else {
		err = fl_cluster_list(o->run_dir, &names, &n);
		if (!err && n == 0) {
			fl_cli_error("cluster down: no cluster is up under %s",
				     o->run_dir ? o->run_dir : FL_CLUSTER_RUN_DIR);
			err = -ENOENT;
		} else if (!err && n > 1) {
			fl_cli_bad("cluster down: several clusters are up: name one");
			err = -EINVAL;
		}
		if (!err)
			snprintf(name, sizeof(name), "%s", names[0]);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (err)
			return err == -EINVAL ? 2 : 1;
	}
	err = fl_cluster_open(o->run_dir, name, &c, why, sizeof(why));
	if (err) {
		fl_cli_error("cluster down: %s", why);
		return 1;
	}
	fprintf(stderr, "cluster: stopping the %zu node%s of %s\n", fl_cluster_n_nodes(c),
		fl_cluster_n_nodes(c) == 1 ? "" : "s", name);
	t0 = fl_now_ns();
	err = fl_cluster_down(c, o->timeout_ms > 0 ? o->timeout_ms : DOWN_STOP_MS, why, sizeof(why));
	if (err) {
		fl_cli_error("cluster down %s: %s (what is left stays recorded for 'faultline "
			     "cleanup')", name, why[0] ? why : strerror(-err));
		return 1;
	}
	if (o->json)
		printf("{\"name\":\"%s\",\"removed\":true,\"down_ms\":%.1f}\n", name,
		       (double)(fl_now_ns() - t0) / 1e6);
	else
		printf("cluster %s removed in %.0f ms\n", name, (double)(fl_now_ns() - t0) / 1e6);
	return 0;
}

int cmd_cluster(int argc, char **argv, const struct fl_cli *cli)
{
	struct cluster_opts o = { .json = cli && cli->json };
	const char *verb;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	verb = argv[1];
	if (fl_cluster_fault_is_verb(verb))
		return fl_cluster_fault_cmd(argc - 1, argv + 1, cli);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].name))
			continue;
		r = parse(argc - 1, argv + 1, verbs[i].opts, verbs[i].usage, &o);
		if (r > 0)
			return 0;  /* --help */
		if (r < 0)
			return 2;
		optind += 1;  /* parse saw argv + 1 */
		if (!strcmp(verb, "up"))
			return do_up(argc, argv, &o);
		if (!strcmp(verb, "status"))
			return do_status(argc, argv, &o);
		return do_down(argc, argv, &o);
	}
	fl_cli_bad("cluster: unknown command '%s' (up, status, down, fault, partition, node)",
		   verb);
	return 2;
}
