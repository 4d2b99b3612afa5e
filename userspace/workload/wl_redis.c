// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?password=..&key=PREFIX] —
 * one string key per record, `SET <prefix><id> <payload>`, so that read
 * back is a SCAN of the prefix and a GET of each key, and nothing outside
 * the prefix is ever touched (no FLUSHDB of someone's database).
 *
 * Every request runs against a deadline of its own: hiredis connects
 * with a timeout, then its socket is made non-blocking and requests are
 * written and read with poll(), so a stalled server gives UNKNOWN at the
 * timeout rather than a thread stuck in read() or write(). An error reply is FAIL (Redis
 * checks a write before it executes it: LOADING, OOM, MISCONF, READONLY);
 * a timeout or a connection lost before the reply is UNKNOWN.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "adapter.h"
#include "wl_redis.h"

#define DEFAULT_PORT      6379
#define DEFAULT_PREFIX    "faultline:rpo:"
#define CONNECT_TIMEOUT_MS 2000
#define ADMIN_TIMEOUT_MS  30000
#define SCAN_COUNT        1000

struct redis_cfg {
	char *host;
	int port;
	int db;                      /* -1: the server's default */
	char *user;                  /* ACL user, or NULL */
	char *password;              /* or NULL */
	char *prefix;
	char *match;                 /* prefix with glob characters escaped, then '*' */
};

struct redis_conn {
	struct fl_wl_conn base;
	redisContext *rc;
};

/* --- parsing -------------------------------------------------------------- */

static int dup_range(char **ret, const char *s, size_t n)
{
	*ret = strndup(s, n);
	return *ret ? 0 : -ENOMEM;
}

static int parse_port(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* Glob characters of the prefix escaped, so SCAN MATCH selects exactly the prefix. */
static char *match_pattern(const char *prefix)
{
	char *m = malloc(2 * strlen(prefix) + 2), *p = m;

	if (!m)
		return NULL;
	for (const char *s = prefix; *s; s++) {
		if (strchr("*?[]\\^", *s))
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '*';
	*p = '\0';
	return m;
}

static int redis_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	struct redis_cfg *cfg = calloc(1, sizeof(*cfg));
	char *copy = strdup(rest), *q, *path, *at, *hostport, *colon, *key, *val;
	char db[16] = "";
	bool v6;
	int err = 0;

	if (!cfg || !copy) {
		free(cfg);
		err = -ENOMEM;
		goto out;
	}
	w->cfg = cfg;
	cfg->port = DEFAULT_PORT;
	cfg->db = -1;
	q = strchr(copy, '?');
	if (q)
		*q++ = '\0';
	path = strchr(copy, '/');
	if (path)
		*path++ = '\0';
	/* userinfo: the last '@' of the authority (a password may hold '@'). */
	at = strrchr(copy, '@');
	hostport = copy;
	if (at) {
		char *sep;

		*at = '\0';
		hostport = at + 1;
		sep = strchr(copy, ':');
		if (!sep) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"'%s@': expected [USER]:PASSWORD@ before the host", copy);
			goto out;
		}
		*sep = '\0';
		if (*copy && (err = dup_range(&cfg->user, copy, strlen(copy))))
			goto out;
		if ((err = dup_range(&cfg->password, sep + 1, strlen(sep + 1))))
			goto out;
	}
	/* [v6addr]:port or host:port */
	if (*hostport == '[') {
		char *close = strchr(hostport, ']');

		if (!close) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen, "unterminated '[' in the host");
			goto out;
		}
		*close = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen, "junk after ']' in the host");
			goto out;
		}
		hostport++;
	} else {
		colon = strrchr(hostport, ':');
	}
	if (colon) {
		*colon = '\0';
		if (parse_port(colon + 1, &cfg->port)) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"port '%s': expected 1 to 65535", colon + 1);
			goto out;
		}
	}
	if (!*hostport) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"missing host (redis://HOST:PORT[/DB])");
		goto out;
	}
	if ((err = dup_range(&cfg->host, hostport, strlen(hostport))))
		goto out;
	if (path && *path) {
		char *end;
		long n;

		errno = 0;
		n = strtol(path, &end, 10);
		if (errno || *end || n < 0 || n > INT_MAX) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"database '%s': expected a number", path);
			goto out;
		}
		cfg->db = (int)n;
	}
	while (fl_wl_query_next(&q, &key, &val)) {
		if (!strcmp(key, "password")) {
			free(cfg->password);
			if ((err = dup_range(&cfg->password, val, strlen(val))))
				goto out;
		} else if (!strcmp(key, "user")) {
			free(cfg->user);
			if ((err = dup_range(&cfg->user, val, strlen(val))))
				goto out;
		} else if (!strcmp(key, "key")) {
			if (!*val) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen,
						"key= needs a prefix: an empty one would be every key");
				goto out;
			}
			free(cfg->prefix);
			if ((err = dup_range(&cfg->prefix, val, strlen(val))))
				goto out;
		} else {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen, "unknown option '%s' %s",
					key, "(expected password=, user= or key=)");
			goto out;
		}
	}
	if (!cfg->prefix && (err = dup_range(&cfg->prefix, DEFAULT_PREFIX,
					     strlen(DEFAULT_PREFIX))))
		goto out;
	cfg->match = match_pattern(cfg->prefix);
	if (!cfg->match) {
		err = -ENOMEM;
		goto out;
	}
	if (cfg->db >= 0)
		snprintf(db, sizeof(db), "/%d", cfg->db);
	v6 = strchr(cfg->host, ':') != NULL;
	err = fl_wl_set_desc(w, "redis://%s%s%s%s%s:%d%s?key=%s", cfg->user ? cfg->user : "",
			     cfg->password ? ":***@" : cfg->user ? "@" : "", v6 ? "[" : "",
			     cfg->host, v6 ? "]" : "", cfg->port, db, cfg->prefix);
out:
	free(copy);
	return err;
}

static void redis_free(struct fl_workload *w)
{
	struct redis_cfg *cfg = w->cfg;

	if (!cfg)
		return;
	free(cfg->host);
	free(cfg->user);
	free(cfg->password);
	free(cfg->prefix);
	free(cfg->match);
	free(cfg);
}

/* --- requests with a deadline --------------------------------------------- */


/*
 * hiredis writes with write(2): a peer that is gone would raise SIGPIPE
 * and kill the whole controller. Blocked around the write, and a SIGPIPE
 * this thread raised is consumed; one that was already pending is left.
 */
static int buffer_write(redisContext *rc, int *done)
{
	sigset_t pipe, old, pending;
	bool was_pending;
	int r;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	r = redisBufferWrite(rc, done);
	if (!was_pending) {
		struct timespec zero = { 0 };

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* What a broken context means: EOF and I/O errors are a lost connection. */
static int context_err(const redisContext *rc)
{
	switch (rc->err) {
	case REDIS_ERR_EOF:
		return -ECONNRESET;
	case REDIS_ERR_IO:
		return strstr(rc->errstr, "refused") ? -ECONNREFUSED : -ECONNRESET;
	case REDIS_ERR_OOM:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

/* Send what was appended to the context's buffer, then read n replies into ret[]. */
static int roundtrip(redisContext *rc, redisReply **ret, size_t n, uint64_t deadline)
{
	size_t got = 0;
	int done = 0, err;

	while (!done) {
		err = fl_wait_fd(rc->fd, POLLOUT, deadline);
		if (err)
			goto fail;
		if (buffer_write(rc, &done) != REDIS_OK) {
			err = context_err(rc);
			goto fail;
		}
	}
	while (got < n) {
		void *reply = NULL;

		if (redisGetReplyFromReader(rc, &reply) != REDIS_OK) {
			err = context_err(rc);
			goto fail;
		}
		if (reply) {
			ret[got++] = reply;
			continue;
		}
		err = fl_wait_fd(rc->fd, POLLIN, deadline);
		if (err)
			goto fail;
		if (redisBufferRead(rc) != REDIS_OK) {
			err = context_err(rc);
			goto fail;
		}
	}
	return 0;
fail:
	while (got)
		freeReplyObject(ret[--got]);
	return err;
}

static int command(redisContext *rc, redisReply **ret, uint64_t deadline, int argc,
		   const char **argv, const size_t *argvlen)
{
	if (redisAppendCommandArgv(rc, argc, argv, argvlen) != REDIS_OK)
		return context_err(rc);
	return roundtrip(rc, ret, 1, deadline);
}

/* An error reply as an errno: the server is not ready yet, or it refused. */
static int reply_err(const redisReply *r)
{
	if (!strncmp(r->str, "LOADING", 7) || !strncmp(r->str, "BUSY", 4) ||
	    !strncmp(r->str, "MASTERDOWN", 10))
		return -EAGAIN;
	if (!strncmp(r->str, "NOAUTH", 6) || !strncmp(r->str, "WRONGPASS", 9) ||
	    !strncmp(r->str, "NOPERM", 6))
		return -EACCES;
	if (!strncmp(r->str, "OOM", 3))
		return -ENOMEM;
	if (!strncmp(r->str, "READONLY", 8))
		return -EROFS;
	if (!strncmp(r->str, "MISCONF", 7))
		return -EIO;
	return -EPROTO;
}

/* A simple request that must not answer an error; errbuf gets the reply. */
static int simple(const struct fl_workload *w, redisContext *rc, uint64_t deadline,
		  redisReply **ret, char *errbuf, size_t errlen, int argc, const char **argv)
{
	size_t lens[8];
	redisReply *r;
	int err;

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	err = command(rc, &r, deadline, argc, argv, lens);
	if (err)
		return fl_wl_err(w, err, errbuf, errlen, "%s: %s", argv[0],
				 err == -ETIMEDOUT ? "timed out" : rc->err ? rc->errstr
									   : strerror(-err));
	if (r->type == REDIS_REPLY_ERROR) {
		err = fl_wl_err(w, reply_err(r), errbuf, errlen, "%s: %s", argv[0], r->str);
		freeReplyObject(r);
		return err;
	}
	if (ret)
		*ret = r;
	else
		freeReplyObject(r);
	return 0;
}

/* A connection, authenticated, on the database of the spec. */
static int open_ctx(struct fl_workload *w, int timeout_ms, redisContext **ret, char *errbuf,
		    size_t errlen)
{
	const struct redis_cfg *cfg = w->cfg;
	uint64_t deadline = fl_deadline(timeout_ms);
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	redisContext *rc;
	int err;

	rc = redisConnectWithTimeout(cfg->host, cfg->port, tv);
	if (!rc)
		return -ENOMEM;
	if (rc->err) {
		err = context_err(rc);
		if (strstr(rc->errstr, "timed out") || strstr(rc->errstr, "Timeout"))
			err = -ETIMEDOUT;
		fl_wl_err(w, err, errbuf, errlen, "%s:%d: %s", cfg->host, cfg->port, rc->errstr);
		goto fail;
	}
	/*
	 * From here on the socket is non-blocking and hiredis knows it (no
	 * REDIS_BLOCK: EAGAIN means "later"), so that poll() alone decides
	 * how long a request may take, however large the payload.
	 */
	if (fcntl(rc->fd, F_SETFL, fcntl(rc->fd, F_GETFL) | O_NONBLOCK)) {
		err = fl_wl_err(w, -errno, errbuf, errlen, "fcntl: %s", strerror(errno));
		goto fail;
	}
	rc->flags &= ~REDIS_BLOCK;
	if (cfg->password) {
		const char *auth[] = { "AUTH", cfg->user ? cfg->user : cfg->password,
				       cfg->password };

		err = simple(w, rc, deadline, NULL, errbuf, errlen, cfg->user ? 3 : 2, auth);
		if (err)
			goto fail;
	}
	if (cfg->db >= 0) {
		char db[16];
		const char *sel[] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", cfg->db);
		err = simple(w, rc, deadline, NULL, errbuf, errlen, 2, sel);
		if (err)
			goto fail;
	}
	*ret = rc;
	return 0;
fail:
	redisFree(rc);
	return err;
}

/* --- the adapter ---------------------------------------------------------- */

static int redis_ping(struct fl_workload *w, int timeout_ms)
{
	const char *ping[] = { "PING" };
	redisContext *rc;
	redisReply *r;
	int err;

	err = open_ctx(w, timeout_ms, &rc, NULL, 0);
	if (err)
		return err;
	/* A server still loading its AOF answers PING with -LOADING: not healthy yet. */
	err = simple(w, rc, fl_deadline(timeout_ms), &r, NULL, 0, 1, ping);
	if (!err) {
		if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG"))
			err = -EPROTO;
		freeReplyObject(r);
	}
	redisFree(rc);
	return err;
}

static int redis_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
			 size_t errlen)
{
	struct redis_conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->base.w = w;
	err = open_ctx(w, CONNECT_TIMEOUT_MS, &c->rc, errbuf, errlen);
	if (err) {
		free(c);
		return err;
	}
	*ret = &c->base;
	return 0;
}

static void redis_disconnect(struct fl_wl_conn *base)
{
	struct redis_conn *c = (struct redis_conn *)base;

	redisFree(c->rc);
	free(c);
}

/* The record's key: prefix + decimal id. */
static char *record_key(const struct redis_cfg *cfg, uint64_t id, size_t *ret_len)
{
	size_t n = strlen(cfg->prefix) + 21;
	char *k = malloc(n);

	if (k)
		*ret_len = (size_t)snprintf(k, n, "%s%" PRIu64, cfg->prefix, id);
	return k;
}

static enum fl_op_outcome redis_write(struct fl_wl_conn *base, uint64_t id, const void *payload,
				      size_t len, int timeout_ms, int *ret_err)
{
	struct redis_conn *c = (struct redis_conn *)base;
	const struct redis_cfg *cfg = base->w->cfg;
	enum fl_op_outcome o = FL_OP_UNKNOWN;
	const char *argv[3];
	size_t lens[3], klen;
	redisReply *r = NULL;
	char *key;
	int err;

	key = record_key(cfg, id, &klen);
	if (!key) {
		*ret_err = -ENOMEM;
		return FL_OP_FAIL;
	}
	argv[0] = "SET", lens[0] = 3;
	argv[1] = key, lens[1] = klen;
	argv[2] = payload, lens[2] = len;
	if (redisAppendCommandArgv(c->rc, 3, argv, lens) != REDIS_OK) {
		/* Nothing was sent. */
		*ret_err = context_err(c->rc);
		o = FL_OP_FAIL;
		goto out;
	}
	err = roundtrip(c->rc, &r, 1, fl_deadline(timeout_ms));
	if (err) {
		/* Timed out or the connection broke: the SET may have run. */
		*ret_err = err;
		o = FL_OP_UNKNOWN;
		goto out;
	}
	if (r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK")) {
		o = FL_OP_OK;
	} else if (r->type == REDIS_REPLY_ERROR) {
		*ret_err = reply_err(r);
		o = FL_OP_FAIL;
	} else {
		*ret_err = -EPROTO;
		o = FL_OP_UNKNOWN;
	}
out:
	freeReplyObject(r);
	free(key);
	return o;
}

/*
 * Walk the keys of the prefix: fn gets each SCAN batch (an array reply of
 * keys). SCAN may return a key twice; both callers cope.
 */
typedef int (*batch_fn)(struct fl_workload *w, redisContext *rc, redisReply *keys,
			void *ctx, char *errbuf, size_t errlen);

static int scan_prefix(struct fl_workload *w, redisContext *rc, batch_fn fn, void *ctx,
		       char *errbuf, size_t errlen)
{
	const struct redis_cfg *cfg = w->cfg;
	char cursor[32] = "0", count[16];
	int err;

	snprintf(count, sizeof(count), "%d", SCAN_COUNT);
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", cfg->match, "COUNT", count };
		redisReply *r;

		err = simple(w, rc, fl_deadline(ADMIN_TIMEOUT_MS), &r, errbuf, errlen, 6, argv);
		if (err)
			return err;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return fl_wl_err(w, -EPROTO, errbuf, errlen, "SCAN: unexpected reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		err = r->element[1]->elements ? fn(w, rc, r->element[1], ctx, errbuf, errlen) : 0;
		freeReplyObject(r);
		if (err)
			return err;
	} while (strcmp(cursor, "0"));
	return 0;
}

static int unlink_batch(struct fl_workload *w, redisContext *rc, redisReply *keys, void *ctx,
			char *errbuf, size_t errlen)
{
	size_t n = keys->elements + 1;
	const char **argv = calloc(n, sizeof(*argv));
	size_t *lens = calloc(n, sizeof(*lens));
	bool *use_del = ctx;
	redisReply *r = NULL;
	int err;

	if (!argv || !lens) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < keys->elements; i++) {
		argv[i + 1] = keys->element[i]->str;
		lens[i + 1] = keys->element[i]->len;
	}
again:
	argv[0] = *use_del ? "DEL" : "UNLINK";
	lens[0] = strlen(argv[0]);
	err = command(rc, &r, fl_deadline(ADMIN_TIMEOUT_MS), (int)n, argv, lens);
	if (err) {
		fl_wl_err(w, err, errbuf, errlen, "%s: %s", argv[0],
			  err == -ETIMEDOUT ? "timed out" : rc->errstr);
		goto out;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* Before Redis 4 (or UNLINK renamed away): DEL does the same. */
		if (!*use_del && strstr(r->str, "unknown command")) {
			*use_del = true;
			freeReplyObject(r);
			r = NULL;
			goto again;
		}
		err = fl_wl_err(w, reply_err(r), errbuf, errlen, "%s: %s", argv[0], r->str);
	}
out:
	freeReplyObject(r);
	free(argv);
	free(lens);
	return err;
}

/*
 * Without an AOF, a deletion is durable only once a snapshot holds it: a
 * crash would bring back an older snapshot with the records of an earlier
 * trial, and they would pass for this one's. SAVE then; with an AOF the
 * deletion is in the log like any write.
 */
static int make_reset_durable(struct fl_workload *w, redisContext *rc, char *errbuf,
			      size_t errlen)
{
	const char *info[] = { "INFO", "persistence" }, *save[] = { "SAVE" };
	redisReply *r;
	bool aof = false;
	int err;

	err = simple(w, rc, fl_deadline(ADMIN_TIMEOUT_MS), &r, NULL, 0, 2, info);
	if (!err) {
		aof = (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
		      strstr(r->str, "aof_enabled:1");
		freeReplyObject(r);
	}
	if (aof)
		return 0;
	return simple(w, rc, fl_deadline(ADMIN_TIMEOUT_MS), NULL, errbuf, errlen, 1, save);
}

static int redis_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	redisContext *rc;
	bool use_del = false;
	int err;

	err = open_ctx(w, CONNECT_TIMEOUT_MS, &rc, errbuf, errlen);
	if (err)
		return err;
	err = scan_prefix(w, rc, unlink_batch, &use_del, errbuf, errlen);
	if (!err)
		err = make_reset_durable(w, rc, errbuf, errlen);
	redisFree(rc);
	return err;
}

/* fl_workload_drop: the prefix is the workload's table; FLUSHDB would take others' keys. */
static int redis_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	redisContext *rc;
	bool use_del = false;
	int err;

	err = open_ctx(w, CONNECT_TIMEOUT_MS, &rc, errbuf, errlen);
	if (err)
		return err;
	err = scan_prefix(w, rc, unlink_batch, &use_del, errbuf, errlen);
	redisFree(rc);
	return err;
}

/* "<prefix><decimal id>" -> id, or 0 when the rest is not a record id. */
static uint64_t key_id(const struct redis_cfg *cfg, const char *key, size_t len)
{
	size_t plen = strlen(cfg->prefix);
	uint64_t id = 0;

	if (len <= plen || len - plen > 20 || memcmp(key, cfg->prefix, plen))
		return 0;
	for (size_t i = plen; i < len; i++) {
		if (key[i] < '0' || key[i] > '9' || (i == plen && key[i] == '0'))
			return 0;
		if (id > (UINT64_MAX - (uint64_t)(key[i] - '0')) / 10)
			return 0;
		id = id * 10 + (uint64_t)(key[i] - '0');
	}
	return id;
}

/* The keys of the prefix, each once: SCAN may return a key twice while the table rehashes. */
struct key_list {
	char **k;
	size_t *len;
	size_t n, cap;
};

static int collect_batch(struct fl_workload *w, redisContext *rc, redisReply *keys, void *ctx,
			 char *errbuf, size_t errlen)
{
	struct key_list *l = ctx;

	for (size_t i = 0; i < keys->elements; i++) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 4096;
			char **k = realloc(l->k, cap * sizeof(*k));
			size_t *len;

			if (!k)
				return -ENOMEM;
			l->k = k;
			len = realloc(l->len, cap * sizeof(*len));
			if (!len)
				return -ENOMEM;
			l->len = len;
			l->cap = cap;
		}
		l->k[l->n] = malloc(keys->element[i]->len + 1);
		if (!l->k[l->n])
			return -ENOMEM;
		memcpy(l->k[l->n], keys->element[i]->str, keys->element[i]->len + 1);
		l->len[l->n++] = keys->element[i]->len;
	}
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dedupe(struct key_list *l)
{
	size_t out = 0;

	if (!l->n)
		return;
	/* A key with a NUL byte is cut there: no record key has one. */
	qsort(l->k, l->n, sizeof(*l->k), cmp_key);
	for (size_t i = 0; i < l->n; i++) {
		if (out && !strcmp(l->k[out - 1], l->k[i])) {
			free(l->k[i]);
			continue;
		}
		l->k[out] = l->k[i];
		l->len[out] = strlen(l->k[i]);
		out++;
	}
	l->n = out;
}

/* GET keys [from, from + n) in one pipeline, cb for each record. */
static int get_batch(struct fl_workload *w, redisContext *rc, const struct key_list *l,
		     size_t from, size_t n, fl_wl_record_cb cb, void *ctx, char *errbuf,
		     size_t errlen)
{
	const struct redis_cfg *cfg = w->cfg;
	redisReply **r = calloc(n, sizeof(*r));
	int err = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		const char *argv[] = { "GET", l->k[from + i] };
		size_t lens[] = { 3, l->len[from + i] };

		if (redisAppendCommandArgv(rc, 2, argv, lens) != REDIS_OK)
			err = context_err(rc);
	}
	if (!err)
		err = roundtrip(rc, r, n, fl_deadline(ADMIN_TIMEOUT_MS));
	if (err) {
		fl_wl_err(w, err, errbuf, errlen, "GET: %s",
			  err == -ETIMEDOUT ? "timed out" : rc->errstr);
		free(r);
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		const char *k = l->k[from + i];
		uint64_t id = key_id(cfg, k, l->len[from + i]);

		if (err)
			continue;
		if (r[i]->type == REDIS_REPLY_NIL)
			continue; /* deleted since the SCAN */
		if (r[i]->type == REDIS_REPLY_STRING)
			err = cb(ctx, id, r[i]->str, r[i]->len);
		else
			/* WRONGTYPE: under our prefix, but no record; its name is what shows. */
			err = cb(ctx, 0, k, l->len[from + i]);
	}
	for (size_t i = 0; i < n; i++)
		freeReplyObject(r[i]);
	free(r);
	return err;
}

static int redis_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
			  size_t errlen)
{
	struct key_list l = { 0 };
	redisContext *rc;
	int err;

	err = open_ctx(w, CONNECT_TIMEOUT_MS, &rc, errbuf, errlen);
	if (err)
		return err;
	err = scan_prefix(w, rc, collect_batch, &l, errbuf, errlen);
	if (!err) {
		dedupe(&l);
		for (size_t i = 0; i < l.n && !err; i += SCAN_COUNT)
			err = get_batch(w, rc, &l, i, l.n - i < SCAN_COUNT ? l.n - i : SCAN_COUNT,
					cb, ctx, errbuf, errlen);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.k[i]);
	free(l.k);
	free(l.len);
	redisFree(rc);
	return err;
}

const struct fl_wl_adapter fl_wl_redis_adapter = {
	.scheme     = "redis",
	.prefixes   = { "redis://", NULL },
	.store      = NULL,
	.parse      = redis_parse,
	.free       = redis_free,
	.ping       = redis_ping,
	.reset      = redis_reset,
	.connect    = redis_connect,
	.write      = redis_write,
	.disconnect = redis_disconnect,
	.read_all   = redis_read_all,
	.drop       = redis_drop,
};

/* --- lent to the register operations (wl_redis.h) ------------------------- */

redisContext *fl_wl_redis_ctx(struct fl_wl_conn *c)
{
	return ((struct redis_conn *)c)->rc;
}

int fl_wl_redis_open(struct fl_workload *w, int timeout_ms, redisContext **ret, char *errbuf,
		     size_t errlen)
{
	return open_ctx(w, timeout_ms, ret, errbuf, errlen);
}

int fl_wl_redis_command(redisContext *rc, redisReply **ret, uint64_t deadline, int argc,
			const char **argv, const size_t *argvlen)
{
	return command(rc, ret, deadline, argc, argv, argvlen);
}

int fl_wl_redis_reply_err(const redisReply *r)
{
	return reply_err(r);
}
