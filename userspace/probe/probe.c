// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The probe's table: the function that proves each mechanism,
 * and the ladders that pick a mechanism per fault type (DESIGN.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <faultline/kernfs.h>

#include "probe/probe_internal.h"

/* The function that proves each mechanism (names: core/mechanism.c). */
static int (*const probes[FL_MECH__COUNT])(struct fl_probe_result *r) = {
	[FL_MECH_TRACEPOINT]        = fl_probe_tracepoint,
	[FL_MECH_RAW_TP]            = fl_probe_raw_tp,
	[FL_MECH_TP_BTF]            = fl_probe_tp_btf,
	[FL_MECH_SEND_SIGNAL]       = fl_probe_send_signal,
	[FL_MECH_BPF_LOOP_DELAY]    = fl_probe_bpf_loop_delay,
	[FL_MECH_CGROUP_SOCK]       = fl_probe_cgroup_sock,
	[FL_MECH_CGROUP_SKB]        = fl_probe_cgroup_skb,
	[FL_MECH_TC]                = fl_probe_tc,
	[FL_MECH_XDP]               = fl_probe_xdp,
	[FL_MECH_SECCOMP_NOTIFY]    = fl_probe_seccomp_notify,
	[FL_MECH_FUSE]              = fl_probe_fuse,
	[FL_MECH_FENTRY]            = fl_probe_fentry,
	[FL_MECH_FMOD_RET_SECURITY] = fl_probe_fmod_ret_security,
	[FL_MECH_BPF_LSM]           = fl_probe_bpf_lsm,
	[FL_MECH_FMOD_RET_SYSCALL]  = fl_probe_fmod_ret_syscall,
	[FL_MECH_KPROBE_OVERRIDE]   = fl_probe_kprobe_override,
	[FL_MECH_NETEM]             = fl_probe_netem,
	[FL_MECH_FQ]                = fl_probe_fq,
	[FL_MECH_HTB]               = fl_probe_htb,
	[FL_MECH_TBF]               = fl_probe_tbf,
	[FL_MECH_NFQUEUE]           = fl_probe_nfqueue,
	[FL_MECH_CGROUP2]           = fl_probe_cgroup2,
	[FL_MECH_SIGSTOP]           = fl_probe_sigstop,
	[FL_MECH_BPF_SOCK_DESTROY]  = fl_probe_bpf_sock_destroy,
	[FL_MECH_SOCK_DIAG_DESTROY] = fl_probe_sock_diag_destroy,
	[FL_MECH_NFT_QUEUE]         = fl_probe_nft_queue,
};

static const char *const fault_names[FL_FAULT__COUNT] = {
	[FL_FAULT_ERRNO_RUNNING]  = "syscall-errno-running",
	[FL_FAULT_ERRNO_LAUNCHED] = "syscall-errno-launched",
	[FL_FAULT_DELAY_RUNNING]  = "syscall-delay-running",
	[FL_FAULT_DELAY_LAUNCHED] = "syscall-delay-launched",
	[FL_FAULT_CRASH_POINT]    = "crash-point",
	[FL_FAULT_PROCESS_PAUSE]  = "process-pause",
	[FL_FAULT_SOCKET_ERRNO]   = "socket-errno-running",
	[FL_FAULT_PACKET_DROP]    = "packet-drop-corrupt-partition",
	[FL_FAULT_PACKET_DELAY]   = "packet-delay-loss-reorder",
	[FL_FAULT_PACKET_RATE]    = "packet-rate",
	[FL_FAULT_STORAGE]        = "storage",
	[FL_FAULT_TCP_RESET]      = "tcp-reset",
};

/*
 * Each rung: a mechanism, and why one would use it. A rung with a second
 * mechanism needs both (an NFQUEUE delay line still needs tc to scope it).
 */
struct rung {
	enum fl_mechanism mech;
	const char *why;
};

#define LADDER_MAX 4
struct ladder {
	struct rung rungs[LADDER_MAX];
	unsigned n;
	const char *none; /* what to say when no rung works */
};

static const struct ladder ladders[FL_FAULT__COUNT] = {
	[FL_FAULT_ERRNO_RUNNING] = { .n = 4, .rungs = {
		{ FL_MECH_FMOD_RET_SYSCALL, "fmod_ret on the syscall: any syscall, any errno" },
		{ FL_MECH_KPROBE_OVERRIDE, "kprobe override on the syscall: any syscall, any errno" },
		{ FL_MECH_BPF_LSM, "BPF LSM hooks: the syscalls an LSM hook covers (open, read/write, mmap, connect, unlink, rename, ...)" },
		{ FL_MECH_FMOD_RET_SECURITY, "fmod_ret on security_* hooks: the syscalls an LSM hook covers" },
	}, .none = "no mechanism for errno on a running process: launch the command under faultline (seccomp-notify), or use cgroup-sock for socket calls" },
	[FL_FAULT_ERRNO_LAUNCHED] = { .n = 1, .rungs = {
		{ FL_MECH_SECCOMP_NOTIFY, "seccomp user notification: any syscall, decided in the supervisor" },
	}, .none = "seccomp user notification is unavailable: no errno injection for launched commands" },
	[FL_FAULT_DELAY_RUNNING] = { .n = 2, .rungs = {
		{ FL_MECH_BPF_LOOP_DELAY, "bounded in-kernel spin at syscall entry (burns CPU for the delay)" },
		{ FL_MECH_SIGSTOP, "SIGSTOP/SIGCONT: stalls the whole process, not one call" },
	}, .none = "no way to stall a running process" },
	[FL_FAULT_DELAY_LAUNCHED] = { .n = 2, .rungs = {
		{ FL_MECH_SECCOMP_NOTIFY, "seccomp notification: the supervisor sleeps, no CPU burn" },
		{ FL_MECH_BPF_LOOP_DELAY, "bounded in-kernel spin at syscall entry" },
	}, .none = "no mechanism to delay syscalls" },
	[FL_FAULT_CRASH_POINT] = { .n = 2, .rungs = {
		{ FL_MECH_SEND_SIGNAL, "bpf_send_signal at sys_enter: the process never sees the call return (the kernel may still complete it)" },
		{ FL_MECH_SECCOMP_NOTIFY, "seccomp notification: the supervisor kills before answering (launched targets)" },
	}, .none = "no crash-point mechanism" },
	[FL_FAULT_PROCESS_PAUSE] = { .n = 1, .rungs = {
		{ FL_MECH_SIGSTOP, "SIGSTOP, then SIGCONT after the duration" },
	}, .none = "signals cannot be sent" },
	[FL_FAULT_SOCKET_ERRNO] = { .n = 4, .rungs = {
		{ FL_MECH_FMOD_RET_SYSCALL, "fmod_ret on the socket syscalls" },
		{ FL_MECH_BPF_LSM, "BPF LSM socket hooks" },
		{ FL_MECH_FMOD_RET_SECURITY, "fmod_ret on security_socket_* hooks" },
		{ FL_MECH_CGROUP_SOCK, "cgroup sock_create/connect/sendmsg hooks with bpf_set_retval (target must be in a cgroup)" },
	}, .none = "no socket errno mechanism for running processes" },
	/*
	 * The packet rows name what `faultline net` uses (XDP is not one: it
	 * sees ingress only, and net never attaches it). The drop row's why
	 * gets the cgroup targets' mechanism added (net_drop_why).
	 */
	[FL_FAULT_PACKET_DROP] = { .n = 2, .rungs = {
		{ FL_MECH_TC, "faultline net: tc BPF on --dev/--netns (tcx links, else clsact): drop, partition, corrupt, duplicate" },
		{ FL_MECH_CGROUP_SKB, "faultline net: cgroup_skb on --cgroup/--pid/-- CMD (drop, partition); no tc, so --dev/--netns cannot be served" },
	}, .none = "neither tc clsact nor cgroup_skb works: faultline net cannot drop packets" },
	[FL_FAULT_PACKET_DELAY] = { .n = 3, .rungs = {
		{ FL_MECH_NETEM, "faultline net delay=: netem under an HTB class, scoped by a tc BPF classifier (ingress through an IFB)" },
		{ FL_MECH_NFT_QUEUE, "faultline net delay=: NFQUEUE delay line in userspace, nft native queue rules in a table of its own (netem is missing)" },
		{ FL_MECH_NFQUEUE, "faultline net delay=: NFQUEUE delay line in userspace, iptables-nft rules (netem and nft's queue are missing)" },
	}, .none = "neither netem nor NFQUEUE: faultline net cannot delay packets" },
	/* What faultline net's rate= uses (<faultline/net_shape.h>): HTB only. */
	[FL_FAULT_PACKET_RATE] = { .n = 1, .rungs = {
		{ FL_MECH_HTB, "faultline net rate=: HTB class fed by a tc BPF classifier (ingress through an IFB)" },
	}, .none = "no HTB (sch_htb, CONFIG_NET_SCH_HTB): faultline net cannot limit the rate" },
	[FL_FAULT_STORAGE] = { .n = 1, .rungs = {
		{ FL_MECH_FUSE, "faultfs FUSE overlay" },
	}, .none = "FUSE is unavailable: load the fuse module (modprobe fuse) and install fuse3" },
	[FL_FAULT_TCP_RESET] = { .n = 2, .rungs = {
		{ FL_MECH_BPF_SOCK_DESTROY, "bpf_sock_destroy from a TCP socket iterator, inside the target's netns" },
		{ FL_MECH_SOCK_DIAG_DESTROY, "sock_diag SOCK_DESTROY per connection (as ss -K)" },
	}, .none = "neither bpf_sock_destroy nor SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY): partition works (the connections then time out)" },
};

const char *fl_fault_kind_name(enum fl_fault_kind kind)
{
	if ((unsigned)kind >= FL_FAULT__COUNT)
		return "unknown";
	return fault_names[kind];
}

int fl_probe_mechanism(enum fl_mechanism mech, struct fl_probe_result *ret)
{
	struct fl_probe_result r = { 0 };
	int err;

	if ((unsigned)mech >= FL_MECH__COUNT)
		return -EINVAL;
	/* Probed as used: with tracefs, bpffs and cgroup2 there (once a process). */
	fl_kernfs_ensure(FL_KERNFS_ALL, NULL);
	err = probes[mech](&r);
	if (err < 0)
		return err;
	*ret = r;
	return 0;
}

/* tc serves devices; what serves cgroup targets is cgroup_skb, if it works. */
static void net_drop_why(const struct fl_probe_report *report, struct fl_probe_pick *p)
{
	const struct fl_probe_result *skb = &report->mech[FL_MECH_CGROUP_SKB];
	size_t at = strlen(p->why);

	if (!p->found || p->mech != FL_MECH_TC || at >= sizeof(p->why))
		return;
	if (skb->status == FL_PROBE_WORKS)
		snprintf(p->why + at, sizeof(p->why) - at,
			 "; cgroup_skb on --cgroup/--pid/-- CMD (drop, partition)");
	else
		snprintf(p->why + at, sizeof(p->why) - at,
			 "; --cgroup/--pid/-- CMD cannot be served (cgroup-skb %s)",
			 fl_probe_status_name(skb->status));
}

void fl_probe_pick_all(struct fl_probe_report *report)
{
	for (unsigned k = 0; k < FL_FAULT__COUNT; k++) {
		const struct ladder *l = &ladders[k];
		struct fl_probe_pick *p = &report->pick[k];

		memset(p, 0, sizeof(*p));
		for (unsigned i = 0; i < l->n; i++) {
			if (report->mech[l->rungs[i].mech].status != FL_PROBE_WORKS)
				continue;
			p->found = true;
			p->mech = l->rungs[i].mech;
			snprintf(p->why, sizeof(p->why), "%s", l->rungs[i].why);
			break;
		}
		if (!p->found)
			snprintf(p->why, sizeof(p->why), "%s", l->none);
	}
	net_drop_why(report, &report->pick[FL_FAULT_PACKET_DROP]);
}

void fl_probe_identify(struct fl_probe_report *report)
{
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(report->kernel_release, sizeof(report->kernel_release), "%s", u.release);
	/* The lockdown mode is read from securityfs. */
	fl_kernfs_ensure(FL_KERNFS_ALL, NULL);
	fl_probe_read_lockdown(report->lockdown, sizeof(report->lockdown));
	report->mounted = fl_kernfs_mounted();
}

int fl_probe_all(struct fl_probe_report *ret)
{
	struct fl_probe_report *rep = ret;
	bool every[FL_MECH__COUNT];
	int err;

	memset(rep, 0, sizeof(*rep));
	/* First: a tracepoint probe on an unmounted tracefs would say "missing". */
	fl_probe_identify(rep);

	for (unsigned m = 0; m < FL_MECH__COUNT; m++)
		every[m] = true;
	err = fl_probe_parallel(every, fl_probe_mechanism, rep->mech);
	if (err < 0)
		return err;
	fl_probe_pick_all(rep);
	return 0;
}
