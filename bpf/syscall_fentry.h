/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between bpf/syscall_fentry.bpf.c and userspace/syscall/enter_fentry.c:
 * the program slots and the syscall each one stands for. An fentry
 * program is bound to its target function when it is loaded, so there is
 * one per syscall the sys_enter rules name, each given its function
 * (__x64_sys_NAME) by the loader; the slots left over are not loaded.
 */
#ifndef FL_SYSCALL_FENTRY_H
#define FL_SYSCALL_FENTRY_H

#include <faultline/syscall_abi.h>

/* As many as the per-syscall tracepoints take (enter_tp.c): past it, raw sys_enter. */
#define FL_SC_FENTRY_SLOTS 16

/* Rodata: the syscall number slot i reports and decides on. */
struct fl_sc_fentry_config {
	__s32 nr[FL_SC_FENTRY_SLOTS];
};

#endif /* FL_SYSCALL_FENTRY_H */
