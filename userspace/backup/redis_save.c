// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Taking a consistent RDB from a running redis and putting one back.
 *
 * Why the placing is not a plain copy: redis 7.0 (measured on 7.0.15)
 * with appendonly yes loads only the AOF at start. With a dump.rdb and no
 * AOF directory it does NOT load the RDB: it logs "Creating AOF base file
 * appendonly.aof.1.base.rdb on server start" and comes up with an empty
 * dataset, and the restored data is silently gone. A multi-part AOF whose
 * base is an RDB is what redis 7 writes itself (aof-use-rdb-preamble), so
 * the restore makes exactly that: the RDB copied in as
 * APPENDFILENAME.1.base.rdb and a manifest naming it as the base; redis
 * loads the base and opens a new incr file. The RDB also goes in as
 * dbfilename, for a server whose settings say appendonly no and for
 * redis-check-rdb.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "workload/adapter.h"
#include "redis_save.h"

#define POLL_MS 20

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One command; a reply that is an error is -EIO with its text in errbuf. */
static int command(struct fl_bk_ctx *c, redisContext *rc, redisReply **ret, int argc,
		   const char **argv)
{
	redisReply *r = redisCommandArgv(rc, argc, argv, NULL);

	if (!r) {
		fl_errf(c->errbuf, c->errlen, "redis %s: %s", argv[0],
			rc->errstr[0] ? rc->errstr : "no reply");
		return -ECONNRESET;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fl_errf(c->errbuf, c->errlen, "redis %s: %s", argv[0], r->str);
		freeReplyObject(r);
		return -EIO;
	}
	*ret = r;
	return 0;
}

/* INFO persistence's field name (an integer), or -1 when absent. */
static long long info_field(const char *info, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

static int info(struct fl_bk_ctx *c, redisContext *rc, long long *saves, long long *busy,
		bool *ok)
{
	const char *argv[] = { "INFO", "persistence" };
	redisReply *r;
	int err = command(c, rc, &r, 2, argv);

	if (err)
		return err;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		fl_errf(c->errbuf, c->errlen, "redis INFO: not a string reply");
		return -EPROTO;
	}
	*saves = info_field(r->str, "rdb_saves");
	*busy = info_field(r->str, "rdb_bgsave_in_progress");
	*ok = strstr(r->str, "rdb_last_bgsave_status:ok") != NULL;
	freeReplyObject(r);
	if (*saves < 0 || *busy < 0) {
		/* rdb_saves is redis 7's; without it a finished save cannot be told from ours. */
		fl_errf(c->errbuf, c->errlen,
			"redis INFO persistence has no rdb_saves: redis 7 or later is needed");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* CONFIG GET name: its value into buf. */
static int config_get(struct fl_bk_ctx *c, redisContext *rc, const char *name, char *buf,
		      size_t len)
{
	const char *argv[] = { "CONFIG", "GET", name };
	redisReply *r;
	int err = command(c, rc, &r, 3, argv);

	if (err)
		return err;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		snprintf(buf, len, "%s", r->element[1]->str);
	else
		err = -EPROTO, fl_errf(c->errbuf, c->errlen, "redis CONFIG GET %s: no value", name);
	freeReplyObject(r);
	return err;
}

int fl_bk_redis_save(struct fl_bk_ctx *c, int timeout_ms, char *rdb, size_t len)
{
	struct timeval tv = { .tv_sec = 5 };
	uint64_t deadline = (fl_now_ns() / 1000000) + (uint64_t)timeout_ms;
	char name[256];
	long long before, saves, busy;
	redisContext *rc;
	redisReply *r;
	bool ok;
	int err;

	rc = redisConnectWithTimeout("127.0.0.1", c->store->port, tv);
	if (!rc)
		return -ENOMEM;
	if (rc->err) {
		fl_errf(c->errbuf, c->errlen, "redis 127.0.0.1:%d: %s", c->store->port, rc->errstr);
		err = -ECONNREFUSED;
		goto out;
	}
	redisSetTimeout(rc, tv);
	err = config_get(c, rc, "dbfilename", name, sizeof(name));
	if (!err)
		err = info(c, rc, &before, &busy, &ok);
	if (err)
		goto out;
	/*
	 * An RDB save already running began before we were asked and may
	 * miss writes acknowledged since: wait for it to end, then ask for
	 * ours. SCHEDULE makes an AOF rewrite in progress delay ours rather
	 * than refuse it.
	 */
	for (;;) {
		const char *argv[] = { "BGSAVE", "SCHEDULE" };

		err = command(c, rc, &r, 2, argv);
		if (!err) {
			freeReplyObject(r);
			break;
		}
		if (err != -EIO || !strstr(c->errbuf, "already in progress"))
			goto out;
		if ((fl_now_ns() / 1000000) >= deadline)
			goto timeout;
		sleep_ms(POLL_MS);
		err = info(c, rc, &before, &busy, &ok);
		if (err)
			goto out;
	}
	for (;;) {
		err = info(c, rc, &saves, &busy, &ok);
		if (err)
			goto out;
		if (saves > before && !busy)
			break;
		if ((fl_now_ns() / 1000000) >= deadline)
			goto timeout;
		sleep_ms(POLL_MS);
	}
	if (!ok) {
		fl_errf(c->errbuf, c->errlen,
			"redis BGSAVE failed (rdb_last_bgsave_status:err): the server's log says why");
		err = -EIO;
		goto out;
	}
	/* The store's own spelling of its directory, as the restores use it. */
	if (rdb && snprintf(rdb, len, "%s/%s", c->store->data_dir, name) >= (int)len)
		err = -ENAMETOOLONG, fl_errf(c->errbuf, c->errlen, "redis RDB path too long");
	goto out;
timeout:
	fl_errf(c->errbuf, c->errlen, "redis BGSAVE did not finish within %d s", timeout_ms / 1000);
	err = -ETIMEDOUT;
out:
	redisFree(rc);
	return err;
}

/* A redis config value as written in a query: maybe quoted. */
static int set_name(struct fl_bk_ctx *c, const char *key, const char *val, char *buf, size_t len)
{
	size_t n = strlen(val);

	if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0])
		val++, n -= 2;
	if (!n || n >= len || memchr(val, '/', n) || memchr(val, ' ', n) || memchr(val, '"', n)) {
		fl_errf(c->errbuf, c->errlen,
			"redis setting %s=%s: a restore needs a plain file name here", key, val);
		return -EINVAL;
	}
	memcpy(buf, val, n);
	buf[n] = '\0';
	return 0;
}

int fl_bk_redis_files(struct fl_bk_ctx *c, struct fl_bk_redis_files *ret)
{
	struct fl_bk_redis_files f = { "dump.rdb", "appendonlydir", "appendonly.aof", 1 };
	const char *s = c->store->settings ? c->store->settings : "";
	char *copy = strdup(s), *cur = copy, *key, *val;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	/* In the order given: the server's config has them in that order, and the last wins. */
	while (!err && fl_wl_query_next(&cur, &key, &val)) {
		if (!strcasecmp(key, "dbfilename"))
			err = set_name(c, key, val, f.dbfilename, sizeof(f.dbfilename));
		else if (!strcasecmp(key, "appenddirname"))
			err = set_name(c, key, val, f.aofdir, sizeof(f.aofdir));
		else if (!strcasecmp(key, "appendfilename"))
			err = set_name(c, key, val, f.aofname, sizeof(f.aofname));
		else if (!strcasecmp(key, "appendonly"))
			f.appendonly = strcasecmp(val, "no") != 0;
	}
	free(copy);
	if (!err)
		*ret = f;
	return err;
}

static int write_fsync(const char *path, const char *text)
{
	size_t n = strlen(text);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		err = errno ? -errno : -EIO;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

int fl_bk_redis_place_rdb(struct fl_bk_ctx *c, const char *from)
{
	const char *data = c->store->data_dir;
	struct fl_bk_redis_files f;
	char path[PATH_MAX + 512], dir[PATH_MAX], manifest[512];
	int err;

	err = fl_bk_redis_files(c, &f);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", data, f.dbfilename);
	err = fl_bk_copy_file(from, path);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "copy %s to %s: %s", from, path, strerror(-err));
		return err;
	}
	if (f.appendonly) {
		snprintf(dir, sizeof(dir), "%s/%s", data, f.aofdir);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			err = -errno;
			fl_errf(c->errbuf, c->errlen, "mkdir %s: %s", dir, strerror(errno));
			return err;
		}
		snprintf(path, sizeof(path), "%s/%s.1.base.rdb", dir, f.aofname);
		err = fl_bk_copy_file(from, path);
		if (err) {
			fl_errf(c->errbuf, c->errlen, "copy %s to %s: %s", from, path,
				strerror(-err));
			return err;
		}
		/* The format redis 7 writes: one line per file; no incr yet, redis opens one. */
		snprintf(manifest, sizeof(manifest), "file %s.1.base.rdb seq 1 type b\n", f.aofname);
		snprintf(path, sizeof(path), "%s/%s.manifest", dir, f.aofname);
		err = write_fsync(path, manifest);
		if (!err)
			err = fsync_dir(dir);
		if (err) {
			fl_errf(c->errbuf, c->errlen, "%s: %s", path, strerror(-err));
			return err;
		}
	}
	err = fsync_dir(data);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "fsync %s: %s", data, strerror(-err));
		return err;
	}
	return fl_bk_chown_store(c, data);
}
