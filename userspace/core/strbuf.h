/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded appender into a caller's buffer, for lines and scripts built
 * piece by piece: an overflow is remembered once and checked at the end,
 * not after every piece. The text stays NUL-terminated.
 */
#ifndef FL_CORE_STRBUF_H
#define FL_CORE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct fl_strbuf {
	char *buf;
	size_t len, pos;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
void fl_strbuf_put(struct fl_strbuf *b, const char *fmt, ...);

#endif
