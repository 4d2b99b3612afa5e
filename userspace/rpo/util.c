// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The error line of the rpo runner's fault plumbing. */
#include <stdarg.h>
#include <stdio.h>

#include "rpo_util.h"

void fl_rpo_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}
