// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_syscall_run on the seccomp supervisor, for a launched command. The
 * supervisor answers notifications on its own thread; the calling thread
 * launches (it must outlive the supervisor: the child's PDEATHSIG follows
 * the thread that forked), reaps the command, reads the stop signals and
 * keeps for_ns.
 *
 * The run ends when the command has exited and every process that still
 * carries the filter (its descendants) is gone too: a filter must never
 * outlive its supervisor. A second stop signal ends it at once, and
 * closing the supervisor kills whatever is left of the command's process
 * group.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <faultline/seccomp.h>

#include "run_util.h"

struct sup_thread {
	struct fl_seccomp_sup *sup;
	int done_fd;   /* eventfd: the supervisor loop returned */
	int err;
};

static void *supervise(void *arg)
{
	struct sup_thread *t = arg;
	uint64_t one = 1;

	t->err = fl_seccomp_sup_run(t->sup, -1);
	if (write(t->done_fd, &one, sizeof(one)) < 0) {
		/* a fresh eventfd cannot be full */
	}
	return NULL;
}

static void collect(struct fl_seccomp_sup *sup, struct fl_sc_run *r)
{
	struct fl_seccomp_stats st;

	for (size_t i = 0; i < r->cfg->n_rules; i++) {
		memset(&r->res.stats[i], 0, sizeof(r->res.stats[i]));
		if (fl_seccomp_sup_stats(sup, i, &st) == 0) {
			r->res.stats[i].matched = st.matched;
			r->res.stats[i].injected = st.injected;
			r->res.stats[i].failed = st.failed;
			r->res.stats[i].in_kernel = st.in_kernel;
		}
	}
}

static void disarm(struct fl_seccomp_sup *sup, struct fl_sc_run *r)
{
	fl_seccomp_sup_disarm(sup);
	fl_sc_run_phase(r, FL_SC_RUN_DISARMED);
}

int fl_sc_run_seccomp(struct fl_sc_run *r)
{
	const struct fl_syscall_run_cfg *cfg = r->cfg;
	struct sup_thread t = { .done_fd = -1 };
	bool thread = false, done = false;
	uint64_t deadline = 0;
	pthread_t tid;
	pid_t pid;
	int err;

	r->step = FL_SC_RUN_STEP_ARM;
	err = fl_seccomp_sup_open(cfg->rules, cfg->n_rules, r->on_event, r->ctx, &t.sup);
	if (err)
		goto out;
	/*
	 * Rules that need no decision are answered by the filter, unless the
	 * caller forced seccomp-notify (every call through the supervisor,
	 * counted) or set a time limit (only the supervisor can stop at it).
	 */
	if (!r->res.plan.forced && !cfg->for_ns)
		fl_seccomp_sup_set_in_kernel(t.sup, true);
	r->step = FL_SC_RUN_STEP_SETUP;
	t.done_fd = eventfd(0, EFD_CLOEXEC);
	if (t.done_fd < 0) {
		err = -errno;
		goto out;
	}
	r->step = FL_SC_RUN_STEP_LAUNCH;
	err = fl_seccomp_sup_launch(t.sup, cfg->argv, &pid);
	if (err)
		goto out;
	fl_sc_run_watch(r, pid);
	/* The thread inherits our blocked signals: they all arrive on the signalfd. */
	r->step = FL_SC_RUN_STEP_SETUP;
	err = -pthread_create(&tid, NULL, supervise, &t);
	if (err)
		goto out;
	thread = true;
	fl_sc_run_phase(r, FL_SC_RUN_ARMED);
	if (cfg->for_ns)
		deadline = fl_sc_run_now_ns() + cfg->for_ns;

	while (!(done && r->res.exited)) {
		struct pollfd pfd[3] = {
			{ .fd = r->sfd, .events = POLLIN },
			{ .fd = done ? -1 : t.done_fd, .events = POLLIN },
			{ .fd = r->res.exited ? -1 : r->pidfd, .events = POLLIN },
		};
		int timeout = -1;

		if (deadline) {
			if (fl_sc_run_now_ns() >= deadline) {
				disarm(t.sup, r);
				deadline = 0;
				continue;
			}
			timeout = fl_sc_run_timeout(deadline, -1);
		}
		if (r->pidfd < 0 && !r->res.exited)
			timeout = fl_sc_run_timeout(fl_sc_run_now_ns() + FL_SC_RUN_REAP_MS * 1000000ull,
						    timeout);
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			if (!r->res.err)
				r->res.err = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			done = true;
			if (t.err && !r->res.err)
				r->res.err = t.err;
		}
		/* On Debian's 6.1 the listener hangs up only once the command is reaped. */
		if (r->pidfd < 0 || (pfd[2].revents & POLLIN))
			fl_sc_run_reap(r, false);
		if (pfd[0].revents & POLLIN) {
			bool from_tty = false;
			enum fl_sc_stop stop = fl_sc_run_signal(r, &from_tty);

			if (stop == FL_SC_STOP_GIVE_UP)
				break;
			if (stop != FL_SC_STOP_FIRST)
				continue;
			/* The command has its own process group: a terminal's ^C did not reach it. */
			kill(-pid, r->res.stop_signal);
			disarm(t.sup, r);
		}
	}
	err = 0;
out:
	if (thread) {
		fl_seccomp_sup_stop(t.sup);
		pthread_join(tid, NULL);
	}
	if (t.sup)
		collect(t.sup, r);
	/* Kills what is left of the command's process group: nothing keeps a stale filter. */
	fl_seccomp_sup_close(t.sup);
	fl_sc_run_reap(r, true);
	if (t.done_fd >= 0)
		close(t.done_fd);
	return err;
}
