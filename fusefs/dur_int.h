/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the durability engine, shared by dur_*.c. The design and
 * its limits are described at the top of dur_engine.c.
 */
#ifndef FAULTFS_DUR_INT_H
#define FAULTFS_DUR_INT_H

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "durability.h"

enum dur_kind {
	DUR_WRITE = 0,
	DUR_TRUNC,
	DUR_FALLOC,
};

enum {
	DUR_LOST = 1 << 0,  /* never to become durable: survives fsync */
	DUR_MARK = 1 << 1,  /* durable, newer than a lost record: protects its bytes */
};

/*
 * One data operation not yet durable. Its pre-image covers
 * [off, off + pre_len) and lives at undo_off in the file's undo file;
 * bytes [off + pre_len, off + len) lay beyond the old end of file (zeros).
 */
struct dur_rec {
	uint64_t seq;
	int64_t off;
	int64_t len;
	int64_t undo_off;
	int64_t pre_len;
	int64_t size_before;
	int64_t size_after;
	uint8_t kind;
	uint8_t flags;
};

struct dur_file {
	struct dur_file *next;    /* hash chain, under d->table_lock */
	dev_t dev;
	ino_t ino;
	unsigned int ref;         /* callers inside, under d->table_lock */
	pthread_mutex_t lock;     /* everything below */
	int fd;                   /* our own O_RDWR (or O_RDONLY) fd of the backing inode */
	int undo_fd;              /* -1 until the first pre-image written out */
	int64_t undo_size;        /* the undo data's length, in the file and in undo_mem */
	/*
	 * The newest undo data, [undo_flushed, undo_size), kept in memory
	 * (DUR_UNDO_MEM bytes, or NULL) until it would overflow: a pre-image
	 * that the next fsync makes useless is then never written out.
	 */
	char *undo_mem;
	int64_t undo_flushed;
	int64_t durable_size;
	/*
	 * 1: the file had no hole when we looked (SEEK_HOLE at 0 was its end),
	 * -1: it may have some, 0: not looked yet. Only spares the SEEK_DATA
	 * of each overwrite: a hole taken for data just costs a copy of zeros.
	 */
	int8_t dense;
	/*
	 * Under d->table_lock: the inode lost its last name while held
	 * (dur_file_gone): the last put frees the struct.
	 */
	bool gone;
	struct dur_rec *recs;     /* seq order */
	size_t n, cap;
};

enum dur_name_kind {
	DUR_N_CREATE = 0,   /* name1 in dir1 was created: undo removes it */
	DUR_N_UNLINK,       /* name1 in dir1 was parked as trash: undo brings it back */
	DUR_N_RENAME,       /* name1 in dir1 -> name2 in dir2; a replaced name2 is parked as trash */
	DUR_N_EXCHANGE,     /* name1 in dir1 <-> name2 in dir2 */
};

struct dur_dir {
	struct dur_dir *next;
	dev_t dev;
	ino_t ino;
	int fd;                   /* O_PATH */
	unsigned int ref;
};

struct dur_name {
	uint64_t seq;
	uint8_t kind;
	bool is_dir;              /* the entry (created, parked) is a directory */
	bool durable1, durable2;  /* dir1 / dir2 fsynced since */
	struct dur_dir *dir1, *dir2;
	char *name1, *name2;
	char *trash;              /* parked entry in trash/, or NULL */
	bool trash_is_dir;
	dev_t tdev;               /* the parked entry's inode (counted in d->parked) */
	ino_t tino;
	dev_t edev;               /* the entry that was created */
	ino_t eino;
	uint64_t tbytes;          /* disk the parked entry holds (counted in d->trash_bytes) */
	bool fresh;               /* CREATE of a new regular file (O_EXCL), identity from its fd */
	uint64_t gen;             /* fresh: d->names_gen when recorded */
};

/* How many names of one inode are parked in trash/ (its st_nlink counts them). */
struct dur_parked {
	struct dur_parked *next;
	dev_t dev;
	ino_t ino;
	uint32_t count;
};

#define DUR_BUCKETS 1024

/* What changed of one inode while a snapshot copied (dur_watch.c). */
#define DUR_WATCH_RANGES 16
struct dur_watched {
	struct dur_watched *next;
	dev_t dev;
	ino_t ino;
	bool whole;               /* its size changed, data moved, or it is new: copy it all */
	bool attrs;               /* owner, mode or times changed */
	size_t n;
	int64_t r[DUR_WATCH_RANGES][2]; /* bytes written, [start, end) */
};

struct dur_watch {
	pthread_mutex_t lock;     /* the table; the flags are atomic */
	bool on;                  /* a snapshot is copying */
	bool names;               /* a name changed meanwhile */
	bool all;                 /* a power cut, or no memory to remember */
	struct dur_watched *bucket[DUR_BUCKETS];
};
#define DUR_IDLE_MAX 256          /* empty file structs kept open for reuse */
#define DUR_UNDO_MEM (64 * 1024)  /* a file's undo data kept in memory */
#define DUR_UNDO_MEM_MAX (16u << 20) /* all files' (then pre-images go to disk at once) */

struct ffs_dur {
	enum ffs_dur_mode mode;
	int root_fd;              /* O_PATH of the backing root */
	int state_fd;             /* BACKING/.faultfs */
	int undo_dir;             /* BACKING/.faultfs/undo */
	int trash_dir;            /* BACKING/.faultfs/trash */
	char root_path[4096];     /* realpath of the backing root, for status */
	uint64_t seq;             /* atomic */
	int noappend;             /* atomic: 1 pwritev2(RWF_NOAPPEND) works, -1 refused, 0 unknown */
	uint64_t undo_mem;        /* atomic: bytes of the files' undo_mem buffers */

	pthread_mutex_t table_lock;
	struct dur_file *bucket[DUR_BUCKETS];
	size_t nfiles, nidle;

	pthread_mutex_t names_lock; /* the name journal and dirs */
	struct dur_name *names;
	size_t nnames, names_cap;
	struct dur_dir *dirs[DUR_BUCKETS];
	struct dur_dir *idle_dir;   /* the last one let go, kept (ref 0) for the next record */

	/*
	 * Parked names per inode, for ffs_dur_adjust_stat. Own lock: attribute
	 * replies must not wait behind a name operation. nparked (atomic) lets
	 * them skip the lock when nothing is parked.
	 */
	pthread_mutex_t parked_lock;
	struct dur_parked *parked[DUR_BUCKETS];
	uint64_t nparked;

	/*
	 * Bounds of the name journal (under names_lock): beyond them the
	 * oldest records are made durable, as a journal commit would.
	 */
	uint64_t names_max, trash_max;  /* 0: unbounded */
	uint64_t trash_bytes;           /* disk held by parked entries */
	uint64_t names_forced;          /* records made durable by the bounds */
	uint64_t notice_ns;             /* when the last notice went out */
	ffs_dur_notice_fn notice;
	void *notice_ctx;

	struct dur_watch watch;   /* changes during a snapshot's copy */
	uint64_t names_gen;       /* atomic: bumped after every name change (dur_watch.c) */
};

static inline uint64_t dur_next_seq(struct ffs_dur *d)
{
	return __atomic_add_fetch(&d->seq, 1, __ATOMIC_RELAXED);
}

/* Bucket of an inode in the directory and parked tables (d->dirs, d->parked). */
static inline size_t dur_name_bucket(dev_t dev, ino_t ino)
{
	return (size_t)(((uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ dev) >> 22) % DUR_BUCKETS;
}

/*
 * The layers, bottom first: a file calls only the ones listed before it
 * (see the top of dur_engine.c).
 */

/* dur_watch.c: changes made while a snapshot copies (below every mutating layer). */
/* len > 0: bytes written; len < 0: all of it (size change, punch, a new inode); 0: attributes. */
void dur_watch_data(struct ffs_dur *d, dev_t dev, ino_t ino, int64_t off, int64_t len);
void dur_watch_names(struct ffs_dur *d);
void dur_watch_names_added(struct ffs_dur *d);

/* dur_dirlock.c: the journal's per-directory stripes (taken before names_lock). */
void dur_dirlock_id(dev_t dev, ino_t ino, size_t *ret);
int dur_dirlock(int dirfd, size_t *ret);
int dur_dirlock_two(int dirfd1, int dirfd2, size_t *ret1, size_t *ret2);
void dur_dirunlock(size_t i);
void dur_dirunlock_two(size_t a, size_t b);
void dur_watch_all(struct ffs_dur *d);
/* -EBUSY when another snapshot is copying. */
int dur_watch_start(struct ffs_dur *d);
/* Stop and forget (the caller holds every mutation off, or does not care). */
void dur_watch_stop(struct ffs_dur *d);

/* dur_tree.c: plain filesystem helpers, no engine state. */
/* Copy len bytes of in at off to out at dst, in the kernel when it can. */
int dur_copy_range(int in, int64_t off, int out, int64_t dst, int64_t len);
/* Remove name in dirfd, recursively for a directory. */
int dur_rm_tree(int dirfd, const char *name);
/* opendir of dirfd/name (no symlinks); 0 or -errno. */
int dur_opendir(int dirfd, const char *name, DIR **ret);
/* Empty a directory given by fd (entries only). */
int dur_empty_dir(int dirfd);

/* dur_file.c: the file table and its records. */
/*
 * Find (or with create, start tracking) the inode of fd, taking one
 * reference; st: its fstat. -ENOENT: not tracked and !create.
 */
int dur_file_get(struct ffs_dur *d, int fd, const struct stat *st, bool create,
		 struct dur_file **ret);
/* Let go of f; linked: the caller saw the inode named under f->lock. */
void dur_file_put(struct ffs_dur *d, struct dur_file *f, bool linked);
/* Close and forget a file struct (no reference left, records dropped). */
void dur_file_free(struct ffs_dur *d, struct dur_file *f);
/*
 * f's undo data (f locked): where len more bytes go in memory, at
 * undo_size (the caller fills them, then adds len), or NULL: write them
 * to the undo file at undo_size after dur_undo_flush().
 */
char *dur_undo_reserve(struct ffs_dur *d, struct dur_file *f, int64_t len);
/* Write the undo data held in memory out: the undo file (opened if need be) holds it all. */
int dur_undo_flush(struct ffs_dur *d, struct dur_file *f);
/* Copy len bytes of f's undo data at off to fd at dst, from the file or memory. */
int dur_undo_copy(struct dur_file *f, int64_t off, int fd, int64_t dst, int64_t len);
/* Forget the undo data after off (0: all of it). */
void dur_undo_truncate(struct dur_file *f, int64_t off);
int dur_rec_push(struct dur_file *f, const struct dur_rec *r);
/* Drop all of f's records and its undo file (f locked): its inode is gone for good. */
void dur_file_discard(struct ffs_dur *d, struct dur_file *f);
/* (dev, ino) lost a name for good: if no link is left, forget it at once. */
void dur_file_gone(struct ffs_dur *d, dev_t dev, ino_t ino);
/* Make f's volatile records durable (f locked); lost records stay. st: f's, or NULL. */
void dur_file_settle(struct ffs_dur *d, struct dur_file *f, const struct stat *st);
/* Every file's volatile records become durable (syncfs). */
void dur_files_settle_all(struct ffs_dur *d);
/* Close and forget every file struct (shutdown). */
void dur_files_free_all(struct ffs_dur *d);

/* dur_parked.c: parked names per inode, for ffs_dur_adjust_stat. */
/* One more (delta 1) or one less (-1) name of (dev, ino) parked in trash/. */
void dur_parked_add(struct ffs_dur *d, dev_t dev, ino_t ino, int delta);
void dur_parked_clear(struct ffs_dur *d);

/* dur_data.c: the ffs_dur_* data calls of durability.h; nothing internal. */

/* dur_names.c: the name journal. */
/*
 * openat(dirfd, name, flags, mode) for ffs_dur_create (flags carry no
 * O_TRUNC: that is the engine's tracked truncate). In strict mode with
 * O_CREAT, a create this call made is journalled; ret_created says so.
 */
int dur_names_open(struct ffs_dur *d, int dirfd, const char *name, int flags, mode_t mode,
		   int *ret_fd, bool *ret_created);
void dur_names_settle_all(struct ffs_dur *d);
void dur_names_free_all(struct ffs_dur *d);
size_t dur_names_memory(struct ffs_dur *d, uint64_t *ret_count);
/* Power cut: undo every volatile name operation, newest first; returns how many. */
uint64_t dur_names_undo(struct ffs_dur *d, const struct ffs_inval_ops *inval);
/*
 * Where a name replay acts: the backing tree (a power cut) or a copy of it
 * (a snapshot). dir_fd gives the target's directory for a journalled
 * backing directory (-1: the target has none, the record is skipped);
 * is_entry says whether dirfd/name in the target is the backing entry
 * (dev, ino), with its lstat in *st.
 */
struct dur_name_target {
	int (*dir_fd)(void *ctx, const struct dur_dir *dir);
	bool (*is_entry)(void *ctx, int dirfd, const char *name, dev_t dev, ino_t ino,
			 struct stat *st);
	int trash_fd;             /* holds the parked entries (by their trash names) */
	void *ctx;
};
/*
 * Undo every volatile name operation in t's tree, newest first, leaving
 * the journal as it is (a snapshot). Returns how many were undone.
 */
uint64_t dur_names_replay(struct ffs_dur *d, const struct dur_name_target *t);

/* dur_powercut.c: the replay of one file's records. */
/*
 * Undo f's volatile and lost records (f locked) on fd: the backing file
 * itself (a power cut) or a copy of its current content (a snapshot); the
 * undo file is only read. *ret_touched: something was undone.
 */
int dur_file_replay(struct dur_file *f, int fd, const struct ffs_powercut_opts *o,
		    struct ffs_powercut_report *rep, bool *ret_touched);

#endif /* FAULTFS_DUR_INT_H */
