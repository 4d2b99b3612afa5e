/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What wl_postgres.c lends the register and bank operations
 * (reg_postgres.c, bank_postgres.c), and what those share (pg_op.c).
 */
#ifndef FL_WL_POSTGRES_H
#define FL_WL_POSTGRES_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "adapter.h"

/* The libpq connection (non-blocking) of a postgres:// connection from fl_workload_connect. */
PGconn *fl_wl_pg_conn(struct fl_wl_conn *c);
int fl_wl_pg_open(struct fl_workload *w, int timeout_ms, PGconn **ret, char *errbuf,
		  size_t errlen);
/*
 * Read every result of the request just sent until ReadyForQuery, by
 * deadline. sqlstate: the first error's, "" if none. cb sees each row of
 * single-row mode. 0, -ETIMEDOUT, -ECONNRESET.
 */
int fl_wl_pg_finish(PGconn *pg, uint64_t deadline, char *sqlstate, char *msg, size_t msglen,
		    int (*cb)(const PGresult *r, void *ctx), void *ctx);
/* A statement made durable whatever synchronous_commit says (setup, reset). */
int fl_wl_pg_run_durable(struct fl_workload *w, PGconn *pg, const char *sql, char *errbuf,
			 size_t errlen, char *ret_state);
/* After an error response: may the statement have committed? Its errno. */
bool fl_wl_pg_in_doubt(const char *sqlstate);
int fl_wl_pg_state_errno(const char *sqlstate);

/*
 * pg_op.c: one statement with text parameters by timeout_ms, as an
 * operation ends: OK, FAIL (refused, or not sent), UNKNOWN (no answer, or
 * an error after which it may have committed); *ret_err the errno. With
 * on_row, in single-row mode, on_row sees each row. state (6 bytes, may
 * be NULL): the SQLSTATE of the first error, "" if none.
 */
enum fl_op_outcome fl_wl_pg_call(struct fl_wl_conn *c, const char *sql, int n,
				 const char **params, int (*on_row)(const PGresult *r, void *ctx),
				 void *ctx, int timeout_ms, char *state, int *ret_err);

#endif
