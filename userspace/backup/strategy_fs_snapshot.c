// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The fs-snapshot strategy: not built yet (issue 15). */
#include <errno.h>

#include "core/errbuf.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

static int unbuilt(struct fl_bk_ctx *c)
{
	fl_errf(c->errbuf, c->errlen, "strategy fs-snapshot: not built yet");
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

const struct fl_backup_strategy fl_bk_fs_snapshot = {
	.name      = "fs-snapshot",
	.tool      = "faultfs snapshot",
	.kinds     = K(SNAPSHOT),
	.pitr      = false,
	.stores    = "postgres redis sqlite file",
	.packages  = "",
	.available = unbuilt,
	.backup    = backup,
	.restore   = restore,
};
