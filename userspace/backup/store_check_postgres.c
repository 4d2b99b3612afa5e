// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The postgres store's own integrity check on the restored server:
 * amcheck's bt_index_check on every btree index of faultline_rpo and
 * verify_heapam on the table, as postgres over the unix socket. amcheck
 * reports index damage as an error of class XX (index_corrupted,
 * data_corrupted) and heap damage as rows of verify_heapam: both are
 * FAILED; anything else that stops the check (no server, a standby that
 * cannot CREATE EXTENSION, no table) is ERROR.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"

#define TABLE "faultline_rpo"

/* libpq's messages end in a newline: the first line, for "%.*s". */
#define LINE(s) (int)strcspn((s), "\n"), (s)

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Run sql; NULL (and detail filled) when it failed. damaged: the failure is amcheck's finding. */
static PGresult *run(PGconn *pg, const char *sql, ExecStatusType want, bool *damaged,
		     char *detail, size_t len)
{
	PGresult *r = PQexec(pg, sql);
	const char *state, *primary;

	if (r && PQresultStatus(r) == want)
		return r;
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	*damaged = state && !strncmp(state, "XX00", 4);
	snprintf(detail, len, "amcheck%s: %.*s", *damaged ? "" : " could not run",
		 LINE(primary ? primary : PQerrorMessage(pg)));
	PQclear(r);
	return NULL;
}

int fl_bk_check_postgres(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len)
{
	const struct fl_bk_store *s = c->store;
	char conninfo[4096 + 128], one[256];
	PGresult *idx = NULL, *heap = NULL, *r;
	bool damaged = false;
	long bad = 0;
	int n_idx = 0;
	PGconn *pg;

	if (!s->socket_dir) {
		snprintf(detail, len, "amcheck could not run: the store has no socket directory");
		*ret = FL_BACKUP_CHECK_ERROR;
		return 0;
	}
	snprintf(conninfo, sizeof(conninfo),
		 "host='%s' port=%d user=postgres dbname=postgres connect_timeout=10 "
		 "options='-c statement_timeout=120000'", s->socket_dir, s->port);
	pg = PQconnectdb(conninfo);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		snprintf(detail, len, "amcheck could not run: no connection: %.*s",
			 LINE(pg ? PQerrorMessage(pg) : "out of memory"));
		*ret = FL_BACKUP_CHECK_ERROR;
		PQfinish(pg);
		return 0;
	}
	/* Library code prints nothing: libpq would print NOTICEs on stderr. */
	PQsetNoticeProcessor(pg, quiet, NULL);
	*ret = FL_BACKUP_CHECK_ERROR;
	r = run(pg, "CREATE EXTENSION IF NOT EXISTS amcheck", PGRES_COMMAND_OK, &damaged, detail, len);
	if (!r)
		goto out;
	PQclear(r);
	idx = run(pg, "SELECT c.relname, bt_index_check(c.oid) FROM pg_index i "
		      "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
		      "WHERE i.indrelid = '" TABLE "'::regclass AND a.amname = 'btree'",
		  PGRES_TUPLES_OK, &damaged, detail, len);
	if (!idx)
		goto out;
	n_idx = PQntuples(idx);
	heap = run(pg, "SELECT blkno, offnum, msg FROM verify_heapam('" TABLE "')", PGRES_TUPLES_OK,
		   &damaged, detail, len);
	if (!heap)
		goto out;
	bad = PQntuples(heap);
	if (bad) {
		damaged = true;
		snprintf(one, sizeof(one), "%.200s", PQgetvalue(heap, 0, 2));
		snprintf(detail, len, "amcheck: verify_heapam found %ld problem%s in " TABLE
			 ", first at block %s offset %s: %s", bad, bad == 1 ? "" : "s",
			 PQgetvalue(heap, 0, 0), PQgetvalue(heap, 0, 1), one);
		goto out;
	}
	*ret = FL_BACKUP_CHECK_OK;
	snprintf(detail, len, "amcheck: %d btree index%s and the heap of " TABLE " intact", n_idx,
		 n_idx == 1 ? "" : "es");
out:
	if (damaged)
		*ret = FL_BACKUP_CHECK_FAILED;
	PQclear(idx);
	PQclear(heap);
	PQfinish(pg);
	return 0;
}
