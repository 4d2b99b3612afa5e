// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sqlite store's own integrity check: PRAGMA integrity_check on the
 * restored database while its writer runs. The records' table has no
 * foreign keys, so PRAGMA foreign_key_check would have nothing to say.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_integrity.h"
#include "store.h"

#define BUSY_MS 10000 /* the writer's commits, on a loaded host */

/*
 * A row may hold several lines, the first naming the schema ("*** in
 * database main ***\nPage 16: btreeInitPage() returns error code 11"):
 * the findings, on one line.
 */
static void one_line(const char *msg, char *out, size_t len)
{
	static const char head[] = "*** in database main ***\n";
	size_t k = 0;

	if (!strncmp(msg, head, sizeof(head) - 1))
		msg += sizeof(head) - 1;
	for (; *msg && k + 3 < len; msg++) {
		if (*msg == '\n') {
			out[k++] = ';';
			out[k++] = ' ';
		} else {
			out[k++] = *msg;
		}
	}
	if (len)
		out[k] = '\0';
}

int fl_bk_sqlite_integrity(const char *path, int busy_ms, bool *ret_ok, char *why, size_t len)
{
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;
	const char *msg;
	int rc, err = 0;

	if (len)
		why[0] = '\0';
	/* Read-write: a hot journal left by a crash is rolled back first, as the writer would. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, busy_ms);
		rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		/* "ok", or one row per problem found: the first says enough. */
		msg = (const char *)sqlite3_column_text(q, 0);
		*ret_ok = msg && !strcmp(msg, "ok");
		if (!*ret_ok)
			one_line(msg ? msg : "integrity_check gave an empty row", why, len);
	} else {
		msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
		if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
			*ret_ok = false;
		else
			err = -EIO;
		snprintf(why, len, "%s", msg);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return err;
}

int fl_bk_check_sqlite(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len)
{
	const char *path = c->store->store_path;
	bool ok = false;
	char why[256];
	int err;

	if (!path) {
		snprintf(detail, len, "the store has no database path");
		*ret = FL_BACKUP_CHECK_ERROR;
		return 0;
	}
	err = fl_bk_sqlite_integrity(path, BUSY_MS, &ok, why, sizeof(why));
	if (err) {
		snprintf(detail, len, "PRAGMA integrity_check could not run: %s", why);
		*ret = FL_BACKUP_CHECK_ERROR;
		return 0;
	}
	if (!ok)
		snprintf(detail, len, "PRAGMA integrity_check: %s", why);
	*ret = ok ? FL_BACKUP_CHECK_OK : FL_BACKUP_CHECK_FAILED;
	return 0;
}
