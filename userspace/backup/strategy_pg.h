/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the two PostgreSQL strategies (pgbackrest, pg_basebackup) share:
 * the server settings WAL archiving needs, directories the server's user
 * must write, and the wall clock that point-in-time targets are written in.
 */
#ifndef FL_BACKUP_STRATEGY_PG_H
#define FL_BACKUP_STRATEGY_PG_H

#include <stdbool.h>
#include <stdint.h>

#include "strategy.h"

/* archive_timeout when the spec does not set its own. */
#define FL_BK_PG_ARCHIVE_TIMEOUT "5s"

/* Does the spec's query (store->settings, "k=v&k2=v2") set key? */
bool fl_bk_pg_user_sets(const struct fl_bk_store *s, const char *key);

/*
 * Append WAL archiving to PGDATA/postgresql.conf, after the spec's
 * settings: wal_level=replica, archive_mode=on, archive_command (given,
 * already quoted for the file's '...' string), and archive_timeout
 * unless the spec set its own. who names the strategy in the comment.
 */
int fl_bk_pg_archive_conf(struct fl_bk_ctx *c, const char *who, const char *archive_command);

/* mkdir path (mode 0750) owned by the store's user; an existing one is fine. */
int fl_bk_pg_mkdir(struct fl_bk_ctx *c, const char *path);

/* Let the store's user through c->repo (a private temp dir is 0700 root). */
int fl_bk_pg_open_repo(struct fl_bk_ctx *c);

/* CLOCK_REALTIME in ns: the clock point-in-time targets are written in. */
uint64_t fl_bk_pg_wall_ns(void);

/* Nanoseconds since the Epoch of a target. */
uint64_t fl_bk_pg_target_ns(const struct fl_bk_target *t);

#endif /* FL_BACKUP_STRATEGY_PG_H */
