/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The durability model: what a power cut would keep.
 *
 * faultfs writes through to the backing tree at once, so reads stay plain
 * passthrough, and keeps for everything not yet durable what is needed to
 * undo it: the pre-image of each overwritten range (on disk, in an undo file
 * per backing file under BACKING/.faultfs/undo), the size before each size
 * change, and for names the inverse operation (an unlinked, replaced or
 * removed entry is parked in BACKING/.faultfs/trash until its directory is
 * fsynced). A power cut undoes, newest first, everything still volatile.
 *
 * The ffs_dur_* calls below PERFORM the operation on the backing tree and
 * record it; the passthrough calls them instead of the plain syscalls for
 * every mutating operation. All return 0 (or a count) or a negative errno.
 * Thread-safe.
 */
#ifndef FAULTFS_DURABILITY_H
#define FAULTFS_DURABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FFS_STATE_DIR ".faultfs"  /* in the backing root, hidden from the mount */

enum ffs_dur_mode {
	FFS_DUR_STRICT = 0, /* data and names volatile until fsync (POSIX worst case) */
	FFS_DUR_DATA,       /* names and metadata durable at once (LazyFS-compatible) */
};

struct ffs_dur;

/*
 * backing_fd: O_PATH|O_DIRECTORY fd of the backing root. Creates (or, after
 * a crash of faultfs itself, discards and recreates) BACKING/.faultfs.
 */
int ffs_dur_open(int backing_fd, enum ffs_dur_mode mode, struct ffs_dur **ret);
/* Clean shutdown: everything volatile becomes durable; removes undo data and trash. */
void ffs_dur_close(struct ffs_dur *d);
enum ffs_dur_mode ffs_dur_mode(const struct ffs_dur *d);

/*
 * --- data. fd: an open fd of the backing file (any access mode). ------------
 * truncate and fallocate also accept an O_PATH fd (they act through the
 * engine's own read-write fd of the inode); fsync needs a real open fd.
 * Writes use pwritev2(RWF_NOAPPEND) where the kernel has it, so an O_APPEND
 * fd writes at off too: the caller passes the offset to write at.
 * Non-regular files are passed through untracked.
 */
/* pwrite with its pre-image saved first. Returns bytes written or -errno. */
ssize_t ffs_dur_write(struct ffs_dur *d, int fd, const void *buf, size_t len, off_t off);
int ffs_dur_truncate(struct ffs_dur *d, int fd, off_t size);
int ffs_dur_fallocate(struct ffs_dur *d, int fd, int mode, off_t off, off_t len);
/* fsync/fdatasync the backing file; its volatile data (and size) become durable. */
int ffs_dur_fsync(struct ffs_dur *d, int fd, bool datasync);
/* syncfs: everything becomes durable. */
int ffs_dur_syncfs(struct ffs_dur *d);

/* --- names. dirfd: O_PATH fd of the backing directory --------------------- */
/*
 * openat(dirfd, name, flags | O_CLOEXEC, mode). In strict mode a create is
 * recorded only if this call created the file (tried with O_EXCL first).
 * O_TRUNC of an existing non-empty file is done as a tracked truncate.
 */
int ffs_dur_create(struct ffs_dur *d, int dirfd, const char *name, int flags, mode_t mode,
		   int *ret_fd);
int ffs_dur_mknod(struct ffs_dur *d, int dirfd, const char *name, mode_t mode, dev_t rdev);
int ffs_dur_mkdir(struct ffs_dur *d, int dirfd, const char *name, mode_t mode);
int ffs_dur_symlink(struct ffs_dur *d, const char *target, int dirfd, const char *name);
int ffs_dur_link(struct ffs_dur *d, int fd, int newdirfd, const char *newname);
int ffs_dur_unlink(struct ffs_dur *d, int dirfd, const char *name);
int ffs_dur_rmdir(struct ffs_dur *d, int dirfd, const char *name);
int ffs_dur_rename(struct ffs_dur *d, int olddirfd, const char *oldname,
		   int newdirfd, const char *newname, unsigned int flags);
/* fsync of a directory: the name operations in it become durable. */
int ffs_dur_fsyncdir(struct ffs_dur *d, int dirfd, bool datasync);

/*
 * What the mount shows of a backing inode's attributes: st_nlink without
 * the names parked in trash/ (an unlinked file still open reports 0, like
 * a native one; a parked directory reports 0). Cheap: one atomic load when
 * nothing is parked, else a hash lookup under a lock no name op holds long.
 */
void ffs_dur_adjust_stat(struct ffs_dur *d, struct stat *st);

/* --- faults on the durable image ------------------------------------------ */
/*
 * The write just made on [off, off+len) will never become durable (a lying
 * disk, a torn write's tail): its pre-image is kept past any fsync and
 * restored at the next power cut.
 */
int ffs_dur_mark_lost(struct ffs_dur *d, int fd, off_t off, size_t len);
/* fsyncgate: the file's volatile writes are lost (as ext4 drops dirty pages on EIO). */
int ffs_dur_fsyncgate(struct ffs_dur *d, int fd);

/* --- power cut -------------------------------------------------------------- */
struct ffs_powercut_opts {
	uint32_t keep_ppm;     /* persist this share of the volatile writes (seeded) */
	uint64_t seed;
	uint32_t torn_sector;  /* 0, or: last write of each file persists a subset of its sectors */
};

struct ffs_powercut_report {
	uint64_t writes_undone, writes_kept, bytes_undone;
	uint64_t names_undone, files_touched;
	uint64_t duration_ns;
	/* Set by ffs_powercut (powercut.c), 0 from the engine alone: */
	uint64_t wait_ns;          /* waiting for the requests in flight (the lock) */
	uint64_t inval_ns;         /* invalidating the kernel's caches afterwards */
};

/*
 * A name operation a power cut undid, for the report: which name, and
 * which directory fsync was missing. dir1_fd/dir2_fd are O_PATH fds of
 * the directories (valid during the call only).
 */
struct ffs_name_undone {
	const char *op;          /* "create", "unlink", "rename", "exchange" */
	int dir1_fd;
	const char *name1;
	int dir2_fd;             /* rename/exchange; else -1 */
	const char *name2;
	bool is_dir;             /* the entry created or parked is a directory */
	bool dir1_synced, dir2_synced; /* each directory fsynced since (a rename needs both) */
};

/* A name (in the directory dir_dev, dir_ino) the cut removed by undoing its create. */
struct ffs_orphan_name {
	dev_t dir_dev;
	ino_t dir_ino;
	const char *name;
};

/* Called for every backing inode whose data, size or entry changed. */
struct ffs_inval_ops {
	void (*inode)(void *ctx, dev_t dev, ino_t ino);
	/*
	 * A file whose data the cut changed, nothing below byte from (may be
	 * NULL: inode is called instead).
	 */
	void (*data)(void *ctx, dev_t dev, ino_t ino, int64_t from);
	void (*entry)(void *ctx, dev_t dir_dev, ino_t dir_ino, const char *name);
	/* Each name operation undone, after it was (may be NULL). */
	void (*name)(void *ctx, const struct ffs_name_undone *u);
	/*
	 * May be NULL: then every file is cut to size at once. Else a file the
	 * cut must shrink and that the undone names left without a name comes
	 * here uncut, with our fd of it (the callee's to close) and its size:
	 * the callee must cut it before any request can reach the inode again
	 * (the kernel still holds it: an open fd, a racing open), and may cut
	 * it later, unseen, once nothing can (see powercut.c). names: the
	 * names it lost by an undone create (valid during the call only).
	 */
	void (*orphan)(void *ctx, dev_t dev, ino_t ino, int fd, int64_t size,
		       const struct ffs_orphan_name *names, size_t n_names);
	void *ctx;
};

/*
 * Turn the backing tree into what a reboot would show. The caller holds
 * the operations lock exclusively (no request runs meanwhile).
 */
int ffs_dur_powercut(struct ffs_dur *d, const struct ffs_powercut_opts *opts,
		     const struct ffs_inval_ops *inval, struct ffs_powercut_report *ret);

/* --- snapshot ------------------------------------------------------------- */
struct ffs_snapshot_report {
	uint64_t files, dirs;      /* regular files and directories copied */
	uint64_t bytes_copied;     /* their bytes as they were, before the replay */
	/* ffs_snapshot (snapshot.c) replaces files and bytes_copied with what the image holds. */
	struct ffs_powercut_report cut; /* what the replay undid in the copy */
	uint64_t precopy_ns;       /* the copy made while requests went on (two steps) */
	uint64_t copy_ns, replay_ns; /* under the lock: the copy (or the catch-up), the replay */
	uint64_t catchup_files, catchup_bytes; /* copied again under the lock */
	bool full;                 /* all copied under the lock (one step, or a power cut meanwhile) */
	bool relinked;             /* a name changed meanwhile: the tree rebuilt around the copies */
	uint64_t relinked_files;   /* files moved into the rebuilt tree, not copied */
};

/*
 * Write into dest_fd (an empty directory outside the mount and the backing
 * tree, O_RDONLY|O_DIRECTORY) what ffs_dur_powercut would leave now,
 * without changing the backing tree or the volatile state: a
 * crash-consistent image. Owners, modes, times and xattrs are kept. The
 * caller holds the operations lock exclusively, as for a power cut.
 */
int ffs_dur_snapshot(struct ffs_dur *d, int dest_fd, struct ffs_snapshot_report *ret);

/*
 * The same in two steps, so that writers wait only for the second:
 * prepare copies the tree while requests go on (no lock needed) and
 * watches what changes meanwhile; finish, with the operations lock held
 * exclusively, copies again only what changed (after a name change, the
 * names are walked again too; after a power cut, everything is copied
 * again), then replays. finish or abort frees *ret.
 * -EBUSY: another snapshot is being prepared.
 */
struct ffs_snap;
int ffs_dur_snapshot_prepare(struct ffs_dur *d, int dest_fd, struct ffs_snap **ret);
int ffs_dur_snapshot_finish(struct ffs_snap *s, struct ffs_snapshot_report *ret);
void ffs_dur_snapshot_abort(struct ffs_snap *s);

/* fd's inode's owner, mode, times or xattrs just changed: for a snapshot copying. */
void ffs_dur_touch(struct ffs_dur *d, int fd);
/*
 * Bumped after every name change made through the model and at a power
 * cut: a path read from an fd while it held is still that fd's path.
 */
uint64_t ffs_dur_names_gen(struct ffs_dur *d);

/* --- bounds ----------------------------------------------------------------- */
/*
 * An application that never fsyncs its directories would make the name
 * journal and the parked entries in trash/ grow for as long as it runs.
 * With names_max records or trash_max bytes of parked entries (0:
 * unbounded), the oldest name records are made durable, oldest first, as a
 * filesystem's journal commit would; their parked entries are deleted.
 * notice (may be NULL) is called, under the journal lock, when that starts
 * and then at most every FFS_DUR_NOTICE_SEC while it goes on, with the
 * number of records made durable so far.
 */
#define FFS_DUR_NAMES_MAX_DEFAULT 8192
#define FFS_DUR_TRASH_MAX_DEFAULT (1ull << 30)
#define FFS_DUR_NOTICE_SEC 10

typedef void (*ffs_dur_notice_fn)(void *ctx, uint64_t forced, uint64_t names,
				  uint64_t trash_bytes);
void ffs_dur_set_bounds(struct ffs_dur *d, uint64_t names_max, uint64_t trash_max,
			ffs_dur_notice_fn notice, void *ctx);

/* --- status ----------------------------------------------------------------- */
struct ffs_dur_file_status {
	dev_t dev;
	ino_t ino;
	const char *path;          /* current backing path relative to the root, or NULL */
	uint64_t volatile_bytes;   /* bytes written and not durable */
	uint64_t volatile_writes;
	uint64_t lost_bytes;       /* acknowledged, never to be durable */
	int64_t durable_size;
	int64_t size;
};

struct ffs_dur_totals {
	uint64_t volatile_bytes, volatile_writes, lost_bytes, volatile_names, files;
	uint64_t undo_disk_bytes;  /* pre-image bytes kept (a file's newest 64 KiB may be in memory) */
	uint64_t memory_bytes;     /* in-memory records and pre-image buffers */
	uint64_t trash_bytes;      /* disk held by parked (unlinked, replaced) entries */
	uint64_t names_max, trash_max;  /* the bounds (0: none) */
	uint64_t names_forced;     /* name records made durable by the bounds */
};

typedef int (*ffs_dur_status_cb)(void *ctx, const struct ffs_dur_file_status *st);
int ffs_dur_status(struct ffs_dur *d, ffs_dur_status_cb cb, void *ctx, struct ffs_dur_totals *ret);

#endif /* FAULTFS_DURABILITY_H */
