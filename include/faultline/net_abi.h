/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The network domain's ABI between its BPF programs (bpf/net.bpf.c) and
 * userspace (userspace/net/): the compiled rule, one slot per rule, and
 * its counters. The rule text (`udp:dport=5000:drop:prob=30%`) is parsed
 * by core; this is what the parsed rule compiles to.
 *
 * Only fixed-width kernel types, so it compiles against vmlinux.h and
 * <linux/types.h> alike. Append, never renumber.
 */
#ifndef FAULTLINE_NET_ABI_H
#define FAULTLINE_NET_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FL_NET_MAX_RULES 16
#define FL_NET_PPM       1000000u

/* Which packets a rule looks at. Non-IP packets (ARP, ...) match no rule. */
enum fl_net_abi_proto {
	FL_NET_ABI_ANY = 0,  /* any IPv4 or IPv6 packet */
	FL_NET_ABI_IP,       /* any IPv4 packet */
	FL_NET_ABI_IP6,      /* any IPv6 packet */
	FL_NET_ABI_TCP,
	FL_NET_ABI_UDP,
	FL_NET_ABI_ICMP,     /* ICMP over IPv4, ICMPv6 over IPv6 */
	/*
	 * Socket calls, seen by the cgroup sock_addr programs (connect4/6,
	 * sendmsg4/6, bind4/6) and by no packet program. connect and sendmsg
	 * match dst/dport (the address asked for), bind src/sport. sendmsg
	 * is a UDP (or raw) send with an address: sendto/sendmsg. Action:
	 * FL_NET_ACT_ERROR only.
	 */
	FL_NET_ABI_CONNECT,
	FL_NET_ABI_SENDMSG,
	FL_NET_ABI_BIND,
};

/* dir bits; a rule with neither matches nothing (the loader refuses it). */
#define FL_NET_ABI_EGRESS  1u
#define FL_NET_ABI_INGRESS 2u
#define FL_NET_ABI_BOTH    (FL_NET_ABI_EGRESS | FL_NET_ABI_INGRESS)

enum fl_net_action {
	FL_NET_ACT_NONE = 0,
	FL_NET_ACT_DROP,            /* blackhole: the peer times out */
	/*
	 * Drop both ways: the rule also matches with src/dst and sport/dport
	 * swapped, on ingress and egress whatever dir says.
	 */
	FL_NET_ACT_PARTITION,
	/*
	 * Flip one payload bit and leave the L4 checksum that of the original
	 * data (also when the device completes it later): the receiver's check
	 * drops it. Packets without payload are left alone.
	 */
	FL_NET_ACT_CORRUPT_WIRE,
	/* Flip one payload bit and fix the L4 checksum: only the application can tell. */
	FL_NET_ACT_CORRUPT_PAYLOAD,
	/* Send the packet twice (bpf_clone_redirect): tc targets only. */
	FL_NET_ACT_DUPLICATE,
	/*
	 * The socket call fails with -error (bpf_set_retval) before the
	 * kernel does it: socket-call protocols only, cgroup targets only.
	 */
	FL_NET_ACT_ERROR,
	/*
	 * The packet is dropped and answered (tc targets only): a TCP segment
	 * with a RST, anything else with an ICMP/ICMPv6 destination
	 * unreachable, redirected back the way the packet came.
	 */
	FL_NET_ACT_REJECT = 16,
	/* Not done by bpf/net.bpf.c (netem or NFQUEUE, htb/tbf): reserved. */
	FL_NET_ACT_DELAY,
	FL_NET_ACT_RATE,
	/*
	 * Established TCP connections that fit the rule are torn down
	 * (userspace/net/reset.c: sock_diag SOCK_DESTROY or bpf_sock_destroy);
	 * the packet programs skip the rule. tcp only.
	 */
	FL_NET_ACT_RESET,
};

/* AF_INET / AF_INET6 values, for family below without <sys/socket.h>. */
#define FL_NET_ABI_FAMILY_ANY 0
#define FL_NET_ABI_FAMILY_IP4 2
#define FL_NET_ABI_FAMILY_IP6 10

struct fl_net_rule {
	__u8 proto;          /* enum fl_net_abi_proto */
	__u8 dir;            /* FL_NET_DIR_* bits */
	__u8 action;         /* enum fl_net_action */
	/*
	 * Address family of src/dst: FL_NET_ABI_FAMILY_ANY when neither is set
	 * (then src_plen = dst_plen = 0). An IPv4 address sits in the first 4
	 * bytes, network order.
	 */
	__u8 family;
	__u8 src_plen;       /* prefix lengths; 0 = any address */
	__u8 dst_plen;
	__u8 _pad[2];
	__u8 src[16];
	__u8 dst[16];
	/* Port ranges, host order, inclusive; 0..0 = any. Only TCP/UDP have ports. */
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u32 prob_ppm;      /* chance per matching packet; 0 or >= FL_NET_PPM = always */
	__u32 error;         /* FL_NET_ACT_ERROR: the errno, positive; else 0 */
	/*
	 * when=: the rule's matching packets are numbered from 1 in the order
	 * the programs see them; only numbers first, first+step, ... up to last
	 * are candidates. first 0 is taken as 1, last 0 as no end, step 0 as
	 * 1 (all three 0: every match).
	 */
	__u64 when_first, when_last, when_step;
	__u64 count;         /* at most this many injections; 0 = no limit */
	__u64 until_ns;      /* bpf_ktime_get_ns (CLOCK_MONOTONIC) end; 0 = no end */
	/*
	 * prob= draws splitmix64(seed + n * golden) for match number n, so a
	 * seed gives the same choices for the same sequence of matches.
	 */
	__u64 seed;
};

/* Per-rule counters (an array map, updated with atomic adds). */
struct fl_net_counters {
	__u64 matched;       /* packets that matched the rule's protocol/addresses/ports/dir */
	__u64 injected;      /* packets the action was applied to */
	__u64 claimed;       /* internal: count= budget taken (>= injected) */
	/* injections whose event found the ring buffer full (not logged, still counted above) */
	__u64 events_lost;
};

/*
 * One injection, as the programs write it into their ring buffer map
 * `events` (FL_NET_EVENTS_RING bytes). A full ring never holds a packet
 * up: the record is given up and counted in events_lost instead.
 */
#define FL_NET_EVENTS_RING (1u << 20)

/* Which program injected. */
enum fl_net_hook {
	FL_NET_HOOK_TC = 1,          /* tc clsact (device, netns) */
	FL_NET_HOOK_CGROUP_SKB,      /* cgroup_skb (cgroup) */
	FL_NET_HOOK_CGROUP_SOCK,     /* cgroup sock_addr (connect, sendmsg, bind) */
	/* Userspace only: the NFQUEUE delay line's events (<faultline/net_delay.h>). */
	FL_NET_HOOK_NFQUEUE,         /* its rules are iptables-nft's NFQUEUE target */
	FL_NET_HOOK_NFT_QUEUE,       /* its rules are nft's native queue */
};

struct fl_net_event {
	__u64 ts_ns;         /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u64 seq;           /* the nth injection of this kernel rule, from 1 (a gap = a lost event) */
	__u32 rule;          /* kernel rule index (the slot in `rules`) */
	__u32 pid;           /* tgid of the caller for socket calls; 0 for packets (no process known) */
	__u8 action;         /* enum fl_net_action */
	__u8 dir;            /* FL_NET_ABI_EGRESS or FL_NET_ABI_INGRESS */
	__u8 family;         /* FL_NET_ABI_FAMILY_IP4/IP6 */
	__u8 l4;             /* IPPROTO_* of the packet (no IPv6 extension headers), 0 if none */
	__u8 hook;           /* enum fl_net_hook */
	__u8 call;           /* socket calls: FL_NET_ABI_CONNECT/SENDMSG/BIND; else 0 */
	__u16 _pad;
	__u32 ifindex;       /* the packet's device; 0 for socket calls */
	__u32 len;           /* skb->len; 0 for socket calls */
	__s32 error;         /* FL_NET_ACT_ERROR: the errno (positive); else 0 */
	__u8 src[16];        /* network order; IPv4 in the first 4 bytes */
	__u8 dst[16];
	__u16 sport, dport;  /* host order; 0 without ports */
	char comm[16];       /* socket calls: the caller's comm; else "" */
};

#endif /* FAULTLINE_NET_ABI_H */
