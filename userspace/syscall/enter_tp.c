// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the sys_enter rules are evaluated: on syscalls:sys_enter_NAME of
 * each syscall they name (fl_sc_enter_tp), or on raw_syscalls' sys_enter
 * (fl_sc_enter, the session's default). Both hooks make every syscall of
 * every process take the kernel's slow entry path, but with the first the
 * kernel runs no program for a syscall no rule names: a bystander then
 * pays the floor alone (tools/bench.sh, row (a)). Both see the same calls:
 * perf_syscall_enter() is itself a probe on sys_enter. Where the kernel
 * allows fentry, enter_fentry.c is taken before either: no floor at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <faultline/kernfs.h>
#include <faultline/rule.h>
#include "enter_tp.h"

/* More syscalls than this: one raw program is cheaper than that many perf events. */
#define ENTER_TP_MAX 16

/* Does syscalls:sys_enter_NAME exist? Its name is the kernel's SYSCALL_DEFINE name. */
static bool has_tracepoint(const char *tracefs, const char *name)
{
	char path[256];

	return snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/id", tracefs,
			name) < (int)sizeof(path) && access(path, F_OK) == 0;
}

int fl_sc_enter_tp_pick(const __u64 *mask, int *nrs, size_t *ret_n)
{
	const char *tracefs;
	size_t n = 0;

	/* libbpf looks the tracepoint ids up in tracefs: mount it if it is missing. */
	fl_kernfs_ensure(FL_KERNFS_TRACEFS, NULL);
	tracefs = fl_kernfs_path(FL_KERNFS_TRACEFS);
	if (!tracefs)
		return -ENOENT;
	for (int nr = 0; nr < FL_SC_NR_MAX; nr++) {
		const char *name;

		if (!(mask[nr / 64] & (1ull << (nr % 64))))
			continue;
		if (n == ENTER_TP_MAX)
			return -E2BIG;
		/*
		 * A name that is not the kernel's (x86-64's stat is sys_newstat)
		 * has no tracepoint by that name: then the raw hook, never a miss.
		 */
		name = fl_syscall_name(nr);
		if (!name || !has_tracepoint(tracefs, name))
			return -ENOENT;
		nrs[n++] = nr;
	}
	if (n == 0)
		return -ENOENT;
	*ret_n = n;
	return 0;
}

struct fl_sc_enter_tp {
	size_t n;
	struct bpf_link *links[ENTER_TP_MAX];
};

int fl_sc_enter_tp_attach(struct bpf_program *prog, const int *nrs, size_t n,
			  struct fl_sc_enter_tp **ret)
{
	struct fl_sc_enter_tp *t;
	char tp[64];
	int err;

	if (n > ENTER_TP_MAX)
		return -E2BIG;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = fl_syscall_name(nrs[i]);

		if (!name || snprintf(tp, sizeof(tp), "sys_enter_%s", name) >= (int)sizeof(tp)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		t->links[i] = bpf_program__attach_tracepoint(prog, "syscalls", tp);
		if (!t->links[i]) {
			err = errno ? -errno : -EINVAL;
			goto fail;
		}
		t->n = i + 1;
	}
	*ret = t;
	return 0;
fail:
	fl_sc_enter_tp_close(t);
	return err;
}

void fl_sc_enter_tp_close(struct fl_sc_enter_tp *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		bpf_link__destroy(t->links[i]);
	free(t);
}
