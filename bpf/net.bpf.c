// SPDX-License-Identifier: GPL-2.0
/*
 * Network faults in the kernel: one rule walk (fl_net_walk) shared by the
 * tc clsact programs of a device (ingress and egress) and the cgroup_skb
 * programs of a cgroup v2 directory. Rules and counters are the maps
 * below, laid out by include/faultline/net_abi.h; userspace fills rules
 * between load and attach.
 *
 * One parser and one match (net_match.bpf.h) serve a tc skb and a cgroup
 * skb, and the shaping classifier too. cgroup_skb cannot write packets, so
 * corrupt, duplicate and reject are tc only: the loader refuses them on a
 * cgroup.
 *
 * The cgroup sock_addr programs (connect, sendmsg, bind; at the end) walk
 * the same rules and counters for the socket-call rules (error=), which no
 * packet matches: one map pair, one rule numbering for the summary.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <faultline/net_abi.h>

#include "net_match.bpf.h"

#define TC_ACT_OK     0
#define TC_ACT_SHOT   2
#define SKB_PASS      1
#define SKB_DROP      0
/*
 * cgroup_skb/egress: "drop, and congestion notification". A plain 0 makes
 * the sender's call fail with EPERM, which is no blackhole; with 2 the
 * stack sees NET_XMIT_DROP, which UDP's sendmsg swallows (no IP_RECVERR)
 * and TCP takes as a local drop to retransmit, as a lossy path would.
 */
#define SKB_DROP_CN   2
/* How far into the payload a corruption may land (keeps the offset small). */
#define CORRUPT_SPAN  256
/*
 * The mark a duplicate carries while it passes our own hook again: the
 * clone re-enters the same program, which must let it through. Cleared
 * there, so a clone leaves with mark 0 (a marked original keeps its mark).
 */
#define DUP_MARK      0xfa17d0b1u

const volatile __u32 nr_rules;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_NET_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_net_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_NET_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_net_counters);
} counters SEC(".maps");

static __always_inline bool rule_matches(const struct fl_net_rule *r, const struct pkt *p,
					 __u8 dir)
{
	if (!proto_ok(r, p))
		return false;
	if (r->action == FL_NET_ACT_PARTITION)
		return ends_ok(r, p, false) || ends_ok(r, p, true);
	if (r->action == FL_NET_ACT_RESET)
		return false;   /* no packet: userspace/net/reset.c tears connections down */
	return (r->dir & dir) && ends_ok(r, p, false);
}

static __always_inline __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The selectors of a matching rule: 0 = not this time, else the draw. */
static __always_inline __u64 fires(const struct fl_net_rule *r, struct fl_net_counters *c)
{
	__u64 n = __sync_fetch_and_add(&c->matched, 1) + 1;
	__u64 draw = splitmix64(r->seed + n * 0x9e3779b97f4a7c15ull);
	__u64 step = r->when_step ? r->when_step : 1;

	if (r->until_ns && bpf_ktime_get_ns() >= r->until_ns)
		return 0;
	if (r->when_first || r->when_last || step > 1) {
		__u64 first = r->when_first ? r->when_first : 1;

		if (n < first || (r->when_last && n > r->when_last) || (n - first) % step)
			return 0;
	}
	if (r->prob_ppm && r->prob_ppm < FL_NET_PPM && draw % FL_NET_PPM >= r->prob_ppm)
		return 0;
	if (r->count && __sync_fetch_and_add(&c->claimed, 1) >= r->count)
		return 0;
	return draw | 1;
}

static __always_inline __u32 fold16(__s64 sum)
{
	__u32 x = (__u32)sum;

	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	return x;
}

/*
 * Is the L4 checksum field still the pseudo-header seed of a checksum the
 * device (or validate_xmit_skb) will complete later, CHECKSUM_PARTIAL?
 * TCP always leaves it so, UDP when the device offloads checksums. The
 * seed is the folded pseudo-header sum, so compare with that (a full
 * checksum equal to it by chance is one in 65535, and its corruption is
 * still caught, only with a checksum off by twice the change).
 */
static __always_inline bool csum_is_seed(struct __sk_buff *skb, const struct pkt *p)
{
	__u32 l4len = skb->len - p->l4off;
	__u32 buf[10] = {};
	__u16 field;
	__s64 sum;

	if (p->l4 != IPPROTO_TCP && p->l4 != IPPROTO_UDP)
		return false;
	if (bpf_skb_load_bytes(skb, p->csum_off, &field, sizeof(field)) < 0)
		return false;
	if (p->family == FL_NET_ABI_FAMILY_IP4) {
		buf[0] = p->src[0];
		buf[1] = p->dst[0];
		buf[2] = bpf_htonl(((__u32)p->l4 << 16) | (l4len & 0xffff));
		sum = bpf_csum_diff(NULL, 0, buf, 12, 0);
	} else {
		__builtin_memcpy(buf, p->src, 16);
		__builtin_memcpy(buf + 4, p->dst, 16);
		buf[8] = bpf_htonl(l4len);
		buf[9] = bpf_htonl(p->l4);
		sum = bpf_csum_diff(NULL, 0, buf, 40, 0);
	}
	return sum >= 0 && fold16(sum) == field;
}

/* Flip one payload bit, chosen by the draw. wire: leave the checksum wrong. */
static __always_inline bool corrupt(struct __sk_buff *skb, const struct pkt *p, __u64 draw,
				    bool wire)
{
	__u32 span = p->paylen < CORRUPT_SPAN ? p->paylen : CORRUPT_SPAN;
	__u32 off;
	__u8 old, new;
	__u16 old16, new16;
	__u64 flags;
	bool seed;

	if (!span || !p->csum_off)
		return false;
	off = p->payoff + (__u32)((draw >> 8) % span);
	if (bpf_skb_load_bytes(skb, off, &old, 1) < 0)
		return false;
	new = old ^ (__u8)(1u << ((draw >> 3) & 7));
	seed = wire && csum_is_seed(skb, p);
	/*
	 * wire: skb->csum follows the new byte (BPF_F_RECOMPUTE_CSUM), so a
	 * CHECKSUM_COMPLETE receive path sees the data and the checksum
	 * field disagree, as a software check does. payload: the field moves
	 * by the same amount as the data, and skb->csum must stay as it was.
	 */
	if (bpf_skb_store_bytes(skb, off, &new, 1, wire ? BPF_F_RECOMPUTE_CSUM : 0) < 0)
		return false;
	if (wire && !seed)
		return true;
	/* The checksum sums 16-bit words: place the byte in its word. */
	if ((off - p->l4off) & 1) {
		old16 = bpf_htons(old);
		new16 = bpf_htons(new);
	} else {
		old16 = bpf_htons((__u16)old << 8);
		new16 = bpf_htons((__u16)new << 8);
	}
	flags = 2 | (p->l4 == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
	/*
	 * wire on a seed: the checksum is completed after this hook, over the
	 * flipped bit, and would come out right. Take the change back out of
	 * the seed (as if a pseudo-header word had moved new -> old), so the
	 * completed checksum is the one of the original data, as when a bit
	 * flips on the wire after the NIC computed it.
	 */
	if (seed)
		return bpf_l4_csum_replace(skb, p->csum_off, new16, old16,
					   flags | BPF_F_PSEUDO_HDR) == 0;
	/* ICMPv6 checksums cover a pseudo header too, but a payload change does not touch it. */
	return bpf_l4_csum_replace(skb, p->csum_off, old16, new16, flags) == 0;
}

#include "net_events.bpf.h"
#include "net_reject.bpf.h"
#include "net_pid.bpf.h"

/*
 * The rule walk: the first matching rule whose selectors fire decides.
 * Returns the action taken (FL_NET_ACT_NONE: let the packet go), having
 * already rewritten or cloned the packet for corrupt/duplicate.
 */
static __always_inline int fl_net_walk(struct __sk_buff *skb, __u32 l3off, __u8 dir,
				       bool tc, bool ingress)
{
	struct pkt p = {};

	if (parse(skb, l3off, &p) < 0)
		return FL_NET_ACT_NONE;
	for (__u32 i = 0; i < FL_NET_MAX_RULES; i++) {
		struct fl_net_counters *c;
		struct fl_net_rule *r;
		__u32 key = i;
		__u64 draw;

		if (i >= nr_rules)
			break;
		r = bpf_map_lookup_elem(&rules, &key);
		c = bpf_map_lookup_elem(&counters, &key);
		if (!r || !c || !rule_matches(r, &p, dir))
			continue;
		draw = fires(r, c);
		if (!draw)
			continue;
		switch (r->action) {
		case FL_NET_ACT_DROP:
		case FL_NET_ACT_PARTITION:
			break;
		case FL_NET_ACT_CORRUPT_WIRE:
		case FL_NET_ACT_CORRUPT_PAYLOAD:
			if (!tc || !corrupt(skb, &p, draw, r->action == FL_NET_ACT_CORRUPT_WIRE))
				return FL_NET_ACT_NONE;
			break;
		case FL_NET_ACT_DUPLICATE: {
			__u32 mark = skb->mark;

			if (!tc)
				return FL_NET_ACT_NONE;
			skb->mark = DUP_MARK;
			if (bpf_clone_redirect(skb, skb->ifindex, ingress ? BPF_F_INGRESS : 0) < 0) {
				skb->mark = mark;
				return FL_NET_ACT_NONE;
			}
			skb->mark = mark;
			break;
		}
		case FL_NET_ACT_REJECT:
			if (!tc)
				return FL_NET_ACT_NONE;
			/* No answer to give (or it could not be built): the packet is only dropped. */
			if (fl_net_reject(skb, l3off, &p) != REJECT_SENT) {
				fl_net_injected(c, i, r, &p, skb, dir, FL_NET_HOOK_TC);
				return FL_NET_ACT_DROP;
			}
			break;
		default:
			return FL_NET_ACT_NONE;
		}
		fl_net_injected(c, i, r, &p, skb, dir, tc ? FL_NET_HOOK_TC : FL_NET_HOOK_CGROUP_SKB);
		return r->action;
	}
	return FL_NET_ACT_NONE;
}

static __always_inline int tc_verdict(struct __sk_buff *skb, __u8 dir, bool ingress)
{
	int act;

	if (skb->mark == DUP_MARK || skb->mark == REJECT_MARK) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	act = fl_net_walk(skb, ETH_HLEN, dir, true, ingress);
	/* reject: the answer goes back the way the packet came. */
	if (act == FL_NET_ACT_REJECT) {
		skb->mark = REJECT_MARK;
		return bpf_redirect(skb->ifindex, ingress ? 0 : BPF_F_INGRESS);
	}
	return act == FL_NET_ACT_DROP || act == FL_NET_ACT_PARTITION ? TC_ACT_SHOT : TC_ACT_OK;
}

/*
 * A packet we let go goes on to the device's other programs (tcx's
 * TCX_NEXT, a clsact filter's "continue"), not past them: TC_ACT_OK would
 * end the walk there (TCX_PASS) and skip every program after ours.
 */
static __always_inline int tc_next(int verdict)
{
	return verdict == TC_ACT_OK ? -1 /* TC_ACT_UNSPEC */ : verdict;
}

SEC("tc")
int fl_net_tc_ingress(struct __sk_buff *skb)
{
	return tc_next(tc_verdict(skb, FL_NET_ABI_INGRESS, true));
}

SEC("tc")
int fl_net_tc_egress(struct __sk_buff *skb)
{
	return tc_next(tc_verdict(skb, FL_NET_ABI_EGRESS, false));
}

static __always_inline int skb_verdict(struct __sk_buff *skb, __u8 dir)
{
	int act;

	if (!pid_owns_skb(skb))
		return SKB_PASS;    /* --pid: another process's socket */
	act = fl_net_walk(skb, 0, dir, false, dir == FL_NET_ABI_INGRESS);
	if (act != FL_NET_ACT_DROP && act != FL_NET_ACT_PARTITION)
		return SKB_PASS;
	return dir == FL_NET_ABI_EGRESS ? SKB_DROP_CN : SKB_DROP;
}

SEC("cgroup_skb/ingress")
int fl_net_skb_ingress(struct __sk_buff *skb)
{
	return skb_verdict(skb, FL_NET_ABI_INGRESS);
}

SEC("cgroup_skb/egress")
int fl_net_skb_egress(struct __sk_buff *skb)
{
	return skb_verdict(skb, FL_NET_ABI_EGRESS);
}

/*
 * Socket calls: the cgroup sock_addr programs. The first rule of the
 * call's kind whose address, port and selectors fit decides: the call
 * fails with its errno (bpf_set_retval, return 0 = refuse) before the
 * kernel does anything; else it goes on (return 1). The address is the
 * one the call names: the destination of connect and sendmsg, the local
 * one of bind. user_ip4/user_ip6/user_port are in network order.
 */
static __always_inline int sock_verdict(struct bpf_sock_addr *ctx, __u8 proto, bool ip6)
{
	struct pkt p = {};

	if (!pid_owns_call())
		return 1;   /* --pid: another process's call */
	p.family = ip6 ? FL_NET_ABI_FAMILY_IP6 : FL_NET_ABI_FAMILY_IP4;
	p.has_ports = 1;
	if (ip6) {
		p.src[0] = ctx->user_ip6[0];
		p.src[1] = ctx->user_ip6[1];
		p.src[2] = ctx->user_ip6[2];
		p.src[3] = ctx->user_ip6[3];
	} else {
		p.src[0] = ctx->user_ip4;
	}
	p.sport = bpf_ntohs((__u16)ctx->user_port);
	/* bind names the local end (src/sport), connect and sendmsg the remote one. */
	if (proto != FL_NET_ABI_BIND) {
		__builtin_memcpy(p.dst, p.src, sizeof(p.dst));
		__builtin_memset(p.src, 0, sizeof(p.src));
		p.dport = p.sport;
		p.sport = 0;
	}
	for (__u32 i = 0; i < FL_NET_MAX_RULES; i++) {
		struct fl_net_counters *c;
		struct fl_net_rule *r;
		__u32 key = i;

		if (i >= nr_rules)
			break;
		r = bpf_map_lookup_elem(&rules, &key);
		c = bpf_map_lookup_elem(&counters, &key);
		if (!r || !c || r->proto != proto || r->action != FL_NET_ACT_ERROR)
			continue;
		/* bind's rule has no dst, connect's no src: the zeroed end matches "any". */
		if (!ends_ok(r, &p, false) || !fires(r, c))
			continue;
		fl_net_injected_call(c, i, r, &p);
		bpf_set_retval(-(int)r->error);
		return 0;
	}
	return 1;
}

SEC("cgroup/connect4")
int fl_net_connect4(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_CONNECT, false);
}

SEC("cgroup/connect6")
int fl_net_connect6(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_CONNECT, true);
}

SEC("cgroup/sendmsg4")
int fl_net_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_SENDMSG, false);
}

SEC("cgroup/sendmsg6")
int fl_net_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_SENDMSG, true);
}

SEC("cgroup/bind4")
int fl_net_bind4(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_BIND, false);
}

SEC("cgroup/bind6")
int fl_net_bind6(struct bpf_sock_addr *ctx)
{
	return sock_verdict(ctx, FL_NET_ABI_BIND, true);
}

char LICENSE[] SEC("license") = "GPL";
