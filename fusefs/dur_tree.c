// SPDX-License-Identifier: GPL-2.0-only
/*
 * Plain filesystem helpers of the durability engine: they hold no engine
 * state, so every other dur_*.c may use them (the bottom of the layering
 * described in dur_engine.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dur_int.h"

int dur_opendir(int dirfd, const char *name, DIR **ret)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir;
	int err;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret = dir;
	return 0;
}

int dur_empty_dir(int dirfd)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = dur_opendir(dirfd, ".", &dir);
	if (err)
		return err;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = dur_rm_tree(dirfd, de->d_name);

		if (r && !err)
			err = r;
	}
	closedir(dir);
	return err;
}

int dur_rm_tree(int dirfd, const char *name)
{
	int fd, err;

	if (!unlinkat(dirfd, name, 0))
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = dur_empty_dir(fd);
	close(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) && !err)
		err = -errno;
	return err;
}

int dur_copy_range(int in, int64_t off, int out, int64_t dst, int64_t len)
{
	loff_t ioff = off, ooff = dst;
	char *buf = NULL;
	int err = 0;

	while (len > 0) {
		ssize_t n = copy_file_range(in, &ioff, out, &ooff, (size_t)len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len -= n;
	}
	if (len <= 0)
		return 0;
	/* Not supported here (or a short source): plain reads and writes. */
	buf = malloc(1 << 20);
	if (!buf)
		return -ENOMEM;
	while (len > 0) {
		size_t chunk = len > (1 << 20) ? (1 << 20) : (size_t)len;
		ssize_t n = pread(in, buf, chunk, ioff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			memset(buf, 0, chunk), n = (ssize_t)chunk; /* source shrank: zeros */
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(out, buf + done, (size_t)(n - done), ooff + done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				err = w < 0 ? -errno : -EIO;
				goto out;
			}
			done += w;
		}
		ioff += n;
		ooff += n;
		len -= n;
	}
out:
	free(buf);
	return err;
}
