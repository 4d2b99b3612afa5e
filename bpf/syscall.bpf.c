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
 * raw_tracepoint and tracepoint are used (not tp_btf/fentry) because they
 * are what the most restrictive kernels still allow; see DESIGN.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_rules.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGSTOP_NR 19
/* vmlinux.h has no errno values. */
#define ENOSPC     28
#define EOPNOTSUPP 95

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_SC_MAX_STOPPED);
	__type(key, struct fl_sc_stopped_key);
	__type(value, struct fl_sc_stopped);
} stopped SEC(".maps");

/* bpf_loop's own ceiling; a ktime read per turn makes it ~0.2 s, far above the cap. */
#define SPIN_MAX_TURNS (1u << 23)

static long spin_turn(__u64 turn, void *ctx)
{
	__u64 *until = ctx;

	return bpf_ktime_get_ns() >= *until;
}

/* Stall the calling thread for about ns (at most FL_SC_SPIN_MAX_NS). */
static __always_inline __u64 spin(__u64 ns)
{
	__u64 start = bpf_ktime_get_ns(), until;

	if (ns > FL_SC_SPIN_MAX_NS)
		ns = FL_SC_SPIN_MAX_NS;
	until = start + ns;
	bpf_loop(SPIN_MAX_TURNS, spin_turn, &until, 0);
	return bpf_ktime_get_ns() - start;
}

static __always_inline __u64 jittered(const struct fl_sc_rule *r)
{
	__u64 ns = (__u64)r->value, j = r->jitter_ns, x;

	if (!j)
		return ns;
	x = bpf_get_prandom_u32() % (2 * j + 1);
	return ns + x < j ? 0 : ns + x - j;
}

/*
 * Stop the whole process for ns (pause=, or delay= past the spin's cap).
 * userspace continues it when it reads the event, so stop only a process
 * whose event is sure to arrive. The stop is written to `stopped` before
 * the signal: if faultline dies between the two, the watchdog still finds
 * it there and continues the process (userspace reading the event would be
 * too late: the process is already stopped by then).
 */
static __always_inline void stop(const struct fl_sc_verdict *v, long nr, __u64 ns)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct fl_sc_rule *r = v->rule;
	struct fl_sc_stopped_key key = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.rule_id = v->id,
		.seq = v->nth,
	};
	struct fl_sc_stopped val = {
		.start_boottime_ns = BPF_CORE_READ(task, group_leader, start_boottime),
	};
	long err;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + 2 * sizeof(struct fl_event) >
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE)) {
		fl_sc_failed(v->id, r, nr, v->nth, -ENOSPC);
		return;
	}
	/* No record, no stop: a full map fails the injection. */
	if (bpf_map_update_elem(&stopped, &key, &val, BPF_NOEXIST)) {
		fl_sc_failed(v->id, r, nr, v->nth, -ENOSPC);
		return;
	}
	err = bpf_send_signal(SIGSTOP_NR);
	if (err) {
		bpf_map_delete_elem(&stopped, &key);
		fl_sc_failed(v->id, r, nr, v->nth, err);
	} else {
		fl_sc_emit(v->id, r, nr, v->nth, FL_RESULT_INJECTED, (__s64)ns);
	}
}

static __always_inline void apply(const struct fl_sc_verdict *v, long nr)
{
	const struct fl_sc_rule *r = v->rule;
	long err;

	if (r->mechanism == FL_MECH_SIGSTOP) {
		stop(v, nr, r->action == FL_ACTION_DELAY ? jittered(r) : (__u64)r->value);
		return;
	}
	switch (r->action) {
	case FL_ACTION_SIGNAL:
		err = bpf_send_signal((__u32)r->value);
		if (err)
			fl_sc_failed(v->id, r, nr, v->nth, err);
		else
			fl_sc_emit(v->id, r, nr, v->nth, FL_RESULT_INJECTED, r->value);
		break;
	case FL_ACTION_DELAY:
		fl_sc_emit(v->id, r, nr, v->nth, FL_RESULT_INJECTED, (__s64)spin(jittered(r)));
		break;
	default:
		fl_sc_failed(v->id, r, nr, v->nth, -EOPNOTSUPP);
		break;
	}
}

static __always_inline int enter(long nr)
{
	struct fl_sc_verdict v;

	/* A bystander pays a bitmap test, and a hash lookup for named syscalls. */
	if (!fl_sc_nr_wanted(nr) || !fl_sc_is_target())
		return 0;
	if (fl_sc_decide(FL_SC_HOOK_SYS_ENTER, nr, &v))
		apply(&v, nr);
	return 0;
}

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
