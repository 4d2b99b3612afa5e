/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fentry hook of the sys_enter rules (enter_fentry.c,
 * bpf/syscall_fentry.bpf.c): preferred where the kernel allows fentry.
 */
#ifndef FL_SYSCALL_ENTER_FENTRY_H
#define FL_SYSCALL_ENTER_FENTRY_H

#include <linux/types.h>
#include "syscall_priv.h"

struct fl_sc_enter_fentry;

/*
 * Load one fentry program per syscall of mask (FL_SC_MASK_WORDS words) on
 * the kernel's function of that syscall, with cfg, on maps of its own
 * that the session's other objects then reuse (fl_sc_enter_fentry_maps).
 * 0, or -errno with nothing left behind: -E2BIG (more syscalls than
 * slots), -EOPNOTSUPP (an architecture without a known function name),
 * the kernel's refusal (EPERM where fentry is not allowed) or libbpf's
 * (ESRCH: no such function in the kernel's BTF). Prints nothing of its
 * own; libbpf's log goes where the caller sent it.
 */
int fl_sc_enter_fentry_open(const struct fl_sc_config *cfg, const __u64 *mask,
			    struct fl_sc_enter_fentry **ret);

/* The descriptors of its maps, for the session's other objects to reuse. */
void fl_sc_enter_fentry_maps(const struct fl_sc_enter_fentry *f, struct fl_sc_maps *ret);

/* Attach every loaded program; 0 or -errno (then close it). */
int fl_sc_enter_fentry_attach(struct fl_sc_enter_fentry *f);

/* The first program's descriptor (tests read its type and run count). */
int fl_sc_enter_fentry_fd(const struct fl_sc_enter_fentry *f);

/* Detach and unload; NULL is fine. */
void fl_sc_enter_fentry_close(struct fl_sc_enter_fentry *f);

#endif /* FL_SYSCALL_ENTER_FENTRY_H */
