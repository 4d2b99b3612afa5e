// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sys_enter rules (crash points, short stalls, pauses) on fentry of
 * the kernel's function of each syscall they name (__x64_sys_NAME): a
 * trampoline on that function alone. Unlike any program on a syscall
 * tracepoint, it sets no syscall-trace work on the tasks, so a bystander's
 * syscalls keep the kernel's fast entry path (make bench-vm). Hardened
 * kernels refuse fentry; userspace then falls back to the tracepoints of
 * syscall.bpf.c (userspace/syscall/enter_fentry.c, session.c).
 *
 * The function runs after seccomp and ptrace at syscall entry, where the
 * tracepoints run before them; for the BPF mechanisms, which launch no
 * filter, the calls seen are the same. The maps are the session's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_enter.bpf.h"
#include "syscall_fentry.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct fl_sc_fentry_config fentry_cfg = {};

/*
 * Slot i: no target in the section name, the loader sets it. The syscall
 * number is a load-time constant, so the verifier folds the bystander's
 * bitmap test away; what remains for another process calling this one
 * syscall is the targets lookup.
 */
#define FL_SC_FENTRY_SLOT(i)                                    \
	SEC("fentry")                                           \
	int fl_sc_fentry_##i(void *ctx)                         \
	{                                                       \
		return enter(fentry_cfg.nr[i]);                 \
	}

FL_SC_FENTRY_SLOT(0)
FL_SC_FENTRY_SLOT(1)
FL_SC_FENTRY_SLOT(2)
FL_SC_FENTRY_SLOT(3)
FL_SC_FENTRY_SLOT(4)
FL_SC_FENTRY_SLOT(5)
FL_SC_FENTRY_SLOT(6)
FL_SC_FENTRY_SLOT(7)
FL_SC_FENTRY_SLOT(8)
FL_SC_FENTRY_SLOT(9)
FL_SC_FENTRY_SLOT(10)
FL_SC_FENTRY_SLOT(11)
FL_SC_FENTRY_SLOT(12)
FL_SC_FENTRY_SLOT(13)
FL_SC_FENTRY_SLOT(14)
FL_SC_FENTRY_SLOT(15)
