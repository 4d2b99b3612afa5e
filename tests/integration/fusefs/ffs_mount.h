/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the faultfs integration tests: a temporary directory with backing/,
 * mnt/ and native/ (a plain directory on the same filesystem to compare
 * with), faultfs started in the foreground (so its pid is the test's) and
 * always unmounted and reaped, also when a test fails. Include after cmocka.h.
 */
#ifndef FFS_TEST_MOUNT_H
#define FFS_TEST_MOUNT_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers/fixtures.h"

struct ffs_mount {
	struct fl_fixture fx;
	char backing[PATH_MAX];
	char mnt[PATH_MAX];
	char native[PATH_MAX];
	char faultfs[PATH_MAX];
	char faultline[PATH_MAX];
	pid_t pid;
};

static inline bool ffs_is_mounted(const char *mnt)
{
	char line[4096], want[PATH_MAX + 2];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	/* Field 5 is the mount point; our paths have no spaces to escape. */
	snprintf(want, sizeof(want), " %s ", mnt);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && strstr(line, "fuse.faultfs"))
			found = true;
	fclose(f);
	return found;
}

static inline bool ffs_wait_mounted(const char *mnt, bool want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (ffs_is_mounted(mnt) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static inline struct ffs_mount *ffs_mount_new(void)
{
	struct ffs_mount *m = calloc(1, sizeof(*m));
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	if (!m)
		return NULL;
	if (fl_fixture_tmpdir_create(m->fx.path, sizeof(m->fx.path))) {
		free(m);
		return NULL;
	}
	m->fx.created = true;
	if (snprintf(m->backing, sizeof(m->backing), "%s/backing", m->fx.path) >= PATH_MAX ||
	    snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->fx.path) >= PATH_MAX ||
	    snprintf(m->native, sizeof(m->native), "%s/native", m->fx.path) >= PATH_MAX ||
	    snprintf(m->faultfs, sizeof(m->faultfs), "%s/faultfs", build) >= PATH_MAX ||
	    snprintf(m->faultline, sizeof(m->faultline), "%s/faultline", build) >= PATH_MAX ||
	    mkdir(m->backing, 0755) || mkdir(m->mnt, 0755) || mkdir(m->native, 0755)) {
		fl_fixture_tmpdir_destroy(m->fx.path);
		free(m);
		return NULL;
	}
	/* The tmpdir is 0700: let other users reach the mount for allow_other. */
	chmod(m->fx.path, 0755);
	return m;
}

/* Stop faultfs (unmount, reap); true when it exited with status 0. */
static inline bool ffs_unmount(struct ffs_mount *m)
{
	int status = -1;

	if (ffs_is_mounted(m->mnt)) {
		char *argv[] = { "fusermount3", "-u", m->mnt, NULL };

		if (fl_fixture_cmd(argv))
			umount2(m->mnt, MNT_DETACH);
	}
	if (m->pid > 0) {
		for (int i = 0; i < 300; i++) {
			if (waitpid(m->pid, &status, WNOHANG) == m->pid)
				break;
			usleep(10000);
			status = -1;
		}
		if (status == -1) {
			kill(m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
		}
		m->pid = 0;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static inline void ffs_mount_free(struct ffs_mount *m)
{
	if (!m)
		return;
	ffs_unmount(m);
	fl_fixture_tmpdir_destroy(m->fx.path);
	free(m);
}

/* Run faultfs BACKING MNT -f [-o opts]; wait for the mount. 0 or -errno. */
static inline int ffs_mount_start(struct ffs_mount *m, const char *opts)
{
	m->pid = fork();
	if (m->pid < 0)
		return -errno;
	if (m->pid == 0) {
		if (opts)
			execl(m->faultfs, m->faultfs, m->backing, m->mnt, "-f", "-o", opts,
			      (char *)NULL);
		else
			execl(m->faultfs, m->faultfs, m->backing, m->mnt, "-f", (char *)NULL);
		_exit(127);
	}
	return ffs_wait_mounted(m->mnt, true, 5000) ? 0 : -ETIMEDOUT;
}

/* Prints why and returns false when FUSE or the binaries are missing. */
static inline bool ffs_require(struct ffs_mount *m)
{
	if (!fl_test_require_root())
		return false;
	if (access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: /dev/fuse is unavailable (modprobe fuse)\n");
		return false;
	}
	if (!m || access(m->faultfs, X_OK)) {
		print_message("skip: faultfs is not built (run make)\n");
		return false;
	}
	return true;
}

/* "DIR/NAME" into a static ring of buffers: good for a few at once in one call. */
static inline __attribute__((format(printf, 2, 3))) const char *ffs_p(const char *dir, const char *fmt, ...)
{
	static char ring[8][PATH_MAX];
	static int next;
	char *buf = ring[next++ % 8];
	char name[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		buf[0] = '\0'; /* fails every call it is given to */
	return buf;
}

#endif /* FFS_TEST_MOUNT_H */
