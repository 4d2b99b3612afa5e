// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The PostgreSQL strategies' common chores: the archiving settings, the
 * directories the server's user writes, the clocks.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/errbuf.h"
#include "strategy_pg.h"

bool fl_bk_pg_user_sets(const struct fl_bk_store *s, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = s->settings; p && *p; p += strcspn(p, "&"), p += (*p == '&'))
		if (!strncasecmp(p, key, n) && p[n] == '=')
			return true;
	return false;
}

int fl_bk_pg_archive_conf(struct fl_bk_ctx *c, const char *who, const char *archive_command)
{
	char path[PATH_MAX];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/postgresql.conf", c->store->data_dir);
	f = fopen(path, "ae");
	if (!f) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "%s: %s: %s", who, path, strerror(-err));
		return err;
	}
	fprintf(f, "\n# faultline backup: %s archives the WAL (after the spec's settings, so these win)\n"
		   "wal_level = replica\n"
		   "archive_mode = on\n"
		   "archive_command = '%s'\n", who, archive_command);
	/*
	 * archive_timeout bounds the RPO of a restore to the end of the
	 * archive: a segment is archived at least that often while writes
	 * come. The spec's own value is the user's choice and stays.
	 */
	if (fl_bk_pg_user_sets(c->store, "archive_timeout"))
		fprintf(f, "# archive_timeout: the spec's value above is kept\n");
	else
		fprintf(f, "archive_timeout = '%s'\n", FL_BK_PG_ARCHIVE_TIMEOUT);
	if (fclose(f) && !err) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "%s: %s: %s", who, path, strerror(-err));
	}
	return err;
}

static int store_ids(struct fl_bk_ctx *c, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	*uid = getuid();
	*gid = getgid();
	if (!c->store->user)
		return 0;
	pw = getpwnam(c->store->user);
	if (!pw) {
		fl_errf(c->errbuf, c->errlen, "user %s: no such user", c->store->user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int fl_bk_pg_mkdir(struct fl_bk_ctx *c, const char *path)
{
	uid_t uid;
	gid_t gid;
	int err = store_ids(c, &uid, &gid);

	if (err)
		return err;
	if (mkdir(path, 0750) < 0 && errno != EEXIST) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "mkdir %s: %s", path, strerror(-err));
		return err;
	}
	if (chown(path, uid, gid) < 0) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "chown %s: %s", path, strerror(-err));
	}
	return err;
}

int fl_bk_pg_open_repo(struct fl_bk_ctx *c)
{
	struct stat st;
	int err;

	/* The paths go into postgresql.conf and pgbackrest.conf unquoted. */
	if (strspn(c->repo, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") !=
	    strlen(c->repo)) {
		fl_errf(c->errbuf, c->errlen, "repository path %s: only letters, digits and /._+- are taken",
			c->repo);
		return -EINVAL;
	}
	if (stat(c->repo, &st) < 0 || chmod(c->repo, (st.st_mode & 07777) | 0711) < 0) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "%s: %s", c->repo, strerror(-err));
		return err;
	}
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fl_bk_pg_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t fl_bk_pg_target_ns(const struct fl_bk_target *t)
{
	return (uint64_t)t->wall.tv_sec * 1000000000ull + (uint64_t)t->wall.tv_nsec;
}
