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

/*
 * src=/dst= value: "10.0.0.0/8", "fd00::/64" (as "[fd00::/64]",
 * "[fd00::]/64" or "fd00\:\:/64" in a rule), a bare address. On error *why
 * says why and, when only host bits were wrong, fix holds the prefix that
 * was probably meant ("10.0.0.0/8"); "" otherwise.
 */
int fl_net_parse_prefix(const char *s, struct fl_net_prefix *ret,
			const char **why, char *fix, size_t fix_len);
/* Canonical text fl_net_parse_prefix() reads back: IPv6 in brackets. */
int fl_net_format_prefix(const struct fl_net_prefix *p, char *buf, size_t len);
/*
 * "5432" or "5000-5100"; *why as the other value parsers. -ERANGE when
 * both ports are valid but the first is larger, else -EINVAL.
 */
int fl_parse_port_range_why(const char *s, struct fl_port_range *ret,
			    const char **why);

/* The net domain's combined checks (protocols against keys and action). */
int fl_rule_check_net(const struct fl_rule *rule, struct fl_rule_error *err);
/* corrupt=MODE belongs to the domain (fs: bitflip/zero/random, net: wire/payload). */
int fl_rule_check_corrupt(const struct fl_rule *rule, enum fl_domain domain,
			  struct fl_rule_error *err);

#endif
