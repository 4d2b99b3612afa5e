// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The built-in backup strategies, one file each (strategy_*.c). */
#include <stdio.h>
#include <string.h>

#include "strategy.h"

extern const struct fl_backup_strategy fl_bk_pgbackrest;
extern const struct fl_backup_strategy fl_bk_pg_basebackup;
extern const struct fl_backup_strategy fl_bk_tar;
extern const struct fl_backup_strategy fl_bk_restic;
extern const struct fl_backup_strategy fl_bk_sqlite;
extern const struct fl_backup_strategy fl_bk_redis_rdb;
extern const struct fl_backup_strategy fl_bk_fs_snapshot;
extern const struct fl_backup_strategy fl_bk_exec;

static const struct fl_backup_strategy *const strategies[] = {
	&fl_bk_pgbackrest,
	&fl_bk_pg_basebackup,
	&fl_bk_tar,
	&fl_bk_restic,
	&fl_bk_sqlite,
	&fl_bk_redis_rdb,
	&fl_bk_fs_snapshot,
	&fl_bk_exec,
};

#define N_STRATEGIES (sizeof(strategies) / sizeof(strategies[0]))

const struct fl_backup_strategy *fl_backup_strategy_find(const char *name)
{
	for (size_t i = 0; i < N_STRATEGIES; i++)
		if (!strcmp(strategies[i]->name, name))
			return strategies[i];
	return NULL;
}

const struct fl_backup_strategy *fl_backup_strategy_at(size_t i)
{
	return i < N_STRATEGIES ? strategies[i] : NULL;
}

const char *fl_backup_strategy_names(void)
{
	static char names[256];

	if (!names[0])
		for (size_t i = 0; i < N_STRATEGIES; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", strategies[i]->name);
	return names;
}

bool fl_backup_strategy_takes(const struct fl_backup_strategy *s, const char *store_kind)
{
	size_t n = strlen(store_kind);

	for (const char *p = s->stores; (p = strstr(p, store_kind)); p += n)
		if ((p == s->stores || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}
