// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sys_enter rules on fentry of each named syscall's own function
 * (bpf/syscall_fentry.bpf.c), on the session's maps. Where the kernel
 * allows it, bystanders pay nothing: no tracepoint, so no syscall-trace
 * work on their tasks. Where it does not (hardened kernels answer EPERM
 * to the load), the caller falls back to the tracepoints, silently: the
 * attempt is one object open and one refused load, no probe of its own.
 *
 * The function's name is the architecture's syscall wrapper, x86-64's
 * __x64_sys_NAME or arm64's __arm64_sys_NAME; a syscall whose kernel name
 * differs from its user name (x86-64's stat is newstat) is not in the
 * kernel's BTF under ours, and the load fails with ESRCH: the caller then
 * takes the next hook, never a hook that misses calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <faultline/rule.h>
#include "enter_fentry.h"
#include "../../bpf/syscall_fentry.h"
#include "syscall_fentry.skel.h"

#if defined(__x86_64__)
#define SYSCALL_PREFIX "__x64_sys_"
#elif defined(__aarch64__)
#define SYSCALL_PREFIX "__arm64_sys_"
#endif

struct fl_sc_enter_fentry {
	struct syscall_fentry_bpf *skel;
	struct bpf_program *progs[FL_SC_FENTRY_SLOTS]; /* the loaded ones, first n */
	struct bpf_link *links[FL_SC_FENTRY_SLOTS];
	size_t n, n_links;
};

#ifdef SYSCALL_PREFIX
static struct bpf_program *slot_prog(struct syscall_fentry_bpf *skel, size_t i)
{
	char name[32];

	snprintf(name, sizeof(name), "fl_sc_fentry_%zu", i);
	return bpf_object__find_program_by_name(skel->obj, name);
}

/* Give the next slot syscall nr; 0 or -errno. */
static int bind_slot(struct fl_sc_enter_fentry *f, int nr)
{
	const char *name = fl_syscall_name(nr);
	struct bpf_program *prog;
	char fn[64];
	int err;

	if (f->n == FL_SC_FENTRY_SLOTS)
		return -E2BIG;
	if (!name || snprintf(fn, sizeof(fn), SYSCALL_PREFIX "%s", name) >= (int)sizeof(fn))
		return -ENOENT;
	prog = slot_prog(f->skel, f->n);
	if (!prog)
		return -ENOENT;
	err = bpf_program__set_attach_target(prog, 0, fn);
	if (err)
		return err;
	bpf_program__set_autoload(prog, true);
	f->skel->rodata->fentry_cfg.nr[f->n] = nr;
	f->progs[f->n++] = prog;
	return 0;
}
#endif

int fl_sc_enter_fentry_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
			    const __u64 *mask, struct fl_sc_enter_fentry **ret)
{
#ifdef SYSCALL_PREFIX
	struct fl_sc_enter_fentry *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->skel = syscall_fentry_bpf__open();
	if (!f->skel) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	for (size_t i = 0; i < FL_SC_FENTRY_SLOTS; i++)
		bpf_program__set_autoload(slot_prog(f->skel, i), false);
	for (int nr = 0; nr < FL_SC_NR_MAX; nr++) {
		if (!(mask[nr / 64] & (1ull << (nr % 64))))
			continue;
		err = bind_slot(f, nr);
		if (err)
			goto fail;
	}
	if (f->n == 0) {
		err = -ENOENT;
		goto fail;
	}
	f->skel->rodata->cfg = *cfg;
	if (bpf_map__reuse_fd(f->skel->maps.targets, maps->targets) ||
	    bpf_map__reuse_fd(f->skel->maps.rules, maps->rules) ||
	    bpf_map__reuse_fd(f->skel->maps.counters, maps->counters) ||
	    bpf_map__reuse_fd(f->skel->maps.events, maps->events) ||
	    bpf_map__reuse_fd(f->skel->maps.stopped, maps->stopped)) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	err = syscall_fentry_bpf__load(f->skel);
	if (err)
		goto fail;
	*ret = f;
	return 0;
fail:
	fl_sc_enter_fentry_close(f);
	return err;
#else
	(void)maps;
	(void)cfg;
	(void)mask;
	(void)ret;
	return -EOPNOTSUPP;
#endif
}

int fl_sc_enter_fentry_attach(struct fl_sc_enter_fentry *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct bpf_link *link = bpf_program__attach_trace(f->progs[i]);

		if (!link)
			return errno ? -errno : -EINVAL;
		f->links[f->n_links++] = link;
	}
	return 0;
}

int fl_sc_enter_fentry_fd(const struct fl_sc_enter_fentry *f)
{
	int fd = f->n ? bpf_program__fd(f->progs[0]) : -1;

	return fd >= 0 ? fd : -ENOENT;
}

void fl_sc_enter_fentry_close(struct fl_sc_enter_fentry *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_links; i++)
		bpf_link__destroy(f->links[i]);
	syscall_fentry_bpf__destroy(f->skel);
	free(f);
}
