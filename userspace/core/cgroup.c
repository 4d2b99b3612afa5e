// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/kernfs.h>

int fl_cgroup2_root(char *buf, size_t len)
{
	char line[4096];
	int err = -ENOENT;
	FILE *f;

	/* A fresh machine may have no cgroup2 mounted: mount it (once). */
	fl_kernfs_ensure(FL_KERNFS_CGROUP2, NULL);
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

#define CGROUP_STD_ROOT "/sys/fs/cgroup"

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * Users write cgroup paths as they know them: /sys/fs/cgroup/db (a unified
 * host), /sys/fs/cgroup/unified/db (a hybrid one), or /system.slice/x as
 * /proc/PID/cgroup shows it. On a hybrid host the first names the v1
 * tmpfs, where no such directory exists: read it below the cgroup2 root.
 */
int fl_cgroup2_resolve(const char *path, char *ret, size_t len)
{
	char root[PATH_MAX], try[2 * PATH_MAX];
	const char *rest = NULL;
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err < 0)
		return err;
	if (access(path, F_OK) == 0 || under(path, root))
		snprintf(try, sizeof(try), "%s", path);
	else if (under(path, CGROUP_STD_ROOT) && strcmp(root, CGROUP_STD_ROOT) != 0)
		rest = path + strlen(CGROUP_STD_ROOT);
	else if (path[0] == '/')
		rest = path;
	else
		snprintf(try, sizeof(try), "%s", path);
	if (rest)
		snprintf(try, sizeof(try), "%s%s", root, rest);
	if (!realpath(try, root))
		return -errno;
	if ((size_t)snprintf(ret, len, "%s", root) >= len)
		return -ENAMETOOLONG;
	return 0;
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
	err = fl_cgroup2_resolve(path, real, sizeof(real));
	if (err < 0)
		return err;
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
}

/*
 * Visit DIR and every group below it (cgroup.kill reaches them all):
 * count the processes listed, and with sig, send it to each of them.
 * -ENOENT when DIR is gone.
 */
static int walk_procs(const char *dir, int sig, unsigned depth, unsigned *count)
{
	char file[PATH_MAX];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int pid;

	if ((size_t)snprintf(file, sizeof(file), "%s/cgroup.procs", dir) >= sizeof(file))
		return -ENAMETOOLONG;
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid <= 0)
			continue;
		(*count)++;
		if (sig)
			kill(pid, sig); /* one that exits meanwhile is fine */
	}
	fclose(f);
	if (depth >= 16)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub))
			continue;
		walk_procs(sub, sig, depth + 1, count);
	}
	closedir(d);
	return 0;
}

int fl_cgroup_write(const char *dir, const char *name, const char *val)
{
	char file[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir, name) >= sizeof(file))
		return -ENAMETOOLONG;
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

int fl_cgroup_read(const char *dir, const char *name, char *buf, size_t len)
{
	char file[PATH_MAX];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir, name) >= sizeof(file))
		return -ENAMETOOLONG;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int fl_cgroup_kill(const char *path, uint64_t timeout_ns, unsigned *ret_killed)
{
	uint64_t deadline = mono_ns() + timeout_ns;
	unsigned found = 0, left;
	bool has_kill;
	int err;

	err = walk_procs(path, 0, 0, &found);
	if (err == -ENOENT)
		goto done; /* gone: nothing to kill */
	if (err)
		return err;
	/* A frozen task cannot exit: thaw (v2; a v1 group has no such file). */
	fl_cgroup_write(path, "cgroup.freeze", "0");
	/* 5.14+: one write, and a fork racing it cannot escape. */
	has_kill = found && fl_cgroup_write(path, "cgroup.kill", "1") == 0;
	for (;;) {
		left = 0;
		/* Before 5.14 (or on v1): pid by pid, again until no one is left. */
		err = walk_procs(path, has_kill ? 0 : SIGKILL, 0, &left);
		if (err == -ENOENT || (!err && left == 0))
			break;
		if (err)
			return err;
		if (mono_ns() >= deadline)
			return -ETIMEDOUT;
		pause_ms(5);
	}
done:
	if (ret_killed)
		*ret_killed = found;
	return 0;
}

int fl_cgroup_rmdir(const char *path, int timeout_ms)
{
	uint64_t deadline = mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;

	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		/* The last task left, but the group is still being released. */
		if (mono_ns() >= deadline)
			return -EBUSY;
		pause_ms(10);
	}
}
