/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The syscall domain's ABI between its BPF programs (bpf/syscall*.bpf.c,
 * which share bpf/syscall_rules.bpf.h) and userspace: one rule slot per
 * command-line rule, the per-rule counters, and the target selectors.
 * Injections themselves are reported as struct fl_event (abi.h).
 *
 * Like abi.h, only fixed-width kernel types, so it compiles against
 * vmlinux.h and <linux/types.h> alike. Append, never renumber.
 */
#ifndef FAULTLINE_SYSCALL_ABI_H
#define FAULTLINE_SYSCALL_ABI_H

#include <faultline/abi.h>

#define FL_SC_MAX_RULES 16
/* Syscall numbers below this fit the per-rule bitmap (x86_64 and arm64 do). */
#define FL_SC_NR_MAX    512
#define FL_SC_MASK_WORDS (FL_SC_NR_MAX / 64)
#define FL_SC_PPM       1000000u
#define FL_SC_INF       (~(__u64)0)
#define FL_SC_MAX_CGROUPS 4

/*
 * delay= on a running target spins the calling thread in the kernel
 * (bpf_loop). The spin cannot be preempted (kernels built with
 * PREEMPT_NONE, as this project's are, never preempt kernel code), so a
 * process that shares the CPU waits for all of it: a 100 ms spin stalled a
 * bystander's call by 100.6 ms here. 2 ms is below one scheduler tick at
 * HZ=250 (4 ms), so a bystander waits no longer than behind any ordinary
 * CPU-bound process (measured: README, tools/bench.sh). Longer stalls are
 * SIGSTOP/SIGCONT (sigstop) or a launched target (seccomp sleeps for free).
 */
#define FL_SC_SPIN_MAX_NS (2ull * 1000 * 1000)

/*
 * The `stopped` map: every SIGSTOP a sys_enter program sends is recorded
 * here *before* the signal, keyed by the stop itself so that a process
 * stopped again while its last stop is being continued gets a new entry.
 * userspace deletes an entry after it sent the SIGCONT. The map is pinned
 * in bpffs and recorded under /run/faultline (fl_state_record_stopped_map)
 * before any rule is armed, so the watchdog and `faultline cleanup`
 * continue every process that may still be stopped, whenever faultline
 * dies. The layout (a key that starts with the tgid, a __u64 value) is the
 * one that record's undo reads.
 */
#define FL_SC_MAX_STOPPED 4096

struct fl_sc_stopped_key {
	__u32 tgid;
	__u32 rule_id;
	__u64 seq;     /* the rule's nth matching call: unique per stop */
};

/* The stopped process's start time (group leader's start_boottime, ns). */
struct fl_sc_stopped {
	__u64 start_boottime_ns;
};

/*
 * Value of the `targets` hash map (key: tgid), a set of flags. A launched
 * command is added AT_EXEC before it calls execve(2), so the calls it makes
 * while it is still faultline's forked child are not counted; it turns
 * ACTIVE when the exec succeeds. With FOLLOW, children forked afterwards
 * inherit the flags; without it (--pid without --follow) they are not
 * targets.
 */
enum fl_sc_target_flags {
	FL_SC_TARGET_ACTIVE  = 1,
	FL_SC_TARGET_AT_EXEC = 2,
	FL_SC_TARGET_FOLLOW  = 4,
};

/*
 * Where a rule is evaluated. Each hook is one kind of BPF program; a rule
 * is tried only by the programs of its hook, so a syscall named by rules
 * of two hooks would be counted twice (userspace refuses that).
 */
enum fl_sc_hook {
	FL_SC_HOOK_SYS_ENTER = 0, /* raw_tp sys_enter: signal=, pause=, delay= */
	FL_SC_HOOK_LSM       = 1, /* lsm/ or fmod_ret/security_*: error= */
	FL_SC_HOOK_SOCK      = 2, /* cgroup sock hooks: error= on socket calls */
};

/*
 * One rule slot of the `rules` array map. A slot with enabled == 0 is
 * skipped. Rules are tried in slot order; the first one that fires wins.
 */
struct fl_sc_rule {
	__u64 nr_mask[FL_SC_MASK_WORDS]; /* bit n set: syscall n matches */
	__u64 when_first;                /* strace when=FIRST..LAST+STEP, from 1 */
	__u64 when_last;                 /* FL_SC_INF = no upper bound */
	__u64 when_step;                 /* >= 1 */
	__u64 count;                     /* max injections, 0 = unlimited */
	__u32 prob_ppm;                  /* FL_SC_PPM = always */
	__u16 action;                    /* enum fl_action */
	__u16 enabled;
	__s64 value;                     /* signal, -errno, delay/pause ns */
	__u64 jitter_ns;                 /* delay=DUR~JITTER */
	__u64 deadline_ns;               /* for=: bpf_ktime_get_ns() limit, 0 = none */
	__u64 seed;                      /* prob= draws from seed+nth; used if has_seed */
	__u16 has_seed;
	__u16 hook;                      /* enum fl_sc_hook */
	__u16 mechanism;                 /* enum fl_mechanism, reported in events */
	__u16 pad;
};

/* Per-rule counters, updated atomically by every CPU. */
struct fl_sc_counters {
	__u64 matched;  /* calls of a target that matched the rule's syscalls */
	__u64 injected; /* injections performed */
	__u64 failed;   /* the mechanism refused (bpf_send_signal error) */
	__u64 dropped;  /* events lost because the ring buffer was full */
};

/*
 * Read-only configuration of every syscall program (a `const volatile`
 * variable set before load, so the verifier prunes what is unused).
 * A process is a target when any enabled selector matches it.
 */
struct fl_sc_config {
	__u64 nr_any[FL_SC_MASK_WORDS]; /* union of the rules' syscalls: pre-filter */
	__u32 n_rules;
	__u32 n_cgroups;                /* used slots of cgroup_id/cgroup_level */
	__u64 cgroup_id[FL_SC_MAX_CGROUPS];    /* cgroup v2 ids (directory inode) */
	__u32 cgroup_level[FL_SC_MAX_CGROUPS]; /* depth below the v2 root */
	__u8  by_comm;                  /* match the calling thread's name */
	__u8  pad[7];
	char  comm[FL_COMM_LEN];
};

#endif /* FAULTLINE_SYSCALL_ABI_H */
