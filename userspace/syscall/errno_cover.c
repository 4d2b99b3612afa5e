// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which syscall each error hook fails. An LSM hook is listed for a syscall
 * only where the syscall reaches it exactly once per call (so when= and
 * count= count calls): socketpair(2) creates two sockets and sendmmsg(2)
 * sends many messages, so they are left out. Syscalls with no LSM hook
 * (fsync, close, ...) are not covered by any; the planner refuses them on
 * running targets.
 */
#include <sys/syscall.h>

#include "errno_common.h"

#define END (-1)

const struct fl_sc_lsm_cover fl_sc_lsm_covers[FL_SC_LSM__COUNT] = {
	/* do_dentry_open(); O_PATH opens skip it. */
	[FL_SC_LSM_FILE_OPEN] = { "file_open", {
#ifdef SYS_open
		SYS_open,
#endif
#ifdef SYS_creat
		SYS_creat,
#endif
#ifdef SYS_openat2
		SYS_openat2,
#endif
		SYS_openat, END } },
	/* rw_verify_area(): once per read/write-family call. */
	[FL_SC_LSM_FILE_PERMISSION] = { "file_permission", {
		SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
		SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, END } },
	/* vm_mmap_pgoff(): file and anonymous mappings alike. */
	[FL_SC_LSM_MMAP_FILE] = { "mmap_file", { SYS_mmap, END } },
	[FL_SC_LSM_PATH_UNLINK] = { "path_unlink", {
#ifdef SYS_unlink
		SYS_unlink,
#endif
		SYS_unlinkat, END } },
	[FL_SC_LSM_PATH_MKDIR] = { "path_mkdir", {
#ifdef SYS_mkdir
		SYS_mkdir,
#endif
		SYS_mkdirat, END } },
	/* unlinkat(AT_REMOVEDIR) comes here, plain unlinkat to path_unlink. */
	[FL_SC_LSM_PATH_RMDIR] = { "path_rmdir", {
#ifdef SYS_rmdir
		SYS_rmdir,
#endif
		SYS_unlinkat, END } },
	[FL_SC_LSM_PATH_RENAME] = { "path_rename", {
#ifdef SYS_rename
		SYS_rename,
#endif
#ifdef SYS_renameat
		SYS_renameat,
#endif
		SYS_renameat2, END } },
	/* ftruncate(2) reaches path_truncate before 6.2, file_truncate since. */
	[FL_SC_LSM_PATH_TRUNCATE] = { "path_truncate", { SYS_truncate, SYS_ftruncate, END } },
	[FL_SC_LSM_FILE_TRUNCATE] = { "file_truncate", { SYS_ftruncate, END } },
	[FL_SC_LSM_SOCKET_CREATE] = { "socket_create", { SYS_socket, END } },
	[FL_SC_LSM_SOCKET_CONNECT] = { "socket_connect", { SYS_connect, END } },
	[FL_SC_LSM_SOCKET_BIND] = { "socket_bind", { SYS_bind, END } },
	[FL_SC_LSM_SOCKET_LISTEN] = { "socket_listen", { SYS_listen, END } },
	[FL_SC_LSM_SOCKET_ACCEPT] = { "socket_accept", { SYS_accept, SYS_accept4, END } },
	/* write(2) on a socket also gets here, but is file_permission's. */
	[FL_SC_LSM_SOCKET_SENDMSG] = { "socket_sendmsg", { SYS_sendto, SYS_sendmsg, END } },
	[FL_SC_LSM_SOCKET_RECVMSG] = { "socket_recvmsg", { SYS_recvfrom, SYS_recvmsg, END } },
};

int fl_sc_sock_hook_nr(int h)
{
	switch (h) {
	case FL_SC_SOCK_CREATE:
		return SYS_socket;
	case FL_SC_SOCK_CONNECT4:
	case FL_SC_SOCK_CONNECT6:
		return SYS_connect;
	case FL_SC_SOCK_BIND4:
	case FL_SC_SOCK_BIND6:
		return SYS_bind;
	default:
		return -1;
	}
}

bool fl_syscall_lsm_covers(int nr)
{
	for (int h = 0; h < FL_SC_LSM__COUNT; h++)
		for (int i = 0; i < FL_SC_HOOK_MAX_NRS && fl_sc_lsm_covers[h].nrs[i] != END; i++)
			if (fl_sc_lsm_covers[h].nrs[i] == nr)
				return true;
	return false;
}

bool fl_syscall_sock_covers(int nr)
{
	for (int h = 0; h < FL_SC_SOCK__COUNT; h++)
		if (fl_sc_sock_hook_nr(h) == nr)
			return nr >= 0;
	return false;
}

void fl_sc_slots_mask(const struct fl_sc_rule *slots, size_t n, int hook, int mech, __u64 *ret)
{
	for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
		ret[w] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!slots[i].enabled || slots[i].hook != hook || slots[i].mechanism != mech)
			continue;
		for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
			ret[w] |= slots[i].nr_mask[w];
	}
}
