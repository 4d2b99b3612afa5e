// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sqlite strategy: SQLite's online backup API (sqlite3_backup_*)
 * copies the live database, page by page, into REPO/N.db while the
 * writer process goes on; restore puts the newest copy back in place of
 * the database. Full backups only, no point in time.
 *
 * The copy holds a read lock on the database only during a step: in
 * rollback-journal mode the writer cannot commit while a step runs, so
 * steps are short (STEP_PAGES) with a sleep between them. But a write by
 * another connection between two steps restarts the copy from page 1,
 * and the writer here writes all the time: each restart quadruples the
 * step, so the copy ends in a bounded number of steps (at worst one that
 * takes the whole database, holding the writer for that one step).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "sqlite_integrity.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

#define STEP_PAGES   64        /* 256 KiB of 4 KiB pages: a few ms of the writer */
#define STEP_SLEEP_MS 2        /* between steps: the writer commits */
#define BUSY_MS      100       /* a step waits this long for the writer's commit */
#define RESTARTS_MAX 8         /* then the rest in one step */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int available(struct fl_bk_ctx *c)
{
	(void)c;
	return 0; /* libsqlite3 is linked in */
}

/* The highest N of the repository's N.db files; 0 when none. */
static unsigned newest_copy(const char *repo)
{
	unsigned best = 0;
	struct dirent *e;
	DIR *d = opendir(repo);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		unsigned long n = strtoul(e->d_name, &end, 10);

		if (end != e->d_name && !strcmp(end, ".db") && e->d_name[0] != '0' &&
		    n > best && n < 1000000)
			best = (unsigned)n;
	}
	closedir(d);
	return best;
}

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The copy, stepping through the live database. */
static int copy_online(struct fl_bk_ctx *c, sqlite3 *src, sqlite3 *dst)
{
	uint64_t deadline = fl_now_ns() + (uint64_t)FL_BK_TOOL_MS * 1000000ull;
	sqlite3_backup *b;
	int pages = STEP_PAGES, restarts = 0, done = 0, rc;

	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: %s", sqlite3_errmsg(dst));
		return -EIO;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, pages);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_OK) {
			int now = sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b);

			/*
			 * A step copies exactly pages pages, from page 1 again
			 * when another connection wrote since the last one.
			 */
			if (done && now != done + pages) {
				restarts++;
				pages = restarts > RESTARTS_MAX ? -1 : pages * 4;
			}
			done = now;
		} else if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
			break;
		}
		if (fl_now_ns() > deadline) {
			sqlite3_backup_finish(b);
			fl_errf(c->errbuf, c->errlen,
				"sqlite backup: not done within %d s (%d restarts by the writer)",
				FL_BK_TOOL_MS / 1000, restarts);
			return -ETIMEDOUT;
		}
		sleep_ms(STEP_SLEEP_MS);
	}
	rc = sqlite3_backup_finish(b);
	if (rc != SQLITE_OK) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: %s", sqlite3_errstr(rc));
		return -EIO;
	}
	return 0;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	const char *path = c->store->store_path;
	char dest[4096];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat st;
	unsigned n;
	int rc, err;

	if (kind != FL_BACKUP_FULL) {
		fl_errf(c->errbuf, c->errlen, "strategy sqlite: only full backups, not %s",
			fl_backup_kind_name(kind));
		return -EINVAL;
	}
	if (!path) {
		fl_errf(c->errbuf, c->errlen, "strategy sqlite: the store has no database path");
		return -EINVAL;
	}
	n = newest_copy(c->repo) + 1;
	snprintf(dest, sizeof(dest), "%s/%u.db", c->repo, n);
	/* Not SQLITE_OPEN_CREATE: a database gone is an error, not an empty backup. */
	rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: %s: %s", path,
			src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		err = -EIO;
		goto out;
	}
	sqlite3_busy_timeout(src, BUSY_MS);
	unlink(dest);
	rc = sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: %s: %s", dest,
			dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		err = -EIO;
		goto out;
	}
	sqlite3_busy_timeout(dst, BUSY_MS);
	err = copy_online(c, src, dst);
	if (err)
		goto out;
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: closing %s: %s", dest,
			sqlite3_errstr(rc));
		err = -EIO;
		goto out;
	}
	/* The copy and its name must outlive a crash of this host, as a backup must. */
	err = sync_path(dest, O_RDONLY);
	if (!err)
		err = sync_path(c->repo, O_RDONLY | O_DIRECTORY);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "sqlite backup: syncing %s: %s", dest,
			strerror(-err));
		goto out;
	}
	if (stat(dest, &st) < 0) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "sqlite backup: %s: %s", dest, strerror(errno));
		goto out;
	}
	ret->bytes = (uint64_t)st.st_size;
	snprintf(ret->label, sizeof(ret->label), "%u.db", n);
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (err)
		unlink(dest);
	return err;
}

static int verify(struct fl_bk_ctx *c, enum fl_bk_verify *ret)
{
	char path[4096], why[256];
	unsigned n = newest_copy(c->repo);
	bool ok = false;
	int err;

	if (!n) {
		fl_errf(c->errbuf, c->errlen, "sqlite verify: no copy in %s", c->repo);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%u.db", c->repo, n);
	err = fl_bk_sqlite_integrity(path, BUSY_MS, &ok, why, sizeof(why));
	if (err) {
		fl_errf(c->errbuf, c->errlen, "sqlite verify: %u.db: %s", n, why);
		return err;
	}
	if (!ok)
		fl_errf(c->errbuf, c->errlen, "%u.db: %s", n, why);
	*ret = ok ? FL_BK_VERIFY_OK : FL_BK_VERIFY_FAILED;
	return 0;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	static const char *const sidecars[] = { "-journal", "-wal", "-shm" };
	const char *path = c->store->store_path;
	char from[4096], side[4200], dir[4096], *slash;
	unsigned n = newest_copy(c->repo);
	uint64_t t0 = fl_now_ns();
	int err;

	if (t->pitr) {
		fl_errf(c->errbuf, c->errlen, "no point-in-time restore (full copies only)");
		return -EOPNOTSUPP;
	}
	if (!path) {
		fl_errf(c->errbuf, c->errlen, "the store has no database path");
		return -EINVAL;
	}
	if (!n) {
		fl_errf(c->errbuf, c->errlen, "no copy in %s", c->repo);
		return -ENOENT;
	}
	/* A hot journal of the lost database would be rolled into the copy: none may be left. */
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, sidecars[i]);
		if (unlink(side) < 0 && errno != ENOENT) {
			err = -errno;
			fl_errf(c->errbuf, c->errlen, "%s: %s", side,
				strerror(errno));
			return err;
		}
	}
	snprintf(from, sizeof(from), "%s/%u.db", c->repo, n);
	err = fl_bk_copy_file(from, path);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "copying %s to %s: %s", from, path,
			strerror(-err));
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	err = sync_path(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "syncing %s: %s", dir,
			strerror(-err));
		return err;
	}
	err = fl_bk_chown_store(c, path);
	if (err)
		return err;
	ret->fetch_ns = 0;
	ret->restore_ns = fl_now_ns() - t0;
	return 0;
}

const struct fl_backup_strategy fl_bk_sqlite = {
	.name      = "sqlite",
	.tool      = "SQLite online backup",
	.kinds     = K(FULL),
	.pitr      = false,
	.stores    = "sqlite",
	.packages  = "libsqlite3-0",
	.available = available,
	.backup    = backup,
	.verify    = verify,
	.restore   = restore,
};
