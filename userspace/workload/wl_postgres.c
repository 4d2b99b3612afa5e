// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * postgres://... or postgresql://... — a libpq connection URI. Table
 * faultline_rpo(id bigint primary key, payload bytea), created if missing;
 * one autocommit INSERT per write (a prepared statement, binary
 * parameters).
 *
 * Outcomes. libpq returns the INSERT's result when CommandComplete
 * arrives, but an autocommit statement of the extended protocol commits
 * at the Sync that follows, and only ReadyForQuery says the commit is
 * done; so a write is OK only once libpq has seen ReadyForQuery with no
 * error. An error response on a live connection is FAIL (the transaction
 * rolled back); a timeout, a lost connection, or a shutdown/connection
 * error class is UNKNOWN: the commit may or may not have happened.
 * Every request runs non-blocking against its own deadline (poll on the
 * socket), so the server's statement_timeout plays no part.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "adapter.h"
#include "wl_postgres.h"

#define CONNECT_TIMEOUT_MS 2000
#define ADMIN_TIMEOUT_MS   30000
#define INT8OID            20
#define BYTEAOID           17
#define INSERT_STMT        "faultline_rpo_insert"

/* libpq's messages end in a newline, some have more lines: the first one, for "%.*s". */
#define LINE(s) (int)strcspn((s), "\n"), (s)

struct pg_conn {
	struct fl_wl_conn base;
	PGconn *pg;
};

/* The URI with its password replaced by ***: in the userinfo and as ?password=. */
static char *masked(const char *uri)
{
	const char *auth = strstr(uri, "://"), *end, *at, *colon;
	char *out = malloc(strlen(uri) + 8), *p = out;
	const char *s = uri;

	if (!out)
		return NULL;
	if (auth) {
		auth += 3;
		end = auth + strcspn(auth, "/?");
		at = memrchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			memcpy(p, uri, (size_t)(colon + 1 - uri));
			p += colon + 1 - uri;
			p = stpcpy(p, "***");
			s = at;
		}
	}
	while (*s) {
		bool param = (*s == '?' || *s == '&') && !strncmp(s + 1, "password=", 9);

		*p++ = *s++;
		if (param) {
			p = stpcpy(p, "password=***");
			s += 9;
			s += strcspn(s, "&");
		}
	}
	*p = '\0';
	return out;
}

static int pg_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	PQconninfoOption *opts;
	char *msg = NULL, *desc;
	int err;

	if (!*rest)
		return fl_wl_err(w, -EINVAL, errbuf, errlen,
				 "missing host (postgres://USER@HOST:PORT/DB)");
	opts = PQconninfoParse(w->spec, &msg);
	if (!opts) {
		/* libpq's message may quote the URI: it is not repeated here. */
		err = fl_wl_err(w, -EINVAL, errbuf, errlen, "invalid URI: %.*s",
				LINE(msg ? msg : "out of memory"));
		PQfreemem(msg);
		return err;
	}
	/* libpq checks a port only when it connects: a typo should stop the run here. */
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "port") || !o->val)
			continue;
		for (const char *p = o->val; *p;) {
			size_t n = strcspn(p, ",");
			char *end;
			long v = strtol(p, &end, 10);

			if (n && (end != p + n || v < 1 || v > 65535)) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen,
						"port '%.*s': expected 1 to 65535", (int)n, p);
				PQconninfoFree(opts);
				return err;
			}
			p += n + (p[n] == ',');
		}
	}
	PQconninfoFree(opts);
	desc = masked(w->spec);
	if (!desc)
		return -ENOMEM;
	err = fl_wl_set_desc(w, "%s", desc);
	free(desc);
	return err;
}

/* --- requests with a deadline --------------------------------------------- */


/* Why a connection attempt failed, from libpq's message. */
static int connect_errno(const char *msg)
{
	if (strstr(msg, "refused") || strstr(msg, "No such file"))
		return -ECONNREFUSED;
	if (strstr(msg, "starting up") || strstr(msg, "shutting down") ||
	    strstr(msg, "recovery") || strstr(msg, "too many"))
		return -EAGAIN;
	if (strstr(msg, "password") || strstr(msg, "authentication") ||
	    strstr(msg, "permission denied") || strstr(msg, "no pg_hba.conf"))
		return -EACCES;
	if (strstr(msg, "does not exist"))
		return -ENOENT;
	return -ECONNREFUSED;
}

static void ignore_notice(void *arg, const char *message)
{
}

/* A connection within timeout_ms, non-blocking from then on. */
static int open_pg(struct fl_workload *w, int timeout_ms, PGconn **ret, char *errbuf,
		   size_t errlen)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { w->spec, "faultline-rpo", NULL };
	uint64_t deadline = fl_deadline(timeout_ms);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *pg;
	int err;

	pg = PQconnectStartParams(keys, vals, 1);
	if (!pg)
		return -ENOMEM;
	if (PQstatus(pg) == CONNECTION_BAD)
		goto bad;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto bad;
		err = fl_wait_fd(PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			      deadline);
		if (err) {
			fl_wl_err(w, err, errbuf, errlen, "connect: timed out after %d ms",
				  timeout_ms);
			PQfinish(pg);
			return err;
		}
		st = PQconnectPoll(pg);
	}
	/* libpq prints NOTICEs on stderr by default; a library prints nothing. */
	PQsetNoticeProcessor(pg, ignore_notice, NULL);
	if (PQsetnonblocking(pg, 1)) {
		err = fl_wl_err(w, -EIO, errbuf, errlen, "%s", PQerrorMessage(pg));
		PQfinish(pg);
		return err;
	}
	*ret = pg;
	return 0;
bad:
	err = connect_errno(PQerrorMessage(pg));
	fl_wl_err(w, err, errbuf, errlen, "connect: %.*s", LINE(PQerrorMessage(pg)));
	PQfinish(pg);
	return err;
}

/* Flush what was sent and read until a result is ready: 0, -ETIMEDOUT, -ECONNRESET. */
static int wait_result(PGconn *pg, uint64_t deadline)
{
	for (;;) {
		int f = PQflush(pg), err;

		if (f < 0)
			return -ECONNRESET;
		if (!f && !PQisBusy(pg))
			return 0;
		err = fl_wait_fd(PQsocket(pg), (short)(POLLIN | (f ? POLLOUT : 0)), deadline);
		if (err)
			return err;
		if (!PQconsumeInput(pg))
			return -ECONNRESET;
	}
}

/*
 * Drain every result of the request just sent, until libpq says it is
 * done (ReadyForQuery). *ret_err: the SQLSTATE of the first error, "" if
 * none. cb, if set, sees each tuple result (single-row mode streams them).
 */
typedef int (*row_fn)(const PGresult *r, void *ctx);

static int finish(PGconn *pg, uint64_t deadline, char *sqlstate, char *msg, size_t msglen,
		  row_fn cb, void *ctx)
{
	int err = 0, cb_err = 0;

	sqlstate[0] = '\0';
	for (;;) {
		PGresult *r;

		err = wait_result(pg, deadline);
		if (err)
			return err;
		r = PQgetResult(pg);
		if (!r)
			break;
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			break;
		case PGRES_SINGLE_TUPLE:
			if (cb && !cb_err)
				cb_err = cb(r, ctx);
			break;
		default:
			if (!sqlstate[0]) {
				const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
				const char *m = PQresultErrorMessage(r);

				snprintf(sqlstate, 6, "%s", s ? s : "?????");
				snprintf(msg, msglen, "%s", m && *m ? m : PQerrorMessage(pg));
				msg[strcspn(msg, "\n")] = '\0';
			}
			break;
		}
		PQclear(r);
	}
	/* An error that closed the connection leaves nothing to say about the commit. */
	if (PQstatus(pg) == CONNECTION_BAD)
		return -ECONNRESET;
	return cb_err;
}

/* One statement, no parameters, text results; FAIL-like errors in errbuf. */
static int run_sql(struct fl_workload *w, PGconn *pg, const char *sql, char *errbuf,
		   size_t errlen, char *ret_state)
{
	char state[6], msg[256] = "";
	int err;

	if (!PQsendQuery(pg, sql))
		return fl_wl_err(w, -ECONNRESET, errbuf, errlen, "%s: %.*s", sql,
				 LINE(PQerrorMessage(pg)));
	err = finish(pg, fl_deadline(ADMIN_TIMEOUT_MS), state, msg, sizeof(msg), NULL, NULL);
	if (ret_state)
		snprintf(ret_state, 6, "%s", err ? "" : state);
	if (err)
		return fl_wl_err(w, err, errbuf, errlen, "%s: %s", sql,
				 err == -ETIMEDOUT ? "timed out" : "connection lost");
	if (state[0])
		return fl_wl_err(w, -EIO, errbuf, errlen, "%s: %s", sql, msg);
	return 0;
}

/*
 * Setup is durable whatever the server's synchronous_commit: a table or a
 * TRUNCATE lost in a crash would bring back an earlier trial's records.
 * RESET afterwards, so that writes on this connection keep the server's.
 */
static int run_durable(struct fl_workload *w, PGconn *pg, const char *sql, char *errbuf,
		       size_t errlen, char *ret_state)
{
	int err;

	err = run_sql(w, pg, "SET synchronous_commit = on", errbuf, errlen, NULL);
	if (err)
		return err;
	err = run_sql(w, pg, sql, errbuf, errlen, ret_state);
	if (run_sql(w, pg, "RESET synchronous_commit", NULL, 0, NULL) && !err)
		err = fl_wl_err(w, -ECONNRESET, errbuf, errlen, "RESET synchronous_commit failed");
	return err;
}

static int create_table(struct fl_workload *w, PGconn *pg, char *errbuf, size_t errlen)
{
	char state[6] = "";
	int err;

	err = run_durable(w, pg, "CREATE TABLE IF NOT EXISTS faultline_rpo"
			  "(id bigint PRIMARY KEY, payload bytea NOT NULL)", errbuf, errlen, state);
	/* Two connections creating it at once: one of them sees the other's row. */
	if (err && (!strcmp(state, "23505") || !strcmp(state, "42P07")))
		err = 0;
	return err;
}

/* --- the adapter ---------------------------------------------------------- */

static int pg_ping(struct fl_workload *w, int timeout_ms)
{
	PGconn *pg;
	int err;

	/* A server in crash recovery refuses connections: accepted is healthy. */
	err = open_pg(w, timeout_ms, &pg, NULL, 0);
	if (err)
		return err;
	PQfinish(pg);
	return 0;
}

static int prepare_insert(PGconn *pg, char *state, char *msg, size_t msglen)
{
	const unsigned int types[] = { INT8OID, BYTEAOID };

	if (!PQsendPrepare(pg, INSERT_STMT,
			   "INSERT INTO faultline_rpo(id, payload) VALUES($1, $2)", 2, types))
		return -ECONNRESET;
	return finish(pg, fl_deadline(CONNECT_TIMEOUT_MS), state, msg, msglen, NULL, NULL);
}

static int pg_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
		      size_t errlen)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	char state[6], msg[256];
	int err;

	if (!c)
		return -ENOMEM;
	c->base.w = w;
	err = open_pg(w, CONNECT_TIMEOUT_MS, &c->pg, errbuf, errlen);
	if (err)
		goto fail;
	err = prepare_insert(c->pg, state, msg, sizeof(msg));
	/* undefined_table: a store nobody has reset yet. */
	if (!err && !strcmp(state, "42P01")) {
		err = create_table(w, c->pg, errbuf, errlen);
		if (!err)
			err = prepare_insert(c->pg, state, msg, sizeof(msg));
	}
	if (!err && state[0])
		err = fl_wl_err(w, -EIO, errbuf, errlen, "prepare: %s", msg);
	else if (err && errbuf && !errbuf[0])
		fl_wl_err(w, err, errbuf, errlen, "prepare: %s", strerror(-err));
	if (err)
		goto fail;
	*ret = &c->base;
	return 0;
fail:
	PQfinish(c->pg);
	free(c);
	return err;
}

static void pg_disconnect(struct fl_wl_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;

	PQfinish(c->pg);
	free(c);
}

/*
 * After an error response: connection and shutdown classes leave the
 * commit in doubt (08: connection exception, 57P: operator intervention,
 * a crash of another backend), everything else rolled back.
 */
static bool in_doubt(const char *state)
{
	return !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strcmp(state, "?????");
}

static int state_errno(const char *state)
{
	if (!strncmp(state, "23", 2))
		return -EEXIST;
	if (!strncmp(state, "53", 2))
		return -ENOSPC;
	if (!strcmp(state, "25006"))
		return -EROFS;
	if (!strncmp(state, "40", 2))
		return -EAGAIN;
	if (!strncmp(state, "57P", 3) || !strncmp(state, "08", 2))
		return -ECONNRESET;
	return -EIO;
}

static enum fl_op_outcome pg_write(struct fl_wl_conn *base, uint64_t id, const void *payload,
				   size_t len, int timeout_ms, int *ret_err)
{
	struct pg_conn *c = (struct pg_conn *)base;
	unsigned char be[8];
	const char *vals[2] = { (const char *)be, payload };
	const int lens[2] = { 8, (int)len }, fmts[2] = { 1, 1 };
	char state[6], msg[256];
	int err;

	if (id > INT64_MAX || len > INT32_MAX) {
		*ret_err = -ERANGE;
		return FL_OP_FAIL;
	}
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)(id >> (56 - 8 * i));
	if (!PQsendQueryPrepared(c->pg, INSERT_STMT, 2, vals, lens, fmts, 1)) {
		/* Refused by libpq itself: the connection was already gone, nothing left. */
		*ret_err = -ECONNRESET;
		return FL_OP_FAIL;
	}
	err = finish(c->pg, fl_deadline(timeout_ms), state, msg, sizeof(msg), NULL, NULL);
	if (err) {
		*ret_err = err;
		return FL_OP_UNKNOWN;
	}
	if (!state[0])
		return FL_OP_OK;
	*ret_err = state_errno(state);
	return in_doubt(state) ? FL_OP_UNKNOWN : FL_OP_FAIL;
}

static int pg_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	PGconn *pg;
	int err;

	err = open_pg(w, CONNECT_TIMEOUT_MS, &pg, errbuf, errlen);
	if (err)
		return err;
	err = create_table(w, pg, errbuf, errlen);
	if (!err)
		err = run_durable(w, pg, "TRUNCATE faultline_rpo", errbuf, errlen, NULL);
	PQfinish(pg);
	return err;
}

/* fl_workload_drop: a write after it, on a new connection, creates the table again. */
static int pg_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	char state[6] = "";
	PGconn *pg;
	int err;

	err = open_pg(w, CONNECT_TIMEOUT_MS, &pg, errbuf, errlen);
	if (err)
		return err;
	err = run_durable(w, pg, "DROP TABLE faultline_rpo", errbuf, errlen, state);
	if (err && !strcmp(state, "42P01"))
		err = fl_wl_err(w, -ENOENT, errbuf, errlen, "DROP TABLE: no table faultline_rpo");
	PQfinish(pg);
	return err;
}

struct read_ctx {
	fl_wl_record_cb cb;
	void *ctx;
};

static int on_row(const PGresult *r, void *ctx_)
{
	struct read_ctx *ctx = ctx_;
	const unsigned char *idp = (const unsigned char *)PQgetvalue(r, 0, 0);
	uint64_t id = 0;

	if (PQgetisnull(r, 0, 0) || PQgetlength(r, 0, 0) != 8)
		return ctx->cb(ctx->ctx, 0, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
	for (int i = 0; i < 8; i++)
		id = id << 8 | idp[i];
	/* A non-positive id is no record id of ours. */
	if (id > INT64_MAX)
		id = 0;
	return ctx->cb(ctx->ctx, id, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
}

static int pg_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
		       size_t errlen)
{
	struct read_ctx rctx = { .cb = cb, .ctx = ctx };
	char state[6], msg[256];
	PGconn *pg;
	int err;

	err = open_pg(w, CONNECT_TIMEOUT_MS, &pg, errbuf, errlen);
	if (err)
		return err;
	if (!PQsendQueryParams(pg, "SELECT id, payload FROM faultline_rpo ORDER BY id", 0, NULL,
			       NULL, NULL, NULL, 1) || !PQsetSingleRowMode(pg)) {
		err = fl_wl_err(w, -ECONNRESET, errbuf, errlen, "SELECT: %.*s",
				LINE(PQerrorMessage(pg)));
		goto out;
	}
	err = finish(pg, fl_deadline(ADMIN_TIMEOUT_MS), state, msg, sizeof(msg), on_row, &rctx);
	if (err == -ETIMEDOUT || err == -ECONNRESET)
		fl_wl_err(w, err, errbuf, errlen, "SELECT: %s",
			  err == -ETIMEDOUT ? "timed out" : "connection lost");
	else if (!err && !strcmp(state, "42P01"))
		err = 0; /* the table itself was lost: so was every record */
	else if (!err && state[0])
		err = fl_wl_err(w, -EIO, errbuf, errlen, "SELECT: %s", msg);
out:
	PQfinish(pg);
	return err;
}

const struct fl_wl_adapter fl_wl_postgres_adapter = {
	.scheme     = "postgres",
	.prefixes   = { "postgres://", "postgresql://", NULL },
	.store      = NULL,
	.parse      = pg_parse,
	.free       = NULL,
	.ping       = pg_ping,
	.reset      = pg_reset,
	.connect    = pg_connect,
	.write      = pg_write,
	.disconnect = pg_disconnect,
	.read_all   = pg_read_all,
	.drop       = pg_drop,
};

/* --- lent to the register operations (wl_postgres.h) ---------------------- */

PGconn *fl_wl_pg_conn(struct fl_wl_conn *c)
{
	return ((struct pg_conn *)c)->pg;
}

int fl_wl_pg_open(struct fl_workload *w, int timeout_ms, PGconn **ret, char *errbuf,
		  size_t errlen)
{
	return open_pg(w, timeout_ms, ret, errbuf, errlen);
}

int fl_wl_pg_finish(PGconn *pg, uint64_t deadline, char *sqlstate, char *msg, size_t msglen,
		    int (*cb)(const PGresult *r, void *ctx), void *ctx)
{
	return finish(pg, deadline, sqlstate, msg, msglen, cb, ctx);
}

int fl_wl_pg_run_durable(struct fl_workload *w, PGconn *pg, const char *sql, char *errbuf,
			 size_t errlen, char *ret_state)
{
	return run_durable(w, pg, sql, errbuf, errlen, ret_state);
}

bool fl_wl_pg_in_doubt(const char *sqlstate)
{
	return in_doubt(sqlstate);
}

int fl_wl_pg_state_errno(const char *sqlstate)
{
	return state_errno(sqlstate);
}
