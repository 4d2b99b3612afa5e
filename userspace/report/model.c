// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report's model: allocation, the typed readers, and the figures over trials. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "report_priv.h"

static const char *const kind_names[] = { "rpo", "scenario", "backup", "events" };
static const char *const obj_names[] = { "rto", "rpo", "mttr", "availability", "mtbf" };

const char *fl_rep_kind_name(enum fl_rep_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}

const char *fl_rep_objective_name(enum fl_rep_objective_kind k)
{
	return (unsigned)k < FL_REP_OBJ_COUNT ? obj_names[k] : "?";
}

const char *fl_rep_status_name(enum fl_rep_status s)
{
	return s == FL_REP_MEASURED ? "measured" : s == FL_REP_DERIVED ? "derived" : "not measured";
}

bool fl_rep_objective_is_min(enum fl_rep_objective_kind k)
{
	return k == FL_REP_OBJ_AVAILABILITY || k == FL_REP_OBJ_MTBF;
}

int rp_bad(const struct rp_ctx *c, const char *where, const char *key, const char *why)
{
	fl_errf(c->err, c->errlen, "%s: field %s%s%s: %s", c->name, where ? where : "",
		where && *where && key ? "." : "", key ? key : "", why);
	return -EINVAL;
}

/* key may be a path for the message ("rto.phases_ns"): o holds its last part. */
static int get(const struct rp_ctx *c, json_t *o, const char *where, const char *key,
	       bool required, json_t **ret)
{
	const char *last = strrchr(key, '.');
	json_t *v = json_is_object(o) ? json_object_get(o, last ? last + 1 : key) : NULL;

	if (!json_is_object(o))
		return rp_bad(c, where, key, "its parent is not an object");
	if ((!v || json_is_null(v)) && required)
		return rp_bad(c, where, key, v ? "is null" : "missing");
	*ret = v && !json_is_null(v) ? v : NULL;
	return 0;
}

int rp_num(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   double *ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_number(v))
		return rp_bad(c, where, key, "expected a number");
	*ret = v ? json_number_value(v) : NAN;
	if (v && !isfinite(*ret))
		return rp_bad(c, where, key, "not a finite number");
	return 0;
}

int rp_int(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   int64_t *ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_integer(v))
		return rp_bad(c, where, key, "expected an integer");
	if (v && json_integer_value(v) < 0)
		return rp_bad(c, where, key, "negative");
	*ret = v ? (int64_t)json_integer_value(v) : -1;
	return 0;
}

int rp_str(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   const char **ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_string(v))
		return rp_bad(c, where, key, "expected a string");
	*ret = v ? json_string_value(v) : NULL;
	return 0;
}

int rp_bool(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	    bool *ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_boolean(v))
		return rp_bad(c, where, key, "expected true or false");
	*ret = v && json_is_true(v);
	return 0;
}

int rp_arr(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   json_t **ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_array(v))
		return rp_bad(c, where, key, "expected an array");
	*ret = v;
	return 0;
}

int rp_objv(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	    json_t **ret)
{
	json_t *v;
	int err = get(c, o, where, key, required, &v);

	if (err)
		return err;
	if (v && !json_is_object(v))
		return rp_bad(c, where, key, "expected an object");
	*ret = v;
	return 0;
}

int rp_env(struct fl_report_result *r, const char *key, const char *fmt, ...)
{
	struct fl_rep_kv *kv = realloc(r->env, (r->n_env + 1) * sizeof(*kv));
	va_list ap;

	if (!kv)
		return -ENOMEM;
	r->env = kv;
	kv = &kv[r->n_env++];
	snprintf(kv->key, sizeof(kv->key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(kv->value, sizeof(kv->value), fmt, ap);
	va_end(ap);
	return 0;
}

int rp_window(struct fl_rep_trial *t, double from, double to, const char *label)
{
	struct fl_rep_window *w = realloc(t->windows, (t->n_windows + 1) * sizeof(*w));

	if (!w)
		return -ENOMEM;
	t->windows = w;
	w = &w[t->n_windows++];
	w->from_s = from;
	w->to_s = to >= from ? to : from;
	snprintf(w->label, sizeof(w->label), "%s", label);
	return 0;
}

void rp_phase(struct fl_rep_trial *t, const char *name, double s)
{
	if (t->n_phases >= FL_REP_MAX_PHASES)
		return;
	snprintf(t->phases[t->n_phases].name, sizeof(t->phases[0].name), "%s", name);
	t->phases[t->n_phases++].s = s;
}

struct fl_report_result *rp_new(const char *name, enum fl_rep_kind kind)
{
	struct fl_report_result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->file, sizeof(r->file), "%s", name);
	r->kind = kind;
	for (size_t i = 0; i < FL_REP_OBJ_COUNT; i++)
	{
		r->obj[i].value = r->obj[i].target = r->obj[i].margin = NAN;
		r->obj[i].ci_low = r->obj[i].ci_high = NAN;
		r->obj[i].at_most = !fl_rep_objective_is_min(i);
	}
	return r;
}

int rp_trials(struct fl_report_result *r, size_t n)
{
	r->trials = n ? calloc(n, sizeof(*r->trials)) : NULL;
	if (n && !r->trials)
		return -ENOMEM;
	r->n_trials = n;
	for (size_t i = 0; i < n; i++) {
		struct fl_rep_trial *t = &r->trials[i];

		t->index = (unsigned)i + 1;
		t->span_s = t->rpo_s = t->rto_s = t->availability = t->phases_at_s = NAN;
		t->attempted = t->acknowledged = t->lost = -1;
	}
	return 0;
}

void fl_report_free(struct fl_report_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_trials; i++) {
		free(r->trials[i].windows);
		free(r->trials[i].ops);
	}
	free(r->trials);
	free(r->env);
	free(r->events);
	free(r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The measured trials' RPO or RTO, sorted, into v (n_trials long). */
static size_t figures(const struct fl_report_result *r, bool rto, double *v)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_trials; i++) {
		double x = rto ? r->trials[i].rto_s : r->trials[i].rpo_s;

		if (r->trials[i].measured && !isnan(x))
			v[n++] = x;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	return n;
}

double fl_rep_worst(const struct fl_report_result *r, bool rto)
{
	double *v = calloc(r->n_trials + 1, sizeof(*v)), x;
	size_t n;

	if (!v)
		return NAN;
	n = figures(r, rto, v);
	x = n ? v[n - 1] : NAN;
	free(v);
	return x;
}

double fl_rep_median(const struct fl_report_result *r, bool rto)
{
	double *v = calloc(r->n_trials + 1, sizeof(*v)), x;
	size_t n;

	if (!v)
		return NAN;
	n = figures(r, rto, v);
	x = !n ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return x;
}
