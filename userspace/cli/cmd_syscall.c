// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline syscall: launch a command and crash it at a chosen syscall.
 *
 * The command is forked, waits on a pipe until its pid is in the targets
 * map, then execs: no call of the command can slip past the rules, and the
 * launcher's own calls before the exec are not counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <jansson.h>
#include <faultline/event.h>
#include <faultline/rule.h>

#include "cli/cli.h"
#include <faultline/syscall.h>

#define EXIT_USAGE    2
#define EXIT_INTERNAL 125 /* faultline itself failed, like timeout(1) */
#define EXIT_NOEXEC   126
#define EXIT_NOTFOUND 127

struct opts {
	bool json;
	int verbose;
	const char *log_path;
	uint64_t for_ns;          /* 0 = until the command exits */
	char **rule_text;         /* points into argv */
	size_t n_rules;
	char **cmd;               /* argv after "--" */
};

struct run {
	const struct opts *o;
	struct fl_event_log *log;
	int log_err;              /* first write error, reported once */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline syscall [--json] [--log FILE] [--for DUR] RULE... -- CMD [ARGS...]\n"
		"\n"
		"Launch CMD and send it a signal at the entry of a chosen syscall (a crash\n"
		"point), through bpf_send_signal in a raw sys_enter tracepoint. CMD and every\n"
		"process it forks are targets; nothing else is touched. CMD's calls are counted\n"
		"from its execve on.\n"
		"\n"
		"RULE is SYSCALLS:signal=SIG[:when=FIRST[..LAST][+STEP]][:count=N][:prob=P]\n"
		"  SYSCALLS  a syscall name, a comma-separated set (\"fsync,fdatasync\") or \"*\"\n"
		"  signal=   a signal name or number (SIGKILL, KILL, 9), sent at syscall entry.\n"
		"            The process never sees the call return; with SIGKILL the kernel\n"
		"            may still complete it.\n"
		"  when=     which matching calls, counted per rule from 1 (strace semantics):\n"
		"            3 = the 3rd only, 3..5, 3+2 = 3rd, 5th, 7th..., 3..9+2\n"
		"  count=    at most N injections\n"
		"  prob=     inject with this probability (10%%, 0.1); not seedable yet\n"
		"Rules are tried in order; the first that fires wins, and the rules after it\n"
		"do not count that call. At most %d rules.\n"
		"\n"
		"Only signal= is implemented so far: error=, retval=, delay=, path=, seed=\n"
		"and for= in a rule are refused with the reason.\n"
		"\n"
		"  -j, --json        print the per-rule summary as JSON on stdout\n"
		"  -l, --log FILE    append every injection as a JSON line to FILE ('-' = stdout)\n"
		"  -f, --for DUR     stop injecting after DUR (e.g. 30s, 5m); CMD runs on\n"
		"  -v, --verbose     print each injection on stderr as it happens\n"
		"  -h, --help        this help\n"
		"\n"
		"SIGINT, SIGTERM and SIGHUP are forwarded to CMD; faultline then stops\n"
		"injecting, prints the summary and waits for CMD (a second signal stops the\n"
		"wait).\n"
		"\n"
		"Exit status: CMD's status, or 128+N if CMD was killed by signal N;\n"
		"2 bad usage or rule, 125 faultline failed, 126 CMD not executable,\n"
		"127 CMD not found. Needs root. Example:\n"
		"  faultline syscall 'fsync:signal=SIGKILL:when=3' -- ./writer log 10\n",
		FL_SC_MAX_RULES);
}

/* Options may come before, between or after the rules, up to "--". */
static int parse_args(int argc, char **argv, const struct fl_cli *cli, struct opts *o)
{
	int i;

	o->json = cli->json;
	o->verbose = cli->verbose;
	o->log_path = cli->log_path;
	o->rule_text = calloc((size_t)argc, sizeof(*o->rule_text));
	if (!o->rule_text)
		return -ENOMEM;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-') {
			o->rule_text[o->n_rules++] = argv[i];
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose++;
		} else if (strcmp(a, "-l") == 0 || strcmp(a, "--log") == 0 ||
			   strcmp(a, "-f") == 0 || strcmp(a, "--for") == 0) {
			if (i + 1 >= argc) {
				fl_cli_error("syscall: %s needs a value", a);
				return -EINVAL;
			}
			val = argv[++i];
		} else if (strncmp(a, "--log=", 6) == 0 || strncmp(a, "--for=", 6) == 0) {
			val = a + 6;
		} else {
			fl_cli_error("syscall: unknown option '%s' (see 'faultline syscall --help')", a);
			return -EINVAL;
		}
		if (!val)
			continue;
		if (a[1] == 'l' || strncmp(a, "--log", 5) == 0) {
			o->log_path = val;
		} else if (fl_parse_duration(val, &o->for_ns) || o->for_ns == 0) {
			fl_cli_error("syscall: --for: invalid duration '%s' (e.g. 500ms, 30s, 5m)", val);
			return -EINVAL;
		}
	}
	if (o->n_rules == 0) {
		fl_cli_error("syscall: no rule given (e.g. 'fsync:signal=SIGKILL:when=3')");
		return -EINVAL;
	}
	if (o->n_rules > FL_SC_MAX_RULES) {
		fl_cli_error("syscall: %zu rules given, at most %d are supported",
			     o->n_rules, FL_SC_MAX_RULES);
		return -EINVAL;
	}
	if (i > argc || i == argc || strcmp(argv[i - 1], "--") != 0) {
		fl_cli_error("syscall: no command given: put it after '--'");
		return -EINVAL;
	}
	o->cmd = &argv[i];
	return 0;
}

static int parse_rules(const struct opts *o, struct fl_rule *rules)
{
	struct fl_rule_error err;

	for (size_t i = 0; i < o->n_rules; i++) {
		memset(&err, 0, sizeof(err));
		if (fl_rule_parse(o->rule_text[i], &rules[i], &err) ||
		    fl_syscall_rule_check(&rules[i], &err)) {
			/* "RULE: MESSAGE"; the message names the column already. */
			fl_cli_error("%s: %s", o->rule_text[i], err.message);
			return -EINVAL;
		}
	}
	return 0;
}

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct run *r = ctx;
	int err;

	if (r->log && !r->log_err) {
		err = fl_event_log_write(r->log, ev);
		if (err)
			r->log_err = err;
	}
	if (r->o->verbose) {
		const char *op = fl_syscall_name(ev->op);
		const char *sig = fl_signal_name((int)ev->value);

		fprintf(stderr, "faultline: rule %u: %s %s to pid %u (%s) at %s #%llu\n",
			ev->rule_id, ev->result == FL_RESULT_INJECTED ? "sent" : "FAILED to send",
			sig ? sig : "signal", ev->pid, ev->comm, op ? op : "syscall",
			(unsigned long long)ev->seq);
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The child: wait for the go-ahead, restore the signal mask, exec. */
static void __attribute__((noreturn)) run_child(int go_fd, const sigset_t *mask, char **cmd)
{
	char c;
	ssize_t n;

	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_INTERNAL); /* faultline died before arming the rules */
	close(go_fd);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(cmd[0], cmd);
	fprintf(stderr, "faultline: cannot run '%s': %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

static int exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_INTERNAL;
}

struct summary {
	struct fl_syscall_stats stats[FL_SC_MAX_RULES];
	bool have;
};

static void collect(struct fl_syscall_session *s, size_t n, struct summary *sum)
{
	for (size_t i = 0; i < n; i++)
		if (fl_syscall_session_stats(s, i, &sum->stats[i]))
			memset(&sum->stats[i], 0, sizeof(sum->stats[i]));
	sum->have = true;
}

static void print_summary(const struct opts *o, const struct fl_rule *rules,
			  const struct summary *sum, pid_t pid, int status, bool exited)
{
	char text[512];
	json_t *root, *arr;

	if (!o->json) {
		for (size_t i = 0; i < o->n_rules; i++) {
			const struct fl_syscall_stats *st = &sum->stats[i];

			if (fl_rule_format(&rules[i], text, sizeof(text)) < 0)
				snprintf(text, sizeof(text), "%s", o->rule_text[i]);
			fprintf(stderr, "rule %zu %s  matched %llu  injected %llu", i, text,
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
		const struct fl_syscall_stats *st = &sum->stats[i];

		if (fl_rule_format(&rules[i], text, sizeof(text)) < 0)
			snprintf(text, sizeof(text), "%s", o->rule_text[i]);
		json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}",
			"rule", (json_int_t)i, "text", text,
			"matched", (json_int_t)st->matched,
			"injected", (json_int_t)st->injected,
			"failed", (json_int_t)st->failed,
			"events_lost", (json_int_t)st->dropped));
	}
	json_object_set_new(root, "pid", json_integer(pid));
	if (exited) {
		json_object_set_new(root, "exit_status", json_integer(exit_status(status)));
		if (WIFSIGNALED(status))
			json_object_set_new(root, "signal", json_integer(WTERMSIG(status)));
	} else {
		json_object_set_new(root, "exit_status", json_null());
	}
	json_object_set_new(root, "rules", arr);
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(root);
}

/* Stop injecting: keep the counters, drop the programs. */
static void detach(struct fl_syscall_session **s, size_t n, struct summary *sum)
{
	if (!*s)
		return;
	fl_syscall_session_poll(*s, 0);
	collect(*s, n, sum);
	fl_syscall_session_close(*s);
	*s = NULL;
}

int cmd_syscall(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_rule rules[FL_SC_MAX_RULES];
	struct fl_syscall_session *s = NULL;
	struct opts o = { 0 };
	struct run r = { .o = &o };
	struct summary sum = { 0 };
	sigset_t mask, oldmask;
	bool masked = false, exited = false;
	int interrupted = 0; /* the first SIGINT/SIGTERM/SIGHUP received */
	uint64_t deadline = 0;
	int go[2] = { -1, -1 }, sfd = -1, wstatus = 0, ret, err;
	pid_t pid = -1;

	err = parse_args(argc, argv, cli, &o);
	if (err) {
		ret = err > 0 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (parse_rules(&o, rules)) {
		ret = EXIT_USAGE;
		goto out;
	}
	ret = EXIT_INTERNAL;
	/* libbpf's load logs are for -v; errors are reported once, below. */
	if (!o.verbose)
		libbpf_set_print(NULL);

	if (o.log_path) {
		err = fl_event_log_open(o.log_path, &r.log);
		if (err) {
			fl_cli_error("cannot open event log '%s': %s", o.log_path, strerror(-err));
			goto out;
		}
	}

	err = fl_syscall_session_open(rules, o.n_rules, on_event, &r, &s);
	if (err == -EOPNOTSUPP) {
		struct fl_probe_result why;

		fl_syscall_probe(&why);
		if (geteuid())
			fl_cli_error("crash points need root (CAP_BPF, CAP_PERFMON): %s", why.detail);
		else
			fl_cli_error("crash points need bpf_send_signal at sys_enter, which this kernel does not allow (%s): %s",
				     fl_probe_status_name(why.status), why.detail);
		goto out;
	} else if (err) {
		fl_cli_error("cannot load the syscall fault program: %s%s", strerror(-err),
			     geteuid() ? " (needs root)" : "");
		goto out;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask)) {
		fl_cli_error("cannot block signals: %s", strerror(errno));
		goto out;
	}
	masked = true;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0 || pipe2(go, O_CLOEXEC)) {
		fl_cli_error("cannot set up the launcher: %s", strerror(errno));
		goto out;
	}

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fl_cli_error("cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		run_child(go[0], &oldmask, o.cmd);
	}
	close(go[0]);
	go[0] = -1;

	err = fl_syscall_session_add_target_at_exec(s, pid);
	if (err) {
		fl_cli_error("cannot make pid %d a target: %s", pid, strerror(-err));
		close(go[1]); /* the child sees EOF and exits */
		go[1] = -1;
		waitpid(pid, NULL, 0);
		pid = -1;
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		fl_cli_error("cannot start '%s': %s", o.cmd[0], strerror(errno));
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	if (o.for_ns)
		deadline = now_ns() + o.for_ns;

	while (!exited) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = s ? fl_syscall_session_fd(s) : -1, .events = POLLIN },
		};
		int timeout = -1;

		if (s && deadline) {
			uint64_t now = now_ns();

			if (now >= deadline) {
				detach(&s, o.n_rules, &sum);
				continue;
			}
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fl_cli_error("poll: %s", strerror(errno));
			break;
		}
		if (s && (pfd[1].revents & POLLIN))
			fl_syscall_session_poll(s, 0);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				pid_t w = waitpid(pid, &wstatus, WNOHANG);

				if (w == pid)
					exited = true;
				continue;
			}
			if (interrupted) {
				/* Second signal: stop waiting for a command that ignores it. */
				fl_cli_error("not waiting for pid %d any longer", pid);
				break;
			}
			interrupted = (int)si.ssi_signo;
			/* A terminal's ^C already reached CMD: it shares our process group. */
			if (si.ssi_code != SI_KERNEL)
				kill(pid, (int)si.ssi_signo);
			detach(&s, o.n_rules, &sum);
		}
	}
	/* Events still queued when the command died. */
	detach(&s, o.n_rules, &sum);

	print_summary(&o, rules, &sum, pid, wstatus, exited);
	if (r.log_err)
		fl_cli_error("event log '%s': %s (events were lost)", o.log_path,
			     strerror(-r.log_err));
	if (exited)
		ret = exit_status(wstatus);
	else
		ret = interrupted ? 128 + interrupted : EXIT_INTERNAL;
out:
	fl_syscall_session_close(s);
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (sfd >= 0)
		close(sfd);
	if (masked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	fl_event_log_close(r.log);
	free(o.rule_text);
	return ret;
}
