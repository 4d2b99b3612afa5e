// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank on PostgreSQL: table fl_bank(account bigint primary key,
 * balance bigint CHECK (balance >= 0)). A transfer is one autocommit
 * UPDATE of both rows (one transaction: both or neither), which the check
 * constraint aborts when the from account would go negative (-EDQUOT);
 * it touches the rows only when both accounts exist, so that money never
 * leaves for an account that is not there. It locks both rows first, in
 * account order, so two transfers do not deadlock (a deadlock or a
 * serialization failure would be FAIL: rolled back). A read is one
 * SELECT: one snapshot. Answered once ReadyForQuery says the commit is
 * done (as wl_postgres.c's writes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bank_ops.h"
#include "register_ops.h"
#include "wl_postgres.h"

/* The CTE locks both rows in account order (LockRows above the Sort): no deadlock. */
#define TRANSFER_SQL \
	"WITH l AS (SELECT account FROM fl_bank WHERE account IN ($1, $2) " \
	"ORDER BY account FOR UPDATE) " \
	"UPDATE fl_bank SET balance = balance + CASE WHEN account = $1 THEN -$3::bigint " \
	"ELSE $3::bigint END WHERE account IN (SELECT account FROM l) AND " \
	"(SELECT count(*) FROM l) = 2 RETURNING account"

struct rows {
	int64_t *balances;           /* a read: where the balances go */
	size_t n, seen, found;
	bool bad;
};

static int on_row(const PGresult *r, void *ctx)
{
	struct rows *rows = ctx;
	int64_t a, b;

	rows->seen++;
	if (!rows->balances)
		return 0;
	if (PQntuples(r) < 1 || PQnfields(r) < 2 || PQgetisnull(r, 0, 0) ||
	    PQgetisnull(r, 0, 1) ||
	    fl_reg_parse_value(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), &a) ||
	    fl_reg_parse_value(PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1), &b)) {
		rows->bad = true;
		return 0;
	}
	if (a >= 0 && (uint64_t)a < rows->n) {
		rows->balances[a] = b;
		rows->found++;
	}
	return 0;
}

static enum fl_op_outcome bank_transfer(struct fl_wl_conn *c, uint64_t from, uint64_t to,
					int64_t amount, int timeout_ms, int *ret_err)
{
	char f[24], t[24], a[24], state[6];
	const char *p[] = { f, t, a };
	struct rows rows = { 0 };
	enum fl_op_outcome o;

	snprintf(f, sizeof(f), "%" PRIu64, from);
	snprintf(t, sizeof(t), "%" PRIu64, to);
	snprintf(a, sizeof(a), "%" PRId64, amount);
	o = fl_wl_pg_call(c, TRANSFER_SQL, 3, p, on_row, &rows, timeout_ms, state, ret_err);
	/* check_violation: the from account would go below 0; the statement was rolled back. */
	if (o == FL_OP_FAIL && !strcmp(state, "23514"))
		*ret_err = -EDQUOT;
	if (o != FL_OP_OK)
		return o;
	if (rows.seen == 2)
		return FL_OP_OK;
	/* No row updated: an account is missing (the count guards both or none). */
	*ret_err = rows.seen ? -EPROTO : -ENOENT;
	return rows.seen ? FL_OP_UNKNOWN : FL_OP_FAIL;
}

static enum fl_op_outcome bank_read(struct fl_wl_conn *c, int64_t *balances, size_t n,
				    size_t *ret_found, int timeout_ms, int *ret_err)
{
	struct rows rows = { .balances = balances, .n = n };
	enum fl_op_outcome o;

	o = fl_wl_pg_call(c, "SELECT account, balance FROM fl_bank", 0, NULL, on_row, &rows,
			  timeout_ms, NULL, ret_err);
	if (o != FL_OP_OK)
		return o;
	if (rows.bad) {
		*ret_err = -EPROTO;
		return FL_OP_FAIL;
	}
	*ret_found = rows.found;
	return FL_OP_OK;
}

static int bank_reset(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		      size_t errlen)
{
	char state[6] = "", sql[256];
	PGconn *pg;
	int err;

	err = fl_wl_pg_open(w, 2000, &pg, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_pg_run_durable(w, pg, "CREATE TABLE IF NOT EXISTS fl_bank"
				   "(account bigint PRIMARY KEY, balance bigint NOT NULL "
				   "CHECK (balance >= 0))", errbuf, errlen, state);
	/* Two connections creating it at once: one of them sees the other's row. */
	if (err && (!strcmp(state, "23505") || !strcmp(state, "42P07")))
		err = 0;
	/* Two statements in one Query message: one implicit transaction. */
	snprintf(sql, sizeof(sql), "DELETE FROM fl_bank; INSERT INTO fl_bank(account, balance) "
		 "SELECT g, %" PRId64 " FROM generate_series(0, %zu) g", balance, accounts - 1);
	if (!err)
		err = fl_wl_pg_run_durable(w, pg, sql, errbuf, errlen, NULL);
	PQfinish(pg);
	return err;
}

const struct fl_bank_ops fl_bank_postgres_ops = {
	.adapter  = &fl_wl_postgres_adapter,
	.reset    = bank_reset,
	.transfer = bank_transfer,
	.read     = bank_read,
};
