// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The YAML side of a scenario: libyaml's document (every node keeps its
 * start mark, so each error can point at the line and column), errors
 * collected with the file name, and typed reads of scalars through the
 * core's value parsers, so a duration in a scenario means what it means
 * in a rule.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse_values.h"
#include "core/rule_internal.h"
#include "scenario/scenario_internal.h"

#define MAX_DEPTH 32
#define SC_MAX_KEYS 64

/*
 * libyaml marks an error found at the end of the input, and the empty
 * root of a "---" alone, one line past the last one when the text does not
 * end in a newline: point at the end of the last line instead, which the
 * user can find.
 */
static yaml_mark_t clamp_mark(const struct sc_ctx *c, yaml_mark_t m)
{
	const unsigned char *t = (const unsigned char *)c->text;
	size_t line = 0, col = 0, i = 0, brk;

	/* Line breaks as YAML counts them: \r\n, \r, \n, NEL, LS and PS. */
	while (i < c->len) {
		brk = 0;
		if (t[i] == '\r')
			brk = i + 1 < c->len && t[i + 1] == '\n' ? 2 : 1;
		else if (t[i] == '\n')
			brk = 1;
		else if (t[i] == 0xc2 && i + 1 < c->len && t[i + 1] == 0x85)
			brk = 2;
		else if (t[i] == 0xe2 && i + 2 < c->len && t[i + 1] == 0x80 &&
			 (t[i + 2] == 0xa8 || t[i + 2] == 0xa9))
			brk = 3;
		if (brk) {
			line++;
			col = 0;
			i += brk;
			continue;
		}
		if ((t[i] & 0xc0) != 0x80)
			col++; /* libyaml counts characters, not UTF-8 continuation bytes */
		i++;
	}
	if (m.line > line || (m.line == line && m.column > col)) {
		m.line = line;
		m.column = col;
	}
	return m;
}

__attribute__((format(printf, 4, 0)))
static void add_err(struct sc_ctx *c, unsigned line, unsigned col, const char *fmt,
		    va_list ap)
{
	struct fl_scenario_diag *d;
	yaml_mark_t m = { .line = line - 1, .column = col - 1 };
	int n;

	c->errs->total++;
	if (c->errs->n >= FL_SCENARIO_MAX_ERRORS)
		return;
	m = clamp_mark(c, m); /* O(len): only for the errors kept */
	line = (unsigned)m.line + 1;
	col = (unsigned)m.column + 1;
	d = &c->errs->e[c->errs->n++];
	d->line = line;
	d->column = col;
	n = snprintf(d->text, sizeof(d->text), "%s:%u:%u: ", c->file, line, col);
	if (n < 0 || (size_t)n >= sizeof(d->text))
		n = 0;
	d->msg_off = (unsigned)n;
	vsnprintf(d->text + n, sizeof(d->text) - (size_t)n, fmt, ap);
}

struct fl_scenario_pos sc_pos(const yaml_node_t *n)
{
	struct fl_scenario_pos p = { 1, 1 };

	if (n) {
		p.line = (unsigned)n->start_mark.line + 1;
		p.column = (unsigned)n->start_mark.column + 1;
	}
	return p;
}

bool sc_exact_columns(const yaml_node_t *n)
{
	size_t quotes = 0;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	switch (n->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE:
		break;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		quotes = 2;
		break;
	default:
		return false; /* a block scalar: its text starts on a later line */
	}
	return n->start_mark.line == n->end_mark.line &&
	       n->end_mark.index - n->start_mark.index == n->data.scalar.length + quotes;
}

unsigned sc_text_column(const yaml_node_t *n)
{
	unsigned col = sc_pos(n).column;

	if (n->type == YAML_SCALAR_NODE &&
	    (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	     n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		col++;
	return col;
}

void sc_err(struct sc_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct fl_scenario_pos p = sc_pos(n);
	va_list ap;

	va_start(ap, fmt);
	add_err(c, p.line, p.column, fmt, ap);
	va_end(ap);
}

void sc_err_pos(struct sc_ctx *c, struct fl_scenario_pos p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_err(c, p.line, p.column, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void err_mark(struct sc_ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_err(c, (unsigned)m.line + 1, (unsigned)m.column + 1, fmt, ap);
	va_end(ap);
}

/*
 * An alias makes two places share one node: the walk would then report
 * one error twice, and a file of nested aliases could make it walk for
 * ever. Scenarios are short; refuse them, and depth past MAX_DEPTH.
 */
static void check_tree(struct sc_ctx *c, yaml_node_t *n, unsigned char *seen,
		       unsigned depth, bool *bad)
{
	int id = (int)(n - c->doc.nodes.start);

	if (*bad)
		return;
	if (seen[id]) {
		sc_err(c, n, "aliases (*NAME) are not supported in scenario files: write the value out");
		*bad = true;
		return;
	}
	seen[id] = 1;
	if (depth > MAX_DEPTH) {
		sc_err(c, n, "nested deeper than %d levels", MAX_DEPTH);
		*bad = true;
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++)
			check_tree(c, yaml_document_get_node(&c->doc, *i), seen, depth + 1, bad);
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			check_tree(c, yaml_document_get_node(&c->doc, p->key), seen, depth + 1, bad);
			check_tree(c, yaml_document_get_node(&c->doc, p->value), seen, depth + 1, bad);
		}
	}
}

int sc_yaml_load(struct sc_ctx *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	unsigned char *seen = NULL;
	bool bad = false;
	size_t n;
	int r = -EINVAL;

	c->text = text;
	c->len = len;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c->doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			r = -ENOMEM;
		else if (parser.context)
			err_mark(c, parser.problem_mark, "YAML: %s %s", parser.problem,
				 parser.context);
		else
			err_mark(c, parser.problem_mark, "YAML: %s",
				 parser.problem ? parser.problem : "unreadable");
		goto out;
	}
	c->loaded = true;
	if (!yaml_document_get_root_node(&c->doc)) {
		err_mark(c, parser.mark, "the file is empty: expected a mapping with steps:");
		goto out;
	}
	/* A second document would be silently ignored: say so. */
	if (!yaml_parser_load(&parser, &extra)) {
		err_mark(c, parser.problem_mark, "YAML: %s",
			 parser.problem ? parser.problem : "unreadable");
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		struct fl_scenario_pos p = sc_pos(yaml_document_get_root_node(&extra));

		yaml_document_delete(&extra);
		sc_err_pos(c, p, "a second YAML document: a scenario file holds one");
		goto out;
	}
	yaml_document_delete(&extra);
	n = (size_t)(c->doc.nodes.top - c->doc.nodes.start);
	seen = calloc(n + 1, 1);
	if (!seen) {
		r = -ENOMEM;
		goto out;
	}
	check_tree(c, yaml_document_get_root_node(&c->doc), seen, 0, &bad);
	r = bad ? -EINVAL : 0;
out:
	free(seen);
	yaml_parser_delete(&parser);
	return r;
}

void sc_yaml_free(struct sc_ctx *c)
{
	if (c->loaded)
		yaml_document_delete(&c->doc);
	c->loaded = false;
}

yaml_node_t *sc_root(struct sc_ctx *c)
{
	return yaml_document_get_root_node(&c->doc);
}

const char *sc_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

const char *sc_got(const yaml_node_t *n, char *buf, size_t len)
{
	char q[64];

	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (!n->data.scalar.length)
			return "nothing";
		fl_rule_quote(sc_str(n), n->data.scalar.length, q, sizeof(q));
		snprintf(buf, len, "\"%s\"", q);
		return buf;
	default:
		return "nothing";
	}
}

static bool want(struct sc_ctx *c, const yaml_node_t *n, yaml_node_type_t t,
		 const char *path, const char *what)
{
	char buf[96];

	if (n->type == t)
		return true;
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, buf, sizeof(buf)));
	return false;
}

bool sc_want_map(struct sc_ctx *c, const yaml_node_t *n, const char *path)
{
	return want(c, n, YAML_MAPPING_NODE, path, "a mapping (key: value)");
}

bool sc_want_seq(struct sc_ctx *c, const yaml_node_t *n, const char *path)
{
	return want(c, n, YAML_SEQUENCE_NODE, path, "a list");
}

bool sc_want_scalar(struct sc_ctx *c, const yaml_node_t *n, const char *path, const char *what)
{
	if (!want(c, n, YAML_SCALAR_NODE, path, what))
		return false;
	if (n->data.scalar.length)
		return true;
	sc_err(c, n, "%s: expected %s, got nothing", path, what);
	return false;
}

const char *sc_nearest(const char *s, const char *const *known)
{
	size_t n = strlen(s);
	unsigned cap = FL_SUGGEST_CAP(n), best_d = cap + 1, d;
	const char *best = NULL;

	for (; *known; known++) {
		d = fl_edit_distance(s, n, *known, cap);
		if (d < best_d) {
			best_d = d;
			best = *known;
		}
	}
	return best;
}

static void list_names(const char *const *known, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; known[i] && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? (known[i + 1] ? ", " : " or ") : "",
				 known[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

void sc_check_keys(struct sc_ctx *c, const yaml_node_t *map, const char *path,
		   const char *const *known)
{
	char names[256], got[96], q[64];
	const char *near, *k;
	size_t i;

	/* No scenario mapping has this many keys; and the duplicate check is quadratic. */
	if (sc_len(map) > SC_MAX_KEYS) {
		sc_err(c, map, "%s: more than %d keys (%zu)", path, SC_MAX_KEYS, sc_len(map));
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(&c->doc, p->key);

		if (key->type != YAML_SCALAR_NODE) {
			sc_err(c, key, "%s: expected a key name, got %s", path,
			       sc_got(key, got, sizeof(got)));
			continue;
		}
		k = sc_str(key);
		for (i = 0; known[i] && strcmp(known[i], k); i++)
			;
		if (!known[i]) {
			fl_rule_quote(k, key->data.scalar.length, q, sizeof(q));
			near = sc_nearest(k, known);
			if (near) {
				sc_err(c, key, "%s: unknown key \"%s\"; did you mean \"%s\"?", path, q, near);
			} else {
				list_names(known, names, sizeof(names));
				sc_err(c, key, "%s: unknown key \"%s\"; expected %s", path, q, names);
			}
			continue;
		}
		for (yaml_node_pair_t *o = map->data.mapping.pairs.start; o < p; o++) {
			yaml_node_t *ok = yaml_document_get_node(&c->doc, o->key);

			if (ok->type == YAML_SCALAR_NODE && !strcmp(sc_str(ok), k)) {
				sc_err(c, key, "%s: \"%s\" given twice (first on line %u)", path, k,
				       sc_pos(ok).line);
				break;
			}
		}
	}
}

bool sc_typo_of(struct sc_ctx *c, const yaml_node_t *map, const char *key,
		const char *const *known)
{
	const char *one[] = { key, NULL };

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		size_t i;

		if (k->type != YAML_SCALAR_NODE)
			continue;
		for (i = 0; known[i] && strcmp(known[i], sc_str(k)); i++)
			;
		if (!known[i] && sc_nearest(sc_str(k), one))
			return true;
	}
	return false;
}

yaml_node_t *sc_get_key(struct sc_ctx *c, const yaml_node_t *map, const char *key,
			yaml_node_t **key_node)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(sc_str(k), key)) {
			if (key_node)
				*key_node = k;
			return yaml_document_get_node(&c->doc, p->value);
		}
	}
	return NULL;
}

yaml_node_t *sc_get(struct sc_ctx *c, const yaml_node_t *map, const char *key)
{
	return sc_get_key(c, map, key, NULL);
}

yaml_node_t *sc_item(struct sc_ctx *c, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(&c->doc, seq->data.sequence.items.start[i]);
}

size_t sc_len(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (n->type == YAML_MAPPING_NODE)
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 0;
}

bool sc_duration(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t *ret)
{
	const char *what = "a duration like 5s or 250ms", *why = NULL;
	char got[96];

	if (!sc_want_scalar(c, n, path, what))
		return false;
	if (!fl_parse_duration_why(sc_str(n), ret, &why))
		return true;
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
	return false;
}

bool sc_u64(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t min,
	    uint64_t max, uint64_t *ret)
{
	char what[80], got[96];
	uint64_t v;

	if (max == UINT64_MAX)
		snprintf(what, sizeof(what), "a whole number");
	else
		snprintf(what, sizeof(what), "a whole number from %llu to %llu",
			 (unsigned long long)min, (unsigned long long)max);
	if (!sc_want_scalar(c, n, path, what))
		return false;
	if (!fl_parse_u64(sc_str(n), &v) && v >= min && v <= max) {
		*ret = v;
		return true;
	}
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
	return false;
}

bool sc_size(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t *ret)
{
	const char *what = "a size like 128, 4k or 1M", *why = NULL;
	char got[96];

	if (!sc_want_scalar(c, n, path, what))
		return false;
	if (!fl_parse_size_why(sc_str(n), ret, &why))
		return true;
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
	return false;
}

bool sc_percent(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint32_t *ret)
{
	const char *what = "a percentage like 99% or 99.9%", *why = NULL;
	char got[96];

	if (!sc_want_scalar(c, n, path, what))
		return false;
	if (!fl_parse_percent_why(sc_str(n), ret, &why))
		return true;
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
	return false;
}

bool sc_strdup(struct sc_ctx *c, const yaml_node_t *n, const char *path, const char *what,
	       char **ret)
{
	char *s;

	if (!sc_want_scalar(c, n, path, what))
		return false;
	s = strdup(sc_str(n));
	if (!s) {
		sc_err(c, n, "%s: out of memory", path);
		return false;
	}
	free(*ret);
	*ret = s;
	return true;
}

/* Node names end up in cgroup, netns and veth names: keep them plain. */
bool sc_name(struct sc_ctx *c, const yaml_node_t *n, const char *path, fl_scenario_name ret)
{
	const char *what = "a name of letters, digits, '-' and '_'";
	char got[96];
	const char *s;
	size_t len;

	if (!sc_want_scalar(c, n, path, what))
		return false;
	s = sc_str(n);
	len = n->data.scalar.length;
	if (len >= FL_SCENARIO_NAME_LEN || strspn(s, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != len) {
		sc_err(c, n, "%s: expected %s (at most %d), got %s", path, what,
		       FL_SCENARIO_NAME_LEN - 1, sc_got(n, got, sizeof(got)));
		return false;
	}
	memcpy(ret, s, len + 1);
	return true;
}
