/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sys_enter rules' decision and action, shared by every program that
 * sees a syscall's entry: raw sys_enter and the per-syscall tracepoints
 * (syscall.bpf.c), and fentry on the syscall's own function
 * (syscall_fentry.bpf.c). A program calls enter(nr) for syscall nr of the
 * calling task. The maps, `stopped` included, are the session's: the
 * objects other than syscall.bpf.c reuse its descriptors.
 */
#ifndef FL_SYSCALL_ENTER_BPF_H
#define FL_SYSCALL_ENTER_BPF_H

#include "syscall_rules.bpf.h"

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

#endif /* FL_SYSCALL_ENTER_BPF_H */
