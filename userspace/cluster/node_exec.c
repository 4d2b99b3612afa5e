// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Run a command as part of a node: in its network namespace and its
 * cgroup (so cgroup.kill and cgroup.freeze reach it), in a session of its
 * own, with its output appended to the node's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster_priv.h"
#include "core/child.h"
#include "core/netns.h"

/* In the child: report why it could not become the node (errno, on report_fd), and die. */
static void fail(int report_fd, int err)
{
	if (report_fd >= 0 && write(report_fd, &err, sizeof(err)) < 0)
		_exit(125);
	_exit(126);
}

/*
 * In the forked child: become part of node n, then exec cmd. Never
 * returns. report_fd (-1 = none) gets the errno when the netns or the
 * cgroup cannot be joined; it closes unwritten otherwise.
 */
static void become_node(const struct fl_cluster_node *n, const char *cmd, int report_fd)
{
	char path[PATH_MAX + 32], pid[32];
	sigset_t none;
	int fd, null;

	snprintf(path, sizeof(path), "%s/%s", FL_NETNS_RUN_DIR, n->netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		fail(report_fd, errno);
	close(fd);
	snprintf(path, sizeof(path), "%s/cgroup.procs", n->cgroup);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		fail(report_fd, errno);
	close(fd);
	setsid();
	null = open("/dev/null", O_RDWR);
	fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		fd = null;
	dup2(null, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	/* Nothing of ours, the watchdog's pipe included, goes with it. */
	close_range(3, ~0u, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int fl_cluster_exec_detached(const struct fl_cluster_node *n, const char *cmd)
{
	int status, pfd[2], why = 0, err = 0;
	ssize_t got;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		/* The grandchild is the service: init (or a subreaper) reaps it, not us. */
		pid_t g = fork();

		if (g < 0)
			_exit(1);
		if (g == 0) {
			close(pfd[0]);
			become_node(n, cmd, pfd[1]);
		}
		_exit(0);
	}
	close(pfd[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		err = -ECHILD;
	/* EOF once the service closed it (joined, about to exec), or its errno. */
	do
		got = read(pfd[0], &why, sizeof(why));
	while (got < 0 && errno == EINTR);
	close(pfd[0]);
	if (!err && got == (ssize_t)sizeof(why))
		err = why > 0 ? -why : -EIO;
	return err;
}

int fl_cluster_exec_wait(const struct fl_cluster_node *n, const char *cmd, int timeout_ms,
			 int *ret_status)
{
	int status, err;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		become_node(n, cmd, -1);
	err = fl_child_wait(pid, timeout_ms, &status);
	if (err)
		return err;
	*ret_status = status;
	return 0;
}
