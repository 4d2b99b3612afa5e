// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline syscall` on the seccomp supervisor, for a launched command.
 * The supervisor answers notifications on its own thread; the main thread
 * launches (it must outlive the supervisor: the child's PDEATHSIG follows
 * the thread that forked), reaps the command, handles signals and --for.
 *
 * The run ends when the command has exited and every process that still
 * carries the filter (its descendants) is gone too: a filter must never
 * outlive its supervisor. A second Ctrl-C ends it at once, and closing the
 * supervisor kills whatever is left of the command's process group.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <faultline/seccomp.h>

#include "cli/cli.h"
#include "cli/syscall_cli.h"

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

static void collect(struct fl_seccomp_sup *sup, size_t n, struct sc_result *res)
{
	struct fl_seccomp_stats st;

	for (size_t i = 0; i < n; i++) {
		memset(&res->stats[i], 0, sizeof(res->stats[i]));
		if (fl_seccomp_sup_stats(sup, i, &st) == 0) {
			res->stats[i].matched = st.matched;
			res->stats[i].injected = st.injected;
			res->stats[i].failed = st.failed;
		}
	}
}

static int launch_error(const char *cmd, int err)
{
	fl_cli_error("cannot run '%s': %s", cmd, strerror(-err));
	if (err == -ENOENT)
		return SC_EXIT_NOTFOUND;
	if (err == -EACCES || err == -ENOEXEC)
		return SC_EXIT_NOEXEC;
	return SC_EXIT_INTERNAL;
}

int sc_run_seccomp(const struct sc_opts *o, const struct fl_rule *rules,
		   struct sc_events *ev, struct sc_result *res)
{
	struct sup_thread t = { .done_fd = -1 };
	bool thread = false, done = false;
	uint64_t deadline = 0;
	pthread_t tid;
	sigset_t oldmask;
	int sfd, err, ret = SC_EXIT_INTERNAL;

	sfd = sc_signals_open(&oldmask);
	if (sfd < 0) {
		fl_cli_error("cannot set up signal handling: %s", strerror(-sfd));
		return SC_EXIT_INTERNAL;
	}
	err = fl_seccomp_sup_open(rules, o->n_rules, sc_on_event, ev, &t.sup);
	if (err) {
		fl_cli_error("cannot set up the seccomp supervisor: %s", strerror(-err));
		goto out;
	}
	t.done_fd = eventfd(0, EFD_CLOEXEC);
	if (t.done_fd < 0) {
		fl_cli_error("eventfd: %s", strerror(errno));
		goto out;
	}
	err = fl_seccomp_sup_launch(t.sup, o->cmd, &res->pid);
	if (err) {
		ret = launch_error(o->cmd[0], err);
		goto out;
	}
	/* The thread inherits our blocked signals: they all arrive on sfd. */
	err = pthread_create(&tid, NULL, supervise, &t);
	if (err) {
		fl_cli_error("cannot start the supervisor thread: %s", strerror(err));
		goto out;
	}
	thread = true;
	if (o->for_ns)
		deadline = sc_now_ns() + o->for_ns;

	while (!(done && res->exited)) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = done ? -1 : t.done_fd, .events = POLLIN },
		};
		int timeout = -1;

		if (deadline) {
			uint64_t now = sc_now_ns();

			if (now >= deadline) {
				fl_seccomp_sup_disarm(t.sup);
				deadline = 0;
				continue;
			}
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fl_cli_error("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			done = true;
			if (t.err)
				fl_cli_error("seccomp supervisor: %s", strerror(-t.err));
		}
		if (pfd[0].revents & POLLIN) {
			bool from_tty;
			enum sc_signal sig = sc_signal_read(sfd, res, &from_tty);

			if (sig == SC_SIG_GIVE_UP)
				break;
			if (sig != SC_SIG_STOP)
				continue;
			/* CMD has its own process group: a terminal's ^C did not reach it. */
			kill(-res->pid, res->interrupted);
			fl_seccomp_sup_disarm(t.sup);
		}
	}
	ret = 0;
out:
	if (thread) {
		fl_seccomp_sup_stop(t.sup);
		pthread_join(tid, NULL);
	}
	if (t.sup)
		collect(t.sup, o->n_rules, res);
	/* Kills what is left of CMD's process group: nothing keeps a stale filter. */
	fl_seccomp_sup_close(t.sup);
	if (res->pid && !res->exited &&
	    waitpid(res->pid, &res->wstatus, 0) == res->pid)
		res->exited = true;
	if (t.done_fd >= 0)
		close(t.done_fd);
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}
