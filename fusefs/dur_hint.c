// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-request hints of dur_hint.h: thread-local, a fixed buffer for
 * the name (no allocation per create).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "dur_hint.h"

struct created {
	int dirfd;
	int fd;                  /* -1: none */
	bool have_st;
	struct stat st;
	char name[NAME_MAX + 1];
};

static __thread struct {
	int fd;                  /* -1: none */
	int file_fd;             /* the request's open file of (dev, ino); -1: none */
	dev_t dev;
	ino_t ino;
} dir_hint = { .fd = -1, .file_fd = -1 };

static __thread struct created created = { .fd = -1 };

static void created_drop(void)
{
	if (created.fd >= 0)
		close(created.fd);
	created.fd = -1;
}

void ffs_dur_hint_dir(int fd, dev_t dev, ino_t ino)
{
	dir_hint.fd = fd;
	dir_hint.file_fd = -1;
	dir_hint.dev = dev;
	dir_hint.ino = ino;
	/* A request that never reached ffs_op_end() must not leave its entry to this one. */
	created_drop();
}

void ffs_dur_hint_file(int fd)
{
	if (dir_hint.fd >= 0)
		dir_hint.file_fd = fd;
}

void ffs_dur_hint_end(void)
{
	dir_hint.fd = -1;
	dir_hint.file_fd = -1;
	created_drop();
}

bool dur_file_id(int fd, dev_t *ret_dev, ino_t *ret_ino)
{
	if (fd < 0 || fd != dir_hint.file_fd)
		return false;
	*ret_dev = dir_hint.dev;
	*ret_ino = dir_hint.ino;
	return true;
}

int dur_dir_id(int dirfd, dev_t *ret_dev, ino_t *ret_ino)
{
	struct stat st;

	if (dirfd >= 0 && dirfd == dir_hint.fd) {
		*ret_dev = dir_hint.dev;
		*ret_ino = dir_hint.ino;
		return 0;
	}
	if (fstat(dirfd, &st))
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

bool dur_created_wanted(int dirfd)
{
	return dirfd >= 0 && dirfd == dir_hint.fd;
}

void dur_created_put(int dirfd, const char *name, int fd, const struct stat *st)
{
	size_t n = strlen(name);

	created_drop();
	if (!dur_created_wanted(dirfd) || n >= sizeof(created.name)) {
		close(fd);
		return;
	}
	memcpy(created.name, name, n + 1);
	created.dirfd = dirfd;
	created.fd = fd;
	created.st = *st;
	created.have_st = true;
}

bool ffs_dur_take_created(int dirfd, const char *name, int *ret_fd, struct stat *ret_st,
			  bool *ret_have_st)
{
	if (created.fd < 0 || created.dirfd != dirfd || strcmp(created.name, name))
		return false;
	*ret_fd = created.fd;
	*ret_have_st = created.have_st;
	if (created.have_st)
		*ret_st = created.st;
	created.fd = -1;
	return true;
}

void ffs_dur_created_changed(void)
{
	created.have_st = false;
}
