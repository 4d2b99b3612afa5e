/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the test_dur_*.c tests: a durability engine on a fresh
 * temporary backing directory (no FUSE, no root), removed in teardown,
 * and small helpers to build and compare file content. Include after
 * cmocka.h.
 */
#ifndef DUR_FIXTURE_H
#define DUR_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durability.h"
#include "helpers/fixtures.h"

struct dur_fx {
	char path[PATH_MAX];
	int root;                 /* O_PATH of the backing root */
	int dir;                  /* O_RDONLY of the backing root (fsync, openat) */
	struct ffs_dur *d;
	enum ffs_dur_mode mode;
};

static int dur_fx_setup_mode(void **state, enum ffs_dur_mode mode)
{
	struct dur_fx *x = calloc(1, sizeof(*x));

	if (!x || fl_fixture_tmpdir_create(x->path, sizeof(x->path)))
		return -1;
	x->mode = mode;
	x->root = open(x->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	x->dir = open(x->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->root < 0 || x->dir < 0 || ffs_dur_open(x->root, mode, &x->d))
		return -1;
	*state = x;
	return 0;
}

static inline int dur_fx_setup(void **state)
{
	return dur_fx_setup_mode(state, FFS_DUR_STRICT);
}

static inline int dur_fx_setup_data(void **state)
{
	return dur_fx_setup_mode(state, FFS_DUR_DATA);
}

static inline int dur_fx_teardown(void **state)
{
	struct dur_fx *x = *state;

	if (!x)
		return 0;
	ffs_dur_close(x->d);
	close(x->root);
	close(x->dir);
	fl_fixture_tmpdir_destroy(x->path);
	free(x);
	return 0;
}

/* A native, untracked (so durable) file. */
static inline void dur_fx_put(struct dur_fx *x, const char *name, const void *data, size_t len)
{
	int fd = openat(x->dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static inline int dur_fx_open(struct dur_fx *x, const char *name, int flags)
{
	int fd = openat(x->dir, name, flags | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	return fd;
}

/* Whole content of name (malloc'ed), or NULL when it does not exist. */
static inline char *dur_fx_read(struct dur_fx *x, const char *name, size_t *ret_len)
{
	int fd = openat(x->dir, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;

	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*ret_len = st.st_size;
	return buf;
}

static inline void dur_fx_assert_content(struct dur_fx *x, const char *name, const void *want,
					 size_t len)
{
	size_t n = 0;
	char *got = dur_fx_read(x, name, &n);

	assert_non_null(got);
	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
	free(got);
}

static inline bool dur_fx_exists(struct dur_fx *x, const char *name)
{
	struct stat st;

	return fstatat(x->dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static inline void dur_fx_write(struct dur_fx *x, int fd, const void *buf, size_t len, off_t off)
{
	assert_int_equal(ffs_dur_write(x->d, fd, buf, len, off), (ssize_t)len);
}

static inline struct ffs_powercut_report dur_fx_powercut(struct dur_fx *x, uint32_t keep_ppm,
							 uint64_t seed, uint32_t torn)
{
	struct ffs_powercut_opts o = { .keep_ppm = keep_ppm, .seed = seed, .torn_sector = torn };
	struct ffs_powercut_report r;

	assert_int_equal(ffs_dur_powercut(x->d, &o, NULL, &r), 0);
	return r;
}

/* Bytes i..i+len of a pattern tagged by gen, so that versions differ. */
static inline void dur_fx_pattern(char *buf, size_t len, uint64_t off, unsigned int gen)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(((off + i) * 31 + gen * 101 + (off + i) / 4096) % 251 + 1);
}

/* Number of entries in BACKING/.faultfs/sub. */
static inline int dur_fx_count(struct dur_fx *x, const char *sub)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/" FFS_STATE_DIR "/%s' | wc -l", x->path, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

#endif /* DUR_FIXTURE_H */
