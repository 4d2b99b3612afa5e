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

/* Root, /dev/fuse and a built faultfs; false (and a printed reason) if one is missing. */
bool fl_faultfs_require(void);
/* That, and `faultline fs` (the control client) too. */
bool fl_faultfs_require_client(void);

/* prepare + start: a fresh backing dir and mount point, mounted. 0 or -errno. */
int fl_faultfs_mount(const char *opts, struct fl_faultfs_mount *ret);
/* Only the directories (for tests that fill backing/ first). 0 or -errno. */
int fl_faultfs_prepare(struct fl_faultfs_mount *ret);
/* Run faultfs on m (extra -o options or NULL); waits until it serves (mounted, control socket up). 0 or -errno. */
int fl_faultfs_start(struct fl_faultfs_mount *m, const char *opts);
/* cmocka setup/teardown: *state is a prepared (not yet started) mount, freed after. */
int fl_faultfs_setup(void **state);
int fl_faultfs_teardown(void **state);
/* Unmount and reap, keeping the directories: faultfs's exit status, or -ECHILD if none ran. */
int fl_faultfs_stop(struct fl_faultfs_mount *m);
/* stop, then remove the directories. Idempotent, also on a zeroed m. */
void fl_faultfs_unmount(struct fl_faultfs_mount *m);
/* The path of the newest line of kind op ("write") in m's default write log, into buf ("" if none). */
void fl_faultfs_last_log_path(const struct fl_faultfs_mount *m, const char *op, char *buf,
			      size_t len);
/* Is path a fuse.faultfs mount point right now? */
bool fl_faultfs_is_mounted(const char *path);
/* Wait until fl_faultfs_is_mounted(path) == want; false after timeout_ms. */
bool fl_faultfs_wait_mounted(const char *path, bool want, int timeout_ms);
/* "DIR/NAME" (NAME printf-formatted) in a ring of 8 static buffers, so a few
 * can be used in one call; "" (which every call fails on) if too long. */
const char *fl_test_path(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run "$BUILD/faultline fs ARGS..." (a NULL-terminated list), output to out (may be NULL). Exit status or -errno. */
int fl_faultline_fs(char *out, size_t out_len, const char *arg, ...) __attribute__((sentinel));

#endif
