// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

#define MAX_LIVE 64

/* Targets not yet freed, killed by the atexit net (only in the test process). */
static struct fl_target *live[MAX_LIVE];
static pid_t owner;

static void kill_live(void)
{
	if (getpid() != owner)
		return;
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i] && !live[i]->reaped) {
			kill(live[i]->pid, SIGKILL);
			waitpid(live[i]->pid, NULL, 0);
			live[i]->reaped = true;
		}
	}
}

static void track(struct fl_target *t, bool add)
{
	if (!owner) {
		owner = getpid();
		atexit(kill_live);
	}
	for (int i = 0; i < MAX_LIVE; i++) {
		if (add && !live[i]) {
			live[i] = t;
			return;
		}
		if (!add && live[i] == t) {
			live[i] = NULL;
			return;
		}
	}
}

int fl_target_child_wait_step(struct fl_target_child *c)
{
	char b;

	for (;;) {
		ssize_t n = read(c->step_fd, &b, 1);

		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -EPIPE;
	}
}

int fl_target_child_report(struct fl_target_child *c, int64_t value)
{
	ssize_t n;

	do {
		n = write(c->report_fd, &value, sizeof(value));
	} while (n < 0 && errno == EINTR);
	return n == sizeof(value) ? 0 : -EPIPE;
}

static int spawn(fl_target_fn fn, void *arg, char *const argv[], bool hold,
		 struct fl_target **ret)
{
	int step[2] = { -1, -1 }, report[2] = { -1, -1 }, err;
	pid_t parent = getpid();
	struct fl_target *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (pipe2(step, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
		err = -errno;
		goto fail;
	}
	t->pid = fork();
	if (t->pid < 0) {
		err = -errno;
		goto fail;
	}
	if (t->pid == 0) {
		struct fl_target_child c = {
			.step_fd = step[0], .report_fd = report[1], .arg = arg,
		};

		close(step[1]);
		close(report[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		if (fn)
			_exit(fn(&c) & 0xff);
		if (hold && fl_target_child_wait_step(&c))
			_exit(98);
		if (!getenv("FL_TEST_VERBOSE")) {
			int nul = open("/dev/null", O_WRONLY);

			if (nul >= 0) {
				dup2(nul, STDOUT_FILENO);
				dup2(nul, STDERR_FILENO);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(step[0]);
	close(report[1]);
	t->step_fd = step[1];
	t->report_fd = report[0];
	t->pidfd = pidfd_open(t->pid, 0);
	track(t, true);
	*ret = t;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (step[i] >= 0)
			close(step[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	free(t);
	return err;
}

int fl_target_spawn(fl_target_fn fn, void *arg, struct fl_target **ret)
{
	if (!fn)
		return -EINVAL;
	return spawn(fn, arg, NULL, false, ret);
}

int fl_target_spawn_exec(char *const argv[], bool hold, struct fl_target **ret)
{
	if (!argv || !argv[0])
		return -EINVAL;
	return spawn(NULL, NULL, argv, hold, ret);
}

int fl_target_step(struct fl_target *t)
{
	char b = 's';
	ssize_t n;

	do {
		n = write(t->step_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -EPIPE;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fl_target_read(struct fl_target *t, int64_t *value, int timeout_ms)
{
	int64_t v, deadline = now_ms() + timeout_ms;
	size_t got = 0;

	while (got < sizeof(v)) {
		struct pollfd p = { .fd = t->report_fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, timeout_ms < 0 ? -1 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(t->report_fd, (char *)&v + got, sizeof(v) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		got += (size_t)n;
	}
	*value = v;
	return 0;
}

int fl_target_wait(struct fl_target *t, int *status, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (!t->reaped) {
		pid_t r = waitpid(t->pid, &t->status, WNOHANG);

		if (r == t->pid) {
			t->reaped = true;
			break;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (timeout_ms >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		if (t->pidfd >= 0) {
			struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
			int64_t left = deadline - now_ms();

			poll(&p, 1, timeout_ms < 0 ? -1 : (int)(left > 0 ? left : 0));
		} else {
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		}
	}
	if (status)
		*status = t->status;
	return 0;
}

int fl_target_signal(struct fl_target *t, int sig)
{
	if (t->reaped)
		return -ESRCH;
	return kill(t->pid, sig) < 0 ? -errno : 0;
}

int fl_target_kill(struct fl_target *t)
{
	return fl_target_signal(t, SIGKILL);
}

void fl_target_free(struct fl_target *t)
{
	if (!t)
		return;
	if (!t->reaped) {
		kill(t->pid, SIGKILL);
		fl_target_wait(t, NULL, -1);
	}
	close(t->step_fd);
	close(t->report_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	track(t, false);
	free(t);
}

pid_t fl_target_spawn_stopped(void)
{
	int status, err;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (kill(pid, SIGSTOP) < 0 || waitpid(pid, &status, WUNTRACED) != pid) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	/* Anything but a stop means the child is gone and already reaped. */
	return WIFSTOPPED(status) ? pid : -ECHILD;
}
