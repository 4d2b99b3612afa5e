// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Start and stop the faultfs daemon over a directory (fs_daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <faultline/fs.h>
#include <faultline/fs_daemon.h>
#include <faultline/state.h>
#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define EXIT_WAIT_MS      10000
#define UNMOUNTED_EXIT_MS 2000  /* a faultfs unmounted everywhere exits in milliseconds */

int fl_fs_daemon_find(char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(buf, len, "%s/faultfs", exe) < len &&
			    access(buf, X_OK) == 0)
				return 0;
		}
	}
	return fl_child_which("faultfs", buf, len);
}

int fl_fs_daemon_run(const char *bin, const char *dir, const char *opts,
		     struct fl_state *st, int timeout_ms, char *errbuf, size_t errlen)
{
	char out[512] = "";
	int pfd[2], status, err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;

		if (st)
			fl_state_watchdog_detach_child(st);
		/* Its own session: a ^C meant for faultline must not unmount it. */
		setsid();
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		/* The daemon outlives this call: it must hold none of our descriptors... */
		close_range(3, ~0u, 0);
		/* ...nor our blocked signals, or SIGTERM would never stop it cleanly. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (opts && opts[0])
			execl(bin, bin, dir, dir, "-o", opts, (char *)NULL);
		else
			execl(bin, bin, dir, dir, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* SIGKILLed and reaped if it takes longer. */
	err = fl_child_wait(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT)
		fl_errf(errbuf, errlen, "faultfs did not mount %s within %d s", dir,
			timeout_ms / 1000);
	if (err)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	/* The daemon has /dev/null as stderr by now: what is in the pipe is all. */
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	n = read(pfd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fl_errf(errbuf, errlen, "cannot run %s", bin);
	else
		fl_errf(errbuf, errlen, "faultfs failed to mount %s%s%s", dir,
			out[0] ? ": " : "", out);
	err = -EIO;
out:
	close(pfd[0]);
	return err;
}

/* SIGTERM through a pidfd, so a pid reused meanwhile is never hit. */
static void stop_daemon(pid_t pid)
{
	int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	if (pfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0);
	close(pfd);
}

int fl_fs_daemon_unmount(const char *dir, pid_t pid, int busy_ms)
{
	uint64_t deadline = fl_now_ns() + (uint64_t)busy_ms * 1000000ull;
	int err = 0;

	while (fl_fs_check_mount(dir) == 0) {
		if (umount2(dir, UMOUNT_NOFOLLOW) == 0)
			break;
		if (errno == EINVAL || errno == ENOENT)
			break;
		if (errno != EBUSY || fl_now_ns() > deadline) {
			/* Lazily: gone from the tree now, faultfs exits when the last user does. */
			if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) && errno != EINVAL)
				err = -errno;
			break;
		}
		fl_sleep_ms(20);
	}
	if (!err && pid > 0 && fl_pid_wait_exit(pid, UNMOUNTED_EXIT_MS)) {
		/*
		 * Unmounted here, yet faultfs lives on: a mount namespace made
		 * while it stood (ip netns exec, unshare -m) holds a copy of the
		 * mount and so the connection. It serves nothing of ours any
		 * more, and the next faultfs on this directory could not start
		 * beside it: ask it to stop.
		 */
		stop_daemon(pid);
		if (fl_pid_wait_exit(pid, EXIT_WAIT_MS))
			err = -ETIMEDOUT;
	}
	if (fl_fs_check_mount(dir) == 0)
		return err ? err : -EBUSY;
	return err;
}
