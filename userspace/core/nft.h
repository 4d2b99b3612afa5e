/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nftables commands through libnftables, inside a named netns: the delay
 * line's native queue rules, the probe's, and their undo. The library
 * owns the syntax; it never prints (its output and errors are buffered).
 */
#ifndef FL_CORE_NFT_H
#define FL_CORE_NFT_H

#include <stddef.h>

/*
 * Run cmds (nft syntax, ';' or newline separated: one transaction) in
 * netns ("" or NULL = the calling thread's). out (may be NULL) gets what
 * nft printed (a listing); msg (may be NULL) the first line of its error.
 * 0; -EPROTO when nft refused the commands (nothing of them applied);
 * -ENOENT when the netns does not exist; another -errno.
 */
int fl_nft_run(const char *netns, const char *cmds, char *out, size_t out_len,
	       char *msg, size_t msg_len);

#endif /* FL_CORE_NFT_H */
