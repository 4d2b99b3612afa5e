// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The store's own integrity check after a restore, by kind: PostgreSQL's
 * amcheck, SQLite's PRAGMA integrity_check, redis-check-rdb/-aof. The
 * file: log has none of its own; the workload's checksums are its check.
 */
#include <string.h>

#include "store.h"

int fl_bk_store_check(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len)
{
	const char *kind = c->store->kind;

	if (len)
		detail[0] = '\0';
	if (!strcmp(kind, "postgres"))
		return fl_bk_check_postgres(c, ret, detail, len);
	if (!strcmp(kind, "sqlite"))
		return fl_bk_check_sqlite(c, ret, detail, len);
	if (!strcmp(kind, "redis"))
		return fl_bk_check_redis(c, ret, detail, len);
	*ret = FL_BACKUP_CHECK_NONE;
	return 0;
}
