// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * etcd://HOST[:PORT][?key=PREFIX&page=N] — etcd 3.4's v3 JSON gateway
 * (POST /v3/kv/put, /v3/kv/range, /v3/kv/deleterange; keys and values
 * base64). One key per record, PREFIX + the id zero-padded to 20 digits,
 * so a range over the prefix returns the records in id order; the
 * payload is the value. A put is answered after the raft commit.
 *
 * One HTTP/1.0 connection per request (core/http.c), bounded in time as
 * a whole: a paused or cut-off member costs a client its timeout, no
 * more. Loopback connections are cheap next to etcd's fsync of its WAL,
 * so a persistent connection would not buy throughput here.
 *
 * Outcomes of a put: no byte sent (refused, no route, connect timed out)
 * is FAIL; an answer that etcd refused before proposing (too large, too
 * many requests, no space, auth) is FAIL; a timeout after sending, a
 * connection lost, or etcd's "request timed out" / "leader changed"
 * (Unavailable: proposed, maybe committed) is UNKNOWN.
 *
 * Read back ranges over the prefix at most N keys at a time (page=,
 * default 1000), every page at the first page's revision, continuing
 * after the last key. etcd 3.4's gateway does not limit an answer's size,
 * so the number of keys per page also follows the records' size seen so
 * far, to keep a page near PAGE_BYTES (1 MiB records would make a page of
 * 1000 a gigabyte); a page refused as too large is asked again with half.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapter.h"
#include "wl_etcd.h"
#include "core/base64.h"
#include "core/http.h"

#define DEFAULT_PORT       2379
#define DEFAULT_PREFIX     "faultline/rpo/"
#define DEFAULT_PAGE       1000
#define MAX_PAGE           100000
#define CONNECT_TIMEOUT_MS 2000
#define ADMIN_TIMEOUT_MS   30000
#define ID_DIGITS          20
#define FIRST_PAGE         64
#define PAGE_BYTES         (8 << 20)

struct etcd_cfg {
	char *host;
	int port;
	char *prefix;
	int page;
	char *key_b64;               /* the prefix, base64 */
	char *end_b64;               /* the first key past the prefix, base64 */
};

struct etcd_conn {
	struct fl_wl_conn base;
};

/* --- parsing -------------------------------------------------------------- */

static int parse_int(const char *s, long lo, long hi, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static char *b64_dup(const void *buf, size_t len)
{
	char *s = malloc(FL_BASE64_LEN(len) + 1);

	if (s)
		fl_base64_encode(s, buf, len);
	return s;
}

/*
 * etcd's prefix range: the prefix with its last byte below 0xff plus one,
 * the bytes after it dropped (as etcdctl's GetPrefixRangeEnd).
 */
static char *prefix_end_b64(const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned char *e = malloc(n + 1);
	char *s;

	if (!e)
		return NULL;
	memcpy(e, prefix, n);
	while (n && e[n - 1] == 0xff)
		n--;
	if (n) {
		e[n - 1]++;
		s = b64_dup(e, n);
	} else {
		s = b64_dup("", 1); /* "\0": every key after the prefix */
	}
	free(e);
	return s;
}

static int etcd_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	struct etcd_cfg *cfg = calloc(1, sizeof(*cfg));
	char *copy = strdup(rest), *q, *hostport, *colon = NULL, *key, *val;
	bool v6;
	int err = 0;

	if (!cfg || !copy) {
		free(cfg);
		err = -ENOMEM;
		goto out;
	}
	w->cfg = cfg;
	cfg->port = DEFAULT_PORT;
	cfg->page = DEFAULT_PAGE;
	q = strchr(copy, '?');
	if (q)
		*q++ = '\0';
	hostport = copy;
	if (*hostport && hostport[strlen(hostport) - 1] == '/')
		hostport[strlen(hostport) - 1] = '\0';
	if (strchr(hostport, '/') || strchr(hostport, '@')) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"'%s': expected HOST[:PORT] (no user, no path)", hostport);
		goto out;
	}
	if (*hostport == '[') {
		char *close = strchr(hostport, ']');

		if (!close || (close[1] && close[1] != ':')) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"'%s': expected [IPV6]:PORT", hostport);
			goto out;
		}
		*close = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		hostport++;
	} else if (strchr(hostport, ':') == strrchr(hostport, ':')) {
		colon = strchr(hostport, ':');
	}
	if (colon) {
		*colon = '\0';
		if (parse_int(colon + 1, 1, 65535, &cfg->port)) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"port '%s': expected 1 to 65535", colon + 1);
			goto out;
		}
	}
	if (!*hostport) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen, "missing host (etcd://HOST:PORT)");
		goto out;
	}
	cfg->host = strdup(hostport);
	if (!cfg->host) {
		err = -ENOMEM;
		goto out;
	}
	/* No name lookup (it could block past any timeout): the gateway's address. */
	if (fl_http_check_host(cfg->host)) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"host '%s': expected an IPv4 or IPv6 address, or localhost",
				cfg->host);
		goto out;
	}
	while (fl_wl_query_next(&q, &key, &val)) {
		if (!strcmp(key, "key")) {
			if (!*val) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen,
						"key= needs a prefix: an empty one would be every key");
				goto out;
			}
			free(cfg->prefix);
			cfg->prefix = strdup(val);
			if (!cfg->prefix) {
				err = -ENOMEM;
				goto out;
			}
		} else if (!strcmp(key, "page")) {
			if (parse_int(val, 1, MAX_PAGE, &cfg->page)) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen,
						"page '%s': expected 1 to %d keys", val, MAX_PAGE);
				goto out;
			}
		} else {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"unknown option '%s' (expected key= or page=)", key);
			goto out;
		}
	}
	if (!cfg->prefix)
		cfg->prefix = strdup(DEFAULT_PREFIX);
	if (cfg->prefix) {
		cfg->key_b64 = b64_dup(cfg->prefix, strlen(cfg->prefix));
		cfg->end_b64 = prefix_end_b64(cfg->prefix);
	}
	if (!cfg->prefix || !cfg->key_b64 || !cfg->end_b64) {
		err = -ENOMEM;
		goto out;
	}
	v6 = strchr(cfg->host, ':') != NULL;
	err = fl_wl_set_desc(w, "etcd://%s%s%s:%d?key=%s", v6 ? "[" : "", cfg->host,
			     v6 ? "]" : "", cfg->port, cfg->prefix);
out:
	free(copy);
	return err;
}

static void etcd_free(struct fl_workload *w)
{
	struct etcd_cfg *cfg = w->cfg;

	if (!cfg)
		return;
	free(cfg->host);
	free(cfg->prefix);
	free(cfg->key_b64);
	free(cfg->end_b64);
	free(cfg);
}

/* --- requests ------------------------------------------------------------- */

/* etcd's error answer ({"error": .., "code": gRPC code}) as an errno, and whether it ran. */
static int reply_err(json_t *j, bool *ret_maybe_applied, const char **ret_msg)
{
	const char *msg = json_string_value(json_object_get(j, "error"));
	json_int_t code = json_integer_value(json_object_get(j, "code"));

	if (!msg)
		msg = json_string_value(json_object_get(j, "message"));
	*ret_msg = msg ? msg : "unexpected answer";
	*ret_maybe_applied = false;
	switch (code) {
	case 3:  /* InvalidArgument: too large, no key */
		return strstr(*ret_msg, "too large") ? -EMSGSIZE : -EINVAL;
	case 7:  /* PermissionDenied */
	case 16: /* Unauthenticated */
		return -EACCES;
	case 8:  /* ResourceExhausted: no space, too many requests, reply too large */
		return strstr(*ret_msg, "space") ? -ENOSPC :
		       strstr(*ret_msg, "larger than max") ? -EMSGSIZE : -EAGAIN;
	case 9:  /* FailedPrecondition */
		return -EPROTO;
	default:
		/* Unavailable (timed out, leader changed, stopping), DeadlineExceeded, ... */
		*ret_maybe_applied = true;
		return strstr(*ret_msg, "timed out") || code == 4 ? -ETIMEDOUT :
		       code == 14 ? -EAGAIN : -EPROTO;
	}
}

/* wl_etcd.h: also the register operations' (reg_etcd.c). */
int fl_wl_etcd_request(const struct fl_workload *w, const char *path, const char *body,
		       size_t len, int timeout_ms, json_t **ret, bool *ret_maybe, char *errbuf,
		       size_t errlen)
{
	const struct etcd_cfg *cfg = w->cfg;
	struct fl_http_reply r;
	bool sent = false, maybe = false;
	const char *msg;
	json_t *j = NULL;
	int err;

	err = fl_http_post(cfg->host, cfg->port, path, body, len, timeout_ms, &r, &sent);
	if (err) {
		maybe = sent;
		fl_wl_err(w, err, errbuf, errlen, "%s:%d%s: %s", cfg->host, cfg->port, path,
			  err == -ETIMEDOUT ? "timed out" : strerror(-err));
		goto out;
	}
	j = json_loadb(r.body, r.len, 0, NULL);
	if (r.status == 200 && j && json_is_object(j)) {
		*ret = j;
		j = NULL;
	} else if (j && json_is_object(j)) {
		err = reply_err(j, &maybe, &msg);
		fl_wl_err(w, err, errbuf, errlen, "%s: %s", path, msg);
	} else {
		err = -EPROTO;
		maybe = true;
		fl_wl_err(w, err, errbuf, errlen, "%s: HTTP %d, not JSON: %.80s", path, r.status,
			  r.body);
	}
	free(r.body);
out:
	json_decref(j);
	if (ret_maybe)
		*ret_maybe = maybe;
	return err;
}

/* --- the adapter ---------------------------------------------------------- */

/*
 * A linearizable range of one key under the prefix: answered only by a
 * member with a leader and a quorum, which is what can take writes.
 */
static int ping_msg(struct fl_workload *w, int timeout_ms, char *errbuf, size_t errlen)
{
	const struct etcd_cfg *cfg = w->cfg;
	char *body = NULL;
	json_t *j = NULL;
	int err;

	if (asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":1,"
		     "\"keys_only\":true}", cfg->key_b64, cfg->end_b64) < 0)
		return -ENOMEM;
	err = fl_wl_etcd_request(w, "/v3/kv/range", body, strlen(body), timeout_ms, &j, NULL,
				 errbuf, errlen);
	json_decref(j);
	free(body);
	return err;
}

static int etcd_ping(struct fl_workload *w, int timeout_ms)
{
	return ping_msg(w, timeout_ms, NULL, 0);
}

static int etcd_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	const struct etcd_cfg *cfg = w->cfg;
	char *body = NULL;
	json_t *j = NULL;
	int err;

	if (asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\"}", cfg->key_b64,
		     cfg->end_b64) < 0)
		return -ENOMEM;
	err = fl_wl_etcd_request(w, "/v3/kv/deleterange", body, strlen(body), ADMIN_TIMEOUT_MS,
				 &j, NULL, errbuf, errlen);
	json_decref(j);
	free(body);
	return err;
}

static int etcd_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
			size_t errlen)
{
	const struct etcd_cfg *cfg = w->cfg;
	struct etcd_conn *c;
	int err;

	/* Each request opens its own connection: this only says whether one would open. */
	err = fl_http_reachable(cfg->host, cfg->port, CONNECT_TIMEOUT_MS);
	if (err)
		return fl_wl_err(w, err, errbuf, errlen, "%s:%d: %s", cfg->host, cfg->port,
				 err == -ETIMEDOUT ? "connect timed out" : strerror(-err));
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base.w = w;
	*ret = &c->base;
	return 0;
}

static void etcd_disconnect(struct fl_wl_conn *c)
{
	free(c);
}

static enum fl_op_outcome etcd_write(struct fl_wl_conn *c, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err)
{
	const struct etcd_cfg *cfg = c->w->cfg;
	size_t plen = strlen(cfg->prefix), klen = plen + ID_DIGITS, blen;
	char *key = malloc(klen + 1), *body = NULL;
	json_t *j = NULL;
	bool maybe = false;
	int err = -ENOMEM, n;

	blen = 32 + FL_BASE64_LEN(klen) + FL_BASE64_LEN(len);
	body = malloc(blen);
	if (!key || !body)
		goto out;
	snprintf(key, klen + 1, "%s%0*" PRIu64, cfg->prefix, ID_DIGITS, id);
	n = snprintf(body, blen, "{\"key\":\"");
	fl_base64_encode(body + n, key, klen);
	n += (int)FL_BASE64_LEN(klen);
	n += snprintf(body + n, blen - (size_t)n, "\",\"value\":\"");
	fl_base64_encode(body + n, payload, len);
	n += (int)FL_BASE64_LEN(len);
	n += snprintf(body + n, blen - (size_t)n, "\"}");
	err = fl_wl_etcd_request(c->w, "/v3/kv/put", body, (size_t)n, timeout_ms, &j, &maybe,
				 NULL, 0);
	if (!err && !json_object_get(j, "header")) {
		err = -EPROTO;
		maybe = true;
	}
out:
	json_decref(j);
	free(key);
	free(body);
	if (!err)
		return FL_OP_OK;
	if (ret_err)
		*ret_err = err;
	return maybe ? FL_OP_UNKNOWN : FL_OP_FAIL;
}

/* "<prefix><20 digits>" -> id, or 0 when it is not a record's key. */
static uint64_t key_id(const struct etcd_cfg *cfg, const char *key, size_t len)
{
	size_t plen = strlen(cfg->prefix);
	uint64_t id = 0;

	if (len != plen + ID_DIGITS || memcmp(key, cfg->prefix, plen))
		return 0;
	for (size_t i = plen; i < len; i++) {
		if (key[i] < '0' || key[i] > '9' ||
		    id > (UINT64_MAX - (uint64_t)(key[i] - '0')) / 10)
			return 0;
		id = id * 10 + (uint64_t)(key[i] - '0');
	}
	return id;
}

/* A base64 field of a kv, decoded into *buf (grown as needed); an absent one is empty. */
static int field(json_t *kv, const char *name, char **buf, size_t *cap, size_t *ret_len)
{
	const char *s = json_string_value(json_object_get(kv, name));
	size_t n = s ? strlen(s) : 0;

	if (n / 4 * 3 + 1 > *cap) {
		char *nb = realloc(*buf, n / 4 * 3 + 1);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = n / 4 * 3 + 1;
	}
	*ret_len = 0;
	return n ? fl_base64_decode(*buf, s, n, ret_len) : 0;
}

/* The body of a range from the key (base64) after which the last page ended. */
static char *range_body(const struct etcd_cfg *cfg, const char *from_b64, int limit,
			const char *rev)
{
	char *body;

	if (asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":%d%s%s%s}",
		     from_b64, cfg->end_b64, limit, rev ? ",\"revision\":\"" : "",
		     rev ? rev : "", rev ? "\"" : "") < 0)
		return NULL;
	return body;
}

static int etcd_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
			 size_t errlen)
{
	const struct etcd_cfg *cfg = w->cfg;
	char *from = strdup(cfg->key_b64), *rev = NULL, *kbuf = NULL, *vbuf = NULL;
	size_t kcap = 0, vcap = 0;
	int limit = cfg->page < FIRST_PAGE ? cfg->page : FIRST_PAGE, err = 0;
	size_t seen = 0, bytes = 0;
	bool more = true;

	if (!from)
		return -ENOMEM;
	while (more && !err) {
		char *body = range_body(cfg, from, limit, rev);
		json_t *j = NULL, *kvs, *kv;
		size_t i, klen = 0, vlen = 0;

		if (!body) {
			err = -ENOMEM;
			break;
		}
		err = fl_wl_etcd_request(w, "/v3/kv/range", body, strlen(body), ADMIN_TIMEOUT_MS,
					 &j, NULL, errbuf, errlen);
		free(body);
		if ((err == -EMSGSIZE || err == -EFBIG) && limit > 1) {
			/* The page was too large for the gateway: ask for fewer keys. */
			limit /= 2;
			err = 0;
			continue;
		}
		if (err)
			break;
		if (!rev) {
			const char *r = json_string_value(
				json_object_get(json_object_get(j, "header"), "revision"));

			rev = strdup(r ? r : "0");
			if (!rev)
				err = -ENOMEM;
		}
		kvs = json_object_get(j, "kvs");
		more = json_is_true(json_object_get(j, "more"));
		json_array_foreach(kvs, i, kv) {
			if (err)
				break;
			err = field(kv, "key", &kbuf, &kcap, &klen);
			if (!err)
				err = field(kv, "value", &vbuf, &vcap, &vlen);
			if (err) {
				fl_wl_err(w, err, errbuf, errlen, "range: a key or value is not base64");
				break;
			}
			err = cb(ctx, key_id(cfg, kbuf, klen), vbuf, vlen);
			seen++;
			bytes += klen + vlen;
		}
		if (seen) {
			/* Base64 and JSON make a record about 4/3 of its bytes on the wire. */
			size_t fit = PAGE_BYTES / (bytes / seen * 4 / 3 + 128);

			limit = fit < 1 ? 1 : fit > (size_t)cfg->page ? cfg->page : (int)fit;
		}
		if (!err && more) {
			/* The next page starts just after the last key: the key plus a NUL byte. */
			char *next = json_array_size(kvs) ? malloc(klen + 1) : NULL;

			if (next) {
				memcpy(next, kbuf, klen);
				next[klen] = '\0';
				free(from);
				from = b64_dup(next, klen + 1);
				free(next);
			}
			if (!next || !from)
				err = json_array_size(kvs) ? -ENOMEM :
				      fl_wl_err(w, -EPROTO, errbuf, errlen,
						"range: \"more\" with no keys");
		}
		json_decref(j);
	}
	free(from);
	free(rev);
	free(kbuf);
	free(vbuf);
	return err;
}

const struct fl_wl_adapter fl_wl_etcd_adapter = {
	.scheme     = "etcd",
	.prefixes   = { "etcd://", NULL },
	.store      = NULL,
	.parse      = etcd_parse,
	.free       = etcd_free,
	.ping       = etcd_ping,
	.reset      = etcd_reset,
	.connect    = etcd_connect,
	.write      = etcd_write,
	.disconnect = etcd_disconnect,
	.read_all   = etcd_read_all,
	.ping_why   = ping_msg,
};
