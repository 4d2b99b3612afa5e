// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registers on etcd: key faultline/register/<20-digit key>, the value in
 * decimal. write is a put, read a linearizable range of the key, cas a
 * txn whose compare is the value (a key with no value never compares
 * equal). The outcomes follow the put's (wl_etcd.c): nothing sent is
 * FAIL, sent and unanswered UNKNOWN.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "register_ops.h"
#include "wl_etcd.h"

#define REG_PREFIX   "faultline/register/"
#define REG_END      "faultline/register0" /* the prefix's range end: '/' + 1 */
#define ADMIN_MS     30000
#define B64_MAX      64   /* base64 of a key or a decimal int64, with room */

static void key_b64(uint64_t key, char *out)
{
	char k[64];
	int n = snprintf(k, sizeof(k), REG_PREFIX "%020" PRIu64, key);

	fl_base64_encode(out, k, (size_t)n);
}

static void value_b64(int64_t v, char *out)
{
	char s[24];
	int n = snprintf(s, sizeof(s), "%" PRId64, v);

	fl_base64_encode(out, s, (size_t)n);
}

static enum fl_op_outcome outcome(int err, bool maybe, int *ret_err)
{
	if (!err)
		return FL_OP_OK;
	*ret_err = err;
	return maybe ? FL_OP_UNKNOWN : FL_OP_FAIL;
}

static int reg_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	char body[256], k[B64_MAX], e[B64_MAX];
	json_t *j = NULL;
	int err;

	fl_base64_encode(k, REG_PREFIX, strlen(REG_PREFIX));
	fl_base64_encode(e, REG_END, strlen(REG_END));
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e);
	err = fl_wl_etcd_request(w, "/v3/kv/deleterange", body, strlen(body), ADMIN_MS, &j, NULL,
				 errbuf, errlen);
	json_decref(j);
	return err;
}

static enum fl_op_outcome reg_write(struct fl_wl_conn *c, uint64_t key, int64_t value,
				    int timeout_ms, int *ret_err)
{
	char body[256], k[B64_MAX], v[B64_MAX];
	json_t *j = NULL;
	bool maybe = false;
	int err;

	key_b64(key, k);
	value_b64(value, v);
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
	err = fl_wl_etcd_request(c->w, "/v3/kv/put", body, strlen(body), timeout_ms, &j, &maybe,
				 NULL, 0);
	if (!err && !json_object_get(j, "header")) {
		err = -EPROTO;
		maybe = true;
	}
	json_decref(j);
	return outcome(err, maybe, ret_err);
}

static enum fl_op_outcome reg_read(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				   bool *ret_nil, int timeout_ms, int *ret_err)
{
	char body[256], k[B64_MAX], raw[B64_MAX];
	json_t *j = NULL, *kv;
	const char *v;
	size_t n = 0;
	int err;

	key_b64(key, k);
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
	err = fl_wl_etcd_request(c->w, "/v3/kv/range", body, strlen(body), timeout_ms, &j, NULL,
				 NULL, 0);
	if (err)
		return outcome(err, true, ret_err);
	kv = json_array_get(json_object_get(j, "kvs"), 0);
	if (!kv) {
		*ret_nil = true;
		json_decref(j);
		return FL_OP_OK;
	}
	v = json_string_value(json_object_get(kv, "value"));
	if (!v || strlen(v) >= sizeof(raw) || fl_base64_decode(raw, v, strlen(v), &n) ||
	    fl_reg_parse_value(raw, n, ret_value))
		err = -EPROTO;
	*ret_nil = false;
	json_decref(j);
	return outcome(err, true, ret_err);
}

static enum fl_op_outcome reg_cas(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				  bool *ret_swapped, int timeout_ms, int *ret_err)
{
	char body[512], k[B64_MAX], f[B64_MAX], t[B64_MAX];
	json_t *j = NULL;
	bool maybe = false;
	int err;

	key_b64(key, k);
	value_b64(from, f);
	value_b64(to, t);
	snprintf(body, sizeof(body),
		 "{\"compare\":[{\"key\":\"%s\",\"target\":\"VALUE\",\"result\":\"EQUAL\","
		 "\"value\":\"%s\"}],\"success\":[{\"request_put\":{\"key\":\"%s\","
		 "\"value\":\"%s\"}}]}", k, f, k, t);
	err = fl_wl_etcd_request(c->w, "/v3/kv/txn", body, strlen(body), timeout_ms, &j, &maybe,
				 NULL, 0);
	if (!err && !json_object_get(j, "header")) {
		err = -EPROTO;
		maybe = true;
	}
	/* The gateway leaves "succeeded" out when it is false. */
	if (!err)
		*ret_swapped = json_is_true(json_object_get(j, "succeeded"));
	json_decref(j);
	return outcome(err, maybe, ret_err);
}

const struct fl_reg_ops fl_reg_etcd_ops = {
	.adapter = &fl_wl_etcd_adapter,
	.reset   = reg_reset,
	.write   = reg_write,
	.read    = reg_read,
	.cas     = reg_cas,
};
