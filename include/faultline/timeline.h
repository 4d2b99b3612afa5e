/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel durability timeline of `faultline rpo`: what a service really
 * asked the kernel to write and to make durable under its data directory,
 * and when each call completed. bpf/rpo_timeline.bpf.c watches the
 * service's processes (and the children they fork) at raw sys_enter and
 * sys_exit and emits one record per completed call:
 *
 *   write    write, pwrite64, writev, pwritev, pwritev2 on a file under a root
 *   barrier  fsync, fdatasync, sync_file_range, msync (on a mapping of such a
 *            file), syncfs (on the root's filesystem), sync
 *   meta     rename, renameat, renameat2, unlink, unlinkat (path-named: see
 *            fl_tl_meta_under())
 *   io_uring io_uring_setup, io_uring_enter, io_uring_register (any file)
 *
 * io_uring requests run inside the kernel without write-family syscalls.
 * Where the kernel has the io_uring tracepoints (5.19+ prototypes; 6.1 and 6.18 are
 * tested), requests of watched processes that write a file under a root
 * (IORING_OP_WRITE, WRITEV, WRITE_FIXED) or sync it (FSYNC, SYNC_FILE_RANGE)
 * are recorded too, flagged FL_TL_F_IO_URING, from submission (enter_ns) to
 * the posting of their completion (exit_ns), with the file resolved at
 * completion (registered files included). Not seen: the offset of an
 * io_uring write (so only whole-file barriers cover it), RWF_*SYNC flags in
 * an SQE, other opcodes that move data into files (splice, ...), and
 * requests submitted before the process was added.
 *
 * Never seen: stores into a shared mapping (only the msync is), 32-bit
 * compat syscalls, and calls made before a process was added.
 *
 * The first half of this header is the ABI shared with the BPF program
 * (fixed-width types only, so it compiles against vmlinux.h); the second
 * half is the userspace API.
 */
#ifndef FAULTLINE_TIMELINE_H
#define FAULTLINE_TIMELINE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FL_TL_NAME_LEN  128 /* the file's own name; meta: the path as given */
#define FL_TL_MAX_ROOTS 4   /* data directory identities (a mount and its backing dir, ...) */
#define FL_TL_MAX_DEPTH 32  /* d_parent steps from a file up to a root */

enum fl_tl_kind {
	FL_TL_WRITE    = 1,
	FL_TL_BARRIER  = 2,
	FL_TL_IO_URING = 3,
	FL_TL_META     = 4,
};

/*
 * What a barrier makes durable, and what a write is by itself. Exact
 * semantics (fs/sync.c, mm/msync.c):
 *   FILE   fsync: the file's data and metadata, then a cache flush.
 *   DATA   fdatasync; and a write on an O_SYNC/O_DSYNC file or with
 *          RWF_SYNC/RWF_DSYNC, which is durable when it returns.
 *   RANGE  sync_file_range with both SYNC_FILE_RANGE_WRITE and _WAIT_AFTER
 *          (WB_SYNC_ALL since 5.2, so _WAIT_BEFORE adds nothing): the data
 *          pages of [offset, offset+len) (len 0: to the end) are on the
 *          device, but no metadata (an append's new size) and no cache flush
 *          is written. msync(MS_SYNC): vfs_fsync_range() of the mapped range,
 *          like fdatasync limited to that range.
 *   FS     syncfs: every file of the filesystem (dev).
 *   ALL    sync: every filesystem.
 *   NONE   recorded but makes nothing durable: sync_file_range without
 *          WRITE|WAIT_AFTER, msync without MS_SYNC (MS_ASYNC is a no-op
 *          since 2.6.19), an ordinary write (it only dirties the page cache).
 */
enum fl_tl_scope {
	FL_TL_SCOPE_NONE  = 0,
	FL_TL_SCOPE_FILE  = 1,
	FL_TL_SCOPE_DATA  = 2,
	FL_TL_SCOPE_RANGE = 3,
	FL_TL_SCOPE_FS    = 4,
	FL_TL_SCOPE_ALL   = 5,
};

/* Event flags. */
#define FL_TL_F_UNDER    0x1  /* meta: the dirfd/cwd the path starts from is under a root */
#define FL_TL_F_OFFSET   0x2  /* offset is known */
#define FL_TL_F_DIRECT   0x4  /* write on an O_DIRECT file: no page cache, but no flush either */
#define FL_TL_F_IO_URING 0x8  /* an io_uring request: enter = submission, exit = completion */

/* nr of an io_uring request: this plus its IORING_OP_* opcode. */
#define FL_TL_NR_URING   1000

/* Data directory identities, written by userspace into the program's rodata. */
struct fl_tl_config {
	__u64 root_dev[FL_TL_MAX_ROOTS]; /* kernel dev_t (MAJOR << 20 | MINOR) */
	__u64 root_ino[FL_TL_MAX_ROOTS];
	__u32 n_roots;
	__u32 pad;
};

/* One completed call, as the BPF program reports it through its ring buffer. */
struct fl_tl_raw {
	__u64 enter_ns, exit_ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__s64 ret;                /* the syscall's return (-errno on failure) */
	__u64 dev, ino;           /* the file (or for syncfs the filesystem); kernel dev_t */
	__s64 offset;             /* write: where it landed; RANGE barrier: start */
	__u64 len;                /* write: bytes asked; RANGE barrier: length (0 = to end) */
	__u32 pid, tid;
	__s32 fd;                 /* -1: none (sync, msync, rename with AT_FDCWD) */
	__u32 nr;                 /* x86_64 syscall number */
	__u32 arg_flags;          /* flags of sync_file_range/msync/pwritev2/renameat2/unlinkat;
				     io_uring_enter: to_submit; io_uring_setup: entries */
	__u32 file_flags;         /* the open file's f_flags */
	__u16 kind, scope;        /* enum fl_tl_kind, enum fl_tl_scope */
	__u32 flags;              /* FL_TL_F_* */
	char name[FL_TL_NAME_LEN]; /* file name; meta: the user's path (truncated) */
};

#ifndef __VMLINUX_H__
/* ---- userspace ---------------------------------------------------------- */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fl_tl_event {
	enum fl_tl_kind kind;
	enum fl_tl_scope scope;
	uint32_t nr;              /* syscall number */
	const char *syscall;      /* its name (static string) */
	pid_t pid, tid;
	int fd;                   /* or -1 */
	uint64_t dev, ino;        /* st_dev encoding (makedev); 0 when not a file */
	char path[256];           /* relative to the data directory when found, else the name */
	int64_t ret;
	uint64_t bytes;           /* writes: bytes written (ret when > 0) */
	uint64_t enter_ns, exit_ns; /* CLOCK_MONOTONIC */
	int64_t offset;           /* -1 when unknown */
	uint64_t len;
	uint32_t arg_flags, file_flags, flags;
};

struct fl_timeline;

/*
 * Watch calls on files under data_dir (stat()ed now: open the timeline
 * after mounting anything over it). Needs root and BPF; nothing is watched
 * until a pid is added. Returns -errno (-EPERM, -ENOENT, ...).
 */
int fl_timeline_open(const char *data_dir, struct fl_timeline **ret);
/*
 * The same with more identities of the data directory (at most
 * FL_TL_MAX_ROOTS): dirs[0] is the data directory that paths are made
 * relative to; others could be faultfs's backing directory, or a
 * filesystem mounted inside the data directory (a walk up d_parent stops
 * at its root).
 */
int fl_timeline_open_dirs(const char *const *dirs, size_t n, struct fl_timeline **ret);
/* Watch process pid (a tgid) and every process it forks from now on; any time. */
int fl_timeline_add_pid(struct fl_timeline *tl, pid_t pid);
/*
 * An fd to poll for POLLIN; then fl_timeline_consume(). The kernel side
 * signals it only when a quarter of the ring is used (a wakeup per call
 * would cost the service a context switch each): poll with a timeout and
 * consume after it too, as fl_timeline_poll() does.
 */
int fl_timeline_fd(const struct fl_timeline *tl);
/* Wait up to timeout_ms and take what arrived: number of events taken, or -errno. */
int fl_timeline_poll(struct fl_timeline *tl, int timeout_ms);
int fl_timeline_consume(struct fl_timeline *tl);
/*
 * Or let a thread of the timeline take them (every 20 ms) until stop: the
 * ring holds ~18,000 records, so a busy service needs a reader that never
 * sleeps long. While it runs, poll/consume return -EBUSY and the event
 * list must not be read.
 */
int fl_timeline_start_thread(struct fl_timeline *tl);
/* Detach the programs and take the last events; the list stays readable. */
int fl_timeline_stop(struct fl_timeline *tl);
void fl_timeline_free(struct fl_timeline *tl);

/* Events in the order the calls completed (per CPU; sort by exit_ns to be exact). */
const struct fl_tl_event *fl_timeline_events(const struct fl_timeline *tl, size_t *ret_n);
/* Records the kernel could not queue (ring full) or the list could not hold. */
uint64_t fl_timeline_lost(const struct fl_timeline *tl);
/* io_uring_setup/enter/register was seen: the service uses io_uring. */
bool fl_timeline_io_uring(const struct fl_timeline *tl);
/* io_uring requests are traced on this kernel (else only the io_uring syscalls are). */
bool fl_timeline_io_uring_ops(const struct fl_timeline *tl);

/* ---- analysis (timeline_analysis.c): pure functions over event arrays ---- */

/* Does barrier b make write w durable (b succeeded, began after w returned, reaches w)? */
bool fl_tl_covers(const struct fl_tl_event *b, const struct fl_tl_event *w);
/* A successful barrier (or O_SYNC-like write) that is durable at its exit. */
bool fl_tl_is_barrier(const struct fl_tl_event *e);

/*
 * The last barrier completed at or before t that reaches file (dev, ino)
 * as a whole (FILE/DATA on it, FS on its dev, ALL; RANGE ones only when
 * any_range); dev == 0 && ino == 0: any barrier. Its index, or -ENOENT.
 */
int fl_tl_last_barrier(const struct fl_tl_event *ev, size_t n, uint64_t t,
		       uint64_t dev, uint64_t ino, bool any_range, size_t *ret_idx);

struct fl_tl_exposure {
	bool barrier_seen;        /* some barrier completed at or before t */
	uint64_t last_barrier_ns; /* its exit_ns */
	uint64_t window_ns;       /* t - last_barrier_ns; 0 when !barrier_seen */
	size_t barrier_idx;
	size_t writes_since;      /* writes completed after it, up to t */
	uint64_t bytes_since;
	size_t in_flight;         /* calls entered at or before t that had not returned */
};
/* The exposure window at t: t - the last barrier completed before t. */
void fl_tl_exposure(const struct fl_tl_event *ev, size_t n, uint64_t t,
		    struct fl_tl_exposure *ret);

/* A write known to the caller: when it returned, on which file and where. */
struct fl_tl_write_ref {
	uint64_t end_ns;
	uint64_t dev, ino;        /* 0, 0: any file under the data directory */
	int64_t offset;           /* -1: unknown (a RANGE barrier then does not count) */
	uint64_t len;
	/* out */
	uint64_t covered_ns;      /* exit of the first barrier that covered it, 0: none by t */
	size_t barrier_idx;
};
/*
 * For each ref: the first barrier after it that covered it, completed at or
 * before t. Returns how many were not covered by t.
 */
size_t fl_tl_cover_refs(const struct fl_tl_event *ev, size_t n, uint64_t t,
			struct fl_tl_write_ref *refs, size_t n_refs);
/*
 * The same for the recorded writes (kind WRITE, ret > 0, exit_ns <= t):
 * ret_idx (may be NULL, n entries) gets the indices of those no barrier
 * had covered by t; returns their count, ret_bytes their bytes.
 */
size_t fl_tl_uncovered_writes(const struct fl_tl_event *ev, size_t n, uint64_t t,
			      size_t *ret_idx, uint64_t *ret_bytes);
/*
 * An operation invoked at start_ns and acknowledged at end_ns: the last
 * recorded write (of pid, or any when pid is 0) that returned within
 * [start_ns, end_ns], as the write that carried it. -ENOENT: none seen.
 * With concurrent writers this is a guess: prefer refs from the service.
 */
int fl_tl_op_write(const struct fl_tl_event *ev, size_t n, pid_t pid,
		   uint64_t start_ns, uint64_t end_ns, size_t *ret_idx);

/*
 * Acknowledged operations against the barriers: was each one's data
 * durable when it was acknowledged? An operation's data is in one of its
 * candidate writes: the recorded writes that returned within its
 * [start_ns, end_ns] (it cannot be written before it was invoked). Which
 * one is not known from outside the service: the writing thread is the
 * server's (a writer thread per connection, redis's event loop, a
 * PostgreSQL backend or its WAL writer, which flushes for others), so a
 * thread id does not name the client. What is exact:
 *   uncovered  every candidate was still unprotected at the ack (no
 *              barrier covering it had completed): certainly acknowledged
 *              before durable. A lower bound: data written only after the
 *              ack (a lazy WAL writer) has no candidate of its own.
 *   ambiguous  some candidates were protected, some not: concurrent
 *              writers overlap the window and it cannot be told which
 *              carried it. uncovered + ambiguous is the upper bound.
 * With one writer and one write per operation both are exact and
 * ambiguous is 0. Operations with no candidate are not judged.
 */
struct fl_tl_ack {
	uint64_t start_ns, end_ns;
};
struct fl_tl_ack_cover {
	size_t judged;            /* acks with at least one candidate write */
	size_t uncovered;         /* certain */
	size_t ambiguous;         /* could not be attributed */
};
int fl_tl_acks_uncovered(const struct fl_tl_event *ev, size_t n, const struct fl_tl_ack *acks,
			 size_t n_acks, struct fl_tl_ack_cover *ret);

/* Counts over [0, t], for a result summary. */
struct fl_tl_summary {
	size_t writes, barriers, meta, io_uring_calls;
	size_t io_uring_ops;      /* writes and barriers that were io_uring requests */
	uint64_t bytes;
	size_t uncovered_writes;  /* returned by t, no barrier had covered them by t */
	uint64_t uncovered_bytes;
	size_t failed_barriers;   /* fsync & co. that returned an error */
	struct fl_tl_exposure exposure;
};
void fl_tl_summarize(const struct fl_tl_event *ev, size_t n, uint64_t t,
		     struct fl_tl_summary *ret);
/*
 * One line on what io_uring hides, for a note in the result; "" if it was
 * not used. ops_traced: fl_timeline_io_uring_ops().
 */
void fl_tl_io_uring_note(const struct fl_tl_summary *s, bool ops_traced, char *buf, size_t len);

/*
 * A meta event (rename/unlink): is its path under the data directory?
 * An absolute path is compared with the data directory's real path;
 * a relative one is under when it starts from a dirfd/cwd under a root
 * (FL_TL_F_UNDER) and has no ".." component.
 */
bool fl_tl_meta_under(const struct fl_tl_event *e, const char *data_dir_real);

#endif /* !__VMLINUX_H__ */
#endif /* FAULTLINE_TIMELINE_H */
