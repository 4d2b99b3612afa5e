// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline syscall: make chosen syscalls of chosen processes fail, stall
 * or crash. Parses the command line, plans a mechanism per rule
 * (fl_syscall_plan, so that a refusal names the rule as it was typed),
 * runs the rules through fl_syscall_run, and prints: the injections as
 * they happen (-v, --log), the armed targets, the per-rule summary.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <jansson.h>
#include <faultline/event.h>
#include <faultline/rule.h>
#include <faultline/syscall.h>

#include "cli/cli.h"

#define SC_MAX_PIDS      64

struct sc_opts {
	bool json;
	int verbose;
	const char *log_path;
	uint64_t for_ns;          /* 0 = until stopped */
	char **rule_text;         /* points into argv */
	size_t n_rules;
	char **cmd;               /* argv after "--", NULL for running targets */
	pid_t pids[SC_MAX_PIDS];
	size_t n_pids;
	bool follow;
	const char *cgroups[FL_SC_MAX_CGROUPS];
	size_t n_cgroups;
	const char *comm;
	int mechanism;            /* forced, or -1 */
	unsigned skip_hooks;      /* struct fl_syscall_plan's, from --hook */
	bool have_seed;
	uint64_t seed;
	sigset_t orig_mask;       /* the mask faultline started with, for CMD */
};

/* What the run's callbacks print to. */
struct sc_out {
	const struct sc_opts *o;
	const struct fl_syscall_plan *plan;
	struct fl_event_log *log;
	int log_err;              /* first write error, reported once */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline syscall [OPTIONS] RULE... -- CMD [ARGS...]\n"
		"       faultline syscall [OPTIONS] RULE... (--pid PID [--follow] | --cgroup DIR | --comm NAME)\n"
		"\n"
		"Make chosen syscalls of chosen processes fail, stall or crash. Nothing else on\n"
		"the host is touched. CMD (and everything it forks) is launched and counted\n"
		"from its execve on; or the rules apply to running processes until --for runs\n"
		"out, Ctrl-C, or every --pid target has exited.\n"
		"\n"
		"RULE is SYSCALLS:ACTION[:SELECTOR]...  (strace --inject syntax, extended)\n"
		"  SYSCALLS     a name, a comma-separated set (\"fsync,fdatasync\"), or \"*\"\n"
		"  error=ERRNO  the call fails with ERRNO (EIO, ENOSPC, 5) and does not run\n"
		"  retval=N     the call returns N without running (launched commands only)\n"
		"  delay=DUR[~J] the call stalls for DUR (+-J), e.g. 20ms, 1s~100ms\n"
		"  signal=SIG   crash point: SIG is sent at the call's entry (SIGKILL, 9)\n"
		"  pause=DUR    the whole process is stopped at the call, continued after DUR\n"
		"  when=FIRST[..LAST][+STEP]  which matching calls, counted per rule from 1:\n"
		"               3 = the 3rd only, 3..5, 3+2 = 3rd, 5th, 7th..., 3..9+2\n"
		"  prob=P       fire with probability P (10%%, 0.1); seed=N makes it repeatable\n"
		"  count=N      at most N injections;  for=DUR  only during the first DUR\n"
		"  path=GLOB    only calls on a matching path; for fd calls, the fd's path\n"
		"               (launched commands only)\n"
		"Rules are tried in order and the first that fires wins; the rules after it do\n"
		"not count that call. At most %d rules.\n"
		"\n"
		"Mechanisms (see 'faultline probe'), picked per rule unless --mechanism says:\n"
		"  seccomp-notify     launched commands: any syscall and action; the call waits\n"
		"                     for faultline's answer (used unless every rule is signal=)\n"
		"  send-signal        signal=: bpf_send_signal at sys_enter. The process never\n"
		"                     sees the call return; with SIGKILL the kernel may still\n"
		"                     complete it (seccomp-notify kills before it runs)\n"
		"  sigstop            pause=, and delay= over %llums on running processes: SIGSTOP\n"
		"                     at the call, SIGCONT after DUR (stalls every thread)\n"
		"  bpf-loop-delay     delay= up to %llums on running processes: the thread spins\n"
		"                     in the kernel, holding its CPU for the whole delay\n"
		"  bpf-lsm, fmod-ret-security  error= on running processes for the calls an LSM\n"
		"                     hook sees (open, read, write, mmap, unlink, mkdir, rename,\n"
		"                     connect, ...); refused by hardened kernels\n"
		"  cgroup-sock        error= on running processes for socket calls\n"
		"send-signal, sigstop and bpf-loop-delay run on fentry of each named syscall\n"
		"where the kernel allows it (free for other processes), else on its tracepoint\n"
		"(every process's syscalls take the slower traced path), else on raw sys_enter\n"
		"A rule no available mechanism can honour is refused with what is missing.\n"
		"\n"
		"Targets (running processes):\n"
		"  -p, --pid PID       a process and all its threads (repeatable)\n"
		"  -F, --follow        with --pid: also the children it forks from now on\n"
		"  -c, --cgroup DIR    every process in a cgroup v2 directory or below it\n"
		"      --comm NAME     every thread named NAME (/proc/PID/task/TID/comm)\n"
		"Options:\n"
		"  -m, --mechanism NAME  use NAME for every rule; fails if it is unavailable or\n"
		"                      cannot honour a rule\n"
		"      --hook NAME     the first hook the send-signal, sigstop and bpf-loop-delay\n"
		"                      rules try: fentry (the default), tracepoint or raw-tp; a\n"
		"                      refused one falls back down that list (to compare them)\n"
		"  -s, --seed N        seed= for every rule that has none: prob= is repeatable\n"
		"  -f, --for DUR       stop injecting after DUR (e.g. 30s, 5m); CMD runs on\n"
		"  -l, --log FILE      append every injection as a JSON line to FILE ('-' = stdout)\n"
		"  -j, --json          print the per-rule summary as JSON on stdout\n"
		"  -v, --verbose       print each injection on stderr as it happens\n"
		"  -h, --help          this help\n"
		"\n"
		"At the end faultline prints, per rule, its mechanism (and hook) and how many\n"
		"calls matched and how many were injected. SIGINT, SIGTERM and SIGHUP are\n"
		"forwarded to CMD; faultline stops injecting and waits for CMD (a second\n"
		"signal stops the wait). On CMD, an error= rule with no when=, prob=,\n"
		"count=, path= or for= (and first on its syscalls) is answered by the seccomp\n"
		"filter itself: not counted, no events, and it fails calls until CMD exits;\n"
		"--mechanism seccomp-notify or --for keep every rule with faultline. A\n"
		"launched command is never left running under a filter without faultline:\n"
		"if faultline dies, a watchdog kills it.\n"
		"\n"
		"Exit status: CMD's status, or 128+N if CMD was killed by signal N; for running\n"
		"targets 0; 2 bad usage or refused rule, 125 faultline failed, 126 CMD not\n"
		"executable, 127 CMD not found. Needs root. Examples:\n"
		"  faultline syscall 'fsync:signal=SIGKILL:when=3' -- ./writer log 10\n"
		"  faultline syscall 'openat:error=ENOSPC:path=*.wal:prob=10%%' --seed 7 -- ./db\n"
		"  faultline syscall 'connect:error=ECONNREFUSED:count=3' --pid 4242\n"
		"  faultline syscall 'write:delay=20ms' --cgroup /sys/fs/cgroup/db --for 30s\n",
		FL_SC_MAX_RULES, FL_SC_SPIN_MAX_NS / 1000000, FL_SC_SPIN_MAX_NS / 1000000);
}

/*
 * The options (also read by 'faultline completion'); val is the short form,
 * 0 for none. Those taking a value are parsed through fl_cli_valued_option().
 */
const struct option fl_syscall_options[] = {
	{ "pid",       required_argument, NULL, 'p' },
	{ "follow",    no_argument,       NULL, 'F' },
	{ "cgroup",    required_argument, NULL, 'c' },
	{ "comm",      required_argument, NULL, 0 },
	{ "mechanism", required_argument, NULL, 'm' },
	{ "hook",      required_argument, NULL, 0 },
	{ "seed",      required_argument, NULL, 's' },
	{ "for",       required_argument, NULL, 'f' },
	{ "log",       required_argument, NULL, 'l' },
	{ "json",      no_argument,       NULL, 'j' },
	{ "verbose",   no_argument,       NULL, 'v' },
	{ "help",      no_argument,       NULL, 'h' },
	{ 0 },
};

static int set_value(struct sc_opts *o, const char *name, const char *val)
{
	char *end;
	long n;

	if (!strcmp(name, "log")) {
		o->log_path = val;
	} else if (!strcmp(name, "for")) {
		if (fl_parse_duration(val, &o->for_ns) || o->for_ns == 0)
			return fl_cli_bad("syscall: --for: invalid duration '%s' (e.g. 500ms, 30s, 5m)",
				   val);
	} else if (!strcmp(name, "pid")) {
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || *end || n <= 0 || n > INT_MAX)
			return fl_cli_bad("syscall: --pid: '%s' is not a process id", val);
		if (o->n_pids == SC_MAX_PIDS)
			return fl_cli_bad("syscall: --pid: at most %d pids", SC_MAX_PIDS);
		o->pids[o->n_pids++] = (pid_t)n;
	} else if (!strcmp(name, "cgroup")) {
		if (o->n_cgroups == FL_SC_MAX_CGROUPS)
			return fl_cli_bad("syscall: --cgroup: at most %d cgroups", FL_SC_MAX_CGROUPS);
		o->cgroups[o->n_cgroups++] = val;
	} else if (!strcmp(name, "comm")) {
		if (!*val || strlen(val) >= FL_COMM_LEN)
			return fl_cli_bad("syscall: --comm: '%s' is not a thread name (1 to 15 bytes)", val);
		o->comm = val;
	} else if (!strcmp(name, "mechanism")) {
		enum fl_mechanism m;

		if (fl_mechanism_from_name(val, &m))
			return fl_cli_bad("syscall: --mechanism: unknown mechanism '%s' (see 'faultline probe')",
				   val);
		o->mechanism = (int)m;
	} else if (!strcmp(name, "hook")) {
		enum fl_mechanism m;

		/* The hooks go by their mechanisms' names, best first. */
		if (fl_mechanism_from_name(val, &m) ||
		    (m != FL_MECH_FENTRY && m != FL_MECH_TRACEPOINT && m != FL_MECH_RAW_TP))
			return fl_cli_bad("syscall: --hook: unknown hook '%s' (fentry, tracepoint or raw-tp)",
				   val);
		o->skip_hooks = m == FL_MECH_FENTRY ? 0 :
				m == FL_MECH_TRACEPOINT ? FL_SC_SKIP_FENTRY : FL_SC_SKIP_TRACEPOINT;
	} else if (!strcmp(name, "seed")) {
		bool digit = *val >= '0' && *val <= '9';
		char excerpt[40];

		/* strtoull would take "-1" (and " 1", "+1") and wrap it to 2^64-1. */
		errno = 0;
		if (digit)
			o->seed = strtoull(val, &end, 0);
		if (!digit || errno || *end)
			return fl_cli_bad("syscall: --seed: '%s' is not a number from 0 to 2^64-1",
				   fl_rule_excerpt(val, excerpt, sizeof(excerpt)));
		o->have_seed = true;
	}
	return 0;
}

/* Options may come before, between or after the rules, up to "--". */
static int parse_args(int argc, char **argv, const struct fl_cli *cli, struct sc_opts *o)
{
	bool dashdash = false;
	int i, err;

	o->json = cli->json;
	o->verbose = cli->verbose;
	o->log_path = cli->log_path;
	o->mechanism = -1;
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
		} else if (!strcmp(a, "-F") || !strcmp(a, "--follow")) {
			o->follow = true;
		} else if ((name = fl_cli_valued_option(fl_syscall_options, a, &val))) {
			if (!val) {
				if (i + 1 >= argc)
					return fl_cli_bad("syscall: %s needs a value", a);
				val = argv[++i];
			}
			err = set_value(o, name, val);
			if (err)
				return err;
		} else {
			return fl_cli_bad("syscall: unknown option '%s' (see 'faultline syscall --help')",
				   a);
		}
	}
	if (o->n_rules == 0)
		return fl_cli_bad("syscall: no rule given (e.g. 'fsync:error=EIO:when=3')");
	if (o->n_rules > FL_SC_MAX_RULES)
		return fl_cli_bad("syscall: too many rules (at most %d)", FL_SC_MAX_RULES);
	if (dashdash && i < argc)
		o->cmd = &argv[i];
	if (dashdash && !o->cmd)
		return fl_cli_bad("syscall: no command after '--'");
	if (o->cmd && (o->n_pids || o->n_cgroups || o->comm))
		return fl_cli_bad("syscall: give either a command after '--' or running targets (--pid, --cgroup, --comm), not both");
	if (!o->cmd && !o->n_pids && !o->n_cgroups && !o->comm)
		return fl_cli_bad("syscall: no target: put a command after '--', or give --pid, --cgroup or --comm");
	if (o->follow && !o->n_pids)
		return fl_cli_bad("syscall: --follow applies to --pid targets");
	return 0;
}

/* Rule texts in messages are cut and escaped: an argument may be 100 KB of anything. */
#define SC_EXCERPT_LEN 96

static int parse_rules(const struct sc_opts *o, struct fl_rule *rules)
{
	char excerpt[SC_EXCERPT_LEN];
	struct fl_rule_error err;

	for (size_t i = 0; i < o->n_rules; i++) {
		memset(&err, 0, sizeof(err));
		if (fl_rule_parse(o->rule_text[i], &rules[i], &err) ||
		    fl_rule_check_domain(&rules[i], FL_DOMAIN_SYSCALL, &err)) {
			/* "RULE: MESSAGE"; the message names the column already. */
			fl_cli_error("%s: %s",
				     fl_rule_excerpt(o->rule_text[i], excerpt, sizeof(excerpt)),
				     err.message);
			return -EINVAL;
		}
		if (o->have_seed && !(rules[i].keys & FL_KEY_SEED)) {
			rules[i].seed = o->seed;
			rules[i].keys |= FL_KEY_SEED;
		}
	}
	return 0;
}

/* "error=EIO", "signal=SIGKILL", "delay=20.000ms" */
static const char *describe(const struct fl_event *ev, char *buf, size_t len)
{
	const char *name = NULL;

	switch (ev->action) {
	case FL_ACTION_ERROR:
		name = fl_errno_name((int)ev->value);
		break;
	case FL_ACTION_SIGNAL:
		name = fl_signal_name((int)ev->value);
		break;
	case FL_ACTION_DELAY:
	case FL_ACTION_PAUSE:
		snprintf(buf, len, "%s=%.3fms", fl_action_name(ev->action), ev->value / 1e6);
		return buf;
	default:
		break;
	}
	if (name)
		snprintf(buf, len, "%s=%s", fl_action_name(ev->action), name);
	else
		snprintf(buf, len, "%s=%lld", fl_action_name(ev->action), (long long)ev->value);
	return buf;
}

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct sc_out *out = ctx;
	const char *op = fl_syscall_name(ev->op);
	char what[64];
	int err;

	if (out->log && !out->log_err) {
		err = fl_event_log_write(out->log, ev);
		if (err)
			out->log_err = err;
	}
	if (!out->o->verbose)
		return 0;
	if (ev->result != FL_RESULT_INJECTED) {
		fprintf(stderr, "faultline: rule %u: %s FAILED on pid %u (%s) at %s #%llu: %s\n",
			ev->rule_id, fl_action_name(ev->action), ev->pid, ev->comm,
			op ? op : "syscall", (unsigned long long)ev->seq,
			strerror((int)(ev->value < 0 ? -ev->value : ev->value)));
		return 0;
	}
	fprintf(stderr, "faultline: rule %u: %s on pid %u tid %u (%s) at %s #%llu [%s]\n",
		ev->rule_id, describe(ev, what, sizeof(what)), ev->pid, ev->tid, ev->comm,
		op ? op : "syscall", (unsigned long long)ev->seq,
		fl_mechanism_name((enum fl_mechanism)ev->mechanism));
	return 0;
}

/*
 * The hook that carried rule i when it is a sys_enter rule (fentry,
 * tracepoint or raw-tp), else NULL: the other mechanisms are their own hook.
 */
static const char *rule_hook(const struct fl_syscall_run_result *res, size_t i)
{
	if (res->enter_hook < 0 || fl_syscall_mech_hook(res->plan.mech[i]) != FL_SC_HOOK_SYS_ENTER)
		return NULL;
	return fl_mechanism_name((enum fl_mechanism)res->enter_hook);
}

static void describe_targets(const struct sc_opts *o, const struct fl_syscall_run_result *now)
{
	const struct fl_syscall_plan *plan = &now->plan;

	fprintf(stderr, "faultline: %zu rule%s armed on", o->n_rules, o->n_rules == 1 ? "" : "s");
	for (size_t i = 0; i < o->n_pids; i++)
		fprintf(stderr, " pid %d%s", o->pids[i], o->follow ? " (and children)" : "");
	for (size_t i = 0; i < o->n_cgroups; i++)
		fprintf(stderr, " cgroup %s", o->cgroups[i]);
	if (o->comm)
		fprintf(stderr, " threads named '%s'", o->comm);
	fprintf(stderr, " (mechanism%s", o->n_rules == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n_rules; i++) {
		const char *hook = rule_hook(now, i);

		fprintf(stderr, "%s%s%s%s", i ? ", " : " ", fl_mechanism_name(plan->mech[i]),
			hook ? " on " : "", hook ? hook : "");
	}
	fprintf(stderr, "); Ctrl-C to stop\n");
}

static void on_phase(void *ctx, enum fl_syscall_run_phase phase,
		     const struct fl_syscall_run_result *now)
{
	struct sc_out *out = ctx;
	const struct sc_opts *o = out->o;

	if (phase == FL_SC_RUN_ARMED && !o->cmd && (!o->json || o->verbose))
		describe_targets(o, now);
	else if (phase == FL_SC_RUN_GAVE_UP)
		fl_cli_error("not waiting for pid %d any longer", now->pid);
}

/* SIGINT, SIGTERM, SIGHUP: each stops the run (and is passed on to CMD). */
static void stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

static int exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return FL_CLI_EXIT_INTERNAL;
}

static void rule_text(const struct sc_opts *o, const struct fl_rule *rules, size_t i,
		      char *buf, size_t len)
{
	if (fl_rule_format(&rules[i], buf, len) < 0)
		fl_rule_excerpt(o->rule_text[i], buf, len);
}

static void print_summary(const struct sc_opts *o, const struct fl_rule *rules,
			  const struct fl_syscall_run_result *res)
{
	char text[512];
	json_t *root, *arr;

	if (!o->json) {
		for (size_t i = 0; i < o->n_rules; i++) {
			const struct fl_syscall_stats *st = &res->stats[i];
			const char *hook = rule_hook(res, i);

			rule_text(o, rules, i, text, sizeof(text));
			if (st->in_kernel)
				fprintf(stderr, "rule %zu %s  [%s]  every call failed by the filter itself (not counted)",
					i, text, fl_mechanism_name(res->plan.mech[i]));
			else
				fprintf(stderr, "rule %zu %s  [%s%s%s]  matched %llu  injected %llu", i,
					text, fl_mechanism_name(res->plan.mech[i]),
					hook ? " on " : "", hook ? hook : "",
					(unsigned long long)st->matched,
					(unsigned long long)st->injected);
			if (st->failed)
				fprintf(stderr, "  failed %llu", (unsigned long long)st->failed);
			if (st->dropped)
				fprintf(stderr, "  events-lost %llu", (unsigned long long)st->dropped);
			fputc('\n', stderr);
		}
		return;
	}

	root = json_object();
	arr = json_array();
	for (size_t i = 0; i < o->n_rules; i++) {
		const struct fl_syscall_stats *st = &res->stats[i];

		const char *hook = rule_hook(res, i);

		rule_text(o, rules, i, text, sizeof(text));
		/* A rule the filter answers is not counted: null, not a false 0. */
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:b}",
			"rule", (json_int_t)i, "text", text,
			"mechanism", fl_mechanism_name(res->plan.mech[i]),
			"hook", hook ? json_string(hook) : json_null(),
			"matched", st->in_kernel ? json_null() : json_integer((json_int_t)st->matched),
			"injected", st->in_kernel ? json_null() : json_integer((json_int_t)st->injected),
			"failed", (json_int_t)st->failed,
			"events_lost", (json_int_t)st->dropped,
			"in_kernel", (int)st->in_kernel));
	}
	json_object_set_new(root, "pid", res->pid ? json_integer(res->pid) : json_null());
	if (res->exited) {
		json_object_set_new(root, "exit_status", json_integer(exit_status(res->wstatus)));
		if (WIFSIGNALED(res->wstatus))
			json_object_set_new(root, "signal", json_integer(WTERMSIG(res->wstatus)));
	} else {
		json_object_set_new(root, "exit_status", json_null());
	}
	json_object_set_new(root, "rules", arr);
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(root);
}

static struct fl_syscall_targets targets(const struct sc_opts *o)
{
	return (struct fl_syscall_targets){
		.pids = o->pids, .n_pids = o->n_pids, .follow = o->follow,
		.cgroups = o->cgroups, .n_cgroups = o->n_cgroups, .comm = o->comm,
		.launched = o->cmd != NULL,
	};
}

static int plan_rules(const struct sc_opts *o, const struct fl_rule *rules,
		      struct fl_syscall_plan *plan)
{
	struct fl_syscall_targets t = targets(o);
	struct fl_rule_error err = { 0 };
	char excerpt[SC_EXCERPT_LEN];
	int bad_rule, e;

	e = fl_syscall_plan(rules, o->n_rules, &t, o->mechanism, plan, &bad_rule, &err);
	if (!e) {
		plan->skip_hooks = o->skip_hooks;
		return 0;
	}
	if (bad_rule >= 0)
		fl_cli_error("%s: %s",
			     fl_rule_excerpt(o->rule_text[bad_rule], excerpt, sizeof(excerpt)),
			     err.message);
	else
		fl_cli_error("%s", err.message);
	return e;
}

/* Loading the BPF programs failed: say why in the words of the options. */
static int arm_error(const struct sc_opts *o, int err)
{
	if (err == -ESRCH)
		fl_cli_error("--pid: no such process (a target exited before the rules were armed)");
	else if (err == -ENOMEDIUM)
		fl_cli_error("pause= and delay= over %llums record the processes they stop in a pinned BPF map, and bpffs is not mounted at %s (mount -t bpf bpf %s)",
			     FL_SC_SPIN_MAX_NS / 1000000, FL_SC_BPFFS, FL_SC_BPFFS);
	else if (err == -ENOTDIR || err == -ENOENT)
		fl_cli_error("--cgroup: %s is not a directory of the cgroup v2 hierarchy",
			     o->n_cgroups ? o->cgroups[0] : "?");
	else
		fl_cli_error("cannot load the syscall fault programs: %s", strerror(-err));
	return err == -EINVAL || err == -ESRCH || err == -ENOTDIR || err == -ENOENT ?
	       FL_CLI_EXIT_USAGE : FL_CLI_EXIT_INTERNAL;
}

/* Run the planned rules; 0, or the exit status to use when faultline failed. */
static int run(const struct sc_opts *o, const struct fl_rule *rules,
	       const struct fl_syscall_plan *plan, struct sc_out *out,
	       struct fl_syscall_run_result *res)
{
	static const struct fl_syscall_run_ops ops = { .on_event = on_event, .on_phase = on_phase };
	struct fl_syscall_run_cfg cfg = {
		.rules = rules, .n_rules = o->n_rules, .plan = plan, .argv = o->cmd,
		.targets = targets(o), .child_mask = &o->orig_mask, .for_ns = o->for_ns,
	};
	bool seccomp = plan->mech[0] == FL_MECH_SECCOMP_NOTIFY;
	struct fl_syscall_run_error why;
	sigset_t stop;
	int err;

	for (size_t i = 0; i < o->n_pids; i++) {
		if (o->pids[i] == getpid()) {
			fl_cli_error("--pid %d is faultline itself", o->pids[i]);
			return FL_CLI_EXIT_USAGE;
		}
	}
	stop_signals(&stop);
	cfg.stop_signals = &stop;
	err = fl_syscall_run(&cfg, &ops, out, res, &why);
	if (!err) {
		if (res->err)
			fl_cli_error("while the rules ran: %s", strerror(-res->err));
		return 0;
	}
	if (why.step == FL_SC_RUN_STEP_LAUNCH)
		return fl_cli_launch_error(o->cmd[0], err);
	if (why.step == FL_SC_RUN_STEP_ARM && !seccomp)
		return arm_error(o, err);
	if (why.step == FL_SC_RUN_STEP_ARM)
		fl_cli_error("cannot set up the seccomp supervisor: %s", strerror(-err));
	else
		fl_cli_error("cannot set up the run: %s", strerror(-err));
	return FL_CLI_EXIT_INTERNAL;
}

int cmd_syscall(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_rule rules[FL_SC_MAX_RULES];
	struct fl_syscall_plan plan;
	struct sc_opts o = { 0 };
	struct sc_out out = { .o = &o, .plan = &plan };
	struct fl_syscall_run_result res = { 0 };
	sigset_t stop;
	int ret, err;

	/*
	 * First of all: a SIGTERM while the rules are probed and loaded used to
	 * kill faultline by its default action (exit 143, no summary). Blocked,
	 * it waits for the run's signalfd. Not unblocked on return either: a
	 * second signal still pending then would kill us before the summary.
	 */
	stop_signals(&stop);
	if (sigprocmask(SIG_BLOCK, &stop, &o.orig_mask)) {
		fl_cli_error("cannot set up signal handling: %s", strerror(errno));
		return FL_CLI_EXIT_INTERNAL;
	}
	err = parse_args(argc, argv, cli, &o);
	if (err) {
		ret = err > 0 ? 0 : FL_CLI_EXIT_USAGE;
		goto out;
	}
	ret = FL_CLI_EXIT_USAGE;
	if (parse_rules(&o, rules))
		goto out;
	/* libbpf's load logs are for -v; errors are reported once, below. */
	if (!o.verbose)
		libbpf_set_print(NULL);
	if (geteuid() != 0) {
		fl_cli_error("syscall: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)");
		goto out;
	}
	if (plan_rules(&o, rules, &plan))
		goto out;

	ret = FL_CLI_EXIT_INTERNAL;
	if (o.log_path) {
		err = fl_event_log_open(o.log_path, &out.log);
		if (err) {
			fl_cli_error("cannot open event log '%s': %s", o.log_path, strerror(-err));
			goto out;
		}
	}
	ret = run(&o, rules, &plan, &out, &res);
	if (ret)
		goto out;
	print_summary(&o, rules, &res);
	if (out.log_err)
		fl_cli_error("event log '%s': %s (events were lost)", o.log_path,
			     strerror(-out.log_err));
	if (!o.cmd)
		ret = 0;
	else if (res.exited)
		ret = exit_status(res.wstatus);
	else
		ret = res.stop_signal ? 128 + res.stop_signal : FL_CLI_EXIT_INTERNAL;
out:
	fl_event_log_close(out.log);
	free(o.rule_text);
	return ret;
}
