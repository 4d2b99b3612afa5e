// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every adapter uses (adapter.h): its error line, its description,
 * and the query of a spec. Below workload.c and the adapters alike.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapter.h"

int fl_wl_err(const struct fl_workload *w, int err, char *errbuf, size_t errlen,
	      const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!errbuf || !errlen)
		return err;
	if (w && w->ad)
		n = snprintf(errbuf, errlen, "%s: ", w->ad->scheme);
	if (n < 0 || (size_t)n >= errlen)
		return err;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - n, fmt, ap);
	va_end(ap);
	return err;
}

int fl_wl_set_desc(struct fl_workload *w, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	free(w->desc);
	w->desc = s;
	return 0;
}

bool fl_wl_query_next(char **cursor, char **key, char **val)
{
	char *s = *cursor, *amp, *eq;

	while (s && *s == '&')
		s++;
	if (!s || !*s)
		return false;
	amp = strchr(s, '&');
	if (amp)
		*amp = '\0';
	*cursor = amp ? amp + 1 : NULL;
	*key = s;
	eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		*val = eq + 1;
	} else {
		*val = s + strlen(s);
	}
	return true;
}

const char *fl_wl_pick(const char *val, const char *const *list)
{
	for (; *list; list++)
		if (!strcasecmp(val, *list))
			return *list;
	return NULL;
}
