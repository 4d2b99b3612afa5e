// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sqlite strategy: not built yet (issue 15). */
#include <errno.h>

#include "core/errbuf.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

static int unbuilt(struct fl_bk_ctx *c)
{
	fl_errf(c->errbuf, c->errlen, "strategy sqlite: not built yet");
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

const struct fl_backup_strategy fl_bk_sqlite = {
	.name      = "sqlite",
	.tool      = "SQLite online backup",
	.kinds     = K(FULL),
	.pitr      = false,
	.stores    = "sqlite",
	.packages  = "libsqlite3-0",
	.available = unbuilt,
	.backup    = backup,
	.restore   = restore,
};
