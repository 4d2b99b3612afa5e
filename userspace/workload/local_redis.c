// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * redis:local?KEY=VALUE&...: a throwaway redis-server as user redis, on
 * 127.0.0.1, its data directory empty, the AOF on (appendonly yes) and no
 * snapshots unless the spec says otherwise: each setting becomes a line
 * "KEY VALUE" of its config, after ours, so it wins.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local.h"

#define REDIS_SERVER "/usr/bin/redis-server"

static int redis_available(char *errbuf, size_t errlen)
{
	if (!access(REDIS_SERVER, X_OK))
		return 0;
	return fl_wl_local_err(errbuf, errlen, -ENOENT,
			       "redis:local: no %s (Debian package redis-server)", REDIS_SERVER);
}

static int redis_check(const char *key, const char *val, char *errbuf, size_t errlen)
{
	return fl_wl_local_check_plain("redis:local", key, val, errbuf, errlen);
}

static int add_setting(void *ctx, const char *key, const char *val)
{
	return fprintf(ctx, "%s %s\n", key, val) < 0 ? -EIO : 0;
}

static int redis_create(struct fl_wl_local *l, char *errbuf, size_t errlen)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/redis.conf", l->root);
	f = fopen(path, "w");
	if (!f)
		return fl_wl_local_err(errbuf, errlen, -errno, "redis:local: %s: %s", path,
				       strerror(errno));
	fprintf(f, "# faultline: a managed service (redis:local)\n"
		   "bind 127.0.0.1\n"
		   "protected-mode yes\n"
		   "port %d\n"
		   "daemonize no\n"
		   "supervised no\n"
		   "dir %s\n"
		   "logfile \"\"\n"
		   "save \"\"\n"
		   "appendonly yes\n"
		   "# the spec's settings\n", l->pub.port, l->data);
	err = fl_wl_local_each(l, add_setting, f);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		return fl_wl_local_err(errbuf, errlen, err, "redis:local: %s: %s", path,
				       strerror(-err));
	snprintf(l->spec, sizeof(l->spec), "redis://127.0.0.1:%d/0", l->pub.port);
	snprintf(l->start_cmd, sizeof(l->start_cmd), "exec %s%s %s", l->as_user, REDIS_SERVER,
		 path);
	return 0;
}

const struct fl_wl_local_kind fl_wl_local_redis = {
	.name        = "redis",
	.user        = "redis",
	.stop_signal = SIGTERM,
	.available   = redis_available,
	.check       = redis_check,
	.create      = redis_create,
};
