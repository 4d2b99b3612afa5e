/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the history room's files only. */
#ifndef FL_HISTORY_PRIV_H
#define FL_HISTORY_PRIV_H

#include <faultline/history.h>

struct fl_history {
	struct fl_hop *ops;
	size_t n, cap;
};

/* Append a to c's list (cap: its capacity) and count it. */
int fl_hist_push(struct fl_hist_check *c, size_t *cap, const struct fl_anomaly *a);

int fl_hist_check_register(const struct fl_history *h, struct fl_hist_check *c, size_t *cap);
int fl_hist_check_bank(const struct fl_history *h, const struct fl_bank_model *m,
		       struct fl_hist_check *c, size_t *cap);

#endif
