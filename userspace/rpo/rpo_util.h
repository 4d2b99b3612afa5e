/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* util.c: the error line every part of rpo writes; the clock is core's. */
#ifndef FL_RPO_UTIL_H
#define FL_RPO_UTIL_H

#include <stddef.h>

#include "core/clock.h"

/* Format one line into errbuf (NULL is fine): the sentence the CLI shows. */
void fl_rpo_errf(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* FL_RPO_UTIL_H */
