/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every program of the syscall domain shares: the maps (userspace
 * loads one object per hook kind and makes them all use the first
 * object's maps, so rule counters are global), the target test, and the
 * rule walk. A program includes this, tests fl_sc_is_target(), calls
 * fl_sc_decide() with its hook, and applies the action its way.
 */
#ifndef FL_SYSCALL_RULES_BPF_H
#define FL_SYSCALL_RULES_BPF_H

#include <faultline/abi.h>
#include <faultline/syscall_abi.h>

const volatile struct fl_sc_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);  /* enum fl_sc_target_flags */
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

static __always_inline bool fl_sc_mask_has(const __u64 *mask, long nr)
{
	__u64 n = (__u64)nr, word;

	if (nr < 0 || n >= FL_SC_NR_MAX)
		return false;
	word = n / 64;
	/* Keep the mask: clang would drop it as redundant, the verifier needs it. */
	barrier_var(word);
	word &= FL_SC_MASK_WORDS - 1;
	return mask[word] & (1ull << (n % 64));
}

/* The bystander's fast path: is nr named by any rule at all? */
static __always_inline bool fl_sc_nr_wanted(long nr)
{
	return fl_sc_mask_has((const __u64 *)cfg.nr_any, nr);
}

static __always_inline bool fl_sc_comm_matches(void)
{
	char comm[FL_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < FL_COMM_LEN; i++) {
		if (comm[i] != cfg.comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Is the calling process a target? Cheapest selectors first. */
static __always_inline bool fl_sc_is_target(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *flags;

	flags = bpf_map_lookup_elem(&targets, &tgid);
	if (flags)
		return *flags & FL_SC_TARGET_ACTIVE;
	for (__u32 i = 0; i < FL_SC_MAX_CGROUPS; i++) {
		if (i >= cfg.n_cgroups)
			break;
		if (bpf_get_current_ancestor_cgroup_id(cfg.cgroup_level[i]) == cfg.cgroup_id[i])
			return true;
	}
	return cfg.by_comm && fl_sc_comm_matches();
}

/* strace's when=FIRST..LAST+STEP for the nth call (from 1). */
static __always_inline bool fl_sc_when_matches(const struct fl_sc_rule *r, __u64 nth)
{
	if (nth < r->when_first || nth > r->when_last)
		return false;
	return r->when_step <= 1 || (nth - r->when_first) % r->when_step == 0;
}

/* splitmix64 of seed+nth: a seeded run draws the same prob= for each nth. */
static __always_inline __u32 fl_sc_draw(const struct fl_sc_rule *r, __u64 nth)
{
	__u64 z;

	if (!r->has_seed)
		return bpf_get_prandom_u32();
	z = r->seed + nth * 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (__u32)(z ^ (z >> 31));
}

/* Report one injection (or failed one) for rule i. */
static __always_inline void fl_sc_emit(__u32 i, const struct fl_sc_rule *r, long nr,
				       __u64 nth, __u32 result, __s64 value)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fl_sc_counters *c;
	struct fl_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		c = bpf_map_lookup_elem(&counters, &i);
		if (c)
			__sync_fetch_and_add(&c->dropped, 1);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->domain = FL_DOMAIN_SYSCALL;
	ev->rule_id = i;
	ev->action = r->action;
	ev->mechanism = r->mechanism;
	ev->result = result;
	ev->op = nr;
	ev->value = value;
	ev->seq = nth;
	bpf_ringbuf_submit(ev, 0);
}

/* The mechanism could not apply rule i's fault after all. */
static __always_inline void fl_sc_failed(__u32 i, const struct fl_sc_rule *r, long nr,
					 __u64 nth, long err)
{
	struct fl_sc_counters *c = bpf_map_lookup_elem(&counters, &i);

	if (c) {
		__sync_fetch_and_add(&c->injected, -1);
		__sync_fetch_and_add(&c->failed, 1);
	}
	fl_sc_emit(i, r, nr, nth, FL_RESULT_FAILED, err);
}

struct fl_sc_verdict {
	struct fl_sc_rule *rule;
	__u64 nth;
	__u32 id;
};

/*
 * Walk the rules of hook in order for syscall nr of a target. Each rule
 * that names nr (and whose for= has not run out) counts the call; the
 * first one whose when=/prob=/count= say yes fires, claims an injection
 * and ends the walk. Returns true with *v filled when one fired.
 */
static __always_inline bool fl_sc_decide(__u16 hook, long nr, struct fl_sc_verdict *v)
{
	for (__u32 i = 0; i < FL_SC_MAX_RULES; i++) {
		struct fl_sc_counters *c;
		struct fl_sc_rule *r;
		__u64 nth, done;
		__u32 key = i;

		if (i >= cfg.n_rules)
			break;
		r = bpf_map_lookup_elem(&rules, &key);
		c = bpf_map_lookup_elem(&counters, &key);
		if (!r || !c || !r->enabled || r->hook != hook || !fl_sc_mask_has(r->nr_mask, nr))
			continue;
		if (r->deadline_ns && bpf_ktime_get_ns() >= r->deadline_ns)
			continue;
		nth = __sync_fetch_and_add(&c->matched, 1) + 1;
		if (!fl_sc_when_matches(r, nth))
			continue;
		if (r->prob_ppm < FL_SC_PPM && fl_sc_draw(r, nth) % FL_SC_PPM >= r->prob_ppm)
			continue;
		/* Claim an injection slot first so count= holds across CPUs. */
		done = __sync_fetch_and_add(&c->injected, 1);
		if (r->count && done >= r->count) {
			__sync_fetch_and_add(&c->injected, -1);
			continue;
		}
		v->rule = r;
		v->nth = nth;
		v->id = i;
		return true;
	}
	return false;
}

#endif /* FL_SYSCALL_RULES_BPF_H */
