// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The redis-rdb strategy: what many redis operators do by hand. BGSAVE,
 * wait until the save has succeeded, copy the RDB into the repository as
 * N.rdb (1, 2, ...). A restore puts the newest copy back so that redis
 * loads it (redis_save.c: with appendonly yes a bare dump.rdb would be
 * ignored). The snapshot holds every write acknowledged before BGSAVE.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "redis_save.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

static int available(struct fl_bk_ctx *c)
{
	char path[PATH_MAX];

	if (fl_child_which("redis-server", path, sizeof(path))) {
		fl_errf(c->errbuf, c->errlen,
			"strategy redis-rdb: no redis-server (Debian package redis-server)");
		return -ENOENT;
	}
	return 0;
}

/* The largest N of the repository's N.rdb files; 0 when there is none. */
static unsigned long newest(const char *repo)
{
	unsigned long best = 0;
	struct dirent *e;
	DIR *d = opendir(repo);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		unsigned long n = strtoul(e->d_name, &end, 10);

		if (end != e->d_name && !strcmp(end, ".rdb") && n > best)
			best = n;
	}
	closedir(d);
	return best;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	char rdb[PATH_MAX], tmp[PATH_MAX + 64], dst[PATH_MAX];
	unsigned long n;
	struct stat st;
	int err;

	if (kind != FL_BACKUP_SNAPSHOT) {
		fl_errf(c->errbuf, c->errlen, "redis-rdb takes snapshots only, not a %s",
			fl_backup_kind_name(kind));
		return -EINVAL;
	}
	err = fl_bk_redis_save(c, FL_BK_TOOL_MS, rdb, sizeof(rdb));
	if (err)
		return err;
	n = newest(c->repo) + 1;
	snprintf(dst, sizeof(dst), "%s/%lu.rdb", c->repo, n);
	snprintf(tmp, sizeof(tmp), "%s.part", dst);
	/* redis replaces its RDB by rename: the file we open is one whole save. */
	err = fl_bk_copy_file(rdb, tmp);
	if (!err && rename(tmp, dst) < 0)
		err = -errno;
	if (!err && stat(dst, &st) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		fl_errf(c->errbuf, c->errlen, "copy %s to %s: %s", rdb, dst, strerror(-err));
		return err;
	}
	ret->bytes = (uint64_t)st.st_size;
	snprintf(ret->label, sizeof(ret->label), "%lu.rdb", n);
	return 0;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	char src[PATH_MAX];
	unsigned long n = newest(c->repo);
	uint64_t t0;
	int err;

	if (t->pitr) {
		fl_errf(c->errbuf, c->errlen, "redis-rdb has no point-in-time restore");
		return -EOPNOTSUPP;
	}
	if (!n) {
		fl_errf(c->errbuf, c->errlen, "redis-rdb: no snapshot in %s to restore", c->repo);
		return -ENOENT;
	}
	snprintf(src, sizeof(src), "%s/%lu.rdb", c->repo, n);
	t0 = fl_now_ns();
	err = fl_bk_redis_place_rdb(c, src);
	if (err)
		return err;
	ret->fetch_ns = 0; /* the copy is the fetch and the restore at once */
	ret->restore_ns = fl_now_ns() - t0;
	return 0;
}

const struct fl_backup_strategy fl_bk_redis_rdb = {
	.name      = "redis-rdb",
	.tool      = "redis BGSAVE",
	.kinds     = K(SNAPSHOT),
	.pitr      = false,
	.stores    = "redis",
	.packages  = "redis-server",
	.available = available,
	.backup    = backup,
	.restore   = restore,
};
