// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The history as Jepsen's EDN history (the format: history.h), so that
 * Knossos (register, with independent keys) and Elle or Jepsen's bank
 * checker can judge a run again; and the reader of exactly that form,
 * which proves the export loses nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "history_priv.h"

/*
 * The lines come from a merge of each process's own events (invoke,
 * completion, next invoke, ...), so a process never appears to invoke
 * before its last op completed, even at one instant. Across processes, at
 * one instant invokes go first: equal times stay concurrent, as the
 * checker treats them.
 */
struct stream {
	const size_t *ops; /* this process's ops, in invoke order */
	size_t n, pos;     /* pos: event number, 2 * op + phase */
};

static uint64_t head_t(const struct fl_history *h, const struct stream *s)
{
	const struct fl_hop *o = &h->ops[s->ops[s->pos / 2]];

	return s->pos % 2 ? o->complete_ns : o->invoke_ns;
}

static bool head_before(const struct fl_history *h, const struct stream *a,
			const struct stream *b)
{
	uint64_t ta = head_t(h, a), tb = head_t(h, b);

	if (ta != tb)
		return ta < tb;
	if (a->pos % 2 != b->pos % 2)
		return a->pos % 2 == 0;
	return a->ops[a->pos / 2] < b->ops[b->pos / 2];
}

static void sift_down(const struct fl_history *h, struct stream *st, size_t *heap, size_t n,
		      size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < n && head_before(h, &st[heap[l]], &st[heap[m]]))
			m = l;
		if (r < n && head_before(h, &st[heap[r]], &st[heap[m]]))
			m = r;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

struct pk {
	uint32_t process;
	uint64_t invoke;
	size_t i;
};

static int cmp_pk(const void *a, const void *b)
{
	const struct pk *x = a, *y = b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	if (x->invoke != y->invoke)
		return x->invoke < y->invoke ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static const char *const f_names[] = { "write", "read", "cas", "transfer", "read" };
static const char *const type_names[] = { "ok", "fail", "info" };

static void put_value(FILE *f, const struct fl_hop *o, int phase)
{
	bool done = phase == 1;

	switch (o->f) {
	case FL_HOP_WRITE:
		fprintf(f, "[%" PRIu64 " %" PRId64 "]", o->key, o->value);
		break;
	case FL_HOP_READ:
		if (done && o->type == FL_HOP_OK && !o->nil)
			fprintf(f, "[%" PRIu64 " %" PRId64 "]", o->key, o->value);
		else
			fprintf(f, "[%" PRIu64 " nil]", o->key);
		break;
	case FL_HOP_CAS:
		fprintf(f, "[%" PRIu64 " [%" PRId64 " %" PRId64 "]]", o->key, o->value, o->value2);
		break;
	case FL_HOP_TRANSFER:
		fprintf(f, "{:from %" PRIu64 ", :to %" PRIu64 ", :amount %" PRId64 "}",
			o->key, o->key2, o->value);
		break;
	case FL_HOP_BANK_READ:
		if (!done || o->type != FL_HOP_OK) {
			fputs("nil", f);
			break;
		}
		fputc('{', f);
		for (size_t i = 0; i < o->n_balances; i++)
			fprintf(f, "%s%zu %" PRId64, i ? ", " : "", i, o->balances[i]);
		fputc('}', f);
		break;
	}
}

static void put_line(FILE *f, const struct fl_hop *o, int phase)
{
	fprintf(f, "{:type :%s, :f :%s, :value ", phase ? type_names[o->type] : "invoke",
		f_names[o->f]);
	put_value(f, o, phase);
	fprintf(f, ", :process %" PRIu32 ", :time %" PRIu64 "}\n", o->process,
		phase ? o->complete_ns : o->invoke_ns);
}

int fl_history_write_edn(const struct fl_history *h, FILE *f)
{
	struct pk *pk = NULL;
	size_t *ord = NULL, *heap = NULL, n_st = 0;
	struct stream *st = NULL;
	int err = -ENOMEM;

	if (!h || !f)
		return -EINVAL;
	pk = malloc((h->n + 1) * sizeof(*pk));
	ord = malloc((h->n + 1) * sizeof(*ord));
	st = malloc((h->n + 1) * sizeof(*st));
	heap = malloc((h->n + 1) * sizeof(*heap));
	if (!pk || !ord || !st || !heap)
		goto out;
	for (size_t i = 0; i < h->n; i++)
		pk[i] = (struct pk){ h->ops[i].process, h->ops[i].invoke_ns, i };
	qsort(pk, h->n, sizeof(*pk), cmp_pk);
	err = -EINVAL;
	for (size_t i = 0; i < h->n; i++) {
		const struct fl_hop *o = &h->ops[pk[i].i];

		ord[i] = pk[i].i;
		/* Jepsen's processes are sequential: one op at a time, each in order. */
		if (o->complete_ns < o->invoke_ns)
			goto out;
		if (i && pk[i - 1].process == o->process) {
			if (h->ops[pk[i - 1].i].complete_ns > o->invoke_ns)
				goto out;
			st[n_st - 1].n++;
		} else {
			st[n_st++] = (struct stream){ ord + i, 1, 0 };
		}
	}
	for (size_t i = 0; i < n_st; i++)
		heap[i] = i;
	for (size_t i = n_st / 2; i-- > 0;)
		sift_down(h, st, heap, n_st, i);
	for (size_t n = n_st; n;) {
		struct stream *s = &st[heap[0]];

		put_line(f, &h->ops[s->ops[s->pos / 2]], (int)(s->pos % 2));
		if (++s->pos == 2 * s->n)
			heap[0] = heap[--n];
		sift_down(h, st, heap, n, 0);
	}
	err = ferror(f) ? -EIO : 0;
out:
	free(pk);
	free(ord);
	free(st);
	free(heap);
	return err;
}

int fl_history_edn_json(const struct fl_history *h, json_t **ret)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	json_t *a = NULL;
	FILE *f;
	int err;

	if (!h || !ret)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	err = fl_history_write_edn(h, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err)
		goto out;
	a = json_array();
	err = -ENOMEM;
	if (!a)
		goto out;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (json_array_append_new(a, json_string(line)))
			goto out;
	*ret = a;
	a = NULL;
	err = 0;
out:
	json_decref(a);
	free(buf);
	return err;
}

/* --- the reader: the subset of EDN written above ----------------------- */

enum nt { N_NIL, N_INT, N_KW, N_VEC, N_MAP, N_OTHER };

struct node {
	enum nt t;
	int64_t i;
	const char *s; /* keyword, without ':' */
	size_t len;
	size_t first, n; /* children: nodes[first..first+n) in the pool's kids */
};

struct parser {
	const char *p;
	struct node *nodes;
	size_t n, cap;
	size_t *kids;
	size_t n_kids, cap_kids;
};

static int new_node(struct parser *ps, size_t *ret)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		struct node *v = realloc(ps->nodes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->nodes = v;
		ps->cap = cap;
	}
	memset(&ps->nodes[ps->n], 0, sizeof(ps->nodes[0]));
	*ret = ps->n++;
	return 0;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == ',' || *ps->p == '\t' || *ps->p == '\n' ||
	       *ps->p == '\r')
		ps->p++;
}

static int parse(struct parser *ps, size_t *ret, int depth);

static int parse_coll(struct parser *ps, size_t me, char close, int depth)
{
	size_t tmp[64], nt = 0, *all = tmp, cap = 64;
	int err = 0;

	ps->p++;
	for (;;) {
		size_t c;

		skip_ws(ps);
		if (*ps->p == close) {
			ps->p++;
			break;
		}
		if (!*ps->p) {
			err = -EINVAL;
			goto out;
		}
		err = parse(ps, &c, depth + 1);
		if (err)
			goto out;
		if (nt == cap) {
			size_t *v = malloc(cap * 2 * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(v, all, nt * sizeof(*v));
			if (all != tmp)
				free(all);
			all = v;
			cap *= 2;
		}
		all[nt++] = c;
	}
	/* Children go contiguous into kids, after their own grandchildren. */
	if (ps->n_kids + nt > ps->cap_kids) {
		size_t ncap = (ps->cap_kids + nt) * 2;
		size_t *v = realloc(ps->kids, ncap * sizeof(*v));

		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		ps->kids = v;
		ps->cap_kids = ncap;
	}
	ps->nodes[me].first = ps->n_kids;
	ps->nodes[me].n = nt;
	if (nt) /* an empty [] or {} may come before kids exists */
		memcpy(ps->kids + ps->n_kids, all, nt * sizeof(*all));
	ps->n_kids += nt;
	if (close == '}' && nt % 2)
		err = -EINVAL;
out:
	if (all != tmp)
		free(all);
	return err;
}

static int parse(struct parser *ps, size_t *ret, int depth)
{
	size_t me;
	int err;

	if (depth > 8)
		return -EINVAL;
	skip_ws(ps);
	err = new_node(ps, &me);
	if (err)
		return err;
	*ret = me;
	if (*ps->p == '[' || *ps->p == '{') {
		char open = *ps->p;

		ps->nodes[me].t = open == '[' ? N_VEC : N_MAP;
		return parse_coll(ps, me, open == '[' ? ']' : '}', depth);
	}
	if (*ps->p == ':') {
		const char *s = ++ps->p;

		while ((*ps->p >= 'a' && *ps->p <= 'z') || *ps->p == '-' || *ps->p == '_' ||
		       (*ps->p >= '0' && *ps->p <= '9'))
			ps->p++;
		if (ps->p == s)
			return -EINVAL;
		ps->nodes[me].t = N_KW;
		ps->nodes[me].s = s;
		ps->nodes[me].len = (size_t)(ps->p - s);
		return 0;
	}
	/* Strings and booleans (Jepsen's :error "...", extra keys) are skipped over. */
	if (*ps->p == '"') {
		for (ps->p++; *ps->p && *ps->p != '"'; ps->p++)
			if (*ps->p == '\\' && ps->p[1])
				ps->p++;
		if (*ps->p != '"')
			return -EINVAL;
		ps->p++;
		ps->nodes[me].t = N_OTHER;
		return 0;
	}
	if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
		ps->p += *ps->p == 't' ? 4 : 5;
		ps->nodes[me].t = N_OTHER;
		return 0;
	}
	if (!strncmp(ps->p, "nil", 3)) {
		ps->p += 3;
		ps->nodes[me].t = N_NIL;
		return 0;
	}
	if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
		char *end;

		errno = 0;
		long long v = strtoll(ps->p, &end, 10);

		if (errno || end == ps->p)
			return -EINVAL;
		ps->p = end;
		ps->nodes[me].t = N_INT;
		ps->nodes[me].i = v;
		return 0;
	}
	return -EINVAL;
}

static const struct node *kid(const struct parser *ps, const struct node *n, size_t i)
{
	return i < n->n ? &ps->nodes[ps->kids[n->first + i]] : NULL;
}

static bool kw_is(const struct node *n, const char *s)
{
	return n && n->t == N_KW && strlen(s) == n->len && !memcmp(n->s, s, n->len);
}

/* The value of keyword key in map m, or NULL. */
static const struct node *get(const struct parser *ps, const struct node *m, const char *key)
{
	if (!m || m->t != N_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (kw_is(kid(ps, m, i), key))
			return kid(ps, m, i + 1);
	return NULL;
}

static bool is_int(const struct node *n)
{
	return n && n->t == N_INT;
}

struct open {            /* an invoke waiting for its completion */
	uint32_t process;
	size_t op;
};

struct reader {
	struct fl_history *h;
	struct open *open;
	size_t n_open, cap_open;
	char *errbuf;
	size_t errlen;
	size_t line;
	uint64_t last_t;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!r->errbuf || !r->errlen)
		return -EINVAL;
	off = snprintf(r->errbuf, r->errlen, "line %zu: ", r->line);
	if (off < 0 || (size_t)off >= r->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(r->errbuf + off, r->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The invoke's op from its :f and :value. */
static int invoke_op(struct reader *r, const struct parser *ps, const struct node *f,
		     const struct node *v, struct fl_hop *o)
{
	if (kw_is(f, "transfer")) {
		const struct node *a = get(ps, v, "from"), *b = get(ps, v, "to"),
				  *n = get(ps, v, "amount");

		if (!is_int(a) || !is_int(b) || !is_int(n) || a->i < 0 || b->i < 0)
			return bad(r, "a transfer's value is {:from A, :to B, :amount N}, accounts >= 0");
		o->f = FL_HOP_TRANSFER;
		o->key = (uint64_t)a->i;
		o->key2 = (uint64_t)b->i;
		o->value = n->i;
		return 0;
	}
	if (kw_is(f, "read") && v && v->t == N_NIL) {
		o->f = FL_HOP_BANK_READ;
		return 0;
	}
	if (!v || v->t != N_VEC || v->n != 2 || !is_int(kid(ps, v, 0)) || kid(ps, v, 0)->i < 0)
		return bad(r, "a register op's value is [KEY VALUE], with KEY >= 0");
	o->key = (uint64_t)kid(ps, v, 0)->i;
	const struct node *x = kid(ps, v, 1);

	if (kw_is(f, "write") && is_int(x)) {
		o->f = FL_HOP_WRITE;
		o->value = x->i;
	} else if (kw_is(f, "read")) {
		o->f = FL_HOP_READ;
		o->nil = true;
	} else if (kw_is(f, "cas") && x->t == N_VEC && x->n == 2 && is_int(kid(ps, x, 0)) &&
		   is_int(kid(ps, x, 1))) {
		o->f = FL_HOP_CAS;
		o->value = kid(ps, x, 0)->i;
		o->value2 = kid(ps, x, 1)->i;
	} else {
		return bad(r, "unknown op: :f must be :write, :read, :cas or :transfer, with their values");
	}
	return 0;
}

/* The completion fills what only it knows: the time, the outcome, what a read saw. */
static int complete_op(struct reader *r, const struct parser *ps, const struct node *v,
		       struct fl_hop *o)
{
	if (o->type != FL_HOP_OK)
		return 0;
	if (o->f == FL_HOP_READ) {
		const struct node *x = v && v->t == N_VEC && v->n == 2 ? kid(ps, v, 1) : NULL;

		if (!x || (x->t != N_NIL && x->t != N_INT))
			return bad(r, "a read's completion value is [KEY VALUE] or [KEY nil]");
		o->nil = x->t == N_NIL;
		o->value = o->nil ? 0 : x->i;
	} else if (o->f == FL_HOP_BANK_READ) {
		int64_t *bal;

		if (!v || v->t != N_MAP)
			return bad(r, "a bank read's completion value is {ACCOUNT BALANCE ...}");
		size_t n = v->n / 2;

		bal = calloc(n ? n : 1, sizeof(*bal));
		if (!bal)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			const struct node *a = kid(ps, v, 2 * i), *b = kid(ps, v, 2 * i + 1);

			if (!is_int(a) || !is_int(b) || a->i < 0 || (size_t)a->i >= n) {
				free(bal);
				return bad(r, "a bank read's accounts are 0..N-1 with integer balances");
			}
			bal[a->i] = b->i;
		}
		o->balances = bal;
		o->n_balances = n;
	}
	return 0;
}

static int read_line(struct reader *r, const char *line)
{
	struct parser ps = { .p = line };
	const struct node *m, *type, *f, *v, *proc, *t;
	size_t root;
	int err;

	skip_ws(&ps);
	if (!*ps.p)
		return 0;
	err = parse(&ps, &root, 0);
	if (err) {
		if (err == -EINVAL)
			err = bad(r, "not an EDN map of the history's form, near \"%.20s\"", ps.p);
		goto out;
	}
	m = &ps.nodes[root];
	type = get(&ps, m, "type");
	f = get(&ps, m, "f");
	v = get(&ps, m, "value");
	proc = get(&ps, m, "process");
	t = get(&ps, m, "time");
	if (m->t != N_MAP || !type || !f || !is_int(proc) || !is_int(t) || proc->i < 0 ||
	    proc->i > UINT32_MAX || t->i < 0) {
		err = bad(r, "a history line needs :type, :f, :process and :time");
		goto out;
	}
	if ((uint64_t)t->i < r->last_t) {
		err = bad(r, ":time %" PRId64 " goes back (the previous line's is %" PRIu64 ")",
			  t->i, r->last_t);
		goto out;
	}
	r->last_t = (uint64_t)t->i;
	if (kw_is(type, "invoke")) {
		struct fl_hop o = { .process = (uint32_t)proc->i, .invoke_ns = (uint64_t)t->i,
				    .complete_ns = (uint64_t)t->i, .type = FL_HOP_INFO };

		for (size_t i = 0; i < r->n_open; i++)
			if (r->open[i].process == o.process) {
				err = bad(r, "process %" PRIu32 " invokes again before its last op completed",
					  o.process);
				goto out;
			}
		err = invoke_op(r, &ps, f, v, &o);
		if (err)
			goto out;
		if (r->n_open == r->cap_open) {
			size_t cap = r->cap_open ? r->cap_open * 2 : 16;
			struct open *nv = realloc(r->open, cap * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			r->open = nv;
			r->cap_open = cap;
		}
		err = fl_history_add(r->h, &o);
		if (err)
			goto out;
		r->open[r->n_open++] = (struct open){ o.process, r->h->n - 1 };
		goto out;
	}
	size_t k;

	for (k = 0; k < r->n_open && r->open[k].process != (uint32_t)proc->i; k++)
		;
	if (k == r->n_open) {
		err = bad(r, "a completion of process %" PRId64 ", which has no op open", proc->i);
		goto out;
	}
	struct fl_hop *o = &r->h->ops[r->open[k].op];

	if (!kw_is(f, f_names[o->f])) {
		err = bad(r, "process %" PRId64 " completes :%.*s, but its open op is :%s", proc->i,
			  f->t == N_KW ? (int)f->len : 1, f->t == N_KW ? f->s : "?", f_names[o->f]);
		goto out;
	}
	if (kw_is(type, "ok"))
		o->type = FL_HOP_OK;
	else if (kw_is(type, "fail"))
		o->type = FL_HOP_FAIL;
	else if (kw_is(type, "info"))
		o->type = FL_HOP_INFO;
	else {
		err = bad(r, ":type must be :invoke, :ok, :fail or :info");
		goto out;
	}
	o->complete_ns = (uint64_t)t->i;
	err = complete_op(r, &ps, v, o);
	r->open[k] = r->open[--r->n_open];
out:
	free(ps.nodes);
	free(ps.kids);
	return err;
}

int fl_history_read_edn(FILE *f, struct fl_history **ret, char *errbuf, size_t errlen)
{
	struct reader r = { .errbuf = errbuf, .errlen = errlen };
	char *line = NULL;
	size_t cap = 0;
	int err;

	if (!f || !ret)
		return -EINVAL;
	err = fl_history_new(&r.h);
	if (err)
		return err;
	while (getline(&line, &cap, f) >= 0) {
		r.line++;
		err = read_line(&r, line);
		if (err)
			goto fail;
	}
	if (ferror(f)) {
		err = -EIO;
		goto fail;
	}
	/* An op never completed is indeterminate, as Jepsen treats a crashed client's. */
	for (size_t i = 0; i < r.n_open; i++)
		r.h->ops[r.open[i].op].complete_ns = r.last_t;
	free(r.open);
	free(line);
	*ret = r.h;
	return 0;
fail:
	free(r.open);
	free(line);
	fl_history_free(r.h);
	return err;
}
