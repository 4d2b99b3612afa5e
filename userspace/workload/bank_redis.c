// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank on Redis: key faultline:bank:<account>, the balance in decimal.
 * A transfer is a Lua script through EVAL, which Redis runs atomically:
 * both accounts must exist and the from account hold the amount, then
 * DECRBY and INCRBY (exact int64 arithmetic; the comparison is Lua's, exact
 * below 2^53). A read is one MGET. An error reply is FAIL (Redis refuses
 * before it runs a command); a timeout or a lost connection UNKNOWN.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank_ops.h"
#include "register_ops.h"
#include "wl_redis.h"

#define BANK_PREFIX "faultline:bank:"
#define BANK_MATCH  "faultline:bank:*"
#define KEY_MAX     48
#define ADMIN_MS    30000

static const char transfer_script[] =
	"local f = redis.call('GET', KEYS[1]) "
	"local t = redis.call('GET', KEYS[2]) "
	"if not f or not t then return -1 end "
	"if tonumber(f) < tonumber(ARGV[1]) then return 0 end "
	"redis.call('DECRBY', KEYS[1], ARGV[1]) "
	"redis.call('INCRBY', KEYS[2], ARGV[1]) "
	"return 1";

/* One command; its reply, or the outcome of its failure. */
static enum fl_op_outcome bank_transfer(struct fl_wl_conn *c, uint64_t from, uint64_t to,
					int64_t amount, int timeout_ms, int *ret_err)
{
	char f[KEY_MAX], t[KEY_MAX], a[24];
	const char *argv[] = { "EVAL", transfer_script, "2", f, t, a };
	redisReply *r;
	enum fl_op_outcome o;

	snprintf(f, sizeof(f), BANK_PREFIX "%" PRIu64, from);
	snprintf(t, sizeof(t), BANK_PREFIX "%" PRIu64, to);
	snprintf(a, sizeof(a), "%" PRId64, amount);
	o = fl_wl_redis_call(fl_wl_redis_ctx(c), 6, argv, timeout_ms, &r, ret_err);
	if (o != FL_OP_OK)
		return o;
	if (r->type != REDIS_REPLY_INTEGER) {
		*ret_err = -EPROTO;
		o = FL_OP_UNKNOWN;
	} else if (r->integer != 1) {
		*ret_err = r->integer == 0 ? -EDQUOT : -ENOENT;
		o = FL_OP_FAIL;
	}
	freeReplyObject(r);
	return o;
}

/* argv of the command, then n keys faultline:bank:0..n-1 (in one allocation). */
static const char **key_args(const char *cmd, size_t n)
{
	const char **argv = malloc((n + 1) * (sizeof(*argv) + KEY_MAX));
	char *keys = (char *)(argv + n + 1);

	if (!argv)
		return NULL;
	argv[0] = cmd;
	for (size_t i = 0; i < n; i++) {
		snprintf(keys + i * KEY_MAX, KEY_MAX, BANK_PREFIX "%zu", i);
		argv[i + 1] = keys + i * KEY_MAX;
	}
	return argv;
}

static enum fl_op_outcome bank_read(struct fl_wl_conn *c, int64_t *balances, size_t n,
				    size_t *ret_found, int timeout_ms, int *ret_err)
{
	const char **argv = key_args("MGET", n);
	redisReply *r;
	enum fl_op_outcome o;

	if (!argv) {
		*ret_err = -ENOMEM;
		return FL_OP_FAIL;
	}
	o = fl_wl_redis_call(fl_wl_redis_ctx(c), (int)n + 1, argv, timeout_ms, &r, ret_err);
	free(argv);
	if (o != FL_OP_OK)
		return o;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		redisReply *e = r->element[i];

		if (e->type == REDIS_REPLY_NIL)
			continue;
		if (e->type != REDIS_REPLY_STRING || fl_reg_parse_value(e->str, e->len, &balances[i]))
			goto bad;
		(*ret_found)++;
	}
	freeReplyObject(r);
	return FL_OP_OK;
bad:
	freeReplyObject(r);
	*ret_err = -EPROTO;
	return FL_OP_FAIL;
}

/* The accounts as they were, then MSET of the new ones (atomic), then SAVE without an AOF. */
static int bank_reset(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		      size_t errlen)
{
	const char **argv = NULL;
	char v[24];
	redisContext *rc;
	redisReply *r = NULL;
	int err;

	err = fl_wl_redis_open(w, 2000, &rc, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_redis_del_matching(rc, BANK_MATCH, ADMIN_MS);
	if (err)
		goto out;
	/* MSET k0 v k1 v ...: the keys of key_args spread over pairs. */
	argv = key_args("MSET", accounts);
	if (!argv) {
		err = -ENOMEM;
		goto out;
	}
	{
		const char **pairs = malloc((2 * accounts + 1) * sizeof(*pairs));

		if (!pairs) {
			err = -ENOMEM;
			goto out;
		}
		snprintf(v, sizeof(v), "%" PRId64, balance);
		pairs[0] = "MSET";
		for (size_t i = 0; i < accounts; i++) {
			pairs[1 + 2 * i] = argv[1 + i];
			pairs[2 + 2 * i] = v;
		}
		if (fl_wl_redis_call(rc, (int)(2 * accounts + 1), pairs, ADMIN_MS, &r, &err) ==
		    FL_OP_OK)
			freeReplyObject(r);
		free(pairs);
	}
	/* A power cut must not bring back an earlier bank (as the records' reset). */
	if (!err)
		err = fl_wl_redis_save_unless_aof(rc, ADMIN_MS);
out:
	free(argv);
	redisFree(rc);
	if (err)
		fl_wl_err(w, err, errbuf, errlen, "resetting the bank: %s", strerror(-err));
	return err;
}

const struct fl_bank_ops fl_bank_redis_ops = {
	.adapter  = &fl_wl_redis_adapter,
	.reset    = bank_reset,
	.transfer = bank_transfer,
	.read     = bank_read,
};
