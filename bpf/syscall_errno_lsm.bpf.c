// SPDX-License-Identifier: GPL-2.0-only
/*
 * error= on running processes through LSM hooks: each hook is here twice,
 * as a BPF LSM program (lsm/NAME, needs `bpf` in the kernel's lsm= list)
 * and as fmod_ret on the security_NAME function (needs fmod_ret, not the
 * LSM list); the loader keeps only those the session's rules need.
 *
 * An LSM hook does not know which syscall called it, but the rules name
 * syscalls: the program reads the syscall number from the calling task's
 * saved registers, so `read:error=EIO` fails read(2) and not the reads
 * execve(2) makes, and a call that passes two hooks (open(O_TRUNC)) is
 * counted once. Kernel threads, io_uring workers and 32-bit (compat)
 * callers are never matched: their registers hold no native syscall number.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_rules.bpf.h"
#include "syscall_errno_hooks.h"

char LICENSE[] SEC("license") = "GPL";

/* vmlinux.h has no #defines. */
#define EPERM        1
#define EOPNOTSUPP   95
#define MAX_ERRNO    4095
#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD   0x00200000
#define TS_COMPAT    0x0002

const volatile struct fl_sc_lsm_config lsm_cfg = {};
const volatile struct fl_sc_lsm_config fmod_cfg = {};

/* The syscall the current task is in, or -1 if it has no native one. */
static __always_inline long current_syscall(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (task->flags & (PF_KTHREAD | PF_IO_WORKER))
		return -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
#if defined(__TARGET_ARCH_x86)
	if (bpf_core_field_exists(task->thread_info.status) &&
	    (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT))
		return -1;
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	/* Best effort: compat (AArch32) tasks are not told apart here. */
	return BPF_CORE_READ(regs, syscallno);
#else
	return -1;
#endif
}

/*
 * The previous program's verdict, stored after the nargs arguments. The
 * verifier wants a constant offset from an unmodified ctx register, and
 * clang would fold the branches below into one ctx + nargs * 8 load: the
 * asm keeps one fixed-offset load per branch. nargs is rodata, so the
 * verifier walks one branch only.
 */
#define CTX_LOAD(ctx, off) ({						\
	__u64 __v;							\
	asm volatile("%0 = *(u64 *)(%1 + " #off ")" : "=r"(__v) : "r"(ctx));	\
	(int)__v;							\
})

static __always_inline int prev_ret(const __u64 *ctx, __u8 nargs)
{
	switch (nargs) {
	case 1: return CTX_LOAD(ctx, 8);
	case 2: return CTX_LOAD(ctx, 16);
	case 3: return CTX_LOAD(ctx, 24);
	case 4: return CTX_LOAD(ctx, 32);
	case 5: return CTX_LOAD(ctx, 40);
	case 6: return CTX_LOAD(ctx, 48);
	default: return 0;
	}
}

/* A hook must return 0 or -errno; anything else becomes -EPERM. */
static __always_inline int as_errno(__s64 v)
{
	if (v < -MAX_ERRNO || v >= 0)
		return -EPERM;
	return (int)v;
}

static __always_inline int run(const __u64 *ctx, int hook, const volatile struct fl_sc_lsm_config *c)
{
	struct fl_sc_verdict v;
	int prev, err;
	long nr;

	/* Someone before us refused already: theirs is the answer. */
	prev = prev_ret(ctx, c->nargs[hook]);
	if (prev)
		return prev;
	nr = current_syscall();
	if (!fl_sc_mask_has((const __u64 *)c->nrs[hook], nr) || !fl_sc_is_target())
		return 0;
	if (!fl_sc_decide(FL_SC_HOOK_LSM, nr, &v))
		return 0;
	if (v.rule->action != FL_ACTION_ERROR) {
		fl_sc_failed(v.id, v.rule, nr, v.nth, -EOPNOTSUPP);
		return 0;
	}
	err = as_errno(v.rule->value);
	fl_sc_emit(v.id, v.rule, nr, v.nth, FL_RESULT_INJECTED, -err);
	return err;
}

#define FL_SC_LSM_HOOK(name, idx)						\
SEC("lsm/" #name)								\
int fl_sc_lsm_##name(__u64 *ctx)						\
{										\
	return run(ctx, idx, &lsm_cfg);						\
}										\
SEC("fmod_ret/security_" #name)							\
int fl_sc_fmod_##name(__u64 *ctx)						\
{										\
	return run(ctx, idx, &fmod_cfg);					\
}

FL_SC_LSM_HOOK(file_open, FL_SC_LSM_FILE_OPEN)
FL_SC_LSM_HOOK(file_permission, FL_SC_LSM_FILE_PERMISSION)
FL_SC_LSM_HOOK(mmap_file, FL_SC_LSM_MMAP_FILE)
FL_SC_LSM_HOOK(path_unlink, FL_SC_LSM_PATH_UNLINK)
FL_SC_LSM_HOOK(path_mkdir, FL_SC_LSM_PATH_MKDIR)
FL_SC_LSM_HOOK(path_rmdir, FL_SC_LSM_PATH_RMDIR)
FL_SC_LSM_HOOK(path_rename, FL_SC_LSM_PATH_RENAME)
FL_SC_LSM_HOOK(path_truncate, FL_SC_LSM_PATH_TRUNCATE)
FL_SC_LSM_HOOK(file_truncate, FL_SC_LSM_FILE_TRUNCATE)
FL_SC_LSM_HOOK(socket_create, FL_SC_LSM_SOCKET_CREATE)
FL_SC_LSM_HOOK(socket_connect, FL_SC_LSM_SOCKET_CONNECT)
FL_SC_LSM_HOOK(socket_bind, FL_SC_LSM_SOCKET_BIND)
FL_SC_LSM_HOOK(socket_listen, FL_SC_LSM_SOCKET_LISTEN)
FL_SC_LSM_HOOK(socket_accept, FL_SC_LSM_SOCKET_ACCEPT)
FL_SC_LSM_HOOK(socket_sendmsg, FL_SC_LSM_SOCKET_SENDMSG)
FL_SC_LSM_HOOK(socket_recvmsg, FL_SC_LSM_SOCKET_RECVMSG)
