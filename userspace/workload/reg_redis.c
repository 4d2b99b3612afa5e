// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registers on Redis: key faultline:register:<key>, the value in decimal.
 * SET, GET, and cas as a Lua script (EVAL runs it atomically): GET,
 * compare, SET. An error reply is FAIL (Redis refuses before it runs a
 * command); a timeout or a lost connection UNKNOWN.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "register_ops.h"
#include "wl_redis.h"

#define REG_PREFIX "faultline:register:"
#define REG_MATCH  "faultline:register:*"
#define ADMIN_MS   30000

static const char cas_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then "
	"redis.call('SET', KEYS[1], ARGV[2]) return 1 else return 0 end";

/* argv[] of up to 6, as strings; the reply, or the outcome of its failure. */
static enum fl_op_outcome reg_write(struct fl_wl_conn *c, uint64_t key, int64_t value,
				    int timeout_ms, int *ret_err)
{
	char k[64], v[24];
	const char *argv[] = { "SET", k, v };
	redisReply *r;
	enum fl_op_outcome o;

	snprintf(k, sizeof(k), REG_PREFIX "%" PRIu64, key);
	snprintf(v, sizeof(v), "%" PRId64, value);
	o = fl_wl_redis_call(fl_wl_redis_ctx(c), 3, argv, timeout_ms, &r, ret_err);
	if (o != FL_OP_OK)
		return o;
	if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK")) {
		*ret_err = -EPROTO;
		o = FL_OP_UNKNOWN;
	}
	freeReplyObject(r);
	return o;
}

static enum fl_op_outcome reg_read(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				   bool *ret_nil, int timeout_ms, int *ret_err)
{
	char k[64];
	const char *argv[] = { "GET", k };
	redisReply *r;
	enum fl_op_outcome o;

	snprintf(k, sizeof(k), REG_PREFIX "%" PRIu64, key);
	o = fl_wl_redis_call(fl_wl_redis_ctx(c), 2, argv, timeout_ms, &r, ret_err);
	if (o != FL_OP_OK)
		return o;
	*ret_nil = r->type == REDIS_REPLY_NIL;
	if (!*ret_nil && (r->type != REDIS_REPLY_STRING ||
			  fl_reg_parse_value(r->str, r->len, ret_value))) {
		*ret_err = -EPROTO;
		o = FL_OP_FAIL;
	}
	freeReplyObject(r);
	return o;
}

static enum fl_op_outcome reg_cas(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				  bool *ret_swapped, int timeout_ms, int *ret_err)
{
	char k[64], f[24], t[24];
	const char *argv[] = { "EVAL", cas_script, "1", k, f, t };
	redisReply *r;
	enum fl_op_outcome o;

	snprintf(k, sizeof(k), REG_PREFIX "%" PRIu64, key);
	snprintf(f, sizeof(f), "%" PRId64, from);
	snprintf(t, sizeof(t), "%" PRId64, to);
	o = fl_wl_redis_call(fl_wl_redis_ctx(c), 6, argv, timeout_ms, &r, ret_err);
	if (o != FL_OP_OK)
		return o;
	if (r->type == REDIS_REPLY_INTEGER) {
		*ret_swapped = r->integer == 1;
	} else {
		*ret_err = -EPROTO;
		o = FL_OP_UNKNOWN;
	}
	freeReplyObject(r);
	return o;
}

/* SCAN the register keys and DEL them, then SAVE when there is no AOF (as the records' reset). */
static int reg_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	redisContext *rc;
	int err;

	err = fl_wl_redis_open(w, 2000, &rc, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_redis_del_matching(rc, REG_MATCH, ADMIN_MS);
	if (!err)
		err = fl_wl_redis_save_unless_aof(rc, ADMIN_MS);
	redisFree(rc);
	if (err)
		fl_wl_err(w, err, errbuf, errlen, "resetting the registers: %s", strerror(-err));
	return err;
}

const struct fl_reg_ops fl_reg_redis_ops = {
	.adapter = &fl_wl_redis_adapter,
	.reset   = reg_reset,
	.write   = reg_write,
	.read    = reg_read,
	.cas     = reg_cas,
};
