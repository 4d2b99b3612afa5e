// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The redis-rdb strategy: not built yet (issue 15). */
#include <errno.h>

#include "core/errbuf.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

static int unbuilt(struct fl_bk_ctx *c)
{
	fl_errf(c->errbuf, c->errlen, "strategy redis-rdb: not built yet");
	return -EOPNOTSUPP;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	(void)kind;
	(void)ret;
	return unbuilt(c);
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	(void)t;
	(void)ret;
	return unbuilt(c);
}

const struct fl_backup_strategy fl_bk_redis_rdb = {
	.name      = "redis-rdb",
	.tool      = "redis BGSAVE",
	.kinds     = K(SNAPSHOT),
	.pitr      = false,
	.stores    = "redis",
	.packages  = "redis-server",
	.available = unbuilt,
	.backup    = backup,
	.restore   = restore,
};
