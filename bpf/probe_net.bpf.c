// SPDX-License-Identifier: GPL-2.0
/*
 * Probe programs for the cgroup and packet mechanisms. Each matches only a
 * distinctive flow on 127.0.0.1 (or a raw socket of an experimental
 * protocol), so even a stray attachment would touch nothing else. The
 * errnos are ones the kernel never returns for these calls by itself, so
 * seeing them proves the program decided.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET         2
#define SOCK_RAW        3
#define ETH_P_IP        0x0800
#define ETH_HLEN        14
#define IPPROTO_UDP     17
#define LOOPBACK        0x7f000001
#define TC_ACT_OK       0
#define TC_ACT_SHOT     2

#define EPFNOSUPPORT    96
#define ENETUNREACH     101
#define EHOSTUNREACH    113

const volatile __u32 raw_proto;  /* sock_create: deny AF_INET raw sockets of this protocol */
const volatile __u16 deny_port;  /* connect4/sendmsg4/packet filters: this port on 127.0.0.1 */

__u64 hits;

SEC("cgroup/sock_create")
int fl_probe_sock(struct bpf_sock *ctx)
{
	if (ctx->family != AF_INET || ctx->type != SOCK_RAW || ctx->protocol != raw_proto)
		return 1;
	__sync_fetch_and_add(&hits, 1);
	bpf_set_retval(-EPFNOSUPPORT);
	return 0;
}

SEC("cgroup/connect4")
int fl_probe_conn4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 != bpf_htonl(LOOPBACK) || ctx->user_port != bpf_htons(deny_port))
		return 1;
	__sync_fetch_and_add(&hits, 1);
	bpf_set_retval(-ENETUNREACH);
	return 0;
}

SEC("cgroup/sendmsg4")
int fl_probe_send4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 != bpf_htonl(LOOPBACK) || ctx->user_port != bpf_htons(deny_port))
		return 1;
	__sync_fetch_and_add(&hits, 1);
	bpf_set_retval(-EHOSTUNREACH);
	return 0;
}

/* Is the IPv4 packet at off a UDP datagram to 127.0.0.1:deny_port? */
static __always_inline bool skb_matches(struct __sk_buff *skb, __u32 off)
{
	struct iphdr ip;
	struct udphdr udp;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
		return false;
	if (ip.version != 4 || ip.protocol != IPPROTO_UDP || ip.daddr != bpf_htonl(LOOPBACK))
		return false;
	if (bpf_skb_load_bytes(skb, off + ip.ihl * 4, &udp, sizeof(udp)) < 0)
		return false;
	return udp.dest == bpf_htons(deny_port);
}

SEC("cgroup_skb/egress")
int fl_probe_skb(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP) || !skb_matches(skb, 0))
		return 1;
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tc")
int fl_probe_tc(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP) || !skb_matches(skb, ETH_HLEN))
		return TC_ACT_OK;
	__sync_fetch_and_add(&hits, 1);
	return TC_ACT_SHOT;
}

SEC("xdp")
int fl_probe_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5 ||
	    ip->daddr != bpf_htonl(LOOPBACK))
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(deny_port))
		return XDP_PASS;
	__sync_fetch_and_add(&hits, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
