// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * PLACEHOLDER written by the lead so the tree links while the error
 * mechanisms are being built: the helper implementing syscall_priv.h's
 * fl_sc_errno_* and fl_syscall_{lsm,sock}_covers deletes this file.
 */
#include <errno.h>
#include "syscall_priv.h"

bool fl_syscall_lsm_covers(int nr) { (void)nr; return false; }
bool fl_syscall_sock_covers(int nr) { (void)nr; return false; }

int fl_sc_errno_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
		     const struct fl_sc_rule *slots, size_t n_slots,
		     const char *const *cgroups, size_t n_cgroups, struct fl_sc_errno **ret)
{
	(void)maps; (void)cfg; (void)cgroups; (void)n_cgroups;
	for (size_t i = 0; i < n_slots; i++)
		if (slots[i].hook != FL_SC_HOOK_SYS_ENTER)
			return -EOPNOTSUPP;
	*ret = NULL;
	return 0;
}

int fl_sc_errno_attach(struct fl_sc_errno *e) { (void)e; return 0; }
void fl_sc_errno_close(struct fl_sc_errno *e) { (void)e; }
