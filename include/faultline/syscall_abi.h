/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The syscall domain's ABI between bpf/syscall.bpf.c and userspace: one
 * rule slot per command-line rule, and the per-rule counters the program
 * keeps. Injections themselves are reported as struct fl_event (abi.h).
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

/*
 * Value of the `targets` hash map (key: tgid). A launched command is added
 * AT_EXEC before it calls execve(2), so the calls it makes while it is
 * still faultline's forked child are not counted; it turns ACTIVE when the
 * exec succeeds. Children inherit the state of their parent.
 */
enum fl_sc_target_state {
	FL_SC_TARGET_ACTIVE  = 1,
	FL_SC_TARGET_AT_EXEC = 2,
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
	__s64 value;                     /* FL_ACTION_SIGNAL: the signal */
};

/* Per-rule counters, updated atomically by every CPU. */
struct fl_sc_counters {
	__u64 matched;  /* calls of a target that matched the rule's syscalls */
	__u64 injected; /* injections performed */
	__u64 failed;   /* the mechanism refused (bpf_send_signal error) */
	__u64 dropped;  /* events lost because the ring buffer was full */
};

#endif /* FAULTLINE_SYSCALL_ABI_H */
