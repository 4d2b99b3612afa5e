// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * error= for a session's running targets (syscall_priv.h): split the
 * error rules by mechanism and hand them to the LSM/fmod_ret loader and
 * the cgroup socket loader. Both load separate objects on the session's
 * maps, so counters and events stay one stream.
 */
#include <errno.h>
#include <stdlib.h>

#include "errno_common.h"

struct fl_sc_errno {
	struct fl_sc_errno_lsm *lsm;
	struct fl_sc_errno_sock *sock;
};

static bool mask_empty(const __u64 *m)
{
	for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
		if (m[w])
			return false;
	return true;
}

static bool mask_overlap(const __u64 *a, const __u64 *b)
{
	for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
		if (a[w] & b[w])
			return true;
	return false;
}

/* Every error slot has a hook and a mechanism that belong together. */
static int check_slots(const struct fl_sc_rule *slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct fl_sc_rule *r = &slots[i];

		if (!r->enabled || r->hook == FL_SC_HOOK_SYS_ENTER)
			continue;
		if (r->action != FL_ACTION_ERROR)
			return -EINVAL;
		if (r->hook == FL_SC_HOOK_LSM && r->mechanism != FL_MECH_BPF_LSM &&
		    r->mechanism != FL_MECH_FMOD_RET_SECURITY)
			return -EINVAL;
		if (r->hook == FL_SC_HOOK_SOCK && r->mechanism != FL_MECH_CGROUP_SOCK)
			return -EINVAL;
		if (r->hook != FL_SC_HOOK_LSM && r->hook != FL_SC_HOOK_SOCK)
			return -EINVAL;
	}
	return 0;
}

int fl_sc_errno_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
		     const struct fl_sc_rule *slots, size_t n_slots,
		     const char *const *cgroups, size_t n_cgroups,
		     struct fl_sc_errno **ret)
{
	fl_sc_mask lsm, fmod, sock;
	struct fl_sc_errno *e;
	int err;

	if (n_cgroups > FL_SC_MAX_CGROUPS || (n_cgroups && !cgroups))
		return -EINVAL;
	err = check_slots(slots, n_slots);
	if (err)
		return err;
	fl_sc_slots_mask(slots, n_slots, FL_SC_HOOK_LSM, FL_MECH_BPF_LSM, lsm);
	fl_sc_slots_mask(slots, n_slots, FL_SC_HOOK_LSM, FL_MECH_FMOD_RET_SECURITY, fmod);
	fl_sc_slots_mask(slots, n_slots, FL_SC_HOOK_SOCK, FL_MECH_CGROUP_SOCK, sock);
	/* Both programs on one hook would count the same call twice. */
	if (mask_overlap(lsm, fmod))
		return -EINVAL;
	if (mask_empty(lsm) && mask_empty(fmod) && mask_empty(sock)) {
		*ret = NULL;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (!mask_empty(lsm) || !mask_empty(fmod)) {
		err = fl_sc_errno_lsm_open(maps, cfg, lsm, fmod, &e->lsm);
		if (err)
			goto fail;
	}
	if (!mask_empty(sock)) {
		/* At the cgroup v2 root whatever cgroups says: see errno_sock.c. */
		err = fl_sc_errno_sock_open(maps, cfg, sock, &e->sock);
		if (err)
			goto fail;
	}
	*ret = e;
	return 0;
fail:
	fl_sc_errno_close(e);
	return err;
}

int fl_sc_errno_attach(struct fl_sc_errno *e)
{
	int err = 0;

	if (e->lsm)
		err = fl_sc_errno_lsm_attach(e->lsm);
	if (!err && e->sock)
		err = fl_sc_errno_sock_attach(e->sock);
	return err;
}

void fl_sc_errno_close(struct fl_sc_errno *e)
{
	if (!e)
		return;
	fl_sc_errno_lsm_close(e->lsm);
	fl_sc_errno_sock_close(e->sock);
	free(e);
}
