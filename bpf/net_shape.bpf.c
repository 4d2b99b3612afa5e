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
 * The header parser is the one of bpf/net.bpf.c, cut down to what a match
 * needs (no payload offsets): a tc skb starts at the Ethernet header.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <faultline/net_shape_abi.h>

#define ETH_HLEN       14
#define ETH_P_IP       0x0800
#define ETH_P_IPV6     0x86DD
#define IPPROTO_ICMP   1
#define IPPROTO_TCP    6
#define IPPROTO_UDP    17
#define IPPROTO_ICMPV6 58

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

struct pkt {
	__u8 family;
	__u8 l4;
	__u8 has_ports;
	__u32 src[4], dst[4];
	__u16 sport, dport;
};

static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
	__u32 l4off;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0 || ip.version != 4 ||
		    ip.ihl < 5)
			return -1;
		p->family = FL_NET_ABI_FAMILY_IP4;
		p->l4 = ip.protocol;
		p->src[0] = ip.saddr;
		p->dst[0] = ip.daddr;
		l4off = ETH_HLEN + ip.ihl * 4;
		if (ip.frag_off & bpf_htons(0x1fff))
			p->l4 = 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) < 0 || ip6.version != 6)
			return -1;
		p->family = FL_NET_ABI_FAMILY_IP6;
		p->l4 = ip6.nexthdr;
		__builtin_memcpy(p->src, &ip6.saddr, 16);
		__builtin_memcpy(p->dst, &ip6.daddr, 16);
		l4off = ETH_HLEN + sizeof(ip6);
	} else {
		return -1;
	}
	if (p->l4 == IPPROTO_UDP || p->l4 == IPPROTO_TCP) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, l4off, ports, sizeof(ports)) < 0)
			return 0;
		p->has_ports = 1;
		p->sport = bpf_ntohs(ports[0]);
		p->dport = bpf_ntohs(ports[1]);
	}
	return 0;
}

static __always_inline bool in_prefix(const __u32 *a, const __u8 *prefix, __u8 plen)
{
	__u32 w[4];

	__builtin_memcpy(w, prefix, 16);
	for (int i = 0; i < 4; i++) {
		int bits = (int)plen - 32 * i;
		__u32 mask;

		if (bits <= 0)
			break;
		mask = bits >= 32 ? ~0u : bpf_htonl(~0u << (32 - bits));
		if ((a[i] ^ w[i]) & mask)
			return false;
	}
	return true;
}

static __always_inline bool port_ok(__u16 port, __u16 lo, __u16 hi, bool has_ports)
{
	if (!lo && !hi)
		return true;
	return has_ports && port >= lo && port <= hi;
}

static __always_inline bool matches(const struct fl_net_rule *r, const struct pkt *p)
{
	switch (r->proto) {
	case FL_NET_ABI_ANY:
		break;
	case FL_NET_ABI_IP:
		if (p->family != FL_NET_ABI_FAMILY_IP4)
			return false;
		break;
	case FL_NET_ABI_IP6:
		if (p->family != FL_NET_ABI_FAMILY_IP6)
			return false;
		break;
	case FL_NET_ABI_TCP:
		if (p->l4 != IPPROTO_TCP || !p->has_ports)
			return false;
		break;
	case FL_NET_ABI_UDP:
		if (p->l4 != IPPROTO_UDP || !p->has_ports)
			return false;
		break;
	case FL_NET_ABI_ICMP:
		if (p->l4 != (p->family == FL_NET_ABI_FAMILY_IP4 ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return false;
		break;
	default:
		return false;
	}
	if (r->family && r->family != p->family)
		return false;
	if (r->src_plen && !in_prefix(p->src, r->src, r->src_plen))
		return false;
	if (r->dst_plen && !in_prefix(p->dst, r->dst, r->dst_plen))
		return false;
	return port_ok(p->sport, r->sport_lo, r->sport_hi, p->has_ports) &&
	       port_ok(p->dport, r->dport_lo, r->dport_hi, p->has_ports);
}

static __always_inline __u32 classify(struct __sk_buff *skb, bool count)
{
	struct pkt p = {};

	if (parse(skb, &p) < 0)
		return 0;
	for (__u32 i = 0; i < FL_NET_MAX_RULES; i++) {
		struct fl_net_shape_slot *s;
		struct fl_net_shape_counters *c;
		__u32 key = i;

		if (i >= nr_slots)
			break;
		s = bpf_map_lookup_elem(&slots, &key);
		if (!s || !matches(&s->match, &p))
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
