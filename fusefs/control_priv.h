/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket's command handlers, apart from its socket plumbing. */
#ifndef FAULTFS_CONTROL_PRIV_H
#define FAULTFS_CONTROL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

struct ffs;

/*
 * Handle one request line from a client on fd and write the reply (or, for
 * "log", the stream). Sets *handed_over when a copy of fd now streams the
 * write log (log --follow): the caller must stop reading requests from it
 * and close its own fd. Returns 0, or -errno
 * when fd is broken and the client should be dropped.
 */
int ffs_control_handle(struct ffs *fs, int fd, const char *line, size_t len,
		       bool *handed_over);

/* Write one JSON line {"ok":false,"error":msg}. */
int ffs_control_reply_error(int fd, const char *msg);
/* Write all of s to fd. */
int ffs_control_write(int fd, const char *s, size_t n);

#endif /* FAULTFS_CONTROL_PRIV_H */
