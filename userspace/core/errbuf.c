// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>

#include "core/errbuf.h"

void fl_verrf(char *errbuf, size_t len, const char *fmt, va_list ap)
{
	if (errbuf && len)
		vsnprintf(errbuf, len, fmt, ap);
}

void fl_errf(char *errbuf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fl_verrf(errbuf, len, fmt, ap);
	va_end(ap);
}
