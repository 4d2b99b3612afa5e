// SPDX-License-Identifier: GPL-2.0-only
/*
 * Syscall fault domain, first slice: crash points. At sys_enter of a target
 * process, each rule counts the calls that match its syscalls and, when
 * when=/prob=/count= say so, sends a signal to the process before the call
 * returns to it. Targets are tgids in `targets`; children forked by a target
 * become targets themselves, and a target that exits is forgotten so that
 * its recycled pid cannot make a bystander a target.
 *
 * raw_tracepoint is used (not tp_btf/fentry) because it is what the most
 * restrictive kernels still allow; see DESIGN.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include <faultline/abi.h>
#include <faultline/syscall_abi.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load: number of used slots in `rules`. */
const volatile __u32 n_rules = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);  /* enum fl_sc_target_state */
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_SC_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_sc_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_SC_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_sc_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline bool nr_in_mask(const struct fl_sc_rule *r, long nr)
{
	__u64 n = (__u64)nr, word;

	if (nr < 0 || n >= FL_SC_NR_MAX)
		return false;
	word = n / 64;
	/* Keep the mask: clang would drop it as redundant, the verifier needs it. */
	barrier_var(word);
	word &= FL_SC_MASK_WORDS - 1;
	return r->nr_mask[word] & (1ull << (n % 64));
}

/* strace's when=FIRST..LAST+STEP for the nth call (from 1). */
static __always_inline bool when_matches(const struct fl_sc_rule *r, __u64 nth)
{
	if (nth < r->when_first || nth > r->when_last)
		return false;
	return r->when_step <= 1 || (nth - r->when_first) % r->when_step == 0;
}

static __always_inline void emit(__u32 rule_id, const struct fl_sc_rule *r, long nr,
				 __u64 nth, __u32 result, __s64 value,
				 struct fl_sc_counters *c)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fl_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&c->dropped, 1);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->domain = FL_DOMAIN_SYSCALL;
	ev->rule_id = rule_id;
	ev->action = r->action;
	ev->mechanism = FL_MECH_SEND_SIGNAL;
	ev->result = result;
	ev->op = nr;
	ev->value = value;
	ev->seq = nth;
	bpf_ringbuf_submit(ev, 0);
}

/* Returns true when this rule fired (and so ends the search). */
static __always_inline bool try_rule(__u32 i, long nr)
{
	struct fl_sc_counters *c;
	struct fl_sc_rule *r;
	__u64 nth, done;
	long err;

	r = bpf_map_lookup_elem(&rules, &i);
	c = bpf_map_lookup_elem(&counters, &i);
	if (!r || !c || !r->enabled || !nr_in_mask(r, nr))
		return false;

	nth = __sync_fetch_and_add(&c->matched, 1) + 1;
	if (!when_matches(r, nth))
		return false;
	if (r->prob_ppm < FL_SC_PPM && bpf_get_prandom_u32() % FL_SC_PPM >= r->prob_ppm)
		return false;
	/* Claim an injection slot first so count= holds across CPUs. */
	done = __sync_fetch_and_add(&c->injected, 1);
	if (r->count && done >= r->count) {
		__sync_fetch_and_add(&c->injected, -1);
		return false;
	}

	if (r->action != FL_ACTION_SIGNAL)
		return false;
	err = bpf_send_signal((__u32)r->value);
	if (err) {
		__sync_fetch_and_add(&c->injected, -1);
		__sync_fetch_and_add(&c->failed, 1);
		emit(i, r, nr, nth, FL_RESULT_FAILED, err, c);
		return true;
	}
	emit(i, r, nr, nth, FL_RESULT_INJECTED, r->value, c);
	return true;
}

SEC("raw_tracepoint/sys_enter")
int fl_sc_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	long nr = (long)ctx->args[1];
	__u8 *state;

	/* The only cost a bystander pays: one hash lookup. */
	state = bpf_map_lookup_elem(&targets, &tgid);
	if (!state || *state != FL_SC_TARGET_ACTIVE)
		return 0;

	for (__u32 i = 0; i < FL_SC_MAX_RULES; i++) {
		if (i >= n_rules)
			break;
		if (try_rule(i, nr))
			break;
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int fl_sc_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 *state, copy;

	/* A new thread shares its parent's tgid: nothing to add. */
	if (ptgid == ctgid)
		return 0;
	state = bpf_map_lookup_elem(&targets, &ptgid);
	if (!state)
		return 0;
	copy = *state;
	bpf_map_update_elem(&targets, &ctgid, &copy, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int fl_sc_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state;

	state = bpf_map_lookup_elem(&targets, &tgid);
	if (state && *state == FL_SC_TARGET_AT_EXEC)
		*state = FL_SC_TARGET_ACTIVE;
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
