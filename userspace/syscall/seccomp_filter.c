// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The classic BPF program a launched target runs under, and the tables
 * that say which syscall argument holds a path or an fd.
 *
 * Layout (jumps only go forward, offsets are 8 bits, hence the caps):
 *
 *   ld arch; jne AUDIT_ARCH -> ALLOW     a foreign-arch call is never ours
 *   ld nr; jeq NR_k -> NOTIF or ERRNO_e  one compare per named syscall
 *   ALLOW
 *   NOTIF
 *   ERRNO_e ...                          one per errno answered in the kernel
 *   [handshake exemption for sendmsg/recvmsg, see seccomp_priv.h]
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "seccomp_priv.h"

#if defined(__x86_64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp filter: unsupported architecture"
#endif

#define SC_MAX_INSNS 512

/* Syscalls whose argument N is a path (for path=). */
static const struct { const char *name; int arg; } path_args[] = {
	{ "open", 0 }, { "creat", 0 }, { "mkdir", 0 }, { "rmdir", 0 },
	{ "unlink", 0 }, { "chdir", 0 }, { "chmod", 0 }, { "chown", 0 },
	{ "lchown", 0 }, { "truncate", 0 }, { "stat", 0 }, { "lstat", 0 },
	{ "access", 0 }, { "readlink", 0 }, { "mknod", 0 }, { "utime", 0 },
	{ "utimes", 0 }, { "statfs", 0 }, { "execve", 0 }, { "rename", 0 },
	{ "link", 0 }, { "symlink", 1 }, { "setxattr", 0 }, { "lsetxattr", 0 },
	{ "getxattr", 0 }, { "lgetxattr", 0 }, { "listxattr", 0 },
	{ "llistxattr", 0 }, { "removexattr", 0 }, { "lremovexattr", 0 },
	{ "chroot", 0 }, { "acct", 0 },
	{ "openat", 1 }, { "openat2", 1 }, { "mkdirat", 1 }, { "unlinkat", 1 },
	{ "fchmodat", 1 }, { "fchmodat2", 1 }, { "fchownat", 1 },
	{ "newfstatat", 1 }, { "faccessat", 1 }, { "faccessat2", 1 },
	{ "readlinkat", 1 }, { "mknodat", 1 }, { "utimensat", 1 },
	{ "futimesat", 1 }, { "renameat", 1 }, { "renameat2", 1 },
	{ "linkat", 1 }, { "symlinkat", 2 }, { "execveat", 1 }, { "statx", 1 },
	{ "name_to_handle_at", 1 }, { "open_tree", 1 },
};

/* Syscalls whose argument N is an fd (path= matches what it points to). */
static const struct { const char *name; int arg; } fd_args[] = {
	{ "read", 0 }, { "write", 0 }, { "pread64", 0 }, { "pwrite64", 0 },
	{ "readv", 0 }, { "writev", 0 }, { "preadv", 0 }, { "pwritev", 0 },
	{ "preadv2", 0 }, { "pwritev2", 0 }, { "fsync", 0 }, { "fdatasync", 0 },
	{ "ftruncate", 0 }, { "fallocate", 0 }, { "close", 0 }, { "fstat", 0 },
	{ "lseek", 0 }, { "fchmod", 0 }, { "fchown", 0 }, { "flock", 0 },
	{ "fstatfs", 0 }, { "sync_file_range", 0 }, { "syncfs", 0 },
	{ "getdents", 0 }, { "getdents64", 0 }, { "fadvise64", 0 },
	{ "fgetxattr", 0 }, { "fsetxattr", 0 }, { "flistxattr", 0 },
	{ "fremovexattr", 0 }, { "ioctl", 0 }, { "fcntl", 0 }, { "fchdir", 0 },
	{ "copy_file_range", 0 }, { "sendfile", 0 }, { "mmap", 4 },
};

int fl_seccomp_path_arg(int nr)
{
	for (size_t i = 0; i < sizeof(path_args) / sizeof(path_args[0]); i++)
		if (fl_syscall_nr(path_args[i].name) == nr)
			return path_args[i].arg;
	return -1;
}

int fl_seccomp_fd_arg(int nr)
{
	for (size_t i = 0; i < sizeof(fd_args) / sizeof(fd_args[0]); i++)
		if (fl_syscall_nr(fd_args[i].name) == nr)
			return fd_args[i].arg;
	return -1;
}

int fl_seccomp_rule_check(const struct fl_rule *rule, struct fl_rule_error *err)
{
	int ret, nr;

	ret = fl_rule_check_domain(rule, FL_DOMAIN_SYSCALL, err);
	if (ret)
		return ret;
	for (unsigned i = 0; i < rule->n_ops; i++) {
		if (!strcmp(rule->ops[i], "*"))
			return fl_rule_refuse(err, rule->col.ops[i], -EOPNOTSUPP,
				      "%s", "'*': seccomp notifies only named syscalls; name them");
		nr = fl_syscall_nr(rule->ops[i]);
		if (nr < 0)
			return fl_rule_refuse(err, rule->col.ops[i], -EINVAL,
				      "unknown syscall '%s'", rule->ops[i]);
		if ((rule->keys & FL_KEY_PATH) && fl_seccomp_path_arg(nr) < 0 &&
		    fl_seccomp_fd_arg(nr) < 0)
			return fl_rule_refuse(err, fl_rule_key_col(rule, FL_KEY_PATH), -EOPNOTSUPP,
				      "path=: '%s' takes neither a path nor an fd", rule->ops[i]);
	}
	return 0;
}

int fl_sc_rule_nrs(const struct fl_rule *rules, size_t n_rules, int *nrs, size_t max,
		   size_t *ret_n)
{
	size_t n = 0, k;
	int nr;

	for (size_t r = 0; r < n_rules; r++) {
		for (unsigned i = 0; i < rules[r].n_ops; i++) {
			nr = fl_syscall_nr(rules[r].ops[i]);
			if (nr < 0)
				return -EINVAL;
			for (k = 0; k < n && nrs[k] != nr; k++)
				;
			if (k < n)
				continue;
			if (n == max)
				return -E2BIG;
			nrs[n++] = nr;
		}
	}
	*ret_n = n;
	return 0;
}

#define LD_ABS(off)       ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define JEQ(k, jt, jf)    ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf)))
#define RET(k)            ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (k)))
/* Low 32 bits of args[i] (little-endian). */
#define ARG_LO(i)         (offsetof(struct seccomp_data, args) + (i) * 8)

/* The distinct in-kernel answers of spec (SECCOMP_RET_ERRNO | e), into out. */
static size_t distinct_errnos(const struct fl_sc_filter_spec *spec, uint32_t *out)
{
	size_t n = 0, k;

	for (size_t i = 0; i < spec->n; i++) {
		if (spec->actions[i] == SECCOMP_RET_USER_NOTIF)
			continue;
		for (k = 0; k < n && out[k] != spec->actions[i]; k++)
			;
		if (k == n)
			out[n++] = spec->actions[i];
	}
	return n;
}

size_t fl_sc_filter_longest_jump(const struct fl_sc_filter_spec *spec)
{
	uint32_t errs[FL_SECCOMP_MAX_NRS];

	/* jeq #0 over the other jeqs, ALLOW, NOTIF, the errno RETs, two handshake blocks */
	return spec->n + 1 + distinct_errnos(spec, errs) + 2 * 6;
}

int fl_sc_filter_build(const struct fl_sc_filter_spec *spec, int handshake_fd,
		       struct sock_fprog *ret)
{
	uint32_t errs[FL_SECCOMP_MAX_NRS];
	struct sock_filter *f;
	size_t n = spec->n, n_err, pc = 0, allow, notif, err0, hs;
	int hs_nrs[2] = { __NR_sendmsg, __NR_recvmsg };
	bool exempt[FL_SECCOMP_MAX_NRS] = { false };

	if (n == 0 || n > FL_SECCOMP_MAX_NRS)
		return -EINVAL;
	if (fl_sc_filter_longest_jump(spec) > 255)
		return -E2BIG;
	if (handshake_fd >= 0) {
		for (size_t i = 0; i < n; i++)
			if (spec->nrs[i] == hs_nrs[0] || spec->nrs[i] == hs_nrs[1])
				exempt[i] = true;
	}
	n_err = distinct_errnos(spec, errs);
	f = calloc(SC_MAX_INSNS, sizeof(*f));
	if (!f)
		return -ENOMEM;

	allow = 3 + n;
	notif = allow + 1;
	err0 = notif + 1;                /* one RET per distinct errno answer */
	hs = err0 + n_err;               /* 6 insns per exempted syscall */
	f[pc++] = LD_ABS(offsetof(struct seccomp_data, arch));
	f[pc++] = JEQ(SC_AUDIT_ARCH, 0, allow - 2);
	f[pc++] = LD_ABS(offsetof(struct seccomp_data, nr));
	for (size_t i = 0, h = 0; i < n; i++, pc++) {
		size_t to = notif;

		if (exempt[i]) {
			to = hs + 6 * h++;
		} else if (spec->actions[i] != SECCOMP_RET_USER_NOTIF) {
			for (size_t k = 0; k < n_err; k++)
				if (errs[k] == spec->actions[i])
					to = err0 + k;
		}
		f[pc] = JEQ((uint32_t)spec->nrs[i], to - pc - 1, 0);
	}
	f[pc++] = RET(SECCOMP_RET_ALLOW);
	f[pc++] = RET(SECCOMP_RET_USER_NOTIF);
	for (size_t k = 0; k < n_err; k++)
		f[pc++] = RET(errs[k]);
	/* handshake blocks: fd and flags both equal -> ALLOW, else the number's answer */
	for (size_t i = 0; i < n; i++) {
		if (!exempt[i])
			continue;
		f[pc++] = LD_ABS(ARG_LO(0));
		f[pc] = JEQ((uint32_t)handshake_fd, 0, 3);
		pc++;
		f[pc++] = LD_ABS(ARG_LO(2));
		f[pc] = JEQ((uint32_t)FL_SC_HANDSHAKE_FLAGS, 0, 1);
		pc++;
		f[pc++] = RET(SECCOMP_RET_ALLOW);
		f[pc++] = RET(spec->actions[i]);
	}

	ret->len = (unsigned short)pc;
	ret->filter = f;
	return 0;
}

void fl_seccomp_filter_free(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

/* Only the instructions our builder emits: LD W ABS, JEQ/JGT/JGE/JSET K, JA, RET K. */
int64_t fl_seccomp_filter_eval(const struct sock_fprog *prog, uint32_t arch, int nr)
{
	struct seccomp_data d = { .nr = nr, .arch = arch };
	uint32_t a = 0;
	size_t pc = 0;

	while (pc < prog->len) {
		const struct sock_filter *i = &prog->filter[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof(d))
				return -EINVAL;
			memcpy(&a, (const char *)&d + i->k, 4);
			pc++;
			break;
		case BPF_JMP | BPF_JA:
			pc += 1 + i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += 1 + (a == i->k ? i->jt : i->jf);
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += 1 + (a > i->k ? i->jt : i->jf);
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += 1 + (a >= i->k ? i->jt : i->jf);
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += 1 + ((a & i->k) ? i->jt : i->jf);
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}
