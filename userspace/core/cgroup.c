// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/cgroup.h>

int fl_cgroup2_root(char *buf, size_t len)
{
	char line[4096];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... shared:9 - cgroup2 cgroup2 rw" */
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep;

		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int fl_cgroup_create(const char *name, char *ret, size_t len)
{
	char root[PATH_MAX], path[PATH_MAX];
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err < 0)
		return err;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, name) >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0)
		return -errno;
	if ((size_t)snprintf(ret, len, "%s", path) >= len) {
		rmdir(path);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int write_pid(const char *dir, pid_t pid)
{
	char file[PATH_MAX], num[32];
	int fd, n, err = 0;

	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(num, sizeof(num), "%d\n", pid);
	if (write(fd, num, n) != n)
		err = -errno;
	close(fd);
	return err;
}

int fl_cgroup_add_pid(const char *path, pid_t pid)
{
	return write_pid(path, pid);
}

int fl_cgroup_id(const char *path, uint64_t *ret_id, unsigned *ret_level)
{
	char root[PATH_MAX], real[PATH_MAX];
	unsigned level = 0;
	struct stat st;
	size_t n;
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err < 0)
		return err;
	if (!realpath(path, real))
		return -errno;
	if (stat(real, &st) < 0)
		return -errno;
	n = strlen(root);
	if (!S_ISDIR(st.st_mode) || strncmp(real, root, n) != 0 ||
	    (real[n] != '\0' && real[n] != '/'))
		return -ENOTDIR;
	/* Each path component below the root is one level. */
	for (const char *p = real + n; *p; p++)
		if (*p == '/' && p[1] != '\0')
			level++;
	/* On 64-bit kernels the cgroup id is the directory's inode number. */
	*ret_id = (uint64_t)st.st_ino;
	*ret_level = level;
	return 0;
}

int fl_cgroup_remove(const char *path)
{
	char file[PATH_MAX], parent[PATH_MAX], *slash;
	FILE *f;
	int pid;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%d", &pid) == 1)
		write_pid(parent, pid); /* a process that exits meanwhile is fine */
	fclose(f);

	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
