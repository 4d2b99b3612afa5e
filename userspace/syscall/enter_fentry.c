// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sys_enter rules on fentry of each named syscall's own function
 * (bpf/syscall_fentry.bpf.c). Where the kernel allows it, bystanders pay
 * nothing: no tracepoint, so no syscall-trace work on their tasks. Where
 * it does not (hardened kernels answer EPERM to the load), the caller
 * falls back to the tracepoints, silently: the attempt is one object open
 * and one refused load, no probe of its own. This object is loaded first
 * and creates the session's maps, so that the session's own object reuses
 * them and loads no sys_enter program it would not attach.
 *
 * The function is the architecture's syscall wrapper, x86-64's
 * __x64_sys_NAME or arm64's __arm64_sys_NAME. On x86-64 a syscall without
 * arguments (SYSCALL_DEFINE0: getppid, sync, vhangup) has that name only
 * as an alias of __do_sys_NAME, and only the latter is in the kernel's
 * BTF: libbpf fails such a load with ESRCH, and the names are then looked
 * up in the BTF and the load tried once more. __do_sys_NAME is taken only
 * when its one parameter is the pt_regs pointer of SYSCALL_DEFINE0 (with
 * arguments it is an inline body shared with the 32-bit entry). A user
 * name the kernel spells otherwise (x86-64's stat is newstat) has neither,
 * and the caller takes the next hook, never one that misses calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
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

/*
 * Does the kernel refuse every fentry program outright? A program with no
 * target (attach_btf_id 0) is answered EPERM by a kernel whose policy
 * refuses fentry (this project's hardened host: lockdown or a hardening
 * LSM, before the program is looked at) and EINVAL by one that allows
 * it. One syscall, where libbpf's refused load would first parse the
 * kernel's BTF (7 ms of CPU here). Only EPERM is believed: anything else
 * leaves the answer to the real load.
 */
static bool kernel_refuses_fentry(void)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fl_sc_fentry_ck", "GPL", ret0,
			       sizeof(ret0) / sizeof(ret0[0]), &opts);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EPERM;
}

/* Is BTF function id SYSCALL_DEFINE0's body: long f(const struct pt_regs *)? */
static bool takes_regs_only(const struct btf *btf, __s32 id)
{
	const struct btf_type *fn = btf__type_by_id(btf, id);
	const struct btf_type *proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	const struct btf_type *t;
	const char *name;

	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) != 1)
		return false;
	t = btf__type_by_id(btf, btf_params(proto)[0].type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	while (t && btf_is_mod(t))
		t = btf__type_by_id(btf, t->type);
	name = t && btf_is_struct(t) ? btf__name_by_offset(btf, t->name_off) : NULL;
	return name && !strcmp(name, "pt_regs");
}

/*
 * The function to attach to for syscall name: the wrapper, or (btf given,
 * the wrapper not in it) SYSCALL_DEFINE0's body. 0 or -errno.
 */
static int fn_name(const struct btf *btf, const char *name, char *buf, size_t len)
{
	__s32 id;

	if (snprintf(buf, len, SYSCALL_PREFIX "%s", name) >= (int)len)
		return -ENAMETOOLONG;
	if (!btf || btf__find_by_name_kind(btf, buf, BTF_KIND_FUNC) >= 0)
		return 0;
	if (snprintf(buf, len, "__do_sys_%s", name) >= (int)len)
		return -ENAMETOOLONG;
	id = btf__find_by_name_kind(btf, buf, BTF_KIND_FUNC);
	return id >= 0 && takes_regs_only(btf, id) ? 0 : -ESRCH;
}

/* Give the next slot syscall nr; 0 or -errno. */
static int bind_slot(struct fl_sc_enter_fentry *f, const struct btf *btf, int nr)
{
	const char *name = fl_syscall_name(nr);
	struct bpf_program *prog;
	char fn[64];
	int err;

	if (f->n == FL_SC_FENTRY_SLOTS)
		return -E2BIG;
	if (!name)
		return -ENOENT;
	err = fn_name(btf, name, fn, sizeof(fn));
	if (err)
		return err;
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

static int open_with(const struct fl_sc_config *cfg, const __u64 *mask, const struct btf *btf,
		     struct fl_sc_enter_fentry **ret)
{
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
		err = bind_slot(f, btf, nr);
		if (err)
			goto fail;
	}
	if (f->n == 0) {
		err = -ENOENT;
		goto fail;
	}
	f->skel->rodata->cfg = *cfg;
	err = syscall_fentry_bpf__load(f->skel);
	if (err)
		goto fail;
	*ret = f;
	return 0;
fail:
	fl_sc_enter_fentry_close(f);
	return err;
}
#endif

int fl_sc_enter_fentry_open(const struct fl_sc_config *cfg, const __u64 *mask,
			    struct fl_sc_enter_fentry **ret)
{
#ifdef SYSCALL_PREFIX
	struct btf *btf;
	int err;

	if (kernel_refuses_fentry())
		return -EPERM;
	err = open_with(cfg, mask, NULL, ret);

	/* A wrapper missing from the BTF (SYSCALL_DEFINE0's alias): look the names up. */
	if (err != -ESRCH)
		return err;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -ESRCH;
	err = open_with(cfg, mask, btf, ret);
	btf__free(btf);
	return err;
#else
	(void)cfg;
	(void)mask;
	(void)ret;
	return -EOPNOTSUPP;
#endif
}

void fl_sc_enter_fentry_maps(const struct fl_sc_enter_fentry *f, struct fl_sc_maps *ret)
{
	ret->targets = bpf_map__fd(f->skel->maps.targets);
	ret->rules = bpf_map__fd(f->skel->maps.rules);
	ret->counters = bpf_map__fd(f->skel->maps.counters);
	ret->events = bpf_map__fd(f->skel->maps.events);
	ret->stopped = bpf_map__fd(f->skel->maps.stopped);
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
