/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between register.c and the adapters' register operations (reg_*.c):
 * one const struct per adapter that has registers, listed in register.c.
 * The conventions of <faultline/register.h>; ret_err is never NULL here.
 */
#ifndef FL_WORKLOAD_REGISTER_OPS_H
#define FL_WORKLOAD_REGISTER_OPS_H

#include <faultline/register.h>
#include "adapter.h"

struct fl_reg_ops {
	const struct fl_wl_adapter *adapter;
	int (*reset)(struct fl_workload *w, char *errbuf, size_t errlen);
	enum fl_op_outcome (*write)(struct fl_wl_conn *c, uint64_t key, int64_t value,
				    int timeout_ms, int *ret_err);
	enum fl_op_outcome (*read)(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				   bool *ret_nil, int timeout_ms, int *ret_err);
	enum fl_op_outcome (*cas)(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				  bool *ret_swapped, int timeout_ms, int *ret_err);
};

extern const struct fl_reg_ops fl_reg_etcd_ops;
extern const struct fl_reg_ops fl_reg_redis_ops;
extern const struct fl_reg_ops fl_reg_postgres_ops;

/* A register's value as stored by the key-value adapters: decimal; -EINVAL if it is not one. */
int fl_reg_parse_value(const char *s, size_t n, int64_t *ret);

#endif
