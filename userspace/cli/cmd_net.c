// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline net: drop, partition, corrupt or duplicate chosen packets of
 * a device, a netns, a cgroup or a launched command, through the in-kernel
 * datapath (<faultline/net.h>), and fail the connect/sendmsg/bind calls of
 * a cgroup or a launched command (error=, cgroup sock_addr programs). Parses and compiles the rules (a refusal
 * names the rule and its column), arms them, waits for --for, a signal or
 * the command's exit, disarms, and prints per rule what matched and what
 * was hit. --log gets a JSON line per injection (the datapath's event ring,
 * cli/net_event_log.c) and the counts (once a second while they change, and
 * at the end).
 * delay= rules on a netns go to one NFQUEUE delay line each
 * (<faultline/net_delay.h>), beside the datapath's rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <jansson.h>
#include <faultline/cgroup.h>
#include <faultline/mechanism.h>
#include <faultline/net.h>
#include <faultline/net_delay.h>
#include <faultline/net_shape.h>
#include <faultline/rule.h>
#include <faultline/state.h>

#include "cli/cli.h"
#include "cli/net_event_log.h"
#include "cli/net_shape_cli.h"

#define NET_EXCERPT_LEN   96
/* Leftovers of a launched command, killed so its cgroup can go. */
#define NET_KILL_NS       (2000ull * 1000000ull)
#define NET_RMDIR_MS      2000
#define NET_EXIT_HELD     3   /* the tc hook is held by another faultline session */

struct net_opts {
	bool json;
	int verbose;
	const char *log_path;
	uint64_t for_ns;
	bool have_seed;
	uint64_t seed;
	char **rule_text;
	size_t n_rules;
	char **cmd;
	const char *netns, *dev, *cgroup;
	pid_t pid;
	sigset_t orig_mask;
};

/* What the run holds; released in one place. */
struct net_run {
	struct fl_rule rules[FL_NET_MAX_RULES];
	struct fl_net_rule krules[FL_NET_MAX_RULES];
	size_t origin[FL_NET_MAX_RULES];
	size_t n_krules;
	struct fl_net_target target;
	char cgroup[PATH_MAX];       /* the target cgroup, resolved (cgroup, pid, CMD) */
	bool made_cgroup;            /* CMD's own group, removed at the end */
	uint64_t cgroup_rec;
	struct fl_state *st;
	struct fl_net_session *sess;
	/* delay= rules: one NFQUEUE delay line each, by typed rule index. */
	struct fl_net_delay *delay[FL_NET_MAX_RULES];
	struct fl_net_delay_counters delay_final[FL_NET_MAX_RULES];
	const char *delay_mech[FL_NET_MAX_RULES];  /* "nft-queue" or "nfqueue", once started */
	struct fl_net_delay_ring *delay_ring[FL_NET_MAX_RULES];  /* --log: a line's packet events */
	/* delay= and rate=: the mechanism each gets (net_shape.h), the netem/HTB run. */
	enum fl_net_shape_mech shape_mech[FL_NET_MAX_RULES];
	bool shape_picked;
	struct fl_net_shape *shape;
	FILE *log;
	struct net_event_log *events;  /* --log: one line per injection */
	bool log_failed;               /* and it was said */
	uint64_t armed_ns;
	pid_t child;
	bool child_exited;
	int wstatus;
	int stop_signal;
	bool for_ended;
	int pid_fd;                  /* --pid: a pidfd of the process, -1 = none */
	bool pid_exited;             /* and it exited: the run ends (its pid may be reused) */
	uint64_t disarmed_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline net [OPTIONS] RULE... TARGET\n"
		"TARGET: --netns NAME | --dev IFACE [--netns NAME] | --cgroup DIR | --pid PID | -- CMD [ARGS...]\n"
		"\n"
		"Drop, partition, corrupt, duplicate, reject (in the kernel, eBPF), delay or\n"
		"rate-limit chosen packets, abort chosen TCP connections (reset), or fail chosen\n"
		"connect/sendmsg/bind calls, until --for runs out, Ctrl-C (SIGINT, SIGTERM,\n"
		"SIGHUP), or the launched command (the --pid process) exits. Then nothing of\n"
		"faultline is left in the kernel, and the summary says per rule how many packets\n"
		"(calls) matched and how many were hit.\n"
		"\n"
		"RULE is PROTO[:MATCH...]:ACTION[:SELECTOR...]\n"
		"  PROTO        tcp, udp, icmp, ip, ip6, any (or *); a set like tcp,udp\n"
		"  MATCH        src=CIDR dst=CIDR sport=N[-M] dport=N[-M] dir=egress|ingress|both\n"
		"  drop         the packet is lost (the peer times out)\n"
		"  partition    drop both ways: also the packets coming back (src/dst swapped)\n"
		"  corrupt[=wire|payload]  flip one payload bit; wire (default) leaves the checksum\n"
		"               to catch it, payload fixes it so only the application can\n"
		"  duplicate    send the packet twice\n"
		"  reject       drop it and answer: a TCP segment with a RST, anything else\n"
		"               with an ICMP/ICMPv6 unreachable (port unreachable for UDP),\n"
		"               so the peer fails fast (ECONNREFUSED, ECONNRESET); --dev and\n"
		"               --netns only (tc). On a cgroup use connect:...:error=ECONNREFUSED\n"
		"  tcp[:MATCH]:reset  abort the established TCP connections that fit, either\n"
		"               end (dport=5432: a client's connection to 5432 and a server's\n"
		"               accepted one): at arm, and every 100 ms while armed\n"
		"               (a connection made meanwhile goes too; count=N caps the aborts).\n"
		"               The socket on the target's side gets ECONNABORTED, its peer a\n"
		"               RST. bpf_sock_destroy (6.5+) or sock_diag SOCK_DESTROY; --dev:\n"
		"               sockets on the device's addresses; a cgroup: its processes' ones\n"
		"  delay=DUR[~JITTER][:reorder=P%%]  hold each packet DUR (+- a uniform\n"
		"               JITTER), reorder= lets that share through at once: netem where\n"
		"               the kernel has it, else an NFQUEUE delay line (output/input\n"
		"               queue rules: nft's native queue in a table of the line's own\n"
		"               where the probe finds nft-queue, else iptables-nft NFQUEUE;\n"
		"               FAULTLINE_NET_DELAY=nfqueue takes the line where netem works,\n"
		"               =xtables or =nft the line with those rules; with --netns\n"
		"               alone, lo included); --dev or --netns, or --cgroup/-- CMD with\n"
		"               dir=egress (socket cgroupv2, or OUTPUT -m cgroup)\n"
		"  rate=BW      shape to BW bits/s (1mbit, 500kbit): an HTB class; --dev or --netns.\n"
		"               For delay and rate, ingress goes through an IFB device (mirred);\n"
		"               only matching packets are shaped; seed= only, no prob=/when=/\n"
		"               count=/for=\n"
		"  SELECTOR     prob=P%% when=FIRST[..LAST][+STEP] count=N for=DUR seed=N\n"
		"  connect|sendmsg|bind[:MATCH]:error=ERRNO  the socket call fails with ERRNO\n"
		"               before the kernel does it (cgroup sock_addr hooks: --cgroup, --pid,\n"
		"               -- CMD only). connect and sendmsg (UDP sendto/sendmsg with an\n"
		"               address) match dst= dport=, bind src= sport=\n"
		"Refused at their column: bytes= on corrupt (one bit flips per packet), host=\n"
		"(nothing resolves names: use dst=/src=).\n"
		"At most %d rules in the kernel (tcp,udp counts two). The first rule that fires\n"
		"on a packet wins.\n"
		"\n"
		"Targets:\n"
		"  -n, --netns NAME  every device of the named netns (/run/netns) but lo, both\n"
		"                    ways (tc: tcx, else clsact); with --dev, that device's netns\n"
		"  -d, --dev IFACE   one interface, ingress and egress (tc: tcx, else clsact)\n"
		"  -c, --cgroup DIR  the sockets of the processes in a cgroup v2 directory\n"
		"                    (cgroup_skb: drop and partition; cgroup sock_addr: error=;\n"
		"                    reset; delay= with dir=egress: the delay line, -m cgroup)\n"
		"  -p, --pid PID     PID's own sockets, not its cgroup's: the packets of the\n"
		"                    IPv4/IPv6 sockets it holds at arm, creates or accepts\n"
		"                    while armed (cgroup_skb on its cgroup, filtered by socket;\n"
		"                    cgroup/sock_create marks new ones), and the connect/sendmsg/\n"
		"                    bind calls of its threads. PID is not moved. Not seen:\n"
		"                    sockets passed to it after arm (SCM_RIGHTS), sockets its\n"
		"                    children create, sockets it holds that were created in\n"
		"                    the root cgroup (warned; those made in another cgroup are\n"
		"                    seen: the programs go there too); a socket it shares is\n"
		"                    hit whoever uses it. reset: the connections in its file\n"
		"                    table. delay= is refused here, and so is a PID in the\n"
		"                    root cgroup. The run ends when PID exits\n"
		"  -- CMD [ARGS]     CMD runs in a fresh cgroup v2 group (cgroup_skb), removed\n"
		"                    when CMD exits (what CMD left running in it is killed)\n"
		"Options:\n"
		"  -f, --for DUR     disarm after DUR (e.g. 10s); a launched CMD runs on\n"
		"  -s, --seed N      seed= for every rule that has none: prob= is repeatable;\n"
		"                    without it a random seed is drawn (the summary shows it)\n"
		"  -l, --log FILE    append JSON lines to FILE ('-' = stdout): one per injected\n"
		"                    fault (packet dropped/corrupted/duplicated, call failed:\n"
		"                    rule, action, dir, proto, addresses, ports, time), and the\n"
		"                    per-rule counts once a second while they change and at the\n"
		"                    end; events a full ring gave up are counted (events_lost),\n"
		"                    never waited for. Delay rules log one line per packet\n"
		"                    held (action delay, delay_ns) or sent ahead by reorder=\n"
		"                    (\"reordered\":true), from a ring the delay line fills\n"
		"  -j, --json        print the summary as JSON on stdout\n"
		"  -v, --verbose     say what is armed, and the load/attach times\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: CMD's status (128+N if killed by signal N); without CMD 0; 2 bad\n"
		"usage or refused rule, 3 the device's tc hook is held by another faultline\n"
		"session (the same command sent twice: the first runs on), 125 faultline\n"
		"failed, 126/127 CMD not executable/found.\n"
		"If faultline is killed, its watchdog or 'faultline cleanup' removes its qdiscs,\n"
		"filters, IFB devices and cgroup (killing a launched CMD). Needs root. Examples:\n"
		"  faultline net 'tcp:dport=5432:drop:prob=30%%' --dev eth0 --for 30s\n"
		"  faultline net 'ip:partition' --netns blue --for 10s\n"
		"  faultline net 'tcp:dport=5432:reject' --netns blue --for 10s\n"
		"  faultline net 'tcp:dport=5432:reset' --netns blue --for 1s\n"
		"  faultline net 'udp:dport=53:drop' -- ./client\n"
		"  faultline net 'connect:dport=5432:error=ECONNREFUSED' -- ./client\n"
		"  faultline net 'udp:dport=5001:delay=30ms~5ms:reorder=10%%' --netns blue --for 30s\n"
		"  faultline net 'tcp:dport=5432:rate=1mbit' --dev eth0 --for 1m\n",
		FL_NET_MAX_RULES);
}

const struct option fl_net_options[] = {
	{ "netns",   required_argument, NULL, 'n' },
	{ "dev",     required_argument, NULL, 'd' },
	{ "cgroup",  required_argument, NULL, 'c' },
	{ "pid",     required_argument, NULL, 'p' },
	{ "seed",    required_argument, NULL, 's' },
	{ "for",     required_argument, NULL, 'f' },
	{ "log",     required_argument, NULL, 'l' },
	{ "json",    no_argument,       NULL, 'j' },
	{ "verbose", no_argument,       NULL, 'v' },
	{ "help",    no_argument,       NULL, 'h' },
	{ 0 },
};

static int set_value(struct net_opts *o, const char *name, const char *val)
{
	char excerpt[40], *end;
	long n;

	if (!strcmp(name, "log")) {
		o->log_path = val;
	} else if (!strcmp(name, "for")) {
		if (fl_parse_duration(val, &o->for_ns) || o->for_ns == 0)
			return fl_cli_bad("net: --for: invalid duration '%s' (e.g. 500ms, 30s, 5m)",
				   fl_rule_excerpt(val, excerpt, sizeof(excerpt)));
	} else if (!strcmp(name, "seed")) {
		bool digit = *val >= '0' && *val <= '9';

		errno = 0;
		if (digit)
			o->seed = strtoull(val, &end, 0);
		if (!digit || errno || *end)
			return fl_cli_bad("net: --seed: '%s' is not a number from 0 to 2^64-1",
				   fl_rule_excerpt(val, excerpt, sizeof(excerpt)));
		o->have_seed = true;
	} else if (!strcmp(name, "pid")) {
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || *end || n <= 0 || n > INT_MAX)
			return fl_cli_bad("net: --pid: '%s' is not a process id",
				   fl_rule_excerpt(val, excerpt, sizeof(excerpt)));
		o->pid = (pid_t)n;
	} else {
		const char **slot = !strcmp(name, "netns") ? &o->netns :
				    !strcmp(name, "dev") ? &o->dev : &o->cgroup;

		if (*slot)
			return fl_cli_bad("net: --%s given twice", name);
		if (!*val)
			return fl_cli_bad("net: --%s needs a value", name);
		*slot = val;
	}
	return 0;
}

static int check_target(const struct net_opts *o)
{
	int kinds = !!o->cmd + !!o->pid + !!o->cgroup + !!(o->dev || o->netns);

	if (kinds == 0)
		return fl_cli_bad("net: no target: give --netns, --dev, --cgroup, --pid, or a command after '--'");
	if (kinds > 1)
		return fl_cli_bad("net: give one target: --netns, --dev [--netns], --cgroup, --pid or '-- CMD'");
	return 0;
}

/* Options may come before, between or after the rules, up to "--". */
static int parse_args(int argc, char **argv, const struct fl_cli *cli, struct net_opts *o)
{
	bool dashdash = false;
	int i, err;

	o->json = cli->json;
	o->verbose = cli->verbose;
	o->log_path = cli->log_path;
	o->rule_text = calloc((size_t)argc, sizeof(*o->rule_text));
	if (!o->rule_text)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *name;

		if (!strcmp(a, "--")) {
			dashdash = true;
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			o->rule_text[o->n_rules++] = argv[i];
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose++;
		} else if ((name = fl_cli_valued_option(fl_net_options, a, &val))) {
			if (!val) {
				if (i + 1 >= argc)
					return fl_cli_bad("net: %s needs a value", a);
				val = argv[++i];
			}
			err = set_value(o, name, val);
			if (err)
				return err;
		} else {
			char excerpt[40];

			return fl_cli_bad("net: unknown option '%s' (see 'faultline net --help')",
				   fl_rule_excerpt(a, excerpt, sizeof(excerpt)));
		}
	}
	if (o->n_rules == 0)
		return fl_cli_bad("net: no rule given (e.g. 'tcp:dport=5432:drop:prob=30%%')");
	if (o->n_rules > FL_NET_MAX_RULES)
		return fl_cli_bad("net: too many rules (at most %d)", FL_NET_MAX_RULES);
	if (dashdash && i < argc)
		o->cmd = &argv[i];
	if (dashdash && !o->cmd)
		return fl_cli_bad("net: no command after '--'");
	return check_target(o);
}

static enum fl_net_target_kind target_kind(const struct net_opts *o)
{
	if (o->dev)
		return FL_NET_TARGET_DEV;
	if (o->netns)
		return FL_NET_TARGET_NETNS;
	return FL_NET_TARGET_CGROUP;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parse, check for the net domain, and compile (which refuses what is not built). */
static int compile_rules(const struct net_opts *o, struct net_run *r, uint64_t start_ns)
{
	struct fl_net_compile_opts co = {
		.kind = target_kind(o), .start_ns = start_ns, .seed = o->seed,
		.shape = true,
	};
	char excerpt[NET_EXCERPT_LEN];
	struct fl_rule_error err;
	int bad_rule = -1, e;

	for (size_t i = 0; i < o->n_rules; i++) {
		memset(&err, 0, sizeof(err));
		if (fl_rule_parse(o->rule_text[i], &r->rules[i], &err) ||
		    fl_rule_check_domain(&r->rules[i], FL_DOMAIN_NET, &err)) {
			fl_cli_error("%s: %s",
				     fl_rule_excerpt(o->rule_text[i], excerpt, sizeof(excerpt)),
				     err.message);
			return -EINVAL;
		}
	}
	if (!r->shape_picked &&
	    fl_cli_net_pick_shaping(r->rules, o->rule_text, o->n_rules, target_kind(o), o->verbose,
				    r->shape_mech))
		return -EOPNOTSUPP;
	r->shape_picked = true;
	memset(&err, 0, sizeof(err));
	e = fl_net_compile(r->rules, o->n_rules, &co, r->krules, r->origin, FL_NET_MAX_RULES,
			   &r->n_krules, &bad_rule, &err);
	if (!e)
		return 0;
	if (bad_rule >= 0)
		fl_cli_error("%s: %s",
			     fl_rule_excerpt(o->rule_text[bad_rule], excerpt, sizeof(excerpt)),
			     err.message);
	else
		fl_cli_error("net: %s", err.message);
	return e;
}

/* The cgroup v2 directory of pid, from /proc/PID/cgroup ("0::/path"). */
static int pid_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64], line[PATH_MAX + 16], rel[PATH_MAX + 16] = "";
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(rel, sizeof(rel), "%s", line + 3);
		}
	}
	fclose(f);
	if (!rel[0])
		return -ENOENT;     /* no cgroup v2 membership line */
	if (!strcmp(rel, "/"))
		return -EPERM;      /* the root: the whole host */
	err = fl_cgroup2_resolve(rel, buf, len);
	return err;
}

static size_t count_procs(const char *dir)
{
	char buf[65536];
	size_t n = 0;

	if (fl_cgroup_read(dir, "cgroup.procs", buf, sizeof(buf)))
		return 0;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

/* The thread group of a task id (/proc/PID/status "Tgid:"), 0 if unknown. */
static pid_t pid_tgid_of(pid_t pid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5))
			tgid = (pid_t)atoi(line + 5);
	if (f)
		fclose(f);
	return tgid;
}

/*
 * --pid: the pid's own cgroup, where the programs go; they act on the
 * process's sockets alone (<faultline/net.h>'s target pid).
 */
static int resolve_pid(const struct net_opts *o, struct net_run *r)
{
	int err = pid_cgroup(o->pid, r->cgroup, sizeof(r->cgroup));
	pid_t tgid = err ? 0 : pid_tgid_of(o->pid);

	if (err == -ESRCH)
		return fl_cli_bad("net: --pid %d: no such process", (int)o->pid);
	if (err == -EPERM)
		return fl_cli_bad("net: --pid %d is in the root cgroup: that would hit the whole host; run it under its own cgroup, or use '-- CMD'",
			   (int)o->pid);
	if (err)
		return fl_cli_bad("net: --pid %d: cannot find its cgroup v2 directory: %s", (int)o->pid,
			   strerror(-err));
	if (tgid && tgid != o->pid)
		return fl_cli_bad("net: --pid %d is a thread of process %d: give the process (all its threads are hit)",
			   (int)o->pid, (int)tgid);
	/* Watched: when it exits the run ends, before its pid can go to another process. */
	r->pid_fd = (int)syscall(SYS_pidfd_open, o->pid, 0);
	return 0;
}

static bool is_sock(const struct net_run *r, size_t i);
static bool is_reset(const struct net_run *r, size_t i);

/* --pid: what is hit, said once armed (the sockets were counted then). */
static void say_pid(const struct net_opts *o, const struct net_run *r)
{
	size_t procs = count_procs(r->cgroup), socks = fl_net_session_pid_sockets(r->sess);
	size_t ncg, moved, unseen;
	const char *first;
	bool pkt = false, sock = false, reset = false;

	for (size_t i = 0; i < o->n_rules; i++) {
		sock |= is_sock(r, i);
		pkt |= !is_sock(r, i) && !is_reset(r, i);
		reset |= is_reset(r, i);
	}
	fprintf(stderr, "faultline: --pid %d: only its own ", (int)o->pid);
	if (pkt)
		fprintf(stderr,
			"sockets' packets (the %zu IPv4/IPv6 socket%s it holds now, and those it creates or accepts while armed: cgroup_skb and cgroup/sock_create on its cgroup, filtered by socket)%s",
			socks, socks == 1 ? "" : "s", sock || reset ? " and " : "");
	if (sock)
		fprintf(stderr, "connect/sendmsg/bind calls (cgroup sock_addr, filtered by its tgid)%s",
			reset ? " and " : "");
	if (reset)
		fprintf(stderr, "TCP connections (reset: those in its file table at each sweep)");
	fprintf(stderr, " are hit; not the %zu other process%s of its cgroup %s, nor the processes it forks (but the sockets they inherit from it); it is not moved\n",
		procs ? procs - 1 : 0, procs == 2 ? "" : "es", r->cgroup);
	/* A socket is seen through the cgroup it was made in. */
	ncg = fl_net_session_pid_cgroups(r->sess, &moved, &unseen, &first);
	if (ncg)
		fprintf(stderr,
			"faultline: --pid %d: %zu of its sockets were made in another cgroup (%s%s): the packet programs went there too, with the same filter\n",
			(int)o->pid, moved, first, ncg > 1 ? " and others" : "");
	if (unseen)
		fprintf(stderr,
			"faultline: warning: --pid %d: %zu of its sockets were made in the root cgroup (or in one removed since): their packets are NOT seen (the programs would have to run for every packet of the host)\n",
			(int)o->pid, unseen);
}

/*
 * delay= and rate= pick their packets by device or by cgroup (iptables
 * -m cgroup, HTB): on --pid they would hit every process of its cgroup.
 * Refused, at the action's column.
 */
static int refuse_pid_only(const struct net_opts *o, const struct net_run *r)
{
	char excerpt[NET_EXCERPT_LEN];

	for (size_t i = 0; o->pid && i < o->n_rules; i++) {
		enum fl_action a = r->rules[i].action;
		const char *key = a == FL_ACTION_DELAY ? "delay=" : a == FL_ACTION_RATE ? "rate=" :
				  NULL;
		const char *at = key ? strstr(o->rule_text[i], key) : NULL;

		if (!key)
			continue;
		fl_cli_error("%s: %.*s on --pid is not built: it picks packets by cgroup or device, so every process of the pid's cgroup would be hit; use --cgroup on a cgroup of the process's own, or '-- CMD', at column %u",
			     fl_rule_excerpt(o->rule_text[i], excerpt, sizeof(excerpt)),
			     (int)strcspn(key, "="), key,
			     at ? (unsigned)(at - o->rule_text[i]) + 1 : 1u);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* CMD's own group, recorded (as a service: the undo kills CMD) before it exists. */
static int make_cgroup(struct net_run *r)
{
	char root[PATH_MAX], name[64], full[PATH_MAX + 64];
	int err;

	snprintf(name, sizeof(name), "faultline-net-%d", (int)getpid());
	err = fl_cgroup2_root(root, sizeof(root));
	if (err) {
		fl_cli_error("net: no cgroup v2 hierarchy for the command: %s", strerror(-err));
		return err;
	}
	snprintf(full, sizeof(full), "%s/%s", root, name);
	err = fl_state_record_service_cgroup(r->st, full, &r->cgroup_rec);
	if (err) {
		fl_cli_error("net: cannot record the command's cgroup: %s", strerror(-err));
		return err;
	}
	err = fl_cgroup_create(name, r->cgroup, sizeof(r->cgroup));
	if (err) {
		fl_state_forget(r->st, r->cgroup_rec);
		r->cgroup_rec = 0;
		fl_cli_error("net: cannot create cgroup %s: %s", full, strerror(-err));
		return err;
	}
	r->made_cgroup = true;
	return 0;
}

static void remove_cgroup(struct net_run *r)
{
	unsigned killed = 0;
	int err;

	if (!r->made_cgroup)
		return;
	err = fl_cgroup_kill(r->cgroup, NET_KILL_NS, &killed);
	if (!err)
		err = fl_cgroup_rmdir(r->cgroup, NET_RMDIR_MS);
	if (err) {
		/* The record stays: fl_state_close or 'faultline cleanup' retries. */
		fl_cli_error("net: cannot remove the command's cgroup %s: %s", r->cgroup,
			     strerror(-err));
		return;
	}
	if (killed)
		fprintf(stderr, "faultline: killed %u process%s the command left in its cgroup\n",
			killed, killed == 1 ? "" : "es");
	fl_state_forget(r->st, r->cgroup_rec);
	r->made_cgroup = false;
}

static void describe_target(const struct net_opts *o, const struct net_run *r, char *buf,
			    size_t len)
{
	if (o->dev)
		snprintf(buf, len, "dev %s%s%s", o->dev, o->netns ? " in netns " : "",
			 o->netns ? o->netns : "");
	else if (o->netns)
		snprintf(buf, len, "netns %s", o->netns);
	else if (o->pid)
		snprintf(buf, len, "pid %d's sockets (in cgroup %s)", (int)o->pid, r->cgroup);
	else if (o->cmd)
		snprintf(buf, len, "cgroup %s (of the command)", r->cgroup);
	else
		snprintf(buf, len, "cgroup %s", r->cgroup);
}

/* A delay= rule on the NFQUEUE delay line. */
static bool is_delay(const struct net_run *r, size_t i)
{
	return r->rules[i].action == FL_ACTION_DELAY &&
	       r->shape_mech[i] == FL_NET_SHAPE_NFQUEUE;
}

/* A delay= or rate= rule shaped by netem or HTB. */
static bool is_shaped(const struct net_run *r, size_t i)
{
	return r->shape_mech[i] == FL_NET_SHAPE_NETEM || r->shape_mech[i] == FL_NET_SHAPE_HTB;
}

/* The delay line's counters: final after the disarm, else live. */
static void delay_counts(const struct net_run *r, size_t i, struct fl_net_delay_counters *c)
{
	if (r->delay[i])
		fl_net_delay_read(r->delay[i], c);
	else
		*c = r->delay_final[i];
}

static bool is_sock(const struct net_run *r, size_t i)
{
	return r->rules[i].action == FL_ACTION_ERROR;
}

/* reset rules: counted in connections (matched: those that fit, injected: those aborted). */
static bool is_reset(const struct net_run *r, size_t i)
{
	return r->rules[i].action == FL_ACTION_RESET;
}

static const char *rule_mechanism(const struct net_opts *o, const struct net_run *r, size_t i)
{
	if (is_reset(r, i)) {
		const char *m = fl_net_session_reset_mechanism(r->sess);

		return m ? m : "sock-destroy";
	}
	if (is_delay(r, i))
		return r->delay_mech[i] ? r->delay_mech[i] : fl_mechanism_name(FL_MECH_NFQUEUE);
	if (is_shaped(r, i))
		return fl_net_shape_mech_name(r->shape_mech[i], fl_net_shape_uses_ifb(r->shape, i));
	if (is_sock(r, i))
		return fl_mechanism_name(FL_MECH_CGROUP_SOCK);
	return fl_mechanism_name(target_kind(o) == FL_NET_TARGET_CGROUP ? FL_MECH_CGROUP_SKB :
									 FL_MECH_TC);
}

static const char *mechanism(const struct net_opts *o)
{
	return fl_mechanism_name(target_kind(o) == FL_NET_TARGET_CGROUP ? FL_MECH_CGROUP_SKB :
									 FL_MECH_TC);
}

/* Per typed rule: the sums over the kernel rules it became. */
static void rule_counts(const struct net_run *r, size_t i, uint64_t *matched,
			uint64_t *injected)
{
	struct fl_net_counters c;

	*matched = *injected = 0;
	if (is_delay(r, i)) {
		struct fl_net_delay_counters dc;

		/* queued: it matched; delayed: it was held (reordered ones were not). */
		delay_counts(r, i, &dc);
		*matched = dc.queued;
		*injected = dc.delayed;
		return;
	}
	if (is_shaped(r, i)) {
		struct fl_net_shape_counters sc = { 0 };

		/* Every packet the classifier put into the rule's class was shaped. */
		if (r->shape)
			fl_net_shape_counters(r->shape, i, &sc);
		*matched = *injected = sc.packets;
		return;
	}
	for (size_t k = 0; k < r->n_krules; k++) {
		if (r->origin[k] != i || fl_net_session_counters(r->sess, k, &c))
			continue;
		*matched += c.matched;
		*injected += c.injected;
	}
}

/* Per typed rule: injections whose event the full ring gave up (not in the log). */
static uint64_t rule_events_lost(const struct net_run *r, size_t i)
{
	struct fl_net_counters c;
	uint64_t lost = 0;

	if (is_delay(r, i))
		return r->delay_ring[i] ? fl_net_delay_ring_lost(r->delay_ring[i]) : 0;
	for (size_t k = 0; k < r->n_krules; k++)
		if (r->origin[k] == i && !fl_net_session_counters(r->sess, k, &c))
			lost += c.events_lost;
	return lost;
}

static void rule_text(const struct net_opts *o, const struct net_run *r, size_t i,
		      char *buf, size_t len)
{
	if (fl_rule_format(&r->rules[i], buf, len) < 0)
		fl_rule_excerpt(o->rule_text[i], buf, len);
}

static void add_delay_counts(const struct net_run *r, size_t i, json_t *j)
{
	struct fl_net_delay_counters c;

	delay_counts(r, i, &c);
	json_object_set_new(j, "queued", json_integer((json_int_t)c.queued));
	json_object_set_new(j, "delayed", json_integer((json_int_t)c.delayed));
	json_object_set_new(j, "reordered", json_integer((json_int_t)c.reordered));
	json_object_set_new(j, "overflowed", json_integer((json_int_t)c.overflowed));
	if (r->delay_ring[i])
		json_object_set_new(j, "events_lost", json_integer((json_int_t)rule_events_lost(r, i)));
}

/* One JSON line per rule; final at the end. Returns -errno on a write error. */
static int log_counts(const struct net_opts *o, struct net_run *r, bool final,
		      uint64_t *last_total)
{
	uint64_t t = (r->disarmed_ns ? r->disarmed_ns : now_ns()) - r->armed_ns, total = 0, m, inj;
	char text[512];
	int err = 0;

	if (!r->log)
		return 0;
	for (size_t i = 0; i < o->n_rules; i++) {
		rule_counts(r, i, &m, &inj);
		total += m + inj;
	}
	if (!final && last_total && total == *last_total)
		return 0;
	if (last_total)
		*last_total = total;
	for (size_t i = 0; i < o->n_rules; i++) {
		json_t *j;

		rule_counts(r, i, &m, &inj);
		rule_text(o, r, i, text, sizeof(text));
		j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:b}",
			      "event", "net_counts", "t_ns", (json_int_t)t,
			      "rule", (json_int_t)i, "text", text,
			      "mechanism", rule_mechanism(o, r, i),
			      "matched", (json_int_t)m, "injected", (json_int_t)inj,
			      "final", final);
		if (j && is_delay(r, i))
			add_delay_counts(r, i, j);
		else if (j && r->events)
			json_object_set_new(j, "events_lost",
					    json_integer((json_int_t)rule_events_lost(r, i)));
		if (!j || json_dumpf(j, r->log, JSON_COMPACT) || fputc('\n', r->log) == EOF)
			err = -EIO;
		json_decref(j);
	}
	if (fflush(r->log))
		err = -errno;
	return err;
}

static double armed_s(const struct net_run *r)
{
	return ((r->disarmed_ns ? r->disarmed_ns : now_ns()) - r->armed_ns) / 1e9;
}

static void print_summary(const struct net_opts *o, struct net_run *r)
{
	char text[512], where[PATH_MAX + 64];
	uint64_t m, inj;
	json_t *root, *arr;

	describe_target(o, r, where, sizeof(where));
	if (!o->json) {
		for (size_t i = 0; i < o->n_rules; i++) {
			struct fl_net_delay_counters c;

			rule_text(o, r, i, text, sizeof(text));
			if (is_delay(r, i)) {
				delay_counts(r, i, &c);
				fprintf(stderr,
					"rule %zu %s  [%s]  queued %llu  delayed %llu  reordered %llu  overflowed %llu\n",
					i, text, rule_mechanism(o, r, i),
					(unsigned long long)c.queued, (unsigned long long)c.delayed,
					(unsigned long long)c.reordered,
					(unsigned long long)c.overflowed);
				continue;
			}
			rule_counts(r, i, &m, &inj);
			fprintf(stderr, is_reset(r, i) ?
				"rule %zu %s  [%s]  connections matched %llu  reset %llu" :
				"rule %zu %s  [%s]  matched %llu  injected %llu", i, text,
				rule_mechanism(o, r, i), (unsigned long long)m,
				(unsigned long long)inj);
			/* --log misses these: the event ring was full */
			if (r->events && rule_events_lost(r, i))
				fprintf(stderr, "  (%llu not in the log: event ring full)",
					(unsigned long long)rule_events_lost(r, i));
			fputc('\n', stderr);
		}
		fprintf(stderr, "faultline: disarmed on %s after %.3fs (seed %llu)\n", where,
			armed_s(r), (unsigned long long)o->seed);
		return;
	}
	root = json_object();
	arr = json_array();
	for (size_t i = 0; i < o->n_rules; i++) {
		size_t kernel = 0;
		json_t *j;

		for (size_t k = 0; k < r->n_krules; k++)
			kernel += r->origin[k] == i;
		rule_counts(r, i, &m, &inj);
		rule_text(o, r, i, text, sizeof(text));
		j = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I}",
			"rule", (json_int_t)i, "text", text, "mechanism", rule_mechanism(o, r, i),
			"kernel_rules", (json_int_t)kernel,
			"matched", (json_int_t)m, "injected", (json_int_t)inj);
		if (j && is_delay(r, i))
			add_delay_counts(r, i, j);
		else if (j && r->events)
			json_object_set_new(j, "events_lost",
					    json_integer((json_int_t)rule_events_lost(r, i)));
		if (j && is_shaped(r, i))
			fl_cli_net_shape_json(r->shape, i, j);
		if (j && is_reset(r, i))
			json_object_set_new(j, "connections_reset", json_integer((json_int_t)inj));
		json_array_append_new(arr, j);
	}
	json_object_set_new(root, "target", json_string(where));
	if (o->seed <= INT64_MAX) {
		json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
	} else {
		/* past JSON's signed 64 bits: as a decimal string */
		char num[24];

		snprintf(num, sizeof(num), "%llu", (unsigned long long)o->seed);
		json_object_set_new(root, "seed", json_string(num));
	}
	json_object_set_new(root, "armed_s", json_real(armed_s(r)));
	json_object_set_new(root, "stopped_by", json_string(
		r->stop_signal ? "signal" : r->for_ended ? "for" :
		r->child_exited || r->pid_exited ? "exit" : "error"));
	json_object_set_new(root, "pid", r->child ? json_integer(r->child) : json_null());
	if (r->child && r->child_exited) {
		json_object_set_new(root, "exit_status", json_integer(
			WIFEXITED(r->wstatus) ? WEXITSTATUS(r->wstatus) : 128 + WTERMSIG(r->wstatus)));
	} else {
		json_object_set_new(root, "exit_status", json_null());
	}
	json_object_set_new(root, "rules", arr);
	json_dumpf(root, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(root);
}

/*
 * Fork CMD into its cgroup. The child moves itself before exec, so its
 * first packet is already in the group; an exec failure comes back
 * through a CLOEXEC pipe as an errno.
 */
static int launch(const struct net_opts *o, struct net_run *r)
{
	int fds[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		e = -errno;
		close(fds[0]);
		close(fds[1]);
		return e;
	}
	if (pid == 0) {
		close(fds[0]);
		fl_state_watchdog_detach_child(r->st);
		e = fl_cgroup_add_pid(r->cgroup, getpid());
		if (!e) {
			sigprocmask(SIG_SETMASK, &o->orig_mask, NULL);
			execvp(o->cmd[0], o->cmd);
			e = -errno;
		}
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(FL_CLI_EXIT_INTERNAL);
		_exit(e == -ENOENT ? FL_CLI_EXIT_NOTFOUND : FL_CLI_EXIT_NOEXEC);
	}
	close(fds[1]);
	do
		n = read(fds[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	r->child = pid;
	if (n == (ssize_t)sizeof(e) && e) {
		waitpid(pid, &r->wstatus, 0);
		r->child_exited = true;
		return e;
	}
	return 0;
}

/* Held packets go at once, the queue rules go; the counters stay. */
static void stop_delay_lines(struct net_run *r)
{
	char errbuf[256];

	for (size_t i = 0; i < FL_NET_MAX_RULES; i++) {
		if (!r->delay[i])
			continue;
		errbuf[0] = '\0';
		if (fl_net_delay_stop(r->delay[i], &r->delay_final[i], errbuf, sizeof(errbuf)))
			fl_cli_error("net: rule %zu: stopping its delay line: %s (the watchdog or 'faultline cleanup' removes the rest)",
				     i, errbuf[0] ? errbuf : "failed");
		r->delay[i] = NULL;
	}
}

static bool has_delay_rings(const struct net_run *r)
{
	for (size_t i = 0; i < FL_NET_MAX_RULES; i++)
		if (r->delay_ring[i])
			return true;
	return false;
}

/* One delay line per delay= rule, recorded in the run's state. */
static int start_delay_lines(const struct net_opts *o, struct net_run *r, char *errbuf,
			     size_t errlen)
{
	for (size_t i = 0; i < o->n_rules; i++) {
		const struct fl_rule *rule = &r->rules[i];
		struct fl_net_delay_params p = {
			.delay_ns = rule->arg.delay.ns,
			.jitter_ns = rule->arg.delay.jitter_ns,
			.reorder_ppm = rule->net.reorder_ppm,
			.seed = (rule->keys & FL_KEY_SEED) ? rule->seed : o->seed,
		};
		char why[384] = "";
		int err;

		if (!is_delay(r, i))
			continue;
		if (o->dev)
			snprintf(p.dev, sizeof(p.dev), "%s", o->dev);
		/* --log: the line fills a ring with its packets' events; the main loop drains it. */
		if (r->log && (err = fl_net_delay_ring_new(0, &r->delay_ring[i]))) {
			snprintf(errbuf, errlen, "rule %zu: delay line's event ring: %s", i,
				 strerror(-err));
			return err;
		}
		p.events = r->delay_ring[i];
		p.rule = (uint16_t)i;
		if (target_kind(o) == FL_NET_TARGET_CGROUP &&
		    (err = fl_cli_cgroup_rel(r->cgroup, p.cgroup, sizeof(p.cgroup)))) {
			snprintf(errbuf, errlen, "rule %zu: the cgroup's path under the cgroup2 root: %s",
				 i, strerror(-err));
			return err;
		}
		err = fl_net_delay_start(&rule->net, o->netns, &p, r->st, &r->delay[i], why,
					 sizeof(why));
		if (err) {
			snprintf(errbuf, errlen, "rule %zu: delay line: %s", i,
				 why[0] ? why : strerror(-err));
			return err;
		}
		r->delay_mech[i] = fl_mechanism_name(fl_net_delay_mechanism(r->delay[i]));
	}
	return 0;
}

/* netem and HTB rules, recorded in the run's state; after the datapath's filters. */
static int start_shaping(const struct net_opts *o, struct net_run *r, char *errbuf,
			 size_t errlen)
{
	bool any = false;

	for (size_t i = 0; i < o->n_rules; i++)
		any |= is_shaped(r, i);
	if (!any)
		return 0;
	return fl_net_shape_start(r->rules, r->shape_mech, o->n_rules, &r->target,
				  fl_cli_net_ingress_busy(r->krules, r->n_krules), r->st,
				  &r->shape, errbuf, errlen);
}

static void disarm(const struct net_opts *o, struct net_run *r)
{
	char errbuf[256] = "";

	r->disarmed_ns = now_ns();
	stop_delay_lines(r);
	/* Before the session: its clsact may hold the ingress redirect to the IFB. */
	if (r->shape && fl_net_shape_stop(r->shape, errbuf, sizeof(errbuf)))
		fl_cli_error("net: disarm: %s (the watchdog or 'faultline cleanup' removes the rest)",
			     errbuf);
	if (r->sess && fl_net_session_detach(r->sess, errbuf, sizeof(errbuf)))
		fl_cli_error("net: disarm: %s (the watchdog or 'faultline cleanup' removes the rest)",
			     errbuf);
	else if (o->verbose)
		fprintf(stderr, "faultline: disarmed\n");
}

/*
 * Armed: wait for --for, a stop signal, or CMD's exit. With CMD, a signal
 * is passed on and CMD is waited for (a second one kills its cgroup);
 * --for disarms and CMD runs on. The counters outlive the disarm (they
 * sit in the session's map until it is closed).
 */
static int wait_armed(const struct net_opts *o, struct net_run *r, int sfd)
{
	uint64_t deadline = o->for_ns ? r->armed_ns + o->for_ns : 0, last = UINT64_MAX;
	uint64_t counts_at = r->armed_ns + 1000000000ull;
	int signals = 0, log_err = 0;

	for (;;) {
		struct pollfd pfd[3] = { { .fd = sfd, .events = POLLIN },
					 { .fd = r->events && !log_err ? net_event_log_fd(r->events) : -1,
					   .events = POLLIN },
					 { .fd = r->disarmed_ns ? -1 : r->pid_fd, .events = POLLIN } };
		struct signalfd_siginfo si;
		int timeout = 1000, n;
		uint64_t t = now_ns();

		if (!r->disarmed_ns && deadline) {
			if (t >= deadline) {
				r->for_ended = true;
				disarm(o, r);
				if (!r->child)
					break;
				continue;
			}
			if ((deadline - t) / 1000000 < (uint64_t)timeout)
				timeout = (int)((deadline - t) / 1000000) + 1;
		}
		n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (pfd[2].revents & POLLIN)) {
			r->pid_exited = true;
			fprintf(stderr, "faultline: --pid %d exited\n", (int)o->pid);
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN) && !log_err)
			log_err = net_event_log_drain(r->events);
		/* Once a second: log the counts if they moved. */
		if (now_ns() >= counts_at) {
			counts_at = now_ns() + 1000000000ull;
			if (!r->disarmed_ns && !log_err && r->log)
				log_err = log_counts(o, r, false, &last);
		}
		if (n <= 0 || !(pfd[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (r->child && waitpid(r->child, &r->wstatus, WNOHANG) == r->child) {
				r->child_exited = true;
				break;
			}
			continue;
		}
		r->stop_signal = (int)si.ssi_signo;
		if (!r->child)
			break;
		if (++signals == 1)
			kill(r->child, (int)si.ssi_signo);
		else
			fl_cgroup_kill(r->cgroup, NET_KILL_NS, NULL);
	}
	if (log_err) {
		r->log_failed = true;
		fl_cli_error("net: log '%s': %s (counts or events were lost)", o->log_path,
			     strerror(-log_err));
	}
	return 0;
}

/* "tc", "nfqueue", "cgroup-skb", "cgroup-sock" as the rules use them: what the run armed. */
static const char *armed_mechanisms(const struct net_opts *o, const struct net_run *r,
				    char *buf, size_t len)
{
	bool delay = false, sock = false, pkt = false;
	size_t at = 0;

	const char *reset = NULL, *delay_mech = NULL;

	for (size_t i = 0; i < o->n_rules; i++) {
		delay |= is_delay(r, i);
		if (is_delay(r, i) && !delay_mech)
			delay_mech = rule_mechanism(o, r, i);
		sock |= is_sock(r, i);
		if (is_reset(r, i))
			reset = rule_mechanism(o, r, i);
		pkt |= !is_delay(r, i) && !is_sock(r, i) && !is_shaped(r, i) && !is_reset(r, i);
	}
	buf[0] = '\0';
	if (pkt)
		at += (size_t)snprintf(buf + at, len - at, "%s", mechanism(o));
	if (sock && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
				       fl_mechanism_name(FL_MECH_CGROUP_SOCK));
	if (delay && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", delay_mech);
	for (size_t i = 0; i < o->n_rules && at < len; i++) {
		const char *m = is_shaped(r, i) ? rule_mechanism(o, r, i) : NULL;
		bool seen = false;

		for (size_t k = 0; m && k < i; k++)
			seen |= is_shaped(r, k) && !strcmp(rule_mechanism(o, r, k), m);
		if (m && !seen)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", m);
	}
	if (reset && at < len)
		snprintf(buf + at, len - at, "%s%s", at ? ", " : "", reset);
	return buf;
}

static int arm(const struct net_opts *o, struct net_run *r)
{
	char errbuf[512] = "", where[PATH_MAX + 64], mech[64];
	uint64_t t0, t1, t2;
	int err;

	r->target.kind = target_kind(o);
	r->target.netns = o->netns;
	r->target.dev = o->dev;
	r->target.cgroup = r->target.kind == FL_NET_TARGET_CGROUP ? r->cgroup : NULL;
	r->target.pid = o->pid;
	t0 = now_ns();
	err = 0;
	if (r->n_krules)
		err = fl_net_session_open(r->krules, r->n_krules, &r->target, r->st, &r->sess,
					  errbuf, sizeof(errbuf));
	t1 = now_ns();
	/* Compiled again now: for= runs from the attach, not from before the load. */
	if (!err && compile_rules(o, r, now_ns()))
		return -EINVAL;
	if (!err && r->sess)
		err = fl_net_session_set_rules(r->sess, r->krules, r->n_krules, errbuf,
					       sizeof(errbuf));
	if (!err && r->sess)
		err = fl_net_session_attach(r->sess, errbuf, sizeof(errbuf));
	if (!err)
		err = start_delay_lines(o, r, errbuf, sizeof(errbuf));
	if (!err)
		err = start_shaping(o, r, errbuf, sizeof(errbuf));
	t2 = now_ns();
	describe_target(o, r, where, sizeof(where));
	if (err) {
		fl_cli_error("net: cannot arm on %s: %s", where, errbuf[0] ? errbuf : strerror(-err));
		return err;
	}
	r->armed_ns = t2;
	if (o->pid)
		say_pid(o, r);
	if (o->verbose || (!o->json && !o->cmd))
		fprintf(stderr, "faultline: %zu rule%s armed on %s (%s)%s\n", o->n_rules,
			o->n_rules == 1 ? "" : "s", where,
			armed_mechanisms(o, r, mech, sizeof(mech)),
			o->cmd ? "" : "; Ctrl-C to stop");
	if (o->verbose)
		fprintf(stderr, "faultline: load %.1fms, attach %.1fms\n", (t1 - t0) / 1e6,
			(t2 - t1) / 1e6);
	return 0;
}

static int exit_code(const struct net_opts *o, const struct net_run *r)
{
	if (!o->cmd)
		return 0;
	if (!r->child_exited)
		return FL_CLI_EXIT_INTERNAL;
	if (WIFEXITED(r->wstatus))
		return WEXITSTATUS(r->wstatus);
	return 128 + WTERMSIG(r->wstatus);
}

static int random_seed(uint64_t *ret)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		return -errno;
	/* Below 2^53: exact as a JSON number for every reader (JavaScript's too). */
	*ret = s & ((1ull << 53) - 1);
	return 0;
}

int cmd_net(int argc, char **argv, const struct fl_cli *cli)
{
	struct net_opts o = { 0 };
	struct net_run *r;
	sigset_t mask;
	int ret = FL_CLI_EXIT_USAGE, err, sfd = -1;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fl_cli_error("net: out of memory");
		return FL_CLI_EXIT_INTERNAL;
	}
	r->pid_fd = -1;
	/* Blocked before anything is armed: they are read from the signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &o.orig_mask)) {
		fl_cli_error("net: cannot set up signal handling: %s", strerror(errno));
		free(r);
		return FL_CLI_EXIT_INTERNAL;
	}
	err = parse_args(argc, argv, cli, &o);
	if (err) {
		ret = err > 0 ? 0 : FL_CLI_EXIT_USAGE;
		goto out;
	}
	if (!o.have_seed && random_seed(&o.seed)) {
		fl_cli_error("net: no random seed: %s (give --seed)", strerror(errno));
		goto out;
	}
	/* A refused rule is refused before anything else, root or not. */
	if (compile_rules(&o, r, 0) || refuse_pid_only(&o, r))
		goto out;
	if (!o.verbose)
		libbpf_set_print(NULL);
	if (geteuid() != 0) {
		fl_cli_error("net: needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
		goto out;
	}
	if (o.cgroup) {
		err = fl_cgroup2_resolve(o.cgroup, r->cgroup, sizeof(r->cgroup));
		if (err) {
			fl_cli_error("net: --cgroup %s: not a directory of the cgroup v2 hierarchy",
				     o.cgroup);
			goto out;
		}
	}
	if (o.pid && resolve_pid(&o, r))
		goto out;
	ret = FL_CLI_EXIT_INTERNAL;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fl_cli_error("net: signalfd: %s", strerror(errno));
		goto out;
	}
	err = fl_state_open(NULL, &r->st);
	if (!err)
		err = fl_state_watchdog_start(r->st);
	if (err) {
		fl_cli_error("net: cannot open the state directory: %s", strerror(-err));
		goto out;
	}
	if (o.log_path) {
		r->log = strcmp(o.log_path, "-") ? fopen(o.log_path, "ae") : stdout;
		if (!r->log) {
			fl_cli_error("net: cannot open log '%s': %s", o.log_path, strerror(errno));
			goto out;
		}
	}
	if (o.cmd && make_cgroup(r))
		goto out;
	err = arm(&o, r);
	if (err) {
		ret = err == -EINVAL || err == -EOPNOTSUPP || err == -ENODEV || err == -ENOENT ||
		      err == -EBUSY ? FL_CLI_EXIT_USAGE : FL_CLI_EXIT_INTERNAL;
		/*
		 * The tc hook is held by another faultline session: when the same
		 * command was resent because its acknowledgement was lost (over
		 * ssh), the first one holds it, until its --for ends. A status of
		 * its own lets the sender take that as "armed" (remote.h).
		 */
		if (err == -EEXIST)
			ret = NET_EXIT_HELD;
		goto out;
	}
	/* The ring keeps what came before this: no event of the attach is missed. */
	if (r->log && (r->sess || has_delay_rings(r))) {
		err = net_event_log_open(r->sess, r->log, r->origin, r->n_krules, &r->events);
		for (size_t i = 0; !err && i < FL_NET_MAX_RULES; i++)
			if (r->delay_ring[i])
				err = net_event_log_add_delay(r->events, (unsigned)i, r->delay_ring[i]);
		if (err) {
			fl_cli_error("net: cannot read the injection events: %s", strerror(-err));
			goto out;
		}
	}
	if (o.cmd) {
		err = launch(&o, r);
		if (err) {
			ret = fl_cli_launch_error(o.cmd[0], err);
			goto out;
		}
	}
	err = wait_armed(&o, r, sfd);
	if (err < 0) {
		fl_cli_error("net: while armed: %s", strerror(-err));
		goto out;
	}
	if (!r->disarmed_ns)
		disarm(&o, r);
	{
		/* What the ring still holds: the events of the last moments. */
		if (r->events) {
			err = net_event_log_drain(r->events);
			if (err && !r->log_failed)
				fl_cli_error("net: log '%s': %s (events were lost)", o.log_path,
					     strerror(-err));
		}
		if (r->log) {
			err = log_counts(&o, r, true, NULL);
			if (err)
				fl_cli_error("net: log '%s': %s", o.log_path, strerror(-err));
		}
		print_summary(&o, r);
	}
	ret = exit_code(&o, r);
out:
	if (r->child && !r->child_exited) {
		/* faultline failed with CMD still running: it does not run on unwatched. */
		fl_cgroup_kill(r->cgroup, NET_KILL_NS, NULL);
		waitpid(r->child, NULL, 0);
	}
	stop_delay_lines(r);
	net_event_log_close(r->events);
	for (size_t i = 0; i < FL_NET_MAX_RULES; i++)
		fl_net_delay_ring_free(r->delay_ring[i]);
	fl_net_shape_free(r->shape);
	fl_net_session_close(r->sess);
	remove_cgroup(r);
	if (r->st && fl_state_close(r->st))
		fl_cli_error("net: some of what was installed could not be removed: run 'faultline cleanup'");
	if (r->log && r->log != stdout)
		fclose(r->log);
	if (sfd >= 0)
		close(sfd);
	if (r->pid_fd >= 0)
		close(r->pid_fd);
	free(o.rule_text);
	free(r);
	return ret;
}
