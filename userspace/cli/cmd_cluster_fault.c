// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline cluster fault|partition|node: faults on the nodes of a
 * cluster left running by `faultline cluster up`. A rule fault and a
 * partition live as long as the process that holds them, so these verbs
 * hold them until --for passes or SIGINT/SIGTERM/SIGHUP, clear them, and
 * print what was injected. Everything they install is recorded in a state
 * session of their own, whose watchdog clears it if they are killed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <faultline/cluster.h>
#include <faultline/rule.h>
#include <faultline/state.h>

#include "cluster_fault.h"
#include "core/clock.h"

#define MAX_FAULTS     8
#define NODE_STOP_MS   10000
#define NODE_HEALTH_MS 5000

enum { O_NAME = 256, O_RUN_DIR, O_FOR, O_FROM, O_TIMEOUT };

struct cf_opts {
	const char *name, *run_dir;
	const char *from[FL_CLUSTER_MAX_NODES];
	size_t n_from;
	uint64_t for_ns;         /* 0: until a signal */
	int timeout_ms;
	bool json;
};

static const struct option fault_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "for", required_argument, NULL, O_FOR },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option partition_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "from", required_argument, NULL, O_FROM },
	{ "for", required_argument, NULL, O_FOR },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option node_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage_fault(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster fault [--name NAME] NODE KIND=RULE... [--for DUR]\n"
		"                               [--run-dir DIR] [--json]\n"
		"\n"
		"Arm rule faults on node NODE (n1, n2, ...) of a cluster left running by\n"
		"'faultline cluster up', hold them until --for passes or SIGINT, SIGTERM or\n"
		"SIGHUP comes, clear them, and print what each injected. KIND is:\n"
		"  disk=RULE     a faultfs rule on the node's data dir, as 'faultline fs\n"
		"                fault' takes it: write:error=ENOSPC, fsync:error=EIO,\n"
		"                write:drop (a lying disk: acknowledged, never durable)\n"
		"  syscall=RULE  a syscall rule on every process of the node's cgroup, as\n"
		"                'faultline syscall' takes it on a cgroup: fsync:delay=2ms,\n"
		"                fdatasync:pause=1s, write:signal=SIGKILL:when=100; error=\n"
		"                needs BPF LSM or fmod_ret, except on socket calls\n"
		"  net=RULE      a net rule on the node's veth (tc BPF, in its netns), as\n"
		"                'faultline net' takes it on a device: ip:drop:prob=30%%,\n"
		"                tcp:reset:dport=2380; delay= and rate= are refused\n"
		"Each rule is checked by its domain's parser first: a bad one is refused\n"
		"at its column and nothing is armed. The faults are recorded in a state\n"
		"session: if faultline is killed, its watchdog clears them ('faultline\n"
		"cleanup' too).\n"
		"\n"
		"  --name NAME    the cluster (default: the one cluster that is up)\n"
		"  --for DUR      clear after DUR (default: hold until a signal)\n"
		"  --run-dir DIR  where 'up' put it (default %s)\n"
		"  -j, --json     print the result as one JSON object\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 armed, held and cleared, 1 failure, 2 bad usage or a bad rule.\n",
		FL_CLUSTER_RUN_DIR);
}

static void usage_partition(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster partition [--name NAME] NODE[,NODE]... [--from NODE[,NODE]...]\n"
		"                                   [--for DUR] [--run-dir DIR] [--json]\n"
		"\n"
		"Cut the NODEs off from the --from nodes (default: every other node), both\n"
		"ways: each NODE drops what it sends to or gets from their addresses, on\n"
		"its own veth (tc BPF). Hold the partition until --for passes or SIGINT,\n"
		"SIGTERM or SIGHUP comes, heal it, and print how many packets it dropped.\n"
		"Nodes may be given comma-separated or as separate words; --from repeats.\n"
		"\n"
		"  --name NAME          the cluster (default: the one cluster that is up)\n"
		"  --from NODE[,NODE]   the other side (default: every node not cut off)\n"
		"  --for DUR            heal after DUR (default: hold until a signal)\n"
		"  --run-dir DIR        where 'up' put it (default %s)\n"
		"  -j, --json           print the result as one JSON object\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status: 0 cut, held and healed, 1 failure, 2 bad usage.\n",
		FL_CLUSTER_RUN_DIR);
}

static void usage_node(FILE *out)
{
	fprintf(out,
		"Usage: faultline cluster node [--name NAME] NODE ACTION [--timeout DUR]\n"
		"                              [--run-dir DIR] [--json]\n"
		"\n"
		"One action on node NODE, done when it returns (the node stays as left):\n"
		"  crash     SIGKILL of every process of the node (cgroup.kill)\n"
		"  stop      the kind's stop command, else SIGTERM; SIGKILL after --timeout\n"
		"  start     run the start command again\n"
		"  restart   stop (--timeout) and start\n"
		"  pause     freeze the node's cgroup\n"
		"  resume    thaw it\n"
		"  powercut  SIGKILL, then a faultfs power cut: what was not fsynced is\n"
		"            gone; the node stays down until 'start'\n"
		"  health    run the health command: exit 0 healthy, 1 not\n"
		"\n"
		"  --name NAME    the cluster (default: the one cluster that is up)\n"
		"  --timeout DUR  graceful stop (stop, restart; default 10s), health (5s)\n"
		"  --run-dir DIR  where 'up' put it (default %s)\n"
		"  -j, --json     print the result as one JSON object\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 done (health: healthy), 1 failure (health: not healthy),\n"
		"2 bad usage.\n", FL_CLUSTER_RUN_DIR);
}

static const struct {
	const char *name;
	const struct option *opts;
	void (*usage)(FILE *out);
} verbs[] = {
	{ "fault", fault_opts, usage_fault },
	{ "partition", partition_opts, usage_partition },
	{ "node", node_opts, usage_node },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

const char *fl_cluster_fault_verb(size_t i, const struct option **opts)
{
	if (i >= N_VERBS)
		return NULL;
	*opts = verbs[i].opts;
	return verbs[i].name;
}

int fl_cluster_fault_is_verb(const char *verb)
{
	for (size_t i = 0; i < N_VERBS; i++)
		if (!strcmp(verb, verbs[i].name))
			return 1;
	return 0;
}

static int parse(int argc, char **argv, const char *verb, const struct option *opts,
		 void (*help)(FILE *), struct cf_opts *o)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		uint64_t ns;

		switch (c) {
		case O_NAME:
			o->name = optarg;
			break;
		case O_RUN_DIR:
			o->run_dir = optarg;
			break;
		case O_FOR:
			if (fl_parse_duration(optarg, &ns) || ns < 1000000ull ||
			    ns > 7 * 24 * 3600000000000ull)
				return fl_cli_bad("cluster %s: --for '%s': give a duration (1ms to 7d)",
						  verb, optarg);
			o->for_ns = ns;
			break;
		case O_TIMEOUT:
			if (fl_parse_duration(optarg, &ns) || ns < 1000000ull || ns > 3600000000000ull)
				return fl_cli_bad("cluster %s: --timeout '%s': give a duration (1ms to 1h)",
						  verb, optarg);
			o->timeout_ms = (int)(ns / 1000000ull);
			break;
		case O_FROM:
			if (o->n_from == FL_CLUSTER_MAX_NODES)
				return fl_cli_bad("cluster %s: at most %d --from", verb,
						  FL_CLUSTER_MAX_NODES);
			o->from[o->n_from++] = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			help(stdout);
			return 1;
		case ':':
			return fl_cli_bad("cluster %s: %s needs a value", verb, argv[optind - 1]);
		default:
			return fl_cli_bad("cluster %s: unknown option '%s' (see faultline cluster %s "
					  "--help)", verb, argv[optind - 1], verb);
		}
	}
	return 0;
}

/* The cluster named, or the only one up. 0, or an exit status. */
static int open_cluster(const char *verb, const struct cf_opts *o, struct fl_cluster **ret)
{
	char **names = NULL, why[512] = "", name[32] = "";
	size_t n = 0;
	int err;

	if (o->name) {
		snprintf(name, sizeof(name), "%s", o->name);
	} else {
		err = fl_cluster_list(o->run_dir, &names, &n);
		if (err)
			fl_cli_error("cluster %s: %s", verb, strerror(-err));
		else if (!n)
			fl_cli_error("cluster %s: no cluster is up under %s", verb,
				     o->run_dir ? o->run_dir : FL_CLUSTER_RUN_DIR);
		else if (n > 1)
			fl_cli_bad("cluster %s: several clusters are up: name one with --name", verb);
		if (!err && n == 1)
			snprintf(name, sizeof(name), "%s", names[0]);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (err || n != 1)
			return n > 1 ? 2 : 1;
	}
	err = fl_cluster_open(o->run_dir, name, ret, why, sizeof(why));
	if (err) {
		fl_cli_error("cluster %s: %s", verb, why[0] ? why : strerror(-err));
		return 1;
	}
	return 0;
}

static int node_index(const char *verb, const struct fl_cluster *c, const char *name,
		      unsigned *ret)
{
	if (!fl_cluster_node_index(c, name, ret))
		return 0;
	fl_cli_bad("cluster %s: no node '%s' in cluster %s (n1 to n%zu)", verb, name,
		   fl_cluster_name(c), fl_cluster_n_nodes(c));
	return -EINVAL;
}

/* Wait for --for or a stop signal (blocked by the caller); "for" or the signal's name. */
static const char *hold(const sigset_t *stop, uint64_t for_ns)
{
	uint64_t end = for_ns ? fl_now_ns() + for_ns : 0;

	for (;;) {
		struct timespec ts = { .tv_sec = 3600 };
		int sig;

		if (end) {
			uint64_t now = fl_now_ns();

			if (now >= end)
				return "for";
			ts.tv_sec = (time_t)((end - now) / 1000000000ull);
			ts.tv_nsec = (long)((end - now) % 1000000000ull);
		}
		sig = sigtimedwait(stop, NULL, &ts);
		if (sig == SIGINT)
			return "SIGINT";
		if (sig == SIGTERM)
			return "SIGTERM";
		if (sig == SIGHUP)
			return "SIGHUP";
	}
}

/* Block the stop signals from here on, so none is lost while arming. */
static void block_stop(sigset_t *stop, sigset_t *old)
{
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGHUP);
	sigprocmask(SIG_BLOCK, stop, old);
}

/* A state session with its watchdog, for what the verb installs. */
static int open_state(const char *verb, struct fl_state **ret)
{
	int err = fl_state_open(NULL, ret);

	if (!err) {
		err = fl_state_watchdog_start(*ret);
		if (err)
			fl_state_close(*ret);
	}
	if (err)
		fl_cli_error("cluster %s: cannot open a state session: %s", verb, strerror(-err));
	return err;
}

static json_t *stats_json(const struct fl_node_fault_stats *s)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "kind", fl_node_fault_kind_name(s->kind),
			 "node", s->node, "rule", s->rule, "mechanism", s->mechanism,
			 "matched", (json_int_t)s->matched, "injected", (json_int_t)s->injected);
}

static int do_fault(int argc, char **argv, struct cf_opts *o)
{
	struct fl_node_fault *f[MAX_FAULTS] = { 0 };
	struct fl_node_fault_stats res[MAX_FAULTS];
	enum fl_node_fault_kind kinds[MAX_FAULTS];
	const char *rules[MAX_FAULTS], *ended = "error";
	struct fl_cluster *c = NULL;
	struct fl_state *st = NULL;
	sigset_t stop, old;
	size_t nf = 0, armed = 0;
	char why[512] = "";
	uint64_t t0 = 0, held_ns = 0;
	unsigned node;
	int rc;

	if (optind >= argc) {
		fl_cli_bad("cluster fault: which NODE? (n1, n2, ...)");
		return 2;
	}
	if (optind + 1 >= argc) {
		fl_cli_bad("cluster fault: no fault given (disk=RULE, syscall=RULE or net=RULE)");
		return 2;
	}
	for (int a = optind + 1; a < argc; a++) {
		if (nf == MAX_FAULTS) {
			fl_cli_bad("cluster fault: at most %d faults at once", MAX_FAULTS);
			return 2;
		}
		if (fl_node_fault_spec(argv[a], &kinds[nf], &rules[nf])) {
			fl_cli_bad("cluster fault: '%s': give disk=RULE, syscall=RULE or net=RULE",
				   argv[a]);
			return 2;
		}
		nf++;
	}
	rc = open_cluster("fault", o, &c);
	if (rc)
		return rc;
	if (node_index("fault", c, argv[optind], &node)) {
		fl_cluster_free(c);
		return 2;
	}
	block_stop(&stop, &old);
	if (open_state("fault", &st)) {
		rc = 1;
		goto out;
	}
	for (size_t k = 0; k < nf; k++) {
		int err = fl_node_fault_arm(c, node, kinds[k], rules[k], st, &f[k], NULL, why,
					    sizeof(why));

		if (err) {
			fl_cli_error("cluster fault: %s", why);
			rc = err == -EINVAL || err == -EOPNOTSUPP || err == -E2BIG ? 2 : 1;
			goto out;
		}
		armed++;
		fprintf(stderr, "cluster: %s fault armed on %s of %s: %s\n",
			fl_node_fault_kind_name(kinds[k]), argv[optind], fl_cluster_name(c),
			rules[k]);
	}
	t0 = fl_now_ns();
	ended = hold(&stop, o->for_ns);
	held_ns = fl_now_ns() - t0;
out:
	/* Cleared newest first, each counted just before. */
	for (size_t k = armed; k-- > 0;) {
		if (fl_node_fault_clear(f[k], &res[k], why, sizeof(why))) {
			fl_cli_error("cluster fault: clearing %s=%s: %s (it stays recorded for "
				     "'faultline cleanup')", fl_node_fault_kind_name(kinds[k]),
				     rules[k], why);
			rc = rc ? rc : 1;
		}
	}
	if (st && fl_state_close(st)) {
		fl_cli_error("cluster fault: not everything could be removed (see 'faultline "
			     "cleanup')");
		rc = rc ? rc : 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (armed == nf && strcmp(ended, "error")) {
		if (o->json) {
			json_t *arr = json_array();
			json_t *out = json_pack("{s:s,s:s,s:o,s:f,s:s}", "cluster", fl_cluster_name(c),
						"node", argv[optind], "faults", arr,
						"held_ms", (double)held_ns / 1e6, "ended_by", ended);

			for (size_t k = 0; k < nf; k++)
				json_array_append_new(arr, stats_json(&res[k]));
			json_dumpf(out, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(out);
		} else {
			for (size_t k = 0; k < nf; k++)
				printf("%s %s=%s (%s): %llu matched, %llu injected\n", res[k].node,
				       fl_node_fault_kind_name(res[k].kind), res[k].rule,
				       res[k].mechanism, (unsigned long long)res[k].matched,
				       (unsigned long long)res[k].injected);
			printf("held %.0f ms, cleared (%s)\n", (double)held_ns / 1e6, ended);
		}
	}
	fl_cluster_free(c);
	return rc;
}

/* Add each comma-separated node of list to set (no duplicates). */
static int add_nodes(const struct fl_cluster *c, const char *list, unsigned *set, size_t *n)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned i;
		bool dup = false;

		if (node_index("partition", c, t, &i))
			return -EINVAL;
		for (size_t k = 0; k < *n; k++)
			dup |= set[k] == i;
		if (!dup)
			set[(*n)++] = i;
	}
	return 0;
}

static int do_partition(int argc, char **argv, struct cf_opts *o)
{
	unsigned a[FL_CLUSTER_MAX_NODES], b[FL_CLUSTER_MAX_NODES];
	size_t na = 0, nb = 0;
	struct fl_cluster_partition *p = NULL;
	struct fl_cluster *c = NULL;
	struct fl_state *st = NULL;
	const char *ended;
	char why[512] = "";
	sigset_t stop, old;
	uint64_t t0, held_ns, dropped = 0;
	json_t *ja, *jb;
	int rc, err;

	if (optind >= argc) {
		fl_cli_bad("cluster partition: which NODE(s) to cut off?");
		return 2;
	}
	rc = open_cluster("partition", o, &c);
	if (rc)
		return rc;
	for (int k = optind; k < argc; k++)
		if (add_nodes(c, argv[k], a, &na))
			goto bad;
	for (size_t k = 0; k < o->n_from; k++)
		if (add_nodes(c, o->from[k], b, &nb))
			goto bad;
	if (!o->n_from) {
		for (unsigned i = 0; i < fl_cluster_n_nodes(c); i++) {
			bool in_a = false;

			for (size_t k = 0; k < na; k++)
				in_a |= a[k] == i;
			if (!in_a)
				b[nb++] = i;
		}
	}
	for (size_t k = 0; k < na; k++)
		for (size_t j = 0; j < nb; j++)
			if (a[k] == b[j]) {
				fl_cli_bad("cluster partition: node %s is on both sides",
					   fl_cluster_node(c, a[k])->name);
				goto bad;
			}
	if (!nb) {
		fl_cli_bad("cluster partition: nothing left to cut the nodes off from");
		goto bad;
	}
	block_stop(&stop, &old);
	if (open_state("partition", &st)) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		fl_cluster_free(c);
		return 1;
	}
	err = fl_cluster_partition(c, a, na, b, nb, st, &p, why, sizeof(why));
	if (err) {
		fl_cli_error("cluster partition: %s", why[0] ? why : strerror(-err));
		fl_state_close(st);
		sigprocmask(SIG_SETMASK, &old, NULL);
		fl_cluster_free(c);
		return 1;
	}
	ja = json_array();
	jb = json_array();
	fprintf(stderr, "cluster: partition armed in %s:", fl_cluster_name(c));
	for (size_t k = 0; k < na; k++) {
		fprintf(stderr, "%s%s", k ? "," : " ", fl_cluster_node(c, a[k])->name);
		json_array_append_new(ja, json_string(fl_cluster_node(c, a[k])->name));
	}
	fprintf(stderr, " cut off from");
	for (size_t k = 0; k < nb; k++) {
		fprintf(stderr, "%s%s", k ? "," : " ", fl_cluster_node(c, b[k])->name);
		json_array_append_new(jb, json_string(fl_cluster_node(c, b[k])->name));
	}
	fprintf(stderr, "\n");
	t0 = fl_now_ns();
	ended = hold(&stop, o->for_ns);
	held_ns = fl_now_ns() - t0;
	fl_cluster_partition_dropped(p, &dropped);
	if (fl_cluster_heal(p, why, sizeof(why))) {
		fl_cli_error("cluster partition: heal: %s (it stays recorded for 'faultline "
			     "cleanup')", why);
		rc = 1;
	}
	if (fl_state_close(st)) {
		fl_cli_error("cluster partition: not everything could be removed (see "
			     "'faultline cleanup')");
		rc = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (o->json) {
		json_t *out = json_pack("{s:s,s:o,s:o,s:I,s:f,s:s,s:b}", "cluster",
					fl_cluster_name(c), "nodes", ja, "from", jb, "dropped",
					(json_int_t)dropped, "held_ms", (double)held_ns / 1e6,
					"ended_by", ended, "healed", rc == 0);

		json_dumpf(out, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		json_decref(ja);
		json_decref(jb);
		printf("partition held %.0f ms, %llu packets dropped, %s (%s)\n",
		       (double)held_ns / 1e6, (unsigned long long)dropped,
		       rc ? "NOT healed" : "healed", ended);
	}
	fl_cluster_free(c);
	return rc;
bad:
	fl_cluster_free(c);
	return 2;
}

static const char *const actions[] = {
	"crash", "stop", "start", "restart", "pause", "resume", "powercut", "health",
};

static int do_node(int argc, char **argv, struct cf_opts *o)
{
	struct fl_node_powercut_report pr = { 0 };
	struct fl_cluster *c = NULL;
	const char *act = NULL;
	char why[512] = "";
	unsigned node;
	uint64_t t0;
	int rc, err = 0;

	if (optind + 2 != argc) {
		fl_cli_bad("cluster node: give NODE and one ACTION (crash, stop, start, restart, "
			   "pause, resume, powercut, health)");
		return 2;
	}
	for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++)
		if (!strcmp(argv[optind + 1], actions[k]))
			act = actions[k];
	if (!act) {
		fl_cli_bad("cluster node: unknown action '%s' (crash, stop, start, restart, pause, "
			   "resume, powercut, health)", argv[optind + 1]);
		return 2;
	}
	rc = open_cluster("node", o, &c);
	if (rc)
		return rc;
	if (node_index("node", c, argv[optind], &node)) {
		fl_cluster_free(c);
		return 2;
	}
	t0 = fl_now_ns();
	if (!strcmp(act, "crash"))
		err = fl_node_crash(c, node, why, sizeof(why));
	else if (!strcmp(act, "stop"))
		err = fl_node_stop(c, node, o->timeout_ms ? o->timeout_ms : NODE_STOP_MS, why,
				   sizeof(why));
	else if (!strcmp(act, "start"))
		err = fl_node_start(c, node, why, sizeof(why));
	else if (!strcmp(act, "restart"))
		err = fl_node_restart(c, node, o->timeout_ms ? o->timeout_ms : NODE_STOP_MS, why,
				      sizeof(why));
	else if (!strcmp(act, "pause"))
		err = fl_node_pause(c, node, why, sizeof(why));
	else if (!strcmp(act, "resume"))
		err = fl_node_resume(c, node, why, sizeof(why));
	else if (!strcmp(act, "powercut"))
		err = fl_node_powercut(c, node, &pr, why, sizeof(why));
	else
		err = fl_node_health(c, node, o->timeout_ms ? o->timeout_ms : NODE_HEALTH_MS);
	if (err && strcmp(act, "health")) {
		fl_cli_error("cluster node %s %s: %s", argv[optind], act,
			     why[0] ? why : strerror(-err));
		fl_cluster_free(c);
		return 1;
	}
	if (o->json) {
		json_t *out = json_pack("{s:s,s:s,s:s,s:b,s:f}", "cluster", fl_cluster_name(c),
					"node", argv[optind], "action", act, "ok", err == 0,
					"ms", (double)(fl_now_ns() - t0) / 1e6);

		if (!strcmp(act, "health"))
			json_object_set_new(out, "health", json_string(err == 0 ? "healthy" :
					    err == -ETIMEDOUT ? "not answering" : "unhealthy"));
		if (!strcmp(act, "powercut"))
			json_object_set_new(out, "undone", json_pack("{s:I,s:I,s:I}",
					    "writes", (json_int_t)pr.writes_undone,
					    "bytes", (json_int_t)pr.bytes_undone,
					    "names", (json_int_t)pr.names_undone));
		json_dumpf(out, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(out);
	} else if (!strcmp(act, "health")) {
		printf("%s: %s\n", argv[optind], err == 0 ? "healthy" :
		       err == -ETIMEDOUT ? "not answering" : "unhealthy");
	} else if (!strcmp(act, "powercut")) {
		printf("%s: power cut in %.0f ms: %llu writes (%llu bytes), %llu names undone; "
		       "down until 'start'\n", argv[optind], (double)(fl_now_ns() - t0) / 1e6,
		       (unsigned long long)pr.writes_undone, (unsigned long long)pr.bytes_undone,
		       (unsigned long long)pr.names_undone);
	} else {
		printf("%s: %s done in %.0f ms\n", argv[optind], act,
		       (double)(fl_now_ns() - t0) / 1e6);
	}
	fl_cluster_free(c);
	return err ? 1 : 0;
}

int fl_cluster_fault_cmd(int argc, char **argv, const struct fl_cli *cli)
{
	struct cf_opts o = { .json = cli && cli->json };

	for (size_t i = 0; i < N_VERBS; i++) {
		int r;

		if (strcmp(argv[0], verbs[i].name))
			continue;
		r = parse(argc, argv, verbs[i].name, verbs[i].opts, verbs[i].usage, &o);
		if (r > 0)
			return 0;
		if (r < 0)
			return 2;
		if (i == 0)
			return do_fault(argc, argv, &o);
		if (i == 1)
			return do_partition(argc, argv, &o);
		return do_node(argc, argv, &o);
	}
	return 2;
}
