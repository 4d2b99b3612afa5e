// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"

int fl_link_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

/* Exit codes carry -errno in the low byte; 0 means success. */
static int status_from_exit(int wstatus)
{
	if (WIFEXITED(wstatus))
		return -WEXITSTATUS(wstatus);
	return -ECHILD;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int fl_child_wait(pid_t pid, int timeout_ms, int *ret_wstatus)
{
	struct timespec start;
	int pidfd, wstatus, err = 0;

	/* A pidfd turns the wait into one poll; without it, sleep-poll. */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &wstatus, WNOHANG);
		long left;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			err = -errno;
			goto out;
		}
		left = timeout_ms - elapsed_ms(&start);
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &wstatus, 0);
			err = -ETIMEDOUT;
			goto out;
		}
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			poll(&p, 1, (int)left);
		} else {
			usleep(1000);
		}
	}
	*ret_wstatus = wstatus;
out:
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

int fl_child_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchrnul(path, ':');
		int dl = (int)(end - path);

		if (dl > 0 && (size_t)snprintf(buf, len, "%.*s/%s", dl, path, name) < len &&
		    access(buf, X_OK) == 0)
			return 0;
		path = *end ? end + 1 : end;
	}
	return -ENOENT;
}

int fl_pid_wait_exit(pid_t pid, int timeout_ms)
{
	int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int r;

	if (pfd < 0)
		return 0; /* gone already (or no pid to wait for) */
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	close(pfd);
	return r > 0 ? 0 : -ETIMEDOUT;
}

int fl_child_run(int (*fn)(void *shared, void *arg), void *arg, unsigned flags,
		 int timeout_ms, void *ret_shared, size_t shared_len, int *ret_status)
{
	size_t map_len = shared_len ? shared_len : 1;
	void *shared;
	int wstatus, err = 0;
	pid_t pid;

	shared = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -errno;

	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out_unmap;
	}
	if (pid == 0) {
		int rc;

		/* Never outlive the caller: a probe child must not linger. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (flags & FL_CHILD_NEWNET) {
			if (unshare(CLONE_NEWNET) < 0)
				_exit(errno & 0xff);
			rc = fl_link_up("lo");
			if (rc < 0)
				_exit(-rc & 0xff);
		}
		rc = fn(shared, arg);
		_exit(rc < 0 ? (-rc & 0xff) : 0);
	}

	err = fl_child_wait(pid, timeout_ms, &wstatus);
	if (err < 0)
		goto out_unmap;

	if (ret_shared && shared_len)
		memcpy(ret_shared, shared, shared_len);
	if (ret_status)
		*ret_status = status_from_exit(wstatus);
out_unmap:
	munmap(shared, map_len);
	return err;
}
