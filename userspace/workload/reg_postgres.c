// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registers on PostgreSQL: table fl_register(k bigint primary key, v
 * bigint). write is INSERT .. ON CONFLICT DO UPDATE, read a SELECT, cas
 * an UPDATE .. WHERE v = from RETURNING v (a row back: it swapped), each
 * one autocommit statement on the workload's connection, answered once
 * ReadyForQuery says the commit is done (as wl_postgres.c's writes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "register_ops.h"
#include "wl_postgres.h"

#define ADMIN_MS 30000

struct row {
	bool seen;
	bool bad;
	int64_t v;
};

static int on_row(const PGresult *r, void *ctx)
{
	struct row *row = ctx;

	row->seen = true;
	if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0) ||
	    fl_reg_parse_value(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), &row->v))
		row->bad = true;
	return 0;
}

/* One statement with text parameters; rows (single-row mode) into *row when it is set. */
static enum fl_op_outcome run(struct fl_wl_conn *c, const char *sql, int n, const char **params,
			      struct row *row, int timeout_ms, int *ret_err)
{
	return fl_wl_pg_call(c, sql, n, params, row ? on_row : NULL, row, timeout_ms, NULL,
			     ret_err);
}

static enum fl_op_outcome reg_write(struct fl_wl_conn *c, uint64_t key, int64_t value,
				    int timeout_ms, int *ret_err)
{
	char k[24], v[24];
	const char *p[] = { k, v };

	snprintf(k, sizeof(k), "%" PRIu64, key);
	snprintf(v, sizeof(v), "%" PRId64, value);
	return run(c, "INSERT INTO fl_register(k, v) VALUES($1, $2) "
		   "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 2, p, NULL, timeout_ms, ret_err);
}

static enum fl_op_outcome reg_read(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				   bool *ret_nil, int timeout_ms, int *ret_err)
{
	char k[24];
	const char *p[] = { k };
	struct row row = { 0 };
	enum fl_op_outcome o;

	snprintf(k, sizeof(k), "%" PRIu64, key);
	o = run(c, "SELECT v FROM fl_register WHERE k = $1", 1, p, &row, timeout_ms, ret_err);
	if (o != FL_OP_OK)
		return o;
	if (row.bad) {
		*ret_err = -EPROTO;
		return FL_OP_FAIL;
	}
	*ret_nil = !row.seen;
	*ret_value = row.v;
	return FL_OP_OK;
}

static enum fl_op_outcome reg_cas(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				  bool *ret_swapped, int timeout_ms, int *ret_err)
{
	char k[24], f[24], t[24];
	const char *p[] = { k, f, t };
	struct row row = { 0 };
	enum fl_op_outcome o;

	snprintf(k, sizeof(k), "%" PRIu64, key);
	snprintf(f, sizeof(f), "%" PRId64, from);
	snprintf(t, sizeof(t), "%" PRId64, to);
	o = run(c, "UPDATE fl_register SET v = $3 WHERE k = $1 AND v = $2 RETURNING v", 3, p,
		&row, timeout_ms, ret_err);
	if (o == FL_OP_OK)
		*ret_swapped = row.seen;
	return o;
}

static int reg_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	char state[6] = "";
	PGconn *pg;
	int err;

	err = fl_wl_pg_open(w, 2000, &pg, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_pg_run_durable(w, pg, "CREATE TABLE IF NOT EXISTS fl_register"
				   "(k bigint PRIMARY KEY, v bigint NOT NULL)", errbuf, errlen,
				   state);
	/* Two connections creating it at once: one of them sees the other's row. */
	if (err && (!strcmp(state, "23505") || !strcmp(state, "42P07")))
		err = 0;
	if (!err)
		err = fl_wl_pg_run_durable(w, pg, "DELETE FROM fl_register", errbuf, errlen, NULL);
	PQfinish(pg);
	return err;
}

const struct fl_reg_ops fl_reg_postgres_ops = {
	.adapter = &fl_wl_postgres_adapter,
	.reset   = reg_reset,
	.write   = reg_write,
	.read    = reg_read,
	.cas     = reg_cas,
};
