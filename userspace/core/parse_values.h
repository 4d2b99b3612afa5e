/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The value parsers behind fl_parse_*(), with the reason a value was
 * refused, so the rule parser can say more than "invalid". Each returns 0
 * or -EINVAL (and sets *why to a short phrase such as "missing unit").
 * Formatters print the canonical text the parsers read back unchanged.
 */
#ifndef FL_CORE_PARSE_VALUES_H
#define FL_CORE_PARSE_VALUES_H

#include <stddef.h>
#include <stdint.h>

int fl_parse_u64_why(const char *s, uint64_t *ret, const char **why);
int fl_parse_size_why(const char *s, uint64_t *ret, const char **why);
int fl_parse_duration_why(const char *s, uint64_t *ret_ns, const char **why);
int fl_parse_percent_why(const char *s, uint32_t *ret_ppm, const char **why);
/* Bits per second: "1000", "64kbit", "1mbit", "2.5g" (decimal multiples). */
int fl_parse_rate_why(const char *s, uint64_t *ret_bps, const char **why);
/* "1.5" scaled by mult (1.5 * 1000 = 1500); refuses what is not whole. */
int fl_parse_scaled(const char *s, size_t n, uint64_t mult, uint64_t *ret,
		    const char **why);

/* snprintf-style: the length the text needs. */
int fl_format_duration(uint64_t ns, char *buf, size_t len);
int fl_format_percent(uint32_t ppm, char *buf, size_t len);
int fl_format_rate(uint64_t bps, char *buf, size_t len);

#endif
