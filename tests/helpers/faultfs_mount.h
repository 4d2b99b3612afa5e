/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A faultfs mount for a test: a fresh backing directory and mount point,
 * faultfs running in the foreground as our child, and a teardown that
 * unmounts, reaps and removes everything, also when the test failed.
 */
#ifndef FL_TEST_FAULTFS_MOUNT_H
#define FL_TEST_FAULTFS_MOUNT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct fl_faultfs_mount {
	char dir[PATH_MAX - 64]; /* holds both, removed at the end */
	char backing[PATH_MAX];
	char mnt[PATH_MAX];
	pid_t pid;               /* faultfs -f */
};

/* The build directory ($BUILD or "build") and its binaries. */
const char *fl_test_build_dir(void);
/* $BUILD/NAME into buf; false (and a printed reason) if it is not executable. */
bool fl_test_binary(const char *name, char *buf, size_t len);

/* Mount with extra -o options (or NULL); waits until the mount is up. 0 or -errno. */
int fl_faultfs_mount(const char *opts, struct fl_faultfs_mount *ret);
/* Unmount, reap faultfs, remove the directories. Idempotent. */
void fl_faultfs_unmount(struct fl_faultfs_mount *m);
/* Is path a fuse.faultfs mount point right now? */
bool fl_faultfs_is_mounted(const char *path);
/* Run "$BUILD/faultline fs ARGS..." (a NULL-terminated list), output to out (may be NULL). Exit status or -errno. */
int fl_faultline_fs(char *out, size_t out_len, const char *arg, ...) __attribute__((sentinel));

#endif
