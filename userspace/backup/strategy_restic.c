// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The restic strategy: deduplicated snapshots in a local repository.
 * Everything restic keeps lives under the strategy's directory: the
 * repository (repo/), its password file, its cache and a HOME of its
 * own, so nothing lands in root's home.
 *
 * What goes in a snapshot:
 *  - file: the log. It is append-only, so a copy taken while it grows
 *    holds every record acknowledged before the backup began (at most a
 *    torn record at its end, read back as an unparseable one, as after a
 *    crash).
 *  - redis: the RDB of a BGSAVE taken just before, and not the AOF. The
 *    RDB is one file, written whole by redis and renamed into place, and
 *    holds every write acknowledged before the BGSAVE. The AOF is several
 *    files (a base, incr files, a manifest naming them) that redis
 *    appends to and rewrites while restic reads them one after another:
 *    a snapshot of them is not one instant of the data.
 *  - sqlite is not offered: a copy of a database file being written is
 *    not a consistent database.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "redis_save.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

/* restic's output tail: the JSON summary line comes last. */
#define OUT_MAX 16384

/* The environment restic runs with, built from c->repo. */
struct env {
	char repo[PATH_MAX + 32], pw[PATH_MAX + 32], home[PATH_MAX + 16], cache[PATH_MAX + 32];
	const char *v[5];
};

static void env_make(struct fl_bk_ctx *c, struct env *e)
{
	snprintf(e->repo, sizeof(e->repo), "RESTIC_REPOSITORY=%s/repo", c->repo);
	snprintf(e->pw, sizeof(e->pw), "RESTIC_PASSWORD_FILE=%s/password", c->repo);
	snprintf(e->home, sizeof(e->home), "HOME=%s/home", c->repo);
	snprintf(e->cache, sizeof(e->cache), "RESTIC_CACHE_DIR=%s/cache", c->repo);
	e->v[0] = e->repo;
	e->v[1] = e->pw;
	e->v[2] = e->home;
	e->v[3] = e->cache;
	e->v[4] = NULL;
}

static int restic(struct fl_bk_ctx *c, char *out, size_t outlen, const char *const *argv)
{
	struct env e;

	env_make(c, &e);
	return fl_bk_cmd(c, NULL, c->repo, e.v, FL_BK_TOOL_MS, out, outlen, argv);
}

static int available(struct fl_bk_ctx *c)
{
	char path[PATH_MAX];

	if (fl_child_which("restic", path, sizeof(path))) {
		fl_errf(c->errbuf, c->errlen, "strategy restic: no restic (Debian package restic)");
		return -ENOENT;
	}
	return 0;
}

/* A password restic needs and nobody reads: random, mode 0600. */
static int write_password(struct fl_bk_ctx *c)
{
	unsigned char raw[24];
	char path[PATH_MAX], hex[2 * sizeof(raw) + 2];
	int fd, err = 0;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw))
		err = -EIO;
	if (fd >= 0)
		close(fd);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "restic: /dev/urandom: no random bytes");
		return err;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s/password", c->repo);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex))
		err = errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = -errno;
	if (err)
		fl_errf(c->errbuf, c->errlen, "%s: %s", path, strerror(-err));
	return err;
}

static int prepare(struct fl_bk_ctx *c)
{
	char home[PATH_MAX];
	int err;

	snprintf(home, sizeof(home), "%s/home", c->repo);
	if (mkdir(home, 0700) < 0 && errno != EEXIST) {
		fl_errf(c->errbuf, c->errlen, "mkdir %s: %s", home, strerror(errno));
		return -errno;
	}
	err = write_password(c);
	if (!err)
		err = restic(c, NULL, 0, (const char *const[]){ "restic", "init", NULL });
	return err;
}

/* What the snapshot holds: the log, or the RDB of a BGSAVE taken now. */
static int source(struct fl_bk_ctx *c, char *path, size_t len)
{
	if (!strcmp(c->store->kind, "redis"))
		return fl_bk_redis_save(c, FL_BK_TOOL_MS, path, len);
	if (!c->store->store_path) {
		fl_errf(c->errbuf, c->errlen, "restic: the %s store has no file to back up",
			c->store->kind);
		return -EINVAL;
	}
	snprintf(path, len, "%s", c->store->store_path);
	return 0;
}

/* The summary line of `restic backup --json --quiet`. */
static int parse_summary(struct fl_bk_ctx *c, const char *out, struct fl_bk_taken *ret)
{
	const char *line = strstr(out, "{\"message_type\":\"summary\"");
	json_t *j, *added, *id;
	int err = 0;

	j = line ? json_loadb(line, strcspn(line, "\n"), 0, NULL) : NULL;
	added = json_object_get(j, "data_added");
	id = json_object_get(j, "snapshot_id");
	if (!json_is_integer(added) || !json_is_string(id)) {
		fl_errf(c->errbuf, c->errlen, "restic backup: no JSON summary in its output");
		err = -EPROTO;
	} else {
		ret->bytes = (uint64_t)json_integer_value(added);
		snprintf(ret->label, sizeof(ret->label), "%s", json_string_value(id));
	}
	json_decref(j);
	return err;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	char path[PATH_MAX], *out;
	struct fl_bk_taken t = { 0 };
	int err;

	if (kind != FL_BACKUP_SNAPSHOT) {
		fl_errf(c->errbuf, c->errlen, "restic takes snapshots only, not a %s",
			fl_backup_kind_name(kind));
		return -EINVAL;
	}
	err = source(c, path, sizeof(path));
	if (err)
		return err;
	out = malloc(OUT_MAX);
	if (!out)
		return -ENOMEM;
	err = restic(c, out, OUT_MAX,
		     (const char *const[]){ "restic", "backup", "--json", "--quiet", "--tag",
					    "faultline", path, NULL });
	if (!err)
		err = parse_summary(c, out, &t);
	if (!err)
		*ret = t;
	free(out);
	return err;
}

static int verify(struct fl_bk_ctx *c, enum fl_bk_verify *ret)
{
	int err = restic(c, NULL, 0,
			 (const char *const[]){ "restic", "check", "--read-data", NULL });

	/* It ran and said no (errbuf has its last line): that is its verdict. */
	if (err == -EIO) {
		*ret = FL_BK_VERIFY_FAILED;
		return 0;
	}
	if (!err)
		*ret = FL_BK_VERIFY_OK;
	return err;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* The first regular file under dir (restic restores one under its full path), into buf. */
static bool find_file(const char *dir, char *buf, size_t len, int depth)
{
	struct dirent *e;
	bool found = false;
	DIR *d;

	if (depth > 64 || !(d = opendir(dir)))
		return false;
	while (!found && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			found = snprintf(buf, len, "%s", path) < (int)len;
		else if (S_ISDIR(st.st_mode))
			found = find_file(path, buf, len, depth + 1);
	}
	closedir(d);
	return found;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	char target[PATH_MAX], src[PATH_MAX];
	const char *kind = c->store->kind;
	struct timespec now;
	uint64_t t0, t1;
	int err;

	if (t->pitr) {
		fl_errf(c->errbuf, c->errlen, "restic has no point-in-time restore");
		return -EOPNOTSUPP;
	}
	if (strcmp(kind, "redis") && !c->store->store_path) {
		fl_errf(c->errbuf, c->errlen, "restic: the %s store has no file to restore", kind);
		return -EINVAL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(target, sizeof(target), "%s/restic-restore-%lld.%09ld", c->work,
		 (long long)now.tv_sec, now.tv_nsec);
	t0 = fl_now_ns();
	err = restic(c, NULL, 0,
		     (const char *const[]){ "restic", "restore", "latest", "--target", target,
					    NULL });
	if (err)
		goto out;
	t1 = fl_now_ns();
	/*
	 * A snapshot holds one file, under the path it had when taken: found
	 * by walking, not by name, so that a path spelled another way then
	 * (redis's dir resolved through a symlink) still restores.
	 */
	if (!find_file(target, src, sizeof(src), 0)) {
		err = -ENOENT;
		fl_errf(c->errbuf, c->errlen, "restic restore: the latest snapshot holds no file");
		goto out;
	}
	if (!strcmp(kind, "redis")) {
		err = fl_bk_redis_place_rdb(c, src);
	} else {
		err = fl_bk_copy_file(src, c->store->store_path);
		if (err)
			fl_errf(c->errbuf, c->errlen, "copy %s to %s: %s", src,
				c->store->store_path, strerror(-err));
		else
			err = fl_bk_chown_store(c, c->store->data_dir);
	}
	if (err)
		goto out;
	ret->fetch_ns = t1 - t0;
	ret->restore_ns = fl_now_ns() - t1;
out:
	nftw(target, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return err;
}

const struct fl_backup_strategy fl_bk_restic = {
	.name      = "restic",
	.tool      = "restic",
	.kinds     = K(SNAPSHOT),
	.pitr      = false,
	.stores    = "file redis",
	.packages  = "restic",
	.available = available,
	.prepare   = prepare,
	.backup    = backup,
	.verify    = verify,
	.restore   = restore,
};
