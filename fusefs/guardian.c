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
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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
 * stack on earlier ones), and whether it is a faultfs. -ENOENT if none.
 */
static int top_mount(const char *path, int *ret_id, bool *ret_faultfs)
{
	char line[PATH_MAX + 512], mnt[PATH_MAX];
	int id, err = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
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

static __attribute__((noreturn)) void guard(int pidfd, const char *mnt, int mount_id)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	bool faultfs;
	int id, null;

	/*
	 * Hold nothing of the daemon's: not /dev/fuse (the connection must
	 * fall with the daemon), not its stdout (a caller may wait for EOF).
	 */
	if (pidfd > 0)
		close_range(0, pidfd - 1, 0);
	close_range(pidfd + 1, ~0U, 0);
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

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	/* A clean stop unmounted already; a mount stacked on ours is not ours. */
	if (top_mount(mnt, &id, &faultfs) == 0 && id == mount_id && faultfs)
		umount2(mnt, MNT_DETACH);
	_exit(0);
}

int ffs_guardian_start(const char *mnt)
{
	bool faultfs;
	int id, pidfd, err;
	pid_t pid;

	err = top_mount(mnt, &id, &faultfs);
	if (err)
		return err;
	if (!faultfs)
		return -EINVAL;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pidfd);
		return err;
	}
	if (pid == 0)
		guard(pidfd, mnt, id);
	close(pidfd);
	return 0;
}
