/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The library's one way to say why: a call that fails fills the caller's
 * errbuf (which may be NULL) with one sentence, and the CLI prints it.
 */
#ifndef FL_CORE_ERRBUF_H
#define FL_CORE_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>

void fl_errf(char *errbuf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fl_verrf(char *errbuf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* FL_CORE_ERRBUF_H */
