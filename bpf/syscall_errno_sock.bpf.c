// SPDX-License-Identifier: GPL-2.0-only
/*
 * error= on socket calls of running processes through cgroup socket
 * hooks, which the most restrictive kernels still allow: the program
 * rejects the call and bpf_set_retval() picks the errno. A cgroup program
 * cannot read the caller's registers, so each hook stands for the one
 * syscall that reaches it (fl_sc_sock_config): sock_create is socket(2)
 * for AF_INET/AF_INET6, connect4/6 is connect(2) (and the implicit connect
 * of a TCP Fast Open sendto(2)), bind4/6 is bind(2).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "syscall_rules.bpf.h"
#include "syscall_errno_hooks.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM      1
#define EOPNOTSUPP 95
#define MAX_ERRNO  4095

/* What a cgroup socket program returns: 1 lets the call go on. */
#define SOCK_ALLOW  1
#define SOCK_REJECT 0

const volatile struct fl_sc_sock_config sock_cfg = {};

static __always_inline int run(int hook)
{
	long nr = sock_cfg.nr[hook];
	struct fl_sc_verdict v;
	__s64 err;

	if (!fl_sc_nr_wanted(nr) || !fl_sc_is_target())
		return SOCK_ALLOW;
	/* An earlier program of the chain failed the call already: keep its errno. */
	if (bpf_get_retval())
		return SOCK_ALLOW;
	if (!fl_sc_decide(FL_SC_HOOK_SOCK, nr, &v))
		return SOCK_ALLOW;
	if (v.rule->action != FL_ACTION_ERROR) {
		fl_sc_failed(v.id, v.rule, nr, v.nth, -EOPNOTSUPP);
		return SOCK_ALLOW;
	}
	err = v.rule->value;
	if (err < -MAX_ERRNO || err >= 0)
		err = -EPERM;
	bpf_set_retval((int)err);
	fl_sc_emit(v.id, v.rule, nr, v.nth, FL_RESULT_INJECTED, -err);
	return SOCK_REJECT;
}

SEC("cgroup/sock_create")
int fl_sc_sock_create(struct bpf_sock *sk)
{
	return run(FL_SC_SOCK_CREATE);
}

SEC("cgroup/connect4")
int fl_sc_sock_connect4(struct bpf_sock_addr *ctx)
{
	return run(FL_SC_SOCK_CONNECT4);
}

SEC("cgroup/connect6")
int fl_sc_sock_connect6(struct bpf_sock_addr *ctx)
{
	return run(FL_SC_SOCK_CONNECT6);
}

SEC("cgroup/bind4")
int fl_sc_sock_bind4(struct bpf_sock_addr *ctx)
{
	return run(FL_SC_SOCK_BIND4);
}

SEC("cgroup/bind6")
int fl_sc_sock_bind6(struct bpf_sock_addr *ctx)
{
	return run(FL_SC_SOCK_BIND6);
}
