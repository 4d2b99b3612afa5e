// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The watchdog: a forked child that outlives a SIGKILLed controller and
 * runs the function it was given (state.c gives it the session's undo).
 *
 * PR_SET_PDEATHSIG fires when the *thread* that forked exits, not the
 * process, so it is useless in a threaded controller. Instead the child
 * waits on two things: its end of a pipe whose only writer is the
 * controller (EOF = every copy of the write end closed) and a pidfd of
 * the controller (readable = the process exited; this also covers a child
 * the controller forked that still holds a copy of the write end). A clean
 * fl_watchdog_stop() writes one byte first: "exit, do nothing".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state_watchdog.h"

#define WD_PIPE_FD  3
#define WD_PIDFD_FD 4
#define WD_QUIT     'q'

static void wd_setup_process(int pipe_fd, pid_t controller)
{
	static const int ignored[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU,
		SIGUSR1, SIGUSR2,
	};
	sigset_t all;
	int pidfd, nul;

	setsid();
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* iptables children are waited for */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_NAME, "faultline-wd", 0, 0, 0);
	if (chdir("/") < 0) {
		/* keep going: the cwd only pins a mount lazily unmounted anyway */
	}

	/* Opened before we could be orphaned, then checked: no pid reuse race. */
	pidfd = pidfd_open(controller, 0);
	if (pidfd >= 0 && getppid() != controller) {
		close(pidfd);
		pidfd = -1;
	}

	/* Inherit nothing: not the terminal, not a test harness's pipes. */
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
	}
	/* Park both fds high first, so the final dup3s cannot clobber them. */
	pipe_fd = fcntl(pipe_fd, F_DUPFD_CLOEXEC, 10);
	if (pidfd >= 0)
		pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 10);
	dup3(pipe_fd, WD_PIPE_FD, O_CLOEXEC);
	if (pidfd >= 0) {
		dup3(pidfd, WD_PIDFD_FD, O_CLOEXEC);
		close_range(WD_PIDFD_FD + 1, ~0U, 0);
	} else {
		close_range(WD_PIPE_FD + 1, ~0U, 0);
	}
}

/* Returns true when the controller died, false when it asked us to quit. */
static bool wd_wait(pid_t controller)
{
	struct pollfd pfd[2] = {
		{ .fd = WD_PIPE_FD, .events = POLLIN },
		{ .fd = WD_PIDFD_FD, .events = POLLIN },
	};
	nfds_t n = fcntl(WD_PIDFD_FD, F_GETFD) < 0 ? 1 : 2;

	if (n == 1 && getppid() != controller)
		return true; /* gone before we even started */
	for (;;) {
		char c;

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return true; /* cannot watch any more: do the safe thing */
		}
		if (pfd[0].revents) {
			ssize_t r = read(WD_PIPE_FD, &c, 1);

			if (r < 0 && errno == EINTR)
				continue;
			return !(r == 1 && c == WD_QUIT);
		}
		if (n == 2 && pfd[1].revents)
			return true;
	}
}

static void __attribute__((noreturn))
wd_main(int pipe_fd, pid_t controller, fl_watchdog_fn on_death, void *arg)
{
	wd_setup_process(pipe_fd, controller);
	if (!wd_wait(controller))
		_exit(0);
	_exit(on_death(arg) ? 1 : 0);
}

int fl_watchdog_start(struct fl_watchdog *wd, fl_watchdog_fn on_death, void *arg)
{
	pid_t controller = getpid(), pid;
	int p[2];

	if (wd->pid)
		return -EALREADY;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[1]);
		wd_main(p[0], controller, on_death, arg);
	}
	close(p[0]);
	wd->fd = p[1];
	wd->pid = pid;
	return 0;
}

void fl_watchdog_detach_child(struct fl_watchdog *wd)
{
	if (wd->fd >= 0)
		close(wd->fd);
	wd->fd = -1;
	wd->pid = 0;
}

void fl_watchdog_stop(struct fl_watchdog *wd)
{
	char c = WD_QUIT;

	if (wd->fd < 0)
		return;
	while (write(wd->fd, &c, 1) < 0 && errno == EINTR)
		;
	close(wd->fd);
	wd->fd = -1;
	while (waitpid(wd->pid, NULL, 0) < 0 && errno == EINTR)
		;
	wd->pid = 0;
}
