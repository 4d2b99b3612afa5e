// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Register operations (<faultline/register.h>): dispatch to the adapter's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "register_ops.h"

static const struct fl_reg_ops *const ops[] = {
	&fl_reg_etcd_ops,
	&fl_reg_redis_ops,
	&fl_reg_postgres_ops,
};

static const struct fl_reg_ops *find(const struct fl_workload *w)
{
	for (size_t i = 0; w && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i]->adapter == w->ad)
			return ops[i];
	return NULL;
}

bool fl_register_supported(const struct fl_workload *w)
{
	return find(w) != NULL;
}

int fl_register_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	const struct fl_reg_ops *o = find(w);

	if (!o)
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen, "no registers for this workload");
	return o->reset(w, errbuf, errlen);
}

static enum fl_op_outcome unsupported(int *ret_err)
{
	if (ret_err)
		*ret_err = -EOPNOTSUPP;
	return FL_OP_FAIL;
}

enum fl_op_outcome fl_register_write(struct fl_wl_conn *c, uint64_t key, int64_t value,
				     int timeout_ms, int *ret_err)
{
	const struct fl_reg_ops *o = find(c->w);
	int err = 0;
	enum fl_op_outcome r;

	if (!o)
		return unsupported(ret_err);
	r = o->write(c, key, value, timeout_ms, &err);
	if (ret_err && r != FL_OP_OK)
		*ret_err = err;
	return r;
}

enum fl_op_outcome fl_register_read(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				    bool *ret_nil, int timeout_ms, int *ret_err)
{
	const struct fl_reg_ops *o = find(c->w);
	int64_t v = 0;
	bool nil = true;
	int err = 0;
	enum fl_op_outcome r;

	if (!o)
		return unsupported(ret_err);
	r = o->read(c, key, &v, &nil, timeout_ms, &err);
	if (r == FL_OP_OK) {
		*ret_nil = nil;
		*ret_value = nil ? 0 : v;
	} else if (ret_err) {
		*ret_err = err;
	}
	return r;
}

enum fl_op_outcome fl_register_cas(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				   bool *ret_swapped, int timeout_ms, int *ret_err)
{
	const struct fl_reg_ops *o = find(c->w);
	bool swapped = false;
	int err = 0;
	enum fl_op_outcome r;

	if (!o)
		return unsupported(ret_err);
	r = o->cas(c, key, from, to, &swapped, timeout_ms, &err);
	if (r == FL_OP_OK)
		*ret_swapped = swapped;
	else if (ret_err)
		*ret_err = err;
	return r;
}

int fl_reg_parse_value(const char *s, size_t n, int64_t *ret)
{
	char buf[24], *end;
	long long v;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}
