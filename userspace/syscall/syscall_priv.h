/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between the session loader (session.c, which owns bpf/syscall.bpf.c and
 * its maps) and the error mechanisms (errno_*.c, which own
 * bpf/syscall_errno*.bpf.c): the error programs are loaded as separate
 * objects that reuse the session's maps, so rule counters and events are
 * shared.
 */
#ifndef FL_SYSCALL_PRIV_H
#define FL_SYSCALL_PRIV_H

#include <stddef.h>
#include <faultline/syscall.h>

struct fl_sc_maps {
	int targets;
	int rules;
	int counters;
	int events;
	int stopped;  /* the sys_enter programs' record of the processes they stop */
};

struct fl_sc_errno;

/*
 * Load the programs that the slots whose hook is FL_SC_HOOK_LSM or
 * FL_SC_HOOK_SOCK need (slot.mechanism says BPF_LSM, FMOD_RET_SECURITY or
 * CGROUP_SOCK), with cfg as their configuration and maps as their maps.
 * cgroups: where socket hooks attach (the targets' cgroup v2 directories);
 * n_cgroups == 0 means the root of the cgroup v2 hierarchy (the programs
 * then select pid and comm targets themselves). Nothing is attached yet.
 * Returns 0 (with *ret = NULL if no slot needs an error program) or -errno.
 */
int fl_sc_errno_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
		     const struct fl_sc_rule *slots, size_t n_slots,
		     const char *const *cgroups, size_t n_cgroups,
		     struct fl_sc_errno **ret);
int fl_sc_errno_attach(struct fl_sc_errno *e);
/* Detach and unload; NULL is fine. */
void fl_sc_errno_close(struct fl_sc_errno *e);

struct fl_syscall_session;

/*
 * The descriptor of the session's sys_enter program (on raw sys_enter, or
 * on each named syscall's tracepoint), or -ENOENT when it loaded none.
 * For tests, which read its type and run count.
 */
int fl_sc_session_enter_fd(const struct fl_syscall_session *s);

#endif /* FL_SYSCALL_PRIV_H */
