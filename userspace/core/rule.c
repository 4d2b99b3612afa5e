// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rule parser: OPS[:KEY[=VALUE]]... into a struct fl_rule.
 *
 * Every error names the problem, quotes the offending token and gives the
 * 1-based column of its first character, because the user has to find it
 * in a command line or scenario file without our help.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "errno_names.h"
#include "parse_values.h"
#include "rule_internal.h"

#define QUOTE_LEN 48

struct parser;
struct key_def;

typedef int (*value_fn)(struct parser *p, const struct key_def *k,
			const char *value, unsigned col);

struct key_def {
	const char *name;
	enum fl_action action;  /* FL_ACTION_NONE for a selector */
	unsigned bit;           /* enum fl_rule_key bit of a selector */
	const char *usage;      /* NULL for a flag that takes no value */
	value_fn parse;
};

struct parser {
	const char *text;
	struct fl_rule_error *err;
	struct fl_rule rule;
	uint64_t seen;                  /* key_defs given, by index */
	const struct key_def *action;   /* the one action, once seen */
	char quote[QUOTE_LEN];
};

/* --- shared helpers --------------------------------------------------- */

int fl_rule_fail(struct fl_rule_error *err, unsigned column,
		 const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->column = column;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *fl_rule_quote(const char *s, size_t n, char *out, size_t len)
{
	size_t i, max = len - 1;

	if (n > max)
		max -= 3; /* room for "..." */
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

const char *fl_rule_excerpt(const char *text, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		bool plain = *c >= 0x20 && *c < 0x7f && *c != '\\';
		size_t need = plain ? 1 : 4;

		/* Keep room for "..." unless this is the last byte. */
		if (o + need + (c[1] ? 3 : 0) >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (plain) {
			buf[o++] = (char)*c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*c >> 4];
			buf[o++] = hex[*c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

unsigned fl_edit_distance(const char *a, size_t na, const char *b,
			  unsigned cap)
{
	unsigned row[FL_RULE_OP_LEN + 1];
	size_t nb = strlen(b), i, j;

	if (nb > FL_RULE_OP_LEN || na > nb + cap || nb > na + cap)
		return cap + 1;
	for (j = 0; j <= nb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= na; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (j = 1; j <= nb; j++) {
			unsigned up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb] > cap ? cap + 1 : row[nb];
}

static const char *const key_names[FL_RULE_N_KEYS] = {
	"when", "prob", "count", "for", "path", "seed",
	"bytes", "dport", "sport", "host", "read", "persist",
	"src", "dst", "dir", "reorder",
};

unsigned fl_rule_key_index(unsigned bit)
{
	return bit ? (unsigned)__builtin_ctz(bit) : 0;
}

const char *fl_rule_key_name(unsigned bit)
{
	unsigned i = fl_rule_key_index(bit);

	return bit && i < FL_RULE_N_KEYS ? key_names[i] : NULL;
}

static int fail_token(struct parser *p, const char *what, const char *tok,
		      unsigned col, const char *why)
{
	fl_rule_quote(tok, strlen(tok), p->quote, sizeof(p->quote));
	if (why)
		return fl_rule_fail(p->err, col, "%s '%s' at column %u: %s",
				    what, p->quote, col, why);
	return fl_rule_fail(p->err, col, "%s '%s' at column %u", what,
			    p->quote, col);
}

/* --- value parsers, one per key --------------------------------------- */

static int parse_errno_value(struct parser *p, const struct key_def *k,
			     const char *v, unsigned col)
{
	int e;

	if (fl_parse_errno(v, &e)) {
		if (strspn(v, "0123456789") == strlen(v))
			return fail_token(p, "errno out of range 1..4095, got",
					  v, col, NULL);
		return fail_token(p, "unknown errno", v, col, NULL);
	}
	p->rule.arg.error = e;
	return 0;
}

static int parse_retval(struct parser *p, const struct key_def *k,
			const char *v, unsigned col)
{
	bool neg = v[0] == '-';
	const char *why;
	uint64_t mag;

	if (fl_parse_u64_why(v + neg, &mag, &why))
		return fail_token(p, "invalid retval", v, col, why);
	if (mag > (uint64_t)INT64_MAX + neg)
		return fail_token(p, "invalid retval", v, col, "too large");
	p->rule.arg.retval = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* A duration that must be more than zero. */
static int parse_positive_duration(struct parser *p, const char *v,
				   unsigned col, bool bare_us, uint64_t *ns)
{
	const char *why;
	size_t n = strspn(v, "0123456789.");

	/* strace's delay_enter=N is in microseconds */
	if (bare_us && n && v[n] == '\0') {
		if (fl_parse_scaled(v, n, 1000, ns, &why))
			return fail_token(p, "invalid duration", v, col, why);
	} else if (fl_parse_duration_why(v, ns, &why)) {
		return fail_token(p, "invalid duration", v, col, why);
	}
	if (*ns == 0)
		return fail_token(p, "duration must be more than 0, got", v,
				  col, NULL);
	return 0;
}

static int parse_delay(struct parser *p, const struct key_def *k,
		       const char *v, unsigned col)
{
	bool bare_us = !strcmp(k->name, "delay_enter");
	char main_part[FL_RULE_MAX_LEN + 1];
	const char *tilde = strchr(v, '~'), *why;
	uint64_t ns, jitter = 0;
	size_t n = tilde ? (size_t)(tilde - v) : strlen(v);
	int err;

	memcpy(main_part, v, n);
	main_part[n] = '\0';
	err = parse_positive_duration(p, main_part, col, bare_us, &ns);
	if (err)
		return err;
	if (tilde) {
		unsigned jcol = col + (unsigned)n + 1;

		if (fl_parse_duration_why(tilde + 1, &jitter, &why))
			return fail_token(p, "invalid jitter", tilde + 1,
					  jcol, why);
		if (jitter > ns)
			return fail_token(p, "jitter larger than the delay,",
					  tilde + 1, jcol, NULL);
	}
	p->rule.arg.delay.ns = ns;
	p->rule.arg.delay.jitter_ns = jitter;
	return 0;
}

static int parse_signal_value(struct parser *p, const struct key_def *k,
			      const char *v, unsigned col)
{
	int sig;

	if (!fl_parse_signal(v, &sig)) {
		p->rule.arg.signal = sig;
		return 0;
	}
	if (strspn(v, "0123456789") == strlen(v)) {
		char what[48];

		snprintf(what, sizeof(what), "signal out of range 1..%d, got",
			 fl_signal_max());
		return fail_token(p, what, v, col, NULL);
	}
	if (fl_signal_lookup(v) == -ERANGE)
		return fail_token(p, "realtime signal out of range", v, col,
				  NULL);
	return fail_token(p, "unknown signal", v, col, NULL);
}

static int parse_pause(struct parser *p, const struct key_def *k,
		       const char *v, unsigned col)
{
	return parse_positive_duration(p, v, col, false, &p->rule.arg.pause_ns);
}

/* Are all ops net protocol names? Then hints speak of the net domain. */
static bool net_ops(const struct fl_rule *r)
{
	unsigned i;

	for (i = 0; i < r->n_ops; i++)
		if (!fl_net_proto_bit(r->ops[i]))
			return false;
	return r->n_ops > 0;
}

/* A near-miss value among names[] for "did you mean", or NULL. */
static const char *nearest_word(const char *v, const char *const *names)
{
	size_t n = strlen(v);
	unsigned cap = FL_SUGGEST_CAP(n), best_d = cap + 1, d;
	const char *best = NULL;

	for (; *names; names++) {
		d = fl_edit_distance(v, n, *names, cap);
		if (d < best_d) {
			best_d = d;
			best = *names;
		}
	}
	return best;
}

/* The mode a word names; the domain check keeps each to its domain. */
static const struct {
	const char *name;
	enum fl_corrupt_mode mode;
} corrupt_modes[] = {
	{ "bitflip", FL_CORRUPT_BITFLIP }, { "zero", FL_CORRUPT_ZERO },
	{ "random", FL_CORRUPT_RANDOM }, { "wire", FL_CORRUPT_WIRE },
	{ "payload", FL_CORRUPT_PAYLOAD },
};

static int parse_corrupt(struct parser *p, const struct key_def *k,
			 const char *v, unsigned col)
{
	static const char *const fs_modes[] = { "bitflip", "zero", "random", NULL };
	static const char *const net_modes[] = { "wire", "payload", NULL };
	bool net = net_ops(&p->rule);
	const char *near, *hint = net ? "use wire or payload"
				      : "use bitflip, zero or random";
	char why[96];
	size_t i;

	/* a bare 'corrupt' is the domain's default (wire for net) */
	if (!v) {
		p->rule.arg.corrupt = FL_CORRUPT_DEFAULT;
		return 0;
	}
	for (i = 0; i < sizeof(corrupt_modes) / sizeof(corrupt_modes[0]); i++) {
		if (!strcmp(v, corrupt_modes[i].name)) {
			p->rule.arg.corrupt = corrupt_modes[i].mode;
			return 0;
		}
	}
	near = nearest_word(v, net ? net_modes : fs_modes);
	if (!near)
		return fail_token(p, "unknown corrupt mode", v, col, hint);
	snprintf(why, sizeof(why), "did you mean '%s'? (%s)", near, hint);
	return fail_token(p, "unknown corrupt mode", v, col, why);
}

static int parse_torn(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	const char *why;
	uint64_t size;

	if (fl_parse_size_why(v, &size, &why))
		return fail_token(p, "invalid sector size", v, col, why);
	if (size < 512 || size > (1ull << 31) || (size & (size - 1)))
		return fail_token(p, "invalid sector size", v, col,
				  "a power of two from 512 to 2G");
	p->rule.arg.torn_sector = (uint32_t)size;
	return 0;
}

static int parse_powercut(struct parser *p, const struct key_def *k,
			  const char *v, unsigned col)
{
	if (!strcmp(v, "before"))
		p->rule.arg.powercut = FL_POWERCUT_BEFORE;
	else if (!strcmp(v, "after"))
		p->rule.arg.powercut = FL_POWERCUT_AFTER;
	else
		return fail_token(p, "unknown powercut point", v, col,
				  "use before or after");
	return 0;
}

static int parse_rate(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	const char *why;
	uint64_t bps;

	if (fl_parse_rate_why(v, &bps, &why))
		return fail_token(p, "invalid rate", v, col, why);
	if (bps == 0)
		return fail_token(p, "rate must be more than 0, got", v, col,
				  NULL);
	p->rule.arg.rate_bps = bps;
	return 0;
}

/* One decimal number of when=; *end is left after its digits. */
static int when_number(struct parser *p, const char *v, const char *s,
		       unsigned col, const char **end, uint64_t *ret)
{
	char num[32];
	const char *why;
	size_t n = strspn(s, "0123456789");

	if (n == 0)
		return fail_token(p, "invalid when=", v, col - (unsigned)(s - v),
				  "use FIRST[..LAST][+STEP]");
	if (n >= sizeof(num)) {
		return fail_token(p, "number too large in when=", v,
				  col - (unsigned)(s - v), NULL);
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (fl_parse_u64_why(num, ret, &why))
		return fail_token(p, "number too large in when=", v,
				  col - (unsigned)(s - v), NULL);
	*end = s + n;
	return 0;
}

static int parse_when(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	struct fl_when w = { .step = 1 };
	const char *s = v, *tok = v;
	bool range = false;
	char num[32];
	int err;

#define COL_OF(ptr) (col + (unsigned)((ptr) - v))
#define QUOTE_TOK() fl_rule_quote(tok, (size_t)(s - tok), num, sizeof(num))
	err = when_number(p, v, s, COL_OF(s), &s, &w.first);
	if (err)
		return err;
	if (w.first == 0) {
		QUOTE_TOK();
		return fl_rule_fail(p->err, COL_OF(tok),
				    "when= counts calls from 1, got '%s' at column %u",
				    num, COL_OF(tok));
	}
	w.last = w.first;
	if (s[0] == '.' && s[1] == '.') {
		s += 2;
		tok = s;
		range = true;
		err = when_number(p, v, s, COL_OF(s), &s, &w.last);
		if (err)
			return err;
		if (w.last < w.first) {
			QUOTE_TOK();
			return fl_rule_fail(p->err, COL_OF(tok),
					    "when= range ends before it starts, last '%s' at column %u",
					    num, COL_OF(tok));
		}
	}
	if (s[0] == '+') {
		s++;
		/* "FIRST+" runs to the end; "FIRST..LAST+" only to LAST */
		if (!range)
			w.last = FL_WHEN_INF;
		if (*s) {
			tok = s;
			err = when_number(p, v, s, COL_OF(s), &s, &w.step);
			if (err)
				return err;
			if (w.step == 0) {
				QUOTE_TOK();
				return fl_rule_fail(p->err, COL_OF(tok),
						    "when= step must be at least 1, got '%s' at column %u",
						    num, COL_OF(tok));
			}
		}
	}
	if (*s)
		return fail_token(p, "invalid when=", v, col,
				  "use FIRST[..LAST][+STEP]");
#undef QUOTE_TOK
#undef COL_OF
	p->rule.when = w;
	return 0;
}

static int parse_prob(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	const char *why;

	if (fl_parse_percent_why(v, &p->rule.prob_ppm, &why))
		return fail_token(p, "invalid prob=", v, col, why);
	return 0;
}

static int parse_count(struct parser *p, const struct key_def *k,
		       const char *v, unsigned col)
{
	const char *why;

	if (fl_parse_u64_why(v, &p->rule.count, &why))
		return fail_token(p, "invalid count=", v, col, why);
	if (p->rule.count == 0)
		return fail_token(p, "count= must be at least 1, got", v, col,
				  NULL);
	return 0;
}

static int parse_for(struct parser *p, const struct key_def *k,
		     const char *v, unsigned col)
{
	return parse_positive_duration(p, v, col, false, &p->rule.for_ns);
}

static int parse_path(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	size_t n = strlen(v), i;

	if (n >= FL_RULE_GLOB_LEN)
		return fail_token(p, "path= longer than 255 bytes", v, col,
				  NULL);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return fail_token(p, "control character in path=", v,
					  col, NULL);
	}
	memcpy(p->rule.path, v, n + 1);
	return 0;
}

static int parse_seed(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	const char *why;

	if (fl_parse_u64_why(v, &p->rule.seed, &why))
		return fail_token(p, "invalid seed=", v, col, why);
	return 0;
}

static int parse_bytes(struct parser *p, const struct key_def *k,
		       const char *v, unsigned col)
{
	const char *why;
	uint64_t n;

	if (fl_parse_size_why(v, &n, &why))
		return fail_token(p, "invalid bytes=", v, col, why);
	if (n == 0 || n > UINT32_MAX)
		return fail_token(p, "invalid bytes=", v, col,
				  "from 1 to 4G-1");
	p->rule.bytes = (uint32_t)n;
	return 0;
}

/* dport=N[-M], sport=N[-M]: one port or an inclusive range. */
static int parse_port(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	struct fl_port_range range;
	const char *why;
	int e = fl_parse_port_range_why(v, &range, &why);

	if (e)
		return fail_token(p, e == -ERANGE ? "invalid port range"
						  : "invalid port", v, col, why);
	if (k->bit == FL_KEY_DPORT) {
		p->rule.dport = range.first;
		p->rule.net.dport = range;
	} else {
		p->rule.sport = range.first;
		p->rule.net.sport = range;
	}
	return 0;
}

/*
 * Was raw ("fd00::1:drop") an IPv6 address that the rule syntax cut at its
 * first colon into value v ("fd00")? Then v is 1 to 4 hex digits and the
 * next part is empty or hex too (no key is spelt in hex digits alone).
 */
static bool cut_ipv6(const char *raw, const char *v)
{
	const char *hex = "0123456789abcdefABCDEF", *next;
	size_t n = strlen(v);

	if (n == 0 || n > 4 || strspn(v, hex) != n || raw[n] != ':')
		return false;
	next = raw + n + 1;
	return *next == ':' || (strspn(next, hex) > 0 &&
				(next[strspn(next, hex)] == ':' ||
				 next[strspn(next, hex)] == '\0'));
}

static int parse_prefix(struct parser *p, const struct key_def *k,
			const char *v, unsigned col)
{
	struct fl_net_prefix prefix;
	char fix[64], why[128], what[16];
	const char *reason;

	snprintf(what, sizeof(what), "invalid %s=", k->name);
	if (fl_net_parse_prefix(v, &prefix, &reason, fix, sizeof(fix))) {
		if (cut_ipv6(p->text + col - 1, v)) {
			snprintf(why, sizeof(why),
				 "%s (an IPv6 address goes inside [...], as %s=[fd00::1])",
				 reason, k->name);
			return fail_token(p, what, v, col, why);
		}
		if (!fix[0])
			return fail_token(p, what, v, col, reason);
		snprintf(why, sizeof(why), "%s (did you mean %s=%s?)", reason,
			 k->name, fix);
		return fail_token(p, what, v, col, why);
	}
	if (k->bit == FL_KEY_SRC)
		p->rule.net.src = prefix;
	else
		p->rule.net.dst = prefix;
	return 0;
}

static int parse_dir(struct parser *p, const struct key_def *k,
		     const char *v, unsigned col)
{
	static const char *const names[] = { "both", "egress", "ingress", NULL };
	const char *near;
	char why[96];
	unsigned i;

	for (i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			p->rule.net.dir = (enum fl_net_dir)i;
			return 0;
		}
	}
	near = nearest_word(v, names);
	if (!near)
		return fail_token(p, "unknown dir", v, col,
				  "use egress, ingress or both");
	snprintf(why, sizeof(why), "did you mean '%s'? (use egress, ingress or both)",
		 near);
	return fail_token(p, "unknown dir", v, col, why);
}

static int parse_reorder(struct parser *p, const struct key_def *k,
			 const char *v, unsigned col)
{
	const char *why;
	uint32_t ppm;

	if (fl_parse_percent_why(v, &ppm, &why))
		return fail_token(p, "invalid reorder=", v, col, why);
	if (ppm == 0)
		return fail_token(p, "reorder= must be more than 0%, got", v,
				  col, NULL);
	p->rule.net.reorder_ppm = ppm;
	return 0;
}

static int parse_host(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	size_t n = strlen(v), i;
	const char *h = v;

	/* "[::1]": brackets only keep the colons out of the rule syntax */
	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(p->rule.host))
		return fail_token(p, "invalid host=", v, col,
				  "a name or address of 1 to 63 characters");
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(".-_:%/", c)))
			return fail_token(p, "invalid host=", v, col,
					  "a name, an address or a CIDR prefix");
	}
	memcpy(p->rule.host, h, n);
	p->rule.host[n] = '\0';
	return 0;
}

/* Flags (read, persist, drop, ...) carry no value. */
static int parse_flag(struct parser *p, const struct key_def *k,
		      const char *v, unsigned col)
{
	if (k->action == FL_ACTION_NONE && k->bit == FL_KEY_READ)
		p->rule.corrupt_on_read = true;
	return 0;
}

static const struct key_def keys[] = {
	{ "error", FL_ACTION_ERROR, 0, "error=ERRNO", parse_errno_value },
	{ "retval", FL_ACTION_RETVAL, 0, "retval=N", parse_retval },
	{ "delay", FL_ACTION_DELAY, 0, "delay=DURATION[~JITTER]", parse_delay },
	{ "delay_enter", FL_ACTION_DELAY, 0, "delay_enter=DURATION", parse_delay },
	{ "signal", FL_ACTION_SIGNAL, 0, "signal=SIG", parse_signal_value },
	{ "pause", FL_ACTION_PAUSE, 0, "pause=DURATION", parse_pause },
	{ "drop", FL_ACTION_DROP, 0, NULL, parse_flag },
	{ "corrupt", FL_ACTION_CORRUPT, 0, "corrupt[=wire|payload|bitflip|zero|random]", parse_corrupt },
	{ "torn", FL_ACTION_TORN, 0, "torn=SECTOR", parse_torn },
	{ "powercut", FL_ACTION_POWERCUT, 0, "powercut=before|after", parse_powercut },
	{ "fsyncgate", FL_ACTION_FSYNCGATE, 0, NULL, parse_flag },
	{ "duplicate", FL_ACTION_DUPLICATE, 0, NULL, parse_flag },
	{ "reorder", FL_ACTION_REORDER, 0, NULL, parse_flag },
	{ "reject", FL_ACTION_REJECT, 0, NULL, parse_flag },
	{ "partition", FL_ACTION_PARTITION, 0, NULL, parse_flag },
	{ "reset", FL_ACTION_RESET, 0, NULL, parse_flag },
	{ "rate", FL_ACTION_RATE, 0, "rate=BITS_PER_SECOND", parse_rate },
	{ "when", FL_ACTION_NONE, FL_KEY_WHEN, "when=FIRST[..LAST][+STEP]", parse_when },
	{ "prob", FL_ACTION_NONE, FL_KEY_PROB, "prob=PERCENT%", parse_prob },
	{ "count", FL_ACTION_NONE, FL_KEY_COUNT, "count=N", parse_count },
	{ "for", FL_ACTION_NONE, FL_KEY_FOR, "for=DURATION", parse_for },
	{ "path", FL_ACTION_NONE, FL_KEY_PATH, "path=GLOB", parse_path },
	{ "seed", FL_ACTION_NONE, FL_KEY_SEED, "seed=N", parse_seed },
	{ "bytes", FL_ACTION_NONE, FL_KEY_BYTES, "bytes=N", parse_bytes },
	{ "read", FL_ACTION_NONE, FL_KEY_READ, NULL, parse_flag },
	{ "persist", FL_ACTION_NONE, FL_KEY_PERSIST, NULL, parse_flag },
	{ "dport", FL_ACTION_NONE, FL_KEY_DPORT, "dport=PORT[-PORT]", parse_port },
	{ "sport", FL_ACTION_NONE, FL_KEY_SPORT, "sport=PORT[-PORT]", parse_port },
	{ "host", FL_ACTION_NONE, FL_KEY_HOST, "host=NAME|ADDRESS", parse_host },
	{ "src", FL_ACTION_NONE, FL_KEY_SRC, "src=CIDR", parse_prefix },
	{ "dst", FL_ACTION_NONE, FL_KEY_DST, "dst=CIDR", parse_prefix },
	{ "dir", FL_ACTION_NONE, FL_KEY_DIR, "dir=egress|ingress|both", parse_dir },
	/* with a value, reorder is delay='s companion; bare, the old action */
	{ "reorder", FL_ACTION_NONE, FL_KEY_REORDER, "reorder=PERCENT%", parse_reorder },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* strace options we deliberately do not offer. */
static const char *const strace_only[] = {
	"delay_exit", "syscall", "poke_enter", "poke_exit",
};

/* --- structure --------------------------------------------------------- */

static int parse_ops(struct parser *p, const char *s, size_t n)
{
	struct fl_rule *r = &p->rule;
	size_t i = 0;

	if (n == 0)
		return fl_rule_fail(p->err, 1, "empty op at column 1");
	while (i <= n) {
		size_t len = 0, j;
		unsigned col = (unsigned)i + 1;
		const char *op = s + i;

		while (i + len < n && s[i + len] != ',')
			len++;
		fl_rule_quote(op, len, p->quote, sizeof(p->quote));
		if (len == 0)
			return fl_rule_fail(p->err, col,
					    "empty op at column %u", col);
		if (r->n_ops == FL_RULE_MAX_OPS)
			return fl_rule_fail(p->err, col,
					    "more than %d ops, '%s' at column %u",
					    FL_RULE_MAX_OPS, p->quote, col);
		if (len >= FL_RULE_OP_LEN)
			return fl_rule_fail(p->err, col,
					    "op name too long '%s' at column %u",
					    p->quote, col);
		if (!(len == 1 && op[0] == '*')) {
			for (j = 0; j < len; j++) {
				char c = op[j];

				if (!((c >= 'a' && c <= 'z') ||
				      (c >= '0' && c <= '9') || c == '_'))
					return fl_rule_fail(p->err, col,
							    "invalid op name '%s' at column %u (lowercase letters, digits, '_', or a lone '*')",
							    p->quote, col);
			}
		}
		for (j = 0; j < r->n_ops; j++) {
			if (strlen(r->ops[j]) == len &&
			    !memcmp(r->ops[j], op, len))
				return fl_rule_fail(p->err, col,
						    "duplicate op '%s' at column %u",
						    p->quote, col);
			if (!strcmp(r->ops[j], "*") ||
			    (len == 1 && op[0] == '*'))
				return fl_rule_fail(p->err, col,
						    "'*' already means every op, '%s' at column %u",
						    p->quote, col);
		}
		memcpy(r->ops[r->n_ops], op, len);
		r->ops[r->n_ops][len] = '\0';
		r->col.ops[r->n_ops] = (uint16_t)col;
		r->n_ops++;
		i += len + 1;
	}
	return 0;
}

/*
 * A name may have two entries, one flag and one with a value ("reorder"
 * and "reorder=25%"): prefer the one that fits whether a value was given.
 */
static const struct key_def *find_key(const char *name, size_t n,
				      bool has_value)
{
	const struct key_def *found = NULL;
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		if (strlen(keys[i].name) != n || memcmp(keys[i].name, name, n))
			continue;
		if (!!keys[i].usage == has_value)
			return &keys[i];
		if (!found)
			found = &keys[i];
	}
	return found;
}

/* corrupt's mode may be left out: the net domain's default is wire. */
static bool value_optional(const struct key_def *k)
{
	return k->action == FL_ACTION_CORRUPT;
}

static int unknown_key(struct parser *p, const char *name, size_t n,
		       unsigned col)
{
	const char *best = NULL;
	unsigned best_d = FL_SUGGEST_CAP(n) + 1, d;
	size_t i;

	fl_rule_quote(name, n, p->quote, sizeof(p->quote));
	for (i = 0; i < sizeof(strace_only) / sizeof(strace_only[0]); i++)
		if (strlen(strace_only[i]) == n &&
		    !memcmp(strace_only[i], name, n))
			return fl_rule_fail(p->err, col,
					    "strace's '%s' is not supported, at column %u",
					    p->quote, col);
	for (i = 0; i < N_KEYS; i++) {
		d = fl_edit_distance(name, n, keys[i].name, FL_SUGGEST_CAP(n));
		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	if (best)
		return fl_rule_fail(p->err, col,
				    "unknown key '%s' at column %u (did you mean '%s'?)",
				    p->quote, col, best);
	return fl_rule_fail(p->err, col, "unknown key '%s' at column %u",
			    p->quote, col);
}

/* One KEY or KEY=VALUE; value is already unescaped. */
static int parse_part(struct parser *p, const char *key, size_t key_len,
		      const char *value, unsigned col)
{
	const struct key_def *k = find_key(key, key_len, value != NULL);
	unsigned vcol = col + (unsigned)key_len + 1, idx;
	struct fl_rule *r = &p->rule;
	int err;

	if (key_len == 0)
		return fl_rule_fail(p->err, col, "empty key at column %u", col);
	if (!k)
		return unknown_key(p, key, key_len, col);
	idx = (unsigned)(k - keys);
	if (p->seen & (1ull << idx))
		return fl_rule_fail(p->err, col,
				    "duplicate key '%s' at column %u",
				    k->name, col);
	if (k->action != FL_ACTION_NONE && p->action)
		return fl_rule_fail(p->err, col,
				    "second action '%s' at column %u (the rule already has '%s' at column %u)",
				    k->name, col, p->action->name,
				    r->col.action);
	if (!k->usage && value) {
		fl_rule_quote(value, strlen(value), p->quote, sizeof(p->quote));
		return fl_rule_fail(p->err, vcol,
				    "'%s' takes no value, got '%s' at column %u",
				    k->name, p->quote, vcol);
	}
	if (k->usage && !value && !value_optional(k))
		return fl_rule_fail(p->err, col,
				    "missing value for '%s' at column %u (%s)",
				    k->name, col, k->usage);
	if (value && !*value && (k->bit == FL_KEY_SRC || k->bit == FL_KEY_DST) &&
	    p->text[vcol - 1] == ':' && p->text[vcol] == ':')
		return fl_rule_fail(p->err, vcol,
				    "missing value for '%s=' at column %u (an IPv6 address goes inside [...], as %s=[::1])",
				    k->name, vcol, k->name);
	if (value && !*value)
		return fl_rule_fail(p->err, vcol,
				    "missing value for '%s=' at column %u (%s)",
				    k->name, vcol, k->usage);

	err = k->parse(p, k, value, vcol);
	if (err)
		return err;
	p->seen |= 1ull << idx;
	if (k->action != FL_ACTION_NONE) {
		p->action = k;
		r->action = k->action;
		r->col.action = (uint16_t)col;
	} else {
		r->keys |= k->bit;
		r->col.key[fl_rule_key_index(k->bit)] = (uint16_t)col;
	}
	return 0;
}

/*
 * Length of the part starting at text[start]: up to the next ':' that is
 * neither escaped ("\:") nor inside [...] of a value. Writes the value with
 * "\:" unescaped into value (NULL when there is no '=').
 */
static int split_part(struct parser *p, size_t start, size_t *len,
		      size_t *key_len, char *value, bool *has_value)
{
	const char *t = p->text;
	size_t i = start, o = 0, bracket_at = 0;
	bool in_value = false, in_bracket = false;

	*has_value = false;
	*key_len = 0;
	while (t[i]) {
		char c = t[i];

		if (c == '\\') {
			if (!t[i + 1])
				return fl_rule_fail(p->err, (unsigned)i + 1,
						    "lone '\\' at the end of the rule at column %u",
						    (unsigned)i + 1);
			if (in_value) {
				if (t[i + 1] != ':')
					value[o++] = c;
				value[o++] = t[i + 1];
			}
			i += 2;
			continue;
		}
		if (c == ':' && !in_bracket)
			break;
		if (in_value) {
			if (c == '[' && !in_bracket) {
				in_bracket = true;
				bracket_at = i;
			} else if (c == ']' && in_bracket) {
				in_bracket = false;
			}
			value[o++] = c;
		} else if (c == '=') {
			in_value = true;
			*has_value = true;
			*key_len = i - start;
		}
		i++;
	}
	if (in_bracket)
		return fl_rule_fail(p->err, (unsigned)bracket_at + 1,
				    "unclosed '[' at column %u",
				    (unsigned)bracket_at + 1);
	if (!in_value)
		*key_len = i - start;
	value[o] = '\0';
	*len = i - start;
	return 0;
}

static int check_rule(struct parser *p)
{
	const struct fl_rule *r = &p->rule;
	unsigned end = (unsigned)strlen(p->text) + 1;
	static const unsigned corrupt_only[] = {
		FL_KEY_BYTES, FL_KEY_READ, FL_KEY_PERSIST,
	};
	size_t i;

	if (r->action == FL_ACTION_NONE)
		return fl_rule_fail(p->err, end,
				    "missing action at column %u (such as error=EIO, delay=10ms, signal=SIGKILL, drop)",
				    end);
	for (i = 0; i < sizeof(corrupt_only) / sizeof(corrupt_only[0]); i++) {
		unsigned bit = corrupt_only[i];
		unsigned col = r->col.key[fl_rule_key_index(bit)];

		if ((r->keys & bit) && r->action != FL_ACTION_CORRUPT)
			return fl_rule_fail(p->err, col,
					    "'%s' only applies to corrupt=, at column %u",
					    fl_rule_key_name(bit), col);
	}
	if ((r->keys & FL_KEY_REORDER) && r->action != FL_ACTION_DELAY) {
		unsigned col = r->col.key[fl_rule_key_index(FL_KEY_REORDER)];

		return fl_rule_fail(p->err, col,
				    "'reorder' only applies to delay=, at column %u (netem reorders by sending some packets undelayed)",
				    col);
	}
	if ((r->keys & FL_KEY_READ) && (r->keys & FL_KEY_PERSIST)) {
		unsigned a = r->col.key[fl_rule_key_index(FL_KEY_READ)];
		unsigned b = r->col.key[fl_rule_key_index(FL_KEY_PERSIST)];
		unsigned col = a > b ? a : b;

		return fl_rule_fail(p->err, col,
				    "'read' and 'persist' exclude each other, second at column %u",
				    col);
	}
	return 0;
}

/* The parts of the net match that follow from ops and addresses. */
static void derive_net(struct fl_rule *r)
{
	struct fl_net_match *m = &r->net;
	unsigned i;

	for (i = 0; i < r->n_ops; i++)
		m->protos |= fl_net_proto_bit(r->ops[i]);
	if (m->dst.family)
		m->family = m->dst.family;
	else if (m->src.family)
		m->family = m->src.family;
	else if (m->protos == FL_NET_PROTO_IP)
		m->family = FL_NET_IPV4;
	else if (m->protos == FL_NET_PROTO_IP6)
		m->family = FL_NET_IPV6;
}

int fl_rule_parse(const char *text, struct fl_rule *ret,
		  struct fl_rule_error *err)
{
	char value[FL_RULE_MAX_LEN + 1];
	struct parser p = { .text = text, .err = err };
	size_t n, pos, len, key_len;
	bool has_value;
	int e;

	if (!text || !*text)
		return fl_rule_fail(err, 1, "empty rule at column 1");
	n = strlen(text);
	if (n > FL_RULE_MAX_LEN)
		return fl_rule_fail(err, FL_RULE_MAX_LEN + 1,
				    "rule longer than %d characters at column %d",
				    FL_RULE_MAX_LEN, FL_RULE_MAX_LEN + 1);

	memset(&p.rule, 0, sizeof(p.rule));
	p.rule.when = (struct fl_when){ 1, FL_WHEN_INF, 1 };
	p.rule.prob_ppm = 1000000;

	len = strcspn(text, ":");
	e = parse_ops(&p, text, len);
	if (e)
		return e;
	for (pos = len; text[pos] == ':'; pos += len) {
		pos++;
		e = split_part(&p, pos, &len, &key_len, value, &has_value);
		if (e)
			return e;
		e = parse_part(&p, text + pos, key_len,
			       has_value ? value : NULL, (unsigned)pos + 1);
		if (e)
			return e;
	}
	e = check_rule(&p);
	if (e)
		return e;
	derive_net(&p.rule);
	*ret = p.rule;
	return 0;
}

/* --- small public helpers ---------------------------------------------- */

bool fl_when_matches(const struct fl_when *when, uint64_t nth)
{
	uint64_t step;

	if (!when)
		return nth >= 1;
	step = when->step ? when->step : 1;
	if (nth == 0 || nth < when->first || nth > when->last)
		return false;
	return (nth - when->first) % step == 0;
}

static bool arg_equal(const struct fl_rule *a, const struct fl_rule *b)
{
	switch (a->action) {
	case FL_ACTION_NONE:
	case FL_ACTION_DROP:
	case FL_ACTION_FSYNCGATE:
	case FL_ACTION_DUPLICATE:
	case FL_ACTION_REORDER:
	case FL_ACTION_REJECT:
	case FL_ACTION_PARTITION:
	case FL_ACTION_RESET:
		return true;
	case FL_ACTION_ERROR:
		return a->arg.error == b->arg.error;
	case FL_ACTION_RETVAL:
		return a->arg.retval == b->arg.retval;
	case FL_ACTION_DELAY:
		return a->arg.delay.ns == b->arg.delay.ns &&
		       a->arg.delay.jitter_ns == b->arg.delay.jitter_ns;
	case FL_ACTION_SIGNAL:
		return a->arg.signal == b->arg.signal;
	case FL_ACTION_PAUSE:
		return a->arg.pause_ns == b->arg.pause_ns;
	case FL_ACTION_CORRUPT:
		return a->arg.corrupt == b->arg.corrupt;
	case FL_ACTION_TORN:
		return a->arg.torn_sector == b->arg.torn_sector;
	case FL_ACTION_POWERCUT:
		return a->arg.powercut == b->arg.powercut;
	case FL_ACTION_RATE:
		return a->arg.rate_bps == b->arg.rate_bps;
	default:
		return !memcmp(&a->arg, &b->arg, sizeof(a->arg));
	}
}

static bool prefix_equal(const struct fl_net_prefix *a,
			 const struct fl_net_prefix *b)
{
	return a->family == b->family && a->prefix_len == b->prefix_len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool net_equal(const struct fl_net_match *a, const struct fl_net_match *b)
{
	return a->protos == b->protos && a->family == b->family &&
	       a->dir == b->dir && prefix_equal(&a->src, &b->src) &&
	       prefix_equal(&a->dst, &b->dst) &&
	       a->sport.first == b->sport.first &&
	       a->sport.last == b->sport.last &&
	       a->dport.first == b->dport.first &&
	       a->dport.last == b->dport.last &&
	       a->reorder_ppm == b->reorder_ppm;
}

bool fl_rule_equal(const struct fl_rule *a, const struct fl_rule *b)
{
	unsigned i;

	if (a->n_ops != b->n_ops || a->action != b->action || !arg_equal(a, b))
		return false;
	for (i = 0; i < a->n_ops && i < FL_RULE_MAX_OPS; i++)
		if (strncmp(a->ops[i], b->ops[i], FL_RULE_OP_LEN))
			return false;
	return a->keys == b->keys &&
	       a->when.first == b->when.first &&
	       a->when.last == b->when.last &&
	       a->when.step == b->when.step &&
	       a->prob_ppm == b->prob_ppm && a->count == b->count &&
	       a->for_ns == b->for_ns &&
	       !strncmp(a->path, b->path, sizeof(a->path)) &&
	       a->seed == b->seed && a->bytes == b->bytes &&
	       a->corrupt_on_read == b->corrupt_on_read &&
	       a->dport == b->dport && a->sport == b->sport &&
	       !strncmp(a->host, b->host, sizeof(a->host)) &&
	       net_equal(&a->net, &b->net);
}

const char *fl_action_name(enum fl_action action)
{
	static const char *const names[FL_ACTION__COUNT] = {
		[FL_ACTION_NONE] = "none",
		[FL_ACTION_ERROR] = "error",
		[FL_ACTION_RETVAL] = "retval",
		[FL_ACTION_DELAY] = "delay",
		[FL_ACTION_SIGNAL] = "signal",
		[FL_ACTION_PAUSE] = "pause",
		[FL_ACTION_DROP] = "drop",
		[FL_ACTION_CORRUPT] = "corrupt",
		[FL_ACTION_TORN] = "torn",
		[FL_ACTION_POWERCUT] = "powercut",
		[FL_ACTION_FSYNCGATE] = "fsyncgate",
		[FL_ACTION_DUPLICATE] = "duplicate",
		[FL_ACTION_REORDER] = "reorder",
		[FL_ACTION_RATE] = "rate",
		[FL_ACTION_REJECT] = "reject",
		[FL_ACTION_PARTITION] = "partition",
		[FL_ACTION_RESET] = "reset",
	};

	if ((unsigned)action >= FL_ACTION__COUNT || !names[action])
		return "unknown";
	return names[action];
}

const char *fl_domain_name(enum fl_domain domain)
{
	static const char *const names[FL_DOMAIN__COUNT] = {
		[FL_DOMAIN_SYSCALL] = "syscall",
		[FL_DOMAIN_NET] = "net",
		[FL_DOMAIN_FS] = "fs",
		[FL_DOMAIN_PROC] = "proc",
	};

	if ((unsigned)domain >= FL_DOMAIN__COUNT)
		return "unknown";
	return names[domain];
}
