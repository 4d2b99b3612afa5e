/* SPDX-License-Identifier: GPL-2.0-only */
/* The write log's line formatting, shared by wlog.c and its tests. */
#ifndef FAULTFS_WLOG_PRIV_H
#define FAULTFS_WLOG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wlog.h"

/*
 * A growing string buffer; on allocation failure it stays failed (oom).
 * FFS_SBUF_ON(array) starts it in the caller's array (no allocation for
 * a line that fits: the write log formats one per write); it moves to
 * the heap only when it outgrows it.
 */
struct ffs_sbuf {
	char *s;
	size_t len, cap;
	bool oom;
	bool borrowed;            /* s is the caller's array: never realloc'd or freed */
};
#define FFS_SBUF_ON(array) ((struct ffs_sbuf){ .s = (array), .cap = sizeof(array), .borrowed = true })

void ffs_sbuf_add(struct ffs_sbuf *b, const char *s, size_t n);
void ffs_sbuf_printf(struct ffs_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ffs_sbuf_free(struct ffs_sbuf *b);

/*
 * Append s (n bytes) as a JSON string, quotes included. Invalid UTF-8 is
 * replaced by U+FFFD; returns false if it had to be.
 */
bool ffs_json_string(struct ffs_sbuf *b, const char *s, size_t n);
void ffs_base64(struct ffs_sbuf *b, const unsigned char *s, size_t n);

/* Everything of a line after seq, ts_ns and time: ,"op":... up to the closing "}\n". */
int ffs_wlog_format_body(const struct ffs_wlog_entry *e, struct ffs_sbuf *b);
const char *ffs_wlog_kind_name(enum ffs_wlog_kind kind);

/* The calendar second last formatted, kept by the log under its lock. */
struct ffs_wlog_clock {
	bool valid;
	time_t sec;
	size_t len;
	char when[40];            /* "2025-01-01T00:00:00" of sec */
};
#define FFS_WLOG_PREFIX_MAX 160
/*
 * The start of a line, {"seq":N,"ts_ns":T,"time":"...Z" up to the body's
 * comma, into buf (FFS_WLOG_PREFIX_MAX bytes); returns its length. Byte for byte what
 * "{\"seq\":%llu,\"ts_ns\":%llu,\"time\":\"%s.%06ldZ\"" with strftime's
 * "%Y-%m-%dT%H:%M:%S" of gmtime(rt) gives.
 */
size_t ffs_wlog_format_prefix(char *buf, struct ffs_wlog_clock *c, uint64_t seq, uint64_t ts_ns,
			      const struct timespec *rt);

/* wlog_rotate.c. At most FFS_WLOG_KEEP_MAX rotated files. */
#define FFS_WLOG_KEEP_MAX 16
/* LOG -> LOG.1 -> ... -> LOG.keep (keep 0: LOG is removed). */
int ffs_wlog_rotate_files(int dirfd, const char *path, unsigned int keep);
/*
 * Read fds of the existing LOG.keep ... LOG.1 (oldest first), then a dup of
 * cur_rfd (LOG): fds holds up to keep + 1. The caller closes them.
 */
int ffs_wlog_open_chain(int dirfd, const char *path, unsigned int keep, int cur_rfd,
			int *fds, size_t *ret_n);

#endif /* FAULTFS_WLOG_PRIV_H */
