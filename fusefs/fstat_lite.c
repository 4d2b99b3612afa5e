// SPDX-License-Identifier: GPL-2.0-only
/* fstat without the timestamps: see fstat_lite.h for why. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fstat_lite.h"

#define LITE_MASK (STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_INO | \
		   STATX_SIZE | STATX_BLOCKS)

int ffs_fstat_lite(int fd, struct stat *st)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, LITE_MASK, &sx))
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = (ino_t)sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_size = (off_t)sx.stx_size;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	return 0;
}
