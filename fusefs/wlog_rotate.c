// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rotation of the write log by size: LOG becomes LOG.1, LOG.1 becomes
 * LOG.2 ... up to LOG.KEEP; the oldest goes. Readers (log dumps, followers'
 * backlogs) open the whole chain at once, under the log's append lock, so
 * a rotation can never slip a file past them: an fd keeps its file whatever
 * is renamed or removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "wlog_priv.h"

static int rotated_name(char *buf, size_t len, const char *path, unsigned int i)
{
	int n = snprintf(buf, len, "%s.%u", path, i);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ffs_wlog_rotate_files(int dirfd, const char *path, unsigned int keep)
{
	char from[4096], to[4096];
	int err;

	if (keep == 0)
		return unlinkat(dirfd, path, 0) && errno != ENOENT ? -errno : 0;
	for (unsigned int i = keep; i > 1; i--) {
		err = rotated_name(from, sizeof(from), path, i - 1);
		if (!err)
			err = rotated_name(to, sizeof(to), path, i);
		if (err)
			return err;
		/* renameat replaces LOG.keep: the oldest lines go. */
		if (renameat(dirfd, from, dirfd, to) && errno != ENOENT)
			return -errno;
	}
	err = rotated_name(to, sizeof(to), path, 1);
	if (err)
		return err;
	return renameat(dirfd, path, dirfd, to) ? -errno : 0;
}

int ffs_wlog_open_chain(int dirfd, const char *path, unsigned int keep, int cur_rfd,
			int *fds, size_t *ret_n)
{
	char name[4096];
	size_t n = 0;
	int fd, err;

	for (unsigned int i = keep; i >= 1; i--) {
		err = rotated_name(name, sizeof(name), path, i);
		if (err)
			goto fail;
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		fds[n++] = fd;
	}
	fd = fcntl(cur_rfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	fds[n++] = fd;
	*ret_n = n;
	return 0;
fail:
	while (n)
		close(fds[--n]);
	return err;
}
