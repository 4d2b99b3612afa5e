// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The names of the kernel mechanisms. They live in core because every
 * injection event names the mechanism it used; the probe, which proves
 * each one, sits a floor above.
 */
#include <errno.h>
#include <string.h>

#include <faultline/mechanism.h>

static const char *const names[FL_MECH__COUNT] = {
	[FL_MECH_TRACEPOINT]        = "tracepoint",
	[FL_MECH_RAW_TP]            = "raw-tp",
	[FL_MECH_TP_BTF]            = "tp-btf",
	[FL_MECH_SEND_SIGNAL]       = "send-signal",
	[FL_MECH_BPF_LOOP_DELAY]    = "bpf-loop-delay",
	[FL_MECH_CGROUP_SOCK]       = "cgroup-sock",
	[FL_MECH_CGROUP_SKB]        = "cgroup-skb",
	[FL_MECH_TC]                = "tc",
	[FL_MECH_XDP]               = "xdp",
	[FL_MECH_SECCOMP_NOTIFY]    = "seccomp-notify",
	[FL_MECH_FUSE]              = "fuse",
	[FL_MECH_FENTRY]            = "fentry",
	[FL_MECH_FMOD_RET_SECURITY] = "fmod-ret-security",
	[FL_MECH_BPF_LSM]           = "bpf-lsm",
	[FL_MECH_FMOD_RET_SYSCALL]  = "fmod-ret-syscall",
	[FL_MECH_KPROBE_OVERRIDE]   = "kprobe-override",
	[FL_MECH_NETEM]             = "netem",
	[FL_MECH_FQ]                = "fq",
	[FL_MECH_HTB]               = "htb",
	[FL_MECH_TBF]               = "tbf",
	[FL_MECH_NFQUEUE]           = "nfqueue",
	[FL_MECH_CGROUP2]           = "cgroup2",
	[FL_MECH_SIGSTOP]           = "sigstop",
	[FL_MECH_BPF_SOCK_DESTROY]  = "bpf-sock-destroy",
	[FL_MECH_SOCK_DIAG_DESTROY] = "sock-diag-destroy",
	[FL_MECH_NFT_QUEUE]         = "nft-queue",
};

const char *fl_mechanism_name(enum fl_mechanism mech)
{
	if ((unsigned)mech >= FL_MECH__COUNT)
		return "unknown";
	return names[mech];
}

int fl_mechanism_from_name(const char *name, enum fl_mechanism *ret)
{
	for (unsigned i = 0; i < FL_MECH__COUNT; i++) {
		if (strcmp(names[i], name) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -ENOENT;
}
