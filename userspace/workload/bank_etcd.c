// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank on etcd: key faultline/bank/<20-digit account>, the balance in
 * decimal. A transfer is optimistic, as etcd's own STM: read both
 * accounts at one revision (a txn of two ranges), then a txn that puts
 * both new balances if neither account's mod revision moved; when one did
 * (another transfer won), read again, until the timeout. Nothing is
 * written before that last txn, so every failure before it is FAIL; the
 * txn sent and unanswered is UNKNOWN (wl_etcd.c's rules for a put). A
 * read is one linearizable range over the prefix: one revision.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank_ops.h"
#include "core/base64.h"
#include "register_ops.h"
#include "wl_etcd.h"

#define BANK_PREFIX  "faultline/bank/"
#define BANK_END     "faultline/bank0" /* the prefix's range end: '/' + 1 */
#define DIGITS       20
#define ADMIN_MS     30000
#define B64_MAX      64   /* base64 of a key or a decimal int64, with room */
#define RESET_BATCH  100  /* puts per txn: etcd's --max-txn-ops defaults to 128 */

static void key_b64(uint64_t account, char *out)
{
	char k[64];
	int n = snprintf(k, sizeof(k), BANK_PREFIX "%0*" PRIu64, DIGITS, account);

	fl_base64_encode(out, k, (size_t)n);
}

static void value_b64(int64_t v, char *out)
{
	char s[24];
	int n = snprintf(s, sizeof(s), "%" PRId64, v);

	fl_base64_encode(out, s, (size_t)n);
}

/* A kv's value as a balance: 0 or -EPROTO. */
static int kv_balance(json_t *kv, int64_t *ret)
{
	const char *v = json_string_value(json_object_get(kv, "value"));
	char raw[B64_MAX];
	size_t n = 0;

	if (!v || strlen(v) >= sizeof(raw) || fl_base64_decode(raw, v, strlen(v), &n) ||
	    fl_reg_parse_value(raw, n, ret))
		return -EPROTO;
	return 0;
}

/* A kv's account: 0, or -EPROTO for a key that is not one of ours. */
static int kv_account(json_t *kv, uint64_t *ret)
{
	const char *k = json_string_value(json_object_get(kv, "key"));
	const size_t plen = sizeof(BANK_PREFIX) - 1;
	char raw[B64_MAX], *end;
	size_t n = 0;

	if (!k || strlen(k) >= sizeof(raw) || fl_base64_decode(raw, k, strlen(k), &n) ||
	    n != plen + DIGITS || memcmp(raw, BANK_PREFIX, plen))
		return -EPROTO;
	raw[n] = '\0';
	errno = 0;
	*ret = strtoull(raw + plen, &end, 10);
	return errno || *end ? -EPROTO : 0;
}

/* The gateway writes int64 as strings; accept numbers too. */
static int json_int64(json_t *v, int64_t *ret)
{
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	return json_is_string(v) ? fl_reg_parse_value(json_string_value(v),
						      json_string_length(v), ret) : -EPROTO;
}

static int ms_left(uint64_t deadline)
{
	uint64_t now = fl_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

static int bank_reset(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		      size_t errlen)
{
	char k[B64_MAX], e[B64_MAX], v[B64_MAX], *body;
	size_t cap = 128 + RESET_BATCH * (2 * B64_MAX + 64);
	json_t *j = NULL;
	int err;

	body = malloc(cap);
	if (!body)
		return -ENOMEM;
	fl_base64_encode(k, BANK_PREFIX, strlen(BANK_PREFIX));
	fl_base64_encode(e, BANK_END, strlen(BANK_END));
	snprintf(body, cap, "{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e);
	err = fl_wl_etcd_request(w, "/v3/kv/deleterange", body, strlen(body), ADMIN_MS, &j, NULL,
				 errbuf, errlen);
	json_decref(j);
	value_b64(balance, v);
	for (size_t a = 0; !err && a < accounts; a += RESET_BATCH) {
		size_t len = (size_t)snprintf(body, cap, "{\"success\":[");

		for (size_t i = a; i < accounts && i < a + RESET_BATCH; i++) {
			key_b64(i, k);
			len += (size_t)snprintf(body + len, cap - len,
						"%s{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}",
						i > a ? "," : "", k, v);
		}
		len += (size_t)snprintf(body + len, cap - len, "]}");
		j = NULL;
		err = fl_wl_etcd_request(w, "/v3/kv/txn", body, len, ADMIN_MS, &j, NULL, errbuf,
					 errlen);
		json_decref(j);
	}
	free(body);
	return err;
}

struct account {
	int64_t balance, mod;
};

/* Both accounts at one revision: 0, -ENOENT, -EPROTO, or the request's error. */
static int read_two(struct fl_wl_conn *c, const char *fk, const char *tk, int timeout_ms,
		    struct account *ret)
{
	char body[512];
	json_t *j = NULL, *resp;
	int err;

	snprintf(body, sizeof(body), "{\"success\":[{\"request_range\":{\"key\":\"%s\"}},"
		 "{\"request_range\":{\"key\":\"%s\"}}]}", fk, tk);
	err = fl_wl_etcd_request(c->w, "/v3/kv/txn", body, strlen(body), timeout_ms, &j, NULL,
				 NULL, 0);
	if (err)
		return err;
	resp = json_object_get(j, "responses");
	for (size_t i = 0; i < 2 && !err; i++) {
		json_t *r = json_object_get(json_array_get(resp, i), "response_range");
		json_t *kv = json_array_get(json_object_get(r, "kvs"), 0);

		if (!r)
			err = -EPROTO;
		else if (!kv)
			err = -ENOENT;
		else if (kv_balance(kv, &ret[i].balance) ||
			 json_int64(json_object_get(kv, "mod_revision"), &ret[i].mod))
			err = -EPROTO;
	}
	json_decref(j);
	return err;
}

static enum fl_op_outcome bank_transfer(struct fl_wl_conn *c, uint64_t from, uint64_t to,
					int64_t amount, int timeout_ms, int *ret_err)
{
	char body[1024], fk[B64_MAX], tk[B64_MAX], fv[B64_MAX], tv[B64_MAX];
	uint64_t deadline = fl_deadline(timeout_ms);
	struct account acc[2];
	int64_t nf, nt;

	key_b64(from, fk);
	key_b64(to, tk);
	for (;;) {
		json_t *j = NULL;
		bool maybe = false, swapped;
		int left = ms_left(deadline), err;

		if (!left) {
			/* Every txn so far answered "not swapped": nothing moved. */
			*ret_err = -EAGAIN;
			return FL_OP_FAIL;
		}
		err = read_two(c, fk, tk, left, acc);
		if (err) {
			*ret_err = err;
			return FL_OP_FAIL;
		}
		if (acc[0].balance < amount) {
			*ret_err = -EDQUOT;
			return FL_OP_FAIL;
		}
		if (__builtin_add_overflow(acc[1].balance, amount, &nt)) {
			*ret_err = -EOVERFLOW;
			return FL_OP_FAIL;
		}
		nf = acc[0].balance - amount;
		value_b64(nf, fv);
		value_b64(nt, tv);
		snprintf(body, sizeof(body),
			 "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\","
			 "\"mod_revision\":\"%" PRId64 "\"},{\"key\":\"%s\",\"target\":\"MOD\","
			 "\"result\":\"EQUAL\",\"mod_revision\":\"%" PRId64 "\"}],"
			 "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}},"
			 "{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}]}",
			 fk, acc[0].mod, tk, acc[1].mod, fk, fv, tk, tv);
		left = ms_left(deadline);
		if (!left) {
			*ret_err = -ETIMEDOUT;
			return FL_OP_FAIL;
		}
		err = fl_wl_etcd_request(c->w, "/v3/kv/txn", body, strlen(body), left, &j, &maybe,
					 NULL, 0);
		if (!err && !json_object_get(j, "header")) {
			err = -EPROTO;
			maybe = true;
		}
		/* The gateway leaves "succeeded" out when it is false. */
		swapped = !err && json_is_true(json_object_get(j, "succeeded"));
		json_decref(j);
		if (err) {
			*ret_err = err;
			return maybe ? FL_OP_UNKNOWN : FL_OP_FAIL;
		}
		if (swapped)
			return FL_OP_OK;
	}
}

static enum fl_op_outcome bank_read(struct fl_wl_conn *c, int64_t *balances, size_t n,
				    size_t *ret_found, int timeout_ms, int *ret_err)
{
	char body[256], k[B64_MAX], e[B64_MAX];
	json_t *j = NULL, *kvs, *kv;
	size_t i;
	int err;

	fl_base64_encode(k, BANK_PREFIX, strlen(BANK_PREFIX));
	fl_base64_encode(e, BANK_END, strlen(BANK_END));
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\"}", k, e);
	err = fl_wl_etcd_request(c->w, "/v3/kv/range", body, strlen(body), timeout_ms, &j, NULL,
				 NULL, 0);
	if (err) {
		/* A read changes nothing; a timed out one is still info, as the registers'. */
		*ret_err = err;
		return FL_OP_UNKNOWN;
	}
	kvs = json_object_get(j, "kvs");
	json_array_foreach(kvs, i, kv) {
		uint64_t a;
		int64_t b;

		if (kv_account(kv, &a) || kv_balance(kv, &b)) {
			err = -EPROTO;
			break;
		}
		if (a < n) {
			balances[a] = b;
			(*ret_found)++;
		}
	}
	json_decref(j);
	if (err) {
		*ret_err = err;
		return FL_OP_FAIL;
	}
	return FL_OP_OK;
}

const struct fl_bank_ops fl_bank_etcd_ops = {
	.adapter  = &fl_wl_etcd_adapter,
	.reset    = bank_reset,
	.transfer = bank_transfer,
	.read     = bank_read,
};
