// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Value parsers for rules and command lines. All are strict: no leading
 * blanks or signs, no trailing garbage, overflow refused, and a value that
 * cannot be represented exactly (1.5ns, 0.00001%) is an error rather than
 * silently rounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "errno_names.h"
#include "parse_values.h"

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S  1000000000ull
#define PPM_ALL   1000000u

struct unit {
	const char *suffix;
	uint64_t mult;
};

static const struct unit duration_units[] = {
	{ "ns", 1 }, { "us", NS_PER_US }, { "ms", NS_PER_MS },
	{ "s", NS_PER_S }, { "m", 60 * NS_PER_S }, { "min", 60 * NS_PER_S },
	{ "h", 3600 * NS_PER_S },
};

/* Largest first: the formatter picks the biggest unit that is exact. */
static const struct unit duration_format_units[] = {
	{ "h", 3600 * NS_PER_S }, { "m", 60 * NS_PER_S }, { "s", NS_PER_S },
	{ "ms", NS_PER_MS }, { "us", NS_PER_US },
};

static const struct unit size_units[] = {
	{ "", 1 },
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "KiB", 1ull << 10 },
	{ "m", 1ull << 20 }, { "M", 1ull << 20 }, { "MiB", 1ull << 20 },
	{ "g", 1ull << 30 }, { "G", 1ull << 30 }, { "GiB", 1ull << 30 },
	{ "t", 1ull << 40 }, { "T", 1ull << 40 }, { "TiB", 1ull << 40 },
};

/* tc's spelling: "bit" suffixes are bits; k/m/g are powers of 1000. */
static const struct unit rate_units[] = {
	{ "", 1 }, { "bit", 1 },
	{ "k", 1000ull }, { "kbit", 1000ull },
	{ "m", 1000000ull }, { "mbit", 1000000ull },
	{ "g", 1000000000ull }, { "gbit", 1000000000ull },
};

static const struct unit rate_format_units[] = {
	{ "gbit", 1000000000ull }, { "mbit", 1000000ull }, { "kbit", 1000ull },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the "digits[.digits]" prefix of s, 0 if there is none. */
static size_t number_len(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	if (n && s[n] == '.' && is_digit(s[n + 1])) {
		n++;
		while (is_digit(s[n]))
			n++;
	}
	return n;
}

int fl_parse_scaled(const char *s, size_t n, uint64_t mult, uint64_t *ret,
		    const char **why)
{
	unsigned __int128 whole = 0, frac = 0, pow10 = 1, total;
	size_t i = 0;

	if (n == 0 || !is_digit(s[0])) {
		*why = "not a number";
		return -EINVAL;
	}
	for (; i < n && is_digit(s[i]); i++) {
		whole = whole * 10 + (unsigned)(s[i] - '0');
		if (whole > UINT64_MAX)
			goto too_large;
	}
	if (i < n) {
		size_t last = n;

		if (s[i] != '.' || i + 1 == n) {
			*why = "not a number";
			return -EINVAL;
		}
		/* Trailing zeros add nothing and would only overflow pow10. */
		while (last > i + 1 && s[last - 1] == '0')
			last--;
		for (i++; i < last; i++) {
			if (!is_digit(s[i])) {
				*why = "not a number";
				return -EINVAL;
			}
			if (pow10 > UINT64_MAX)
				goto too_precise;
			frac = frac * 10 + (unsigned)(s[i] - '0');
			pow10 *= 10;
		}
		for (; i < n; i++) {
			if (!is_digit(s[i])) {
				*why = "not a number";
				return -EINVAL;
			}
		}
	}

	total = whole * mult;
	if (total > UINT64_MAX)
		goto too_large;
	/* frac < pow10 <= 10^20 and mult < 2^64: the product fits 128 bits. */
	frac *= mult;
	if (frac % pow10)
		goto too_precise;
	total += frac / pow10;
	if (total > UINT64_MAX)
		goto too_large;
	*ret = (uint64_t)total;
	return 0;

too_large:
	*why = "too large";
	return -EINVAL;
too_precise:
	*why = "too precise";
	return -EINVAL;
}

/* number + one suffix from units; *unit_why is used for a bad suffix. */
static int parse_with_units(const char *s, const struct unit *units,
			    size_t n_units, const char *unit_why,
			    uint64_t *ret, const char **why)
{
	size_t n = number_len(s), i;

	if (n == 0) {
		*why = "not a number";
		return -EINVAL;
	}
	for (i = 0; i < n_units; i++)
		if (!strcmp(s + n, units[i].suffix))
			return fl_parse_scaled(s, n, units[i].mult, ret, why);
	*why = unit_why;
	return -EINVAL;
}

int fl_parse_u64_why(const char *s, uint64_t *ret, const char **why)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned base = 10;

	if (!s || !*s) {
		*why = "empty";
		return -EINVAL;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p) {
			*why = "not a number";
			return -EINVAL;
		}
	}
	for (; *p; p++) {
		unsigned d;

		if (is_digit(*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else {
			*why = "not a number";
			return -EINVAL;
		}
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v)) {
			*why = "too large";
			return -EINVAL;
		}
	}
	*ret = v;
	return 0;
}

int fl_parse_size_why(const char *s, uint64_t *ret, const char **why)
{
	if (!s || !*s) {
		*why = "empty";
		return -EINVAL;
	}
	return parse_with_units(s, size_units,
				sizeof(size_units) / sizeof(size_units[0]),
				"unknown size unit (use k, M, G or T)", ret, why);
}

int fl_parse_duration_why(const char *s, uint64_t *ret_ns, const char **why)
{
	size_t n;

	if (!s || !*s) {
		*why = "empty";
		return -EINVAL;
	}
	n = number_len(s);
	if (n && s[n] == '\0') {
		*why = "missing unit (use ns, us, ms, s, m or h)";
		return -EINVAL;
	}
	if (parse_with_units(s, duration_units,
			     sizeof(duration_units) / sizeof(duration_units[0]),
			     "unknown unit (use ns, us, ms, s, m or h)",
			     ret_ns, why)) {
		if (!strcmp(*why, "too precise"))
			*why = "finer than 1ns";
		return -EINVAL;
	}
	return 0;
}

int fl_parse_percent_why(const char *s, uint32_t *ret_ppm, const char **why)
{
	uint64_t ppm;
	size_t n;
	int err;

	if (!s || !*s) {
		*why = "empty";
		return -EINVAL;
	}
	n = number_len(s);
	if (n && !strcmp(s + n, "%")) {
		/* 1% is 10000 ppm */
		err = fl_parse_scaled(s, n, 10000, &ppm, why);
		if (!err && ppm > PPM_ALL) {
			*why = "more than 100%";
			return -EINVAL;
		}
	} else if (n && s[n] == '\0') {
		err = fl_parse_scaled(s, n, PPM_ALL, &ppm, why);
		if (!err && ppm > PPM_ALL) {
			*why = "a fraction above 1 (write N% for a percentage)";
			return -EINVAL;
		}
	} else {
		*why = "not a percentage or a fraction";
		return -EINVAL;
	}
	if (err) {
		if (!strcmp(*why, "too large"))
			*why = "more than 100%";
		else if (!strcmp(*why, "too precise"))
			*why = "finer than 0.0001%";
		return err;
	}
	*ret_ppm = (uint32_t)ppm;
	return 0;
}

int fl_parse_rate_why(const char *s, uint64_t *ret_bps, const char **why)
{
	if (!s || !*s) {
		*why = "empty";
		return -EINVAL;
	}
	return parse_with_units(s, rate_units,
				sizeof(rate_units) / sizeof(rate_units[0]),
				"unknown rate unit (use bit, kbit, mbit or gbit)",
				ret_bps, why);
}

/* errno and signal numbers are plain decimal, as strace writes them. */
static bool is_decimal(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int fl_parse_errno(const char *s, int *ret)
{
	const char *why;
	uint64_t v;
	int err;

	if (!s || !*s)
		return -EINVAL;
	if (is_digit(s[0])) {
		if (!is_decimal(s) || fl_parse_u64_why(s, &v, &why) ||
		    v < 1 || v > 4095)
			return -EINVAL;
		*ret = (int)v;
		return 0;
	}
	err = fl_errno_lookup(s);
	if (err < 0)
		return -EINVAL;
	*ret = err;
	return 0;
}

int fl_parse_signal(const char *s, int *ret)
{
	const char *why;
	uint64_t v;
	int sig;

	if (!s || !*s)
		return -EINVAL;
	if (is_digit(s[0])) {
		if (!is_decimal(s) || fl_parse_u64_why(s, &v, &why) ||
		    v < 1 || v > (uint64_t)fl_signal_max())
			return -EINVAL;
		*ret = (int)v;
		return 0;
	}
	sig = fl_signal_lookup(s);
	if (sig < 0)
		return -EINVAL;
	*ret = sig;
	return 0;
}

int fl_parse_duration(const char *s, uint64_t *ret_ns)
{
	const char *why;

	return fl_parse_duration_why(s, ret_ns, &why);
}

int fl_parse_percent(const char *s, uint32_t *ret_ppm)
{
	const char *why;

	return fl_parse_percent_why(s, ret_ppm, &why);
}

int fl_parse_u64(const char *s, uint64_t *ret)
{
	const char *why;

	return fl_parse_u64_why(s, ret, &why);
}

int fl_parse_size(const char *s, uint64_t *ret)
{
	const char *why;

	return fl_parse_size_why(s, ret, &why);
}

int fl_format_duration(uint64_t ns, char *buf, size_t len)
{
	size_t i;

	for (i = 0; ns && i < sizeof(duration_format_units) /
				  sizeof(duration_format_units[0]); i++) {
		const struct unit *u = &duration_format_units[i];

		if (ns % u->mult == 0)
			return snprintf(buf, len, "%" PRIu64 "%s", ns / u->mult,
					u->suffix);
	}
	return snprintf(buf, len, "%" PRIu64 "ns", ns);
}

int fl_format_percent(uint32_t ppm, char *buf, size_t len)
{
	unsigned whole = ppm / 10000, frac = ppm % 10000, digits = 4;

	if (!frac)
		return snprintf(buf, len, "%u%%", whole);
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	return snprintf(buf, len, "%u.%0*u%%", whole, (int)digits, frac);
}

int fl_format_rate(uint64_t bps, char *buf, size_t len)
{
	size_t i;

	for (i = 0; bps && i < sizeof(rate_format_units) /
				   sizeof(rate_format_units[0]); i++) {
		const struct unit *u = &rate_format_units[i];

		if (bps % u->mult == 0)
			return snprintf(buf, len, "%" PRIu64 "%s", bps / u->mult,
					u->suffix);
	}
	return snprintf(buf, len, "%" PRIu64 "bit", bps);
}
