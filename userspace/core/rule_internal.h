/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by rule.c, rule_domain.c and rule_format.c. */
#ifndef FL_CORE_RULE_INTERNAL_H
#define FL_CORE_RULE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <faultline/rule.h>

/* Fill err (if non-NULL) and return -EINVAL. */
__attribute__((format(printf, 3, 4)))
int fl_rule_fail(struct fl_rule_error *err, unsigned column,
		 const char *fmt, ...);

/*
 * Copy s[0..n) into out (size len) for quoting in a message: bytes that are
 * not printable ASCII become '?', and long tokens end in "...".
 */
const char *fl_rule_quote(const char *s, size_t n, char *out, size_t len);

/* Levenshtein distance, capped at cap+1 (enough to rank close names). */
unsigned fl_edit_distance(const char *a, size_t na, const char *b,
			  unsigned cap);

/* How far a typo may be from a name we suggest: short names need closer. */
#define FL_SUGGEST_CAP(len) ((len) < 4 ? 1u : 2u)

/* Bit number (index into rule->col.key) of an enum fl_rule_key bit. */
unsigned fl_rule_key_index(unsigned bit);

#endif
