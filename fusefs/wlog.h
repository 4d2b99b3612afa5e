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
	FFS_WLOG_LIMIT,          /* a bound made the oldest name operations durable */
	FFS_WLOG_SNAPSHOT,       /* faultline fs snapshot: its instant among the operations */
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
/*
 * Start the thread that flushes the log once a second. Separate from open
 * because a daemon must start threads only after fuse_daemonize() forks:
 * a thread started before would not exist in the daemon, and close would
 * wait for it forever.
 */
int ffs_wlog_start_flusher(struct ffs_wlog *w);
void ffs_wlog_close(struct ffs_wlog *w);
/* Append one entry; assigns seq and timestamps. Returns the seq (>= 1) or -errno. */
int64_t ffs_wlog_append(struct ffs_wlog *w, const struct ffs_wlog_entry *e);
/*
 * Make the log itself durable now. Called at a power cut and at close;
 * otherwise a background thread does it once a second when lines were
 * appended.
 *
 * Why not at every application fsync: the simulated power cut never
 * touches the real log file (it lives outside the modelled disk), so the
 * log loses nothing at a simulated cut whether it was synced or not. Only
 * a real crash of the host could lose its newest second of lines, and a
 * device flush per application fsync would halve the fsync rate faultfs
 * can offer (two flushes per fsync). A harness that needs every line on
 * disk at once can read the log through the control socket (`log
 * --follow`), which streams each line as it is appended.
 */
int ffs_wlog_sync(struct ffs_wlog *w);

/*
 * Followers: fd receives every line from seq since on (first the backlog read
 * back from the log file, then each new line as it is appended, in seq order)
 * until it fails, the peer hangs up, or the log is closed. The log owns fd
 * from then on and closes it. A follower never slows writers: it has a
 * bounded queue, and one that falls too far behind gets a last line
 * {"error":"follower too slow, N entries dropped"} and is disconnected.
 */
int ffs_wlog_follow(struct ffs_wlog *w, int fd, uint64_t since);

/* Write the lines from seq since up to the newest to fd, then return. fd stays the caller's. */
int ffs_wlog_dump(struct ffs_wlog *w, int fd, uint64_t since);

/* The seq of the newest line (0 if none). */
uint64_t ffs_wlog_last_seq(struct ffs_wlog *w);

/*
 * Rotate by size: when LOG reaches max_size bytes (0: never), it becomes
 * LOG.1, LOG.1 becomes LOG.2 ... and LOG.keep goes; a new LOG starts. The
 * log then holds at most about (keep + 1) * max_size bytes. Dumps and
 * followers read the rotated files too; seq goes on across rotations.
 */
#define FFS_WLOG_MAX_SIZE_DEFAULT (64ull << 20)
#define FFS_WLOG_KEEP_DEFAULT 3
void ffs_wlog_set_rotation(struct ffs_wlog *w, uint64_t max_size, unsigned int keep);

/* Queue bound of each follower, in lines (default 65536). For tests. */
void ffs_wlog_set_follow_limit(struct ffs_wlog *w, size_t lines);

/*
 * Line format (one JSON object per line, keys in this order):
 *   {"seq":1,"ts_ns":123,"time":"2025-01-01T00:00:00.000000Z","op":"write",
 *    "path":"/a","ino":12,"off":0,"len":4096,"crc32":"1c291ca3","result":0}
 * path2 follows path for rename/link; crc32 only for writes; result is 0 or
 * the errno name ("EIO"); detail (faults, power cuts) is a string, or an
 * object when the entry's detail is a JSON object. Paths are bytes: a path
 * that is not valid UTF-8 is written with U+FFFD in "path" and losslessly,
 * base64-encoded, in "path_b64" (likewise "path2_b64").
 */

#endif /* FAULTFS_WLOG_H */
