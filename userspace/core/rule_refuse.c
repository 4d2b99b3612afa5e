// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Refusals after parsing, pointing at the rule's column as the parser's
 * own errors do: one helper for the domains and mechanisms that check a
 * parsed rule further (net's compile and shaping, seccomp's filter).
 */
#include <stdarg.h>
#include <stdio.h>

#include <faultline/rule.h>

#include "core/rule_internal.h"

unsigned fl_rule_key_col(const struct fl_rule *r, unsigned bit)
{
	unsigned col = r->col.key[fl_rule_key_index(bit)];

	return col ? col : 1;
}

int fl_rule_refuse(struct fl_rule_error *err, unsigned col, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->column = col ? col : 1;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}
