// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cgroup socket error programs (bpf/syscall_errno_sock.bpf.c): load
 * the hooks the rules' syscalls need on the session's maps and attach
 * them, as bpf_links (multi-attach, never pinned: they go with our fds),
 * to the root of the cgroup v2 hierarchy.
 *
 * Always the root, even for --cgroup targets: the kernel runs these hooks
 * for the cgroup the SOCKET was created in, so a socket made before its
 * process joined the target cgroup (or passed in from elsewhere) would
 * escape a program attached there. At the root every socket call passes,
 * and the programs test the CALLING task against the cgroup selectors like
 * every other program of the domain.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <faultline/cgroup.h>
#include "errno_common.h"
#include "syscall_errno_sock.skel.h"

struct fl_sc_errno_sock {
	struct syscall_errno_sock_bpf *skel;
	struct bpf_program *progs[FL_SC_SOCK__COUNT]; /* loaded ones, else NULL */
	int cg_fd;
	struct bpf_link *links[FL_SC_SOCK__COUNT];
	size_t n_links;
};

static struct bpf_program *hook_prog(struct syscall_errno_sock_bpf *skel, int h)
{
	switch (h) {
	case FL_SC_SOCK_CREATE:
		return skel->progs.fl_sc_sock_create;
	case FL_SC_SOCK_CONNECT4:
		return skel->progs.fl_sc_sock_connect4;
	case FL_SC_SOCK_CONNECT6:
		return skel->progs.fl_sc_sock_connect6;
	case FL_SC_SOCK_BIND4:
		return skel->progs.fl_sc_sock_bind4;
	case FL_SC_SOCK_BIND6:
		return skel->progs.fl_sc_sock_bind6;
	default:
		return NULL;
	}
}

static int open_root(struct fl_sc_errno_sock *s)
{
	char root[PATH_MAX];
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	s->cg_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return s->cg_fd < 0 ? -errno : 0;
}

int fl_sc_errno_sock_open(const struct fl_sc_maps *maps, const struct fl_sc_config *cfg,
			  const __u64 *want, struct fl_sc_errno_sock **ret)
{
	fl_sc_mask got = { 0 };
	struct fl_sc_errno_sock *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cg_fd = -1;
	err = open_root(s);
	if (err)
		goto fail;
	s->skel = syscall_errno_sock_bpf__open();
	if (!s->skel) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	for (int h = 0; h < FL_SC_SOCK__COUNT; h++) {
		struct bpf_program *prog = hook_prog(s->skel, h);
		int nr = fl_sc_sock_hook_nr(h);

		s->skel->rodata->sock_cfg.nr[h] = nr;
		bpf_program__set_autoload(prog, fl_sc_mask_test(want, nr));
		if (fl_sc_mask_test(want, nr)) {
			s->progs[h] = prog;
			fl_sc_mask_set(got, nr);
		}
	}
	for (size_t w = 0; w < FL_SC_MASK_WORDS; w++) {
		if (want[w] & ~got[w]) {
			err = -EOPNOTSUPP;
			goto fail;
		}
	}
	s->skel->rodata->cfg = *cfg;
	if (bpf_map__reuse_fd(s->skel->maps.targets, maps->targets) ||
	    bpf_map__reuse_fd(s->skel->maps.rules, maps->rules) ||
	    bpf_map__reuse_fd(s->skel->maps.counters, maps->counters) ||
	    bpf_map__reuse_fd(s->skel->maps.events, maps->events)) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	err = syscall_errno_sock_bpf__load(s->skel);
	if (err)
		goto fail;
	*ret = s;
	return 0;
fail:
	fl_sc_errno_sock_close(s);
	return err;
}

int fl_sc_errno_sock_attach(struct fl_sc_errno_sock *s)
{
	for (int h = 0; h < FL_SC_SOCK__COUNT; h++) {
		struct bpf_link *link;

		if (!s->progs[h])
			continue;
		link = bpf_program__attach_cgroup(s->progs[h], s->cg_fd);
		if (!link)
			return errno ? -errno : -EINVAL;
		s->links[s->n_links++] = link;
	}
	return 0;
}

void fl_sc_errno_sock_close(struct fl_sc_errno_sock *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	syscall_errno_sock_bpf__destroy(s->skel);
	if (s->cg_fd >= 0)
		close(s->cg_fd);
	free(s);
}
