/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a packet is and whether a rule fits it: the header parser and the
 * match of struct fl_net_rule (net_abi.h), shared by the fault programs
 * (net.bpf.c) and the shaping classifier (net_shape.bpf.c), so a rule
 * means the same packets whichever mechanism serves it.
 *
 * Headers are read with bpf_skb_load_bytes, which tc and cgroup_skb
 * programs both have: l3off is 14 on a tc skb (Ethernet header first)
 * and 0 on a cgroup skb (IP header first).
 */
#ifndef FAULTLINE_NET_MATCH_BPF_H
#define FAULTLINE_NET_MATCH_BPF_H

#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define IPPROTO_ICMP  1
#define IPPROTO_TCP   6
#define IPPROTO_UDP   17
#define IPPROTO_ICMPV6 58

struct pkt {
	__u32 l4off;         /* offset of the L4 header in the skb */
	__u32 payoff;        /* offset of the payload (TCP/UDP/ICMP) */
	__u32 paylen;
	__u32 csum_off;      /* offset of the L4 checksum, 0 = none */
	__u8 family;         /* FL_NET_ABI_FAMILY_IP4/IP6 */
	__u8 l4;             /* IPPROTO_* of the L4 header (no IPv6 extension headers) */
	__u8 has_ports;
	__u32 src[4], dst[4];
	__u16 sport, dport;  /* host order */
};

static __always_inline int parse(struct __sk_buff *skb, __u32 l3off, struct pkt *p)
{
	__u32 tot, l3len;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l3off, &ip, sizeof(ip)) < 0 || ip.version != 4 ||
		    ip.ihl < 5)
			return -1;
		p->family = FL_NET_ABI_FAMILY_IP4;
		p->l4 = ip.protocol;
		p->src[0] = ip.saddr;
		p->dst[0] = ip.daddr;
		l3len = ip.ihl * 4;
		tot = bpf_ntohs(ip.tot_len);
		/* A fragment after the first has no L4 header. */
		if (ip.frag_off & bpf_htons(0x1fff))
			p->l4 = 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, l3off, &ip6, sizeof(ip6)) < 0 || ip6.version != 6)
			return -1;
		p->family = FL_NET_ABI_FAMILY_IP6;
		p->l4 = ip6.nexthdr;
		__builtin_memcpy(p->src, &ip6.saddr, 16);
		__builtin_memcpy(p->dst, &ip6.daddr, 16);
		l3len = sizeof(ip6);
		tot = sizeof(ip6) + bpf_ntohs(ip6.payload_len);
	} else {
		return -1;
	}
	p->l4off = l3off + l3len;
	if (tot > skb->len - l3off)
		tot = skb->len - l3off;
	if (p->l4 == IPPROTO_UDP) {
		struct udphdr udp;

		if (bpf_skb_load_bytes(skb, p->l4off, &udp, sizeof(udp)) < 0)
			return 0;
		p->has_ports = 1;
		p->sport = bpf_ntohs(udp.source);
		p->dport = bpf_ntohs(udp.dest);
		p->payoff = p->l4off + sizeof(udp);
		p->csum_off = p->l4off + __builtin_offsetof(struct udphdr, check);
	} else if (p->l4 == IPPROTO_TCP) {
		struct tcphdr tcp;

		if (bpf_skb_load_bytes(skb, p->l4off, &tcp, sizeof(tcp)) < 0)
			return 0;
		p->has_ports = 1;
		p->sport = bpf_ntohs(tcp.source);
		p->dport = bpf_ntohs(tcp.dest);
		p->payoff = p->l4off + tcp.doff * 4;
		p->csum_off = p->l4off + __builtin_offsetof(struct tcphdr, check);
	} else if (p->l4 == IPPROTO_ICMP || p->l4 == IPPROTO_ICMPV6) {
		p->payoff = p->l4off + 8;
		p->csum_off = p->l4off + 2;
	} else {
		return 0;
	}
	if (l3off + tot > p->payoff)
		p->paylen = l3off + tot - p->payoff;
	return 0;
}

/* Does address a (4 network-order words) fall in prefix/plen? */
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

static __always_inline bool proto_ok(const struct fl_net_rule *r, const struct pkt *p)
{
	switch (r->proto) {
	case FL_NET_ABI_ANY:
		return true;
	case FL_NET_ABI_IP:
		return p->family == FL_NET_ABI_FAMILY_IP4;
	case FL_NET_ABI_IP6:
		return p->family == FL_NET_ABI_FAMILY_IP6;
	case FL_NET_ABI_TCP:
		return p->l4 == IPPROTO_TCP && p->has_ports;
	case FL_NET_ABI_UDP:
		return p->l4 == IPPROTO_UDP && p->has_ports;
	case FL_NET_ABI_ICMP:
		return p->l4 == (p->family == FL_NET_ABI_FAMILY_IP4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	}
	return false;
}

static __always_inline bool port_ok(__u16 port, __u16 lo, __u16 hi, bool has_ports)
{
	if (!lo && !hi)
		return true;
	return has_ports && port >= lo && port <= hi;
}

/* Addresses and ports, src->dst as the rule says, or swapped when reverse. */
static __always_inline bool ends_ok(const struct fl_net_rule *r, const struct pkt *p,
				    bool reverse)
{
	const __u32 *src = reverse ? p->dst : p->src;
	const __u32 *dst = reverse ? p->src : p->dst;
	__u16 sport = reverse ? p->dport : p->sport;
	__u16 dport = reverse ? p->sport : p->dport;

	if (r->family && r->family != p->family)
		return false;
	if (r->src_plen && !in_prefix(src, r->src, r->src_plen))
		return false;
	if (r->dst_plen && !in_prefix(dst, r->dst, r->dst_plen))
		return false;
	return port_ok(sport, r->sport_lo, r->sport_hi, p->has_ports) &&
	       port_ok(dport, r->dport_lo, r->dport_hi, p->has_ports);
}

#endif
