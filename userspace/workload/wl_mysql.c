// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mysql://USER[:PASSWORD]@HOST[:PORT]/DB[?socket=PATH] (also mariadb://):
 * MariaDB or MySQL through libmariadb. Table faultline_rpo(id bigint
 * primary key, payload longblob), InnoDB, created if missing; one
 * autocommit INSERT per write.
 *
 * Outcomes. In autocommit the server sends its OK packet only after the
 * commit (and, with innodb_flush_log_at_trx_commit=1, the redo log's
 * flush): OK is acknowledged. An error the server sends on a live
 * connection rolled the statement back: FAIL. A timeout, a lost
 * connection, or the server going away (shutdown, a killed connection)
 * leaves the commit in doubt: UNKNOWN. Every request runs through the
 * connector's non-blocking API against its own deadline, so no server
 * or socket timeout plays a part.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "adapter.h"

#define CONNECT_TIMEOUT_MS 2000
#define ADMIN_TIMEOUT_MS   30000
#define CREATE_TABLE       FL_WL_MYSQL_CREATE_TABLE

struct my_cfg {
	char *user, *password, *host, *db, *socket;
	unsigned port;
};

struct my_conn {
	struct fl_wl_conn base;
	MYSQL *m;
	char *q;                     /* the INSERT, grown to the largest payload */
	size_t qcap;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_err;

/* mysql_init() would initialise the library on first use, racing other threads. */
static void lib_init(void)
{
	lib_err = mysql_library_init(0, NULL, NULL) ? -ENOMEM : 0;
}

static void my_free(struct fl_workload *w)
{
	struct my_cfg *c = w->cfg;

	if (!c)
		return;
	free(c->user);
	free(c->password);
	free(c->host);
	free(c->db);
	free(c->socket);
	free(c);
}

/* USER[:PASS]@HOST[:PORT]/DB[?socket=PATH] */
static int my_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	const char *at, *host, *slash, *q, *colon, *pcolon = NULL;
	struct my_cfg *c = calloc(1, sizeof(*c));
	char *query, *cur, *key, *val;
	int err;

	if (!c)
		return -ENOMEM;
	w->cfg = c;
	slash = rest + strcspn(rest, "/?");
	at = memrchr(rest, '@', (size_t)(slash - rest));
	host = at ? at + 1 : rest;
	if (at) {
		pcolon = memchr(rest, ':', (size_t)(at - rest));
		c->user = strndup(rest, (size_t)((pcolon ? pcolon : at) - rest));
		if (pcolon && !(c->password = strndup(pcolon + 1, (size_t)(at - pcolon - 1))))
			return -ENOMEM;
	} else {
		c->user = strdup("root");
	}
	colon = memchr(host, ':', (size_t)(slash - host));
	c->host = strndup(host, (size_t)((colon ? colon : slash) - host));
	if (!c->user || !c->host)
		return -ENOMEM;
	if (!c->host[0] || !c->user[0])
		return fl_wl_err(w, -EINVAL, errbuf, errlen,
				 "missing %s (mysql://USER@HOST:PORT/DB)", c->host[0] ? "user" : "host");
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (end != slash || v < 1 || v > 65535)
			return fl_wl_err(w, -EINVAL, errbuf, errlen,
					 "port '%.*s': expected 1 to 65535",
					 (int)(slash - colon - 1), colon + 1);
		c->port = (unsigned)v;
	}
	if (*slash != '/' || slash[1] == '?' || !slash[1])
		return fl_wl_err(w, -EINVAL, errbuf, errlen,
				 "missing database (mysql://USER@HOST:PORT/DB)");
	q = strchr(slash, '?');
	c->db = strndup(slash + 1, q ? (size_t)(q - slash - 1) : strlen(slash + 1));
	if (!c->db)
		return -ENOMEM;
	if (q) {
		query = strdup(q + 1);
		if (!query)
			return -ENOMEM;
		cur = query;
		err = 0;
		while (!err && fl_wl_query_next(&cur, &key, &val)) {
			if (!strcmp(key, "socket") && *val) {
				free(c->socket);
				if (!(c->socket = strdup(val)))
					err = -ENOMEM;
			} else {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen,
						"unknown option '%s' (known: socket=PATH)", key);
			}
		}
		free(query);
		if (err)
			return err;
	}
	/* The password is never shown. */
	if (c->password)
		return fl_wl_set_desc(w, "%.*s%s:***@%s", (int)(strstr(w->spec, "://") + 3 - w->spec),
				      w->spec, c->user, host);
	return 0;
}

/* --- requests with a deadline, through the non-blocking API ---------------- */

/* Wait for what the connector asked for; the ready mask, or -ETIMEDOUT. */
static int nb_wait(MYSQL *m, int status, uint64_t deadline)
{
	struct pollfd p = { .fd = mysql_get_socket(m) };
	uint64_t until = deadline, now;
	int n, ready = 0;

	if (status & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	now = fl_now_ns();
	if (status & MYSQL_WAIT_TIMEOUT) {
		uint64_t t = now + (uint64_t)mysql_get_timeout_value_ms(m) * 1000000ull;

		if (t < until)
			until = t;
	}
	for (;;) {
		int ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;

		n = poll(&p, 1, ms);
		if (n >= 0 || errno != EINTR)
			break;
		now = fl_now_ns();
	}
	if (n < 0)
		return -errno;
	if (n == 0) {
		if (fl_now_ns() >= deadline)
			return -ETIMEDOUT;
		return MYSQL_WAIT_TIMEOUT;
	}
	if (p.revents & (POLLIN | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_READ;
	if (p.revents & (POLLOUT | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_WRITE;
	if (p.revents & POLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	return ready;
}

/* Why a connection attempt failed. */
static int connect_errno(unsigned e)
{
	switch (e) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_HOST_NOT_PRIVILEGED:
		return -EACCES;
	case ER_BAD_DB_ERROR:
		return -ENOENT;
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
		return -EAGAIN;
	default:
		return -ECONNREFUSED;
	}
}

static void close_my(MYSQL *m)
{
	if (m)
		mysql_close(m);
}

static int open_my(struct fl_workload *w, int timeout_ms, MYSQL **ret, char *errbuf,
		   size_t errlen)
{
	const struct my_cfg *c = w->cfg;
	uint64_t deadline = fl_deadline(timeout_ms);
	MYSQL *m, *r = NULL;
	int status, err;

	err = pthread_once(&lib_once, lib_init);
	if (err || lib_err)
		return fl_wl_err(w, err ? -err : lib_err, errbuf, errlen, "cannot initialise libmariadb");
	m = mysql_init(NULL);
	if (!m)
		return -ENOMEM;
	/* No option file is read (no [client] group): the spec says everything. */
	if (mysql_options(m, MYSQL_OPT_NONBLOCK, 0)) {
		close_my(m);
		return fl_wl_err(w, -ENOMEM, errbuf, errlen, "cannot use the non-blocking API");
	}
	status = mysql_real_connect_start(&r, m, c->host, c->user, c->password, c->db, c->port,
					  c->socket, 0);
	while (status) {
		int ready = nb_wait(m, status, deadline);

		if (ready < 0) {
			close_my(m);
			return fl_wl_err(w, ready, errbuf, errlen, "connect: timed out after %d ms",
					 timeout_ms);
		}
		status = mysql_real_connect_cont(&r, m, ready);
	}
	if (!r) {
		err = connect_errno(mysql_errno(m));
		fl_wl_err(w, err, errbuf, errlen, "connect: %s", mysql_error(m));
		close_my(m);
		return err;
	}
	*ret = m;
	return 0;
}

/* One statement; 0, -ETIMEDOUT, or 1 with mysql_errno() telling what the server said. */
static int query(MYSQL *m, const char *q, size_t len, uint64_t deadline)
{
	int status, r = 0;

	status = mysql_real_query_start(&r, m, q, (unsigned long)len);
	while (status) {
		int ready = nb_wait(m, status, deadline);

		if (ready < 0)
			return ready;
		status = mysql_real_query_cont(&r, m, ready);
	}
	return r ? 1 : 0;
}

/* Does an error leave the commit in doubt (the connection or the server went)? */
static bool in_doubt(unsigned e)
{
	return (e >= CR_MIN_ERROR && e <= CR_MAX_ERROR) || e == ER_SERVER_SHUTDOWN ||
	       e == ER_CONNECTION_KILLED || e == ER_QUERY_INTERRUPTED || e == ER_NORMAL_SHUTDOWN;
}

static int error_errno(unsigned e)
{
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_KEY:
		return -EEXIST;
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_DEADLOCK:
		return -EAGAIN;
	case ER_RECORD_FILE_FULL:
	case ER_DISK_FULL:
		return -ENOSPC;
	case ER_OPTION_PREVENTS_STATEMENT:
	case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
		return -EROFS;
	default:
		return in_doubt(e) ? -ECONNRESET : -EIO;
	}
}

/* An admin statement; its failure in errbuf. */
static int run_sql(struct fl_workload *w, MYSQL *m, const char *sql, char *errbuf, size_t errlen)
{
	int r = query(m, sql, strlen(sql), fl_deadline(ADMIN_TIMEOUT_MS));

	if (r < 0)
		return fl_wl_err(w, r, errbuf, errlen, "%s: timed out", sql);
	if (r)
		return fl_wl_err(w, error_errno(mysql_errno(m)), errbuf, errlen, "%s: %s", sql,
				 mysql_error(m));
	return 0;
}

/* --- the adapter ---------------------------------------------------------- */

static int my_ping(struct fl_workload *w, int timeout_ms)
{
	MYSQL *m;
	int err;

	err = open_my(w, timeout_ms, &m, NULL, 0);
	if (err)
		return err;
	close_my(m);
	return 0;
}

static int my_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
		      size_t errlen)
{
	struct my_conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->base.w = w;
	err = open_my(w, CONNECT_TIMEOUT_MS, &c->m, errbuf, errlen);
	/* A store nobody has reset yet gets its table here, as postgres:// does. */
	if (!err)
		err = run_sql(w, c->m, CREATE_TABLE, errbuf, errlen);
	if (err) {
		close_my(c->m);
		free(c);
		return err;
	}
	*ret = &c->base;
	return 0;
}

static void my_disconnect(struct fl_wl_conn *base)
{
	struct my_conn *c = (struct my_conn *)base;

	close_my(c->m);
	free(c->q);
	free(c);
}

static enum fl_op_outcome my_write(struct fl_wl_conn *base, uint64_t id, const void *payload,
				   size_t len, int timeout_ms, int *ret_err)
{
	struct my_conn *c = (struct my_conn *)base;
	size_t need = 96 + 2 * len, n;
	unsigned e;
	int r;

	if (id > INT64_MAX) {
		*ret_err = -ERANGE;
		return FL_OP_FAIL;
	}
	if (need > c->qcap) {
		char *q = realloc(c->q, need);

		if (!q) {
			*ret_err = -ENOMEM;
			return FL_OP_FAIL;
		}
		c->q = q;
		c->qcap = need;
	}
	n = (size_t)snprintf(c->q, c->qcap, "INSERT INTO faultline_rpo(id, payload) VALUES(%llu, X'",
			     (unsigned long long)id);
	fl_wl_hex_encode(c->q + n, payload, len);
	n += 2 * len;
	c->q[n++] = '\'';
	c->q[n++] = ')';
	r = query(c->m, c->q, n, fl_deadline(timeout_ms));
	if (!r)
		return FL_OP_OK;
	if (r < 0) {
		*ret_err = r;
		return FL_OP_UNKNOWN;
	}
	e = mysql_errno(c->m);
	*ret_err = error_errno(e);
	return in_doubt(e) ? FL_OP_UNKNOWN : FL_OP_FAIL;
}

/*
 * The store emptied durably, whatever the server's
 * innodb_flush_log_at_trx_commit: a reset lost in a power cut would bring
 * back an earlier trial's records. The setting is global only, so for the
 * moment of the reset (no client writes then) it is 1, and put back
 * after; without the privilege to set it, the reset is as durable as the
 * server makes it. DELETE, not TRUNCATE: TRUNCATE makes the table's file
 * anew, and InnoDB never fsyncs the directory it is in.
 */
static int my_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	char restore[96] = "";
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL *m;
	int err;

	err = open_my(w, CONNECT_TIMEOUT_MS, &m, errbuf, errlen);
	if (err)
		return err;
	if (!query(m, "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit", 47,
		   fl_deadline(ADMIN_TIMEOUT_MS)) && (res = mysql_store_result(m))) {
		row = mysql_fetch_row(res);
		if (row && row[0] && strcmp(row[0], "1") &&
		    !run_sql(w, m, "SET GLOBAL innodb_flush_log_at_trx_commit = 1", NULL, 0))
			snprintf(restore, sizeof(restore),
				 "SET GLOBAL innodb_flush_log_at_trx_commit = %.8s", row[0]);
		mysql_free_result(res);
	}
	err = run_sql(w, m, CREATE_TABLE, errbuf, errlen);
	if (!err)
		err = run_sql(w, m, "DELETE FROM faultline_rpo", errbuf, errlen);
	if (restore[0] && run_sql(w, m, restore, err ? NULL : errbuf, errlen) && !err)
		err = -EIO;
	close_my(m);
	return err;
}

static int my_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
		       size_t errlen)
{
	uint64_t deadline = fl_deadline(ADMIN_TIMEOUT_MS);
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	MYSQL *m;
	int err, status;

	err = open_my(w, CONNECT_TIMEOUT_MS, &m, errbuf, errlen);
	if (err)
		return err;
	err = query(m, "SELECT id, payload FROM faultline_rpo ORDER BY id", 49, deadline);
	if (err > 0 && mysql_errno(m) == ER_NO_SUCH_TABLE) {
		err = 0; /* the table itself was lost: so was every record */
		goto out;
	}
	if (err) {
		err = err < 0 ? err : error_errno(mysql_errno(m));
		fl_wl_err(w, err, errbuf, errlen, "SELECT: %s",
			  err == -ETIMEDOUT ? "timed out" : mysql_error(m));
		goto out;
	}
	res = mysql_use_result(m);
	if (!res) {
		err = fl_wl_err(w, -EIO, errbuf, errlen, "SELECT: %s", mysql_error(m));
		goto out;
	}
	for (;;) {
		unsigned long *lens;
		uint64_t id;
		char *end;

		status = mysql_fetch_row_start(&row, res);
		while (status) {
			int ready = nb_wait(m, status, deadline);

			if (ready < 0) {
				err = fl_wl_err(w, ready, errbuf, errlen, "SELECT: timed out");
				goto out;
			}
			status = mysql_fetch_row_cont(&row, res, ready);
		}
		if (!row)
			break;
		lens = mysql_fetch_lengths(res);
		id = row[0] ? strtoull(row[0], &end, 10) : 0;
		if (!row[0] || *end || id > INT64_MAX)
			id = 0;
		err = cb(ctx, id, row[1] ? row[1] : "", row[1] ? lens[1] : 0);
		if (err)
			goto out;
	}
	if (mysql_errno(m))
		err = fl_wl_err(w, -ECONNRESET, errbuf, errlen, "SELECT: %s", mysql_error(m));
out:
	/* Rows left unread are drained by the free, against the same deadline. */
	if (res) {
		status = mysql_free_result_start(res);
		while (status) {
			int ready = nb_wait(m, status, deadline);

			/* Past it, the result is left behind: a blocking free could hang. */
			if (ready < 0)
				break;
			status = mysql_free_result_cont(res, ready);
		}
	}
	close_my(m);
	return err;
}

const struct fl_wl_adapter fl_wl_mysql_adapter = {
	.scheme     = "mysql",
	.prefixes   = { "mysql://", "mariadb://", NULL },
	.store      = NULL,
	.parse      = my_parse,
	.free       = my_free,
	.ping       = my_ping,
	.reset      = my_reset,
	.connect    = my_connect,
	.write      = my_write,
	.disconnect = my_disconnect,
	.read_all   = my_read_all,
};
