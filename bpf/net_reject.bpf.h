/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reject, for the tc programs of bpf/net.bpf.c (included there, after
 * struct pkt and fold16): the matching packet is rewritten in place into
 * the answer its sender would get from a closed port, and the caller
 * redirects it back the way it came (an egress packet into the same
 * device's ingress, to the local stack; an ingress packet out of the same
 * device, to the peer). A TCP segment becomes a RST (RFC 9293 3.10.7.1:
 * seq = its ack if it had ACK, else RST|ACK with ack = seq + its length);
 * anything else becomes an ICMP destination unreachable (port unreachable
 * for UDP, host/address unreachable otherwise; v4 type 3, v6 type 1)
 * quoting the original IP header and the first 8 bytes after it, RFC
 * 792's minimum (RFC 4443 would quote up to 1280 bytes; receivers need
 * only the ports).
 *
 * No answer (the packet is only dropped) to a RST, to an ICMP error, to a
 * non-first fragment, to a multicast or broadcast destination or an
 * unspecified source (RFC 1122 3.2.2, RFC 4443 2.4).
 *
 * Checksums. The TCP checksum field of a CHECKSUM_PARTIAL skb holds the
 * pseudo-header seed that the device completes, else the full checksum;
 * BPF cannot read ip_summed, but bpf_l4_csum_replace without
 * BPF_F_PSEUDO_HDR changes the field only when the skb is not PARTIAL. So
 * the RST's seed is stored, then the difference between seed and full
 * checksum is applied as a "data change": PARTIAL keeps the seed, the
 * others get the full checksum. The ICMP checksum is not the skb's csum
 * field: it is always stored in full (a PARTIAL skb from a veth peer is
 * trusted by the receiving stack as it is).
 */
#ifndef FL_NET_REJECT_BPF_H
#define FL_NET_REJECT_BPF_H

/* Marks our answer while it passes our own hooks again on its way back. */
#define REJECT_MARK   0xfa17dea1u
#define ICMP_DEST_UNREACH  3
#define ICMP_HOST_UNREACH  1
#define ICMP_PORT_UNREACH  3
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_ADDR_UNREACH 3
#define ICMPV6_PORT_UNREACH 4
#define IP4_HLEN      20
#define IP6_HLEN      40
#define QUOTE_L4      8
#define TCP_FIN       0x01
#define TCP_SYN       0x02
#define TCP_RST       0x04
#define TCP_ACK       0x10

enum { REJECT_SENT = 0, REJECT_QUIET = 1 };

static __always_inline int swap_macs(struct __sk_buff *skb)
{
	__u8 mac[12], sw[12];

	if (bpf_skb_load_bytes(skb, 0, mac, sizeof(mac)) < 0)
		return -1;
	__builtin_memcpy(sw, mac + 6, 6);
	__builtin_memcpy(sw + 6, mac, 6);
	return bpf_skb_store_bytes(skb, 0, sw, sizeof(sw), BPF_F_RECOMPUTE_CSUM);
}

/* Who must get no answer: multicast/broadcast destinations, unspecified sources. */
static __always_inline bool reject_quiet_addr(const struct pkt *p)
{
	if (p->family == FL_NET_ABI_FAMILY_IP4) {
		__u32 d = bpf_ntohl(p->dst[0]);

		return p->src[0] == 0 || (d >> 28) == 0xe || d == 0xffffffffu;
	}
	return (p->dst[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000) ||
	       !(p->src[0] | p->src[1] | p->src[2] | p->src[3]);
}

/* One's complement sum of the pseudo header for a new L4 of len bytes, src/dst swapped. */
static __always_inline __s64 pseudo_sum(const struct pkt *p, __u8 proto, __u32 len)
{
	__u32 buf[10] = {};

	if (p->family == FL_NET_ABI_FAMILY_IP4) {
		buf[0] = p->dst[0];
		buf[1] = p->src[0];
		buf[2] = bpf_htonl(((__u32)proto << 16) | len);
		return bpf_csum_diff(NULL, 0, buf, 12, 0);
	}
	__builtin_memcpy(buf, p->dst, 16);
	__builtin_memcpy(buf + 4, p->src, 16);
	buf[8] = bpf_htonl(len);
	buf[9] = bpf_htonl(proto);
	return bpf_csum_diff(NULL, 0, buf, 40, 0);
}

/* The IPv4 header in place, turned around for an answer of l4len bytes. */
static __always_inline int turn_ip4(struct __sk_buff *skb, __u32 l3off, const struct pkt *p,
				    __u32 l4len)
{
	struct iphdr ip;
	__u16 old_len, new_len, old_frag, new_frag, old_ttl, new_ttl;

	if (bpf_skb_load_bytes(skb, l3off, &ip, sizeof(ip)) < 0)
		return -1;
	old_len = ip.tot_len;
	new_len = bpf_htons((__u16)(ip.ihl * 4 + l4len));
	old_frag = ip.frag_off;
	new_frag = 0;
	/* ttl and protocol share a 16-bit word of the checksum. */
	old_ttl = *(__u16 *)&ip.ttl;
	ip.ttl = 64;
	new_ttl = *(__u16 *)&ip.ttl;
	ip.tot_len = new_len;
	ip.frag_off = new_frag;
	ip.saddr = p->dst[0];
	ip.daddr = p->src[0];
	/* The swap leaves the sum as it was; the three changed words do not. */
	if (bpf_l3_csum_replace(skb, l3off + __builtin_offsetof(struct iphdr, check), old_len,
				new_len, 2) < 0 ||
	    bpf_l3_csum_replace(skb, l3off + __builtin_offsetof(struct iphdr, check), old_frag,
				new_frag, 2) < 0 ||
	    bpf_l3_csum_replace(skb, l3off + __builtin_offsetof(struct iphdr, check), old_ttl,
				new_ttl, 2) < 0)
		return -1;
	if (bpf_skb_load_bytes(skb, l3off + __builtin_offsetof(struct iphdr, check), &ip.check,
			       2) < 0)
		return -1;
	return bpf_skb_store_bytes(skb, l3off, &ip, sizeof(ip), BPF_F_RECOMPUTE_CSUM);
}

static __always_inline int turn_ip6(struct __sk_buff *skb, __u32 l3off, const struct pkt *p,
				    __u8 nexthdr, __u32 l4len)
{
	struct ipv6hdr ip6 = {};

	/* version 6, traffic class and flow label 0 */
	*(__u8 *)&ip6 = 0x60;
	ip6.payload_len = bpf_htons((__u16)l4len);
	ip6.nexthdr = nexthdr;
	ip6.hop_limit = 64;
	__builtin_memcpy(&ip6.saddr, p->dst, 16);
	__builtin_memcpy(&ip6.daddr, p->src, 16);
	return bpf_skb_store_bytes(skb, l3off, &ip6, sizeof(ip6), BPF_F_RECOMPUTE_CSUM);
}

/* A TCP segment into the RST that answers it. */
static __always_inline int reject_tcp(struct __sk_buff *skb, __u32 l3off, const struct pkt *p)
{
	__u8 in[20], out[20] = {};
	__u32 seq, ack, len, l3len = p->l4off - l3off;
	__u16 seed, full;
	__s64 ps, hs;

	if (bpf_skb_load_bytes(skb, p->l4off, in, sizeof(in)) < 0)
		return -1;
	if (in[13] & TCP_RST)
		return REJECT_QUIET;
	/* Ports swapped. */
	__builtin_memcpy(out, in + 2, 2);
	__builtin_memcpy(out + 2, in, 2);
	out[12] = 5 << 4;
	if (in[13] & TCP_ACK) {
		__builtin_memcpy(out + 4, in + 8, 4);   /* seq = its ack */
		out[13] = TCP_RST;
	} else {
		__builtin_memcpy(&seq, in + 4, 4);
		len = p->paylen + !!(in[13] & TCP_SYN) + !!(in[13] & TCP_FIN);
		ack = bpf_htonl(bpf_ntohl(seq) + len);
		__builtin_memcpy(out + 8, &ack, 4);
		out[13] = TCP_RST | TCP_ACK;
	}
	/* Options and payload go: the skb ends with the 20-byte header. */
	if (bpf_skb_change_tail(skb, p->l4off + sizeof(out), 0) < 0)
		return -1;
	if (p->family == FL_NET_ABI_FAMILY_IP4) {
		if (turn_ip4(skb, l3off, p, sizeof(out)) < 0)
			return -1;
	} else if (l3len != IP6_HLEN || turn_ip6(skb, l3off, p, IPPROTO_TCP, sizeof(out)) < 0) {
		return -1;
	}
	ps = pseudo_sum(p, IPPROTO_TCP, sizeof(out));
	hs = bpf_csum_diff(NULL, 0, (__u32 *)out, sizeof(out), 0);
	if (ps < 0 || hs < 0)
		return -1;
	seed = (__u16)fold16(ps);
	/* seed + (2 * pseudo + header) = ~(pseudo + header) in one's complement */
	full = (__u16)fold16((__s64)fold16(ps) * 2 + fold16(hs));
	__builtin_memcpy(out + 16, &seed, 2);
	if (bpf_skb_store_bytes(skb, p->l4off, out, sizeof(out), BPF_F_RECOMPUTE_CSUM) < 0)
		return -1;
	/* Not PARTIAL: this turns the seed into the full checksum. PARTIAL: no-op. */
	if (bpf_l4_csum_replace(skb, p->l4off + 16, 0, full, 2) < 0)
		return -1;
	return swap_macs(skb) < 0 ? -1 : REJECT_SENT;
}

/* Is this ICMP message an error (which gets no error back)? */
static __always_inline bool icmp_is_error(struct __sk_buff *skb, const struct pkt *p)
{
	__u8 type;

	if (bpf_skb_load_bytes(skb, p->l4off, &type, 1) < 0)
		return true;
	if (p->family == FL_NET_ABI_FAMILY_IP6)
		return type < 128;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * Anything but TCP into an ICMP destination unreachable: the original IP
 * header and 8 bytes after it are kept as the quote, a new IP and ICMP
 * header are inserted before them (bpf_skb_adjust_room at the MAC
 * header), and the tail is trimmed.
 */
static __always_inline int reject_icmp(struct __sk_buff *skb, __u32 l3off, const struct pkt *p)
{
	bool v4 = p->family == FL_NET_ABI_FAMILY_IP4;
	__u32 l3len = p->l4off - l3off, hlen = v4 ? IP4_HLEN : IP6_HLEN;
	__u32 quote, have = skb->len - l3off, icmp_off = l3off + hlen;
	/* The ICMP header (8) and the quote; the zeros after a shorter one add nothing to the sum. */
	__u8 buf[IP6_HLEN + QUOTE_L4 + 8] = {};
	__u8 icmp[8] = {};
	__s64 sum;

	if ((p->l4 == IPPROTO_ICMP || p->l4 == IPPROTO_ICMPV6) && icmp_is_error(skb, p))
		return REJECT_QUIET;
	if (l3len != hlen)
		return REJECT_QUIET;   /* IPv4 options or IPv6 extension headers: no quote built */
	quote = l3len + QUOTE_L4;
	if (quote > have)
		quote = have;
	if (quote < l3len || quote > sizeof(buf) - 8)
		return -1;
	if (bpf_skb_change_tail(skb, l3off + quote, 0) < 0)
		return -1;
	if (bpf_skb_adjust_room(skb, (__s32)(hlen + sizeof(icmp)), BPF_ADJ_ROOM_MAC, 0) < 0)
		return -1;
	/* The quote now sits after the new headers. */
	if (quote == l3len + QUOTE_L4) {
		if (bpf_skb_load_bytes(skb, icmp_off + 8, buf + 8, v4 ? IP4_HLEN + QUOTE_L4 :
						       IP6_HLEN + QUOTE_L4) < 0)
			return -1;
	} else {
		/* A short packet: quote what there is, zero-padded for the sum. */
		if (bpf_skb_load_bytes(skb, icmp_off + 8, buf + 8, l3len) < 0)
			return -1;
	}
	if (v4) {
		icmp[0] = ICMP_DEST_UNREACH;
		icmp[1] = p->l4 == IPPROTO_UDP ? ICMP_PORT_UNREACH : ICMP_HOST_UNREACH;
	} else {
		icmp[0] = ICMPV6_DEST_UNREACH;
		icmp[1] = p->l4 == IPPROTO_UDP ? ICMPV6_PORT_UNREACH : ICMPV6_ADDR_UNREACH;
	}
	__builtin_memcpy(buf, icmp, 8);
	/* v4: a fresh header (ihl 5); its checksum below. v6: the pseudo header counts. */
	if (v4) {
		struct iphdr ip = {};
		__s64 ipsum;

		ip.version = 4;
		ip.ihl = 5;
		ip.tos = 0xc0;  /* internetwork control, as the kernel's own ICMP */
		ip.tot_len = bpf_htons((__u16)(IP4_HLEN + 8 + quote));
		ip.ttl = 64;
		ip.protocol = IPPROTO_ICMP;
		ip.saddr = p->dst[0];
		ip.daddr = p->src[0];
		ipsum = bpf_csum_diff(NULL, 0, (__u32 *)&ip, sizeof(ip), 0);
		if (ipsum < 0)
			return -1;
		ip.check = (__u16)~fold16(ipsum);
		if (bpf_skb_store_bytes(skb, l3off, &ip, sizeof(ip), BPF_F_RECOMPUTE_CSUM) < 0)
			return -1;
		sum = bpf_csum_diff(NULL, 0, (__u32 *)buf, sizeof(buf), 0);
	} else {
		__s64 ps = pseudo_sum(p, IPPROTO_ICMPV6, 8 + quote);

		if (ps < 0 || turn_ip6(skb, l3off, p, IPPROTO_ICMPV6, 8 + quote) < 0)
			return -1;
		sum = bpf_csum_diff(NULL, 0, (__u32 *)buf, sizeof(buf), ps);
	}
	if (sum < 0)
		return -1;
	*(__u16 *)(icmp + 2) = (__u16)~fold16(sum);
	if (bpf_skb_store_bytes(skb, icmp_off, icmp, sizeof(icmp), BPF_F_RECOMPUTE_CSUM) < 0)
		return -1;
	return swap_macs(skb) < 0 ? -1 : REJECT_SENT;
}

/* REJECT_SENT: the skb is the answer, to be redirected; REJECT_QUIET or < 0: drop it. */
static __always_inline int fl_net_reject(struct __sk_buff *skb, __u32 l3off, const struct pkt *p)
{
	if (reject_quiet_addr(p))
		return REJECT_QUIET;
	if (p->l4 == IPPROTO_TCP)
		return p->has_ports ? reject_tcp(skb, l3off, p) : REJECT_QUIET;
	if (!p->l4)
		return REJECT_QUIET;   /* a fragment after the first */
	return reject_icmp(skb, l3off, p);
}

#endif /* FL_NET_REJECT_BPF_H */
