// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline rpo: drive writes into a service, break it, restart it, and
 * report what was lost (RPO) and how long it took to come back (RTO),
 * against objectives, so the command can gate a CI pipeline.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <faultline/recovery.h>
#include <faultline/rpo_session.h>
#include <faultline/rule.h>

#include "cli/cli.h"
#include "cli/objectives_cli.h"

#define EXIT_VIOLATED 1
#define EXIT_USAGE    2
#define EXIT_TRIAL    3   /* a trial could not finish; the result says why */
#define EXIT_INTERNAL 125

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline rpo --workload SPEC [--start CMD] --fault KIND [OPTIONS]\n"
		"\n"
		"Drive writes into a service, break it at --fault-at, restart it, read\n"
		"everything back, and report which acknowledged writes were lost (RPO) and how\n"
		"long the service took to come back (RTO), against objectives.\n"
		"\n"
		"Workloads (SPEC):\n"
		"  file:PATH?fsync=always|interval=DUR|never   built-in append-only log\n"
		"  sqlite:PATH?synchronous=OFF|NORMAL|FULL|EXTRA&journal_mode=MODE   built-in\n"
		"  redis://HOST:PORT[/DB]        postgres://USER@HOST:PORT/DB (libpq URI)\n"
		"  mysql://USER@HOST:PORT/DB     MariaDB or MySQL (libmariadb)\n"
		"  etcd://HOST:PORT[?key=PREFIX] etcd 3.4 through its v3 JSON gateway\n"
		"  exec:CMD                      a client speaking the line protocol\n"
		"Built-in workloads run their own writer process (the service); the others\n"
		"need --start, except managed services, which faultline runs itself:\n"
		"  postgres:local?KEY=VALUE&...  a throwaway PostgreSQL cluster (initdb)\n"
		"  redis:local?KEY=VALUE&...     a throwaway redis-server (appendonly yes)\n"
		"  mysql:local?KEY=VALUE&...     a throwaway MariaDB (mariadb-install-db)\n"
		"  each as its package's user, on 127.0.0.1 and a free port, its settings\n"
		"  written into its config; removed at the end.\n"
		"\n"
		"Faults (--fault):\n"
		"  kill             SIGKILL the service's process group\n"
		"  term             --term-signal (SIGTERM), SIGKILL after --term-timeout\n"
		"  powercut         SIGKILL, then a faultfs power cut (implies --faultfs)\n"
		"  crashpoint=RULE  a syscall rule, e.g. crashpoint=fsync:signal=SIGKILL:when=50\n"
		"  disk-fail        faultfs fails every operation with EIO (implies --faultfs)\n"
		"  oom              the service's memory limit is squeezed until an OOM kill\n"
		"  partition        the service is cut off from its clients (every packet of\n"
		"                   its cgroup dropped, both ways) for --fault-for, then healed;\n"
		"                   not restarted. RTO: fault -> first write acknowledged\n"
		"                   after the heal (the clients' unavailability window)\n"
		"  net=RULE         a 'faultline net' rule on the service's cgroup for\n"
		"                   --fault-for, e.g. net='tcp:drop:prob=50%%' (cgroup_skb:\n"
		"                   drop, partition, error=; corrupt, duplicate, delay refused)\n"
		"  Network faults need the server in the service's cgroup (--start, or a\n"
		"  managed service) and reached over TCP/UDP, not a unix socket.\n"
		"\n"
		"Service:\n"
		"      --start CMD          start the service (sh -c, own process group)\n"
		"      --restart CMD        restart it after the fault (default: --start)\n"
		"      --health CMD         healthy when CMD exits 0 (default: the workload's ping)\n"
		"      --ping-timeout DUR   each health ping must answer within DUR (default 500ms;\n"
		"                           exec: a new client must start and answer PING in it)\n"
		"  -u, --user USER          run --start and --restart as USER (uid, gid, groups,\n"
		"                           HOME), still in the service's cgroup; a missing\n"
		"                           --data-dir is created for USER\n"
		"  -d, --data-dir DIR       the service's data directory (default: the store's;\n"
		"                           a managed server's: new, under /var/tmp)\n"
		"      --faultfs            mount faultfs over --data-dir for the run (with\n"
		"                           allow_other); a faultfs mount there already is used\n"
		"                           as it is and left mounted\n"
		"      --faultfs-opt OPTS   more faultfs -o options, e.g. durability=data,size=1G\n"
		"                           (implies --faultfs)\n"
		"      --service-log FILE   append the service's output to FILE\n"
		"Load and timing:\n"
		"  -c, --clients N          concurrent clients (default 4)\n"
		"  -r, --rate N             total writes per second (default: as fast as it goes)\n"
		"      --payload BYTES      bytes per write (default 128)\n"
		"      --fault-at DUR       fault after DUR of load (default 2s)\n"
		"      --fault-for DUR      how long partition or net=RULE lasts (default 5s)\n"
		"      --after DUR          load kept on after the restart is healthy (default 2s)\n"
		"      --health-timeout DUR (default 30s)   --term-timeout DUR (default 10s)\n"
		"      --readback-timeout DUR  an exec: client's READ answer may pause this long\n"
		"                           between lines before it fails (default 10s)\n"
		"      --term-signal SIG    the graceful stop of --fault term (default SIGTERM;\n"
		"                           PostgreSQL's fast shutdown is SIGINT)\n"
		"Trials and objectives:\n"
		"  -n, --trials N           repeat with seeds SEED, SEED+1, ... (default 1)\n"
		"  -s, --seed N             (default 1)\n"
		"      --rpo-max DUR        objective (default 1m); 0 is met only when no\n"
		"                           acknowledged write was lost, even after the fault\n"
		"      --rto-max DUR        objective (default 5m)\n"
		"      --lost-max N         objective on lost acknowledged writes per trial\n"
		"                           (default: none)\n");
	fputs(fl_cli_objectives_help, out);
	fprintf(out,
		"Objectives are judged over the trials that measured; a trial that could\n"
		"not (a crash point that never struck, a service never healthy) is reported\n"
		"with its cause and is not a violation. Availability here: the share of each\n"
		"trial's 100 ms slices with an acknowledged write (README: Objectives).\n"
		"Output:\n"
		"  -o, --output FILE        write the JSON result (schema faultline-rpo/2) to FILE\n"
		"                           (default: ./faultline-rpo-DATE-TIME.json)\n"
		"  -j, --json               print the JSON result on stdout (and no file unless -o)\n"
		"  -q, --quiet              no progress line\n"
		"  -h, --help               this help\n"
		"\n"
		"The JSON result holds every operation (id, client, invoke and completion time,\n"
		"outcome) and every record read back, so another checker can judge it again.\n"
		"Exit status: 0 objectives met, 1 an objective was violated by a trial that\n"
		"measured, 2 bad usage, 3 otherwise when a trial could not finish (the result\n"
		"says where and why; none measured: nothing judged), 125 the run could not\n"
		"start (the message says why) or faultline failed. Needs root: it records what\n"
		"it must undo under /run/faultline, runs the service in a cgroup, watches it\n"
		"with BPF and mounts faultfs.\n"
		"Examples:\n"
		"  faultline rpo -w 'sqlite:/var/tmp/db/x.db?synchronous=OFF' -d /var/tmp/db \\\n"
		"      --fault powercut --trials 3 -o result.json\n"
		"  faultline rpo -w 'redis:local?appendfsync=always' --fault partition --fault-for 10s\n");
}

struct opts {
	struct fl_rpo_config cfg;
	const char *output;
	char default_output[64];
	bool json, quiet;
};

static int duration(const char *opt, const char *val, uint64_t *ret)
{
	if (fl_parse_duration(val, ret)) {
		fl_cli_error("rpo: %s: invalid duration '%s' (e.g. 500ms, 30s, 5m)", opt, val);
		return -EINVAL;
	}
	return 0;
}

static int count(const char *opt, const char *val, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(val, &end, 10);
	if (errno || *end || !*val || *ret == 0 || *ret > max) {
		fl_cli_error("rpo: %s: expected a number from 1 to %lu, got '%s'", opt, max, val);
		return -EINVAL;
	}
	return 0;
}

static int set_fault(struct fl_rpo_config *cfg, const char *val)
{
	const char *eq = strchr(val, '=');
	char name[32];

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - val) : (int)strlen(val), val);
	if (fl_rpo_fault_from_name(name, &cfg->fault)) {
		fl_cli_error("rpo: --fault: unknown fault '%s' (kill, term, powercut, crashpoint=RULE, disk-fail, oom, partition, net=RULE)",
			     name);
		return -EINVAL;
	}
	if (cfg->fault == FL_RPO_FAULT_CRASHPOINT) {
		struct fl_rule_error err = { 0 };
		struct fl_rule rule;

		if (!eq || !eq[1]) {
			fl_cli_error("rpo: --fault crashpoint needs a rule: crashpoint=fsync:signal=SIGKILL:when=50");
			return -EINVAL;
		}
		if (fl_rule_parse(eq + 1, &rule, &err)) {
			fl_cli_error("rpo: --fault crashpoint=%s: %s", eq + 1, err.message);
			return -EINVAL;
		}
		cfg->crashpoint = eq + 1;
	} else if (cfg->fault == FL_RPO_FAULT_NET) {
		/* The rule itself is checked with the run's other settings (fl_rpo_config_check). */
		if (!eq || !eq[1]) {
			fl_cli_error("rpo: --fault net needs a rule: net='tcp:dport=6379:drop:prob=50%%'");
			return -EINVAL;
		}
		cfg->net_rule = eq + 1;
	} else if (eq) {
		fl_cli_error("rpo: --fault %s takes no value", name);
		return -EINVAL;
	}
	if (cfg->fault == FL_RPO_FAULT_POWERCUT || cfg->fault == FL_RPO_FAULT_DISK_FAIL)
		cfg->faultfs = true;
	return 0;
}

enum {
	O_START = 256, O_RESTART, O_HEALTH, O_FAULTFS, O_SERVICE_LOG, O_PAYLOAD, O_FAULT_AT,
	O_AFTER, O_HEALTH_TIMEOUT, O_TERM_TIMEOUT, O_TERM_SIGNAL, O_RPO_MAX, O_RTO_MAX,
	O_FAULTFS_OPT, O_PING_TIMEOUT, O_LOST_MAX, O_READBACK_TIMEOUT, O_FAULT_FOR,
};

/* The options, also read by 'faultline completion'. */
const struct option fl_rpo_options[] = {
	{ "workload", required_argument, NULL, 'w' },
	{ "start", required_argument, NULL, O_START },
	{ "restart", required_argument, NULL, O_RESTART },
	{ "health", required_argument, NULL, O_HEALTH },
	{ "ping-timeout", required_argument, NULL, O_PING_TIMEOUT },
	{ "user", required_argument, NULL, 'u' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "faultfs", no_argument, NULL, O_FAULTFS },
	{ "faultfs-opt", required_argument, NULL, O_FAULTFS_OPT },
	{ "service-log", required_argument, NULL, O_SERVICE_LOG },
	{ "fault", required_argument, NULL, 'F' },
	{ "clients", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'r' },
	{ "payload", required_argument, NULL, O_PAYLOAD },
	{ "fault-at", required_argument, NULL, O_FAULT_AT },
	{ "fault-for", required_argument, NULL, O_FAULT_FOR },
	{ "after", required_argument, NULL, O_AFTER },
	{ "health-timeout", required_argument, NULL, O_HEALTH_TIMEOUT },
	{ "term-timeout", required_argument, NULL, O_TERM_TIMEOUT },
	{ "readback-timeout", required_argument, NULL, O_READBACK_TIMEOUT },
	{ "term-signal", required_argument, NULL, O_TERM_SIGNAL },
	{ "trials", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "rpo-max", required_argument, NULL, O_RPO_MAX },
	{ "rto-max", required_argument, NULL, O_RTO_MAX },
	{ "lost-max", required_argument, NULL, O_LOST_MAX },
	FL_CLI_OBJ_OPTIONS,
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int parse_args(int argc, char **argv, const struct fl_cli *cli, struct opts *o)
{
	struct fl_rpo_config *cfg = &o->cfg;
	struct fl_workload *w;
	char why[1024] = "";
	bool builtin, managed;
	unsigned long n;
	int err;
	bool have_fault = false, have_fault_for = false;
	char *end;
	int c;

	fl_rpo_config_defaults(cfg);
	o->json = cli->json;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:u:d:F:c:r:n:s:o:jqh", fl_rpo_options, NULL)) != -1) {
		switch (c) {
		case 'w': cfg->workload = optarg; break;
		case O_START: cfg->start_cmd = optarg; break;
		case O_RESTART: cfg->restart_cmd = optarg; break;
		case O_HEALTH: cfg->health_cmd = optarg; break;
		case 'd': cfg->data_dir = optarg; break;
		case O_FAULTFS: cfg->faultfs = true; break;
		case 'u': cfg->user = optarg; break;
		case O_FAULTFS_OPT:
			cfg->faultfs_opts = optarg;
			cfg->faultfs = true;
			break;
		case O_PING_TIMEOUT:
			if (duration("--ping-timeout", optarg, &cfg->ping_timeout_ns))
				return -EINVAL;
			break;
		case O_SERVICE_LOG: cfg->service_log = optarg; break;
		case 'F':
			if (set_fault(cfg, optarg))
				return -EINVAL;
			have_fault = true;
			break;
		case 'c':
			if (count("--clients", optarg, 1024, &n))
				return -EINVAL;
			cfg->load.clients = (unsigned)n;
			break;
		case 'r':
			cfg->load.rate = strtod(optarg, &end);
			if (*end || !(cfg->load.rate > 0)) {
				fl_cli_error("rpo: --rate: expected writes per second > 0, got '%s'", optarg);
				return -EINVAL;
			}
			break;
		case O_PAYLOAD:
			if (count("--payload", optarg, FL_PAYLOAD_MAX, &n))
				return -EINVAL;
			if (n < FL_PAYLOAD_MIN) {
				fl_cli_error("rpo: --payload: at least %d bytes (id and checksum)", FL_PAYLOAD_MIN);
				return -EINVAL;
			}
			cfg->load.payload_len = n;
			break;
		case O_FAULT_AT:
			if (duration("--fault-at", optarg, &cfg->fault_at_ns))
				return -EINVAL;
			break;
		case O_FAULT_FOR:
			if (duration("--fault-for", optarg, &cfg->fault_for_ns))
				return -EINVAL;
			have_fault_for = true;
			break;
		case O_AFTER:
			if (duration("--after", optarg, &cfg->after_ns))
				return -EINVAL;
			break;
		case O_HEALTH_TIMEOUT:
			if (duration("--health-timeout", optarg, &cfg->health_timeout_ns))
				return -EINVAL;
			break;
		case O_TERM_TIMEOUT:
			if (duration("--term-timeout", optarg, &cfg->term_timeout_ns))
				return -EINVAL;
			break;
		case O_READBACK_TIMEOUT:
			if (duration("--readback-timeout", optarg, &cfg->readback_timeout_ns))
				return -EINVAL;
			if (!cfg->readback_timeout_ns || cfg->readback_timeout_ns > INT_MAX * 1000000ull) {
				fl_cli_error("rpo: --readback-timeout %s: expected 1ms to 24d", optarg);
				return -EINVAL;
			}
			break;
		case O_TERM_SIGNAL:
			if (fl_parse_signal(optarg, &cfg->term_signal)) {
				fl_cli_error("rpo: --term-signal: unknown signal '%s' (e.g. SIGTERM, INT, 2)",
					     optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			if (count("--trials", optarg, 10000, &n))
				return -EINVAL;
			cfg->trials = (unsigned)n;
			break;
		case 's':
			errno = 0;
			cfg->load.seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				fl_cli_error("rpo: --seed: '%s' is not a number", optarg);
				return -EINVAL;
			}
			break;
		case O_RPO_MAX:
			if (duration("--rpo-max", optarg, &cfg->rpo_max_ns))
				return -EINVAL;
			break;
		case O_RTO_MAX:
			if (duration("--rto-max", optarg, &cfg->rto_max_ns))
				return -EINVAL;
			break;
		case O_LOST_MAX:
			errno = 0;
			cfg->lost_max = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' ||
			    cfg->lost_max == UINT64_MAX) {
				fl_cli_error("rpo: --lost-max: expected a number of writes (0 or more), got '%s'",
					     optarg);
				return -EINVAL;
			}
			break;
		case 'o': o->output = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'h':
			usage(stdout);
			return 1;
		case FL_CLI_OBJ_OPT:
		case FL_CLI_OBJ_OPT + 1:
		case FL_CLI_OBJ_OPT + 2:
		case FL_CLI_OBJ_OPT + 3:
			if (fl_cli_objective_opt("rpo", c, optarg, &cfg->objectives))
				return -EINVAL;
			break;
		default:
			fl_cli_error("rpo: see 'faultline rpo --help'");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fl_cli_error("rpo: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->workload) {
		fl_cli_error("rpo: no workload: give --workload (e.g. 'file:/var/tmp/rpo/log?fsync=always')");
		return -EINVAL;
	}
	/* The history is the point of a run: keep it unless it goes to stdout. */
	if (!o->output && !o->json) {
		time_t now = time(NULL);
		struct tm tm;

		strftime(o->default_output, sizeof(o->default_output),
			 "faultline-rpo-%Y%m%d-%H%M%S.json", localtime_r(&now, &tm));
		o->output = o->default_output;
	}
	if (!have_fault) {
		fl_cli_error("rpo: no fault: give --fault kill|term|powercut|crashpoint=RULE|disk-fail|oom|partition|net=RULE");
		return -EINVAL;
	}
	if (have_fault_for && !fl_rpo_fault_is_network(cfg->fault)) {
		fl_cli_error("rpo: --fault-for is how long a network fault lasts (partition, net=RULE); --fault %s is over when the service is dead",
			     fl_rpo_fault_name(cfg->fault));
		return -EINVAL;
	}
	/* The spec is checked now, so a typo is a usage error, not a failed trial. */
	err = fl_workload_open(cfg->workload, &w, why, sizeof(why));
	if (err) {
		fl_cli_error("rpo: %s", why);
		return -EINVAL;
	}
	builtin = fl_workload_builtin(w);
	managed = fl_workload_managed(w);
	fl_workload_close(w);
	if (managed && (cfg->start_cmd || cfg->restart_cmd || cfg->user)) {
		fl_cli_error("rpo: %s is a managed service: faultline starts it itself, as its package's user, so --start, --restart and --user do not apply",
			     cfg->workload);
		return -EINVAL;
	}
	if ((cfg->start_cmd || cfg->restart_cmd) && builtin) {
		fl_cli_error("rpo: %s is a built-in workload: faultline runs its writer itself, so --start and --restart do not apply",
			     cfg->workload);
		return -EINVAL;
	}
	if (cfg->restart_cmd && !cfg->start_cmd) {
		fl_cli_error("rpo: --restart needs --start");
		return -EINVAL;
	}
	/* Built-in stores default to their own directory (fl_rpo_run). */
	if (cfg->faultfs && !cfg->data_dir && !builtin && !managed) {
		fl_cli_error("rpo: --fault %s and --faultfs need --data-dir (the directory faultfs mounts over)",
			     fl_rpo_fault_name(cfg->fault));
		return -EINVAL;
	}
	/* An unknown --user, malformed faultfs options: refused before anything starts. */
	if (cfg->user && builtin) {
		fl_cli_error("rpo: --user: %s is a built-in workload, whose writer faultline runs itself; --user applies to --start and --restart",
			     cfg->workload);
		return -EINVAL;
	}
	if (fl_rpo_config_check(cfg, why, sizeof(why))) {
		fl_cli_error("rpo: %s", why);
		return -EINVAL;
	}
	return 0;
}

static bool tty;

static void on_progress(void *ctx, unsigned trial, const char *phase, uint64_t acked,
			double ops_per_s, uint64_t elapsed_ns)
{
	const struct opts *o = ctx;

	if (!tty)
		return;
	fprintf(stderr, "\r\033[Ktrial %u/%u  %-9s %10llu acked  %8.0f ops/s  %6.1f s", trial + 1,
		o->cfg.trials, phase, (unsigned long long)acked, ops_per_s, elapsed_ns / 1e9);
	if (!strcmp(phase, "done") || !strcmp(phase, "failed"))
		fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	fl_rpo_interrupt();
}

static void ms(char *buf, size_t len, uint64_t ns)
{
	if (ns == UINT64_MAX)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f ms", ns / 1e6);
}

/* Judged over the trials that measured; the others are named above with their cause. */
static void print_objectives(const struct fl_rpo_result *r)
{
	size_t unmeasured = r->n_trials - r->n_measured;
	char a[32], b[32];

	if (!r->n_measured) {
		fprintf(stderr, "objectives: not judged: no trial measured (%zu could not; the cause is above)\n",
			unmeasured);
		return;
	}
	ms(a, sizeof(a), r->cfg.rpo_max_ns);
	ms(b, sizeof(b), r->cfg.rto_max_ns);
	fprintf(stderr, "objectives");
	if (unmeasured)
		fprintf(stderr, " (over the %zu of %zu trials that measured)", r->n_measured,
			r->n_trials);
	fprintf(stderr, ": RPO <= %s%s %s, RTO <= %s %s", a,
		r->cfg.rpo_max_ns ? "" : " (nothing lost)", r->rpo_met ? "met" : "VIOLATED",
		b, r->rto_met ? "met" : "VIOLATED");
	if (r->cfg.lost_max != UINT64_MAX)
		fprintf(stderr, ", lost <= %llu %s (worst %llu)", (unsigned long long)r->cfg.lost_max,
			r->lost_met ? "met" : "VIOLATED", (unsigned long long)r->lost_worst);
	fputc('\n', stderr);
	fl_cli_print_verdict(stderr, &r->verdict);
	if (unmeasured)
		fprintf(stderr, "%zu trial%s could not measure and %s not counted (the cause is above)\n",
			unmeasured, unmeasured == 1 ? "" : "s", unmeasured == 1 ? "is" : "are");
}

/* A network fault: how long it was on, and how long the clients could not write. */
static void print_network(const struct fl_rpo_trial *t)
{
	const struct fl_rpo_net_fault *n = &t->net;
	const struct fl_rto *r = &t->rto;
	char a[32], b[32], c[32], d[32];

	ms(a, sizeof(a), n->fault_for_ns);
	ms(b, sizeof(b), r->healed_ns - r->fault_ns);
	ms(c, sizeof(c), fl_rpo_rto_ns(r));
	ms(d, sizeof(d), r->first_ok_ns ? r->first_ok_ns - r->healed_ns : UINT64_MAX);
	fprintf(stderr, "  network: %s on %s for %s (armed %s), %llu packets matched, %llu hit; "
		"not restarted\n", n->rule, n->target, a, b, (unsigned long long)n->matched,
		(unsigned long long)n->injected);
	ms(a, sizeof(a), n->longest_gap_ns);
	/* Writes that got through while armed: the clients were slowed, not cut off, all along. */
	if (n->acked_during)
		fprintf(stderr, "  clients: %llu writes acknowledged while armed, the longest stretch "
			"without one %s; the first after the heal came %s after the fault (%s after "
			"the heal)", (unsigned long long)n->acked_during, a, c, d);
	else
		fprintf(stderr, "  clients: unavailable %s (from the fault to the first write "
			"acknowledged after the heal, %s after it)", c, d);
	fprintf(stderr, "; meanwhile %llu writes failed and %llu timed out or were cut (unknown)\n",
		(unsigned long long)n->failed_during, (unsigned long long)n->unknown_during);
}

static void print_summary(const struct fl_rpo_result *r, const struct opts *o)
{
	char a[32], b[32], c[32], d[32];

	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rpo_trial *t = &r->trials[i];
		const struct fl_check *k = &t->check;

		if (t->err) {
			fprintf(stderr, "trial %zu (seed %llu): could not measure: failed in %s: %s\n",
				i + 1, (unsigned long long)t->seed, t->phase, t->error);
			continue;
		}
		ms(a, sizeof(a), k->rpo_ns);
		ms(b, sizeof(b), fl_rpo_rto_ns(&t->rto));
		fprintf(stderr,
			"trial %zu (seed %llu): %llu acknowledged, %llu lost, %llu recovered, %llu unexpected; RPO %s (%llu writes, %llu bytes); RTO %s\n",
			i + 1, (unsigned long long)t->seed, (unsigned long long)k->acknowledged,
			(unsigned long long)k->lost, (unsigned long long)k->recovered,
			(unsigned long long)k->unexpected, a, (unsigned long long)k->rpo_writes,
			(unsigned long long)k->rpo_bytes, b);
		if (k->lost_after_fault) {
			ms(c, sizeof(c), k->after_fault_ns);
			fprintf(stderr, "  %llu of the lost writes %s acknowledged after the fault (up to %s after it): RPO is the window before the fault and does not include %s\n",
				(unsigned long long)k->lost_after_fault,
				k->lost_after_fault == 1 ? "was" : "were", c,
				k->lost_after_fault == 1 ? "it" : "them");
		}
		if (k->n_lost_sample) {
			fprintf(stderr, "  lost ids:");
			for (size_t j = 0; j < k->n_lost_sample; j++)
				fprintf(stderr, " %llu", (unsigned long long)k->lost_sample[j]);
			fprintf(stderr, "%s\n", k->lost > k->n_lost_sample ? " ..." : "");
		}
		if (t->net.done)
			print_network(t);
		if (t->faultfs.done) {
			fprintf(stderr, "  faultfs: %llu writes of the store volatile at the cut, %llu bytes undone",
				(unsigned long long)t->faultfs.volatile_writes,
				(unsigned long long)t->faultfs.bytes_undone);
			if (t->faultfs.by_record)
				fprintf(stderr, "; %llu acknowledged records in them; disagreements with the checker: %llu%s",
					(unsigned long long)t->faultfs.volatile_acked,
					(unsigned long long)(t->faultfs.lost_not_volatile +
							     t->faultfs.volatile_not_lost),
					t->faultfs.lost_not_volatile + t->faultfs.volatile_not_lost ?
					" (see the result)" : "");
			fprintf(stderr, "%s%s\n", t->faultfs.note[0] ? "; " : "", t->faultfs.note);
			/*
			 * Why acknowledged writes were lost, from the write log. Where
			 * records map to files the causes count them; elsewhere (a
			 * database) the log says exactly what the cut undid, but which
			 * of it held the lost writes is the store's recovery's doing.
			 */
			for (size_t j = 0; k->lost && j < t->faultfs.n_causes; j++) {
				char why[640];

				fl_rpo_loss_cause_text(&t->faultfs.causes[j], why, sizeof(why));
				fprintf(stderr, "  %s %s\n", j ? "   " : "why:", why);
			}
			if (k->lost && t->faultfs.causes_unlisted)
				fprintf(stderr, "       and %llu more (faultline fs log)\n",
					(unsigned long long)t->faultfs.causes_unlisted);
			if (k->lost && t->faultfs.n_causes && !t->faultfs.by_record)
				fprintf(stderr, "       (what the cut undid, biggest first, exact from the "
					"write log; which of it held the lost writes is up to how the "
					"store recovers)\n");
		}
		if (t->timeline.seen) {
			ms(c, sizeof(c), t->timeline.exposure_ns);
			fprintf(stderr, "  kernel: %llu writes, %llu barriers; exposure at the fault %s; %llu acknowledged before a barrier covered them",
				(unsigned long long)t->timeline.writes,
				(unsigned long long)t->timeline.barriers,
				t->timeline.barrier_seen ? c : "(no barrier)",
				(unsigned long long)t->timeline.acked_uncovered);
			/* Not a finding: the clients' writes overlap, so these cannot be told apart. */
			if (t->timeline.acked_ambiguous)
				fprintf(stderr, " (for %llu more, concurrent clients' writes overlap and which one carried each cannot be told: not counted, not suspect; acked_uncovered_max in the result includes them)",
					(unsigned long long)t->timeline.acked_ambiguous);
			fprintf(stderr, "%s%s\n", t->timeline.note[0] ? "; " : "", t->timeline.note);
		}
	}
	if (r->n_measured) {
		ms(a, sizeof(a), r->rpo.median);
		ms(b, sizeof(b), r->rpo.max);
		ms(c, sizeof(c), r->rto.median);
		ms(d, sizeof(d), r->rto.max);
		fprintf(stderr, "RPO median %s, max %s; RTO median %s, max %s", a, b, c, d);
		if (r->n_measured > 1) {
			ms(a, sizeof(a), r->rpo.p95);
			ms(b, sizeof(b), r->rto.p95);
			ms(c, sizeof(c), r->mttr_ns);
			fprintf(stderr, "; p95 RPO %s, RTO %s; MTTR %s", a, b, c);
		}
		fputc('\n', stderr);
	}
	print_objectives(r);
	if (o->output)
		fprintf(stderr, "result (with every operation): %s\n", o->output);
}

int cmd_rpo(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_recovery_result *rr = NULL;
	struct fl_rpo_result *r;
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o = { 0 };
	char why[1024] = "";
	bool trial_failed = false;
	int err, ret;

	err = parse_args(argc, argv, cli, &o);
	if (err)
		return err > 0 ? 0 : EXIT_USAGE;
	tty = !o.quiet && isatty(STDERR_FILENO);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = fl_test_recovery(&(struct fl_recovery_test){
		.kind = FL_RECOVERY_RPO, .rpo = &o.cfg, .rpo_progress = on_progress,
		.progress_ctx = &o, .errbuf = why, .errlen = sizeof(why) }, &rr);
	if (err) {
		if (why[0])
			fl_cli_error("rpo: %s", why);
		else
			fl_cli_error("rpo: cannot run: %s", strerror(-err));
		return EXIT_INTERNAL;
	}
	r = rr->rpo;
	ret = EXIT_INTERNAL;
	if (fl_cli_write_result("rpo", rr->json, o.output, o.json))
		goto out;
	print_summary(r, &o);
	for (size_t i = 0; i < r->n_trials; i++)
		trial_failed |= r->trials[i].err != 0;
	/* A violation measured is the gate's answer; a trial that could not measure is not one. */
	if (r->n_measured && !(r->rpo_met && r->rto_met && r->lost_met && r->verdict.pass))
		ret = EXIT_VIOLATED;
	else if (trial_failed)
		ret = EXIT_TRIAL;
	else
		ret = 0;
out:
	fl_recovery_result_free(rr);
	return ret;
}
