// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sqlite:PATH?synchronous=OFF|NORMAL|FULL|EXTRA&journal_mode=DELETE|... —
 * the embedded default. Table faultline_rpo(id INTEGER PRIMARY KEY,
 * payload BLOB), one autocommit INSERT per write, one connection per
 * client thread of the writer (a busy timeout makes concurrent writers
 * queue rather than fail). Read back opens a fresh connection, which runs
 * SQLite's own recovery (hot journal rollback, WAL replay) first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "adapter.h"

#define BUSY_TIMEOUT_MS 10000

static const char *const sync_modes[] = { "OFF", "NORMAL", "FULL", "EXTRA", NULL };
static const char *const journal_modes[] = {
	"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF", NULL
};

struct sqlite_cfg {
	char *path;
	const char *synchronous;
	const char *journal_mode;
};

struct sqlite_thread {
	const struct sqlite_cfg *cfg;
	sqlite3 *db;
	sqlite3_stmt *insert;
};

static int sqlite_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	struct sqlite_cfg *cfg = calloc(1, sizeof(*cfg));
	char *copy = strdup(rest), *q, *key, *val;
	int err = 0;

	if (!cfg || !copy) {
		free(cfg);
		err = -ENOMEM;
		goto out;
	}
	w->cfg = cfg;
	cfg->synchronous = "FULL";     /* SQLite's own defaults */
	cfg->journal_mode = "DELETE";
	q = strchr(copy, '?');
	if (q)
		*q++ = '\0';
	if (!*copy) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"missing path (sqlite:PATH?synchronous=...&journal_mode=...)");
		goto out;
	}
	cfg->path = strdup(copy);
	if (!cfg->path) {
		err = -ENOMEM;
		goto out;
	}
	while (fl_wl_query_next(&q, &key, &val)) {
		if (!strcmp(key, "synchronous")) {
			cfg->synchronous = fl_wl_pick(val, sync_modes);
			if (!cfg->synchronous) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen, "synchronous=%s: %s",
						val, "expected OFF, NORMAL, FULL or EXTRA");
				goto out;
			}
		} else if (!strcmp(key, "journal_mode")) {
			cfg->journal_mode = fl_wl_pick(val, journal_modes);
			if (!cfg->journal_mode) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen, "journal_mode=%s: %s",
						val, "expected DELETE, TRUNCATE, PERSIST, "
						"MEMORY, WAL or OFF");
				goto out;
			}
		} else {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen, "unknown option '%s' %s",
					key, "(expected synchronous= or journal_mode=)");
			goto out;
		}
	}
	err = fl_wl_set_desc(w, "sqlite:%s?synchronous=%s&journal_mode=%s", cfg->path,
			     cfg->synchronous, cfg->journal_mode);
out:
	free(copy);
	return err;
}

static void sqlite_free(struct fl_workload *w)
{
	struct sqlite_cfg *cfg = w->cfg;

	if (cfg)
		free(cfg->path);
	free(cfg);
}

static int exec_sql(sqlite3 *db, const char *sql, char *errbuf, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fl_wl_err(NULL, -EIO, errbuf, errlen, "sqlite: %s: %s", sql,
		  msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -EIO;
}

static int open_db(const struct sqlite_cfg *cfg, sqlite3 **ret, char *errbuf, size_t errlen)
{
	sqlite3 *db = NULL;
	char sql[96];
	int rc, err;

	rc = sqlite3_open_v2(cfg->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		err = fl_wl_err(NULL, -EIO, errbuf, errlen, "sqlite: %s: %s", cfg->path,
				db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return err;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* journal_mode is per connection except WAL; set both on each one. */
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s; PRAGMA synchronous=%s;",
		 cfg->journal_mode, cfg->synchronous);
	err = exec_sql(db, sql, errbuf, errlen);
	if (err) {
		sqlite3_close(db);
		return err;
	}
	*ret = db;
	return 0;
}

/* The store is the config: the writer's threads each open their own connection. */
static int sqlite_open(struct fl_workload *w, void **ret_store, char *errbuf, size_t errlen)
{
	struct sqlite_cfg *cfg = w->cfg;
	sqlite3 *db;
	int err;

	err = open_db(cfg, &db, errbuf, errlen);
	if (err)
		return err;
	err = exec_sql(db, "CREATE TABLE IF NOT EXISTS faultline_rpo"
		       "(id INTEGER PRIMARY KEY, payload BLOB)", errbuf, errlen);
	sqlite3_close(db);
	if (err)
		return err;
	*ret_store = cfg;
	return 0;
}

static void sqlite_close(void *store)
{
}

static int sqlite_thread_open(void *store, void **ret_th, char *errbuf, size_t errlen)
{
	struct sqlite_thread *th = calloc(1, sizeof(*th));
	int err;

	if (!th)
		return -ENOMEM;
	th->cfg = store;
	err = open_db(th->cfg, &th->db, errbuf, errlen);
	if (err)
		goto fail;
	if (sqlite3_prepare_v2(th->db, "INSERT INTO faultline_rpo(id, payload) VALUES(?, ?)", -1,
			       &th->insert, NULL) != SQLITE_OK) {
		err = fl_wl_err(NULL, -EIO, errbuf, errlen, "sqlite: %s", sqlite3_errmsg(th->db));
		goto fail;
	}
	*ret_th = th;
	return 0;
fail:
	sqlite3_close(th->db);
	free(th);
	return err;
}

static void sqlite_thread_close(void *th_)
{
	struct sqlite_thread *th = th_;

	sqlite3_finalize(th->insert);
	sqlite3_close(th->db);
	free(th);
}

static enum fl_op_outcome sqlite_append(void *store, void *th_, uint64_t id, const void *payload,
					size_t len, char *why, size_t whylen)
{
	struct sqlite_thread *th = th_;
	enum fl_op_outcome o;
	int rc;

	if (id > INT64_MAX || len > INT32_MAX) {
		snprintf(why, whylen, "id or payload out of range");
		return FL_OP_FAIL;
	}
	sqlite3_bind_int64(th->insert, 1, (sqlite3_int64)id);
	sqlite3_bind_blob(th->insert, 2, payload, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(th->insert);
	switch (rc & 0xff) {
	case SQLITE_DONE:
		o = FL_OP_OK;
		break;
	/* Refused before anything was written; the transaction rolled back. */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CONSTRAINT:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_TOOBIG:
		o = FL_OP_FAIL;
		break;
	/* An I/O error at commit: the record may or may not be there. */
	default:
		o = FL_OP_UNKNOWN;
		break;
	}
	/* The id is already there: say so, the controller records EEXIST, not EIO. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT &&
	    sqlite3_extended_errcode(th->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		snprintf(why, whylen, "EEXIST: %s", sqlite3_errmsg(th->db));
	else if (o != FL_OP_OK)
		snprintf(why, whylen, "%s", sqlite3_errmsg(th->db));
	sqlite3_reset(th->insert);
	sqlite3_clear_bindings(th->insert);
	return o;
}

/* fsync the directory the database is in: its entries (the file itself, a journal's unlink). */
static int sync_dir(const char *path)
{
	char *copy = strdup(path), *slash;
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

static int sqlite_reset(void *store, void *th_, char *errbuf, size_t errlen)
{
	struct sqlite_thread *th = th_;
	char sql[64];
	int err;

	/*
	 * Durable whatever synchronous says: old records must not come back.
	 * FULL is not enough in DELETE mode: the commit point is the
	 * journal's unlink, which only EXTRA syncs; on a power cut the
	 * journal would come back hot and roll the DELETE back, and the
	 * last trial's rows with it. The directory sync also keeps the
	 * database file itself, if it was just created.
	 */
	err = exec_sql(th->db, "PRAGMA synchronous=EXTRA; DELETE FROM faultline_rpo;",
		       errbuf, errlen);
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s;", th->cfg->synchronous);
	exec_sql(th->db, sql, NULL, 0);
	if (!err) {
		err = sync_dir(th->cfg->path);
		if (err)
			fl_wl_err(NULL, err, errbuf, errlen, "sqlite: %s: syncing its directory: %s",
				  th->cfg->path, strerror(-err));
	}
	return err;
}

static int sqlite_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx,
			   char *errbuf, size_t errlen)
{
	const struct sqlite_cfg *cfg = w->cfg;
	sqlite3_stmt *sel = NULL;
	sqlite3 *db = NULL;
	int rc, err = 0;

	/* No database at all: nothing survived. */
	if (access(cfg->path, F_OK) && errno == ENOENT)
		return 0;
	rc = sqlite3_open_v2(cfg->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = fl_wl_err(w, -EIO, errbuf, errlen, "%s: %s", cfg->path,
				db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	rc = sqlite3_prepare_v2(db, "SELECT id, payload FROM faultline_rpo ORDER BY id", -1, &sel,
				NULL);
	if (rc != SQLITE_OK) {
		/* The table itself was lost: so was every record. */
		if (strstr(sqlite3_errmsg(db), "no such table"))
			goto out;
		err = fl_wl_err(w, -EIO, errbuf, errlen, "%s: %s", cfg->path, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(sel, 0);
		const void *p = sqlite3_column_blob(sel, 1);
		int n = sqlite3_column_bytes(sel, 1);

		err = cb(ctx, id > 0 ? (uint64_t)id : 0, p ? p : "", (size_t)n);
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = fl_wl_err(w, -EIO, errbuf, errlen, "%s: %s", cfg->path, sqlite3_errmsg(db));
out:
	sqlite3_finalize(sel);
	sqlite3_close(db);
	return err;
}

#define DROP_TIMEOUT_MS 30000
#define DROP_POLL_US    200

/*
 * SQLite's own busy timeout sleeps longer and longer (up to 100 ms) between
 * tries, and a writer that commits back to back takes the lock again in
 * each gap: measured, a DROP beside one writing client waited 5.8 s.
 * Short, even polls find the gaps between its commits.
 */
static int drop_busy(void *deadline_, int tries)
{
	const uint64_t *deadline = deadline_;
	struct timespec ts = { .tv_nsec = DROP_POLL_US * 1000 };

	(void)tries;
	if (fl_now_ns() >= *deadline)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/*
 * fl_workload_drop, beside the running writer: its connections hold
 * locks only while they commit; the drop takes the lock in a gap. A BUSY
 * that the busy handler does not see (a WAL snapshot gone stale) is
 * tried again until the deadline.
 */
static int sqlite_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	const struct sqlite_cfg *cfg = w->cfg;
	uint64_t deadline = fl_now_ns() + (uint64_t)DROP_TIMEOUT_MS * 1000000ull;
	sqlite3 *db = NULL;
	int err, rc = SQLITE_OK;

	/* open_db would create an empty database: there is nothing to drop. */
	if (access(cfg->path, F_OK))
		return fl_wl_err(w, -errno, errbuf, errlen, "%s: %s", cfg->path, strerror(errno));
	err = open_db(cfg, &db, errbuf, errlen);
	if (err)
		return err;
	sqlite3_busy_handler(db, drop_busy, &deadline);
	do {
		rc = sqlite3_exec(db, "DROP TABLE faultline_rpo", NULL, NULL, NULL);
	} while (((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) &&
		 fl_now_ns() < deadline);
	if (rc == SQLITE_OK)
		err = 0;
	else if (strstr(sqlite3_errmsg(db), "no such table"))
		err = fl_wl_err(w, -ENOENT, errbuf, errlen, "%s: DROP TABLE: %s", cfg->path,
				sqlite3_errmsg(db));
	else
		err = fl_wl_err(w, (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO, errbuf, errlen,
				"%s: DROP TABLE: %s", cfg->path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return err;
}

static const struct fl_wl_store_ops sqlite_store_ops = {
	.open         = sqlite_open,
	.thread_open  = sqlite_thread_open,
	.thread_close = sqlite_thread_close,
	.append       = sqlite_append,
	.reset        = sqlite_reset,
	.close        = sqlite_close,
};

static const char *sqlite_store_path(const struct fl_workload *w)
{
	return ((const struct sqlite_cfg *)w->cfg)->path;
}

const struct fl_wl_adapter fl_wl_sqlite_adapter = {
	.scheme     = "sqlite",
	.prefixes   = { "sqlite:", NULL },
	.store      = &sqlite_store_ops,
	.parse      = sqlite_parse,
	.free       = sqlite_free,
	.ping       = fl_wl_serve_ping,
	.reset      = fl_wl_serve_reset,
	.connect    = fl_wl_serve_connect,
	.write      = fl_wl_serve_write,
	.disconnect = fl_wl_serve_disconnect,
	.read_all   = sqlite_read_all,
	.store_path = sqlite_store_path,
	.drop       = sqlite_drop,
};
