// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The LSM error programs (bpf/syscall_errno_lsm.bpf.c): for each hook
 * that covers a syscall the rules name, load its lsm/ or fmod_ret/
 * program, whichever the rules' mechanism is, on the session's maps. The
 * attached function's argument count comes from the kernel's BTF (it
 * differs between kernels), and a hook this kernel lacks is left out;
 * a syscall that is then covered by no loaded hook is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "errno_common.h"
#include "syscall_errno_lsm.skel.h"

struct fl_sc_errno_lsm {
	struct syscall_errno_lsm_bpf *skel;
};

/* Arguments of the kernel function name, or -ENOENT if this kernel has none. */
static int func_nargs(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	int id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_func_proto(t))
		return -ENOENT;
	return btf_vlen(t);
}

static struct bpf_program *find_prog(struct syscall_errno_lsm_bpf *skel, bool lsm, int h)
{
	char name[64];

	snprintf(name, sizeof(name), "fl_sc_%s_%s", lsm ? "lsm" : "fmod", fl_sc_lsm_covers[h].name);
	return bpf_object__find_program_by_name(skel->obj, name);
}

/*
 * Fill c for one mechanism: hook h gets the wanted syscalls it covers, if
 * this kernel has the hook's function. *covered gets what is served.
 */
static int configure(struct syscall_errno_lsm_bpf *skel, const struct btf *btf, bool lsm,
		     const __u64 *want, struct fl_sc_lsm_config *c, __u64 *covered)
{
	memset(c, 0, sizeof(*c));
	for (int h = 0; h < FL_SC_LSM__COUNT; h++) {
		struct bpf_program *prog = find_prog(skel, lsm, h);
		char fn[64];
		bool any = false;
		int n;

		if (!prog)
			return -ENOENT;
		bpf_program__set_autoload(prog, false);
		for (int i = 0; i < FL_SC_HOOK_MAX_NRS && fl_sc_lsm_covers[h].nrs[i] >= 0; i++) {
			int nr = fl_sc_lsm_covers[h].nrs[i];

			if (fl_sc_mask_test(want, nr)) {
				fl_sc_mask_set(c->nrs[h], nr);
				any = true;
			}
		}
		if (!any)
			continue;
		snprintf(fn, sizeof(fn), "%s_%s", lsm ? "bpf_lsm" : "security",
			 fl_sc_lsm_covers[h].name);
		n = func_nargs(btf, fn);
		/* prev_ret() in the program reads at most 6 arguments in. */
		if (n < 0 || n > 6) {
			memset(c->nrs[h], 0, sizeof(c->nrs[h]));
			continue;
		}
		c->nargs[h] = (__u8)n;
		for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
			covered[w] |= c->nrs[h][w];
		bpf_program__set_autoload(prog, true);
	}
	return 0;
}

static bool subset(const __u64 *a, const __u64 *b)
{
	for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
		if (a[w] & ~b[w])
			return false;
	return true;
}

int fl_sc_errno_lsm_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
			 const __u64 *lsm_want, const __u64 *fmod_want,
			 struct fl_sc_errno_lsm **ret)
{
	struct fl_sc_lsm_config lc, fc;
	fl_sc_mask lsm_got = { 0 }, fmod_got = { 0 };
	struct fl_sc_errno_lsm *l;
	struct btf *btf = NULL;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = errno ? -errno : -ENOENT;
		goto fail;
	}
	l->skel = syscall_errno_lsm_bpf__open();
	if (!l->skel) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	err = configure(l->skel, btf, true, lsm_want, &lc, lsm_got);
	if (!err)
		err = configure(l->skel, btf, false, fmod_want, &fc, fmod_got);
	if (err)
		goto fail;
	/* A named syscall whose hook this kernel lacks would be a silent no-op. */
	if (!subset(lsm_want, lsm_got) || !subset(fmod_want, fmod_got)) {
		err = -EOPNOTSUPP;
		goto fail;
	}
	l->skel->rodata->cfg = *cfg;
	memcpy((void *)&l->skel->rodata->lsm_cfg, &lc, sizeof(lc));
	memcpy((void *)&l->skel->rodata->fmod_cfg, &fc, sizeof(fc));
	if (bpf_map__reuse_fd(l->skel->maps.targets, maps->targets) ||
	    bpf_map__reuse_fd(l->skel->maps.rules, maps->rules) ||
	    bpf_map__reuse_fd(l->skel->maps.counters, maps->counters) ||
	    bpf_map__reuse_fd(l->skel->maps.events, maps->events)) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	err = syscall_errno_lsm_bpf__load(l->skel);
	if (err)
		goto fail;
	btf__free(btf);
	*ret = l;
	return 0;
fail:
	btf__free(btf);
	fl_sc_errno_lsm_close(l);
	return err;
}

int fl_sc_errno_lsm_attach(struct fl_sc_errno_lsm *l)
{
	/* Programs not loaded (autoload off) are skipped by the skeleton. */
	return syscall_errno_lsm_bpf__attach(l->skel);
}

void fl_sc_errno_lsm_close(struct fl_sc_errno_lsm *l)
{
	if (!l)
		return;
	syscall_errno_lsm_bpf__destroy(l->skel);
	free(l);
}
