// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The backup schedule: "full@0s,incr@every:5s" into entries, in the rule
 * parser's style (every error quotes the token and gives the 1-based
 * column of its first character, with a "did you mean" for a near miss).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <faultline/backup.h>
#include "core/parse_values.h"
#include "core/rule_internal.h"

#define QUOTE_LEN 40

static const char *const kind_names[] = { "full", "diff", "incr", "snapshot", NULL };

const char *fl_backup_kind_name(enum fl_backup_kind kind)
{
	if ((unsigned)kind > FL_BACKUP_SNAPSHOT)
		return NULL;
	return kind_names[kind];
}

static int fail(struct fl_backup_error *err, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct fl_backup_error *err, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->column = col;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *near_word(const char *s, size_t n, const char *const *names)
{
	unsigned cap = FL_SUGGEST_CAP(n), best_d = cap + 1, d;
	const char *best = NULL;

	for (; *names; names++) {
		d = fl_edit_distance(s, n, *names, cap);
		if (d < best_d) {
			best_d = d;
			best = *names;
		}
	}
	return best;
}

static int parse_kind(const char *s, size_t n, unsigned col, enum fl_backup_kind *ret,
		      struct fl_backup_error *err)
{
	char q[QUOTE_LEN];
	const char *near;

	for (unsigned k = 0; kind_names[k]; k++) {
		if (strlen(kind_names[k]) == n && !memcmp(s, kind_names[k], n)) {
			*ret = (enum fl_backup_kind)k;
			return 0;
		}
	}
	fl_rule_quote(s, n, q, sizeof(q));
	if (!n)
		return fail(err, col,
			    "schedule: expected a backup kind (full, incr, diff, snapshot) at column %u",
			    col);
	near = near_word(s, n, kind_names);
	if (near)
		return fail(err, col,
			    "schedule: expected a backup kind (full, incr, diff, snapshot) at column %u, got '%s'; did you mean '%s'?",
			    col, q, near);
	return fail(err, col,
		    "schedule: expected a backup kind (full, incr, diff, snapshot) at column %u, got '%s'",
		    col, q);
}

/* One duration token s[0..n) at column col; what names it in the message. */
static int parse_dur(const char *s, size_t n, unsigned col, const char *what,
		     uint64_t *ret, struct fl_backup_error *err)
{
	char buf[QUOTE_LEN], q[QUOTE_LEN];
	const char *why = "empty";

	fl_rule_quote(s, n, q, sizeof(q));
	if (!n)
		return fail(err, col, "schedule: missing %s at column %u (a duration such as 0s or 5s)",
			    what, col);
	if (n >= sizeof(buf) ||
	    (memcpy(buf, s, n), buf[n] = '\0', fl_parse_duration_why(buf, ret, &why)))
		return fail(err, col, "schedule: invalid %s '%s' at column %u: %s", what, q, col,
			    n >= sizeof(buf) ? "too long" : why);
	return 0;
}

/* WHEN after the '@': DUR, every:DUR or every:DUR+OFFSET. */
static int parse_when(const char *s, size_t n, unsigned col, struct fl_backup_entry *e,
		      struct fl_backup_error *err)
{
	static const char *const repeats[] = { "every", NULL };
	const char *colon = memchr(s, ':', n), *plus, *near;
	size_t head, rest;
	uint64_t period, offset = 0;
	char q[QUOTE_LEN];
	int r;

	if (!colon) {
		e->every_ns = 0;
		return parse_dur(s, n, col, "time", &e->at_ns, err);
	}
	head = (size_t)(colon - s);
	if (head != 5 || memcmp(s, "every", 5)) {
		fl_rule_quote(s, head, q, sizeof(q));
		near = near_word(s, head, repeats);
		return fail(err, col, "schedule: unknown repeat '%s' at column %u (%s)", q, col,
			    near ? "did you mean 'every'?" : "write every:DUR");
	}
	s += head + 1;
	col += (unsigned)head + 1;
	rest = n - head - 1;
	plus = memchr(s, '+', rest);
	r = parse_dur(s, plus ? (size_t)(plus - s) : rest, col, "period", &period, err);
	if (r)
		return r;
	if (!period)
		return fail(err, col, "schedule: every: needs a period above 0, got '0' at column %u",
			    col);
	if (plus) {
		size_t off = (size_t)(plus - s) + 1;

		r = parse_dur(plus + 1, rest - off, col + (unsigned)off, "offset", &offset, err);
		if (r)
			return r;
		if (offset > UINT64_MAX - period)
			return fail(err, col + (unsigned)off,
				    "schedule: offset at column %u is too large", col + (unsigned)off);
	}
	e->every_ns = period;
	e->at_ns = offset + period;
	return 0;
}

static int parse_entry(const char *s, size_t n, unsigned col, struct fl_backup_entry *e,
		       struct fl_backup_error *err)
{
	const char *at = memchr(s, '@', n);
	size_t kn = at ? (size_t)(at - s) : n;
	char q[QUOTE_LEN];
	int r;

	if (!n)
		return fail(err, col, "schedule: empty entry at column %u (write KIND@TIME, as full@0s)",
			    col);
	r = parse_kind(s, kn, col, &e->kind, err);
	if (r)
		return r;
	if (!at) {
		fl_rule_quote(s, n, q, sizeof(q));
		return fail(err, col + (unsigned)n,
			    "schedule: missing '@TIME' after '%s' at column %u (as %s@0s or %s@every:10s)",
			    q, col + (unsigned)n, q, q);
	}
	e->column = col;
	return parse_when(at + 1, n - kn - 1, col + (unsigned)kn + 1, e, err);
}

int fl_backup_schedule_parse(const char *text, struct fl_backup_schedule *ret,
			     struct fl_backup_error *err)
{
	struct fl_backup_schedule s = { .n = 0 };
	const char *p = text, *end;
	int r;

	if (!text || !*text)
		return fail(err, 1, "schedule: empty (write KIND@TIME,..., as full@0s,incr@every:5s)");
	for (;;) {
		unsigned col = (unsigned)(p - text) + 1;
		struct fl_backup_entry e = { .column = col };

		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (s.n == FL_BACKUP_SCHEDULE_MAX)
			return fail(err, col, "schedule: more than %d entries, at column %u",
				    FL_BACKUP_SCHEDULE_MAX, col);
		r = parse_entry(p, (size_t)(end - p), col, &e, err);
		if (r)
			return r;
		for (size_t i = 0; i < s.n; i++) {
			const struct fl_backup_entry *o = &s.entries[i];

			if (o->kind == e.kind && o->at_ns == e.at_ns && o->every_ns == e.every_ns)
				return fail(err, col,
					    "schedule: duplicate entry at column %u (the same as at column %u)",
					    col, o->column);
		}
		s.entries[s.n++] = e;
		if (!*end)
			break;
		p = end + 1;
	}
	*ret = s;
	return 0;
}
