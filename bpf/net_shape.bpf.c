// SPDX-License-Identifier: GPL-2.0
/*
 * The shaping classifier: a cls_bpf filter in classic mode (not
 * direct-action), so the return value is the tc class id of the first
 * slot whose match the packet meets, and 0 (no match) for every other
 * packet. On an HTB root that puts the matching packets into the shaped
 * classes and leaves the rest to HTB's direct queue, untouched; on a
 * clsact ingress hook a non-zero answer runs the filter's mirred action
 * (the redirect to the IFB). Slots come from userspace between load and
 * attach, one object per direction (net_shape_abi.h).
 *
 * A slot's match means what the same rule means to the fault programs:
 * one parser and one match (net_match.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <faultline/net_shape_abi.h>

#include "net_match.bpf.h"

const volatile __u32 nr_slots;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_NET_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_net_shape_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_NET_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_net_shape_counters);
} shape_counters SEC(".maps");

static __always_inline __u32 classify(struct __sk_buff *skb, bool count)
{
	struct pkt p = {};

	if (parse(skb, ETH_HLEN, &p) < 0)
		return 0;
	for (__u32 i = 0; i < FL_NET_MAX_RULES; i++) {
		struct fl_net_shape_slot *s;
		struct fl_net_shape_counters *c;
		__u32 key = i;

		if (i >= nr_slots)
			break;
		s = bpf_map_lookup_elem(&slots, &key);
		if (!s || !proto_ok(&s->match, &p) || !ends_ok(&s->match, &p, false))
			continue;
		if (count) {
			c = bpf_map_lookup_elem(&shape_counters, &key);
			if (c) {
				__sync_fetch_and_add(&c->packets, 1);
				__sync_fetch_and_add(&c->bytes, skb->len);
			}
		}
		return s->classid;
	}
	return 0;
}

/* On the HTB root of a device or of the IFB: the class, and the count. */
SEC("tc")
int fl_shape_classify(struct __sk_buff *skb)
{
	return (int)classify(skb, true);
}

/* On clsact ingress, before the mirred redirect: which packets go to the IFB. */
SEC("tc")
int fl_shape_select(struct __sk_buff *skb)
{
	return (int)classify(skb, false);
}

char LICENSE[] SEC("license") = "GPL";
