// SPDX-License-Identifier: GPL-2.0-only
/*
 * The unmount guardian: a small process that outlives a killed faultfs and
 * removes the mount it left.
 *
 * fusermount3's auto_unmount alone is not enough. Once the daemon's end of
 * its socket closes, it unmounts only if opening the mount point fails with
 * ENOTCONN. The kernel releases a dead process's files in no promised
 * order (the last fputs run as task work), so the socket can go while
 * /dev/fuse still stands: the probe then waits on a request that the
 * dead daemon never answers, fails with ECONNABORTED when the connection
 * falls, and fusermount3 leaves a stale mount (2 VM runs in 4 under qemu
 * TCG). The guardian does not guess from an open(): it knows the id of
 * the mount faultfs made, and once faultfs is gone while that mount is
 * still the top one at its path, it detaches it. It never touches the
 * filesystem itself, so a dead connection cannot block it.
 *
 * It is forked before the mount, so no moment exists where a killed
 * faultfs leaves a mount nobody watches. "Gone" is the end of a pipe whose
 * write end only faultfs holds (close-on-exec, so fusermount3 never has
 * it): the daemon that fuse_daemonize forks inherits it, so the guardian
 * needs no pid. Through that pipe faultfs sends the mount's id once it has
 * mounted. Killed between the mount and that message, it leaves a mount
 * whose id the guardian never heard: a faultfs mount at the path that was
 * not the top one before the fork is then taken for ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "faultfs.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/*
 * The id of the top mount at path (the last line naming it: later mounts
 * stack on earlier ones), and whether it is a faultfs, read from the open
 * mountinfo file mfd (from its start: each read of it is current). -ENOENT
 * if none.
 */
static int top_mount_in(int mfd, const char *path, int *ret_id, bool *ret_faultfs)
{
	char line[PATH_MAX + 512], mnt[PATH_MAX];
	int id, fd, err = -ENOENT;
	FILE *f;

	if (lseek(mfd, 0, SEEK_SET) < 0)
		return -errno;
	fd = fcntl(mfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%d %*d %*s %*s %4095s", &id, mnt) != 2)
			continue;
		unescape_octal(mnt);
		if (strcmp(mnt, path) != 0)
			continue;
		*ret_id = id;
		*ret_faultfs = strncmp(sep + 3, "fuse.faultfs ", 13) == 0;
		err = 0;
	}
	fclose(f);
	return err;
}

static int top_mount(const char *path, int *ret_id, bool *ret_faultfs)
{
	int mfd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), err;

	if (mfd < 0)
		return -errno;
	err = top_mount_in(mfd, path, ret_id, ret_faultfs);
	close(mfd);
	return err;
}

/*
 * Wait for the end of faultfs (EOF on rfd), then detach its mount if it is
 * still the top one at mnt. before: the top mount's id before the fork
 * (-1: none).
 */
static __attribute__((noreturn)) void guard(int rfd, int mfd, const char *mnt, int before)
{
	int heard = -1, id, null, lo, hi;
	bool faultfs;
	ssize_t n;

	/*
	 * Hold nothing of the daemon's: not /dev/fuse (the connection must
	 * fall with the daemon), not its stdout (a caller may wait for EOF).
	 * Keep only the two fds, moved above the standard ones first.
	 */
	if (rfd < 3)
		rfd = fcntl(rfd, F_DUPFD, 3);
	if (mfd < 3)
		mfd = fcntl(mfd, F_DUPFD, 3);
	if (rfd < 0 || mfd < 0)
		_exit(1);
	lo = rfd < mfd ? rfd : mfd;
	hi = rfd < mfd ? mfd : rfd;
	close_range(0, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
	null = open("/dev/null", O_RDWR);
	if (null == 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	/* Only the daemon's end ends the guardian: not the terminal's ^C. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "faultfs-guard");

	for (;;) {
		n = read(rfd, &id, sizeof(id));
		if (n == (ssize_t)sizeof(id))
			heard = id;
		else if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	/* A clean stop unmounted already; a mount stacked on ours is not ours. */
	if (top_mount_in(mfd, mnt, &id, &faultfs) == 0 && faultfs &&
	    (heard >= 0 ? id == heard : id != before))
		umount2(mnt, MNT_DETACH);
	_exit(0);
}

int ffs_guardian_start(const char *mnt, int *ret_fd)
{
	int fds[2], before = -1, mfd, err;
	bool faultfs;
	pid_t pid;

	/*
	 * Opened here, read by the guardian at the end: it then needs no
	 * open(2), which a seccomp rule on faultfs could still be failing.
	 */
	mfd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	err = top_mount_in(mfd, mnt, &before, &faultfs);
	if (err && err != -ENOENT)
		goto out;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		close(fds[1]);
		guard(fds[0], mfd, mnt, err ? -1 : before);
	}
	close(fds[0]);
	*ret_fd = fds[1];
	err = 0;
out:
	close(mfd);
	return err;
}

int ffs_guardian_mounted(int fd, const char *mnt)
{
	bool faultfs;
	int id, err;

	err = top_mount(mnt, &id, &faultfs);
	if (err)
		return err;
	if (!faultfs)
		return -EINVAL;
	if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
		return -EPIPE;
	return 0;
}
