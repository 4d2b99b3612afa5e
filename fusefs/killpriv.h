/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * FUSE_HANDLE_KILLPRIV_V2, which libfuse 3.14 cannot negotiate.
 *
 * Why: without it the kernel never marks a FUSE inode S_NOSEC, so before
 * every write file_remove_privs() asks faultfs for security.capability: a
 * third round trip per write + fsync. With it the kernel sets SB_NOSEC and
 * asks only after an attribute refresh, and faultfs clears set-user-ID and
 * set-group-ID itself when the kernel says the caller may not keep them
 * (FUSE_WRITE_KILL_SUIDGID, FATTR_KILL_SUIDGID, FUSE_OPEN_KILL_SUIDGID).
 * faultfs runs as root (CAP_FSETID), so its own backing write, truncate or
 * open would keep them: the handlers must clear them.
 *
 * How: libfuse's custom io (fuse_session_custom_io on the mounted fd) lets
 * us read each raw request before libfuse dispatches it, on the worker
 * that then handles it, and see each reply before it is written: the INIT
 * reply gets the flag when the kernel offered it, and the kill bits
 * libfuse drops are kept for the handler (ffs_killpriv_asked).
 */
#ifndef FAULTFS_KILLPRIV_H
#define FAULTFS_KILLPRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/fuse.h>  /* the opcodes of ffs_killpriv_asked */

#include "faultfs.h"

/*
 * On a mounted session, before the loop: offer FUSE_HANDLE_KILLPRIV_V2 in
 * the INIT reply if the kernel offers it. Reads keep splicing (splice
 * write); requests are read into memory, as before (no splice read).
 * 0 or -errno.
 */
int ffs_killpriv_start(struct ffs *fs, struct fuse_session *se);

/*
 * In a handler: did the kernel ask, for this request (opcode FUSE_WRITE,
 * FUSE_SETATTR, FUSE_OPEN or FUSE_CREATE, on node ino), that set-user-ID
 * and set-group-ID be cleared? Always false unless v2 was negotiated.
 */
bool ffs_killpriv_asked(uint32_t opcode, fuse_ino_t ino);

/*
 * Clear set-user-ID, and set-group-ID when group-executable or the caller
 * of req is not in the file's group, as the VFS does for a caller without
 * CAP_FSETID; fd is any fd of the backing file (O_PATH too). A file
 * without them costs one statx. 1 if a bit was cleared, 0 if none was
 * set, or -errno.
 */
int ffs_killpriv_clear(fuse_req_t req, int fd);

/*
 * fallocate: the kernel clears the bits through a setattr that v2 turns
 * into nothing, and FUSE_FALLOCATE carries no kill flag, so the caller's
 * CAP_FSETID is read from /proc (only for a file that has the bits).
 * No-op without v2. As ffs_killpriv_clear.
 */
int ffs_killpriv_fallocate(fuse_req_t req, int fd);

#endif /* FAULTFS_KILLPRIV_H */
