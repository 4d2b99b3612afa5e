// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel durability timeline of `faultline rpo` (include/faultline/timeline.h):
 * every write-family call and durability barrier that a watched process
 * makes on a file under the data directory, with its entry and completion
 * times. The arguments are saved at sys_enter (per thread) and one record
 * is emitted at sys_exit, when the return value is known.
 *
 * "Under the data directory" is decided here, once per call: the fd is
 * resolved to its struct file through current->files, and the file's
 * dentry is walked up through d_parent (at most FL_TL_MAX_DEPTH steps)
 * looking for a root's (dev, ino). Path strings are never compared, so
 * relative paths, renamed directories and hard links inside the directory
 * all resolve as the kernel sees them.
 *
 * Watched processes are tgids in `targets`; children they fork are added,
 * and a process is forgotten when its last thread exits so that a recycled
 * pid cannot make a bystander watched. raw_tracepoint is used because it is
 * what the most restrictive kernels allow (DESIGN.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include <faultline/timeline.h>

char LICENSE[] SEC("license") = "GPL";

/* x86_64 syscall numbers (the program is built for the host's arch only). */
#define NR_write            1
#define NR_pwrite64         18
#define NR_writev           20
#define NR_msync            26
#define NR_fsync            74
#define NR_fdatasync        75
#define NR_rename           82
#define NR_unlink           87
#define NR_sync             162
#define NR_unlinkat         263
#define NR_renameat         264
#define NR_sync_file_range  277
#define NR_pwritev          296
#define NR_syncfs           306
#define NR_renameat2        316
#define NR_pwritev2         328
#define NR_io_uring_setup   425
#define NR_io_uring_enter   426
#define NR_io_uring_register 427

/* uapi values; vmlinux.h has no macros. */
#define AT_FDCWD            -100
#define O_DSYNC_            010000
#define O_DIRECT_           040000
#define O_SYNC_ONLY         04000000  /* __O_SYNC */
#define RWF_DSYNC_          0x2
#define RWF_SYNC_           0x4
#define SFR_WRITE           2
#define SFR_WAIT_AFTER      4
#define MS_SYNC_            4
#define PAGE_SHIFT_         12

#define RING_BYTES          (4 * 1024 * 1024)

/* io_uring opcodes (uapi) that write file data or make it durable. */
#define IORING_OP_WRITEV_            2
#define IORING_OP_FSYNC_             3
#define IORING_OP_WRITE_FIXED_       5
#define IORING_OP_SYNC_FILE_RANGE_   8
#define IORING_OP_WRITE_             23
#define IORING_FSYNC_DATASYNC_       1

const volatile struct fl_tl_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);
} targets SEC(".maps");

struct pending {
	struct fl_tl_raw r;
	__u64 file;           /* struct file *, to read f_pos after a write() */
};

/*
 * A thread is in at most one syscall: one slot per tid, marked consumed
 * (nr 0) at exit and reused; LRU, so exited threads' slots go away.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_BYTES);
} events SEC(".maps");

/* Records the ring could not take. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* An io_uring request of a watched process, from submission to completion. */
struct uring_req {
	__u64 enter_ns;
	__u32 pid, tid;
	__s32 fd;             /* the SQE's fd (an index for a registered file) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);   /* struct io_kiocb * */
	__type(value, struct uring_req);
} uring_reqs SEC(".maps");

static __always_inline int classify(long nr)
{
	switch (nr) {
	case NR_write: case NR_pwrite64: case NR_writev: case NR_pwritev: case NR_pwritev2:
		return FL_TL_WRITE;
	case NR_fsync: case NR_fdatasync: case NR_sync_file_range: case NR_msync:
	case NR_syncfs: case NR_sync:
		return FL_TL_BARRIER;
	case NR_io_uring_setup: case NR_io_uring_enter: case NR_io_uring_register:
		return FL_TL_IO_URING;
	case NR_rename: case NR_renameat: case NR_renameat2: case NR_unlink: case NR_unlinkat:
		return FL_TL_META;
	}
	return 0;
}

/* Bit r set: root r is on filesystem dev. */
static __always_inline __u32 roots_on(__u64 dev)
{
	__u32 mask = 0;

	for (__u32 r = 0; r < FL_TL_MAX_ROOTS; r++)
		if (r < cfg.n_roots && cfg.root_dev[r] == dev)
			mask |= 1u << r;
	return mask;
}

/* Is d a root, or below one of the roots in mask (same superblock)? */
static __always_inline bool under_roots(struct dentry *d, __u32 mask)
{
	for (int i = 0; i < FL_TL_MAX_DEPTH && d; i++) {
		__u64 ino = BPF_CORE_READ(d, d_inode, i_ino);
		struct dentry *parent;

		for (__u32 r = 0; r < FL_TL_MAX_ROOTS; r++)
			if ((mask & (1u << r)) && cfg.root_ino[r] == ino)
				return true;
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			break;
		d = parent;
	}
	return false;
}

static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (__u64)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* Fill the file identity and name of r from file; is it under a root? */
static __always_inline bool file_under(struct file *f, struct fl_tl_raw *r, bool fs_only)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	__u32 mask;

	if (!d)
		return false;
	r->dev = BPF_CORE_READ(d, d_sb, s_dev);
	mask = roots_on(r->dev);
	if (!mask)
		return false;
	r->ino = BPF_CORE_READ(d, d_inode, i_ino);
	r->file_flags = BPF_CORE_READ(f, f_flags);
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), BPF_CORE_READ(d, d_name.name));
	return fs_only || under_roots(d, mask);
}

struct vma_ctx {
	__u64 addr;
	struct file *file;
	__s64 offset;
};

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *c = data;
	__u64 start = BPF_CORE_READ(vma, vm_start);

	c->file = BPF_CORE_READ(vma, vm_file);
	c->offset = (__s64)((BPF_CORE_READ(vma, vm_pgoff) << PAGE_SHIFT_) + (c->addr - start));
	return 0;
}

static __always_inline bool write_enter(struct pt_regs *regs, long nr, struct pending *p)
{
	struct fl_tl_raw *r = &p->r;
	struct file *f;

	r->fd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
	f = fd_file(r->fd);
	if (!f || !file_under(f, r, false))
		return false;
	p->file = (__u64)f;
	r->offset = -1;
	switch (nr) {
	case NR_write:
	case NR_pwrite64:
		r->len = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	}
	if (nr == NR_pwrite64 || nr == NR_pwritev || nr == NR_pwritev2) {
		/* x86_64 passes pwritev's pos whole in pos_l. */
		r->offset = (__s64)PT_REGS_PARM4_CORE_SYSCALL(regs);
		if (r->offset >= 0)
			r->flags |= FL_TL_F_OFFSET;
	}
	if (nr == NR_pwritev2)
		r->arg_flags = (__u32)BPF_CORE_READ(regs, r9); /* PARM6: libbpf 1.1 has no macro */
	if (r->file_flags & O_SYNC_ONLY || r->arg_flags & RWF_SYNC_)
		r->scope = FL_TL_SCOPE_FILE;
	else if (r->file_flags & O_DSYNC_ || r->arg_flags & RWF_DSYNC_)
		r->scope = FL_TL_SCOPE_DATA;
	if (r->file_flags & O_DIRECT_)
		r->flags |= FL_TL_F_DIRECT;
	return true;
}

static __always_inline bool barrier_enter(struct pt_regs *regs, long nr, struct pending *p)
{
	struct fl_tl_raw *r = &p->r;
	struct vma_ctx vc = {};
	struct file *f;

	r->fd = -1;
	switch (nr) {
	case NR_sync:
		r->scope = FL_TL_SCOPE_ALL;
		return true;
	case NR_msync:
		vc.addr = PT_REGS_PARM1_CORE_SYSCALL(regs);
		r->len = PT_REGS_PARM2_CORE_SYSCALL(regs);
		r->arg_flags = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
		/* The file behind the first mapping of the range (not a whole multi-vma range). */
		if (bpf_find_vma(bpf_get_current_task_btf(), vc.addr, vma_file, &vc, 0) || !vc.file)
			return false;
		if (!file_under(vc.file, r, false))
			return false;
		r->offset = vc.offset;
		r->flags |= FL_TL_F_OFFSET;
		r->scope = r->arg_flags & MS_SYNC_ ? FL_TL_SCOPE_RANGE : FL_TL_SCOPE_NONE;
		return true;
	}
	r->fd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
	f = fd_file(r->fd);
	if (!f || !file_under(f, r, nr == NR_syncfs))
		return false;
	switch (nr) {
	case NR_fsync:
		r->scope = FL_TL_SCOPE_FILE;
		break;
	case NR_fdatasync:
		r->scope = FL_TL_SCOPE_DATA;
		break;
	case NR_syncfs:
		r->scope = FL_TL_SCOPE_FS;
		r->ino = 0;
		break;
	case NR_sync_file_range:
		r->offset = (__s64)PT_REGS_PARM2_CORE_SYSCALL(regs);
		r->len = PT_REGS_PARM3_CORE_SYSCALL(regs);
		r->arg_flags = (__u32)PT_REGS_PARM4_CORE_SYSCALL(regs);
		r->flags |= FL_TL_F_OFFSET;
		r->scope = (r->arg_flags & (SFR_WRITE | SFR_WAIT_AFTER)) ==
			   (SFR_WRITE | SFR_WAIT_AFTER) ? FL_TL_SCOPE_RANGE : FL_TL_SCOPE_NONE;
		break;
	}
	return true;
}

/* rename/unlink: the path the call names (the new name for a rename). */
static __always_inline bool meta_enter(struct pt_regs *regs, long nr, struct pending *p)
{
	struct fl_tl_raw *r = &p->r;
	const char *path;
	struct dentry *base;
	long dfd = AT_FDCWD;

	switch (nr) {
	case NR_rename:
		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_unlink:
		path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		break;
	case NR_unlinkat:
		dfd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		r->arg_flags = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	default: /* renameat, renameat2 */
		dfd = (int)PT_REGS_PARM3_CORE_SYSCALL(regs);
		path = (const char *)PT_REGS_PARM4_CORE_SYSCALL(regs);
		if (nr == NR_renameat2)
			r->arg_flags = (__u32)PT_REGS_PARM5_CORE_SYSCALL(regs);
		break;
	}
	if (bpf_probe_read_user_str(r->name, sizeof(r->name), path) <= 0)
		return false;
	r->fd = (__s32)dfd;
	if (dfd == AT_FDCWD) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		r->fd = -1;
		base = BPF_CORE_READ(task, fs, pwd.dentry);
	} else {
		struct file *f = fd_file(dfd);

		base = f ? BPF_CORE_READ(f, f_path.dentry) : NULL;
	}
	if (base) {
		__u64 dev = BPF_CORE_READ(base, d_sb, s_dev);
		__u32 mask = roots_on(dev);

		if (mask && under_roots(base, mask))
			r->flags |= FL_TL_F_UNDER;
	}
	/* An absolute path is judged in userspace against the data directory's path. */
	return r->name[0] == '/' || (r->flags & FL_TL_F_UNDER);
}

SEC("raw_tracepoint/sys_enter")
int fl_tl_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = (long)ctx->args[1];
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	/* On the stack, not in a per-CPU map: a preempted program would share that. */
	struct pending pd, *p = &pd, *slot;
	int kind = classify(nr);
	bool keep = false;

	/* Other syscalls cost a switch; those of processes not watched, a hash lookup. */
	if (!kind || !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	__builtin_memset(p, 0, sizeof(*p));
	p->r.kind = (__u16)kind;
	p->r.nr = (__u32)nr;
	p->r.pid = tgid;
	p->r.tid = tid;
	p->r.offset = -1;
	switch (kind) {
	case FL_TL_WRITE:
		keep = write_enter(regs, nr, p);
		break;
	case FL_TL_BARRIER:
		keep = barrier_enter(regs, nr, p);
		break;
	case FL_TL_META:
		keep = meta_enter(regs, nr, p);
		break;
	case FL_TL_IO_URING:
		/* Its SQEs are invisible here: only the calls themselves are recorded. */
		p->r.fd = nr == NR_io_uring_setup ? -1 : (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs);
		p->r.arg_flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
		if (nr == NR_io_uring_setup)
			p->r.arg_flags = (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs);
		keep = true;
		break;
	}
	/* The thread's slot is reused in place: an update or delete per call costs more. */
	slot = bpf_map_lookup_elem(&pending, &tid);
	if (!keep) {
		if (slot)
			slot->r.nr = 0;
		return 0;
	}
	p->r.enter_ns = bpf_ktime_get_ns();
	if (slot)
		__builtin_memcpy(slot, p, sizeof(*p));
	else
		bpf_map_update_elem(&pending, &tid, p, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int fl_tl_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct pending *p;
	__u64 *n, wake;

	if (!classify(nr))
		return 0;
	p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	/* 0: consumed, or the call was not one to record (0 is read(), never recorded). */
	if (p->r.nr != (__u32)nr)
		return 0;
	p->r.exit_ns = bpf_ktime_get_ns();
	p->r.ret = (__s64)ctx->args[1];
	/* write(), writev() and pwritev2(-1) land at f_pos, which has moved past them now. */
	if (p->r.kind == FL_TL_WRITE && !(p->r.flags & FL_TL_F_OFFSET) && p->r.ret > 0 &&
	    p->file) {
		struct file *f = (struct file *)p->file;
		__s64 pos = BPF_CORE_READ(f, f_pos);

		p->r.offset = pos - p->r.ret;
		p->r.flags |= FL_TL_F_OFFSET;
	}
	/*
	 * Waking the reader for every record costs the writer a context switch
	 * per call on a small machine: wake it once a quarter of the ring is
	 * used; it also reads on a timer (fl_timeline_poll consumes after its wait).
	 */
	wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > RING_BYTES / 4 ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, &p->r, sizeof(p->r), wake)) {
		n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			(*n)++;
	}
	p->r.nr = 0;
	return 0;
}

static __always_inline int uring_kind(__u8 op)
{
	switch (op) {
	case IORING_OP_WRITEV_: case IORING_OP_WRITE_FIXED_: case IORING_OP_WRITE_:
		return FL_TL_WRITE;
	case IORING_OP_FSYNC_: case IORING_OP_SYNC_FILE_RANGE_:
		return FL_TL_BARRIER;
	}
	return 0;
}

/*
 * io_uring requests run inside the kernel (inline in io_uring_enter, in
 * io-wq workers or in an SQPOLL thread) without write-family syscalls.
 * Their submission and completion tracepoints stand in for sys_enter and
 * sys_exit. The submitter (or its SQPOLL thread) is in the watched tgid.
 */
/* Attached by userspace: the tracepoint's name changed in 6.2 (timeline.c). */
SEC("raw_tracepoint/io_uring_submit_req")
int fl_tl_uring_submit(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = (struct io_kiocb *)ctx->args[0];
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)req;
	__u32 tgid = id >> 32;
	struct uring_req u = {};

	if (!bpf_map_lookup_elem(&targets, &tgid) || !uring_kind(BPF_CORE_READ(req, opcode)))
		return 0;
	u.enter_ns = bpf_ktime_get_ns();
	u.pid = tgid;
	u.tid = (__u32)id;
	/* io_init_req() parks the SQE's fd there until the file is assigned. */
	u.fd = BPF_CORE_READ(req, cqe.fd);
	bpf_map_update_elem(&uring_reqs, &key, &u, BPF_ANY);
	return 0;
}

/* Both the 6.1 and the 6.3+ prototypes pass the request second. */
SEC("raw_tracepoint/io_uring_complete")
int fl_tl_uring_complete(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = (struct io_kiocb *)ctx->args[1];
	__u64 key = (__u64)req;
	struct uring_req *u = bpf_map_lookup_elem(&uring_reqs, &key);
	struct io_sync *sync;
	struct fl_tl_raw r;
	struct file *f;
	__u64 *n;
	__u32 zero = 0;
	__u8 op;

	if (!u)
		return 0;
	__builtin_memset(&r, 0, sizeof(r));
	op = BPF_CORE_READ(req, opcode);
	r.kind = (__u16)uring_kind(op);
	r.nr = FL_TL_NR_URING + op;
	r.pid = u->pid;
	r.tid = u->tid;
	r.fd = u->fd;
	r.enter_ns = u->enter_ns;
	bpf_map_delete_elem(&uring_reqs, &key);
	r.exit_ns = bpf_ktime_get_ns();
	r.ret = BPF_CORE_READ(req, cqe.res);
	r.offset = -1;
	r.flags = FL_TL_F_IO_URING;
	/* Assigned at issue, still held when the completion is posted. */
	f = BPF_CORE_READ(req, file);
	if (!r.kind || !f || !file_under(f, &r, false))
		return 0;
	sync = (struct io_sync *)((char *)req + bpf_core_field_offset(struct io_kiocb, cmd));
	switch (op) {
	case IORING_OP_FSYNC_:
		r.arg_flags = (__u32)BPF_CORE_READ(sync, flags);
		r.scope = r.arg_flags & IORING_FSYNC_DATASYNC_ ? FL_TL_SCOPE_DATA :
			  FL_TL_SCOPE_FILE;
		break;
	case IORING_OP_SYNC_FILE_RANGE_:
		r.arg_flags = (__u32)BPF_CORE_READ(sync, flags);
		r.offset = BPF_CORE_READ(sync, off);
		r.len = (__u64)BPF_CORE_READ(sync, len);
		r.flags |= FL_TL_F_OFFSET;
		r.scope = (r.arg_flags & (SFR_WRITE | SFR_WAIT_AFTER)) ==
			  (SFR_WRITE | SFR_WAIT_AFTER) ? FL_TL_SCOPE_RANGE : FL_TL_SCOPE_NONE;
		break;
	default:
		/* RWF_*SYNC of the SQE is not read: only the file's own O_SYNC/O_DSYNC. */
		if (r.file_flags & O_SYNC_ONLY)
			r.scope = FL_TL_SCOPE_FILE;
		else if (r.file_flags & O_DSYNC_)
			r.scope = FL_TL_SCOPE_DATA;
		break;
	}
	if (bpf_ringbuf_output(&events, &r, sizeof(r), 0)) {
		n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			(*n)++;
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int fl_tl_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int fl_tl_proc_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);

	/* do_exit() drops signal->live before this tracepoint; 0 = last thread. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
