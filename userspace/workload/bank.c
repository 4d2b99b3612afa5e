// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bank operations (<faultline/bank.h>): check the arguments, dispatch to the adapter's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bank_ops.h"

static const struct fl_bank_ops *const ops[] = {
	&fl_bank_etcd_ops,
	&fl_bank_redis_ops,
	&fl_bank_postgres_ops,
};

static const struct fl_bank_ops *find(const struct fl_workload *w)
{
	for (size_t i = 0; w && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i]->adapter == w->ad)
			return ops[i];
	return NULL;
}

bool fl_bank_supported(const struct fl_workload *w)
{
	return find(w) != NULL;
}

int fl_bank_reset(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		  size_t errlen)
{
	const struct fl_bank_ops *o = find(w);
	int64_t total;

	if (!o)
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen, "no bank for this workload");
	if (accounts < 2 || accounts > FL_BANK_MAX_ACCOUNTS || balance < 0 ||
	    __builtin_mul_overflow((int64_t)accounts, balance, &total))
		return fl_wl_err(w, -EINVAL, errbuf, errlen,
				 "bank: 2 to %d accounts, a balance >= 0, a total within int64",
				 FL_BANK_MAX_ACCOUNTS);
	return o->reset(w, accounts, balance, errbuf, errlen);
}

static enum fl_op_outcome refuse(int err, int *ret_err)
{
	if (ret_err)
		*ret_err = err;
	return FL_OP_FAIL;
}

enum fl_op_outcome fl_bank_transfer(struct fl_wl_conn *c, uint64_t from, uint64_t to,
				    int64_t amount, int timeout_ms, int *ret_err)
{
	const struct fl_bank_ops *o = find(c->w);
	int err = 0;
	enum fl_op_outcome r;

	if (!o)
		return refuse(-EOPNOTSUPP, ret_err);
	/* Account numbers are bigint keys in PostgreSQL. */
	if (from == to || amount <= 0 || from > INT64_MAX || to > INT64_MAX)
		return refuse(-EINVAL, ret_err);
	r = o->transfer(c, from, to, amount, timeout_ms, &err);
	if (ret_err && r != FL_OP_OK)
		*ret_err = err;
	return r;
}

enum fl_op_outcome fl_bank_read(struct fl_wl_conn *c, int64_t *balances, size_t n,
				size_t *ret_found, int timeout_ms, int *ret_err)
{
	const struct fl_bank_ops *o = find(c->w);
	int64_t *tmp;
	size_t found = 0;
	int err = 0;
	enum fl_op_outcome r;

	if (!o)
		return refuse(-EOPNOTSUPP, ret_err);
	if (!n || n > FL_BANK_MAX_ACCOUNTS)
		return refuse(-EINVAL, ret_err);
	/* Outputs untouched on failure: read into a copy. */
	tmp = calloc(n, sizeof(*tmp));
	if (!tmp)
		return refuse(-ENOMEM, ret_err);
	r = o->read(c, tmp, n, &found, timeout_ms, &err);
	if (r == FL_OP_OK) {
		memcpy(balances, tmp, n * sizeof(*tmp));
		if (ret_found)
			*ret_found = found;
	} else if (ret_err) {
		*ret_err = err;
	}
	free(tmp);
	return r;
}
