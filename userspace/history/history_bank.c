// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank checker: transfers move money between accounts and never create
 * or destroy it, so every acknowledged read of all balances sums to the
 * initial total, whatever the transfers did. Exact and linear.
 */
#include <errno.h>
#include <stdint.h>

#include "history_priv.h"

int fl_hist_check_bank(const struct fl_history *h, const struct fl_bank_model *m,
		       struct fl_hist_check *c, size_t *cap)
{
	int err;

	for (size_t i = 0; i < h->n; i++) {
		const struct fl_hop *o = &h->ops[i];
		struct fl_anomaly a = { .op = i, .writer = FL_HIST_NONE, .by = FL_HIST_NONE,
					.read_invoke_ns = o->invoke_ns,
					.read_complete_ns = o->complete_ns };
		int64_t sum = 0;
		bool overflow = false;

		if (o->f != FL_HOP_BANK_READ || o->type != FL_HOP_OK)
			continue;
		c->bank_reads_checked++;
		for (size_t k = 0; k < o->n_balances; k++) {
			/* A sum past int64 is money created: saturate, and flag it below. */
			if (__builtin_add_overflow(sum, o->balances[k], &sum)) {
				overflow = true;
				sum = o->balances[k] > 0 ? INT64_MAX : INT64_MIN;
			}
			if (o->balances[k] < 0 && !m->negative_allowed) {
				a.kind = FL_ANOM_BANK_NEGATIVE;
				a.key = k;
				a.value = o->balances[k];
				err = fl_hist_push(c, cap, &a);
				if (err)
					return err;
			}
		}
		/* A missing account is money gone: its balance counts as 0. */
		if (overflow || sum != m->total ||
		    (m->accounts && o->n_balances != m->accounts)) {
			a.kind = FL_ANOM_BANK_TOTAL;
			a.key = 0;
			a.value = sum;
			a.expected = m->total;
			if (__builtin_sub_overflow(sum, m->total, &a.diff))
				a.diff = sum > m->total ? INT64_MAX : INT64_MIN;
			err = fl_hist_push(c, cap, &a);
			if (err)
				return err;
		}
	}
	return 0;
}
