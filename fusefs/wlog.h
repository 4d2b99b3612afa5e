/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The write log: every write, fsync and metadata operation, every injected
 * fault and every power cut, as JSON lines with a sequence number, the time,
 * the path, offset, length and a checksum of the data. RPO measurement and
 * point-in-time restore are built on it. Appended to BACKING/.faultfs/wlog.jsonl
 * (or -o log=FILE) and streamed to followers on the control socket.
 */
#ifndef FAULTFS_WLOG_H
#define FAULTFS_WLOG_H

#include <stdint.h>
#include <sys/types.h>

enum ffs_wlog_kind {
	FFS_WLOG_WRITE, FFS_WLOG_TRUNCATE, FFS_WLOG_FALLOCATE, FFS_WLOG_FSYNC,
	FFS_WLOG_FDATASYNC, FFS_WLOG_SYNCFS, FFS_WLOG_FSYNCDIR, FFS_WLOG_CREATE,
	FFS_WLOG_MKDIR, FFS_WLOG_MKNOD, FFS_WLOG_SYMLINK, FFS_WLOG_LINK,
	FFS_WLOG_UNLINK, FFS_WLOG_RMDIR, FFS_WLOG_RENAME, FFS_WLOG_FAULT,
	FFS_WLOG_POWERCUT,
};

struct ffs_wlog_entry {
	enum ffs_wlog_kind kind;
	const char *path;        /* relative to the mount root, leading '/' */
	const char *path2;       /* rename/link target */
	uint64_t ino;            /* backing inode */
	int64_t off;
	uint64_t len;
	uint32_t crc32;          /* of the data written (WRITE) */
	int result;              /* 0 or -errno as answered to the application */
	const char *detail;      /* FAULT: "rule 0 write:error=EIO", POWERCUT: the report as JSON */
};

struct ffs_wlog;

int ffs_wlog_open(int dirfd, const char *path, struct ffs_wlog **ret);
void ffs_wlog_close(struct ffs_wlog *w);
/* Append one entry; assigns seq and timestamps. Returns the seq (>= 1) or -errno. */
int64_t ffs_wlog_append(struct ffs_wlog *w, const struct ffs_wlog_entry *e);
/* Make the log itself durable (called when the application fsyncs). */
int ffs_wlog_sync(struct ffs_wlog *w);

/* Followers: fd receives every line from seq since on, until removed or it fails. */
int ffs_wlog_follow(struct ffs_wlog *w, int fd, uint64_t since);

#endif /* FAULTFS_WLOG_H */
