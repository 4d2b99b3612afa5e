// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One statement of the register and bank operations on postgres
 * (reg_postgres.c, bank_postgres.c) and its outcome (wl_postgres.h).
 */
#include <errno.h>

#include "core/clock.h"
#include "wl_postgres.h"

enum fl_op_outcome fl_wl_pg_call(struct fl_wl_conn *c, const char *sql, int n,
				 const char **params, int (*on_row)(const PGresult *r, void *ctx),
				 void *ctx, int timeout_ms, char *state, int *ret_err)
{
	PGconn *pg = fl_wl_pg_conn(c);
	char own[6], msg[256];
	int err;

	if (!state)
		state = own;
	state[0] = '\0';
	if (!PQsendQueryParams(pg, sql, n, NULL, params, NULL, NULL, 0)) {
		/* libpq refused it: the connection was already gone, nothing was sent. */
		*ret_err = -ECONNRESET;
		return FL_OP_FAIL;
	}
	if (on_row)
		PQsetSingleRowMode(pg);
	err = fl_wl_pg_finish(pg, fl_deadline(timeout_ms), state, msg, sizeof(msg), on_row, ctx);
	if (err) {
		*ret_err = err;
		return FL_OP_UNKNOWN;
	}
	if (!state[0])
		return FL_OP_OK;
	*ret_err = fl_wl_pg_state_errno(state);
	return fl_wl_pg_in_doubt(state) ? FL_OP_UNKNOWN : FL_OP_FAIL;
}
