// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The history container: a growable array of ops that owns the balances
 * of bank reads, so a caller's buffers can be reused once an op is added.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/history.h>

#include "history_priv.h"

int fl_history_new(struct fl_history **ret)
{
	struct fl_history *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	*ret = h;
	return 0;
}

void fl_history_free(struct fl_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free((void *)h->ops[i].balances);
	free(h->ops);
	free(h);
}

int fl_history_add(struct fl_history *h, const struct fl_hop *op)
{
	int64_t *bal = NULL;

	if (!h || !op || op->f > FL_HOP_BANK_READ || op->type > FL_HOP_INFO ||
	    (op->n_balances && !op->balances))
		return -EINVAL;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct fl_hop *ops = realloc(h->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		h->ops = ops;
		h->cap = cap;
	}
	if (op->n_balances) {
		bal = malloc(op->n_balances * sizeof(*bal));
		if (!bal)
			return -ENOMEM;
		memcpy(bal, op->balances, op->n_balances * sizeof(*bal));
	}
	h->ops[h->n] = *op;
	h->ops[h->n].balances = bal;
	h->n++;
	return 0;
}

size_t fl_history_len(const struct fl_history *h)
{
	return h ? h->n : 0;
}

const struct fl_hop *fl_history_op(const struct fl_history *h, size_t i)
{
	return h && i < h->n ? &h->ops[i] : NULL;
}

static const char *const kind_names[FL_ANOM__COUNT] = {
	[FL_ANOM_STALE_READ] = "stale-read",
	[FL_ANOM_NEVER_WRITTEN] = "never-written",
	[FL_ANOM_FAILED_WRITE_READ] = "failed-write-read",
	[FL_ANOM_FUTURE_READ] = "future-read",
	[FL_ANOM_BANK_TOTAL] = "bank-total",
	[FL_ANOM_BANK_NEGATIVE] = "bank-negative",
};

const char *fl_anomaly_kind_name(enum fl_anomaly_kind k)
{
	return (unsigned)k < FL_ANOM__COUNT ? kind_names[k] : "unknown";
}

int fl_hist_push(struct fl_hist_check *c, size_t *cap, const struct fl_anomaly *a)
{
	if (c->n_anomalies == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct fl_anomaly *v = realloc(c->anomalies, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->anomalies = v;
		*cap = ncap;
	}
	c->anomalies[c->n_anomalies++] = *a;
	c->counts[a->kind]++;
	return 0;
}

void fl_hist_check_free(struct fl_hist_check *c)
{
	if (!c)
		return;
	free(c->anomalies);
	c->anomalies = NULL;
	c->n_anomalies = 0;
}
