/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI shared by the BPF programs in bpf/ and by userspace: fault
 * domains, actions, kernel mechanisms and the one injection event that
 * every domain reports through its ring buffer.
 *
 * Only fixed-width kernel types are used, so this header compiles both
 * against vmlinux.h (BPF side) and against <linux/types.h> (userspace).
 * Values are part of the ABI: append, never renumber.
 */
#ifndef FAULTLINE_ABI_H
#define FAULTLINE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FL_COMM_LEN 16
#define FL_PATH_LEN 128

enum fl_domain {
	FL_DOMAIN_SYSCALL = 0,
	FL_DOMAIN_NET     = 1,
	FL_DOMAIN_FS      = 2,
	FL_DOMAIN_PROC    = 3,
	FL_DOMAIN__COUNT,
};

enum fl_action {
	FL_ACTION_NONE      = 0,
	FL_ACTION_ERROR     = 1,  /* error=ERRNO */
	FL_ACTION_RETVAL    = 2,  /* retval=N (fake success) */
	FL_ACTION_DELAY     = 3,  /* delay=DUR[~JITTER] */
	FL_ACTION_SIGNAL    = 4,  /* signal=SIG (crash point) */
	FL_ACTION_PAUSE     = 5,  /* pause=DUR (SIGSTOP, then SIGCONT) */
	FL_ACTION_DROP      = 6,  /* packet dropped / write acknowledged, never persisted */
	FL_ACTION_CORRUPT   = 7,  /* corrupt=bitflip|zero|random */
	FL_ACTION_TORN      = 8,  /* torn=SECTOR */
	FL_ACTION_POWERCUT  = 9,  /* powercut=before|after */
	FL_ACTION_FSYNCGATE = 10, /* fsync fails once, dirty data dropped */
	FL_ACTION_DUPLICATE = 11, /* packet sent twice */
	FL_ACTION_REORDER   = 12, /* bare 'reorder': parsed, refused by the net domain (reorder=P% goes with delay=) */
	FL_ACTION_RATE      = 13, /* rate=BITS_PER_SECOND */
	FL_ACTION_REJECT    = 14, /* packet dropped, peer told at once (TCP RST / ICMP unreachable) */
	FL_ACTION_PARTITION = 15, /* matching traffic dropped in both directions */
	FL_ACTION_RESET     = 16, /* established matching TCP connections torn down */
	FL_ACTION__COUNT,
};

/* Every kernel (or userspace) mechanism faultline can inject through. */
enum fl_mechanism {
	FL_MECH_TRACEPOINT       = 0,  /* tracepoint syscalls:sys_enter_* */
	FL_MECH_RAW_TP           = 1,  /* raw_tracepoint sys_enter */
	FL_MECH_TP_BTF           = 2,  /* tp_btf/sys_enter */
	FL_MECH_SEND_SIGNAL      = 3,  /* bpf_send_signal at syscall entry */
	FL_MECH_BPF_LOOP_DELAY   = 4,  /* bounded bpf_loop spin in a tracepoint */
	FL_MECH_CGROUP_SOCK      = 5,  /* cgroup sock_create/connect/sendmsg + bpf_set_retval */
	FL_MECH_CGROUP_SKB       = 6,
	FL_MECH_TC               = 7,  /* tc clsact BPF classifier */
	FL_MECH_XDP              = 8,
	FL_MECH_SECCOMP_NOTIFY   = 9,  /* SECCOMP_RET_USER_NOTIF supervisor */
	FL_MECH_FUSE             = 10,
	FL_MECH_FENTRY           = 11, /* fentry/fexit */
	FL_MECH_FMOD_RET_SECURITY = 12, /* fmod_ret on security_* hooks */
	FL_MECH_BPF_LSM          = 13,
	FL_MECH_FMOD_RET_SYSCALL = 14, /* fmod_ret on __x64_sys_* */
	FL_MECH_KPROBE_OVERRIDE  = 15, /* kprobe + bpf_override_return */
	FL_MECH_NETEM            = 16,
	FL_MECH_FQ               = 17,
	FL_MECH_HTB              = 18,
	FL_MECH_TBF              = 19,
	FL_MECH_NFQUEUE          = 20,
	FL_MECH_CGROUP2          = 21, /* a writable cgroup v2 hierarchy */
	FL_MECH_SIGSTOP          = 22, /* userspace SIGSTOP/SIGCONT */
	FL_MECH_BPF_SOCK_DESTROY = 23, /* TCP socket iterator + bpf_sock_destroy (6.5+) */
	FL_MECH_SOCK_DIAG_DESTROY = 24, /* sock_diag SOCK_DESTROY (ss -K) */
	FL_MECH_NFT_QUEUE        = 25, /* NFQUEUE through nftables' native queue statement */
	FL_MECH__COUNT,
};

/* Outcome of one injection, as seen by the injector. */
enum fl_result {
	FL_RESULT_INJECTED = 0, /* the fault was applied */
	FL_RESULT_FAILED   = 1, /* the mechanism tried and failed (value holds -errno) */
	FL_RESULT_SKIPPED  = 2, /* matched but not injected (when=/prob=/count=) */
};

/*
 * One injection. Written by BPF programs into their ring buffer and by
 * userspace injectors (seccomp supervisor, faultfs) into the same stream.
 */
struct fl_event {
	__u64 ts_ns;      /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;        /* tgid */
	__u32 tid;
	char  comm[FL_COMM_LEN];
	__u16 domain;     /* enum fl_domain */
	__u16 rule_id;    /* index of the rule on the command line, from 0 */
	__u16 action;     /* enum fl_action */
	__u16 mechanism;  /* enum fl_mechanism */
	__u32 result;     /* enum fl_result */
	__s32 op;         /* syscall number, fs operation, or -1 */
	__s64 value;      /* errno, signal, delay ns, ... depending on action */
	__u64 seq;        /* nth matching call for this rule, from 1 */
};

#endif /* FAULTLINE_ABI_H */
