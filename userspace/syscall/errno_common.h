/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the error mechanisms (errno_*.c): which syscalls each hook
 * covers, and the two loaders (LSM/fmod_ret, cgroup socket hooks) that
 * errno.c drives for the session.
 */
#ifndef FL_SYSCALL_ERRNO_COMMON_H
#define FL_SYSCALL_ERRNO_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "syscall_priv.h"
#include "../../bpf/syscall_errno_hooks.h"

#define FL_SC_HOOK_MAX_NRS 12

struct fl_sc_lsm_cover {
	const char *name;              /* LSM hook: lsm/NAME, fmod_ret/security_NAME */
	int nrs[FL_SC_HOOK_MAX_NRS];   /* the syscalls it fails, -1 terminated */
};

extern const struct fl_sc_lsm_cover fl_sc_lsm_covers[FL_SC_LSM__COUNT];
/* The syscall socket hook h stands for (enum fl_sc_sock_hook). */
int fl_sc_sock_hook_nr(int h);

typedef __u64 fl_sc_mask[FL_SC_MASK_WORDS];

static inline bool fl_sc_mask_test(const __u64 *m, int nr)
{
	return nr >= 0 && nr < FL_SC_NR_MAX && (m[nr / 64] >> (nr % 64)) & 1;
}

static inline void fl_sc_mask_set(__u64 *m, int nr)
{
	if (nr >= 0 && nr < FL_SC_NR_MAX)
		m[nr / 64] |= 1ull << (nr % 64);
}

/* Union of the nr masks of the enabled slots of hook with mechanism mech. */
void fl_sc_slots_mask(const struct fl_sc_rule *slots, size_t n, int hook, int mech,
		      __u64 *ret);

struct fl_sc_errno_lsm;
struct fl_sc_errno_sock;

/* want[m]: the syscalls rules of mechanism m (BPF_LSM, FMOD_RET_SECURITY) name. */
int fl_sc_errno_lsm_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
			 const __u64 *lsm_want, const __u64 *fmod_want,
			 struct fl_sc_errno_lsm **ret);
int fl_sc_errno_lsm_attach(struct fl_sc_errno_lsm *l);
void fl_sc_errno_lsm_close(struct fl_sc_errno_lsm *l);

int fl_sc_errno_sock_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
			  const __u64 *want, struct fl_sc_errno_sock **ret);
int fl_sc_errno_sock_attach(struct fl_sc_errno_sock *s);
void fl_sc_errno_sock_close(struct fl_sc_errno_sock *s);

#endif /* FL_SYSCALL_ERRNO_COMMON_H */
