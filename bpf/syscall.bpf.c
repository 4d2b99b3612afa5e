// SPDX-License-Identifier: GPL-2.0-only
/*
 * Syscall faults at sys_enter, for running and launched processes alike:
 * crash points (signal=: bpf_send_signal before the call returns), pauses
 * (pause=, and delay= past the spin's cap: SIGSTOP here, recorded in the
 * pinned `stopped` map first; SIGCONT from userspace when the time runs
 * out, or from the watchdog or `faultline cleanup` if faultline died) and
 * short stalls (delay=: a bounded spin of the calling thread). Errors need hooks that can
 * change a return value; they live in bpf/syscall_errno*.bpf.c and share
 * this object's maps.
 *
 * Targets are tgids in `targets` (plus cgroup and comm selectors, see
 * syscall_rules.bpf.h); children forked by a followed target become
 * targets, and a target that exits is forgotten so that its recycled pid
 * cannot make a bystander a target.
 *
 * raw_tracepoint and tracepoint are what the most restrictive kernels
 * still allow (DESIGN.md); where fentry loads, the same decision and action
 * (syscall_enter.bpf.h) run on the syscall's own function instead
 * (bpf/syscall_fentry.bpf.c), which costs bystanders nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_enter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Any program on a syscall tracepoint, this one or fl_sc_enter_tp, makes
 * every syscall of every process take the kernel's slow entry path (the
 * syscall-tracepoint work flag is set on every task): that floor is the
 * same for both (bench row (a): about 43 ns a call here). This one also
 * runs for every syscall of every process (about 30 ns more); userspace
 * uses it when the rules name a syscall without a tracepoint by its name,
 * more than 16 syscalls, or when the kernel refuses the tracepoints' perf
 * events (enter_tp.c, session.c).
 */
SEC("raw_tracepoint/sys_enter")
int fl_sc_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return enter((long)ctx->args[1]);
}

/*
 * The same, attached by userspace to syscalls:sys_enter_NAME of each
 * syscall the rules name: the kernel's perf_syscall_enter() tests a bit
 * and runs no program for the other syscalls. The context is struct
 * syscall_trace_enter, whose nr is an int followed by 4 bytes that the
 * kernel leaves uninitialised: read as the long of
 * trace_event_raw_sys_enter (raw_syscalls' layout) it is not the number.
 * 6.18's faultable syscall tracepoints change nothing here: the probe
 * disables preemption before it runs the program (no sleepable attach).
 * An earlier note said these tracepoints missed calls of a target on
 * 6.18 (0 to 3 of 5 fsyncs); read as an int, nr misses none
 * (test_enter_hook: 200 of 200 fsyncs, also on Debian's 6.1).
 */
SEC("tracepoint")
int fl_sc_enter_tp(struct syscall_trace_enter *ctx)
{
	return enter((long)ctx->nr);
}

SEC("raw_tracepoint/sched_process_fork")
int fl_sc_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 *flags, copy;

	/* A new thread shares its parent's tgid: nothing to add. */
	if (ptgid == ctgid)
		return 0;
	flags = bpf_map_lookup_elem(&targets, &ptgid);
	if (!flags || !(*flags & FL_SC_TARGET_FOLLOW))
		return 0;
	copy = *flags;
	bpf_map_update_elem(&targets, &ctgid, &copy, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int fl_sc_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *flags;

	flags = bpf_map_lookup_elem(&targets, &tgid);
	if (flags && (*flags & FL_SC_TARGET_AT_EXEC))
		*flags = (*flags & ~FL_SC_TARGET_AT_EXEC) | FL_SC_TARGET_ACTIVE;
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int fl_sc_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);

	/* do_exit() drops signal->live before this tracepoint; 0 = last thread. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
