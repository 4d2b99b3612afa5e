/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-injection events of bpf/net.bpf.c (struct fl_net_event, net_abi.h):
 * counted first, then reported, so the counter is exact even when the
 * ring is full. bpf_ringbuf_reserve never waits: with no room the record
 * is dropped and counted in events_lost, and the packet goes on as it
 * would have. Included after struct pkt is defined.
 */
#ifndef FL_NET_EVENTS_BPF_H
#define FL_NET_EVENTS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FL_NET_EVENTS_RING);
} events SEC(".maps");

/*
 * Count injection of rule i and reserve its record, filled with what
 * packets and calls share; NULL when the ring is full (counted lost).
 */
static __always_inline struct fl_net_event *fl_net_event_new(struct fl_net_counters *c, __u32 i,
							      const struct fl_net_rule *r,
							      const struct pkt *p, __u8 dir,
							      __u8 hook)
{
	__u64 nth = __sync_fetch_and_add(&c->injected, 1) + 1;
	struct fl_net_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&c->events_lost, 1);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->seq = nth;
	ev->rule = i;
	ev->action = r->action;
	ev->dir = dir;
	ev->family = p->family;
	ev->l4 = p->l4;
	ev->hook = hook;
	__builtin_memcpy(ev->src, p->src, 16);
	__builtin_memcpy(ev->dst, p->dst, 16);
	ev->sport = p->has_ports ? p->sport : 0;
	ev->dport = p->has_ports ? p->dport : 0;
	return ev;
}

/* A packet of skb hit by rule i (tc or cgroup_skb). */
static __always_inline void fl_net_injected(struct fl_net_counters *c, __u32 i,
					    const struct fl_net_rule *r, const struct pkt *p,
					    struct __sk_buff *skb, __u8 dir, __u8 hook)
{
	struct fl_net_event *ev = fl_net_event_new(c, i, r, p, dir, hook);

	if (!ev)
		return;
	ev->ifindex = skb->ifindex;
	ev->len = skb->len;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * A socket call failed by rule i (cgroup sock_addr): the caller is known
 * here. Apart from the packet one: 6.1's verifier does not prune a NULL
 * test of the context, and tc programs may not call the pid helpers.
 */
static __always_inline void fl_net_injected_call(struct fl_net_counters *c, __u32 i,
						 const struct fl_net_rule *r, const struct pkt *p)
{
	struct fl_net_event *ev = fl_net_event_new(c, i, r, p, FL_NET_ABI_EGRESS,
						   FL_NET_HOOK_CGROUP_SOCK);

	if (!ev)
		return;
	ev->call = r->proto;
	ev->error = (__s32)r->error;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

#endif /* FL_NET_EVENTS_BPF_H */
