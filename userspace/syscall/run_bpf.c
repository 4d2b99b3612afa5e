// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_syscall_run on the BPF mechanisms. A launched command is forked,
 * waits on a pipe until its pid is in the targets map, then execs: no call
 * of the command can slip past the rules, and the launcher's own calls
 * before the exec are not counted. Running targets are selected by pid,
 * cgroup or thread name and left alone at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_util.h"

/* How often a run on --pid targets checks whether they are all gone. */
#define TARGETS_CHECK_MS 200

/*
 * The child: wait for the go-ahead, take the caller's signal mask, exec.
 * A failed exec sends its errno up err_fd (closed by a good one).
 */
static void __attribute__((noreturn)) run_child(int go_fd, int err_fd, const sigset_t *mask,
						char *const *argv)
{
	sigset_t none;
	ssize_t n;
	char c;
	int e;

	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* the parent failed before arming the rules */
	close(go_fd);
	if (!mask) {
		sigemptyset(&none);
		mask = &none;
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0) {
		/* the parent then sees the exit status alone */
	}
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * Wait for the exec: EOF means it happened (err_fd is O_CLOEXEC), an int is
 * the errno of a failed one. Rules cannot stall this wait: the command
 * becomes a target at sched_process_exec, after its descriptors closed.
 */
static int exec_result(int err_fd)
{
	ssize_t n;
	int code;

	do
		n = read(err_fd, &code, sizeof(code));
	while (n < 0 && errno == EINTR);
	return n == sizeof(code) ? -code : 0;
}

/* Fork argv, make it a target from its exec on, let it go. */
static int launch(struct fl_syscall_session *s, char *const *argv, const sigset_t *mask,
		  pid_t *ret_pid)
{
	int go[2], ex[2] = { -1, -1 }, err;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ex, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		close(ex[0]);
		run_child(go[0], ex[1], mask, argv);
	}
	close(go[0]);
	close(ex[1]);
	go[0] = ex[1] = -1;
	err = fl_syscall_session_add_target_at_exec(s, pid);
	if (!err && write(go[1], "g", 1) != 1)
		err = -errno;
	/* On failure the child reads EOF and exits without running argv. */
	close(go[1]);
	go[1] = -1;
	if (!err)
		err = exec_result(ex[0]);
	if (err) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	*ret_pid = pid;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	return err;
}

static void collect(struct fl_syscall_session *s, struct fl_sc_run *r)
{
	for (size_t i = 0; i < r->cfg->n_rules; i++)
		if (fl_syscall_session_stats(s, i, &r->res.stats[i]))
			memset(&r->res.stats[i], 0, sizeof(r->res.stats[i]));
}

/* Stop injecting: keep the counters, drop the programs, continue paused processes. */
static void detach(struct fl_syscall_session **s, struct fl_sc_run *r, bool last)
{
	if (!*s)
		return;
	fl_syscall_session_poll(*s, 0);
	collect(*s, r);
	fl_syscall_session_close(*s);
	*s = NULL;
	if (!last)
		fl_sc_run_phase(r, FL_SC_RUN_DISARMED);
}

static int min_timeout(int a, int b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

int fl_sc_run_bpf(struct fl_sc_run *r)
{
	const struct fl_syscall_run_cfg *cfg = r->cfg;
	struct fl_syscall_session *s = NULL;
	bool running = !cfg->argv;
	bool pids_only = !r->targets.n_cgroups && !r->targets.comm;
	uint64_t deadline = 0;
	pid_t pid = 0;
	int err;

	r->step = FL_SC_RUN_STEP_ARM;
	err = fl_syscall_session_open(cfg->rules, cfg->n_rules, &r->res.plan, &r->targets,
				      r->on_event, r->ctx, &s);
	if (err)
		goto out;
	r->res.enter_hook = fl_syscall_session_enter_hook(s);
	if (!running) {
		r->step = FL_SC_RUN_STEP_LAUNCH;
		err = launch(s, cfg->argv, cfg->child_mask, &pid);
		if (err)
			goto out;
		fl_sc_run_watch(r, pid);
	}
	fl_sc_run_phase(r, FL_SC_RUN_ARMED);
	if (cfg->for_ns)
		deadline = fl_sc_run_now_ns() + cfg->for_ns;

	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = r->sfd, .events = POLLIN },
			{ .fd = r->res.exited ? -1 : r->pidfd, .events = POLLIN },
			{ .fd = s ? fl_syscall_session_fd(s) : -1, .events = POLLIN },
		};
		int timeout = s ? fl_syscall_session_timeout(s) : -1;

		if (running && !s)
			break; /* for_ns ran out, a stop signal came, the targets are gone */
		if (!running && r->res.exited)
			break;
		if (s && deadline) {
			if (fl_sc_run_now_ns() >= deadline) {
				detach(&s, r, false);
				continue;
			}
			timeout = min_timeout(timeout, fl_sc_run_timeout(deadline, -1));
		}
		if (running && pids_only) {
			if (fl_syscall_session_n_targets(s) == 0) {
				detach(&s, r, false);
				continue;
			}
			timeout = min_timeout(timeout, TARGETS_CHECK_MS);
		}
		if (!running && r->pidfd < 0)
			timeout = min_timeout(timeout, FL_SC_RUN_REAP_MS);
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			if (!r->res.err)
				r->res.err = -errno;
			break;
		}
		if (s)
			fl_syscall_session_poll(s, 0);
		if (!running && (r->pidfd < 0 || (pfd[1].revents & POLLIN)))
			fl_sc_run_reap(r, false);
		if (pfd[0].revents & POLLIN) {
			bool from_tty = false;
			enum fl_sc_stop stop = fl_sc_run_signal(r, &from_tty);

			if (stop == FL_SC_STOP_GIVE_UP)
				break;
			if (stop != FL_SC_STOP_FIRST)
				continue;
			/* A terminal's ^C already reached the command: it shares our process group. */
			if (pid && !from_tty)
				kill(pid, r->res.stop_signal);
			detach(&s, r, false);
		}
	}
	/* Events still queued when the command died. */
	detach(&s, r, true);
	err = 0;
out:
	fl_syscall_session_close(s);
	return err;
}
