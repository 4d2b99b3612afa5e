/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between bank.c and the adapters' bank operations (bank_*.c): one const
 * struct per adapter that has a bank, listed in bank.c. The conventions of
 * <faultline/bank.h>; bank.c has checked the arguments (accounts and
 * balance in range, from != to, amount > 0, n <= FL_BANK_MAX_ACCOUNTS),
 * and ret_err is never NULL here.
 */
#ifndef FL_WORKLOAD_BANK_OPS_H
#define FL_WORKLOAD_BANK_OPS_H

#include <faultline/bank.h>
#include "adapter.h"

struct fl_bank_ops {
	const struct fl_wl_adapter *adapter;
	int (*reset)(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		     size_t errlen);
	enum fl_op_outcome (*transfer)(struct fl_wl_conn *c, uint64_t from, uint64_t to,
				       int64_t amount, int timeout_ms, int *ret_err);
	/* balances[0..n-1] zeroed by the caller; *ret_found counted by the adapter. */
	enum fl_op_outcome (*read)(struct fl_wl_conn *c, int64_t *balances, size_t n,
				   size_t *ret_found, int timeout_ms, int *ret_err);
};

extern const struct fl_bank_ops fl_bank_etcd_ops;
extern const struct fl_bank_ops fl_bank_redis_ops;
extern const struct fl_bank_ops fl_bank_postgres_ops;

#endif
