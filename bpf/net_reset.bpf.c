// SPDX-License-Identifier: GPL-2.0
/*
 * reset through bpf_sock_destroy (kernel 6.5+): a TCP socket iterator
 * (iter/tcp) that aborts the sockets whose cookies userspace put in
 * doomed, and marks each it aborted (value 1). Userspace
 * (userspace/net/reset.c) picks the connections from a sock_diag dump and
 * creates the iterator inside the target's netns: the iterator walks the
 * netns that was current when its fd was made. Where this does not load
 * (older kernels, tracing programs refused), reset.c sends sock_diag
 * SOCK_DESTROY instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define FL_NET_RESET_MAX 1024

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_NET_RESET_MAX);
	__type(key, __u64);
	__type(value, __u8);
} doomed SEC(".maps");

int bpf_sock_destroy(struct sock_common *sk) __ksym;

SEC("iter/tcp")
int fl_net_reset_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *sk = ctx->sk_common;
	__u64 cookie;
	__u8 *v, done = 1;

	/* (Reading a field also puts sock_common itself in the object's BTF, which
	 * libbpf needs to match bpf_sock_destroy's prototype with the kernel's.) */
	if (!sk || (sk->skc_family != 2 && sk->skc_family != 10))
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	v = bpf_map_lookup_elem(&doomed, &cookie);
	if (v && !*v && bpf_sock_destroy(sk) == 0)
		bpf_map_update_elem(&doomed, &cookie, &done, BPF_EXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
