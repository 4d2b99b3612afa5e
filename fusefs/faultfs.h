/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultfs internals shared by its files: the inode table and the
 * low-level operations of the passthrough.
 */
#ifndef FAULTFS_H
#define FAULTFS_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * One backing file or directory the kernel knows about. fd is an O_PATH
 * descriptor, so renames in the backing tree never make it stale. The
 * kernel's fuse_ino_t is the struct's address.
 */
struct ffs_inode {
	struct ffs_inode *next;   /* hash chain, under table lock */
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;         /* lookups not yet forgotten, under table lock */
	/* xattr_nocap.c (atomic): no security.capability until then (CLOCK_MONOTONIC
	 * ns, 0: not known), noted under that xattr generation of the mount */
	uint64_t nocap_expires;
	uint64_t nocap_gen;
};

#define FFS_BUCKETS 4096

struct ffs_dur;
struct ffs_faults;
struct ffs_wlog;
struct ffs_control;
struct ffs_pathcache;

struct ffs {
	struct ffs_inode root;    /* never forgotten */
	char backing[PATH_MAX];   /* realpath of BACKING, for paths in rules and the log */
	size_t backing_len;
	char mountpoint[PATH_MAX];/* realpath of MOUNTPOINT ("" if unknown): a snapshot must not go there */
	pthread_mutex_t lock;
	struct ffs_inode *bucket[FFS_BUCKETS];
	double timeout;           /* entry and attribute cache, seconds */
	int chown_new;            /* running as root: new files belong to the caller */

	/*
	 * Every request holds op_lock shared; a power cut holds it exclusively,
	 * so it is atomic with respect to every operation.
	 */
	pthread_rwlock_t op_lock;
	bool offline;             /* after a rule's power cut: every request fails with EIO */
	struct fuse_session *se;  /* for cache invalidation after a power cut */
	struct ffs_dur *dur;      /* durability.h */
	struct ffs_faults *faults;/* faults.h */
	struct ffs_wlog *wlog;    /* wlog.h */
	struct ffs_control *ctl;  /* control.h */
	uint64_t size_limit;      /* -o size=BYTES: ENOSPC beyond it; 0 = none */
	int64_t space_used;       /* allocated bytes of regular files (atomic), with size_limit */
	struct ffs_orphan *orphans; /* powercut_orphans.c: nameless inodes to free after the answer */
	uint64_t xattr_gen;       /* atomic: bumped by every xattr change through the mount */
	struct ffs_pathcache *paths; /* pathcache.h: inode paths remembered for the write log */
	uint64_t killpriv_init;   /* atomic: unique of an INIT offering FUSE_HANDLE_KILLPRIV_V2 (killpriv.h) */
	bool killpriv_v2;         /* atomic: negotiated; set-ID bits are faultfs's to clear */
	uint64_t getxattr_requests; /* atomic: GETXATTR requests served, for status */
};

/*
 * Whole-mount actions, shared by the control socket and the powercut= rule
 * action. They take the operations lock exclusively: no request runs while
 * they do. After a power cut triggered by a rule the mount is offline
 * (every request fails with EIO, like a machine without power) until
 * ffs_resume(); a power cut from the control socket resumes at once.
 */
struct ffs_powercut_opts;
struct ffs_powercut_report;
int ffs_powercut(struct ffs *fs, const struct ffs_powercut_opts *opts, bool stay_offline,
		 struct ffs_powercut_report *ret);
int ffs_resume(struct ffs *fs);
/*
 * Free what the last power cut left to free after its answer (inodes no
 * request can reach any more); any thread, any time; a no-op if nothing.
 */
void ffs_powercut_finish(struct ffs *fs);
/*
 * The inode is one the last power cut left without a name and has not
 * freed yet: every request on it fails with ENOENT (powercut_orphans.c).
 */
bool ffs_powercut_hidden(struct ffs *fs, dev_t dev, ino_t ino);

/*
 * Copy what a power cut now would leave into dest (an absolute path: a
 * new or empty directory outside the mount and the backing tree), under
 * the operations lock; the mount and its volatile state stay as they
 * are (snapshot.c). *ret_held_ns: how long requests were held. errbuf
 * says why on failure.
 */
struct ffs_snapshot_report;
int ffs_snapshot(struct ffs *fs, const char *dest, struct ffs_snapshot_report *ret,
		 uint64_t *ret_held_ns, char *errbuf, size_t errlen);

/* inode.c */
/*
 * Fork the unmount guardian of the faultfs mount this process is about to
 * make at mnt (an absolute path), before the mount: once this process (or
 * the daemon it forks) is gone, it detaches the mount if it is still there.
 * *ret_fd: the pipe to the guardian, kept open for the life of the daemon
 * (guardian.c).
 */
int ffs_guardian_start(const char *mnt, int *ret_fd);
/* Once mounted: tell the guardian (fd from ffs_guardian_start) which mount is ours. */
int ffs_guardian_mounted(int fd, const char *mnt);

int ffs_init(struct ffs *fs, const char *backing);
void ffs_destroy(struct ffs *fs);
struct ffs_inode *ffs_inode(fuse_req_t req, fuse_ino_t ino);
/* The kernel's number for the backing (dev, ino), or 0 if the kernel does not know it. */
fuse_ino_t ffs_inode_find(struct ffs *fs, dev_t dev, ino_t ino);
/*
 * Find or add the inode of (dev, ino); takes one lookup reference. fd is
 * consumed: kept by a new inode, closed if the inode is known already.
 */
int ffs_inode_get(struct ffs *fs, int fd, const struct stat *st, struct ffs_inode **ret);
void ffs_inode_forget(struct ffs *fs, struct ffs_inode *inode, uint64_t n);

/* space.c: -o size=BYTES, the modelled disk's size */
int ffs_space_scan(struct ffs *fs);

/* passthrough.c */
extern const struct fuse_lowlevel_ops ffs_ops;

#endif /* FAULTFS_H */
