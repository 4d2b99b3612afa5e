// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Launch a command under the supervisor's seccomp filter.
 *
 * The child: own process group, PR_SET_PDEATHSIG(SIGKILL), NO_NEW_PRIVS,
 * the filter with a listener, the listener to the parent over a
 * socketpair (SCM_RIGHTS), then it waits for the go-ahead and execs. The
 * parent gives the go-ahead only once it holds the listener, so no call of
 * the command can be notified to nobody. Both handshake calls are exempt
 * from the filter (seccomp_priv.h), so the counts start at the exec.
 *
 * The watchdog: a second child, outside the target's process group, that
 * SIGKILLs the group when we die without saying goodbye. pdeathsig alone is
 * not enough: it fires when the forking *thread* exits and it is not
 * inherited by the command's own children.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "seccomp_priv.h"

#define WD_QUIT 'q'
#define GO      'g'

extern char **environ;

/* PATH search in the parent, like strace: the child then makes one execve. */
static int resolve(const char *file, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	int n;

	if (strchr(file, '/')) {
		n = snprintf(buf, len, "%s", file);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		/* Say now what execve would say in the child, where nobody hears it. */
		return access(buf, X_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		n = snprintf(buf, len, "%.*s/%s", (int)(end - p) ? (int)(end - p) : 1,
			     (end - p) ? p : ".", file);
		if (n > 0 && (size_t)n < len && access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'L';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, FL_SC_HANDSHAKE_FLAGS) == 1 ? 0 : -1;
}

static int recv_fd(int sock, int *ret_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE; /* the child died before it sent the listener */
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
			return 0;
		}
	}
	return -EPROTO;
}

static __attribute__((noreturn)) void child(int sock, pid_t parent, const struct sock_fprog *prog,
					    const char *path, char *const argv[])
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	sigset_t mask;
	int lfd;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(127);
	lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
	if (lfd < 0)
		_exit(127);
	if (send_fd(sock, lfd) < 0)
		_exit(127);
	/* The go-ahead: the parent holds the listener now. */
	if (recvmsg(sock, &mh, FL_SC_HANDSHAKE_FLAGS) != 1 || byte != GO)
		_exit(127);
	/*
	 * The supervisor blocks the signals it reads through signalfd, and a
	 * fork inherits that mask: the command must start with none blocked,
	 * or a forwarded SIGTERM (or the user's Ctrl-C) would never reach it.
	 */
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	/* sock and lfd are O_CLOEXEC: the command sees neither. */
	execve(path, argv, environ);
	/* sock is still open only if execve failed: tell the parent why. */
	lfd = errno;
	send(sock, &lfd, sizeof(lfd), MSG_NOSIGNAL);
	_exit(lfd == ENOENT ? 127 : 126);
}

/* Does a rule name execve? Then waiting for the exec would wait on ourselves. */
static bool names_exec(const struct fl_rule *rules, size_t n_rules)
{
	for (size_t i = 0; i < n_rules; i++)
		for (unsigned j = 0; j < rules[i].n_ops; j++)
			if (!strncmp(rules[i].ops[j], "execve", 6))
				return true;
	return false;
}

/*
 * After the go-ahead: EOF means the exec succeeded (the socket was
 * O_CLOEXEC), an int is the errno of a failed execve.
 */
static int exec_result(int sock)
{
	int code;
	ssize_t n;

	do
		n = recv(sock, &code, sizeof(code), 0);
	while (n < 0 && errno == EINTR);
	return n == sizeof(code) ? -code : 0;
}

static __attribute__((noreturn)) void watchdog(int rfd, int pidfd, pid_t pgid)
{
	struct pollfd p[2] = { { .fd = rfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	char byte = 0;

	for (;;) {
		int n = poll(p, pidfd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (p[0].revents) {
			if (read(rfd, &byte, 1) == 1 && byte == WD_QUIT)
				_exit(0);
			break; /* EOF: every copy of the write end is gone */
		}
		if (p[1].revents)
			break; /* the supervisor process exited */
	}
	kill(-pgid, SIGKILL);
	_exit(0);
}

static pid_t start_watchdog(pid_t pgid, int *ret_wfd)
{
	int fds[2], pidfd;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	pid = fork();
	if (pid == 0) {
		/*
		 * Keep only our two fds: a copy of the caller's stdout would
		 * hold its pipe open, a copy of the write end would hide EOF.
		 */
		int r = fcntl(fds[0], F_DUPFD, 10), p = pidfd >= 0 ? fcntl(pidfd, F_DUPFD, 10) : -1;

		if (r < 0 || dup2(r, 3) < 0 || (p >= 0 && dup2(p, 4) < 0))
			_exit(1);
		close_range(0, 2, 0);
		close_range(p >= 0 ? 5 : 4, ~0U, 0);
		/* Not in the target's group: kill(-pgid) must not hit us first. */
		setpgid(0, 0);
		watchdog(3, p >= 0 ? 4 : -1, pgid);
	}
	if (pidfd >= 0)
		close(pidfd);
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -errno;
	}
	*ret_wfd = fds[1];
	return pid;
}

void fl_sc_watchdog_release(struct fl_sc_launch *l)
{
	char q = WD_QUIT;

	if (l->watchdog <= 0)
		return;
	if (write(l->watchdog_fd, &q, 1) != 1)
		kill(l->watchdog, SIGKILL);
	close(l->watchdog_fd);
	while (waitpid(l->watchdog, NULL, 0) < 0 && errno == EINTR)
		;
	l->watchdog = 0;
	l->watchdog_fd = -1;
}

int fl_sc_launch(const struct fl_rule *rules, size_t n_rules, const struct fl_sc_filter_spec *spec,
		 char *const argv[], struct fl_sc_launch *ret)
{
	struct sock_fprog prog = { 0 };
	struct fl_sc_launch l = { .listener = -1, .watchdog_fd = -1 };
	char path[PATH_MAX], go = GO;
	int sv[2] = { -1, -1 }, err;
	pid_t parent = getpid();

	if (!argv || !argv[0])
		return -EINVAL;
	err = resolve(argv[0], path, sizeof(path));
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	err = fl_sc_filter_build(spec, sv[1], &prog);
	if (err)
		goto out;

	l.pid = fork();
	if (l.pid < 0) {
		err = -errno;
		goto out;
	}
	if (l.pid == 0) {
		close(sv[0]);
		child(sv[1], parent, &prog, path, argv);
	}
	close(sv[1]);
	sv[1] = -1;
	setpgid(l.pid, l.pid); /* both sides, so kill(-pid) works at once */

	l.watchdog = start_watchdog(l.pid, &l.watchdog_fd);
	if (l.watchdog < 0) {
		err = l.watchdog;
		l.watchdog = 0;
		goto kill_child;
	}
	err = recv_fd(sv[0], &l.listener);
	if (err)
		goto kill_child;
	if (send(sv[0], &go, 1, MSG_NOSIGNAL) != 1) {
		err = -errno ? -errno : -EPIPE;
		goto kill_child;
	}
	if (!names_exec(rules, n_rules)) {
		err = exec_result(sv[0]);
		if (err)
			goto kill_child;
	}
	*ret = l;
	err = 0;
	goto out;

kill_child:
	kill(l.pid, SIGKILL);
	while (waitpid(l.pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (l.listener >= 0)
		close(l.listener);
	fl_sc_watchdog_release(&l);
out:
	fl_seccomp_filter_free(&prog);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return err;
}
