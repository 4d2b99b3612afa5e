/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-syscall tracepoint hook of the sys_enter rules (enter_tp.c).
 */
#ifndef FL_SYSCALL_ENTER_TP_H
#define FL_SYSCALL_ENTER_TP_H

#include <stddef.h>
#include <linux/types.h>
#include <faultline/syscall_abi.h>

struct bpf_program;
struct fl_sc_enter_tp;

/*
 * The syscalls of mask (FL_SC_MASK_WORDS words) into nrs (room for
 * FL_SC_NR_MAX) when each has a syscalls:sys_enter_NAME tracepoint and
 * they are few: 0 with *ret_n set; -ENOENT (one has none, or mask is
 * empty) or -E2BIG (too many) when the raw sys_enter hook must be used.
 */
int fl_sc_enter_tp_pick(const __u64 *mask, int *nrs, size_t *ret_n);

/* Attach prog to the tracepoint of each of nrs; 0 or -errno (nothing attached). */
int fl_sc_enter_tp_attach(struct bpf_program *prog, const int *nrs, size_t n,
			  struct fl_sc_enter_tp **ret);

/* Detach all; NULL is fine. */
void fl_sc_enter_tp_close(struct fl_sc_enter_tp *t);

#endif /* FL_SYSCALL_ENTER_TP_H */
