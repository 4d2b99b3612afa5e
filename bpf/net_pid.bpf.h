/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --pid: one process's sockets inside its cgroup. The cgroup_skb and
 * sock_addr programs stay on the process's cgroup (the only hooks that see
 * its traffic without moving it); with pid_tgid set they act only on
 * packets of the sockets marked in pid_socks, and on socket calls the
 * process makes (its tgid: every thread of it).
 *
 * A socket is marked (socket-local storage, freed with the socket):
 * - at arm, by userspace (userspace/net/attach_pid.c), for the IPv4/IPv6
 *   sockets in the process's file table then (inherited or passed ones
 *   included): it takes a copy of each (pidfd_getfd) and updates this map
 *   with it. (A task_file iterator cannot: the socket it reaches through
 *   the file is an untrusted pointer, which bpf_sk_storage_get refuses.)
 * - while armed, by fl_net_pid_sock_create (cgroup/sock_create), when the
 *   process creates one;
 * - a connection accepted on a marked listener carries the mark (the map
 *   is BPF_F_CLONE: the kernel copies it to the child socket).
 * Userspace attaches sock_create before it walks the file table, so no
 * socket falls between the two. Included after struct pkt is defined.
 */
#ifndef FL_NET_PID_BPF_H
#define FL_NET_PID_BPF_H

#define FL_AF_INET  2
#define FL_AF_INET6 10

/* The target's tgid (in the initial pid namespace); 0 = every socket of the cgroup. */
const volatile __u32 pid_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, __u8);
} pid_socks SEC(".maps");

/* Is this packet's socket one of the process's? Always true without --pid. */
static __always_inline bool pid_owns_skb(struct __sk_buff *skb)
{
	struct bpf_sock *sk, *full;

	if (!pid_tgid)
		return true;
	sk = skb->sk;
	if (!sk)
		return false;
	full = bpf_sk_fullsock(sk);
	/* A SYN-ACK leaves on the request socket: its listener decides. */
	if (!full)
		full = bpf_get_listener_sock(sk);
	if (!full)
		return false;   /* a TIME_WAIT socket's last packets: not the process's any more */
	return bpf_sk_storage_get(&pid_socks, full, 0, 0) != NULL;
}

/* Is the caller of this socket call the process (any of its threads)? */
static __always_inline bool pid_owns_call(void)
{
	return !pid_tgid || (__u32)(bpf_get_current_pid_tgid() >> 32) == pid_tgid;
}

SEC("cgroup/sock_create")
int fl_net_pid_sock_create(struct bpf_sock *ctx)
{
	if (pid_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) == pid_tgid &&
	    (ctx->family == FL_AF_INET || ctx->family == FL_AF_INET6))
		bpf_sk_storage_get(&pid_socks, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;   /* never refuses a socket */
}

/*
 * At arm, after the marking: the cgroup each of the process's IPv4/IPv6
 * sockets was created in (its cgroup id, one u64 per socket, to the
 * reader). cgroup_skb sees a socket through that cgroup, not through the
 * process's present one: a socket made before the process was moved, or
 * inherited from a parent elsewhere, needs the programs there too. Only
 * reads: the socket behind a file is an untrusted pointer to the verifier,
 * which allows loads from it but no helper call on it.
 */
SEC("iter/task_file")
int fl_net_pid_cgroups(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;
	__u64 id;
	__u16 family;

	if (!task || !file || (__u32)task->tgid != pid_tgid)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != FL_AF_INET && family != FL_AF_INET6)
		return 0;
	if (!sk->sk_cgrp_data.cgroup)
		return 0;
	id = sk->sk_cgrp_data.cgroup->kn->id;
	bpf_seq_write(ctx->meta->seq, &id, sizeof(id));
	return 0;
}

#endif /* FL_NET_PID_BPF_H */
