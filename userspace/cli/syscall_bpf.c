// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline syscall` on the BPF mechanisms. A launched command is forked,
 * waits on a pipe until its pid is in the targets map, then execs: no call
 * of the command can slip past the rules, and the launcher's own calls
 * before the exec are not counted. Running targets are selected by pid,
 * cgroup or thread name and left alone at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/syscall_cli.h"

/* How often a run on --pid targets checks whether they are all gone. */
#define TARGETS_CHECK_MS 200

/* The child: wait for the go-ahead, restore the signal mask, exec. */
static void __attribute__((noreturn)) run_child(int go_fd, const sigset_t *mask, char **cmd)
{
	char c;
	ssize_t n;

	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(SC_EXIT_INTERNAL); /* faultline died before arming the rules */
	close(go_fd);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(cmd[0], cmd);
	fprintf(stderr, "faultline: cannot run '%s': %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? SC_EXIT_NOTFOUND : SC_EXIT_NOEXEC);
}

/* Fork cmd, make it a target from its exec on, let it go. */
static int launch(struct fl_syscall_session *s, char **cmd, const sigset_t *oldmask,
		  pid_t *ret_pid)
{
	int go[2], err;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		return err;
	}
	if (pid == 0) {
		close(go[1]);
		run_child(go[0], oldmask, cmd);
	}
	close(go[0]);
	err = fl_syscall_session_add_target_at_exec(s, pid);
	if (!err && write(go[1], "g", 1) != 1)
		err = -errno;
	/* On failure the child reads EOF and exits without running cmd. */
	close(go[1]);
	if (err) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	*ret_pid = pid;
	return 0;
}

static void collect(struct fl_syscall_session *s, size_t n, struct sc_result *res)
{
	for (size_t i = 0; i < n; i++)
		if (fl_syscall_session_stats(s, i, &res->stats[i]))
			memset(&res->stats[i], 0, sizeof(res->stats[i]));
}

/* Stop injecting: keep the counters, drop the programs, continue paused processes. */
static void detach(struct fl_syscall_session **s, size_t n, struct sc_result *res)
{
	if (!*s)
		return;
	fl_syscall_session_poll(*s, 0);
	collect(*s, n, res);
	fl_syscall_session_close(*s);
	*s = NULL;
}

static void describe_targets(const struct sc_opts *o, const struct fl_syscall_plan *plan)
{
	fprintf(stderr, "faultline: %zu rule%s armed on", o->n_rules, o->n_rules == 1 ? "" : "s");
	for (size_t i = 0; i < o->n_pids; i++)
		fprintf(stderr, " pid %d%s", o->pids[i], o->follow ? " (and children)" : "");
	for (size_t i = 0; i < o->n_cgroups; i++)
		fprintf(stderr, " cgroup %s", o->cgroups[i]);
	if (o->comm)
		fprintf(stderr, " threads named '%s'", o->comm);
	fprintf(stderr, " (mechanism%s", o->n_rules == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n_rules; i++)
		fprintf(stderr, "%s%s", i ? ", " : " ", fl_mechanism_name(plan->mech[i]));
	fprintf(stderr, "); Ctrl-C to stop\n");
}

static int open_session(const struct sc_opts *o, const struct fl_rule *rules,
			const struct fl_syscall_plan *plan, struct sc_events *ev,
			struct fl_syscall_session **ret)
{
	struct fl_syscall_targets t = {
		.pids = o->pids, .n_pids = o->n_pids, .follow = o->follow,
		.cgroups = o->cgroups, .n_cgroups = o->n_cgroups, .comm = o->comm,
		.launched = o->cmd != NULL,
	};
	int err;

	for (size_t i = 0; i < o->n_pids; i++) {
		if (o->pids[i] == getpid()) {
			fl_cli_error("--pid %d is faultline itself", o->pids[i]);
			return -EINVAL;
		}
	}
	err = fl_syscall_session_open(rules, o->n_rules, plan, &t, sc_on_event, ev, ret);
	if (err == -ESRCH)
		fl_cli_error("--pid: no such process (a target exited before the rules were armed)");
	else if (err == -ENOMEDIUM)
		fl_cli_error("pause= and delay= over %llums record the processes they stop in a pinned BPF map, and bpffs is not mounted at %s (mount -t bpf bpf %s)",
			     FL_SC_SPIN_MAX_NS / 1000000, FL_SC_BPFFS, FL_SC_BPFFS);
	else if (err == -ENOTDIR || err == -ENOENT)
		fl_cli_error("--cgroup: %s is not a directory of the cgroup v2 hierarchy",
			     o->n_cgroups ? o->cgroups[0] : "?");
	else if (err)
		fl_cli_error("cannot load the syscall fault programs: %s", strerror(-err));
	return err;
}

int sc_run_bpf(const struct sc_opts *o, const struct fl_rule *rules,
	       const struct fl_syscall_plan *plan, struct sc_events *ev,
	       struct sc_result *res)
{
	struct fl_syscall_session *s = NULL;
	bool running = o->cmd == NULL, pids_only = !o->n_cgroups && !o->comm;
	uint64_t deadline = 0;
	sigset_t oldmask;
	int sfd, err, ret = SC_EXIT_INTERNAL;

	sfd = sc_signals_open(&oldmask);
	if (sfd < 0) {
		fl_cli_error("cannot set up signal handling: %s", strerror(-sfd));
		return SC_EXIT_INTERNAL;
	}
	err = open_session(o, rules, plan, ev, &s);
	if (err) {
		ret = err == -EINVAL || err == -ESRCH || err == -ENOTDIR || err == -ENOENT ?
		      SC_EXIT_USAGE : SC_EXIT_INTERNAL;
		goto out;
	}
	if (!running) {
		err = launch(s, o->cmd, &o->orig_mask, &res->pid);
		if (err) {
			fl_cli_error("cannot start '%s': %s", o->cmd[0], strerror(-err));
			goto out;
		}
	} else if (!o->json || o->verbose) {
		describe_targets(o, plan);
	}
	if (o->for_ns)
		deadline = sc_now_ns() + o->for_ns;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = s ? fl_syscall_session_fd(s) : -1, .events = POLLIN },
		};
		int timeout = s ? fl_syscall_session_timeout(s) : -1;

		if (running && !s)
			break; /* --for ran out or a signal came: done */
		if (!running && res->exited)
			break;
		if (s && deadline) {
			uint64_t now = sc_now_ns();
			int left;

			if (now >= deadline) {
				detach(&s, o->n_rules, res);
				continue;
			}
			left = (int)((deadline - now + 999999) / 1000000);
			timeout = timeout < 0 || left < timeout ? left : timeout;
		}
		if (running && pids_only) {
			if (fl_syscall_session_n_targets(s) == 0) {
				detach(&s, o->n_rules, res);
				continue;
			}
			timeout = timeout < 0 || TARGETS_CHECK_MS < timeout ? TARGETS_CHECK_MS : timeout;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fl_cli_error("poll: %s", strerror(errno));
			break;
		}
		if (s)
			fl_syscall_session_poll(s, 0);
		if (pfd[0].revents & POLLIN) {
			bool from_tty = false;
			enum sc_signal sig = sc_signal_read(sfd, res, &from_tty);

			if (sig == SC_SIG_GIVE_UP)
				break;
			if (sig != SC_SIG_STOP)
				continue;
			/* A terminal's ^C already reached CMD: it shares our process group. */
			if (res->pid && !from_tty)
				kill(res->pid, res->interrupted);
			detach(&s, o->n_rules, res);
		}
	}
	/* Events still queued when the command died. */
	detach(&s, o->n_rules, res);
	ret = 0;
out:
	fl_syscall_session_close(s);
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}
