/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between bpf/syscall_errno_{lsm,sock}.bpf.c and userspace/syscall/errno_*.c:
 * the hooks the error programs use, by index, and the per-hook
 * configuration the loader writes into their rodata. Which syscalls a hook
 * covers is userspace's table (errno_cover.c): the programs only test the
 * masks they are given, so the arch's syscall numbers live in one place.
 */
#ifndef FL_SYSCALL_ERRNO_HOOKS_H
#define FL_SYSCALL_ERRNO_HOOKS_H

#include <faultline/syscall_abi.h>

/* LSM hooks, each both an lsm/NAME and an fmod_ret/security_NAME program. */
enum fl_sc_lsm_hook {
	FL_SC_LSM_FILE_OPEN = 0,
	FL_SC_LSM_FILE_PERMISSION,
	FL_SC_LSM_MMAP_FILE,
	FL_SC_LSM_PATH_UNLINK,
	FL_SC_LSM_PATH_MKDIR,
	FL_SC_LSM_PATH_RMDIR,
	FL_SC_LSM_PATH_RENAME,
	FL_SC_LSM_PATH_TRUNCATE,
	FL_SC_LSM_FILE_TRUNCATE,   /* 6.2+: ftruncate moved here from path_truncate */
	FL_SC_LSM_SOCKET_CREATE,
	FL_SC_LSM_SOCKET_CONNECT,
	FL_SC_LSM_SOCKET_BIND,
	FL_SC_LSM_SOCKET_LISTEN,
	FL_SC_LSM_SOCKET_ACCEPT,
	FL_SC_LSM_SOCKET_SENDMSG,
	FL_SC_LSM_SOCKET_RECVMSG,
	FL_SC_LSM__COUNT,
};

/*
 * Rodata of one mechanism's programs (lsm/ or fmod_ret/). nrs[h]: the
 * syscalls hook h serves for this session, i.e. the hook's coverage cut
 * down to the syscalls of the rules using this mechanism, so a call that
 * passes several hooks is counted by one only. nargs[h]: the number of
 * arguments of the attached function (from the kernel's BTF; it differs
 * between kernels and between bpf_lsm_X and security_X): the previous
 * program's return value follows them in the context.
 */
struct fl_sc_lsm_config {
	__u64 nrs[FL_SC_LSM__COUNT][FL_SC_MASK_WORDS];
	__u8 nargs[FL_SC_LSM__COUNT];
};

/* cgroup socket hooks (cgroup programs cannot read the caller's registers). */
enum fl_sc_sock_hook {
	FL_SC_SOCK_CREATE = 0,     /* cgroup/sock_create: socket(2), AF_INET/AF_INET6 */
	FL_SC_SOCK_CONNECT4,       /* cgroup/connect4: connect(2) */
	FL_SC_SOCK_CONNECT6,
	FL_SC_SOCK_BIND4,          /* cgroup/bind4: bind(2) */
	FL_SC_SOCK_BIND6,
	FL_SC_SOCK__COUNT,
};

/* The syscall each socket hook stands for, written by the loader. */
struct fl_sc_sock_config {
	__s32 nr[FL_SC_SOCK__COUNT];
};

#endif /* FL_SYSCALL_ERRNO_HOOKS_H */
